#[ko_log::life("Migrate", lvel = "debug", level = "info", level = "debug", name = "x")]
fn migrate() {}

#[ko_log::life("Sweep", target = "a", target = "b", fields(x = 1), fields(y = 2), err = false, err = true)]
fn sweep() -> Result<(), String> {
    Ok(())
}

fn main() {
    migrate();
    let _ = sweep();
}
