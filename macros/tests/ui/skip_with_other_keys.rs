#[derive(strata::Entity)]
struct User {
    id: i64,
    #[entity(skip, default = "0")]
    cached: i64,
}

fn main() {}
