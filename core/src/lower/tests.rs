use super::*;
use crate::entity::DbEnumDef;
use crate::parse::{parse_db_enum, parse_entity};

fn entity(source: &str) -> EntityDef {
    let input = syn::parse_str(source).expect("valid Rust");
    parse_entity(&input).expect("valid attributes")
}

fn lowered(sources: &[&str]) -> Schema {
    let entities: Vec<EntityDef> = sources.iter().map(|s| entity(s)).collect();
    lower(&entities, &[]).expect("lowers")
}

fn problems(sources: &[&str]) -> Vec<String> {
    problems_with(sources, &[])
}

fn db_enum(source: &str) -> DbEnumDef {
    parse_db_enum(&syn::parse_str(source).expect("valid Rust")).expect("valid enum")
}

fn lowered_with(sources: &[&str], enums: &[&str]) -> Schema {
    let entities: Vec<EntityDef> = sources.iter().map(|s| entity(s)).collect();
    let enums: Vec<DbEnumDef> = enums.iter().map(|s| db_enum(s)).collect();
    lower(&entities, &enums).unwrap_or_else(|e| panic!("lowers: {e:#?}"))
}

fn problems_with(sources: &[&str], enums: &[&str]) -> Vec<String> {
    let entities: Vec<EntityDef> = sources.iter().map(|s| entity(s)).collect();
    let enums: Vec<DbEnumDef> = enums.iter().map(|s| db_enum(s)).collect();
    lower(&entities, &enums)
        .expect_err("should not lower")
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn table<'s>(schema: &'s Schema, name: &str) -> &'s Table {
    schema
        .tables
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no table {name}"))
}

#[test]
fn every_type_of_the_type_map_is_spelled_as_format_type_spells_it() {
    let schema = lowered(&[r#"
        #[derive(Entity)]
        struct AllTypes {
            a: bool, b: i16, c: i32, d: i64, e: f32, f: f64, g: String,
            #[entity(length = 7)] h: String, i: Vec<u8>, j: uuid::Uuid,
            k: DateTime<Utc>, #[entity(precision = 3)] l: DateTime<Utc>,
            m: NaiveDateTime, n: NaiveDate, o: NaiveTime, p: Decimal,
            #[entity(precision = 10, scale = 2)] q: Decimal, #[entity(precision = 5)] r: Decimal,
            s: serde_json::Value, t: IpAddr, u: Vec<i64>, #[entity(length = 3)] v: Vec<String>,
            w: Option<Vec<Decimal>>, #[entity(sql_type = "citext")] x: String,
        }
    "#]);
    let types: Vec<(String, String, bool)> = schema.tables[0]
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.ty.clone(), c.nullable))
        .collect();
    insta::assert_debug_snapshot!(types);
}

#[test]
fn tables_default_to_snake_case_in_public_and_keys_get_postgres_names() {
    let schema = lowered(&[
        r#"#[derive(Entity)] #[entity(unique(a, b))] struct OrderLine {
            #[entity(primary_key)] id: i64, #[entity(unique)] a: i32, b: i32,
            #[entity(unique = "custom_name")] c: i32 }"#,
        r#"#[derive(Entity)] #[entity(schema = "crm", primary_key(x, y))] struct Lead { x: i32, y: i32 }"#,
    ]);
    assert_eq!(schema.schemas, vec!["crm", "public"]);
    let lead = &schema.tables[0];
    assert_eq!((lead.schema.as_str(), lead.name.as_str()), ("crm", "lead"));
    assert_eq!(
        lead.primary_key.as_ref().map(|pk| pk.name.as_str()),
        Some("lead_pkey")
    );
    let line = &schema.tables[1];
    assert_eq!(line.name, "order_line");
    let uniques: Vec<(&str, Vec<String>)> = line
        .uniques
        .iter()
        .map(|u| (u.name.as_str(), u.columns.clone()))
        .collect();
    assert_eq!(
        uniques,
        vec![
            ("custom_name", vec!["c".to_string()]),
            ("order_line_a_b_key", vec!["a".to_string(), "b".to_string()]),
            ("order_line_a_key", vec!["a".to_string()]),
        ]
    );
}

#[test]
fn long_names_are_truncated_and_numbered_as_postgres_does() {
    let long = "a_table_name_that_is_long_enough_to_need_truncation_xyz";
    let col = "a_column_name_that_is_also_rather_long_";
    let source = format!(
        r#"#[derive(Entity)] #[entity(table_name = "{long}")] struct T {{
            #[entity(unique)] {col}1: i32, #[entity(unique)] {col}2: i32 }}"#
    );
    let schema = lowered(&[&source]);
    let names: Vec<&str> = schema.tables[0]
        .uniques
        .iter()
        .map(|u| u.name.as_str())
        .collect();
    assert!(names.iter().all(|n| n.len() <= 63), "{names:?}");
    assert_eq!(names.len(), 2);
    assert!(names.iter().any(|n| n.ends_with("_key1")), "{names:?}");
}

#[test]
fn problems_are_all_reported_and_name_the_entity_and_field() {
    let found = problems(&[
        r#"#[derive(Entity)] #[entity(table_name = "t")] struct A { #[entity(primary_key)] id: i64, mood: Mood }"#,
        r#"#[derive(Entity)] #[entity(table_name = "t")] struct B { #[entity(index)] id: i64, #[entity(check = "id > 0")] x: i32 }"#,
    ]);
    insta::assert_snapshot!(found.join("\n"));
}

#[test]
fn serial_needs_an_integer_and_primary_keys_are_not_null() {
    let schema = lowered(&[
        r#"#[derive(Entity)] #[entity(primary_key(a))] struct P { a: i32, #[entity(serial)] b: i64 }"#,
    ]);
    let t = &schema.tables[0];
    assert!(!t.columns[0].nullable);
    assert!(t.columns[1].serial);
}

#[test]
fn enums_become_types_and_columns_name_them_as_format_type_does() {
    let schema = lowered_with(
        &[r#"#[derive(Entity)] struct User {
            #[entity(primary_key)] id: i64,
            status: UserStatus, old: Option<billing::Status>, history: Vec<UserStatus>,
            shape: Point, #[entity(rename = "kind")] k: UserKind }"#],
        &[
            r#"#[sqlx(type_name = "user_status", rename_all = "snake_case")]
               enum UserStatus { Active, #[entity(renamed_from = "banned")] Suspended, OnHold }"#,
            r#"#[sqlx(type_name = "billing.status")] enum Status { Open, Closed }"#,
            // A `point` in public is hidden by pg_catalog's `point`: format_type qualifies it.
            r#"#[sqlx(type_name = "point")] enum Point { Origin }"#,
            // `user` is a keyword: quoted.
            r#"#[sqlx(type_name = "User Kind")] enum UserKind { Human }"#,
            // Declared, used by no column: created all the same.
            r#"#[sqlx(type_name = "crm.unused")] enum Unused { A }"#,
        ],
    );
    assert_eq!(schema.schemas, ["billing", "crm", "public"]);
    let columns: Vec<(&str, &str, bool)> = schema.tables[0]
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.ty.as_str(), c.nullable))
        .collect();
    assert_eq!(
        columns,
        [
            ("id", "bigint", false),
            ("status", "user_status", false),
            ("old", "billing.status", true),
            ("history", "user_status[]", false),
            ("shape", "public.point", false),
            ("kind", "\"User Kind\"", false),
        ]
    );
    insta::assert_json_snapshot!(schema.enums);
}

#[test]
fn enum_problems() {
    let found = problems_with(
        &[
            r#"#[derive(Entity)] #[entity(table_name = "mood")] struct M { #[entity(primary_key)] id: i64 }"#,
        ],
        &[
            r#"#[sqlx(type_name = "status")] enum Status { A }"#,
            r#"#[sqlx(type_name = "status")] enum Other { A }"#,
            r#"#[sqlx(type_name = "public.mood")] enum Mood { Happy }"#,
            r#"#[sqlx(type_name = "crm.mood")] enum Mood { Sad }"#,
        ],
    );
    insta::assert_snapshot!(found.join("\n"));
}

#[test]
fn generated_columns_keep_their_expression() {
    let schema = lowered(&[r#"#[derive(Entity)] struct Line {
        #[entity(primary_key)] id: i64, price: i64, qty: i32,
        #[entity(generated = "price * qty")] total: Option<i64> }"#]);
    let t = &schema.tables[0];
    assert_eq!(t.columns[3].generated.as_deref(), Some("price * qty"));
    assert_eq!(t.columns[3].default, None);
    assert!(t.columns[..3].iter().all(|c| c.generated.is_none()));
}

#[test]
fn checks_are_named_after_their_only_column_as_postgres_names_them() {
    let schema = lowered(&[r#"#[derive(Entity)]
        #[entity(check = "age < 200", check = "min_age <= age")]
        #[entity(check(name = "named_one", expr = "length(name) > 0"), check = "true")]
        struct Person {
            #[entity(primary_key)] id: i64,
            #[entity(check = "age >= 0 AND age <> 13")] age: i32,
            // A field's check is named after what it uses, not after the field.
            #[entity(check = "age >= min_age")] min_age: i32,
            #[entity(rename = "Full Name", check = "\"Full Name\" <> 'age'")] name: String,
        }"#]);
    let checks: Vec<(&str, &str)> = schema.tables[0]
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.expr.as_str()))
        .collect();
    assert_eq!(
        checks,
        [
            ("named_one", "length(name) > 0"),
            ("person_Full Name_check", "\"Full Name\" <> 'age'"),
            ("person_age_check", "age >= 0 AND age <> 13"),
            ("person_age_check1", "age < 200"),
            ("person_check", "age >= min_age"),
            ("person_check1", "min_age <= age"),
            ("person_check2", "true"),
        ]
    );
}

#[test]
fn indexes_spell_keys_as_pg_get_indexdef_and_take_postgres_default_names() {
    let schema = lowered(&[r#"#[derive(Entity)]
        #[entity(index(last_name, first_name), index(expr = "lower(email)", unique))]
        #[entity(index(expr = "(a + b)", expr = "(a - b)", method = "brin"))]
        #[entity(index(email, unique, include(order_no), where = "deleted_at IS NULL"))]
        #[entity(index(order_no, name = "by_order", method = "hash"), index(email))]
        struct Account {
            #[entity(primary_key)] id: i64,
            #[entity(index)] email: String,
            first_name: String, last_name: String, a: i32, b: i32,
            #[entity(index(method = "gin", where = "tags <> '{}'"))] tags: Vec<String>,
            #[entity(rename = "order", index(name = "account_order"))] order_no: i32,
            #[entity(rename = "Zip Code", index)] zip: String,
            deleted_at: Option<NaiveDateTime>,
        }"#]);
    insta::assert_json_snapshot!(table(&schema, "account").indexes);
}

#[test]
fn index_problems_postgres_would_refuse() {
    let found = problems(&[r#"#[derive(Entity)]
        #[entity(index(tags, unique, method = "gin"), index(a, b, method = "hash"))]
        #[entity(index(a, include(b), method = "brin"))]
        struct T { #[entity(primary_key)] id: i64, a: i32, b: i32, tags: Vec<String> }"#]);
    insta::assert_snapshot!(found.join("\n"));
}

const ORG: &str = r#"#[derive(Entity)] #[entity(schema = "crm", unique(region, code))]
    struct Org { #[entity(primary_key)] id: i64, region: String,
                 #[entity(rename = "org_code")] code: String,
                 #[entity(unique)] slug: String }"#;

#[test]
fn foreign_keys_resolve_entities_by_rust_name_and_take_postgres_default_names() {
    let schema = lowered(&[
        r#"#[derive(Entity)]
        #[entity(foreign_key(columns(region, code), references = Org, ref_columns(region, code), on_update = "cascade"))]
        #[entity(foreign_key(columns(slug), references = Org, ref_columns(slug), deferrable, name = "member_slug_fk"))]
        struct Member {
            #[entity(primary_key)] id: i64,
            #[entity(foreign_key(Org, on_delete = "cascade"))] org_id: i64,
            #[entity(foreign_key(Org, column = "slug", on_delete = "set null"))] org_slug: Option<String>,
            #[entity(references = "geo.countries(code)", on_delete = "restrict", deferrable)] country: String,
            #[entity(foreign_key(Member))] mentor_id: Option<i64>,
            #[entity(foreign_key(Self))] buddy_id: Option<i64>,
            region: String, code: String, slug: String,
        }"#,
        ORG,
    ]);
    insta::assert_json_snapshot!(table(&schema, "member").foreign_keys);
}

#[test]
fn foreign_key_problems() {
    let found = problems(&[
        r#"#[derive(Entity)] struct Keyless { a: i32, b: i32 }"#,
        r#"#[derive(Entity)] #[entity(primary_key(a, b))] struct Pair { a: i32, b: i32, c: i32 }"#,
        ORG,
        r#"#[derive(Entity)]
        #[entity(foreign_key(columns(x, y), references = Org))]
        #[entity(foreign_key(columns(x), references = Org, ref_columns(region)))]
        #[entity(foreign_key(columns(x, y), references = Org, ref_columns(code, region)))]
        struct Bad {
            #[entity(primary_key)] id: i64,
            #[entity(foreign_key(Team))] team_id: i64,
            #[entity(foreign_key(Keyless))] keyless: i32,
            #[entity(foreign_key(Pair))] pair: i32,
            #[entity(foreign_key(Org, column = "nope"))] org: i64,
            #[entity(references = "audit.log")] log_id: i64,
            #[entity(references = "crm.org(region)")] region: String,
            #[entity(references = "crm.org(missing)")] missing: String,
            x: String, y: String,
        }"#,
    ]);
    insta::assert_snapshot!(found.join("\n"));
}

#[test]
fn declared_names_are_reserved_before_any_default_in_the_whole_schema() {
    // `a` comes first and its defaults would be `t_x_idx`, `t_x_check`, `t_x_key`,
    // `t_x_fkey`; `b` declares those names on another table of the schema.
    let schema = lowered(&[
        r#"#[derive(Entity)] #[entity(table_name = "t")] struct A {
            #[entity(primary_key)] id: i64,
            #[entity(index, check = "x > 0", unique, foreign_key(B))] x: i64 }"#,
        r#"#[derive(Entity)] #[entity(table_name = "u")]
        #[entity(index(y, name = "t_x_idx"), check(name = "t_x_check", expr = "y > 0"))]
        #[entity(unique(y, name = "t_x_key"), foreign_key(columns(y), references = A, name = "t_x_fkey"))]
        struct B { #[entity(primary_key)] y: i64 }"#,
        // Another schema is another namespace: nothing to avoid there.
        r#"#[derive(Entity)] #[entity(schema = "other", table_name = "t")] struct C {
            #[entity(primary_key)] id: i64, #[entity(index(name = "t_id_idx"))] x: i64 }"#,
    ]);
    let t = schema.table("public", "t").expect("public.t");
    assert_eq!(t.indexes[0].name, "t_x_idx1");
    assert_eq!(t.checks[0].name, "t_x_check1");
    assert_eq!(t.uniques[0].name, "t_x_key1");
    assert_eq!(t.foreign_keys[0].name, "t_x_fkey1");
}

#[test]
fn column_declarations_are_named_before_table_ones() {
    let schema = lowered(&[r#"#[derive(Entity)]
        #[entity(index(a), check = "a < 10", unique(a))]
        #[entity(foreign_key(columns(a), references = T))]
        struct T { #[entity(primary_key, index, check = "a > 0", unique, foreign_key(T))] a: i64 }"#]);
    let t = &schema.tables[0];
    let name_expr = |i: &crate::schema::Index| (i.name.clone(), i.keys.clone());
    assert_eq!(
        t.indexes.iter().map(name_expr).collect::<Vec<_>>(),
        [
            ("t_a_idx".to_string(), vec!["a".to_string()]),
            ("t_a_idx1".to_string(), vec!["a".to_string()])
        ]
    );
    let checks: Vec<(&str, &str)> = t
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.expr.as_str()))
        .collect();
    assert_eq!(checks, [("t_a_check", "a > 0"), ("t_a_check1", "a < 10")]);
    let uniques: Vec<&str> = t.uniques.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(uniques, ["t_a_key", "t_a_key1"]);
    let fks: Vec<&str> = t.foreign_keys.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fks, ["t_a_fkey", "t_a_fkey1"]);
}

#[test]
fn declared_names_that_postgres_would_refuse_twice() {
    let found = problems(&[
        r#"#[derive(Entity)] #[entity(table_name = "t")]
        #[entity(index(a, name = "dup_idx"), index(b, name = "u"), check(name = "c1", expr = "a > 0"))]
        #[entity(check(name = "c1", expr = "b > 0"), unique(a, name = "k1"))]
        struct A { #[entity(primary_key)] id: i64, #[entity(foreign_key(A, name = "k1"))] a: i64, b: i64 }"#,
        r#"#[derive(Entity)] #[entity(table_name = "u")]
        #[entity(index(x, name = "dup_idx"), check(name = "c1", expr = "x > 0"))]
        struct B { #[entity(primary_key, unique = "dup_idx")] x: i64 }"#,
        // The same names in another schema are fine.
        r#"#[derive(Entity)] #[entity(schema = "s", table_name = "t")]
        #[entity(index(x, name = "dup_idx"))]
        struct C { #[entity(primary_key)] x: i64 }"#,
    ]);
    insta::assert_snapshot!(found.join("\n"));
}

#[test]
fn key_options_and_collations_lower_as_introspection_reads_them() {
    let schema = lowered(&[r#"#[derive(Entity)]
        #[entity(primary_key(id, initially_deferred), unique(a, b, nulls_not_distinct, deferrable))]
        #[entity(index(key(name, collation = "C", order = "desc"), key(title, collation = "default"), collation = "POSIX"))]
        #[entity(index(key(expr = "lower(title)", collation = "default", opclass = "text_pattern_ops"), a))]
        #[entity(index(a, b, unique, nulls_not_distinct))]
        struct T {
            id: i64, a: Option<i32>, b: Option<i32>,
            #[entity(collation = "C", index(collation = "C"))] name: String,
            #[entity(collation = "default", index(collation = "de-x-icu"))] title: String,
            #[entity(unique(name = "t_code_uq", nulls_not_distinct))] code: Option<String>,
        }"#]);
    let t = table(&schema, "t");
    let columns: Vec<_> = t.columns.iter().map(|c| (&c.name, &c.collation)).collect();
    let keys = (&t.primary_key, &t.uniques);
    insta::assert_debug_snapshot!((columns, keys));
    // A key's collation equal to its column's is no collation of its own: `""`.
    insta::assert_json_snapshot!(t.indexes);
}

#[test]
fn a_foreign_key_to_a_deferrable_key_is_refused_as_postgres_would() {
    let found = problems(&[
        r#"#[derive(Entity)] #[entity(primary_key(id, deferrable))]
        struct Org { id: i64, #[entity(unique(initially_deferred))] code: String }"#,
        r#"#[derive(Entity)] struct Member {
            #[entity(primary_key)] id: i64,
            #[entity(foreign_key(Org))] org_id: i64,
            #[entity(foreign_key(Org, column = "code"))] org_code: String,
        }"#,
    ]);
    insta::assert_snapshot!(found.join("\n"));
}

#[test]
fn exclusion_constraints_are_named_as_postgres_names_them() {
    let schema = lowered(&[r#"#[derive(Entity)]
        #[entity(exclude(elements = "room WITH =, during WITH &&", where = "NOT cancelled", include(id), deferrable))]
        #[entity(exclude(elements = "tsrange(starts, ends) WITH &&", method = "gist"))]
        #[entity(exclude(name = "t_mine", elements = "room WITH ="))]
        struct T { #[entity(primary_key)] id: i32, room: i32, during: String, starts: String, ends: String, cancelled: bool }"#]);
    insta::assert_json_snapshot!(table(&schema, "t").exclusions);
}

#[test]
fn a_struct_bound_to_a_view_is_no_table_and_declares_nothing_a_table_has() {
    let schema = lowered(&[
        r#"#[entity(table_name = "users", row_level_security)]
        struct User { #[entity(primary_key)] id: i64, name: String }"#,
        r#"#[entity(view = "SELECT id, name FROM users")]
        struct UserName { id: i64, name: Option<String> }"#,
    ]);
    let tables: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tables, ["users"]);
    assert_eq!(schema.bound_views.len(), 1);
    let v = &schema.bound_views[0];
    assert_eq!(
        (v.name.as_str(), v.entity.as_str()),
        ("user_name", "UserName")
    );
    assert_eq!(
        v.columns,
        [
            ("id".to_string(), "id".to_string(), "bigint".to_string()),
            ("name".to_string(), "name".to_string(), "text".to_string()),
        ]
    );
    let rls: Vec<(&str, bool)> = schema
        .objects
        .table_properties
        .iter()
        .map(|p| (p.table.as_str(), p.row_security))
        .collect();
    assert_eq!(rls, [("users", true)]);

    let refused = problems(&[r#"#[entity(view = "db/v.sql", row_level_security)]
        struct V { #[entity(primary_key)] id: i64, #[entity(index)] name: String }"#]);
    assert_eq!(refused.len(), 3, "{refused:#?}");
    assert!(refused[0].starts_with("V: a struct bound to a view (`view = ...`) declares no keys"));
    assert!(refused[1].contains("no indexes"), "{refused:#?}");
    assert!(refused[2].contains("row level security"), "{refused:#?}");
}
