#[ko_log::life("Config")]
struct Config {
    path: String,
}

trait Store {
    #[ko_log::life("Load")]
    fn load(&self) -> u8;
}

fn main() {}
