struct User {
    name: String,
}

#[ko_log::life("Greet", fields(user, missing, name:% = user))]
fn greet(user: &User) -> &str {
    &user.name
}

fn main() {
    let _ = greet(&User { name: "ana".into() });
}
