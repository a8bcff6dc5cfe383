//! `strata diff`: the plan between entities and database, written nowhere.
use super::pipeline::{self, describe};
use super::Ctx;
use crate::{DiffFormat, Outcome};
use similar::TextDiff;
use strata_core::plan::Plan;
use strata_core::schema::{Schema, Table};
use strata_core::sql;

pub async fn diff(ctx: &Ctx<'_>, format: DiffFormat) -> anyhow::Result<Outcome> {
    let planned = pipeline::plan(ctx).await?;
    let out = ctx.out;
    // `--json` wins over `--format`: stdout must then be JSON.
    if out.is_json() || format == DiffFormat::Json {
        println!("{}", serde_json::to_string_pretty(&planned.plan)?);
        return Ok(Outcome::Done);
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
    Ok(Outcome::Done)
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
    for (name, before, after) in changed_tables(desired, current) {
        let before = before.map(sql::create_table).unwrap_or_default();
        let after = after.map(sql::create_table).unwrap_or_default();
        let diff = TextDiff::from_lines(&before, &after)
            .unified_diff()
            .context_radius(3)
            .header(&format!("{name} (database)"), &format!("{name} (entities)"))
            .to_string();
        text.push('\n');
        text.push_str(&diff);
    }
    text.trim_end().to_string()
}

type TablePair<'a> = (String, Option<&'a Table>, Option<&'a Table>);

/// Tables that differ, added or dropped, by (schema, name): (label, current, desired).
fn changed_tables<'a>(desired: &'a Schema, current: &'a Schema) -> Vec<TablePair<'a>> {
    let mut keys: Vec<(&str, &str)> = desired
        .tables
        .iter()
        .chain(&current.tables)
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|(schema, name)| {
            let before = current.table(schema, name);
            let after = desired.table(schema, name);
            // `renamed_from` is a desired-only hint: ignore it when comparing.
            let same = match (before, after) {
                (Some(b), Some(a)) => {
                    let mut a = a.clone();
                    a.renamed_from = None;
                    for c in &mut a.columns {
                        c.renamed_from = None;
                    }
                    *b == a
                }
                _ => false,
            };
            (!same).then(|| (format!("{schema}.{name}"), before, after))
        })
        .collect()
}
