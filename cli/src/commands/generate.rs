//! `strata generate NAME`: diff entities against the database, write the migration(s).
use super::pipeline::{self, describe, RustNames};
use super::{load_migrations, Ctx};
use crate::settings::ONLINE_LOCK_TIMEOUT;
use crate::Outcome;
use anyhow::anyhow;
use std::mem::ManuallyDrop;
use strata_core::migrate::{next_version, validate_name, write_pair};
use strata_core::plan::{self, Hazard, Plan, RenameKind};
use strata_core::render::{self, RenderOptions, RenderedMigration};

pub struct Options {
    pub name: String,
    pub dry_run: bool,
    pub check: bool,
    pub allow_destructive: bool,
    pub online: bool,
    /// `--allow-hazard`: exceptions to strata.toml's `deny`.
    pub allowed: Vec<Hazard>,
    /// `--no-verify`: write without proving the plan on a scratch database.
    pub no_verify: bool,
    /// `--verify`: prove it even with `--dry-run` or `--check`.
    pub verify: bool,
}

pub async fn generate(ctx: &Ctx<'_>, opts: &Options) -> anyhow::Result<Outcome> {
    // A bad name is found before the slow part, not after it.
    validate_name(&opts.name)?;
    let files = load_migrations(ctx)?;
    let mut versions: Vec<i64> = files.iter().map(|m| m.version).collect();
    // Proven on a scratch database before anyone reads it (`--dry-run` and `--check`
    // stay fast unless `--verify` asks).
    let verify = !opts.no_verify && (opts.verify || !(opts.dry_run || opts.check));
    let mut planned = pipeline::plan(ctx, opts.online, verify).await?;
    if !planned.plan.is_empty() && !ctx.settings.from_migrations {
        super::pending::refuse_pending(ctx, &files, planned.connection()).await?;
    }
    // Never freed: the plan and both schemas are hundreds of thousands of small
    // allocations for a big schema, and the process ends once the command has used
    // them, which hands the memory back at once (5000 tables: 14 ms less at exit).
    let mut planned = ManuallyDrop::new(planned);
    let plan = &planned.plan;
    let out = ctx.out;

    if plan.is_empty() {
        out.info(if ctx.settings.from_migrations {
            "No changes: the schema the migrations build matches the entities. Nothing written."
        } else {
            "No changes: the database matches the entities. Nothing written."
        });
        out.json(&serde_json::json!({ "changes": false }))?;
        return Ok(Outcome::Done);
    }

    // --check and --dry-run write nothing, so they report a refused plan instead of
    // refusing it: CI wants exit 1 for "a migration would be generated", and a reviewer
    // wants to read the SQL the refusal is about.
    let deny: Vec<Hazard> = ctx
        .settings
        .deny
        .iter()
        .copied()
        .filter(|h| !opts.allowed.contains(h))
        .collect();
    let refusals: Vec<String> = [
        blocked_refusal(plan),
        (!opts.allow_destructive)
            .then(|| destructive_refusal(plan, &planned.rust_names))
            .flatten(),
        denied_refusal(plan, &deny),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !refusals.is_empty() {
        let refusal = refusals.join("\n");
        if !(opts.dry_run || opts.check) {
            return Err(anyhow!(refusal));
        }
        out.warn(&format!(
            "without the flags named below, `generate` would refuse: {refusal}"
        ));
    }

    for h in &plan.hints {
        out.warn(&format!("hint: {h}"));
    }

    let lock_timeout = ctx
        .settings
        .lock_timeout
        .or(planned.online.then_some(ONLINE_LOCK_TIMEOUT));
    let mut files = render::render_migrations(plan, &opts.name, &RenderOptions { lock_timeout });
    let steps: Vec<String> = plan.steps.iter().map(describe).collect();
    crate::timing::mark("render");

    let verified = if verify {
        let version = super::prove::prove(ctx, &mut planned, &files).await?;
        crate::timing::mark("verify");
        Some(version)
    } else {
        None
    };
    if verify || opts.no_verify {
        let note = match &verified {
            Some(version) => super::prove::proven_note(version),
            None => super::prove::UNPROVEN_NOTE.to_string(),
        };
        for f in &mut files {
            f.up = with_note(&f.up, &note);
            f.down = with_note(&f.down, &note);
        }
    }

    if opts.dry_run || opts.check {
        if opts.dry_run {
            for file in &files {
                out.result(&format!("-- {}.up.sql\n{}", file.name, file.up.trim_end()));
                out.result("");
                out.result(&format!(
                    "-- {}.down.sql\n{}",
                    file.name,
                    file.down.trim_end()
                ));
                out.result("");
            }
        } else {
            out.info(&format!(
                "A migration would be generated ({}):",
                super::run::plural(steps.len(), "step")
            ));
            for s in &steps {
                out.info(&format!("  - {s}"));
            }
        }
        out.json(&serde_json::json!({
            "changes": true,
            "steps": steps,
            "files": files_json(&files),
            "verified_on": verified,
        }))?;
        return Ok(if opts.check {
            Outcome::Difference
        } else {
            Outcome::Done
        });
    }

    let mut written = Vec::new();
    for file in &files {
        let version = next_version(&versions, chrono::Utc::now());
        versions.push(version);
        let (up, down) = write_pair(
            &ctx.settings.migrations,
            version,
            &file.name,
            &file.up,
            &file.down,
        )?;
        out.info(&format!("Created {}", up.display()));
        out.info(&format!("Created {}", down.display()));
        written.push(serde_json::json!({
            "version": version,
            "up": up,
            "down": down,
            "no_transaction": file.no_transaction,
        }));
    }
    for s in &steps {
        out.info(&format!("  - {s}"));
    }
    if files.len() > 1 {
        out.info(&format!(
            "The plan is split into {} migrations: statements that cannot run in a \
             transaction (or must commit before the next) get a file of their own.",
            files.len()
        ));
    }
    out.info("Review the files, then `strata run`.");
    out.json(&serde_json::json!({
        "changes": true,
        "migrations": written,
        "steps": steps,
        "verified_on": verified,
    }))?;
    Ok(Outcome::Done)
}

/// The file with `note` under its header's second line (after the title and what the
/// file is).
fn with_note(file: &str, note: &str) -> String {
    let mut lines = file.split_inclusive('\n');
    let head: String = lines.by_ref().take(2).collect();
    let rest: String = lines.collect();
    if head.lines().all(|l| l.starts_with("--")) {
        format!("{head}{note}{rest}")
    } else {
        format!("{note}{file}")
    }
}

fn files_json(files: &[RenderedMigration]) -> Vec<serde_json::Value> {
    files
        .iter()
        .map(|f| {
            serde_json::json!({
                "name": f.name,
                "up": f.up,
                "down": f.down,
                "no_transaction": f.no_transaction,
            })
        })
        .collect()
}

/// The refusal text when the plan deletes data, listing each such step and every
/// rename the user may have meant, with the attribute to add and where.
fn destructive_refusal(plan: &Plan, names: &RustNames) -> Option<String> {
    let destructive: Vec<String> = plan.destructive_steps().map(describe).collect();
    if destructive.is_empty() {
        return None;
    }
    let mut text = format!(
        "this migration would delete data, so nothing was written. {}:",
        if destructive.len() == 1 {
            "The step that deletes data".to_string()
        } else {
            format!("The {} steps that delete data", destructive.len())
        }
    );
    for s in &destructive {
        text.push_str(&format!("\n  - {s}"));
    }
    for r in &plan.rename_suggestions {
        let (what, item) = match r.kind {
            RenameKind::Column => (
                format!("column {}.{}", r.table, r.from),
                names.item(&r.table, Some(&r.to)),
            ),
            RenameKind::Table => (format!("table {}", r.from), names.item(&r.table, None)),
        };
        let place = item.map_or_else(|| r.place.clone(), |i| format!("to {i}"));
        text.push_str(&format!(
            "\n  hint: if {what} was renamed to {}, add {} {place}",
            r.to, r.hint
        ));
    }
    text.push_str(
        "\nAdd the rename hints if these are renames; if the data really should go, \
         re-run with --allow-destructive and review the generated files.",
    );
    Some(text)
}

/// The refusal text when strata cannot write the plan as a migration that runs: no
/// flag overrides it.
fn blocked_refusal(plan: &Plan) -> Option<String> {
    if plan.blockers.is_empty() {
        return None;
    }
    let mut text =
        String::from("strata cannot write this migration so that it runs, so nothing was written:");
    for b in &plan.blockers {
        text.push_str(&format!("\n  - {b}"));
    }
    Some(text)
}

/// The refusal text when steps have hazards strata.toml's `deny` forbids.
fn denied_refusal(plan: &Plan, deny: &[Hazard]) -> Option<String> {
    let denied = plan::denied(plan, deny);
    if denied.is_empty() {
        return None;
    }
    let mut text = String::from("strata.toml denies hazards this migration has:");
    for (step, hazard) in &denied {
        text.push_str(&format!("\n  - {hazard}: {}", step.description));
    }
    let mut names: Vec<&str> = denied.iter().map(|(_, h)| h.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let flags: Vec<String> = names
        .iter()
        .map(|n| format!("--allow-hazard {n}"))
        .collect();
    text.push_str(&format!(
        "\nIf this is intended, re-run with {} (or change `deny` in strata.toml).",
        flags.join(" ")
    ));
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::plan::{RenameSuggestion, Step};

    fn step(description: &str, hazards: Vec<Hazard>) -> Step {
        Step {
            hazards,
            ..Step::new(description, vec![], vec![])
        }
    }

    #[test]
    fn safe_plans_are_not_refused() {
        let plan = Plan {
            steps: vec![step("add column \"users\".\"bio\"", vec![])],
            rename_suggestions: vec![],
            hints: Vec::new(),
            blockers: vec![],
        };
        assert_eq!(destructive_refusal(&plan, &RustNames::default()), None);
        assert_eq!(denied_refusal(&plan, &[Hazard::RewritesTable]), None);
    }

    #[test]
    fn refusal_lists_destructive_steps_and_rename_hints() {
        let plan = Plan {
            steps: vec![
                step("add column \"users\".\"avatar_url\"", vec![]),
                step(
                    "drop column \"users\".\"avatar\"",
                    vec![Hazard::DeletesData, Hazard::BreaksOldClients],
                ),
            ],
            rename_suggestions: vec![RenameSuggestion {
                kind: RenameKind::Column,
                table: "users".into(),
                from: "avatar".into(),
                to: "avatar_url".into(),
                hint: "#[entity(renamed_from = \"avatar\")]".into(),
                place: "on the field of column avatar_url in the entity of table users".into(),
            }],
            hints: Vec::new(),
            blockers: vec![],
        };
        let text = destructive_refusal(&plan, &RustNames::default()).expect("refused");
        insta::assert_snapshot!(text);
    }

    #[test]
    fn denied_hazards_are_listed_with_the_flags_that_allow_them() {
        let plan = Plan {
            steps: vec![
                step("change type of users.age", vec![Hazard::RewritesTable]),
                step("drop column users.bio", vec![Hazard::DeletesData]),
            ],
            rename_suggestions: vec![],
            hints: Vec::new(),
            blockers: vec![],
        };
        let text =
            denied_refusal(&plan, &[Hazard::RewritesTable, Hazard::DeletesData]).expect("refused");
        insta::assert_snapshot!(text);
    }
}
