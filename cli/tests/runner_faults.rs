//! `strata run` under the faults production brings: replicas starting at once, deploys
//! killing it half-way, a backend terminated by an operator.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use strata_tests::TestDb;
use support::Project;

fn spawn_run(p: &Project, db: &TestDb) -> Child {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(&p.dir)
        .env_remove("DATABASE_URL")
        .args(["--database-url", &db.url, "run", "--lock-timeout", "60s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn strata run")
}

async fn scalar_i64(db: &TestDb, sql: &str) -> i64 {
    let mut conn = db.connect().await;
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_runs_at_once_apply_each_of_30_migrations_exactly_once() {
    let db = TestDb::new().await;
    let p = Project::new("concurrent", &db);
    p.migration(
        1,
        "log",
        "CREATE TABLE applied_log (version int NOT NULL);\nINSERT INTO applied_log VALUES (1);\n",
        "DROP TABLE applied_log;\n",
    );
    for v in 2..=30 {
        // No unique key on the log: a migration applied twice shows as two rows there.
        p.migration(
            v,
            &format!("m{v}"),
            &format!("INSERT INTO applied_log VALUES ({v});\nSELECT pg_sleep(0.005);\n"),
            &format!("DELETE FROM applied_log WHERE version = {v};\n"),
        );
    }
    let children: Vec<Child> = (0..8).map(|_| spawn_run(&p, &db)).collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "every process exits 0\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM _sqlx_migrations").await,
        30
    );
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM _sqlx_migrations WHERE success").await,
        30
    );
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM applied_log").await,
        30
    );
    assert_eq!(
        scalar_i64(&db, "SELECT count(DISTINCT version) FROM applied_log").await,
        30
    );
}

/// 20 small migrations that depend on each other, each sleeping a little so that a
/// kill lands inside one as often as between two.
fn twenty_migrations(p: &Project) {
    for v in 1..=20 {
        let mut up = format!(
            "CREATE TABLE k{v} (id int PRIMARY KEY, note text NOT NULL DEFAULT 'n');\n\
             INSERT INTO k{v} (id) SELECT g FROM generate_series(1, 50) g;\n\
             SELECT pg_sleep(0.01);\n"
        );
        if v > 1 {
            let prev = v - 1;
            up.push_str(&format!(
                "ALTER TABLE k{prev} ADD COLUMN next_id int REFERENCES k{v} (id);\n\
                 CREATE INDEX k{prev}_next_id_idx ON k{prev} (next_id);\n"
            ));
        }
        let mut down = String::new();
        if v > 1 {
            down.push_str(&format!("ALTER TABLE k{} DROP COLUMN next_id;\n", v - 1));
        }
        down.push_str(&format!("DROP TABLE k{v};\n"));
        p.migration(v, &format!("k{v}"), &up, &down);
    }
}

/// A small deterministic generator (xorshift64*), so a failing trial can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_runs_killed_at_random_moments_always_recover_to_the_clean_schema() {
    let reference_db = TestDb::new().await;
    let reference = Project::new("kill_reference", &reference_db);
    twenty_migrations(&reference);
    let start = Instant::now();
    let clean = reference.strata(&["run"]);
    let clean_run = start.elapsed();
    assert_eq!(clean.code, 0, "{clean}");
    let expected = reference.introspect().await;

    let db = TestDb::new().await;
    let p = Project::new("kill", &db);
    twenty_migrations(&p);
    let seed = 0x5eed_0005_u64;
    let mut rng = Rng(seed);
    let window = clean_run.as_micros() as u64;
    let mut killed_mid_run = 0;
    for trial in 0..50 {
        let delay = Duration::from_micros(rng.next() % window.max(1));
        let label = format!("trial {trial} (seed {seed:#x}, kill after {delay:?})");
        let mut child = spawn_run(&p, &db);
        tokio::time::sleep(delay).await;
        // SIGKILL: no destructor, no unlock, no rollback from the client.
        child.kill().expect("kill");
        let _ = child.wait();
        // The history table may not exist yet.
        let has_history = scalar_i64(
            &db,
            "SELECT count(*) FROM pg_class WHERE relname = '_sqlx_migrations'",
        )
        .await
            > 0;
        let rows_after_kill = if has_history {
            scalar_i64(&db, "SELECT count(*) FROM _sqlx_migrations").await
        } else {
            0
        };
        if (1..20).contains(&rows_after_kill) {
            killed_mid_run += 1;
        }

        let recovered = p.strata(&["run", "--lock-timeout", "30s"]);
        assert_eq!(
            recovered.code, 0,
            "{label}: run after the kill\n{recovered}"
        );
        assert_eq!(p.introspect().await, expected, "{label}: schema");
        let status = p.strata(&["status"]);
        assert_eq!(status.code, 0, "{label}: history consistent\n{status}");
        assert_eq!(
            scalar_i64(&db, "SELECT count(*) FROM _sqlx_migrations WHERE success").await,
            20,
            "{label}"
        );
        assert_eq!(
            scalar_i64(&db, "SELECT count(*) FROM k20").await,
            50,
            "{label}"
        );

        db.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .await;
    }
    eprintln!("{killed_mid_run} of 50 kills landed mid-run; a clean run takes {clean_run:?}");
    // Otherwise the kills all landed before or after the run and proved nothing.
    assert!(
        killed_mid_run >= 10,
        "only {killed_mid_run} of 50 kills landed mid-run (clean run took {clean_run:?})"
    );
}

/// Waits until a backend of `db` runs a query containing `needle`, and returns its pid.
async fn backend_running(db: &TestDb, needle: &str) -> i32 {
    let mut conn = db.connect().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pid: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND application_name = 'strata' AND state = 'active' AND query LIKE $1",
        )
        .bind(format!("%{needle}%"))
        .fetch_optional(&mut conn)
        .await
        .expect("pg_stat_activity");
        if let Some(pid) = pid {
            return pid;
        }
        assert!(Instant::now() < deadline, "no backend ran {needle}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn terminate(db: &TestDb, pid: i32) {
    let mut conn = db.connect().await;
    let done: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(&mut conn)
        .await
        .expect("terminate");
    assert!(done);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminated_backend_is_a_failure_that_leaves_nothing_of_a_transactional_migration() {
    let db = TestDb::new().await;
    let p = Project::new("terminated", &db);
    p.migration(
        1,
        "first",
        "CREATE TABLE first (id int);\n",
        "DROP TABLE first;\n",
    );
    p.migration(
        2,
        "victim",
        "CREATE TABLE victim (id int);\nINSERT INTO victim VALUES (1);\nSELECT pg_sleep(30);\n",
        "DROP TABLE victim;\n",
    );
    let child = spawn_run(&p, &db);
    let pid = backend_running(&db, "pg_sleep(30)").await;
    terminate(&db, pid).await;
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("migrations/2_victim.up.sql"), "{stderr}");
    assert!(stderr.contains("statement at line 3"), "{stderr}");
    assert!(stderr.contains("SELECT pg_sleep(30)"), "{stderr}");
    assert!(stderr.contains("administrator command"), "{stderr}");
    assert!(stderr.contains("rolled back"), "{stderr}");

    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM pg_class WHERE relname = 'victim'"
        )
        .await,
        0,
        "nothing partial"
    );
    assert_eq!(
        scalar_i64(&db, "SELECT count(*) FROM _sqlx_migrations").await,
        1,
        "only the first is recorded"
    );
    // The lock was released: a fixed file runs at once.
    p.write(
        "migrations/2_victim.up.sql",
        "CREATE TABLE victim (id int);\n",
    );
    let run = p.strata(&["run", "--lock-timeout", "0"]);
    assert_eq!(run.code, 0, "{run}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminated_no_transaction_migration_is_left_recorded_as_failed() {
    let db = TestDb::new().await;
    let p = Project::new("terminated_no_tx", &db);
    p.migration(
        1,
        "slow",
        "-- no-transaction\nSELECT pg_sleep(30);\n",
        "-- no-transaction\nSELECT 1;\n",
    );
    let child = spawn_run(&p, &db);
    let pid = backend_running(&db, "pg_sleep(30)").await;
    terminate(&db, pid).await;
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("strata resolve 1 --applied"), "{stderr}");
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM _sqlx_migrations WHERE NOT success"
        )
        .await,
        1
    );
    let run = p.strata(&["run", "--lock-timeout", "0"]);
    assert_eq!(run.code, 2, "refuses until resolved: {run}");
    assert!(run.stderr.contains("recorded as failed"), "{run}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_waits_for_the_backend_of_an_interrupted_run_to_finish() {
    let db = TestDb::new().await;
    let p = Project::new("orphan", &db);
    p.migration(
        1,
        "one",
        "CREATE TABLE one (id int);\n",
        "DROP TABLE one;\n",
    );
    // What the migration connection of a killed run holds until its backend ends.
    let (class, key) = strata_core::migrate::lock::session_lock_key(&db.name);
    let mut orphan = db.connect().await;
    sqlx::query("SELECT pg_advisory_lock($1, $2)")
        .bind(class)
        .bind(key)
        .execute(&mut orphan)
        .await
        .expect("lock");
    let run = p.strata(&["run", "--lock-timeout", "500ms"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("waiting for the connection of an earlier, interrupted run"),
        "{run}"
    );
    assert!(run.stderr.contains("gave up after 500ms"), "{run}");
    assert!(run.stderr.contains("nothing was run"), "{run}");
    drop(orphan);
    let run = p.strata(&["run", "--lock-timeout", "10s"]);
    assert_eq!(run.code, 0, "{run}");
}

/// A migrations folder that does not exist is an error for the commands that only read
/// it (exit 2, the folder named, with what to do; a JSON document with `--json`), not
/// "No pending migrations": a mistyped `--migrations`, or a folder left out of a
/// deploy, must not pass. `generate` still creates the folder.
#[tokio::test]
async fn a_migrations_folder_that_does_not_exist_stops_run_revert_and_status() {
    let db = TestDb::new().await;
    let p = Project::new("no_folder", &db);
    let missing = p.dir.join("migratoins");
    let missing = missing.to_str().expect("a UTF-8 path");
    let expected = format!("migrations directory {missing} does not exist; point --migrations DIR");
    for args in [
        vec!["run"],
        vec!["run", "--dry-run"],
        vec!["revert"],
        vec!["revert", "--dry-run"],
        vec!["status"],
    ] {
        let mut with = args.clone();
        with.extend(["--migrations", missing]);
        let out = p.strata(&with);
        assert_eq!(out.code, 2, "{args:?}: {out}");
        assert!(out.stderr.contains(&expected), "{args:?}: {out}");
        with.push("--json");
        let out = p.strata(&with);
        assert_eq!(out.code, 2, "{args:?}: {out}");
        let doc: serde_json::Value =
            serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"));
        assert_eq!(doc["error"]["kind"], "files", "{args:?}: {doc}");
    }
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM pg_tables WHERE tablename = '_sqlx_migrations'"
        )
        .await,
        0,
        "nothing was written"
    );

    // `generate` creates the folder it writes to.
    p.write_entities(
        "#[derive(strata::Entity)]\n#[entity(table_name = \"notes\")]\npub struct Note {\n    \
         #[entity(primary_key)]\n    pub id: i64,\n}\n",
    );
    let fresh = p.dir.join("fresh");
    let out = p.strata(&[
        "generate",
        "notes",
        "--migrations",
        fresh.to_str().expect("UTF-8"),
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(fresh.is_dir(), "{out}");
    let run = p.strata(&["run", "--migrations", fresh.to_str().expect("UTF-8")]);
    assert_eq!(run.code, 0, "{run}");
}

/// A down file that fails in `revert` is rolled back: the database is as it was AFTER
/// the migration (its up file applied), which stays recorded as applied.
#[tokio::test]
async fn a_failed_down_file_leaves_the_database_as_after_its_up_file() {
    let db = TestDb::new().await;
    let p = Project::new("down_fails", &db);
    p.migration(
        1,
        "notes",
        "CREATE TABLE notes (id int);\n",
        "DROP TABLE notes;\nDROP TABLE nosuch;\n",
    );
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");
    let out = p.strata(&["revert"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains(
            "It ran in a transaction that was rolled back: nothing of the down file remains, \
             so the database is as it was after migration 1 (its up file applied), which stays \
             recorded as applied. Fix the file, then `strata revert` again."
        ),
        "{out}"
    );
    assert!(!out.stderr.contains("before migration 1"), "{out}");
    // As it says: the table is there, and the migration applied.
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'notes'"
        )
        .await,
        1
    );
    let status = p.strata(&["status"]);
    assert_eq!(status.code, 0, "{status}");

    // An up file that fails keeps its own words.
    p.migration(2, "bad", "CREATE TABLE nosuch.t (id int);\n", "SELECT 1;\n");
    let out = p.strata(&["run"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains(
            "the database is as it was before migration 2 and it is not recorded. Fix the \
             file, then `strata run` again."
        ),
        "{out}"
    );
}

/// `CREATE INDEX CONCURRENTLY` in a file without the `-- no-transaction` first line:
/// PostgreSQL's "cannot run inside a transaction block" (25001) comes with a hint that
/// names the marker line.
#[tokio::test]
async fn create_index_concurrently_in_a_transaction_is_told_the_marker_line() {
    let db = TestDb::new().await;
    let p = Project::new("cic_in_tx", &db);
    p.migration(
        1,
        "notes",
        "CREATE TABLE notes (id int);\n",
        "DROP TABLE notes;\n",
    );
    p.migration(
        2,
        "notes_idx",
        "CREATE INDEX CONCURRENTLY notes_id_idx ON notes (id);\n",
        "DROP INDEX notes_id_idx;\n",
    );
    let out = p.strata(&["run"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains("(SQLSTATE 25001)")
            && out.stderr.contains(
                "hint: this statement cannot run in a transaction, and the file runs in one: \
                 make `-- no-transaction` the file's first line"
            ),
        "{out}"
    );
    // With the marker, it runs.
    p.migration(
        2,
        "notes_idx",
        "-- no-transaction\nCREATE INDEX CONCURRENTLY notes_id_idx ON notes (id);\n",
        "-- no-transaction\nDROP INDEX CONCURRENTLY notes_id_idx;\n",
    );
    let out = p.strata(&["run"]);
    assert_eq!(out.code, 0, "{out}");
}

/// The `DROP INDEX CONCURRENTLY IF EXISTS` advice is for a `CREATE INDEX CONCURRENTLY`
/// that failed while building (it leaves an INVALID index), not for one PostgreSQL
/// refused before it began (a table that does not exist: nothing was created, and a
/// name taken by an index that exists must not be dropped).
#[tokio::test]
async fn the_invalid_index_advice_comes_only_when_an_index_may_be_left() {
    let db = TestDb::new().await;
    let p = Project::new("cic_leftover", &db);
    p.migration(
        1,
        "notes",
        "CREATE TABLE notes (id int);\nINSERT INTO notes VALUES (1), (1);\n",
        "DROP TABLE notes;\n",
    );
    p.migration(
        2,
        "notes_idx",
        "-- no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY notes_id_key ON nosuch (id);\n",
        "-- no-transaction\nDROP INDEX CONCURRENTLY notes_id_key;\n",
    );
    let out = p.strata(&["run"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains("relation \"nosuch\" does not exist"),
        "{out}"
    );
    assert!(!out.stderr.contains("DROP INDEX CONCURRENTLY"), "{out}");
    assert!(!out.stderr.contains("INVALID"), "{out}");
    let resolved = p.strata(&["resolve", "2", "--rolled-back"]);
    assert_eq!(resolved.code, 0, "{resolved}");

    // On the table, the duplicate values make the build fail half-way.
    p.migration(
        2,
        "notes_idx",
        "-- no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY notes_id_key ON notes (id);\n",
        "-- no-transaction\nDROP INDEX CONCURRENTLY notes_id_key;\n",
    );
    let out = p.strata(&["run"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("(SQLSTATE 23505)"), "{out}");
    assert!(
        out.stderr
            .contains("run `DROP INDEX CONCURRENTLY IF EXISTS notes_id_key;` before trying again"),
        "{out}"
    );
    assert_eq!(
        scalar_i64(
            &db,
            "SELECT count(*) FROM pg_index WHERE NOT indisvalid AND indexrelid = 'notes_id_key'::regclass"
        )
        .await,
        1,
        "as it says, an INVALID index is left"
    );
}
