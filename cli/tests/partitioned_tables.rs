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
