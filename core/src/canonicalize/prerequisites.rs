//! The desired world a fragment is spelled in: schemas, extensions and enum types as
//! declared, created inside the rolled-back transaction before any fragment.
//!
//! Enums are the delicate part. A default `'draft'` on an enum column reads back as
//! `'draft'::status`, naming the real type, so the type must exist under its real name
//! with the declared labels. A missing type is simply created. An existing one whose
//! labels differ cannot be fixed with `ADD VALUE`: PostgreSQL refuses to use a label
//! added in the same transaction ("unsafe use of new value"). So the existing type is
//! renamed out of the way and the declared one created under the real name; the
//! current tables keep pointing at the renamed one, which nothing here reads, and the
//! rollback restores everything.

use super::{runner, CanonicalizeError};
use crate::names::{qualified, quote_ident};
use crate::schema::{EnumType, Schema};
use sqlx::PgConnection;

/// One statement of the set-up and what it creates, to name it if it fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Prerequisite {
    /// `schema "billing"`, `extension "citext"`, `enum type billing.status`.
    pub object: String,
    pub sql: String,
}

/// Creates what [`statements`] lists, in one round trip; the first refusal is the
/// error (later ones usually follow from it).
pub(super) async fn create(
    tx: &mut PgConnection,
    desired: &Schema,
    current: &Schema,
) -> Result<(), CanonicalizeError> {
    let prerequisites = statements(desired, current);
    let sql: Vec<String> = prerequisites.iter().map(|p| p.sql.clone()).collect();
    let failures = runner::run(tx, &sql).await?;
    match failures.first() {
        None => Ok(()),
        Some(f) => Err(CanonicalizeError::Prerequisite {
            object: prerequisites
                .get(f.index)
                .map(|p| p.object.clone())
                .unwrap_or_default(),
            message: f.message.clone(),
        }),
    }
}

/// Schemas, then extensions (which may install into a schema), then enum types (which
/// live in a schema): only what `current` does not already have as declared.
pub(super) fn statements(desired: &Schema, current: &Schema) -> Vec<Prerequisite> {
    let mut out = Vec::new();

    let mut schemas: Vec<&str> = desired
        .schemas
        .iter()
        .chain(desired.enums.iter().map(|e| &e.schema))
        .chain(desired.tables.iter().map(|t| &t.schema))
        .map(String::as_str)
        .filter(|s| !current.schemas.iter().any(|c| c == s))
        .collect();
    schemas.sort_unstable();
    schemas.dedup();
    for s in schemas {
        out.push(Prerequisite {
            object: format!("schema {s:?}"),
            sql: format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(s)),
        });
    }

    for e in &desired.extensions {
        if !crate::sql::has_extension(&current.extensions, e) {
            for sql in crate::sql::create_extension(e) {
                out.push(Prerequisite {
                    object: format!("extension {e:?}"),
                    sql,
                });
            }
        }
    }

    let mut renamed = 0;
    for e in &desired.enums {
        let existing = current
            .enums
            .iter()
            .find(|c| c.schema == e.schema && c.name == e.name);
        let object = format!("enum type {}", qualified(&e.schema, &e.name));
        match existing {
            Some(c) if c.labels == e.labels => continue,
            Some(_) => {
                // Unique within the transaction; its schema is the type's own.
                let aside = format!("strata_canon_old_{renamed}");
                renamed += 1;
                out.push(Prerequisite {
                    object: object.clone(),
                    sql: format!(
                        "ALTER TYPE {} RENAME TO {aside}",
                        qualified(&e.schema, &e.name)
                    ),
                });
            }
            None => {}
        }
        out.push(Prerequisite {
            object,
            sql: create_enum(e),
        });
    }
    out
}

/// `CREATE TYPE ... AS ENUM ('a', 'b')`; labels are literals (standard strings are on
/// in the transaction, so doubling `'` is the whole quoting).
fn create_enum(e: &EnumType) -> String {
    let labels: Vec<String> = e
        .labels
        .iter()
        .map(|l| format!("'{}'", l.replace('\'', "''")))
        .collect();
    format!(
        "CREATE TYPE {} AS ENUM ({})",
        qualified(&e.schema, &e.name),
        labels.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enum_type(schema: &str, name: &str, labels: &[&str]) -> EnumType {
        EnumType {
            schema: schema.into(),
            name: name.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            label_renames: vec![],
        }
    }

    fn sql(p: &[Prerequisite]) -> Vec<&str> {
        p.iter().map(|p| p.sql.as_str()).collect()
    }

    #[test]
    fn nothing_is_created_when_current_has_everything_as_declared() {
        let s = Schema {
            schemas: vec!["billing".into(), "public".into()],
            extensions: vec!["citext".into()],
            enums: vec![enum_type("billing", "status", &["open"])],
            tables: vec![],
            ..Schema::default()
        };
        assert!(statements(&s, &s).is_empty());
    }

    #[test]
    fn missing_schemas_extensions_and_enums_are_created_in_dependency_order() {
        let desired = Schema {
            schemas: vec!["public".into(), "Billing".into()],
            extensions: vec!["uuid-ossp".into(), "citext".into()],
            enums: vec![
                enum_type("Billing", "status", &["open", "it's paid"]),
                enum_type("public", "mood", &[]),
            ],
            tables: vec![],
            ..Schema::default()
        };
        let current = Schema {
            schemas: vec!["public".into()],
            extensions: vec!["citext".into(), "plpgsql".into()],
            ..Schema::default()
        };
        let p = statements(&desired, &current);
        assert_eq!(
            sql(&p),
            [
                "CREATE SCHEMA IF NOT EXISTS \"Billing\"",
                "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\"",
                "CREATE TYPE \"Billing\".status AS ENUM ('open', 'it''s paid')",
                "CREATE TYPE mood AS ENUM ()",
            ]
        );
        assert_eq!(p[1].object, "extension \"uuid-ossp\"");
        assert_eq!(p[2].object, "enum type \"Billing\".status");
    }

    #[test]
    fn an_enum_with_other_labels_is_set_aside_and_declared_anew() {
        let desired = Schema {
            schemas: vec!["public".into()],
            enums: vec![
                enum_type("public", "a", &["x", "new", "y"]),
                enum_type("public", "b", &["q"]),
                enum_type("public", "c", &["r", "s"]),
            ],
            ..Schema::default()
        };
        let current = Schema {
            schemas: vec!["public".into()],
            enums: vec![
                enum_type("public", "a", &["x", "y"]),
                enum_type("public", "b", &["q"]),
                enum_type("public", "c", &["s", "r"]),
            ],
            ..Schema::default()
        };
        assert_eq!(
            sql(&statements(&desired, &current)),
            [
                "ALTER TYPE a RENAME TO strata_canon_old_0",
                "CREATE TYPE a AS ENUM ('x', 'new', 'y')",
                "ALTER TYPE c RENAME TO strata_canon_old_1",
                "CREATE TYPE c AS ENUM ('r', 's')",
            ]
        );
    }
}
