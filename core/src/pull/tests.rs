//! pull on schemas built by hand: what it writes, and that strata reads it back as the
//! schema it came from.

use super::*;
use crate::schema::*;

fn col(name: &str, ty: &str) -> Column {
    Column::new(name, ty)
}

#[test]
fn a_small_schema_pulls_to_entities_that_lower_to_it() {
    let mut users = Table::new(
        "public",
        "users",
        vec![
            Column {
                identity: Some(Identity::Always),
                ..col("id", "bigint")
            },
            col("email", "character varying(320)"),
            Column {
                nullable: true,
                ..col("type", "text")
            },
            col("Mood", "mood"),
        ],
    );
    users.primary_key = Some(PrimaryKey {
        name: "users_pkey".into(),
        columns: vec!["id".into()],
        deferral: Deferral::Immediate,
    });
    users.uniques.push(UniqueConstraint {
        name: "users_email_key".into(),
        columns: vec!["email".into()],
        ..Default::default()
    });
    users.checks.push(CheckConstraint::new(
        "users_email_check",
        "(length((email)::text) > 3)",
    ));
    let schema = Schema {
        schemas: vec!["public".into()],
        enums: vec![EnumType {
            schema: "public".into(),
            name: "mood".into(),
            labels: vec!["sad".into(), "OK".into()],
            label_renames: vec![],
        }],
        tables: vec![users],
        ..Schema::default()
    };
    let pulled = pull(&schema);
    assert!(pulled.problems.is_empty(), "{:#?}", pulled.problems);
    let public = pulled
        .files
        .iter()
        .find(|f| f.path == "public.rs")
        .expect("public.rs");
    insta::assert_snapshot!(public.contents);
}
