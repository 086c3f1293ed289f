fn main() {
    let _a = ko_log::life_guard!();
    let _b = ko_log::life_guard!("Query", err = false);
    let _c = ko_log::life_guard!("Query", table = "users");
    let _d = ko_log::life_guard!("Query", fields(table = "users"), level = "loud");
    let _e: u32 = ko_log::life_guard!("Query");
}
