//! `strata generate NAME`: diff entities against the database, write the migration pair.
use super::pipeline::{self, describe};
use super::{load_migrations, Ctx};
use crate::Outcome;
use anyhow::anyhow;
use strata_core::migrate::{next_version, validate_name, write_pair};
use strata_core::plan::{Plan, RenameKind};
use strata_core::render;

pub struct Options {
    pub name: String,
    pub dry_run: bool,
    pub check: bool,
    pub allow_destructive: bool,
}

pub async fn generate(ctx: &Ctx<'_>, opts: &Options) -> anyhow::Result<Outcome> {
    // A bad name is found before the slow part, not after it.
    validate_name(&opts.name)?;
    let existing: Vec<i64> = load_migrations(ctx)?.iter().map(|m| m.version).collect();
    let planned = pipeline::plan(ctx).await?;
    let plan = planned.plan;
    let out = ctx.out;

    if plan.is_empty() {
        out.info("No changes: the database matches the entities. Nothing written.");
        out.json(&serde_json::json!({ "changes": false }))?;
        return Ok(Outcome::Done);
    }
    // --check and --dry-run write nothing, so they report a destructive plan instead
    // of refusing it: CI wants exit 1 for "a migration would be generated", and a
    // reviewer wants to read the SQL the refusal is about.
    let refusal = (!opts.allow_destructive)
        .then(|| destructive_refusal(&plan))
        .flatten();
    if let Some(refusal) = &refusal {
        if !(opts.dry_run || opts.check) {
            return Err(anyhow!(refusal.clone()));
        }
        out.warn(&format!(
            "without --allow-destructive, `generate` would refuse: {refusal}"
        ));
    }

    let up = render::render_up(&plan, &opts.name);
    let down = render::render_down(&plan, &opts.name);
    let steps: Vec<String> = plan.steps.iter().map(describe).collect();
    crate::timing::mark("render");

    if opts.dry_run || opts.check {
        if opts.dry_run {
            out.result(&format!("-- {}.up.sql\n{}", opts.name, up.trim_end()));
            out.result("");
            out.result(&format!("-- {}.down.sql\n{}", opts.name, down.trim_end()));
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
            "up": up,
            "down": down,
        }))?;
        return Ok(if opts.check {
            Outcome::Difference
        } else {
            Outcome::Done
        });
    }

    let version = next_version(&existing, chrono::Utc::now());
    let (up_path, down_path) =
        write_pair(&ctx.settings.migrations, version, &opts.name, &up, &down)?;
    out.info(&format!("Created {}", up_path.display()));
    out.info(&format!("Created {}", down_path.display()));
    for s in &steps {
        out.info(&format!("  - {s}"));
    }
    out.info("Review both files, then `strata run`.");
    out.json(&serde_json::json!({
        "changes": true,
        "version": version,
        "up": up_path,
        "down": down_path,
        "steps": steps,
    }))?;
    Ok(Outcome::Done)
}

/// The refusal text when the plan deletes data, listing each such step and every
/// rename the user may have meant.
fn destructive_refusal(plan: &Plan) -> Option<String> {
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
        let what = match r.kind {
            RenameKind::Column => format!("column {}.{}", r.table, r.from),
            RenameKind::Table => format!("table {}", r.from),
        };
        text.push_str(&format!(
            "\n  hint: if {what} was renamed to {}, add {}",
            r.to, r.hint
        ));
    }
    text.push_str(
        "\nAdd the rename hints if these are renames; if the data really should go, \
         re-run with --allow-destructive and review the generated files.",
    );
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::plan::{Hazard, RenameSuggestion, Step};

    fn step(description: &str, hazards: Vec<Hazard>) -> Step {
        Step {
            description: description.into(),
            up: vec![],
            down: vec![],
            hazards,
            down_notes: vec![],
        }
    }

    #[test]
    fn safe_plans_are_not_refused() {
        let plan = Plan {
            steps: vec![step("add column \"users\".\"bio\"", vec![])],
            rename_suggestions: vec![],
        };
        assert_eq!(destructive_refusal(&plan), None);
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
                hint: "#[entity(renamed_from = \"avatar\")] on User::avatar_url".into(),
            }],
        };
        let text = destructive_refusal(&plan).expect("refused");
        insta::assert_snapshot!(text);
    }
}
