//! Rust names for what the database names: struct, enum, variant, field and module
//! names that are valid identifiers, follow Rust's conventions, and never collide.

use heck::{ToSnakeCase, ToUpperCamelCase};
use std::collections::HashSet;

/// Words a field may not be called without `rename`: Rust keywords (strict, reserved
/// and the 2024 edition's `gen`), and the bare flags of `primary_key(...)`,
/// `unique(...)` and `index(...)`, which would then not name the field there.
const RESERVED_FIELDS: &[&str] = &[
    "unique",
    "deferrable",
    "initially_deferred",
    "nulls_not_distinct",
    "gen",
    "try",
    "async",
    "await",
    "dyn",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "macro",
    "override",
    "priv",
    "typeof",
    "unsized",
    "virtual",
    "yield",
    "union",
    "self",
    "super",
    "crate",
    "Self",
];

/// Type names a struct or enum may not take: the prelude's (a struct `Option` would
/// hide `Option<T>` in its module) and those strata's type map reads by their last
/// path segment (an enum called `Date` would be read as a date).
const RESERVED_TYPES: &[&str] = &[
    "Self",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "String",
    "Vec",
    "Box",
    "Uuid",
    "DateTime",
    "Utc",
    "FixedOffset",
    "Local",
    "OffsetDateTime",
    "NaiveDateTime",
    "PrimitiveDateTime",
    "NaiveDate",
    "Date",
    "NaiveTime",
    "Time",
    "Decimal",
    "BigDecimal",
    "Json",
    "JsonValue",
    "Value",
    "IpAddr",
    "IpNetwork",
    "Copy",
    "Clone",
    "Send",
    "Sync",
    "Sized",
    "Drop",
    "Fn",
    "Default",
    "Entity",
    "DbEnum",
];

/// Whether `s` is an identifier Rust accepts as written (no keyword, no raw `r#`).
pub fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s != "_"
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && syn::parse_str::<syn::Ident>(s).is_ok()
        && !RESERVED_FIELDS.contains(&s)
}

/// Only ASCII letters, digits and `_`, runs of anything else made one `_`.
fn ascii_word(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

/// The field for a column: the column's own name when it is a plain snake_case
/// identifier, else a snake_case one made from it (the caller then renames).
pub fn field_name(column: &str) -> String {
    let plain = column
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain && is_ident(column) {
        return column.to_string();
    }
    let mut name = ascii_word(&column.to_snake_case());
    name = name.trim_matches('_').to_string();
    if name.is_empty() {
        name = "column".into();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("c_{name}");
    }
    if !is_ident(&name) {
        name.push('_');
    }
    name
}

/// A module (and file) name for a schema.
pub fn module_name(schema: &str) -> String {
    let name = field_name(schema);
    if name == "mod" || name == "sql" {
        format!("{name}_")
    } else {
        name
    }
}

/// An UpperCamelCase type name for a table or enum type (`order_lines` →
/// `OrderLines`), `suffix` appended when the plain one is reserved.
pub fn type_name(name: &str, suffix: &str) -> String {
    let mut out = ascii_word(&name.to_upper_camel_case()).replace('_', "");
    if out.is_empty() {
        out = suffix.to_string();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out = format!("{suffix}{out}");
    }
    if RESERVED_TYPES.contains(&out.as_str()) || syn::parse_str::<syn::Ident>(&out).is_err() {
        out.push_str(suffix);
    }
    out
}

/// A variant name for an enum label.
pub fn variant_name(label: &str) -> String {
    let mut out = ascii_word(&label.to_upper_camel_case()).replace('_', "");
    if out.is_empty() {
        return "Empty".to_string();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out = format!("V{out}");
    }
    if syn::parse_str::<syn::Ident>(&out).is_err() {
        out.push_str("Value");
    }
    out
}

/// Hands out names unique among those already given: `name`, else `name2`, `name3`...
#[derive(Default)]
pub struct Unique {
    taken: HashSet<String>,
}

impl Unique {
    pub fn take(&mut self, name: &str) -> String {
        if self.taken.insert(name.to_string()) {
            return name.to_string();
        }
        let mut n = 2;
        loop {
            let candidate = format!("{name}{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }

    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_string());
    }

    pub fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_snake_case_identifiers() {
        assert_eq!(field_name("email"), "email");
        assert_eq!(field_name("UserId"), "user_id");
        assert_eq!(field_name("type"), "type_");
        assert_eq!(field_name("unique"), "unique_");
        assert_eq!(field_name("1st"), "c_1st");
        assert_eq!(field_name("a b"), "a_b");
        assert_eq!(field_name("Self"), "self_");
        assert_eq!(field_name("é"), "column");
    }

    #[test]
    fn types_are_upper_camel_case_and_avoid_the_prelude() {
        assert_eq!(type_name("order_lines", "Table"), "OrderLines");
        assert_eq!(type_name("option", "Table"), "OptionTable");
        assert_eq!(type_name("date", "Enum"), "DateEnum");
        assert_eq!(type_name("2fa", "Table"), "Table2fa");
        assert_eq!(type_name("self", "Table"), "SelfTable");
        assert_eq!(variant_name("in progress"), "InProgress");
        assert_eq!(variant_name(""), "Empty");
        assert_eq!(module_name("billing"), "billing");
        assert_eq!(module_name("mod"), "mod_");
    }
}
