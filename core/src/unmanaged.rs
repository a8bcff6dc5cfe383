//! What strata reads in the managed schemas but does not manage, and why: `diff -v`
//! lists it, so that whoever reviews a plan knows what it works around.
//!
//! A generic list of (kind, qualified name, why): each kind strata learns to read
//! without managing it adds its entries here.
use crate::names::{qualified, quote_ident};
use crate::schema::{LeftAlone, ObjectRef, Schema};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unmanaged {
    /// `table`, `enum`, `view`, `materialized view`, ...
    pub kind: String,
    /// As SQL names it: `audit_log`, `billing.kind`.
    pub name: String,
    pub why: String,
}

/// Everything of `current` that the plan from `current` to `desired` leaves alone,
/// sorted by kind, then name.
pub fn unmanaged(desired: &Schema, current: &Schema) -> Vec<Unmanaged> {
    let entry = |kind: &str, schema: &str, name: &str, why: String| Unmanaged {
        kind: kind.to_string(),
        name: qualified(schema, name),
        why,
    };
    let excluded = |why: &LeftAlone| match why {
        LeftAlone::Excluded(pattern) => {
            format!("excluded by strata.toml `exclude` entry {pattern:?}")
        }
        LeftAlone::OtherSchema => {
            "in a schema strata does not manage, read for what it uses in the managed ones".into()
        }
    };
    let mut out = Vec::new();
    for x in &current.excluded_tables {
        let t = &x.table;
        out.push(entry(
            "table",
            &t.schema,
            &t.name,
            format!(
                "{}; never changed, but its columns, defaults and foreign keys are planned around",
                excluded(&x.why)
            ),
        ));
    }
    for x in &current.excluded_enums {
        let e = &x.enum_type;
        out.push(entry(
            "enum",
            &e.schema,
            &e.name,
            excluded(&LeftAlone::Excluded(x.pattern.clone())),
        ));
    }
    for (e, users) in current.enums_used_by_excluded() {
        let declared = desired
            .enums
            .iter()
            .any(|d| d.schema == e.schema && d.name == e.name);
        if !declared {
            let tables: Vec<String> = users
                .iter()
                .map(|x| qualified(&x.table.schema, &x.table.name))
                .collect();
            out.push(entry(
                "enum",
                &e.schema,
                &e.name,
                format!(
                    "kept: no entity declares it, but the excluded {} {} {} it",
                    if tables.len() == 1 { "table" } else { "tables" },
                    tables.join(", "),
                    if tables.len() == 1 { "uses" } else { "use" },
                ),
            ));
        }
    }
    // With `objects` files: what they declare is managed, the rest kept unless pruned.
    let declared = desired
        .declared
        .then(|| crate::diff::declared_keys(desired));
    let undeclared = "declared in no `objects` file: kept as it is (`--prune` drops it)";
    let listed = |key: ObjectRef, why: &str| -> Option<String> {
        match &declared {
            Some(keys) if keys.contains(&key) => None,
            Some(_) => Some(undeclared.to_string()),
            None => Some(why.to_string()),
        }
    };
    for v in &current.views {
        let kind = if v.materialized {
            "materialized view"
        } else {
            "view"
        };
        let why = match &v.excluded_by {
            Some(pattern) => format!(
                "{}; never dropped, not even to be set aside",
                excluded(&LeftAlone::Excluded(pattern.clone()))
            ),
            None => match listed(
                ObjectRef::View {
                    schema: v.schema.clone(),
                    name: v.name.clone(),
                },
                "read, not managed: set aside and created again around a step that changes what it reads",
            ) {
                Some(why) => why,
                None => continue,
            },
        };
        out.push(entry(kind, &v.schema, &v.name, why));
    }
    // The other kinds strata reads: kept as they are, written by `baseline`, and set
    // aside around a step where they stand in the way (triggers, policies).
    let o = &current.objects;
    let named = |kind: &str, name: String, why: &str| Unmanaged {
        kind: kind.to_string(),
        name,
        why: why.to_string(),
    };
    let kept = "read, not managed: kept as it is";
    let set_aside = "read, not managed: set aside and created again around a step that changes a column it reads";
    for f in &o.functions {
        let kind = format!("{:?}", f.kind).to_lowercase();
        let name = format!("{}({})", qualified(&f.schema, &f.name), f.args);
        let key = ObjectRef::Function {
            schema: f.schema.clone(),
            name: f.name.clone(),
            args: f.args.clone(),
        };
        if let Some(why) = listed(key, kept) {
            out.push(named(&kind, name, &why));
        }
    }
    for t in &o.triggers {
        let name = format!(
            "{} on {}",
            quote_ident(&t.name),
            qualified(&t.schema, &t.table)
        );
        let key = ObjectRef::Trigger {
            schema: t.schema.clone(),
            table: t.table.clone(),
            name: t.name.clone(),
        };
        if let Some(why) = listed(key, set_aside) {
            out.push(named("trigger", name, &why));
        }
    }
    for p in &o.policies {
        let name = format!(
            "{} on {}",
            quote_ident(&p.name),
            qualified(&p.schema, &p.table)
        );
        let key = ObjectRef::Policy {
            schema: p.schema.clone(),
            table: p.table.clone(),
            name: p.name.clone(),
        };
        if let Some(why) = listed(key, set_aside) {
            out.push(named("policy", name, &why));
        }
    }
    for r in &o.rules {
        let name = format!(
            "{} on {}",
            quote_ident(&r.name),
            qualified(&r.schema, &r.table)
        );
        out.push(named("rule", name, kept));
    }
    let type_key = |schema: &String, name: &String| ObjectRef::Type {
        schema: schema.clone(),
        name: name.clone(),
    };
    for d in &o.domains {
        if let Some(why) = listed(type_key(&d.schema, &d.name), kept) {
            out.push(entry("domain", &d.schema, &d.name, why));
        }
    }
    for c in &o.composites {
        if let Some(why) = listed(type_key(&c.schema, &c.name), kept) {
            out.push(entry("composite type", &c.schema, &c.name, why));
        }
    }
    for s in o.sequences.iter().filter(|s| s.owner.is_none()) {
        let why = "read, not managed: kept as it is (a column declared serial whose default uses it adopts it)";
        let key = ObjectRef::Sequence {
            schema: s.schema.clone(),
            name: s.name.clone(),
        };
        if let Some(why) = listed(key, why) {
            out.push(entry("sequence", &s.schema, &s.name, why));
        }
    }
    for p in &o.partitions {
        let why = format!(
            "a partition of {}: left alone, managed through its parent",
            qualified(&p.parent_schema, &p.parent)
        );
        out.push(entry("partition", &p.schema, &p.name, why));
    }
    out.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, EnumType, ExcludedTable, Table};

    #[test]
    fn lists_excluded_tables_and_the_enums_kept_for_them() {
        let status = EnumType {
            schema: "public".into(),
            name: "status".into(),
            labels: vec!["a".into()],
            label_renames: vec![],
        };
        let current = Schema {
            enums: vec![status.clone()],
            excluded_tables: vec![ExcludedTable {
                why: LeftAlone::Excluded("audit_*".into()),
                table: Table::new("public", "audit_log", vec![Column::new("s", "status")]),
            }],
            ..Schema::default()
        };
        let listed = unmanaged(&Schema::default(), &current);
        let kinds: Vec<(&str, &str)> = listed
            .iter()
            .map(|u| (u.kind.as_str(), u.name.as_str()))
            .collect();
        assert_eq!(kinds, [("enum", "status"), ("table", "audit_log")]);
        assert!(
            listed[0].why.contains("audit_log uses it"),
            "{:?}",
            listed[0]
        );
        assert!(listed[1].why.contains("\"audit_*\""), "{:?}", listed[1]);
        // Declared by an entity: managed, not listed.
        let desired = Schema {
            enums: vec![status],
            ..Schema::default()
        };
        assert_eq!(unmanaged(&desired, &current).len(), 1);
    }

    #[test]
    fn lists_the_other_kinds_read_with_their_qualified_names() {
        use crate::schema::{Objects, Partition};
        let current = Schema {
            objects: Objects {
                partitions: vec![Partition {
                    schema: "public".into(),
                    name: "event_2024".into(),
                    parent_schema: "public".into(),
                    parent: "event".into(),
                    bound: "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')".into(),
                    partition_by: None,
                    comment: None,
                    own_objects: vec![],
                    own_definitions: vec![],
                    own_references: vec![],
                }],
                ..Objects::default()
            },
            ..Schema::default()
        };
        let listed = unmanaged(&Schema::default(), &current);
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].kind.as_str(), listed[0].name.as_str()),
            ("partition", "event_2024")
        );
        assert!(
            listed[0].why.contains("a partition of event"),
            "{:?}",
            listed[0]
        );
    }
}
