//! `strata run`: apply pending migrations.
use super::{load_migrations, Ctx};
use crate::Outcome;
use strata_core::migrate::{runner, Done};

pub async fn run(ctx: &Ctx<'_>, dry_run: bool, target: Option<i64>) -> anyhow::Result<Outcome> {
    let files = load_migrations(ctx)?;
    let mut conn = ctx.connect().await?;
    let out = ctx.out;
    if dry_run {
        let todo = runner::plan_run(&mut conn, &files, target).await?;
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
                "sql": m.up.sql,
            })).collect::<Vec<_>>(),
        }))?;
        return Ok(Outcome::Done);
    }

    let mut report = |d: &Done| {
        out.info(&format!("Applied {}", d.file.display()));
        out.verbose(&format!("  in {:.1?}", d.elapsed));
    };
    let done = runner::run(&mut conn, &files, target, &mut report).await?;
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
