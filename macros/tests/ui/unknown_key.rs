#[derive(strata::Entity)]
struct User {
    #[entity(lenght = 320)]
    email: String,
}

fn main() {}
