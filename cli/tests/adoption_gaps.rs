//! What blocked adopting real databases: a primary key under a legacy name, a unique
//! index where an entity would say "unique constraint", and unbounded `varchar`
//! columns. Each must be expressible (so a hand-built database gives "No changes"),
//! must build the same thing from empty (with the four properties), and a mismatch
//! between a unique index and a unique constraint must say which attribute to write.

mod support;

use strata_tests::TestDb;
use support::{check_evolution, Project, Step};

const LEGACY_SQL: &str = r#"
CREATE TABLE account (
    id bigint NOT NULL,
    email text NOT NULL,
    nick varchar,
    tags varchar[] NOT NULL DEFAULT '{}',
    CONSTRAINT legacy_pkey1 PRIMARY KEY (id)
);
CREATE UNIQUE INDEX account_email_idx ON account (email);
CREATE TABLE membership (
    account_id bigint NOT NULL,
    team text NOT NULL,
    CONSTRAINT "Membership_PK" PRIMARY KEY (account_id, team)
);
CREATE TABLE note (
    id integer NOT NULL CONSTRAINT note_pk PRIMARY KEY DEFERRABLE,
    body varchar NOT NULL,
    slug varchar(40) NOT NULL
);
CREATE UNIQUE INDEX note_body_slug_idx ON note (body, slug);
INSERT INTO account VALUES (1, 'a@example.com', 'a', '{x}');
INSERT INTO membership VALUES (1, 'core');
INSERT INTO note VALUES (1, 'hello', 'hello');
"#;

const MATCHING: &str = r#"
#[derive(strata::Entity)]
#[entity(string_type = "varchar")]
pub struct Account {
    #[entity(primary_key = "legacy_pkey1")]
    pub id: i64,
    #[entity(sql_type = "text", index(unique))]
    pub email: String,
    pub nick: Option<String>,
    #[entity(default = "'{}'")]
    pub tags: Vec<String>,
}

#[derive(strata::Entity)]
#[entity(primary_key(account_id, team, name = "Membership_PK"))]
pub struct Membership {
    pub account_id: i64,
    pub team: String,
}

#[derive(strata::Entity)]
#[entity(string_type = "varchar", index(body, slug, unique))]
pub struct Note {
    #[entity(primary_key(name = "note_pk", deferrable))]
    pub id: i32,
    pub body: String,
    #[entity(length = 40)]
    pub slug: String,
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn legacy_key_names_unique_indexes_and_bare_varchar_are_expressible() {
    let db = TestDb::new().await;
    db.execute(LEGACY_SQL).await;
    let project = Project::new("adoption-gaps", &db);
    project.write_entities(MATCHING);

    let out = project.strata(&["generate", "adopt", "--check"]);
    assert_eq!(
        out.code,
        0,
        "{out}\n{}",
        project.strata(&["diff", "--format", "sql"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_unique_constraint_declared_over_a_unique_index_says_what_to_write() {
    let db = TestDb::new().await;
    db.execute(LEGACY_SQL).await;
    let project = Project::new("adoption-gaps-hint", &db);
    // The other kind of each: a constraint for the index, and the other way round.
    let swapped = MATCHING
        .replace(
            r#"#[entity(sql_type = "text", index(unique))]"#,
            r#"#[entity(sql_type = "text", unique)]"#,
        )
        .replace(
            "index(body, slug, unique)",
            r#"unique(body, slug, name = "note_body_slug_idx")"#,
        );
    project.write_entities(&swapped);
    let out = project.strata(&["diff"]);
    assert_eq!(out.code, 0, "{out}");
    insta::assert_snapshot!(out.stderr);

    // And from a unique constraint in the database to a declared unique index.
    db.execute("ALTER TABLE account ADD CONSTRAINT account_nick_key UNIQUE (nick)")
        .await;
    let indexed = MATCHING.replace(
        "    pub nick: Option<String>,",
        "    #[entity(index(unique))]\n    pub nick: Option<String>,",
    );
    project.write_entities(&indexed);
    let out = project.strata(&["diff"]);
    assert_eq!(out.code, 0, "{out}");
    insta::assert_snapshot!("constraint_in_the_database", out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_new_attributes_build_the_same_tables_from_empty() {
    let db = TestDb::new().await;
    let project = Project::new("adoption-gaps-evolve", &db);
    let renamed_key = MATCHING.replace("legacy_pkey1", "account_key_v2");
    let steps = [
        Step {
            seed: Some(
                "INSERT INTO account VALUES (1, 'a@example.com', 'a', '{x}');
                 INSERT INTO membership VALUES (1, 'core');
                 INSERT INTO note VALUES (1, 'hello', 'hello');",
            ),
            ..Step::new("create", MATCHING)
        },
        // Renaming a key is a rename, not a drop and add.
        Step {
            check: Some((
                "SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint WHERE conrelid = 'account'::regclass",
                "account_key_v2",
            )),
            ..Step::new("rename_key", support::leak(&renamed_key))
        },
    ];
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(name, text)
    })
    .await;
    let out = project.strata(&["generate", "again", "--check"]);
    assert_eq!(out.code, 0, "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_baseline_says_what_it_does_not_write() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text) WITH (fillfactor = 70);
         CREATE TABLE plain (id integer PRIMARY KEY);
         COMMENT ON INDEX plain_pkey IS 'not read';",
    )
    .await;
    let project = Project::new("adoption-gaps-baseline", &db);
    let out = project.strata(&["baseline", "adopt"]);
    assert_eq!(out.code, 0, "{out}");
    insta::assert_snapshot!("baseline_stderr", out.stderr);
    let (up, _) = project.latest_migrations(1);
    let header: Vec<&str> = up.lines().take_while(|l| l.starts_with("--")).collect();
    insta::assert_snapshot!("baseline_header", header.join("\n"));
}

/// Extensions in a schema of their own (as Supabase installs them): the database's
/// types name them there (`extensions.citext`), so every scratch database must install
/// them there too. `init` adopts it, an edit is verified, and `verify` passes (a
/// baseline's down file drops the extension its up file created).
#[tokio::test(flavor = "multi_thread")]
async fn extensions_in_a_schema_of_their_own_are_adopted() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE SCHEMA extensions;
         CREATE EXTENSION citext WITH SCHEMA extensions;
         CREATE TABLE users (id bigint PRIMARY KEY, email extensions.citext NOT NULL);
         CREATE VIEW user_emails AS SELECT id, email FROM users;
         INSERT INTO users VALUES (1, 'A@example.com');",
    )
    .await;
    let project = Project::new("adoption-gaps-extension-schema", &db);
    let out = project.strata(&["init"]);
    assert_eq!(out.code, 0, "{out}");
    let config = std::fs::read_to_string(project.dir.join("strata.toml")).expect("strata.toml");
    assert!(
        config.contains(r#"extensions = ["extensions.citext"]"#),
        "{config}"
    );
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 0, "{out}");

    let entities = project.dir.join("src/entities/public.rs");
    let source = std::fs::read_to_string(&entities).expect("the pulled entities");
    let edited = source.replacen(
        "pub email: String,",
        "pub email: String,\n    pub nick: Option<String>,",
        1,
    );
    assert_ne!(edited, source, "{source}");
    std::fs::write(&entities, edited).expect("edit");
    let out = project.strata(&["generate", "nick"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(project.strata(&["run"]).code, 0);
    let out = project.strata(&["generate", "again", "--check"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(project.strata(&["revert"]).code, 0);
}

/// A policy that reads another table's columns (graphile's starter: "owners may update
/// their organization"): a plan on the policy's table is verified on a copy that holds
/// those columns too.
#[tokio::test(flavor = "multi_thread")]
async fn a_plan_on_a_table_whose_policy_reads_another_table_is_verified() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE orgs (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());
         CREATE TABLE members (id bigint PRIMARY KEY, org_id bigint NOT NULL REFERENCES orgs,
             is_owner boolean NOT NULL DEFAULT false, note text);
         CREATE TABLE audit (id bigint PRIMARY KEY, actor text);
         ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
         CREATE POLICY upd ON orgs FOR UPDATE USING (EXISTS (SELECT 1 FROM members
             WHERE members.org_id = orgs.id AND members.is_owner)
             AND EXISTS (SELECT 1 FROM audit WHERE audit.actor = current_user));
         INSERT INTO orgs VALUES (1);",
    )
    .await;
    let project = Project::new("adoption-gaps-policy", &db);
    let out = project.strata(&["init"]);
    assert_eq!(out.code, 0, "{out}");
    let entities = project.dir.join("src/entities/public.rs");
    let source = std::fs::read_to_string(&entities).expect("the pulled entities");
    let edited = source.replacen(
        "pub created_at: chrono::DateTime<chrono::Utc>,",
        "pub created_at: chrono::DateTime<chrono::Utc>,\n    pub name: Option<String>,",
        1,
    );
    assert_ne!(edited, source, "{source}");
    std::fs::write(&entities, edited).expect("edit");
    let out = project.strata(&["generate", "org_name"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(project.strata(&["run"]).code, 0);
    let out = project.strata(&["generate", "again", "--check"]);
    assert_eq!(out.code, 0, "{out}");
}

/// The same, with a table of the user's in the extensions' schema: the schema is
/// managed, the baseline creates it and the extension in it, and `verify` starts
/// without that extension (a schema made beforehand would fail the baseline).
#[tokio::test(flavor = "multi_thread")]
async fn extensions_in_a_managed_schema_are_verified() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE SCHEMA app;
         CREATE EXTENSION citext WITH SCHEMA app;
         CREATE TABLE app.users (id bigint PRIMARY KEY, email app.citext NOT NULL);",
    )
    .await;
    let project = Project::new("adoption-gaps-extension-managed", &db);
    let out = project.strata(&["init"]);
    assert_eq!(out.code, 0, "{out}");
    let config = std::fs::read_to_string(project.dir.join("strata.toml")).expect("strata.toml");
    assert!(
        config.contains(r#"extensions = ["app.citext"]"#),
        "{config}"
    );
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 0, "{out}");
}

/// Django declares every foreign key `DEFERRABLE INITIALLY DEFERRED`: adopted as
/// `initially_deferred`, not excluded, and built the same from empty.
#[tokio::test(flavor = "multi_thread")]
async fn foreign_keys_initially_deferred_as_django_makes_them() {
    let db = TestDb::new().await;
    db.execute(
        r#"CREATE TABLE auth_user (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
               username varchar(150) NOT NULL UNIQUE);
           CREATE TABLE blog_post (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
               author_id integer NOT NULL);
           ALTER TABLE blog_post ADD CONSTRAINT blog_post_author_id_fk_auth_user_id
               FOREIGN KEY (author_id) REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED;
           CREATE INDEX blog_post_author_id_idx ON blog_post (author_id);"#,
    )
    .await;
    let project = Project::new("adoption-gaps-django", &db);
    let out = project.strata(&["init"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(!out.stdout.contains("Excluded"), "{out}");
    let pulled =
        std::fs::read_to_string(project.dir.join("src/entities/public.rs")).expect("pulled");
    assert!(pulled.contains("initially_deferred"), "{pulled}");

    // From empty: the same constraint, and a change of it is a migration.
    let empty = TestDb::new().await;
    let fresh = Project::new("adoption-gaps-django-fresh", &empty);
    let steps = [
        Step::new("create", support::leak(&pulled)),
        Step::new(
            "immediate",
            support::leak(&pulled.replace("initially_deferred", "deferrable")),
        ),
    ];
    check_evolution(&fresh, &empty, &steps, |name, text| {
        insta::assert_snapshot!(format!("django_{name}"), text)
    })
    .await;
}
