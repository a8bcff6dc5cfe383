use super::*;
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
    let entities: Vec<EntityDef> = sources.iter().map(|s| entity(s)).collect();
    lower(&entities, &[])
        .expect_err("should not lower")
        .iter()
        .map(ToString::to_string)
        .collect()
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
fn enum_types_are_reported_as_not_supported_yet() {
    let status = parse_db_enum(
        &syn::parse_str(
            r#"#[derive(DbEnum)] #[sqlx(type_name = "status")] enum Status { Open, Closed }"#,
        )
        .expect("valid Rust"),
    )
    .expect("valid enum");
    let user = entity(
        r#"#[derive(Entity)] struct User { #[entity(primary_key)] id: i64, status: Status }"#,
    );
    let errors = lower(&[user], &[status]).expect_err("enums wait for the next issue");
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 2, "{text:?}");
    assert!(
        text.iter().all(|t| t.contains("not supported yet")),
        "{text:?}"
    );
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
