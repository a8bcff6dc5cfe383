//! The derive and the CLI's scanner read the same source and must agree exactly: the
//! fixture is compiled here (so `User::entity()` is the derive's output) and scanned
//! from disk (what `strata generate` would see).

#![allow(dead_code)]

use std::path::Path;
use strata::{DbEnum as _, DbEnumDef, Entity as _, EntityDef};
use strata_core::scan::{scan, Scanned};

include!("../fixtures/entities.rs");

fn scanned() -> Scanned {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match scan(root, &["fixtures/entities.rs".to_string()]) {
        Ok(scanned) => scanned,
        Err(e) => panic!("scanning the fixture failed:\n{}", e.rendered),
    }
}

fn scanned_entity(scanned: &Scanned, name: &str) -> EntityDef {
    let found = scanned.entities.iter().find(|e| e.item.rust_name == name);
    match found {
        Some(located) => located.item.clone(),
        None => panic!("the scan did not find entity `{name}`"),
    }
}

fn scanned_enum(scanned: &Scanned, name: &str) -> DbEnumDef {
    let found = scanned.enums.iter().find(|e| e.item.rust_name == name);
    match found {
        Some(located) => located.item.clone(),
        None => panic!("the scan did not find enum `{name}`"),
    }
}

#[test]
fn scan_finds_exactly_the_derived_items() {
    let scanned = scanned();
    let entities: Vec<_> = scanned
        .entities
        .iter()
        .map(|e| e.item.rust_name.as_str())
        .collect();
    let enums: Vec<_> = scanned
        .enums
        .iter()
        .map(|e| e.item.rust_name.as_str())
        .collect();
    assert_eq!(entities, ["Org", "User", "AuditEntry", "OrgRegion"]);
    assert_eq!(enums, ["UserStatus", "Plan"]);
    let user = scanned.entities.iter().find(|e| e.item.rust_name == "User");
    let place = user.map(|u| (u.file.display().to_string(), u.line, u.column));
    assert_eq!(place, Some(("fixtures/entities.rs".to_string(), 39, 12)));
}

#[test]
fn entities_match() {
    let scanned = scanned();
    assert_eq!(Org::entity(), scanned_entity(&scanned, "Org"));
    assert_eq!(User::entity(), scanned_entity(&scanned, "User"));
    assert_eq!(AuditEntry::entity(), scanned_entity(&scanned, "AuditEntry"));
    assert_eq!(OrgRegion::entity(), scanned_entity(&scanned, "OrgRegion"));
}

#[test]
fn enums_match() {
    let scanned = scanned();
    assert_eq!(UserStatus::db_enum(), scanned_enum(&scanned, "UserStatus"));
    assert_eq!(billing::Plan::db_enum(), scanned_enum(&scanned, "Plan"));
}

#[test]
fn the_metadata_says_what_the_fixture_declares() {
    // Guards against both sides agreeing on something empty or wrong.
    assert!(Org::entity().row_level_security);
    assert_eq!(
        OrgRegion::entity().view.as_deref(),
        Some("SELECT id, region FROM orgs")
    );
    let user = User::entity();
    assert_eq!(user.table_name, "users");
    assert_eq!(user.fields.len(), 15);
    assert!(user.fields.iter().all(|f| f.rust_name != "session_cache"));
    assert_eq!(user.indexes.len(), 2);
    assert_eq!(user.foreign_keys[0].references, "Org");
    let audit = AuditEntry::entity();
    assert_eq!(audit.schema.as_deref(), Some("audit"));
    assert_eq!(audit.primary_key, ["user_id", "seq"]);
    let columns: Vec<_> = audit
        .fields
        .iter()
        .map(|f| f.column_name.as_str())
        .collect();
    assert_eq!(
        columns,
        [
            "userId", "seq", "globalNo", "legacyNo", "kind", "at", "amount", "doubled", "country",
            "tags", "payload", "day", "atTime"
        ]
    );
    let status = UserStatus::db_enum();
    let labels: Vec<_> = status.variants.iter().map(|v| v.label.as_str()).collect();
    assert_eq!(labels, ["active", "suspended", "on-hold"]);
    assert_eq!(billing::Plan::db_enum().schema.as_deref(), Some("billing"));
}
