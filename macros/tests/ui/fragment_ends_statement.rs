#[derive(strata::Entity)]
#[entity(check = "true) OR (true")]
struct Account {
    #[entity(primary_key)]
    id: i64,
    #[entity(check = "age >= 0; DROP TABLE accounts")]
    age: i32,
    #[entity(default = "'open")]
    name: String,
}

fn main() {}
