//! Views, functions, triggers, policies, domains, composite types and sequences →
//! `objects` files of SQL, one per kind, in the words `baseline` writes them (what
//! PostgreSQL printed). strata runs such files in any order, so none is needed here.
//! Privileges and owners are not declarations (`objects` files take no GRANT), so they
//! are left out, and said to be.

use super::Problem;
use crate::names::{qualified, quote_ident};
use crate::recreate::{
    composite_node, domain_node, function_node, policy_node, sequence_node, trigger_node,
    view_node, Node,
};
use crate::schema::{ObjectRef, Schema};

/// A function as a message names it.
fn describe(r: &ObjectRef) -> String {
    match r {
        ObjectRef::Function { schema, name, args } => {
            format!("{}({args})", qualified(schema, name))
        }
        other => format!("{other:?}"),
    }
}

/// The table or view a dependency names, as (schema, name).
fn relation_of(r: &ObjectRef) -> Option<(&String, &String)> {
    match r {
        ObjectRef::Table { schema, name } | ObjectRef::View { schema, name } => {
            Some((schema, name))
        }
        ObjectRef::Column {
            schema, relation, ..
        } => Some((schema, relation)),
        _ => None,
    }
}

/// One `.sql` file's name (within the sql directory) and contents.
pub struct SqlFile {
    pub name: String,
    pub contents: String,
    pub statements: usize,
}

/// Whether a statement is a declaration an `objects` file takes (privileges and owners
/// are not).
fn declarable(sql: &str) -> bool {
    let upper = sql.trim_start().to_ascii_uppercase();
    !(upper.starts_with("GRANT ")
        || upper.starts_with("REVOKE ")
        || (upper.starts_with("ALTER ") && upper.contains(" OWNER TO ")))
}

fn statements(nodes: impl IntoIterator<Item = Node>, dropped: &mut usize) -> Vec<String> {
    let mut out = Vec::new();
    for n in nodes {
        for s in n.step.up {
            if declarable(&s) {
                out.push(s);
            } else {
                *dropped += 1;
            }
        }
    }
    out
}

fn file(name: &str, what: &str, statements: Vec<String>) -> Option<SqlFile> {
    if statements.is_empty() {
        return None;
    }
    let mut contents = format!(
        "-- {what}, pulled from the database by `strata pull`, as PostgreSQL prints them.\n\
         -- strata.toml's `objects` lists this file; the statements may come in any order.\n"
    );
    for s in &statements {
        contents.push('\n');
        contents.push_str(s.trim_end().trim_end_matches(';'));
        contents.push_str(";\n");
    }
    Some(SqlFile {
        name: name.to_string(),
        contents,
        statements: statements.len(),
    })
}

/// The files, and what was left out of them.
pub fn files(schema: &Schema, problems: &mut Vec<Problem>) -> Vec<SqlFile> {
    let o = &schema.objects;
    let is_table = |s: &str, t: &str| schema.table(s, t).is_some();
    // Functions whose body PostgreSQL knows to read a relation that is not written (an
    // excluded table: a `BEGIN ATOMIC` body) cannot be declared without it either.
    let has_relation = |s: &String, n: &String| {
        schema.table(s, n).is_some()
            || schema
                .views
                .iter()
                .any(|v| v.schema == *s && v.name == *n && v.excluded_by.is_none())
            || o.composites.iter().any(|c| c.schema == *s && c.name == *n)
    };
    let mut skipped_functions: Vec<ObjectRef> = Vec::new();
    for f in &o.functions {
        let key = ObjectRef::Function {
            schema: f.schema.clone(),
            name: f.name.clone(),
            args: f.args.clone(),
        };
        let missing = o
            .dependencies_of(&key)
            .filter_map(relation_of)
            .find(|(s, n)| !has_relation(s, n))
            .map(|(s, n)| qualified(s, n));
        if let Some(missing) = missing {
            problems.push(Problem {
                table: None,
                what: format!("function {}({})", qualified(&f.schema, &f.name), f.args),
                why: format!("reads {missing}, which is excluded: not declared (kept as it is); a baseline cannot create it without that table"),
                blocking: false,
            });
            skipped_functions.push(key);
        }
    }
    // The views written: not excluded, and reading nothing that is not written (an
    // excluded table or view), transitively: the files run on a scratch database that
    // holds only the entities' tables and what the files create.
    let mut written: Vec<&crate::schema::View> = schema
        .views
        .iter()
        .filter(|v| v.excluded_by.is_none())
        .collect();
    loop {
        let before = written.len();
        let names: Vec<(String, String)> = written
            .iter()
            .map(|v| (v.schema.clone(), v.name.clone()))
            .collect();
        written.retain(|v| {
            let key = ObjectRef::View {
                schema: v.schema.clone(),
                name: v.name.clone(),
            };
            if let Some(f) = o
                .dependencies_of(&key)
                .find(|r| skipped_functions.contains(r))
            {
                problems.push(Problem {
                    table: Some((v.schema.clone(), v.name.clone())),
                    what: format!("view {}", qualified(&v.schema, &v.name)),
                    why: format!("calls {}, which is not declared: exclude the view too", describe(f)),
                    blocking: true,
                });
                return false;
            }
            let reads = v.reads.iter().map(|r| (&r.schema, &r.relation));
            let unwritten = o.dependencies_of(&key).filter_map(relation_of).chain(reads).find_map(|(s, n)| {
                let there = schema.table(s, n).is_some()
                    || names.iter().any(|(vs, vn)| vs == s && vn == n)
                    || o.composites.iter().any(|c| c.schema == *s && c.name == *n);
                (!there).then(|| qualified(s, n))
            });
            if let Some(missing) = &unwritten {
                problems.push(Problem {
                    table: Some((v.schema.clone(), v.name.clone())),
                    what: format!("view {}", qualified(&v.schema, &v.name)),
                    why: format!(
                        "reads {missing}, which is excluded (or not written): it cannot be declared without it; exclude the view too"
                    ),
                    blocking: true,
                });
            }
            unwritten.is_none()
        });
        if written.len() == before {
            break;
        }
    }
    let is_view = |s: &str, t: &str| written.iter().any(|v| v.schema == s && v.name == t);
    let note = |problems: &mut Vec<Problem>, what: String, why: &str| {
        problems.push(Problem {
            table: None,
            what,
            why: why.to_string(),
            blocking: false,
        })
    };
    let mut privileges = 0usize;
    let mut out = Vec::new();

    let sequences = o
        .sequences
        .iter()
        .filter(|s| s.owner.is_none())
        .map(sequence_node);
    out.extend(file(
        "sequences.sql",
        "Sequences",
        statements(sequences, &mut privileges),
    ));
    for s in o.sequences.iter() {
        if let Some(owner) = &s.owner {
            if owner.identity || !is_table(&owner.schema, &owner.table) {
                if owner.identity && !s.is_default_for_type() {
                    note(
                problems,
                        format!("options of sequence {}", qualified(&s.schema, &s.name)),
                        "an identity column's sequence options are not an entity attribute (strata neither compares nor changes them; the baseline keeps them)",
                    );
                }
                continue;
            }
            let serial = schema
                .table(&owner.schema, &owner.table)
                .and_then(|t| t.column(&owner.column))
                .is_some_and(|c| c.serial);
            if !serial {
                note(
                problems,
                    format!("sequence {} (owned by {}.{})", qualified(&s.schema, &s.name), qualified(&owner.schema, &owner.table), quote_ident(&owner.column)),
                    "a sequence owned by a column that is not `serial` is not declared (strata keeps it as it is)",
                );
            } else if !s.is_default_for_type() {
                note(
                problems,
                    format!("options of sequence {}", qualified(&s.schema, &s.name)),
                    "a serial column's sequence options are not an entity attribute (strata neither compares nor changes them; the baseline keeps them)",
                );
            }
        }
    }

    out.extend(file(
        "domains.sql",
        "Domains",
        statements(o.domains.iter().map(domain_node), &mut privileges),
    ));
    out.extend(file(
        "types.sql",
        "Composite types",
        statements(o.composites.iter().map(composite_node), &mut privileges),
    ));

    let mut functions = Vec::new();
    for f in &o.functions {
        if f.language == "c" {
            problems.push(Problem {
                table: None,
                what: format!("function {}({})", qualified(&f.schema, &f.name), f.args),
                why: "is written in C and belongs to no extension: its library cannot be declared in SQL (nor re-created by a baseline)".into(),
                blocking: true,
            });
            continue;
        }
        let key = ObjectRef::Function {
            schema: f.schema.clone(),
            name: f.name.clone(),
            args: f.args.clone(),
        };
        if skipped_functions.contains(&key) {
            continue;
        }
        functions.push(function_node(f));
    }
    out.extend(file(
        "functions.sql",
        "Functions, procedures and aggregates",
        statements(functions, &mut privileges),
    ));

    let views: Vec<Node> = written.iter().map(|v| view_node(v)).collect();
    out.extend(file(
        "views.sql",
        "Views and materialized views (with their indexes)",
        statements(views, &mut privileges),
    ));

    let on_managed = |s: &str, t: &str| is_table(s, t) || is_view(s, t);
    let triggers = o
        .triggers
        .iter()
        .filter(|t| on_managed(&t.schema, &t.table) && !skipped_functions.contains(&t.function))
        .map(trigger_node);
    out.extend(file(
        "triggers.sql",
        "Triggers",
        statements(triggers, &mut privileges),
    ));

    let mut policies = statements(
        o.policies
            .iter()
            .filter(|p| on_managed(&p.schema, &p.table))
            .map(policy_node),
        &mut privileges,
    );
    for p in &o.table_properties {
        if p.force_row_security && is_table(&p.schema, &p.table) {
            policies.push(format!(
                "ALTER TABLE {} FORCE ROW LEVEL SECURITY",
                qualified(&p.schema, &p.table)
            ));
        }
        if !p.grants.is_empty() {
            privileges += p.grants.len();
        }
    }
    out.extend(file(
        "policies.sql",
        "Row level security policies",
        policies,
    ));

    for t in o
        .triggers
        .iter()
        .filter(|t| !on_managed(&t.schema, &t.table) || skipped_functions.contains(&t.function))
    {
        note(
            problems,
            format!(
                "trigger {} on {}",
                quote_ident(&t.name),
                qualified(&t.schema, &t.table)
            ),
            "its table or view, or its function, is not declared: strata keeps it as it is",
        );
    }
    for p in o
        .policies
        .iter()
        .filter(|p| !on_managed(&p.schema, &p.table))
    {
        note(
            problems,
            format!(
                "policy {} on {}",
                quote_ident(&p.name),
                qualified(&p.schema, &p.table)
            ),
            "its table is not declared (a partition, say): strata keeps it as it is",
        );
    }
    for p in o
        .table_properties
        .iter()
        .filter(|p| (p.row_security || p.force_row_security) && !is_table(&p.schema, &p.table))
    {
        note(
            problems,
            format!("row level security of {}", qualified(&p.schema, &p.table)),
            "its table is not declared (a partition, say): strata keeps it as it is",
        );
    }
    for r in &o.rules {
        note(
                problems,
            format!("rule {} on {}", quote_ident(&r.name), qualified(&r.schema, &r.table)),
            "rules are not declarable in `objects` files: strata keeps it as it is (the baseline creates it)",
        );
    }
    for p in &o.partitions {
        note(
                problems,
            format!(
                "partition {} of {}",
                qualified(&p.schema, &p.name),
                qualified(&p.parent_schema, &p.parent)
            ),
            "partitions are not entities: strata keeps them as they are (the baseline creates them)",
        );
    }
    for s in &o.schema_properties {
        note(
            problems,
            format!(
                "comment and privileges of schema {}",
                quote_ident(&s.schema)
            ),
            "not declarable: strata keeps them (the baseline writes them)",
        );
    }
    let grants_elsewhere = schema.views.iter().map(|v| v.grants.len()).sum::<usize>()
        + o.sequences.iter().map(|s| s.grants.len()).sum::<usize>();
    let total = privileges.max(grants_elsewhere);
    if total > 0 || !o.owners.is_empty() {
        note(
                problems,
            "privileges (GRANT) and owners".to_string(),
            "not declarable in entities or `objects` files: strata never changes them (the baseline writes them)",
        );
    }
    out
}
