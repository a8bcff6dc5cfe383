#[derive(strata::Entity)]
struct User {
    id: i64,
    #[entity(length = 3)]
    age: i32,
}

fn main() {}
