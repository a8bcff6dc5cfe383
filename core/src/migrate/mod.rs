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

pub use files::{
    load_dir, load_existing_dir, next_version, validate_name, write_pair, FilesError, MigrationFile,
};
pub use header::{HeaderError, TimeoutSettings, Timeouts};
pub use history::AppliedMigration;
pub use lock::{LockKind, MigrationLock, TimedOut, Waiting};
pub use repair::{Change, Repair, RepairError};
pub use runner::{
    AfterFailure, Direction, Done, Event, MigrationFailure, RevertOptions, RunOptions,
};
pub use state::{RevertScope, SelectError, State, StatusEntry};

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
    #[error("{0}")]
    LockTimeout(Box<lock::TimedOut>),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl MigrateError {
    /// The error as it reads when the migrations ran on a scratch database: a failed
    /// file as [`MigrationFailure::on_scratch`] gives it, named by its file name.
    pub fn on_scratch(&self) -> String {
        match self {
            MigrateError::Failed(f) => {
                let name = f
                    .file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| f.file.display().to_string());
                f.on_scratch(&name)
            }
            other => other.to_string(),
        }
    }
}
