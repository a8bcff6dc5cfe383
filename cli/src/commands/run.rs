//! `strata run`: apply pending migrations.
use super::{load_migrations, Ctx};
use crate::{LockArgs, Outcome};
use strata_core::migrate::{runner, Done, Event, RunOptions};

pub struct Options {
    pub dry_run: bool,
    pub target: Option<i64>,
    pub allow_out_of_order: bool,
    pub lock: LockArgs,
}

pub async fn run(ctx: &Ctx<'_>, options: &Options) -> anyhow::Result<Outcome> {
    let files = load_migrations(ctx)?;
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
