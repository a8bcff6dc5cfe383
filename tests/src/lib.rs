//! Shared helpers for the end-to-end tests: a fresh PostgreSQL database per test.
//!
//! Every test gets its own database with a unique name and drops it when done, so tests
//! run in parallel and leave nothing behind. Without a reachable server the test fails
//! with a message saying how to start one; it never passes by skipping.

use sqlx::{Connection, Executor, PgConnection};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The server the tests create their databases on.
pub fn admin_url() -> String {
    std::env::var("STRATA_TEST_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

fn url_for(db: &str) -> String {
    let admin = admin_url();
    match admin.rfind('/') {
        Some(i) => format!("{}/{}", &admin[..i], db),
        None => panic!("STRATA_TEST_ADMIN_URL has no database part: {admin}"),
    }
}

async fn admin_connection() -> PgConnection {
    match PgConnection::connect(&admin_url()).await {
        Ok(c) => c,
        Err(e) => panic!(
            "cannot reach PostgreSQL at {} ({e}).\n\
             The tests need a real server: start it with\n  \
             pg_ctlcluster --skip-systemctl-redirect 15 main start\n\
             or point STRATA_TEST_ADMIN_URL at one (a URL to its `postgres` database).",
            admin_url()
        ),
    }
}

/// A database that exists for one test and is dropped with it.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TestDb {
    /// Creates `strata_test_<pid>_<n>_<nanos>`.
    pub async fn new() -> TestDb {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "strata_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            nanos
        );
        let mut admin = admin_connection().await;
        admin
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let url = url_for(&name);
        TestDb { name, url }
    }

    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.name))
    }

    /// Runs SQL (several statements allowed) on a fresh connection.
    pub async fn execute(&self, sql: &str) {
        let mut c = self.connect().await;
        c.execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{e}\nwhile running:\n{sql}"));
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        on_admin_connection_blocking(|mut admin| async move {
            let _ = admin.execute(sql.as_str()).await;
        });
    }
}

/// Drops the databases whose comment holds `text`: what strata keeps on the server for a
/// test project (its replay cache, whose comment names the migrations folder).
pub fn drop_databases_commented(text: &str) {
    let text = text.to_string();
    on_admin_connection_blocking(|mut admin| async move {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT datname::text FROM pg_database \
             WHERE strpos(shobj_description(oid, 'pg_database'), $1) > 0",
        )
        .bind(text)
        .fetch_all(&mut admin)
        .await
        .unwrap_or_default();
        for name in names {
            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let _ = admin.execute(sql.as_str()).await;
        }
    });
}

/// Runs `work` on a connection to the server's admin database, blocking: for `Drop`,
/// which may run inside a test's runtime (that cannot block), so on a thread of its own.
fn on_admin_connection_blocking<F, Fut>(work: F)
where
    F: FnOnce(PgConnection) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        if let Ok(rt) = rt {
            rt.block_on(async move {
                if let Ok(admin) = PgConnection::connect(&admin_url()).await {
                    work(admin).await;
                }
            });
        }
    })
    .join();
}
