#[derive(strata::DbEnum)]
#[sqlx(rename_all = "snake_case")]
enum UserStatus {
    Active,
    Suspended,
}

fn main() {}
