//! `strata revert`: undo the latest applied migration(s) with their down files.
use super::run::{done_json, existing_migrations, plural};
use super::Ctx;
use crate::{LockArgs, Outcome};
use strata_core::migrate::{runner, Event, RevertOptions, RevertScope};

pub async fn revert(
    ctx: &Ctx<'_>,
    steps: Option<usize>,
    target: Option<i64>,
    dry_run: bool,
    lock: LockArgs,
) -> anyhow::Result<Outcome> {
    let scope = match (steps, target) {
        (_, Some(t)) => RevertScope::Target(t),
        (Some(n), None) => RevertScope::Steps(n),
        (None, None) => RevertScope::Steps(1),
    };
    let options = RevertOptions {
        scope,
        lock_wait: ctx.lock_wait(&lock),
        timeouts: ctx.settings.run.timeout_settings(),
    };
    let files = existing_migrations(ctx, serde_json::json!({ "reverted": [] }))?;
    let mut conn = ctx.connect().await?;
    let out = ctx.out;
    if dry_run {
        let todo = match runner::plan_revert(&mut conn, &files, &options).await {
            Ok(todo) => todo,
            Err(e) => {
                ctx.json_error(serde_json::json!({ "dry_run": true }), &e)?;
                return Err(e.into());
            }
        };
        if todo.is_empty() {
            out.info("Nothing to revert.");
        }
        let mut planned = Vec::new();
        for m in &todo {
            // `plan_revert` only returns migrations that have a down file.
            let Some(down) = &m.down else { continue };
            out.info(&format!("Would revert {}", down.path.display()));
            out.result(down.sql.trim_end());
            out.result("");
            planned.push(serde_json::json!({
                "version": m.version,
                "description": m.description,
                "file": down.path,
                "no_transaction": down.no_transaction,
                "sql": down.sql,
            }));
        }
        out.json(&serde_json::json!({ "dry_run": true, "would_revert": planned }))?;
        return Ok(Outcome::Done);
    }

    let lock_conn = ctx.connect_lock().await?;
    let mut reverted = Vec::new();
    let mut on_event = |e: Event<'_>| {
        ctx.report_wait(&e);
        if let Event::Done(d) = e {
            out.info(&format!("Reverted {}", d.file.display()));
            out.verbose(&format!("  in {:.1?}", d.elapsed));
            reverted.push(d.clone());
        }
    };
    let done = match runner::revert(&mut conn, lock_conn, &files, &options, &mut on_event).await {
        Ok(done) => done,
        Err(e) => {
            if !reverted.is_empty() {
                out.info(&format!(
                    "{} reverted before the error.",
                    plural(reverted.len(), "migration")
                ));
            }
            ctx.json_error(serde_json::json!({ "reverted": done_json(&reverted) }), &e)?;
            return Err(e.into());
        }
    };
    if done.is_empty() {
        out.info("Nothing to revert.");
    } else {
        out.info(&format!("{} reverted.", plural(done.len(), "migration")));
    }
    out.json(&serde_json::json!({ "reverted": done_json(&done) }))?;
    Ok(Outcome::Done)
}
