//! One small test per kind of change: the up and down files are snapshots, reviewed
//! like the migrations strata writes for its users. Then properties over many pairs.
use super::diff;
use crate::plan::{Hazard, Plan};
use crate::render::{render_down, render_up};
use crate::schema::{Column, Identity, PrimaryKey, Schema, Table, UniqueConstraint};

fn col(name: &str, ty: &str) -> Column {
    Column {
        name: name.into(),
        ty: ty.into(),
        nullable: false,
        default: None,
        identity: None,
        generated: None,
        serial: false,
        comment: None,
        renamed_from: None,
    }
}

fn nullable(c: Column) -> Column {
    Column {
        nullable: true,
        ..c
    }
}

fn default(c: Column, e: &str) -> Column {
    Column {
        default: Some(e.into()),
        ..c
    }
}

fn identity(c: Column, i: Identity) -> Column {
    Column {
        identity: Some(i),
        ..c
    }
}

fn table(name: &str, columns: Vec<Column>) -> Table {
    Table {
        schema: "public".into(),
        name: name.into(),
        columns,
        primary_key: None,
        uniques: vec![],
        indexes: vec![],
        foreign_keys: vec![],
        checks: vec![],
        comment: None,
        renamed_from: None,
    }
}

fn pk(t: Table, name: &str, cols: &[&str]) -> Table {
    Table {
        primary_key: Some(PrimaryKey {
            name: name.into(),
            columns: cols.iter().map(|c| c.to_string()).collect(),
        }),
        ..t
    }
}

fn unique(mut t: Table, name: &str, cols: &[&str]) -> Table {
    t.uniques.push(UniqueConstraint {
        name: name.into(),
        columns: cols.iter().map(|c| c.to_string()).collect(),
    });
    t
}

fn schema(tables: Vec<Table>) -> Schema {
    let mut s = Schema {
        schemas: vec!["public".into()],
        tables,
        ..Schema::default()
    };
    for t in &s.tables {
        s.schemas.push(t.schema.clone());
    }
    s.sort();
    s
}

/// `users (id uuid, email text)` with a primary key: the base most tests change.
fn users(extra: Vec<Column>) -> Table {
    let mut columns = vec![
        default(col("id", "uuid"), "gen_random_uuid()"),
        col("email", "text"),
    ];
    columns.extend(extra);
    pk(table("users", columns), "users_pkey", &["id"])
}

/// The up and down files for current → desired, as one reviewable text.
fn files(desired: &Schema, current: &Schema) -> String {
    let plan = diff(desired, current);
    format!(
        "{}\n==================== down ====================\n{}",
        render_up(&plan, "change"),
        render_down(&plan, "change")
    )
}

macro_rules! snapshot_diff {
    ($desired:expr, $current:expr) => {
        insta::assert_snapshot!(files(&$desired, &$current))
    };
}

#[test]
fn empty_plan_renders_comment_only_files() {
    let s = schema(vec![users(vec![])]);
    let plan = diff(&s, &s);
    assert!(plan.is_empty());
    snapshot_diff!(s, s);
}

#[test]
fn create_schema_and_table_with_reserved_names() {
    let mut order = unique(
        pk(
            table(
                "order",
                vec![
                    identity(col("id", "bigint"), Identity::ByDefault),
                    col("user", "text"),
                    nullable(col("note", "character varying(200)")),
                ],
            ),
            "order_pkey",
            &["id"],
        ),
        "order_user_key",
        &["user"],
    );
    order.schema = "shop".into();
    order.comment = Some("what people buy, isn't it".into());
    order.columns[1].comment = Some("who".into());
    snapshot_diff!(schema(vec![order]), schema(vec![]));
}

#[test]
fn drop_table() {
    let mut old = users(vec![nullable(col("name", "text"))]);
    old.comment = Some("people".into());
    snapshot_diff!(schema(vec![]), schema(vec![old]));
}

#[test]
fn rename_table_renames_its_primary_key() {
    let mut accounts = pk(
        Table {
            name: "accounts".into(),
            ..users(vec![])
        },
        "accounts_pkey",
        &["id"],
    );
    accounts.renamed_from = Some("users".into());
    snapshot_diff!(schema(vec![accounts]), schema(vec![users(vec![])]));
}

#[test]
fn rename_hint_is_ignored_once_applied() {
    let mut accounts = users(vec![]);
    accounts.renamed_from = Some("old_users".into());
    let current = schema(vec![users(vec![])]);
    assert!(diff(&schema(vec![accounts]), &current).is_empty());
}

#[test]
fn add_columns() {
    snapshot_diff!(
        schema(vec![users(vec![
            nullable(col("avatar_url", "text")),
            col("age", "integer"),
            default(col("created_at", "timestamp with time zone"), "now()"),
            identity(col("seq", "bigint"), Identity::Always),
            Column {
                comment: Some("shown to others".into()),
                ..nullable(col("nickname", "text"))
            },
        ])]),
        schema(vec![users(vec![])])
    );
}

#[test]
fn drop_columns_restore_structure_not_data() {
    snapshot_diff!(
        schema(vec![users(vec![])]),
        schema(vec![users(vec![
            nullable(col("avatar", "text")),
            col("age", "integer"),
            col("tags", "text[]"),
            default(col("active", "boolean"), "true"),
            Column {
                comment: Some("state".into()),
                ..col("status", "user_status")
            },
        ])])
    );
}

#[test]
fn rename_column() {
    let mut renamed = nullable(col("avatar_url", "text"));
    renamed.renamed_from = Some("avatar".into());
    snapshot_diff!(
        schema(vec![users(vec![renamed])]),
        schema(vec![users(vec![nullable(col("avatar", "text"))])])
    );
}

#[test]
fn change_types() {
    snapshot_diff!(
        schema(vec![users(vec![
            col("age", "bigint"),
            col("code", "character varying(5)"),
            col("name", "text"),
            col("tags", "text[]"),
            default(col("score", "numeric(12,2)"), "0.0"),
        ])]),
        schema(vec![users(vec![
            col("age", "integer"),
            col("code", "text"),
            col("name", "character varying(100)"),
            col("tags", "text"),
            default(col("score", "integer"), "0"),
        ])])
    );
}

#[test]
fn nullability() {
    snapshot_diff!(
        schema(vec![users(vec![
            col("a", "text"),
            nullable(col("b", "text"))
        ])]),
        schema(vec![users(vec![
            nullable(col("a", "text")),
            col("b", "text")
        ])])
    );
}

#[test]
fn defaults() {
    snapshot_diff!(
        schema(vec![users(vec![
            default(col("a", "integer"), "1"),
            default(col("b", "integer"), "2"),
            col("c", "integer"),
        ])]),
        schema(vec![users(vec![
            col("a", "integer"),
            default(col("b", "integer"), "1"),
            default(col("c", "integer"), "3"),
        ])])
    );
}

#[test]
fn identities() {
    snapshot_diff!(
        schema(vec![users(vec![
            identity(col("a", "bigint"), Identity::ByDefault),
            col("b", "bigint"),
            identity(col("c", "bigint"), Identity::Always),
        ])]),
        schema(vec![users(vec![
            col("a", "bigint"),
            identity(col("b", "bigint"), Identity::Always),
            identity(col("c", "bigint"), Identity::ByDefault),
        ])])
    );
}

#[test]
fn generated_expression_change_is_drop_and_add() {
    let generated = |e: &str| Column {
        generated: Some(e.into()),
        ..nullable(col("total", "integer"))
    };
    snapshot_diff!(
        schema(vec![users(vec![
            col("qty", "integer"),
            generated("(qty * 3)")
        ])]),
        schema(vec![users(vec![
            col("qty", "integer"),
            generated("(qty * 2)")
        ])])
    );
}

fn serial(c: Column) -> Column {
    Column { serial: true, ..c }
}

#[test]
fn serial_default_is_never_compared() {
    let desired = schema(vec![users(vec![serial(col("n", "bigint"))])]);
    let current = schema(vec![users(vec![default(
        serial(col("n", "bigint")),
        "nextval('users_n_seq'::regclass)",
    )])]);
    assert!(diff(&desired, &current).is_empty());
}

#[test]
fn serial_columns() {
    snapshot_diff!(
        schema(vec![users(vec![
            serial(col("added", "bigint")),
            serial(col("became", "integer")),
            col("was", "integer"),
        ])]),
        schema(vec![users(vec![
            col("became", "integer"),
            default(
                serial(col("was", "integer")),
                "nextval('users_was_seq'::regclass)"
            ),
        ])])
    );
}

#[test]
fn comments() {
    let mut desired = users(vec![Column {
        comment: Some("new".into()),
        ..col("a", "text")
    }]);
    desired.comment = Some("the people".into());
    let mut current = users(vec![col("a", "text")]);
    current.columns[1].comment = Some("login".into());
    snapshot_diff!(schema(vec![desired]), schema(vec![current]));
}

#[test]
fn primary_keys() {
    snapshot_diff!(
        schema(vec![
            pk(table("a", vec![col("id", "integer")]), "a_pkey", &["id"]),
            table("b", vec![col("id", "integer")]),
            pk(
                table("c", vec![col("x", "integer"), col("y", "integer")]),
                "c_pkey",
                &["x", "y"]
            ),
        ]),
        schema(vec![
            table("a", vec![col("id", "integer")]),
            pk(table("b", vec![col("id", "integer")]), "b_pkey", &["id"]),
            pk(
                table("c", vec![col("x", "integer"), col("y", "integer")]),
                "c_pkey",
                &["x"]
            ),
        ])
    );
}

#[test]
fn unique_constraints() {
    let t = |_: ()| users(vec![col("a", "text"), col("b", "text"), col("c", "text")]);
    let desired = unique(
        unique(t(()), "users_a_key", &["a"]),
        "users_b_unique",
        &["b"],
    );
    let current = unique(unique(t(()), "users_b_key", &["b"]), "users_c_key", &["c"]);
    snapshot_diff!(schema(vec![desired]), schema(vec![current]));
}

#[test]
fn constraint_on_a_renamed_column_is_kept_and_one_on_a_dropped_column_is_restored() {
    let mut renamed = col("mail", "text");
    renamed.renamed_from = Some("email".into());
    let desired = users(vec![]);
    let desired = Table {
        columns: vec![desired.columns[0].clone(), renamed],
        ..desired
    };
    let current = unique(
        unique(
            users(vec![col("handle", "text")]),
            "users_email_key",
            &["email"],
        ),
        "users_handle_key",
        &["handle"],
    );
    let desired = unique(desired, "users_email_key", &["mail"]);
    snapshot_diff!(schema(vec![desired]), schema(vec![current]));
}

#[test]
fn rename_suggestions() {
    let desired = schema(vec![
        users(vec![
            nullable(col("avatar_url", "text")),
            col("age", "bigint"),
        ]),
        table("people", vec![col("id", "integer"), col("name", "text")]),
    ]);
    let current = schema(vec![
        users(vec![
            nullable(col("avatar", "text")),
            col("years", "integer"),
        ]),
        table("persons", vec![col("name", "text"), col("id", "integer")]),
    ]);
    let plan = diff(&desired, &current);
    insta::assert_json_snapshot!(plan.rename_suggestions);
}

#[test]
fn hazards_of_destructive_steps() {
    let plan = diff(
        &schema(vec![users(vec![])]),
        &schema(vec![users(vec![nullable(col("x", "text"))])]),
    );
    assert_eq!(plan.destructive_steps().count(), 1);
    assert_eq!(
        plan.steps[0].hazards,
        vec![Hazard::DeletesData, Hazard::BreaksOldClients]
    );
}

/// Pairs of (current, desired) covering every kind of change at once.
fn pairs() -> Vec<(Schema, Schema)> {
    let mut renamed_table = pk(
        Table {
            name: "accounts".into(),
            ..users(vec![col("nick", "text")])
        },
        "accounts_pkey",
        &["id"],
    );
    renamed_table.renamed_from = Some("users".into());
    renamed_table.columns[2].renamed_from = Some("handle".into());
    let mut other_schema = table("invoices", vec![col("id", "bigint")]);
    other_schema.schema = "billing".into();
    vec![
        (schema(vec![]), schema(vec![users(vec![])])),
        (schema(vec![users(vec![])]), schema(vec![])),
        (
            schema(vec![unique(
                users(vec![col("handle", "text")]),
                "users_handle_key",
                &["handle"],
            )]),
            schema(vec![renamed_table, other_schema]),
        ),
        (
            schema(vec![users(vec![
                col("a", "integer"),
                nullable(col("b", "text")),
                default(col("c", "integer"), "1"),
            ])]),
            schema(vec![users(vec![
                identity(col("a", "bigint"), Identity::Always),
                col("b", "character varying(3)"),
                nullable(col("d", "jsonb")),
            ])]),
        ),
    ]
}

#[test]
fn a_schema_diffed_with_itself_is_empty() {
    for (current, desired) in pairs() {
        assert_eq!(diff(&current, &current), Plan::default());
        assert_eq!(diff(&desired, &desired), Plan::default());
    }
}

/// Every name in `sql` that looks like an identifier (bare or quoted).
fn identifiers(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    let mut in_literal = false;
    while let Some(ch) = chars.next() {
        if in_literal {
            in_literal = ch != '\'';
        } else if ch == '\'' {
            in_literal = true;
        } else if ch == '"' {
            let mut name = String::new();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                name.push(c);
            }
            out.push(name);
        } else if ch.is_ascii_lowercase() || ch == '_' {
            let mut name = ch.to_string();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                    name.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(name);
        }
    }
    out
}

/// The down statements name only what exists while they run: objects of the current
/// schema, or objects of the desired schema they are undoing (never a third name).
#[test]
fn down_statements_mention_only_objects_of_either_side() {
    for (current, desired) in pairs() {
        let plan = diff(&desired, &current);
        assert!(!plan.is_empty());
        let mut known: Vec<String> = Vec::new();
        for s in [&current, &desired] {
            known.extend(s.schemas.iter().cloned());
            for t in &s.tables {
                known.push(t.name.clone());
                known.extend(t.columns.iter().map(|c| c.name.clone()));
                known.extend(t.primary_key.iter().map(|p| p.name.clone()));
                known.extend(t.uniques.iter().map(|u| u.name.clone()));
            }
        }
        for stmt in plan.down_statements() {
            for name in identifiers(stmt) {
                // Lower-case words that are SQL or types, not object names.
                let sql_word = name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    && !known.contains(&name)
                    && [
                        "integer",
                        "bigint",
                        "text",
                        "character",
                        "varying",
                        "uuid",
                        "jsonb",
                        "gen_random_uuid",
                        "using",
                        "setval",
                        "pg_get_serial_sequence",
                        "coalesce",
                        "max",
                        "false",
                        "from",
                        "generated",
                        "always",
                        "as",
                        "by",
                        "identity",
                        "default",
                        "null",
                        "not",
                        "is",
                    ]
                    .contains(&name.as_str());
                assert!(
                    sql_word || known.contains(&name),
                    "{name:?} in down statement {stmt:?} is neither SQL nor an object of either side"
                );
            }
        }
    }
}
