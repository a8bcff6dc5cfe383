//! Migration files, the `_sqlx_migrations` history, and run / revert / status.
//!
//! `files`, `header`, `duration`, `state` and `repair::decide` decide (pure, tested
//! without a database); `history`, `lock`, `runner` and `repair::repair` talk to
//! PostgreSQL.
pub mod checksum;
pub mod duration;
pub mod files;
pub mod header;
pub mod history;
pub mod lock;
pub mod repair;
pub mod runner;
pub mod split;
pub mod state;

pub use files::{load_dir, next_version, validate_name, write_pair, FilesError, MigrationFile};
pub use header::{HeaderError, TimeoutSettings, Timeouts};
pub use history::AppliedMigration;
pub use lock::{LockKind, MigrationLock, Waiting};
pub use repair::{Change, Repair, RepairError};
pub use runner::{
    AfterFailure, Direction, Done, Event, MigrationFailure, RevertOptions, RunOptions,
};
pub use state::{RevertScope, SelectError, State, StatusEntry};

use std::time::Duration;

/// Anything that stops a migration command.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Files(#[from] FilesError),
    #[error(transparent)]
    Select(#[from] SelectError),
    #[error("invalid migration header; nothing was run: {0}")]
    Header(HeaderError),
    #[error(transparent)]
    Repair(#[from] RepairError),
    #[error("{0}")]
    Failed(Box<MigrationFailure>),
    #[error("{}", lock_timeout_message(.database, *.kind, *.waited, .holder.as_ref()))]
    LockTimeout {
        database: String,
        kind: LockKind,
        waited: Duration,
        holder: Option<lock::Holder>,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

fn lock_timeout_message(
    database: &str,
    kind: LockKind,
    waited: Duration,
    holder: Option<&lock::Holder>,
) -> String {
    let waited = duration::format(waited);
    let held_by = holder.map_or_else(String::new, |h| format!(", held by {h}"));
    let pid = holder.map_or_else(|| "PID".to_string(), |h| h.pid.to_string());
    match kind {
        LockKind::Migration => format!(
            "gave up after {waited} waiting for the migration lock on database {database}\
             {held_by}; nothing was run.\n  Another `strata run`/`revert` or sqlx migrator is \
             working on this database: wait for it and try again, or allow a longer wait with \
             --lock-timeout. If it is stuck, `SELECT pg_terminate_backend({pid})` ends it."
        ),
        LockKind::Session => format!(
            "gave up after {waited} waiting for the connection of an earlier, interrupted run \
             on database {database} to finish{held_by}; nothing was run.\n  Its last statement \
             is still running or rolling back: wait for it, or end it with \
             `SELECT pg_terminate_backend({pid})`."
        ),
    }
}
