//! The names the user declared: reserved before any default is chosen, so a default
//! never takes one (PostgreSQL would then refuse the declared one), and checked for
//! clashes PostgreSQL would refuse.
//!
//! PostgreSQL has two namespaces here. Relations (tables, indexes, and the indexes
//! behind primary keys and unique constraints) are unique per schema. Constraint names
//! are unique per table; only the default names avoid the whole schema's constraints.

use super::{error, schema_of, LowerError, Names};
use crate::entity::{EntityDef, FieldDef};
use std::collections::HashMap;
use std::fmt;

/// Which namespaces a declared name lives in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Unique constraint: its index is a relation, and it is a constraint.
    Unique,
    Index,
    /// Check or foreign key.
    Constraint,
}

struct Declared<'a> {
    name: &'a str,
    kind: Kind,
    what: &'static str,
    field: Option<&'a FieldDef>,
}

fn declared(entity: &EntityDef) -> Vec<Declared<'_>> {
    let mut out = Vec::new();
    if let Some(name) = &entity.primary_key_name {
        // Index-backed, like a unique constraint: both namespaces.
        out.push(Declared {
            name,
            kind: Kind::Unique,
            what: "primary key",
            field: None,
        });
    }
    for field in &entity.fields {
        if let Some(Some(name)) = &field.unique {
            out.push(Declared {
                name,
                kind: Kind::Unique,
                what: "unique constraint",
                field: Some(field),
            });
        }
        if let Some(name) = field.index.as_ref().and_then(|i| i.name.as_ref()) {
            out.push(Declared {
                name,
                kind: Kind::Index,
                what: "index",
                field: Some(field),
            });
        }
        if let Some(name) = field
            .foreign_key
            .as_ref()
            .and_then(|fk| fk.actions.name.as_ref())
        {
            out.push(Declared {
                name,
                kind: Kind::Constraint,
                what: "foreign key",
                field: Some(field),
            });
        }
    }
    let table_level = [
        entity
            .uniques
            .iter()
            .filter_map(|u| u.name.as_deref())
            .map(|n| (n, Kind::Unique, "unique constraint"))
            .collect::<Vec<_>>(),
        entity
            .checks
            .iter()
            .filter_map(|c| c.name.as_deref())
            .map(|n| (n, Kind::Constraint, "check constraint"))
            .collect(),
        entity
            .indexes
            .iter()
            .filter_map(|i| i.name.as_deref())
            .map(|n| (n, Kind::Index, "index"))
            .collect(),
        entity
            .foreign_keys
            .iter()
            .filter_map(|fk| fk.actions.name.as_deref())
            .map(|n| (n, Kind::Constraint, "foreign key"))
            .collect(),
        entity
            .exclusions
            .iter()
            .filter_map(|x| x.name.as_deref())
            // Index-backed, like a unique constraint: both namespaces.
            .map(|n| (n, Kind::Unique, "exclusion constraint"))
            .collect(),
    ];
    for (name, kind, what) in table_level.into_iter().flatten() {
        out.push(Declared {
            name,
            kind,
            what,
            field: None,
        });
    }
    out
}

/// What holds a relation name, said only in the message about a clash: there is one
/// for every table, and formatting each up front cost more than the checks.
enum Holder<'a> {
    Table {
        entity: &'a EntityDef,
    },
    Declared {
        what: &'static str,
        name: &'a str,
        entity: &'a EntityDef,
    },
}

impl fmt::Display for Holder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::Table { entity } => write!(f, "the table of entity `{}`", entity.rust_name),
            Holder::Declared { what, name, entity } => {
                write!(f, "{what} `{name}` of entity `{}`", entity.rust_name)
            }
        }
    }
}

/// Reserves every declared name in its schema's allocator and reports the clashes.
pub(super) fn reserve(entities: &[&EntityDef], names: &mut Names, errors: &mut Vec<LowerError>) {
    // (schema, relation name) → what holds it, tables first.
    let mut relations: HashMap<(&str, &str), Holder> = entities
        .iter()
        .map(|e| {
            (
                (schema_of(e), e.table_name.as_str()),
                Holder::Table { entity: e },
            )
        })
        .collect();
    for entity in entities {
        let schema = schema_of(entity);
        let mut constraints: HashMap<&str, &str> = HashMap::new();
        for d in declared(entity) {
            // One clash, one error: a unique constraint's name is in both namespaces.
            let mut clashed = false;
            if d.kind != Kind::Constraint {
                let holder = || Holder::Declared {
                    what: d.what,
                    name: d.name,
                    entity,
                };
                // The first holder keeps the name; every later one is the clash.
                if let Some(other) = relations.get(&(schema, d.name)) {
                    clashed = true;
                    errors.push(error(
                        entity,
                        d.field,
                        format!(
                            "the {} name `{}` is already {other}; PostgreSQL keeps one table or index of a name per schema, so choose another `name`",
                            d.what, d.name
                        ),
                    ));
                } else {
                    relations.insert((schema, d.name), holder());
                }
            }
            if d.kind != Kind::Index {
                let other = constraints.insert(d.name, d.what);
                if let (Some(other), false) = (other, clashed) {
                    errors.push(error(
                        entity,
                        d.field,
                        format!(
                            "the {} name `{}` is already the name of a {other} of this table; choose another `name`",
                            d.what, d.name
                        ),
                    ));
                }
            }
            let allocator = names.of(schema);
            match d.kind {
                Kind::Unique => {
                    allocator.take_relation(d.name);
                    allocator.take_constraint(d.name);
                }
                Kind::Index => allocator.take_relation(d.name),
                Kind::Constraint => allocator.take_constraint(d.name),
            }
        }
    }
}
