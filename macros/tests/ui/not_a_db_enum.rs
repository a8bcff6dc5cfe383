pub struct Money {
    pub cents: i64,
}

#[derive(strata::Entity)]
struct Invoice {
    id: i64,
    total: Money,
    lines: Vec<Money>,
}

fn main() {}
