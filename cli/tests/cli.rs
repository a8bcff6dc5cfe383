//! The `strata` binary end to end: a temp project directory, a fresh database per test.

mod support;

use strata_tests::TestDb;
use support::Project;

async fn table_exists(db: &TestDb, name: &str) -> bool {
    let mut conn = db.connect().await;
    sqlx::query_scalar::<_, bool>("SELECT to_regclass($1) IS NOT NULL")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .expect("to_regclass")
}

#[tokio::test]
async fn create_run_status_revert() {
    let db = TestDb::new().await;
    let p = Project::new("lifecycle", &db);

    let created = p.strata(&["create", "add_users"]);
    assert_eq!(created.code, 0, "{created:?}");
    insta::assert_snapshot!("create", p.filter(&created.stdout));
    let files = p.migration_files();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files[0].ends_with("_add_users.down.sql") && files[1].ends_with("_add_users.up.sql"));
    let version: i64 = files[0]
        .split('_')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("numeric version");
    assert_eq!(version.to_string().len(), 14, "YYYYMMDDHHMMSS");

    // Fill the pair in, and add a second migration by hand.
    p.write(
        &format!("migrations/{}", files[1]),
        "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    );
    p.write(&format!("migrations/{}", files[0]), "DROP TABLE users;\n");
    p.migration(
        version + 1,
        "add_posts",
        "CREATE TABLE posts (id bigint PRIMARY KEY);\n",
        "DROP TABLE posts;\n",
    );

    let status = p.strata(&["status"]);
    assert_eq!(status.code, 1, "pending → exit 1: {status:?}");
    insta::assert_snapshot!("status_pending", p.filter(&status.stdout));

    let dry = p.strata(&["run", "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(dry.stdout.contains("CREATE TABLE posts"), "{dry:?}");
    assert!(!table_exists(&db, "users").await, "dry run changes nothing");

    let run = p.strata(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!("run", p.filter(&run.stdout));
    assert!(table_exists(&db, "posts").await);

    let status = p.strata(&["status"]);
    assert_eq!(status.code, 0, "all applied → exit 0: {status:?}");
    insta::assert_snapshot!("status_applied", p.filter(&status.stdout));

    let json = p.strata(&["status", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("status --json");
    assert_eq!(value["clean"], serde_json::json!(true));
    assert_eq!(value["migrations"][1]["state"], "applied");

    let revert = p.strata(&["revert"]);
    assert_eq!(revert.code, 0, "{revert:?}");
    insta::assert_snapshot!("revert", p.filter(&revert.stdout));
    assert!(!table_exists(&db, "posts").await);
    assert!(table_exists(&db, "users").await);

    let status = p.strata(&["status"]);
    assert_eq!(status.code, 1, "{status:?}");

    // Editing an applied migration makes status report it, with both checksums.
    p.write(
        &format!("migrations/{}", files[1]),
        "CREATE TABLE users (id int PRIMARY KEY);\n",
    );
    let status = p.strata(&["status"]);
    assert_eq!(status.code, 1, "{status:?}");
    assert!(status.stdout.contains("modified"), "{status:?}");
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains(&files[1]), "{run:?}");
}

#[tokio::test]
async fn failing_migration_exits_2_naming_file_statement_and_line() {
    let db = TestDb::new().await;
    let p = Project::new("failure", &db);
    p.migration(1, "one", "CREATE TABLE one (id int);", "DROP TABLE one;");
    p.migration(2, "two", "CREATE TABLE two (id int);", "DROP TABLE two;");
    p.migration(
        3,
        "three",
        "-- three fails half way\nCREATE TABLE three (id int);\nINSERT INTO three (id)\n    VALUES ('not a number');\n",
        "DROP TABLE three;",
    );
    p.migration(4, "four", "CREATE TABLE four (id int);", "DROP TABLE four;");
    p.migration(5, "five", "CREATE TABLE five (id int);", "DROP TABLE five;");

    let run = p.strata(&["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    insta::assert_snapshot!(
        "failure",
        p.filter(&format!("{}--- stderr\n{}", run.stdout, run.stderr))
    );
    assert!(run.stderr.contains("3_three.up.sql:4:13"), "{run:?}");
    assert!(table_exists(&db, "two").await);
    assert!(!table_exists(&db, "three").await);

    let status = p.strata(&["status"]);
    assert_eq!(status.code, 1);
    insta::assert_snapshot!("failure_status", p.filter(&status.stdout));
}

#[test]
fn connection_errors_never_print_the_password() {
    let p = Project::bare("redaction");
    for url in [
        "postgres://strata:Hunter2Secret@nonexistent-host.invalid:5432/app",
        "postgres://strata:Hunter2Secret@127.0.0.1:1/app",
        "postgres://strata@127.0.0.1:1/app?password=Hunter2Secret",
        "postgres://strata:Hunter2Secret@127.0.0.1:notaport/app",
    ] {
        let run = p.strata(&["--database-url", url, "status"]);
        assert_eq!(run.code, 2, "{run:?}");
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            !all.contains("Hunter2Secret"),
            "password leaked for {url}: {run:?}"
        );
        assert!(run.stderr.starts_with("error: "), "{run:?}");
        assert!(
            run.stderr.contains("***") || run.stderr.contains("invalid"),
            "{run:?}"
        );
    }
    let run = p.strata(&[
        "--database-url",
        "postgres://strata:Hunter2Secret@127.0.0.1:1/app",
        "status",
    ]);
    insta::assert_snapshot!(
        "refused_connection",
        run.stderr.lines().next().unwrap_or("")
    );
}

#[test]
fn unknown_config_key_is_an_error_naming_file_and_key() {
    let p = Project::bare("bad_config");
    p.write(
        "strata.toml",
        "migrations = \"db\"\nexclude_tables = [\"x\"]\n",
    );
    let run = p.strata(&["create", "x"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("strata.toml"), "{run:?}");
    assert!(run.stderr.contains("exclude_tables"), "{run:?}");
    assert!(p.migration_files().is_empty(), "nothing written");
    insta::assert_snapshot!("bad_config", p.filter(&run.stderr));
}

#[test]
fn config_sets_the_migrations_directory_and_flags_override_it() {
    let p = Project::bare("config_dir");
    p.write("strata.toml", "migrations = \"db/migrations\"\n");
    let run = p.strata(&["create", "first"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read_dir(p.dir.join("db/migrations"))
            .map(|d| d.count())
            .unwrap_or(0),
        2
    );
    let run = p.strata(&["--migrations", "other", "create", "second"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read_dir(p.dir.join("other"))
            .map(|d| d.count())
            .unwrap_or(0),
        2
    );
}

#[test]
fn bad_migration_name_says_what_is_wrong() {
    let p = Project::bare("bad_name");
    let run = p.strata(&["create", "add-users"]);
    assert_eq!(run.code, 2, "{run:?}");
    insta::assert_snapshot!("bad_name", run.stderr);
    assert!(!p.dir.join("migrations").exists());
}

#[tokio::test]
async fn database_url_is_read_from_dotenv() {
    let db = TestDb::new().await;
    let p = Project::bare("dotenv");
    p.write(".env", &format!("DATABASE_URL={}\n", db.url));
    p.migration(1, "one", "CREATE TABLE one (id int);", "DROP TABLE one;");
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(table_exists(&db, "one").await);
}

#[tokio::test]
async fn revert_of_a_simple_migration_is_refused() {
    let db = TestDb::new().await;
    let p = Project::new("simple", &db);
    p.write("migrations/1_seed.sql", "CREATE TABLE seed (id int);\n");
    assert_eq!(p.strata(&["run"]).code, 0);
    let run = p.strata(&["revert", "--dry-run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("1_seed.sql") && run.stderr.contains("cannot be reverted"),
        "{run:?}"
    );
    assert!(table_exists(&db, "seed").await);
}

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    // `strata ... | head` closes the pipe early: no panic, no error, exit 0. The pipe is
    // closed before the binary has started, so its first write fails.
    let p = Project::bare("broken_pipe");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(&p.dir)
        .args(["create", "first"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start strata");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for strata");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
