//! `#[derive(strata::DbEnum)]` enums → PostgreSQL enum types.

use super::{schema_of, LowerError, DEFAULT_SCHEMA};
use crate::entity::{DbEnumDef, EntityDef};
use crate::names::qualified_type;
use crate::schema::EnumType;
use std::collections::HashMap;

/// The enum types, and the column type each enum's Rust name stands for.
pub(super) struct Enums {
    pub types: Vec<EnumType>,
    /// Rust name → the type as `format_type` prints it (`user_status`, `billing.status`).
    pub column_types: HashMap<String, String>,
}

/// Every declared enum becomes a type, used or not: declaring it is asking for it.
pub(super) fn lower_enums(
    defs: &[DbEnumDef],
    entities: &[&EntityDef],
    errors: &mut Vec<LowerError>,
) -> Enums {
    let error = |def: &DbEnumDef, message: String| LowerError {
        entity: def.rust_name.clone(),
        field: None,
        message,
    };
    let tables: HashMap<(&str, &str), &str> = entities
        .iter()
        .map(|e| ((schema_of(e), e.table_name.as_str()), e.rust_name.as_str()))
        .collect();
    let mut by_type: HashMap<(&str, &str), &str> = HashMap::new();
    let mut enums = Enums {
        types: Vec::with_capacity(defs.len()),
        column_types: HashMap::new(),
    };
    for def in defs {
        let schema = def.schema.as_deref().unwrap_or(DEFAULT_SCHEMA);
        let key = (schema, def.type_name.as_str());
        if let Some(other) = by_type.insert(key, &def.rust_name) {
            errors.push(error(
                def,
                format!(
                    "enum type `{schema}.{}` is also declared by enum `{other}`; give one of them another `#[sqlx(type_name = \"...\")]`",
                    def.type_name
                ),
            ));
        }
        // Every table has a row type of its own name in pg_type, so an enum type of
        // that name in the same schema cannot be created.
        if let Some(entity) = tables.get(&key) {
            errors.push(error(
                def,
                format!(
                    "enum type `{schema}.{}` has the name of the table of entity `{entity}`, and PostgreSQL gives every table a type of its name; change the enum's `type_name` or the table's `table_name`",
                    def.type_name
                ),
            ));
        }
        let column_type = qualified_type(schema, &def.type_name);
        if enums
            .column_types
            .insert(def.rust_name.clone(), column_type)
            .is_some()
        {
            errors.push(error(
                def,
                "two enums have this Rust name; a column names its enum by it, so rename one"
                    .to_string(),
            ));
        }
        enums.types.push(EnumType {
            schema: schema.to_string(),
            name: def.type_name.clone(),
            labels: def.variants.iter().map(|v| v.label.clone()).collect(),
            label_renames: def
                .variants
                .iter()
                .filter_map(|v| {
                    v.renamed_from
                        .as_ref()
                        .map(|old| (old.clone(), v.label.clone()))
                })
                .collect(),
        });
    }
    enums
}
