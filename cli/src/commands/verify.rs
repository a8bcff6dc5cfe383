//! `strata verify`: every migration in the folder proven on a scratch database. For
//! each one, from the oldest (or from `--from VERSION`; the ones before are only
//! applied):
//!
//! 1. up, and the catalog read;
//! 2. down, which must give back the catalog from before the up file;
//! 3. up again, which must give the same catalog as the first time.
//!
//! At the end the entities, compared with the schema the migrations built, must give
//! "No changes". Hand-written and sqlx-made files are verified the same way.
//! Exit 0 when everything holds, 1 naming the first migration that does not (and what
//! differs), 2 when a file fails to run or strata cannot verify at all.
use super::pipeline;
use super::replay::Replay;
use super::Ctx;
use crate::Outcome;
use anyhow::anyhow;
use strata_core::compare::{differences, Check, Difference};
use strata_core::migrate::{MigrateError, MigrationFile, RevertScope};

pub async fn verify(ctx: &Ctx<'_>, from: Option<i64>) -> anyhow::Result<Outcome> {
    let out = ctx.out;
    let files = super::load_migrations(ctx)?;
    if let Some(v) = from {
        if !files.iter().any(|m| m.version == v) {
            return Err(anyhow!(
                "--from {v}: no migration with that version in {}",
                ctx.settings.migrations.display()
            ));
        }
    }
    let extensions = extensions_before(ctx);
    let mut replay = Replay::start(ctx, &extensions).await?;
    let result = verify_on(ctx, &mut replay, &files, from).await;
    let server = super::prove::short_version(&replay.scratch.server_version).to_string();
    replay.finish().await?;
    let report = result?;
    let checked = report.checked;
    match &report.failure {
        None => {
            let without_down = report
                .verified
                .iter()
                .filter(|v| v["down"] == "none")
                .count();
            let note = match without_down {
                0 => String::new(),
                n => format!(
                    " ({} no down file: {} up file ran once)",
                    if n == 1 {
                        "1 has".to_string()
                    } else {
                        format!("{n} have")
                    },
                    if n == 1 { "its" } else { "their" }
                ),
            };
            out.info(&format!(
                "Verified {} on PostgreSQL {server}: each down file restores the schema its \
                 up file started from (column order aside: a column a down file adds back \
                 comes last), and each up file gives the same schema when run again{note}.",
                super::run::plural(checked, "migration")
            ));
            out.info(&report.entities);
        }
        Some(failure) => {
            out.info(&format!(
                "{} verified before the first failure, on PostgreSQL {server}.",
                super::run::plural(checked, "migration")
            ));
            out.result(&failure.text());
        }
    }
    out.json(&serde_json::json!({
        "passed": report.failure.is_none(),
        "server_version": server,
        "verified": report.verified,
        "entities": report.entities,
        "failure": report.failure.as_ref().map(|f| serde_json::json!({
            "version": f.version,
            "file": f.file,
            "what": f.what,
            "differences": f.differences,
        })),
    }))?;
    Ok(if report.failure.is_some() {
        Outcome::Difference
    } else {
        Outcome::Done
    })
}

struct Report {
    /// How many migrations were checked (not merely applied).
    checked: usize,
    verified: Vec<serde_json::Value>,
    /// What the entities said about the result.
    entities: String,
    failure: Option<Failure>,
}

/// The first migration whose files do not hold up.
struct Failure {
    version: i64,
    file: String,
    what: String,
    /// Which check the differences are from.
    check: Check,
    differences: Vec<Difference>,
}

impl Failure {
    fn text(&self) -> String {
        let mut text = format!("migration {} ({}): {}", self.version, self.file, self.what);
        for d in &self.differences {
            text.push_str(&format!("\n  - {}", d.describe(self.check)));
        }
        text
    }
}

async fn verify_on(
    ctx: &Ctx<'_>,
    replay: &mut Replay,
    files: &[MigrationFile],
    from: Option<i64>,
) -> anyhow::Result<Report> {
    let mut report = Report {
        checked: 0,
        verified: Vec::new(),
        entities: String::new(),
        failure: None,
    };
    let mut before = replay.read().await?;
    for m in files {
        ran(replay.up(ctx, files, Some(m.version)).await)?;
        let after = replay.read().await?;
        if from.is_some_and(|v| m.version < v) {
            before = after;
            continue;
        }
        let file = m.up.file_name();
        let fail = |what: &str, check: Check, differences: Vec<Difference>| Failure {
            version: m.version,
            file: file.clone(),
            what: what.to_string(),
            check,
            differences,
        };
        if m.down.is_none() {
            // Irreversible (sqlx's simple format, or no down file): up is all there is.
            report.verified.push(serde_json::json!({
                "version": m.version, "file": file, "down": "none",
            }));
            report.checked += 1;
            before = after;
            continue;
        }
        ran(replay.down(ctx, files, RevertScope::Steps(1)).await)?;
        // The extensions verification started with are not the migration's to keep: a
        // down file that drops one its up file created (IF NOT EXISTS) is right.
        replay.create_extensions(&extensions_before(ctx)).await?;
        let back = replay.read().await?;
        let undone = differences(&before, &back);
        if !undone.is_empty() {
            report.failure = Some(fail(
                "its down file does not undo its up file",
                Check::Down,
                undone,
            ));
            return Ok(report);
        }
        ran(replay.up(ctx, files, Some(m.version)).await)?;
        let again = replay.read().await?;
        let redone = differences(&after, &again);
        if !redone.is_empty() {
            report.failure = Some(fail(
                "its up file gives another schema when run again after its down file",
                Check::UpAgain,
                redone,
            ));
            return Ok(report);
        }
        report.verified.push(serde_json::json!({
            "version": m.version, "file": file, "down": "restores",
        }));
        report.checked += 1;
        before = again;
    }
    let (entities, differ) = entities_against_scratch(ctx, replay).await?;
    report.entities = entities;
    if differ {
        report.failure = Some(Failure {
            version: files.last().map_or(0, |m| m.version),
            file: files.last().map_or_else(String::new, |m| m.up.file_name()),
            what: report.entities.clone(),
            check: Check::Down,
            differences: Vec::new(),
        });
    }
    Ok(report)
}

/// A migration that failed to run: exit 2, with the runner's own report (the file,
/// the statement, PostgreSQL's error).
fn ran(result: Result<(), MigrateError>) -> anyhow::Result<()> {
    result.map_err(|e| anyhow!("on the scratch database: {e}"))
}

/// What the entities say about the schema the migrations built, and whether they
/// differ from it.
async fn entities_against_scratch(
    ctx: &Ctx<'_>,
    replay: &Replay,
) -> anyhow::Result<(String, bool)> {
    let s = &ctx.settings;
    if !strata_core::scan::has_sources(&s.entities_root, &s.entities) {
        return Ok((
            format!(
                "No entity sources match {}: the entities were not compared.",
                s.entities.join(", ")
            ),
            false,
        ));
    }
    let on_scratch = replay.context(ctx);
    let planned = pipeline::plan(&on_scratch, false, false).await?;
    if planned.desired.tables.is_empty() && planned.desired.enums.is_empty() {
        return Ok(("No entities to compare with the result.".to_string(), false));
    }
    if planned.plan.is_empty() {
        return Ok((
            "The entities give \"No changes\" against the result.".to_string(),
            false,
        ));
    }
    let steps: Vec<String> = planned
        .plan
        .steps
        .iter()
        .map(|s| format!("\n  - {}", pipeline::describe(s)))
        .collect();
    Ok((
        format!(
            "The entities differ from the schema the migrations build; `strata generate` \
             would write:{}",
            steps.concat()
        ),
        true,
    ))
}

/// The extensions verification starts from: strata.toml's, except one installed in a
/// schema strata manages (`app.citext` with `schemas = ["public", "app"]`): the
/// migration that creates that schema creates it there, and a schema made beforehand
/// would make its `CREATE SCHEMA` fail.
fn extensions_before(ctx: &Ctx<'_>) -> Vec<String> {
    let s = &ctx.settings;
    let managed = s
        .schemas
        .clone()
        .unwrap_or_else(|| vec!["public".to_string()]);
    s.extensions
        .iter()
        .filter(|e| {
            strata_core::sql::extension_parts(e)
                .0
                .is_none_or(|schema| schema == "public" || !managed.iter().any(|m| m == schema))
        })
        .cloned()
        .collect()
}
