//! `strata diff`: the plan between entities and database, written nowhere.
use super::pipeline::{self, describe};
use super::Ctx;
use crate::{DiffFormat, Outcome};
use similar::TextDiff;
use std::collections::{HashMap, HashSet};
use std::mem::ManuallyDrop;
use strata_core::plan::Plan;
use strata_core::schema::{Column, Schema, Table};
use strata_core::sql;

pub async fn diff(
    ctx: &Ctx<'_>,
    format: DiffFormat,
    online: bool,
    check: bool,
) -> anyhow::Result<Outcome> {
    // Never freed, as in `generate`: the process ends right after, which is faster.
    let planned = ManuallyDrop::new(pipeline::plan(ctx, online, false).await?);
    let out = ctx.out;
    let unmanaged = strata_core::unmanaged::unmanaged(&planned.desired, &planned.current);
    if !unmanaged.is_empty() {
        out.verbose("unmanaged (read, never changed by strata):");
        for u in &unmanaged {
            out.verbose(&format!("  {} {}: {}", u.kind, u.name, u.why));
        }
    }
    for h in &planned.plan.hints {
        out.warn(&format!("hint: {h}"));
    }
    for b in &planned.plan.blockers {
        out.warn(&format!("`generate` would refuse this plan: {b}"));
    }
    // `--check` is for CI: exit 1 when the plan has a hazard strata.toml denies.
    let denied = strata_core::plan::denied(&planned.plan, &ctx.settings.deny);
    let outcome = if check && !denied.is_empty() {
        for (step, hazard) in &denied {
            out.warn(&format!("denied hazard {hazard}: {}", step.description));
        }
        Outcome::Difference
    } else {
        Outcome::Done
    };
    // `--json` wins over `--format`: stdout must then be JSON.
    if out.is_json() || format == DiffFormat::Json {
        crate::output::stdout_line(&serde_json::to_string_pretty(&planned.plan)?);
        return Ok(outcome);
    }
    match format {
        DiffFormat::Sql => {
            let sql = up_sql(&planned.plan);
            if sql.is_empty() {
                out.info("-- No changes");
            } else {
                out.result(&sql);
            }
        }
        DiffFormat::Text | DiffFormat::Json => {
            out.result(&text_report(
                &planned.plan,
                &planned.desired,
                &planned.current,
            ));
        }
    }
    Ok(outcome)
}

/// Statements joined as a SQL script.
pub fn up_sql(plan: &Plan) -> String {
    plan.up_statements()
        .map(|s| format!("{s};"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The steps in words, then a unified diff of each changed table's DDL.
pub fn text_report(plan: &Plan, desired: &Schema, current: &Schema) -> String {
    if plan.is_empty() {
        return "No changes".to_string();
    }
    let mut text = format!("{}:\n", super::run::plural(plan.steps.len(), "change"));
    for step in &plan.steps {
        text.push_str(&format!("  - {}\n", describe(step)));
    }
    for pair in changed_tables(desired, current) {
        // Both sides in PostgreSQL's spelling, as they are compared: a declared text
        // (`qty >= 0`) beside the catalog's (`(qty >= 0)`) is no difference.
        // Unvalidated checks come after, as `ALTER TABLE ... NOT VALID` lines.
        let ddl = |t: &Table| {
            let t = t.as_compared();
            std::iter::once(sql::create_table(&t))
                .chain(sql::not_valid_checks(&t))
                .collect::<Vec<_>>()
                .join(";\n")
        };
        let before = pair.current.map(ddl).unwrap_or_default() + "\n";
        let after = pair.desired.as_ref().map(ddl).unwrap_or_default() + "\n";
        let diff = TextDiff::from_lines(&before, &after)
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("{} (database)", pair.current_label),
                &format!("{} (entities)", pair.desired_label),
            )
            .to_string();
        text.push('\n');
        text.push_str(&diff);
    }
    text.trim_end().to_string()
}

/// A table as the database has it and as the entities want it.
struct TablePair<'a> {
    current_label: String,
    desired_label: String,
    current: Option<&'a Table>,
    /// Aligned with `current` (see [`align`]).
    desired: Option<Table>,
}

fn label(t: &Table) -> String {
    format!("{}.{}", t.schema, t.name)
}

/// Tables that differ, are created or are dropped; a renamed table is paired with its
/// old self, so its diff shows what really changes.
fn changed_tables<'a>(desired: &Schema, current: &'a Schema) -> Vec<TablePair<'a>> {
    let by_name: HashMap<(&str, &str), &Table> = current
        .tables
        .iter()
        .map(|t| ((t.schema.as_str(), t.name.as_str()), t))
        .collect();
    let mut matched: HashSet<(&str, &str)> = HashSet::new();
    let mut pairs = Vec::new();
    for want in &desired.tables {
        let key = (want.schema.as_str(), want.name.as_str());
        let old = by_name.get(&key).copied().or_else(|| {
            let from = want.renamed_from.as_deref()?;
            by_name.get(&(want.schema.as_str(), from)).copied()
        });
        let aligned = align(want, old);
        if let Some(old) = old {
            matched.insert((old.schema.as_str(), old.name.as_str()));
            if *old == aligned {
                continue;
            }
        }
        pairs.push(TablePair {
            current_label: old.map_or_else(|| "(none)".to_string(), label),
            desired_label: label(want),
            current: old,
            desired: Some(aligned),
        });
    }
    for old in &current.tables {
        if !matched.contains(&(old.schema.as_str(), old.name.as_str())) {
            pairs.push(TablePair {
                current_label: label(old),
                desired_label: "(none)".to_string(),
                current: Some(old),
                desired: None,
            });
        }
    }
    pairs
}

/// The desired table without rename hints and with its columns in the database's
/// order, new ones last: where `ADD COLUMN` puts them. Column order is not something a
/// migration changes, so showing it as a change would be a diff that is not there.
fn align(want: &Table, current: Option<&Table>) -> Table {
    let mut table = want.clone();
    table.renamed_from = None;
    let position = |c: &Column| {
        current.and_then(|cur| {
            cur.columns.iter().position(|old| {
                old.name == c.name || c.renamed_from.as_deref() == Some(old.name.as_str())
            })
        })
    };
    table
        .columns
        .sort_by_key(|c| position(c).unwrap_or(usize::MAX));
    for c in &mut table.columns {
        c.renamed_from = None;
    }
    // A declared check the database holds NOT VALID is kept as it is (no step): shown
    // as the database has it.
    if let Some(cur) = current {
        for c in &mut table.checks {
            if let Some(old) = cur.checks.iter().find(|o| o.name == c.name) {
                if old.not_valid && old.expr == c.expr {
                    c.not_valid = true;
                }
            }
        }
    }
    table
}
