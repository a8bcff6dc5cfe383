//! What `generate` and `diff` print, snapshot-tested: summaries, refusals, errors.

mod support;

use strata_tests::TestDb;
use support::Project;

const ACCOUNTS: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "accounts")]
pub struct Account {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(length = 100)]
    pub handle: String,
    pub avatar: Option<String>,
    pub karma: i32,
}
"#;

async fn project_with_accounts(tag: &str, db: &TestDb) -> Project {
    let project = Project::new(tag, db);
    project.write_entities(ACCOUNTS);
    let first = project.strata(&["generate", "accounts"]);
    assert_eq!(first.code, 0, "{first}");
    let run = project.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");
    project
}

#[tokio::test(flavor = "multi_thread")]
async fn generate_prints_the_files_and_each_step_with_its_hazards() {
    let db = TestDb::new().await;
    let project = project_with_accounts("gen-summary", &db).await;
    project.write_entities(
        &ACCOUNTS
            .replace(
                "pub karma: i32,",
                "pub karma: i64,\n    pub bio: Option<String>,",
            )
            .replace("length = 100", "length = 120"),
    );
    let out = project.strata(&["generate", "widen_karma"]);
    assert_eq!(out.code, 0, "{out}");
    insta::assert_snapshot!(project.filter(&out.stdout));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destructive_plan_is_refused_with_the_rename_hint() {
    let db = TestDb::new().await;
    let project = project_with_accounts("gen-refusal", &db).await;
    project.write_entities(&ACCOUNTS.replace(
        "pub avatar: Option<String>,",
        "pub avatar_url: Option<String>,",
    ));
    let out = project.strata(&["generate", "rename_avatar"]);
    assert_eq!(out.code, 2, "{out}");
    assert_eq!(project.migration_files().len(), 2, "nothing new is written");
    insta::assert_snapshot!(project.filter(&out.stderr));

    // The hint it gives makes the same change a rename.
    project.write_entities(&ACCOUNTS.replace(
        "pub avatar: Option<String>,",
        "#[entity(renamed_from = \"avatar\")]\n    pub avatar_url: Option<String>,",
    ));
    let out = project.strata(&["generate", "rename_avatar"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("rename column accounts.avatar -> avatar_url"),
        "{out}"
    );

    let ran = project.strata(&["run"]);
    assert_eq!(ran.code, 0, "{ran}");

    // --check and --dry-run report a destructive plan instead of refusing it.
    project.write_entities(&ACCOUNTS.replace("    pub karma: i32,\n", ""));
    let check = project.strata(&["generate", "drop_karma", "--check"]);
    assert_eq!(check.code, 1, "{check}");
    let dry = project.strata(&["generate", "drop_karma", "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry}");
    assert!(dry.stdout.contains("DROP COLUMN karma"), "{dry}");
    assert!(dry.stderr.contains("would refuse"), "{dry}");
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_shows_the_steps_and_each_changed_table_s_ddl() {
    let db = TestDb::new().await;
    let project = project_with_accounts("diff-text", &db).await;
    project.write_entities(
        &ACCOUNTS
            .replace(
                "#[entity(table_name = \"accounts\")]",
                "#[entity(table_name = \"members\", renamed_from = \"accounts\")]",
            )
            .replace(
                "pub karma: i32,",
                "pub karma: i64,\n    pub joined: chrono::NaiveDate,",
            ),
    );
    let out = project.strata(&["diff"]);
    assert_eq!(out.code, 0, "{out}");
    insta::assert_snapshot!("diff_text", project.filter(&out.stdout));
    let sql = project.strata(&["diff", "--format", "sql"]);
    insta::assert_snapshot!("diff_sql", project.filter(&sql.stdout));
    let json = project.strata(&["diff", "--format", "json"]);
    let plan: serde_json::Value =
        serde_json::from_str(&json.stdout).expect("diff --format json is JSON");
    assert_eq!(plan["steps"].as_array().map(Vec::len), Some(5), "{json}");
}

#[tokio::test(flavor = "multi_thread")]
async fn entity_mistakes_are_all_reported_with_their_place() {
    let db = TestDb::new().await;
    let project = Project::new("gen-errors", &db);
    project.write(
        "src/models/user.rs",
        r#"
#[derive(strata::Entity)]
pub struct User {
    #[entity(primary_key, lenght = 3)]
    pub id: i64,
    #[entity(length = 10)]
    pub age: i32,
}
"#,
    );
    project.write(
        "src/models/post.rs",
        r#"
#[derive(strata::Entity)]
#[entity(index(title))]
pub struct Post {
    #[entity(primary_key)]
    pub id: i64,
    pub title: String,
    pub mood: Mood,
}
"#,
    );
    let scan_errors = project.strata(&["generate", "x"]);
    assert_eq!(scan_errors.code, 2, "{scan_errors}");
    insta::assert_snapshot!("attribute_errors", project.filter(&scan_errors.stderr));

    // Once the attributes parse, problems found while building the schema (here a
    // type with no mapping) are shown at their field too.
    project.write(
        "src/models/user.rs",
        "#[derive(strata::Entity)]\npub struct User {\n    #[entity(primary_key)]\n    pub id: i64,\n}\n",
    );
    let lower_errors = project.strata(&["generate", "x"]);
    assert_eq!(lower_errors.code, 2, "{lower_errors}");
    insta::assert_snapshot!("schema_errors", project.filter(&lower_errors.stderr));
    assert!(project.migration_files().is_empty());
}

/// A declared fragment that would end the statement strata writes it into (or break
/// out of it) is a problem at its attribute, with file:line:col, before anything runs:
/// never a migration that means something else or fails at `run`.
#[tokio::test(flavor = "multi_thread")]
async fn fragments_that_would_break_their_statement_are_problems_at_the_attribute() {
    let db = TestDb::new().await;
    let project = Project::new("gen-fragments", &db);
    project.write(
        "src/models/account.rs",
        r#"
#[derive(strata::Entity)]
#[entity(check = "true) OR (true")]
pub struct Account {
    #[entity(primary_key)]
    pub id: i64,
    #[entity(check = "age >= 0; DROP TABLE accounts", default = "0 -- none")]
    pub age: i32,
}
"#,
    );
    let out = project.strata(&["generate", "x"]);
    assert_eq!(out.code, 2, "{out}");
    insta::assert_snapshot!(project.filter(&out.stderr));
    assert!(project.migration_files().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn inspect_prints_the_database_as_sql_and_json() {
    let db = TestDb::new().await;
    let project = project_with_accounts("inspect", &db).await;
    let sql = project.strata(&["inspect"]);
    assert_eq!(sql.code, 0, "{sql}");
    insta::assert_snapshot!("inspect_sql", sql.stdout);
    let json = project.strata(&["inspect", "--json"]);
    let schema: strata_core::schema::Schema =
        serde_json::from_str(&json.stdout).expect("inspect --json is a Schema");
    assert_eq!(
        schema.tables.len(),
        1,
        "_sqlx_migrations is not part of the schema"
    );
}

/// The catalog is read while the entities are parsed, over every user schema until
/// the managed ones are known: what lives in a schema no entity names (and
/// strata.toml does not list) must stay out of the plan, as if never read.
#[tokio::test(flavor = "multi_thread")]
async fn schemas_no_entity_names_stay_out_of_the_plan() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE SCHEMA legacy;
         CREATE TYPE legacy.mood AS ENUM ('ok', 'meh');
         CREATE TABLE legacy.old_orders (id bigint PRIMARY KEY, mood legacy.mood);
         CREATE SCHEMA billing;
         CREATE TABLE billing.stale (id bigint PRIMARY KEY);",
    )
    .await;
    let project = Project::new("gen-unmanaged", &db);
    project.write_entities(&format!(
        "{ACCOUNTS}
#[derive(strata::Entity)]
#[entity(schema = \"billing\", table_name = \"invoices\")]
pub struct Invoice {{
    #[entity(primary_key)]
    pub id: i64,
}}
"
    ));
    let out = project.strata(&["diff"]);
    assert_eq!(out.code, 0, "{out}");
    // billing is managed (an entity names it): its stray table is a drop; legacy is not.
    assert!(out.stdout.contains("drop table billing.stale"), "{out}");
    assert!(
        out.stdout.contains("create table billing.invoices"),
        "{out}"
    );
    assert!(!out.stdout.contains("legacy"), "{out}");

    // Listing the schemas in strata.toml manages exactly those.
    project.write("strata.toml", "schemas = [\"public\", \"legacy\"]\n");
    project.write_entities(ACCOUNTS);
    let out = project.strata(&["diff"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("drop table legacy.old_orders"), "{out}");
    assert!(out.stdout.contains("drop enum legacy.mood"), "{out}");
    assert!(!out.stdout.contains("billing"), "{out}");
}

/// The database is read while the entities are parsed, but problems in the entities
/// are still what the user hears about first, even with no database to reach.
#[test]
fn entity_problems_come_before_an_unreachable_database() {
    let project = Project::bare("gen-entity-first");
    project.write_entities(&ACCOUNTS.replace("length = 100", "length = \"wide\""));
    for command in ["generate", "diff"] {
        let mut args = vec![
            "--database-url",
            "postgres://strata@127.0.0.1:1/app",
            command,
        ];
        if command == "generate" {
            args.push("wide");
        }
        let out = project.strata(&args);
        assert_eq!(out.code, 2, "{out}");
        assert!(out.stderr.contains("length"), "{out}");
        assert!(!out.stderr.contains("cannot connect"), "{out}");
    }
    // With sound entities, the unreachable database is the error.
    project.write_entities(ACCOUNTS);
    let out = project.strata(&[
        "--database-url",
        "postgres://strata@127.0.0.1:1/app",
        "diff",
    ]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("cannot connect"), "{out}");
}

/// A migration written but not run yet: generating again would write its changes a
/// second time (and `run` would then fail), so `generate` refuses, in every mode, naming
/// the pending file and the ways out; once it is run, generate works again.
#[tokio::test(flavor = "multi_thread")]
async fn pending_migrations_are_not_written_again() {
    let db = TestDb::new().await;
    let project = project_with_accounts("gen-pending", &db).await;
    let with_bio = ACCOUNTS.replace(
        "    pub karma: i32,\n",
        "    pub karma: i32,\n    pub bio: Option<String>,\n",
    );
    project.write_entities(&with_bio);
    let written = project.strata(&["generate", "add_bio"]);
    assert_eq!(written.code, 0, "{written}");
    let files = project.migration_files().len();
    project.write_entities(&with_bio.replace(
        "    pub bio: Option<String>,\n",
        "    pub bio: Option<String>,\n    pub site: Option<String>,\n",
    ));
    for args in [
        &["generate", "add_site"][..],
        &["generate", "add_site", "--check"][..],
        &["generate", "add_site", "--dry-run"][..],
    ] {
        let refused = project.strata(args);
        assert_eq!(refused.code, 2, "{args:?}: {refused}");
        assert_eq!(project.migration_files().len(), files, "nothing written");
        insta::assert_snapshot!(
            "pending_refused",
            support::replace_versions(&project.filter(&refused.stderr))
        );
    }
    let ran = project.strata(&["run"]);
    assert_eq!(ran.code, 0, "{ran}");
    let generated = project.strata(&["generate", "add_site"]);
    assert_eq!(generated.code, 0, "{generated}");
}
