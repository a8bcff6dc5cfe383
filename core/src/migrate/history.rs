//! `_sqlx_migrations`: the history strata shares with sqlx.
//!
//! The table and every statement on it are sqlx 0.8's own (sqlx-postgres
//! `migrate.rs`), so either tool can apply what the other wrote.
use sqlx::{Executor, PgConnection};

/// Verbatim from sqlx 0.8's `ensure_migrations_table` for Postgres.
const CREATE_HISTORY: &str = r#"
CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);
"#;

/// A row of `_sqlx_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: i64,
    pub description: String,
    pub checksum: Vec<u8>,
    /// False only when sqlx recorded a migration that failed part-way ("dirty").
    pub success: bool,
    /// Nanoseconds; -1 when sqlx could not record it.
    pub execution_time: i64,
    pub installed_on: chrono::DateTime<chrono::Utc>,
}

/// Whether the history table exists, without creating it (`status` is read-only).
/// Resolved through `search_path` like sqlx's unqualified name.
pub async fn exists(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(conn)
        .await
}

pub async fn ensure(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    conn.execute(CREATE_HISTORY).await.map(|_| ())
}

/// `_sqlx_migrations` columns in the order `list` selects them.
type HistoryRow = (
    i64,
    String,
    Vec<u8>,
    bool,
    i64,
    chrono::DateTime<chrono::Utc>,
);

/// Every recorded migration, by version; empty when the table does not exist.
pub async fn list(conn: &mut PgConnection) -> Result<Vec<AppliedMigration>, sqlx::Error> {
    if !exists(&mut *conn).await? {
        return Ok(Vec::new());
    }
    let rows: Vec<HistoryRow> = sqlx::query_as(
        "SELECT version, description, checksum, success, execution_time, installed_on \
             FROM _sqlx_migrations ORDER BY version",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(version, description, checksum, success, execution_time, installed_on)| {
                AppliedMigration {
                    version,
                    description,
                    checksum,
                    success,
                    execution_time,
                    installed_on,
                }
            },
        )
        .collect())
}

/// The row sqlx inserts after a successful migration (sqlx inserts -1 and updates the
/// time after commit; strata knows it before the insert, so one statement suffices).
pub async fn record(
    conn: &mut PgConnection,
    version: i64,
    description: &str,
    checksum: &[u8],
    execution_time_ns: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, $2, TRUE, $3, $4)",
    )
    .bind(version)
    .bind(description)
    .bind(checksum)
    .bind(execution_time_ns)
    .execute(conn)
    .await
    .map(|_| ())
}

/// The row of a `-- no-transaction` migration about to run: `success = false` until it
/// completes, so a run that is killed or fails part-way leaves the version "dirty" for
/// strata and sqlx alike, instead of unrecorded and silently retried on a half-changed
/// database. `execution_time = -1` is sqlx's "not known".
pub async fn record_started(
    conn: &mut PgConnection,
    version: i64,
    description: &str,
    checksum: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, $2, FALSE, $3, -1)",
    )
    .bind(version)
    .bind(description)
    .bind(checksum)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Marks a recorded migration as applied (the end of [`record_started`], or
/// `strata resolve --applied`), with the checksum of the file as it is now.
pub async fn mark_succeeded(
    conn: &mut PgConnection,
    version: i64,
    checksum: &[u8],
    execution_time_ns: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE _sqlx_migrations SET success = TRUE, checksum = $2, execution_time = $3 \
         WHERE version = $1",
    )
    .bind(version)
    .bind(checksum)
    .bind(execution_time_ns)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Marks an applied migration dirty while its `-- no-transaction` down file runs.
pub async fn mark_failed(conn: &mut PgConnection, version: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE _sqlx_migrations SET success = FALSE WHERE version = $1")
        .bind(version)
        .execute(conn)
        .await
        .map(|_| ())
}

pub async fn forget(conn: &mut PgConnection, version: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
        .bind(version)
        .execute(conn)
        .await
        .map(|_| ())
}

/// sqlx's advisory lock key for a database, so that strata and sqlx never migrate the
/// same database at once: `0x3d32ad9e * crc32(database name)`.
pub fn lock_id(database_name: &str) -> i64 {
    0x3d32ad9e * i64::from(crc32(database_name.as_bytes()))
}

/// CRC-32/ISO-HDLC (the common zlib CRC), as the `crc` crate computes for sqlx.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn lock_id_is_sqlx_formula() {
        assert_eq!(lock_id("123456789"), 0x3d32ad9e * 0xcbf4_3926_i64);
    }
}
