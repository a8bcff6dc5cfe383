#[derive(strata::Entity)]
struct Org {
    id: i64,
}

#[derive(strata::Entity)]
struct User {
    id: i64,
    #[entity(foreign_key(Org, on_delete = "delete everything"))]
    org_id: i64,
}

fn main() {}
