//! Entities → desired schema: names, types and canonical spellings. Pure.
use crate::entity::{DbEnumDef, EntityDef};
use crate::schema::Schema;

/// A problem with what the entities declare, found while building the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerError {
    /// The entity's (or enum's) Rust name.
    pub entity: String,
    /// The Rust field (or variant) name, when the problem is on one.
    pub field: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

/// Builds the desired schema from every scanned entity and enum. All problems at once.
pub fn lower(_entities: &[EntityDef], _enums: &[DbEnumDef]) -> Result<Schema, Vec<LowerError>> {
    unimplemented!("lead")
}
