//! Objects declared in SQL (strata.toml `objects`): views and materialized views,
//! functions and procedures, triggers, policies and row level security, domains,
//! composite types and standalone sequences. The desired side holds them as
//! PostgreSQL read them back from a scratch database where the declarations ran, so
//! comparing them is comparing PostgreSQL's own texts: the whitespace, casing and
//! comments of the files, or `CREATE OR REPLACE` against `CREATE`, never make a diff.
//!
//! - Declared and absent: created. Present and different: changed in place where
//!   PostgreSQL allows it (`CREATE OR REPLACE FUNCTION` with the same signature and
//!   result, `ALTER DOMAIN`, `ALTER SEQUENCE`, a trigger's enabled state, a comment),
//!   else dropped and created again, with everything that depends on it.
//! - What the table changes make PostgreSQL refuse (a view reading a column whose type
//!   changes or that is dropped, ...: the `seeds` of `dependents`) is dropped before
//!   them and created after, from its declaration.
//! - Present and of a declarable kind, but declared nowhere: unmanaged. It is kept
//!   (and, when the plan needs it out of the way, set aside from its own text) unless
//!   `prune`, which drops it.
//!
//! Drops come first, readers before what they read; creations last, in dependency
//! order; so the down file, the inverses in reverse order, restores every definition.
use super::dependents::Seeds;
use super::{step, with_hazards, Phase, Steps};
use crate::lex::{self, Kind};
use crate::names::{qualified, quote_ident};
use crate::plan::Hazard;
use crate::recreate::{self, Node};
use crate::schema::{
    CompositeType, Domain, Function, FunctionKind, ObjectRef, Objects, Policy, Rule, Schema,
    Sequence, Trigger, View,
};
use crate::sql::{self, string_literal};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The keys of the objects `schema` holds of the kinds the diff compares (what an
/// `objects` file can declare, and rules).
pub fn declared_keys(schema: &Schema) -> BTreeSet<ObjectRef> {
    objects_of(schema, &Renames::default())
        .into_keys()
        .collect()
}

/// Keeps only the declared objects for which `keep` holds (by their keys).
pub fn retain_declared(schema: &mut Schema, keep: impl Fn(&ObjectRef) -> bool) {
    schema.views.retain(|v| keep(&Obj::View(v).key()));
    let o = &mut schema.objects;
    o.functions.retain(|f| keep(&Obj::Function(f).key()));
    o.triggers.retain(|t| keep(&Obj::Trigger(t).key()));
    o.policies.retain(|p| keep(&Obj::Policy(p).key()));
    o.domains.retain(|d| keep(&Obj::Domain(d).key()));
    o.composites.retain(|c| keep(&Obj::Composite(c).key()));
    o.sequences
        .retain(|s| s.owner.is_some() || keep(&Obj::Sequence(s).key()));
}

/// Plans the declared objects; returns which of `current.views` the plan drops (an
/// enum re-creation must not set those aside again).
pub(super) fn diff_declared(
    desired: &Schema,
    current: &Schema,
    seeds: Seeds,
    prune: bool,
    steps: &mut Steps,
    blockers: &mut Vec<String>,
) -> Vec<bool> {
    let renames = Renames::new(desired, current);
    let have = objects_of(current, &renames);
    let want = objects_of(desired, &Renames::default());
    let graph = Graph::new(current, &renames);

    // What is dropped: changed beyond what can be altered in place, set aside for the
    // table changes, pruned; then whatever depends on any of those.
    let mut recreated: BTreeSet<ObjectRef> = BTreeSet::new();
    let mut pruned: BTreeSet<ObjectRef> = BTreeSet::new();
    let mut in_place: Vec<(ObjectRef, Change)> = Vec::new();
    for (key, c) in &have {
        match want.get(key) {
            Some(d) => {
                let change = compare(c, d);
                if change.recreate {
                    recreated.insert(key.clone());
                } else if !change.up.is_empty() {
                    in_place.push((key.clone(), change));
                }
            }
            None if prune && c.declarable() => {
                pruned.insert(key.clone());
            }
            None => {}
        }
    }
    let mut set_aside: BTreeSet<ObjectRef> = BTreeSet::new();
    for (key, why) in seeds {
        if !have.contains_key(&key) {
            // An excluded view: never dropped, not even to be created again.
            if let ObjectRef::View { schema, name } = &key {
                let pattern = current
                    .views
                    .iter()
                    .find(|v| v.schema == *schema && v.name == *name)
                    .and_then(|v| v.excluded_by.clone())
                    .unwrap_or_default();
                blockers.push(format!(
                    "view {} reads what this migration changes, and strata cannot create it \
                     again: strata.toml's `exclude` names it ({pattern:?}), and strata never \
                     drops what it excludes. Drop it in a migration of its own before this one \
                     (`strata create`), and create it again after",
                    qualified(schema, name)
                ));
            }
            continue;
        }
        if let (Some(why), false) = (why, want.contains_key(&key) || pruned.contains(&key)) {
            blockers.push(format!(
                "{} reads what this migration changes, and strata cannot create it again from \
                 its text: {why}. Declare it in an `objects` file as it should be after this \
                 migration, or drop it in a migration of its own first (`strata create`)",
                have[&key].what()
            ));
            continue;
        }
        set_aside.insert(key);
    }
    // Whatever depends on something dropped goes with it.
    let mut dropped: BTreeSet<ObjectRef> = recreated
        .iter()
        .chain(&set_aside)
        .chain(&pruned)
        .cloned()
        .collect();
    let mut queue: Vec<ObjectRef> = dropped.iter().cloned().collect();
    let mut needs: HashMap<ObjectRef, ObjectRef> = HashMap::new();
    while let Some(key) = queue.pop() {
        for dependent in graph.dependents(&key) {
            if have.contains_key(dependent) {
                if dropped.insert(dependent.clone()) {
                    needs.insert(dependent.clone(), key.clone());
                    queue.push(dependent.clone());
                }
            } else if !matches!(key, ObjectRef::View { .. }) && is_table_part(dependent) {
                let (what, way_out) = if pruned.contains(&key) {
                    (
                        "dropped (it is declared in no `objects` file and --prune is given)",
                        "declare it again, or stop using it there first",
                    )
                } else {
                    (
                        "dropped and created again",
                        "change that in a migration of its own first, or declare the new \
                         version under another name",
                    )
                };
                blockers.push(format!(
                    "{} cannot be {what}: {} uses it, and PostgreSQL does not drop what a table \
                     uses. To go on: {way_out}",
                    have[&key].what(),
                    graph.describe(dependent)
                ));
            }
        }
    }

    // Drops, readers first; pruned types and sequences once nothing uses them.
    let drop_nodes: Vec<Node> = dropped.iter().map(|k| keyed(&have, k)).collect();
    let mut drop_order = recreate::in_dependency_order(drop_nodes, &current.objects);
    drop_order.reverse();
    for node in drop_order {
        let key = node.key.clone();
        let obj = &have[&key];
        let goes = !want.contains_key(&key) && (pruned.contains(&key) || obj.declarable() && prune);
        let why = if goes {
            "declared in no `objects` file (--prune)".to_string()
        } else if recreated.contains(&key) {
            "its definition changes; created again below".to_string()
        } else if let Some(needed) = needs.get(&key) {
            format!(
                "it needs {}, dropped here; created again below",
                have[needed].what()
            )
        } else {
            "it reads what this migration changes; created again below".to_string()
        };
        let mut hazards = obj.hazards();
        if goes && obj.holds_data() {
            hazards.push(Hazard::DeletesData);
        }
        if !goes && !recreated.contains(&key) {
            hazards.push(Hazard::RecreatesDependents);
        }
        let phase = if goes && obj.is_type_or_sequence() {
            Phase::DropObjects
        } else {
            Phase::SetAsideDependents
        };
        let s = step(
            format!("drop {} ({why})", obj.what()),
            node.step.down.clone(),
            node.step.up.clone(),
        );
        push(steps, phase, with_hazards(s, &hazards));
    }

    // In place. A view replaced comes in the dependency order of the creations (it may
    // read a function created here, a view created here may read its new columns).
    let mut replaced_views: Vec<(Node, Vec<Hazard>)> = Vec::new();
    for (key, mut change) in in_place {
        if dropped.contains(&key) {
            continue;
        }
        if change.replaced_view {
            // Down: what reads the view (and is still there when the down file gets
            // here) is dropped, the view created as it was, and they again.
            let mut readers: BTreeSet<ObjectRef> = BTreeSet::new();
            let mut queue = vec![key.clone()];
            while let Some(k) = queue.pop() {
                for d in graph.dependents(&k) {
                    if have.contains_key(d) && !dropped.contains(d) && readers.insert(d.clone()) {
                        queue.push(d.clone());
                    }
                }
            }
            let nodes: Vec<Node> = readers.iter().map(|k| keyed(&have, k)).collect();
            let ordered = recreate::in_dependency_order(nodes, &current.objects);
            let view = have[&key].node();
            let mut down: Vec<String> = ordered
                .iter()
                .rev()
                .flat_map(|n| n.step.down.clone())
                .collect();
            down.extend(view.step.down);
            down.extend(view.step.up);
            down.extend(ordered.into_iter().flat_map(|n| n.step.up));
            change.down.splice(0..0, down);
        }
        let obj = &want[&key];
        let phase = if obj.is_type_or_sequence() {
            Phase::CreateObjects
        } else {
            Phase::RestoreDependents
        };
        let mut hazards = obj.hazards();
        if change.checks_values {
            hazards.push(Hazard::MayFailOnExistingRows);
        }
        // A trigger's function changed is the trigger changed.
        if graph
            .dependents(&key)
            .iter()
            .any(|d| matches!(d, ObjectRef::Trigger { .. }))
        {
            hazards.push(Hazard::ChangesWriteBehaviour);
        }
        let mut what = change.what;
        what.dedup();
        let mut down = change.down;
        if let (Obj::Function(f), Obj::Function(old)) = (obj, &have[&key]) {
            if f.language == "sql" {
                // PostgreSQL checks an SQL function's body against the tables when it is
                // created: the old body is given back at the very end of the down file,
                // once every table it reads has its old name again (the new one, at the
                // end of the up file, reads the new names).
                let (body, rest): (Vec<String>, Vec<String>) =
                    down.into_iter().partition(|s| *s == old.definition);
                down = rest;
                if !body.is_empty() {
                    let restore = step(
                        format!(
                            "down file only: {} gets its previous body back, last",
                            obj.what()
                        ),
                        Vec::new(),
                        body,
                    );
                    push(steps, Phase::SetAsideDependents, restore);
                }
            }
        }
        let s = step(
            format!("change {} ({})", obj.what(), what.join(", ")),
            change.up,
            down,
        );
        if change.replaced_view {
            replaced_views.push((Node { key, step: s }, hazards));
        } else {
            push(steps, phase, with_hazards(s, &hazards));
        }
    }

    // Creations: the declared ones that are new or were dropped, the undeclared ones
    // that were set aside, each after what it needs.
    let mut creations: Vec<(Node, Vec<Hazard>)> = replaced_views;
    for (key, d) in &want {
        match have.get(key) {
            None => creations.push((d.node(), d.hazards())),
            Some(c) if dropped.contains(key) => {
                creations.push((recreated_node(d, c, &current.objects), d.hazards()))
            }
            Some(_) => {}
        }
    }
    for key in &dropped {
        if want.contains_key(key) || pruned.contains(key) || prune && have[key].declarable() {
            continue;
        }
        let mut hazards = have[key].hazards();
        hazards.push(Hazard::RecreatesDependents);
        creations.push((keyed(&have, key), hazards));
    }
    let both = Objects {
        dependencies: desired
            .objects
            .dependencies
            .iter()
            .chain(&current.objects.dependencies)
            .cloned()
            .collect(),
        ..Objects::default()
    };
    let mut hazards_of: HashMap<ObjectRef, Vec<Hazard>> = HashMap::new();
    let nodes: Vec<Node> = creations
        .into_iter()
        .map(|(n, h)| {
            hazards_of.insert(n.key.clone(), h);
            n
        })
        .collect();
    let late = recreate::needs_a_table(&nodes, &both);
    // A function comes before the tables only when a table needs it (a default, a
    // check, an index, a domain): PostgreSQL does not record what a function's body
    // reads, and an SQL function reading a table the plan creates fails before it.
    let needed_by_tables: BTreeSet<&ObjectRef> = desired
        .objects
        .dependencies
        .iter()
        .filter(|d| {
            let on_view = |schema: &String, name: &String| {
                desired
                    .views
                    .iter()
                    .any(|v| v.schema == *schema && v.name == *name)
            };
            match &d.dependent {
                ObjectRef::Column {
                    schema, relation, ..
                } => !on_view(schema, relation),
                ObjectRef::Constraint { .. } | ObjectRef::Index { .. } | ObjectRef::Type { .. } => {
                    true
                }
                _ => false,
            }
        })
        .map(|d| &d.referenced)
        .collect();
    let (mut early, mut after) = (Vec::new(), Vec::new());
    for (node, late) in nodes.into_iter().zip(late) {
        let function_no_table_needs =
            matches!(node.key, ObjectRef::Function { .. }) && !needed_by_tables.contains(&node.key);
        if late || function_no_table_needs {
            after.push(node);
        } else {
            early.push(node);
        }
    }
    for (phase, nodes) in [
        (Phase::CreateObjects, early),
        (Phase::RestoreDependents, after),
    ] {
        for node in recreate::in_dependency_order(nodes, &both) {
            let hazards = hazards_of.remove(&node.key).unwrap_or_default();
            push(steps, phase, with_hazards(node.step, &hazards));
        }
    }

    row_level_security(desired, current, prune, steps);
    current
        .views
        .iter()
        .map(|v| {
            dropped.contains(&ObjectRef::View {
                schema: v.schema.clone(),
                name: v.name.clone(),
            })
        })
        .collect()
}

/// The node of the object `key` names in `objects`, under that key (a trigger on a
/// table the plan renames is known by the new name: see [`Renames`]).
fn keyed(objects: &BTreeMap<ObjectRef, Obj>, key: &ObjectRef) -> Node {
    let mut node = objects[key].node();
    node.key = key.clone();
    node
}

/// A declared object created again: its declaration, with what the declarations do not
/// say and the database had (privileges, owner) given back, so dropping and creating
/// it takes nothing away.
fn recreated_node(want: &Obj, have: &Obj, current: &Objects) -> Node {
    let mut node = match (want, have) {
        (Obj::View(d), Obj::View(c)) => {
            let mut v = (*d).clone();
            v.grants = c.grants.clone();
            v.owner = c.owner.clone();
            return recreate::view_node(&v);
        }
        (Obj::Function(d), Obj::Function(c)) => {
            let mut f = (*d).clone();
            f.grants = c.grants.clone();
            recreate::function_node(&f)
        }
        (Obj::Sequence(d), Obj::Sequence(c)) => {
            let mut s = (*d).clone();
            s.grants = c.grants.clone();
            recreate::sequence_node(&s)
        }
        _ => want.node(),
    };
    let owner = current
        .owners
        .iter()
        .find(|o| o.object == node.key)
        .map(|o| o.owner.clone());
    let kind = match want {
        Obj::Function(f) => Some(format!(
            "ROUTINE {}({})",
            qualified(&f.schema, &f.name),
            f.args
        )),
        Obj::Sequence(s) => Some(format!("SEQUENCE {}", qualified(&s.schema, &s.name))),
        Obj::Domain(d) => Some(format!("DOMAIN {}", qualified(&d.schema, &d.name))),
        Obj::Composite(c) => Some(format!("TYPE {}", qualified(&c.schema, &c.name))),
        _ => None,
    };
    if let (Some(owner), Some(kind)) = (owner, kind) {
        node.step.up.push(format!("ALTER {kind} OWNER TO {owner}"));
    }
    node
}

/// Files a step; one that creates a function (up or down) first lets function bodies
/// name what does not exist yet, as `pg_dump` does: PostgreSQL records nothing of
/// what an SQL function's body calls or reads, so no order of the steps is known to
/// be right, and every body was checked already, against the schema it is written
/// for (the declarations on the scratch database; the database itself for a body a
/// down file gives back).
fn push(steps: &mut Steps, phase: Phase, mut s: crate::plan::Step) {
    const UNCHECKED: &str = "SET LOCAL check_function_bodies = off";
    let creates_function = |statements: &[String]| {
        statements.iter().any(|q| {
            q.starts_with("CREATE OR REPLACE FUNCTION")
                || q.starts_with("CREATE OR REPLACE PROCEDURE")
        })
    };
    if creates_function(&s.up) {
        s.up.insert(0, UNCHECKED.into());
    }
    if creates_function(&s.down) {
        s.down.insert(0, UNCHECKED.into());
    }
    steps.push(phase, s);
}

/// `ENABLE` / `FORCE ROW LEVEL SECURITY` of the entities' tables, as declared
/// (`#[entity(row_level_security)]`, or `ALTER TABLE ... ENABLE ROW LEVEL SECURITY` in
/// an `objects` file); turned off only with `prune`.
pub(super) fn row_level_security(
    desired: &Schema,
    current: &Schema,
    prune: bool,
    steps: &mut Steps,
) {
    let props = |s: &Schema| -> HashMap<(String, String), (bool, bool)> {
        s.objects
            .table_properties
            .iter()
            .map(|p| {
                (
                    (p.schema.clone(), p.table.clone()),
                    (p.row_security, p.force_row_security),
                )
            })
            .collect()
    };
    let (want, have) = (props(desired), props(current));
    for t in &desired.tables {
        let key = (t.schema.clone(), t.name.clone());
        let old_name = match &t.renamed_from {
            Some(old) if current.table(&t.schema, &t.name).is_none() => old.clone(),
            _ => t.name.clone(),
        };
        let exists = current.table(&t.schema, &old_name).is_some();
        let (w_on, w_force) = want.get(&key).copied().unwrap_or_default();
        let (h_on, h_force) = if exists {
            have.get(&(t.schema.clone(), old_name))
                .copied()
                .unwrap_or_default()
        } else {
            (false, false)
        };
        let name = qualified(&t.schema, &t.name);
        for (wanted, had, on, off, what) in [
            (w_on, h_on, "ENABLE", "DISABLE", "row level security"),
            (
                w_force,
                h_force,
                "FORCE",
                "NO FORCE",
                "forced row level security",
            ),
        ] {
            if wanted == had || (had && !prune) {
                continue;
            }
            let (up, down, verb) = if wanted {
                (on, off, "turn on")
            } else {
                (off, on, "turn off")
            };
            let s = step(
                format!("{verb} {what} on {name}"),
                vec![format!("ALTER TABLE {name} {up} ROW LEVEL SECURITY")],
                vec![format!("ALTER TABLE {name} {down} ROW LEVEL SECURITY")],
            );
            push(
                steps,
                Phase::RestoreDependents,
                with_hazards(s, &[Hazard::ChangesRowVisibility]),
            );
        }
    }
}

/// One object of a kind the diff compares.
#[derive(Clone, Copy)]
enum Obj<'a> {
    View(&'a View),
    Function(&'a Function),
    Trigger(&'a Trigger),
    Policy(&'a Policy),
    /// Never declared (not a declarable kind): only ever set aside.
    Rule(&'a Rule),
    Domain(&'a Domain),
    Composite(&'a CompositeType),
    Sequence(&'a Sequence),
}

/// Every object of `schema` the diff compares, by key: excluded views, the sequences
/// of serial and identity columns (the columns manage them) and aggregates' internals
/// are not among them.
fn objects_of<'a>(schema: &'a Schema, renames: &Renames) -> BTreeMap<ObjectRef, Obj<'a>> {
    let o = &schema.objects;
    let mut out: Vec<Obj> = Vec::new();
    out.extend(
        schema
            .views
            .iter()
            .filter(|v| v.excluded_by.is_none())
            .map(Obj::View),
    );
    out.extend(o.functions.iter().map(Obj::Function));
    out.extend(o.triggers.iter().map(Obj::Trigger));
    out.extend(o.policies.iter().map(Obj::Policy));
    out.extend(o.rules.iter().map(Obj::Rule));
    out.extend(o.domains.iter().map(Obj::Domain));
    out.extend(o.composites.iter().map(Obj::Composite));
    out.extend(
        o.sequences
            .iter()
            .filter(|s| s.owner.is_none())
            .map(Obj::Sequence),
    );
    out.into_iter()
        .map(|obj| (renames.key(obj.key()), obj))
        .collect()
}

/// The tables the plan renames, by their current (schema, name): a trigger, policy or
/// rule goes along with its table, so the current one is known by the new name.
#[derive(Default)]
struct Renames(HashMap<(String, String), String>);

impl Renames {
    fn new(desired: &Schema, current: &Schema) -> Renames {
        Renames(
            desired
                .tables
                .iter()
                .filter_map(|t| {
                    let old = t.renamed_from.as_ref()?;
                    (current.table(&t.schema, old).is_some()
                        && current.table(&t.schema, &t.name).is_none())
                    .then(|| ((t.schema.clone(), old.clone()), t.name.clone()))
                })
                .collect(),
        )
    }

    fn key(&self, key: ObjectRef) -> ObjectRef {
        match key {
            ObjectRef::Trigger {
                schema,
                table,
                name,
            } => {
                let table = self.new_name(&schema, table);
                ObjectRef::Trigger {
                    schema,
                    table,
                    name,
                }
            }
            ObjectRef::Policy {
                schema,
                table,
                name,
            } => {
                let table = self.new_name(&schema, table);
                ObjectRef::Policy {
                    schema,
                    table,
                    name,
                }
            }
            ObjectRef::Rule {
                schema,
                table,
                name,
            } => {
                let table = self.new_name(&schema, table);
                ObjectRef::Rule {
                    schema,
                    table,
                    name,
                }
            }
            other => other,
        }
    }

    fn new_name(&self, schema: &str, table: String) -> String {
        self.0
            .get(&(schema.to_string(), table.clone()))
            .cloned()
            .unwrap_or(table)
    }
}

impl Obj<'_> {
    /// How the dependency graph names it; without rendering its SQL, as `node` does
    /// (the diff asks for every object's key, the SQL only of those it plans).
    fn key(&self) -> ObjectRef {
        let s = |x: &String| x.clone();
        match *self {
            Obj::View(v) => ObjectRef::View {
                schema: s(&v.schema),
                name: s(&v.name),
            },
            Obj::Function(f) => ObjectRef::Function {
                schema: s(&f.schema),
                name: s(&f.name),
                args: s(&f.args),
            },
            Obj::Trigger(t) => ObjectRef::Trigger {
                schema: s(&t.schema),
                table: s(&t.table),
                name: s(&t.name),
            },
            Obj::Policy(p) => ObjectRef::Policy {
                schema: s(&p.schema),
                table: s(&p.table),
                name: s(&p.name),
            },
            Obj::Rule(r) => ObjectRef::Rule {
                schema: s(&r.schema),
                table: s(&r.table),
                name: s(&r.name),
            },
            Obj::Domain(d) => ObjectRef::Type {
                schema: s(&d.schema),
                name: s(&d.name),
            },
            Obj::Composite(c) => ObjectRef::Type {
                schema: s(&c.schema),
                name: s(&c.name),
            },
            Obj::Sequence(q) => ObjectRef::Sequence {
                schema: s(&q.schema),
                name: s(&q.name),
            },
        }
    }

    fn node(&self) -> Node {
        match *self {
            Obj::View(v) => recreate::view_node(v),
            Obj::Function(f) => recreate::function_node(f),
            Obj::Trigger(t) => recreate::trigger_node(t),
            Obj::Policy(p) => recreate::policy_node(p),
            Obj::Rule(r) => recreate::rule_node(r),
            Obj::Domain(d) => recreate::domain_node(d),
            Obj::Composite(c) => recreate::composite_node(c),
            Obj::Sequence(s) => recreate::sequence_node(s),
        }
    }

    /// `view public.v`, `function public.f(integer)`, `trigger t on public.x`.
    fn what(&self) -> String {
        self.node()
            .step
            .description
            .trim_start_matches("create ")
            .to_string()
    }

    fn declarable(&self) -> bool {
        !matches!(self, Obj::Rule(_))
    }

    fn is_type_or_sequence(&self) -> bool {
        matches!(self, Obj::Domain(_) | Obj::Composite(_) | Obj::Sequence(_))
    }

    /// Whether dropping it loses data: a materialized view's rows, a sequence's value.
    fn holds_data(&self) -> bool {
        match self {
            Obj::View(v) => v.materialized,
            Obj::Sequence(_) => true,
            _ => false,
        }
    }

    /// What creating, changing or dropping it does besides itself.
    fn hazards(&self) -> Vec<Hazard> {
        match self {
            Obj::View(v) if v.materialized => vec![Hazard::ImpactsDatabasePerformance],
            Obj::Trigger(_) | Obj::Rule(_) => vec![Hazard::ChangesWriteBehaviour],
            Obj::Policy(_) => vec![Hazard::ChangesRowVisibility],
            _ => vec![],
        }
    }

    /// `VIEW public.v`, as `COMMENT ON` names it.
    fn comment_target(&self) -> String {
        match self {
            Obj::View(v) => format!(
                "{} {}",
                if v.materialized {
                    "MATERIALIZED VIEW"
                } else {
                    "VIEW"
                },
                qualified(&v.schema, &v.name)
            ),
            Obj::Function(f) => format!(
                "{} {}({})",
                recreate::kind_word(f.kind),
                qualified(&f.schema, &f.name),
                f.args
            ),
            Obj::Trigger(t) => format!(
                "TRIGGER {} ON {}",
                quote_ident(&t.name),
                qualified(&t.schema, &t.table)
            ),
            Obj::Policy(p) => format!(
                "POLICY {} ON {}",
                quote_ident(&p.name),
                qualified(&p.schema, &p.table)
            ),
            Obj::Rule(r) => format!(
                "RULE {} ON {}",
                quote_ident(&r.name),
                qualified(&r.schema, &r.table)
            ),
            Obj::Domain(d) => format!("DOMAIN {}", qualified(&d.schema, &d.name)),
            Obj::Composite(c) => format!("TYPE {}", qualified(&c.schema, &c.name)),
            Obj::Sequence(s) => format!("SEQUENCE {}", qualified(&s.schema, &s.name)),
        }
    }

    fn comment(&self) -> Option<&String> {
        match self {
            Obj::View(v) => v.comment.as_ref(),
            Obj::Function(f) => f.comment.as_ref(),
            Obj::Trigger(t) => t.comment.as_ref(),
            Obj::Policy(p) => p.comment.as_ref(),
            Obj::Rule(r) => r.comment.as_ref(),
            Obj::Domain(d) => d.comment.as_ref(),
            Obj::Composite(c) => c.comment.as_ref(),
            Obj::Sequence(s) => s.comment.as_ref(),
        }
    }
}

/// How a present object differs from its declaration.
#[derive(Default)]
struct Change {
    /// It must be dropped and created again.
    recreate: bool,
    /// Otherwise: the statements that change it in place, and their inverses (in the
    /// order they run).
    up: Vec<String>,
    down: Vec<String>,
    /// What changes, in words.
    what: Vec<String>,
    /// A view replaced in place with columns added: its down statements are the
    /// view's re-creation, with what reads it.
    replaced_view: bool,
    /// A domain check or `NOT NULL` added: existing values may not pass.
    checks_values: bool,
}

impl Change {
    fn alter(&mut self, what: &str, up: String, down: String) {
        self.what.push(what.to_string());
        self.up.push(up);
        self.down.insert(0, down);
    }
}

fn compare(have: &Obj, want: &Obj) -> Change {
    let mut change = Change::default();
    match (have, want) {
        (Obj::View(c), Obj::View(d)) => {
            let name = qualified(&d.schema, &d.name);
            if (c.materialized, &c.options, &c.indexes) != (d.materialized, &d.options, &d.indexes)
            {
                change.recreate = true;
            } else if c.definition != d.definition {
                // `CREATE OR REPLACE VIEW` keeps what reads the view, but only when the
                // columns it had stay as they are and new ones come at the end.
                let appends = !c.materialized
                    && !c.columns.is_empty()
                    && d.columns.len() >= c.columns.len()
                    && d.columns[..c.columns.len()] == c.columns[..];
                if appends {
                    // The down file cannot take the new columns away in place: it
                    // drops the view and creates it as it was (see `diff_declared`).
                    change.what.push(if d.columns.len() > c.columns.len() {
                        "query, columns added at the end".into()
                    } else {
                        "query".into()
                    });
                    change.up.push(format!(
                        "CREATE OR REPLACE VIEW {name} AS\n{}",
                        d.definition
                    ));
                    change.replaced_view = true;
                } else {
                    change.recreate = true;
                }
            }
            let columns: BTreeSet<&String> = c
                .column_comments
                .iter()
                .chain(&d.column_comments)
                .map(|cc| &cc.column)
                .collect();
            for column in columns {
                let of = |v: &View| {
                    v.column_comments
                        .iter()
                        .find(|cc| cc.column == *column)
                        .map(|cc| cc.comment.clone())
                };
                let (old, new) = (of(c), of(d));
                if old != new {
                    change.alter(
                        "column comment",
                        sql::comment_on_column(&name, column, new.as_deref()),
                        sql::comment_on_column(&name, column, old.as_deref()),
                    );
                }
            }
        }
        (Obj::Function(c), Obj::Function(d)) => {
            if (c.kind, function_meaning(c)) != (d.kind, function_meaning(d)) {
                if c.kind == d.kind
                    && c.kind != FunctionKind::Aggregate
                    && header(&c.definition) == header(&d.definition)
                {
                    change.alter("body", d.definition.clone(), c.definition.clone());
                } else {
                    change.recreate = true;
                }
            }
        }
        (Obj::Trigger(c), Obj::Trigger(d)) => {
            change.recreate = c.definition != d.definition;
            if c.enabled != d.enabled {
                let state = |e: &str| sql::trigger_state(e).unwrap_or("ENABLE");
                let table = qualified(&d.schema, &d.table);
                let name = quote_ident(&d.name);
                change.alter(
                    "enabled",
                    format!("ALTER TABLE {table} {} TRIGGER {name}", state(&d.enabled)),
                    format!("ALTER TABLE {table} {} TRIGGER {name}", state(&c.enabled)),
                );
            }
        }
        (Obj::Policy(c), Obj::Policy(d)) => {
            change.recreate = (c.permissive, &c.command, &c.roles, &c.using, &c.with_check)
                != (d.permissive, &d.command, &d.roles, &d.using, &d.with_check);
        }
        (Obj::Domain(c), Obj::Domain(d)) => alter_domain(c, d, &mut change),
        (Obj::Composite(c), Obj::Composite(d)) => change.recreate = c.attributes != d.attributes,
        (Obj::Sequence(c), Obj::Sequence(d)) => {
            let options = |s: &Sequence| {
                format!(
                    "AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {}",
                    s.data_type,
                    s.increment,
                    s.min_value,
                    s.max_value,
                    s.start,
                    s.cache,
                    if s.cycle { "CYCLE" } else { "NO CYCLE" }
                )
            };
            if options(c) != options(d) {
                let name = qualified(&d.schema, &d.name);
                change.alter(
                    "options",
                    format!("ALTER SEQUENCE {name} {}", options(d)),
                    format!("ALTER SEQUENCE {name} {}", options(c)),
                );
            }
        }
        _ => change.recreate = true,
    }
    if !change.recreate && have.comment() != want.comment() {
        let target = want.comment_target();
        let text = |c: Option<&String>| c.map_or("NULL".to_string(), |c| string_literal(c));
        change.alter(
            "comment",
            format!("COMMENT ON {target} IS {}", text(want.comment())),
            format!("COMMENT ON {target} IS {}", text(have.comment())),
        );
    }
    change
}

/// A function's definition with the layout of its body left out: PostgreSQL keeps a
/// body as written, so two texts differing in whitespace, comments or the case of
/// unquoted names (a file reformatted) mean the same function. Only for SQL and
/// PL/pgSQL, whose bodies PostgreSQL lexes as SQL; other languages' bodies compare
/// as written.
fn function_meaning(f: &Function) -> String {
    if !matches!(f.language.as_str(), "sql" | "plpgsql") {
        return f.definition.clone();
    }
    let def = f.definition.as_str();
    let mut out = String::new();
    for t in lex::tokens(def) {
        let text = t.text(def);
        match t.kind {
            Kind::DollarString { terminated: true } => {
                // `$tag$ body $tag$`: the tag is up to the second `$`.
                let tag = text[1..].find('$').map_or(1, |i| i + 2);
                out.push_str(&without_layout(&text[tag..text.len() - tag]));
            }
            _ => out.push_str(text),
        }
    }
    out
}

/// The tokens of `sql`, without whitespace and comments, unquoted names folded.
fn without_layout(sql: &str) -> String {
    lex::tokens(sql)
        .filter(|t| !t.is_trivia())
        .map(|t| match t.kind {
            Kind::Ident => t.text(sql).to_ascii_lowercase(),
            _ => t.text(sql).to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What `CREATE OR REPLACE` must keep of a function: the lines `pg_get_functiondef`
/// prints before `LANGUAGE` (name, arguments with their names and defaults, result).
fn header(definition: &str) -> Vec<&str> {
    definition
        .lines()
        .take_while(|l| !l.starts_with(" LANGUAGE"))
        .collect()
}

/// A domain's default, `NOT NULL` and checks, altered in place; its base type or
/// collation cannot be (columns use it): re-created, which PostgreSQL refuses while
/// a column uses it (a refusal, see `diff_declared`).
fn alter_domain(c: &Domain, d: &Domain, change: &mut Change) {
    if (&c.base_type, &c.collation) != (&d.base_type, &d.collation) {
        change.recreate = true;
        return;
    }
    let name = qualified(&d.schema, &d.name);
    let default = |x: &Domain| match &x.default {
        Some(e) => format!("ALTER DOMAIN {name} SET DEFAULT {e}"),
        None => format!("ALTER DOMAIN {name} DROP DEFAULT"),
    };
    if c.default != d.default {
        change.alter("default", default(d), default(c));
    }
    let not_null = |x: &Domain| {
        format!(
            "ALTER DOMAIN {name} {} NOT NULL",
            if x.not_null { "SET" } else { "DROP" }
        )
    };
    if c.not_null != d.not_null {
        change.alter("not null", not_null(d), not_null(c));
        change.checks_values |= d.not_null;
    }
    let add = |check: &crate::schema::DomainCheck| {
        format!(
            "ALTER DOMAIN {name} ADD CONSTRAINT {} {}",
            quote_ident(&check.name),
            check.definition
        )
    };
    let drop = |check: &crate::schema::DomainCheck| {
        format!(
            "ALTER DOMAIN {name} DROP CONSTRAINT {}",
            quote_ident(&check.name)
        )
    };
    for old in &c.checks {
        if !d.checks.contains(old) {
            change.alter(&format!("check {}", old.name), drop(old), add(old));
        }
    }
    for new in &d.checks {
        if !c.checks.contains(new) {
            change.alter(&format!("check {}", new.name), add(new), drop(new));
            change.checks_values |= !new.not_valid;
        }
    }
}

/// The current dependency graph, by the keys objects have here (a column is its
/// relation; a table is named as a view is, so triggers and rules on views are found).
struct Graph {
    dependents: HashMap<ObjectRef, Vec<ObjectRef>>,
}

impl Graph {
    fn new(current: &Schema, renames: &Renames) -> Graph {
        let mut dependents: HashMap<ObjectRef, Vec<ObjectRef>> = HashMap::new();
        let mut add = |dependent: ObjectRef, referenced: ObjectRef| {
            let (dependent, referenced) = (renames.key(dependent), renames.key(referenced));
            if dependent != referenced {
                dependents.entry(referenced).or_default().push(dependent);
            }
        };
        let relation = |schema: &str, name: &str| ObjectRef::View {
            schema: schema.to_string(),
            name: name.to_string(),
        };
        for d in &current.objects.dependencies {
            add(key_of(&d.dependent), key_of(&d.referenced));
        }
        for v in &current.views {
            for r in &v.reads {
                add(
                    relation(&v.schema, &v.name),
                    relation(&r.schema, &r.relation),
                );
            }
        }
        for t in &current.objects.triggers {
            let key = ObjectRef::Trigger {
                schema: t.schema.clone(),
                table: t.table.clone(),
                name: t.name.clone(),
            };
            add(key.clone(), t.function.clone());
            add(key, relation(&t.schema, &t.table));
        }
        for r in &current.objects.rules {
            let key = ObjectRef::Rule {
                schema: r.schema.clone(),
                table: r.table.clone(),
                name: r.name.clone(),
            };
            add(key, relation(&r.schema, &r.table));
        }
        for list in dependents.values_mut() {
            list.sort();
            list.dedup();
        }
        Graph { dependents }
    }

    fn dependents(&self, key: &ObjectRef) -> &[ObjectRef] {
        self.dependents.get(key).map_or(&[], |v| v.as_slice())
    }

    fn describe(&self, r: &ObjectRef) -> String {
        match r {
            ObjectRef::View { schema, name } => format!("table {}", qualified(schema, name)),
            ObjectRef::Constraint {
                schema,
                table,
                name,
            } => format!(
                "constraint {} of {}",
                quote_ident(name),
                qualified(schema, table)
            ),
            ObjectRef::Index { schema, name } => format!("index {}", qualified(schema, name)),
            other => format!("{other:?}"),
        }
    }
}

/// Whether a dependent that is not one of the compared objects is part of a table (a
/// column's default or type, a check, an index): PostgreSQL will not drop what it uses,
/// and strata does not drop tables to let it. (A table is keyed as a view: see
/// [`key_of`].)
fn is_table_part(r: &ObjectRef) -> bool {
    matches!(
        r,
        ObjectRef::View { .. } | ObjectRef::Constraint { .. } | ObjectRef::Index { .. }
    )
}

/// The key a graph end has here: a column stands for its relation, and a table is
/// keyed as a view is (so the triggers and rules on a view are found). Unlike
/// `recreate::node_key`, a constraint stays itself: a table's check must be told from
/// a domain (see [`is_table_part`]).
fn key_of(r: &ObjectRef) -> ObjectRef {
    match r {
        ObjectRef::Column {
            schema, relation, ..
        } => ObjectRef::View {
            schema: schema.clone(),
            name: relation.clone(),
        },
        ObjectRef::Table { schema, name } => ObjectRef::View {
            schema: schema.clone(),
            name: name.clone(),
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{diff_with, DiffOptions};
    use crate::schema::{Dependency, SequenceOwner};

    fn function(definition: &str) -> Function {
        Function {
            schema: "public".into(),
            name: "f".into(),
            args: "a integer".into(),
            kind: FunctionKind::Function,
            language: "plpgsql".into(),
            definition: definition.into(),
            comment: None,
            grants: None,
        }
    }

    fn declared(objects: Objects) -> Schema {
        Schema {
            declared: true,
            objects,
            ..Schema::default()
        }
    }

    const F: &str = "CREATE OR REPLACE FUNCTION public.f(a integer)\n RETURNS integer\n LANGUAGE plpgsql\nAS $function$\nbegin\n  return a + 1; -- one more\nend $function$";

    #[test]
    fn a_body_laid_out_otherwise_is_the_same_function() {
        let relaid = F.replace(
            "begin\n  return a + 1; -- one more\nend",
            "BEGIN RETURN A+1; END",
        );
        let current = declared(Objects {
            functions: vec![function(F)],
            ..Objects::default()
        });
        let desired = declared(Objects {
            functions: vec![function(&relaid)],
            ..Objects::default()
        });
        assert!(diff_with(&desired, &current, &DiffOptions::default())
            .steps
            .is_empty());
        // A string constant is meaning.
        let other = F.replace("a + 1", "a || 'x'");
        let desired = declared(Objects {
            functions: vec![function(&other)],
            ..Objects::default()
        });
        let plan = diff_with(&desired, &current, &DiffOptions::default());
        let described: Vec<&str> = plan.steps.iter().map(|s| s.description.as_str()).collect();
        assert_eq!(described, ["change function f(a integer) (body)"]);
        assert_eq!(
            plan.steps[0].down,
            ["SET LOCAL check_function_bodies = off", F]
        );
    }

    #[test]
    fn a_new_result_type_drops_and_creates_the_function() {
        let current = declared(Objects {
            functions: vec![function(F)],
            ..Objects::default()
        });
        let desired = declared(Objects {
            functions: vec![function(&F.replace("RETURNS integer", "RETURNS bigint"))],
            ..Objects::default()
        });
        let plan = diff_with(&desired, &current, &DiffOptions::default());
        let described: Vec<&str> = plan.steps.iter().map(|s| s.description.as_str()).collect();
        assert_eq!(
            described,
            [
                "drop function f(a integer) (its definition changes; created again below)",
                "create function f(a integer)",
            ]
        );
    }

    #[test]
    fn pruning_a_sequence_a_column_uses_is_refused() {
        let sequence = Sequence {
            schema: "public".into(),
            name: "numbers".into(),
            data_type: "bigint".into(),
            start: 1,
            increment: 1,
            min_value: 1,
            max_value: i64::MAX,
            cache: 1,
            cycle: false,
            owner: None,
            comment: None,
            grants: vec![],
        };
        let current = declared(Objects {
            sequences: vec![sequence.clone()],
            dependencies: vec![Dependency {
                dependent: ObjectRef::Column {
                    schema: "public".into(),
                    relation: "invoices".into(),
                    column: "number".into(),
                },
                referenced: ObjectRef::Sequence {
                    schema: "public".into(),
                    name: "numbers".into(),
                },
            }],
            ..Objects::default()
        });
        let desired = declared(Objects::default());
        // Without prune: kept, nothing to do.
        assert!(diff_with(&desired, &current, &DiffOptions::default())
            .steps
            .is_empty());
        let plan = diff_with(
            &desired,
            &current,
            &DiffOptions {
                prune: true,
                ..DiffOptions::default()
            },
        );
        assert_eq!(plan.blockers.len(), 1, "{:?}", plan.blockers);
        assert!(
            plan.blockers[0].starts_with(
                "sequence numbers cannot be dropped (it is declared in no `objects` file and \
                 --prune is given): table invoices uses it"
            ),
            "{:?}",
            plan.blockers
        );
        // A serial column's own sequence is the column's business, never pruned.
        let mut owned = sequence;
        owned.owner = Some(SequenceOwner {
            schema: "public".into(),
            table: "invoices".into(),
            column: "id".into(),
            identity: false,
        });
        let current = declared(Objects {
            sequences: vec![owned],
            ..Objects::default()
        });
        let plan = diff_with(
            &desired,
            &current,
            &DiffOptions {
                prune: true,
                ..DiffOptions::default()
            },
        );
        assert!(plan.steps.is_empty() && plan.blockers.is_empty());
    }
}
