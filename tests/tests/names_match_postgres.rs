//! names.rs against the real thing: PostgreSQL chooses the default names of constraints,
//! indexes and sequences, and strata must compute the very same ones, including the
//! 63-byte truncation and the numbering of truncated names that collide.

use sqlx::Row;
use strata_core::names::{quote_ident, NameAllocator};
use strata_tests::TestDb;

/// The constraint names of `table`, in creation order (oid order).
async fn constraint_names(db: &TestDb, table: &str, contype: &str) -> Vec<String> {
    let mut c = db.connect().await;
    sqlx::query(
        "SELECT conname::text FROM pg_constraint \
         WHERE conrelid = (SELECT oid FROM pg_class WHERE relname = $1 AND relkind = 'r') \
           AND contype = $2::\"char\" ORDER BY oid",
    )
    .bind(table)
    .bind(contype)
    .fetch_all(&mut c)
    .await
    .expect("read pg_constraint")
    .iter()
    .map(|r| r.get::<String, _>(0))
    .collect()
}

/// The relations of the given kind in `public`, in creation order.
async fn relation_names(db: &TestDb, relkind: &str) -> Vec<String> {
    let mut c = db.connect().await;
    sqlx::query(
        "SELECT relname::text FROM pg_class \
         WHERE relnamespace = 'public'::regnamespace AND relkind = $1::\"char\" ORDER BY oid",
    )
    .bind(relkind)
    .fetch_all(&mut c)
    .await
    .expect("read pg_class")
    .iter()
    .map(|r| r.get::<String, _>(0))
    .collect()
}

#[tokio::test]
async fn long_names_are_truncated_and_numbered_as_postgres_does() {
    let db = TestDb::new().await;
    let table = format!("t{}", "a".repeat(59)); // 60 bytes
    let col_a = format!("{}_one", "c".repeat(36)); // 40 bytes
    let col_b = format!("{}_two", "c".repeat(36)); // 40 bytes, same first 36
    let col_c = format!("{}_six", "c".repeat(36));
    let id = format!("{}_id", "i".repeat(37)); // 40 bytes
    let t = quote_ident(&table);
    db.execute(&format!(
        "CREATE TABLE {t} (
            {id} bigserial PRIMARY KEY,
            {col_a} text UNIQUE CHECK ({col_a} <> ''),
            {col_b} text UNIQUE CHECK ({col_b} <> ''),
            {col_c} bigint REFERENCES {t} ({id}),
            CHECK ({col_a} <> {col_b}),
            UNIQUE ({col_a}, {col_b})
        );
        ALTER TABLE {t} ADD FOREIGN KEY ({col_c}) REFERENCES {t} ({id});
        CREATE INDEX ON {t} ({col_a});
        CREATE INDEX ON {t} ({col_b});
        CREATE INDEX ON {t} (lower({col_a}));
        CREATE INDEX ON {t} ((({col_a} || {col_b})));"
    ))
    .await;

    // Replay PostgreSQL's order of creation: the serial's sequence, the table, its
    // checks, the primary key, the unique constraints, then the foreign keys and indexes.
    let mut names = NameAllocator::new();
    let seq = names.sequence(&table, &id);
    names.take_relation(&table);
    let checks = vec![
        names.check(&table, Some(&col_a)),
        names.check(&table, Some(&col_b)),
        names.check(&table, None),
    ];
    let pkey = names.primary_key(&table);
    let uniques = vec![
        names.unique(&table, &[&col_a]),
        names.unique(&table, &[&col_b]),
        names.unique(&table, &[&col_a, &col_b]),
    ];
    let fkeys = vec![
        names.foreign_key(&table, &[&col_c]),
        names.foreign_key(&table, &[&col_c]),
    ];
    let indexes = vec![
        names.index(&table, &[&col_a]),
        names.index(&table, &[&col_b]),
        names.index(&table, &[format!("lower({col_a})")]),
        names.index(&table, &[format!("({col_a} || {col_b})")]),
    ];

    // The two single-column unique names share their first 63 bytes: the second is `key1`.
    assert_eq!(uniques[0].len(), 63);
    assert!(uniques[1].ends_with("_key1"), "{}", uniques[1]);

    assert_eq!(relation_names(&db, "S").await, vec![seq]);
    assert_eq!(constraint_names(&db, &table, "p").await, vec![pkey.clone()]);
    assert_eq!(constraint_names(&db, &table, "u").await, uniques);
    assert_eq!(constraint_names(&db, &table, "f").await, fkeys);
    let mut pg_checks = constraint_names(&db, &table, "c").await;
    pg_checks.sort();
    let mut our_checks = checks;
    our_checks.sort();
    assert_eq!(pg_checks, our_checks);
    let mut expected_indexes = vec![pkey];
    expected_indexes.extend(uniques);
    expected_indexes.extend(indexes);
    assert_eq!(relation_names(&db, "i").await, expected_indexes);
}

#[tokio::test]
async fn quote_ident_matches_postgres_for_every_keyword_and_odd_names() {
    let db = TestDb::new().await;
    let mut c = db.connect().await;
    let mut words: Vec<String> = sqlx::query_scalar("SELECT word::text FROM pg_get_keywords()")
        .fetch_all(&mut c)
        .await
        .expect("read pg_get_keywords");
    assert!(words.len() > 400, "PostgreSQL lists its keywords");
    for odd in [
        "users",
        "Users",
        "a b",
        "a\"b",
        "a$b",
        "_x",
        "1x",
        "x1",
        "é",
        "",
        "snake_case_9",
    ] {
        words.push(odd.to_string());
    }
    for w in words {
        let pg: String = sqlx::query_scalar("SELECT quote_ident($1)")
            .bind(&w)
            .fetch_one(&mut c)
            .await
            .expect("quote_ident");
        assert_eq!(quote_ident(&w), pg, "quoting {w:?}");
    }
}
