#[derive(strata::Entity)]
struct User {
    #[entity(primary_key)]
    id: Option<i64>,
}

fn main() {}
