//! The down file of each kind of widening against a real PostgreSQL: with a value
//! written since that the old type cannot hold, it fails (rolled back) with strata's
//! message instead of cutting or rounding it; with values that fit, it converts them
//! back unchanged. One table per kind: `t (v <narrow type>)`, widened by the diff's up
//! statements, then reverted by its down statements.

use sqlx::{Connection, Executor, PgConnection, Row};
use strata_core::diff::diff;
use strata_core::schema::{Column, Schema, Table};
use strata_tests::TestDb;

fn with_v(ty: &str) -> Schema {
    let mut v = Column::new("v", ty);
    v.nullable = true;
    let mut s = Schema {
        schemas: vec!["public".into()],
        tables: vec![Table::new("public", "t", vec![v])],
        ..Schema::default()
    };
    s.sort();
    s
}

/// (narrow type, wide type, values that fit both, a value that fits only the wide one).
const KINDS: &[(&str, &str, &[&str], &str)] = &[
    (
        "character varying(5)",
        "character varying(10)",
        &["'abc'", "'abcde'"],
        "'abcdef'",
    ),
    ("character varying(5)", "text", &["'abc'"], "'abcdef'"),
    ("character(3)", "character(6)", &["'ab'", "'abc'"], "'abcd'"),
    ("character(3)", "text", &["'abc'"], "'abcd'"),
    // Trailing spaces mean nothing in character(n): they would be lost.
    ("character(3)", "character varying(3)", &["'ab'"], "'ab '"),
    (
        "numeric(6,2)",
        "numeric(8,3)",
        &["12.34", "-9999.99"],
        "12.345",
    ),
    ("numeric(6,2)", "numeric(8,3)", &["0"], "12345.67"),
    ("numeric(6,2)", "numeric", &["12.30"], "1e10"),
    ("smallint", "integer", &["5", "-32768"], "40000"),
    ("integer", "bigint", &["2147483647"], "3000000000"),
    ("integer", "numeric", &["5"], "2.5"),
    ("integer", "double precision", &["5"], "2.5"),
    ("smallint", "real", &["5"], "1.5"),
    ("numeric(4,0)", "smallint", &["9999"], "30000"),
    ("real", "double precision", &["0.5", "'NaN'"], "0.1"),
    ("boolean", "integer", &["true", "false"], "2"),
    (
        "timestamp(0) without time zone",
        "timestamp without time zone",
        &["'2024-01-01 10:00:00'", "'infinity'"],
        "'2024-01-01 10:00:00.5'",
    ),
    (
        "date",
        "timestamp with time zone",
        &["'2024-01-01'"],
        "'2024-01-01 10:00+00'",
    ),
    (
        "time(0) without time zone",
        "time without time zone",
        &["'10:00:00'"],
        "'10:00:00.5'",
    ),
    (
        "time without time zone",
        "time with time zone",
        &["'10:00:00'"],
        "'10:00:00+05'",
    ),
    (
        "interval(0)",
        "interval",
        &["'1 day 02:00:00'"],
        "'1.5 seconds'",
    ),
    (
        "interval day",
        "interval",
        &["'2 days'"],
        "'2 days 03:00:00'",
    ),
    ("bit(3)", "bit(5)", &["B'101'"], "B'10101'"),
    (
        "bit varying(3)",
        "bit varying(5)",
        &["B'1'", "B'101'"],
        "B'10101'",
    ),
    (
        "integer[]",
        "bigint[]",
        &["'{1,2}'", "'{}'"],
        "'{1,3000000000}'",
    ),
    (
        "character varying(3)[]",
        "text[]",
        &["'{ab,NULL}'"],
        "'{ab,abcd}'",
    ),
    // A scalar becomes an array: going back keeps the first element alone.
    ("text", "text[]", &["'a'"], "'{a,b}'"),
    ("text", "text[]", &["'a'"], "'{}'"),
    ("bigint", "integer[]", &["7"], "'{7,8}'"),
];

async fn text_of(conn: &mut PgConnection, sql: &str) -> Vec<Option<String>> {
    conn.fetch_all(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.get::<Option<String>, _>(0))
        .collect()
}

/// Runs `statements` in one transaction, rolled back on the first error.
async fn in_transaction(conn: &mut PgConnection, statements: &[&str]) -> Result<(), String> {
    let mut tx = conn.begin().await.map_err(|e| e.to_string())?;
    for s in statements {
        tx.execute(*s).await.map_err(|e| format!("{s}: {e}"))?;
    }
    tx.commit().await.map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_down_of_a_widening_refuses_what_does_not_fit_and_keeps_what_does() {
    let db = TestDb::new().await;
    let mut conn = db.connect().await;
    for (narrow, wide, fits, misfit) in KINDS {
        let case = format!("{narrow} -> {wide} with {misfit}");
        let plan = diff(&with_v(wide), &with_v(narrow));
        let up: Vec<&str> = plan.up_statements().collect();
        let down: Vec<&str> = plan.down_statements().collect();
        assert!(!up.is_empty(), "{case}");

        conn.execute(format!("CREATE TABLE t (id serial, v {narrow})").as_str())
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        conn.execute("INSERT INTO t (v) VALUES (NULL)")
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        for value in *fits {
            conn.execute(format!("INSERT INTO t (v) VALUES ({value})").as_str())
                .await
                .unwrap_or_else(|e| panic!("{case}: {value}: {e}"));
        }
        let before = text_of(&mut conn, "SELECT v::text FROM t ORDER BY id").await;
        in_transaction(&mut conn, &up)
            .await
            .unwrap_or_else(|e| panic!("{case}: up: {e}"));

        conn.execute(format!("INSERT INTO t (v) VALUES ({misfit})").as_str())
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let widened = text_of(&mut conn, "SELECT v::text FROM t ORDER BY id").await;
        let refused = in_transaction(&mut conn, &down)
            .await
            .expect_err(&format!("{case}: the down must refuse"));
        assert!(
            refused.contains(&format!("cannot convert t.v back to {narrow}")),
            "{case}: {refused}"
        );
        assert_eq!(
            text_of(&mut conn, "SELECT v::text FROM t ORDER BY id").await,
            widened,
            "{case}: rolled back"
        );

        conn.execute("DELETE FROM t WHERE id = (SELECT max(id) FROM t)")
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        in_transaction(&mut conn, &down)
            .await
            .unwrap_or_else(|e| panic!("{case}: down: {e}"));
        assert_eq!(
            text_of(&mut conn, "SELECT v::text FROM t ORDER BY id").await,
            before,
            "{case}: values that fit come back unchanged"
        );
        let ty = text_of(
            &mut conn,
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
             WHERE attrelid = 't'::regclass AND attname = 'v'",
        )
        .await;
        assert_eq!(ty, [Some(narrow.to_string())], "{case}");
        conn.execute("DROP TABLE t")
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
    }
}
