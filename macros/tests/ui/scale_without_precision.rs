pub struct Decimal;

#[derive(strata::Entity)]
struct Price {
    id: i64,
    #[entity(scale = 2)]
    amount: Decimal,
}

fn main() {}
