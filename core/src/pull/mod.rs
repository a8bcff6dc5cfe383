//! `strata pull`, the pure part: a database's schema as strata reads it → Rust source
//! declaring it (an entity per table, a `DbEnum` per enum type, a module per schema)
//! and `objects` files of SQL for the rest, plus what could not be said and why.
//!
//! Nothing is left out in silence: every object strata's attributes cannot express is
//! a [`Problem`]; a blocking one means the table's entity would not declare what the
//! database has (so `generate` would see a difference), and `init` excludes the table.
//! The entities are lowered with strata's own `lower` and compared with the database
//! before they are written (see `verify`), and the written source is parsed back with
//! strata's own parser: what goes out is what `generate` will read.

mod entities;
mod enums;
pub mod names;
mod objects;
mod render;
pub mod types;
mod verify;

#[cfg(test)]
mod tests;

use crate::entity::DbEnumDef;
use crate::names::qualified;
use crate::schema::Schema;
use entities::{Built, Context, Target};
use enums::PulledEnum;
use names::{module_name, type_name, Unique};
use std::collections::{BTreeMap, HashMap, HashSet};
use types::TypeContext;

/// Something of the database the pulled files do not declare, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The table (or enum type) it makes inexpressible, as (schema, name): `init`
    /// excludes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<(String, String)>,
    /// What it is: `index "users_x" on users`, `rule ... on ...`.
    pub what: String,
    pub why: String,
    /// Whether `generate` will see a difference because of it (else strata keeps the
    /// object as it is and only does not declare it).
    pub blocking: bool,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.why)
    }
}

/// One file to write, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledFile {
    pub path: String,
    pub contents: String,
}

/// What `pull` makes of a schema.
#[derive(Debug, Clone, Default)]
pub struct Pulled {
    /// The Rust files (`mod.rs`, one per schema) and the SQL files (`sql/*.sql`).
    pub files: Vec<PulledFile>,
    /// Whether any SQL file was written (strata.toml's `objects` must list them).
    pub has_sql: bool,
    pub entities: usize,
    pub enums: usize,
    /// SQL statements in the `objects` files.
    pub statements: usize,
    pub problems: Vec<Problem>,
}

impl Pulled {
    /// The tables whose entities do not declare what the database has.
    pub fn blocked_tables(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .problems
            .iter()
            .filter(|p| p.blocking)
            .filter_map(|p| p.table.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The directory, within the output one, of the SQL files.
pub const SQL_DIR: &str = "sql";

/// Pulls `schema` (a current schema, introspected, its fragments made restorable).
pub fn pull(schema: &Schema) -> Pulled {
    let mut problems = Vec::new();

    // Modules: one per schema holding a table or an enum type.
    let mut module_names = Unique::default();
    module_names.reserve("mod");
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    let mut schemas: Vec<&str> = schema
        .tables
        .iter()
        .map(|t| t.schema.as_str())
        .chain(schema.enums.iter().map(|e| e.schema.as_str()))
        .collect();
    schemas.sort();
    schemas.dedup();
    for s in schemas {
        modules.insert(s.to_string(), module_names.take(&module_name(s)));
    }

    // Rust names, unique across every module (strata finds entities and enums by them).
    let mut rust_names = Unique::default();
    let base_counts = |names: Vec<String>| {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for n in names {
            *counts.entry(n).or_default() += 1;
        }
        counts
    };
    let enum_bases = base_counts(
        schema
            .enums
            .iter()
            .map(|e| type_name(&e.name, "Enum"))
            .collect(),
    );
    let table_bases = base_counts(
        schema
            .tables
            .iter()
            .map(|t| type_name(&t.name, "Table"))
            .collect(),
    );
    let qualify = |schema_name: &str, base: String, counts: &HashMap<String, usize>| {
        if counts.get(&base).copied().unwrap_or(0) > 1 && schema_name != "public" {
            type_name(&format!("{schema_name}_{base}"), "Table")
        } else {
            base
        }
    };
    let mut enum_defs: Vec<PulledEnum> = Vec::new();
    let mut types = TypeContext::default();
    types.add_domains(&schema.objects.domains);
    for e in &schema.enums {
        if let Some(why) = enums::inexpressible(e) {
            problems.push(Problem {
                table: Some((e.schema.clone(), e.name.clone())),
                what: format!("enum type {}", qualified(&e.schema, &e.name)),
                why: format!("{why}: not pulled (its columns are, with `sql_type`); strata would drop it unless `exclude` names it"),
                blocking: true,
            });
            continue;
        }
        let base = qualify(&e.schema, type_name(&e.name, "Enum"), &enum_bases);
        let rust = rust_names.take(&base);
        types.enums.insert(crate::sql::enum_name(e), rust.clone());
        enum_defs.push(enums::build(e, &rust, &modules[&e.schema]));
    }
    let table_rust: Vec<String> = schema
        .tables
        .iter()
        .map(|t| {
            let base = qualify(&t.schema, type_name(&t.name, "Table"), &table_bases);
            let base = if rust_names.is_taken(&base) {
                format!("{base}Table")
            } else {
                base
            };
            rust_names.take(&base)
        })
        .collect();

    // Build, lower, name; an entity `lower` refuses is not written (and its table is
    // then referenced as a table, not an entity).
    let defs: Vec<DbEnumDef> = enum_defs.iter().map(|e| e.def.clone()).collect();
    let mut dropped: HashSet<usize> = HashSet::new();
    let (built, lowered) = loop {
        let mut cx = Context {
            schema,
            types: TypeContext {
                enums: types.enums.clone(),
                domains: types.domains.clone(),
            },
            entities: HashMap::new(),
        };
        for (i, t) in schema.tables.iter().enumerate() {
            if dropped.contains(&i) {
                continue;
            }
            cx.entities.insert(
                (t.schema.clone(), t.name.clone()),
                Target {
                    rust_name: table_rust[i].clone(),
                    fields: entities::field_names(t),
                    primary_key: t.primary_key.as_ref().map(|pk| pk.columns.clone()),
                },
            );
        }
        let mut round = Vec::new();
        let mut built: Vec<(usize, Built)> = Vec::new();
        for (i, t) in schema.tables.iter().enumerate() {
            if dropped.contains(&i) {
                continue;
            }
            built.push((
                i,
                entities::build(&cx, t, &table_rust[i], &modules[&t.schema], &mut round),
            ));
        }
        let mut only: Vec<Built> = built.iter().map(|(_, b)| b.clone()).collect();
        match verify::settle_names(&mut only, &defs, schema) {
            Ok(lowered) => {
                problems.extend(round);
                break (only, lowered);
            }
            Err(errors) => {
                let mut progress = false;
                for e in &errors {
                    if let Some((i, b)) = built.iter().find(|(_, b)| b.entity.rust_name == e.entity)
                    {
                        if dropped.insert(*i) {
                            progress = true;
                        }
                        problems.push(Problem {
                            table: Some((b.schema.clone(), b.table.clone())),
                            what: format!("table {}", qualified(&b.schema, &b.table)),
                            why: format!("not written: strata refuses its entity ({e})"),
                            blocking: true,
                        });
                    }
                }
                if !progress {
                    // An enum's problem: nothing more to leave out.
                    for e in errors {
                        problems.push(Problem {
                            table: None,
                            what: e.entity.clone(),
                            why: e.message.clone(),
                            blocking: true,
                        });
                    }
                    break (only, Schema::default());
                }
            }
        }
    };

    let known: HashSet<(String, String)> = problems
        .iter()
        .filter(|p| p.blocking)
        .filter_map(|p| p.table.clone())
        .collect();
    for b in &built {
        if known.contains(&(b.schema.clone(), b.table.clone())) {
            // Already said why: the comparison would only say it again.
            continue;
        }
        if let (Some(cur), Some(low)) = (
            schema.table(&b.schema, &b.table),
            lowered.table(&b.schema, &b.table),
        ) {
            for d in verify::differences(cur, low) {
                problems.push(Problem {
                    table: Some((b.schema.clone(), b.table.clone())),
                    what: format!("table {}", qualified(&b.schema, &b.table)),
                    why: format!("pulled, it is declared otherwise ({d})"),
                    blocking: true,
                });
            }
        }
    }

    // Source, a file per schema's module.
    let mut paths: HashMap<String, String> = HashMap::new();
    for e in &enum_defs {
        paths.insert(e.def.rust_name.clone(), e.module.clone());
    }
    for b in &built {
        paths.insert(b.entity.rust_name.clone(), b.module.clone());
    }
    let mut files = Vec::new();
    let mut mod_lines = Vec::new();
    for (schema_name, module) in &modules {
        let here = render::Paths {
            modules: &paths,
            here: module,
        };
        let mut items = Vec::new();
        for e in enum_defs.iter().filter(|e| &e.module == module) {
            let item = render::enum_item(e);
            round_trip_enum(&item, &e.def, &mut problems);
            items.push(item);
        }
        for b in built.iter().filter(|b| &b.module == module) {
            let item = render::entity_item(&b.entity, &here);
            round_trip_entity(&item, b, &mut problems);
            items.push(item);
        }
        if items.is_empty() {
            continue;
        }
        let doc = format!(
            " The tables and enum types of schema `{schema_name}`, pulled from the database by `strata pull`."
        );
        files.push(crate::pull::PulledFile {
            path: format!("{module}.rs"),
            contents: render::file(&doc, items),
        });
        mod_lines.push(module.clone());
    }
    if !mod_lines.is_empty() {
        let mut contents = String::from(
            "//! The database's schema, pulled by `strata pull`: a module per PostgreSQL schema.\n\n",
        );
        for m in &mod_lines {
            contents.push_str(&format!("pub mod {m};\n"));
        }
        files.insert(
            0,
            PulledFile {
                path: "mod.rs".into(),
                contents,
            },
        );
    }

    let sql = objects::files(schema, &mut problems);
    let statements = sql.iter().map(|f| f.statements).sum();
    let has_sql = !sql.is_empty();
    files.extend(sql.into_iter().map(|f| PulledFile {
        path: format!("{SQL_DIR}/{}", f.name),
        contents: f.contents,
    }));
    Pulled {
        files,
        has_sql,
        entities: built.len(),
        enums: enum_defs.len(),
        statements,
        problems,
    }
}

/// The written struct, parsed back as `generate` will parse it, must be the entity.
fn round_trip_entity(item: &proc_macro2::TokenStream, b: &Built, problems: &mut Vec<Problem>) {
    let back = syn::parse2::<syn::DeriveInput>(item.clone())
        .map_err(|e| e.to_string())
        .and_then(|input| {
            crate::parse::parse_entity(&input).map_err(|errors| {
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        });
    let why = match back {
        Ok(def) if def == b.entity => return,
        Ok(def) => format!(
            "strata reads the written struct otherwise than it was pulled (a strata bug): {def:?}"
        ),
        Err(e) => format!("strata's parser refuses the written struct: {e}"),
    };
    problems.push(Problem {
        table: Some((b.schema.clone(), b.table.clone())),
        what: format!("table {}", qualified(&b.schema, &b.table)),
        why,
        blocking: true,
    });
}

fn round_trip_enum(item: &proc_macro2::TokenStream, def: &DbEnumDef, problems: &mut Vec<Problem>) {
    let back = syn::parse2::<syn::DeriveInput>(item.clone())
        .ok()
        .and_then(|input| crate::parse::parse_db_enum(&input).ok());
    if back.as_ref() != Some(def) {
        problems.push(Problem {
            table: None,
            what: format!("enum {}", def.rust_name),
            why: "strata reads the written enum otherwise than it was pulled (a strata bug)".into(),
            blocking: true,
        });
    }
}
