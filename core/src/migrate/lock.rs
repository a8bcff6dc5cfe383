//! The migration lock: one runner at a time per database.
//!
//! Two session-level advisory locks, taken in this order:
//!
//! 1. sqlx's key (`history::lock_id`) on a *dedicated* connection, so strata and
//!    `sqlx::migrate!()` in the app exclude each other. Being dedicated, it outlives a
//!    migration connection that PostgreSQL terminates, so the runner can still record
//!    the failure before another runner goes in.
//! 2. strata's own key (two-int form, a key space sqlx's bigint key can never collide
//!    with) on the migration connection itself. When a runner is killed, its lock
//!    connection goes away at once, but its migration connection's backend may still be
//!    finishing a statement or a COMMIT. That backend keeps lock 2 until it ends, so the
//!    next runner waits for it instead of reading a history that is about to change.
//!
//! Both are polled with `pg_try_advisory_lock` rather than blocked on, so that the wait
//! has a deadline and the user is told who holds the lock while they wait.
use super::history::lock_id;
use super::MigrateError;
use sqlx::{Connection, PgConnection};
use std::fmt;
use std::time::{Duration, Instant};

/// How often a waiting runner asks again.
const POLL: Duration = Duration::from_millis(100);

/// strata's key for lock 2: `('STRA', crc32(database))`.
const STRATA_CLASS: i32 = 0x5354_5241;

/// A backend holding a lock we wait for, from `pg_stat_activity`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Holder {
    pub pid: i32,
    pub application_name: String,
    pub client: Option<String>,
    /// `active`, `idle`, `idle in transaction`, ...
    pub state: Option<String>,
    /// How long its backend has been connected, in whole seconds.
    pub connected_for_s: Option<i64>,
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {}", self.pid)?;
        let mut parts = Vec::new();
        if !self.application_name.is_empty() {
            parts.push(self.application_name.clone());
        }
        if let Some(c) = &self.client {
            parts.push(format!("from {c}"));
        }
        if let Some(s) = &self.state {
            parts.push(s.clone());
        }
        if let Some(s) = self.connected_for_s {
            parts.push(format!("connected {s}s ago"));
        }
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        Ok(())
    }
}

/// Which of the two locks is being waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockKind {
    /// Another runner (strata or sqlx) is migrating.
    Migration,
    /// The connection of a runner that was stopped is still finishing its work.
    Session,
}

/// Reported once when a runner starts waiting.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Waiting {
    pub database: String,
    pub kind: LockKind,
    pub holder: Option<Holder>,
    pub timeout: Duration,
}

impl fmt::Display for Waiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            LockKind::Migration => "the migration lock",
            LockKind::Session => "the connection of an earlier, interrupted run to finish",
        };
        write!(f, "waiting for {what} on database {}", self.database)?;
        if let Some(h) = &self.holder {
            write!(f, ", held by {h}")?;
        }
        write!(
            f,
            "; giving up after {} (--lock-timeout)",
            super::duration::format(self.timeout)
        )
    }
}

/// A wait for a lock that reached its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedOut {
    pub database: String,
    pub kind: LockKind,
    pub waited: Duration,
    pub holder: Option<Holder>,
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waited = super::duration::format(self.waited);
        let database = &self.database;
        let held_by = self
            .holder
            .as_ref()
            .map_or_else(String::new, |h| format!(", held by {h}"));
        let pid = self
            .holder
            .as_ref()
            .map_or_else(|| "PID".to_string(), |h| h.pid.to_string());
        match self.kind {
            LockKind::Migration => write!(
                f,
                "gave up after {waited} waiting for the migration lock on database {database}\
                 {held_by}; nothing was run.\n  Another `strata run`/`revert` or sqlx migrator \
                 is working on this database: wait for it and try again, or allow a longer wait \
                 with --lock-timeout. If it is stuck, `SELECT pg_terminate_backend({pid})` ends it."
            ),
            LockKind::Session => write!(
                f,
                "gave up after {waited} waiting for the connection of an earlier, interrupted \
                 run on database {database} to finish{held_by}; nothing was run.\n  Its last \
                 statement is still running or rolling back: wait for it, or end it with \
                 `SELECT pg_terminate_backend({pid})`."
            ),
        }
    }
}

/// Lock 1, held on its own connection until [`MigrationLock::release`].
pub struct MigrationLock {
    conn: PgConnection,
    key: i64,
    database: String,
}

impl MigrationLock {
    /// Takes lock 1 on `conn` (which becomes the lock's), waiting up to `timeout`.
    pub async fn acquire(
        mut conn: PgConnection,
        timeout: Duration,
        on_wait: &mut dyn FnMut(&Waiting),
    ) -> Result<MigrationLock, MigrateError> {
        let database = current_database(&mut conn).await?;
        let key = lock_id(&database);
        let target = Target::Sqlx(key);
        let deadline = Deadline {
            left: timeout,
            shown: timeout,
        };
        let kind = LockKind::Migration;
        poll(&mut conn, target, &database, kind, deadline, on_wait).await?;
        Ok(MigrationLock {
            conn,
            key,
            database,
        })
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    /// The lock's own connection: never in a transaction, so what is written on it
    /// (a failure record) commits even when the migration connection is gone.
    pub fn connection(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    /// Releases the lock and closes its connection. Closing alone would release it
    /// too (the lock belongs to the session); unlocking first makes it immediate.
    pub async fn release(mut self) -> Result<(), sqlx::Error> {
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(self.key)
            .execute(&mut self.conn)
            .await
            .map(|_| ());
        let closed = self.conn.close().await;
        unlocked.and(closed)
    }
}

/// Takes lock 2 on the migration connection, waiting up to `left` of the `timeout`
/// that the user gave (which is what messages show).
pub async fn acquire_session(
    conn: &mut PgConnection,
    database: &str,
    left: Duration,
    timeout: Duration,
    on_wait: &mut dyn FnMut(&Waiting),
) -> Result<(), MigrateError> {
    let target = Target::Strata(session_key(database));
    let deadline = Deadline {
        left,
        shown: timeout,
    };
    poll(conn, target, database, LockKind::Session, deadline, on_wait).await
}

/// How long a wait may still last, and the limit the user set, for messages.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    left: Duration,
    shown: Duration,
}

/// Releases lock 2. A connection PostgreSQL terminated has lost the lock already, so
/// an error here only means there was nothing left to release.
pub async fn release_session(conn: &mut PgConnection, database: &str) {
    let _ = sqlx::query("SELECT pg_advisory_unlock($1, $2)")
        .bind(STRATA_CLASS)
        .bind(session_key(database))
        .execute(conn)
        .await;
}

/// The two-int advisory key of lock 2 for `database`, for tools and tests that look
/// for it in `pg_locks`.
pub fn session_lock_key(database: &str) -> (i32, i32) {
    (STRATA_CLASS, session_key(database))
}

fn session_key(database: &str) -> i32 {
    // The bits of crc32, reinterpreted: the two-int form takes signed int4s.
    super::history::crc32(database.as_bytes()) as i32
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Sqlx(i64),
    Strata(i32),
}

async fn poll(
    conn: &mut PgConnection,
    target: Target,
    database: &str,
    kind: LockKind,
    deadline: Deadline,
    on_wait: &mut dyn FnMut(&Waiting),
) -> Result<(), MigrateError> {
    let Deadline {
        left: timeout,
        shown,
    } = deadline;
    let start = Instant::now();
    let mut reported = false;
    loop {
        if try_lock(conn, target).await? {
            return Ok(());
        }
        let holder = holder(conn, target).await?;
        if start.elapsed() >= timeout {
            return Err(MigrateError::LockTimeout(Box::new(TimedOut {
                database: database.to_string(),
                kind,
                waited: shown,
                holder,
            })));
        }
        if !reported {
            reported = true;
            on_wait(&Waiting {
                database: database.to_string(),
                kind,
                holder,
                timeout: shown,
            });
        }
        tokio::time::sleep(POLL.min(timeout.saturating_sub(start.elapsed()))).await;
    }
}

async fn try_lock(conn: &mut PgConnection, target: Target) -> Result<bool, sqlx::Error> {
    match target {
        Target::Sqlx(key) => {
            sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key)
                .fetch_one(conn)
                .await
        }
        Target::Strata(key) => {
            sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
                .bind(STRATA_CLASS)
                .bind(key)
                .fetch_one(conn)
                .await
        }
    }
}

/// Who holds the lock, for the message. In `pg_locks` a bigint key is
/// `(classid << 32 | objid, objsubid = 1)` and a two-int key `(classid, objid, 2)`.
async fn holder(conn: &mut PgConnection, target: Target) -> Result<Option<Holder>, sqlx::Error> {
    let (class, obj, subid): (i64, i64, i16) = match target {
        Target::Sqlx(key) => (key >> 32 & 0xffff_ffff, key & 0xffff_ffff, 1),
        Target::Strata(key) => (i64::from(STRATA_CLASS as u32), i64::from(key as u32), 2),
    };
    type Row = (i32, String, Option<String>, Option<String>, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT a.pid, coalesce(a.application_name, ''), host(a.client_addr), a.state, \
                extract(epoch FROM now() - a.backend_start)::bigint \
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
          WHERE l.locktype = 'advisory' AND l.granted AND l.database = \
                (SELECT oid FROM pg_database WHERE datname = current_database()) \
            AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = $3 \
          LIMIT 1",
    )
    .bind(class)
    .bind(obj)
    .bind(subid)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(
        |(pid, application_name, client, state, connected_for_s)| Holder {
            pid,
            application_name,
            client,
            state,
            connected_for_s,
        },
    ))
}

async fn current_database(conn: &mut PgConnection) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT current_database()")
        .fetch_one(conn)
        .await
}
