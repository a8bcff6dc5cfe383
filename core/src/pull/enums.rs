//! Enum types → `DbEnum`s: variant names in UpperCamelCase, `rename_all` chosen to fit
//! the most labels, `#[sqlx(rename)]` on the variants it does not fit.

use super::names::{variant_name, Unique};
use crate::entity::{DbEnumDef, VariantDef};
use crate::schema::EnumType;
use heck::{ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// sqlx's `rename_all` cases, as sqlx (and strata's parser) apply them.
pub const RULES: &[&str] = &[
    "snake_case",
    "lowercase",
    "SCREAMING_SNAKE_CASE",
    "kebab-case",
    "camelCase",
    "PascalCase",
    "UPPERCASE",
];

pub fn apply(rule: &str, name: &str) -> String {
    match rule {
        "lowercase" => name.to_lowercase(),
        "UPPERCASE" => name.to_uppercase(),
        "snake_case" => name.to_snake_case(),
        "kebab-case" => name.to_kebab_case(),
        "camelCase" => name.to_lower_camel_case(),
        "PascalCase" => name.to_upper_camel_case(),
        "SCREAMING_SNAKE_CASE" => name.to_shouty_snake_case(),
        _ => name.to_string(),
    }
}

/// A pulled enum: its definition and how its variants are spelled in Rust.
#[derive(Debug, Clone)]
pub struct PulledEnum {
    pub def: DbEnumDef,
    pub module: String,
    /// `rename_all`, when one fits.
    pub rename_all: Option<&'static str>,
    /// Per variant: `#[sqlx(rename = label)]` needed.
    pub renamed: Vec<bool>,
}

pub fn build(e: &EnumType, rust_name: &str, module: &str) -> PulledEnum {
    let mut unique = Unique::default();
    let variants: Vec<String> = e
        .labels
        .iter()
        .map(|l| unique.take(&variant_name(l)))
        .collect();
    let fits = |rule: Option<&str>| {
        variants
            .iter()
            .zip(&e.labels)
            .filter(|(v, l)| match rule {
                Some(r) => apply(r, v) == **l,
                None => *v == *l,
            })
            .count()
    };
    let mut best: (Option<&'static str>, usize) = (None, fits(None));
    for rule in RULES {
        let n = fits(Some(rule));
        if n > best.1 {
            best = (Some(rule), n);
        }
    }
    let rename_all = best.0;
    let renamed: Vec<bool> = variants
        .iter()
        .zip(&e.labels)
        .map(|(v, l)| match rename_all {
            Some(r) => apply(r, v) != *l,
            None => v != l,
        })
        .collect();
    PulledEnum {
        def: DbEnumDef {
            rust_name: rust_name.to_string(),
            type_name: e.name.clone(),
            schema: (e.schema != "public").then(|| e.schema.clone()),
            variants: variants
                .into_iter()
                .zip(&e.labels)
                .map(|(v, l)| VariantDef {
                    rust_name: v,
                    label: l.clone(),
                    renamed_from: None,
                })
                .collect(),
        },
        module: module.to_string(),
        rename_all,
        renamed,
    }
}

impl PulledEnum {
    /// `#[sqlx(type_name = "...")]`: `name`, or `schema.name` outside public.
    pub fn type_name_attr(&self) -> String {
        match &self.def.schema {
            Some(s) => format!("{s}.{}", self.def.type_name),
            None => self.def.type_name.clone(),
        }
    }
}

/// Why an enum type cannot be a `DbEnum`, if it cannot.
pub fn inexpressible(e: &EnumType) -> Option<&'static str> {
    if e.name.contains('.') || e.schema.contains('.') {
        Some("its name holds a `.`, which `#[sqlx(type_name = ...)]` takes as the end of the schema's name")
    } else if e.labels.iter().any(String::is_empty) {
        Some("it has an empty label, which `#[sqlx(rename = ...)]` cannot name")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(labels: &[&str]) -> PulledEnum {
        build(
            &EnumType {
                schema: "public".into(),
                name: "mood".into(),
                labels: labels.iter().map(|l| l.to_string()).collect(),
                label_renames: vec![],
            },
            "Mood",
            "public",
        )
    }

    #[test]
    fn rename_all_fits_the_most_labels() {
        let e = labels(&["sad", "ok", "very_happy"]);
        assert_eq!(e.rename_all, Some("snake_case"));
        assert_eq!(e.renamed, vec![false, false, false]);
        let e = labels(&["Sad", "OK!", "in progress", ""]);
        assert_eq!(e.rename_all, None);
        let names: Vec<_> = e
            .def
            .variants
            .iter()
            .map(|v| v.rust_name.as_str())
            .collect();
        assert_eq!(names, vec!["Sad", "Ok", "InProgress", "Empty"]);
        assert_eq!(e.renamed, vec![false, true, true, true]);
    }
}
