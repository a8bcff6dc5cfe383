pub struct Org {
    pub id: i64,
}

#[derive(strata::Entity)]
struct User {
    id: i64,
    #[entity(foreign_key(Org))]
    org_id: i64,
}

fn main() {}
