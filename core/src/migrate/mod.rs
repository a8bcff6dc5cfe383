//! Migration files, the `_sqlx_migrations` history, and run / revert / status.
//!
//! `files` and `state` decide (pure, tested without a database); `history` and `runner`
//! talk to PostgreSQL.
pub mod checksum;
pub mod files;
pub mod history;
pub mod runner;
pub mod split;
pub mod state;

pub use files::{load_dir, next_version, validate_name, write_pair, FilesError, MigrationFile};
pub use history::AppliedMigration;
pub use runner::{Direction, Done, MigrationFailure};
pub use state::{RevertScope, SelectError, State, StatusEntry};

/// Anything that stops a migration command.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Files(#[from] FilesError),
    #[error(transparent)]
    Select(#[from] SelectError),
    #[error("{0}")]
    Failed(Box<MigrationFailure>),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}
