//! `strata inspect`: the database's schema as strata sees it.
use super::diff::up_sql;
use super::pipeline;
use super::Ctx;
use crate::Outcome;
use anyhow::anyhow;
use strata_core::schema::Schema;
use strata_core::{introspect, recreate};

pub async fn inspect(ctx: &Ctx<'_>) -> anyhow::Result<Outcome> {
    let s = &ctx.settings;
    let schemas = pipeline::schemas_to_read(ctx);
    let mut conn = ctx.connect().await?;
    let current = introspect::introspect(&mut conn, &schemas, &s.exclude)
        .await
        .map_err(|e| anyhow!("cannot read the database schema: {e}"))?
        .without_builtins();
    if ctx.out.is_json() {
        ctx.out.json(&current)?;
        return Ok(Outcome::Done);
    }
    // The statements that would build this schema from nothing, every object of it
    // (what `baseline` writes); what cannot be written so is said after them.
    let mut current = current;
    strata_core::canonicalize::restorable(&mut conn, &Schema::default(), &mut current)
        .await
        .map_err(|e| anyhow!("cannot spell the database's SQL fragments: {e}"))?;
    let recreation = recreate::recreate(&current);
    let mut sql = up_sql(&recreation.plan);
    for r in recreation.refusals.iter().chain(&recreation.plan.blockers) {
        sql.push_str(&format!(
            "\n-- Not reproducible: {}",
            r.replace('\n', "\n-- ")
        ));
    }
    if sql.is_empty() {
        ctx.out
            .info(&format!("-- No tables or types in {}", schemas.join(", ")));
    } else {
        ctx.out.result(&sql);
    }
    Ok(Outcome::Done)
}
