//! `strata pull` (issue 15): entities, DbEnums and `objects` files written from a
//! database, through the binary. The contract: right after `pull` (strata.toml naming
//! the schemas and, when SQL objects were pulled, the `objects` files), `generate
//! --check` exits 0. And the written source compiles with the real derives.

mod support;

use std::process::Command;
use strata_tests::TestDb;
use support::Project;

const ODD: &str = include_str!("fixtures/pull_odd.sql");
const WILD: &str = include_str!("fixtures/pull_wild.sql");

fn read(project: &Project, path: &str) -> String {
    std::fs::read_to_string(project.dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `pull`, then strata.toml, then `generate --check`: exit 0, "No changes".
fn pull_gives_no_changes(project: &Project, config: &str) -> support::Output {
    let pulled = project.strata(&["pull"]);
    assert_eq!(pulled.code, 0, "{pulled}");
    assert!(
        !pulled.stdout.contains("Not expressible"),
        "everything is expressible here\n{pulled}"
    );
    // Literally right after pull, before strata.toml names the objects files (the
    // objects are then read, not managed, and kept):
    let check = project.strata(&["generate", "check", "--check"]);
    assert_eq!(check.code, 0, "{check}");
    project.write("strata.toml", config);
    let check = project.strata(&["generate", "check", "--check"]);
    assert_eq!(
        check.code,
        0,
        "{check}\n{}\n--- public.rs\n{}",
        project.strata(&["diff"]),
        read(project, "src/entities/public.rs")
    );
    assert!(check.stdout.contains("No changes"), "{check}");
    pulled
}

#[tokio::test]
async fn the_kitchen_sink_pulls_to_no_changes() {
    let sink = support::kitchen_sink().await;
    let db = &sink.db;
    let project = Project::new("pull-kitchen-sink", db);
    let pulled = pull_gives_no_changes(
        &project,
        "schemas = [\"public\", \"billing\"]\nobjects = [\"src/entities/sql/*.sql\"]\n",
    );
    insta::assert_snapshot!("kitchen_sink_pull", project.filter(&pulled.stdout));
    insta::assert_snapshot!(
        "kitchen_sink_public_rs",
        read(&project, "src/entities/public.rs")
    );
    insta::assert_snapshot!(
        "kitchen_sink_billing_rs",
        read(&project, "src/entities/billing.rs")
    );
    let views = read(&project, "src/entities/sql/views.sql");
    assert!(
        views.contains("CREATE MATERIALIZED VIEW billing.totals"),
        "{views}"
    );
    assert!(views.contains("CREATE UNIQUE INDEX totals_user"), "{views}");
    let triggers = read(&project, "src/entities/sql/triggers.sql");
    assert!(
        triggers.contains("ALTER TABLE users DISABLE TRIGGER users_touch_always"),
        "{triggers}"
    );
    for file in ["sequences", "domains", "types", "functions", "policies"] {
        let text = read(&project, &format!("src/entities/sql/{file}.sql"));
        assert!(!text.contains("GRANT"), "{file}: {text}");
    }
}

#[tokio::test]
async fn odd_names_keys_indexes_and_types_pull_to_no_changes() {
    let db = TestDb::new().await;
    db.execute(ODD).await;
    let project = Project::new("pull-odd", &db);
    pull_gives_no_changes(
        &project,
        "schemas = [\"public\", \"crm\"]\nobjects = [\"src/entities/sql/*.sql\"]\n\
         extensions = [\"citext\", \"btree_gist\"]\n",
    );
    insta::assert_snapshot!("odd_public_rs", read(&project, "src/entities/public.rs"));
    insta::assert_snapshot!("odd_crm_rs", read(&project, "src/entities/crm.rs"));
}

/// Only `app` is managed: the foreign key into `ext` is a `references`, and the
/// objects files are read back on a scratch database without `ext`.
#[tokio::test]
async fn wild_names_and_references_outside_the_managed_schemas_pull_to_no_changes() {
    let db = TestDb::new().await;
    db.execute(WILD).await;
    let project = Project::new("pull-wild", &db);
    project.write("strata.toml", "schemas = [\"app\"]\n");
    let pulled = pull_gives_no_changes(
        &project,
        "schemas = [\"app\"]\nobjects = [\"src/entities/sql/*.sql\"]\n",
    );
    assert!(
        pulled.stdout.contains("table app.cache: is UNLOGGED"),
        "what strata does not read is said\n{pulled}"
    );
    let app = read(&project, "src/entities/app.rs");
    for expected in [
        "#[entity(references = \"ext.region(code)\")]",
        "#[entity(rename = \"UserId\")]\n    pub user_id2: Option<i32>,\n    pub user_id: Option<i32>,",
        "#[entity(foreign_key(People, on_delete = \"set null\", deferrable))]",
        "#[entity(rename = \"Name\", sql_type = \"app.\\\"Name\\\"\")]",
        "primary_key(name = \"PK_Album\")",
        "comment = \"It's people\\non two lines\"",
    ] {
        assert!(app.contains(expected), "{expected}\n{app}");
    }
}

#[tokio::test]
async fn pull_never_overwrites_a_file_without_force() {
    let db = TestDb::new().await;
    db.execute("CREATE TABLE t (id int PRIMARY KEY)").await;
    let project = Project::new("pull-force", &db);
    project.write("src/entities/public.rs", "// mine\n");
    let refused = project.strata(&["pull"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(
        refused.stderr.contains("src/entities/public.rs"),
        "{refused}"
    );
    assert!(refused.stderr.contains("--force"), "{refused}");
    assert_eq!(read(&project, "src/entities/public.rs"), "// mine\n");
    assert!(
        !project.dir.join("src/entities/mod.rs").exists(),
        "nothing is written when one file exists"
    );
    let forced = project.strata(&["pull", "--force"]);
    assert_eq!(forced.code, 0, "{forced}");
    assert!(read(&project, "src/entities/public.rs").contains("pub struct T"));
    let elsewhere = project.strata(&["pull", "--out", "src/db"]);
    assert_eq!(elsewhere.code, 0, "{elsewhere}");
    assert!(project.dir.join("src/db/mod.rs").exists());
}

/// The pulled source in a crate of its own, built with the real derives. The type
/// map's crates come from the workspace's lock (chrono, uuid, serde_json); one it does
/// not hold (rust_decimal) is a stub crate of that name with the type the source names.
#[tokio::test]
async fn the_pulled_source_compiles_with_the_real_derives() {
    let db = TestDb::new().await;
    db.execute(ODD).await;
    db.execute(
        "CREATE SCHEMA billing;
         CREATE TABLE billing.invoice (id bigint PRIMARY KEY, \"user\" uuid REFERENCES \"user\",
             stage crm.stage, at timestamp, on_day date, at_time time, raw bytea, addr inet,
             doc jsonb, amount numeric(12,2), flags boolean[]);",
    )
    .await;
    let project = Project::new("pull-compiles", &db);
    let pulled = project.strata(&["pull", "--out", "pulled/src/entities"]);
    assert_eq!(pulled.code, 0, "{pulled}");
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf();
    let krate = project.dir.join("pulled");
    project.write(
        "pulled/Cargo.toml",
        &format!(
            "[package]\nname = \"pulled\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nstrata = {{ path = {:?} }}\n\
             chrono = {{ version = \"0.4\", default-features = false, features = [\"clock\", \"std\", \"serde\"] }}\n\
             uuid = {{ version = \"1\", features = [\"v4\", \"serde\"] }}\n\
             serde_json = \"1\"\n\
             rust_decimal = {{ path = \"stub/rust_decimal\" }}\n\n[workspace]\n",
            workspace.display().to_string()
        ),
    );
    project.write(
        "pulled/stub/rust_decimal/Cargo.toml",
        "[package]\nname = \"rust_decimal\"\nversion = \"1.0.0\"\nedition = \"2021\"\n",
    );
    project.write(
        "pulled/stub/rust_decimal/src/lib.rs",
        "pub struct Decimal;\n",
    );
    project.write(
        "pulled/src/lib.rs",
        "#![deny(warnings)]\n#![allow(dead_code)]\npub mod entities;\n\n\
         #[test]\nfn the_metadata_is_there() {\n    use strata::Entity;\n    \
         assert_eq!(entities::public::OrderLines::entity().table_name, \"OrderLines\");\n}\n",
    );
    std::fs::copy(workspace.join("Cargo.lock"), krate.join("Cargo.lock")).expect("the lock");
    let out = Command::new(env!("CARGO"))
        .args(["build", "--offline", "--quiet"])
        .current_dir(&krate)
        .env("CARGO_TARGET_DIR", workspace.join("target"))
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "{}\n--- public.rs\n{}",
        String::from_utf8_lossy(&out.stderr),
        read(&project, "pulled/src/entities/public.rs")
    );
}
