#[ko_log::life("Migrate", fields(elapsed_ms = 1, error = 2, version, version = 3))]
fn a(version: u32) -> u32 {
    version
}

#[ko_log::life("Migrate", fields(version:x = 1))]
fn b() {}

#[ko_log::life("Migrate", fields("version" = 1))]
fn c() {}

fn main() {
    a(1);
    b();
    c();
}
