//! `strata::check` against a real PostgreSQL: a database built by strata's own plan is
//! clean, every kind of difference is reported, pending migrations are listed, and the
//! check never changes the database.
use chrono::{DateTime, Utc};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Executor, PgConnection};
use strata::{ConstraintKind, DbEnum, Entity, Mismatch};
use strata_core::introspect::introspect;
use strata_tests::TestDb;

#[derive(strata::DbEnum)]
#[sqlx(type_name = "order_status", rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Paid,
    Shipped,
}

#[derive(strata::Entity)]
#[entity(table_name = "customers", index(display_name))]
pub struct Customer {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(length = 320, unique)]
    pub email: String,
    pub display_name: String,
    pub phone: Option<String>,
    #[entity(default = "now()")]
    pub created_at: DateTime<Utc>,
}

#[derive(strata::Entity)]
#[entity(
    table_name = "orders",
    check(name = "orders_qty_positive", expr = "qty > 0")
)]
pub struct Order {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(foreign_key(Customer, on_delete = "cascade"))]
    pub customer_id: i64,
    pub qty: i32,
    pub status: OrderStatus,
    #[entity(index)]
    pub placed_at: DateTime<Utc>,
    #[entity(default = "'{}'::jsonb")]
    pub details: serde_json::Value,
}

#[derive(strata::Entity)]
#[entity(table_name = "invoices")]
pub struct Invoice {
    #[entity(primary_key)]
    pub id: uuid::Uuid,
    pub total_cents: i64,
}

fn entities() -> Vec<strata::EntityDef> {
    vec![Customer::entity(), Order::entity(), Invoice::entity()]
}

fn check() -> strata::Check {
    strata::Check::new(&entities()).enums(&[OrderStatus::db_enum()])
}

/// Creates what the entities declare the way `strata generate` would: the plan from
/// an empty database, run.
async fn build(db: &TestDb) -> PgConnection {
    let mut conn = db.connect().await;
    let current = introspect(&mut conn, &["public".to_string()], &[])
        .await
        .unwrap();
    let desired = strata_core::lower::lower(&entities(), &[OrderStatus::db_enum()]).unwrap();
    let plan = strata_core::diff::diff(&desired, &current);
    for statement in plan.up_statements() {
        conn.execute(statement)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{statement}"));
    }
    conn
}

/// Everything of the catalog a check could change, as text.
async fn catalog_snapshot(conn: &mut PgConnection) -> String {
    sqlx::query_scalar(
        r#"
        WITH ns AS (
            SELECT oid FROM pg_namespace
            WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
        )
        SELECT string_agg(x, E'\n' ORDER BY x) FROM (
            SELECT format('class %s %s %s', c.oid, c.relname, c.relkind) AS x
              FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns)
            UNION ALL
            SELECT format('column %s %s %s %s %s %s', a.attrelid::regclass, a.attname,
                          a.atttypid::regtype, a.atttypmod, a.attnotnull, a.attisdropped)
              FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             WHERE c.relnamespace IN (SELECT oid FROM ns) AND a.attnum > 0
            UNION ALL
            SELECT format('default %s %s', d.adrelid::regclass, pg_get_expr(d.adbin, d.adrelid))
              FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
             WHERE c.relnamespace IN (SELECT oid FROM ns)
            UNION ALL
            SELECT format('constraint %s %s', conname, pg_get_constraintdef(oid))
              FROM pg_constraint WHERE connamespace IN (SELECT oid FROM ns)
            UNION ALL
            SELECT format('type %s %s', oid, typname)
              FROM pg_type WHERE typnamespace IN (SELECT oid FROM ns)
            UNION ALL
            SELECT format('label %s %s %s', enumtypid, enumsortorder, enumlabel) FROM pg_enum
        ) s
        "#,
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_built_from_the_entities_is_clean() {
    let db = TestDb::new().await;
    build(&db).await;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .unwrap();
    let report = check().run(&pool).await.unwrap();
    assert!(report.is_clean(), "{report}");
    assert!(report.unverified.is_empty(), "{report}");
    assert_eq!(report.tables, 3);
    insta::assert_snapshot!("clean", report.to_string());

    // The plain function: without the enum, lowering says what is missing.
    let err = strata::check(&pool, &entities()).await.unwrap_err();
    assert!(matches!(err, strata::CheckError::Entities(_)), "{err}");
    assert!(
        err.to_string().contains(".enums(&[Status::db_enum()])"),
        "{err}"
    );
    // With the expressions spelled by the server, still clean.
    let report = check().compare_expressions(true).run(&pool).await.unwrap();
    assert!(report.is_clean(), "{report}");
    assert!(report.expressions_compared);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_difference_is_reported() {
    let db = TestDb::new().await;
    let mut conn = build(&db).await;
    conn.execute(
        r#"
        DROP TABLE invoices;
        CREATE TABLE legacy (id integer PRIMARY KEY);
        ALTER TABLE customers DROP COLUMN phone;
        ALTER TABLE customers ADD COLUMN nickname text;
        ALTER TABLE orders ALTER COLUMN qty TYPE bigint;
        ALTER TABLE customers ALTER COLUMN display_name DROP NOT NULL;
        ALTER TABLE customers ALTER COLUMN created_at DROP DEFAULT;
        DROP INDEX customers_display_name_idx;
        CREATE INDEX orders_status_idx ON orders (status);
        ALTER TABLE customers DROP CONSTRAINT customers_email_key;
        ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;
        ALTER TABLE orders DROP CONSTRAINT orders_qty_positive;
        ALTER TABLE orders ADD CONSTRAINT orders_id_check CHECK (id > 0);
        ALTER TYPE order_status RENAME VALUE 'shipped' TO 'sent';
        ALTER TABLE customers ALTER COLUMN id DROP IDENTITY;
        CREATE TYPE mood AS ENUM ('calm');
        ALTER TABLE customers ALTER COLUMN email TYPE varchar(320) COLLATE "C";
        "#,
    )
    .await
    .unwrap();
    let report = check().run_on(&mut conn).await.unwrap();
    assert!(!report.is_clean());
    let has = |f: &dyn Fn(&Mismatch) -> bool| report.mismatches.iter().any(f);
    assert!(has(
        &|m| matches!(m, Mismatch::MissingTable { table, entity, .. }
        if table == "invoices" && entity.as_deref() == Some("Invoice"))
    ));
    assert!(has(
        &|m| matches!(m, Mismatch::ExtraTable { table } if table == "legacy")
    ));
    assert!(has(
        &|m| matches!(m, Mismatch::MissingColumn { table, column, .. }
        if table == "customers" && column == "phone")
    ));
    assert!(has(
        &|m| matches!(m, Mismatch::ExtraColumn { column, .. } if column == "nickname")
    ));
    assert!(has(
        &|m| matches!(m, Mismatch::TypeMismatch { column, expected, found, .. }
        if column == "qty" && expected == "integer" && found == "bigint")
    ));
    assert!(has(
        &|m| matches!(m, Mismatch::NullabilityMismatch { column, expected_nullable: false, .. }
        if column == "display_name")
    ));
    assert!(has(
        &|m| matches!(m, Mismatch::DefaultMismatch { column, found: None, .. }
        if column == "created_at")
    ));
    assert!(has(&|m| matches!(m, Mismatch::MissingIndex { name, .. }
        if name == "customers_display_name_idx")));
    assert!(has(
        &|m| matches!(m, Mismatch::ExtraIndex { name, .. } if name == "orders_status_idx")
    ));
    for (kind, missing) in [
        (ConstraintKind::Unique, "customers_email_key"),
        (ConstraintKind::ForeignKey, "orders_customer_id_fkey"),
        (ConstraintKind::Check, "orders_qty_positive"),
    ] {
        assert!(
            has(
                &|m| matches!(m, Mismatch::MissingConstraint { constraint, name, .. }
                if *constraint == kind && name == missing)
            ),
            "{missing}: {report}"
        );
    }
    assert!(has(&|m| matches!(m, Mismatch::ExtraConstraint { name, .. }
        if name == "orders_id_check")));
    assert!(has(
        &|m| matches!(m, Mismatch::MissingEnumLabel { name, label }
        if name == "order_status" && label == "shipped")
    ));
    assert!(has(
        &|m| matches!(m, Mismatch::ExtraEnumLabel { label, .. } if label == "sent")
    ));
    assert!(has(
        &|m| matches!(m, Mismatch::IdentityMismatch { column, expected, found: None, .. }
        if column == "id" && expected.as_deref() == Some("BY DEFAULT"))
    ));
    assert!(has(
        &|m| matches!(m, Mismatch::ExtraEnum { name, .. } if name == "mood")
    ));
    insta::assert_snapshot!("differences", report.to_string());
    // Machine-readable too.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["mismatches"][0]["kind"], "missing_enum_label");
}

#[tokio::test(flavor = "multi_thread")]
async fn excluded_tables_and_other_schemas_are_not_reported() {
    let db = TestDb::new().await;
    let mut conn = build(&db).await;
    conn.execute(
        "CREATE TABLE spatial_ref_sys (srid integer PRIMARY KEY);
         CREATE SCHEMA audit; CREATE TABLE audit.log (id integer);",
    )
    .await
    .unwrap();
    let report = check()
        .exclude(["spatial_ref_sys"])
        .run_on(&mut conn)
        .await
        .unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.schemas, ["public"]);
    let report = check()
        .schemas(["public", "audit"])
        .run_on(&mut conn)
        .await
        .unwrap();
    let extra: Vec<String> = report
        .mismatches
        .iter()
        .filter_map(|m| match m {
            Mismatch::ExtraTable { table } => Some(table.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(extra, ["audit.log", "spatial_ref_sys"], "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pending_migrations_are_reported() {
    let db = TestDb::new().await;
    let mut conn = build(&db).await;
    let dir = std::env::temp_dir().join(format!("strata_check_migrations_{}", db.name));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, sql) in [
        ("20260101000000_create_shop.up.sql", "SELECT 1;"),
        ("20260101000000_create_shop.down.sql", "SELECT 1;"),
        ("20260102000000_add_invoices.up.sql", "SELECT 2;"),
        ("20260102000000_add_invoices.down.sql", "SELECT 2;"),
        ("20260103000000_add_index.up.sql", "SELECT 3;"),
        ("20260103000000_add_index.down.sql", "SELECT 3;"),
    ] {
        std::fs::write(dir.join(file), sql).unwrap();
    }
    // Nothing recorded yet: all three are pending.
    let report = check()
        .migrations_dir(&dir)
        .run_on(&mut conn)
        .await
        .unwrap();
    assert_eq!(report.pending().len(), 3);
    assert!(!report.is_clean());

    strata_core::migrate::history::ensure(&mut conn)
        .await
        .unwrap();
    strata_core::migrate::history::record(&mut conn, 20260101000000, "create shop", b"x", 1)
        .await
        .unwrap();
    let report = check()
        .migrations_dir(&dir)
        .run_on(&mut conn)
        .await
        .unwrap();
    let pending: Vec<i64> = report.pending().iter().map(|p| p.version).collect();
    assert_eq!(pending, [20260102000000, 20260103000000]);
    assert!(report.mismatches.is_empty(), "{report}");
    assert!(!report.is_clean());
    insta::assert_snapshot!("pending", report.to_string());

    // The same from what `sqlx::migrate!()` embeds.
    let migrator = sqlx::migrate::Migrator::new(dir.as_path()).await.unwrap();
    let report = check().migrator(&migrator).run_on(&mut conn).await.unwrap();
    assert_eq!(report.pending().len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_never_changes_the_database() {
    let db = TestDb::new().await;
    let mut conn = build(&db).await;
    conn.execute(
        "ALTER TABLE orders ALTER COLUMN qty TYPE bigint;
         ALTER TABLE orders DROP CONSTRAINT orders_qty_positive;
         ALTER TABLE orders ADD CONSTRAINT orders_qty_positive CHECK (qty > 1);",
    )
    .await
    .unwrap();
    let before = catalog_snapshot(&mut conn).await;

    // On a connection where every transaction is read only: anything that writes fails.
    let mut read_only = PgConnection::connect(&format!(
        "{}?options=-c%20default_transaction_read_only%3Don",
        db.url
    ))
    .await
    .unwrap();
    // A migrations folder that is not there is an error, not "nothing pending".
    let err = check()
        .migrations_dir(std::env::temp_dir().join("strata_check_no_such_folder"))
        .run_on(&mut read_only)
        .await
        .unwrap_err();
    assert!(matches!(err, strata::CheckError::Migrations(_)), "{err}");
    assert!(err.to_string().contains("no such directory"), "{err}");
    let report = check().run_on(&mut read_only).await.unwrap();
    assert!(!report.is_clean());
    assert!(
        !report.unverified.is_empty(),
        "the changed check reads otherwise: {report}"
    );

    // Comparing expressions spells them on temporary tables, rolled back.
    let report = check()
        .compare_expressions(true)
        .run_on(&mut conn)
        .await
        .unwrap();
    assert!(
        report.mismatches.iter().any(|m| matches!(m,
            Mismatch::ConstraintMismatch { name, .. } if name == "orders_qty_positive")),
        "{report}"
    );
    let after = catalog_snapshot(&mut conn).await;
    assert_eq!(before, after);
}

pub mod renamed {
    #[derive(strata::Entity)]
    #[entity(table_name = "members", renamed_from = "users")]
    pub struct Member {
        #[entity(primary_key)]
        pub id: i64,
    }

    #[derive(strata::Entity)]
    #[entity(table_name = "accounts")]
    pub struct Account {
        #[entity(primary_key)]
        pub id: i64,
        #[entity(renamed_from = "mail")]
        pub email: String,
    }

    #[derive(strata::Entity)]
    #[entity(table_name = "spelled")]
    pub struct Spelled {
        #[entity(primary_key, sql_type = "int4")]
        pub id: i32,
        #[entity(sql_type = "varchar(20)")]
        pub code: String,
        #[entity(sql_type = "int8")]
        pub n: i64,
        #[entity(sql_type = "varchar(30)")]
        pub label: String,
        #[entity(sql_type = "geometry_like(1, x)")]
        pub shape: String,
    }

    #[derive(strata::Entity)]
    #[entity(table_name = "handles")]
    pub struct Handle {
        #[entity(primary_key)]
        pub id: i64,
        #[entity(unique)]
        pub code: String,
        #[entity(index(unique))]
        pub tag: String,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unapplied_renames_and_swapped_unique_kinds_are_said_as_such() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE users (id bigint PRIMARY KEY);
         CREATE TABLE accounts (id bigint PRIMARY KEY, mail text NOT NULL);
         CREATE TABLE handles (id bigint PRIMARY KEY, code text NOT NULL, tag text NOT NULL);
         CREATE UNIQUE INDEX handles_code_key ON handles (code);
         ALTER TABLE handles ADD CONSTRAINT handles_tag_idx UNIQUE (tag);
         CREATE TABLE spelled (id integer PRIMARY KEY, code varchar(20) NOT NULL, n integer NOT NULL,
             label varchar(40) NOT NULL, shape text NOT NULL);",
    )
    .await;
    let mut conn = db.connect().await;
    let report = strata::Check::new(&[
        renamed::Member::entity(),
        renamed::Account::entity(),
        renamed::Handle::entity(),
        renamed::Spelled::entity(),
    ])
    .run_on(&mut conn)
    .await
    .unwrap();
    insta::assert_snapshot!("renames_and_unique_kinds", report.to_string());
    assert!(report.mismatches.iter().any(|m| matches!(m,
        Mismatch::MissingTable { renamed_from: Some(old), .. } if old == "users")));
    assert!(report.mismatches.iter().any(|m| matches!(m,
        Mismatch::MissingColumn { renamed_from: Some(old), .. } if old == "mail")));
    assert!(report.mismatches.iter().any(|m| matches!(m,
        Mismatch::ConstraintMismatch { constraint: ConstraintKind::Unique, name, .. }
            if name == "handles_code_key")));
    assert!(report.mismatches.iter().any(|m| matches!(m,
        Mismatch::IndexMismatch { name, .. } if name == "handles_tag_idx")));
    // Types written otherwise are spelled by the server (read only): `int4` is
    // `integer`; `int8` is `bigint`, not the database's `integer`.
    let types: Vec<(&str, &str)> = report
        .mismatches
        .iter()
        .filter_map(|m| match m {
            Mismatch::TypeMismatch {
                column, expected, ..
            } => Some((column.as_str(), expected.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        types,
        [
            ("n", "bigint"),
            ("label", "varchar(30)"),
            ("shape", "geometry_like(1, x)")
        ],
        "{report}"
    );
}
