//! Files × history: each migration's state, and which ones `run` / `revert` touch.
//! Pure: the runner reads the history, these functions decide.
use super::checksum::hex;
use super::files::MigrationFile;
use super::history::AppliedMigration;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Applied,
    Pending,
    /// Recorded as applied, but its file is gone.
    Missing,
    /// Recorded as applied with a checksum its file no longer has.
    Modified,
    /// Recorded with `success = false` (sqlx's "dirty"): a migration that failed
    /// part-way outside a transaction and needs a person to look at it.
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Missing => "missing",
            State::Modified => "modified",
            State::Failed => "failed",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of `strata status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    pub version: i64,
    pub description: String,
    pub state: State,
    /// The up file, when there is one.
    pub file: Option<PathBuf>,
    pub file_checksum: Option<Vec<u8>>,
    pub applied_checksum: Option<Vec<u8>>,
    pub installed_on: Option<chrono::DateTime<chrono::Utc>>,
}

/// Every migration known to the files or the history, by version.
pub fn status(files: &[MigrationFile], applied: &[AppliedMigration]) -> Vec<StatusEntry> {
    let mut by_version: BTreeMap<i64, (Option<&MigrationFile>, Option<&AppliedMigration>)> =
        BTreeMap::new();
    for f in files {
        by_version.entry(f.version).or_default().0 = Some(f);
    }
    for a in applied {
        by_version.entry(a.version).or_default().1 = Some(a);
    }
    by_version
        .into_iter()
        .map(|(version, (file, row))| {
            let state = match (file, row) {
                (_, Some(r)) if !r.success => State::Failed,
                (None, _) => State::Missing,
                (Some(_), None) => State::Pending,
                (Some(f), Some(r)) if f.checksum != r.checksum => State::Modified,
                (Some(_), Some(_)) => State::Applied,
            };
            StatusEntry {
                version,
                description: file
                    .map(|f| f.description.clone())
                    .or_else(|| row.map(|r| r.description.clone()))
                    .unwrap_or_default(),
                state,
                file: file.map(|f| f.up.path.clone()),
                file_checksum: file.map(|f| f.checksum.clone()),
                applied_checksum: row.map(|r| r.checksum.clone()),
                installed_on: row.map(|r| r.installed_on),
            }
        })
        .collect()
}

/// Clean: nothing pending, missing, modified or failed (`status` exits 0).
pub fn is_clean(entries: &[StatusEntry]) -> bool {
    entries.iter().all(|e| e.state == State::Applied)
}

/// Why the history and the files disagree in a way that stops `run` and `revert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryProblem {
    Modified {
        version: i64,
        file: PathBuf,
        file_checksum: Vec<u8>,
        applied_checksum: Vec<u8>,
    },
    Missing {
        version: i64,
        description: String,
    },
    Failed {
        version: i64,
        description: String,
    },
    /// Pending, but older than the newest applied migration: a branch merged late.
    OutOfOrder {
        version: i64,
        file: PathBuf,
        newest_applied: i64,
    },
}

impl fmt::Display for HistoryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryProblem::Modified {
                version,
                file,
                file_checksum,
                applied_checksum,
            } => write!(
                f,
                "migration {version} was changed after it was applied: {}\n    \
                 checksum of the file:    {}\n    \
                 checksum when applied:   {}\n  \
                 restore the file as it was applied (see version control) and put the change \
                 in a new migration (`strata create NAME`)",
                file.display(),
                hex(file_checksum),
                hex(applied_checksum)
            ),
            HistoryProblem::Missing {
                version,
                description,
            } => write!(
                f,
                "migration {version} ({description}) is applied but its file is missing \
                 (expected {version}_{}.up.sql or .sql)\n  \
                 restore it from version control; if it was removed on purpose and its \
                 changes are undone, `strata unmark {version}` forgets it",
                description.replace(' ', "_")
            ),
            HistoryProblem::Failed {
                version,
                description,
            } => write!(
                f,
                "migration {version} ({description}) is recorded as failed (success = false in \
                 _sqlx_migrations): it failed or was interrupted part-way outside a transaction\n  \
                 look at the database, finish or undo its changes by hand, then record what \
                 you did: `strata resolve {version} --applied` (its changes are all there) or \
                 `strata resolve {version} --rolled-back` (none of them are)"
            ),
            HistoryProblem::OutOfOrder {
                version,
                file,
                newest_applied,
            } => write!(
                f,
                "migration {version} is pending but older than the newest applied migration \
                 {newest_applied}: {}\n  \
                 it was probably merged after {newest_applied} was applied. If it does not \
                 depend on anything newer, apply it anyway with `strata run \
                 --allow-out-of-order`; otherwise give it a version above {newest_applied} \
                 (rename the file)",
                file.display()
            ),
        }
    }
}

/// Every reason the history cannot be trusted, all at once.
pub fn history_problems(entries: &[StatusEntry]) -> Vec<HistoryProblem> {
    entries
        .iter()
        .filter_map(|e| match e.state {
            State::Modified => Some(HistoryProblem::Modified {
                version: e.version,
                file: e.file.clone().unwrap_or_default(),
                file_checksum: e.file_checksum.clone().unwrap_or_default(),
                applied_checksum: e.applied_checksum.clone().unwrap_or_default(),
            }),
            State::Missing => Some(HistoryProblem::Missing {
                version: e.version,
                description: e.description.clone(),
            }),
            State::Failed => Some(HistoryProblem::Failed {
                version: e.version,
                description: e.description.clone(),
            }),
            State::Applied | State::Pending => None,
        })
        .collect()
}

/// Pending migrations older than the newest applied one, in version order.
pub fn out_of_order(entries: &[StatusEntry]) -> Vec<HistoryProblem> {
    let newest_applied = entries
        .iter()
        .filter(|e| e.state != State::Pending)
        .map(|e| e.version)
        .max();
    let Some(newest_applied) = newest_applied else {
        return Vec::new();
    };
    entries
        .iter()
        .filter(|e| e.state == State::Pending && e.version < newest_applied)
        .map(|e| HistoryProblem::OutOfOrder {
            version: e.version,
            file: e.file.clone().unwrap_or_default(),
            newest_applied,
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("{}", render_problems(.0))]
    History(Vec<HistoryProblem>),
    #[error("there is no migration with version {0}; `strata status` lists the versions")]
    UnknownTarget(i64),
    #[error(
        "{} is a simple migration (no .down.sql): it cannot be reverted. \
         Write its inverse as a new migration (`strata create NAME`)",
        .0.display()
    )]
    Irreversible(PathBuf),
    #[error(
        "the down file of migration {version} is missing (expected {}); \
         write it before reverting",
        expected.display()
    )]
    DownMissing { version: i64, expected: PathBuf },
}

fn render_problems(problems: &[HistoryProblem]) -> String {
    let mut out = String::from("the migration history does not match the files; nothing was run:");
    for p in problems {
        out.push_str("\n  - ");
        out.push_str(&p.to_string());
    }
    out
}

fn check(entries: &[StatusEntry]) -> Result<(), SelectError> {
    let problems = history_problems(entries);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SelectError::History(problems))
    }
}

/// The pending migrations `run` applies, in version order, up to `target` inclusive.
/// Refuses when any applied migration is modified, missing or failed, and, unless
/// `allow_out_of_order`, when a pending one is older than the newest applied one.
pub fn select_run<'a>(
    files: &'a [MigrationFile],
    applied: &[AppliedMigration],
    target: Option<i64>,
    allow_out_of_order: bool,
) -> Result<Vec<&'a MigrationFile>, SelectError> {
    let entries = status(files, applied);
    let mut problems = history_problems(&entries);
    if !allow_out_of_order {
        problems.extend(out_of_order(&entries));
    }
    if !problems.is_empty() {
        return Err(SelectError::History(problems));
    }
    if let Some(t) = target {
        if !files.iter().any(|f| f.version == t) {
            return Err(SelectError::UnknownTarget(t));
        }
    }
    Ok(files
        .iter()
        .filter(|f| !applied.iter().any(|a| a.version == f.version))
        .filter(|f| !matches!(target, Some(t) if f.version > t))
        .collect())
}

/// What `revert` undoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevertScope {
    /// The latest N applied migrations.
    Steps(usize),
    /// Every applied migration above this version (0: all of them).
    Target(i64),
}

/// The applied migrations `revert` undoes, latest first. Refuses, before anything runs,
/// when the history is inconsistent or one of them has no down file.
pub fn select_revert<'a>(
    files: &'a [MigrationFile],
    applied: &[AppliedMigration],
    scope: RevertScope,
) -> Result<Vec<&'a MigrationFile>, SelectError> {
    let entries = status(files, applied);
    check(&entries)?;
    let mut chosen: Vec<&MigrationFile> = files
        .iter()
        .rev()
        .filter(|f| applied.iter().any(|a| a.version == f.version))
        .collect();
    match scope {
        RevertScope::Steps(n) => chosen.truncate(n),
        RevertScope::Target(t) => {
            if t != 0 && !files.iter().any(|f| f.version == t) {
                return Err(SelectError::UnknownTarget(t));
            }
            chosen.retain(|f| f.version > t);
        }
    }
    for f in &chosen {
        if f.simple {
            return Err(SelectError::Irreversible(f.up.path.clone()));
        }
        if f.down.is_none() {
            return Err(SelectError::DownMissing {
                version: f.version,
                expected: f
                    .up
                    .path
                    .with_file_name(format!("{}_{}.down.sql", f.version, f.name)),
            });
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::checksum::checksum;
    use crate::migrate::files::SqlFile;

    fn file(version: i64, sql: &str) -> MigrationFile {
        let name = format!("m{version}");
        MigrationFile {
            version,
            description: name.clone(),
            up: SqlFile {
                path: PathBuf::from(format!("migrations/{version}_{name}.up.sql")),
                sql: sql.to_string(),
                no_transaction: false,
            },
            down: Some(SqlFile {
                path: PathBuf::from(format!("migrations/{version}_{name}.down.sql")),
                sql: String::new(),
                no_transaction: false,
            }),
            name,
            simple: false,
            checksum: checksum(sql),
        }
    }

    fn row(version: i64, sql: &str) -> AppliedMigration {
        AppliedMigration {
            version,
            description: format!("m{version}"),
            checksum: checksum(sql),
            success: true,
            execution_time: 1,
            installed_on: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn status_names_every_state() {
        let files = [file(1, "a"), file(2, "b2"), file(4, "d")];
        let mut failed = row(5, "e");
        failed.success = false;
        let applied = [row(1, "a"), row(2, "b"), row(3, "c"), failed];
        let states: Vec<(i64, State)> = status(&files, &applied)
            .into_iter()
            .map(|e| (e.version, e.state))
            .collect();
        assert_eq!(
            states,
            vec![
                (1, State::Applied),
                (2, State::Modified),
                (3, State::Missing),
                (4, State::Pending),
                (5, State::Failed),
            ]
        );
        assert!(!is_clean(&status(&files, &applied)));
        assert!(is_clean(&status(&files[..1], &applied[..1])));
    }

    #[test]
    fn run_selects_pending_up_to_the_target() {
        let files = [file(1, "a"), file(2, "b"), file(3, "c")];
        let applied = [row(1, "a")];
        let versions = |v: Vec<&MigrationFile>| v.iter().map(|f| f.version).collect::<Vec<_>>();
        assert_eq!(
            versions(select_run(&files, &applied, None, false).unwrap()),
            vec![2, 3]
        );
        assert_eq!(
            versions(select_run(&files, &applied, Some(2), false).unwrap()),
            vec![2]
        );
        assert_eq!(
            select_run(&files, &applied, Some(9), false),
            Err(SelectError::UnknownTarget(9))
        );
    }

    #[test]
    fn run_refuses_a_modified_history_naming_file_and_both_checksums() {
        let files = [file(1, "edited"), file(2, "b")];
        let applied = [row(1, "original")];
        let err = select_run(&files, &applied, None, false).expect_err("modified");
        let text = err.to_string();
        assert!(text.contains("migrations/1_m1.up.sql"), "{text}");
        assert!(text.contains(&hex(&checksum("edited"))), "{text}");
        assert!(text.contains(&hex(&checksum("original"))), "{text}");
    }

    #[test]
    fn a_pending_migration_older_than_the_newest_applied_is_refused_unless_allowed() {
        let files = [file(1, "a"), file(2, "b"), file(3, "c"), file(4, "d")];
        let applied = [row(1, "a"), row(3, "c")];
        let err = select_run(&files, &applied, None, false).expect_err("out of order");
        let SelectError::History(problems) = &err else {
            panic!("{err}");
        };
        assert_eq!(
            problems,
            &vec![HistoryProblem::OutOfOrder {
                version: 2,
                file: PathBuf::from("migrations/2_m2.up.sql"),
                newest_applied: 3,
            }]
        );
        assert!(err.to_string().contains("--allow-out-of-order"), "{err}");
        let versions: Vec<i64> = select_run(&files, &applied, None, true)
            .expect("allowed")
            .iter()
            .map(|f| f.version)
            .collect();
        assert_eq!(versions, vec![2, 4]);
        // Newer pending ones alone are the normal case.
        assert!(select_run(&files, &[row(1, "a")], None, false).is_ok());
    }

    #[test]
    fn revert_takes_latest_first_by_steps_or_target() {
        let files = [file(1, "a"), file(2, "b"), file(3, "c"), file(4, "d")];
        let applied = [row(1, "a"), row(2, "b"), row(3, "c")];
        let versions = |v: Vec<&MigrationFile>| v.iter().map(|f| f.version).collect::<Vec<_>>();
        assert_eq!(
            versions(select_revert(&files, &applied, RevertScope::Steps(1)).unwrap()),
            vec![3]
        );
        assert_eq!(
            versions(select_revert(&files, &applied, RevertScope::Steps(10)).unwrap()),
            vec![3, 2, 1]
        );
        assert_eq!(
            versions(select_revert(&files, &applied, RevertScope::Target(1)).unwrap()),
            vec![3, 2]
        );
        assert_eq!(
            versions(select_revert(&files, &applied, RevertScope::Target(0)).unwrap()),
            vec![3, 2, 1]
        );
        assert_eq!(
            select_revert(&files, &applied, RevertScope::Target(7)),
            Err(SelectError::UnknownTarget(7))
        );
    }

    #[test]
    fn revert_refuses_simple_migrations_before_running_anything() {
        let mut simple = file(2, "b");
        simple.simple = true;
        simple.down = None;
        let files = [file(1, "a"), simple];
        let applied = [row(1, "a"), row(2, "b")];
        let err = select_revert(&files, &applied, RevertScope::Steps(2)).expect_err("simple");
        assert!(matches!(err, SelectError::Irreversible(_)), "{err}");
        assert!(err.to_string().contains("cannot be reverted"));
    }
}
