//! The whole database (issue 12): a kitchen-sink schema holding every object kind strata
//! reads (fixtures/kitchen_sink.sql), with dependencies between them and rows. Through
//! the binary: `inspect` shows every kind; `baseline` writes a migration that, run on
//! an empty database, gives the same `pg_dump -s`, and whose down file drops it all on
//! the original; what cannot be re-created is refused; NOT VALID constraints are kept.

mod support;

use std::process::Command;
use strata_tests::TestDb;
use support::Project;

const CONFIG: &str = "schemas = [\"public\", \"billing\"]\n";

/// `pg_dump -s` normalized: without its comment lines (`-- Name: ...; Owner: ...`,
/// which carry dump-order ids), its `SET` and `set_config` preamble, the random key of
/// `\restrict` / `\unrestrict`, blank lines and the migration history table (present
/// on one side only after a revert). Objects come in pg_dump's own order (by kind,
/// then name), so no sorting is needed.
fn dump(db: &TestDb) -> String {
    let out = Command::new("pg_dump")
        .args([
            "--schema-only",
            "--exclude-table=_sqlx_migrations",
            "-d",
            &db.url,
        ])
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            !(l.is_empty()
                || l.starts_with("--")
                || l.starts_with("SET ")
                || l.starts_with("SELECT pg_catalog.set_config")
                || l.starts_with("\\restrict")
                || l.starts_with("\\unrestrict"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn baseline_recreates_every_object_and_its_down_file_drops_them_all() {
    let sink = support::kitchen_sink().await;
    let original = &sink.db;
    let before = dump(original);
    for kind in [
        "CREATE VIEW",
        "CREATE MATERIALIZED VIEW",
        "CREATE FUNCTION",
        "CREATE PROCEDURE",
        "CREATE AGGREGATE",
        "CREATE TRIGGER",
        "CREATE RULE",
        "CREATE POLICY",
        "CREATE SEQUENCE",
        "CREATE DOMAIN",
        "CREATE TYPE public.address AS",
        "PARTITION BY RANGE",
        "ATTACH PARTITION",
        "NOT VALID",
        "ROW LEVEL SECURITY",
        "GRANT",
        "COMMENT ON",
    ] {
        assert!(before.contains(kind), "the fixture lacks {kind}:\n{before}");
    }
    let project = Project::new("catalog-baseline", original);
    project.write("strata.toml", CONFIG);
    let out = project.strata(&["baseline", "init"]);
    assert_eq!(out.code, 0, "{out}");
    let (up, down) = project.latest_migrations(1);
    // Rows untouched, and the database's schema too.
    assert_eq!(original_rows(original).await, "3 3 3");
    assert_eq!(dump(original), before);

    // Run on an empty database: the same schema.
    let empty = TestDb::new().await;
    let fresh = Project::new("catalog-baseline-fresh", &empty);
    fresh.write("strata.toml", CONFIG);
    for name in project.migration_files() {
        let text = std::fs::read_to_string(project.dir.join("migrations").join(&name))
            .expect("read the baseline");
        fresh.write(&format!("migrations/{name}"), &text);
    }
    let out = fresh.strata(&["run"]);
    assert_eq!(out.code, 0, "{out}\n--- up\n{up}");
    assert_eq!(dump(&empty), before, "--- up\n{up}");
    // And strata reads it back as it read the original.
    let out = fresh.strata(&["inspect"]);
    let again = project.strata(&["inspect"]);
    assert_eq!(out.stdout, again.stdout);

    // The down file refuses to drop tables holding rows: on the original, nothing goes.
    let out = project.strata(&["revert"]);
    assert_eq!(out.code, 2, "{out}\n--- down\n{down}");
    assert!(out.stderr.contains("holds rows"), "{out}");
    assert_eq!(dump(original), before);
    assert_eq!(original_rows(original).await, "3 3 3");
    // On the database built from the files (no rows), it drops everything it created.
    let out = fresh.strata(&["revert"]);
    assert_eq!(out.code, 0, "{out}\n--- down\n{down}");
    let nothing = TestDb::new().await;
    assert_eq!(dump(&empty), dump(&nothing), "--- down\n{down}");
    // `empty` (which grants the role something too) is dropped before `sink`, whose
    // database goes before its role.
}

async fn original_rows(db: &TestDb) -> String {
    let mut conn = db.connect().await;
    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
    let users = count("SELECT count(*) FROM users")
        .fetch_one(&mut conn)
        .await;
    let invoices = count("SELECT count(*) FROM billing.invoices")
        .fetch_one(&mut conn)
        .await;
    let events = count("SELECT count(*) FROM events")
        .fetch_one(&mut conn)
        .await;
    format!(
        "{} {} {}",
        users.expect("users"),
        invoices.expect("invoices"),
        events.expect("events")
    )
}

#[tokio::test]
async fn inspect_shows_every_kind() {
    let sink = support::kitchen_sink().await;
    let db = &sink.db;
    let project = Project::new("catalog-inspect", db);
    project.write("strata.toml", CONFIG);
    let out = project.strata(&["inspect"]);
    assert_eq!(out.code, 0, "{out}");
    insta::assert_snapshot!(project.filter(&out.stdout));
}

/// The dependency graph `inspect --json` carries names what reads what, one edge per
/// pair (several rows of `pg_depend` between the same ends are one edge), with nothing
/// that is a thing's own (a view's columns, a column's own default).
#[tokio::test]
async fn the_dependency_graph_names_what_reads_what() {
    use strata_core::schema::{Dependency, ObjectRef, Schema};
    let sink = support::kitchen_sink().await;
    let db = &sink.db;
    let project = Project::new("catalog-graph", db);
    project.write("strata.toml", CONFIG);
    let out = project.strata(&["inspect", "--json"]);
    assert_eq!(out.code, 0, "{out}");
    let schema: Schema = serde_json::from_str(&out.stdout).expect("inspect --json is a Schema");
    let edges = &schema.objects.dependencies;
    fn s(text: &str) -> String {
        text.to_string()
    }
    let column = |schema: &str, relation: &str, column: &str| ObjectRef::Column {
        schema: s(schema),
        relation: s(relation),
        column: s(column),
    };
    let view = |name: &str| ObjectRef::View {
        schema: s("public"),
        name: s(name),
    };
    let has = |dependent: ObjectRef, referenced: ObjectRef| {
        let edge = Dependency {
            dependent,
            referenced,
        };
        assert!(edges.contains(&edge), "missing {edge:?} in {edges:#?}");
    };
    has(
        view("happy_users"),
        column("public", "active_users", "mood"),
    );
    has(view("active_users"), column("public", "users", "mood"));
    has(
        view("active_users"),
        ObjectRef::Type {
            schema: s("public"),
            name: s("mood"),
        },
    );
    let touch = ObjectRef::Function {
        schema: s("public"),
        name: s("touch"),
        args: s(""),
    };
    let trigger = |name: &str| ObjectRef::Trigger {
        schema: s("public"),
        table: s("users"),
        name: s(name),
    };
    has(trigger("users_touch"), touch.clone());
    has(trigger("users_touch_always"), touch);
    has(trigger("users_touch"), column("public", "users", "email"));
    has(
        ObjectRef::Policy {
            schema: s("billing"),
            table: s("invoices"),
            name: s("everyone"),
        },
        column("billing", "invoices", "amount"),
    );
    has(
        column("public", "users", "mood"),
        ObjectRef::Type {
            schema: s("public"),
            name: s("mood"),
        },
    );
    has(
        column("billing", "invoices", "id"),
        ObjectRef::Sequence {
            schema: s("public"),
            name: s("invoice_numbers"),
        },
    );
    let mut unique = edges.clone();
    unique.dedup();
    assert_eq!(&unique, edges, "one edge per pair");
    assert!(
        !edges.iter().any(|d| d.dependent == d.referenced
            || (d.dependent == view("active_users")
                && matches!(&d.referenced, ObjectRef::Column { relation, .. } if relation == "active_users"))),
        "no edge from a thing to its own parts: {edges:#?}"
    );
}

#[tokio::test]
async fn baseline_refuses_what_it_cannot_recreate() {
    let db = TestDb::new().await;
    // A C function of no extension (its symbol exists in plpgsql's library, so
    // PostgreSQL creates it; it is never called) and a view reading an excluded table.
    db.execute(
        "CREATE FUNCTION handler_copy() RETURNS language_handler LANGUAGE c
             AS '$libdir/plpgsql', 'plpgsql_call_handler';
         CREATE TABLE legacy (id integer);
         CREATE VIEW legacy_ids AS SELECT id FROM legacy;",
    )
    .await;
    let project = Project::new("catalog-refuse", &db);
    project.write("strata.toml", "exclude = [\"legacy\"]\n");
    let out = project.strata(&["baseline", "init"]);
    assert_eq!(out.code, 2, "{out}");
    insta::assert_snapshot!(project.filter(&out.stderr));
    assert!(project.migration_files().is_empty(), "{out}");
}

/// Partitions with indexes and constraints of their own (pagila's payment partitions:
/// a foreign key and indexes on each month): the baseline writes them after the
/// partition, and an empty database gets the same schema.
#[tokio::test]
async fn baseline_writes_what_partitions_hold_of_their_own() {
    let original = TestDb::new().await;
    original
        .execute(
            "CREATE TABLE customer (id integer PRIMARY KEY);
             CREATE TABLE payment (id integer NOT NULL, customer_id integer NOT NULL,
                 at date NOT NULL, amount numeric(5,2) DEFAULT 0) PARTITION BY RANGE (at);
             CREATE TABLE payment_2024 PARTITION OF payment
                 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
             CREATE TABLE payment_2025 PARTITION OF payment
                 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
             ALTER TABLE payment_2024 ADD CONSTRAINT payment_2024_customer_fkey
                 FOREIGN KEY (customer_id) REFERENCES customer(id) NOT VALID;
             ALTER TABLE payment_2024 ADD CONSTRAINT payment_2024_pkey PRIMARY KEY (id);
             ALTER TABLE payment_2025 ADD CONSTRAINT payment_2025_amount_check CHECK (amount > 0);
             CREATE INDEX payment_2025_customer_idx ON payment_2025 (customer_id) WHERE amount > 10;
             -- Created apart and attached: no default of its own (GitLab's partitions).
             CREATE TABLE payment_2026 (id integer NOT NULL, customer_id integer NOT NULL,
                 at date NOT NULL, amount numeric(5,2));
             ALTER TABLE payment ATTACH PARTITION payment_2026
                 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
             INSERT INTO customer VALUES (1);
             INSERT INTO payment VALUES (1, 1, '2024-05-01', 3), (2, 1, '2025-05-01', 4);",
        )
        .await;
    let before = dump(&original);
    let project = Project::new("catalog-partition-own", &original);
    let out = project.strata(&["baseline", "init"]);
    assert_eq!(out.code, 0, "{out}");
    let (up, down) = project.latest_migrations(1);
    insta::assert_snapshot!(up);

    let empty = TestDb::new().await;
    let fresh = Project::new("catalog-partition-own-fresh", &empty);
    for name in project.migration_files() {
        let text = std::fs::read_to_string(project.dir.join("migrations").join(&name))
            .expect("read the baseline");
        fresh.write(&format!("migrations/{name}"), &text);
    }
    let out = fresh.strata(&["run"]);
    assert_eq!(out.code, 0, "{out}\n--- up\n{up}");
    assert_eq!(dump(&empty), before, "--- up\n{up}");
    let out = fresh.strata(&["revert"]);
    assert_eq!(out.code, 0, "{out}\n--- down\n{down}");
    let nothing = TestDb::new().await;
    assert_eq!(dump(&empty), dump(&nothing), "--- down\n{down}");
}

/// Issue 12, item 6: NOT VALID constraints that match the entity are the entity's:
/// "No changes", never re-added or validated.
const TEAMS_AND_PLAYERS: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "teams")]
pub struct Team {
    #[entity(primary_key)]
    pub id: i64,
}

#[derive(strata::Entity)]
#[entity(table_name = "players")]
pub struct Player {
    #[entity(primary_key)]
    pub id: i64,
    #[entity(references = "public.teams(id)")]
    pub team_id: i64,
    #[entity(check = "age >= 0")]
    pub age: i32,
}
"#;

#[tokio::test]
async fn not_valid_constraints_that_match_give_no_changes() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE teams (id bigint PRIMARY KEY);
         CREATE TABLE players (
             id bigint PRIMARY KEY,
             team_id bigint NOT NULL,
             age integer NOT NULL
         );
         INSERT INTO teams VALUES (1);
         INSERT INTO players VALUES (1, 1, 30), (2, 7, -1);
         ALTER TABLE players ADD CONSTRAINT players_age_check CHECK (age >= 0) NOT VALID;
         ALTER TABLE players ADD CONSTRAINT players_team_id_fkey
             FOREIGN KEY (team_id) REFERENCES teams (id) NOT VALID;",
    )
    .await;
    let project = Project::new("catalog-not-valid", &db);
    project.write_entities(TEAMS_AND_PLAYERS);
    let out = project.strata(&["diff"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("No changes"), "{out}");

    // A change elsewhere on the table keeps them as they are, unvalidated.
    let out = project.strata(&["inspect"]);
    assert!(
        out.stdout.contains(
            "ALTER TABLE players ADD CONSTRAINT players_age_check CHECK ((age >= 0)) NOT VALID"
        ),
        "{out}"
    );
    assert!(
        out.stdout.contains("REFERENCES teams (id) NOT VALID"),
        "{out}"
    );
    let validated = project.query_text(
        "SELECT string_agg(conname || '=' || convalidated, ' ' ORDER BY conname)
         FROM pg_constraint WHERE conrelid = 'players'::regclass AND contype IN ('c', 'f')",
    );
    assert_eq!(
        validated.await,
        "players_age_check=false players_team_id_fkey=false"
    );

    // The table's DDL diff shows the unvalidated check on both sides as the database
    // has it: a change elsewhere on the table is the only difference.
    project.write_entities(&TEAMS_AND_PLAYERS.replace(
        "    pub age: i32,\n}",
        "    pub age: i32,\n    pub nickname: Option<String>,\n}",
    ));
    let out = project.strata(&["diff"]);
    assert_eq!(out.code, 0, "{out}");
    insta::assert_snapshot!("not_valid_check_in_ddl_diff", out.stdout);
}
