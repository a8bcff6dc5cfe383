//! `strata mark-applied`, `unmark` and `resolve`: the history changed by hand, under
//! the migration lock, without running any migration SQL.
use super::{load_migrations, Ctx};
use crate::{LockArgs, Outcome};
use strata_core::migrate::repair::{self, Change};
use strata_core::migrate::Repair;

pub async fn repair(
    ctx: &Ctx<'_>,
    version: i64,
    how: Repair,
    lock: LockArgs,
) -> anyhow::Result<Outcome> {
    let files = load_migrations(ctx)?;
    let mut conn = ctx.connect().await?;
    let lock_conn = ctx.connect_lock().await?;
    let wait = ctx.lock_wait(&lock);
    let mut on_event = |e: strata_core::migrate::Event<'_>| ctx.report_wait(&e);
    let change = match repair::repair(
        &mut conn,
        lock_conn,
        &files,
        version,
        how,
        wait,
        &mut on_event,
    )
    .await
    {
        Ok(change) => change,
        Err(e) => {
            ctx.json_error(serde_json::json!({ "version": version, "repair": how }), &e)?;
            return Err(e.into());
        }
    };
    let name = files
        .iter()
        .find(|f| f.version == version)
        .map_or_else(|| version.to_string(), |f| f.up.file_name());
    let (text, recorded) = match (&change, how) {
        (Change::Insert { .. }, _) => (
            format!("Recorded {name} as applied, without running it."),
            "applied",
        ),
        (Change::Succeed { .. }, _) => {
            (format!("Resolved {name}: recorded as applied."), "applied")
        }
        (Change::Delete { .. }, Repair::ResolveRolledBack) => (
            format!("Resolved {name}: its record is removed; `strata run` applies it again."),
            "not_recorded",
        ),
        (Change::Delete { .. }, _) => (
            format!("Removed the record of {name}, without running its down file."),
            "not_recorded",
        ),
    };
    ctx.out.info(&text);
    ctx.out.json(&serde_json::json!({
        "version": version,
        "repair": how,
        "now": recorded,
    }))?;
    Ok(Outcome::Done)
}
