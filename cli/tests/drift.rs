//! `strata drift` (issue 13): the database against the schema its applied migrations
//! build, through the binary. Changes made by hand are named (added, dropped,
//! altered, with what changed), pending migrations are left out of the comparison,
//! an edited migration is reported, `exclude` is honoured, and the database is never
//! written to.

mod support;

use strata_tests::TestDb;
use support::Project;

const USERS_UP: &str = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n\
                        CREATE INDEX users_email_idx ON users (email);\n";
const ORDERS_UP: &str = "CREATE TABLE orders (id bigint PRIMARY KEY, \
                         user_id bigint REFERENCES users (id), total numeric(10,2));\n";

fn two_migrations(project: &Project) {
    project.migration(20260101000001, "users", USERS_UP, "DROP TABLE users;\n");
    project.migration(20260101000002, "orders", ORDERS_UP, "DROP TABLE orders;\n");
}

/// What a write to the database would change: its relations, columns, indexes and the
/// migration history.
async fn fingerprint(project: &Project) -> String {
    project
        .query_text(
            "SELECT coalesce(md5(string_agg(c.relname || c.relkind::text || coalesce(a.attname, '') \
             || coalesce(pg_catalog.format_type(a.atttypid, a.atttypmod), ''), ',' \
             ORDER BY c.relname, a.attnum)), '') || ' ' || \
             (SELECT count(*) FROM _sqlx_migrations)::text \
             FROM pg_catalog.pg_class c \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 \
             WHERE c.relnamespace = 'public'::regnamespace",
        )
        .await
}

/// The database as its migrations built it: no drift, exit 0. Then by hand: a column
/// added, an index dropped, a column's type changed, a view created: each named, exit 1,
/// and nothing written to the database.
#[tokio::test]
async fn drift_names_what_was_changed_by_hand() {
    let db = TestDb::new().await;
    let project = Project::new("drift-by-hand", &db);
    two_migrations(&project);
    let run = project.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");

    let out = project.strata(&["drift"]);
    assert_eq!(out.code, 0, "{out}");
    insta::assert_snapshot!("drift_none", project.filter(&out.stdout));

    db.execute(
        "ALTER TABLE users ADD COLUMN nickname text; \
         DROP INDEX users_email_idx; \
         ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2); \
         CREATE VIEW big_orders AS SELECT id FROM orders WHERE total > 100",
    )
    .await;
    let before = fingerprint(&project).await;
    let out = project.strata(&["drift"]);
    assert_eq!(out.code, 1, "{out}");
    insta::assert_snapshot!(
        "drift_by_hand",
        project.filter(&format!("{}{}", out.stderr, out.stdout))
    );
    assert_eq!(
        fingerprint(&project).await,
        before,
        "drift wrote to the database"
    );

    let json = project.strata(&["drift", "--json"]);
    assert_eq!(json.code, 1, "{json}");
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(report["drift"], true);
    let objects: Vec<(&str, &str)> = report["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .map(|d| {
            (
                d["object"].as_str().unwrap_or_default(),
                d["change"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        objects,
        vec![
            ("column orders.total", "changed"),
            ("column users.nickname", "appeared"),
            ("index users_email_idx on users", "vanished"),
            ("view big_orders", "appeared"),
        ]
    );
    assert_eq!(
        report["differences"][0]["details"][0],
        "type: numeric(10,2) → numeric(12,2)"
    );
}

/// A migration not applied yet is not part of the comparison (it is named), and an
/// applied migration whose file was edited since is drift too.
#[tokio::test]
async fn drift_leaves_pending_migrations_out_and_reports_edited_ones() {
    let db = TestDb::new().await;
    let project = Project::new("drift-history", &db);
    project.migration(20260101000001, "users", USERS_UP, "DROP TABLE users;\n");
    let run = project.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");
    project.migration(20260101000002, "orders", ORDERS_UP, "DROP TABLE orders;\n");

    let out = project.strata(&["drift"]);
    assert_eq!(
        out.code, 0,
        "the pending orders migration is not drift: {out}"
    );
    insta::assert_snapshot!("drift_pending", project.filter(&out.stdout));

    // The applied file edited after the fact: the history says so, and the schema it
    // now builds has a column the database lacks.
    project.migration(
        20260101000001,
        "users",
        &USERS_UP.replace("email text NOT NULL", "email text NOT NULL, name text"),
        "DROP TABLE users;\n",
    );
    let out = project.strata(&["drift"]);
    assert_eq!(out.code, 1, "{out}");
    insta::assert_snapshot!(
        "drift_edited_migration",
        project.filter(&format!("{}{}", out.stderr, out.stdout))
    );
}

/// What `exclude` names is not compared: a table strata is told to leave alone, made
/// by another tool, with a trigger of its own, is not drift.
#[tokio::test]
async fn drift_leaves_excluded_tables_alone() {
    let db = TestDb::new().await;
    let project = Project::new("drift-exclude", &db);
    project.write(
        "strata.toml",
        "entities = [\"src/**/*.rs\"]\nexclude = [\"audit_*\"]\n",
    );
    two_migrations(&project);
    let run = project.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");
    db.execute(
        "CREATE TABLE audit_log (id bigserial PRIMARY KEY, body text); \
         CREATE FUNCTION audit_touch() RETURNS trigger LANGUAGE plpgsql AS \
         'BEGIN RETURN NEW; END'; \
         CREATE TRIGGER audit_touch BEFORE INSERT ON audit_log \
         FOR EACH ROW EXECUTE FUNCTION audit_touch()",
    )
    .await;
    let out = project.strata(&["drift"]);
    assert_eq!(out.code, 1, "the function is not excluded: {out}");
    let named: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("  - "))
        .collect();
    assert_eq!(
        named,
        vec!["  - function audit_touch() was added (no migration creates it)"],
        "{out}"
    );
}

/// A database like real ones (a domain, an enum, a sequence, identity and serial
/// columns, a partitioned table, views on views, a materialized view, a trigger and its
/// function, row level security, a rule, grants, comments, a second schema): built by
/// its migration, no drift. Then each kind changed by hand: each named.
#[tokio::test]
async fn drift_sees_every_kind_of_object() {
    let db = TestDb::new().await;
    let project = Project::new("drift-kinds", &db);
    project.migration(
        20260101000001,
        "rich",
        "CREATE DOMAIN email AS text CHECK (VALUE ~ '@');\n\
         CREATE TYPE mood AS ENUM ('ok', 'sad');\n\
         CREATE SEQUENCE invoice_no START 1000 INCREMENT 5;\n\
         CREATE TABLE users (id bigserial PRIMARY KEY, email email NOT NULL UNIQUE, \
           mood mood DEFAULT 'ok', created_at timestamptz DEFAULT now(), \
           name varchar(20) CHECK (name IN ('a', 'b')));\n\
         CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
           user_id bigint REFERENCES users (id) ON DELETE CASCADE, total numeric(10,2), \
           no int DEFAULT nextval('invoice_no'));\n\
         CREATE INDEX orders_user_idx ON orders (user_id) WHERE total > 0;\n\
         CREATE TABLE events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);\n\
         CREATE TABLE events_2026 PARTITION OF events \
           FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n\
         CREATE VIEW user_orders AS SELECT u.id, u.email, o.total \
           FROM users u JOIN orders o ON o.user_id = u.id;\n\
         CREATE VIEW big_user_orders AS SELECT * FROM user_orders WHERE total > 100;\n\
         CREATE MATERIALIZED VIEW order_totals AS \
           SELECT user_id, sum(total) AS s FROM orders GROUP BY user_id;\n\
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS \
           $$ BEGIN NEW.created_at := now(); RETURN NEW; END $$;\n\
         CREATE TRIGGER users_touch BEFORE UPDATE ON users \
           FOR EACH ROW EXECUTE FUNCTION touch();\n\
         ALTER TABLE orders ENABLE ROW LEVEL SECURITY;\n\
         CREATE POLICY own_orders ON orders USING (user_id = 1);\n\
         CREATE RULE no_delete AS ON DELETE TO events_2026 DO INSTEAD NOTHING;\n\
         COMMENT ON TABLE users IS 'people';\n\
         GRANT SELECT ON users TO PUBLIC;\n\
         CREATE SCHEMA billing;\n\
         CREATE TABLE billing.invoices (id int PRIMARY KEY, \
           user_id bigint REFERENCES public.users (id));\n",
        "SELECT 1;\n",
    );
    let run = project.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");
    let out = project.strata(&["drift"]);
    assert_eq!(out.code, 0, "a database as its migrations built it: {out}");

    db.execute(
        "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS \
           $$ BEGIN NEW.created_at := clock_timestamp(); RETURN NEW; END $$; \
         DROP POLICY own_orders ON orders; \
         CREATE OR REPLACE VIEW big_user_orders AS \
           SELECT * FROM user_orders WHERE total > 200; \
         ALTER SEQUENCE invoice_no INCREMENT 10; \
         ALTER TABLE users DISABLE TRIGGER users_touch; \
         GRANT INSERT ON users TO PUBLIC; \
         ALTER DOMAIN email ADD CONSTRAINT email_length CHECK (length(VALUE) < 300); \
         ALTER TYPE mood ADD VALUE 'happy'; \
         CREATE TABLE events_2027 PARTITION OF events \
           FOR VALUES FROM ('2027-01-01') TO ('2028-01-01'); \
         DROP RULE no_delete ON events_2026; \
         ALTER TABLE billing.invoices ADD COLUMN paid boolean",
    )
    .await;
    let out = project.strata(&["drift", "--json"]);
    assert_eq!(out.code, 1, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let named: Vec<String> = report["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["change"].as_str().unwrap_or(""),
                d["object"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![
            "appeared column billing.invoices.paid",
            "changed domain email",
            "changed enum mood",
            "changed function touch()",
            "changed grants on table users",
            "appeared partition events_2027",
            "vanished policy own_orders on orders",
            "vanished rule no_delete on events_2026",
            "changed sequence invoice_no",
            "changed trigger users_touch on users",
            "changed view big_user_orders",
        ],
        "{out}"
    );
}

/// A view made by hand, then a migration that relies on it (as one `generate` writes
/// around a view it sees): the folder no longer builds on an empty database. That is
/// drift, named with the migration and PostgreSQL's error, not a failure of `drift`.
#[tokio::test]
async fn a_migration_relying_on_something_made_by_hand_is_drift() {
    let db = TestDb::new().await;
    let project = Project::new("drift-relies", &db);
    project.migration(20260101000001, "users", USERS_UP, "DROP TABLE users;\n");
    let run = project.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");
    db.execute("CREATE VIEW user_emails AS SELECT email FROM users")
        .await;
    project.migration(
        20260101000002,
        "widen_email",
        "DROP VIEW user_emails;\n\
         ALTER TABLE users ALTER COLUMN email TYPE varchar(320);\n\
         CREATE VIEW user_emails AS SELECT email FROM users;\n",
        "DROP VIEW user_emails;\n\
         ALTER TABLE users ALTER COLUMN email TYPE text;\n\
         CREATE VIEW user_emails AS SELECT email FROM users;\n",
    );
    let run = project.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");
    let out = project.strata(&["drift"]);
    assert_eq!(out.code, 1, "{out}");
    insta::assert_snapshot!(
        "drift_does_not_replay",
        project.filter(&format!("{}{}", out.stderr, out.stdout))
    );
    let json = project.strata(&["drift", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(report["replayed"], false);
    assert_eq!(report["failing_migration"], 20260101000002_i64);
}

/// Privileges granted by hand and revoked again leave the ACL written out where it was
/// none (a table's: its owner's privileges; a function's: those and EXECUTE for PUBLIC,
/// in another order): the same privileges, no drift. One left granted is named.
#[tokio::test]
async fn privileges_granted_and_revoked_by_hand_are_no_drift() {
    let db = TestDb::new().await;
    let role = support::RoleGuard::create(&db).await;
    let r = &role.0;
    let project = Project::new("drift-acl-default", &db);
    project.migration(
        20260101000001,
        "users",
        &format!(
            "{USERS_UP}CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql \
             AS $$ SELECT count(*) FROM users $$;\n"
        ),
        "DROP FUNCTION user_count();\nDROP TABLE users;\n",
    );
    let run = project.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");

    db.execute(&format!(
        "GRANT SELECT ON users TO \"{r}\"; REVOKE SELECT ON users FROM \"{r}\"; \
         REVOKE EXECUTE ON FUNCTION user_count() FROM PUBLIC; \
         GRANT EXECUTE ON FUNCTION user_count() TO PUBLIC"
    ))
    .await;
    let out = project.strata(&["drift"]);
    assert_eq!(out.code, 0, "an ACL back to its default is no drift: {out}");

    db.execute(&format!("GRANT SELECT ON users TO \"{r}\""))
        .await;
    let out = project.strata(&["drift"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout.contains(&format!(
            "  - grants on table users were added (no migration creates them): SELECT to {r}"
        )),
        "{out}"
    );
    db.execute(&format!("REVOKE SELECT ON users FROM \"{r}\""))
        .await;
    drop(project);
    drop(db);
}

/// A migrations folder that does not exist: drift cannot tell (exit 2, the folder
/// named), rather than report every object as drift, and it makes no replay for it.
/// With `--json`, a document with the error.
#[tokio::test]
async fn drift_with_a_migrations_folder_that_does_not_exist_is_an_error() {
    let db = TestDb::new().await;
    let project = Project::new("drift-no-folder", &db);
    two_migrations(&project);
    let run = project.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");
    let missing = project.dir.join("migratoins");
    let missing = missing.to_str().expect("a UTF-8 path");
    let before = fingerprint(&project).await;

    let out = project.strata(&["drift", "--migrations", missing]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains(&format!(
            "migrations directory {missing} does not exist; point --migrations DIR"
        )),
        "{out}"
    );
    assert!(!out.stdout.contains("Drift"), "{out}");
    let json = project.strata(&["drift", "--json", "--migrations", missing]);
    assert_eq!(json.code, 2, "{json}");
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(report["error"]["kind"], "files", "{report}");
    assert_eq!(report["drift"], serde_json::Value::Null, "{report}");

    assert_eq!(
        project
            .query_text(&format!(
                "SELECT count(*)::text FROM pg_catalog.pg_database \
                 WHERE shobj_description(oid, 'pg_database') LIKE '%{missing}%'"
            ))
            .await,
        "0",
        "no replay of the missing folder"
    );
    assert_eq!(fingerprint(&project).await, before);
}
