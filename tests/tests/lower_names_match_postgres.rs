//! `lower` against the real thing: tables written by hand in SQL, leaving every check,
//! index and foreign key for PostgreSQL to name, must introspect to the very names,
//! key spellings, foreign key fields and enum column types that lowering the matching
//! entities gives. Otherwise `generate` would see differences where there are none.

#![allow(dead_code)]

use sqlx::Row;
use strata::{DbEnum as _, Entity as _};
use strata_core::introspect::introspect;
use strata_core::lower::lower;
use strata_core::names::is_pg_catalog_type_name;
use strata_core::schema::{Schema, Table};
use strata_tests::TestDb;

#[derive(strata::DbEnum)]
#[sqlx(type_name = "user_status", rename_all = "snake_case")]
enum UserStatus {
    Active,
    Suspended,
}

#[derive(strata::DbEnum)]
#[sqlx(type_name = "billing.status")]
enum BillStatus {
    Open,
    Closed,
}

/// pg_catalog has a `point`: a public enum of that name is printed `public.point`.
#[derive(strata::DbEnum)]
#[sqlx(type_name = "point")]
enum Point {
    Origin,
}

#[derive(strata::Entity)]
#[entity(schema = "billing", table_name = "org", unique(region, code))]
struct Org {
    #[entity(primary_key)]
    id: i64,
    region: String,
    code: String,
    status: BillStatus,
}

#[derive(strata::Entity)]
#[entity(table_name = "users", index(last_name, first_name))]
#[entity(index(expr = "lower(email)", unique), index(email, include(region)))]
#[entity(check = "min_age <= age", check = "true")]
#[entity(foreign_key(columns(region, code), references = Org, ref_columns(region, code), on_update = "cascade", deferrable))]
struct User {
    #[entity(primary_key)]
    id: i64,
    #[entity(index)]
    email: String,
    first_name: String,
    last_name: String,
    #[entity(check = "age >= 0")]
    age: i32,
    /// Two columns: named after the table alone.
    #[entity(check = "age >= min_age")]
    min_age: i32,
    #[entity(foreign_key(Org, on_delete = "cascade"))]
    org_id: i64,
    #[entity(rename = "order", index, check = "\"order\" > 0")]
    order_no: i32,
    #[entity(foreign_key(User, on_delete = "set null"))]
    referrer_id: Option<i64>,
    region: String,
    code: String,
    status: UserStatus,
    shape: Option<Point>,
    history: Vec<UserStatus>,
}

/// The same tables, with no constraint or index named.
const BY_HAND: &str = r#"
CREATE SCHEMA billing;
CREATE TYPE user_status AS ENUM ('active', 'suspended');
CREATE TYPE billing.status AS ENUM ('Open', 'Closed');
CREATE TYPE public.point AS ENUM ('Origin');
CREATE TABLE billing.org (
    id bigint PRIMARY KEY,
    region text NOT NULL,
    code text NOT NULL,
    status billing.status NOT NULL,
    UNIQUE (region, code)
);
CREATE TABLE users (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    first_name text NOT NULL,
    last_name text NOT NULL,
    age integer NOT NULL CHECK (age >= 0),
    min_age integer NOT NULL CHECK (age >= min_age),
    org_id bigint NOT NULL,
    "order" integer NOT NULL CHECK ("order" > 0),
    referrer_id bigint,
    region text NOT NULL,
    code text NOT NULL,
    status user_status NOT NULL,
    shape public.point,
    history user_status[] NOT NULL,
    CHECK (min_age <= age),
    CHECK (true)
);
CREATE INDEX ON users (email);
CREATE INDEX ON users ("order");
CREATE INDEX ON users (last_name, first_name);
CREATE UNIQUE INDEX ON users (lower(email));
CREATE INDEX ON users (email) INCLUDE (region);
ALTER TABLE users ADD FOREIGN KEY (org_id) REFERENCES billing.org ON DELETE CASCADE;
ALTER TABLE users ADD FOREIGN KEY (referrer_id) REFERENCES users ON DELETE SET NULL;
ALTER TABLE users ADD FOREIGN KEY (region, code) REFERENCES billing.org (region, code)
    ON UPDATE CASCADE DEFERRABLE;
"#;

fn desired() -> Schema {
    let entities = [Org::entity(), User::entity()];
    let enums = [
        UserStatus::db_enum(),
        BillStatus::db_enum(),
        Point::db_enum(),
    ];
    match lower(&entities, &enums) {
        Ok(schema) => schema,
        Err(problems) => panic!("the entities lower: {problems:#?}"),
    }
}

async fn current(db: &TestDb) -> Schema {
    let mut conn = db.connect().await;
    let schemas = ["billing".to_string(), "public".to_string()];
    introspect(&mut conn, &schemas, &[])
        .await
        .expect("introspect")
}

fn table<'s>(schema: &'s Schema, ns: &str, name: &str) -> &'s Table {
    schema
        .table(ns, name)
        .unwrap_or_else(|| panic!("no table {ns}.{name} in {schema:#?}"))
}

#[tokio::test]
async fn lowered_names_and_spellings_equal_what_postgres_chose() {
    let db = TestDb::new().await;
    db.execute(BY_HAND).await;
    let (want, have) = (desired(), current(&db).await);

    for (ns, name) in [("billing", "org"), ("public", "users")] {
        let (w, h) = (table(&want, ns, name), table(&have, ns, name));
        assert_eq!(w.primary_key, h.primary_key, "{ns}.{name} primary key");
        assert_eq!(w.uniques, h.uniques, "{ns}.{name} uniques");
        // Expressions are the user's text until canonicalized: compare the names here.
        let check_names = |t: &Table| t.checks.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(check_names(w), check_names(h), "{ns}.{name} checks");
        // Every field of an index is spelled alike on both sides for these keys.
        assert_eq!(w.indexes, h.indexes, "{ns}.{name} indexes");
        // The key a foreign key leans on is read from the database only.
        let mut read = h.foreign_keys.clone();
        read.iter_mut().for_each(|fk| fk.ref_index = None);
        assert_eq!(w.foreign_keys, read, "{ns}.{name} foreign keys");
        let types = |t: &Table| {
            t.columns
                .iter()
                .map(|c| (c.name.clone(), c.ty.clone(), c.nullable))
                .collect::<Vec<_>>()
        };
        assert_eq!(types(w), types(h), "{ns}.{name} columns");
    }
    // The check names themselves, so a regression says which one moved.
    let users = table(&want, "public", "users");
    let names: Vec<&str> = users.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "users_age_check",
            "users_check",
            "users_check1",
            "users_check2",
            "users_order_check"
        ]
    );
    assert_eq!(want.enums, have.enums);
}

#[tokio::test]
async fn pg_catalog_type_names_are_all_known_to_qualified_type() {
    let db = TestDb::new().await;
    let mut c = db.connect().await;
    let rows = sqlx::query(
        "SELECT typname::text FROM pg_type \
         WHERE typnamespace = 'pg_catalog'::regnamespace AND typname NOT LIKE '\\_%'",
    )
    .fetch_all(&mut c)
    .await
    .expect("read pg_type");
    let missing: Vec<String> = rows
        .iter()
        .map(|r| r.get::<String, _>(0))
        .filter(|name| !is_pg_catalog_type_name(name))
        .collect();
    assert!(missing.is_empty(), "not in PG_CATALOG_TYPES: {missing:?}");
    assert!(!is_pg_catalog_type_name("user_status"));
}
