#[ko_log::life("Answer")]
const fn answer() -> u32 {
    42
}

fn main() {
    let _ = answer();
}
