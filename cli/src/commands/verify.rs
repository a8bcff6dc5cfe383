//! `strata verify`: every migration in the folder proven on a scratch database. For
//! each one, from the oldest (or from `--from VERSION`; the ones before are only
//! applied):
//!
//! 1. up, and the catalog read;
//! 2. down, which must give back the catalog from before the up file;
//! 3. up again, which must give the same catalog as the first time.
//!
//! At the end the entities, compared with the schema the migrations built, must give
//! "No changes" (when they do not, no migration is to blame: the steps `generate` would
//! write are listed). Hand-written and sqlx-made files are verified the same way.
//! Exit 0 when everything holds, 1 naming the first migration that does not (and what
//! differs) or the entities' steps, 2 when a file fails to run (named with its
//! statement and PostgreSQL's error, as a scratch database has it: see
//! [`MigrateError::on_scratch`]) or strata cannot verify at all.
use super::pipeline;
use super::replay::Replay;
use super::Ctx;
use crate::Outcome;
use anyhow::anyhow;
use strata_core::compare::{differences, Check, Difference};
use strata_core::migrate::{MigrateError, MigrationFile, RevertScope};
use strata_core::plan::Step;

pub async fn verify(ctx: &Ctx<'_>, from: Option<i64>) -> anyhow::Result<Outcome> {
    let out = ctx.out;
    let mut report = Report::default();
    let files = super::run::existing_migrations(ctx, report.error_document(None))?;
    if let Some(v) = from {
        if !files.iter().any(|m| m.version == v) {
            let e = anyhow!(
                "--from {v}: no migration with that version in {}",
                ctx.settings.migrations.display()
            );
            json_error(ctx, report.error_document(None), &e)?;
            return Err(e);
        }
    }
    let extensions = extensions_before(ctx);
    let mut replay = match Replay::start(ctx, &extensions).await {
        Ok(replay) => replay,
        Err(e) => {
            json_error(ctx, report.error_document(None), &e)?;
            return Err(e);
        }
    };
    let result = verify_on(ctx, &mut replay, &files, from, &mut report).await;
    let server = super::prove::short_version(&replay.scratch.server_version).to_string();
    let finished = replay.finish().await;
    if let Err(e) = result.and(finished) {
        if report.checked > 0 {
            out.info(&format!(
                "{} verified before the error, on PostgreSQL {server}.",
                super::run::plural(report.checked, "migration")
            ));
        }
        json_error(ctx, report.error_document(Some(&server)), &e)?;
        return Err(e);
    }
    let checked = report.checked;
    let verified = || {
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
        format!(
            "Verified {} on PostgreSQL {server}: each down file restores the schema its \
             up file started from (column order aside: a column a down file adds back \
             comes last), and each up file gives the same schema when run again{note}.",
            super::run::plural(checked, "migration")
        )
    };
    match &report.failure {
        None => {
            out.info(&verified());
            out.info(&report.entities);
        }
        // Every migration held: what differs is the folder against the entities, not
        // any one migration.
        Some(failure) if failure.version.is_none() => {
            out.info(&verified());
            out.result(&failure.text());
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
        "failure": report.failure.as_ref().map(Failure::json),
    }))?;
    Ok(if report.failure.is_some() {
        Outcome::Difference
    } else {
        Outcome::Done
    })
}

#[derive(Default)]
struct Report {
    /// How many migrations were checked (not merely applied).
    checked: usize,
    verified: Vec<serde_json::Value>,
    /// What the entities said about the result.
    entities: String,
    failure: Option<Failure>,
}

impl Report {
    /// The `--json` document of a verification that stopped on an error (exit 2): what
    /// was verified before it; `error` is added to it.
    fn error_document(&self, server: Option<&str>) -> serde_json::Value {
        serde_json::json!({
            "passed": false,
            "server_version": server,
            "verified": self.verified,
            "failure": null,
        })
    }
}

/// The first migration whose files do not hold up, or (with no `version`) the
/// entities, which differ from what the whole folder builds.
struct Failure {
    version: Option<i64>,
    file: Option<String>,
    what: String,
    /// Which check the differences are from.
    check: Check,
    differences: Vec<Difference>,
    /// For the entities: the steps `generate` would write.
    steps: Vec<Step>,
}

impl Failure {
    fn text(&self) -> String {
        let mut text = match (self.version, &self.file) {
            (Some(version), Some(file)) => format!("migration {version} ({file}): {}", self.what),
            _ => format!(
                "But {}; `strata generate NAME` would write {}:",
                self.what,
                if self.steps.len() == 1 {
                    "this step"
                } else {
                    "these steps"
                }
            ),
        };
        for d in &self.differences {
            text.push_str(&format!("\n  - {}", d.describe(self.check)));
        }
        for s in &self.steps {
            text.push_str(&format!("\n  - {}", pipeline::describe(s)));
        }
        text
    }

    fn json(&self) -> serde_json::Value {
        let differences: Vec<serde_json::Value> = if self.steps.is_empty() {
            self.differences
                .iter()
                .map(|d| serde_json::to_value(d).unwrap_or_default())
                .collect()
        } else {
            self.steps
                .iter()
                .map(|s| {
                    let mut step = serde_json::to_value(s).unwrap_or_default();
                    step["message"] = pipeline::describe(s).into();
                    step
                })
                .collect()
        };
        serde_json::json!({
            "version": self.version,
            "file": self.file,
            "what": self.what,
            "differences": differences,
        })
    }
}

/// A file that failed to run on the scratch database (exit 2): which migration, at
/// which point of its check, and the failure as it reads there.
#[derive(Debug)]
struct FileFailed {
    version: i64,
    /// `up`, `down` or `up_again`.
    phase: &'static str,
    error: MigrateError,
}

impl std::fmt::Display for FileFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.phase {
            "down" => "its down file fails (run after its up file)",
            "up_again" => "its up file fails when run again after its down file",
            _ => "its up file fails",
        };
        write!(
            f,
            "migration {} does not run on the scratch database: {what}:\n{}\n\
             The scratch database was thrown away, and no other database was touched: fix \
             the file, then `strata verify` again.",
            self.version,
            self.error.on_scratch()
        )
    }
}

impl std::error::Error for FileFailed {}

/// With `--json`, an error is a JSON document too, as `run`'s and `revert`'s are:
/// `document` with `error` (`kind`, `message`, and for a file that failed, `failure`
/// with the runner's fields and `phase`).
fn json_error(
    ctx: &Ctx<'_>,
    mut document: serde_json::Value,
    e: &anyhow::Error,
) -> anyhow::Result<()> {
    if !ctx.out.is_json() {
        return Ok(());
    }
    let Some(failed) = e.downcast_ref::<FileFailed>() else {
        return super::run::json_error_any(ctx, document, e);
    };
    let mut error = serde_json::json!({
        "kind": "migration_failed",
        "message": ctx.redactor.redact(&format!("{e:#}")),
        "version": failed.version,
        "phase": failed.phase,
    });
    if let MigrateError::Failed(failure) = &failed.error {
        error["failure"] = serde_json::to_value(failure)?;
    }
    document["error"] = error;
    ctx.out.json(&document)
}

async fn verify_on(
    ctx: &Ctx<'_>,
    replay: &mut Replay,
    files: &[MigrationFile],
    from: Option<i64>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut before = replay.read().await?;
    for m in files {
        let failed = |phase: &'static str| {
            move |error: MigrateError| FileFailed {
                version: m.version,
                phase,
                error,
            }
        };
        replay
            .up(ctx, files, Some(m.version))
            .await
            .map_err(failed("up"))?;
        let after = replay.read().await?;
        if from.is_some_and(|v| m.version < v) {
            before = after;
            continue;
        }
        let file = m.up.file_name();
        let fail = |what: &str, check: Check, differences: Vec<Difference>| Failure {
            version: Some(m.version),
            file: Some(file.clone()),
            what: what.to_string(),
            check,
            differences,
            steps: Vec::new(),
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
        replay
            .down(ctx, files, RevertScope::Steps(1))
            .await
            .map_err(failed("down"))?;
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
            return Ok(());
        }
        replay
            .up(ctx, files, Some(m.version))
            .await
            .map_err(failed("up_again"))?;
        let again = replay.read().await?;
        let redone = differences(&after, &again);
        if !redone.is_empty() {
            report.failure = Some(fail(
                "its up file gives another schema when run again after its down file",
                Check::UpAgain,
                redone,
            ));
            return Ok(());
        }
        report.verified.push(serde_json::json!({
            "version": m.version, "file": file, "down": "restores",
        }));
        report.checked += 1;
        before = again;
    }
    let entities = entities_against_scratch(ctx, replay).await?;
    report.entities = entities.text;
    if !entities.steps.is_empty() {
        report.failure = Some(Failure {
            version: None,
            file: None,
            what: "the entities differ from what the migrations folder builds".to_string(),
            check: Check::Down,
            differences: Vec::new(),
            steps: entities.steps,
        });
    }
    Ok(())
}

/// What the entities say about the schema the migrations built, and the steps
/// `generate` would write when they differ from it.
struct Entities {
    text: String,
    steps: Vec<Step>,
}

async fn entities_against_scratch(ctx: &Ctx<'_>, replay: &Replay) -> anyhow::Result<Entities> {
    let s = &ctx.settings;
    let said = |text: String| Entities {
        text,
        steps: Vec::new(),
    };
    if !strata_core::scan::has_sources(&s.entities_root, &s.entities) {
        return Ok(said(format!(
            "No entity sources match {}: the entities were not compared.",
            s.entities.join(", ")
        )));
    }
    let on_scratch = replay.context(ctx);
    let planned = pipeline::plan(&on_scratch, false, false).await?;
    if planned.desired.tables.is_empty() && planned.desired.enums.is_empty() {
        return Ok(said("No entities to compare with the result.".to_string()));
    }
    if planned.plan.is_empty() {
        return Ok(said(
            "The entities give \"No changes\" against the result.".to_string(),
        ));
    }
    let steps: Vec<String> = planned
        .plan
        .steps
        .iter()
        .map(|s| format!("\n  - {}", pipeline::describe(s)))
        .collect();
    Ok(Entities {
        text: format!(
            "The entities differ from the schema the migrations build; `strata generate` \
             would write:{}",
            steps.concat()
        ),
        steps: planned.plan.steps,
    })
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
