#[ko_log::processor]
struct AddRequestId {
    request_id: String,
}

#[ko_log::processor]
static STEP: u8 = 0;

fn main() {}
