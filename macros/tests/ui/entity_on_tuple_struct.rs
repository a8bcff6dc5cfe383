#[derive(strata::Entity)]
struct Meters(i64);

fn main() {}
