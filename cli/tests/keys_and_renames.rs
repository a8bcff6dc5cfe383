//! Keys that foreign keys lean on, and expand/contract renames: evolutions where the
//! order of drops, renames and adds decides whether a migration runs at all. For each
//! step: generate, run, generate again says "No changes", revert restores the schema
//! exactly, run again (see `support::check_evolution`); the rows seeded early must
//! survive every later step.

mod support;

use strata_tests::TestDb;
use support::{change, check_evolution, evolve, Change, Project};

const COUNTRIES: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "country")]
pub struct Country {
    #[entity(primary_key)]
    pub id: i32,
    #[entity(length = 2, unique)]
    pub code: String,
    pub name: String,
}

#[derive(strata::Entity)]
#[entity(table_name = "city")]
pub struct City {
    #[entity(primary_key)]
    pub id: i32,
    #[entity(length = 2, foreign_key(Country, column = "code", on_delete = "cascade"))]
    pub country_code: String,
    #[entity(foreign_key(Country, column = "id"))]
    pub capital_of: Option<i32>,
}
"#;

const SEED: &str =
    "INSERT INTO country (id, code, name) VALUES (1, 'fr', 'France'), (2, 'de', 'Germany');
INSERT INTO city (id, country_code, capital_of) VALUES (10, 'fr', 1), (20, 'de', NULL)";

fn key_changes() -> Vec<Change> {
    vec![
        // The natural key becomes the primary key: `country_pkey` moves from `id` to
        // `code`, `country_code_key` goes, and both foreign keys lean on one of them.
        // `id` stays unique for the foreign key that references it.
        Change {
            check: Some((
                "SELECT string_agg(id || ':' || country_code, ',' ORDER BY id) FROM city",
                "10:fr,20:de",
            )),
            ..change(
                "promote_natural_key",
                &[
                    (
                        "    #[entity(primary_key)]\n    pub id: i32,\n    #[entity(length = 2, unique)]\n    pub code: String,",
                        "    #[entity(unique)]\n    pub id: i32,\n    #[entity(length = 2, primary_key)]\n    pub code: String,",
                    ),
                ],
            )
        },
        // The unique constraint on `id` is swapped for a unique index: the foreign key
        // that leans on the constraint's index moves to the new one.
        change(
            "unique_constraint_to_unique_index",
            &[
                ("#[entity(table_name = \"country\")]", "#[entity(table_name = \"country\", index(id, unique))]"),
                ("    #[entity(unique)]\n    pub id: i32,", "    pub id: i32,"),
            ],
        ),
        // The primary key goes back to `id`, the unique index on `id` goes, and `code`
        // becomes a unique constraint again, named as declared.
        change(
            "demote_natural_key",
            &[
                ("#[entity(table_name = \"country\", index(id, unique))]", "#[entity(table_name = \"country\")]"),
                ("    pub id: i32,\n    #[entity(length = 2, primary_key)]", "    #[entity(primary_key)]\n    pub id: i32,\n    #[entity(length = 2, unique = \"country_iso_code\")]"),
            ],
        ),
    ]
}

#[tokio::test]
async fn foreign_keys_follow_the_keys_they_lean_on() {
    let db = TestDb::new().await;
    let project = Project::new("fk-keys", &db);
    let mut steps = evolve(COUNTRIES, &key_changes());
    steps[0].seed = Some(SEED);
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("fk_keys_{name}"), text)
    })
    .await;
}

const USERS: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "users")]
pub struct User {
    #[entity(primary_key)]
    pub id: i32,
    #[entity(unique)]
    pub email: Option<String>,
    pub name: String,
}
"#;

fn expand_contract_columns() -> Vec<Change> {
    vec![
        // Expand: the new column, backfilled by hand, and a table whose foreign key
        // already uses it.
        Change {
            seed: Some(
                "UPDATE users SET email_v2 = lower(email);
                 INSERT INTO login (id, user_email) VALUES (1, 'ada@example.com')",
            ),
            ..change(
                "expand_email",
                &[(
                    "    pub name: String,\n}",
                    "    pub name: String,\n    #[entity(unique, index)]\n    pub email_v2: Option<String>,\n}\n\n#[derive(strata::Entity)]\n#[entity(table_name = \"login\")]\npub struct Login {\n    #[entity(primary_key)]\n    pub id: i32,\n    #[entity(foreign_key(User, column = \"email_v2\"))]\n    pub user_email: String,\n}",
                )],
            )
        },
        // Contract: the legacy `email` goes and `email_v2` becomes `email`, its unique
        // constraint and index named after the new name, the foreign key following it.
        Change {
            destructive: true,
            check: Some((
                "SELECT string_agg(id || ':' || email, ',' ORDER BY id) FROM users",
                "1:ada@example.com,2:bob@example.com",
            )),
            ..change(
                "contract_email",
                &[
                    ("    #[entity(unique)]\n    pub email: Option<String>,\n", ""),
                    (
                        "    #[entity(unique, index)]\n    pub email_v2: Option<String>,",
                        "    #[entity(unique, index, renamed_from = \"email_v2\")]\n    pub email: Option<String>,",
                    ),
                    ("column = \"email_v2\"", "column = \"email\""),
                ],
            )
        },
    ]
}

#[tokio::test]
async fn expand_contract_drops_the_legacy_column_and_renames_the_backfilled_one() {
    let db = TestDb::new().await;
    let project = Project::new("expand-contract-columns", &db);
    let mut steps = evolve(USERS, &expand_contract_columns());
    steps[0].seed = Some(
        "INSERT INTO users (id, email, name) VALUES (1, 'Ada@Example.com', 'Ada'), (2, 'BOB@example.com', 'Bob')",
    );
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("expand_contract_columns_{name}"), text)
    })
    .await;
}
const ACCOUNTS: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "accounts")]
pub struct LegacyAccount {
    #[entity(primary_key)]
    pub id: i64,
    pub owner: String,
}

#[derive(strata::Entity)]
#[entity(table_name = "session")]
pub struct Session {
    #[entity(primary_key)]
    pub id: i64,
    #[entity(foreign_key(LegacyAccount, on_delete = "cascade"))]
    pub account_id: i64,
}
"#;

fn expand_contract_tables() -> Vec<Change> {
    vec![
        // Expand: the new table, filled by hand.
        Change {
            // The down of the contraction re-creates the legacy table empty: no session
            // may point at it then.
            seed: Some(
                "INSERT INTO accounts_v2 (id, owner, plan) SELECT id, owner, 'free' FROM accounts;
                 DELETE FROM session",
            ),
            ..change(
                "expand_accounts",
                &[(
                    "#[derive(strata::Entity)]\n#[entity(table_name = \"session\")]",
                    "#[derive(strata::Entity)]\n#[entity(table_name = \"accounts_v2\")]\npub struct Account {\n    #[entity(primary_key)]\n    pub id: i64,\n    pub owner: String,\n    pub plan: String,\n}\n\n#[derive(strata::Entity)]\n#[entity(table_name = \"session\")]",
                )],
            )
        },
        // Contract: the legacy table goes, `accounts_v2` becomes `accounts` (its primary
        // key renamed after it) and the foreign key points at it.
        Change {
            destructive: true,
            check: Some((
                "SELECT string_agg(id || ':' || owner || ':' || plan, ',') FROM accounts",
                "7:ada:free",
            )),
            ..change(
                "contract_accounts",
                &[
                    (
                        "#[derive(strata::Entity)]\n#[entity(table_name = \"accounts\")]\npub struct LegacyAccount {\n    #[entity(primary_key)]\n    pub id: i64,\n    pub owner: String,\n}\n",
                        "",
                    ),
                    (
                        "#[entity(table_name = \"accounts_v2\")]",
                        "#[entity(table_name = \"accounts\", renamed_from = \"accounts_v2\")]",
                    ),
                    ("foreign_key(LegacyAccount,", "foreign_key(Account,"),
                ],
            )
        },
    ]
}

#[tokio::test]
async fn expand_contract_drops_the_legacy_table_and_renames_the_new_one() {
    let db = TestDb::new().await;
    let project = Project::new("expand-contract-tables", &db);
    let mut steps = evolve(ACCOUNTS, &expand_contract_tables());
    steps[0].seed = Some(
        "INSERT INTO accounts (id, owner) VALUES (7, 'ada');
         INSERT INTO session (id, account_id) VALUES (70, 7)",
    );
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("expand_contract_tables_{name}"), text)
    })
    .await;
}

const KEYED: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "voucher")]
pub struct Voucher {
    #[entity(primary_key)]
    pub id: i32,
    #[entity(unique)]
    pub code: String,
    #[entity(length = 12, unique, default = "'none'")]
    pub label: String,
    #[entity(unique)]
    pub serial_no: i64,
    #[entity(unique)]
    pub token: uuid::Uuid,
}
"#;

/// Dropped key columns come back in the down file with a distinct value in every row:
/// the zero value (or the default) in each would break the key.
#[tokio::test]
async fn dropped_key_columns_come_back_with_distinct_values() {
    let db = TestDb::new().await;
    let project = Project::new("keyed-drops", &db);
    let mut steps = evolve(
        KEYED,
        &[Change {
            destructive: true,
            ..change(
                "drop_keys",
                &[(
                    "    #[entity(unique)]\n    pub code: String,\n    #[entity(length = 12, unique, default = \"'none'\")]\n    pub label: String,\n    #[entity(unique)]\n    pub serial_no: i64,\n    #[entity(unique)]\n    pub token: uuid::Uuid,\n",
                    "",
                )],
            )
        }],
    );
    steps[0].seed = Some(
        "INSERT INTO voucher VALUES (1, 'a', 'x', 10, gen_random_uuid()), (2, 'b', 'y', 20, gen_random_uuid()), (3, 'c', 'z', 30, gen_random_uuid())",
    );
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(format!("keyed_drops_{name}"), text)
    })
    .await;
}
