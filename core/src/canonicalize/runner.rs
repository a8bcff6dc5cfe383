//! Many DDL statements in one round trip, each under its own savepoint.
//!
//! A temporary PL/pgSQL function takes the statements as one `text[]` parameter and
//! runs each in a `BEGIN ... EXCEPTION` block — a savepoint per statement, on the
//! server — returning the position, SQLSTATE and message of every statement that
//! failed. So a batch of temporary tables, checks and indexes costs one round trip,
//! and a bad fragment is named precisely without probing statement by statement.
//!
//! The statements travel as a bound parameter, not spliced into a script: a fragment
//! cannot end the statement list early, and `COMMIT` / `ROLLBACK` smuggled into one is
//! refused inside a function. Whatever a fragment does is undone with the transaction.
//! (PL/pgSQL is installed in every database unless someone dropped it.)

use sqlx::{PgConnection, Row};

/// `pg_temp`: it vanishes with the session, and here with the transaction already.
const INSTALL: &str = "
CREATE OR REPLACE FUNCTION pg_temp.strata_canon_run(statements text[])
RETURNS TABLE (failed_no int, failed_code text, failed_reason text)
LANGUAGE plpgsql AS $strata$
BEGIN
    FOR i IN 1 .. coalesce(array_length(statements, 1), 0) LOOP
        BEGIN
            EXECUTE statements[i];
        EXCEPTION WHEN OTHERS THEN
            failed_no := i;
            failed_code := SQLSTATE;
            failed_reason := SQLERRM;
            RETURN NEXT;
        END;
    END LOOP;
END
$strata$";

const RUN: &str = "SELECT failed_no, failed_code, failed_reason FROM pg_temp.strata_canon_run($1)";

/// A statement PostgreSQL refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    /// Its index in the slice given to [`run`].
    pub index: usize,
    pub code: String,
    pub message: String,
}

/// Creates the function inside the current transaction (so it is rolled back too).
pub(super) async fn install(tx: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query(INSTALL)
        .persistent(false)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Runs `statements` in order, one round trip; the ones that failed, in order. A
/// failed statement leaves no trace; the others take effect.
pub(super) async fn run(
    tx: &mut PgConnection,
    statements: &[String],
) -> Result<Vec<Failure>, sqlx::Error> {
    if statements.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(RUN)
        .bind(statements)
        .fetch_all(&mut *tx)
        .await?;
    rows.iter()
        .map(|row| {
            let position: i32 = row.try_get("failed_no")?;
            let index = usize::try_from(position)
                .ok()
                .and_then(|p| p.checked_sub(1))
                .filter(|i| *i < statements.len())
                .ok_or_else(|| {
                    sqlx::Error::Protocol(format!("statement position {position} out of range"))
                })?;
            Ok(Failure {
                index,
                code: row.try_get("failed_code")?,
                message: row.try_get("failed_reason")?,
            })
        })
        .collect()
}
