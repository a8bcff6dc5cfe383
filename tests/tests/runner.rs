//! The runner against a real PostgreSQL, and its interoperability with sqlx's Migrator.
use sqlx::PgConnection;
use std::fs;
use std::path::{Path, PathBuf};
use strata_core::migrate::{
    self, history, runner, AfterFailure, Direction, MigrateError, RevertOptions, RevertScope,
    RunOptions, SelectError, State,
};
use strata_tests::TestDb;

/// A fresh directory per test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "strata_runner_{tag}_{}_{nanos}",
            std::process::id()
        ));
        fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn write(&self, name: &str, sql: &str) -> &Self {
        fs::write(self.0.join(name), sql).expect("write migration");
        self
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn pair(dir: &TempDir, version: i64, name: &str, up: &str, down: &str) {
    dir.write(&format!("{version}_{name}.up.sql"), up)
        .write(&format!("{version}_{name}.down.sql"), down);
}

async fn run_all(
    db: &TestDb,
    conn: &mut PgConnection,
    dir: &Path,
) -> Result<Vec<i64>, MigrateError> {
    let files = migrate::load_dir(dir)?;
    let done = run_with(db, conn, &files, RunOptions::default()).await?;
    Ok(done.iter().map(|d| d.version).collect())
}

async fn run_with(
    db: &TestDb,
    conn: &mut PgConnection,
    files: &[migrate::MigrationFile],
    options: RunOptions,
) -> Result<Vec<migrate::Done>, MigrateError> {
    runner::run(conn, db.connect().await, files, &options, &mut |_| {}).await
}

async fn revert_with(
    db: &TestDb,
    conn: &mut PgConnection,
    files: &[migrate::MigrationFile],
    scope: RevertScope,
) -> Result<Vec<migrate::Done>, MigrateError> {
    let options = RevertOptions::new(scope);
    runner::revert(conn, db.connect().await, files, &options, &mut |_| {}).await
}

async fn table_exists(conn: &mut PgConnection, name: &str) -> bool {
    sqlx::query_scalar::<_, bool>("SELECT to_regclass($1) IS NOT NULL")
        .bind(name)
        .fetch_one(conn)
        .await
        .expect("to_regclass")
}

async fn history_versions(conn: &mut PgConnection) -> Vec<i64> {
    history::list(conn)
        .await
        .expect("history")
        .iter()
        .map(|a| a.version)
        .collect()
}

fn two_migrations(dir: &TempDir) {
    pair(
        dir,
        20260101000001,
        "create_users",
        "-- what changed: add users\nCREATE TABLE users (\n    id bigint PRIMARY KEY,\n    email text NOT NULL\n);\n",
        "DROP TABLE users;\n",
    );
    pair(
        dir,
        20260101000002,
        "add_posts",
        "CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n\
         INSERT INTO users VALUES (1, 'a@example.com');\n",
        "DROP TABLE posts;\nDELETE FROM users WHERE id = 1;\n",
    );
}

#[tokio::test]
async fn strata_applied_migrations_are_applied_for_sqlx() {
    let db = TestDb::new().await;
    let dir = TempDir::new("strata_then_sqlx");
    two_migrations(&dir);
    let mut conn = db.connect().await;

    assert_eq!(
        run_all(&db, &mut conn, dir.path())
            .await
            .expect("strata runs"),
        vec![20260101000001, 20260101000002]
    );

    // sqlx reads the same history: same checksums, nothing left to do.
    let migrator = sqlx::migrate::Migrator::new(dir.path())
        .await
        .expect("sqlx reads strata's files");
    migrator
        .run(&mut conn)
        .await
        .expect("sqlx finds nothing to run and no checksum mismatch");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(users, 1, "sqlx must not have re-run the insert");

    let rows = history::list(&mut conn).await.expect("history");
    let ups: Vec<_> = migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .collect();
    assert_eq!(rows.len(), ups.len());
    for (row, m) in rows.iter().zip(ups) {
        assert_eq!(row.version, m.version);
        assert_eq!(row.description, m.description);
        assert_eq!(row.checksum, m.checksum.as_ref());
        assert!(row.success);
        assert!(row.execution_time > 0, "nanoseconds, as sqlx records");
    }
}

#[tokio::test]
async fn sqlx_applied_migrations_are_applied_for_strata() {
    let db = TestDb::new().await;
    let dir = TempDir::new("sqlx_then_strata");
    two_migrations(&dir);
    // A simple (irreversible) migration in sqlx's single-file format too.
    dir.write(
        "20260101000003_seed.sql",
        "INSERT INTO users VALUES (2, 'b@example.com');\n",
    );
    let mut conn = db.connect().await;

    sqlx::migrate::Migrator::new(dir.path())
        .await
        .expect("sqlx reads the files")
        .run(&mut conn)
        .await
        .expect("sqlx runs them");

    let files = migrate::load_dir(dir.path()).expect("files");
    let status = runner::status_of(&mut conn, &files).await.expect("status");
    assert_eq!(status.len(), 3);
    assert!(
        status.iter().all(|e| e.state == State::Applied),
        "{status:#?}"
    );
    assert_eq!(
        run_all(&db, &mut conn, dir.path())
            .await
            .expect("nothing to do"),
        Vec::<i64>::new()
    );

    // Reverting the simple migration is refused clearly, before anything runs.
    let err = revert_with(&db, &mut conn, &files, RevertScope::Steps(1))
        .await
        .expect_err("irreversible");
    assert!(
        matches!(err, MigrateError::Select(SelectError::Irreversible(_))),
        "{err}"
    );
    assert!(err.to_string().contains("20260101000003_seed.sql"), "{err}");
    assert_eq!(history_versions(&mut conn).await.len(), 3);
}

#[tokio::test]
async fn status_never_creates_the_history_table() {
    let db = TestDb::new().await;
    let dir = TempDir::new("status_readonly");
    two_migrations(&dir);
    let mut conn = db.connect().await;
    let files = migrate::load_dir(dir.path()).expect("files");

    let status = runner::status_of(&mut conn, &files).await.expect("status");
    assert!(status.iter().all(|e| e.state == State::Pending));
    let planned = runner::plan_run(&mut conn, &files, &RunOptions::default())
        .await
        .expect("dry run");
    assert_eq!(planned.len(), 2);
    assert!(!table_exists(&mut conn, "_sqlx_migrations").await);
    assert!(!table_exists(&mut conn, "users").await);
}

#[tokio::test]
async fn failing_migration_is_rolled_back_and_named_with_its_statement_and_line() {
    let db = TestDb::new().await;
    let dir = TempDir::new("failure");
    pair(
        &dir,
        1,
        "one",
        "CREATE TABLE one (id int);",
        "DROP TABLE one;",
    );
    pair(
        &dir,
        2,
        "two",
        "CREATE TABLE two (id int);",
        "DROP TABLE two;",
    );
    pair(
        &dir,
        3,
        "three",
        "-- header\nCREATE TABLE three (id int);\n\nINSERT INTO three (id)\nVALUES (1);\nINSERT INTO three (id)\n    SELECT nope FROM three;\n",
        "DROP TABLE three;",
    );
    pair(
        &dir,
        4,
        "four",
        "CREATE TABLE four (id int);",
        "DROP TABLE four;",
    );
    pair(
        &dir,
        5,
        "five",
        "CREATE TABLE five (id int);",
        "DROP TABLE five;",
    );
    let mut conn = db.connect().await;

    let files = migrate::load_dir(dir.path()).expect("files");
    let mut reported = Vec::new();
    let mut on_event = |e: migrate::Event<'_>| {
        if let migrate::Event::Done(d) = e {
            reported.push(d.version)
        }
    };
    let err = runner::run(
        &mut conn,
        db.connect().await,
        &files,
        &RunOptions::default(),
        &mut on_event,
    )
    .await
    .expect_err("migration 3 fails");
    assert_eq!(reported, vec![1, 2]);

    let MigrateError::Failed(failure) = &err else {
        panic!("expected a migration failure, got {err}");
    };
    assert_eq!(failure.version, 3);
    assert_eq!(failure.direction, Direction::Up);
    assert!(failure.file.ends_with("3_three.up.sql"));
    assert_eq!(
        failure.statement,
        "INSERT INTO three (id)\n    SELECT nope FROM three"
    );
    assert_eq!(failure.statement_line, 6);
    // `nope` is at line 7, column 12 of the file.
    assert_eq!(failure.error_at, Some((7, 12)));
    assert_eq!(failure.code.as_deref(), Some("42703"));
    assert_eq!(failure.after, AfterFailure::RolledBack);
    let text = err.to_string();
    assert!(text.contains("3_three.up.sql:7:12"), "{text}");
    assert!(text.contains("column \"nope\" does not exist"), "{text}");
    assert!(text.contains("rolled back"), "{text}");

    // 1 and 2 applied; nothing of 3 (neither its table nor its row); 4 and 5 untouched.
    assert_eq!(history_versions(&mut conn).await, vec![1, 2]);
    assert!(table_exists(&mut conn, "one").await);
    assert!(table_exists(&mut conn, "two").await);
    assert!(!table_exists(&mut conn, "three").await);
    assert!(!table_exists(&mut conn, "four").await);
}

#[tokio::test]
async fn failure_without_a_position_still_names_the_statement() {
    let db = TestDb::new().await;
    let dir = TempDir::new("no_position");
    pair(
        &dir,
        1,
        "dup",
        "CREATE TABLE t (id int);\nCREATE TABLE t (id int);\n",
        "DROP TABLE t;",
    );
    let mut conn = db.connect().await;
    let err = run_all(&db, &mut conn, dir.path())
        .await
        .expect_err("duplicate table");
    let MigrateError::Failed(failure) = &err else {
        panic!("expected a migration failure, got {err}");
    };
    assert_eq!(failure.statement_line, 2);
    assert_eq!(failure.error_at, None);
    assert!(err.to_string().contains("1_dup.up.sql:2"), "{err}");
    assert!(!table_exists(&mut conn, "t").await);
}

#[tokio::test]
async fn modified_or_missing_applied_migrations_stop_everything() {
    let db = TestDb::new().await;
    let dir = TempDir::new("modified");
    two_migrations(&dir);
    let mut conn = db.connect().await;
    run_all(&db, &mut conn, dir.path())
        .await
        .expect("first run");

    let up = dir.path().join("20260101000001_create_users.up.sql");
    fs::write(&up, "CREATE TABLE users (id bigint);\n").expect("edit");
    pair(
        &dir,
        20260101000003,
        "more",
        "CREATE TABLE more (id int);",
        "DROP TABLE more;",
    );
    let err = run_all(&db, &mut conn, dir.path())
        .await
        .expect_err("modified");
    let text = err.to_string();
    assert!(
        text.contains("20260101000001_create_users.up.sql"),
        "{text}"
    );
    let files = migrate::load_dir(dir.path()).expect("files");
    let applied = history::list(&mut conn).await.expect("history");
    assert!(
        text.contains(&migrate::checksum::hex(&files[0].checksum)),
        "{text}"
    );
    assert!(
        text.contains(&migrate::checksum::hex(&applied[0].checksum)),
        "{text}"
    );
    assert!(!table_exists(&mut conn, "more").await, "nothing may run");

    fs::remove_file(&up).expect("remove");
    fs::remove_file(dir.path().join("20260101000001_create_users.down.sql")).expect("remove");
    let err = run_all(&db, &mut conn, dir.path())
        .await
        .expect_err("missing");
    assert!(err.to_string().contains("missing"), "{err}");
    assert!(!table_exists(&mut conn, "more").await);
}

#[tokio::test]
async fn revert_undoes_the_latest_by_steps_and_target() {
    let db = TestDb::new().await;
    let dir = TempDir::new("revert");
    pair(
        &dir,
        1,
        "one",
        "CREATE TABLE one (id int);",
        "DROP TABLE one;",
    );
    pair(
        &dir,
        2,
        "two",
        "CREATE TABLE two (id int);",
        "DROP TABLE two;",
    );
    pair(
        &dir,
        3,
        "three",
        "CREATE TABLE three (id int);",
        "DROP TABLE three;",
    );
    let mut conn = db.connect().await;
    run_all(&db, &mut conn, dir.path()).await.expect("run");
    let files = migrate::load_dir(dir.path()).expect("files");

    let planned = runner::plan_revert(
        &mut conn,
        &files,
        &RevertOptions::new(RevertScope::Steps(1)),
    )
    .await
    .expect("dry run");
    assert_eq!(
        planned.iter().map(|m| m.version).collect::<Vec<_>>(),
        vec![3]
    );
    assert!(
        table_exists(&mut conn, "three").await,
        "dry run changes nothing"
    );

    let done = revert_with(&db, &mut conn, &files, RevertScope::Steps(1))
        .await
        .expect("revert one");
    assert_eq!(done.len(), 1);
    assert!(done[0].file.ends_with("3_three.down.sql"));
    assert!(!table_exists(&mut conn, "three").await);
    assert_eq!(history_versions(&mut conn).await, vec![1, 2]);

    revert_with(&db, &mut conn, &files, RevertScope::Target(0))
        .await
        .expect("revert all");
    assert_eq!(history_versions(&mut conn).await, Vec::<i64>::new());
    assert!(!table_exists(&mut conn, "one").await);

    // And forward again only up to a target.
    let options = RunOptions {
        target: Some(2),
        ..RunOptions::default()
    };
    let done = run_with(&db, &mut conn, &files, options)
        .await
        .expect("run to 2");
    assert_eq!(
        done.iter().map(|d| d.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(!table_exists(&mut conn, "three").await);
}

#[tokio::test]
async fn failing_down_file_is_rolled_back_and_keeps_the_history_row() {
    let db = TestDb::new().await;
    let dir = TempDir::new("bad_down");
    pair(
        &dir,
        1,
        "one",
        "CREATE TABLE one (id int);",
        "DROP TABLE one;\nDROP TABLE not_there;",
    );
    let mut conn = db.connect().await;
    run_all(&db, &mut conn, dir.path()).await.expect("run");
    let files = migrate::load_dir(dir.path()).expect("files");
    let err = revert_with(&db, &mut conn, &files, RevertScope::Steps(1))
        .await
        .expect_err("down fails");
    assert!(err.to_string().contains("1_one.down.sql:2"), "{err}");
    assert!(
        table_exists(&mut conn, "one").await,
        "the drop was rolled back"
    );
    assert_eq!(history_versions(&mut conn).await, vec![1]);
}

#[tokio::test]
async fn no_transaction_migrations_run_outside_a_transaction() {
    let db = TestDb::new().await;
    let dir = TempDir::new("no_tx");
    pair(&dir, 1, "table", "CREATE TABLE t (a int);", "DROP TABLE t;");
    pair(
        &dir,
        2,
        "index",
        "-- no-transaction\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n",
        "-- no-transaction\nDROP INDEX CONCURRENTLY t_a_idx;\n",
    );
    let mut conn = db.connect().await;
    run_all(&db, &mut conn, dir.path())
        .await
        .expect("CONCURRENTLY needs no transaction");
    assert!(table_exists(&mut conn, "t_a_idx").await);

    // sqlx agrees about the no-transaction file's checksum.
    sqlx::migrate::Migrator::new(dir.path())
        .await
        .expect("sqlx reads")
        .run(&mut conn)
        .await
        .expect("nothing to do for sqlx");

    let files = migrate::load_dir(dir.path()).expect("files");
    revert_with(&db, &mut conn, &files, RevertScope::Steps(1))
        .await
        .expect("revert concurrently");
    assert!(!table_exists(&mut conn, "t_a_idx").await);
}

#[tokio::test]
async fn failure_report_carries_postgres_detail_and_hint() {
    let db = TestDb::new().await;
    let dir = TempDir::new("detail_hint");
    pair(
        &dir,
        1,
        "dup_key",
        "CREATE TABLE k (id int PRIMARY KEY);\nINSERT INTO k VALUES (1);\nINSERT INTO k VALUES (1);\n",
        "DROP TABLE k;",
    );
    pair(&dir, 2, "no_fn", "SELECT no_such_fn(1);", "");
    let mut conn = db.connect().await;

    let err = run_all(&db, &mut conn, dir.path())
        .await
        .expect_err("unique violation");
    let MigrateError::Failed(failure) = &err else {
        panic!("expected a migration failure, got {err}");
    };
    assert_eq!(failure.code.as_deref(), Some("23505"));
    assert_eq!(failure.statement_line, 3);
    let detail = failure.detail.as_deref().unwrap_or("");
    assert!(detail.contains("Key (id)=(1) already exists"), "{detail}");
    assert!(err.to_string().contains("detail: Key (id)=(1)"), "{err}");

    fs::write(
        dir.path().join("1_dup_key.up.sql"),
        "CREATE TABLE k (id int);",
    )
    .expect("fix");
    let err = run_all(&db, &mut conn, dir.path())
        .await
        .expect_err("missing function");
    let MigrateError::Failed(failure) = &err else {
        panic!("expected a migration failure, got {err}");
    };
    assert_eq!(failure.version, 2);
    assert_eq!(failure.error_at, Some((1, 8)));
    assert!(failure.hint.is_some(), "{err}");
    assert!(err.to_string().contains("hint: "), "{err}");
    assert_eq!(history_versions(&mut conn).await, vec![1]);
}

#[tokio::test]
async fn failing_no_transaction_migration_is_recorded_as_failed_until_resolved() {
    let db = TestDb::new().await;
    let dir = TempDir::new("no_tx_failure");
    pair(
        &dir,
        1,
        "index",
        "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON missing_table (a);\n",
        "",
    );
    pair(
        &dir,
        2,
        "after",
        "CREATE TABLE after (a int);",
        "DROP TABLE after;",
    );
    let mut conn = db.connect().await;
    let err = run_all(&db, &mut conn, dir.path())
        .await
        .expect_err("no table");
    let MigrateError::Failed(failure) = &err else {
        panic!("expected a migration failure, got {err}");
    };
    assert_eq!(
        failure.after,
        AfterFailure::RecordedAsFailed { completed: vec![] }
    );
    let text = err.to_string();
    assert!(text.contains("outside a transaction"), "{text}");
    assert!(text.contains("strata resolve 1 --rolled-back"), "{text}");
    // Recorded as sqlx records a dirty version: success = false.
    let rows = history::list(&mut conn).await.expect("history");
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].success);

    // The next run refuses before running anything, and so does sqlx.
    let err = run_all(&db, &mut conn, dir.path())
        .await
        .expect_err("dirty");
    assert!(err.to_string().contains("recorded as failed"), "{err}");
    assert!(!table_exists(&mut conn, "after").await);
    // On its own connection: sqlx 0.8 returns `Dirty` without releasing its advisory
    // lock, which would otherwise stay held by this test's connection.
    let mut sqlx_conn = db.connect().await;
    let sqlx_err = sqlx::migrate::Migrator::new(dir.path())
        .await
        .expect("sqlx reads")
        .run(&mut sqlx_conn)
        .await
        .expect_err("sqlx sees the dirty version");
    drop(sqlx_conn);
    assert!(
        matches!(sqlx_err, sqlx::migrate::MigrateError::Dirty(1)),
        "{sqlx_err}"
    );

    // A person says nothing of it remains; fixed, it runs again.
    let files = migrate::load_dir(dir.path()).expect("files");
    migrate::repair::repair(
        &mut conn,
        db.connect().await,
        &files,
        1,
        migrate::Repair::ResolveRolledBack,
        runner::DEFAULT_LOCK_WAIT,
        &mut |_| {},
    )
    .await
    .expect("resolve");
    dir.write(
        "1_index.up.sql",
        "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON after (a);\n",
    );
    fs::rename(
        dir.path().join("2_after.up.sql"),
        dir.path().join("0_after.up.sql"),
    )
    .expect("mv");
    fs::rename(
        dir.path().join("2_after.down.sql"),
        dir.path().join("0_after.down.sql"),
    )
    .expect("mv");
    assert_eq!(
        run_all(&db, &mut conn, dir.path()).await.expect("runs"),
        vec![0, 1]
    );
    let rows = history::list(&mut conn).await.expect("history");
    assert!(rows.iter().all(|r| r.success), "{rows:?}");
}
