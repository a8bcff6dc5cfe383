//! Two catalogs read from databases, compared object by object: what `strata verify`
//! reports when a down file does not restore the schema its up file started from.
//!
//! Every object strata reads gets a name a person recognizes (`index
//! orders_created_idx on orders`, `column users.email`, `function touch()`) and its
//! definition as the model holds it; two catalogs differ where a name is on one side
//! only, or where its definitions differ. The dependency graph is left out: it follows
//! from the objects.
use crate::names::qualified;
use crate::schema::{Schema, Table};
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
    /// `index orders_created_idx on orders is not dropped by the down file`.
    pub fn describe(&self, check: Check) -> String {
        let what = self.what(check);
        if self.details.is_empty() {
            what
        } else {
            format!("{what} ({})", self.details.join("; "))
        }
    }

    fn what(&self, check: Check) -> String {
        let o = &self.object;
        match (check, &self.change) {
            (Check::Down, Change::Appeared) => format!("{o} is not dropped by the down file"),
            (Check::Down, Change::Vanished) => format!("{o} is not restored by the down file"),
            (Check::Down, Change::Changed) => {
                format!("{o} is not restored as it was by the down file")
            }
            (Check::UpAgain, Change::Appeared) => format!("{o} is there only the second time"),
            (Check::UpAgain, Change::Vanished) => format!("{o} is there only the first time"),
            (Check::UpAgain, Change::Changed) => format!("{o} differs the second time"),
            (Check::Drift, Change::Appeared) => {
                format!("{o} was added (no migration creates it)")
            }
            (Check::Drift, Change::Vanished) => {
                format!("{o} was dropped (the migrations create it)")
            }
            // `properties of table users`: plural.
            (Check::Drift, Change::Changed) if o.starts_with("properties ") => {
                format!("{o} were altered")
            }
            (Check::Drift, Change::Changed) => format!("{o} was altered"),
        }
    }
}

/// Objects of `before` and `after` that are not the same, in name order.
pub fn differences(before: &Schema, after: &Schema) -> Vec<Difference> {
    let (a, b) = (objects(before), objects(after));
    let mut out = Vec::new();
    for (name, value) in &a {
        match b.get(name) {
            None => out.push(Difference {
                object: name.clone(),
                change: Change::Vanished,
                details: Vec::new(),
            }),
            Some(other) if other != value => out.push(Difference {
                object: name.clone(),
                change: Change::Changed,
                details: details(value, other),
            }),
            Some(_) => {}
        }
    }
    for name in b.keys().filter(|n| !a.contains_key(*n)) {
        out.push(Difference {
            object: name.clone(),
            change: Change::Appeared,
            details: Vec::new(),
        });
    }
    out.sort_by(|x, y| x.object.cmp(&y.object));
    out
}

/// What differs between two definitions of one object, field by field, as
/// `field: before → after` (nested fields as `default.expr`); values are cut short.
fn details(before: &Value, after: &Value) -> Vec<String> {
    let mut out = Vec::new();
    field_details("", before, after, &mut out);
    out
}

fn field_details(path: &str, before: &Value, after: &Value, out: &mut Vec<String>) {
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
            field_details(&inner, x, y, out);
        }
        return;
    }
    let field = if path.is_empty() { "definition" } else { path };
    // A trigger's or rule's `tgenabled` code, in words.
    let enabled = |v: &Value| match (field, v.as_str()) {
        ("enabled", Some("O")) => Value::String("enabled".into()),
        ("enabled", Some("D")) => Value::String("disabled".into()),
        ("enabled", Some("R")) => Value::String("enabled on replicas only".into()),
        ("enabled", Some("A")) => Value::String("enabled always".into()),
        _ => v.clone(),
    };
    let (x, y) = shown(&text(&enabled(before)), &text(&enabled(after)));
    out.push(format!("{field}: {x} → {y}"));
}

/// A value as a person reads it: strings without quotes, none as `none`, whitespace
/// runs as one space.
fn text(v: &Value) -> Vec<char> {
    let text = match v {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
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

/// Every object by its name.
fn objects(schema: &Schema) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    let mut add = |name: String, value: Value| {
        map.insert(name, value);
    };
    for s in &schema.schemas {
        add(format!("schema {s}"), Value::Null);
    }
    for e in &schema.extensions {
        add(format!("extension {e}"), Value::Null);
    }
    for e in schema
        .enums
        .iter()
        .chain(schema.excluded_enums.iter().map(|x| &x.enum_type))
    {
        add(
            format!("enum {}", qualified(&e.schema, &e.name)),
            to_json(&e.labels),
        );
    }
    let tables = schema
        .tables
        .iter()
        .chain(schema.excluded_tables.iter().map(|x| &x.table));
    for t in tables {
        table_objects(t, &mut add);
    }
    for v in &schema.views {
        let kind = if v.materialized {
            "materialized view"
        } else {
            "view"
        };
        add(
            format!("{kind} {}", qualified(&v.schema, &v.name)),
            to_json(v),
        );
    }
    let o = &schema.objects;
    for d in &o.domains {
        add(
            format!("domain {}", qualified(&d.schema, &d.name)),
            to_json(d),
        );
    }
    for c in &o.composites {
        add(
            format!("type {}", qualified(&c.schema, &c.name)),
            to_json(c),
        );
    }
    for s in &o.sequences {
        add(
            format!("sequence {}", qualified(&s.schema, &s.name)),
            to_json(s),
        );
    }
    for f in &o.functions {
        add(
            format!("function {}({})", qualified(&f.schema, &f.name), f.args),
            to_json(f),
        );
    }
    for p in &o.table_properties {
        add(
            format!("properties of table {}", qualified(&p.schema, &p.table)),
            to_json(p),
        );
    }
    for p in &o.partitions {
        add(
            format!("partition {}", qualified(&p.schema, &p.name)),
            to_json(p),
        );
    }
    for t in &o.triggers {
        add(
            format!("trigger {} on {}", t.name, qualified(&t.schema, &t.table)),
            to_json(t),
        );
    }
    for r in &o.rules {
        add(
            format!("rule {} on {}", r.name, qualified(&r.schema, &r.table)),
            to_json(r),
        );
    }
    for p in &o.policies {
        add(
            format!("policy {} on {}", p.name, qualified(&p.schema, &p.table)),
            to_json(p),
        );
    }
    for s in &o.schema_properties {
        add(format!("properties of schema {}", s.schema), to_json(s));
    }
    for w in &o.owners {
        add(format!("owner of {:?}", w.object), to_json(&w.owner));
    }
    map
}

/// A table as its parts: the table itself (its comment, partitioning), each column,
/// key, check, exclusion constraint and index.
fn table_objects(t: &Table, add: &mut impl FnMut(String, Value)) {
    let name = qualified(&t.schema, &t.name);
    let on = |kind: &str, n: &str| format!("{kind} {n} on {name}");
    add(
        format!("table {name}"),
        serde_json::json!({ "comment": t.comment, "partition_by": t.partition_by }),
    );
    for c in &t.columns {
        add(format!("column {name}.{}", c.name), to_json(c));
    }
    if let Some(pk) = &t.primary_key {
        add(on("primary key", &pk.name), to_json(pk));
    }
    for u in &t.uniques {
        add(on("unique constraint", &u.name), to_json(u));
    }
    for f in &t.foreign_keys {
        add(on("foreign key", &f.name), to_json(f));
    }
    for c in &t.checks {
        add(on("check", &c.name), to_json(c));
    }
    for x in &t.exclusions {
        add(on("exclusion constraint", &x.name), to_json(x));
    }
    for i in &t.indexes {
        add(on("index", &i.name), to_json(i));
    }
}

fn to_json(v: &impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, Index};

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
            &text(&Value::String(body("now()"))),
            &text(&Value::String(body("clock_timestamp()"))),
        );
        assert_eq!(a, "…N NEW.created_at := now(); RETURN NEW; END $function$");
        assert_eq!(
            b,
            "…N NEW.created_at := clock_timestamp(); RETURN NEW; END $func…"
        );
        // Short ones whole.
        let (a, b) = shown(&text(&Value::from(5)), &text(&Value::from(10)));
        assert_eq!((a.as_str(), b.as_str()), ("5", "10"));
    }
}
