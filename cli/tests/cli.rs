//! The `strata` binary end to end: a temp project directory, a fresh database per test.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use strata_tests::TestDb;

/// A project directory for one test, removed when dropped.
struct Project {
    dir: PathBuf,
}

impl Project {
    fn new(tag: &str) -> Project {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("strata_cli_{tag}_{}_{nanos}", std::process::id()));
        fs::create_dir_all(&dir).expect("create project dir");
        Project { dir }
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create dirs");
        }
        fs::write(path, text).expect("write file");
    }

    fn migration(&self, version: i64, name: &str, up: &str, down: &str) {
        self.write(&format!("migrations/{version}_{name}.up.sql"), up);
        self.write(&format!("migrations/{version}_{name}.down.sql"), down);
    }

    /// Runs `strata ARGS` here, with no database settings leaking in from the
    /// environment of whoever runs the tests.
    fn strata(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
        cmd.current_dir(&self.dir).args(args);
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
        let output = cmd.output().expect("run the strata binary");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn strata_db(&self, db: &TestDb, args: &[&str]) -> Run {
        let mut all = vec!["--database-url", db.url.as_str()];
        all.extend_from_slice(args);
        self.strata(&all)
    }

    fn migration_files(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.dir.join("migrations"))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Output with this test's paths, database and generated versions made stable.
    fn filter(&self, db: Option<&TestDb>, text: &str) -> String {
        let mut text = text.replace(&self.dir.display().to_string(), "[PROJECT]");
        if let Some(db) = db {
            text = text.replace(&db.name, "[DB]");
        }
        replace_versions(&text)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// 14-digit runs (timestamp versions) → `[VERSION]`.
fn replace_versions(text: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.len() == 14 {
            out.push_str("[VERSION]");
        } else {
            out.push_str(&digits);
        }
        digits.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

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
    let p = Project::new("lifecycle");

    let created = p.strata(&["create", "add_users"]);
    assert_eq!(created.code, 0, "{created:?}");
    insta::assert_snapshot!("create", p.filter(None, &created.stdout));
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

    let status = p.strata_db(&db, &["status"]);
    assert_eq!(status.code, 1, "pending → exit 1: {status:?}");
    insta::assert_snapshot!("status_pending", p.filter(Some(&db), &status.stdout));

    let dry = p.strata_db(&db, &["run", "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(dry.stdout.contains("CREATE TABLE posts"), "{dry:?}");
    assert!(!table_exists(&db, "users").await, "dry run changes nothing");

    let run = p.strata_db(&db, &["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!("run", p.filter(Some(&db), &run.stdout));
    assert!(table_exists(&db, "posts").await);

    let status = p.strata_db(&db, &["status"]);
    assert_eq!(status.code, 0, "all applied → exit 0: {status:?}");
    insta::assert_snapshot!("status_applied", p.filter(Some(&db), &status.stdout));

    let json = p.strata_db(&db, &["status", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("status --json");
    assert_eq!(value["clean"], serde_json::json!(true));
    assert_eq!(value["migrations"][1]["state"], "applied");

    let revert = p.strata_db(&db, &["revert"]);
    assert_eq!(revert.code, 0, "{revert:?}");
    insta::assert_snapshot!("revert", p.filter(Some(&db), &revert.stdout));
    assert!(!table_exists(&db, "posts").await);
    assert!(table_exists(&db, "users").await);

    let status = p.strata_db(&db, &["status"]);
    assert_eq!(status.code, 1, "{status:?}");

    // Editing an applied migration makes status report it, with both checksums.
    p.write(
        &format!("migrations/{}", files[1]),
        "CREATE TABLE users (id int PRIMARY KEY);\n",
    );
    let status = p.strata_db(&db, &["status"]);
    assert_eq!(status.code, 1, "{status:?}");
    assert!(status.stdout.contains("modified"), "{status:?}");
    let run = p.strata_db(&db, &["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains(&files[1]), "{run:?}");
}

#[tokio::test]
async fn failing_migration_exits_2_naming_file_statement_and_line() {
    let db = TestDb::new().await;
    let p = Project::new("failure");
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

    let run = p.strata_db(&db, &["run"]);
    assert_eq!(run.code, 2, "{run:?}");
    insta::assert_snapshot!(
        "failure",
        p.filter(
            Some(&db),
            &format!("{}--- stderr\n{}", run.stdout, run.stderr)
        )
    );
    assert!(run.stderr.contains("3_three.up.sql:4:13"), "{run:?}");
    assert!(table_exists(&db, "two").await);
    assert!(!table_exists(&db, "three").await);

    let status = p.strata_db(&db, &["status"]);
    assert_eq!(status.code, 1);
    insta::assert_snapshot!("failure_status", p.filter(Some(&db), &status.stdout));
}

#[test]
fn connection_errors_never_print_the_password() {
    let p = Project::new("redaction");
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
    let p = Project::new("bad_config");
    p.write(
        "strata.toml",
        "migrations = \"db\"\nexclude_tables = [\"x\"]\n",
    );
    let run = p.strata(&["create", "x"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("strata.toml"), "{run:?}");
    assert!(run.stderr.contains("exclude_tables"), "{run:?}");
    assert!(p.migration_files().is_empty(), "nothing written");
    insta::assert_snapshot!("bad_config", p.filter(None, &run.stderr));
}

#[test]
fn config_sets_the_migrations_directory_and_flags_override_it() {
    let p = Project::new("config_dir");
    p.write("strata.toml", "migrations = \"db/migrations\"\n");
    let run = p.strata(&["create", "first"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        fs::read_dir(p.dir.join("db/migrations"))
            .map(|d| d.count())
            .unwrap_or(0),
        2
    );
    let run = p.strata(&["--migrations", "other", "create", "second"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        fs::read_dir(p.dir.join("other"))
            .map(|d| d.count())
            .unwrap_or(0),
        2
    );
}

#[test]
fn bad_migration_name_says_what_is_wrong() {
    let p = Project::new("bad_name");
    let run = p.strata(&["create", "add-users"]);
    assert_eq!(run.code, 2, "{run:?}");
    insta::assert_snapshot!("bad_name", run.stderr);
    assert!(!Path::new(&p.dir.join("migrations")).exists());
}

#[tokio::test]
async fn database_url_is_read_from_dotenv() {
    let db = TestDb::new().await;
    let p = Project::new("dotenv");
    p.write(".env", &format!("DATABASE_URL={}\n", db.url));
    p.migration(1, "one", "CREATE TABLE one (id int);", "DROP TABLE one;");
    let run = p.strata(&["run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(table_exists(&db, "one").await);
}

#[tokio::test]
async fn revert_of_a_simple_migration_is_refused() {
    let db = TestDb::new().await;
    let p = Project::new("simple");
    p.write("migrations/1_seed.sql", "CREATE TABLE seed (id int);\n");
    assert_eq!(p.strata_db(&db, &["run"]).code, 0);
    let run = p.strata_db(&db, &["revert", "--dry-run"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("1_seed.sql") && run.stderr.contains("cannot be reverted"),
        "{run:?}"
    );
    assert!(table_exists(&db, "seed").await);
}
