//! The diff's SQL against a real PostgreSQL: for each (current, desired) pair, build
//! `current`, run the up statements and check the catalog is exactly what building
//! `desired` from scratch gives; run the down statements and check the catalog is
//! `current` again. Column order is left out of the comparison: a dropped column comes
//! back at the end of its table, as the down file's header says.

use strata_core::diff::diff;
use strata_core::schema::{
    CheckConstraint, Column, EnumType, ForeignKey, Identity, Index, PrimaryKey, Schema, Table,
    UniqueConstraint,
};
use strata_tests::TestDb;

fn col(name: &str, ty: &str) -> Column {
    Column::new(name, ty)
}

fn table(schema: &str, name: &str, columns: Vec<Column>) -> Table {
    Table::new(schema, name, columns)
}

fn names(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|c| c.to_string()).collect()
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

/// Everything of the catalog the diff manages, one sorted line per object.
const FINGERPRINT: &str = r#"
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
)
SELECT coalesce(string_agg(line, E'\n' ORDER BY line), '') FROM (
    SELECT format('schema %s', nspname) AS line FROM ns
    UNION ALL
    SELECT format('relation %s %s.%s comment=%s', c.relkind, ns.nspname, c.relname,
                  obj_description(c.oid, 'pg_class'))
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'S', 'i')
    UNION ALL
    SELECT format('column %s.%s %s notnull=%s default=%s identity=%s generated=%s comment=%s',
                  c.oid::regclass, a.attname, format_type(a.atttypid, a.atttypmod),
                  a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity,
                  a.attgenerated, col_description(c.oid, a.attnum))
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN ns ON ns.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT format('constraint %s %s %s', con.conrelid::regclass, con.conname,
                  pg_get_constraintdef(con.oid))
    FROM pg_constraint con JOIN ns ON ns.oid = con.connamespace
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(i.indexrelid))
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    JOIN ns ON ns.oid = c.relnamespace
    UNION ALL
    SELECT format('enum %s.%s (%s)', ns.nspname, t.typname,
                  (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder)
                   FROM pg_enum e WHERE e.enumtypid = t.oid))
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
    WHERE t.typtype = 'e'
    UNION ALL
    SELECT format('extension %s', extname) FROM pg_extension
) lines
"#;

async fn fingerprint(db: &TestDb) -> String {
    let mut c = db.connect().await;
    sqlx::query_scalar(FINGERPRINT)
        .fetch_one(&mut c)
        .await
        .expect("read the catalog")
}

async fn run(db: &TestDb, statements: impl Iterator<Item = &str>) {
    for s in statements {
        db.execute(s).await;
    }
}

/// A database holding `s`, built with the diff from nothing.
async fn build(s: &Schema) -> TestDb {
    let db = TestDb::new().await;
    let empty = schema(vec![]);
    run(&db, diff(s, &empty).up_statements()).await;
    db
}

async fn round_trip(current: Schema, desired: Schema) {
    round_trip_with_rows(current, desired, &[], None).await;
}

/// [`round_trip`], with rows: `seed` runs on the current schema before the up file,
/// and `query` (one text value) must read the same before up, after up and after down.
async fn round_trip_with_rows(
    current: Schema,
    desired: Schema,
    seed: &[&str],
    query: Option<&str>,
) {
    let plan = diff(&desired, &current);
    assert!(!plan.is_empty(), "the pair should differ");
    assert_eq!(diff(&current, &current), Default::default());
    assert_eq!(diff(&desired, &desired), Default::default());
    let db = build(&current).await;
    run(&db, seed.iter().copied()).await;
    let rows = |db: &TestDb| {
        let url = db.url.clone();
        async move {
            match query {
                None => String::new(),
                Some(q) => {
                    let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
                        .await
                        .expect("connect");
                    sqlx::query_scalar::<_, String>(q)
                        .fetch_one(&mut c)
                        .await
                        .expect("read the rows")
                }
            }
        }
    };
    let rows_before = rows(&db).await;
    let before = fingerprint(&db).await;
    assert!(
        before.contains("\ncolumn ") && before.contains("\nconstraint "),
        "the fingerprint sees the catalog:\n{before}"
    );
    run(&db, plan.up_statements()).await;
    let after_up = fingerprint(&db).await;
    let expected = fingerprint(&build(&desired).await).await;
    assert_eq!(after_up, expected, "up must give the desired schema");
    assert_eq!(rows(&db).await, rows_before, "the rows survive up");
    run(&db, plan.down_statements()).await;
    assert_eq!(
        fingerprint(&db).await,
        before,
        "down must give back the current schema"
    );
    assert_eq!(rows(&db).await, rows_before, "the rows survive down");
}

fn users(extra: Vec<Column>) -> Table {
    let mut columns = vec![
        Column {
            default: Some("gen_random_uuid()".into()),
            ..col("id", "uuid")
        },
        col("email", "text"),
    ];
    columns.extend(extra);
    Table {
        primary_key: Some(PrimaryKey {
            name: "users_pkey".into(),
            columns: names(&["id"]),
            ..Default::default()
        }),
        uniques: vec![UniqueConstraint {
            name: "users_email_key".into(),
            columns: names(&["email"]),
            ..Default::default()
        }],
        ..table("public", "users", columns)
    }
}

#[tokio::test]
async fn tables_schemas_and_renames_round_trip() {
    let mut current_users = users(vec![col("handle", "text")]);
    current_users.comment = Some("people".into());
    let current = schema(vec![
        current_users,
        table("public", "legacy", vec![col("x", "integer")]),
    ]);

    let mut accounts = users(vec![col("nick", "text")]);
    accounts.name = "accounts".into();
    accounts.renamed_from = Some("users".into());
    accounts.columns[2].renamed_from = Some("handle".into());
    accounts.primary_key = Some(PrimaryKey {
        name: "accounts_pkey".into(),
        columns: names(&["id"]),
        ..Default::default()
    });
    accounts.uniques = vec![UniqueConstraint {
        name: "accounts_email_key".into(),
        columns: names(&["email"]),
        ..Default::default()
    }];
    let mut order = table(
        "shop",
        "order",
        vec![
            Column {
                identity: Some(Identity::ByDefault),
                ..col("id", "bigint")
            },
            col("user", "text"),
        ],
    );
    order.comment = Some("what's bought".into());
    order.primary_key = Some(PrimaryKey {
        name: "order_pkey".into(),
        columns: names(&["id"]),
        ..Default::default()
    });
    round_trip(current, schema(vec![accounts, order])).await;
}

#[tokio::test]
async fn column_changes_round_trip() {
    let current = schema(vec![users(vec![
        Column {
            comment: Some("gone".into()),
            ..col("dropped", "integer")
        },
        col("dropped_array", "text[]"),
        Column {
            nullable: true,
            ..col("dropped_json", "jsonb")
        },
        col("age", "integer"),
        Column {
            default: Some("0".into()),
            ..col("score", "integer")
        },
        Column {
            nullable: true,
            ..col("nick", "character varying(10)")
        },
        col("tag", "text"),
        Column {
            identity: Some(Identity::Always),
            ..col("n", "bigint")
        },
        col("m", "bigint"),
        Column {
            serial: true,
            default: Some("nextval('users_s_seq'::regclass)".into()),
            ..col("s", "integer")
        },
        col("t", "integer"),
        Column {
            generated: Some("(age * 2)".into()),
            nullable: true,
            ..col("twice", "integer")
        },
    ])]);
    let desired = schema(vec![users(vec![
        Column {
            nullable: true,
            comment: Some("new".into()),
            ..col("avatar", "text")
        },
        col("created_at", "timestamp with time zone"),
        col("age", "bigint"),
        Column {
            default: Some("1.5".into()),
            ..col("score", "numeric(10,2)")
        },
        col("nick", "text"),
        Column {
            nullable: true,
            ..col("tag", "text[]")
        },
        Column {
            identity: Some(Identity::ByDefault),
            ..col("n", "bigint")
        },
        Column {
            identity: Some(Identity::Always),
            ..col("m", "bigint")
        },
        col("s", "integer"),
        Column {
            serial: true,
            ..col("t", "integer")
        },
        Column {
            generated: Some("(age * 3)".into()),
            nullable: true,
            ..col("twice", "bigint")
        },
    ])]);
    round_trip(current, desired).await;
}

#[tokio::test]
async fn constraint_changes_round_trip() {
    let with = |pk: &[&str], uniques: &[(&str, &[&str])]| {
        let mut t = table(
            "public",
            "items",
            vec![
                col("a", "integer"),
                col("b", "integer"),
                col("c", "integer"),
            ],
        );
        t.primary_key = Some(PrimaryKey {
            name: "items_pkey".into(),
            columns: names(pk),
            ..Default::default()
        });
        t.uniques = uniques
            .iter()
            .map(|(n, cols)| UniqueConstraint {
                name: n.to_string(),
                columns: names(cols),
                ..Default::default()
            })
            .collect();
        schema(vec![t])
    };
    round_trip(
        with(&["a"], &[("items_b_key", &["b"]), ("items_c_key", &["c"])]),
        with(
            &["a", "b"],
            &[("items_b_unique", &["b"]), ("items_a_c_key", &["a", "c"])],
        ),
    )
    .await;
}

fn enum_type(schema: &str, name: &str, labels: &[&str]) -> EnumType {
    EnumType {
        schema: schema.into(),
        name: name.into(),
        labels: names(labels),
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

fn defaulted(c: Column, e: &str) -> Column {
    Column {
        default: Some(e.into()),
        ..c
    }
}

#[tokio::test]
async fn enums_round_trip_with_rows_and_defaults() {
    let people = |status_labels_default: &str, extra: Vec<Column>| {
        let mut columns = vec![
            col("id", "integer"),
            defaulted(col("status", "status"), status_labels_default),
            defaulted(col("history", "status[]"), "'{}'::status[]"),
            col("mood", "mood"),
            col("note", "text"),
        ];
        columns.extend(extra);
        Table {
            primary_key: Some(PrimaryKey {
                name: "people_pkey".into(),
                columns: names(&["id"]),
                ..Default::default()
            }),
            ..table("public", "people", columns)
        }
    };
    let invoices = |extra: Vec<Column>| {
        let mut columns = vec![defaulted(
            col("state", "billing.state"),
            "'draft'::billing.state",
        )];
        columns.extend(extra);
        table("billing", "invoices", columns)
    };
    let current = with_enums(
        schema(vec![
            people("'active'::status", vec![]),
            invoices(vec![]),
            table("public", "legacy", vec![col("kind", "legacy_kind")]),
        ]),
        vec![
            enum_type("public", "status", &["active", "suspended", "banned"]),
            enum_type("public", "mood", &["happy", "sad"]),
            enum_type("billing", "state", &["draft", "paid"]),
            enum_type("public", "legacy_kind", &["x"]),
        ],
    );
    let mut desired = with_enums(
        schema(vec![
            {
                let mut p = people(
                    "'banned'::status",
                    vec![Column {
                        nullable: true,
                        ..col("priority", "priority")
                    }],
                );
                // text → enum, through text.
                p.columns[4].ty = "mood".into();
                p
            },
            invoices(vec![Column {
                nullable: true,
                ..col("previous", "billing.state")
            }]),
        ]),
        vec![
            // 'suspended' removed and the rest reordered: re-created.
            enum_type("public", "status", &["banned", "active"]),
            // 'sad' renamed.
            enum_type("public", "mood", &["happy", "glum"]),
            // 'sent' added in the middle.
            enum_type("billing", "state", &["draft", "sent", "paid"]),
            enum_type("public", "priority", &["low", "high"]),
        ],
    );
    if let Some(mood) = desired.enums.iter_mut().find(|e| e.name == "mood") {
        mood.label_renames = vec![("sad".into(), "glum".into())];
    }
    round_trip_with_rows(
        current,
        desired,
        &[
            "INSERT INTO people (id, status, history, mood, note) VALUES \
             (1, 'active', '{active,banned}', 'happy', 'happy'), \
             (2, 'banned', '{}', 'happy', 'happy'), \
             (3, DEFAULT, DEFAULT, 'happy', 'happy')",
            "INSERT INTO billing.invoices VALUES ('paid'), (DEFAULT)",
        ],
        Some(
            "SELECT string_agg(format('%s %s %s %s', id, status, history, note), '; ' ORDER BY id) \
             || ' | ' || (SELECT string_agg(state::text, ',' ORDER BY state::text) FROM billing.invoices) \
             FROM people",
        ),
    )
    .await;
}

fn index(name: &str, keys: &[&str]) -> Index {
    Index {
        name: name.into(),
        keys: names(keys),
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

#[tokio::test]
async fn indexes_round_trip() {
    let base = |name: &str, email: &str| {
        let mut t = users(vec![
            Column {
                nullable: true,
                ..col("deleted_at", "timestamp with time zone")
            },
            col("gone", "integer"),
            col("name", "text"),
        ]);
        t.name = name.into();
        t.columns[1].name = email.into();
        t.uniques[0].columns = names(&[email]);
        t
    };
    let mut current_users = base("users", "email");
    current_users.indexes = vec![
        Index {
            predicate: Some("(deleted_at IS NULL)".into()),
            ..index("users_email_live_idx", &["email"])
        },
        index("users_gone_idx", &["gone"]),
        index("users_name_idx", &["name"]),
        Index {
            unique: true,
            ..index("users_lower_idx", &["lower(email)"])
        },
    ];
    let mut current = schema(vec![current_users]);
    current.extensions = names(&["plpgsql"]);

    let mut accounts = base("accounts", "mail");
    accounts.renamed_from = Some("users".into());
    accounts.columns[1].renamed_from = Some("email".into());
    accounts.columns.retain(|c| c.name != "gone");
    accounts.indexes = vec![
        // The predicate changes: dropped and created.
        Index {
            predicate: Some("(deleted_at IS NOT NULL)".into()),
            ..index("users_email_live_idx", &["mail"])
        },
        // Only the table's name changed: renamed.
        index("accounts_name_idx", &["name"]),
        // The column inside the expression was renamed: the same index.
        Index {
            unique: true,
            ..index("users_lower_idx", &["lower(mail)"])
        },
        Index {
            method: "gin".into(),
            ..index(
                "accounts_to_tsvector_idx",
                &["to_tsvector('simple'::regconfig, name)"],
            )
        },
        Index {
            include: names(&["name"]),
            ..index("accounts_deleted_at_idx", &["deleted_at"])
        },
    ];
    let mut desired = schema(vec![accounts]);
    desired.extensions = names(&["plpgsql", "pg_trgm"]);
    let plan = diff(&desired, &current);
    let renames = plan
        .up_statements()
        .filter(|s| s.starts_with("ALTER INDEX"))
        .count();
    assert_eq!(renames, 1, "{:#?}", plan.steps);
    round_trip(current, desired).await;
}

fn fk(name: &str, cols: &[&str], ref_table: &str, ref_cols: &[&str]) -> ForeignKey {
    ForeignKey {
        name: name.into(),
        columns: names(cols),
        ref_schema: "public".into(),
        ref_table: ref_table.into(),
        ref_columns: names(ref_cols),
        on_delete: "NO ACTION".into(),
        on_update: "NO ACTION".into(),
        deferrable: false,
        initially_deferred: false,
        ref_index: None,
        not_valid: false,
    }
}

fn keyed(schema_name: &str, name: &str, mut columns: Vec<Column>) -> Table {
    columns.insert(0, col("id", "bigint"));
    Table {
        primary_key: Some(PrimaryKey {
            name: format!("{name}_pkey"),
            columns: names(&["id"]),
            ..Default::default()
        }),
        ..table(schema_name, name, columns)
    }
}

fn nullable(c: Column) -> Column {
    Column {
        nullable: true,
        ..c
    }
}

#[tokio::test]
async fn foreign_keys_round_trip_with_a_cycle() {
    let orgs = keyed("public", "orgs", vec![]);
    let teams = keyed("public", "teams", vec![]);
    let mut members = keyed(
        "public",
        "members",
        vec![col("org_id", "bigint"), nullable(col("team_id", "bigint"))],
    );
    members.foreign_keys = vec![
        fk("members_org_id_fkey", &["org_id"], "orgs", &["id"]),
        fk("members_team_id_fkey", &["team_id"], "teams", &["id"]),
    ];
    // Two dropped tables referencing each other.
    let mut x = keyed("public", "x", vec![nullable(col("y_id", "bigint"))]);
    x.foreign_keys = vec![fk("x_y_id_fkey", &["y_id"], "y", &["id"])];
    let mut y = keyed("public", "y", vec![nullable(col("x_id", "bigint"))]);
    y.foreign_keys = vec![fk("y_x_id_fkey", &["x_id"], "x", &["id"])];
    let current = schema(vec![orgs, teams, members.clone(), x, y]);

    let mut companies = keyed("public", "companies", vec![]);
    companies.renamed_from = Some("orgs".into());
    companies.primary_key = Some(PrimaryKey {
        name: "orgs_pkey".into(),
        columns: names(&["id"]),
        ..Default::default()
    });
    members.columns.retain(|c| c.name != "team_id");
    members.foreign_keys = vec![ForeignKey {
        on_delete: "CASCADE".into(),
        deferrable: true,
        initially_deferred: true,
        ref_index: None,
        ..fk("members_org_id_fkey", &["org_id"], "companies", &["id"])
    }];
    // Two new tables referencing each other, and one an existing table.
    let mut a = keyed(
        "shop",
        "a",
        vec![
            nullable(col("b_id", "bigint")),
            nullable(col("member_id", "bigint")),
        ],
    );
    a.foreign_keys = vec![
        ForeignKey {
            ref_schema: "shop".into(),
            ..fk("a_b_id_fkey", &["b_id"], "b", &["id"])
        },
        fk("a_member_id_fkey", &["member_id"], "members", &["id"]),
    ];
    let mut b = keyed("shop", "b", vec![nullable(col("a_id", "bigint"))]);
    b.foreign_keys = vec![ForeignKey {
        ref_schema: "shop".into(),
        on_update: "SET NULL".into(),
        ..fk("b_a_id_fkey", &["a_id"], "a", &["id"])
    }];
    round_trip(current, schema(vec![companies, members, a, b])).await;
}

fn check(name: &str, expr: &str) -> CheckConstraint {
    CheckConstraint {
        name: name.into(),
        expr: expr.into(),
        not_valid: false,
        written: Default::default(),
    }
}

#[tokio::test]
async fn checks_and_generated_columns_round_trip() {
    let mut current_users = users(vec![
        col("age", "integer"),
        col("score", "integer"),
        col("gone", "integer"),
        col("qty", "integer"),
        Column {
            nullable: true,
            generated: Some("(qty * 2)".into()),
            ..col("twice", "bigint")
        },
    ]);
    current_users.checks = vec![
        check("users_age_check", "(age >= 0)"),
        check("users_score_check", "(score >= 0)"),
        check("users_gone_check", "(gone > 0)"),
    ];
    let current = schema(vec![current_users]);

    let mut desired_users = users(vec![
        col("years", "integer"),
        col("score", "integer"),
        col("qty", "bigint"),
        Column {
            nullable: true,
            generated: Some("(qty * 2)".into()),
            ..col("twice", "bigint")
        },
    ]);
    desired_users.columns[2].renamed_from = Some("age".into());
    desired_users.checks = vec![
        // Renamed with its column: only the name changes.
        check("users_years_check", "(years >= 0)"),
        // Expression changed.
        check("users_score_check", "(score >= 10)"),
        check("users_qty_check", "(qty < 1000)"),
    ];
    let mut created = keyed(
        "public",
        "limits",
        vec![col("low", "integer"), col("high", "integer")],
    );
    created.checks = vec![check("limits_check", "(low <= high)")];
    let plan = diff(
        &schema(vec![desired_users.clone(), created.clone()]),
        &current,
    );
    assert!(
        plan.up_statements().any(
            |s| s == "ALTER TABLE users RENAME CONSTRAINT users_age_check TO users_years_check"
        ),
        "{:#?}",
        plan.steps
    );
    round_trip(current, schema(vec![desired_users, created])).await;
}
