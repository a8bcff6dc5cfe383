#[derive(strata::Entity)]
struct User {
    #[entity(primary_key, identity)]
    id: String,
}

fn main() {}
