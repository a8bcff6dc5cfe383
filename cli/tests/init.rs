//! `strata init` (issue 15): adoption in one command, through the binary. strata.toml,
//! the pulled entities and `objects` files, the baseline recorded as applied, and "No
//! changes"; then `status` is clean and a struct edit is a normal migration that runs
//! and reverts. What cannot be declared is excluded, with the reason, and said.

mod support;

use strata_tests::TestDb;
use support::Project;

fn read(project: &Project, path: &str) -> String {
    std::fs::read_to_string(project.dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn init_adopts_the_kitchen_sink_and_the_next_edit_is_a_normal_migration() {
    let sink = support::kitchen_sink().await;
    let db = &sink.db;
    let project = Project::new("init-kitchen-sink", db);
    let init = project.strata(&["init"]);
    assert_eq!(init.code, 0, "{init}");
    insta::assert_snapshot!("kitchen_sink_init", project.filter(&init.stdout));
    insta::assert_snapshot!("kitchen_sink_strata_toml", read(&project, "strata.toml"));
    assert_eq!(project.migration_files().len(), 2);

    let status = project.strata(&["status"]);
    assert_eq!(status.code, 0, "{status}");
    let check = project.strata(&["generate", "check", "--check"]);
    assert_eq!(check.code, 0, "{check}");

    // A struct edit: a normal migration, that runs and reverts.
    let public = read(&project, "src/entities/public.rs");
    let edited = public.replacen(
        "    pub code: String,\n}",
        "    pub code: String,\n    pub label: Option<String>,\n}",
        1,
    );
    assert_ne!(public, edited, "the tags struct is there:\n{public}");
    project.write("src/entities/public.rs", &edited);
    let generated = project.strata(&["generate", "add_label"]);
    assert_eq!(generated.code, 0, "{generated}");
    assert!(
        generated.stdout.contains("add column tags.label"),
        "{generated}"
    );
    let (up, _) = project.latest_migrations(1);
    assert!(
        up.contains("ALTER TABLE tags ADD COLUMN label text"),
        "{up}"
    );
    let ran = project.strata(&["run"]);
    assert_eq!(ran.code, 0, "{ran}");
    let again = project.strata(&["generate", "again"]);
    assert!(again.stdout.contains("No changes"), "{again}");
    let reverted = project.strata(&["revert"]);
    assert_eq!(reverted.code, 0, "{reverted}");
    let status = project.strata(&["status"]);
    assert_eq!(
        status.code, 1,
        "the edit's migration is pending again\n{status}"
    );
}

#[tokio::test]
async fn init_excludes_what_it_cannot_declare_and_says_why() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE EXTENSION bloom;
         CREATE TYPE odd AS ENUM ('a', '');
         CREATE TABLE parent (id int PRIMARY KEY, id2 int NOT NULL, name text NOT NULL,
             UNIQUE (id, id2));
         CREATE TABLE child (id int PRIMARY KEY,
             parent int, other int,
             FOREIGN KEY (parent, other) REFERENCES parent (id, id2) ON DELETE SET NULL (parent));
         CREATE TABLE search (id int PRIMARY KEY, a int, b int);
         CREATE INDEX search_bloom ON search USING bloom (a, b);
         CREATE VIEW children AS SELECT id FROM child;
         CREATE VIEW parents AS SELECT id, name FROM parent;",
    )
    .await;
    let project = Project::new("init-exclude", &db);
    let init = project.strata(&["init"]);
    assert_eq!(init.code, 0, "{init}");
    let config = read(&project, "strata.toml");
    for entry in ["\"public.child\"", "\"public.odd\"", "\"public.children\""] {
        assert!(config.contains(entry), "{entry} is excluded\n{config}");
    }
    assert!(config.contains("SET NULL (parent)"), "{config}");
    assert!(config.contains("extensions = [\"bloom\"]"), "{config}");
    assert!(
        init.stdout.contains("Excluded in strata.toml (3)"),
        "{init}"
    );
    assert!(init.stdout.contains("No changes"), "{init}");
    let public = read(&project, "src/entities/public.rs");
    assert!(public.contains("pub struct Parent"), "{public}");
    // An extension's access method: declared, not excluded.
    assert!(public.contains("method = \"bloom\""), "{public}");
    assert!(!public.contains("pub struct Child"), "{public}");
    let views = read(&project, "src/entities/sql/views.sql");
    assert!(views.contains("CREATE VIEW parents"), "{views}");
    assert!(!views.contains("children"), "{views}");
    let status = project.strata(&["status"]);
    assert_eq!(status.code, 0, "{status}");
    let check = project.strata(&["generate", "check", "--check"]);
    assert_eq!(check.code, 0, "{check}");
}

#[tokio::test]
async fn init_refuses_an_existing_config_and_never_touches_migrations() {
    let db = TestDb::new().await;
    db.execute("CREATE TABLE t (id int PRIMARY KEY)").await;
    let project = Project::new("init-refuses", &db);
    project.write("strata.toml", "schemas = [\"public\"]\n");
    let refused = project.strata(&["init"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(
        refused.stderr.contains("strata.toml already exists"),
        "{refused}"
    );
    assert!(refused.stderr.contains("--force"), "{refused}");
    assert!(!project.dir.join("src/entities").exists());

    project.migration(20260101000000, "mine", "SELECT 1;\n", "SELECT 1;\n");
    let refused = project.strata(&["init", "--force"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(
        refused.stderr.contains("migrations already has content"),
        "{refused}"
    );
    assert_eq!(read(&project, "strata.toml"), "schemas = [\"public\"]\n");
    assert_eq!(project.migration_files().len(), 2);

    std::fs::remove_dir_all(project.dir.join("migrations")).expect("remove");
    let forced = project.strata(&["init", "--force"]);
    assert_eq!(forced.code, 0, "{forced}");
    assert!(forced.stdout.contains("No changes"), "{forced}");
}

const PAGILA_LIKE: &str = include_str!("fixtures/pagila_like.sql");
const AIRLINES_LIKE: &str = include_str!("fixtures/airlines_like.sql");

/// Schemas in the style of the public sample databases: every table adopted (the
/// hand-made `bigint` sequences on `integer` columns included), "No changes", and the
/// baseline proven on a scratch database with the entities giving "No changes" there.
#[tokio::test]
async fn init_adopts_sample_databases_whole() {
    for (name, sql, adopted) in [
        (
            "init-pagila",
            PAGILA_LIKE,
            "Adopted 8 tables and 1 enum type",
        ),
        (
            "init-airlines",
            AIRLINES_LIKE,
            "Adopted 7 tables and 0 enum types",
        ),
    ] {
        let db = TestDb::new().await;
        db.execute(sql).await;
        let project = Project::new(name, &db);
        let init = project.strata(&["init"]);
        assert_eq!(init.code, 0, "{init}");
        assert!(init.stdout.contains(adopted), "{init}");
        assert!(!init.stdout.contains("Excluded"), "{init}");
        assert!(init.stdout.contains("No changes"), "{init}");
        let status = project.strata(&["status"]);
        assert_eq!(status.code, 0, "{status}");
        let verify = project.strata(&["verify"]);
        assert_eq!(verify.code, 0, "{verify}");
        assert!(verify.stdout.contains("No changes"), "{verify}");
    }
}

/// An adoption that fails once its files are written leaves nothing behind: here the
/// objects files cannot be read back on a scratch database, whose extensions strata
/// creates in the default schema (the database has citext in a schema of its own, a
/// known limit), so the table of `extensions.citext` and the view on it cannot be made.
#[tokio::test]
async fn an_adoption_that_fails_leaves_nothing_behind() {
    let db = TestDb::new().await;
    // The view is read back on a scratch database, and there is none to be had.
    db.execute(
        "CREATE TABLE t (id int PRIMARY KEY, c text);
         CREATE VIEW v AS SELECT * FROM t;",
    )
    .await;
    let project = Project::new("init-undo", &db);
    let init = project.strata(&[
        "init",
        "--shadow-url",
        "postgres://postgres@127.0.0.1:1/none",
    ]);
    assert_eq!(init.code, 2, "{init}");
    assert!(init.stderr.contains("nothing was adopted"), "{init}");
    assert!(!project.dir.join("strata.toml").exists(), "{init}");
    assert!(!project.dir.join("src/entities").exists(), "{init}");
    assert!(project.migration_files().is_empty(), "{init}");
    assert_eq!(
        project
            .query_text("SELECT count(*)::text FROM pg_tables WHERE tablename = '_sqlx_migrations'")
            .await,
        "0"
    );
}

/// A database adopted from Rails keeps Rails' history tables: excluded, with the tool.
#[tokio::test]
async fn init_leaves_other_tools_migration_histories_alone() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE schema_migrations (version varchar PRIMARY KEY);
         CREATE TABLE ar_internal_metadata (key varchar PRIMARY KEY, value varchar);
         CREATE TABLE \"_prisma_migrations\" (id varchar(36) PRIMARY KEY);
         CREATE TABLE users (id bigserial PRIMARY KEY, name varchar);
         INSERT INTO schema_migrations VALUES ('20240101000000');",
    )
    .await;
    let project = Project::new("init-histories", &db);
    let init = project.strata(&["init"]);
    assert_eq!(init.code, 0, "{init}");
    insta::assert_snapshot!("other_tools_histories", read(&project, "strata.toml"));
    let public = read(&project, "src/entities/public.rs");
    assert!(!public.contains("SchemaMigrations"), "{public}");
    let check = project.strata(&["generate", "check", "--check"]);
    assert_eq!(check.code, 0, "{check}");
}

/// Legacy table inheritance (pagila's payment partitions of old): the children are
/// excluded with the reason, so a column added to the parent (which PostgreSQL adds to
/// them) gives "No changes" after it runs.
#[tokio::test]
async fn init_excludes_tables_that_inherit_and_the_parent_evolves_alone() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE payment (payment_id serial PRIMARY KEY, amount numeric(5,2) NOT NULL);
         CREATE TABLE payment_p2015_01 (CHECK (amount >= 0)) INHERITS (payment);
         INSERT INTO payment_p2015_01 (amount) VALUES (4.99);",
    )
    .await;
    let project = Project::new("init-inherits", &db);
    let init = project.strata(&["init"]);
    assert_eq!(init.code, 0, "{init}");
    insta::assert_snapshot!("inheritance_excluded", read(&project, "strata.toml"));
    let public = read(&project, "src/entities/public.rs");
    assert!(!public.contains("PaymentP201501"), "{public}");
    assert!(
        public.contains("    pub amount: rust_decimal::Decimal,"),
        "{public}"
    );
    project.write(
        "src/entities/public.rs",
        &public.replace(
            "    pub amount: rust_decimal::Decimal,",
            "    pub amount: rust_decimal::Decimal,\n    pub note: Option<String>,",
        ),
    );
    let generated = project.strata(&["generate", "add_note"]);
    assert_eq!(generated.code, 0, "{generated}");
    assert!(
        generated.stdout.contains("add column payment.note"),
        "{generated}"
    );
    let ran = project.strata(&["run"]);
    assert_eq!(ran.code, 0, "{ran}");
    let again = project.strata(&["generate", "again", "--check"]);
    assert_eq!(again.code, 0, "{again}");
}

/// Views and a policy declared in `objects` files (as `init` writes them), around a
/// plan split in two files (a label added and made the default, a column the views
/// read widened): each file sets them aside itself, so reverting one file at a time
/// never leaves them missing.
#[tokio::test]
async fn declared_views_are_set_aside_in_each_file_of_a_split_plan() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TYPE post_status AS ENUM ('draft', 'published');
         CREATE TABLE posts (id int PRIMARY KEY, title varchar(100) NOT NULL, status post_status NOT NULL DEFAULT 'draft');
         CREATE VIEW visible AS SELECT id, title FROM posts WHERE status = 'published';
         CREATE VIEW titles AS SELECT title FROM visible;
         ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
         CREATE POLICY posts_visible ON posts USING (status = 'published');
         INSERT INTO posts VALUES (1, 'a', 'published');",
    )
    .await;
    let project = Project::new("init-split", &db);
    let init = project.strata(&["init"]);
    assert_eq!(init.code, 0, "{init}");
    let public = read(&project, "src/entities/public.rs");
    let edited = public
        .replacen("    Draft,\n", "    Draft,\n    Queued,\n", 1)
        .replacen("'draft'::post_status", "'queued'::post_status", 1)
        .replacen("length = 100", "length = 200", 1);
    assert_ne!(edited, public);
    project.write("src/entities/public.rs", &edited);
    let generated = project.strata(&["generate", "queued"]);
    assert_eq!(generated.code, 0, "{generated}");
    assert!(
        generated.stdout.contains("split into 2 migrations"),
        "{generated}"
    );
    let ran = project.strata(&["run"]);
    assert_eq!(ran.code, 0, "{ran}");
    let objects = "SELECT (SELECT count(*) FROM titles) || ',' || (SELECT string_agg(polname, ',') FROM pg_policy)";
    for _ in 0..2 {
        let reverted = project.strata(&["revert"]);
        assert_eq!(reverted.code, 0, "{reverted}");
        assert_eq!(project.query_text(objects).await, "1,posts_visible");
    }
    let ran = project.strata(&["run", "--target", &first_version(&project)]);
    assert_eq!(ran.code, 0, "{ran}");
    assert_eq!(project.query_text(objects).await, "1,posts_visible");
}

/// The version of the first migration `generate` wrote after the baseline.
fn first_version(project: &Project) -> String {
    let ups: Vec<String> = project
        .migration_files()
        .into_iter()
        .filter(|n| n.ends_with(".up.sql"))
        .collect();
    ups[1].split('_').next().unwrap_or_default().to_string()
}
