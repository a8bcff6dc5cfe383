//! Runs and reverts migration files against a database.
//!
//! Every command that changes the history holds the migration lock (see `lock`) from
//! before it reads the history until after its last write. A transactional migration
//! runs in one transaction together with its history row, so a failure leaves neither
//! its changes nor a record. A `-- no-transaction` migration is recorded as failed
//! (`success = false`, sqlx's "dirty") *before* it runs and marked applied after, so a
//! failure or a kill part-way leaves a record that stops the next run until a person
//! says what state the database is in (`strata resolve`). Statements go one at a time
//! so that a failure names the statement and its line, whether or not PostgreSQL gives
//! a position.
use super::files::{MigrationFile, SqlFile, NO_TRANSACTION};
use super::header::{TimeoutSettings, Timeouts};
use super::history::{self, AppliedMigration};
use super::lock::{self, MigrationLock, Waiting};
use super::split::{char_position_to_byte, line_of, split, Statement};
use super::state::{select_revert, select_run, status, RevertScope, StatusEntry};
use super::MigrateError;
use sqlx::postgres::{PgDatabaseError, PgErrorPosition};
use sqlx::{Connection, Executor, PgConnection};
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
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

/// What a long-running command reports as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// Another runner holds the lock; reported once, when the wait starts.
    Waiting(&'a Waiting),
    /// A migration committed (or was reverted).
    Done(&'a Done),
}

/// How long `run` and `revert` wait for another runner's lock unless told otherwise.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(60);

/// How `run` behaves.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Apply up to and including this version.
    pub target: Option<i64>,
    /// Apply pending migrations older than the newest applied one instead of refusing.
    pub allow_out_of_order: bool,
    /// How long to wait for another runner's lock.
    pub lock_wait: Duration,
    pub timeouts: TimeoutSettings,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            target: None,
            allow_out_of_order: false,
            lock_wait: DEFAULT_LOCK_WAIT,
            timeouts: TimeoutSettings::default(),
        }
    }
}

/// How `revert` behaves.
#[derive(Debug, Clone)]
pub struct RevertOptions {
    pub scope: RevertScope,
    pub lock_wait: Duration,
    pub timeouts: TimeoutSettings,
}

impl RevertOptions {
    pub fn new(scope: RevertScope) -> RevertOptions {
        RevertOptions {
            scope,
            lock_wait: DEFAULT_LOCK_WAIT,
            timeouts: TimeoutSettings::default(),
        }
    }
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
    options: &RunOptions,
) -> Result<Vec<&'a MigrationFile>, MigrateError> {
    let applied = history::list(conn).await?;
    let todo = select_run(files, &applied, options.target, options.allow_out_of_order)?;
    check_headers(&todo, Direction::Up, &options.timeouts)?;
    Ok(todo)
}

/// What `revert` would undo, latest first; read-only (`--dry-run`).
pub async fn plan_revert<'a>(
    conn: &mut PgConnection,
    files: &'a [MigrationFile],
    options: &RevertOptions,
) -> Result<Vec<&'a MigrationFile>, MigrateError> {
    let applied = history::list(conn).await?;
    let todo = select_revert(files, &applied, options.scope)?;
    check_headers(&todo, Direction::Down, &options.timeouts)?;
    Ok(todo)
}

/// Takes both locks: the migration lock on `lock_conn`, then the session lock on `conn`.
pub(crate) async fn lock(
    conn: &mut PgConnection,
    lock_conn: PgConnection,
    wait: Duration,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<MigrationLock, MigrateError> {
    let start = Instant::now();
    let mut on_wait = |w: &Waiting| on_event(Event::Waiting(w));
    let lock = MigrationLock::acquire(lock_conn, wait, &mut on_wait).await?;
    let left = wait.saturating_sub(start.elapsed());
    let database = lock.database().to_string();
    if let Err(e) = lock::acquire_session(conn, &database, left, wait, &mut on_wait).await {
        // Released before the error is reported; a release error matters less.
        let _ = lock.release().await;
        return Err(e);
    }
    Ok(lock)
}

/// Releases both locks; `result` is the work done under them, and its error wins.
pub(crate) async fn unlock<T>(
    conn: &mut PgConnection,
    lock: MigrationLock,
    result: Result<T, MigrateError>,
) -> Result<T, MigrateError> {
    lock::release_session(conn, lock.database()).await;
    let released = lock.release().await;
    let value = result?;
    released?;
    Ok(value)
}

/// Applies pending migrations, reporting each as it commits (so a caller can show
/// progress before a later one fails). `lock_conn` is a second connection to the same
/// database that holds the migration lock.
pub async fn run(
    conn: &mut PgConnection,
    lock_conn: PgConnection,
    files: &[MigrationFile],
    options: &RunOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<Done>, MigrateError> {
    let mut lock = lock(conn, lock_conn, options.lock_wait, on_event).await?;
    let result = run_locked(conn, &mut lock, files, options, on_event).await;
    unlock(conn, lock, result).await
}

async fn run_locked(
    conn: &mut PgConnection,
    lock: &mut MigrationLock,
    files: &[MigrationFile],
    options: &RunOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<Done>, MigrateError> {
    // Under the lock: two runners creating it at once can collide in pg_type.
    history::ensure(&mut *conn).await?;
    let applied = history::list(&mut *conn).await?;
    let todo = select_run(files, &applied, options.target, options.allow_out_of_order)?;
    let timeouts = check_headers(&todo, Direction::Up, &options.timeouts)?;
    let mut done = Vec::new();
    for (m, t) in todo.into_iter().zip(timeouts) {
        let elapsed = execute(&mut *conn, lock, m, &m.up, Direction::Up, t).await?;
        let d = Done {
            version: m.version,
            description: m.description.clone(),
            file: m.up.path.clone(),
            elapsed,
        };
        on_event(Event::Done(&d));
        done.push(d);
    }
    Ok(done)
}

/// Reverts applied migrations (latest first) with their down files.
pub async fn revert(
    conn: &mut PgConnection,
    lock_conn: PgConnection,
    files: &[MigrationFile],
    options: &RevertOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<Done>, MigrateError> {
    let mut lock = lock(conn, lock_conn, options.lock_wait, on_event).await?;
    let result = revert_locked(conn, &mut lock, files, options, on_event).await;
    unlock(conn, lock, result).await
}

async fn revert_locked(
    conn: &mut PgConnection,
    lock: &mut MigrationLock,
    files: &[MigrationFile],
    options: &RevertOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<Done>, MigrateError> {
    let applied: Vec<AppliedMigration> = history::list(&mut *conn).await?;
    let todo = select_revert(files, &applied, options.scope)?;
    let timeouts = check_headers(&todo, Direction::Down, &options.timeouts)?;
    let mut done = Vec::new();
    for (m, t) in todo.into_iter().zip(timeouts) {
        let file = down_file(m)?;
        let elapsed = execute(&mut *conn, lock, m, file, Direction::Down, t).await?;
        let d = Done {
            version: m.version,
            description: m.description.clone(),
            file: file.path.clone(),
            elapsed,
        };
        on_event(Event::Done(&d));
        done.push(d);
    }
    Ok(done)
}

/// `select_revert` only returns migrations with a down file; this says so if not.
fn down_file(m: &MigrationFile) -> Result<&SqlFile, MigrateError> {
    m.down.as_ref().ok_or_else(|| {
        MigrateError::Select(super::state::SelectError::DownMissing {
            version: m.version,
            expected: m.up.path.with_extension("down.sql"),
        })
    })
}

/// Reads every header that will run, before anything runs: a typo in the last file
/// must not be found after the first ones were applied.
fn check_headers(
    todo: &[&MigrationFile],
    direction: Direction,
    settings: &TimeoutSettings,
) -> Result<Vec<Timeouts>, MigrateError> {
    let mut out = Vec::new();
    for m in todo {
        let file = match direction {
            Direction::Up => &m.up,
            Direction::Down => down_file(m)?,
        };
        out.push(settings.for_file(m, file).map_err(MigrateError::Header)?);
    }
    Ok(out)
}

/// Runs one migration file and its history change; returns how long it took.
async fn execute(
    conn: &mut PgConnection,
    lock: &mut MigrationLock,
    m: &MigrationFile,
    file: &SqlFile,
    direction: Direction,
    timeouts: Timeouts,
) -> Result<Duration, MigrateError> {
    let statements = split(&file.sql);
    if file.no_transaction {
        return execute_outside_transaction(conn, lock, m, file, &statements, direction, timeouts)
            .await;
    }
    let start = Instant::now();
    let mut tx = conn.begin().await?;
    for set in timeouts.set_statements(true) {
        tx.execute(set.as_str()).await?;
    }
    let fail = |stmt: &Statement<'_>, e: &sqlx::Error, after: AfterFailure| {
        MigrateError::Failed(Box::new(MigrationFailure::new(
            m, file, stmt, e, direction, timeouts, after,
        )))
    };
    for stmt in &statements {
        if let Err(e) = tx.execute(stmt.sql).await {
            // Roll back now rather than on drop, so the connection is clean for the
            // caller. A connection that was terminated has rolled back already: its
            // error is not worth more than the statement's.
            let _ = tx.rollback().await;
            return Err(fail(stmt, &e, AfterFailure::RolledBack));
        }
    }
    let elapsed = start.elapsed();
    if let Err(e) = record(&mut tx, m, direction, elapsed).await {
        let _ = tx.rollback().await;
        return Err(e);
    }
    if let Err(e) = tx.commit().await {
        // A deferred constraint fails here, and the transaction is rolled back. When
        // the connection was lost instead, the COMMIT may or may not have happened.
        let after = if e.as_database_error().is_some() {
            AfterFailure::RolledBack
        } else {
            AfterFailure::Unknown
        };
        let commit = Statement {
            sql: "COMMIT",
            offset: file.sql.trim_end().len(),
        };
        return Err(fail(&commit, &e, after));
    }
    Ok(elapsed)
}

/// A `-- no-transaction` file: dirty record first, statements, then the record made
/// clean (up: applied; down: forgotten).
async fn execute_outside_transaction(
    conn: &mut PgConnection,
    lock: &mut MigrationLock,
    m: &MigrationFile,
    file: &SqlFile,
    statements: &[Statement<'_>],
    direction: Direction,
    timeouts: Timeouts,
) -> Result<Duration, MigrateError> {
    match direction {
        Direction::Up => {
            history::record_started(&mut *conn, m.version, &m.description, &m.checksum).await?
        }
        Direction::Down => history::mark_failed(&mut *conn, m.version).await?,
    }
    let start = Instant::now();
    let mut result = Ok(());
    for set in timeouts.set_statements(false) {
        if let Err(e) = conn.execute(set.as_str()).await {
            result = Err(MigrateError::Database(e));
            break;
        }
    }
    if result.is_ok() {
        for (i, stmt) in statements.iter().enumerate() {
            if let Err(e) = conn.execute(stmt.sql).await {
                let completed = statements[..i]
                    .iter()
                    .map(|s| line_of(&file.sql, s.offset))
                    .collect();
                result = Err(MigrateError::Failed(Box::new(MigrationFailure::new(
                    m,
                    file,
                    stmt,
                    &e,
                    direction,
                    timeouts,
                    AfterFailure::RecordedAsFailed { completed },
                ))));
                break;
            }
        }
    }
    // The session's own settings come back for the next migration; a dead connection
    // has no session left to restore.
    for reset in timeouts.reset_statements() {
        let _ = conn.execute(reset.as_str()).await;
    }
    result?;
    let elapsed = start.elapsed();
    // The migration connection may have died right after the work was done; the lock's
    // connection can still make the record clean.
    if record_clean(&mut *conn, m, direction, elapsed)
        .await
        .is_err()
    {
        record_clean(lock.connection(), m, direction, elapsed).await?;
    }
    Ok(elapsed)
}

fn nanos(elapsed: Duration) -> i64 {
    // Nanoseconds, as sqlx records it; saturates after 292 years.
    i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX)
}

async fn record_clean(
    conn: &mut PgConnection,
    m: &MigrationFile,
    direction: Direction,
    elapsed: Duration,
) -> Result<(), sqlx::Error> {
    match direction {
        Direction::Up => {
            history::mark_succeeded(conn, m.version, &m.checksum, nanos(elapsed)).await
        }
        Direction::Down => history::forget(conn, m.version).await,
    }
}

async fn record(
    conn: &mut PgConnection,
    m: &MigrationFile,
    direction: Direction,
    elapsed: Duration,
) -> Result<(), MigrateError> {
    match direction {
        Direction::Up => {
            history::record(conn, m.version, &m.description, &m.checksum, nanos(elapsed)).await?
        }
        Direction::Down => history::forget(conn, m.version).await?,
    }
    Ok(())
}

/// What a failed migration left behind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum AfterFailure {
    /// Its transaction was rolled back: nothing of it remains, no record.
    RolledBack,
    /// It ran outside a transaction; the statements at these lines completed before
    /// the failing one, and the history records the migration as failed.
    RecordedAsFailed { completed: Vec<usize> },
    /// The connection was lost during COMMIT: it may or may not have been applied.
    Unknown,
}

/// A migration whose SQL failed: which file, which statement, where, what PostgreSQL
/// said, and what state the database is left in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
    /// The timeouts the migration ran with (`statement_timeout = 5s, ...`), if any.
    pub timeouts: Option<String>,
    pub after: AfterFailure,
}

impl MigrationFailure {
    fn new(
        m: &MigrationFile,
        file: &SqlFile,
        stmt: &Statement<'_>,
        error: &sqlx::Error,
        direction: Direction,
        timeouts: Timeouts,
        after: AfterFailure,
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
            timeouts: (!timeouts.is_empty()).then(|| timeouts.describe()),
            after,
        }
    }

    /// The state-of-the-database paragraph that ends the report.
    fn write_state(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.version;
        let verb = match self.direction {
            Direction::Up => "strata run",
            Direction::Down => "strata revert",
        };
        let completed = match &self.after {
            AfterFailure::RolledBack => {
                // A file that raises on purpose (strata's down files do, rather than
                // lose data) is not broken: its message says why it stopped.
                let next = if self.code.as_deref() == Some("P0001") {
                    "The file stopped itself (RAISE EXCEPTION): its message and hint above \
                     say why and what to do"
                        .to_string()
                } else {
                    format!("Fix the file, then `{verb}` again")
                };
                return match self.direction {
                    Direction::Up => write!(
                        f,
                        "  It ran in a transaction that was rolled back: the database is as it \
                         was before migration {v} and it is not recorded. {next}."
                    ),
                    // The down file's changes are gone: its up file's stay.
                    Direction::Down => write!(
                        f,
                        "  It ran in a transaction that was rolled back: nothing of the down \
                         file remains, so the database is as it was after migration {v} (its up \
                         file applied), which stays recorded as applied. {next}."
                    ),
                };
            }
            AfterFailure::Unknown => {
                return write!(
                    f,
                    "  The connection was lost during COMMIT: migration {v} may or may not have \
                     been {}. `strata status` shows whether it is recorded as applied; its \
                     changes are in the database exactly when it is.",
                    match self.direction {
                        Direction::Up => "applied",
                        Direction::Down => "reverted",
                    }
                )
            }
            AfterFailure::RecordedAsFailed { completed } => completed,
        };
        writeln!(
            f,
            "  It ran outside a transaction (-- no-transaction), so nothing was rolled back:"
        )?;
        if completed.is_empty() {
            writeln!(f, "    - no statement of the file had run before this one")?;
        } else {
            let lines: Vec<String> = completed.iter().map(usize::to_string).collect();
            writeln!(
                f,
                "    - the statements before it (at line {}) completed and stay applied",
                lines.join(", ")
            )?;
        }
        writeln!(
            f,
            "    - the statement at line {} did not complete",
            self.statement_line
        )?;
        if let Some(note) = self
            .may_leave_leftovers()
            .then(|| leftover_note(&self.statement))
            .flatten()
        {
            writeln!(f, "    - {note}")?;
        }
        let (applied, rolled_back) = match self.direction {
            Direction::Up => (
                "you completed its changes by hand",
                "none of its changes remain, or you undid them",
            ),
            Direction::Down => (
                "the database is back as after its up file",
                "you completed the down file by hand",
            ),
        };
        write!(
            f,
            "  Migration {v} is recorded as failed in _sqlx_migrations: `strata run`, `strata \
             revert` and sqlx refuse to go on until you look at the database and record what \
             state it is in:\n    strata resolve {v} --applied       # {applied}\n    \
             strata resolve {v} --rolled-back   # {rolled_back}"
        )
    }
}

impl MigrationFailure {
    /// Whether the failing statement may have done part of its work before it failed.
    /// A `CREATE INDEX CONCURRENTLY` that PostgreSQL refused before it began (a table
    /// or column that does not exist, a syntax error, an index name taken, no
    /// privilege, a transaction block around it) created nothing; one that failed
    /// while building (a duplicate key, a timeout, a cancel, a lost connection) leaves
    /// its INVALID index.
    fn may_leave_leftovers(&self) -> bool {
        let Some(code) = &self.code else {
            return true;
        };
        // 42: syntax error or access rule violation (undefined or duplicate objects,
        // privileges); 0A: feature not supported; 25: invalid transaction state;
        // 3F: invalid schema name; 3D: invalid catalog name.
        !["42", "0A", "25", "3F", "3D"]
            .iter()
            .any(|class| code.starts_with(class))
    }

    /// What strata adds to PostgreSQL's words, when it knows the way out.
    fn strata_hint(&self) -> Option<String> {
        // 25001 active_sql_transaction: `CREATE INDEX CONCURRENTLY`, `VACUUM`, `ALTER
        // TYPE ... ADD VALUE` before PostgreSQL 12, ... in a file run in a transaction.
        (self.code.as_deref() == Some("25001") && self.after == AfterFailure::RolledBack).then(
            || {
                format!(
                    "this statement cannot run in a transaction, and the file runs in one: \
                     make `{NO_TRANSACTION}` the file's first line, so that it runs outside one \
                     (sqlx reads the same marker). A failure there is not rolled back: keep \
                     such a statement in a file of its own"
                )
            },
        )
    }

    /// The failure as it reads when the file ran on a scratch database (`verify`, the
    /// proof of `generate`, a replay of the folder): the file (named `file`), the
    /// statement and its line, PostgreSQL's words, without the runner's advice about
    /// the history and re-running, which is for a real database.
    pub fn on_scratch(&self, file: &str) -> String {
        let mut text = format!(
            "  {file}, statement at line {}:\n    {}\n  PostgreSQL: {}",
            self.statement_line,
            self.statement.replace('\n', "\n    "),
            self.message
        );
        if let Some(code) = &self.code {
            text.push_str(&format!(" (SQLSTATE {code})"));
        }
        for (label, value) in [
            ("detail", &self.detail),
            ("hint", &self.hint),
            ("context", &self.context),
            ("hint", &self.strata_hint()),
        ] {
            if let Some(v) = value {
                text.push_str(&format!("\n  {label}: {v}"));
            }
        }
        text
    }
}

/// What PostgreSQL leaves behind when a statement that cannot run in a transaction
/// fails half-way.
fn leftover_note(statement: &str) -> Option<String> {
    let words: Vec<String> = statement
        .split_whitespace()
        .take(9)
        .map(str::to_ascii_uppercase)
        .collect();
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let rest = match w.as_slice() {
        ["CREATE", "INDEX", "CONCURRENTLY", rest @ ..]
        | ["CREATE", "UNIQUE", "INDEX", "CONCURRENTLY", rest @ ..] => rest,
        ["REINDEX", ..] if w.contains(&"CONCURRENTLY") => {
            return Some(
                "REINDEX CONCURRENTLY that fails leaves INVALID indexes named *_ccnew behind: \
                 drop them with DROP INDEX CONCURRENTLY before trying again"
                    .to_string(),
            )
        }
        _ => return None,
    };
    // The name as written (original case), unless it is left to PostgreSQL.
    let name_at = match rest {
        ["IF", "NOT", "EXISTS", ..] => 3,
        _ => 0,
    };
    let prefix = words.len() - rest.len();
    let name = statement
        .split_whitespace()
        .nth(prefix + name_at)
        .filter(|n| !n.eq_ignore_ascii_case("ON"));
    Some(match name {
        Some(name) => format!(
            "CREATE INDEX CONCURRENTLY that fails leaves an INVALID index behind: run \
             `DROP INDEX CONCURRENTLY IF EXISTS {name};` before trying again"
        ),
        None => "CREATE INDEX CONCURRENTLY that fails leaves an INVALID index behind \
                 (pg_index.indisvalid = false): drop it before trying again"
            .to_string(),
    })
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
        if let Some(hint) = self.strata_hint() {
            writeln!(f, "  hint: {hint}")?;
        }
        if let Some(timeouts) = &self.timeouts {
            writeln!(f, "  ran with: {timeouts}")?;
        }
        self.write_state(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftover_note_names_the_invalid_index() {
        let note =
            leftover_note("CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email)")
                .expect("a note");
        assert!(
            note.contains("DROP INDEX CONCURRENTLY IF EXISTS users_email_key;"),
            "{note}"
        );
        let note = leftover_note("create index concurrently if not exists \"Ix\" on t (a)")
            .expect("a note");
        assert!(note.contains("IF EXISTS \"Ix\";"), "{note}");
        let note = leftover_note("CREATE INDEX CONCURRENTLY ON t (a)").expect("a note");
        assert!(note.contains("indisvalid"), "{note}");
        assert!(leftover_note("REINDEX INDEX CONCURRENTLY i").is_some());
        assert_eq!(leftover_note("CREATE INDEX i ON t (a)"), None);
        assert_eq!(leftover_note("VACUUM t"), None);
    }

    fn failure(statement: &str, code: &str, after: AfterFailure) -> MigrationFailure {
        MigrationFailure {
            version: 2,
            direction: Direction::Up,
            file: PathBuf::from("migrations/2_idx.up.sql"),
            statement: statement.to_string(),
            statement_line: 2,
            error_at: None,
            message: "it failed".to_string(),
            code: Some(code.to_string()),
            detail: None,
            hint: None,
            context: None,
            timeouts: None,
            after,
        }
    }

    #[test]
    fn the_invalid_index_note_needs_a_build_that_began() {
        let cic = "CREATE INDEX CONCURRENTLY t_idx ON t (a)";
        let failed = AfterFailure::RecordedAsFailed { completed: vec![] };
        for (code, note) in [
            ("23505", true),  // a duplicate key while building
            ("57014", true),  // statement_timeout
            ("40P01", true),  // a deadlock
            ("42P01", false), // no such table: nothing was created
            ("42P07", false), // the name is taken: the index there is not ours to drop
            ("42601", false), // a syntax error
        ] {
            let text = failure(cic, code, failed.clone()).to_string();
            assert_eq!(
                text.contains("DROP INDEX CONCURRENTLY"),
                note,
                "{code}: {text}"
            );
        }
        let mut lost = failure(cic, "", failed);
        lost.code = None;
        assert!(lost.to_string().contains("DROP INDEX CONCURRENTLY"));
    }

    #[test]
    fn a_statement_refused_in_a_transaction_is_told_the_marker() {
        let cic = "CREATE INDEX CONCURRENTLY t_idx ON t (a)";
        let text = failure(cic, "25001", AfterFailure::RolledBack).to_string();
        assert!(
            text.contains("hint: this statement cannot run in a transaction")
                && text.contains("make `-- no-transaction` the file's first line"),
            "{text}"
        );
        let scratch = failure(cic, "25001", AfterFailure::RolledBack).on_scratch("2_idx.up.sql");
        assert!(scratch.contains("`-- no-transaction`"), "{scratch}");
        assert!(!scratch.contains("strata run"), "{scratch}");
        let other = failure(cic, "42P01", AfterFailure::RolledBack).to_string();
        assert!(!other.contains("no-transaction"), "{other}");
    }
}
