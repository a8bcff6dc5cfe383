#[derive(strata::Entity)]
#[entity(index(last_name, frist_name))]
struct User {
    id: i64,
    first_name: String,
    last_name: String,
}

fn main() {}
