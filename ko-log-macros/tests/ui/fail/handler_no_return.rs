#[derive(serde::Deserialize)]
struct AuditParams {
    table: String,
}

#[ko_log::handler]
fn forgot(params: &AuditParams) {
    let _ = &params.table;
}

fn main() {}
