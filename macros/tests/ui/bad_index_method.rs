#[derive(strata::Entity)]
#[entity(index(tags, method = "bitmap"))]
struct Post {
    id: i64,
    tags: Vec<String>,
}

fn main() {}
