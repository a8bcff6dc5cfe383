#[derive(strata::Entity)]
#[entity(table_name = "users")]
#[entity(table_name = "people")]
struct User {
    id: i64,
}

fn main() {}
