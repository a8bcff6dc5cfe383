//! `shop --check-db`: the app checks its database at startup.
use sqlx::Executor;
use std::process::Command;
use strata_tests::TestDb;

fn check_db(url: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_shop"))
        .arg("--check-db")
        .env("DATABASE_URL", url)
        .output()
        .expect("run shop");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn check_db_passes_after_the_migrations_and_fails_on_a_difference() {
    let db = TestDb::new().await;
    // An empty database: every table is missing, every migration pending.
    let (code, text) = check_db(&db.url);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("missing table customers (entity Customer)"),
        "{text}"
    );
    assert!(text.contains("3 pending migrations"), "{text}");

    // The shop's migrations, applied as `sqlx::migrate!()` would apply them.
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    sqlx::migrate::Migrator::new(dir.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let (code, text) = check_db(&db.url);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("the database matches the entities"), "{text}");

    // Someone changed the database by hand.
    pool.execute("ALTER TABLE products ALTER COLUMN stock TYPE integer")
        .await
        .unwrap();
    let (code, text) = check_db(&db.url);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("column products.stock is integer, the entity says bigint"),
        "{text}"
    );
    pool.close().await;
}

#[test]
fn without_a_database_url_it_says_so() {
    let out = Command::new(env!("CARGO_BIN_EXE_shop"))
        .arg("--check-db")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
