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

fn pk(name: &str, columns: &[&str]) -> Option<PrimaryKey> {
    Some(PrimaryKey {
        name: name.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        deferral: Deferral::Immediate,
    })
}

fn fk(name: &str, columns: &[&str], table: &str, ref_columns: &[&str]) -> ForeignKey {
    ForeignKey {
        name: name.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        ref_schema: "public".into(),
        ref_table: table.into(),
        ref_columns: ref_columns.iter().map(|c| c.to_string()).collect(),
        on_delete: "NO ACTION".into(),
        on_update: "NO ACTION".into(),
        ..Default::default()
    }
}

/// Names only where they are not PostgreSQL's, a composite foreign key at the table,
/// a unique index as `index(unique)`: nothing to report.
#[test]
fn keys_and_names_come_out_as_declared() {
    let mut orders = Table::new(
        "public",
        "orders",
        vec![col("id", "bigint"), col("line", "integer")],
    );
    orders.primary_key = pk("legacy_pkey1", &["id", "line"]);
    let mut lines = Table::new(
        "public",
        "lines",
        vec![
            col("id", "bigint"),
            col("order_id", "bigint"),
            col("order_line", "integer"),
            Column {
                nullable: true,
                ..col("sku", "text")
            },
        ],
    );
    lines.primary_key = pk("lines_pkey", &["id"]);
    lines.indexes.push(Index {
        name: "lines_sku_idx".into(),
        keys: vec!["sku".into()],
        unique: true,
        method: "btree".into(),
        ..Default::default()
    });
    lines.foreign_keys.push(ForeignKey {
        on_delete: "CASCADE".into(),
        ..fk(
            "lines_order_fk",
            &["order_id", "order_line"],
            "orders",
            &["id", "line"],
        )
    });
    let schema = Schema {
        tables: vec![lines, orders],
        ..Schema::default()
    };
    let pulled = pull(&schema);
    assert!(pulled.problems.is_empty(), "{:#?}", pulled.problems);
    let public = &pulled
        .files
        .iter()
        .find(|f| f.path == "public.rs")
        .expect("public.rs")
        .contents;
    for expected in [
        "#[entity(primary_key(id, line, name = \"legacy_pkey1\"))]",
        "#[entity(index(unique))]",
        "foreign_key(\n        columns(order_id, order_line),\n        references = Orders,\n        on_delete = \"cascade\",\n        name = \"lines_order_fk\"\n    )",
    ] {
        assert!(public.contains(expected), "{expected}\n{public}");
    }
    assert!(
        !public.contains("lines_pkey"),
        "a default name is not written\n{public}"
    );
}

/// What strata cannot say is a blocking problem naming the table, never dropped.
#[test]
fn what_cannot_be_declared_blocks_its_table() {
    let mut parent = Table::new("public", "parent", vec![col("id", "integer")]);
    parent.primary_key = pk("parent_pkey", &["id"]);
    let mut child = Table::new(
        "public",
        "child",
        vec![
            col("id", "integer"),
            col("a", "integer"),
            col("b", "integer"),
        ],
    );
    child.foreign_keys.push(ForeignKey {
        on_delete: "SET NULL (a)".into(),
        ..fk("child_id_fkey", &["id"], "parent", &["id"])
    });
    // An extension's access method is declared as any other (`method = "bloom"`).
    child.indexes.push(Index {
        name: "child_bloom".into(),
        keys: vec!["a".into(), "b".into()],
        method: "bloom".into(),
        ..Default::default()
    });
    let schema = Schema {
        tables: vec![child, parent],
        objects: Objects {
            rules: vec![Rule {
                schema: "public".into(),
                table: "parent".into(),
                name: "r".into(),
                definition: "CREATE RULE r AS ON DELETE TO parent DO INSTEAD NOTHING".into(),
                enabled: "O".into(),
                comment: None,
            }],
            ..Objects::default()
        },
        ..Schema::default()
    };
    let pulled = pull(&schema);
    assert_eq!(
        pulled.blocked_tables(),
        vec![("public".to_string(), "child".to_string())]
    );
    let whats: Vec<&str> = pulled.problems.iter().map(|p| p.what.as_str()).collect();
    assert!(!whats.contains(&"index child_bloom on child"), "{whats:?}");
    assert!(
        whats.contains(&"foreign key child_id_fkey on child"),
        "{whats:?}"
    );
    let rule = pulled
        .problems
        .iter()
        .find(|p| p.what.starts_with("rule r"))
        .expect("the rule is said");
    assert!(!rule.blocking);
}
