//! Creating a whole schema from nothing, every object of it: what `baseline` writes and
//! `inspect` shows. The tables, enums, keys and indexes are the diff's (a plan from an
//! empty database); everything else ([`Objects`], views) comes from the definitions
//! PostgreSQL printed, in dependency order around that plan:
//!
//! 1. `head`: extensions, schemas, enums (the diff's);
//! 2. `types`: sequences, domains, composite types, and the functions that need no
//!    table (a check, default, index or domain may call them), ordered by the
//!    dependency graph;
//! 3. `tables`: tables, keys, checks (NOT VALID ones added NOT VALID), indexes,
//!    foreign keys, comments (the diff's), each partitioned table with its key;
//! 4. `after`: partitions, sequence ownership, the functions that need a table,
//!    views and materialized views (with their indexes), triggers, rules, policies,
//!    row level security, grants, comments and owners, ordered by the graph.
//!
//! Every step has its inverse, so the down file drops it all in reverse order. What
//! cannot be written from the catalog (a function in a C library, a partition's own
//! indexes and constraints) is a refusal, never left out in silence.
use crate::diff;
use crate::names::{qualified, quote_ident};
use crate::plan::{Plan, Step};
use crate::schema::{
    CompositeType, Domain, Function, FunctionKind, Grant, ObjectRef, Objects, Partition, Policy,
    Rule, Schema, SchemaProperties, Sequence, Trigger, View,
};
use crate::sql::string_literal;

/// The steps that create `schema` from an empty database, and what they cannot create.
#[derive(Debug, Clone, Default)]
pub struct Recreation {
    pub plan: Plan,
    /// Objects that cannot be written from the catalog, each with what to do.
    pub refusals: Vec<String>,
}

/// See the module documentation. `schema` is a current schema (introspected, without
/// the builtins).
pub fn recreate(schema: &Schema) -> Recreation {
    let mut tables_only = schema.clone();
    let objects = std::mem::take(&mut tables_only.objects);
    // An excluded view is never created by strata, a baseline included.
    let views: Vec<View> = std::mem::take(&mut tables_only.views)
        .into_iter()
        .filter(|v| v.excluded_by.is_none())
        .collect();
    explicit_sequences(&mut tables_only);
    let mut head = tables_only.clone();
    head.tables.clear();
    let head_plan = diff::diff(&head, &Schema::default());
    let tables_plan = diff::diff(&tables_only, &head);

    let managed = |schema_name: &str, table: &str| {
        tables_only.table(schema_name, table).is_some()
            || objects
                .partitions
                .iter()
                .any(|p| p.schema == schema_name && p.name == table)
            || views
                .iter()
                .any(|v| v.schema == schema_name && v.name == table)
    };
    let mut refusals = Vec::new();
    let mut nodes: Vec<Node> = Vec::new();
    for s in objects
        .sequences
        .iter()
        .filter(|s| wanted_sequence(s, &tables_only))
    {
        nodes.push(sequence_node(s));
    }
    nodes.extend(objects.domains.iter().map(domain_node));
    nodes.extend(objects.composites.iter().map(composite_node));
    for f in &objects.functions {
        if f.language == "c" {
            refusals.push(format!(
                "{} {}.{}({}) is written in C (LANGUAGE c) and belongs to no extension: \
                 its library cannot be re-created from the catalog. Install it from an \
                 extension, or create it in a migration of your own before this one and \
                 leave its schema out of `schemas`",
                kind_word(f.kind).to_lowercase(),
                f.schema,
                f.name,
                f.args
            ));
            continue;
        }
        nodes.push(function_node(f));
    }
    nodes.extend(views.iter().map(view_node));
    nodes.extend(
        objects
            .triggers
            .iter()
            .filter(|t| managed(&t.schema, &t.table))
            .map(trigger_node),
    );
    nodes.extend(
        objects
            .rules
            .iter()
            .filter(|r| managed(&r.schema, &r.table))
            .map(rule_node),
    );
    nodes.extend(
        objects
            .policies
            .iter()
            .filter(|p| managed(&p.schema, &p.table))
            .map(policy_node),
    );

    // What reads a table that is not written (an `exclude`d one) cannot be created
    // on an empty database.
    nodes.retain(|n| {
        let unwritten = objects.dependencies_of(&n.key).find_map(|r| match r {
            ObjectRef::Table { schema, name }
            | ObjectRef::Column {
                schema,
                relation: name,
                ..
            } if !managed(schema, name)
                && !objects
                    .composites
                    .iter()
                    .any(|c| c.schema == *schema && c.name == *name) =>
            {
                Some(qualified(schema, name))
            }
            _ => None,
        });
        if let Some(table) = &unwritten {
            refusals.push(format!(
                "{} reads {table}, which is excluded from strata (`exclude`): a baseline \
                 without that table cannot create it. Stop excluding {table}, or create both \
                 in a migration of your own",
                n.step.description.trim_start_matches("create ")
            ));
        }
        unwritten.is_none()
    });

    // Before the tables: what needs no table, transitively.
    let needs_table = needs_a_table(&nodes, &objects);
    let mut before = Vec::new();
    let mut after = Vec::new();
    for (node, late) in nodes.into_iter().zip(needs_table) {
        if late {
            after.push(node);
        } else {
            before.push(node);
        }
    }
    let before = in_dependency_order(before, &objects);
    let after = in_dependency_order(after, &objects);

    let mut steps: Vec<Step> = head_plan.steps;
    if !objects.functions.is_empty() {
        // As pg_dump does: a function body may name what is created after it.
        steps.push(Step::new(
            "let function bodies name objects created after them",
            vec!["SET LOCAL check_function_bodies = off".into()],
            vec![],
        ));
    }
    steps.extend(before.into_iter().map(Node::into_step));
    steps.extend(tables_plan.steps);
    steps.extend(partitions(&objects.partitions, &tables_only));
    steps.extend(sequence_ownership(&objects, &tables_only));
    steps.extend(after.into_iter().map(Node::into_step));
    steps.extend(table_properties(&objects, &managed));
    steps.extend(
        objects
            .schema_properties
            .iter()
            .filter_map(|s| schema_properties(s, &tables_only.schemas)),
    );
    steps.extend(ownerships(&objects, &managed));
    let mut blockers = head_plan.blockers;
    blockers.extend(tables_plan.blockers);
    Recreation {
        plan: Plan {
            steps,
            rename_suggestions: Vec::new(),
            hints: Vec::new(),
            blockers,
        },
        refusals,
    }
}

/// Serial columns become what `serial` stands for, a `nextval` default on a sequence
/// created apart: the sequence keeps its own name and options (a serial column would
/// make a new one named after the column, with the default options), as `pg_dump` has
/// it too.
fn explicit_sequences(schema: &mut Schema) {
    for t in &mut schema.tables {
        for c in &mut t.columns {
            if !c.serial {
                continue;
            }
            let Some(sequence) = c.sequence.take() else {
                continue;
            };
            let name = qualified(&t.schema, &sequence);
            c.serial = false;
            c.sequence_type = None;
            c.default = Some(format!("nextval({}::regclass)", string_literal(&name)));
        }
    }
}

/// Every sequence but those of identity columns (which the column creates) and those
/// owned by a table that is not written.
fn wanted_sequence(s: &Sequence, tables: &Schema) -> bool {
    match &s.owner {
        Some(o) if o.identity => false,
        Some(o) => tables.table(&o.schema, &o.table).is_some(),
        None => true,
    }
}

pub(crate) fn sequence_node(s: &Sequence) -> Node {
    let name = qualified(&s.schema, &s.name);
    let mut create = format!("CREATE SEQUENCE {name}");
    if s.data_type != "bigint" {
        create.push_str(&format!(" AS {}", s.data_type));
    }
    if !s.is_default_for_type() {
        create.push_str(&format!(
            " START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{}",
            s.start,
            s.increment,
            s.min_value,
            s.max_value,
            s.cache,
            if s.cycle { " CYCLE" } else { "" }
        ));
    }
    let mut up = vec![create];
    if let Some(comment) = &s.comment {
        up.push(format!(
            "COMMENT ON SEQUENCE {name} IS {}",
            string_literal(comment)
        ));
    }
    up.extend(grants("SEQUENCE", &name, &s.grants));
    Node::new(
        ObjectRef::Sequence {
            schema: s.schema.clone(),
            name: s.name.clone(),
        },
        format!("create sequence {name}"),
        up,
        vec![format!("DROP SEQUENCE {name}")],
    )
}

pub(crate) fn kind_word(kind: FunctionKind) -> &'static str {
    match kind {
        FunctionKind::Procedure => "PROCEDURE",
        FunctionKind::Aggregate => "AGGREGATE",
        FunctionKind::Function | FunctionKind::Window => "FUNCTION",
    }
}

pub(crate) fn function_node(f: &Function) -> Node {
    let signature = format!("{}({})", qualified(&f.schema, &f.name), f.args);
    let kind = kind_word(f.kind);
    let mut up = vec![f.definition.clone()];
    if let Some(comment) = &f.comment {
        up.push(format!(
            "COMMENT ON {kind} {signature} IS {}",
            string_literal(comment)
        ));
    }
    if let Some(granted) = &f.grants {
        // Read back as set: the default EXECUTE to PUBLIC taken away, these given.
        up.push(format!("REVOKE ALL ON ROUTINE {signature} FROM PUBLIC"));
        up.extend(grants("ROUTINE", &signature, granted));
    }
    Node::new(
        ObjectRef::Function {
            schema: f.schema.clone(),
            name: f.name.clone(),
            args: f.args.clone(),
        },
        format!("create {} {signature}", kind.to_lowercase()),
        up,
        vec![format!("DROP {kind} {signature}")],
    )
}

/// `GRANT UPDATE (email) ON TABLE users TO app`.
pub(crate) fn column_grant(table: &str, column: &str, g: &Grant) -> String {
    format!(
        "GRANT {} ({}) ON TABLE {table} TO {}{}",
        g.privilege,
        quote_ident(column),
        g.grantee,
        if g.with_grant_option {
            " WITH GRANT OPTION"
        } else {
            ""
        }
    )
}

/// `GRANT ... ON kind name TO ...` for each grant.
fn grants(kind: &str, name: &str, grants: &[Grant]) -> Vec<String> {
    grants
        .iter()
        .map(|g| {
            format!(
                "GRANT {} ON {kind} {name} TO {}{}",
                g.privilege,
                g.grantee,
                if g.with_grant_option {
                    " WITH GRANT OPTION"
                } else {
                    ""
                }
            )
        })
        .collect()
}

fn partitions(partitions: &[Partition], tables: &Schema) -> Vec<Step> {
    // Parents first: a partition that is partitioned again comes before its own.
    let mut written: Vec<&Partition> = Vec::new();
    let mut pending: Vec<&Partition> = partitions.iter().collect();
    loop {
        let before = pending.len();
        pending.retain(|p| {
            let parent_ready = tables.table(&p.parent_schema, &p.parent).is_some()
                || written
                    .iter()
                    .any(|w| w.schema == p.parent_schema && w.name == p.parent);
            if parent_ready {
                written.push(p);
            }
            !parent_ready
        });
        if pending.len() == before {
            break;
        }
    }
    written
        .into_iter()
        .map(|p| {
            let name = qualified(&p.schema, &p.name);
            let mut create = format!(
                "CREATE TABLE {name} PARTITION OF {} {}",
                qualified(&p.parent_schema, &p.parent),
                p.bound
            );
            if let Some(key) = &p.partition_by {
                create.push_str(&format!(" PARTITION BY {key}"));
            }
            let mut up = vec![create];
            if let Some(comment) = &p.comment {
                up.push(format!(
                    "COMMENT ON TABLE {name} IS {}",
                    string_literal(comment)
                ));
            }
            // Its own indexes and constraints (not its parent's), as the catalog prints
            // them; the foreign keys among them find their tables created before.
            up.extend(p.own_definitions.iter().cloned());
            Step::new(
                format!("create partition {name}"),
                up,
                vec![format!("DROP TABLE {name}")],
            )
        })
        .collect()
}

/// `ALTER SEQUENCE ... OWNED BY` once the owning tables exist; undone before they go
/// (a table drops the sequences it owns, and the sequences are dropped on their own).
fn sequence_ownership(objects: &Objects, tables: &Schema) -> Vec<Step> {
    // An identity column's sequence is created with the column, with the default
    // options: other options are set on it afterwards.
    let identity = objects.sequences.iter().filter(|s| {
        s.owner
            .as_ref()
            .is_some_and(|o| o.identity && tables.table(&o.schema, &o.table).is_some())
            && !s.is_default_for_type()
    });
    let identity_options = identity.map(|s| {
        let name = qualified(&s.schema, &s.name);
        Step::new(
            format!("options of sequence {name}"),
            vec![format!(
                "ALTER SEQUENCE {name} START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} \
                 CACHE {}{}",
                s.start,
                s.increment,
                s.min_value,
                s.max_value,
                s.cache,
                if s.cycle { " CYCLE" } else { " NO CYCLE" }
            )],
            vec![],
        )
    });
    let owned = objects
        .sequences
        .iter()
        .filter(|s| wanted_sequence(s, tables))
        .filter_map(|s| {
            let o = s.owner.as_ref()?;
            let name = qualified(&s.schema, &s.name);
            let column = format!(
                "{}.{}",
                qualified(&o.schema, &o.table),
                quote_ident(&o.column)
            );
            Some(Step::new(
                format!("sequence {name} owned by {column}"),
                vec![format!("ALTER SEQUENCE {name} OWNED BY {column}")],
                vec![format!("ALTER SEQUENCE {name} OWNED BY NONE")],
            ))
        });
    identity_options.chain(owned).collect()
}

/// Row level security and grants of the tables and partitions written.
fn table_properties(objects: &Objects, managed: &impl Fn(&str, &str) -> bool) -> Vec<Step> {
    objects
        .table_properties
        .iter()
        .filter(|p| managed(&p.schema, &p.table))
        .filter_map(|p| {
            let name = qualified(&p.schema, &p.table);
            let mut up = Vec::new();
            let mut down = Vec::new();
            if p.row_security {
                up.push(format!("ALTER TABLE {name} ENABLE ROW LEVEL SECURITY"));
                down.push(format!("ALTER TABLE {name} DISABLE ROW LEVEL SECURITY"));
            }
            if p.force_row_security {
                up.push(format!("ALTER TABLE {name} FORCE ROW LEVEL SECURITY"));
                down.push(format!("ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY"));
            }
            up.extend(grants("TABLE", &name, &p.grants));
            for (column, g) in &p.column_grants {
                up.push(column_grant(&name, column, g));
            }
            (!up.is_empty()).then(|| Step::new(format!("security of table {name}"), up, down))
        })
        .collect()
}

/// `public`'s comment in a new database (PostgreSQL 15 and later): introspection reads
/// it as no comment (see `introspect::schema_properties`).
const PUBLIC_COMMENT: &str = "standard public schema";

/// A schema's grants and comment. One the baseline creates (`created`) is dropped by
/// the down file, and these with it; one that exists already (`public`) gets them
/// taken back: its grants revoked, its comment put back to PostgreSQL's.
fn schema_properties(s: &SchemaProperties, created: &[String]) -> Option<Step> {
    let name = quote_ident(&s.schema);
    let mut up = grants("SCHEMA", &name, &s.grants);
    if let Some(comment) = &s.comment {
        up.push(format!(
            "COMMENT ON SCHEMA {name} IS {}",
            string_literal(comment)
        ));
    }
    if up.is_empty() {
        return None;
    }
    let mut down = Vec::new();
    if !created.contains(&s.schema) {
        if s.comment.is_some() {
            let before = if s.schema == "public" {
                string_literal(PUBLIC_COMMENT)
            } else {
                "NULL".to_string()
            };
            down.push(format!("COMMENT ON SCHEMA {name} IS {before}"));
        }
        down.extend(
            s.grants
                .iter()
                .map(|g| format!("REVOKE {} ON SCHEMA {name} FROM {}", g.privilege, g.grantee)),
        );
    }
    Some(Step::new(format!("privileges of schema {name}"), up, down))
}

fn ownerships(objects: &Objects, managed: &impl Fn(&str, &str) -> bool) -> Vec<Step> {
    objects
        .owners
        .iter()
        .filter_map(|o| {
            let (kind, name) = match &o.object {
                ObjectRef::Table { schema, name } => {
                    if !managed(schema, name) {
                        return None;
                    }
                    ("TABLE", qualified(schema, name))
                }
                ObjectRef::View { schema, name } => ("TABLE", qualified(schema, name)),
                ObjectRef::Sequence { schema, name } => ("SEQUENCE", qualified(schema, name)),
                ObjectRef::Type { schema, name } => ("TYPE", qualified(schema, name)),
                ObjectRef::Function { schema, name, args } => {
                    ("ROUTINE", format!("{}({args})", qualified(schema, name)))
                }
                _ => return None,
            };
            Some(Step::new(
                format!("owner of {name}"),
                vec![format!("ALTER {kind} {name} OWNER TO {}", o.owner)],
                vec![],
            ))
        })
        .collect()
}

/// One object to create, with the key the dependency graph names it by: its step
/// creates it, and the step's inverse drops it.
pub(crate) struct Node {
    pub key: ObjectRef,
    pub step: Step,
}

impl Node {
    pub(crate) fn new(
        key: ObjectRef,
        description: String,
        up: Vec<String>,
        down: Vec<String>,
    ) -> Node {
        Node {
            key,
            step: Step::new(description, up, down),
        }
    }

    fn into_step(self) -> Step {
        self.step
    }
}

/// The node a reference in the graph stands for: a column is its relation.
pub(crate) fn node_key(r: &ObjectRef) -> ObjectRef {
    match r {
        ObjectRef::Column {
            schema, relation, ..
        } => ObjectRef::View {
            schema: schema.clone(),
            name: relation.clone(),
        },
        // A domain's check is the domain.
        ObjectRef::Constraint { schema, table, .. } => ObjectRef::Type {
            schema: schema.clone(),
            name: table.clone(),
        },
        other => other.clone(),
    }
}

/// Whether each node needs (directly or through other nodes) a table, a partition or
/// a view, and so comes after the tables.
pub(crate) fn needs_a_table(nodes: &[Node], objects: &Objects) -> Vec<bool> {
    let is_relation = |r: &ObjectRef| match r {
        ObjectRef::Table { .. } | ObjectRef::View { .. } => true,
        ObjectRef::Column {
            schema, relation, ..
        } => objects
            .composites
            .iter()
            .all(|c| !(c.schema == *schema && c.name == *relation)),
        _ => false,
    };
    let mut late: Vec<bool> = nodes
        .iter()
        .map(|n| {
            matches!(
                n.key,
                ObjectRef::View { .. }
                    | ObjectRef::Trigger { .. }
                    | ObjectRef::Rule { .. }
                    | ObjectRef::Policy { .. }
            ) || objects.dependencies_of(&n.key).any(&is_relation)
        })
        .collect();
    loop {
        let mut changed = false;
        for i in 0..nodes.len() {
            if late[i] {
                continue;
            }
            let needs_late = objects.dependencies_of(&nodes[i].key).any(|r| {
                let k = node_key(r);
                nodes.iter().zip(&late).any(|(n, l)| *l && n.key == k)
            });
            if needs_late {
                late[i] = true;
                changed = true;
            }
        }
        if !changed {
            return late;
        }
    }
}

/// The nodes, each after those it depends on (their order otherwise kept: by kind,
/// then by name). A cycle, which PostgreSQL's own graph cannot hold between these,
/// keeps the remaining nodes in their order.
pub(crate) fn in_dependency_order(mut pending: Vec<Node>, objects: &Objects) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending.iter().position(|n| {
            objects.dependencies_of(&n.key).all(|r| {
                let k = node_key(r);
                k == n.key || !pending.iter().any(|p| p.key == k)
            })
        });
        let at = ready.unwrap_or(0);
        out.push(pending.remove(at));
    }
    out
}

pub(crate) fn domain_node(d: &Domain) -> Node {
    let name = qualified(&d.schema, &d.name);
    let mut create = format!("CREATE DOMAIN {name} AS {}", d.base_type);
    if let Some(c) = &d.collation {
        create.push_str(&format!(" COLLATE {c}"));
    }
    if let Some(default) = &d.default {
        create.push_str(&format!(" DEFAULT {default}"));
    }
    if d.not_null {
        create.push_str(" NOT NULL");
    }
    let mut up = vec![create];
    // Added apart, as pg_dump does: a NOT VALID one stays unvalidated.
    for c in &d.checks {
        up.push(format!(
            "ALTER DOMAIN {name} ADD CONSTRAINT {} {}",
            quote_ident(&c.name),
            c.definition
        ));
    }
    if let Some(comment) = &d.comment {
        up.push(format!(
            "COMMENT ON DOMAIN {name} IS {}",
            string_literal(comment)
        ));
    }
    Node::new(
        ObjectRef::Type {
            schema: d.schema.clone(),
            name: d.name.clone(),
        },
        format!("create domain {name}"),
        up,
        vec![format!("DROP DOMAIN {name}")],
    )
}

pub(crate) fn composite_node(c: &CompositeType) -> Node {
    let name = qualified(&c.schema, &c.name);
    let attributes: Vec<String> = c
        .attributes
        .iter()
        .map(|a| {
            let collate = a
                .collation
                .as_ref()
                .map_or(String::new(), |c| format!(" COLLATE {c}"));
            format!("    {} {}{collate}", quote_ident(&a.name), a.ty)
        })
        .collect();
    let mut up = vec![format!(
        "CREATE TYPE {name} AS (\n{}\n)",
        attributes.join(",\n")
    )];
    if let Some(comment) = &c.comment {
        up.push(format!(
            "COMMENT ON TYPE {name} IS {}",
            string_literal(comment)
        ));
    }
    Node::new(
        ObjectRef::Type {
            schema: c.schema.clone(),
            name: c.name.clone(),
        },
        format!("create type {name}"),
        up,
        vec![format!("DROP TYPE {name}")],
    )
}

/// A view or materialized view, with its indexes.
pub(crate) fn view_node(v: &View) -> Node {
    let name = qualified(&v.schema, &v.name);
    let mut up = diff::views::create(v);
    up.extend(v.indexes.iter().cloned());
    let (kind, kind_sql) = if v.materialized {
        ("materialized view", "MATERIALIZED VIEW")
    } else {
        ("view", "VIEW")
    };
    Node::new(
        ObjectRef::View {
            schema: v.schema.clone(),
            name: v.name.clone(),
        },
        format!("create {kind} {name}"),
        up,
        vec![format!("DROP {kind_sql} {name}")],
    )
}

pub(crate) fn trigger_node(t: &Trigger) -> Node {
    let table = qualified(&t.schema, &t.table);
    let name = quote_ident(&t.name);
    Node::new(
        ObjectRef::Trigger {
            schema: t.schema.clone(),
            table: t.table.clone(),
            name: t.name.clone(),
        },
        format!("create trigger {name} on {table}"),
        crate::sql::create_trigger(t),
        vec![crate::sql::drop_trigger(t)],
    )
}

pub(crate) fn rule_node(r: &Rule) -> Node {
    let table = qualified(&r.schema, &r.table);
    let name = quote_ident(&r.name);
    Node::new(
        ObjectRef::Rule {
            schema: r.schema.clone(),
            table: r.table.clone(),
            name: r.name.clone(),
        },
        format!("create rule {name} on {table}"),
        crate::sql::create_rule(r),
        vec![crate::sql::drop_rule(r)],
    )
}

pub(crate) fn policy_node(p: &Policy) -> Node {
    let table = qualified(&p.schema, &p.table);
    let name = quote_ident(&p.name);
    Node::new(
        ObjectRef::Policy {
            schema: p.schema.clone(),
            table: p.table.clone(),
            name: p.name.clone(),
        },
        format!("create policy {name} on {table}"),
        crate::sql::create_policy(p),
        vec![crate::sql::drop_policy(p)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn properties(schema: &str) -> SchemaProperties {
        SchemaProperties {
            schema: schema.into(),
            comment: Some("Ours".into()),
            grants: vec![Grant {
                grantee: "app".into(),
                privilege: "USAGE".into(),
                with_grant_option: false,
            }],
        }
    }

    #[test]
    fn public_gets_its_grants_and_comment_taken_back_a_created_schema_is_dropped() {
        let created = vec!["billing".to_string()];
        let public = schema_properties(&properties("public"), &created).expect("a step");
        assert_eq!(
            public.up,
            [
                "GRANT USAGE ON SCHEMA public TO app",
                "COMMENT ON SCHEMA public IS 'Ours'"
            ]
        );
        assert_eq!(
            public.down,
            [
                "COMMENT ON SCHEMA public IS 'standard public schema'",
                "REVOKE USAGE ON SCHEMA public FROM app"
            ]
        );
        let billing = schema_properties(&properties("billing"), &created).expect("a step");
        assert_eq!(billing.up.len(), 2);
        assert!(billing.down.is_empty(), "DROP SCHEMA takes them along");
        let bare = SchemaProperties {
            schema: "public".into(),
            comment: None,
            grants: vec![],
        };
        assert!(schema_properties(&bare, &created).is_none());
    }
}
