//! `strata run`: apply pending migrations.
use super::Ctx;
use crate::{LockArgs, Outcome};
use strata_core::migrate::{
    load_existing_dir, runner, Done, Event, MigrateError, MigrationFile, RunOptions,
};

pub struct Options {
    pub dry_run: bool,
    pub target: Option<i64>,
    pub allow_out_of_order: bool,
    pub lock: LockArgs,
}

pub async fn run(ctx: &Ctx<'_>, options: &Options) -> anyhow::Result<Outcome> {
    let files = existing_migrations(ctx, serde_json::json!({ "applied": [] }))?;
    let run_options = RunOptions {
        target: options.target,
        allow_out_of_order: options.allow_out_of_order,
        lock_wait: ctx.lock_wait(&options.lock),
        timeouts: ctx.settings.run.timeout_settings(),
    };
    let mut conn = ctx.connect().await?;
    let out = ctx.out;
    if options.dry_run {
        let todo = match runner::plan_run(&mut conn, &files, &run_options).await {
            Ok(todo) => todo,
            Err(e) => {
                ctx.json_error(serde_json::json!({ "dry_run": true }), &e)?;
                return Err(e.into());
            }
        };
        if todo.is_empty() {
            out.info("No pending migrations.");
        }
        for m in &todo {
            out.info(&format!("Would apply {}", m.up.path.display()));
            out.result(m.up.sql.trim_end());
            out.result("");
        }
        out.json(&serde_json::json!({
            "dry_run": true,
            "would_apply": todo.iter().map(|m| serde_json::json!({
                "version": m.version,
                "description": m.description,
                "file": m.up.path,
                "no_transaction": m.up.no_transaction,
                "sql": m.up.sql,
            })).collect::<Vec<_>>(),
        }))?;
        return Ok(Outcome::Done);
    }

    let lock_conn = ctx.connect_lock().await?;
    let mut applied = Vec::new();
    let mut on_event = |e: Event<'_>| {
        ctx.report_wait(&e);
        if let Event::Done(d) = e {
            out.info(&format!("Applied {}", d.file.display()));
            out.verbose(&format!("  in {:.1?}", d.elapsed));
            applied.push(d.clone());
        }
    };
    let result = runner::run(&mut conn, lock_conn, &files, &run_options, &mut on_event).await;
    let done = match result {
        Ok(done) => done,
        Err(e) => {
            if !applied.is_empty() {
                out.info(&format!(
                    "{} applied before the error.",
                    plural(applied.len(), "migration")
                ));
            }
            ctx.json_error(serde_json::json!({ "applied": done_json(&applied) }), &e)?;
            return Err(e.into());
        }
    };
    if done.is_empty() {
        out.info("No pending migrations.");
    } else {
        out.info(&format!("{} applied.", plural(done.len(), "migration")));
    }
    out.json(&serde_json::json!({ "applied": done_json(&done) }))?;
    Ok(Outcome::Done)
}

/// The migrations of the folder, for a command that reads them only (`run`, `revert`,
/// `status`, `verify`, `drift`): a folder that does not exist is an error (exit 2), not
/// "nothing to do", so that a mistyped `--migrations` fails a deploy or a CI job. With
/// `--json`, `document` is printed with the error, as the command's other errors are.
pub(super) fn existing_migrations(
    ctx: &Ctx<'_>,
    document: serde_json::Value,
) -> anyhow::Result<Vec<MigrationFile>> {
    match load_existing_dir(&ctx.settings.migrations) {
        Ok(files) => Ok(files),
        Err(e) => {
            let e = MigrateError::Files(e);
            ctx.json_error(document, &e)?;
            Err(e.into())
        }
    }
}

/// With `--json`, an error is a JSON document too: `document` with `error` (`kind` and
/// `message`, as [`Ctx::json_error`] gives them for the runner's errors; `kind` is
/// `error` for the others).
pub(super) fn json_error_any(
    ctx: &Ctx<'_>,
    mut document: serde_json::Value,
    e: &anyhow::Error,
) -> anyhow::Result<()> {
    if !ctx.out.is_json() {
        return Ok(());
    }
    if let Some(m) = e.downcast_ref::<MigrateError>() {
        return ctx.json_error(document, m);
    }
    document["error"] = serde_json::json!({
        "kind": "error",
        "message": ctx.redactor.redact(&format!("{e:#}")),
    });
    ctx.out.json(&document)
}

pub fn done_json(done: &[Done]) -> Vec<serde_json::Value> {
    done.iter()
        .map(|d| {
            serde_json::json!({
                "version": d.version,
                "description": d.description,
                "file": d.file,
                "execution_time_ns": u64::try_from(d.elapsed.as_nanos()).unwrap_or(u64::MAX),
            })
        })
        .collect()
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
