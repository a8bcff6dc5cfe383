#[derive(strata::DbEnum)]
#[sqlx(type_name = "user_status")]
enum UserStatus {
    Active,
    Suspended { until: i64 },
}

fn main() {}
