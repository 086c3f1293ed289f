#[ko_log::life]
fn a() {}

#[ko_log::life(level = "debug")]
fn b() {}

#[ko_log::life(level = "debug", "Label second")]
fn c() {}

#[ko_log::life(migrate)]
fn d() {}

#[ko_log::life("One", "Two")]
fn e() {}

fn main() {
    a();
    b();
    c();
    d();
    e();
}
