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
//!   as a stub (`StubNeeds`): only the columns the copy uses of it (the keys its
//!   foreign keys reference, its own foreign keys to touched tables, what the copied
//!   views read, its columns of the schema's own types), the keys and unique indexes on
//!   those, and those foreign keys. Each index or TOAST table the copy creates costs the
//!   server a file sync: a stub of a wide table costs a fraction of the table.
//! - Everything that is not a table or view is few and is copied whole: enums,
//!   domains, composite types, functions, standalone sequences; triggers, rules,
//!   policies and partitions of the copied tables, and the sequences they own.
//!
//! The touched tables are compared after the plan's up files ran; the context tables
//! are only there for the plan's statements to find what they lean on.
use crate::lex::{self, Kind};
use crate::names::qualified;
use crate::plan::Plan;
use crate::schema::{nextval_sequence, ObjectRef, Schema, Sequence, Table};
use std::collections::{HashMap, HashSet};

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
    // Functions are copied whole, and a function's signature or body may name a
    // table's or view's row type or columns (`RETURNS SETOF customer`): those come
    // along, tables whole.
    let mut read_by_functions: HashSet<TableKey> = HashSet::new();
    let mut views: HashSet<TableKey> = HashSet::new();
    for d in &current.objects.dependencies {
        if !matches!(d.dependent, ObjectRef::Function { .. }) {
            continue;
        }
        match &d.referenced {
            ObjectRef::Table { schema, name }
            | ObjectRef::Column {
                schema,
                relation: name,
                ..
            } => {
                let k = (schema.clone(), name.clone());
                if all.iter().any(|t| key(t) == k) {
                    read_by_functions.insert(k);
                } else if current
                    .views
                    .iter()
                    .any(|v| v.schema == *schema && v.name == *name)
                {
                    views.insert(k);
                }
            }
            ObjectRef::View { schema, name } => {
                views.insert((schema.clone(), name.clone()));
            }
            _ => {}
        }
    }
    copied.extend(read_by_functions.iter().cloned());
    // A partition comes with its parent (the top one): a view reading a partition
    // reads the parent's columns.
    let roots = partition_roots(current);
    let root = |k: TableKey| roots.get(&k).cloned().unwrap_or(k);
    // Views reading what is copied, views on those, and what they read.
    loop {
        let before = views.len();
        for v in &current.views {
            let reads_copied = v.reads.iter().any(|r| {
                let k = root((r.schema.clone(), r.relation.clone()));
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
                let k = root((r.schema.clone(), r.relation.clone()));
                if all.iter().any(|t| key(t) == k) {
                    copied.insert(k);
                }
            }
        }
    }

    // A copied partitioned table comes with its partitions, and their own foreign keys
    // (not their parent's) with the tables they reference, copied whole.
    let mut referenced_by_partitions: HashSet<TableKey> = HashSet::new();
    for p in &current.objects.partitions {
        if copied.contains(&(p.parent_schema.clone(), p.parent.clone())) {
            referenced_by_partitions.extend(p.own_references.iter().cloned());
        }
    }
    referenced_by_partitions.retain(|k| !copied.contains(k));
    copied.extend(referenced_by_partitions.iter().cloned());
    // A policy, trigger or rule of a copied table may read other tables (a policy's
    // `EXISTS (SELECT FROM members WHERE members.is_owner ...)`): those come along,
    // with the columns it reads.
    let mut read_by_table_objects: HashMap<TableKey, Option<HashSet<String>>> = HashMap::new();
    for d in &current.objects.dependencies {
        let on = match &d.dependent {
            ObjectRef::Policy { schema, table, .. }
            | ObjectRef::Trigger { schema, table, .. }
            | ObjectRef::Rule { schema, table, .. } => (schema, table),
            _ => continue,
        };
        if !copied.contains(&(on.0.clone(), on.1.clone())) {
            continue;
        }
        let (k, column) = match &d.referenced {
            ObjectRef::Table { schema, name } => ((schema.clone(), name.clone()), None),
            ObjectRef::Column {
                schema,
                relation,
                column,
            } => ((schema.clone(), relation.clone()), Some(column.clone())),
            _ => continue,
        };
        if k == (on.0.clone(), on.1.clone()) || !all.iter().any(|t| key(t) == k) {
            continue;
        }
        let entry = read_by_table_objects
            .entry(k)
            .or_insert_with(|| Some(HashSet::new()));
        match (column, entry.as_mut()) {
            (Some(c), Some(read)) => {
                read.insert(c);
            }
            _ => *entry = None,
        }
    }
    copied.extend(read_by_table_objects.keys().cloned());
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
    let mut needs = StubNeeds::of(current, &all, &touched, &copied, &views);
    for k in read_by_functions
        .into_iter()
        .chain(referenced_by_partitions)
    {
        needs.view_reads.insert(k, None);
    }
    for (k, read) in read_by_table_objects {
        let entry = needs
            .view_reads
            .entry(k)
            .or_insert_with(|| Some(HashSet::new()));
        match (read, entry.as_mut()) {
            (Some(read), Some(needed)) => needed.extend(read),
            _ => *entry = None,
        }
    }
    for t in all.iter().filter(|t| copied.contains(&key(t))) {
        let mut t = (*t).clone();
        if !touched.contains(&key(&t)) {
            let columns = needs.columns(&t);
            stub(&mut t, &touched, columns.as_ref());
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
    // What belongs to a whole table: a touched one, or a context one copied whole (a
    // partitioned table, a partition); not a stub, which lacks most of its columns.
    let whole = |schema: &String, table: &String| {
        let k = (schema.clone(), table.clone());
        touched.contains(&k) || (copied.contains(&k) && needs.partitioned.contains(&k))
    };
    let is_view = |schema: &String, name: &String| views.contains(&(schema.clone(), name.clone()));
    let copied_columns: HashSet<(&str, &str, &str)> = copy
        .tables
        .iter()
        .flat_map(|t| {
            t.columns
                .iter()
                .map(|c| (t.schema.as_str(), t.name.as_str(), c.name.as_str()))
        })
        .collect();
    let column_copied = |schema: &String, table: &String, column: &String| {
        copied_columns.contains(&(schema.as_str(), table.as_str(), column.as_str()))
    };
    let o = &current.objects;
    let mut objects = o.clone();
    objects
        .table_properties
        .retain(|p| whole(&p.schema, &p.table));
    // The partitions of copied tables, and theirs in turn (a partition partitioned
    // again): a plan on the table may name them all.
    let mut parents: HashSet<(&str, &str)> = copied
        .iter()
        .map(|(s, n)| (s.as_str(), n.as_str()))
        .collect();
    loop {
        let before = parents.len();
        for p in &o.partitions {
            if parents.contains(&(p.parent_schema.as_str(), p.parent.as_str())) {
                parents.insert((p.schema.as_str(), p.name.as_str()));
            }
        }
        if parents.len() == before {
            break;
        }
    }
    objects
        .partitions
        .retain(|p| parents.contains(&(p.parent_schema.as_str(), p.parent.as_str())));
    objects
        .triggers
        .retain(|t| whole(&t.schema, &t.table) || is_view(&t.schema, &t.table));
    objects
        .rules
        .retain(|r| whole(&r.schema, &r.table) || is_view(&r.schema, &r.table));
    objects.policies.retain(|p| whole(&p.schema, &p.table));
    objects.sequences.retain(|s| {
        s.owner
            .as_ref()
            .is_none_or(|owner| column_copied(&owner.schema, &owner.table, &owner.column))
    });
    let present = |o: &ObjectRef| match o {
        ObjectRef::Table { schema, name } => on_copied(schema, name),
        ObjectRef::Column {
            schema,
            relation,
            column,
        } => {
            column_copied(schema, relation, column)
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

/// What the copy uses of its context tables, so that their stubs keep it.
struct StubNeeds {
    /// Partitioned tables and partitions: copied whole (their columns must match).
    partitioned: HashSet<TableKey>,
    /// The columns the copy's foreign keys use, by table: the keys they reference and
    /// the columns they are on (a context table keeps only its foreign keys to touched
    /// tables).
    keys: HashMap<TableKey, HashSet<String>>,
    /// The columns copied views read, by table; `None`: the whole row.
    view_reads: HashMap<TableKey, Option<HashSet<String>>>,
    /// The schema's own types: a stub keeps its columns of them, since the diff keeps
    /// a type a table uses, so the copy must show who uses it.
    user_types: HashSet<String>,
}

impl StubNeeds {
    fn of(
        current: &Schema,
        all: &[&Table],
        touched: &HashSet<TableKey>,
        copied: &HashSet<TableKey>,
        views: &HashSet<TableKey>,
    ) -> StubNeeds {
        let key = |t: &Table| (t.schema.clone(), t.name.clone());
        let partitioned = current
            .objects
            .partitions
            .iter()
            .flat_map(|p| {
                [
                    (p.schema.clone(), p.name.clone()),
                    (p.parent_schema.clone(), p.parent.clone()),
                ]
            })
            .collect();
        let mut keys: HashMap<TableKey, HashSet<String>> = HashMap::new();
        for t in all.iter().filter(|t| copied.contains(&key(t))) {
            for fk in &t.foreign_keys {
                let target = (fk.ref_schema.clone(), fk.ref_table.clone());
                if touched.contains(&key(t)) || touched.contains(&target) {
                    keys.entry(target)
                        .or_default()
                        .extend(fk.ref_columns.iter().cloned());
                    keys.entry(key(t))
                        .or_default()
                        .extend(fk.columns.iter().cloned());
                }
            }
        }
        let mut view_reads: HashMap<TableKey, Option<HashSet<String>>> = HashMap::new();
        for v in &current.views {
            if !views.contains(&(v.schema.clone(), v.name.clone())) {
                continue;
            }
            for r in &v.reads {
                let entry = view_reads
                    .entry((r.schema.clone(), r.relation.clone()))
                    .or_insert_with(|| Some(HashSet::new()));
                match (&r.column, entry.as_mut()) {
                    (Some(c), Some(read)) => {
                        read.insert(c.clone());
                    }
                    _ => *entry = None,
                }
            }
        }
        let o = &current.objects;
        let user_types = current
            .enums
            .iter()
            .chain(current.excluded_enums.iter().map(|x| &x.enum_type))
            .map(|e| qualified(&e.schema, &e.name))
            .chain(o.domains.iter().map(|d| qualified(&d.schema, &d.name)))
            .chain(o.composites.iter().map(|c| qualified(&c.schema, &c.name)))
            .collect();
        StubNeeds {
            partitioned,
            keys,
            view_reads,
            user_types,
        }
    }

    /// The columns context table `t` needs in the copy: those of the copy's foreign keys
    /// (the keys they reference, and its own to touched tables), what copied views read
    /// of it, and those of the schema's own types. `None`: all of them (a
    /// partitioned table or partition, or a view reads the whole row).
    fn columns(&self, t: &Table) -> Option<HashSet<String>> {
        let this = (t.schema.clone(), t.name.clone());
        if t.partition_by.is_some() || self.partitioned.contains(&this) {
            return None;
        }
        let mut needed = match self.view_reads.get(&this) {
            Some(None) => return None,
            Some(Some(read)) => read.clone(),
            None => HashSet::new(),
        };
        needed.extend(self.keys.get(&this).into_iter().flatten().cloned());
        for c in &t.columns {
            if self
                .user_types
                .contains(c.ty.strip_suffix("[]").unwrap_or(&c.ty))
            {
                needed.insert(c.name.clone());
            }
        }
        Some(needed)
    }
}

/// A context table as the copy needs it, a stub: the columns the copy's foreign keys
/// and views use of it (all of them when `columns` is `None`), the keys a foreign key
/// leans on, and its foreign keys to touched tables; not its other indexes, checks,
/// comments and defaults, which nothing of the plan reads. A copy of a thousand tables
/// is mostly these, and each index or TOAST table costs the server a file sync.
fn stub(t: &mut Table, touched: &HashSet<TableKey>, columns: Option<&HashSet<String>>) {
    let kept = |names: &[String]| columns.is_none_or(|c| names.iter().all(|n| c.contains(n)));
    t.foreign_keys
        .retain(|fk| touched.contains(&(fk.ref_schema.clone(), fk.ref_table.clone())));
    if let Some(columns) = columns {
        t.columns.retain(|c| columns.contains(&c.name));
    }
    if t.primary_key.as_ref().is_some_and(|pk| !kept(&pk.columns)) {
        t.primary_key = None;
    }
    t.uniques.retain(|u| kept(&u.columns));
    t.indexes
        .retain(|i| i.unique && i.predicate.is_none() && kept(&i.keys));
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
            identifiers_in(sql, 0, &mut out);
        }
    }
    out
}

/// The identifiers of `sql`, and of the SQL its strings may hold: a statement on a
/// table strata leaves alone runs as `DO $strata$ ... EXECUTE '...' $strata$` (see
/// `diff::left_alone`), naming its table inside two quotes. A string that is no SQL
/// only adds names no table has, or a few tables to the copy.
fn identifiers_in(sql: &str, depth: usize, out: &mut HashSet<String>) {
    for token in lex::tokens(sql) {
        match token.kind {
            Kind::Ident | Kind::QuotedIdent { .. } => {
                if let Some(name) = lex::ident::ident_name(&token, sql) {
                    out.insert(name.into_owned());
                }
            }
            Kind::String {
                terminated: true, ..
            } if depth < 2 => {
                let text = token.text(sql);
                if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
                    identifiers_in(&inner.replace("''", "'"), depth + 1, out);
                }
            }
            Kind::DollarString { terminated: true } if depth < 2 => {
                let text = token.text(sql);
                // `$tag$` ... `$tag$`: the tag ends at the second `$`.
                if let Some(open) = text[1..].find('$').map(|i| i + 2) {
                    if text.len() >= 2 * open {
                        identifiers_in(&text[open..text.len() - open], depth + 1, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Each partition's top parent (a partition of a partition included).
fn partition_roots(current: &Schema) -> HashMap<TableKey, TableKey> {
    let parent: HashMap<TableKey, TableKey> = current
        .objects
        .partitions
        .iter()
        .map(|p| {
            (
                (p.schema.clone(), p.name.clone()),
                (p.parent_schema.clone(), p.parent.clone()),
            )
        })
        .collect();
    parent
        .keys()
        .map(|k| {
            let mut top = k.clone();
            // Bounded by the number of partitions: a cycle cannot be in a catalog.
            for _ in 0..=parent.len() {
                match parent.get(&top) {
                    Some(up) => top = up.clone(),
                    None => break,
                }
            }
            (k.clone(), top)
        })
        .collect()
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

    fn add_note_to_orders() -> Plan {
        Plan {
            steps: vec![Step::new(
                "add column orders.note",
                vec!["ALTER TABLE orders ADD COLUMN note text".into()],
                vec!["ALTER TABLE orders DROP COLUMN note".into()],
            )],
            ..Plan::default()
        }
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
        let s = scope(&add_note_to_orders(), &current);
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

    /// pagila's payment partitions have foreign keys of their own (to staff): a copy
    /// of the partitioned table brings its partitions, so those tables too.
    #[test]
    fn the_copy_holds_what_the_partitions_own_foreign_keys_reference() {
        let mut orders = table("orders", &[]);
        orders.partition_by = Some("RANGE (id)".into());
        let mut current = Schema {
            tables: vec![orders, table("staff", &[]), table("unrelated", &[])],
            ..Schema::default()
        };
        current.objects.partitions.push(crate::schema::Partition {
            schema: "public".into(),
            name: "orders_1".into(),
            parent_schema: "public".into(),
            parent: "orders".into(),
            bound: "FOR VALUES FROM (1) TO (10)".into(),
            partition_by: None,
            comment: None,
            own_objects: vec!["constraint orders_1_staff_fkey".into()],
            own_definitions: vec![
                "ALTER TABLE orders_1 ADD CONSTRAINT orders_1_staff_fkey FOREIGN KEY (id) REFERENCES staff(id)".into(),
            ],
            own_references: vec![("public".into(), "staff".into())],
        });
        let s = scope(&add_note_to_orders(), &current);
        assert_eq!(names(&s.copy.tables), vec!["orders", "staff"]);
        assert_eq!(s.copy.objects.partitions.len(), 1);
    }

    /// A context table keeps what the copy uses of it: the key a touched table's
    /// foreign key references (with its primary key), the columns a copied view reads,
    /// a column of the schema's own enum; not its other columns, indexes and checks.
    #[test]
    fn a_stub_keeps_the_columns_the_copy_uses_and_nothing_else() {
        let mut users = Table::new(
            "public",
            "users",
            vec![
                Column::new("id", "integer"),
                Column::new("email", "text"),
                Column::new("bio", "text"),
                Column::new("mood", "mood"),
                Column::new("nickname", "text"),
            ],
        );
        users.primary_key = Some(crate::schema::PrimaryKey {
            name: "users_pkey".into(),
            columns: vec!["id".into()],
            ..Default::default()
        });
        users.indexes.push(crate::schema::Index {
            name: "users_bio_idx".into(),
            keys: vec!["bio".into()],
            ..Default::default()
        });
        let mut orders = table("orders", &["users"]);
        orders.foreign_keys[0].columns = vec!["user_id".into()];
        orders.columns.push(Column::new("user_id", "integer"));
        let current = Schema {
            tables: vec![orders, users],
            enums: vec![crate::schema::EnumType {
                schema: "public".into(),
                name: "mood".into(),
                labels: vec!["ok".into()],
                label_renames: Vec::new(),
            }],
            views: vec![View {
                schema: "public".into(),
                name: "user_emails".into(),
                reads: vec![ViewDependency {
                    schema: "public".into(),
                    relation: "users".into(),
                    column: Some("email".into()),
                }],
                ..View::default()
            }],
            ..Schema::default()
        };
        let s = scope(&add_note_to_orders(), &current);
        let users = s.copy.tables.iter().find(|t| t.name == "users").unwrap();
        let columns: Vec<&str> = users.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(columns, vec!["id", "email", "mood"]);
        assert!(users.primary_key.is_some());
        assert!(users.indexes.is_empty());
        assert_eq!(s.copy.views.len(), 1);
    }
}
