//! Changing the history without running SQL: `mark-applied`, `unmark`, `resolve`,
//! and recording a baseline. `decide` is pure; `repair` applies its answer under the
//! migration lock, so it never races a runner.
use super::files::MigrationFile;
use super::history::{self, AppliedMigration};
use super::runner::{self, Event};
use super::MigrateError;
use sqlx::PgConnection;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Repair {
    /// Record a migration as applied without running it.
    MarkApplied,
    /// Remove a migration's record without running its down file.
    Unmark,
    /// A failed (dirty) migration's changes are all there: record it as applied.
    ResolveApplied,
    /// None of a failed migration's changes remain: remove its record.
    ResolveRolledBack,
}

/// What the history gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Insert {
        version: i64,
        description: String,
        checksum: Vec<u8>,
    },
    Delete {
        version: i64,
    },
    /// `success = true`, with this checksum.
    Succeed {
        version: i64,
        checksum: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepairError {
    #[error("there is no migration file with version {0}; `strata status` lists the versions")]
    NoFile(i64),
    #[error("migration {0} is already recorded as applied; nothing was changed")]
    AlreadyApplied(i64),
    #[error(
        "migration {0} is recorded as failed; say what state it left the database in with \
         `strata resolve {0} --applied` or `--rolled-back`"
    )]
    Failed(i64),
    #[error("migration {0} is not recorded in _sqlx_migrations; nothing was changed")]
    NotRecorded(i64),
    #[error(
        "migration {0} is recorded as applied, not as failed: there is nothing to resolve \
         (`strata revert` undoes it, `strata unmark {0}` forgets it)"
    )]
    NotFailed(i64),
}

/// The history change `repair` makes to `version`, or why it refuses.
pub fn decide(
    files: &[MigrationFile],
    applied: &[AppliedMigration],
    version: i64,
    repair: Repair,
) -> Result<Change, RepairError> {
    let file = files.iter().find(|f| f.version == version);
    let row = applied.iter().find(|a| a.version == version);
    match (repair, row) {
        (Repair::MarkApplied, Some(r)) if r.success => Err(RepairError::AlreadyApplied(version)),
        (Repair::MarkApplied, Some(_)) => Err(RepairError::Failed(version)),
        (Repair::MarkApplied, None) => {
            let f = file.ok_or(RepairError::NoFile(version))?;
            Ok(Change::Insert {
                version,
                description: f.description.clone(),
                checksum: f.checksum.clone(),
            })
        }
        (_, None) => Err(RepairError::NotRecorded(version)),
        (Repair::Unmark, Some(_)) => Ok(Change::Delete { version }),
        (Repair::ResolveApplied | Repair::ResolveRolledBack, Some(r)) if r.success => {
            Err(RepairError::NotFailed(version))
        }
        (Repair::ResolveRolledBack, Some(_)) => Ok(Change::Delete { version }),
        // The file as it is now: a person who fixed it while repairing must not be
        // told next time that it was modified after it was applied.
        (Repair::ResolveApplied, Some(r)) => Ok(Change::Succeed {
            version,
            checksum: file.map_or_else(|| r.checksum.clone(), |f| f.checksum.clone()),
        }),
    }
}

/// Applies `repair` to `version` under the migration lock; returns the change made.
pub async fn repair(
    conn: &mut PgConnection,
    lock_conn: PgConnection,
    files: &[MigrationFile],
    version: i64,
    repair: Repair,
    lock_wait: Duration,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Change, MigrateError> {
    let lock = runner::lock(conn, lock_conn, lock_wait, on_event).await?;
    let result = repair_locked(conn, files, version, repair).await;
    runner::unlock(conn, lock, result).await
}

async fn repair_locked(
    conn: &mut PgConnection,
    files: &[MigrationFile],
    version: i64,
    repair: Repair,
) -> Result<Change, MigrateError> {
    if repair == Repair::MarkApplied {
        history::ensure(&mut *conn).await?;
    }
    let applied = history::list(&mut *conn).await?;
    let change = decide(files, &applied, version, repair)?;
    apply(conn, &change).await?;
    Ok(change)
}

/// Writes one change; execution time 0 marks a migration strata did not run.
pub(crate) async fn apply(conn: &mut PgConnection, change: &Change) -> Result<(), sqlx::Error> {
    match change {
        Change::Insert {
            version,
            description,
            checksum,
        } => history::record(conn, *version, description, checksum, 0).await,
        Change::Delete { version } => history::forget(conn, *version).await,
        Change::Succeed { version, checksum } => {
            history::mark_succeeded(conn, *version, checksum, 0).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::checksum::checksum;
    use crate::migrate::files::SqlFile;
    use std::path::PathBuf;

    fn file(version: i64, sql: &str) -> MigrationFile {
        MigrationFile {
            version,
            name: "m".into(),
            description: "m".into(),
            up: SqlFile {
                path: PathBuf::from(format!("migrations/{version}_m.up.sql")),
                sql: sql.into(),
                no_transaction: false,
            },
            down: None,
            simple: false,
            checksum: checksum(sql),
        }
    }

    fn row(version: i64, sql: &str, success: bool) -> AppliedMigration {
        AppliedMigration {
            version,
            description: "m".into(),
            checksum: checksum(sql),
            success,
            execution_time: 1,
            installed_on: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn mark_applied_records_the_file_once() {
        let files = [file(1, "a"), file(2, "b")];
        assert_eq!(
            decide(&files, &[], 2, Repair::MarkApplied),
            Ok(Change::Insert {
                version: 2,
                description: "m".into(),
                checksum: checksum("b"),
            })
        );
        assert_eq!(
            decide(&files, &[], 3, Repair::MarkApplied),
            Err(RepairError::NoFile(3))
        );
        let applied = [row(1, "a", true), row(2, "b", false)];
        assert_eq!(
            decide(&files, &applied, 1, Repair::MarkApplied),
            Err(RepairError::AlreadyApplied(1))
        );
        assert_eq!(
            decide(&files, &applied, 2, Repair::MarkApplied),
            Err(RepairError::Failed(2))
        );
    }

    #[test]
    fn unmark_needs_a_record_but_not_a_file() {
        let applied = [row(7, "gone", true)];
        assert_eq!(
            decide(&[], &applied, 7, Repair::Unmark),
            Ok(Change::Delete { version: 7 })
        );
        assert_eq!(
            decide(&[], &applied, 8, Repair::Unmark),
            Err(RepairError::NotRecorded(8))
        );
    }

    #[test]
    fn resolve_only_touches_failed_records() {
        let files = [file(1, "fixed")];
        let applied = [row(1, "original", false), row(2, "x", true)];
        assert_eq!(
            decide(&files, &applied, 1, Repair::ResolveApplied),
            Ok(Change::Succeed {
                version: 1,
                checksum: checksum("fixed"),
            })
        );
        assert_eq!(
            decide(&files, &applied, 1, Repair::ResolveRolledBack),
            Ok(Change::Delete { version: 1 })
        );
        assert_eq!(
            decide(&files, &applied, 2, Repair::ResolveApplied),
            Err(RepairError::NotFailed(2))
        );
        assert_eq!(
            decide(&files, &applied, 3, Repair::ResolveRolledBack),
            Err(RepairError::NotRecorded(3))
        );
    }
}
