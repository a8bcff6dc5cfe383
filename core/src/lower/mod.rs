//! Entities → desired schema: table and column names, SQL types, enum types, keys,
//! checks, indexes and foreign keys, with PostgreSQL's default names.
//! Pure: the same entities always give the same schema.
//!
//! Spellings follow `schema.rs`: types as `format_type` prints them, so a column that
//! matches the database compares equal without a round trip. Fragments the user wrote
//! in SQL (`default`, `generated`, `check`, index expressions and predicates) stay
//! verbatim here; `canonicalize` asks PostgreSQL how it spells them when they differ
//! from the database.
//!
//! Names are chosen in the order strata's SQL creates the objects (tables, then per
//! table: primary key, unique constraints, checks, indexes; foreign keys last), after
//! every name the user declared is reserved, so defaults come out as PostgreSQL's own.

mod collations;
mod constraints;
mod enums;
mod exclusions;
mod explicit_names;
pub(crate) mod expr_columns;
mod foreign_keys;
mod indexes;
mod types;

#[cfg(test)]
mod tests;

use crate::entity::{EntityDef, FieldDef};
use crate::names::NameAllocator;
use crate::schema::{BoundView, Deferral, PrimaryKey, Schema, Table, TableProperties};
use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap};

/// A problem with what the entities declare, found while building the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerError {
    /// The entity's (or enum's) Rust name.
    pub entity: String,
    /// The Rust field (or variant) name, when the problem is on one.
    pub field: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

impl std::fmt::Display for LowerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}::{}: {}", self.entity, field, self.message),
            None => write!(f, "{}: {}", self.entity, self.message),
        }
    }
}

pub const DEFAULT_SCHEMA: &str = "public";

/// Builds the desired schema from every scanned entity and enum. All problems at once.
///
/// The entities may be owned or borrowed (`&[EntityDef]` or `&[&EntityDef]`), so a
/// caller that keeps them elsewhere, as the scan does, need not copy them all first.
pub fn lower<E: Borrow<EntityDef>>(
    entities: &[E],
    enum_defs: &[crate::entity::DbEnumDef],
) -> Result<Schema, Vec<LowerError>> {
    let entities: Vec<&EntityDef> = entities.iter().map(Borrow::borrow).collect();
    let entities = entities.as_slice();
    let mut errors = Vec::new();
    check_unique_declarations(entities, &mut errors);
    let enums = enums::lower_enums(enum_defs, entities, &mut errors);

    let mut names = Names::default();
    // Tables first: their names are taken before any constraint name is chosen, as they
    // would be in a database where every table exists.
    for entity in entities {
        names
            .of(schema_of(entity))
            .take_relation(&entity.table_name);
    }
    explicit_names::reserve(entities, &mut names, &mut errors);

    let mut tables: Vec<Table> = entities
        .iter()
        .map(|entity| lower_entity(entity, &enums.column_types, &mut names, &mut errors))
        .collect();
    // After every table: a foreign key needs the referenced table's keys, and strata's
    // SQL adds foreign keys once all tables exist. Their `_fkey` names can only collide
    // with other `_fkey` names, so naming them last keeps PostgreSQL's numbering.
    foreign_keys::lower_all(entities, &mut tables, &mut names, &mut errors);

    let (bound_views, table_properties) = views_and_security(entities, &mut tables, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut schema = Schema {
        schemas: vec![DEFAULT_SCHEMA.to_string()],
        bound_views,
        ..Schema::default()
    };
    schema.objects.table_properties = table_properties;
    schema
        .schemas
        .extend(enums.types.iter().map(|e| e.schema.clone()));
    schema
        .schemas
        .extend(tables.iter().map(|t| t.schema.clone()));
    schema.enums = enums.types;
    schema.tables = tables;
    schema.sort();
    Ok(schema)
}

/// Takes the entities bound to a view out of `tables` (they are read models, not
/// tables: nothing of a table's may be declared on them), and gathers the tables
/// whose entity asks for row level security.
fn views_and_security(
    entities: &[&EntityDef],
    tables: &mut Vec<Table>,
    errors: &mut Vec<LowerError>,
) -> (Vec<BoundView>, Vec<TableProperties>) {
    let mut views = Vec::new();
    let mut security = Vec::new();
    let mut keep = vec![true; tables.len()];
    for (i, entity) in entities.iter().enumerate() {
        let table = &tables[i];
        if entity.row_level_security && entity.view.is_none() {
            security.push(TableProperties {
                schema: table.schema.clone(),
                table: table.name.clone(),
                row_security: true,
                ..TableProperties::default()
            });
        }
        let Some(source) = &entity.view else {
            continue;
        };
        let mut refuse = |what: &str| {
            errors.push(error(
                entity,
                None,
                format!(
                    "a struct bound to a view (`view = ...`) declares no {what}: a view has none. Remove it, or make the struct a table"
                ),
            ))
        };
        let has_keys = !entity.primary_key.is_empty()
            || entity
                .fields
                .iter()
                .any(|f| f.primary_key || f.unique.is_some() || f.foreign_key.is_some());
        if has_keys || !entity.uniques.is_empty() || !entity.foreign_keys.is_empty() {
            refuse("keys");
        }
        if !entity.indexes.is_empty() || entity.fields.iter().any(|f| f.index.is_some()) {
            refuse("indexes");
        }
        if !entity.checks.is_empty()
            || !entity.exclusions.is_empty()
            || entity.fields.iter().any(|f| f.check.is_some())
        {
            refuse("constraints");
        }
        if entity.partition_by.is_some()
            || entity.row_level_security
            || entity.renamed_from.is_some()
        {
            refuse("partition key, row level security or previous name");
        }
        views.push(BoundView {
            schema: table.schema.clone(),
            name: table.name.clone(),
            entity: entity.rust_name.clone(),
            source: source.clone(),
            columns: entity
                .fields
                .iter()
                .zip(&table.columns)
                .map(|(f, c)| (f.rust_name.clone(), c.name.clone(), c.ty.clone()))
                .collect(),
        });
        keep[i] = false;
    }
    let mut i = 0;
    tables.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    (views, security)
}

/// One name allocator per schema: PostgreSQL's names are unique within a namespace.
#[derive(Default)]
struct Names(HashMap<String, NameAllocator>);

impl Names {
    fn of(&mut self, schema: &str) -> &mut NameAllocator {
        self.0.entry(schema.to_string()).or_default()
    }
}

fn schema_of(entity: &EntityDef) -> &str {
    entity.schema.as_deref().unwrap_or(DEFAULT_SCHEMA)
}

fn error(entity: &EntityDef, field: Option<&FieldDef>, message: impl Into<String>) -> LowerError {
    LowerError {
        entity: entity.rust_name.clone(),
        field: field.map(|f| f.rust_name.clone()),
        message: message.into(),
    }
}

/// The column of the entity's field `rust_name` (the parser has checked the field
/// exists; an unknown name is passed through rather than panicking).
fn column_of<'a>(entity: &'a EntityDef, rust_name: &'a str) -> &'a str {
    entity
        .fields
        .iter()
        .find(|f| f.rust_name == rust_name)
        .map_or(rust_name, |f| f.column_name.as_str())
}

fn columns_of(entity: &EntityDef, rust_names: &[String]) -> Vec<String> {
    rust_names
        .iter()
        .map(|f| column_of(entity, f).to_string())
        .collect()
}

/// Two entities for one table, or two structs of one name, can't be told apart.
fn check_unique_declarations(entities: &[&EntityDef], errors: &mut Vec<LowerError>) {
    let mut tables: HashMap<(&str, &str), &str> = HashMap::new();
    let mut rust_names: BTreeSet<&str> = BTreeSet::new();
    for entity in entities {
        let key = (schema_of(entity), entity.table_name.as_str());
        if let Some(other) = tables.insert(key, &entity.rust_name) {
            errors.push(error(
                entity,
                None,
                format!(
                    "table `{}.{}` is also declared by entity `{other}`; give one of them another `table_name`",
                    key.0, key.1
                ),
            ));
        }
        if !rust_names.insert(&entity.rust_name) {
            errors.push(error(
                entity,
                None,
                "two entities have this Rust name; strata resolves foreign keys by name, so rename one",
            ));
        }
    }
}

/// The table of one entity, without its foreign keys. Problems go to `errors`; the
/// table is returned anyway (possibly missing a column) so foreign keys to it can
/// still be checked and every problem is reported in one run.
fn lower_entity(
    entity: &EntityDef,
    enum_types: &HashMap<String, String>,
    names: &mut Names,
    errors: &mut Vec<LowerError>,
) -> Table {
    let schema = schema_of(entity).to_string();
    let table_name = entity.table_name.clone();

    let mut seen_columns: HashMap<&str, &str> = HashMap::new();
    let mut columns = Vec::with_capacity(entity.fields.len());
    for field in &entity.fields {
        if let Some(other) = seen_columns.insert(&field.column_name, &field.rust_name) {
            errors.push(error(
                entity,
                Some(field),
                format!(
                    "column `{}` is also the column of field `{other}`; give one of them another `rename`",
                    field.column_name
                ),
            ));
        }
        match types::lower_column(field, entity.string_type.as_deref(), enum_types) {
            Ok(column) => columns.push(column),
            Err(message) => errors.push(error(entity, Some(field), message)),
        }
    }
    if entity.fields.is_empty() {
        errors.push(error(
            entity,
            None,
            "an entity needs at least one column (every field is skipped)",
        ));
    }

    let pk_columns = primary_key_columns(entity, errors);
    for column in &mut columns {
        if pk_columns.contains(&column.name) {
            column.nullable = false;
        }
    }
    let names = names.of(&schema);
    let options = &entity.primary_key_options;
    let primary_key = (!pk_columns.is_empty()).then(|| PrimaryKey {
        // A declared name was reserved beforehand (see `explicit_names`).
        name: entity
            .primary_key_name
            .clone()
            .unwrap_or_else(|| names.primary_key(&table_name)),
        columns: pk_columns,
        deferral: Deferral::from_flags(options.deferrable, options.initially_deferred),
    });
    let uniques = constraints::uniques(entity, names);
    let checks = constraints::checks(entity, names);
    let indexes = indexes::indexes(entity, names, errors);
    if let Some(key) = &entity.partition_by {
        let keys = primary_key.iter().map(|pk| ("primary key", &pk.columns));
        let keys = keys.chain(uniques.iter().map(|u| ("unique constraint", &u.columns)));
        for message in partition_key_problems(key, &columns, keys) {
            errors.push(error(entity, None, message));
        }
    }
    let exclusions = exclusions::exclusions(entity, names);

    Table {
        schema,
        name: table_name,
        columns,
        primary_key,
        uniques,
        indexes,
        foreign_keys: Vec::new(),
        checks,
        exclusions,
        comment: entity.comment.clone(),
        renamed_from: entity.renamed_from.clone(),
        partition_by: entity.partition_by.clone(),
    }
}

/// What PostgreSQL would refuse in a partition key: a column the table does not have,
/// and a primary key or unique constraint that leaves out a key column (or any key on
/// an expression), since PostgreSQL can enforce uniqueness only within a partition.
fn partition_key_problems<'a>(
    key: &str,
    columns: &[crate::schema::Column],
    keys: impl Iterator<Item = (&'a str, &'a Vec<String>)>,
) -> Vec<String> {
    let parsed = match crate::partitioning::parse(key) {
        Ok(parsed) => parsed,
        Err(problem) => return vec![format!("`partition_by` {problem}")],
    };
    let mut out: Vec<String> = parsed
        .columns
        .iter()
        .filter(|c| !columns.iter().any(|col| &col.name == *c))
        .map(|c| format!("`partition_by` names `{c}`, which is not a column of this entity"))
        .collect();
    for (kind, key_columns) in keys {
        if parsed.has_expressions {
            out.push(format!(
                "a {kind} cannot be declared on a table partitioned by an expression \
                 (`partition_by = \"{key}\"`): PostgreSQL cannot enforce it across partitions"
            ));
            continue;
        }
        let missing: Vec<&str> = parsed
            .columns
            .iter()
            .filter(|c| !key_columns.contains(c))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            out.push(format!(
                "the {kind} ({}) must include every partition key column, as PostgreSQL \
                 requires; add {} to it",
                key_columns.join(", "),
                missing.join(", ")
            ));
        }
    }
    out
}

/// The primary key's columns, from fields marked `primary_key` or `primary_key(...)`.
fn primary_key_columns(entity: &EntityDef, errors: &mut Vec<LowerError>) -> Vec<String> {
    let field_pk: Vec<String> = entity
        .fields
        .iter()
        .filter(|f| f.primary_key)
        .map(|f| f.rust_name.clone())
        .collect();
    let pk_fields = match (field_pk.is_empty(), entity.primary_key.is_empty()) {
        (_, true) => field_pk,
        (true, false) => entity.primary_key.clone(),
        (false, false) => {
            if field_pk != entity.primary_key {
                errors.push(error(
                    entity,
                    None,
                    "the primary key is declared both on fields and in `primary_key(...)` with different columns; keep one",
                ));
            }
            entity.primary_key.clone()
        }
    };
    columns_of(entity, &pk_fields)
}
