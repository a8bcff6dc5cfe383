#[derive(strata::Entity)]
#[entity(index(tags, method = "bit map"))]
struct Post {
    id: i64,
    tags: Vec<String>,
}

fn main() {}
