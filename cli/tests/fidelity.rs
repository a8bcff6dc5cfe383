//! The SQL a user wrote is the SQL in the file, and defaults that mean the same are not
//! a diff.
//!
//! PostgreSQL's spelling of an expression is what strata compares, but it is not always
//! read back as itself (`s IN ('a', 'b')` on a `varchar` column prints as a cast array
//! that prints otherwise once created from that text). So checks, index predicates,
//! defaults and generated expressions added to an existing table are written as
//! declared, and what a down file re-creates is written in a spelling that reads back
//! as the catalog had it. Each step goes through `support::check_evolution` (generate,
//! run, "No changes", revert restores, run again), and `pg_dump -s` must be the same
//! after a revert as before the step; rows inserted at the start stay.
//!
//! Defaults: a database built by hand says `CURRENT_TIMESTAMP`, `CURRENT_DATE`,
//! `transaction_timestamp()`, `('now'::text)::date`, ... where the entities say `now()`,
//! `now()::date`, ...: "No changes", both ways round.

mod support;

use std::process::Command;
use strata_tests::TestDb;
use support::{check_evolution, Project, Step};

const BASE: &str = r#"
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

#[derive(strata::Entity)]
#[entity(table_name = "ticket")]
pub struct Ticket {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(length = 10)]
    pub code: String,
    #[entity(length = 20, default = "'open'")]
    pub status: String,
    #[entity(precision = 10, scale = 2)]
    pub price: Decimal,
    pub qty: i32,
    #[entity(sql_type = "varchar(10)[]", default = "'{}'")]
    pub labels: Vec<String>,
    pub opened_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

#[derive(strata::Entity)]
#[entity(table_name = "note")]
pub struct Note {
    #[entity(primary_key, identity)]
    pub id: i64,
    pub body: String,
}
"#;

const SEED: &str = "INSERT INTO ticket (code, status, price, qty, opened_on, created_at)
    VALUES ('a', 'open', 1.50, 2, '2024-01-01', '2024-01-01 10:00:00+00');
INSERT INTO note (body) VALUES ('kept');";

/// A step as text edits of the previous step's source; each edit must apply.
struct Change {
    name: &'static str,
    edits: &'static [(&'static str, &'static str)],
    destructive: bool,
    /// Texts the up file must hold (the declared SQL), and the down file.
    up_has: &'static [&'static str],
    down_has: &'static [&'static str],
}

const fn change(name: &'static str, edits: &'static [(&'static str, &'static str)]) -> Change {
    Change {
        name,
        edits,
        destructive: false,
        up_has: &[],
        down_has: &[],
    }
}

const CHANGES: &[Change] = &[
    // A check on an existing varchar column, with an IN list.
    Change {
        up_has: &["CHECK (code IN ('a', 'b'))"],
        ..change(
            "check_in_list",
            &[(
                "#[entity(length = 10)]\n    pub code",
                "#[entity(length = 10, check = \"code IN ('a', 'b')\")]\n    pub code",
            )],
        )
    },
    // A partial index whose predicate is an IN list on a varchar column.
    Change {
        up_has: &["WHERE status IN ('open', 'pending')"],
        ..change(
            "partial_index_in_list",
            &[(
                "default = \"'open'\")]",
                "default = \"'open'\", index(where = \"status IN ('open', 'pending')\"))]",
            )],
        )
    },
    // Defaults changed and added: an array PostgreSQL prints as `ARRAY['x'::text, ...]`,
    // the clock, today.
    Change {
        up_has: &[
            "SET DEFAULT ARRAY['x', 'y']",
            "SET DEFAULT now()",
            "SET DEFAULT now()::date",
            "SET DEFAULT 'pending'",
        ],
        ..change(
            "changed_defaults",
            &[
                ("default = \"'open'\"", "default = \"'pending'\""),
                ("default = \"'{}'\"", "default = \"ARRAY['x', 'y']\""),
                (
                    "    pub opened_on: NaiveDate,",
                    "    #[entity(default = \"now()::date\")]\n    pub opened_on: NaiveDate,",
                ),
                (
                    "    pub created_at: DateTime<Utc>,",
                    "    #[entity(default = \"now()\")]\n    pub created_at: DateTime<Utc>,",
                ),
            ],
        )
    },
    // Generated columns on an existing table, one of them an IN list.
    Change {
        up_has: &[
            "GENERATED ALWAYS AS (code IN ('a', 'b')) STORED",
            "GENERATED ALWAYS AS (price * qty) STORED",
        ],
        ..change(
            "generated_columns",
            &[(
                "    pub opened_on: NaiveDate,",
                "    pub opened_on: NaiveDate,\n    #[entity(generated = \"code IN ('a', 'b')\")]\n    pub is_ab: Option<bool>,\n    #[entity(generated = \"price * qty\")]\n    pub total: Option<Decimal>,",
            )],
        )
    },
    // The check changes: the down file re-adds the old one, in a spelling PostgreSQL
    // reads back as it printed it.
    Change {
        up_has: &["CHECK (code IN ('a', 'b', 'c'))"],
        down_has: &["ANY (ARRAY['a'::character varying, 'b'::character varying])"],
        ..change(
            "changed_check",
            &[("check = \"code IN ('a', 'b')\"", "check = \"code IN ('a', 'b', 'c')\"")],
        )
    },
    // The predicate changes: likewise for the old index.
    Change {
        up_has: &["WHERE status IN ('open', 'pending', 'closed')"],
        down_has: &["ANY (ARRAY['open'::character varying, 'pending'::character varying])"],
        ..change(
            "changed_index_predicate",
            &[(
                "where = \"status IN ('open', 'pending')\"",
                "where = \"status IN ('open', 'pending', 'closed')\"",
            )],
        )
    },
    // The generated expression changes: the column is re-created, and the old one by the
    // down file.
    Change {
        up_has: &["GENERATED ALWAYS AS (code IN ('a', 'c')) STORED"],
        down_has: &["ANY (ARRAY['a'::character varying, 'b'::character varying])"],
        ..change(
            "changed_generated",
            &[("generated = \"code IN ('a', 'b')\"", "generated = \"code IN ('a', 'c')\"")],
        )
    },
    // A column renamed while the predicate reading it changes: the down file re-creates
    // the old index under the new name of the column, before renaming it back.
    Change {
        up_has: &["WHERE state IN ('open', 'closed')", "RENAME COLUMN status TO state"],
        down_has: &["WHERE ((state)::text = ANY (ARRAY['open'::character varying, 'pending'::character varying, 'closed'::character varying]))"],
        ..change(
            "rename_and_change_predicate",
            &[(
                "index(where = \"status IN ('open', 'pending', 'closed')\"))]\n    pub status: String,",
                "index(where = \"state IN ('open', 'closed')\"), renamed_from = \"status\")]\n    pub state: String,",
            )],
        )
    },
    // Defaults changed again: the down file sets the ones PostgreSQL printed.
    Change {
        up_has: &["SET DEFAULT ARRAY['z']", "SET DEFAULT CURRENT_DATE - 1"],
        ..change(
            "changed_defaults_again",
            &[
                ("default = \"ARRAY['x', 'y']\"", "default = \"ARRAY['z']\""),
                ("default = \"now()::date\"", "default = \"CURRENT_DATE - 1\""),
            ],
        )
    },
];

/// The last step: the whole table goes, and the down file creates it again with its
/// check, partial index, defaults and generated columns as the catalog had them.
fn without_ticket(source: &str) -> String {
    let start = source
        .find("#[derive(strata::Entity)]\n#[entity(table_name = \"ticket\")]")
        .expect("the ticket entity");
    let end = start + source[start..].find("}\n").expect("its end") + 2;
    format!("{}{}", &source[..start], &source[end..])
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// `pg_dump -s` of the project's database: what must come back after a revert. The
/// lines of a `CREATE TABLE` are sorted: a column a down file re-adds (a generated
/// column whose expression changed is dropped and added) can only go last.
fn dump(db: &TestDb) -> String {
    let out = Command::new("pg_dump")
        .args([
            "--schema-only",
            "--no-owner",
            "--no-privileges",
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
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = Vec::new();
    let mut table: Option<Vec<String>> = None;
    for line in text.lines() {
        // A random key per run (pg_dump's guard against meta-commands in a dump).
        if line.starts_with("\\restrict") || line.starts_with("\\unrestrict") {
            continue;
        }
        match &mut table {
            Some(body) if line == ");" => {
                body.sort();
                lines.append(body);
                lines.push(line.to_string());
                table = None;
            }
            Some(body) => body.push(line.trim_end_matches(',').to_string()),
            None => {
                lines.push(line.to_string());
                if line.starts_with("CREATE TABLE") {
                    table = Some(Vec::new());
                }
            }
        }
    }
    lines.join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn declared_sql_is_written_and_reverts_restore_the_dump() {
    let db = TestDb::new().await;
    let project = Project::new("fidelity", &db);
    let mut source = BASE.to_string();
    let first = Step {
        seed: Some(SEED),
        ..Step::new("create", leak(source.clone()))
    };
    check_evolution(&project, &db, &[first], |name, text| {
        insta::assert_snapshot!(name, text)
    })
    .await;

    let drop_ticket = Change {
        destructive: true,
        ..change("drop_ticket", &[])
    };
    for (i, c) in CHANGES.iter().chain([&drop_ticket]).enumerate() {
        for (from, to) in c.edits {
            assert!(
                source.contains(from),
                "{}: `{from}` is not in the source",
                c.name
            );
            source = source.replacen(from, to, 1);
        }
        if c.name == drop_ticket.name {
            source = without_ticket(&source);
        }
        let step = Step {
            destructive: c.destructive,
            ..Step::new(c.name, leak(source.clone()))
        };
        let before = dump(&db);
        let label = format!("{:02}", i + 2);
        check_evolution(&project, &db, &[step], |name, text| {
            // `check_evolution` numbers the steps it is given: one here.
            let name = name.replacen("01", &label, 1);
            let wanted = if name.ends_with("_up") {
                c.up_has
            } else {
                c.down_has
            };
            for w in wanted {
                assert!(text.contains(w), "{name} lacks `{w}`:\n{text}");
            }
            insta::assert_snapshot!(name, text)
        })
        .await;

        // `check_evolution` compared strata's reading of the catalog; the dump is what
        // a person compares.
        let after = dump(&db);
        let reverted = project.strata(&["revert"]);
        assert_eq!(reverted.code, 0, "{}: revert\n{reverted}", c.name);
        assert_eq!(
            dump(&db),
            before,
            "{}: revert must restore pg_dump -s exactly",
            c.name
        );
        let rerun = project.strata(&["run"]);
        assert_eq!(rerun.code, 0, "{}: run\n{rerun}", c.name);
        assert_eq!(dump(&db), after, "{}: run after revert", c.name);
    }
    assert_eq!(project.query_text("SELECT body FROM note").await, "kept");
}

#[tokio::test(flavor = "multi_thread")]
async fn respelling_a_declared_fragment_is_no_change() {
    let db = TestDb::new().await;
    let project = Project::new("fidelity-respelled", &db);
    let declared = BASE
        .replace(
            "#[entity(length = 10)]\n    pub code",
            "#[entity(length = 10, check = \"code IN ('a', 'b')\")]\n    pub code",
        )
        .replace(
            "    pub created_at: DateTime<Utc>,",
            "    #[entity(default = \"now()\")]\n    pub created_at: DateTime<Utc>,",
        );
    project.write_entities(&declared);
    assert_eq!(project.strata(&["generate", "create"]).code, 0);
    assert_eq!(project.strata(&["run"]).code, 0);
    db.execute(SEED).await;

    // The same check and default, spelled another way.
    for (from, to) in [
        ("code IN ('a', 'b')", "(code in ('a','b'))"),
        (r#"default = "now()""#, r#"default = "CURRENT_TIMESTAMP""#),
        (
            r#"default = "now()""#,
            r#"default = "transaction_timestamp()""#,
        ),
    ] {
        assert!(declared.contains(from), "{from}");
        project.write_entities(&declared.replacen(from, to, 1));
        let out = project.strata(&["generate", "respelled"]);
        assert_eq!(out.code, 0, "{out}");
        assert!(out.stdout.contains("No changes"), "{to}:\n{out}");
    }
    assert_eq!(
        project
            .query_text("SELECT count(*)::text FROM ticket")
            .await,
        "1"
    );

    // Another change to the table: its DDL diff shows that change only, not the
    // declared check beside the catalog's spelling of it.
    project.write_entities(&declared.replace(
        "    pub qty: i32,",
        "    pub qty: i32,\n    pub note: Option<String>,",
    ));
    let out = project.strata(&["diff"]);
    assert_eq!(out.code, 0, "{out}");
    let changed: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with(['+', '-']) && !l.starts_with("+++") && !l.starts_with("---"))
        .collect();
    assert_eq!(changed, ["+    note text,"], "{out}");
}

/// A database as Rails, Prisma, TypeORM or a person build it: each clock default in
/// another spelling than the entities'.
const HAND_BUILT: &str = r#"
CREATE TABLE event (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at timestamptz NOT NULL DEFAULT transaction_timestamp(),
    seen_at timestamptz DEFAULT ('now'::text)::timestamp with time zone,
    typeorm_at timestamptz DEFAULT ('now'::text)::timestamp(6) with time zone,
    local_at timestamp NOT NULL DEFAULT LOCALTIMESTAMP,
    prisma_at timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    prisma_day date NOT NULL DEFAULT CURRENT_TIMESTAMP,
    day date NOT NULL DEFAULT CURRENT_DATE,
    old_day date DEFAULT ('now'::text)::date,
    cast_day date DEFAULT now()::date,
    utc_at timestamp DEFAULT timezone('utc'::text, now()),
    wakes time DEFAULT LOCALTIME
);
INSERT INTO event DEFAULT VALUES;
"#;

/// The same database in the entities' spellings.
const NOW_SPELLED: &str = r#"
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

#[derive(strata::Entity)]
#[entity(table_name = "event")]
pub struct Event {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(default = "now()")]
    pub created_at: DateTime<Utc>,
    #[entity(default = "now()")]
    pub updated_at: DateTime<Utc>,
    #[entity(default = "CURRENT_TIMESTAMP")]
    pub seen_at: Option<DateTime<Utc>>,
    #[entity(default = "now()")]
    pub typeorm_at: Option<DateTime<Utc>>,
    #[entity(default = "now()")]
    pub local_at: NaiveDateTime,
    #[entity(precision = 3, default = "now()")]
    pub prisma_at: NaiveDateTime,
    #[entity(default = "CURRENT_DATE")]
    pub prisma_day: NaiveDate,
    #[entity(default = "now()::date")]
    pub day: NaiveDate,
    #[entity(default = "CURRENT_DATE")]
    pub old_day: Option<NaiveDate>,
    #[entity(default = "CURRENT_DATE")]
    pub cast_day: Option<NaiveDate>,
    #[entity(default = "(now() at time zone 'utc')")]
    pub utc_at: Option<NaiveDateTime>,
    #[entity(default = "CURRENT_TIME")]
    pub wakes: Option<NaiveTime>,
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_built_database_with_other_clock_spellings_has_no_changes() {
    let db = TestDb::new().await;
    db.execute(HAND_BUILT).await;
    let project = Project::new("fidelity-clock", &db);
    project.write_entities(NOW_SPELLED);
    let out = project.strata(&["generate", "adopt"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("No changes"),
        "{out}\n{}",
        project.strata(&["diff", "--format", "sql"])
    );
    assert!(project.migration_files().is_empty(), "nothing is written");
    assert_eq!(
        project.query_text("SELECT count(*)::text FROM event").await,
        "1"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn entities_with_the_databases_spellings_reversed_have_no_changes() {
    let db = TestDb::new().await;
    // The database says now() where the entities say CURRENT_TIMESTAMP, and so on.
    db.execute(
        "CREATE TABLE event (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            created_at timestamptz NOT NULL DEFAULT now(),
            local_at timestamp NOT NULL DEFAULT now(),
            day date NOT NULL DEFAULT (now())::date,
            old_day date DEFAULT CURRENT_DATE,
            utc_at timestamp DEFAULT (now() AT TIME ZONE 'utc')
        );
        INSERT INTO event DEFAULT VALUES;",
    )
    .await;
    let project = Project::new("fidelity-clock-reversed", &db);
    project.write_entities(
        r#"
#[derive(strata::Entity)]
#[entity(table_name = "event")]
pub struct Event {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(default = "CURRENT_TIMESTAMP")]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[entity(default = "LOCALTIMESTAMP")]
    pub local_at: chrono::NaiveDateTime,
    #[entity(default = "CURRENT_DATE")]
    pub day: chrono::NaiveDate,
    #[entity(default = "('now'::text)::date")]
    pub old_day: Option<chrono::NaiveDate>,
    #[entity(default = "timezone('UTC', CURRENT_TIMESTAMP)")]
    pub utc_at: Option<chrono::NaiveDateTime>,
}
"#,
    );
    let out = project.strata(&["generate", "adopt"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("No changes"),
        "{out}\n{}",
        project.strata(&["diff", "--format", "sql"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn other_clocks_are_changes_and_reach_a_fixed_point() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE event (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            a timestamptz NOT NULL DEFAULT statement_timestamp(),
            b timestamptz NOT NULL DEFAULT clock_timestamp(),
            c timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
            f timestamptz NOT NULL DEFAULT LOCALTIMESTAMP,
            g timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP
        );
        INSERT INTO event DEFAULT VALUES;",
    )
    .await;
    let project = Project::new("fidelity-other-clocks", &db);
    let entities = r#"
#[derive(strata::Entity)]
#[entity(table_name = "event")]
pub struct Event {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(default = "now()")]
    pub a: chrono::DateTime<chrono::Utc>,
    #[entity(default = "now()")]
    pub b: chrono::DateTime<chrono::Utc>,
    #[entity(default = "now()")]
    pub c: chrono::DateTime<chrono::Utc>,
    #[entity(default = "now()")]
    pub f: chrono::DateTime<chrono::Utc>,
    #[entity(default = "now()")]
    pub g: chrono::DateTime<chrono::Utc>,
}
"#;
    let steps = [Step::new("other_clocks", entities)];
    check_evolution(&project, &db, &steps, |name, text| {
        // Every column but `g` changes, each written as declared.
        assert!(!text.contains("\"g\"") && !text.contains(" g "), "{text}");
        insta::assert_snapshot!(format!("other_clocks_{name}"), text)
    })
    .await;
    assert_eq!(
        project.query_text("SELECT count(*)::text FROM event").await,
        "1"
    );
}

/// The table and function the privilege tests grant on.
const ACL_OBJECTS_UP: &str = "CREATE TABLE t (id bigint PRIMARY KEY);\n\
     CREATE FUNCTION f(n bigint) RETURNS bigint LANGUAGE sql AS $$ SELECT n + 1 $$;\n";
const ACL_OBJECTS_DOWN: &str = "DROP FUNCTION f(bigint);\nDROP TABLE t;\n";

/// An ACL back to its default is no ACL at all: a `GRANT` on a table undone by its
/// `REVOKE`, and a function's `REVOKE EXECUTE ... FROM PUBLIC` undone by its `GRANT`
/// (PostgreSQL then writes the privileges out, the function's in another order than
/// its default), each an up file and its down file: `strata verify` passes. A down file
/// that forgets one is still caught, with what it leaves.
#[tokio::test(flavor = "multi_thread")]
async fn privileges_granted_and_revoked_again_are_no_privileges() {
    let db = TestDb::new().await;
    let role = support::RoleGuard::create(&db).await;
    let project = Project::new("fidelity-acl-default", &db);
    let r = &role.0;
    project.migration(20260101000001, "objects", ACL_OBJECTS_UP, ACL_OBJECTS_DOWN);
    project.migration(
        20260101000002,
        "grant_select",
        &format!("GRANT SELECT ON t TO \"{r}\";\n"),
        &format!("REVOKE SELECT ON t FROM \"{r}\";\n"),
    );
    project.migration(
        20260101000003,
        "revoke_execute",
        "REVOKE EXECUTE ON FUNCTION f(bigint) FROM PUBLIC;\n",
        "GRANT EXECUTE ON FUNCTION f(bigint) TO PUBLIC;\n",
    );
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("Verified 3 migrations"), "{out}");

    // Down files that forget: named, with the privileges left behind.
    project.migration(
        20260101000002,
        "grant_select",
        &format!("GRANT SELECT ON t TO \"{r}\";\n"),
        "SELECT 1;\n",
    );
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout.contains(&format!(
            "grants on table t are not dropped by the down file: SELECT to {r}"
        )),
        "{out}"
    );
    project.migration(
        20260101000002,
        "grant_select",
        &format!("GRANT SELECT ON t TO \"{r}\";\n"),
        &format!("REVOKE SELECT ON t FROM \"{r}\";\n"),
    );
    project.migration(
        20260101000003,
        "revoke_execute",
        "REVOKE EXECUTE ON FUNCTION f(bigint) FROM PUBLIC;\n",
        "SELECT 1;\n",
    );
    let out = project.strata(&["verify"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout.contains(
            "function f(n bigint) is not restored as it was by the down file \
             (grants: the default (EXECUTE to PUBLIC) → none)"
        ),
        "{out}"
    );
    drop(project);
    drop(db);
}

/// A column dropped with privileges of its own (`GRANT UPDATE (note)`, as PostGraphile
/// apps have): the down file adds it back and gives them back.
#[tokio::test]
async fn a_dropped_column_gets_its_privileges_back_in_the_down_file() {
    let db = TestDb::new().await;
    let role = support::RoleGuard::create(&db).await;
    let r = &role.0;
    let project = Project::new("fidelity-column-privileges", &db);
    let with_note = r#"
#[derive(strata::Entity)]
#[entity(table_name = "memo")]
pub struct Memo {
    #[entity(primary_key)]
    pub id: i32,
    pub note: Option<String>,
}
"#;
    project.write_entities(with_note);
    let created = project.strata(&["generate", "create"]);
    assert_eq!(created.code, 0, "{created}");
    let ran = project.strata(&["run"]);
    assert_eq!(ran.code, 0, "{ran}");
    db.execute(&format!(
        "GRANT SELECT (note), UPDATE (note) ON memo TO \"{r}\"; INSERT INTO memo VALUES (1, 'x')"
    ))
    .await;
    let before = project.introspect().await;
    project.write_entities(&with_note.replace("    pub note: Option<String>,\n", ""));
    let dropped = project.strata(&["generate", "drop_note", "--allow-destructive"]);
    assert_eq!(dropped.code, 0, "{dropped}");
    let (_, down) = project.latest_migrations(1);
    assert!(
        down.contains(&format!("GRANT UPDATE (note) ON TABLE memo TO {r}")),
        "{down}"
    );
    let ran = project.strata(&["run"]);
    assert_eq!(ran.code, 0, "{ran}");
    let reverted = project.strata(&["revert"]);
    assert_eq!(reverted.code, 0, "{reverted}");
    assert_eq!(project.introspect().await, before);
    db.execute(&format!("REVOKE ALL ON memo FROM \"{r}\""))
        .await;
}
