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
