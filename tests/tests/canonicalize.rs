//! Canonicalization against a real PostgreSQL: fragments spelled as users write them
//! come back spelled as introspection reads them.
use sqlx::PgConnection;
use strata_core::canonicalize::{canonicalize, CanonicalizeError, Fragment, FragmentError};
use strata_core::introspect::introspect;
use strata_core::schema::Schema;
use strata_tests::TestDb;

/// (type, default) as a user writes them in `sql_type` / `default`.
const USER_SPELLINGS: &[(&str, Option<&str>)] = &[
    ("int4", None),
    ("integer", Some("0")),
    ("int8", Some("-1")),
    ("bigint", Some("-1")),
    ("int2", Some("7")),
    ("bool", Some("true")),
    ("float4", None),
    ("float8", Some("1.5")),
    ("text", Some("'hello'")),
    ("varchar(10)", Some("'hello'")),
    ("varchar", None),
    ("citext", None),
    ("bytea", None),
    ("uuid", Some("gen_random_uuid()")),
    ("timestamptz", Some("CURRENT_TIMESTAMP")),
    ("timestamptz(3)", Some("now()")),
    ("timestamp", Some("(now() at time zone 'utc')")),
    ("date", Some("CURRENT_DATE")),
    ("time", None),
    ("decimal", None),
    ("numeric(12, 2)", Some("0")),
    ("jsonb", Some(r#"'{"a": 1}'"#)),
    ("jsonb", Some(r#"'{"a":   1,   "b": [1,2]}'"#)),
    ("inet", Some("'127.0.0.1'")),
    ("text[]", Some("ARRAY[]::text[]")),
    ("int4[]", None),
    ("smallint[]", Some("'{5}'")),
    ("timestamptz[]", None),
    ("user_status", Some("'active'")),
    ("billing.status", Some("'open'")),
];

const SETUP: &str = "
    CREATE EXTENSION citext;
    CREATE TYPE user_status AS ENUM ('active', 'suspended');
    CREATE SCHEMA billing;
    CREATE TYPE billing.status AS ENUM ('open', 'paid');
";

fn managed() -> Vec<String> {
    vec!["public".into(), "billing".into()]
}

fn column_sql(i: usize, ty: &str, default: Option<&str>) -> String {
    match default {
        Some(d) => format!("c{i} {ty} DEFAULT {d}"),
        None => format!("c{i} {ty}"),
    }
}

async fn current(conn: &mut PgConnection) -> Schema {
    introspect(conn, &managed(), &[]).await.expect("introspect")
}

/// The introspected schema with the user's spellings put back into `table`.
fn with_user_spellings(current: &Schema, table: &str) -> Schema {
    let mut desired = current.clone();
    for t in desired.tables.iter_mut().filter(|t| t.name == table) {
        for (c, (ty, default)) in t.columns.iter_mut().zip(USER_SPELLINGS) {
            c.ty = ty.to_string();
            c.default = default.map(String::from);
        }
    }
    desired
}

#[tokio::test]
async fn user_spellings_come_back_as_introspection_spells_them() {
    let db = TestDb::new().await;
    let columns: Vec<String> = USER_SPELLINGS
        .iter()
        .enumerate()
        .map(|(i, (ty, d))| column_sql(i, ty, *d))
        .collect();
    db.execute(&format!(
        "{SETUP} CREATE TABLE spellings ({});",
        columns.join(", ")
    ))
    .await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = with_user_spellings(&current, "spellings");

    // The test means something only if most spellings differ before (a few, such as
    // `uuid DEFAULT gen_random_uuid()`, are already canonical and must survive as-is).
    let before = &desired.tables[0].columns;
    let after = &current.tables[0].columns;
    let differing = before.iter().zip(after).filter(|(a, b)| a != b).count();
    assert!(differing >= 20, "only {differing} columns differ");

    canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect("canonicalize");
    assert_eq!(desired, current);
}

#[tokio::test]
async fn renamed_tables_and_columns_are_canonicalized_against_their_old_selves() {
    let db = TestDb::new().await;
    db.execute("CREATE TABLE old_name (was int4 DEFAULT 0, other text DEFAULT 'x')")
        .await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = current.clone();
    let t = &mut desired.tables[0];
    t.renamed_from = Some("old_name".into());
    t.name = "new_name".into();
    t.columns[0].renamed_from = Some("was".into());
    t.columns[0].name = "is".into();
    t.columns[0].ty = "int4".into();
    t.columns[0].default = Some("(0)".into());
    t.columns[1].default = Some("'x'".into());

    canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect("canonicalize");
    let t = &desired.tables[0];
    assert_eq!(t.columns[0].ty, "integer");
    assert_eq!(t.columns[0].default.as_deref(), Some("0"));
    assert_eq!(t.columns[1].default.as_deref(), Some("'x'::text"));
}

#[tokio::test]
async fn more_columns_than_one_chunk_are_all_canonicalized() {
    let db = TestDb::new().await;
    // 3 × 300 columns: two temporary tables of up to 500 columns.
    let mut sql = String::new();
    for t in 0..3 {
        let cols: Vec<String> = (0..300)
            .map(|i| format!("c{i} varchar({}) DEFAULT 'v{i}'", i + 1))
            .collect();
        sql.push_str(&format!("CREATE TABLE wide{t} ({});\n", cols.join(", ")));
    }
    db.execute(&sql).await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = current.clone();
    for t in &mut desired.tables {
        for (i, c) in t.columns.iter_mut().enumerate() {
            c.ty = format!("varchar({})", i + 1);
            c.default = Some(format!("'v{i}'"));
        }
    }
    canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect("canonicalize");
    assert_eq!(desired, current);
}

#[tokio::test]
async fn bad_fragments_are_named_and_good_ones_untouched() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE users (
            id int4,
            created_at timestamptz DEFAULT now(),
            name varchar(5),
            score int4 DEFAULT 0
        )",
    )
    .await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = current.clone();
    let cols = &mut desired.tables[0].columns;
    cols[1].default = Some("noww()".into());
    cols[2].ty = "varchar(abc)".into();
    cols[3].default = Some("'0'".into());
    let untouched = desired.clone();

    let err = canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect_err("bad fragments");
    let CanonicalizeError::Fragments(errors) = &err else {
        panic!("expected fragment errors, got {err}");
    };
    assert_eq!(errors.len(), 2, "{err}");
    let FragmentError {
        schema,
        table,
        column,
        fragment,
        message,
    } = &errors[0];
    assert_eq!(
        (schema.as_str(), table.as_str(), column.as_deref()),
        ("public", "users", Some("created_at"))
    );
    assert_eq!(fragment, &Fragment::Default("noww()".into()));
    assert!(message.contains("noww"), "{message}");
    assert_eq!(errors[1].column.as_deref(), Some("name"));
    assert_eq!(errors[1].fragment, Fragment::SqlType("varchar(abc)".into()));
    let shown = err.to_string();
    assert!(
        shown.contains(
            "public.users.created_at: default = \"noww()\": function noww() does not exist"
        ),
        "{shown}"
    );
    // On error nothing is rewritten.
    assert_eq!(desired, untouched);

    // The connection is usable, outside any transaction, and nothing was left behind.
    let leftover: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('pg_temp.strata_canon_0')::text")
            .fetch_one(&mut conn)
            .await
            .expect("query after error");
    assert_eq!(leftover, None);
}

#[tokio::test]
async fn a_type_that_does_not_exist_yet_is_left_as_is() {
    let db = TestDb::new().await;
    db.execute("CREATE TABLE t (mood text, n int4 DEFAULT 1, kind text)")
        .await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = current.clone();
    let cols = &mut desired.tables[0].columns;
    // Enums the migration will create: one public, one in a schema not created yet.
    cols[0].ty = "mood".into();
    cols[1].ty = "int8".into();
    cols[1].default = Some("(1)".into());
    cols[2].ty = "future.kind[]".into();

    canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect("canonicalize");
    let cols = &desired.tables[0].columns;
    assert_eq!(cols[0].ty, "mood");
    assert_eq!(cols[1].ty, "bigint");
    assert_eq!(cols[1].default.as_deref(), Some("1"));
    assert_eq!(cols[2].ty, "future.kind[]");
}

#[tokio::test]
async fn nothing_differs_nothing_is_sent() {
    let db = TestDb::new().await;
    db.execute("CREATE TABLE t (a int4 DEFAULT 0)").await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = current.clone();
    canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect("canonicalize");
    assert_eq!(desired, current);
}

#[tokio::test]
async fn a_default_that_smuggles_in_a_column_is_refused() {
    let db = TestDb::new().await;
    db.execute("CREATE TABLE t (a int4 DEFAULT 1, b int4)")
        .await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = current.clone();
    desired.tables[0].columns[0].default = Some("1), x int DEFAULT (2".into());
    let err = canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect_err("smuggled column");
    let CanonicalizeError::Fragments(errors) = &err else {
        panic!("expected fragment errors, got {err}");
    };
    assert_eq!(errors.len(), 1, "{err}");
    assert_eq!(errors[0].column.as_deref(), Some("a"));
    assert!(matches!(errors[0].fragment, Fragment::Default(_)));
}

// ---------------------------------------------------------------------------------
// Checks, indexes, generated columns and enum-typed fragments (issue 3's TypeORM
// failure cases): built by hand in SQL, introspected, then declared again with the
// user's spellings, which must come back exactly as introspection read them.

const OBJECTS: &str = r#"
    CREATE TYPE post_status AS ENUM ('draft', 'published', 'archived');
    CREATE TABLE posts (
        id bigint PRIMARY KEY,
        tags text[] NOT NULL DEFAULT ARRAY[]::text[],
        small smallint[] DEFAULT '{5}',
        big bigint DEFAULT -1,
        created timestamptz DEFAULT CURRENT_TIMESTAMP,
        utc timestamp DEFAULT (now() at time zone 'utc'),
        uid uuid DEFAULT gen_random_uuid(),
        doc jsonb DEFAULT '{"a":   1,  "b": [1, 2]}',
        status post_status NOT NULL DEFAULT 'draft',
        age integer,
        price numeric(12, 2),
        qty integer,
        total numeric GENERATED ALWAYS AS (price * qty) STORED,
        email varchar(320),
        "order" integer,
        deleted_at timestamptz,
        CONSTRAINT posts_age_check CHECK (age >= 0),
        CONSTRAINT price_range CHECK (price > 0 AND price < 100),
        CONSTRAINT not_archived CHECK (status <> 'archived')
    );
    CREATE INDEX posts_live_idx ON posts ("order") WHERE deleted_at IS NULL;
    CREATE INDEX posts_lower_email_idx ON posts (lower(email));
    CREATE UNIQUE INDEX posts_email_key_idx ON posts (email, (price * qty)) INCLUDE (status);
"#;

/// `posts` of [`OBJECTS`] declared as a user writes it.
fn posts_as_declared(current: &Schema) -> Schema {
    let mut desired = current.clone();
    let posts = desired
        .tables
        .iter_mut()
        .find(|t| t.name == "posts")
        .expect("posts");
    for (column, default) in [
        ("tags", "ARRAY[]::text[]"),
        ("small", "'{5}'"),
        ("big", "-1"),
        ("created", "CURRENT_TIMESTAMP"),
        ("utc", "(now() at time zone 'utc')"),
        ("uid", "gen_random_uuid()"),
        ("doc", r#"'{"a":   1,  "b": [1, 2]}'"#),
        ("status", "'draft'"),
    ] {
        let c = posts.columns.iter_mut().find(|c| c.name == column);
        c.expect(column).default = Some(default.into());
    }
    let total = posts.columns.iter_mut().find(|c| c.name == "total");
    total.expect("total").generated = Some("price * qty".into());
    for (name, expr) in [
        ("posts_age_check", "age >= 0"),
        ("price_range", "price > 0 AND price < 100"),
        ("not_archived", "status <> 'archived'"),
    ] {
        let c = posts.checks.iter_mut().find(|c| c.name == name);
        c.expect(name).expr = expr.into();
    }
    for i in &mut posts.indexes {
        match i.name.as_str() {
            "posts_live_idx" => i.predicate = Some("deleted_at IS NULL".into()),
            "posts_lower_email_idx" => i.keys = vec!["lower(email)".into()],
            "posts_email_key_idx" => i.keys = vec!["email".into(), "price * qty".into()],
            other => panic!("unexpected index {other}"),
        }
    }
    desired
}

#[tokio::test]
async fn checks_indexes_generated_and_enum_fragments_come_back_as_introspected() {
    let db = TestDb::new().await;
    db.execute(OBJECTS).await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = posts_as_declared(&current);

    // Every declared spelling differs before: the test is not comparing equal texts.
    let (d, c) = (&desired.tables[0], &current.tables[0]);
    assert_eq!(
        d.checks
            .iter()
            .zip(&c.checks)
            .filter(|(a, b)| a != b)
            .count(),
        3
    );
    assert_eq!(
        d.indexes
            .iter()
            .zip(&c.indexes)
            .filter(|(a, b)| a != b)
            .count(),
        3
    );
    let differing: Vec<&str> = d
        .columns
        .iter()
        .zip(&c.columns)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.name.as_str())
        .collect();
    // `ARRAY[]::text[]`, `gen_random_uuid()` and (on PostgreSQL 15)
    // `CURRENT_TIMESTAMP` read back as written: they must survive unchanged.
    assert_eq!(differing, ["small", "big", "utc", "doc", "status", "total"]);

    canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect("canonicalize");
    assert_eq!(desired, current);
    // What PostgreSQL made of them, for the reader.
    let t = &desired.tables[0];
    let check = |name: &str| t.checks.iter().find(|c| c.name == name).map(|c| &c.expr);
    assert_eq!(
        check("not_archived").map(String::as_str),
        Some("(status <> 'archived'::post_status)")
    );
    let total = t.column("total").and_then(|c| c.generated.as_deref());
    assert_eq!(total, Some("(price * (qty)::numeric)"));
}
