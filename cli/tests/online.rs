//! `generate --online` and the team's `deny` list, through the real binary: the split
//! files run, revert and reach a fixed point like any other migration.

mod support;

use strata_tests::TestDb;
use support::{check_evolution, Project, Step};

const BEFORE: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "account")]
pub struct Account {
    #[entity(primary_key, identity)]
    pub id: i64,
    pub email: String,
    pub nick: Option<String>,
    pub team_id: i64,
}

#[derive(strata::Entity)]
#[entity(table_name = "team")]
pub struct Team {
    #[entity(primary_key, identity)]
    pub id: i64,
}
"#;

const AFTER: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "account", check(name = "account_email_has_at", expr = "position('@' in email) > 0"))]
pub struct Account {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(unique, index(name = "account_email_lower_idx"))]
    pub email: String,
    pub nick: String,
    #[entity(foreign_key(Team))]
    pub team_id: i64,
}

#[derive(strata::Entity)]
#[entity(table_name = "team")]
pub struct Team {
    #[entity(primary_key, identity)]
    pub id: i64,
}
"#;

const ROWS: &str = "INSERT INTO team DEFAULT VALUES;
INSERT INTO account (email, nick, team_id) VALUES ('a@example.com', 'a', 1), ('b@example.com', 'b', 1);";

#[tokio::test(flavor = "multi_thread")]
async fn online_migrations_split_into_files_that_run_and_revert() {
    let db = TestDb::new().await;
    let project = Project::new("online", &db);
    project.write("strata.toml", "online = true\n");
    let mut steps = vec![
        Step::new("accounts", BEFORE),
        Step::new("harden_accounts", AFTER),
    ];
    steps[0].seed = Some(ROWS);

    // The online plan of the second step: one file per statement that must not run
    // in a transaction, each starting with `-- no-transaction`, in order.
    project.write_entities(BEFORE);
    assert_eq!(project.strata(&["generate", "accounts"]).code, 0);
    assert_eq!(project.strata(&["run"]).code, 0);
    db.execute(ROWS).await;
    project.write_entities(AFTER);
    let dry = project.strata(&["generate", "harden_accounts", "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry}");
    insta::assert_snapshot!("online_dry_run", dry.stdout);
    assert!(dry.stdout.contains("CREATE INDEX CONCURRENTLY"), "{dry}");
    assert!(dry.stdout.contains("NOT VALID"), "{dry}");
    assert!(dry.stdout.contains("SET LOCAL lock_timeout"), "{dry}");

    let generated = project.strata(&["generate", "harden_accounts"]);
    assert_eq!(generated.code, 0, "{generated}");
    let files = project.migration_files();
    assert!(files.len() > 4, "split into several migrations: {files:?}");
    for name in files.iter().filter(|n| n.contains("harden_accounts")) {
        let text = std::fs::read_to_string(project.dir.join("migrations").join(name))
            .expect("read migration");
        if text.starts_with("-- no-transaction") {
            let statements = text
                .lines()
                .filter(|l| !l.starts_with("--") && l.trim_end().ends_with(';'))
                .count();
            assert_eq!(statements, 1, "{name} holds one statement:\n{text}");
        }
    }
    let before = project.introspect().await;
    let ran = project.strata(&["run"]);
    assert_eq!(ran.code, 0, "{ran}");
    let after = project.introspect().await;
    let again = project.strata(&["generate", "again"]);
    assert!(again.stdout.contains("No changes"), "{again}");

    let split = files
        .iter()
        .filter(|n| n.ends_with(".up.sql") && n.contains("harden_accounts"))
        .count();
    let reverted = project.strata(&["revert", "--steps", &split.to_string()]);
    assert_eq!(reverted.code, 0, "{reverted}");
    assert_eq!(
        project.introspect().await,
        before,
        "reverting every file restores the schema"
    );
    assert_eq!(project.strata(&["run"]).code, 0);
    assert_eq!(project.introspect().await, after);
    assert_eq!(
        project
            .query_text("SELECT string_agg(email, ',' ORDER BY id) FROM account")
            .await,
        "a@example.com,b@example.com"
    );

    // The same evolution, step by step, from scratch: fixed point and exact revert.
    let db2 = TestDb::new().await;
    let fresh = Project::new("online-fresh", &db2);
    fresh.write("strata.toml", "online = true\n");
    check_evolution(&fresh, &db2, &steps, |name, text| {
        insta::assert_snapshot!(name, text)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn denied_hazards_are_refused_unless_allowed_and_fail_diff_check() {
    let db = TestDb::new().await;
    let project = Project::new("deny", &db);
    project.write_entities(BEFORE);
    assert_eq!(project.strata(&["generate", "accounts"]).code, 0);
    assert_eq!(project.strata(&["run"]).code, 0);
    project.write(
        "strata.toml",
        "deny = [\"rewrites_table\", \"builds_index\"]\n",
    );
    project.write_entities(&BEFORE.replace("pub team_id: i64,", "pub team_id: i32,"));

    let check = project.strata(&["diff", "--check"]);
    assert_eq!(check.code, 1, "{check}");
    let refused = project.strata(&["generate", "narrow_team"]);
    assert_eq!(refused.code, 2, "{refused}");
    insta::assert_snapshot!("denied", project.filter(&refused.stderr));
    let allowed = project.strata(&[
        "generate",
        "narrow_team",
        "--allow-hazard",
        "rewrites_table",
        "--allow-destructive",
    ]);
    assert_eq!(allowed.code, 0, "{allowed}");

    let bad = project.strata(&["generate", "x", "--allow-hazard", "rewrite_table"]);
    assert_eq!(bad.code, 2, "{bad}");
    assert!(
        bad.stderr.contains("rewrites_table"),
        "the error lists the valid names: {bad}"
    );

    let json = project.strata(&["diff", "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("a JSON plan");
    assert!(plan["steps"].is_array(), "{json}");
}
