//! The type map (SPEC "Type map"): a field's Rust type → [`RustType`].
//!
//! Types are matched on the last path segment, so `chrono::DateTime<Utc>` and
//! `DateTime<Utc>` both work: the parser sees tokens, not resolved types. A plain path
//! strata does not know becomes `Named` (it may be a `DbEnum`; the derive asserts it and
//! lowering checks it); a type that can never be a column is an error here.

use crate::entity::RustType;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{GenericArgument, PathArguments, Type};

/// A field's type as the type map reads it.
pub struct Mapped<'a> {
    pub ty: RustType,
    /// `Option<T>` at the top level.
    pub nullable: bool,
    /// The types that mapped to `RustType::Named`, as written (with their spans), so
    /// the derive can assert each is a `DbEnum` where the user wrote it.
    pub named: Vec<&'a Type>,
}

/// Why a type has no PostgreSQL type: the offending (sub)type and what to say.
pub struct Unmappable {
    pub at: TokenStream,
    pub message: String,
}

/// Maps a field's type. With `sql_type` given, any type is accepted: what the map
/// knows is recorded, anything else becomes `Named` and the SQL type is the user's.
pub fn map_field_type(ty: &Type, has_sql_type: bool) -> Result<Mapped<'_>, Unmappable> {
    let mut named = Vec::new();
    match map_top(ty, &mut named) {
        // With `sql_type` the column's type is the user's: nothing to assert.
        Ok((rust_ty, nullable)) => Ok(Mapped {
            ty: rust_ty,
            nullable,
            named: if has_sql_type { Vec::new() } else { named },
        }),
        Err(_) if has_sql_type => {
            let nullable = option_arg(ty).is_some();
            let inner = option_arg(ty).unwrap_or(ty);
            Ok(Mapped {
                ty: RustType::Named(last_segment_name(inner).unwrap_or_else(|| display(inner))),
                nullable,
                named: Vec::new(),
            })
        }
        Err(e) => Err(e),
    }
}

fn map_top<'a>(ty: &'a Type, named: &mut Vec<&'a Type>) -> Result<(RustType, bool), Unmappable> {
    if let Some(inner) = option_arg(ty) {
        if option_arg(inner).is_some() {
            return Err(unmappable(
                ty,
                "a column has a single NULL, so `Option<Option<T>>` cannot be told apart from `Option<T>`",
            ));
        }
        return Ok((map_inner(inner, named)?, true));
    }
    Ok((map_inner(ty, named)?, false))
}

fn map_inner<'a>(ty: &'a Type, named: &mut Vec<&'a Type>) -> Result<RustType, Unmappable> {
    let ty = ungroup(ty);
    let Type::Path(type_path) = ty else {
        return Err(unmappable(ty, "only named types map to PostgreSQL types"));
    };
    if type_path.qself.is_some() {
        return Err(unmappable(
            ty,
            "qualified paths cannot be read without compiling",
        ));
    }
    let Some(last) = type_path.path.segments.last() else {
        return Err(unmappable(ty, "empty type path"));
    };
    let name = last.ident.to_string();
    let simple = match name.as_str() {
        "bool" => Some(RustType::Bool),
        "i16" => Some(RustType::I16),
        "i32" => Some(RustType::I32),
        "i64" => Some(RustType::I64),
        "f32" => Some(RustType::F32),
        "f64" => Some(RustType::F64),
        "String" => Some(RustType::String),
        "Uuid" => Some(RustType::Uuid),
        // chrono's DateTime<Utc | FixedOffset | Local> and time's OffsetDateTime.
        "DateTime" | "OffsetDateTime" => Some(RustType::TimestampTz),
        "NaiveDateTime" | "PrimitiveDateTime" => Some(RustType::Timestamp),
        "NaiveDate" | "Date" => Some(RustType::Date),
        "NaiveTime" | "Time" => Some(RustType::Time),
        "Decimal" | "BigDecimal" => Some(RustType::Decimal),
        "Json" | "JsonValue" => Some(RustType::Json),
        "IpAddr" | "IpNetwork" => Some(RustType::Inet),
        // `Value` is `serde_json::Value` written plainly or behind `use serde_json::Value`;
        // `other_crate::Value` is someone else's type.
        "Value" if is_serde_json_value(&type_path.path) => Some(RustType::Json),
        _ => None,
    };
    if let Some(simple) = simple {
        return Ok(simple);
    }
    match name.as_str() {
        "Vec" => map_vec(ty, last, named),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => Err(unmappable(
            ty,
            "PostgreSQL has no unsigned integers; use i16, i32 or i64",
        )),
        "i8" => Err(unmappable(ty, "PostgreSQL's smallest integer is i16")),
        "i128" | "isize" => Err(unmappable(ty, "PostgreSQL's largest integer is i64")),
        "char" | "str" => Err(unmappable(ty, "use String")),
        "Option" => Err(unmappable(
            ty,
            "only the field's own type may be an `Option` (that makes the column nullable)",
        )),
        _ if !matches!(last.arguments, PathArguments::None) => Err(unmappable(
            ty,
            "generic types other than Option, Vec and Json do not map to a column type",
        )),
        _ => {
            named.push(ty);
            Ok(RustType::Named(name))
        }
    }
}

fn map_vec<'a>(
    ty: &'a Type,
    segment: &'a syn::PathSegment,
    named: &mut Vec<&'a Type>,
) -> Result<RustType, Unmappable> {
    let Some(elem) = single_type_arg(segment) else {
        return Err(unmappable(ty, "`Vec` needs its element type"));
    };
    if is_u8(elem) {
        return Ok(RustType::Bytes);
    }
    if option_arg(elem).is_some() {
        return Err(unmappable(
            ty,
            "strata cannot declare array elements nullable; use `Vec<T>`",
        ));
    }
    match map_inner(elem, named)? {
        RustType::Array(_) => Err(unmappable(
            ty,
            "nested arrays are not supported: a PostgreSQL array is not an array of arrays",
        )),
        elem => Ok(RustType::Array(Box::new(elem))),
    }
}

fn unmappable(ty: &Type, why: &str) -> Unmappable {
    Unmappable {
        at: ty.to_token_stream(),
        message: format!(
            "`{}` has no PostgreSQL type in strata's type map ({why}); \
             give the column a type with #[entity(sql_type = \"...\")]",
            display(ty)
        ),
    }
}

fn ungroup(mut ty: &Type) -> &Type {
    loop {
        match ty {
            Type::Group(g) => ty = &g.elem,
            Type::Paren(p) => ty = &p.elem,
            _ => return ty,
        }
    }
}

/// `T` when `ty` is `Option<T>` (any path ending in `Option`).
pub fn option_arg(ty: &Type) -> Option<&Type> {
    let Type::Path(type_path) = ungroup(ty) else {
        return None;
    };
    if type_path.qself.is_some() {
        return None;
    }
    let last = type_path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    single_type_arg(last)
}

fn single_type_arg(segment: &syn::PathSegment) -> Option<&Type> {
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let first = types.next()?;
    if types.next().is_some() {
        return None;
    }
    Some(first)
}

fn is_u8(ty: &Type) -> bool {
    matches!(ungroup(ty), Type::Path(p) if p.qself.is_none() && p.path.is_ident("u8"))
}

fn is_serde_json_value(path: &syn::Path) -> bool {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [_] => true,
        [.., krate, _] => krate == "serde_json",
        [] => false,
    }
}

fn last_segment_name(ty: &Type) -> Option<String> {
    match ungroup(ty) {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// A type as a person writes it: `Vec<u32>`, not `Vec < u32 >`.
pub fn display(ty: &Type) -> String {
    let raw = ty.to_token_stream().to_string();
    raw.replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace("< ", "<")
        .replace(" <", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& ", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(src: &str) -> Result<(RustType, bool), String> {
        let ty: Type = syn::parse_str(src).map_err(|e| e.to_string())?;
        map_field_type(&ty, false)
            .map(|m| (m.ty, m.nullable))
            .map_err(|e| e.message)
    }

    #[test]
    fn known_types_map_by_last_segment() {
        let cases = [
            ("bool", RustType::Bool),
            ("i16", RustType::I16),
            ("i32", RustType::I32),
            ("i64", RustType::I64),
            ("f32", RustType::F32),
            ("f64", RustType::F64),
            ("String", RustType::String),
            ("std::string::String", RustType::String),
            ("Vec<u8>", RustType::Bytes),
            ("uuid::Uuid", RustType::Uuid),
            ("chrono::DateTime<chrono::Utc>", RustType::TimestampTz),
            ("DateTime<FixedOffset>", RustType::TimestampTz),
            ("time::OffsetDateTime", RustType::TimestampTz),
            ("NaiveDateTime", RustType::Timestamp),
            ("time::PrimitiveDateTime", RustType::Timestamp),
            ("NaiveDate", RustType::Date),
            ("time::Date", RustType::Date),
            ("NaiveTime", RustType::Time),
            ("rust_decimal::Decimal", RustType::Decimal),
            ("bigdecimal::BigDecimal", RustType::Decimal),
            ("serde_json::Value", RustType::Json),
            ("Value", RustType::Json),
            ("JsonValue", RustType::Json),
            ("sqlx::types::Json<Settings>", RustType::Json),
            ("std::net::IpAddr", RustType::Inet),
            ("ipnetwork::IpNetwork", RustType::Inet),
            ("Vec<String>", RustType::Array(Box::new(RustType::String))),
            ("Vec<Vec<u8>>", RustType::Array(Box::new(RustType::Bytes))),
            (
                "crate::model::UserStatus",
                RustType::Named("UserStatus".into()),
            ),
            (
                "Vec<Mood>",
                RustType::Array(Box::new(RustType::Named("Mood".into()))),
            ),
            ("other::Value", RustType::Named("Value".into())),
        ];
        for (src, expected) in cases {
            assert_eq!(map(src), Ok((expected, false)), "{src}");
        }
    }

    #[test]
    fn option_is_nullable_at_the_top_only() {
        assert_eq!(map("Option<i32>"), Ok((RustType::I32, true)));
        assert_eq!(
            map("std::option::Option<Vec<u8>>"),
            Ok((RustType::Bytes, true))
        );
    }

    #[test]
    fn unmappable_types_name_themselves_and_suggest_sql_type() {
        for src in [
            "u32",
            "usize",
            "i8",
            "i128",
            "char",
            "&str",
            "(i32, i32)",
            "[u8; 4]",
            "HashMap<String, i32>",
            "Option<Option<i32>>",
            "Vec<Option<i32>>",
            "Vec<Vec<i32>>",
            "Box<str>",
        ] {
            let err = map(src).expect_err(src);
            let shown = display(&syn::parse_str(src).expect(src));
            assert!(err.contains(&format!("`{shown}`")), "{src}: {err}");
            assert!(err.contains("sql_type"), "{src}: {err}");
        }
        let err = map("Vec<u32>").expect_err("Vec<u32>");
        assert!(err.starts_with("`u32`"), "{err}");
    }

    #[test]
    fn sql_type_accepts_anything() {
        let ty: Type = syn::parse_str("Option<u32>").expect("type");
        let mapped = map_field_type(&ty, true).map_err(|e| e.message);
        let mapped = mapped.expect("accepted");
        assert_eq!(mapped.ty, RustType::Named("u32".into()));
        assert!(mapped.nullable);
        assert!(mapped.named.is_empty());
    }
}
