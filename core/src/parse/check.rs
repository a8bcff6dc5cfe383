//! Validation kept apart from reading (serde_derive's `check.rs`): contradictions
//! between keys, keys that do not fit the field's type, and field lists naming fields
//! that do not exist. Every check reports into the [`Ctxt`] and goes on.

use super::attr::{FieldAttrs, Spanned};
use super::ctxt::Ctxt;
use super::symbol::SKIP;
use super::types;
use crate::entity::RustType;

/// Largest `varchar(n)` PostgreSQL accepts.
const MAX_VARCHAR_LENGTH: u32 = 10_485_760;
/// Largest `numeric(p)` precision.
const MAX_NUMERIC_PRECISION: u32 = 1000;
/// Largest fractional-seconds precision of `timestamp(p)` / `time(p)`.
const MAX_TIME_PRECISION: u32 = 6;

/// Whether the field is left out of the table; reports `skip` mixed with column keys.
pub fn is_skipped(cx: &Ctxt, attrs: &FieldAttrs) -> bool {
    let skipped = attrs.skip.is_some() || attrs.sqlx_skip;
    if skipped {
        let other = attrs.keys.iter().find(|(key, _)| key != SKIP.as_str());
        if let Some((key, span)) = other {
            cx.error_at(
                *span,
                format!(
                    "this field is skipped (not a column), so `{key}` means nothing here; \
                     remove it or the `skip`"
                ),
            );
        }
    }
    skipped
}

/// A field's type as a person writes it ([`types::display`]), printed when shown.
#[derive(Clone, Copy)]
struct Shown<'a>(&'a syn::Type);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&types::display(self.0))
    }
}

/// The checks of one column's keys against each other and against its type.
pub fn field(cx: &Ctxt, attrs: &FieldAttrs, field_ty: &syn::Type, ty: &RustType, nullable: bool) {
    // Printed only into an error message: printing a type for every field of every
    // entity cost more than all of the checks.
    let shown = Shown(field_ty);

    if let Some(pk) = &attrs.primary_key {
        if nullable {
            cx.error_at(
                pk.span,
                format!(
                    "a primary key column cannot be NULL, but `{shown}` is an Option; \
                     drop the Option or the `primary_key`"
                ),
            );
        }
    }

    if attrs.sql_type.is_some() {
        for (key, given) in [
            ("length", &attrs.length),
            ("precision", &attrs.precision),
            ("scale", &attrs.scale),
        ] {
            if let Some(k) = given {
                cx.error_at(
                    k.span,
                    format!(
                        "`{key}` conflicts with `sql_type`; write the whole type in `sql_type`"
                    ),
                );
            }
        }
    } else {
        type_modifiers(cx, attrs, ty, shown);
    }

    generation(cx, attrs, ty, nullable, shown);
    foreign_keys(cx, attrs);
    collation(cx, attrs, ty, shown);
}

/// A collation belongs to a string column (`text`, `varchar`, arrays of them); a type
/// given in `sql_type` is the user's to know (`citext`, a domain).
fn collation(cx: &Ctxt, attrs: &FieldAttrs, ty: &RustType, shown: Shown) {
    let Some(c) = &attrs.collation else {
        return;
    };
    let is_string = |t: &RustType| matches!(t, RustType::String);
    let collatable = match ty {
        RustType::Array(inner) => is_string(inner),
        other => is_string(other),
    };
    if attrs.sql_type.is_none() && !collatable {
        cx.error_at(
            c.span,
            format!(
                "`collation` is for string columns, and `{shown}` is not one; \
                 drop it, or give the type with `sql_type`"
            ),
        );
    }
}

/// `length`, `precision`, `scale` against the type.
fn type_modifiers(cx: &Ctxt, attrs: &FieldAttrs, ty: &RustType, shown: Shown) {
    let base = match ty {
        RustType::Array(elem) => elem.as_ref(),
        other => other,
    };
    if let Some(length) = &attrs.length {
        if *base != RustType::String {
            cx.error_at(
                length.span,
                format!(
                    "`length` applies to String columns (varchar(n)); `{shown}` is not a String"
                ),
            );
        } else if length.value > MAX_VARCHAR_LENGTH {
            cx.error_at(
                length.span,
                format!("`length` is at most {MAX_VARCHAR_LENGTH} in PostgreSQL; use a String without `length` (text)"),
            );
        }
    }
    if let Some(precision) = &attrs.precision {
        match base {
            RustType::Decimal if precision.value > MAX_NUMERIC_PRECISION => cx.error_at(
                precision.span,
                format!("numeric precision is at most {MAX_NUMERIC_PRECISION}"),
            ),
            RustType::TimestampTz | RustType::Timestamp | RustType::Time
                if precision.value > MAX_TIME_PRECISION =>
            {
                cx.error_at(
                    precision.span,
                    format!("fractional-seconds precision is at most {MAX_TIME_PRECISION}"),
                )
            }
            RustType::Decimal | RustType::TimestampTz | RustType::Timestamp | RustType::Time => {}
            _ => cx.error_at(
                precision.span,
                format!(
                    "`precision` applies to Decimal (numeric(p, s)) and date-time columns \
                     (timestamptz(p)); `{shown}` is neither"
                ),
            ),
        }
    }
    if let Some(scale) = &attrs.scale {
        if *base != RustType::Decimal {
            cx.error_at(
                scale.span,
                format!("`scale` applies to Decimal columns (numeric(p, s)); `{shown}` is not one"),
            );
        } else if attrs.precision.is_none() {
            cx.error_at(
                scale.span,
                "`scale` needs `precision` too: `precision = 12, scale = 2`",
            );
        }
    }
}

/// `identity`, `serial`, `default` and `generated`: at most one way to fill a column.
fn generation(cx: &Ctxt, attrs: &FieldAttrs, ty: &RustType, nullable: bool, shown: Shown) {
    let integer = matches!(ty, RustType::I16 | RustType::I32 | RustType::I64);
    let generators: [(&str, Option<proc_macro2::Span>); 2] = [
        ("identity", attrs.identity.as_ref().map(|s| s.span)),
        ("serial", attrs.serial.as_ref().map(|s| s.span)),
    ];
    for (key, span) in generators {
        let Some(span) = span else { continue };
        if !integer || nullable {
            cx.error_at(
                span,
                format!(
                    "`{key}` needs an i16, i32 or i64 field (not an Option); `{shown}` is not one"
                ),
            );
        }
        if attrs.default.is_some() {
            cx.error_at(
                span,
                format!("`{key}` already gives the column its default; remove `default`"),
            );
        }
    }
    if let (Some(_), Some(serial)) = (&attrs.identity, &attrs.serial) {
        cx.error_at(
            serial.span,
            "`serial` and `identity` both generate the value; choose one",
        );
    }
    if let Some(generated) = &attrs.generated {
        let clash = [
            ("default", attrs.default.as_ref().map(|s| s.span)),
            ("identity", attrs.identity.as_ref().map(|s| s.span)),
            ("serial", attrs.serial.as_ref().map(|s| s.span)),
        ];
        for (key, span) in clash {
            if span.is_some() {
                cx.error_at(
                    generated.span,
                    format!("a `generated` column is computed, so it cannot also have `{key}`"),
                );
            }
        }
    }
}

/// `foreign_key(...)` and `references = "..."` with their actions.
fn foreign_keys(cx: &Ctxt, attrs: &FieldAttrs) {
    if let (Some(_), Some(refs)) = (&attrs.foreign_key, &attrs.references) {
        cx.error_at(
            refs.span,
            "a field has one foreign key: `foreign_key(Entity)` or `references = \"table(column)\"`, not both",
        );
    }
    if let Some(crate::entity::FkTarget::Table { columns, .. }) =
        attrs.references.as_ref().map(|r| &r.value)
    {
        if columns.len() > 1 {
            if let Some(r) = &attrs.references {
                cx.error_at(
                    r.span,
                    "a field references one column; use a struct-level `foreign_key(columns(...), ...)` for several",
                );
            }
        }
    }
    if attrs.references.is_none() {
        let a = &attrs.reference_actions;
        let beside = [
            ("on_delete", a.on_delete.as_ref().map(|s| s.span)),
            ("on_update", a.on_update.as_ref().map(|s| s.span)),
            ("deferrable", a.deferrable.as_ref().map(|s| s.span)),
            ("name", a.name.as_ref().map(|s| s.span)),
        ];
        for (key, span) in beside {
            if let Some(span) = span {
                let hint = if attrs.foreign_key.is_some() {
                    format!("put it inside `foreign_key(Entity, {key} = ...)`")
                } else {
                    "it goes inside `foreign_key(...)` or beside `references = \"...\"`".to_string()
                };
                cx.error_at(span, format!("`{key}` has no foreign key here; {hint}"));
            }
        }
    }
}

/// Resolves a list of field names against the struct: each must be a field that is a
/// column. Returns the names (Rust field names), keeping the valid ones.
pub fn resolve_fields(
    cx: &Ctxt,
    list: &[Spanned<String>],
    columns: &[String],
    skipped: &[String],
    struct_name: &str,
) -> Vec<String> {
    let mut out = Vec::with_capacity(list.len());
    for name in list {
        if columns.contains(&name.value) {
            if out.contains(&name.value) {
                cx.error_at(name.span, format!("`{}` is listed twice", name.value));
            } else {
                out.push(name.value.clone());
            }
        } else if skipped.contains(&name.value) {
            cx.error_at(
                name.span,
                format!("field `{}` is skipped, so it is not a column", name.value),
            );
        } else {
            cx.error_at(
                name.span,
                format!(
                    "`{struct_name}` has no field `{}`; its fields: {}",
                    name.value,
                    columns.join(", ")
                ),
            );
        }
    }
    out
}
