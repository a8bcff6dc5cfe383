//! The keyword table against the real thing: what strata reads is what
//! `pg_get_keywords()` says, introspection installs it, and quoting with it agrees with
//! the server's own `quote_ident()` for every keyword and for names that are easy to
//! get wrong.

use sqlx::Row;
use strata_core::introspect::{introspect, keywords};
use strata_core::lex::{self, Category, Keywords};
use strata_tests::TestDb;

/// Every `(word, catcode)` the server lists, unreserved ones included.
async fn pg_get_keywords(db: &TestDb) -> Vec<(String, String)> {
    let mut c = db.connect().await;
    sqlx::query("SELECT word::text, catcode::text FROM pg_get_keywords() ORDER BY word")
        .fetch_all(&mut c)
        .await
        .expect("pg_get_keywords()")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn the_table_read_is_pg_get_keywords_and_introspection_installs_it() {
    let db = TestDb::new().await;
    let mut c = db.connect().await;
    let read = keywords::read(&mut c).await.expect("read the keywords");
    let listed = pg_get_keywords(&db).await;
    assert!(listed.len() > 400, "{}", listed.len());
    let expected: Vec<(&str, Category)> = listed
        .iter()
        .filter(|(_, code)| code != "U")
        .map(|(w, code)| (w.as_str(), Category::from_catcode(code)))
        .collect();
    assert_eq!(read.iter().collect::<Vec<_>>(), expected);
    // Unreserved keywords read as plain names.
    for (word, code) in &listed {
        assert_eq!(read.category(word).catcode(), code, "{word}");
    }
    // The built-in list is PostgreSQL 15's: it must be this server's when it is 15.
    let version: i32 = sqlx::query_scalar("SELECT current_setting('server_version_num')::int")
        .fetch_one(&mut c)
        .await
        .expect("server version");
    if version / 10000 == 15 {
        assert_eq!(&read, Keywords::postgres15());
    }

    introspect(&mut c, &["public".to_string()], &[])
        .await
        .expect("introspect");
    assert_eq!(lex::keywords::current(), &read);
}

#[tokio::test]
async fn quote_ident_agrees_with_the_server_for_every_keyword_and_tricky_names() {
    let db = TestDb::new().await;
    let mut c = db.connect().await;
    let table = keywords::read(&mut c).await.expect("read the keywords");
    let mut names: Vec<String> = pg_get_keywords(&db)
        .await
        .into_iter()
        .map(|(w, _)| w)
        .collect();
    let long = "x".repeat(70);
    for tricky in [
        "users",
        "Users",
        "USER",
        "user",
        "_x",
        "_",
        "x1",
        "1x",
        "a$",
        "$a",
        "a b",
        "a\"b",
        "\"",
        "a-b",
        "é",
        "Ä",
        "naïve",
        "ß",
        "日本",
        "system_user",
        "current_role",
        "json",
        "merge",
        "",
        long.as_str(),
    ] {
        names.push(tricky.to_string());
    }
    let server: Vec<(String, String)> =
        sqlx::query("SELECT n, quote_ident(n) FROM unnest($1::text[]) n")
            .bind(&names)
            .fetch_all(&mut c)
            .await
            .expect("quote_ident()")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    assert_eq!(server.len(), names.len());
    for (name, quoted) in &server {
        assert_eq!(&table.quote_ident(name), quoted, "{name:?}");
    }
}
