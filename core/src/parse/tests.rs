//! The parser on source text: what each key becomes, and every error with its place.

use super::*;
use crate::entity::{FieldIndexDef, FkActions, IdentityKind, RustType};

fn input(src: &str) -> DeriveInput {
    match syn::parse_str(src) {
        Ok(input) => input,
        Err(e) => panic!("test source does not parse: {e}\n{src}"),
    }
}

fn entity(src: &str) -> EntityDef {
    match parse_entity(&input(src)) {
        Ok(def) => def,
        Err(errors) => panic!("unexpected errors: {}", render(&errors)),
    }
}

/// Each error as `line:column: message` (1-based line, 1-based column), one a line.
fn render(errors: &[syn::Error]) -> String {
    errors
        .iter()
        .flat_map(|e| e.clone().into_iter())
        .map(|e| {
            let start = e.span().start();
            format!("{}:{}: {}", start.line, start.column + 1, e)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn entity_errors(src: &str) -> String {
    match parse_entity(&input(src)) {
        Ok(def) => panic!("expected errors, parsed {def:#?}"),
        Err(errors) => render(&errors),
    }
}

fn enum_errors(src: &str) -> String {
    match parse_db_enum(&input(src)) {
        Ok(def) => panic!("expected errors, parsed {def:#?}"),
        Err(errors) => render(&errors),
    }
}

#[test]
fn every_key_parses() {
    let def = entity(
        r#"
        #[entity(table_name = "accounts", schema = "billing", comment = "Customer accounts")]
        #[entity(renamed_from = "account", index(last_name, first_name))]
        #[entity(unique(org_id, email, name = "accounts_org_email"))]
        #[entity(index(expr = "lower(email)", unique, name = "accounts_email_ci", method = "btree", where = "deleted_at IS NULL", include(first_name)))]
        #[entity(index(tags, method = "GIN"))]
        #[entity(foreign_key(columns(org_id, region), references = crate::model::Org, ref_columns(id, region), on_delete = "set_null", on_update = "No Action", deferrable, name = "accounts_org_fk"))]
        #[entity(check(name = "accounts_names", expr = "first_name <> last_name"), check = "age < 200")]
        #[sqlx(rename_all = "camelCase")]
        pub struct Account {
            #[entity(primary_key, identity = "always")]
            id: i64,
            #[entity(length = 320, unique = "accounts_email_key")]
            email: String,
            first_name: String,
            #[sqlx(rename = "surname")]
            last_name: String,
            #[entity(rename = "years", check = "age >= 0", default = "0")]
            #[sqlx(rename = "ignored_because_entity_wins")]
            age: i32,
            #[entity(renamed_from = "avatar", comment = "Shown in the header")]
            avatar_url: Option<String>,
            #[entity(foreign_key(Org, column = "id", on_delete = "cascade", on_update = "restrict", name = "accounts_org_id_fk"), index)]
            org_id: uuid::Uuid,
            region: String,
            #[entity(references = "geo.countries(code)", on_delete = "SET DEFAULT", deferrable, name = "accounts_country_fk", index(method = "hash", where = "country IS NOT NULL", name = "accounts_country_idx"))]
            country: Option<String>,
            #[entity(precision = 12, scale = 2)]
            balance: rust_decimal::Decimal,
            #[entity(precision = 3, default = "now()")]
            created_at: chrono::DateTime<chrono::Utc>,
            deleted_at: Option<NaiveDateTime>,
            #[entity(generated = "balance * 2")]
            doubled: Option<Decimal>,
            #[entity(serial)]
            legacy_no: i32,
            #[entity(sql_type = "citext")]
            nickname: String,
            #[entity(sql_type = "int4")]
            count: u32,
            tags: Vec<String>,
            status: crate::model::AccountStatus,
            settings: sqlx::types::Json<Settings>,
            photo: Option<Vec<u8>>,
            ip: std::net::IpAddr,
            #[entity(skip)]
            cache: std::collections::HashMap<String, String>,
            #[sqlx(skip)]
            also_skipped: Vec<Vec<u8>>,
            #[entity(identity)]
            r#type: i16,
        }
    "#,
    );
    insta::assert_json_snapshot!(def);
}

#[test]
fn defaults_and_field_level_primary_key() {
    let def = entity(
        r#"
        struct OrderLine {
            #[entity(primary_key)]
            order_id: i64,
            #[entity(primary_key)]
            line_no: i16,
            amount: f64,
        }
    "#,
    );
    assert_eq!(def.table_name, "order_line");
    assert_eq!(def.schema, None);
    assert!(def.primary_key.is_empty());
    let pk: Vec<_> = def
        .fields
        .iter()
        .filter(|f| f.primary_key)
        .map(|f| f.rust_name.as_str())
        .collect();
    assert_eq!(pk, ["order_id", "line_no"]);
    assert_eq!(def.fields[2].column_name, "amount");
    assert_eq!(def.fields[2].ty, RustType::F64);
}

#[test]
fn table_primary_key_and_field_level_shapes() {
    let def = entity(
        r#"
        #[entity(primary_key(tenant, id))]
        struct Doc {
            tenant: i32,
            id: i64,
            #[entity(unique, index)]
            slug: String,
            #[entity(foreign_key(Doc))]
            parent: Option<i64>,
            #[entity(references = "files")]
            file: i64,
        }
    "#,
    );
    assert_eq!(def.primary_key, ["tenant", "id"]);
    assert_eq!(def.fields[2].unique, Some(None));
    assert_eq!(
        def.fields[2].index.as_deref(),
        Some(&FieldIndexDef {
            name: None,
            unique: false,
            nulls_not_distinct: false,
            method: None,
            predicate: None,
            opclass: None,
            order: None,
            collation: None,
        })
    );
    let fk = def.fields[3]
        .foreign_key
        .as_ref()
        .map(|f| (&f.target, &f.column, &f.actions));
    assert_eq!(
        fk,
        Some((
            &FkTarget::Entity("Doc".into()),
            &None,
            &FkActions {
                on_delete: None,
                on_update: None,
                deferrable: false,
                initially_deferred: false,
                name: None
            }
        ))
    );
    assert_eq!(
        def.fields[4].foreign_key.as_ref().map(|f| &f.target),
        Some(&FkTarget::Table {
            schema: None,
            table: "files".into(),
            columns: vec![]
        })
    );
}

#[test]
fn identity_spellings() {
    let def = entity(
        r#"
        struct T {
            #[entity(identity)] a: i64,
            #[entity(identity = "by default")] b: i32,
            #[entity(identity = "by_default")] c: i16,
            #[entity(identity = "ALWAYS")] d: i64,
        }
    "#,
    );
    let kinds: Vec<_> = def.fields.iter().map(|f| f.identity).collect();
    use IdentityKind::*;
    assert_eq!(
        kinds,
        [
            Some(ByDefault),
            Some(ByDefault),
            Some(ByDefault),
            Some(Always)
        ]
    );
}

#[test]
fn sqlx_rename_all_cases_name_columns() {
    for (case, expected) in [
        ("lowercase", "first_name"),
        ("UPPERCASE", "FIRST_NAME"),
        ("snake_case", "first_name"),
        ("kebab-case", "first-name"),
        ("camelCase", "firstName"),
        ("PascalCase", "FirstName"),
        ("SCREAMING_SNAKE_CASE", "FIRST_NAME"),
    ] {
        let def = entity(&format!(
            "#[sqlx(rename_all = \"{case}\", default)] struct P {{ first_name: String }}"
        ));
        assert_eq!(def.fields[0].column_name, expected, "{case}");
    }
}

#[test]
fn other_sqlx_keys_are_ignored() {
    let def = entity(
        r#"
        #[sqlx(default, type_name = "x")]
        struct P {
            #[sqlx(default, json, try_from = "i64", flatten)]
            #[sqlx(json(nullable))]
            a: i64,
        }
    "#,
    );
    assert_eq!(def.fields.len(), 1);
}

#[test]
fn db_enum_parses() {
    let def = parse_db_enum(&input(
        r#"
        #[derive(sqlx::Type, strata::DbEnum)]
        #[sqlx(type_name = "billing.user_status", rename_all = "snake_case")]
        enum UserStatus {
            Active,
            #[entity(renamed_from = "banned")]
            Suspended,
            #[sqlx(rename = "on-hold")]
            OnHold,
            PendingReview,
        }
    "#,
    ))
    .map_err(|e| render(&e));
    insta::assert_json_snapshot!(def);
}

#[test]
fn db_enum_without_rename_all_keeps_variant_names() {
    let def = parse_db_enum(&input(
        r#"#[sqlx(type_name = "mood")] enum Mood { Happy, Sad }"#,
    ))
    .map_err(|e| render(&e));
    let labels: Vec<String> = def
        .iter()
        .flat_map(|d| d.variants.iter().map(|v| v.label.clone()))
        .collect();
    assert_eq!(labels, ["Happy", "Sad"]);
    assert_eq!(def.map(|d| d.schema), Ok(None));
}

#[test]
fn attribute_errors_all_at_once() {
    let long = "x".repeat(64);
    let src = format!(
        r#"
        #[entity(tabel_name = "users", index(nope, name = "i"), primary_key(ghost))]
        #[entity(schema = "{long}", unique(hidden), check(name = "c"))]
        #[entity(foreign_key(columns(org_id), references = Org, ref_columns(a, b)))]
        struct User {{
            #[entity(primary_key)]
            id: Option<i64>,
            #[entity(length = 3, length = 4)]
            age: i32,
            #[entity(length = "x")]
            name: String,
            #[entity(identity, default = "1")]
            title: String,
            #[entity(serial, identity)]
            n: i64,
            #[entity(generated = "1", default = "2")]
            g: i32,
            #[entity(precision = 3)]
            flag: bool,
            #[entity(scale = 2)]
            money: Decimal,
            #[entity(foreign_key(Org, on_delete = "explode"))]
            org_id: i64,
            #[entity(index(method = "bit-map"))]
            i: i32,
            #[entity(rename = "")]
            empty: i32,
            #[entity(on_delete = "cascade")]
            stray: i32,
            #[entity(skip, rename = "x")]
            hidden: i32,
            #[entity(sql_type = "int", length = 3)]
            typed: i32,
            #[entity(references = "a.b.c")]
            bad_ref: i32,
            #[entity(identity = "sometimes")]
            ident: i64,
            #[entity(primary_key = true)]
            flagged: i32,
            weird: u32,
            #[entity(rename = "age")]
            dup_col: i32,
        }}
    "#
    );
    insta::assert_snapshot!(entity_errors(&src));
}

/// Every key whose SQL strata writes into a statement refuses what would end or break
/// out of it, at its literal; one error each, no second one saying the key is missing.
#[test]
fn fragments_that_would_break_their_statement_are_errors_at_the_literal() {
    insta::assert_snapshot!(entity_errors(
        r#"
        #[entity(check = "true; DROP TABLE users", check(name = "c", expr = "true) OR (true"))]
        #[entity(index(expr = "lower(name); --", where = "x > 0 -- why", opclass = "text_ops)"))]
        struct T {
            #[entity(default = "'it''s", check = "age > 0 /* open")]
            age: i32,
            #[entity(generated = "age * 2)", sql_type = "numeric(10, 2")]
            double_age: Decimal,
            #[entity(index(where = "$$open", opclass = "a \\ b"))]
            name: String,
            #[entity(default = "'a;b' || $$;$$ || \"c;\" /* ; */", check = "(x -- ok\n> 0)")]
            fine: String,
        }
    "#
    ));
}

#[test]
fn unknown_keys_list_valid_ones() {
    insta::assert_snapshot!(entity_errors(
        r#"
        struct T {
            #[entity(lenght = 3)]
            a: String,
            #[entity(index(methd = "gin"), foreign_key(Org, colum = "id"))]
            b: i32,
        }
    "#
    ));
}

#[test]
fn type_errors() {
    insta::assert_snapshot!(entity_errors(
        r#"
        struct T {
            a: u64,
            b: Option<Option<i32>>,
            c: Vec<Option<i32>>,
            d: &'static str,
            e: (i32, i32),
            f: HashMap<String, i32>,
            g: Vec<Vec<i32>>,
            h: char,
        }
    "#
    ));
}

#[test]
fn shape_errors() {
    insta::assert_snapshot!(entity_errors("struct T(i32);"));
    insta::assert_snapshot!(entity_errors("enum T { A }"));
    insta::assert_snapshot!(entity_errors(
        "struct T { #[entity(skip)] a: i32, #[sqlx(skip)] b: i32 }"
    ));
    insta::assert_snapshot!(entity_errors(&format!(
        "struct {} {{ a: i32 }}",
        "VeryLong".repeat(8)
    )));
}

#[test]
fn db_enum_errors() {
    insta::assert_snapshot!(enum_errors(
        r#"
        #[entity(schema = "x")]
        enum Status {
            Active(i32),
            #[sqlx(rename = "Active")]
            Other,
            #[entity(renamed_fro = "x")]
            Third { a: i32 },
        }
    "#
    ));
    insta::assert_snapshot!(enum_errors(
        r#"#[sqlx(type_name = "a.b.c", rename_all = "Title Case")] enum E {}"#
    ));
    let long = "l".repeat(64);
    insta::assert_snapshot!(enum_errors(&format!(
        r#"#[sqlx(type_name = "s.{long}")] enum E {{ #[sqlx(rename = "{long}")] A }}"#
    )));
    insta::assert_snapshot!(enum_errors("struct NotAnEnum { a: i32 }"));
}

#[test]
fn names_of_63_bytes_are_fine_and_64_are_not() {
    let ok = "a".repeat(63);
    let def = entity(&format!(
        r#"#[entity(table_name = "{ok}")] struct T {{ #[entity(rename = "{ok}")] a: i32 }}"#
    ));
    assert_eq!(def.table_name.len(), 63);
    // Multi-byte: 32 × "é" is 64 bytes in 32 characters.
    let accented = "é".repeat(32);
    let errors = entity_errors(&format!(
        r#"struct T {{ #[entity(rename = "{accented}")] a: i32 }}"#
    ));
    assert!(errors.contains("64 bytes long"), "{errors}");
}

#[test]
fn entity_def_round_trips_through_json() {
    // The derive ships the parser's output as JSON: every shape must come back equal,
    // including `unique` (Some(None)) versus no `unique` (None).
    let def = entity(
        r#"struct T { #[entity(unique)] a: i32, #[entity(unique = "t_b")] b: i32, c: i32 }"#,
    );
    let json = serde_json::to_string(&def).map_err(|e| e.to_string());
    let back: Result<EntityDef, String> =
        json.and_then(|j| serde_json::from_str(&j).map_err(|e| e.to_string()));
    assert_eq!(back, Ok(def));
}

#[test]
fn bare_option_words_in_index_and_unique_lists_are_fields() {
    // gen_strata.py's `index(name, created_at)`: a field called `name`, not the option.
    let def = entity(
        r#"
        #[entity(index(name, created_at), index(method, expr, where = "name <> ''"))]
        #[entity(unique(name, method, name = "t_name_method_key"))]
        struct T {
            #[entity(primary_key)]
            id: i64,
            name: String,
            method: String,
            expr: String,
            created_at: i64,
        }
    "#,
    );
    let keys: Vec<_> = def.indexes.iter().map(|i| i.keys.clone()).collect();
    assert_eq!(
        keys,
        [
            vec![
                IndexKey::Field("name".into()),
                IndexKey::Field("created_at".into())
            ],
            vec![
                IndexKey::Field("method".into()),
                IndexKey::Field("expr".into())
            ],
        ]
    );
    assert_eq!(def.indexes[0].name, None);
    assert_eq!(def.indexes[1].predicate.as_deref(), Some("name <> ''"));
    assert_eq!(def.uniques[0].fields, ["name", "method"]);
    assert_eq!(def.uniques[0].name.as_deref(), Some("t_name_method_key"));
}

#[test]
fn key_options_collations_and_per_key_index_options_parse() {
    let def = entity(
        r#"
        #[entity(primary_key(id, deferrable))]
        #[entity(unique(room, slot, nulls_not_distinct, initially_deferred, name = "t_slot_key"))]
        #[entity(index(key(name, collation = "C", order = "desc nulls last"), key(expr = "lower(name)", opclass = "text_pattern_ops"), code, collation = "en_US.utf8"))]
        #[entity(index(code, unique, nulls_not_distinct))]
        struct T {
            id: i64,
            room: Option<i32>,
            slot: Option<i32>,
            #[entity(collation = "C", index(collation = "billing.\"German\""))]
            name: String,
            #[entity(unique(nulls_not_distinct, deferrable))]
            code: Option<String>,
            key: i32,
        }
    "#,
    );
    insta::assert_json_snapshot!(def);
}

#[test]
fn a_bare_key_is_a_field_and_key_with_a_list_is_one_key() {
    let def = entity(r#"#[entity(index(key, key(key, order = "desc")))] struct T { key: i32 }"#);
    assert_eq!(
        def.indexes[0].keys,
        [IndexKey::Field("key".into()), IndexKey::Field("key".into())]
    );
    assert_eq!(def.indexes[0].key_options[0], Default::default());
    assert_eq!(def.indexes[0].key_options[1].order.as_deref(), Some("DESC"));
}

#[test]
fn key_option_mistakes_are_errors_at_their_attribute() {
    insta::assert_snapshot!(entity_errors(
        r#"
        #[entity(primary_key(id, nulls_not_distinct))]
        #[entity(unique(a, deferrable = true, nulls_not_distinct, nulls_not_distinct))]
        #[entity(index(a, nulls_not_distinct))]
        #[entity(index(key(a, b), key(order = "desc"), key(a, colation = "C")))]
        #[entity(index(a, collation = "not a name"), index(b, collation = ""))]
        struct T {
            id: i64,
            #[entity(collation = 3)]
            a: String,
            #[entity(collation = "C")]
            n: i32,
            #[entity(collation = "x\"y", unique(nulls_not_distinct, cascade))]
            b: String,
        }
    "#
    ));
}

#[test]
fn exclusion_constraints_parse() {
    let def = entity(
        r#"
        #[entity(exclude(elements = "room WITH =, during WITH &&", where = "NOT cancelled", include(id), deferrable))]
        #[entity(exclude(name = "t_no_overlap", method = "spgist", elements = "during WITH &&", initially_deferred))]
        struct T { id: i32, room: i32, during: String, cancelled: bool }
    "#,
    );
    insta::assert_json_snapshot!(def.exclusions);
}

#[test]
fn exclusion_mistakes_are_errors_at_their_attribute() {
    insta::assert_snapshot!(entity_errors(
        r#"
        #[entity(exclude(method = "gist"), exclude(elements = "a WITH =; DROP TABLE t", nulls_not_distinct))]
        #[entity(exclude(elements = "a WITH =", include(nope), using = "gist", method = "r tree"))]
        struct T { a: i32 }
    "#
    ));
}

#[test]
fn key_names_unique_field_indexes_and_string_type_parse() {
    let def = entity(
        r#"
        #[entity(primary_key(tenant, id, name = "legacy_pkey1", deferrable), string_type = "varchar")]
        struct Doc {
            tenant: i32,
            id: i64,
            #[entity(index(unique, nulls_not_distinct, name = "doc_slug_uidx"))]
            slug: String,
        }
    "#,
    );
    assert_eq!(def.primary_key, ["tenant", "id"]);
    assert_eq!(def.primary_key_name.as_deref(), Some("legacy_pkey1"));
    assert!(def.primary_key_options.deferrable);
    assert_eq!(def.string_type.as_deref(), Some("varchar"));
    let index = def.fields[2].index.as_deref().expect("an index");
    assert!(index.unique && index.nulls_not_distinct);
    assert_eq!(index.name.as_deref(), Some("doc_slug_uidx"));

    for field_level in [
        r#"struct A { #[entity(primary_key = "a_key")] id: i64 }"#,
        r#"struct A { #[entity(primary_key(name = "a_key", initially_deferred))] id: i64 }"#,
    ] {
        let def = entity(field_level);
        assert!(def.fields[0].primary_key, "{field_level}");
        assert_eq!(
            def.primary_key_name.as_deref(),
            Some("a_key"),
            "{field_level}"
        );
    }
    assert!(
        entity(r#"struct A { #[entity(primary_key(name = "k", initially_deferred))] id: i64 }"#)
            .primary_key_options
            .initially_deferred
    );
}

#[test]
fn key_name_mistakes_are_errors_at_their_attribute() {
    insta::assert_snapshot!(entity_errors(
        r#"
        #[entity(primary_key(a, b, name = "k1"))]
        struct T {
            #[entity(primary_key = "k2")]
            a: i64,
            #[entity(primary_key(name = "k3", nulls_not_distinct, cascade))]
            b: i64,
            #[entity(index(nulls_not_distinct), string_type = "varchar")]
            c: String,
        }
    "#
    ));
}
