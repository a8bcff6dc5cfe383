#[derive(strata::Entity)]
#[entity(table_name = "users_with_a_very_long_name_that_postgresql_would_silently_cut_short")]
struct User {
    id: i64,
}

fn main() {}
