//! A throw-away user project for end-to-end tests: a directory with entity sources and
//! migrations, the real `strata` binary, and a database of its own.

#![allow(dead_code)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use strata_core::schema::Schema;
use strata_tests::TestDb;

pub struct Project {
    pub dir: PathBuf,
    /// The database `strata` is pointed at with `--database-url`, if any.
    url: Option<String>,
    db_name: Option<String>,
}

/// What one run of the binary did.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Project {
    /// A project whose `strata` runs use `db`.
    pub fn new(name: &str, db: &TestDb) -> Project {
        let mut project = Project::bare(name);
        project.url = Some(db.url.clone());
        project.db_name = Some(db.name.clone());
        project
    }

    /// A project with no database settings at all.
    pub fn bare(name: &str) -> Project {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{name}-{}-{nanos}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).expect("create the project directory");
        Project {
            dir,
            url: None,
            db_name: None,
        }
    }

    pub fn write_entities(&self, source: &str) {
        std::fs::write(self.dir.join("src/entities.rs"), source).expect("write entities");
    }

    pub fn write(&self, relative: &str, contents: &str) {
        let path = self.dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(path, contents).expect("write file");
    }

    /// A hand-written migration pair.
    pub fn migration(&self, version: i64, name: &str, up: &str, down: &str) {
        self.write(&format!("migrations/{version}_{name}.up.sql"), up);
        self.write(&format!("migrations/{version}_{name}.down.sql"), down);
    }

    /// Runs `strata [--database-url <db>] ARGS` in the project directory, with no
    /// database settings leaking in from the environment of whoever runs the tests.
    pub fn strata(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_strata"));
        cmd.current_dir(&self.dir);
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
        if let Some(url) = &self.url {
            cmd.arg("--database-url").arg(url);
        }
        let out = cmd.args(args).output().expect("run the strata binary");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Output with this project's directory, database and migration versions made
    /// stable, for snapshots.
    pub fn filter(&self, text: &str) -> String {
        let mut text = text.replace(&self.dir.display().to_string(), "[PROJECT]");
        if let Some(db) = &self.db_name {
            text = text.replace(db, "[DB]");
        }
        replace_server_version(&replace_versions(&text))
    }

    /// The names of the files in `migrations/`, sorted.
    pub fn migration_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.join("migrations"))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// The newest `count` migrations' up files, in the order they run, and their down
    /// files, in the order they revert; one text each.
    pub fn latest_migrations(&self, count: usize) -> (String, String) {
        let files = self.migration_files();
        let ups: Vec<&String> = files.iter().filter(|n| n.ends_with(".up.sql")).collect();
        let newest = &ups[ups.len().saturating_sub(count)..];
        let read = |name: &str| {
            std::fs::read_to_string(self.dir.join("migrations").join(name)).expect("read migration")
        };
        let join = |names: Vec<String>| {
            names
                .iter()
                .map(|n| {
                    if count > 1 {
                        format!("==> {}\n{}", strip_version(n), read(n))
                    } else {
                        read(n)
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let join = |names: Vec<String>| replace_server_version(&join(names));
        let up = join(newest.iter().map(|n| n.to_string()).collect());
        let down = join(
            newest
                .iter()
                .rev()
                .map(|n| n.replace(".up.sql", ".down.sql"))
                .collect(),
        );
        (up, down)
    }

    /// The schema as strata reads it, with columns in name order: a column that a down
    /// file re-adds can only go at the end of its table, so position is not compared.
    pub async fn introspect(&self) -> Schema {
        let mut conn = self.connect().await;
        let schemas = vec!["public".to_string(), "billing".to_string()];
        let mut schema = strata_core::introspect::introspect(&mut conn, &schemas, &[])
            .await
            .expect("introspect");
        for table in &mut schema.tables {
            table.columns.sort_by(|a, b| a.name.cmp(&b.name));
        }
        schema
    }

    pub async fn query_text(&self, sql: &str) -> String {
        let mut conn = self.connect().await;
        sqlx::query_scalar::<_, String>(sql)
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn connect(&self) -> sqlx::PgConnection {
        use sqlx::Connection;
        let url = self.url.as_deref().expect("a project with a database");
        sqlx::PgConnection::connect(url)
            .await
            .expect("connect to the test database")
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        // The replay cache strata keeps on the server names the migrations folder.
        if self.url.is_some() {
            let folder = self.dir.join("migrations");
            let folder = std::fs::canonicalize(&folder).unwrap_or(folder);
            strata_tests::drop_databases_commented(&format!("replay of {}", folder.display()));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The server version strata names (`PostgreSQL 15.20` in a verified file's header) →
/// `PostgreSQL [SERVER]`: snapshots hold on any server.
pub fn replace_server_version(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("PostgreSQL ") {
        let start = at + "PostgreSQL ".len();
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(tail.len());
        out.push_str(if end > 0 { "[SERVER]" } else { "" });
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// 14-digit runs (timestamp versions) → `[VERSION]`.
pub fn replace_versions(text: &str) -> String {
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

/// One evolution step of an entity corpus: the whole entity source after the change.
pub struct Step {
    pub name: &'static str,
    pub source: &'static str,
    /// `generate` must refuse without `--allow-destructive`.
    pub destructive: bool,
    /// SQL run after the step's migration (data the next steps must keep).
    pub seed: Option<&'static str>,
    /// A query whose single text result must hold after the step was applied.
    pub check: Option<(&'static str, &'static str)>,
}

impl Step {
    pub fn new(name: &'static str, source: &'static str) -> Step {
        Step {
            name,
            source,
            destructive: false,
            seed: None,
            check: None,
        }
    }
}

/// The core promise, step by step: `generate` writes a migration (a destructive one
/// only with `--allow-destructive`), `run` applies it, `generate` again says "No
/// changes", `revert` restores exactly the schema from before, `run` again reaches
/// exactly the same schema. `snapshot(name, text)` records each up and down file.
pub async fn check_evolution(
    project: &Project,
    db: &TestDb,
    steps: &[Step],
    snapshot: impl Fn(String, String),
) {
    for (i, step) in steps.iter().enumerate() {
        let label = format!("step {} ({})", i + 1, step.name);
        project.write_entities(step.source);
        let before = project.introspect().await;
        let files_before = project.migration_files().len();

        if step.destructive {
            let refused = project.strata(&["generate", step.name]);
            assert_eq!(
                refused.code, 2,
                "{label}: a destructive step must be refused\n{refused}"
            );
            assert!(
                refused.stderr.contains("--allow-destructive"),
                "{label}: the refusal names the way out\n{refused}"
            );
            assert_eq!(
                project.migration_files().len(),
                files_before,
                "{label}: nothing written"
            );
        }
        let mut args = vec!["generate", step.name];
        if step.destructive {
            args.push("--allow-destructive");
        }
        let generated = project.strata(&args);
        assert_eq!(generated.code, 0, "{label}: generate\n{generated}");
        // An online plan may be split into several migrations: snapshot them all, in
        // the order they run, and revert them all.
        let written = project.migration_files().len() - files_before;
        assert!(
            written >= 2 && written.is_multiple_of(2),
            "{label}: an up and a down per migration"
        );
        let migrations = written / 2;
        let (up, down) = project.latest_migrations(migrations);
        snapshot(format!("{:02}_{}_up", i + 1, step.name), up);
        snapshot(format!("{:02}_{}_down", i + 1, step.name), down);

        let ran = project.strata(&["run"]);
        assert_eq!(ran.code, 0, "{label}: run\n{ran}");
        let after = project.introspect().await;
        assert_ne!(before, after, "{label}: the migration changed nothing");
        if let Some((query, expected)) = step.check {
            assert_eq!(
                project.query_text(query).await,
                expected,
                "{label}: {query}"
            );
        }

        let again = project.strata(&["generate", "again"]);
        assert_eq!(again.code, 0, "{label}: second generate\n{again}");
        assert!(
            again.stdout.contains("No changes"),
            "{label}: generate after run must say No changes\n{again}\n{}",
            project.strata(&["diff", "--format", "sql"]).stdout
        );

        let reverted = project.strata(&["revert", "--steps", &migrations.to_string()]);
        assert_eq!(reverted.code, 0, "{label}: revert\n{reverted}");
        assert_eq!(
            project.introspect().await,
            before,
            "{label}: revert must restore the schema exactly"
        );

        let rerun = project.strata(&["run"]);
        assert_eq!(rerun.code, 0, "{label}: run after revert\n{rerun}");
        assert_eq!(
            project.introspect().await,
            after,
            "{label}: run after revert"
        );
        if migrations > 1 {
            check_parts_one_by_one(project, &label, migrations, &before).await;
        }
        if let Some(seed) = step.seed {
            db.execute(seed).await;
        }
    }
}

/// A plan split into several migrations: each of them, reverted alone, restores
/// exactly the schema the migrations before it made (so a file that fails, or a
/// `revert` of one step, leaves a whole schema: no view dropped by one file and created
/// by another), and run alone again reaches the same schema.
async fn check_parts_one_by_one(project: &Project, label: &str, parts: usize, before: &Schema) {
    let files = project.migration_files();
    let versions: Vec<String> = files
        .iter()
        .filter(|n| n.ends_with(".up.sql"))
        .map(|n| n.split('_').next().unwrap_or_default().to_string())
        .collect();
    let newest = &versions[versions.len() - parts..];
    let reverted = project.strata(&["revert", "--steps", &parts.to_string()]);
    assert_eq!(reverted.code, 0, "{label}: revert\n{reverted}");
    // The schema after each part, the one before them all first.
    let mut made = vec![before.clone()];
    for version in newest {
        let ran = project.strata(&["run", "--target", version]);
        assert_eq!(ran.code, 0, "{label}: run to {version}\n{ran}");
        made.push(project.introspect().await);
    }
    // What strata does not manage and the plan keeps is there between the files too.
    let kept = |s: &Schema| -> Vec<String> {
        let o = &s.objects;
        s.views
            .iter()
            .map(|v| format!("view {}.{}", v.schema, v.name))
            .chain(
                o.triggers
                    .iter()
                    .map(|t| format!("trigger {} on {}", t.name, t.table)),
            )
            .chain(
                o.rules
                    .iter()
                    .map(|r| format!("rule {} on {}", r.name, r.table)),
            )
            .chain(
                o.policies
                    .iter()
                    .map(|p| format!("policy {} on {}", p.name, p.table)),
            )
            .collect()
    };
    let (first, last) = (kept(before), kept(&made[parts]));
    for (i, schema) in made.iter().enumerate() {
        let there = kept(schema);
        for object in first.iter().filter(|o| last.contains(o)) {
            assert!(
                there.contains(object),
                "{label}: {object} is missing after part {i} of {parts}: a split plan must not \
                 leave what it sets aside dropped between its files"
            );
        }
    }
    for (i, version) in newest.iter().enumerate().rev() {
        let reverted = project.strata(&["revert"]);
        assert_eq!(reverted.code, 0, "{label}: revert {version}\n{reverted}");
        assert_eq!(
            project.introspect().await,
            made[i],
            "{label}: reverting {version} alone must restore the schema the parts before it made"
        );
    }
    let rerun = project.strata(&["run"]);
    assert_eq!(
        rerun.code, 0,
        "{label}: run after reverting the parts\n{rerun}"
    );
    assert_eq!(
        project.introspect().await,
        made[parts],
        "{label}: run again"
    );
}

/// `20260101000000_name.up.sql` → `name.up.sql`, for snapshots.
fn strip_version(file: &str) -> &str {
    file.split_once('_').map_or(file, |(_, rest)| rest)
}

/// A step that applies text replacements to the previous step's source; every
/// replacement must apply, so a typo here cannot silently test nothing.
pub struct Change {
    pub name: &'static str,
    pub edits: &'static [(&'static str, &'static str)],
    pub destructive: bool,
    pub seed: Option<&'static str>,
    pub check: Option<(&'static str, &'static str)>,
}

pub const fn change(name: &'static str, edits: &'static [(&'static str, &'static str)]) -> Change {
    Change {
        name,
        edits,
        destructive: false,
        seed: None,
        check: None,
    }
}

pub fn evolve(base: &str, changes: &[Change]) -> Vec<Step> {
    let mut source = base.to_string();
    let mut steps = vec![Step::new("create", leak(&source))];
    for c in changes {
        for (from, to) in c.edits {
            assert!(
                source.contains(from),
                "step {}: `{from}` is not in the source",
                c.name
            );
            source = source.replacen(from, to, 1);
        }
        steps.push(Step {
            destructive: c.destructive,
            seed: c.seed,
            check: c.check,
            ..Step::new(c.name, leak(&source))
        });
    }
    steps
}

/// A `&'static str` for a step's source, built at run time (tests only: never freed).
pub fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// A role of a test's own (roles are cluster-wide): named after its database, and
/// dropped with the guard, once the databases that grant it something are gone.
pub struct RoleGuard(pub String);

impl RoleGuard {
    pub async fn create(db: &TestDb) -> RoleGuard {
        let name = format!("{}_r", db.name);
        db.execute(&format!("CREATE ROLE \"{name}\"")).await;
        RoleGuard(name)
    }
}

impl Drop for RoleGuard {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                &strata_tests::admin_url(),
                "-qc",
                &format!("DROP ROLE IF EXISTS \"{}\"", self.0),
            ])
            .output();
    }
}

/// cli/tests/fixtures/kitchen_sink.sql (every object kind strata reads) loaded into a
/// new database, with a role of its own. The database is dropped before the role
/// (fields drop in order), which it grants privileges to.
pub struct KitchenSink {
    pub db: TestDb,
    pub role: RoleGuard,
}

pub async fn kitchen_sink() -> KitchenSink {
    let db = TestDb::new().await;
    let role = RoleGuard::create(&db).await;
    db.execute(
        &include_str!("../fixtures/kitchen_sink.sql").replace(":role", &format!("\"{}\"", role.0)),
    )
    .await;
    KitchenSink { db, role }
}
