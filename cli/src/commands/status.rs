//! `strata status`: every migration and its state; exit 1 unless all are applied.
use super::run::{existing_migrations, plural};
use super::Ctx;
use crate::Outcome;
use strata_core::migrate::checksum::hex;
use strata_core::migrate::state::{history_problems, is_clean, out_of_order};
use strata_core::migrate::{runner, State, StatusEntry};

pub async fn status(ctx: &Ctx<'_>) -> anyhow::Result<Outcome> {
    // The database first: a status that cannot reach it says so before anything else.
    let mut conn = ctx.connect().await?;
    let files = existing_migrations(ctx, serde_json::json!({ "clean": false }))?;
    let entries = runner::status_of(&mut conn, &files).await?;
    let clean = is_clean(&entries);
    let out = ctx.out;

    if entries.is_empty() {
        out.info(&format!(
            "No migration files in {} and none applied.",
            ctx.settings.migrations.display()
        ));
    }
    for e in &entries {
        out.info(&format!(
            "{:<9} {}  {}",
            e.state.as_str(),
            e.version,
            e.description
        ));
    }
    if !entries.is_empty() {
        out.info("");
        out.info(&summary(&entries));
    }
    let mut problems = history_problems(&entries);
    problems.extend(out_of_order(&entries));
    for problem in &problems {
        out.info(&format!("  - {problem}"));
    }
    if entries.iter().any(|e| e.state == State::Pending) {
        out.info("Run `strata run` to apply the pending migrations.");
    }
    out.json(&serde_json::json!({
        "clean": clean,
        "migrations": entries.iter().map(entry_json).collect::<Vec<_>>(),
        "problems": problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
    }))?;
    Ok(if clean {
        Outcome::Done
    } else {
        Outcome::Difference
    })
}

fn summary(entries: &[StatusEntry]) -> String {
    let states = [
        State::Applied,
        State::Pending,
        State::Missing,
        State::Modified,
        State::Failed,
    ];
    let parts: Vec<String> = states
        .iter()
        .filter_map(|s| {
            let n = entries.iter().filter(|e| e.state == *s).count();
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    format!(
        "{}: {}",
        plural(entries.len(), "migration"),
        parts.join(", ")
    )
}

fn entry_json(e: &StatusEntry) -> serde_json::Value {
    serde_json::json!({
        "version": e.version,
        "description": e.description,
        "state": e.state,
        "file": e.file,
        "file_checksum": e.file_checksum.as_deref().map(hex),
        "applied_checksum": e.applied_checksum.as_deref().map(hex),
        "installed_on": e.installed_on.map(|t| t.to_rfc3339()),
    })
}
