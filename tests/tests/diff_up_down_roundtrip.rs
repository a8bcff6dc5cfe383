//! The diff's SQL against a real PostgreSQL: for each (current, desired) pair, build
//! `current`, run the up statements and check the catalog is exactly what building
//! `desired` from scratch gives; run the down statements and check the catalog is
//! `current` again. Column order is left out of the comparison: a dropped column comes
//! back at the end of its table, as the down file's header says.

use strata_core::diff::diff;
use strata_core::schema::{Column, Identity, PrimaryKey, Schema, Table, UniqueConstraint};
use strata_tests::TestDb;

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

fn table(schema: &str, name: &str, columns: Vec<Column>) -> Table {
    Table {
        schema: schema.into(),
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
    let plan = diff(&desired, &current);
    assert!(!plan.is_empty(), "the pair should differ");
    let db = build(&current).await;
    let before = fingerprint(&db).await;
    assert!(
        before.contains("\ncolumn ") && before.contains("\nconstraint "),
        "the fingerprint sees the catalog:\n{before}"
    );
    run(&db, plan.up_statements()).await;
    let after_up = fingerprint(&db).await;
    let expected = fingerprint(&build(&desired).await).await;
    assert_eq!(after_up, expected, "up must give the desired schema");
    run(&db, plan.down_statements()).await;
    assert_eq!(
        fingerprint(&db).await,
        before,
        "down must give back the current schema"
    );
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
        }),
        uniques: vec![UniqueConstraint {
            name: "users_email_key".into(),
            columns: names(&["email"]),
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
    });
    accounts.uniques = vec![UniqueConstraint {
        name: "accounts_email_key".into(),
        columns: names(&["email"]),
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
        });
        t.uniques = uniques
            .iter()
            .map(|(n, cols)| UniqueConstraint {
                name: n.to_string(),
                columns: names(cols),
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
