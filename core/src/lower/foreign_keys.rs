//! Foreign keys: targets resolved across all entities, checked as PostgreSQL checks
//! them when the constraint is added, and named as it names them.

use super::{error, schema_of, LowerError, Names, DEFAULT_SCHEMA};
use crate::entity::{EntityDef, FieldDef, FkActions, FkTarget};
use crate::names::quote_ident;
use crate::schema::{ForeignKey, Table};
use std::collections::{BTreeSet, HashMap};

const NO_ACTION: &str = "NO ACTION";

/// Adds every entity's foreign keys to its table (`tables[i]` is `entities[i]`'s).
/// Field ones in field order, then table ones, entity by entity: the order their
/// default names are chosen in.
pub(super) fn lower_all(
    entities: &[&EntityDef],
    tables: &mut [Table],
    names: &mut Names,
    errors: &mut Vec<LowerError>,
) {
    let targets = Targets::new(entities, tables);
    let mut found: Vec<(usize, ForeignKey, bool)> = Vec::new();
    for (i, entity) in entities.iter().enumerate() {
        for field in &entity.fields {
            let Some(fk) = &field.foreign_key else {
                continue;
            };
            let columns = vec![field.column_name.clone()];
            let referenced = match &fk.target {
                FkTarget::Entity(name) => targets.entity(
                    entity,
                    name,
                    fk.column.as_slice(),
                    &columns,
                    format_args!("`foreign_key({name}, column = \"...\")`"),
                ),
                FkTarget::Table {
                    schema,
                    table,
                    columns: ref_columns,
                } => targets.table(schema.as_deref(), table, ref_columns, &columns),
            };
            match referenced {
                Ok(r) => found.push((
                    i,
                    foreign_key(columns, r, &fk.actions),
                    fk.actions.name.is_none(),
                )),
                Err(message) => errors.push(error(entity, Some(field), message)),
            }
        }
        for def in &entity.foreign_keys {
            let columns = super::columns_of(entity, &def.fields);
            if columns.is_empty() {
                errors.push(error(
                    entity,
                    None,
                    format!(
                        "`foreign_key(references = {})` needs the referencing fields: `foreign_key(columns(a), references = {}, ...)`",
                        def.references, def.references
                    ),
                ));
                continue;
            }
            let how = "`ref_columns(...)`";
            match targets.entity(entity, &def.references, &def.ref_fields, &columns, how) {
                Ok(r) => found.push((
                    i,
                    foreign_key(columns, r, &def.actions),
                    def.actions.name.is_none(),
                )),
                // Say which one: a table-level key has no field to point at.
                Err(message) => errors.push(error(
                    entity,
                    None,
                    format!(
                        "`foreign_key(columns({}), references = {})`: {message}",
                        def.fields.join(", "),
                        def.references
                    ),
                )),
            }
        }
    }
    for (i, mut fk, unnamed) in found {
        let table = &mut tables[i];
        if unnamed {
            fk.name = names
                .of(&table.schema)
                .foreign_key(&table.name, &fk.columns);
        }
        table.foreign_keys.push(fk);
    }
}

/// What a foreign key points at, resolved.
struct Referenced {
    schema: String,
    table: String,
    columns: Vec<String>,
}

/// `name` stays empty for an unnamed key until its default is chosen, in order.
fn foreign_key(columns: Vec<String>, to: Referenced, actions: &FkActions) -> ForeignKey {
    ForeignKey {
        name: actions.name.clone().unwrap_or_default(),
        columns,
        ref_schema: to.schema,
        ref_table: to.table,
        ref_columns: to.columns,
        on_delete: actions
            .on_delete
            .clone()
            .unwrap_or_else(|| NO_ACTION.into()),
        on_update: actions
            .on_update
            .clone()
            .unwrap_or_else(|| NO_ACTION.into()),
        deferrable: actions.deferrable || actions.initially_deferred,
        initially_deferred: actions.initially_deferred,
        ref_index: None,
        not_valid: false,
    }
}

/// The entities and their (key-complete) tables, by Rust name and by table.
struct Targets<'a> {
    entities: &'a [&'a EntityDef],
    tables: &'a [Table],
    by_rust_name: HashMap<&'a str, usize>,
    by_table: HashMap<(&'a str, &'a str), usize>,
}

impl<'a> Targets<'a> {
    fn new(entities: &'a [&'a EntityDef], tables: &'a [Table]) -> Targets<'a> {
        let mut by_rust_name = HashMap::new();
        let mut by_table = HashMap::new();
        // First declaration wins: duplicates are reported elsewhere.
        for (i, e) in entities.iter().enumerate() {
            by_rust_name.entry(e.rust_name.as_str()).or_insert(i);
            by_table
                .entry((schema_of(e), e.table_name.as_str()))
                .or_insert(i);
        }
        Targets {
            entities,
            tables,
            by_rust_name,
            by_table,
        }
    }

    /// `foreign_key(Org, column = ...)` / `foreign_key(columns(..), references = Org,
    /// ref_columns(..))`: `given` are Org's Rust field names (or, failing that, column
    /// names); none means Org's primary key. `how` says how to name them (printed only
    /// into the error that needs it).
    fn entity(
        &self,
        from: &EntityDef,
        name: &str,
        given: &[String],
        columns: &[String],
        how: impl std::fmt::Display,
    ) -> Result<Referenced, String> {
        // `foreign_key(Self)` on a self-referencing table.
        let i = if name == "Self" {
            self.by_rust_name.get(from.rust_name.as_str())
        } else {
            self.by_rust_name.get(name)
        };
        let Some(&i) = i else {
            return Err(format!(
                "`{name}` is not an entity strata knows: it must derive `strata::Entity` and be in a file the `--entities` globs scan"
            ));
        };
        let (entity, table) = (self.entities[i], &self.tables[i]);
        let shown = &entity.rust_name;
        let ref_columns = if given.is_empty() {
            match &table.primary_key {
                Some(pk) => pk.columns.clone(),
                None => {
                    return Err(format!(
                        "`{shown}` has no primary key, so name the referenced column with {how}"
                    ))
                }
            }
        } else {
            given
                .iter()
                .map(|g| resolve_column(entity, g))
                .collect::<Result<Vec<_>, _>>()?
        };
        check_count(columns, &ref_columns, shown)?;
        check_is_key(table, &ref_columns, shown)?;
        Ok(Referenced {
            schema: table.schema.clone(),
            table: table.name.clone(),
            columns: ref_columns,
        })
    }

    /// `references = "schema.table(col)"`: checked like an entity when the table is
    /// one, taken on trust otherwise.
    fn table(
        &self,
        schema: Option<&str>,
        table: &str,
        ref_columns: &[String],
        columns: &[String],
    ) -> Result<Referenced, String> {
        if ref_columns.is_empty() {
            let written = schema.map_or(table.to_string(), |s| format!("{s}.{table}"));
            return Err(format!(
                "`references` needs the referenced column: `references = \"{written}(column)\"`"
            ));
        }
        let schema = schema.unwrap_or(DEFAULT_SCHEMA);
        if let Some(&i) = self.by_table.get(&(schema, table)) {
            let (entity, target) = (self.entities[i], &self.tables[i]);
            let shown = format!("{schema}.{table}");
            for c in ref_columns {
                if !entity.fields.iter().any(|f| f.column_name == *c) {
                    return Err(format!(
                        "table `{shown}` (entity `{}`) has no column `{c}`; its columns: {}",
                        entity.rust_name,
                        column_list(entity)
                    ));
                }
            }
            check_count(columns, ref_columns, &shown)?;
            check_is_key(target, ref_columns, &shown)?;
        }
        Ok(Referenced {
            schema: schema.to_string(),
            table: table.to_string(),
            columns: ref_columns.to_vec(),
        })
    }
}

/// A Rust field name of `entity`, or else one of its column names.
fn resolve_column(entity: &EntityDef, given: &str) -> Result<String, String> {
    let by_field = entity.fields.iter().find(|f| f.rust_name == given);
    let by_column = || entity.fields.iter().find(|f| f.column_name == given);
    match by_field.or_else(by_column) {
        Some(field) => Ok(field.column_name.clone()),
        None => Err(format!(
            "`{}` has no field or column `{given}`; its fields: {}",
            entity.rust_name,
            entity
                .fields
                .iter()
                .map(|f: &FieldDef| f.rust_name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn column_list(entity: &EntityDef) -> String {
    entity
        .fields
        .iter()
        .map(|f| f.column_name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_count(columns: &[String], ref_columns: &[String], target: &str) -> Result<(), String> {
    if columns.len() == ref_columns.len() {
        return Ok(());
    }
    Err(format!(
        "this foreign key has {} column(s) ({}) but references {} of `{target}` ({}); give as many referencing as referenced columns",
        columns.len(),
        columns.join(", "),
        ref_columns.len(),
        ref_columns.join(", ")
    ))
}

/// PostgreSQL only lets a foreign key reference columns that are, as a set, the
/// primary key, a unique constraint or a plain (non-partial, column-only) unique index
/// of the referenced table (`transformFkeyCheckAttrs`).
fn check_is_key(table: &Table, ref_columns: &[String], target: &str) -> Result<(), String> {
    let wanted: BTreeSet<&str> = ref_columns.iter().map(String::as_str).collect();
    let same = |cols: &[String]| {
        cols.len() == wanted.len()
            && cols.iter().map(String::as_str).collect::<BTreeSet<_>>() == wanted
    };
    let quoted: BTreeSet<String> = ref_columns
        .iter()
        .map(|c| quote_ident(c).into_owned())
        .collect();
    // A deferrable key does not count: PostgreSQL refuses it as a foreign key's
    // target (`transformFkeyCheckAttrs` wants `indimmediate`).
    let deferred_only = wanted.len() == ref_columns.len()
        && (table
            .primary_key
            .as_ref()
            .is_some_and(|pk| same(&pk.columns) && !pk.deferral.is_immediate())
            || table
                .uniques
                .iter()
                .any(|u| same(&u.columns) && !u.deferral.is_immediate()));
    let is_key = wanted.len() == ref_columns.len()
        && (table
            .primary_key
            .as_ref()
            .is_some_and(|pk| same(&pk.columns) && pk.deferral.is_immediate())
            || table
                .uniques
                .iter()
                .any(|u| same(&u.columns) && u.deferral.is_immediate())
            || table.indexes.iter().any(|i| {
                i.unique
                    && i.predicate.is_none()
                    && i.keys.len() == quoted.len()
                    && i.keys.iter().cloned().collect::<BTreeSet<_>>() == quoted
            }));
    if is_key {
        Ok(())
    } else if deferred_only {
        Err(format!(
            "the referenced columns ({}) of `{target}` are a deferrable key, and PostgreSQL refuses a foreign key to one (\"cannot use a deferrable unique constraint for referenced table\"); drop `deferrable` / `initially_deferred` there, or reference another key",
            ref_columns.join(", ")
        ))
    } else {
        Err(format!(
            "the referenced columns ({}) are not the primary key or a unique constraint of `{target}`, so PostgreSQL would refuse the foreign key (\"there is no unique constraint matching given keys\"); reference its key, or make those columns `unique`",
            ref_columns.join(", ")
        ))
    }
}
