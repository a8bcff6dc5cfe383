//! `strata revert`: undo the latest applied migration(s) with their down files.
use super::run::{done_json, plural};
use super::{load_migrations, Ctx};
use crate::Outcome;
use strata_core::migrate::{runner, Done, RevertScope};

pub async fn revert(
    ctx: &Ctx<'_>,
    steps: Option<usize>,
    target: Option<i64>,
    dry_run: bool,
) -> anyhow::Result<Outcome> {
    let scope = match (steps, target) {
        (_, Some(t)) => RevertScope::Target(t),
        (Some(n), None) => RevertScope::Steps(n),
        (None, None) => RevertScope::Steps(1),
    };
    let files = load_migrations(ctx)?;
    let mut conn = ctx.connect().await?;
    let out = ctx.out;
    if dry_run {
        let todo = runner::plan_revert(&mut conn, &files, scope).await?;
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
                "sql": down.sql,
            }));
        }
        out.json(&serde_json::json!({ "dry_run": true, "would_revert": planned }))?;
        return Ok(Outcome::Done);
    }

    let mut report = |d: &Done| {
        out.info(&format!("Reverted {}", d.file.display()));
        out.verbose(&format!("  in {:.1?}", d.elapsed));
    };
    let done = runner::revert(&mut conn, &files, scope, &mut report).await?;
    if done.is_empty() {
        out.info("Nothing to revert.");
    } else {
        out.info(&format!("{} reverted.", plural(done.len(), "migration")));
    }
    out.json(&serde_json::json!({ "reverted": done_json(&done) }))?;
    Ok(Outcome::Done)
}
