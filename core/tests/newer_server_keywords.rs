//! A keyword table from a newer server than the built-in PostgreSQL 15 one, installed
//! for the whole process: quoting, rendering, lowering and expression reading follow
//! it on every thread. (Its own test binary: installing a table is process-wide.)

use strata_core::lex::{keywords, Category, Keywords};
use strata_core::names::quote_ident;
use strata_core::{lower, parse, sql};

/// PostgreSQL 16's list differs from 15's by `system_user` (reserved).
fn postgres16() -> Keywords {
    Keywords::from_rows(
        Keywords::postgres15()
            .iter()
            .chain([("system_user", Category::Reserved)]),
    )
}

fn lowered() -> strata_core::schema::Schema {
    let input: syn::DeriveInput = syn::parse_str(
        r#"
        #[entity(index(system_user, position), check = "system_user <> '' AND position > 0")]
        struct Audit {
            #[entity(primary_key)]
            id: i64,
            system_user: String,
            position: i32,
        }
        "#,
    )
    .expect("test source parses");
    let entity = parse::parse_entity(&input).expect("entity parses");
    lower::lower(&[entity], &[]).expect("entity lowers")
}

#[test]
fn a_newer_servers_keywords_are_followed_once_installed() {
    // PostgreSQL 15: `system_user` is a plain name, and a column like any other.
    assert_eq!(quote_ident("system_user"), "system_user");
    let before = lowered();
    let table = &before.tables[0];
    assert_eq!(table.indexes[0].keys, ["system_user", "\"position\""]);
    assert_eq!(table.checks[0].name, "audit_check");

    keywords::install(postgres16());
    assert_eq!(quote_ident("system_user"), "\"system_user\"");
    // Every thread sees the table installed, not only the one that installed it.
    let elsewhere = std::thread::spawn(|| quote_ident("system_user").into_owned())
        .join()
        .expect("thread runs");
    assert_eq!(elsewhere, "\"system_user\"");

    let after = lowered();
    let table = &after.tables[0];
    // The key is quoted, so it stays the column (bare, it would be the SYSTEM_USER
    // function on 16), and the table's DDL quotes the column too.
    assert_eq!(table.indexes[0].keys, ["\"system_user\"", "\"position\""]);
    assert!(sql::create_table(table).contains("\"system_user\" text NOT NULL"));
    // Reserved now, a bare `system_user` in an expression is no column: the check is
    // named after `position` alone, as PostgreSQL 16 would name it.
    assert_eq!(table.checks[0].name, "audit_position_check");

    // Installing the same list again changes nothing; installing 15's restores it.
    keywords::install(postgres16());
    assert_eq!(keywords::current(), &postgres16());
    keywords::install(Keywords::postgres15().clone());
    assert_eq!(quote_ident("system_user"), "system_user");
    assert!(std::ptr::eq(keywords::current(), Keywords::postgres15()));
}
