#[derive(strata::Entity)]
struct User {
    id: i64,
    visits: u32,
}

fn main() {}
