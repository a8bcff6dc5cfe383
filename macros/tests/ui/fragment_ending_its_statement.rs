#[derive(strata::Entity)]
struct Account {
    #[entity(primary_key)]
    id: i64,
    #[entity(check = "balance >= 0); DROP TABLE account; --")]
    balance: i64,
}

fn main() {}
