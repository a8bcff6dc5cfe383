//! The part `generate` and `diff` share: entities → desired schema, database → current
//! schema, and the plan between them.
use super::run::plural;
use super::Ctx;
use crate::output::Diagnostics;
use crate::timing;
use anyhow::anyhow;
use strata_core::plan::{Plan, Step};
use strata_core::schema::Schema;
use strata_core::{canonicalize, diff, introspect, lower, scan};

pub struct Planned {
    pub plan: Plan,
    pub desired: Schema,
    pub current: Schema,
}

/// Scans the entity sources and builds the desired schema; every problem at once, each
/// with the file:line of the entity it is about.
pub fn desired_schema(ctx: &Ctx<'_>) -> anyhow::Result<Schema> {
    let s = &ctx.settings;
    timing::mark("setup");
    let scanned = scan::scan(&s.entities_root, &s.entities).map_err(|e| Diagnostics {
        summary: format!(
            "the entity sources have {}; nothing was done",
            plural(e.count, "problem")
        ),
        rendered: e.rendered,
    })?;
    ctx.out.verbose(&format!(
        "scanned {} entities and {} enums from {}",
        scanned.entities.len(),
        scanned.enums.len(),
        s.entities.join(", ")
    ));
    let entities: Vec<_> = scanned.entities.iter().map(|l| l.item.clone()).collect();
    let enums: Vec<_> = scanned.enums.iter().map(|l| l.item.clone()).collect();
    timing::mark("scan");
    let lowered = lower::lower(&entities, &enums).map_err(|problems| {
        Diagnostics {
            summary: format!(
                "the entities declare {}; nothing was done",
                plural(problems.len(), "problem")
            ),
            rendered: scanned.render_problems(&problems),
        }
        .into()
    });
    timing::mark("lower");
    lowered
}

/// Config `schemas`, or `public` and every schema the desired schema uses.
pub fn managed_schemas(configured: Option<&[String]>, desired: &Schema) -> Vec<String> {
    if let Some(list) = configured {
        return list.to_vec();
    }
    let mut schemas = vec!["public".to_string()];
    schemas.extend(desired.schemas.iter().cloned());
    schemas.extend(desired.tables.iter().map(|t| t.schema.clone()));
    schemas.extend(desired.enums.iter().map(|e| e.schema.clone()));
    schemas.sort();
    schemas.dedup();
    schemas
}

pub async fn plan(ctx: &Ctx<'_>) -> anyhow::Result<Planned> {
    let s = &ctx.settings;
    let mut desired = desired_schema(ctx)?;
    desired.extensions = s.extensions.clone();
    let mut conn = ctx.connect().await?;
    timing::mark("connect");
    let managed = managed_schemas(s.schemas.as_deref(), &desired);
    ctx.out
        .verbose(&format!("managed schemas: {}", managed.join(", ")));
    let current = introspect::introspect(&mut conn, &managed, &s.exclude)
        .await
        .map_err(|e| anyhow!("cannot read the database schema: {e}"))?;
    timing::mark("introspect");
    canonicalize::canonicalize(&mut conn, &mut desired, &current)
        .await
        .map_err(|e| anyhow!("cannot canonicalize the entities' SQL fragments: {e}"))?;
    timing::mark("canonicalize");
    let plan = diff::diff(&desired, &current);
    timing::mark("diff");
    Ok(Planned {
        plan,
        desired,
        current,
    })
}

/// `description [hazard, hazard]`.
pub fn describe(step: &Step) -> String {
    if step.hazards.is_empty() {
        step.description.clone()
    } else {
        let hazards: Vec<&str> = step.hazards.iter().map(|h| h.as_str()).collect();
        format!("{} [{}]", step.description, hazards.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::schema::{EnumType, Table};

    fn table(schema: &str, name: &str) -> Table {
        Table {
            schema: schema.into(),
            name: name.into(),
            columns: vec![],
            primary_key: None,
            uniques: vec![],
            indexes: vec![],
            foreign_keys: vec![],
            checks: vec![],
            comment: None,
            renamed_from: None,
        }
    }

    #[test]
    fn managed_schemas_default_to_public_and_the_entities_schemas() {
        let desired = Schema {
            schemas: vec!["public".into()],
            enums: vec![EnumType {
                schema: "audit".into(),
                name: "kind".into(),
                labels: vec![],
                label_renames: vec![],
            }],
            tables: vec![table("billing", "invoices"), table("public", "users")],
            ..Schema::default()
        };
        assert_eq!(
            managed_schemas(None, &desired),
            vec!["audit", "billing", "public"]
        );
        let configured = vec!["app".to_string()];
        assert_eq!(managed_schemas(Some(&configured), &desired), vec!["app"]);
    }
}
