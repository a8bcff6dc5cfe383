#[derive(strata::Entity)]
#[entity(primary_key(id), colour = "red")]
struct User {
    id: i64,
    #[entity(length = 3)]
    age: i32,
    #[entity(identity, default = "1")]
    counter: i64,
    #[entity(on_delete = "cascade")]
    org_id: i64,
}

fn main() {}
