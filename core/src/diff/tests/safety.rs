//! Safety: for each kind of change, the hazards, lock and transaction needs of every
//! step it makes, plain and online (a table snapshot, the main test of hazards), the
//! online SQL of each kind (file snapshots) and the renames of owned sequences.
use super::*;
use crate::diff::{diff_with, DiffOptions};
use crate::plan::{Lock, Step};
use crate::render::{render_migrations, RenderOptions};

fn with_enum(s: Schema, e: EnumType) -> Schema {
    with_enums(s, vec![e])
}

fn serial_id(mut c: Column, seq: &str) -> Column {
    c.serial = true;
    c.sequence = Some(seq.into());
    c
}

/// (kind of change, current, desired), one change each, on a `users` table that has
/// rows.
fn kinds() -> Vec<(&'static str, Schema, Schema)> {
    let base = || schema(vec![users(vec![])]);
    let with_bio = |c: Column| schema(vec![users(vec![c])]);
    let status = || enum_type("public", "status", &["a", "b"]);
    let with_status = |ls: &[&str], default: Option<&str>| {
        let c = col("state", "status");
        let c = match default {
            Some(d) => default_(c, d),
            None => c,
        };
        with_enum(
            schema(vec![users(vec![c])]),
            enum_type("public", "status", ls),
        )
    };
    let mut renamed = users(vec![]);
    renamed.name = "accounts".into();
    renamed.renamed_from = Some("users".into());
    renamed.primary_key = Some(PrimaryKey {
        name: "accounts_pkey".into(),
        columns: labels(&["id"]),
        ..Default::default()
    });
    let mut renamed_col = users(vec![]);
    renamed_col.columns[1].name = "mail".into();
    renamed_col.columns[1].renamed_from = Some("email".into());
    let serial_users = |name: &str, seq: &str| {
        let mut t = pk(
            table(name, vec![serial_id(col("id", "integer"), seq)]),
            &format!("{name}_pkey"),
            &["id"],
        );
        if name != "users" {
            t.renamed_from = Some("users".into());
        }
        schema(vec![t])
    };
    let mut commented = users(vec![]);
    commented.comment = Some("people".into());
    let members_of = |f: Option<ForeignKey>| {
        let mut m = members(member_org());
        m.foreign_keys = f.into_iter().collect();
        schema(vec![orgs(), m])
    };
    vec![
        ("create extension", base(), {
            let mut s = base();
            s.extensions = labels(&["citext"]);
            s
        }),
        ("create table", schema(vec![]), base()),
        ("drop table", base(), schema(vec![])),
        ("rename table", base(), schema(vec![renamed])),
        (
            "rename table: its serial sequence follows",
            serial_users("users", "users_id_seq"),
            serial_users("accounts", "users_id_seq"),
        ),
        (
            "add nullable column",
            base(),
            with_bio(nullable(col("bio", "text"))),
        ),
        (
            "add NOT NULL column without default",
            base(),
            with_bio(col("bio", "text")),
        ),
        (
            "add column with a volatile default",
            base(),
            with_bio(default_(col("token", "uuid"), "gen_random_uuid()")),
        ),
        (
            "drop column",
            with_bio(nullable(col("bio", "text"))),
            base(),
        ),
        ("rename column", base(), schema(vec![renamed_col])),
        (
            "change type, widening",
            with_bio(col("n", "integer")),
            with_bio(col("n", "bigint")),
        ),
        (
            "change type, free",
            with_bio(col("n", "character varying(10)")),
            with_bio(col("n", "text")),
        ),
        (
            "change type, narrowing",
            with_bio(col("n", "text")),
            with_bio(col("n", "character varying(5)")),
        ),
        (
            "set not null",
            with_bio(nullable(col("bio", "text"))),
            with_bio(col("bio", "text")),
        ),
        (
            "drop not null",
            with_bio(col("bio", "text")),
            with_bio(nullable(col("bio", "text"))),
        ),
        (
            "drop default of a NOT NULL column",
            with_bio(default_(col("n", "integer"), "0")),
            with_bio(col("n", "integer")),
        ),
        (
            "add identity",
            with_bio(col("n", "bigint")),
            with_bio(identity(col("n", "bigint"), Identity::ByDefault)),
        ),
        (
            "create index",
            base(),
            schema(vec![with_index(
                users(vec![]),
                index("users_email_idx", &["email"]),
            )]),
        ),
        (
            "create unique index",
            base(),
            schema(vec![with_index(
                users(vec![]),
                Index {
                    unique: true,
                    ..index("users_email_idx", &["email"])
                },
            )]),
        ),
        (
            "drop index",
            schema(vec![with_index(
                users(vec![]),
                index("users_email_idx", &["email"]),
            )]),
            base(),
        ),
        (
            "add unique constraint",
            base(),
            schema(vec![unique(users(vec![]), "users_email_key", &["email"])]),
        ),
        (
            "drop unique constraint",
            schema(vec![unique(users(vec![]), "users_email_key", &["email"])]),
            base(),
        ),
        (
            "add primary key",
            schema(vec![table("users", vec![col("id", "uuid")])]),
            schema(vec![pk(
                table("users", vec![col("id", "uuid")]),
                "users_pkey",
                &["id"],
            )]),
        ),
        (
            "add check",
            base(),
            schema(vec![with_check(
                users(vec![]),
                "users_email_check",
                "(email <> ''::text)",
            )]),
        ),
        (
            "drop check",
            schema(vec![with_check(
                users(vec![]),
                "users_email_check",
                "(email <> ''::text)",
            )]),
            base(),
        ),
        (
            "add foreign key to an existing table",
            members_of(None),
            members_of(Some(member_org())),
        ),
        (
            "drop foreign key",
            members_of(Some(member_org())),
            members_of(None),
        ),
        ("create enum", base(), with_enum(base(), status())),
        (
            "add enum label",
            with_status(&["a", "b"], None),
            with_status(&["a", "b", "c"], None),
        ),
        (
            "add enum label used by a default in the same plan",
            with_status(&["a", "b"], None),
            with_status(&["a", "b", "c"], Some("'c'::status")),
        ),
        ("rename enum label", with_status(&["a", "b"], None), {
            let mut s = with_status(&["a", "c"], None);
            s.enums[0].label_renames = vec![("b".into(), "c".into())];
            s
        }),
        (
            "remove enum label (re-create, one column uses it)",
            with_status(&["a", "b"], None),
            with_status(&["a"], None),
        ),
        ("set table comment", base(), schema(vec![commented])),
    ]
}

fn default_(c: Column, e: &str) -> Column {
    default(c, e)
}

fn row(step: &Step) -> String {
    let hazards: Vec<&str> = step.hazards.iter().map(|h| h.as_str()).collect();
    let mut how = String::new();
    if !step.transactional {
        how.push_str(" no-transaction");
    }
    if step.own_transaction {
        how.push_str(" own-transaction");
    }
    format!(
        "    {}\n      lock: {}{how}\n      hazards: {}\n",
        step.description,
        step.lock.as_sql(),
        if hazards.is_empty() {
            "-".to_string()
        } else {
            hazards.join(", ")
        }
    )
}

fn table_of(online: bool) -> String {
    let mut out = String::new();
    for (kind, current, desired) in kinds() {
        let plan = diff_with(
            &desired,
            &current,
            &DiffOptions {
                online,
                ..Default::default()
            },
        );
        assert!(!plan.is_empty(), "{kind}: no change");
        out.push_str(&format!("{kind}:\n"));
        for s in &plan.steps {
            out.push_str(&row(s));
        }
    }
    out
}

#[test]
fn hazards_and_locks_of_each_kind_of_change() {
    insta::assert_snapshot!(table_of(false));
}

#[test]
fn hazards_and_locks_of_each_kind_of_change_online() {
    insta::assert_snapshot!(table_of(true));
}

/// Invariants every step keeps, whatever the kind: a lock's hazard is there exactly
/// when the lock is, a non-transactional step is one statement each way, and a
/// created table's steps block nothing.
#[test]
fn every_step_states_its_lock_as_a_hazard_and_splits_cleanly() {
    for online in [false, true] {
        for (kind, current, desired) in kinds()
            .into_iter()
            .chain(pairs().into_iter().map(|(c, d)| ("pair", c, d)))
        {
            let plan = diff_with(
                &desired,
                &current,
                &DiffOptions {
                    online,
                    ..Default::default()
                },
            );
            for s in &plan.steps {
                let expect = |lock: Lock, h: Hazard| {
                    assert_eq!(
                        s.lock == lock,
                        s.hazards.contains(&h),
                        "{kind}: {} ({:?}, {:?})",
                        s.description,
                        s.lock,
                        s.hazards
                    );
                };
                expect(Lock::AccessExclusive, Hazard::AccessExclusiveLock);
                expect(Lock::Share, Hazard::ShareLock);
                expect(Lock::ShareRowExclusive, Hazard::ShareRowExclusiveLock);
                if !s.transactional {
                    assert!(online, "{kind}: {}", s.description);
                    assert_eq!((s.up.len(), s.down.len()), (1, 1), "{}", s.description);
                }
                if s.description.starts_with("create table") {
                    assert_eq!(s.lock, Lock::None);
                }
            }
            if !online {
                assert!(
                    plan.is_transactional() || kind.contains("same plan"),
                    "{kind}"
                );
            }
        }
    }
}

/// The online files of the kinds that have an online form, split as they run.
fn online_files(current: &Schema, desired: &Schema) -> String {
    let plan = diff_with(
        desired,
        current,
        &DiffOptions {
            online: true,
            ..Default::default()
        },
    );
    let options = RenderOptions {
        lock_timeout: Some(std::time::Duration::from_secs(3)),
    };
    render_migrations(&plan, "change", &options)
        .iter()
        .map(|m| {
            format!(
                "==================== {} up\n{}\n==================== {} down\n{}",
                m.name, m.up, m.name, m.down
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn kind(name: &str) -> (Schema, Schema) {
    kinds()
        .into_iter()
        .find(|(k, _, _)| *k == name)
        .map(|(_, c, d)| (c, d))
        .unwrap_or_else(|| panic!("no kind {name}"))
}

macro_rules! online_snapshot {
    ($test:ident, $kind:expr) => {
        #[test]
        fn $test() {
            let (current, desired) = kind($kind);
            insta::assert_snapshot!(online_files(&current, &desired));
        }
    };
}

online_snapshot!(online_create_index, "create index");
online_snapshot!(online_drop_index, "drop index");
online_snapshot!(online_unique_constraint, "add unique constraint");
online_snapshot!(online_primary_key, "add primary key");
online_snapshot!(online_check, "add check");
online_snapshot!(online_foreign_key, "add foreign key to an existing table");
online_snapshot!(online_set_not_null, "set not null");
online_snapshot!(
    online_enum_label_used_at_once,
    "add enum label used by a default in the same plan"
);

#[test]
fn a_created_table_needs_nothing_online() {
    let (current, desired) = kind("create table");
    let plain = diff_with(
        &desired,
        &current,
        &DiffOptions {
            online: false,
            ..Default::default()
        },
    );
    let online = diff_with(
        &desired,
        &current,
        &DiffOptions {
            online: true,
            ..Default::default()
        },
    );
    assert_eq!(plain, online);
}

#[test]
fn a_sequence_under_another_name_is_left_alone() {
    let current = {
        let (c, _) = kind("rename table: its serial sequence follows");
        let mut c = c;
        c.tables[0].columns[0].sequence = Some("my_ids".into());
        c
    };
    let (_, desired) = kind("rename table: its serial sequence follows");
    let plan = diff(&desired, &current);
    assert!(
        plan.steps
            .iter()
            .all(|s| !s.description.contains("sequence")),
        "{plan:#?}"
    );
}

#[test]
fn an_identity_sequence_follows_a_column_rename() {
    let mut current = schema(vec![users(vec![])]);
    current.tables[0]
        .columns
        .push(identity(col("n", "bigint"), Identity::Always));
    current.tables[0].columns[2].sequence = Some("users_n_seq".into());
    let mut desired = schema(vec![users(vec![])]);
    let mut number = identity(col("number", "bigint"), Identity::Always);
    number.renamed_from = Some("n".into());
    desired.tables[0].columns.push(number);
    let plan = diff(&desired, &current);
    let up: Vec<&str> = plan.up_statements().collect();
    let down: Vec<&str> = plan.down_statements().collect();
    assert_eq!(
        up,
        [
            "ALTER TABLE users RENAME COLUMN n TO number",
            "ALTER SEQUENCE users_n_seq RENAME TO users_number_seq"
        ]
    );
    assert_eq!(
        down,
        [
            "ALTER SEQUENCE users_number_seq RENAME TO users_n_seq",
            "ALTER TABLE users RENAME COLUMN number TO n"
        ]
    );
}

/// Online, a plain index replaced by another on the same table goes once the new one is
/// built: reads keep an index all along, both ways. An index whose name the new one
/// takes, or a unique one, still goes first.
#[test]
fn online_a_replaced_index_goes_after_its_replacement_is_built() {
    let with = |indexes: Vec<Index>| {
        let mut t = users(vec![col("name", "text")]);
        t.indexes = indexes;
        schema(vec![t])
    };
    let current = with(vec![index("users_email_idx", &["email"])]);
    let desired = with(vec![index("users_email_name_idx", &["email", "name"])]);
    let plan = diff_with(
        &desired,
        &current,
        &DiffOptions {
            online: true,
            ..Default::default()
        },
    );
    let order: Vec<&str> = plan.steps.iter().map(|s| s.description.as_str()).collect();
    assert_eq!(
        order,
        [
            "create index users_email_name_idx on users (concurrently)",
            "drop index users_email_idx on users (concurrently)",
        ],
        "{plan:#?}"
    );
    // The same name: it must go first.
    let desired = with(vec![index("users_email_idx", &["email", "name"])]);
    let plan = diff_with(
        &desired,
        &current,
        &DiffOptions {
            online: true,
            ..Default::default()
        },
    );
    assert!(
        plan.steps[0].description.starts_with("drop index"),
        "{plan:#?}"
    );
}
