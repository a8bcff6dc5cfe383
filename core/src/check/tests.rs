//! Unit tests of the check: type modifiers, constant defaults, the comparison by name.
use super::compare::constants_differ;
use super::types::type_modifiers;
use super::*;
use crate::schema::{Column, Deferral, PrimaryKey, Schema, Table};

#[test]
fn type_modifiers_are_plain_numbers() {
    assert_eq!(type_modifiers("varchar(20)"), Some(vec![20]));
    assert_eq!(type_modifiers("numeric(12, 2)"), Some(vec![12, 2]));
    assert_eq!(
        type_modifiers("timestamp(3) with time zone[]"),
        Some(vec![3])
    );
    assert_eq!(type_modifiers("text"), None);
    assert_eq!(type_modifiers("geometry(Point, 4326)"), None);
}

#[test]
fn integer_and_boolean_defaults_differ_without_the_server() {
    assert!(constants_differ("1", "0", "integer"));
    assert!(constants_differ("(1)", "'-1'::integer", "bigint"));
    assert!(!constants_differ("-1", "'-1'::integer", "integer"));
    assert!(!constants_differ("0", "0", "smallint"));
    assert!(constants_differ("TRUE", "false", "boolean"));
    assert!(!constants_differ("true", "true", "boolean"));
    // Not constants, or not known: left to the server.
    assert!(!constants_differ("1 + 1", "3", "integer"));
    assert!(!constants_differ("(a) + (b)", "1", "integer"));
    assert!(!constants_differ("1", "2", "numeric"));
    assert!(!constants_differ("'t'", "false", "boolean"));
}

fn column(name: &str, ty: &str) -> Column {
    Column::new(name, ty)
}

#[test]
fn compares_tables_by_name() {
    let mut users = Table::new("public", "users", vec![column("id", "bigint")]);
    users.primary_key = Some(PrimaryKey {
        name: "users_pkey".into(),
        columns: vec!["id".into()],
        deferral: Deferral::Immediate,
    });
    let desired = Schema {
        tables: vec![users.clone()],
        ..Schema::default()
    };
    let mut found = users.clone();
    found.columns[0].ty = "integer".into();
    found.columns.push(column("note", "text"));
    found.primary_key = None;
    let current = Schema {
        tables: vec![found, Table::new("billing", "old", vec![])],
        ..Schema::default()
    };
    let report = compare(&desired, &current, &[], false);
    assert_eq!(
        report.mismatches,
        vec![
            Mismatch::TypeMismatch {
                table: "users".into(),
                column: "id".into(),
                expected: "bigint".into(),
                found: "integer".into(),
            },
            Mismatch::ExtraColumn {
                table: "users".into(),
                column: "note".into(),
                sql_type: "text".into(),
            },
            Mismatch::MissingConstraint {
                table: "users".into(),
                constraint: ConstraintKind::PrimaryKey,
                name: "users_pkey".into(),
                definition: "PRIMARY KEY (id)".into(),
            },
            Mismatch::ExtraTable {
                table: "billing.old".into(),
            },
        ]
    );
    assert!(!report.is_clean());
}
