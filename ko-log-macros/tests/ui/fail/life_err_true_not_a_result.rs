#[ko_log::life("Count", err = true)]
fn count() -> u32 {
    1
}

fn main() {
    let _ = count();
}
