//! Connecting to PostgreSQL, with errors that say where and never say the password.
use crate::redact::{redact_url, Redactor};
use anyhow::anyhow;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgConnection};
use std::str::FromStr;
use std::time::Duration;

/// How long to wait for the server before telling the user it is unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects with `url`, or the libpq `PG*` variables when there is none. The caller
/// has already taught `redactor` the URL's password.
pub async fn connect(url: Option<&str>, redactor: &Redactor) -> anyhow::Result<PgConnection> {
    let (options, shown) = match url {
        Some(url) => {
            let options = PgConnectOptions::from_str(url).map_err(|e| {
                anyhow!(
                    "invalid database URL {}: {}\n  expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE",
                    redact_url(url),
                    redactor.redact(&e.to_string())
                )
            })?;
            (options, redact_url(url))
        }
        None => {
            let options = PgConnectOptions::new();
            let shown = format!(
                "host {} port {} database {} user {} (from the PG* environment variables)",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or("(default)"),
                options.get_username()
            );
            (options, shown)
        }
    };
    // Statement logging off: migration SQL is reported by strata itself on failure.
    let mut options = options.disable_statement_logging();
    // So that a runner waiting for the migration lock can say who holds it.
    if options.get_application_name().is_none() {
        options = options.application_name("strata");
    }
    let attempt = tokio::time::timeout(CONNECT_TIMEOUT, options.connect());
    match attempt.await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(anyhow!(
            "cannot connect to the database at {shown}: {}\n  check --database-url \
             (or DATABASE_URL, or the PG* variables) and that the server is running",
            redactor.redact(&e.to_string())
        )),
        Err(_) => Err(anyhow!(
            "cannot connect to the database at {shown}: no answer after {}s\n  check the \
             host and port, and that the server is running",
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}
