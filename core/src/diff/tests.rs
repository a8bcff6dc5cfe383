//! One small test per kind of change: the up and down files are snapshots, reviewed
//! like the migrations strata writes for its users. Then properties over many pairs.
use super::diff;
use crate::plan::{Hazard, Plan};
use crate::render::{render_down, render_up};
use crate::schema::{
    CheckConstraint, Column, EnumType, ForeignKey, Identity, Index, IndexTexts, PrimaryKey, Schema,
    Table, UniqueConstraint, Written,
};

fn col(name: &str, ty: &str) -> Column {
    Column::new(name, ty)
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
    Table::new("public", name, columns)
}

fn pk(t: Table, name: &str, cols: &[&str]) -> Table {
    Table {
        primary_key: Some(PrimaryKey {
            name: name.into(),
            columns: cols.iter().map(|c| c.to_string()).collect(),
            ..Default::default()
        }),
        ..t
    }
}

fn unique(mut t: Table, name: &str, cols: &[&str]) -> Table {
    t.uniques.push(UniqueConstraint {
        name: name.into(),
        columns: cols.iter().map(|c| c.to_string()).collect(),
        ..Default::default()
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
        vec![
            Hazard::DeletesData,
            Hazard::AccessExclusiveLock,
            Hazard::BreaksOldClients
        ]
    );
}

fn labels(ls: &[&str]) -> Vec<String> {
    ls.iter().map(|l| l.to_string()).collect()
}

fn enum_type(schema: &str, name: &str, ls: &[&str]) -> EnumType {
    EnumType {
        schema: schema.into(),
        name: name.into(),
        labels: labels(ls),
        label_renames: vec![],
    }
}

fn with_enums(mut s: Schema, enums: Vec<EnumType>) -> Schema {
    for e in &enums {
        s.schemas.push(e.schema.clone());
    }
    s.enums = enums;
    s.sort();
    s
}

fn index(name: &str, keys: &[&str]) -> Index {
    Index {
        name: name.into(),
        keys: labels(keys),
        unique: false,
        method: "btree".into(),
        predicate: None,
        include: vec![],
        opclasses: vec![],
        orders: vec![],
        collations: vec![],
        nulls_not_distinct: false,
        written: Default::default(),
    }
}

fn with_index(mut t: Table, i: Index) -> Table {
    t.indexes.push(i);
    t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
    t
}

fn fk(name: &str, cols: &[&str], ref_table: &str, ref_cols: &[&str]) -> ForeignKey {
    ForeignKey {
        name: name.into(),
        columns: labels(cols),
        ref_schema: "public".into(),
        ref_table: ref_table.into(),
        ref_columns: labels(ref_cols),
        on_delete: "NO ACTION".into(),
        on_update: "NO ACTION".into(),
        deferrable: false,
        initially_deferred: false,
        ref_index: None,
        not_valid: false,
    }
}

fn with_fk(mut t: Table, f: ForeignKey) -> Table {
    t.foreign_keys.push(f);
    t.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
    t
}

fn with_check(mut t: Table, name: &str, expr: &str) -> Table {
    t.checks.push(CheckConstraint {
        name: name.into(),
        expr: expr.into(),
        not_valid: false,
        written: Default::default(),
    });
    t.checks.sort_by(|a, b| a.name.cmp(&b.name));
    t
}

/// `users` with a `status user_status` column (default `'active'`) and the enum.
fn users_with_status(ls: &[&str]) -> Schema {
    with_enums(
        schema(vec![users(vec![default(
            col("status", "user_status"),
            "'active'::user_status",
        )])]),
        vec![enum_type("public", "user_status", ls)],
    )
}

#[test]
fn extensions_missing_are_created_first_and_others_never_dropped() {
    let mut desired = schema(vec![users(vec![col("name", "citext")])]);
    desired.extensions = labels(&["citext", "pg_trgm"]);
    let mut current = schema(vec![]);
    current.extensions = labels(&["citext", "plpgsql", "postgis"]);
    snapshot_diff!(desired, current);
}

/// `extensions.citext`: installed in a schema of its own, which is created with it;
/// installed elsewhere already (under its bare name) is installed.
#[test]
fn extensions_in_a_schema_of_their_own() {
    let mut desired = schema(vec![users(vec![col("address", "extensions.citext")])]);
    desired.extensions = labels(&["extensions.citext", "pg_trgm"]);
    let mut current = schema(vec![]);
    current.extensions = labels(&["plpgsql"]);
    snapshot_diff!(desired.clone(), current.clone());
    current.extensions = labels(&["citext", "pg_trgm"]);
    let plan = diff(&desired, &current);
    assert!(
        plan.steps
            .iter()
            .all(|s| !s.description.contains("extension")),
        "{plan:#?}"
    );
}

#[test]
fn enum_created_before_its_table_and_dropped_after_it() {
    let desired = with_enums(
        schema(vec![table(
            "tickets",
            vec![default(
                col("state", "ticket_state"),
                "'open'::ticket_state",
            )],
        )]),
        vec![enum_type("public", "ticket_state", &["open", "closed"])],
    );
    let current = with_enums(
        schema(vec![table("legacy", vec![col("kind", "legacy_kind")])]),
        vec![enum_type("public", "legacy_kind", &["a", "b"])],
    );
    snapshot_diff!(desired, current);
}

#[test]
fn enum_label_added_in_the_middle_and_at_the_end() {
    snapshot_diff!(
        users_with_status(&["active", "pending", "suspended", "banned"]),
        users_with_status(&["active", "suspended"])
    );
}

#[test]
fn enum_label_added_first() {
    snapshot_diff!(
        users_with_status(&["new", "active"]),
        users_with_status(&["active"])
    );
}

#[test]
fn enum_label_renamed() {
    let mut desired = users_with_status(&["active", "blocked"]);
    desired.enums[0].label_renames = vec![("suspended".into(), "blocked".into())];
    let current = users_with_status(&["active", "suspended"]);
    snapshot_diff!(desired, current);
    // Once applied, the hint is history.
    assert!(diff(&desired, &desired).is_empty());
}

/// PostgreSQL keeps a label in a default or a check by identity: after the rename they
/// read the new label by themselves, so nothing sets them again (a down file setting
/// the old label before renaming it back would fail).
#[test]
fn enum_label_renamed_under_defaults_that_name_it_sets_no_default() {
    let with = |labels: &[&str], label: &str| {
        with_enums(
            schema(vec![users(vec![
                default(
                    col("status", "user_status"),
                    &format!("'{label}'::user_status"),
                ),
                default(
                    col("history", "user_status[]"),
                    &format!("'{{{label},active}}'::user_status[]"),
                ),
            ])]),
            vec![enum_type("public", "user_status", labels)],
        )
    };
    let checked = |mut s: Schema, label: &str| {
        s.tables[0].checks = vec![CheckConstraint::new(
            "users_status_check",
            format!("((status <> '{label}'::user_status) OR (history IS NOT NULL))"),
        )];
        s
    };
    let mut desired = checked(with(&["active", "blocked"], "blocked"), "blocked");
    desired.enums[0].label_renames = vec![("suspended".into(), "blocked".into())];
    let current = checked(with(&["active", "suspended"], "suspended"), "suspended");
    let plan = diff(&desired, &current);
    let steps: Vec<&str> = plan.steps.iter().map(|s| s.description.as_str()).collect();
    assert_eq!(
        steps,
        ["rename labels of enum user_status: 'suspended' -> 'blocked'"],
        "{plan:#?}"
    );
    // A default that changes besides is set with the new label, in both files.
    let mut other = desired.clone();
    let status = other.tables[0]
        .columns
        .iter_mut()
        .find(|c| c.name == "status");
    status.expect("status column").default = Some("'active'::user_status".into());
    let plan = diff(&other, &current);
    let down: Vec<&String> = plan.steps.iter().flat_map(|s| &s.down).collect();
    assert!(
        down.iter()
            .any(|s| s.contains("SET DEFAULT 'blocked'::user_status")),
        "{down:#?}"
    );
}

#[test]
fn enum_label_removed_with_a_default_on_a_column_using_it() {
    let desired = users_with_status(&["active", "banned"]);
    let current = users_with_status(&["active", "suspended", "banned"]);
    let plan = diff(&desired, &current);
    assert_eq!(plan.destructive_steps().count(), 1);
    snapshot_diff!(desired, current);
}

#[test]
fn enum_labels_reordered() {
    let desired = users_with_status(&["suspended", "active"]);
    let current = users_with_status(&["active", "suspended"]);
    let plan = diff(&desired, &current);
    assert_eq!(plan.destructive_steps().count(), 0);
    snapshot_diff!(desired, current);
}

#[test]
fn two_columns_sharing_an_enum_are_both_converted() {
    let both = |ls: &[&str]| {
        with_enums(
            schema(vec![
                users(vec![default(
                    col("status", "user_status"),
                    "'active'::user_status",
                )]),
                table(
                    "audit",
                    vec![
                        nullable(col("before", "user_status")),
                        default(col("history", "user_status[]"), "'{}'::user_status[]"),
                    ],
                ),
            ]),
            vec![enum_type("public", "user_status", ls)],
        )
    };
    snapshot_diff!(
        both(&["active", "banned"]),
        both(&["active", "gone", "banned"])
    );
}

#[test]
fn enum_in_a_non_public_schema() {
    let invoices = |ls: &[&str], extra: bool| {
        let mut t = table(
            "invoices",
            vec![default(
                col("state", "billing.state"),
                "'draft'::billing.state",
            )],
        );
        t.schema = "billing".into();
        if extra {
            t.columns.push(nullable(col("previous", "billing.state")));
        }
        with_enums(schema(vec![t]), vec![enum_type("billing", "state", ls)])
    };
    snapshot_diff!(
        invoices(&["draft", "sent", "paid"], true),
        invoices(&["draft", "paid"], false)
    );
}

#[test]
fn column_type_changes_to_and_from_an_enum_go_through_text() {
    let e = vec![enum_type("public", "user_status", &["active", "suspended"])];
    snapshot_diff!(
        with_enums(
            schema(vec![users(vec![
                default(col("status", "user_status"), "'active'::user_status"),
                col("legacy", "text"),
            ])]),
            e.clone()
        ),
        with_enums(
            schema(vec![users(vec![
                default(col("status", "text"), "'active'::text"),
                col("legacy", "user_status"),
            ])]),
            e
        )
    );
}

#[test]
fn indexes_created_dropped_and_changed() {
    let t = |_: ()| {
        users(vec![nullable(col(
            "deleted_at",
            "timestamp with time zone",
        ))])
    };
    let partial = |p: &str| Index {
        predicate: Some(p.into()),
        ..index("users_email_live_idx", &["email"])
    };
    let desired = with_index(
        with_index(
            with_index(t(()), partial("(deleted_at IS NOT NULL)")),
            Index {
                unique: true,
                include: labels(&["id"]),
                ..index("users_lower_idx", &["lower(email)"])
            },
        ),
        Index {
            method: "gin".into(),
            ..index(
                "users_to_tsvector_idx",
                &["to_tsvector('simple'::regconfig, email)"],
            )
        },
    );
    let current = with_index(
        with_index(t(()), partial("(deleted_at IS NULL)")),
        index("users_deleted_at_idx", &["deleted_at"]),
    );
    snapshot_diff!(schema(vec![desired]), schema(vec![current]));
}

#[test]
fn index_renamed_because_its_table_and_column_were_renamed() {
    let current = with_index(users(vec![]), index("users_email_idx", &["email"]));
    let mut accounts = users(vec![]);
    accounts.name = "accounts".into();
    accounts.renamed_from = Some("users".into());
    accounts.primary_key = Some(PrimaryKey {
        name: "accounts_pkey".into(),
        columns: labels(&["id"]),
        ..Default::default()
    });
    accounts.columns[1].name = "mail".into();
    accounts.columns[1].renamed_from = Some("email".into());
    let desired = with_index(accounts, index("accounts_mail_idx", &["mail"]));
    snapshot_diff!(schema(vec![desired]), schema(vec![current]));
}

fn orgs() -> Table {
    pk(
        table("orgs", vec![col("id", "bigint")]),
        "orgs_pkey",
        &["id"],
    )
}

fn members(f: ForeignKey) -> Table {
    with_fk(
        pk(
            table(
                "members",
                vec![col("id", "bigint"), col("org_id", "bigint")],
            ),
            "members_pkey",
            &["id"],
        ),
        f,
    )
}

fn member_org() -> ForeignKey {
    fk("members_org_id_fkey", &["org_id"], "orgs", &["id"])
}

#[test]
fn foreign_key_on_delete_changes() {
    snapshot_diff!(
        schema(vec![
            orgs(),
            members(ForeignKey {
                on_delete: "CASCADE".into(),
                on_update: "RESTRICT".into(),
                ..member_org()
            })
        ]),
        schema(vec![orgs(), members(member_org())])
    );
}

#[test]
fn foreign_key_becomes_deferrable() {
    snapshot_diff!(
        schema(vec![
            orgs(),
            members(ForeignKey {
                deferrable: true,
                initially_deferred: true,
                ref_index: None,
                ..member_org()
            })
        ]),
        schema(vec![orgs(), members(member_org())])
    );
}

/// `a.b_id → b.id` and `b.a_id → a.id`.
fn cycle() -> Vec<Table> {
    let side = |name: &str, other: &str| {
        with_fk(
            pk(
                table(
                    name,
                    vec![
                        col("id", "bigint"),
                        nullable(col(&format!("{other}_id"), "bigint")),
                    ],
                ),
                &format!("{name}_pkey"),
                &["id"],
            ),
            fk(
                &format!("{name}_{other}_id_fkey"),
                &[&format!("{other}_id")],
                other,
                &["id"],
            ),
        )
    };
    vec![side("a", "b"), side("b", "a")]
}

#[test]
fn foreign_key_cycle_between_two_new_tables() {
    snapshot_diff!(schema(cycle()), schema(vec![]));
}

#[test]
fn dropping_a_referenced_table_drops_the_foreign_keys_first() {
    let plain_members = pk(
        table(
            "members",
            vec![col("id", "bigint"), col("org_id", "bigint")],
        ),
        "members_pkey",
        &["id"],
    );
    snapshot_diff!(
        schema(vec![plain_members]),
        schema(vec![orgs(), members(member_org())])
    );
}

#[test]
fn foreign_key_renamed_with_its_table_and_columns() {
    let mut people = members(fk(
        "people_org_key_fkey",
        &["org_key"],
        "companies",
        &["key"],
    ));
    people.name = "people".into();
    people.renamed_from = Some("members".into());
    people.primary_key = Some(PrimaryKey {
        name: "members_pkey".into(),
        columns: labels(&["id"]),
        ..Default::default()
    });
    people.columns[1].name = "org_key".into();
    people.columns[1].renamed_from = Some("org_id".into());
    let mut companies = orgs();
    companies.name = "companies".into();
    companies.renamed_from = Some("orgs".into());
    companies.columns[0].name = "key".into();
    companies.columns[0].renamed_from = Some("id".into());
    companies.primary_key = Some(PrimaryKey {
        name: "orgs_pkey".into(),
        columns: labels(&["key"]),
        ..Default::default()
    });
    snapshot_diff!(
        schema(vec![companies, people]),
        schema(vec![orgs(), members(member_org())])
    );
}

#[test]
fn check_expression_changed_added_dropped_and_renamed() {
    let t = |_: ()| users(vec![col("age", "integer"), col("score", "integer")]);
    let mut desired = with_check(
        with_check(t(()), "users_age_check", "(age >= 18)"),
        "users_years_check",
        "(years > 0)",
    );
    desired.columns[2].name = "years".into();
    desired.columns[2].renamed_from = Some("age".into());
    desired = with_check(desired, "users_score_check", "(score <= 100)");
    desired.checks.retain(|c| c.name != "users_age_check");
    let current = with_check(
        with_check(t(()), "users_age_check", "(age > 0)"),
        "users_score_check",
        "(score >= 0)",
    );
    snapshot_diff!(schema(vec![desired]), schema(vec![current]));
}

#[test]
fn created_table_has_its_checks_inline_and_its_indexes_after_it() {
    let t = with_index(
        with_check(
            users(vec![col("age", "integer")]),
            "users_age_check",
            "age >= 0",
        ),
        Index {
            predicate: Some("age > 17".into()),
            ..index("users_age_idx", &["age"])
        },
    );
    snapshot_diff!(schema(vec![t]), schema(vec![]));
}

#[test]
fn generated_column_reading_a_retyped_column_is_re_added() {
    let generated = Column {
        generated: Some("(qty * 2)".into()),
        ..nullable(col("twice", "bigint"))
    };
    snapshot_diff!(
        schema(vec![users(vec![col("qty", "bigint"), generated.clone()])]),
        schema(vec![users(vec![col("qty", "integer"), generated])])
    );
}

#[test]
fn identity_by_default_becomes_always() {
    snapshot_diff!(
        schema(vec![users(vec![identity(
            col("n", "bigint"),
            Identity::Always
        )])]),
        schema(vec![users(vec![identity(
            col("n", "bigint"),
            Identity::ByDefault
        )])])
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
    let mut everything = with_enums(
        schema(vec![
            with_index(
                with_check(
                    users(vec![
                        default(col("status", "user_status"), "'active'::user_status"),
                        nullable(col("org_id", "bigint")),
                        Column {
                            generated: Some("(lower(email))".into()),
                            ..nullable(col("email_lower", "text"))
                        },
                    ]),
                    "users_email_check",
                    "(email <> ''::text)",
                ),
                Index {
                    predicate: Some("(org_id IS NOT NULL)".into()),
                    ..index("users_org_id_idx", &["org_id"])
                },
            ),
            orgs(),
            members(member_org()),
        ]),
        vec![
            enum_type("public", "user_status", &["active", "suspended"]),
            enum_type("billing", "state", &["draft"]),
        ],
    );
    everything.extensions = labels(&["citext"]);
    let mut everything_changed = everything.clone();
    everything_changed.enums[1].labels = labels(&["sent", "draft"]);
    everything_changed.enums[0].labels = labels(&["active"]);
    everything_changed.tables[2].indexes[0].predicate = None;
    everything_changed.tables[2].checks.clear();
    everything_changed.tables[0].foreign_keys[0].deferrable = true;
    vec![
        (everything, everything_changed),
        (schema(cycle()), schema(vec![])),
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

/// Every name `sql` writes as an object name: quoted ones, and bare ones in lower case
/// (strata writes SQL keywords in upper case). Literals and comments hold none.
fn identifiers(sql: &str) -> Vec<String> {
    crate::lex::tokens(sql)
        .filter_map(|t| match t.kind {
            crate::lex::Kind::QuotedIdent { .. } => {
                crate::lex::ident_name(&t, sql).map(|n| n.into_owned())
            }
            crate::lex::Kind::Ident if !t.text(sql).bytes().any(|b| b.is_ascii_uppercase()) => {
                Some(t.text(sql).to_string())
            }
            _ => None,
        })
        .collect()
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
                known.extend(t.indexes.iter().map(|i| i.name.clone()));
                known.extend(t.foreign_keys.iter().map(|f| f.name.clone()));
                known.extend(t.checks.iter().map(|c| c.name.clone()));
            }
            known.extend(s.enums.iter().map(|e| e.name.clone()));
            // The old type's temporary name while an enum is re-created.
            known.extend(s.enums.iter().map(|e| format!("{}__old", e.name)));
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
                        // The condition a down file's fit check catches.
                        "data_exception",
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

mod excluded;
mod partitions;
mod safety;
mod sequence_types;
mod written;

fn collated(c: Column, collation: &str) -> Column {
    Column {
        collation: Some(collation.into()),
        ..c
    }
}

#[test]
fn a_type_change_keeps_the_column_collation_and_a_collation_change_alone_is_alter_type() {
    // Widening a `varchar` with a collation writes it again (without it PostgreSQL
    // would give the type's default); a collation change alone keeps the type.
    let current = schema(vec![users(vec![
        collated(col("code", "character varying(10)"), "\"C\""),
        col("title", "text"),
    ])]);
    let desired = schema(vec![users(vec![
        collated(col("code", "character varying(20)"), "\"C\""),
        collated(col("title", "text"), "\"POSIX\""),
    ])]);
    snapshot_diff!(desired, current);
}

#[test]
fn key_options_and_exclusions_re_create_what_changed() {
    let mut current = users(vec![nullable(col("code", "text"))]);
    current.uniques.push(UniqueConstraint {
        name: "users_code_key".into(),
        columns: vec!["code".into()],
        ..Default::default()
    });
    current.indexes.push(Index {
        name: "users_email_idx".into(),
        keys: vec!["email".into()],
        method: "btree".into(),
        ..Default::default()
    });
    current.exclusions.push(crate::schema::ExclusionConstraint {
        name: "users_email_excl".into(),
        definition: "EXCLUDE USING btree (email WITH =)".into(),
        deferral: crate::schema::Deferral::Immediate,
        written: Written::default(),
    });
    let mut desired = current.clone();
    desired.uniques[0].nulls_not_distinct = true;
    desired.uniques[0].deferral = crate::schema::Deferral::InitiallyDeferred;
    desired.indexes[0].collations = vec!["\"C\"".into()];
    desired.exclusions[0].deferral = crate::schema::Deferral::Deferrable;
    snapshot_diff!(schema(vec![desired]), schema(vec![current]));
}
