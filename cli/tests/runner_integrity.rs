//! `strata run` refuses to work on a history it cannot trust, says why and what to
//! do; repairs (`resolve`, `mark-applied`, `unmark`), `baseline`, timeouts, the lock
//! wait and `--json`, end to end with the real binary.

mod support;

use sqlx::Executor;
use strata_tests::TestDb;
use support::{Output, Project};

async fn table_exists(db: &TestDb, name: &str) -> bool {
    let mut conn = db.connect().await;
    sqlx::query_scalar::<_, bool>("SELECT to_regclass($1) IS NOT NULL")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .expect("to_regclass")
}

async fn history(db: &TestDb) -> Vec<(i64, bool)> {
    let mut conn = db.connect().await;
    sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .expect("history")
}

/// stdout and stderr, made stable for a snapshot.
fn both(p: &Project, out: &Output) -> String {
    p.filter(&format!("{}--- stderr\n{}", out.stdout, out.stderr))
}

/// `pid 1234` → `pid [N]`, and the same after the other markers of changing numbers.
fn without_pids(text: &str) -> String {
    let mut text = text.to_string();
    for marker in ["pid ", "pg_terminate_backend(", "connected "] {
        let mut out = String::new();
        let mut s = text.as_str();
        while let Some(i) = s.find(marker) {
            out.push_str(&s[..i + marker.len()]);
            s = &s[i + marker.len()..];
            let digits = s.chars().take_while(char::is_ascii_digit).count();
            if digits > 0 {
                out.push_str("[N]");
                s = &s[digits..];
            }
        }
        out.push_str(s);
        text = out;
    }
    text
}

fn three(p: &Project) {
    p.migration(
        1,
        "one",
        "CREATE TABLE one (id int);\n",
        "DROP TABLE one;\n",
    );
    p.migration(
        2,
        "two",
        "CREATE TABLE two (id int);\n",
        "DROP TABLE two;\n",
    );
    p.migration(
        3,
        "three",
        "CREATE TABLE three (id int);\n",
        "DROP TABLE three;\n",
    );
}

#[tokio::test]
async fn a_modified_applied_migration_stops_run_with_both_checksums() {
    let db = TestDb::new().await;
    let p = Project::new("modified", &db);
    three(&p);
    assert_eq!(p.strata(&["run", "--target", "2"]).code, 0);
    p.write("migrations/2_two.up.sql", "CREATE TABLE two (id bigint);\n");
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 2, "{run}");
    insta::assert_snapshot!("integrity_modified", both(&p, &run));
    assert!(!table_exists(&db, "three").await, "nothing ran");
}

#[tokio::test]
async fn an_applied_migration_whose_file_is_gone_stops_run_until_unmarked() {
    let db = TestDb::new().await;
    let p = Project::new("missing", &db);
    three(&p);
    assert_eq!(p.strata(&["run", "--target", "2"]).code, 0);
    std::fs::remove_file(p.dir.join("migrations/2_two.up.sql")).expect("rm");
    std::fs::remove_file(p.dir.join("migrations/2_two.down.sql")).expect("rm");
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 2, "{run}");
    insta::assert_snapshot!("integrity_missing", both(&p, &run));
    assert!(!table_exists(&db, "three").await, "nothing ran");

    // The way out the message names.
    let unmark = p.strata(&["unmark", "2"]);
    assert_eq!(unmark.code, 0, "{unmark}");
    insta::assert_snapshot!("unmark", both(&p, &unmark));
    assert_eq!(p.strata(&["run"]).code, 0);
    assert_eq!(history(&db).await, vec![(1, true), (3, true)]);
}

#[tokio::test]
async fn a_pending_migration_older_than_the_newest_applied_is_refused_unless_allowed() {
    let db = TestDb::new().await;
    let p = Project::new("out_of_order", &db);
    p.migration(
        1,
        "one",
        "CREATE TABLE one (id int);\n",
        "DROP TABLE one;\n",
    );
    p.migration(
        3,
        "three",
        "CREATE TABLE three (id int);\n",
        "DROP TABLE three;\n",
    );
    assert_eq!(p.strata(&["run"]).code, 0);
    // A branch merged late brings version 2.
    p.migration(
        2,
        "two",
        "CREATE TABLE two (id int);\n",
        "DROP TABLE two;\n",
    );
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 2, "{run}");
    insta::assert_snapshot!("integrity_out_of_order", both(&p, &run));
    assert!(!table_exists(&db, "two").await);

    let status = p.strata(&["status"]);
    assert_eq!(status.code, 1, "{status}");
    insta::assert_snapshot!("status_out_of_order", both(&p, &status));

    let run = p.strata(&["run", "--allow-out-of-order"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(table_exists(&db, "two").await);
    assert_eq!(history(&db).await, vec![(1, true), (2, true), (3, true)]);
}

#[tokio::test]
async fn a_bad_header_is_refused_before_anything_runs() {
    let db = TestDb::new().await;
    let p = Project::new("bad_header", &db);
    p.migration(
        1,
        "one",
        "CREATE TABLE one (id int);\n",
        "DROP TABLE one;\n",
    );
    p.migration(
        2,
        "two",
        "-- creates two\n-- strata: statment_timeout = 5s\nCREATE TABLE two (id int);\n",
        "DROP TABLE two;\n",
    );
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 2, "{run}");
    insta::assert_snapshot!("bad_header", both(&p, &run));
    assert!(
        !table_exists(&db, "one").await,
        "not even the valid first one"
    );
}

#[tokio::test]
async fn statement_timeout_from_the_header_or_strata_toml_stops_a_slow_statement() {
    let db = TestDb::new().await;
    let p = Project::new("statement_timeout", &db);
    p.migration(
        1,
        "slow",
        "-- strata: statement_timeout = 200ms\nCREATE TABLE slow (id int);\nSELECT pg_sleep(5);\n",
        "DROP TABLE slow;\n",
    );
    let start = std::time::Instant::now();
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        start.elapsed().as_secs() < 4,
        "the timeout cut the sleep short"
    );
    insta::assert_snapshot!("statement_timeout", both(&p, &run));
    assert!(!table_exists(&db, "slow").await);

    // The same limit from strata.toml for this version, with the header removed.
    p.write(
        "migrations/1_slow.up.sql",
        "CREATE TABLE slow (id int);\nSELECT pg_sleep(5);\n",
    );
    p.write(
        "strata.toml",
        "[run.versions.1]\nstatement_timeout = \"200ms\"\n",
    );
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("statement timeout"), "{run}");
    assert!(
        run.stderr.contains("ran with: statement_timeout = 200ms"),
        "{run}"
    );

    // The setting is local to the migration: the next one runs with the default.
    p.write("strata.toml", "");
    p.write("migrations/1_slow.up.sql", "CREATE TABLE slow (id int);\n");
    p.migration(
        2,
        "reads",
        "CREATE TABLE reads AS SELECT current_setting('statement_timeout') AS v;\n",
        "DROP TABLE reads;\n",
    );
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(p.query_text("SELECT v FROM reads").await, "0");
}

#[tokio::test]
async fn lock_timeout_from_the_header_gives_up_on_a_locked_table() {
    let db = TestDb::new().await;
    let p = Project::new("lock_timeout", &db);
    db.execute("CREATE TABLE busy (id int);").await;
    p.migration(
        1,
        "alter_busy",
        "-- no-transaction\n-- strata: lock_timeout = 200ms\nALTER TABLE busy ADD COLUMN note text;\n",
        "ALTER TABLE busy DROP COLUMN note;\n",
    );
    // Another session holds a lock on the table for the whole test.
    let mut holder = db.connect().await;
    holder
        .execute("BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE;")
        .await
        .expect("lock");
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("SQLSTATE 55P03"), "{run}");
    assert!(run.stderr.contains("lock_timeout = 200ms"), "{run}");
    // No-transaction: recorded as failed, and the session's setting was restored.
    assert_eq!(history(&db).await, vec![(1, false)]);
    holder.execute("ROLLBACK").await.expect("unlock");
}

#[tokio::test]
async fn a_failed_no_transaction_migration_blocks_run_until_resolved() {
    let db = TestDb::new().await;
    let p = Project::new("resolve", &db);
    db.execute("CREATE TABLE users (email text); INSERT INTO users VALUES ('a'), ('a');")
        .await;
    p.migration(
        1,
        "unique_email",
        "-- no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n",
        "-- no-transaction\nDROP INDEX CONCURRENTLY users_email_key;\n",
    );
    p.migration(
        2,
        "after",
        "CREATE TABLE after (id int);\n",
        "DROP TABLE after;\n",
    );
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 2, "{run}");
    insta::assert_snapshot!("no_transaction_failure", both(&p, &run));
    assert_eq!(history(&db).await, vec![(1, false)]);
    // PostgreSQL left the INVALID index the message talks about.
    assert_eq!(
        p.query_text(
            "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'users_email_key'::regclass"
        )
        .await,
        "false"
    );

    let again = p.strata(&["run"]);
    assert_eq!(again.code, 2, "{again}");
    insta::assert_snapshot!("integrity_failed", both(&p, &again));
    assert!(!table_exists(&db, "after").await);

    let status = p.strata(&["status", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&status.stdout).expect("json");
    assert_eq!(value["migrations"][0]["state"], "failed");

    let refused = p.strata(&["resolve", "2", "--applied"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(refused.stderr.contains("not recorded"), "{refused}");

    // The person repairs the data and the leftover, then says nothing of it remains.
    db.execute("DROP INDEX users_email_key; DELETE FROM users;")
        .await;
    let resolved = p.strata(&["resolve", "1", "--rolled-back"]);
    assert_eq!(resolved.code, 0, "{resolved}");
    insta::assert_snapshot!("resolve_rolled_back", both(&p, &resolved));
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(history(&db).await, vec![(1, true), (2, true)]);
}

#[tokio::test]
async fn a_failed_no_transaction_down_file_leaves_the_migration_failed_not_forgotten() {
    let db = TestDb::new().await;
    let p = Project::new("down_no_tx", &db);
    p.migration(1, "table", "CREATE TABLE t (a int);\n", "DROP TABLE t;\n");
    p.migration(
        2,
        "index",
        "-- no-transaction\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n",
        "-- no-transaction\nDROP INDEX CONCURRENTLY t_a_idx_typo;\n",
    );
    assert_eq!(p.strata(&["run"]).code, 0);
    let revert = p.strata(&["revert"]);
    assert_eq!(revert.code, 2, "{revert}");
    insta::assert_snapshot!("no_transaction_down_failure", both(&p, &revert));
    assert_eq!(history(&db).await, vec![(1, true), (2, false)]);
    assert!(
        table_exists(&db, "t_a_idx").await,
        "the index is still there"
    );

    // Nothing of the down file happened: the database is as after the up file.
    let resolved = p.strata(&["resolve", "2", "--applied"]);
    assert_eq!(resolved.code, 0, "{resolved}");
    p.write(
        "migrations/2_index.down.sql",
        "-- no-transaction\nDROP INDEX CONCURRENTLY t_a_idx;\n",
    );
    let revert = p.strata(&["revert"]);
    assert_eq!(revert.code, 0, "{revert}");
    assert!(!table_exists(&db, "t_a_idx").await);
    assert_eq!(history(&db).await, vec![(1, true)]);
}

#[tokio::test]
async fn mark_applied_records_without_running() {
    let db = TestDb::new().await;
    let p = Project::new("mark_applied", &db);
    three(&p);
    db.execute("CREATE TABLE one (id int);").await;
    let marked = p.strata(&["mark-applied", "1"]);
    assert_eq!(marked.code, 0, "{marked}");
    insta::assert_snapshot!("mark_applied", both(&p, &marked));
    let twice = p.strata(&["mark-applied", "1"]);
    assert_eq!(twice.code, 2, "{twice}");
    assert!(twice.stderr.contains("already recorded"), "{twice}");
    let unknown = p.strata(&["mark-applied", "9"]);
    assert_eq!(unknown.code, 2, "{unknown}");
    assert!(
        unknown.stderr.contains("no migration file with version 9"),
        "{unknown}"
    );

    let run = p.strata(&["run"]);
    assert_eq!(run.code, 0, "one is not created twice: {run}");
    assert_eq!(history(&db).await, vec![(1, true), (2, true), (3, true)]);
    let execution_time: i64 = {
        let mut conn = db.connect().await;
        sqlx::query_scalar("SELECT execution_time FROM _sqlx_migrations WHERE version = 1")
            .fetch_one(&mut conn)
            .await
            .expect("row")
    };
    assert_eq!(execution_time, 0, "0 marks a migration strata did not run");
}

#[tokio::test]
async fn status_never_creates_the_history_table() {
    let db = TestDb::new().await;
    let p = Project::new("status_readonly", &db);
    three(&p);
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["run", "--dry-run"],
        &["revert", "--dry-run"],
    ] {
        let out = p.strata(args);
        assert_ne!(out.code, 2, "{args:?}: {out}");
        assert!(
            !table_exists(&db, "_sqlx_migrations").await,
            "{args:?} created the history table"
        );
    }
}

#[tokio::test]
async fn json_documents_for_run_revert_and_status() {
    let db = TestDb::new().await;
    let p = Project::new("json", &db);
    three(&p);
    p.migration(
        4,
        "four",
        "CREATE TABLE four (id int);\nINSERT INTO four VALUES ('x');\n",
        "DROP TABLE four;\n",
    );
    let run = p.strata(&["run", "--json"]);
    assert_eq!(run.code, 2, "{run}");
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("run --json");
    let versions: Vec<i64> = value["applied"]
        .as_array()
        .expect("applied")
        .iter()
        .map(|a| a["version"].as_i64().expect("version"))
        .collect();
    assert_eq!(versions, vec![1, 2, 3]);
    assert_eq!(value["error"]["kind"], "migration_failed");
    let failure = &value["error"]["failure"];
    assert_eq!(failure["version"], 4);
    assert_eq!(failure["statement_line"], 2);
    assert_eq!(failure["code"], "22P02");
    assert_eq!(failure["after"]["state"], "rolled_back");
    assert!(run
        .stderr
        .starts_with("error: migration migrations/4_four.up.sql failed"));

    let status = p.strata(&["status", "--json"]);
    assert_eq!(status.code, 1);
    let value: serde_json::Value = serde_json::from_str(&status.stdout).expect("status --json");
    assert_eq!(value["clean"], false);
    assert_eq!(value["migrations"][3]["state"], "pending");

    let revert = p.strata(&["revert", "--steps", "2", "--json"]);
    assert_eq!(revert.code, 0, "{revert}");
    let value: serde_json::Value = serde_json::from_str(&revert.stdout).expect("revert --json");
    assert_eq!(value["reverted"][0]["version"], 3);
    assert_eq!(value["reverted"][1]["version"], 2);
    assert!(revert.stderr.is_empty(), "{revert}");
}

#[tokio::test]
async fn a_held_migration_lock_is_waited_for_then_given_up_on() {
    let db = TestDb::new().await;
    let p = Project::new("lock_wait", &db);
    three(&p);
    // What `sqlx::migrate!()` in a running app would hold.
    let key = strata_core::migrate::history::lock_id(&db.name);
    let mut app = db.connect().await;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(key)
        .execute(&mut app)
        .await
        .expect("lock");

    let start = std::time::Instant::now();
    let run = p.strata(&["run", "--lock-timeout", "1s"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(start.elapsed() >= std::time::Duration::from_secs(1));
    insta::assert_snapshot!("lock_timeout", without_pids(&both(&p, &run)));
    assert!(!table_exists(&db, "one").await);

    // Released while a run waits: it goes on.
    let bin = env!("CARGO_BIN_EXE_strata");
    let child = std::process::Command::new(bin)
        .current_dir(&p.dir)
        .args(["--database-url", &db.url, "run", "--lock-timeout", "30s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .execute(&mut app)
        .await
        .expect("unlock");
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("waiting for the migration lock"),
        "{stderr}"
    );
    assert_eq!(history(&db).await.len(), 3);
}

const HAND_BUILT: &str = r#"
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email varchar(320) NOT NULL UNIQUE,
    mood mood NOT NULL DEFAULT 'happy'
);
CREATE TABLE posts (
    id bigint PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title text NOT NULL CHECK (title <> '')
);
CREATE INDEX posts_user_id_idx ON posts (user_id);
"#;

#[tokio::test]
async fn baseline_adopts_a_hand_built_database() {
    let db = TestDb::new().await;
    db.execute(HAND_BUILT).await;
    let p = Project::new("baseline", &db);
    let out = p.strata(&["baseline", "adopt"]);
    assert_eq!(out.code, 0, "{out}");
    insta::assert_snapshot!("baseline", both(&p, &out));
    let (up, down) = p.latest_migrations(1);
    insta::assert_snapshot!("baseline_up", up);
    insta::assert_snapshot!("baseline_down", down);

    let status = p.strata(&["status"]);
    assert_eq!(status.code, 0, "recorded as applied: {status}");
    assert_eq!(p.strata(&["run"]).stdout.trim(), "No pending migrations.");

    // A second baseline is refused: the history has begun.
    let again = p.strata(&["baseline", "again"]);
    assert_eq!(again.code, 2, "{again}");
    assert!(
        again.stderr.contains("already holds 1 migration"),
        "{again}"
    );

    // On a new database the baseline builds the same schema.
    let fresh = TestDb::new().await;
    let q = Project::new("baseline_fresh", &fresh);
    for name in p.migration_files() {
        let text = std::fs::read_to_string(p.dir.join("migrations").join(&name)).expect("read");
        q.write(&format!("migrations/{name}"), &text);
    }
    let run = q.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(q.introspect().await, p.introspect().await);
    // And its down file removes it all.
    assert_eq!(q.strata(&["revert"]).code, 0);
    assert!(!table_exists(&fresh, "users").await);
}

#[tokio::test]
async fn baseline_of_an_empty_database_is_refused() {
    let db = TestDb::new().await;
    let p = Project::new("baseline_empty", &db);
    let out = p.strata(&["baseline", "adopt"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("nothing to baseline"), "{out}");
    assert!(p.migration_files().is_empty());
    assert!(!table_exists(&db, "_sqlx_migrations").await);
}
