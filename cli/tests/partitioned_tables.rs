//! Partitioned tables: an entity declares its partition key (`partition_by`), strata
//! creates the table partitioned and reads the key back; the partitions, made by hand,
//! are left alone; online mode writes on a partitioned table only what PostgreSQL
//! allows there, with its hazards. For each step: generate, run, generate again says
//! "No changes", revert restores the schema exactly, run again (see
//! `support::check_evolution`), with rows in the partitions.

mod support;

use strata_tests::TestDb;
use support::{change, check_evolution, evolve, Change, Project};

const EVENTS: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "account")]
pub struct Account {
    #[entity(primary_key)]
    pub id: i32,
}

#[derive(strata::Entity)]
#[entity(table_name = "event", primary_key(id, at), partition_by = "range (at)")]
pub struct Event {
    pub id: i64,
    pub at: chrono::NaiveDate,
    pub account_id: i32,
    pub kind: String,
}
"#;

/// Partitions and rows, made by hand after the table exists.
const PARTITIONS: &str = "CREATE TABLE event_2024 PARTITION OF event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE event_2025 PARTITION OF event FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO account (id) VALUES (1), (2);
INSERT INTO event (id, at, account_id, kind) VALUES (1, '2024-03-01', 1, 'login'), (2, '2025-07-01', 2, 'logout')";

fn changes() -> Vec<Change> {
    vec![
        // An index, a foreign key, a unique constraint and a NOT NULL column with a
        // default, online: plain builds where PostgreSQL allows nothing else.
        Change {
            check: Some((
                "SELECT string_agg(tableoid::regclass || ':' || id || ':' || source, ',' ORDER BY id) FROM event",
                "event_2024:1:web,event_2025:2:web",
            )),
            ..change(
                "online_changes",
                &[
                    (
                        "partition_by = \"range (at)\")]",
                        "partition_by = \"range (at)\", index(kind), unique(id, at, kind))]",
                    ),
                    (
                        "    pub account_id: i32,",
                        "    #[entity(foreign_key(Account))]\n    pub account_id: i32,",
                    ),
                    (
                        "    pub kind: String,",
                        "    pub kind: String,\n    #[entity(default = \"'web'\")]\n    pub source: String,",
                    ),
                ],
            )
        },
    ]
}

#[tokio::test]
async fn a_partitioned_entity_is_created_evolved_online_and_reverted_with_its_partitions_kept() {
    let db = TestDb::new().await;
    let project = Project::new("partitioned", &db);
    project.write("strata.toml", "online = true\n");
    let mut steps = evolve(EVENTS, &changes());
    steps[0].seed = Some(PARTITIONS);
    check_evolution(&project, &db, &steps, |name, text| {
        insta::assert_snapshot!(name, text)
    })
    .await;
}

#[tokio::test]
async fn partitioning_strata_cannot_change_is_refused_with_what_to_write() {
    let db = TestDb::new().await;
    let project = Project::new("partitioned-refused", &db);
    check_evolution(&project, &db, &evolve(EVENTS, &[]), |_, _| {}).await;
    let cases = [
        ("other_key", EVENTS.replace("range (at)", "hash (id)")),
        (
            "key_left_out",
            EVENTS.replace(", partition_by = \"range (at)\"", ""),
        ),
        (
            "partition_existing",
            EVENTS.replace(
                "table_name = \"account\"",
                "table_name = \"account\", partition_by = \"hash (id)\"",
            ),
        ),
    ];
    for (name, source) in cases {
        project.write_entities(&source);
        let refused = project.strata(&["generate", name]);
        assert_eq!(refused.code, 2, "{name}: {refused}");
        insta::assert_snapshot!(format!("refused_{name}"), project.filter(&refused.stderr));
        assert_eq!(
            project.migration_files().len(),
            2,
            "{name}: nothing written"
        );
    }
}

#[test]
fn a_partition_key_postgres_would_refuse_is_an_entity_error() {
    let project = Project::bare("partitioned-invalid");
    let cases = [
        (
            "not_a_key",
            r#"
#[derive(strata::Entity)]
#[entity(table_name = "a", partition_by = "range at")]
pub struct A {
    #[entity(primary_key)]
    pub id: i64,
}
"#,
        ),
        (
            "unknown_column_and_key_without_it",
            r#"
#[derive(strata::Entity)]
#[entity(table_name = "b", partition_by = "range (at, missing)")]
pub struct B {
    #[entity(primary_key)]
    pub id: i64,
    pub at: chrono::NaiveDate,
}
"#,
        ),
    ];
    for (name, source) in cases {
        project.write_entities(source);
        let out = project.strata(&[
            "generate",
            "x",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
        ]);
        assert_eq!(out.code, 2, "{out}");
        insta::assert_snapshot!(format!("invalid_{name}"), project.filter(&out.stderr));
    }
}

/// pagila's `payment`: partitioned by month, before its entity declares an index.
const PAYMENTS: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "payment", primary_key(payment_id, payment_date), partition_by = "range (payment_date)")]
pub struct Payment {
    pub payment_id: i32,
    pub customer_id: i32,
    pub payment_date: chrono::NaiveDate,
}
"#;

/// Partitions with indexes of their own, made by hand as in pagila: one matching the
/// index the entity declares next (PostgreSQL attaches it), one that does not, and a
/// partition partitioned again whose partition has a matching one.
const PAYMENT_PARTITIONS: &str = "CREATE TABLE payment_p2022_01 PARTITION OF payment FOR VALUES FROM ('2022-01-01') TO ('2022-02-01');
CREATE INDEX idx_fk_payment_p2022_01_customer_id ON payment_p2022_01 (customer_id);
CREATE INDEX payment_p2022_01_customer_id_payment_date ON payment_p2022_01 (customer_id, payment_date);
CREATE TABLE payment_p2022_02 PARTITION OF payment FOR VALUES FROM ('2022-02-01') TO ('2022-03-01') PARTITION BY RANGE (payment_date);
CREATE TABLE payment_p2022_02a PARTITION OF payment_p2022_02 FOR VALUES FROM ('2022-02-01') TO ('2022-02-15');
CREATE TABLE payment_p2022_02b PARTITION OF payment_p2022_02 FOR VALUES FROM ('2022-02-15') TO ('2022-03-01');
CREATE INDEX idx_fk_payment_p2022_02a_customer_id ON payment_p2022_02a (customer_id);
CREATE TABLE payment_p2022_03 PARTITION OF payment FOR VALUES FROM ('2022-03-01') TO ('2022-04-01');
INSERT INTO payment (payment_id, customer_id, payment_date) VALUES (1, 1, '2022-01-10'), (2, 2, '2022-02-20'), (3, 1, '2022-03-05')";

/// The indexes of the partitions, one `table:name:definition` a line.
const PARTITION_INDEXES: &str = "SELECT string_agg(tablename || ':' || indexname || ':' || indexdef, E'\\n' ORDER BY tablename, indexname) FROM pg_indexes WHERE schemaname = 'public' AND tablename LIKE 'payment\\_p%'";

#[tokio::test]
async fn an_index_on_a_partitioned_table_is_reverted_with_the_partitions_own_indexes_kept() {
    let db = TestDb::new().await;
    let project = Project::new("partitioned-own-indexes", &db);
    let snapshot =
        |name: String, text: String| insta::assert_snapshot!(format!("own_indexes_{name}"), text);
    let mut steps = evolve(
        PAYMENTS,
        &[Change {
            // PostgreSQL took the partitions' matching indexes instead of building ones.
            check: Some((
                "SELECT string_agg(inhrelid::regclass::text, ',' ORDER BY inhrelid::regclass::text) FROM pg_inherits WHERE inhparent = 'payment_customer_id_idx'::regclass",
                "idx_fk_payment_p2022_01_customer_id,payment_p2022_02_customer_id_idx,payment_p2022_03_customer_id_idx",
            )),
            ..change(
                "customer_index",
                &[(
                    "    pub customer_id: i32,",
                    "    #[entity(index)]\n    pub customer_id: i32,",
                )],
            )
        }],
    );
    steps[0].seed = Some(PAYMENT_PARTITIONS);
    check_evolution(&project, &db, &steps[..1], snapshot).await;
    let before = project.query_text(PARTITION_INDEXES).await;
    assert!(
        before.contains("idx_fk_payment_p2022_01_customer_id")
            && before.contains("idx_fk_payment_p2022_02a_customer_id"),
        "{before}"
    );
    // Generate (its check of the down file included), run, revert, run again.
    check_evolution(&project, &db, &steps[1..], snapshot).await;
    let reverted = project.strata(&["revert", "--steps", "1"]);
    assert_eq!(reverted.code, 0, "{reverted}");
    assert_eq!(
        project.query_text(PARTITION_INDEXES).await,
        before,
        "the partitions' own indexes are back, under their names"
    );
}

const COUNTS: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "counts", primary_key(id, at), partition_by = "range (at)")]
pub struct Count {
    pub id: i64,
    pub at: chrono::NaiveDate,
    pub qty: i32,
}
"#;

/// A view made by hand over one partition, and a view on it.
const PARTITION_VIEW: &str =
    "CREATE TABLE counts_2024 PARTITION OF counts FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO counts VALUES (1, '2024-03-01', 5);
CREATE VIEW counts_of_2024 AS SELECT id, qty FROM counts_2024;
CREATE VIEW big_counts_of_2024 AS SELECT id FROM counts_of_2024 WHERE qty > 3";

/// A partition's columns are its parent's: a type change on the parent sets aside the
/// views reading a partition (PostgreSQL refuses it under them), and the proof copies
/// them with the partition.
#[tokio::test]
async fn views_reading_a_partition_are_set_aside_around_a_type_change_of_the_parent() {
    let db = TestDb::new().await;
    let project = Project::new("partition-views", &db);
    let mut steps = evolve(
        COUNTS,
        &[Change {
            check: Some((
                "SELECT string_agg(id::text, ',') FROM big_counts_of_2024",
                "1",
            )),
            ..change("wider_qty", &[("pub qty: i32", "pub qty: i64")])
        }],
    );
    steps[0].seed = Some(PARTITION_VIEW);
    check_evolution(&project, &db, &steps, |_, _| {}).await;
    let (up, _) = project.latest_migrations(1);
    assert!(up.contains("DROP VIEW big_counts_of_2024"), "{up}");
    assert!(up.contains("Verified before it was written"), "{up}");
}
