#[ko_log::life("Migrate", level = "verbose")]
fn a() {}

#[ko_log::life("Migrate", level = "warning")]
fn b() {}

#[ko_log::life("Migrate", level = Debug, target = "", err = "no")]
fn c() {}

#[ko_log::life("Migrate", target = my_app::db, err)]
fn d() {}

#[ko_log::life("Migrate", fields = "x", level)]
fn e() {}

fn main() {
    a();
    b();
    c();
    d();
    e();
}
