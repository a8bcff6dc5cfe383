//! What strata does not manage but reads what a plan changes: views, triggers, rules
//! and row level security policies. PostgreSQL refuses to change the type of a column one
//! of them reads ("cannot alter type of a column used by a view or rule", "... in a
//! trigger definition", "... in a policy definition"), and to drop a column or table
//! they read.
//!
//! Those reading a column whose type changes (directly, through an enum type
//! re-created in either file, or as a generated column dropped and added again) are set
//! aside for the whole migration: dropped before the first change, created again after
//! the last from their definitions as PostgreSQL printed them (`SetAsideDependents`,
//! `RestoreDependents`), so they are missing in between, in both files. Views come
//! with the views reading them (see [`views`](super::views)). One reading a table or
//! column the plan drops cannot be kept, and one whose definition names a table or
//! column renamed in the same migration cannot be created again from its text: strata
//! refuses both, naming the object and the way out.
use super::columns::ColumnPairing;
use super::tables::{TablePair, TablePairing};
use super::views;
use super::{step, with_hazards, Phase, Steps};
use crate::names::{qualified, quote_ident};
use crate::plan::Hazard;
use crate::schema::{
    Function, ObjectRef, Partition, Policy, Rule, Schema, Trigger, ViewDependency,
};
use crate::sql;
use std::collections::HashMap;

/// What must be dropped before the plan's table changes and created after them, for
/// a plan whose desired side declares objects (see [`declared`](super::declared)):
/// each with why its current text cannot be created again, if it cannot (it reads
/// what the plan renames or drops): a declared one is created from its declaration
/// instead, an undeclared one is refused.
pub(super) type Seeds = Vec<(ObjectRef, Option<String>)>;

/// Sets aside what reads what the plan changes and pushes the refusals to `blockers`.
/// Returns which of `current.views` are set aside (an enum re-creation sets aside the
/// other views that read its type itself). When the desired side declares objects,
/// nothing is set aside here: what would be is returned in `seeds`, for `declared`.
pub(super) fn around_plan(
    desired: &Schema,
    current: &Schema,
    tables: &TablePairing,
    columns: &[ColumnPairing],
    steps: &mut Steps,
    blockers: &mut Vec<String>,
    seeds: Option<&mut Seeds>,
) -> Vec<bool> {
    let kept = Kept::new(tables, columns, &current.objects.partitions);
    let pair_of = |d: &ViewDependency| kept.get(d);
    // Enum types whose columns an enum re-creation converts, in the up or the down file
    // (removed, reordered or added labels).
    let converted_enums: Vec<String> = current
        .enums
        .iter()
        .filter(|c| {
            desired
                .enums
                .iter()
                .any(|d| d.schema == c.schema && d.name == c.name && d.labels != c.labels)
        })
        .flat_map(|e| {
            let t = sql::enum_name(e);
            [format!("{t}[]"), t]
        })
        .collect();
    let changes = |d: &ViewDependency| {
        let (Some((_, cols)), Some(c)) = (pair_of(d), d.column.as_deref()) else {
            return false;
        };
        cols.alters_type(c) || cols.recreated.iter().any(|(rc, _)| rc.name == c)
    };
    let converted = |d: &ViewDependency| {
        let (Some((pair, _)), Some(c)) = (pair_of(d), d.column.as_deref()) else {
            return false;
        };
        pair.current
            .column(c)
            .is_some_and(|col| converted_enums.contains(&col.ty))
    };
    let renamed = |d: &ViewDependency| {
        let (pair, cols) = pair_of(d)?;
        let table = qualified(&pair.current.schema, &pair.current.name);
        if pair.is_rename() {
            return Some(format!("table {table}"));
        }
        let column = d.column.as_deref()?;
        cols.pairs
            .iter()
            .any(|(c, n)| c.name == column && n.name != column)
            .then(|| format!("column {table}.{}", quote_ident(column)))
    };

    // The triggers, rules and policies, each with what it reads (views have theirs).
    let objects = &current.objects;
    let others: Vec<(Other, Vec<ViewDependency>)> = objects
        .triggers
        .iter()
        .map(|t| {
            (
                Other::Trigger(t),
                column_refs(&t.schema, &t.table, &t.columns),
            )
        })
        .chain(
            objects
                .rules
                .iter()
                .map(|r| (Other::Rule(r), rule_reads(objects, r))),
        )
        .chain(objects.policies.iter().map(|p| {
            (
                Other::Policy(p),
                column_refs(&p.schema, &p.table, &p.columns),
            )
        }))
        .chain(function_reads(objects))
        .collect();

    if let Some(seeds) = seeds {
        let why = |reads: &[ViewDependency]| {
            reads
                .iter()
                .find_map(|d| {
                    renamed(d).map(|r| format!("it reads {r}, which this migration renames first"))
                })
                .or_else(|| {
                    reads.iter().find_map(|d| {
                        dropped_under(d, tables, &kept)
                            .map(|r| format!("it reads {r}, which this migration drops"))
                    })
                })
        };
        let touched = |reads: &[ViewDependency]| {
            reads
                .iter()
                .any(|d| changes(d) || converted(d) || dropped_under(d, tables, &kept).is_some())
        };
        // A declared object reading what the plan renames is created again from its
        // declaration too: its text names the new names, and a down file could not
        // give its old text back in place while the names are the new ones.
        let declared = super::declared_keys(desired);
        let renamed_declared = |key: &ObjectRef, reads: &[ViewDependency]| {
            declared.contains(key) && reads.iter().any(|d| renamed(d).is_some())
        };
        for v in &current.views {
            let key = ObjectRef::View {
                schema: v.schema.clone(),
                name: v.name.clone(),
            };
            if touched(&v.reads) || renamed_declared(&key, &v.reads) {
                seeds.push((key, why(&v.reads)));
            }
        }
        for (o, reads) in &others {
            if touched(reads) || renamed_declared(&o.key(), reads) {
                seeds.push((o.key(), why(reads)));
            }
        }
        return vec![false; current.views.len()];
    }
    // What reads a table or column the plan drops (only a plan that drops one looks).
    let drops_anything = !tables.dropped.is_empty()
        || !tables.displaced.is_empty()
        || columns
            .iter()
            .any(|c| !c.dropped.is_empty() || !c.displaced.is_empty());
    if drops_anything {
        let mut refuse_drops = |what: &dyn Fn() -> String, reads: &[ViewDependency]| {
            // Reading a table and its columns is one refusal about the table.
            let mut gone: Vec<String> = reads
                .iter()
                .filter_map(|d| dropped_under(d, tables, &kept))
                .collect();
            gone.sort();
            gone.dedup();
            for gone in gone {
                blockers.push(format!(
                    "{} reads {gone}, which this migration drops, and PostgreSQL refuses to \
                     drop what it reads. Drop it or redefine it without it first, in a \
                     migration of its own (`strata create`), then generate again",
                    what()
                ));
            }
        };
        for v in &current.views {
            let what = || format!("{} {}", views::kind(v), qualified(&v.schema, &v.name));
            refuse_drops(&what, &v.reads);
        }
        for (o, reads) in &others {
            refuse_drops(&|| o.what(), reads);
        }
    }

    // Views calling a function set aside go with it (they depend on it).
    let functions_aside: Vec<ObjectRef> = others
        .iter()
        .filter(|(o, reads)| {
            matches!(o, Other::Function(_))
                && reads.iter().any(|d| changes(d) || converted(d))
                && !reads.iter().any(|d| renamed(d).is_some())
        })
        .map(|(o, _)| o.key())
        .collect();
    let calling: std::collections::HashSet<(&str, &str)> = if functions_aside.is_empty() {
        Default::default()
    } else {
        objects
            .dependencies
            .iter()
            .filter(|d| functions_aside.contains(&d.referenced))
            .filter_map(|d| match &d.dependent {
                ObjectRef::View { schema, name } => Some((schema.as_str(), name.as_str())),
                _ => None,
            })
            .collect()
    };
    let aside = views::set_aside(
        &current.views,
        |v| v.reads.iter().any(changes) || calling.contains(&(v.schema.as_str(), v.name.as_str())),
        renamed,
        "this migration",
    );
    blockers.extend(aside.blockers);
    let mut names = aside.names;
    let (mut drop, mut create) = (aside.drop, aside.create);
    // Triggers, rules, policies and functions: each goes alone.
    let (mut functions_drop, mut functions_create) = (Vec::new(), Vec::new());
    for (o, reads) in &others {
        if !reads.iter().any(|d| changes(d) || converted(d)) {
            continue;
        }
        if let Some(r) = reads.iter().find_map(renamed) {
            blockers.push(format!(
                "{} reads what this migration changes, and strata cannot create it again: \
                 its definition names {r}, which this migration renames first. Drop it in a \
                 migration of its own before this one (`strata create`), and create it again after",
                o.what()
            ));
            continue;
        }
        names.push(o.what());
        match o {
            // What else is set aside may call the function: it goes last and comes
            // back first.
            Other::Function(_) => {
                functions_drop.push(o.drop());
                functions_create.extend(o.create());
            }
            _ => {
                drop.push(o.drop());
                create.extend(o.create());
            }
        }
    }
    drop.extend(functions_drop);
    create.splice(0..0, functions_create);
    if names.is_empty() {
        return aside.aside;
    }
    let (they, read, were) = if names.len() == 1 {
        ("it", "reads", "was")
    } else {
        ("they", "read", "were")
    };
    let names = names.join(", ");
    let mut hazards = vec![Hazard::RecreatesDependents];
    if aside.materialized {
        hazards.push(Hazard::ImpactsDatabasePerformance);
    }
    steps.push(
        Phase::SetAsideDependents,
        with_hazards(
            step(
                format!("set aside {names}: {they} {read} what this migration changes"),
                drop.clone(),
                create.clone(),
            ),
            &hazards,
        ),
    );
    steps.push(
        Phase::RestoreDependents,
        with_hazards(
            step(
                format!("create again {names}, as {they} {were}"),
                create,
                drop,
            ),
            &hazards,
        ),
    );
    aside.aside
}

/// A trigger, rule, policy or function that may be set aside.
enum Other<'o> {
    Trigger(&'o Trigger),
    Rule(&'o Rule),
    Policy(&'o Policy),
    /// A function whose body PostgreSQL parsed when it was created (`BEGIN ATOMIC`,
    /// `RETURN ...`): it depends on the columns it reads, as a view does.
    Function(&'o Function),
}

/// The functions that read columns (SQL-standard bodies), each with what it reads,
/// from the dependency graph, walked once.
fn function_reads(objects: &crate::schema::Objects) -> Vec<(Other<'_>, Vec<ViewDependency>)> {
    let mut reads: HashMap<(&str, &str, &str), Vec<ViewDependency>> = HashMap::new();
    for d in &objects.dependencies {
        if let (
            ObjectRef::Function { schema, name, args },
            ObjectRef::Column {
                schema: s,
                relation,
                column,
            },
        ) = (&d.dependent, &d.referenced)
        {
            reads
                .entry((schema.as_str(), name.as_str(), args.as_str()))
                .or_default()
                .push(ViewDependency {
                    schema: s.clone(),
                    relation: relation.clone(),
                    column: Some(column.clone()),
                });
        }
    }
    if reads.is_empty() {
        return Vec::new();
    }
    objects
        .functions
        .iter()
        .filter_map(|f| {
            let r = reads.remove(&(f.schema.as_str(), f.name.as_str(), f.args.as_str()))?;
            Some((Other::Function(f), r))
        })
        .collect()
}

impl Other<'_> {
    /// `trigger t on public.x`, as steps and refusals name it.
    fn what(&self) -> String {
        let (kind, name, schema, table) = match self {
            Other::Trigger(t) => ("trigger", &t.name, &t.schema, &t.table),
            Other::Rule(r) => ("rule", &r.name, &r.schema, &r.table),
            Other::Policy(p) => ("policy", &p.name, &p.schema, &p.table),
            Other::Function(f) => {
                let node = crate::recreate::function_node(f);
                let d = node.step.description;
                return d.strip_prefix("create ").unwrap_or(&d).to_string();
            }
        };
        format!(
            "{kind} {} on {}",
            quote_ident(name),
            qualified(schema, table)
        )
    }

    fn key(&self) -> ObjectRef {
        match self {
            Other::Trigger(t) => ObjectRef::Trigger {
                schema: t.schema.clone(),
                table: t.table.clone(),
                name: t.name.clone(),
            },
            Other::Rule(r) => ObjectRef::Rule {
                schema: r.schema.clone(),
                table: r.table.clone(),
                name: r.name.clone(),
            },
            Other::Policy(p) => ObjectRef::Policy {
                schema: p.schema.clone(),
                table: p.table.clone(),
                name: p.name.clone(),
            },
            Other::Function(f) => ObjectRef::Function {
                schema: f.schema.clone(),
                name: f.name.clone(),
                args: f.args.clone(),
            },
        }
    }

    fn drop(&self) -> String {
        match self {
            Other::Trigger(t) => sql::drop_trigger(t),
            Other::Rule(r) => sql::drop_rule(r),
            Other::Policy(p) => sql::drop_policy(p),
            Other::Function(f) => crate::recreate::function_node(f).step.down.join(";\n"),
        }
    }

    fn create(&self) -> Vec<String> {
        match self {
            Other::Trigger(t) => sql::create_trigger(t),
            Other::Rule(r) => sql::create_rule(r),
            Other::Policy(p) => sql::create_policy(p),
            Other::Function(f) => crate::recreate::function_node(f).step.up,
        }
    }
}

/// The columns a rule reads (of any table), from the dependency graph.
fn rule_reads(objects: &crate::schema::Objects, r: &Rule) -> Vec<ViewDependency> {
    let rule = ObjectRef::Rule {
        schema: r.schema.clone(),
        table: r.table.clone(),
        name: r.name.clone(),
    };
    objects
        .dependencies_of(&rule)
        .filter_map(|d| match d {
            ObjectRef::Column {
                schema,
                relation,
                column,
            } => Some(ViewDependency {
                schema: schema.clone(),
                relation: relation.clone(),
                column: Some(column.clone()),
            }),
            _ => None,
        })
        .collect()
}

/// The columns of one table a trigger or policy reads, as a view's dependencies.
fn column_refs(schema: &str, table: &str, columns: &[String]) -> Vec<ViewDependency> {
    columns
        .iter()
        .map(|c| ViewDependency {
            schema: schema.to_string(),
            relation: table.to_string(),
            column: Some(c.clone()),
        })
        .collect()
}

/// The kept tables by their current names: dependents are many (a view per table, a
/// trigger per table), so each finds its table by hash, not by a walk of them all.
struct Kept<'t, 'a> {
    tables: &'t TablePairing<'a>,
    columns: &'t [ColumnPairing<'a>],
    by_name: HashMap<(&'t str, &'t str), usize>,
}

impl<'t, 'a> Kept<'t, 'a> {
    /// A partition counts as its (top) parent: its columns are the parent's, and change
    /// type with them, so what reads a partition's column reads the parent's.
    fn new(
        tables: &'t TablePairing<'a>,
        columns: &'t [ColumnPairing<'a>],
        partitions: &'t [Partition],
    ) -> Self {
        let mut by_name: HashMap<(&'t str, &'t str), usize> = tables
            .pairs
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.current.schema.as_str(), p.current.name.as_str()), i))
            .collect();
        // Partitions of partitions: as many rounds as levels.
        loop {
            let before = by_name.len();
            for p in partitions {
                let parent = by_name
                    .get(&(p.parent_schema.as_str(), p.parent.as_str()))
                    .copied();
                if let Some(i) = parent {
                    by_name
                        .entry((p.schema.as_str(), p.name.as_str()))
                        .or_insert(i);
                }
            }
            if by_name.len() == before {
                break;
            }
        }
        Kept {
            tables,
            columns,
            by_name,
        }
    }

    /// The kept table a dependency names, with its columns' pairing.
    fn get(&self, d: &ViewDependency) -> Option<(&'t TablePair<'a>, &'t ColumnPairing<'a>)> {
        let i = *self
            .by_name
            .get(&(d.schema.as_str(), d.relation.as_str()))?;
        Some((&self.tables.pairs[i], &self.columns[i]))
    }
}

/// What of `d` the plan drops (`table t`, `column t.c`), if anything.
fn dropped_under(d: &ViewDependency, tables: &TablePairing, kept: &Kept) -> Option<String> {
    let table = || qualified(&d.schema, &d.relation);
    let dropped_table = tables
        .dropped
        .iter()
        .chain(tables.displaced.iter().map(|(t, _)| t))
        .any(|t| t.schema == d.schema && t.name == d.relation);
    if dropped_table {
        return Some(format!("table {}", table()));
    }
    let (_, cols) = kept.get(d)?;
    let column = d.column.as_deref()?;
    let dropped = cols
        .dropped
        .iter()
        .copied()
        .chain(cols.displaced.iter().map(|(c, _)| *c))
        .any(|c| c.name == column);
    dropped.then(|| format!("column {}.{}", table(), quote_ident(column)))
}
