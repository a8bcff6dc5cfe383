//! Columns: the type map of SPEC.md, spelled as `format_type` spells it.

use crate::entity::{FieldDef, IdentityKind, RustType};
use crate::schema::{Column, Identity};
use std::collections::HashMap;

/// One field's column. `enum_types` maps a `DbEnum`'s Rust name to its column type.
/// `string_type` is the struct's `string_type = "..."`: the type of an unbounded
/// `String` (`text` without it).
pub(super) fn lower_column(
    field: &FieldDef,
    string_type: Option<&str>,
    enum_types: &HashMap<String, String>,
) -> Result<Column, String> {
    let ty = match &field.sql_type {
        Some(sql_type) => sql_type.clone(),
        None => sql_type_of(field, &field.ty, string_type, enum_types)?,
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
        sequence: None,
        sequence_type: None,
        collation: field
            .collation
            .as_deref()
            .and_then(super::collations::column_collation),
        comment: field.comment.clone(),
        renamed_from: field.renamed_from.clone(),
        written: Default::default(),
    })
}

fn sql_type_of(
    field: &FieldDef,
    ty: &RustType,
    string_type: Option<&str>,
    enum_types: &HashMap<String, String>,
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
            None => string_type.unwrap_or("text").into(),
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
        RustType::Array(inner) => format!("{}[]", sql_type_of(field, inner, string_type, enum_types)?),
        RustType::Named(name) => match enum_types.get(name) {
            Some(ty) => ty.clone(),
            None => {
                return Err(format!(
                    "`{name}` has no PostgreSQL type in strata's type map: derive `strata::DbEnum` for it, or give the column a type with `#[entity(sql_type = \"...\")]`"
                ))
            }
        },
    })
}
