//! Entities → desired schema: table and column names, SQL types, constraint names.
//! Pure: the same entities always give the same schema.
//!
//! Spellings follow `schema.rs`: types as `format_type` prints them, so a column that
//! matches the database compares equal without a round trip. Fragments the user wrote
//! in SQL (`default`, `sql_type`) stay verbatim here; `canonicalize` asks PostgreSQL
//! how it spells them when they differ from the database.

use crate::entity::{DbEnumDef, EntityDef, FieldDef, IdentityKind, RustType};
use crate::names::NameAllocator;
use crate::schema::{Column, Identity, PrimaryKey, Schema, Table, UniqueConstraint};
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
pub fn lower(entities: &[EntityDef], enums: &[DbEnumDef]) -> Result<Schema, Vec<LowerError>> {
    let mut errors = Vec::new();
    check_unique_declarations(entities, &mut errors);
    let enums_by_name: HashMap<&str, &DbEnumDef> =
        enums.iter().map(|e| (e.rust_name.as_str(), e)).collect();

    let mut schema = Schema {
        schemas: vec![DEFAULT_SCHEMA.to_string()],
        ..Schema::default()
    };
    let mut names = Names::default();
    // Tables first: their names are taken before any constraint name is chosen, as they
    // would be in a database where every table exists.
    for entity in entities {
        names
            .of(schema_of(entity))
            .take_relation(&entity.table_name);
    }
    for e in enums {
        errors.push(LowerError {
            entity: e.rust_name.clone(),
            field: None,
            message: format!(
                "enum types (`{}`) are not supported yet by `strata generate`; remove the `strata::DbEnum` derive for now",
                e.type_name
            ),
        });
    }
    for entity in entities {
        errors.extend(not_supported_yet(entity));
        if let Some(table) = lower_entity(entity, &enums_by_name, &mut names, &mut errors) {
            schema.schemas.push(table.schema.clone());
            schema.tables.push(table);
        }
    }
    schema.sort();
    if errors.is_empty() {
        Ok(schema)
    } else {
        Err(errors)
    }
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

/// Two entities for one table, or two structs of one name, can't be told apart.
fn check_unique_declarations(entities: &[EntityDef], errors: &mut Vec<LowerError>) {
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

/// The declarations that `generate` cannot diff yet. Each one is an error rather than
/// being silently left out of the migration.
fn not_supported_yet(entity: &EntityDef) -> Vec<LowerError> {
    let unsupported = |what: &str, field: Option<&FieldDef>| {
        error(
            entity,
            field,
            format!("`{what}` is not supported yet by `strata generate`; remove it for now or write that part of the migration by hand with `strata create`"),
        )
    };
    let mut out = Vec::new();
    if !entity.indexes.is_empty() {
        out.push(unsupported("index(...)", None));
    }
    if !entity.foreign_keys.is_empty() {
        out.push(unsupported("foreign_key(...)", None));
    }
    if !entity.checks.is_empty() {
        out.push(unsupported("check(...)", None));
    }
    for field in &entity.fields {
        if field.index.is_some() {
            out.push(unsupported("index", Some(field)));
        }
        if let Some(fk) = &field.foreign_key {
            let key = match fk.target {
                crate::entity::FkTarget::Entity(_) => "foreign_key",
                crate::entity::FkTarget::Table { .. } => "references",
            };
            out.push(unsupported(key, Some(field)));
        }
        if field.check.is_some() {
            out.push(unsupported("check", Some(field)));
        }
        if field.generated.is_some() {
            out.push(unsupported("generated", Some(field)));
        }
    }
    out
}

fn lower_entity(
    entity: &EntityDef,
    enums: &HashMap<&str, &DbEnumDef>,
    names: &mut Names,
    errors: &mut Vec<LowerError>,
) -> Option<Table> {
    let schema = schema_of(entity).to_string();
    let table_name = entity.table_name.clone();
    let column_of: HashMap<&str, &str> = entity
        .fields
        .iter()
        .map(|f| (f.rust_name.as_str(), f.column_name.as_str()))
        .collect();
    let columns_of = |fields: &[String]| -> Vec<String> {
        fields
            .iter()
            .map(|f| column_of.get(f.as_str()).copied().unwrap_or(f).to_string())
            .collect()
    };

    let mut seen_columns: HashMap<&str, &str> = HashMap::new();
    let mut columns = Vec::with_capacity(entity.fields.len());
    let before = errors.len();
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
        match lower_column(field, enums) {
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
    let pk_columns = columns_of(&pk_fields);
    for column in &mut columns {
        if pk_columns.contains(&column.name) {
            column.nullable = false;
        }
    }
    let primary_key = (!pk_columns.is_empty()).then(|| PrimaryKey {
        name: names.of(&schema).primary_key(&table_name),
        columns: pk_columns,
    });

    // Column constraints first, then table constraints: the order PostgreSQL chooses
    // names in for CREATE TABLE, which decides the numbering of colliding names.
    let mut uniques = Vec::new();
    for field in &entity.fields {
        if let Some(name) = &field.unique {
            let columns = vec![field.column_name.clone()];
            uniques.push(unique(
                names.of(&schema),
                &table_name,
                columns,
                name.as_ref(),
            ));
        }
    }
    for u in &entity.uniques {
        uniques.push(unique(
            names.of(&schema),
            &table_name,
            columns_of(&u.fields),
            u.name.as_ref(),
        ));
    }

    if errors.len() > before {
        return None;
    }
    Some(Table {
        schema,
        name: table_name,
        columns,
        primary_key,
        uniques,
        indexes: Vec::new(),
        foreign_keys: Vec::new(),
        checks: Vec::new(),
        comment: entity.comment.clone(),
        renamed_from: entity.renamed_from.clone(),
    })
}

fn unique(
    names: &mut NameAllocator,
    table: &str,
    columns: Vec<String>,
    declared: Option<&String>,
) -> UniqueConstraint {
    let name = match declared {
        Some(name) => {
            names.take_relation(name);
            names.take_constraint(name);
            name.clone()
        }
        None => names.unique(table, &columns),
    };
    UniqueConstraint { name, columns }
}

fn lower_column(field: &FieldDef, enums: &HashMap<&str, &DbEnumDef>) -> Result<Column, String> {
    let ty = match &field.sql_type {
        Some(sql_type) => sql_type.clone(),
        None => sql_type_of(field, &field.ty, enums)?,
    };
    if field.serial && !matches!(field.ty, RustType::I16 | RustType::I32 | RustType::I64) {
        return Err(format!(
            "`serial` needs an i16, i32 or i64 field, not `{ty}`"
        ));
    }
    Ok(Column {
        name: field.column_name.clone(),
        ty,
        nullable: field.nullable && !field.primary_key,
        default: field.default.clone(),
        identity: field.identity.map(|kind| match kind {
            IdentityKind::Always => Identity::Always,
            IdentityKind::ByDefault => Identity::ByDefault,
        }),
        generated: field.generated.clone(),
        serial: field.serial,
        comment: field.comment.clone(),
        renamed_from: field.renamed_from.clone(),
    })
}

/// The type map of SPEC.md, spelled as `format_type` spells it.
fn sql_type_of(
    field: &FieldDef,
    ty: &RustType,
    enums: &HashMap<&str, &DbEnumDef>,
) -> Result<String, String> {
    let precision = |base: &str, suffix: &str| match field.precision {
        Some(p) => format!("{base}({p}){suffix}"),
        None => format!("{base}{suffix}"),
    };
    Ok(match ty {
        RustType::Bool => "boolean".into(),
        RustType::I16 => "smallint".into(),
        RustType::I32 => "integer".into(),
        RustType::I64 => "bigint".into(),
        RustType::F32 => "real".into(),
        RustType::F64 => "double precision".into(),
        RustType::String => match field.length {
            Some(n) => format!("character varying({n})"),
            None => "text".into(),
        },
        RustType::Bytes => "bytea".into(),
        RustType::Uuid => "uuid".into(),
        RustType::TimestampTz => precision("timestamp", " with time zone"),
        RustType::Timestamp => precision("timestamp", " without time zone"),
        RustType::Date => "date".into(),
        RustType::Time => precision("time", " without time zone"),
        RustType::Decimal => match (field.precision, field.scale) {
            (Some(p), Some(s)) => format!("numeric({p},{s})"),
            // numeric(p) is numeric(p,0), and format_type says so.
            (Some(p), None) => format!("numeric({p},0)"),
            _ => "numeric".into(),
        },
        RustType::Json => "jsonb".into(),
        RustType::Inet => "inet".into(),
        RustType::Array(inner) => format!("{}[]", sql_type_of(field, inner, enums)?),
        RustType::Named(name) => match enums.get(name.as_str()) {
            Some(_) => {
                return Err(format!(
                    "the enum `{name}` is a column type here, and enum types are not supported yet by `strata generate`; use `#[entity(sql_type = \"text\")]` for now"
                ))
            }
            None => {
                return Err(format!(
                    "`{name}` has no PostgreSQL type in strata's type map: derive `strata::DbEnum` for it, or give the column a type with `#[entity(sql_type = \"...\")]`"
                ))
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_db_enum, parse_entity};

    fn entity(source: &str) -> EntityDef {
        let input = syn::parse_str(source).expect("valid Rust");
        parse_entity(&input).expect("valid attributes")
    }

    fn lowered(sources: &[&str]) -> Schema {
        let entities: Vec<EntityDef> = sources.iter().map(|s| entity(s)).collect();
        lower(&entities, &[]).expect("lowers")
    }

    fn problems(sources: &[&str]) -> Vec<String> {
        let entities: Vec<EntityDef> = sources.iter().map(|s| entity(s)).collect();
        lower(&entities, &[])
            .expect_err("should not lower")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn every_type_of_the_type_map_is_spelled_as_format_type_spells_it() {
        let schema = lowered(&[r#"
            #[derive(Entity)]
            struct AllTypes {
                a: bool, b: i16, c: i32, d: i64, e: f32, f: f64, g: String,
                #[entity(length = 7)] h: String, i: Vec<u8>, j: uuid::Uuid,
                k: DateTime<Utc>, #[entity(precision = 3)] l: DateTime<Utc>,
                m: NaiveDateTime, n: NaiveDate, o: NaiveTime, p: Decimal,
                #[entity(precision = 10, scale = 2)] q: Decimal, #[entity(precision = 5)] r: Decimal,
                s: serde_json::Value, t: IpAddr, u: Vec<i64>, #[entity(length = 3)] v: Vec<String>,
                w: Option<Vec<Decimal>>, #[entity(sql_type = "citext")] x: String,
            }
        "#]);
        let types: Vec<(String, String, bool)> = schema.tables[0]
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty.clone(), c.nullable))
            .collect();
        insta::assert_debug_snapshot!(types);
    }

    #[test]
    fn tables_default_to_snake_case_in_public_and_keys_get_postgres_names() {
        let schema = lowered(&[
            r#"#[derive(Entity)] #[entity(unique(a, b))] struct OrderLine {
                #[entity(primary_key)] id: i64, #[entity(unique)] a: i32, b: i32,
                #[entity(unique = "custom_name")] c: i32 }"#,
            r#"#[derive(Entity)] #[entity(schema = "crm", primary_key(x, y))] struct Lead { x: i32, y: i32 }"#,
        ]);
        assert_eq!(schema.schemas, vec!["crm", "public"]);
        let lead = &schema.tables[0];
        assert_eq!((lead.schema.as_str(), lead.name.as_str()), ("crm", "lead"));
        assert_eq!(
            lead.primary_key.as_ref().map(|pk| pk.name.as_str()),
            Some("lead_pkey")
        );
        let line = &schema.tables[1];
        assert_eq!(line.name, "order_line");
        let uniques: Vec<(&str, Vec<String>)> = line
            .uniques
            .iter()
            .map(|u| (u.name.as_str(), u.columns.clone()))
            .collect();
        assert_eq!(
            uniques,
            vec![
                ("custom_name", vec!["c".to_string()]),
                ("order_line_a_b_key", vec!["a".to_string(), "b".to_string()]),
                ("order_line_a_key", vec!["a".to_string()]),
            ]
        );
    }

    #[test]
    fn long_names_are_truncated_and_numbered_as_postgres_does() {
        let long = "a_table_name_that_is_long_enough_to_need_truncation_xyz";
        let col = "a_column_name_that_is_also_rather_long_";
        let source = format!(
            r#"#[derive(Entity)] #[entity(table_name = "{long}")] struct T {{
                #[entity(unique)] {col}1: i32, #[entity(unique)] {col}2: i32 }}"#
        );
        let schema = lowered(&[&source]);
        let names: Vec<&str> = schema.tables[0]
            .uniques
            .iter()
            .map(|u| u.name.as_str())
            .collect();
        assert!(names.iter().all(|n| n.len() <= 63), "{names:?}");
        assert_eq!(names.len(), 2);
        assert!(names.iter().any(|n| n.ends_with("_key1")), "{names:?}");
    }

    #[test]
    fn problems_are_all_reported_and_name_the_entity_and_field() {
        let found = problems(&[
            r#"#[derive(Entity)] #[entity(table_name = "t")] struct A { #[entity(primary_key)] id: i64, mood: Mood }"#,
            r#"#[derive(Entity)] #[entity(table_name = "t")] struct B { #[entity(index)] id: i64, #[entity(check = "id > 0")] x: i32 }"#,
        ]);
        insta::assert_snapshot!(found.join("\n"));
    }

    #[test]
    fn enum_types_are_reported_as_not_supported_yet() {
        let status = parse_db_enum(
            &syn::parse_str(
                r#"#[derive(DbEnum)] #[sqlx(type_name = "status")] enum Status { Open, Closed }"#,
            )
            .expect("valid Rust"),
        )
        .expect("valid enum");
        let user = entity(
            r#"#[derive(Entity)] struct User { #[entity(primary_key)] id: i64, status: Status }"#,
        );
        let errors = lower(&[user], &[status]).expect_err("enums wait for the next issue");
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 2, "{text:?}");
        assert!(
            text.iter().all(|t| t.contains("not supported yet")),
            "{text:?}"
        );
    }

    #[test]
    fn serial_needs_an_integer_and_primary_keys_are_not_null() {
        let schema = lowered(&[
            r#"#[derive(Entity)] #[entity(primary_key(a))] struct P { a: i32, #[entity(serial)] b: i64 }"#,
        ]);
        let t = &schema.tables[0];
        assert!(!t.columns[0].nullable);
        assert!(t.columns[1].serial);
    }
}
