//! Two catalogs read from databases, compared object by object: what `strata verify`
//! reports when a down file does not restore the schema its up file started from.
//!
//! Every object strata reads gets a name a person recognizes (`index
//! orders_created_idx on orders`, `column users.email`, `function touch()`) and its
//! definition as the model holds it; two catalogs differ where a name is on one side
//! only, or where its definitions differ. The dependency graph is left out: it follows
//! from the objects.
use crate::names::qualified;
use crate::schema::{Grant, ObjectRef, Schema, Table, View};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// How one object differs between the catalog before and the one after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// There after, not before.
    Appeared,
    /// There before, not after.
    Vanished,
    /// On both sides, defined otherwise.
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `index orders_created_idx on orders`.
    pub object: String,
    pub change: Change,
    /// For a changed object, what changed: `type: integer → bigint`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// Which check found a difference, for its wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The catalog after the down file, against the one before the up file.
    Down,
    /// The catalog after the up file's second run, against the one after its first.
    UpAgain,
    /// The live database, against the schema the migrations folder builds.
    Drift,
}

impl Difference {
    /// `index orders_created_idx on orders is not dropped by the down file`; what
    /// changed in parentheses, what an object there on one side only holds (when its
    /// name does not say it all: `grants on table users`) after a colon.
    pub fn describe(&self, check: Check) -> String {
        let what = self.what(check);
        if self.details.is_empty() {
            what
        } else if self.change == Change::Changed {
            format!("{what} ({})", self.details.join("; "))
        } else {
            format!("{what}: {}", self.details.join("; "))
        }
    }

    fn what(&self, check: Check) -> String {
        let o = &self.object;
        // `grants on table users`: plural.
        let plural = o.starts_with("grants ");
        let (is, was, it) = if plural {
            ("are", "were", "them")
        } else {
            ("is", "was", "it")
        };
        match (check, &self.change) {
            (Check::Down, Change::Appeared) => format!("{o} {is} not dropped by the down file"),
            (Check::Down, Change::Vanished) => {
                format!("{o} {is} not restored by the down file")
            }
            (Check::Down, Change::Changed) => {
                let they = if plural { "they were" } else { "it was" };
                format!("{o} {is} not restored as {they} by the down file")
            }
            (Check::UpAgain, Change::Appeared) => format!("{o} {is} there only the second time"),
            (Check::UpAgain, Change::Vanished) => format!("{o} {is} there only the first time"),
            (Check::UpAgain, Change::Changed) => {
                let differs = if plural { "differ" } else { "differs" };
                format!("{o} {differs} the second time")
            }
            (Check::Drift, Change::Appeared) => {
                format!("{o} {was} added (no migration creates {it})")
            }
            (Check::Drift, Change::Vanished) => {
                format!("{o} {was} dropped (the migrations create {it})")
            }
            (Check::Drift, Change::Changed) => format!("{o} {was} altered"),
        }
    }
}

/// Objects of `before` and `after` that are not the same, in name order.
pub fn differences(before: &Schema, after: &Schema) -> Vec<Difference> {
    let (a, b) = (objects(before), objects(after));
    let mut out = Vec::new();
    for (name, entry) in &a {
        match b.get(name) {
            None => one_sided(name, entry, Change::Vanished, (&a, &b), &mut out),
            Some(other) if other.value != entry.value => out.push(Difference {
                object: name.clone(),
                change: Change::Changed,
                details: details(&entry.value, &other.value, entry.field),
            }),
            Some(_) => {}
        }
    }
    for (name, entry) in b.iter().filter(|(n, _)| !a.contains_key(*n)) {
        one_sided(name, entry, Change::Appeared, (&a, &b), &mut out);
    }
    out.sort_by(|x, y| x.object.cmp(&y.object));
    out
}

/// The role an object's owner is when none is listed.
const CONNECTING_ROLE: &str = "the role strata connects as";

/// An object on one side only. An owner is listed only where it is not the role
/// strata connects as: one on one side only is a change of owner, unless the object
/// itself is on one side only (its own difference says it all).
fn one_sided(
    name: &str,
    entry: &Entry,
    change: Change,
    (before, after): (&BTreeMap<String, Entry>, &BTreeMap<String, Entry>),
    out: &mut Vec<Difference>,
) {
    if let Some(owned) = &entry.owns {
        if before.contains_key(owned) == after.contains_key(owned) {
            let (x, y) = match change {
                Change::Vanished => (words(&entry.value), CONNECTING_ROLE.to_string()),
                _ => (CONNECTING_ROLE.to_string(), words(&entry.value)),
            };
            out.push(Difference {
                object: name.to_string(),
                change: Change::Changed,
                details: vec![format!("{x} → {y}")],
            });
        }
        return;
    }
    out.push(Difference {
        object: name.to_string(),
        change,
        // `grants on table users`: which.
        details: if entry.field.is_none() {
            vec![words(&entry.value)]
        } else {
            Vec::new()
        },
    });
}

/// What differs between two definitions of one object, field by field, as
/// `field: before → after` (nested fields as `default.expr`; `field` names a value
/// that is not an object of fields, none for one the object's name says); values are
/// cut short.
fn details(before: &Value, after: &Value, field: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    field_details("", before, after, field, &mut out);
    out
}

fn field_details(
    path: &str,
    before: &Value,
    after: &Value,
    root: Option<&str>,
    out: &mut Vec<String>,
) {
    if before == after {
        return;
    }
    if let (Value::Object(a), Value::Object(b)) = (before, after) {
        let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let inner = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            let (x, y) = (
                a.get(key).unwrap_or(&Value::Null),
                b.get(key).unwrap_or(&Value::Null),
            );
            field_details(&inner, x, y, root, out);
        }
        return;
    }
    let field = if path.is_empty() { root } else { Some(path) };
    // A trigger's or rule's `tgenabled` code, in words.
    let enabled = |v: &Value| match (field, v.as_str()) {
        (Some("enabled"), Some("O")) => Value::String("enabled".into()),
        (Some("enabled"), Some("D")) => Value::String("disabled".into()),
        (Some("enabled"), Some("R")) => Value::String("enabled on replicas only".into()),
        (Some("enabled"), Some("A")) => Value::String("enabled always".into()),
        _ => v.clone(),
    };
    let (before, after) = (words(&enabled(before)), words(&enabled(after)));
    let (x, y) = (collapsed(&before), collapsed(&after));
    let line = if x == y {
        // Only in whitespace (a newline where there was a space): shown as it is,
        // escaped, from where it first differs.
        let (x, y) = shown(&escaped(&before), &escaped(&after));
        format!("differs in whitespace only: {x} → {y}")
    } else {
        let (x, y) = shown(&x, &y);
        format!("{x} → {y}")
    };
    out.push(match field {
        Some(field) if x == y => format!("{field} {line}"),
        Some(field) => format!("{field}: {line}"),
        None => line,
    });
}

/// A value as a person reads it: strings without quotes, none as `none`, a list of
/// privileges as `SELECT to app, UPDATE to app`, a list of texts comma separated.
fn words(v: &Value) -> String {
    match v {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "none".to_string(),
        Value::Array(items) => {
            let each: Option<Vec<String>> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(_) => serde_json::from_value::<Grant>(i.clone())
                        .ok()
                        .map(|g| grant_words(&g)),
                    _ => None,
                })
                .collect();
            each.map_or_else(|| v.to_string(), |e| e.join(", "))
        }
        other => other.to_string(),
    }
}

/// `SELECT to app`, `UPDATE to app WITH GRANT OPTION`.
fn grant_words(g: &Grant) -> String {
    format!(
        "{} to {}{}",
        g.privilege,
        g.grantee,
        if g.with_grant_option {
            " WITH GRANT OPTION"
        } else {
            ""
        }
    )
}

/// Whitespace runs as one space.
fn collapsed(text: &str) -> Vec<char> {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect()
}

/// Newlines, tabs and carriage returns as `\n`, `\t`, `\r`: seen.
fn escaped(text: &str) -> Vec<char> {
    text.chars()
        .flat_map(|c| match c {
            '\n' => vec!['\\', 'n'],
            '\t' => vec!['\\', 't'],
            '\r' => vec!['\\', 'r'],
            c => vec![c],
        })
        .collect()
}

/// Two values cut to where they differ: a long text shows from a little before its
/// first difference with the other, at most 60 characters, `…` where it is cut.
fn shown(before: &[char], after: &[char]) -> (String, String) {
    const MAX: usize = 60;
    const LEAD: usize = 20;
    let same = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let start = if before.len().max(after.len()) > MAX {
        same.saturating_sub(LEAD)
    } else {
        0
    };
    let cut = |t: &[char]| {
        let start = start.min(t.len());
        let end = (start + MAX).min(t.len());
        format!(
            "{}{}{}",
            if start > 0 { "…" } else { "" },
            t[start..end].iter().collect::<String>(),
            if end < t.len() { "…" } else { "" }
        )
    };
    (cut(before), cut(after))
}

/// One object as compared: its definition, and how a difference shows it.
struct Entry {
    value: Value,
    /// What a value that is not an object of fields is called in a change
    /// (`definition`). None: the object's name says what it is (`grants on table
    /// users`), and one there on one side only is shown with its value.
    field: Option<&'static str>,
    /// For an owner, the object it owns (`sequence orders_id_seq`).
    owns: Option<String>,
}

/// The objects of one catalog, by name, as they are found.
#[derive(Default)]
struct Found(BTreeMap<String, Entry>);

impl Found {
    /// An object and its definition.
    fn add(&mut self, name: String, value: Value) {
        self.0.insert(
            name,
            Entry {
                value,
                field: Some("definition"),
                owns: None,
            },
        );
    }

    /// Something an object has, named by what it is (`grants on table users`).
    fn aspect(&mut self, name: String, value: Value) {
        self.0.insert(
            name,
            Entry {
                value,
                field: None,
                owns: None,
            },
        );
    }
}

/// Every object by its name.
fn objects(schema: &Schema) -> BTreeMap<String, Entry> {
    let mut found = Found::default();
    let add = &mut found;
    for s in &schema.schemas {
        add.add(format!("schema {s}"), Value::Null);
    }
    for e in &schema.extensions {
        add.add(format!("extension {e}"), Value::Null);
    }
    for e in schema
        .enums
        .iter()
        .chain(schema.excluded_enums.iter().map(|x| &x.enum_type))
    {
        add.add(
            format!("enum {}", qualified(&e.schema, &e.name)),
            to_json(&e.labels),
        );
    }
    let tables = schema
        .tables
        .iter()
        .chain(schema.excluded_tables.iter().map(|x| &x.table));
    for t in tables {
        table_objects(t, add);
    }
    for v in &schema.views {
        add.add(view_name(v), to_json(v));
    }
    let o = &schema.objects;
    for d in &o.domains {
        add.add(
            format!("domain {}", qualified(&d.schema, &d.name)),
            to_json(d),
        );
    }
    for c in &o.composites {
        add.add(
            format!("type {}", qualified(&c.schema, &c.name)),
            to_json(c),
        );
    }
    for s in &o.sequences {
        add.add(
            format!("sequence {}", qualified(&s.schema, &s.name)),
            to_json(s),
        );
    }
    for f in &o.functions {
        let mut value = to_json(f);
        // None: what PostgreSQL gives a new function.
        if let Value::Object(fields) = &mut value {
            fields
                .entry("grants")
                .or_insert_with(|| Value::String("the default (EXECUTE to PUBLIC)".into()));
        }
        add.add(
            format!("function {}({})", qualified(&f.schema, &f.name), f.args),
            value,
        );
    }
    // A table's properties, each on its own: what differs is named. (A partitioned
    // table's key is the table's.)
    for p in &o.table_properties {
        let table = qualified(&p.schema, &p.table);
        let security = match (p.row_security, p.force_row_security) {
            (true, true) => Some("enabled and forced"),
            (true, false) => Some("enabled"),
            (false, true) => Some("forced (not enabled)"),
            (false, false) => None,
        };
        if let Some(security) = security {
            add.aspect(
                format!("row level security of table {table}"),
                Value::String(security.into()),
            );
        }
        let mut grants: Vec<String> = p.grants.iter().map(grant_words).collect();
        grants.extend(
            p.column_grants
                .iter()
                .map(|(column, g)| grant_words(g).replacen(" to ", &format!(" ({column}) to "), 1)),
        );
        if !grants.is_empty() {
            grants.sort();
            add.aspect(format!("grants on table {table}"), to_json(&grants));
        }
    }
    for p in &o.partitions {
        add.add(
            format!("partition {}", qualified(&p.schema, &p.name)),
            to_json(p),
        );
    }
    for t in &o.triggers {
        add.add(
            format!("trigger {} on {}", t.name, qualified(&t.schema, &t.table)),
            to_json(t),
        );
    }
    for r in &o.rules {
        add.add(
            format!("rule {} on {}", r.name, qualified(&r.schema, &r.table)),
            to_json(r),
        );
    }
    for p in &o.policies {
        add.add(
            format!("policy {} on {}", p.name, qualified(&p.schema, &p.table)),
            to_json(p),
        );
    }
    for s in &o.schema_properties {
        if let Some(comment) = &s.comment {
            add.aspect(
                format!("comment on schema {}", s.schema),
                Value::String(comment.clone()),
            );
        }
        if !s.grants.is_empty() {
            let grants: Vec<String> = s.grants.iter().map(grant_words).collect();
            add.aspect(format!("grants on schema {}", s.schema), to_json(&grants));
        }
    }
    for w in &o.owners {
        let owned = owned_name(schema, &w.object);
        found.0.insert(
            format!("owner of {owned}"),
            Entry {
                value: Value::String(w.owner.clone()),
                field: None,
                owns: Some(owned),
            },
        );
    }
    found.0
}

/// `view v` or `materialized view v`.
fn view_name(v: &View) -> String {
    let kind = if v.materialized {
        "materialized view"
    } else {
        "view"
    };
    format!("{kind} {}", qualified(&v.schema, &v.name))
}

/// An object an owner is listed for, named as its own entry is: `sequence
/// orders_id_seq`, `function f(bigint)`, `enum mood`.
fn owned_name(schema: &Schema, object: &ObjectRef) -> String {
    let o = &schema.objects;
    match object {
        ObjectRef::Table { schema: s, name } => {
            let partition = o
                .partitions
                .iter()
                .any(|p| &p.schema == s && &p.name == name);
            let kind = if partition { "partition" } else { "table" };
            format!("{kind} {}", qualified(s, name))
        }
        ObjectRef::View { schema: s, name } => {
            let materialized = schema
                .views
                .iter()
                .any(|v| &v.schema == s && &v.name == name && v.materialized);
            let kind = if materialized {
                "materialized view"
            } else {
                "view"
            };
            format!("{kind} {}", qualified(s, name))
        }
        ObjectRef::Sequence { schema, name } => format!("sequence {}", qualified(schema, name)),
        ObjectRef::Type { schema: s, name } => {
            let is = |x: &String, y: &String| x == s && y == name;
            let kind = if schema.enums.iter().any(|e| is(&e.schema, &e.name))
                || schema
                    .excluded_enums
                    .iter()
                    .any(|e| is(&e.enum_type.schema, &e.enum_type.name))
            {
                "enum"
            } else if o.domains.iter().any(|d| is(&d.schema, &d.name)) {
                "domain"
            } else {
                "type"
            };
            format!("{kind} {}", qualified(s, name))
        }
        ObjectRef::Function { schema, name, args } => {
            format!("function {}({args})", qualified(schema, name))
        }
        ObjectRef::Column {
            schema,
            relation,
            column,
        } => format!("column {}.{column}", qualified(schema, relation)),
        ObjectRef::Constraint {
            schema,
            table,
            name,
        } => format!("constraint {name} on {}", qualified(schema, table)),
        ObjectRef::Index { schema, name } => format!("index {}", qualified(schema, name)),
        ObjectRef::Trigger {
            schema,
            table,
            name,
        } => format!("trigger {name} on {}", qualified(schema, table)),
        ObjectRef::Rule {
            schema,
            table,
            name,
        } => format!("rule {name} on {}", qualified(schema, table)),
        ObjectRef::Policy {
            schema,
            table,
            name,
        } => format!("policy {name} on {}", qualified(schema, table)),
    }
}

/// A table as its parts: the table itself (its comment, partitioning), each column,
/// key, check, exclusion constraint and index.
fn table_objects(t: &Table, found: &mut Found) {
    let name = qualified(&t.schema, &t.name);
    let on = |kind: &str, n: &str| format!("{kind} {n} on {name}");
    found.add(
        format!("table {name}"),
        serde_json::json!({ "comment": t.comment, "partition_by": t.partition_by }),
    );
    for c in &t.columns {
        found.add(format!("column {name}.{}", c.name), to_json(c));
    }
    if let Some(pk) = &t.primary_key {
        found.add(on("primary key", &pk.name), to_json(pk));
    }
    for u in &t.uniques {
        found.add(on("unique constraint", &u.name), to_json(u));
    }
    for f in &t.foreign_keys {
        found.add(on("foreign key", &f.name), to_json(f));
    }
    for c in &t.checks {
        found.add(on("check", &c.name), to_json(c));
    }
    for x in &t.exclusions {
        found.add(on("exclusion constraint", &x.name), to_json(x));
    }
    for i in &t.indexes {
        found.add(on("index", &i.name), to_json(i));
    }
}

fn to_json(v: &impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, Function, Index, Objects, Ownership, Sequence, TableProperties};

    fn users() -> Table {
        Table::new(
            "public",
            "users",
            vec![Column::new("id", "integer"), Column::new("email", "text")],
        )
    }

    #[test]
    fn the_same_catalog_has_no_differences() {
        let s = Schema {
            tables: vec![users()],
            ..Schema::default()
        };
        assert!(differences(&s, &s.clone()).is_empty());
    }

    #[test]
    fn an_index_left_behind_a_column_changed_and_a_table_gone_are_named() {
        let before = Schema {
            tables: vec![users(), Table::new("public", "old", vec![])],
            ..Schema::default()
        };
        let mut after_users = users();
        after_users.columns[1].nullable = !after_users.columns[1].nullable;
        after_users.indexes.push(Index {
            name: "users_email_idx".into(),
            ..Index::default()
        });
        let after = Schema {
            tables: vec![after_users],
            ..Schema::default()
        };
        let found: Vec<(String, Change)> = differences(&before, &after)
            .into_iter()
            .map(|d| (d.object, d.change))
            .collect();
        assert_eq!(
            found,
            vec![
                ("column users.email".to_string(), Change::Changed),
                (
                    "index users_email_idx on users".to_string(),
                    Change::Appeared
                ),
                ("table old".to_string(), Change::Vanished),
            ]
        );
    }

    #[test]
    fn a_changed_object_says_what_changed_field_by_field() {
        let before = Schema {
            tables: vec![users()],
            ..Schema::default()
        };
        let mut after_users = users();
        after_users.columns[1].ty = "character varying(320)".into();
        after_users.columns[1].default = Some(format!("'{}'::text", "x".repeat(80)));
        let after = Schema {
            tables: vec![after_users],
            ..Schema::default()
        };
        let found = differences(&before, &after);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].describe(Check::Drift),
            format!(
                "column users.email was altered (default: none → '{}…; type: text → \
                 character varying(320))",
                "x".repeat(59)
            )
        );
        assert_eq!(
            found[0].describe(Check::Down),
            format!(
                "column users.email is not restored as it was by the down file (default: none → '{}…; \
                 type: text → character varying(320))",
                "x".repeat(59)
            )
        );
    }

    #[test]
    fn a_trigger_disabled_is_said_in_words() {
        let found = details(
            &serde_json::json!({ "enabled": "O", "name": "t" }),
            &serde_json::json!({ "enabled": "D", "name": "t" }),
            Some("definition"),
        );
        assert_eq!(found, ["enabled: enabled → disabled"]);
    }

    #[test]
    fn long_texts_are_shown_from_just_before_where_they_differ() {
        let body = |now: &str| {
            format!(
                "CREATE OR REPLACE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql \
                 AS $function$ BEGIN NEW.created_at := {now}; RETURN NEW; END $function$"
            )
        };
        let (a, b) = shown(
            &collapsed(&body("now()")),
            &collapsed(&body("clock_timestamp()")),
        );
        assert_eq!(a, "…N NEW.created_at := now(); RETURN NEW; END $function$");
        assert_eq!(
            b,
            "…N NEW.created_at := clock_timestamp(); RETURN NEW; END $func…"
        );
        // Short ones whole.
        let (a, b) = shown(&collapsed(&words(&Value::from(5))), &collapsed("10"));
        assert_eq!((a.as_str(), b.as_str()), ("5", "10"));
    }

    fn with_objects(objects: Objects) -> Schema {
        Schema {
            tables: vec![users()],
            objects,
            ..Schema::default()
        }
    }

    fn said(before: &Schema, after: &Schema, check: Check) -> Vec<String> {
        differences(before, after)
            .iter()
            .map(|d| d.describe(check))
            .collect()
    }

    fn grant(grantee: &str, privilege: &str) -> Grant {
        Grant {
            grantee: grantee.into(),
            privilege: privilege.into(),
            with_grant_option: false,
        }
    }

    #[test]
    fn an_owner_is_named_as_sql_names_its_object() {
        let before = with_objects(Objects {
            sequences: vec![Sequence {
                schema: "public".into(),
                name: "orders_id_seq".into(),
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
            }],
            ..Objects::default()
        });
        let mut after = before.clone();
        after.objects.owners.push(Ownership {
            object: ObjectRef::Sequence {
                schema: "public".into(),
                name: "orders_id_seq".into(),
            },
            owner: "alice".into(),
        });
        assert_eq!(
            said(&before, &after, Check::Down),
            [
                "owner of sequence orders_id_seq is not restored as it was by the down file \
              (the role strata connects as → alice)"
            ]
        );
        assert_eq!(
            said(&after, &before, Check::Drift),
            ["owner of sequence orders_id_seq was altered (alice → the role strata connects as)"]
        );
        // An object gone with its owner: said once.
        let mut gone = after.clone();
        gone.objects.sequences.clear();
        gone.objects.owners.clear();
        assert_eq!(
            said(&after, &gone, Check::Down),
            ["sequence orders_id_seq is not restored by the down file"]
        );
    }

    #[test]
    fn a_tables_properties_are_each_named() {
        let props = |grants: Vec<Grant>, row_security: bool| TableProperties {
            schema: "public".into(),
            table: "users".into(),
            row_security,
            grants,
            column_grants: vec![("email".into(), grant("app", "UPDATE"))],
            ..TableProperties::default()
        };
        let before = with_objects(Objects::default());
        let after = with_objects(Objects {
            table_properties: vec![props(vec![grant("PUBLIC", "SELECT")], true)],
            ..Objects::default()
        });
        assert_eq!(
            said(&before, &after, Check::Down),
            [
                "grants on table users are not dropped by the down file: \
                 SELECT to PUBLIC, UPDATE (email) to app",
                "row level security of table users is not dropped by the down file: enabled",
            ]
        );
        let altered = with_objects(Objects {
            table_properties: vec![props(
                vec![grant("PUBLIC", "INSERT"), grant("PUBLIC", "SELECT")],
                true,
            )],
            ..Objects::default()
        });
        assert_eq!(
            said(&after, &altered, Check::Drift),
            [
                "grants on table users were altered (SELECT to PUBLIC, UPDATE (email) to app → \
              INSERT to PUBLIC, SELECT to PUBLIC, UPDATE (email) to app)"
            ]
        );
        assert_eq!(
            said(&altered, &before, Check::Drift),
            [
                "grants on table users were dropped (the migrations create them): \
                 INSERT to PUBLIC, SELECT to PUBLIC, UPDATE (email) to app",
                "row level security of table users was dropped (the migrations create it): \
                 enabled",
            ]
        );
        // Properties with nothing in them (a table's ACL with only its owner's
        // privileges) are nothing.
        let empty = with_objects(Objects {
            table_properties: vec![TableProperties {
                schema: "public".into(),
                table: "users".into(),
                ..TableProperties::default()
            }],
            ..Objects::default()
        });
        assert!(differences(&before, &empty).is_empty());
    }

    #[test]
    fn a_functions_grants_are_said_in_words() {
        let function = |grants: Option<Vec<Grant>>| Function {
            schema: "public".into(),
            name: "f".into(),
            args: "bigint".into(),
            kind: crate::schema::FunctionKind::Function,
            language: "sql".into(),
            definition: "CREATE OR REPLACE FUNCTION public.f(bigint) ...".into(),
            comment: None,
            grants,
        };
        let before = with_objects(Objects {
            functions: vec![function(None)],
            ..Objects::default()
        });
        let after = with_objects(Objects {
            functions: vec![function(Some(vec![grant("app", "EXECUTE")]))],
            ..Objects::default()
        });
        assert_eq!(
            said(&before, &after, Check::Down),
            [
                "function f(bigint) is not restored as it was by the down file \
              (grants: the default (EXECUTE to PUBLIC) → EXECUTE to app)"
            ]
        );
    }

    #[test]
    fn a_difference_in_whitespace_only_is_shown_escaped() {
        let body = |sep: &str| {
            Value::String(format!(
                "CREATE OR REPLACE FUNCTION public.orders_of(uid bigint) RETURNS SETOF orders \
                 LANGUAGE sql AS $function$ SELECT * FROM orders WHERE user_id = uid{sep}$function$"
            ))
        };
        let found = details(
            &serde_json::json!({ "definition": body("\n") }),
            &serde_json::json!({ "definition": body(" ") }),
            Some("definition"),
        );
        assert_eq!(
            found,
            ["definition differs in whitespace only: \
              … WHERE user_id = uid\\n$function$ → … WHERE user_id = uid $function$"]
        );
        // A long text that differs otherwise: from just before where it does.
        let found = details(&body(" AND true "), &body(" "), Some("definition"));
        assert_eq!(
            found,
            ["definition: …WHERE user_id = uid AND true $function$ → …WHERE user_id = uid $function$"]
        );
    }
}
