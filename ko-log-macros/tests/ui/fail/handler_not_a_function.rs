#[ko_log::handler]
#[derive(Debug)]
struct AuditDb {
    table: String,
}

fn main() {}
