//! Proving plans and migrations on scratch databases (issue 13), through the binary:
//! `strata verify` on hand-written files, the proof every `generate` runs before it
//! writes, `--from migrations` with its replay cache, and the scratch databases
//! themselves (a shadow database strata empties, a cluster of its own when there is no
//! database at all), cleaned up after use.

mod support;

use strata_tests::TestDb;
use support::Project;

/// The orders table, then its index, each with a down file that undoes it.
fn orders_migrations(project: &Project) {
    project.migration(20260101000001, "orders", ORDERS_UP, ORDERS_DOWN);
    project.migration(
        20260101000002,
        "created_idx",
        INDEX_UP,
        "DROP INDEX orders_created_idx;\n",
    );
}

/// One value from `db`, as text.
async fn scalar(db: &TestDb, sql: &str) -> String {
    let mut conn = db.connect().await;
    sqlx::query_scalar::<_, String>(sql)
        .fetch_one(&mut conn)
        .await
        .expect("query")
}

const ORDERS_UP: &str =
    "CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamptz NOT NULL);\n";
const ORDERS_DOWN: &str = "DROP TABLE orders;\n";
const INDEX_UP: &str = "CREATE INDEX orders_created_idx ON orders (created_at);\n";

const ORDERS_ENTITY: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "orders", index(created_at, name = "orders_created_idx"))]
pub struct Order {
    #[entity(primary_key)]
    pub id: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
"#;

/// Hand-written migrations: the first whose down file does not undo its up file is
/// named with what it leaves behind (exit 1); fixed, all pass (exit 0); a file that
/// fails to run is exit 2 with the statement.
#[tokio::test]
async fn verify_names_the_first_down_file_that_does_not_undo_its_up_file() {
    let db = TestDb::new().await;
    let project = Project::new("verify-files", &db);
    project.write_entities(ORDERS_ENTITY);
    project.migration(20260101000001, "orders", ORDERS_UP, ORDERS_DOWN);
    project.migration(20260101000002, "created_idx", INDEX_UP, "SELECT 1;\n");
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 1, "{out}");
    insta::assert_snapshot!("verify_down_leaves_an_index", project.filter(&out.stdout));

    let json = project.strata(&["verify", "--json"]);
    assert_eq!(json.code, 1, "{json}");
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(report["passed"], false);
    assert_eq!(report["failure"]["version"], 20260101000002_i64);
    assert_eq!(
        report["failure"]["differences"][0]["object"],
        "index orders_created_idx on orders"
    );

    project.migration(
        20260101000002,
        "created_idx",
        INDEX_UP,
        "DROP INDEX orders_created_idx;\n",
    );
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 0, "{out}");
    insta::assert_snapshot!("verify_passes", project.filter(&out.stdout));
    let from = project.strata(&["verify", "--from", "20260101000002"]);
    assert_eq!(from.code, 0, "{from}");
    assert!(from.stdout.contains("Verified 1 migration"), "{from}");

    // The target database is never touched: no history there.
    assert_eq!(
        project
            .query_text("SELECT count(*)::text FROM pg_tables WHERE tablename IN ('orders', '_sqlx_migrations')")
            .await,
        "0"
    );

    // An entity the migrations do not build: exit 1 with what generate would write.
    project.write_entities(&ORDERS_ENTITY.replace(
        "    pub created_at",
        "    pub note: Option<String>,\n    pub created_at",
    ));
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("add column orders.note"), "{out}");

    project.migration(
        20260101000003,
        "broken",
        "ALTER TABLE orders ADD COLUMN oops nosuchtype;\n",
        "ALTER TABLE orders DROP COLUMN oops;\n",
    );
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains("nosuchtype") && out.stderr.contains("20260101000003"),
        "{out}"
    );
}

/// With no database URL at all, a cluster of strata's own serves, and is gone after.
#[test]
fn verify_without_any_database_starts_and_removes_a_cluster_of_its_own() {
    let project = Project::bare("verify-cluster");
    project.write_entities(ORDERS_ENTITY);
    orders_migrations(&project);
    let out = project.strata(&["verify", "-v"]);
    assert_eq!(out.code, 0, "{out}");
    let dir = out
        .stderr
        .lines()
        .find_map(|l| l.split("a throwaway cluster in ").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("the cluster is named: {out}"));
    assert!(
        !std::path::Path::new(dir).exists(),
        "{dir} is removed after use"
    );
}

/// `--from migrations`: the entities against the schema the folder builds, with no
/// database of the project's own; a migration written so is proven too.
#[test]
fn generate_from_migrations_needs_no_database() {
    let project = Project::bare("verify-from-folder");
    project.write_entities(ORDERS_ENTITY);
    let out = project.strata(&["generate", "orders", "--from", "migrations"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(project.migration_files().len(), 2);
    let check = project.strata(&["generate", "again", "--check", "--from", "migrations"]);
    assert_eq!(check.code, 0, "{check}");
    assert!(
        check.stdout.contains("No changes") || check.stderr.contains("No changes"),
        "{check}"
    );
    project.write_entities(&ORDERS_ENTITY.replace(
        "    pub created_at",
        "    pub note: Option<String>,\n    pub created_at",
    ));
    let check = project.strata(&["generate", "note", "--check", "--from", "migrations"]);
    assert_eq!(check.code, 1, "{check}");
}

/// On a server, the replay is kept and found again while the folder is the same.
#[tokio::test]
async fn the_replay_of_the_folder_is_kept_until_the_folder_changes() {
    let db = TestDb::new().await;
    let project = Project::new("verify-replay-cache", &db);
    project.write("strata.toml", "from = \"migrations\"\n");
    project.write_entities(ORDERS_ENTITY);
    orders_migrations(&project);
    let first = project.strata(&["diff", "-v"]);
    assert_eq!(first.code, 0, "{first}");
    assert!(first.stderr.contains("replaying 2 migrations"), "{first}");
    assert!(first.stdout.contains("No changes"), "{first}");
    let second = project.strata(&["diff", "-v"]);
    assert!(second.stderr.contains("as replayed before"), "{second}");
    project.migration(
        20260101000003,
        "note",
        "ALTER TABLE orders ADD COLUMN note text;\n",
        "ALTER TABLE orders DROP COLUMN note;\n",
    );
    let third = project.strata(&["diff", "-v"]);
    assert!(third.stderr.contains("replaying 3 migrations"), "{third}");
    assert!(third.stdout.contains("drop column orders.note"), "{third}");
    // The target database itself was never read or written.
    assert_eq!(
        project
            .query_text("SELECT count(*)::text FROM pg_tables WHERE schemaname = 'public'")
            .await,
        "0"
    );
}

/// A plan that fails on the scratch copy is not written: exit 2 with the statement and
/// the error. (The shadow database's event trigger refuses `ALTER TABLE`; event
/// triggers belong to the database, so emptying it leaves this one.)
#[tokio::test]
async fn a_plan_that_fails_on_the_scratch_copy_is_not_written() {
    let db = TestDb::new().await;
    let shadow = TestDb::new().await;
    shadow
        .execute(
            "CREATE FUNCTION pg_catalog.strata_test_no_alter() RETURNS event_trigger
             LANGUAGE plpgsql AS $$ BEGIN
                 IF tg_tag = 'ALTER TABLE' THEN RAISE EXCEPTION 'ALTER TABLE is not allowed here'; END IF;
             END $$;
             CREATE EVENT TRIGGER no_alter ON ddl_command_start
                 EXECUTE FUNCTION pg_catalog.strata_test_no_alter();",
        )
        .await;
    let project = Project::new("verify-refused", &db);
    project.write(
        "strata.toml",
        &format!("shadow_database_url = \"{}\"\n", shadow.url),
    );
    project.write_entities(ORDERS_ENTITY);
    let created = project.strata(&["generate", "orders"]);
    assert_eq!(created.code, 0, "{created}");
    assert!(
        std::fs::read_to_string(
            project
                .dir
                .join("migrations")
                .join(&project.migration_files()[1])
        )
        .expect("read")
        .contains("-- Verified before it was written"),
        "the header says it was verified"
    );
    let ran = project.strata(&["run"]);
    assert_eq!(ran.code, 0, "{ran}");
    project.write_entities(&ORDERS_ENTITY.replace(
        "    pub created_at",
        "    pub note: Option<String>,\n    pub created_at",
    ));
    let files = project.migration_files().len();
    let refused = project.strata(&["generate", "note"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert_eq!(project.migration_files().len(), files, "nothing written");
    insta::assert_snapshot!(
        "verify_generate_refused",
        project
            .filter(&refused.stderr)
            .replace(&shadow.name, "[SHADOW]")
    );
    // --no-verify writes it, and says so.
    let unverified = project.strata(&["generate", "note", "--no-verify"]);
    assert_eq!(unverified.code, 0, "{unverified}");
    let up = project
        .migration_files()
        .into_iter()
        .find(|n| n.ends_with("_note.up.sql"))
        .expect("written");
    assert!(
        std::fs::read_to_string(project.dir.join("migrations").join(up))
            .expect("read")
            .contains("-- Not verified: generated with --no-verify"),
    );
}

/// A touched table PostgreSQL does not read back as itself when created from its own
/// spelling (an `IN` list on a varchar column): the copy is made again with a text it
/// reads back as the table is, so the entities give "No changes" there and the plan is
/// proven (without it, the re-plan on the copy would see the check changed).
#[tokio::test]
async fn a_touched_table_read_back_otherwise_is_copied_again_as_postgres_spells_it() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE tickets (id bigint PRIMARY KEY, \
         status varchar(10) NOT NULL CHECK (status IN ('open', 'closed')))",
    )
    .await;
    let project = Project::new("verify-respelled", &db);
    project.write_entities(
        r#"
#[derive(strata::Entity)]
#[entity(table_name = "tickets")]
pub struct Ticket {
    #[entity(primary_key)]
    pub id: i64,
    #[entity(sql_type = "varchar(10)", check = "status IN ('open', 'closed')")]
    pub status: String,
    pub note: Option<String>,
}
"#,
    );
    let out = project.strata(&["-v", "generate", "add_note"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stderr
            .contains("1 table read back otherwise, copied again as PostgreSQL spells it"),
        "{out}"
    );
    let (up, _) = project.latest_migrations(1);
    assert!(up.contains("-- Verified before it was written"), "{up}");
}

/// sqlx's simple format (`<version>_<name>.sql`, no down file) beside reversible
/// files: verified as far as it can be (its up file runs), and said so.
#[tokio::test]
async fn a_migration_without_a_down_file_is_run_and_said_so() {
    let db = TestDb::new().await;
    let project = Project::new("verify-simple", &db);
    project.write(
        "migrations/20260101000001_accounts.sql",
        "CREATE TABLE accounts (id int PRIMARY KEY);\n",
    );
    project.migration(
        20260101000002,
        "notes",
        "CREATE TABLE notes (id int PRIMARY KEY, account_id int REFERENCES accounts);\n",
        "DROP TABLE notes;\n",
    );
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 0, "{out}");
    insta::assert_snapshot!("verify_without_down_file", project.filter(&out.stdout));
    let json = project.strata(&["verify", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(report["verified"][0]["down"], "none");
    assert_eq!(report["verified"][1]["down"], "restores");
}

/// A shadow database must be another database than the target, and empty or strata's.
#[tokio::test]
async fn a_shadow_database_that_is_the_target_or_holds_tables_is_refused() {
    let db = TestDb::new().await;
    let project = Project::new("verify-shadow-rules", &db);
    project.write_entities(ORDERS_ENTITY);
    orders_migrations(&project);
    let same = project.strata(&["verify", "--shadow-url", &db.url]);
    assert_eq!(same.code, 2, "{same}");
    assert!(
        same.stderr.contains("is the target database itself"),
        "{same}"
    );

    let busy = TestDb::new().await;
    busy.execute("CREATE TABLE precious (id int)").await;
    let refused = project.strata(&["verify", "--shadow-url", &busy.url]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(refused.stderr.contains("holds 1 relation"), "{refused}");
    assert_eq!(
        scalar(&busy, "SELECT count(*)::text FROM precious").await,
        "0"
    );

    let empty = TestDb::new().await;
    let ok = project.strata(&["verify", "--shadow-url", &empty.url]);
    assert_eq!(ok.code, 0, "{ok}");
    // Used, then emptied: nothing of the migrations is left in it.
    assert_eq!(
        scalar(
            &empty,
            "SELECT count(*)::text FROM pg_tables WHERE schemaname = 'public'"
        )
        .await,
        "0"
    );
}

/// A `strata verify` of 60 migrations, interrupted with `signal` once its scratch
/// database exists: its exit code, and a count of the scratch databases it made that
/// are still there.
struct Interrupted {
    code: Option<i32>,
    stderr: String,
    pattern: String,
}

async fn interrupt_verify(db: &TestDb, project: &Project, signal: &str) -> Interrupted {
    for i in 0..60 {
        project.migration(
            20260101000000 + i,
            &format!("t{i}"),
            &format!("CREATE TABLE t{i} (id int PRIMARY KEY);\n"),
            &format!("DROP TABLE t{i};\n"),
        );
    }
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(&project.dir)
        .env_remove("DATABASE_URL")
        .args(["--database-url", &db.url, "verify"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start strata");
    let pid = child.id();
    let pattern = format!("strata\\_shadow\\_%\\_{pid}\\_%");
    // Wait until its scratch database exists and the verification is under way.
    let started = std::time::Instant::now();
    while scratch_databases(db, &pattern).await == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no scratch database appeared"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let killed = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    Interrupted {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        pattern,
    }
}

async fn scratch_databases(db: &TestDb, pattern: &str) -> i64 {
    let mut conn = db.connect().await;
    sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pg_database WHERE datname LIKE $1")
        .bind(pattern)
        .fetch_one(&mut conn)
        .await
        .expect("count")
}

/// Ctrl-C in the middle of a verification: exit 130, and the scratch database is gone.
#[tokio::test]
async fn ctrl_c_cleans_the_scratch_database_up() {
    let db = TestDb::new().await;
    let project = Project::new("verify-ctrl-c", &db);
    let run = interrupt_verify(&db, &project, "-INT").await;
    assert_eq!(run.code, Some(130), "{}", run.stderr);
    assert_eq!(
        scratch_databases(&db, &run.pattern).await,
        0,
        "the scratch database is dropped"
    );
}

/// `kill -9` in the middle of a verification leaves its scratch database behind; the
/// next run, at once, drops it (nobody is connected to it any more).
#[tokio::test]
async fn the_run_after_a_kill_9_sweeps_what_it_left() {
    let db = TestDb::new().await;
    let project = Project::new("verify-kill-9", &db);
    let run = interrupt_verify(&db, &project, "-KILL").await;
    assert_eq!(run.code, None, "killed by a signal: {}", run.stderr);
    assert_eq!(
        scratch_databases(&db, &run.pattern).await,
        1,
        "a kill -9 leaves the scratch database"
    );
    let next = Project::new("verify-after-kill-9", &db);
    next.write_entities(ORDERS_ENTITY);
    orders_migrations(&next);
    let out = next.strata(&["verify"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        scratch_databases(&db, &run.pattern).await,
        0,
        "the next run leaves no strata_shadow_* database behind"
    );
}

/// A scratch database left by a strata that was killed (`kill -9` leaves no chance to
/// clean up) is swept by the next run, by the age in its name.
#[tokio::test]
async fn stale_scratch_databases_are_swept() {
    let db = TestDb::new().await;
    let stale = format!("strata_shadow_1000_{}", std::process::id());
    let mut admin = db.connect().await;
    sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE \"{stale}\"").as_str())
        .await
        .expect("create a stale scratch database");
    let project = Project::new("verify-sweep", &db);
    project.write_entities(ORDERS_ENTITY);
    orders_migrations(&project);
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 0, "{out}");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(&stale)
        .fetch_one(&mut admin)
        .await
        .expect("count");
    assert_eq!(left, 0, "{stale} is swept");
}

/// A shadow database that holds no table but other things of someone's (a function, a
/// type, an extension; a schema) is refused too, exit 2 naming what it holds, and left
/// as it was: strata would have emptied it. An empty one is still taken.
#[tokio::test]
async fn a_shadow_database_holding_objects_other_than_tables_is_refused_and_kept() {
    let db = TestDb::new().await;
    let project = Project::new("verify-shadow-objects", &db);
    project.write_entities(ORDERS_ENTITY);
    orders_migrations(&project);
    let not_marked = "SELECT coalesce(shobj_description(oid, 'pg_database'), 'no comment') \
                      FROM pg_database WHERE datname = current_database()";

    let function = TestDb::new().await;
    function
        .execute("CREATE FUNCTION keepme() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        .await;
    let refused = project.strata(&["verify", "--shadow-url", &function.url]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(
        refused
            .stderr
            .contains("holds 1 function (function keepme()) and is not one strata made"),
        "{refused}"
    );
    assert_eq!(scalar(&function, "SELECT keepme()::text").await, "1");
    assert_eq!(scalar(&function, not_marked).await, "no comment");

    let enumeration = TestDb::new().await;
    enumeration
        .execute("CREATE TYPE mood AS ENUM ('happy', 'sad')")
        .await;
    let refused = project.strata(&["verify", "--shadow-url", &enumeration.url]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(
        refused.stderr.contains("holds 1 type (type mood)"),
        "{refused}"
    );
    assert_eq!(
        scalar(&enumeration, "SELECT 'sad'::mood::text").await,
        "sad"
    );
    assert_eq!(scalar(&enumeration, not_marked).await, "no comment");

    let extension = TestDb::new().await;
    extension.execute("CREATE EXTENSION pgcrypto").await;
    let refused = project.strata(&["verify", "--shadow-url", &extension.url]);
    assert_eq!(refused.code, 2, "{refused}");
    // Its functions are the extension's, not counted apart.
    assert!(
        refused
            .stderr
            .contains("holds 1 extension (extension pgcrypto) and"),
        "{refused}"
    );
    assert_eq!(
        scalar(
            &extension,
            "SELECT extname::text FROM pg_extension WHERE extname = 'pgcrypto'"
        )
        .await,
        "pgcrypto"
    );
    assert_eq!(scalar(&extension, not_marked).await, "no comment");

    // Several at once (the user's report), with `--from migrations` too: all named.
    let several = TestDb::new().await;
    several
        .execute(
            "CREATE FUNCTION keepme() RETURNS int LANGUAGE sql AS 'SELECT 1';
             CREATE SCHEMA s2;
             CREATE EXTENSION pgcrypto;",
        )
        .await;
    for args in [
        &["verify", "--shadow-url", &several.url][..],
        &[
            "generate",
            "again",
            "--check",
            "--from",
            "migrations",
            "--shadow-url",
            &several.url,
        ][..],
    ] {
        let refused = project.strata(args);
        assert_eq!(refused.code, 2, "{refused}");
        let holds = refused
            .stderr
            .split(" holds ")
            .nth(1)
            .unwrap_or_else(|| panic!("names what it holds: {refused}"));
        insta::assert_snapshot!("verify_shadow_holds_objects", holds.trim_end());
    }
    assert_eq!(scalar(&several, "SELECT keepme()::text").await, "1");
    assert_eq!(
        scalar(
            &several,
            "SELECT count(*)::text FROM pg_namespace WHERE nspname = 's2'"
        )
        .await,
        "1"
    );
    assert_eq!(scalar(&several, not_marked).await, "no comment");

    // An empty database (what CREATE DATABASE gives) is taken, and marked as strata's.
    let empty = TestDb::new().await;
    let ok = project.strata(&["verify", "--shadow-url", &empty.url]);
    assert_eq!(ok.code, 0, "{ok}");
    assert!(
        scalar(&empty, not_marked)
            .await
            .starts_with("strata scratch database"),
        "marked as strata's"
    );
}

/// `strata ARGS` in `project` with no database settings at all, and `tmp` as the
/// temporary directory (where a throwaway cluster is made): the exit code and stderr.
fn strata_with_tmpdir(project: &Project, tmp: &std::path::Path, args: &[&str]) -> (i32, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_strata"));
    cmd.current_dir(&project.dir);
    for var in [
        "DATABASE_URL",
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGPASSWORD",
        "PGDATABASE",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .env("TMPDIR", tmp)
        .args(args)
        .output()
        .expect("run strata");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What of a throwaway cluster in `tmp` is left: its directories, and the processes
/// whose command line names `tmp` (a `postgres -D <tmp>/strata-shadow-.../data`).
fn clusters_left(tmp: &std::path::Path) -> Vec<String> {
    let tmp = tmp.display().to_string();
    let mut left: Vec<String> = std::fs::read_dir(&tmp)
        .expect("read the temporary directory")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("strata-shadow-"))
        .collect();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let is_pid = entry.file_name().to_string_lossy().parse::<u32>().is_ok();
        if !is_pid {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(&tmp) {
                left.push(format!(
                    "process {}: {cmdline}",
                    entry.file_name().to_string_lossy()
                ));
            }
        }
    }
    left
}

/// With no database URL, `--from migrations` replays the folder into a throwaway
/// cluster: stopped and removed at exit, whether the command finds a change, finds
/// none, prints, or fails. (`generate` and `diff` never drop their plan, which holds
/// the replay.)
#[test]
fn the_cluster_a_replay_needs_is_stopped_and_removed_at_exit() {
    let project = Project::bare("verify-replay-cluster");
    project.write_entities(ORDERS_ENTITY);
    orders_migrations(&project);
    // A directory of its own under /tmp (short: the server's socket is made in it),
    // which the `postgres` user can enter when the tests run as root.
    let tmp = std::path::PathBuf::from(format!(
        "/tmp/strata-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&tmp).expect("create the temporary directory");
    std::fs::set_permissions(
        &tmp,
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755),
    )
    .expect("chmod");
    let runs: [(&[&str], i32); 4] = [
        (
            &["generate", "again", "--check", "--from", "migrations", "-v"],
            0,
        ),
        (
            &[
                "generate",
                "again",
                "--dry-run",
                "--from",
                "migrations",
                "-v",
            ],
            0,
        ),
        (&["diff", "--from", "migrations", "-v"], 0),
        (
            &["diff", "--from", "migrations", "--format", "json", "-v"],
            0,
        ),
    ];
    for (args, code) in runs {
        let (exit, stderr) = strata_with_tmpdir(&project, &tmp, args);
        assert_eq!(exit, code, "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("a throwaway cluster in {}", tmp.display())),
            "{args:?} replays into a cluster of its own: {stderr}"
        );
        assert_eq!(
            clusters_left(&tmp),
            Vec::<String>::new(),
            "{args:?}: {stderr}"
        );
    }
    // A change found (exit 1), and a migration that fails to run (exit 2).
    project.write_entities(&ORDERS_ENTITY.replace(
        "    pub created_at",
        "    pub note: Option<String>,\n    pub created_at",
    ));
    let (exit, stderr) = strata_with_tmpdir(
        &project,
        &tmp,
        &["generate", "note", "--check", "--from", "migrations"],
    );
    assert_eq!(exit, 1, "{stderr}");
    assert_eq!(clusters_left(&tmp), Vec::<String>::new(), "{stderr}");
    project.migration(
        20260101000003,
        "broken",
        "ALTER TABLE orders ADD COLUMN oops nosuchtype;\n",
        "ALTER TABLE orders DROP COLUMN oops;\n",
    );
    let (exit, stderr) = strata_with_tmpdir(
        &project,
        &tmp,
        &["generate", "note", "--check", "--from", "migrations"],
    );
    assert_eq!(exit, 2, "{stderr}");
    assert!(stderr.contains("nosuchtype"), "{stderr}");
    assert_eq!(clusters_left(&tmp), Vec::<String>::new(), "{stderr}");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A `--migrations` folder that does not exist is an error (exit 2, named, with what to
/// do), not "Verified 0 migrations": a typo in CI must not pass. With `--json`, the
/// error is a JSON document.
#[tokio::test]
async fn verify_of_a_migrations_folder_that_does_not_exist_is_an_error() {
    let db = TestDb::new().await;
    let project = Project::new("verify-no-folder", &db);
    project.write_entities(ORDERS_ENTITY);
    let missing = project.dir.join("migratoins");
    let missing = missing.to_str().expect("a UTF-8 path");
    let out = project.strata(&["verify", "--migrations", missing]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains(&format!(
            "migrations directory {missing} does not exist; point --migrations DIR"
        )),
        "{out}"
    );
    assert!(!out.stdout.contains("Verified"), "{out}");

    let json = project.strata(&["verify", "--json", "--migrations", missing]);
    assert_eq!(json.code, 2, "{json}");
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(report["passed"], false);
    assert_eq!(report["error"]["kind"], "files");
    assert!(
        report["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("does not exist")),
        "{report}"
    );
}

/// A file that fails on the scratch database is told as it is there: the file, the
/// statement, PostgreSQL's error, and that the scratch database was thrown away. None
/// of the runner's advice for a real database (`strata run`/`revert` again, `strata
/// resolve`, the history table, an INVALID index to drop).
#[tokio::test]
async fn a_file_failing_in_verify_gets_no_advice_meant_for_a_real_database() {
    let db = TestDb::new().await;
    let project = Project::new("verify-scratch-advice", &db);
    project.write_entities(ORDERS_ENTITY);
    project.migration(20260101000001, "orders", ORDERS_UP, ORDERS_DOWN);
    project.migration(
        20260101000002,
        "created_idx",
        INDEX_UP,
        "DROP INDEX nosuch_idx;\n",
    );
    let runner_advice = |out: &support::Output| {
        for advice in [
            "`strata run` again",
            "`strata revert` again",
            "strata resolve",
            "_sqlx_migrations",
            "DROP INDEX CONCURRENTLY",
            "stays recorded",
        ] {
            assert!(!out.stderr.contains(advice), "{advice:?} in\n{out}");
        }
    };

    // A down file.
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 2, "{out}");
    runner_advice(&out);
    insta::assert_snapshot!(
        "verify_down_file_fails",
        project.filter(&format!("{}{}", out.stdout, out.stderr))
    );

    // A `-- no-transaction` up file whose CREATE INDEX CONCURRENTLY names no table.
    project.migration(
        20260101000002,
        "created_idx",
        "-- no-transaction\nCREATE INDEX CONCURRENTLY orders_created_idx ON nosuch (created_at);\n",
        "-- no-transaction\nDROP INDEX CONCURRENTLY orders_created_idx;\n",
    );
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 2, "{out}");
    runner_advice(&out);
    assert!(
        out.stderr
            .contains("20260101000002_created_idx.up.sql, statement at line 2:")
            && out
                .stderr
                .contains("relation \"nosuch\" does not exist (SQLSTATE 42P01)")
            && out.stderr.contains("The scratch database was thrown away"),
        "{out}"
    );

    // The same without the marker: PostgreSQL refuses it in a transaction, and the
    // hint names the marker line.
    project.migration(
        20260101000002,
        "created_idx",
        "CREATE INDEX CONCURRENTLY orders_created_idx ON orders (created_at);\n",
        "DROP INDEX orders_created_idx;\n",
    );
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 2, "{out}");
    runner_advice(&out);
    assert!(
        out.stderr.contains("SQLSTATE 25001")
            && out
                .stderr
                .contains("make `-- no-transaction` the file's first line"),
        "{out}"
    );

    // With the marker, it verifies.
    project.migration(
        20260101000002,
        "created_idx",
        "-- no-transaction\nCREATE INDEX CONCURRENTLY orders_created_idx ON orders (created_at);\n",
        "-- no-transaction\nDROP INDEX CONCURRENTLY orders_created_idx;\n",
    );
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 0, "{out}");
}

/// With an error (exit 2), `verify --json` still prints a document: `passed: false`,
/// what was verified before the error, and `error` with the failing file's fields.
#[tokio::test]
async fn verify_json_reports_a_file_that_fails() {
    let db = TestDb::new().await;
    let project = Project::new("verify-json-error", &db);
    project.write_entities(ORDERS_ENTITY);
    project.migration(20260101000001, "orders", ORDERS_UP, ORDERS_DOWN);
    project.migration(
        20260101000002,
        "created_idx",
        INDEX_UP,
        "DROP INDEX nosuch_idx;\n",
    );
    let out = project.strata(&["verify", "--json"]);
    assert_eq!(out.code, 2, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(report["passed"], false, "{report}");
    assert_eq!(report["verified"][0]["version"], 20260101000001_i64);
    assert_eq!(report["verified"].as_array().map(Vec::len), Some(1));
    let error = &report["error"];
    assert_eq!(error["kind"], "migration_failed", "{report}");
    assert_eq!(error["version"], 20260101000002_i64);
    assert_eq!(error["phase"], "down");
    assert_eq!(error["failure"]["statement"], "DROP INDEX nosuch_idx");
    assert_eq!(error["failure"]["code"], "42704");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("thrown away") && !message.contains("strata revert"),
        "{message}"
    );
}

/// Every migration holds, but an entity has a field no migration adds: no migration
/// is to blame. The text says so and lists what `generate` would write; in `--json`,
/// the failure has no version or file, and its differences are those steps.
#[tokio::test]
async fn entities_that_differ_from_the_folder_are_not_blamed_on_the_last_migration() {
    let db = TestDb::new().await;
    let project = Project::new("verify-entities-differ", &db);
    orders_migrations(&project);
    project.write_entities(&ORDERS_ENTITY.replace(
        "    pub created_at",
        "    pub note: Option<String>,\n    pub created_at",
    ));
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(!out.stdout.contains("migration 20260101000002"), "{out}");
    insta::assert_snapshot!("verify_entities_differ", project.filter(&out.stdout));

    let json = project.strata(&["verify", "--json"]);
    assert_eq!(json.code, 1, "{json}");
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let failure = &report["failure"];
    assert_eq!(failure["version"], serde_json::Value::Null, "{report}");
    assert_eq!(failure["file"], serde_json::Value::Null, "{report}");
    assert_eq!(
        failure["what"],
        "the entities differ from what the migrations folder builds"
    );
    assert_eq!(failure["differences"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        failure["differences"][0]["up"][0],
        "ALTER TABLE orders ADD COLUMN note text"
    );
    assert!(
        failure["differences"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("add column orders.note")),
        "{report}"
    );
    assert_eq!(report["verified"].as_array().map(Vec::len), Some(2));
}
