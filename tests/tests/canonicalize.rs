//! Canonicalization against a real PostgreSQL: fragments spelled as users write them
//! come back spelled as introspection reads them.
use sqlx::PgConnection;
use strata_core::canonicalize::{
    canonicalize, canonicalize_on, CanonicalizeError, Fragment, FragmentError,
};
use strata_core::introspect::introspect;
use strata_core::schema::{Column, EnumType, Index, Schema};
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

fn enum_type(schema: &str, name: &str, labels: &[&str]) -> EnumType {
    EnumType {
        schema: schema.into(),
        name: name.into(),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        label_renames: vec![],
    }
}

/// Introspects `managed()` after the migration was really run, by hand.
async fn after_running(db: &TestDb, statements: &[&str]) -> Schema {
    // One statement per round trip: a label added by one must be committed before
    // another can use it.
    for sql in statements {
        db.execute(sql).await;
    }
    current(&mut db.connect().await).await
}

#[tokio::test]
async fn enums_extensions_and_schemas_the_change_creates_are_spelled_by_their_real_names() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE posts (
            status text DEFAULT 'draft',
            kind text DEFAULT 'a',
            email text,
            CONSTRAINT posts_status_check CHECK (status <> 'gone')
        );
        CREATE INDEX posts_email_idx ON posts (email) WHERE status = 'gone'",
    )
    .await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;

    let mut desired = current.clone();
    desired.schemas = vec!["billing".into(), "public".into()];
    desired.extensions = vec!["citext".into()];
    desired.enums = vec![
        enum_type("billing", "kind", &["a", "b"]),
        enum_type("public", "post_status", &["draft", "published", "gone"]),
    ];
    let t = &mut desired.tables[0];
    t.columns[0].ty = "post_status".into();
    t.columns[0].default = Some("'draft'".into());
    t.columns[1].ty = "billing.kind".into();
    t.columns[1].default = Some("'a'".into());
    t.columns[2].ty = "citext".into();
    t.checks[0].expr = "status <> 'gone'".into();
    t.indexes[0].predicate = Some("status = 'gone'".into());

    canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect("canonicalize");

    // The rollback left nothing: each CREATE below would fail on a leftover.
    let after = after_running(
        &db,
        &[
            "CREATE EXTENSION citext",
            "CREATE SCHEMA billing",
            "CREATE TYPE billing.kind AS ENUM ('a', 'b')",
            "CREATE TYPE post_status AS ENUM ('draft', 'published', 'gone')",
            "DROP INDEX posts_email_idx",
            "ALTER TABLE posts DROP CONSTRAINT posts_status_check,
                ALTER status DROP DEFAULT,
                ALTER status TYPE post_status USING status::post_status,
                ALTER status SET DEFAULT 'draft',
                ALTER kind DROP DEFAULT,
                ALTER kind TYPE billing.kind USING kind::billing.kind,
                ALTER kind SET DEFAULT 'a',
                ALTER email TYPE citext,
                ADD CONSTRAINT posts_status_check CHECK (status <> 'gone')",
            "CREATE INDEX posts_email_idx ON posts (email) WHERE status = 'gone'",
        ],
    )
    .await;
    assert_eq!(desired.tables, after.tables);
    let c = &desired.tables[0].columns;
    assert_eq!(c[1].default.as_deref(), Some("'a'::billing.kind"));
}

#[tokio::test]
async fn an_existing_enum_with_a_new_label_spells_fragments_that_use_the_label() {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TYPE post_status AS ENUM ('draft', 'published');
         CREATE TABLE posts (
             status post_status DEFAULT 'draft',
             CONSTRAINT posts_status_check CHECK (status <> 'published')
         );
         CREATE INDEX posts_status_idx ON posts (status) WHERE status <> 'draft'",
    )
    .await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;

    // A label added in the middle, used at once by the default, check and predicate:
    // PostgreSQL would refuse it if merely ADDed in the transaction.
    let mut desired = current.clone();
    desired.enums = vec![enum_type(
        "public",
        "post_status",
        &["draft", "archived", "published"],
    )];
    let t = &mut desired.tables[0];
    t.columns[0].default = Some("'archived'".into());
    t.checks[0].expr = "status <> 'archived'".into();
    t.indexes[0].predicate = Some("status <> 'archived'".into());

    canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect("canonicalize");

    let after = after_running(
        &db,
        &[
            "ALTER TYPE post_status ADD VALUE 'archived' BEFORE 'published'",
            "ALTER TABLE posts ALTER status SET DEFAULT 'archived',
                DROP CONSTRAINT posts_status_check,
                ADD CONSTRAINT posts_status_check CHECK (status <> 'archived')",
            "DROP INDEX posts_status_idx",
            "CREATE INDEX posts_status_idx ON posts (status) WHERE status <> 'archived'",
        ],
    )
    .await;
    assert_eq!(desired, after);
    // The type set aside in the transaction is gone with it.
    let aside: Option<String> = sqlx::query_scalar("SELECT to_regtype('strata_canon_old_0')::text")
        .fetch_one(&mut conn)
        .await
        .expect("query");
    assert_eq!(aside, None);
}

#[tokio::test]
async fn a_bad_check_index_or_generated_expression_is_named() {
    bad_expressions_are_named(false).await;
}

/// The two tables' object work split over two connections: the same culprits, in the
/// same order.
#[tokio::test]
async fn a_bad_expression_is_named_when_two_connections_share_the_work() {
    bad_expressions_are_named(true).await;
}

async fn bad_expressions_are_named(two_connections: bool) {
    let db = TestDb::new().await;
    db.execute(
        "CREATE TABLE people (
            age integer CONSTRAINT people_age_check CHECK (age >= 0),
            deleted_at timestamptz
        );
        CREATE INDEX people_live_idx ON people (age) WHERE deleted_at IS NULL;
        CREATE TABLE lines (
            price numeric,
            qty integer,
            total numeric GENERATED ALWAYS AS (price * qty) STORED,
            CONSTRAINT lines_total_check CHECK (total > 0)
        );",
    )
    .await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = current.clone();
    let lines = &mut desired.tables[0];
    // A bad generated expression: the check on `total` then fails too, but only the
    // column is the culprit.
    lines.columns[2].generated = Some("price * qtty".into());
    lines.checks[0].expr = "total >= 0".into();
    let people = &mut desired.tables[1];
    people.checks[0].expr = "agee >= 0".into();
    people.indexes[0].predicate = Some("deleted IS NULL".into());
    let untouched = desired.clone();

    let mut second = if two_connections {
        Some(db.connect().await)
    } else {
        None
    };
    let err = canonicalize_on(&mut conn, second.as_mut(), &mut desired, &current)
        .await
        .expect_err("bad expressions");
    let CanonicalizeError::Fragments(errors) = &err else {
        panic!("expected fragment errors, got {err}");
    };
    let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        shown,
        [
            "public.lines.total: generated = \"price * qtty\": column \"qtty\" does not exist",
            "public.people: check \"people_age_check\": agee >= 0: column \"agee\" does not exist",
            "public.people: index \"people_live_idx\": USING btree ((age)) WHERE (deleted IS NULL): \
             column \"deleted\" does not exist",
        ]
    );
    assert_eq!(
        errors[1].fragment,
        Fragment::Check {
            name: "people_age_check".into(),
            expr: "agee >= 0".into()
        }
    );
    assert_eq!(errors[1].column, None);
    assert_eq!(desired, untouched);
    // The connections are usable and outside any transaction.
    sqlx::query("CREATE TABLE after_error (id int)")
        .execute(&mut conn)
        .await
        .expect("write after error");
    if let Some(second) = &mut second {
        sqlx::query("CREATE TABLE after_error_2 (id int)")
            .execute(second)
            .await
            .expect("write after error on the second connection");
    }
}

#[tokio::test]
async fn a_missing_extension_is_named() {
    let db = TestDb::new().await;
    db.execute("CREATE TABLE t (a int CONSTRAINT t_a_check CHECK (a > 0))")
        .await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = current.clone();
    desired.extensions = vec!["no_such_extension".into()];
    desired.tables[0].checks[0].expr = "a > 1".into();
    let err = canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect_err("unknown extension");
    let CanonicalizeError::Prerequisite { object, message } = &err else {
        panic!("expected a prerequisite error, got {err}");
    };
    assert_eq!(object, "extension \"no_such_extension\"");
    assert!(message.contains("no_such_extension"), "{message}");
}

#[tokio::test]
async fn unchanged_objects_cost_no_round_trip() {
    let db = TestDb::new().await;
    db.execute(OBJECTS).await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = current.clone();

    kill(&db, &mut conn).await;
    canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect("nothing to send");
    assert_eq!(desired, current);
    // The session really is dead, so the success above sent nothing.
    assert!(sqlx::query("SELECT 1").execute(&mut conn).await.is_err());
}

/// Kills `conn`'s session: any statement canonicalize sent on it now would fail.
async fn kill(db: &TestDb, conn: &mut PgConnection) {
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *conn)
        .await
        .expect("pid");
    let mut admin = db.connect().await;
    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1, 5000)")
        .bind(pid)
        .fetch_one(&mut admin)
        .await
        .expect("terminate");
    assert!(killed);
}

/// Names that need care: upper case, keywords, a space, a quote.
const TRICKY: &str = r#"
    CREATE TABLE shop (
        id bigint PRIMARY KEY,
        qty integer NOT NULL,
        "Amount" numeric(12, 2),
        "order" integer,
        "user" text,
        "a b" uuid,
        "x""y" bigint,
        plain timestamptz,
        price numeric,
        total numeric GENERATED ALWAYS AS (price * qty) STORED,
        updated_at timestamptz,
        doc json,
        CONSTRAINT shop_qty_check CHECK (qty >= 0)
    );
    CREATE INDEX shop_qty_idx ON shop (qty) WHERE qty > 1;
    CREATE INDEX shop_order_idx ON shop ("order");
"#;

/// What `TRICKY` becomes: a column added, one dropped, the check, the predicate and
/// the generated expression declared without their outer parentheses, two indexes
/// whose keys change and four new ones, all keys and INCLUDE columns plain columns
/// written the ways a user may write them.
fn tricky_as_declared(current: &Schema) -> Schema {
    let mut desired = current.clone();
    let shop = &mut desired.tables[0];
    shop.columns.retain(|c| c.name != "updated_at");
    shop.columns.push(Column {
        nullable: true,
        ..Column::new("extra_note", "text")
    });
    shop.checks[0].expr = "qty >= 0".into();
    let total = shop.columns.iter_mut().find(|c| c.name == "total");
    total.expect("total").generated = Some("price * (qty)::numeric".into());
    let index = |name: &str, keys: &[&str], include: &[&str], predicate: Option<&str>| Index {
        name: name.into(),
        keys: keys.iter().map(|k| k.to_string()).collect(),
        unique: false,
        method: "btree".into(),
        predicate: predicate.map(String::from),
        include: include.iter().map(|k| k.to_string()).collect(),
        opclasses: vec![],
        orders: vec![],
        collations: vec![],
        nulls_not_distinct: false,
        written: Default::default(),
    };
    shop.indexes = vec![
        index("shop_qty_idx", &["qty", "\"Amount\""], &[], Some("qty > 1")),
        index("shop_order_idx", &["\"order\"", "PLAIN"], &[], None),
        index(
            "shop_amount_idx",
            &["\"Amount\""],
            &["\"user\"", "doc"],
            None,
        ),
        Index {
            unique: true,
            ..index("shop_odd_idx", &["\"a b\"", "\"x\"\"y\""], &[], None)
        },
        Index {
            orders: vec!["DESC NULLS LAST".into(), "".into()],
            ..index("shop_user_idx", &["\"user\"", "Qty"], &["extra_note"], None)
        },
        index("shop_plain_idx", &["plain"], &[], None),
    ];
    desired.sort();
    desired
}

#[tokio::test]
async fn plain_keys_and_kept_expressions_need_no_round_trip_and_match_postgres() {
    let db = TestDb::new().await;
    db.execute(TRICKY).await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = tricky_as_declared(&current);
    assert_ne!(desired, current);

    // A column named by the check changes type: that needs the server, and a dead
    // session cannot answer.
    let mut retyped = desired.clone();
    let qty = retyped.tables[0]
        .columns
        .iter_mut()
        .find(|c| c.name == "qty");
    qty.expect("qty").ty = "bigint".into();

    kill(&db, &mut conn).await;
    canonicalize(&mut conn, &mut desired, &current)
        .await
        .expect("nothing to send");
    let err = canonicalize(&mut conn, &mut retyped, &current)
        .await
        .expect_err("sent to a dead session");
    assert!(matches!(err, CanonicalizeError::Database(_)), "{err}");

    // The spellings are PostgreSQL's: run the change by hand, keys as declared.
    let after = after_running(
        &db,
        &[r#"
        ALTER TABLE shop ADD COLUMN extra_note text, DROP COLUMN updated_at;
        DROP INDEX shop_qty_idx;
        CREATE INDEX shop_qty_idx ON shop (qty, "Amount") WHERE qty > 1;
        DROP INDEX shop_order_idx;
        CREATE INDEX shop_order_idx ON shop ("order", PLAIN);
        CREATE INDEX shop_amount_idx ON shop ("Amount") INCLUDE ("user", doc);
        CREATE UNIQUE INDEX shop_odd_idx ON shop ("a b", "x""y");
        CREATE INDEX shop_user_idx ON shop ("user" DESC NULLS LAST, Qty) INCLUDE (extra_note);
        CREATE INDEX shop_plain_idx ON shop (plain);
        "#],
    )
    .await;
    assert_eq!(desired, after);
    let shop = &desired.tables[0];
    let keys: Vec<&[String]> = shop.indexes.iter().map(|i| i.keys.as_slice()).collect();
    assert_eq!(
        keys,
        [
            &["\"Amount\""][..],
            &["\"a b\"", "\"x\"\"y\""],
            &["\"order\"", "plain"],
            &["plain"],
            &["qty", "\"Amount\""],
            &["\"user\"", "qty"],
        ]
    );
    assert_eq!(shop.checks[0].expr, "(qty >= 0)");
}

#[tokio::test]
async fn more_tables_than_one_batch_are_all_canonicalized() {
    many_tables_are_all_canonicalized(false).await;
}

/// Halves of the object work on two connections, each more than a batch.
#[tokio::test]
async fn two_connections_canonicalize_many_tables_alike() {
    many_tables_are_all_canonicalized(true).await;
}

async fn many_tables_are_all_canonicalized(two_connections: bool) {
    let db = TestDb::new().await;
    let per_connection = if two_connections { 2 } else { 1 };
    let n = per_connection * strata_core::canonicalize::TABLES_PER_BATCH + 30;
    let mut sql = String::new();
    for i in 0..n {
        sql.push_str(&format!(
            "CREATE TABLE t{i} (
                price numeric, qty int, email varchar(20),
                total numeric GENERATED ALWAYS AS (price * qty + {i}) STORED,
                CONSTRAINT t{i}_qty_check CHECK (qty > {i})
            );
            CREATE INDEX t{i}_email_idx ON t{i} (lower(email)) WHERE qty > {i};\n"
        ));
    }
    db.execute(&sql).await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    let mut desired = current.clone();
    for t in &mut desired.tables {
        let i: usize = t.name[1..].parse().expect("table number");
        t.columns[3].generated = Some(format!("price * qty + {i}"));
        t.checks[0].expr = format!("qty > {i}");
        t.indexes[0].keys = vec!["lower(email)".into()];
        t.indexes[0].predicate = Some(format!("qty > {i}"));
    }
    assert_ne!(desired, current);
    let mut second = if two_connections {
        Some(db.connect().await)
    } else {
        None
    };
    canonicalize_on(&mut conn, second.as_mut(), &mut desired, &current)
        .await
        .expect("canonicalize");
    assert_eq!(desired, current);
}

#[tokio::test]
async fn a_fragment_smuggling_statements_changes_nothing() {
    let db = TestDb::new().await;
    db.execute("CREATE TABLE t (a int CONSTRAINT t_a_check CHECK (a > 0))")
        .await;
    let mut conn = db.connect().await;
    let current = current(&mut conn).await;
    for smuggled in [
        "true); CREATE TABLE public.leaked (x int); SELECT (1",
        "true); COMMIT; CREATE TABLE public.leaked (x int); SELECT (1",
    ] {
        let mut desired = current.clone();
        desired.tables[0].checks[0].expr = smuggled.into();
        // Fragments are trusted code (the migration runs them verbatim): the first is
        // read back as the `true` it starts with, the second refused (no COMMIT inside
        // the runner). Either way, whatever it did is rolled back.
        let _ = canonicalize(&mut conn, &mut desired, &current).await;
        let leaked: Option<String> = sqlx::query_scalar("SELECT to_regclass('leaked')::text")
            .fetch_one(&mut conn)
            .await
            .expect("query");
        assert_eq!(leaked, None, "{smuggled}");
        let check = &desired.tables[0].checks[0].expr;
        assert!(check == smuggled || check == "true", "{check}");
    }
}
