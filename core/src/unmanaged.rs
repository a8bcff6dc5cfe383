//! What strata reads in the managed schemas but does not manage, and why: `diff -v`
//! lists it, so that whoever reviews a plan knows what it works around.
//!
//! A generic list of (kind, qualified name, why): each kind strata learns to read
//! without managing it adds its entries here.
use crate::names::qualified;
use crate::schema::Schema;
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
    let excluded = |pattern: &str| format!("excluded by strata.toml `exclude` entry {pattern:?}");
    let mut out = Vec::new();
    for x in &current.excluded_tables {
        let t = &x.table;
        out.push(entry(
            "table",
            &t.schema,
            &t.name,
            format!(
                "{}; never changed, but its columns, defaults and foreign keys are planned around",
                excluded(&x.pattern)
            ),
        ));
    }
    for x in &current.excluded_enums {
        let e = &x.enum_type;
        out.push(entry("enum", &e.schema, &e.name, excluded(&x.pattern)));
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
    for v in &current.views {
        let kind = if v.materialized {
            "materialized view"
        } else {
            "view"
        };
        let why = match &v.excluded_by {
            Some(pattern) => format!("{}; never dropped, not even to be set aside", excluded(pattern)),
            None => "read, not managed: set aside and created again around a step that changes what it reads".to_string(),
        };
        out.push(entry(kind, &v.schema, &v.name, why));
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
                pattern: "audit_*".into(),
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
}
