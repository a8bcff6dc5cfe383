//! The part of a database a plan touches, and what it needs around it: what `generate`
//! copies into a scratch database to prove the plan there, rather than the whole
//! schema (500 changed tables of 5000 are copied, not 5000).
//!
//! - The touched tables: every table (managed, excluded or outside the managed schemas)
//!   whose name, or the name of a sequence it owns, a statement of the plan, up or
//!   down, mentions. A statement that changes a table names it; naming a few more (a
//!   column called like a table) only copies more.
//! - Around them, as context: the tables their foreign keys reference and the tables
//!   whose foreign keys reference them, the views that read any of those (and the
//!   views on those views, and the tables those views read). A context table is copied
//!   as a stub: its columns, keys and unique indexes (what a foreign key may lean on),
//!   and its foreign keys that stay inside the copy.
//! - Everything that is not a table or view is few and is copied whole: enums,
//!   domains, composite types, functions, standalone sequences; triggers, rules,
//!   policies and partitions of the copied tables, and the sequences they own.
//!
//! The touched tables are compared after the plan's up files ran; the context tables
//! are only there for the plan's statements to find what they lean on.
use crate::lex::{self, Kind};
use crate::plan::Plan;
use crate::schema::{nextval_sequence, ObjectRef, Schema, Sequence, Table};
use std::collections::HashSet;

/// A table's (schema, name).
pub type TableKey = (String, String);

pub struct Scope {
    /// The copy: a schema holding the touched tables and their context, every other
    /// table left out (excluded ones moved among the tables: the copy creates them).
    pub copy: Schema,
    /// The touched tables of the current schema, by current name.
    pub touched: HashSet<TableKey>,
}

/// What `plan` touches in `current`, and the copy that holds it.
pub fn scope(plan: &Plan, current: &Schema) -> Scope {
    let named = identifiers(plan);
    let all: Vec<&Table> = current
        .tables
        .iter()
        .chain(current.excluded_tables.iter().map(|x| &x.table))
        .collect();
    let key = |t: &Table| (t.schema.clone(), t.name.clone());
    // A statement may name a table's sequence rather than the table (`ALTER SEQUENCE
    // users_id_seq AS bigint`): the table is touched too.
    let owners_named: HashSet<TableKey> = current
        .objects
        .sequences
        .iter()
        .filter(|s| named.contains(&s.name))
        .filter_map(|s| s.owner.as_ref())
        .map(|o| (o.schema.clone(), o.table.clone()))
        .collect();
    let touched: HashSet<TableKey> = all
        .iter()
        .filter(|t| {
            named.contains(&t.name)
                || owners_named.contains(&key(t))
                || t.columns.iter().any(|c| {
                    c.sequence
                        .as_deref()
                        .is_some_and(|s| named.contains(s.rsplit('.').next().unwrap_or(s)))
                })
        })
        .map(|t| key(t))
        .collect();

    // Context: foreign keys either way.
    let mut copied: HashSet<TableKey> = touched.clone();
    for t in &all {
        let this = key(t);
        for fk in &t.foreign_keys {
            let target = (fk.ref_schema.clone(), fk.ref_table.clone());
            if touched.contains(&this) {
                copied.insert(target.clone());
            }
            if touched.contains(&target) {
                copied.insert(this.clone());
            }
        }
    }
    // Views reading what is copied, views on those, and what they read.
    let mut views: HashSet<TableKey> = HashSet::new();
    loop {
        let before = views.len();
        for v in &current.views {
            let reads_copied = v.reads.iter().any(|r| {
                let k = (r.schema.clone(), r.relation.clone());
                copied.contains(&k) || views.contains(&k)
            });
            if reads_copied {
                views.insert((v.schema.clone(), v.name.clone()));
            }
        }
        if views.len() == before {
            break;
        }
    }
    for v in &current.views {
        if views.contains(&(v.schema.clone(), v.name.clone())) {
            for r in &v.reads {
                let k = (r.schema.clone(), r.relation.clone());
                if all.iter().any(|t| key(t) == k) {
                    copied.insert(k);
                }
            }
        }
    }

    let mut copy = Schema {
        schemas: Vec::new(),
        extensions: current.extensions.clone(),
        enums: current
            .enums
            .iter()
            .chain(current.excluded_enums.iter().map(|x| &x.enum_type))
            .cloned()
            .collect(),
        ..Schema::default()
    };
    for t in all.iter().filter(|t| copied.contains(&key(t))) {
        let mut t = (*t).clone();
        if !touched.contains(&key(&t)) {
            stub(&mut t, &copied);
        }
        copy.tables.push(t);
    }
    copy.views = current
        .views
        .iter()
        .filter(|v| views.contains(&(v.schema.clone(), v.name.clone())))
        .cloned()
        .map(|mut v| {
            v.excluded_by = None;
            v
        })
        .collect();

    let on_copied =
        |schema: &String, table: &String| copied.contains(&(schema.clone(), table.clone()));
    let o = &current.objects;
    let mut objects = o.clone();
    objects
        .table_properties
        .retain(|p| on_copied(&p.schema, &p.table));
    objects
        .partitions
        .retain(|p| on_copied(&p.parent_schema, &p.parent));
    objects.triggers.retain(|t| on_copied(&t.schema, &t.table));
    objects.rules.retain(|r| on_copied(&r.schema, &r.table));
    objects.policies.retain(|p| on_copied(&p.schema, &p.table));
    objects.sequences.retain(|s| {
        s.owner
            .as_ref()
            .is_none_or(|owner| on_copied(&owner.schema, &owner.table))
    });
    let present = |o: &ObjectRef| match o {
        ObjectRef::Table { schema, name } => on_copied(schema, name),
        ObjectRef::Column {
            schema, relation, ..
        } => {
            on_copied(schema, relation)
                || views.contains(&(schema.clone(), relation.clone()))
                || !all
                    .iter()
                    .any(|t| t.schema == *schema && t.name == *relation)
        }
        ObjectRef::View { schema, name } => views.contains(&(schema.clone(), name.clone())),
        ObjectRef::Trigger { schema, table, .. }
        | ObjectRef::Rule { schema, table, .. }
        | ObjectRef::Policy { schema, table, .. } => on_copied(schema, table),
        _ => true,
    };
    objects
        .dependencies
        .retain(|d| present(&d.dependent) && present(&d.referenced));
    // A default may draw from a sequence the catalog read does not hold (one in a
    // schema strata does not manage, of an excluded table there): the copy makes one
    // of that name, so the default can be created.
    let mut missing: Vec<(String, String)> = Vec::new();
    for t in &copy.tables {
        for c in t.columns.iter().filter(|c| !c.serial) {
            let Some((schema, name)) = c.default.as_deref().and_then(nextval_sequence) else {
                continue;
            };
            let known = objects
                .sequences
                .iter()
                .any(|s| s.schema == schema && s.name == name);
            if !known && !missing.contains(&(schema.clone(), name.clone())) {
                missing.push((schema, name));
            }
        }
    }
    objects
        .sequences
        .extend(missing.into_iter().map(|(schema, name)| Sequence {
            schema,
            name,
            data_type: "bigint".into(),
            start: 1,
            increment: 1,
            min_value: 1,
            max_value: i64::MAX,
            cache: 1,
            cycle: false,
            owner: None,
            comment: None,
            grants: Vec::new(),
        }));
    objects.owners.retain(|w| present(&w.object));
    copy.objects = objects;
    // Every schema something copied lives in (an excluded table may live in a schema
    // strata does not manage), besides the managed ones.
    let mut schemas: Vec<String> = current.schemas.clone();
    schemas.extend(copy.tables.iter().map(|t| t.schema.clone()));
    schemas.extend(copy.views.iter().map(|v| v.schema.clone()));
    schemas.extend(copy.enums.iter().map(|e| e.schema.clone()));
    schemas.sort();
    schemas.dedup();
    copy.schemas = schemas;
    copy.sort();
    Scope { copy, touched }
}

/// A context table as the copy needs it: its columns, the keys a foreign key may lean
/// on and its foreign keys inside the copy; not its indexes, checks, comments and
/// defaults, which nothing of the plan reads (a copy of thousands of tables is mostly
/// these, and a default may call what lies outside the copy).
fn stub(t: &mut Table, copied: &HashSet<TableKey>) {
    t.foreign_keys
        .retain(|fk| copied.contains(&(fk.ref_schema.clone(), fk.ref_table.clone())));
    t.indexes.retain(|i| i.unique && i.predicate.is_none());
    t.checks.clear();
    t.exclusions.clear();
    t.comment = None;
    for c in &mut t.columns {
        c.comment = None;
        c.default = None;
        c.serial = false;
        c.generated = None;
    }
}

/// Every identifier the plan's statements name, as PostgreSQL folds it.
fn identifiers(plan: &Plan) -> HashSet<String> {
    let mut out = HashSet::new();
    for step in &plan.steps {
        for sql in step.up.iter().chain(&step.down) {
            for token in lex::tokens(sql) {
                if matches!(token.kind, Kind::Ident | Kind::QuotedIdent { .. }) {
                    if let Some(name) = lex::ident::ident_name(&token, sql) {
                        out.insert(name.into_owned());
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Step;
    use crate::schema::{Column, ForeignKey, View, ViewDependency};

    fn table(name: &str, refs: &[&str]) -> Table {
        let mut t = Table::new("public", name, vec![Column::new("id", "integer")]);
        for r in refs {
            t.foreign_keys.push(ForeignKey {
                name: format!("{name}_{r}_fkey"),
                columns: vec!["id".into()],
                ref_schema: "public".into(),
                ref_table: (*r).into(),
                ref_columns: vec!["id".into()],
                ..ForeignKey::default()
            });
        }
        t
    }

    fn names(tables: &[Table]) -> Vec<&str> {
        tables.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn the_copy_holds_the_touched_tables_what_they_reference_and_what_reads_them() {
        let mut current = Schema {
            tables: vec![
                table("orders", &["users"]),
                table("users", &["teams"]),
                table("teams", &[]),
                table("payments", &["orders"]),
                table("unrelated", &[]),
            ],
            ..Schema::default()
        };
        current.views.push(View {
            schema: "public".into(),
            name: "big_orders".into(),
            reads: vec![ViewDependency {
                schema: "public".into(),
                relation: "orders".into(),
                column: Some("id".into()),
            }],
            ..View::default()
        });
        let plan = Plan {
            steps: vec![Step::new(
                "add column orders.note",
                vec!["ALTER TABLE orders ADD COLUMN note text".into()],
                vec!["ALTER TABLE orders DROP COLUMN note".into()],
            )],
            ..Plan::default()
        };
        let s = scope(&plan, &current);
        assert_eq!(
            s.touched,
            HashSet::from([("public".to_string(), "orders".to_string())])
        );
        assert_eq!(names(&s.copy.tables), vec!["orders", "payments", "users"]);
        // users is context: its foreign key to teams (not copied) is left out.
        let users = s.copy.tables.iter().find(|t| t.name == "users").unwrap();
        assert!(users.foreign_keys.is_empty());
        assert_eq!(s.copy.views.len(), 1);
    }
}
