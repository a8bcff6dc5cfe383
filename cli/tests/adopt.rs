//! A database that strata did not build: tables created by hand with plain SQL and
//! entities that match them must give "No changes", whatever spelling PostgreSQL
//! chose for types, defaults and constraint names.

mod support;

use strata_tests::TestDb;
use support::Project;

const HAND_WRITTEN_SQL: &str = r#"
CREATE SCHEMA crm;
CREATE TABLE "user" (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email varchar(320) NOT NULL UNIQUE,
    nick VARCHAR,
    age int4 NOT NULL DEFAULT 0,
    score float8,
    ratio float4 NOT NULL DEFAULT 1.5,
    balance decimal(12, 2) NOT NULL DEFAULT 0.00,
    active bool NOT NULL DEFAULT true,
    tags text[] NOT NULL DEFAULT ARRAY[]::text[],
    small int2[] NOT NULL DEFAULT '{5}',
    big int8 NOT NULL DEFAULT -1,
    meta jsonb NOT NULL DEFAULT '{"a": 1}',
    created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    seen_at timestamp DEFAULT (now() at time zone 'utc'),
    born date,
    wakes time,
    photo bytea,
    ip inet
);
COMMENT ON TABLE "user" IS 'People';
COMMENT ON COLUMN "user".email IS 'Where we write to';
CREATE TABLE crm."order" (
    id bigint GENERATED ALWAYS AS IDENTITY,
    line int4 NOT NULL,
    ref serial,
    note text NOT NULL DEFAULT 'n/a',
    PRIMARY KEY (id, line)
);
"#;

const MATCHING_ENTITIES: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "user", comment = "People")]
pub struct User {
    #[entity(primary_key, default = "gen_random_uuid()")]
    pub id: uuid::Uuid,
    #[entity(length = 320, unique, comment = "Where we write to")]
    pub email: String,
    #[entity(sql_type = "varchar")]
    pub nick: Option<String>,
    #[entity(default = "0")]
    pub age: i32,
    pub score: Option<f64>,
    #[entity(default = "1.5")]
    pub ratio: f32,
    #[entity(precision = 12, scale = 2, default = "0.00")]
    pub balance: rust_decimal::Decimal,
    #[entity(default = "true")]
    pub active: bool,
    #[entity(default = "ARRAY[]::text[]")]
    pub tags: Vec<String>,
    #[entity(default = "'{5}'")]
    pub small: Vec<i16>,
    #[entity(default = "-1")]
    pub big: i64,
    #[entity(default = "'{\"a\": 1}'")]
    pub meta: serde_json::Value,
    #[entity(default = "CURRENT_TIMESTAMP")]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[entity(default = "(now() at time zone 'utc')")]
    pub seen_at: Option<chrono::NaiveDateTime>,
    pub born: Option<chrono::NaiveDate>,
    pub wakes: Option<chrono::NaiveTime>,
    pub photo: Option<Vec<u8>>,
    pub ip: Option<std::net::IpAddr>,
    #[sqlx(skip)]
    pub cache: Vec<String>,
}

#[derive(strata::Entity)]
#[entity(schema = "crm", table_name = "order", primary_key(id, line))]
pub struct Order {
    #[entity(identity = "always")]
    pub id: i64,
    pub line: i32,
    #[entity(serial, rename = "ref")]
    pub reference: i32,
    #[entity(default = "'n/a'")]
    pub note: String,
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_built_database_with_matching_entities_has_no_changes() {
    let db = TestDb::new().await;
    db.execute(HAND_WRITTEN_SQL).await;
    let project = Project::new("adopt", &db);
    project.write_entities(MATCHING_ENTITIES);

    let out = project.strata(&["generate", "adopt"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("No changes"),
        "{out}\n{}",
        project.strata(&["diff", "--format", "sql"])
    );
    assert!(project.migration_files().is_empty(), "nothing is written");

    let check = project.strata(&["generate", "adopt", "--check"]);
    assert_eq!(check.code, 0, "{check}");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_exits_1_when_a_migration_would_be_generated() {
    let db = TestDb::new().await;
    db.execute(HAND_WRITTEN_SQL).await;
    let project = Project::new("adopt-check", &db);
    project.write_entities(&MATCHING_ENTITIES.replace("pub line: i32,", "pub line: i64,"));

    let check = project.strata(&["generate", "widen", "--check"]);
    assert_eq!(check.code, 1, "{check}");
    assert!(
        project.migration_files().is_empty(),
        "--check writes nothing"
    );
}
