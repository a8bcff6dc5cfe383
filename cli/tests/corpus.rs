//! The core loop's promise, checked on a corpus of entity evolutions with the real
//! binary against a real PostgreSQL. For every step:
//!
//! - `generate` writes a migration (destructive steps are first refused, then allowed);
//! - `run` applies it, and `generate` again says "No changes" (never invent a diff);
//! - `revert` restores exactly the schema from before the step, as introspection reads it;
//! - `run` again reaches exactly the schema of the first run.
//!
//! The generated up/down files are snapshot-tested, so every change to what strata
//! writes is reviewed.

mod support;

use strata_tests::TestDb;
use support::{check_evolution, leak, Project, Step};

const USER_V1: &str = r#"
use uuid::Uuid;

/// A person who can log in. The table name is a reserved word on purpose.
#[derive(strata::Entity)]
#[entity(table_name = "user")]
pub struct User {
    #[entity(primary_key, default = "gen_random_uuid()")]
    pub id: Uuid,
    #[entity(length = 50, unique)]
    pub email: String,
    pub name: String,
    pub age: i32,
    pub avatar: Option<String>,
}
"#;

const ORDER_V1: &str = r#"
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use std::net::IpAddr;

#[derive(strata::Entity)]
#[entity(table_name = "order", comment = "Orders placed by users")]
pub struct Order {
    #[entity(primary_key, identity)]
    pub id: i64,
    pub paid: bool,
    pub quantity: i16,
    pub weight: f32,
    pub score: f64,
    pub note: Option<String>,
    pub receipt: Option<Vec<u8>>,
    pub user_id: uuid::Uuid,
    #[entity(default = "now()")]
    pub created_at: DateTime<Utc>,
    pub shipped_at: Option<NaiveDateTime>,
    pub due: NaiveDate,
    pub slot: Option<NaiveTime>,
    #[entity(precision = 12, scale = 2)]
    pub total: Decimal,
    pub ratio: Option<Decimal>,
    #[entity(default = "'{}'::jsonb")]
    pub meta: serde_json::Value,
    pub client_ip: Option<IpAddr>,
    #[entity(default = "ARRAY[]::text[]")]
    pub tags: Vec<String>,
    pub scores: Vec<i32>,
    #[entity(length = 20)]
    pub codes: Option<Vec<String>>,
}
"#;

const INVOICE_V1: &str = r#"
#[derive(strata::Entity)]
#[entity(schema = "billing")]
pub struct Invoice {
    #[entity(primary_key, serial)]
    pub id: i32,
    pub number: String,
    pub amount: bigdecimal::BigDecimal,
    pub issued_at: time::OffsetDateTime,
    pub booked_at: Option<time::PrimitiveDateTime>,
    pub due_on: time::Date,
    pub cutoff: Option<time::Time>,
    pub extra: sqlx::types::Json<Extra>,
    pub network: Option<ipnetwork::IpNetwork>,
    #[entity(precision = 3)]
    pub sent_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}
"#;

fn steps() -> Vec<Step> {
    let s = Step::new;
    vec![
        s("create_user", leak(USER_V1)),
        Step {
            seed: Some(
                "INSERT INTO \"user\" (email, name, age, avatar) VALUES ('ada@example.com', 'Ada', 36, 'ada.png')",
            ),
            ..s("create_order_all_types", cat(&[USER_V1, ORDER_V1]))
        },
        s(
            "create_invoice_in_billing",
            cat(&[USER_V1, ORDER_V1, INVOICE_V1]),
        ),
        // Add a column with a comment.
        Step {
            seed: Some("UPDATE \"user\" SET bio = 'Hello'"),
            ..s(
            "add_bio",
            cat(&[
                &USER_V1.replace(
                    "    pub avatar: Option<String>,\n",
                    "    pub avatar: Option<String>,\n    #[entity(comment = \"Shown on the profile\")]\n    pub bio: Option<String>,\n",
                ),
                ORDER_V1,
                INVOICE_V1,
            ]),
        )},
        // Rename a column with a hint: the data stays.
        Step {
            check: Some(("SELECT avatar_url FROM \"user\"", "ada.png")),
            ..s("rename_avatar", cat(&[&user_v2(), ORDER_V1, INVOICE_V1]))
        },
        // Widen types: i32 -> i64, varchar(50) -> varchar(51).
        Step {
            check: Some(("SELECT age::text || ' ' || email FROM \"user\"", "36 ada@example.com")),
            ..s(
                "widen_age_and_email",
                cat(&[&user_v3(), ORDER_V1, INVOICE_V1]),
            )
        },
        // Nullability both ways, with a default that fills the existing rows.
        s(
            "nullability",
            cat(&[
                &user_v3()
                    .replace("    pub name: String,", "    pub name: Option<String>,")
                    .replace(
                        "    pub bio: Option<String>,",
                        "    #[entity(default = \"''\")]\n    pub bio: String,",
                    ),
                ORDER_V1,
                INVOICE_V1,
            ]),
        ),
        // Set and change defaults, including one PostgreSQL spells differently.
        s(
            "defaults",
            cat(&[&user_v4(), &order_v2(), INVOICE_V1]),
        ),
        // Identity by default -> always; table comment changes.
        s(
            "identity_always",
            cat(&[
                &user_v4(),
                &order_v2()
                    .replace("#[entity(primary_key, identity)]", "#[entity(primary_key, identity = \"always\")]")
                    .replace("Orders placed by users", "Orders placed by customers"),
                INVOICE_V1,
            ]),
        ),
        // A composite primary key and a multi-column unique constraint.
        s(
            "order_lines",
            cat(&[&user_v4(), &order_v3(), INVOICE_V1, ORDER_LINE_V1]),
        ),
        // The primary key changes its columns; a unique constraint goes away.
        s(
            "change_line_key",
            cat(&[&user_v4(), &order_v3(), INVOICE_V1, &order_line_v2()]),
        ),
        // Drop a default and add a unique constraint to a table that has rows.
        s(
            "drop_default_add_unique",
            cat(&[&user_v4(), &order_v4(), INVOICE_V1, &order_line_v2()]),
        ),
        // A table rename in a non-public schema: its key's name follows.
        s(
            "rename_invoice",
            cat(&[&user_v4(), &order_v4(), &invoice_v2(), &order_line_v2()]),
        ),
        // Switch a field's column name.
        Step {
            check: Some(("SELECT full_name FROM \"user\"", "Ada")),
            ..s(
                "full_name",
                cat(&[&user_v5(), &order_v4(), &invoice_v2(), &order_line_v2()]),
            )
        },
        // Drop a column: refused without --allow-destructive.
        Step {
            destructive: true,
            ..s(
                "drop_avatar",
                cat(&[
                    &user_v5().replace("    #[entity(renamed_from = \"avatar\")]\n    pub avatar_url: Option<String>,\n", ""),
                    &order_v4(),
                    &invoice_v2(),
                    &order_line_v2(),
                ]),
            )
        },
        // Narrow a type: text -> varchar(20) may cut values.
        Step {
            destructive: true,
            ..s(
                "narrow_number",
                cat(&[
                    &user_v5().replace("    #[entity(renamed_from = \"avatar\")]\n    pub avatar_url: Option<String>,\n", ""),
                    &order_v4(),
                    &invoice_v2().replace("    pub number: String,", "    #[entity(length = 20)]\n    pub number: String,"),
                    &order_line_v2(),
                ]),
            )
        },
        // A scalar becomes an array; the value is kept as its only element.
        Step {
            check: Some(("SELECT array_to_string(age, ',') FROM \"user\"", "36")),
            ..s(
                "age_to_array",
                cat(&[
                    &user_v5()
                        .replace("    #[entity(renamed_from = \"avatar\")]\n    pub avatar_url: Option<String>,\n", "")
                        .replace("    #[entity(default = \"0\")]\n    pub age: i64,", "    pub age: Vec<i64>,"),
                    &order_v4(),
                    &invoice_v2().replace("    pub number: String,", "    #[entity(length = 20)]\n    pub number: String,"),
                    &order_line_v2(),
                ]),
            )
        },
        // Drop a whole table.
        Step {
            destructive: true,
            ..s(
                "drop_order_lines",
                cat(&[
                    &user_v5()
                        .replace("    #[entity(renamed_from = \"avatar\")]\n    pub avatar_url: Option<String>,\n", "")
                        .replace("    #[entity(default = \"0\")]\n    pub age: i64,", "    pub age: Vec<i64>,"),
                    &order_v4(),
                    &invoice_v2().replace("    pub number: String,", "    #[entity(length = 20)]\n    pub number: String,"),
                ]),
            )
        },
    ]
}

fn cat(parts: &[&str]) -> &'static str {
    leak(&parts.concat())
}

fn user_v2() -> String {
    USER_V1
        .replace(
            "    pub avatar: Option<String>,\n",
            "    #[entity(renamed_from = \"avatar\")]\n    pub avatar_url: Option<String>,\n    #[entity(comment = \"Shown on the profile\")]\n    pub bio: Option<String>,\n",
        )
}

fn user_v3() -> String {
    user_v2()
        .replace("    pub age: i32,", "    pub age: i64,")
        .replace("length = 50, unique", "length = 51, unique")
}

fn user_v4() -> String {
    user_v3()
        .replace("    pub name: String,", "    pub name: Option<String>,")
        .replace(
            "    #[entity(comment = \"Shown on the profile\")]\n    pub bio: Option<String>,",
            "    #[entity(comment = \"Shown on the profile\", default = \"''\")]\n    pub bio: String,",
        )
        .replace("    pub age: i64,", "    #[entity(default = \"0\")]\n    pub age: i64,")
}

fn user_v5() -> String {
    user_v4().replace(
        "    pub name: Option<String>,",
        "    #[entity(rename = \"full_name\", renamed_from = \"name\")]\n    pub name: Option<String>,",
    )
}

fn order_v2() -> String {
    ORDER_V1
        .replace(
            "#[entity(default = \"now()\")]",
            "#[entity(default = \"CURRENT_TIMESTAMP\")]",
        )
        .replace(
            "    pub paid: bool,",
            "    #[entity(default = \"false\")]\n    pub paid: bool,",
        )
        .replace(
            "    #[entity(default = \"'{}'::jsonb\")]\n    pub meta",
            "    #[entity(default = \"'{\\\"v\\\": 1}'\")]\n    pub meta",
        )
        .replace(
            "    pub quantity: i16,",
            "    #[entity(default = \"-1\")]\n    pub quantity: i16,",
        )
}

fn order_v3() -> String {
    order_v2()
        .replace(
            "#[entity(primary_key, identity)]",
            "#[entity(primary_key, identity = \"always\")]",
        )
        .replace("Orders placed by users", "Orders placed by customers")
}

fn order_v4() -> String {
    order_v3()
        .replace(
            "    #[entity(default = \"false\")]\n    pub paid: bool,",
            "    pub paid: bool,",
        )
        .replace(
            "    pub note: Option<String>,",
            "    #[entity(unique)]\n    pub note: Option<String>,",
        )
}

const ORDER_LINE_V1: &str = r#"
#[derive(strata::Entity)]
#[entity(primary_key(order_id, line), unique(order_id, sku), comment = "One line per product")]
pub struct OrderLine {
    pub order_id: i64,
    pub line: i32,
    pub sku: String,
    #[entity(default = "1")]
    pub quantity: i32,
}
"#;

fn order_line_v2() -> String {
    ORDER_LINE_V1.replace(
        "primary_key(order_id, line), unique(order_id, sku)",
        "primary_key(order_id, sku)",
    )
}

fn invoice_v2() -> String {
    INVOICE_V1.replace(
        "#[entity(schema = \"billing\")]\npub struct Invoice",
        "#[entity(schema = \"billing\", table_name = \"bill\", renamed_from = \"invoice\")]\npub struct Invoice",
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_step_reaches_a_fixed_point_and_reverts_exactly() {
    let db = TestDb::new().await;
    let project = Project::new("corpus", &db);
    let steps = steps();
    assert!(steps.len() >= 15, "the corpus must have at least 15 steps");

    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(name, text)
    })
    .await;

    // An explicit `schema = "public"` on every entity changes nothing.
    let last = steps.last().map(|s| s.source).unwrap_or_default();
    project.write_entities(
        &last
            .replace(
                "#[entity(table_name = \"user\")]",
                "#[entity(table_name = \"user\", schema = \"public\")]",
            )
            .replace(
                "#[entity(table_name = \"order\",",
                "#[entity(schema = \"public\", table_name = \"order\",",
            ),
    );
    let same = project.strata(&["generate", "explicit_public"]);
    assert_eq!(same.code, 0, "{same}");
    assert!(same.stdout.contains("No changes"), "{same}");
}
