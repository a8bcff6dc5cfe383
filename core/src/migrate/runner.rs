//! Runs and reverts migration files against a database.
//!
//! Each migration runs in its own transaction together with its history row, so a
//! failure leaves neither its changes nor a record. Statements go one at a time so that
//! a failure names the statement and its line, whether or not PostgreSQL gives a
//! position.
use super::files::{MigrationFile, SqlFile};
use super::history::{self, AppliedMigration};
use super::split::{char_position_to_byte, line_of, split, Statement};
use super::state::{select_revert, select_run, status, RevertScope, StatusEntry};
use super::MigrateError;
use sqlx::postgres::{PgDatabaseError, PgErrorPosition};
use sqlx::{Connection, Executor, PgConnection};
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// A migration that ran (or was reverted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub version: i64,
    pub description: String,
    /// The file that ran: the up file for `run`, the down file for `revert`.
    pub file: PathBuf,
    pub elapsed: Duration,
}

/// Every migration with its state. Read-only: never creates the history table.
pub async fn status_of(
    conn: &mut PgConnection,
    files: &[MigrationFile],
) -> Result<Vec<StatusEntry>, MigrateError> {
    let applied = history::list(conn).await?;
    Ok(status(files, &applied))
}

/// What `run` would apply, in order; read-only (`--dry-run`).
pub async fn plan_run<'a>(
    conn: &mut PgConnection,
    files: &'a [MigrationFile],
    target: Option<i64>,
) -> Result<Vec<&'a MigrationFile>, MigrateError> {
    let applied = history::list(conn).await?;
    Ok(select_run(files, &applied, target)?)
}

/// What `revert` would undo, latest first; read-only (`--dry-run`).
pub async fn plan_revert<'a>(
    conn: &mut PgConnection,
    files: &'a [MigrationFile],
    scope: RevertScope,
) -> Result<Vec<&'a MigrationFile>, MigrateError> {
    let applied = history::list(conn).await?;
    Ok(select_revert(files, &applied, scope)?)
}

/// Applies pending migrations up to `target`, calling `on_done` after each one commits
/// (so a caller can report progress before a later one fails).
pub async fn run(
    conn: &mut PgConnection,
    files: &[MigrationFile],
    target: Option<i64>,
    on_done: &mut dyn FnMut(&Done),
) -> Result<Vec<Done>, MigrateError> {
    // sqlx's advisory lock: strata and sqlx never migrate one database at the same time.
    history::lock(&mut *conn).await?;
    let result = run_locked(&mut *conn, files, target, on_done).await;
    // Released whatever happened; the migration's own error matters more than this one.
    let unlocked = history::unlock(conn).await;
    let done = result?;
    unlocked?;
    Ok(done)
}

async fn run_locked(
    conn: &mut PgConnection,
    files: &[MigrationFile],
    target: Option<i64>,
    on_done: &mut dyn FnMut(&Done),
) -> Result<Vec<Done>, MigrateError> {
    history::ensure(&mut *conn).await?;
    let applied = history::list(&mut *conn).await?;
    let todo = select_run(files, &applied, target)?;
    let mut done = Vec::new();
    for m in todo {
        let elapsed = execute(&mut *conn, m, Direction::Up).await?;
        let d = Done {
            version: m.version,
            description: m.description.clone(),
            file: m.up.path.clone(),
            elapsed,
        };
        on_done(&d);
        done.push(d);
    }
    Ok(done)
}

/// Reverts applied migrations (latest first) with their down files.
pub async fn revert(
    conn: &mut PgConnection,
    files: &[MigrationFile],
    scope: RevertScope,
    on_done: &mut dyn FnMut(&Done),
) -> Result<Vec<Done>, MigrateError> {
    history::lock(&mut *conn).await?;
    let result = revert_locked(&mut *conn, files, scope, on_done).await;
    let unlocked = history::unlock(conn).await;
    let done = result?;
    unlocked?;
    Ok(done)
}

async fn revert_locked(
    conn: &mut PgConnection,
    files: &[MigrationFile],
    scope: RevertScope,
    on_done: &mut dyn FnMut(&Done),
) -> Result<Vec<Done>, MigrateError> {
    let applied: Vec<AppliedMigration> = history::list(&mut *conn).await?;
    let todo = select_revert(files, &applied, scope)?;
    let mut done = Vec::new();
    for m in todo {
        let elapsed = execute(&mut *conn, m, Direction::Down).await?;
        let d = Done {
            version: m.version,
            description: m.description.clone(),
            file: m.down.as_ref().map(|d| d.path.clone()).unwrap_or_default(),
            elapsed,
        };
        on_done(&d);
        done.push(d);
    }
    Ok(done)
}

/// Runs one migration's file and its history change; returns how long it took.
async fn execute(
    conn: &mut PgConnection,
    m: &MigrationFile,
    direction: Direction,
) -> Result<Duration, MigrateError> {
    let file: &SqlFile = match direction {
        Direction::Up => &m.up,
        // `select_revert` only returns migrations with a down file.
        Direction::Down => m.down.as_ref().ok_or_else(|| {
            MigrateError::Select(super::state::SelectError::DownMissing {
                version: m.version,
                expected: m.up.path.with_extension("down.sql"),
            })
        })?,
    };
    let statements = split(&file.sql);
    let start = Instant::now();
    if file.no_transaction {
        run_statements(&mut *conn, m, file, &statements, direction, false).await?;
        let elapsed = start.elapsed();
        record(&mut *conn, m, direction, elapsed).await?;
        return Ok(elapsed);
    }
    let mut tx = conn.begin().await?;
    if let Err(e) = run_statements(&mut tx, m, file, &statements, direction, true).await {
        // Roll back now rather than on drop, so the connection is clean for the caller.
        tx.rollback().await?;
        return Err(e);
    }
    let elapsed = start.elapsed();
    record(&mut tx, m, direction, elapsed).await?;
    tx.commit().await?;
    Ok(elapsed)
}

async fn record(
    conn: &mut PgConnection,
    m: &MigrationFile,
    direction: Direction,
    elapsed: Duration,
) -> Result<(), MigrateError> {
    match direction {
        Direction::Up => {
            // Nanoseconds, as sqlx records it; saturates after 292 years.
            let nanos = i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX);
            history::record(conn, m.version, &m.description, &m.checksum, nanos).await?
        }
        Direction::Down => history::forget(conn, m.version).await?,
    }
    Ok(())
}

async fn run_statements(
    conn: &mut PgConnection,
    m: &MigrationFile,
    file: &SqlFile,
    statements: &[Statement<'_>],
    direction: Direction,
    in_transaction: bool,
) -> Result<(), MigrateError> {
    for stmt in statements {
        if let Err(e) = conn.execute(stmt.sql).await {
            return Err(MigrateError::Failed(Box::new(MigrationFailure::new(
                m,
                file,
                stmt,
                &e,
                direction,
                in_transaction,
            ))));
        }
    }
    Ok(())
}

/// A migration whose SQL failed: which file, which statement, where, and what
/// PostgreSQL said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFailure {
    pub version: i64,
    pub direction: Direction,
    pub file: PathBuf,
    pub statement: String,
    /// 1-based line of the statement's first token in the file.
    pub statement_line: usize,
    /// Where PostgreSQL points, in the file: (line, column), both 1-based.
    pub error_at: Option<(usize, usize)>,
    pub message: String,
    pub code: Option<String>,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// PostgreSQL's context (e.g. the PL/pgSQL line inside a function).
    pub context: Option<String>,
    /// False for a `-- no-transaction` file: earlier statements stay applied.
    pub rolled_back: bool,
}

impl MigrationFailure {
    fn new(
        m: &MigrationFile,
        file: &SqlFile,
        stmt: &Statement<'_>,
        error: &sqlx::Error,
        direction: Direction,
        in_transaction: bool,
    ) -> MigrationFailure {
        let pg = error
            .as_database_error()
            .and_then(|d| d.try_downcast_ref::<PgDatabaseError>());
        let error_at = pg.and_then(|pg| match pg.position() {
            Some(PgErrorPosition::Original(pos)) => {
                let byte = stmt.offset + char_position_to_byte(stmt.sql, pos);
                let line = line_of(&file.sql, byte);
                let line_start = file.sql[..byte].rfind('\n').map_or(0, |i| i + 1);
                let column = file.sql[line_start..byte].chars().count() + 1;
                Some((line, column))
            }
            _ => None,
        });
        let mut context = pg.and_then(|pg| pg.r#where().map(str::to_string));
        if let Some(PgErrorPosition::Internal { query, .. }) = pg.and_then(|pg| pg.position()) {
            let internal = format!("in the internal query: {query}");
            context = Some(match context {
                Some(c) => format!("{c}\n{internal}"),
                None => internal,
            });
        }
        MigrationFailure {
            version: m.version,
            direction,
            file: file.path.clone(),
            statement: stmt.sql.to_string(),
            statement_line: line_of(&file.sql, stmt.offset),
            error_at,
            message: pg.map_or_else(|| error.to_string(), |pg| pg.message().to_string()),
            code: pg.map(|pg| pg.code().to_string()),
            detail: pg.and_then(|pg| pg.detail().map(str::to_string)),
            hint: pg.and_then(|pg| pg.hint().map(str::to_string)),
            context,
            rolled_back: in_transaction,
        }
    }
}

/// Statements longer than this are shown around the error only.
const MAX_SHOWN_LINES: usize = 12;

impl fmt::Display for MigrationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, column) = self.error_at.unwrap_or((self.statement_line, 0));
        write!(
            f,
            "migration {} failed: {}",
            self.file.display(),
            self.message
        )?;
        if let Some(code) = &self.code {
            write!(f, " (SQLSTATE {code})")?;
        }
        if column > 0 {
            write!(f, "\n  --> {}:{line}:{column}", self.file.display())?;
        } else {
            write!(f, "\n  --> {}:{line}", self.file.display())?;
        }
        writeln!(f, "\n  statement at line {}:", self.statement_line)?;

        let lines: Vec<&str> = self.statement.lines().collect();
        let last = self.statement_line + lines.len().saturating_sub(1);
        let width = last.to_string().len();
        // Show the lines around the error when the statement is long.
        let first_shown = if lines.len() > MAX_SHOWN_LINES {
            line.saturating_sub(MAX_SHOWN_LINES / 2)
                .max(self.statement_line)
        } else {
            self.statement_line
        };
        for (i, text) in lines.iter().enumerate() {
            let n = self.statement_line + i;
            if n < first_shown || n >= first_shown + MAX_SHOWN_LINES {
                continue;
            }
            writeln!(f, "  {n:>width$} | {text}")?;
            if column > 0 && n == line {
                writeln!(f, "  {:>width$} | {}^", "", " ".repeat(column - 1))?;
            }
        }
        if let Some(detail) = &self.detail {
            writeln!(f, "  detail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            writeln!(f, "  hint: {hint}")?;
        }
        if let Some(context) = &self.context {
            writeln!(f, "  context: {context}")?;
        }
        let verb = match self.direction {
            Direction::Up => "strata run",
            Direction::Down => "strata revert",
        };
        if self.rolled_back {
            write!(
                f,
                "  It ran in a transaction that was rolled back: nothing of migration {} \
                 remains. Fix the file, then `{verb}` again.",
                self.version
            )
        } else {
            write!(
                f,
                "  It ran outside a transaction (-- no-transaction): statements before the \
                 failing one stay applied and it is not recorded as applied. Repair the \
                 database by hand, then `{verb}` again."
            )
        }
    }
}
