//! The planning pipeline as a library: entities → desired schema, database → current
//! schema, the two spelled alike, and the plan between them.
//!
//! The CLI is a shell over this: `generate`, `diff` and `verify` scan the entity
//! sources (with file:line diagnostics), read the catalog while they parse, print and
//! write; what they plan with is here. `strata::check` ([`crate::check`]) uses the same
//! lowering and introspection, and compares instead of planning. What stays in the CLI:
//! scanning and its diagnostics, connecting (URLs, redaction), reading the catalog in
//! the background while the sources are parsed, the objects declared in SQL files
//! (they are read back from a scratch database the CLI manages), replays of the
//! migrations folder, and rendering.
use crate::canonicalize::{self, CanonicalizeError};
use crate::diff::{self, DiffOptions};
use crate::entity::{DbEnumDef, EntityDef};
use crate::exclude::Exclude;
use crate::introspect::Introspector;
use crate::lower::{self, LowerError};
use crate::names;
use crate::plan::Plan;
use crate::schema::{ExcludedTable, Schema};
use sqlx::PgConnection;
use std::borrow::Borrow;
use std::collections::HashMap;

/// Why the current and desired schemas could not be spelled alike.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("cannot canonicalize the entities' SQL fragments: {0}")]
    Canonicalize(#[from] CanonicalizeError),
    #[error("cannot spell the database's SQL fragments for down files: {0}")]
    Restorable(sqlx::Error),
}

/// Which struct declares a table and which field a column, so a hint can say
/// `add #[entity(renamed_from = "avatar")] to User::avatar_url`.
#[derive(Debug, Clone, Default)]
pub struct RustNames {
    /// By the table's qualified SQL name (`users`, `billing.invoices`).
    tables: HashMap<String, (String, HashMap<String, String>)>,
}

impl RustNames {
    pub fn of(entities: &[&EntityDef]) -> RustNames {
        let tables = entities
            .iter()
            .map(|e| {
                let schema = e.schema.as_deref().unwrap_or(lower::DEFAULT_SCHEMA);
                let fields = e
                    .fields
                    .iter()
                    .map(|f| (f.column_name.clone(), f.rust_name.clone()))
                    .collect();
                (
                    names::qualified(schema, &e.table_name),
                    (e.rust_name.clone(), fields),
                )
            })
            .collect();
        RustNames { tables }
    }

    /// `User` for the table, or `User::avatar_url` for one of its columns.
    pub fn item(&self, table: &str, column: Option<&str>) -> Option<String> {
        let (entity, fields) = self.tables.get(table)?;
        match column {
            None => Some(entity.clone()),
            Some(c) => fields.get(c).map(|f| format!("{entity}::{f}")),
        }
    }
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

/// The desired schema of `entities` and `enums`, with strata.toml's `extensions`, and
/// without what `exclude` names; what was left out (`table name ("entry")`), for a
/// warning. Every problem of the entities at once.
pub fn desired_schema<E: Borrow<EntityDef>>(
    entities: &[E],
    enums: &[DbEnumDef],
    extensions: &[String],
    exclude: &Exclude,
) -> Result<(Schema, Vec<String>), Vec<LowerError>> {
    let mut desired = lower::lower(entities, enums)?;
    desired.extensions = extensions.to_vec();
    let left_out = exclude.leave_out_of(&mut desired);
    Ok((desired, left_out))
}

/// The current schema of `schemas`, in one snapshot: on `first` alone, or with `second`
/// reading half of the catalog (see [`Introspector::introspect_parallel`]).
pub async fn current_schema(
    first: &mut PgConnection,
    second: Option<&mut PgConnection>,
    schemas: &[String],
    exclude: &[String],
) -> Result<Schema, sqlx::Error> {
    let mut introspector = Introspector::new();
    match second {
        Some(second) => {
            introspector
                .introspect_parallel(first, second, schemas, exclude)
                .await
        }
        None => introspector.introspect(first, schemas, exclude).await,
    }
}

/// Spells `desired` and `current` alike before they are compared: the entities'
/// fragments as PostgreSQL reads them back ([`canonicalize::canonicalize_on`]), and the
/// database's as a down file can write them ([`canonicalize::restorable`]). Both in
/// transactions that are rolled back.
pub async fn spell(
    first: &mut PgConnection,
    second: Option<&mut PgConnection>,
    desired: &mut Schema,
    current: &mut Schema,
) -> Result<(), PipelineError> {
    canonicalize::canonicalize_on(first, second, desired, current).await?;
    // What a down file re-creates must read back as it is now: an enum swap re-creates
    // what reads the type on excluded tables too, so those are asked about with the
    // managed ones (as tables no entity wants: every fragment).
    let managed_count = current.tables.len();
    let enum_users: Vec<(String, String)> = current
        .enums_used_by_excluded()
        .into_iter()
        .flat_map(|(_, users)| users)
        .map(|x| (x.table.schema.clone(), x.table.name.clone()))
        .collect();
    let (swapped, others): (Vec<_>, Vec<_>) = std::mem::take(&mut current.excluded_tables)
        .into_iter()
        .partition(|x| {
            enum_users
                .iter()
                .any(|(schema, name)| *schema == x.table.schema && *name == x.table.name)
        });
    let whys: Vec<_> = swapped.iter().map(|x| x.why.clone()).collect();
    current.tables.extend(swapped.into_iter().map(|x| x.table));
    let respelled = canonicalize::restorable(first, desired, current).await;
    let swapped = current.tables.split_off(managed_count);
    current.excluded_tables = others;
    current.excluded_tables.extend(
        swapped
            .into_iter()
            .zip(whys)
            .map(|(table, why)| ExcludedTable { why, table }),
    );
    current.sort();
    respelled.map_err(PipelineError::Restorable)
}

/// The plan from `current` to `desired`, once [`spell`]ed.
pub fn plan(desired: &Schema, current: &Schema, options: &DiffOptions) -> Plan {
    diff::diff_with(desired, current, options)
}

/// [`spell`] then [`plan`]: what `generate` plans, for entities already lowered and a
/// catalog already read.
pub async fn plan_on(
    first: &mut PgConnection,
    second: Option<&mut PgConnection>,
    desired: &mut Schema,
    current: &mut Schema,
    options: &DiffOptions,
) -> Result<Plan, PipelineError> {
    spell(first, second, desired, current).await?;
    Ok(plan(desired, current, options))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{EnumType, Table};

    fn table(schema: &str, name: &str) -> Table {
        Table::new(schema, name, vec![])
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
