//! strata: reviewable PostgreSQL migrations generated from annotated Rust structs.
//!
//! Derive [`Entity`](macro@Entity) on a struct and [`DbEnum`](macro@DbEnum) on an enum;
//! the `strata` CLI reads the same attributes from the source and writes migrations.
//! At runtime `User::entity()` returns exactly what the CLI sees, and with the `check`
//! feature the app can compare its database with it: `strata::check` (read only).
//!
//! ```
//! #[derive(strata::Entity)]
//! #[entity(table_name = "users")]
//! pub struct User {
//!     #[entity(primary_key, identity)]
//!     pub id: i64,
//!     #[entity(length = 320, unique)]
//!     pub email: String,
//!     pub status: Status,
//! }
//!
//! #[derive(strata::DbEnum)]
//! #[sqlx(type_name = "user_status", rename_all = "snake_case")]
//! pub enum Status { Active, Suspended }
//!
//! use strata::{DbEnum, Entity};
//! assert_eq!(User::entity().table_name, "users");
//! assert_eq!(Status::db_enum().variants[1].label, "suspended");
//! ```

pub use strata_core::entity::*;
pub use strata_macros::{DbEnum, Entity};

#[cfg(feature = "check")]
mod checking;
#[cfg(feature = "check")]
pub use checking::{
    check, Check, CheckError, CheckReport, ConstraintKind, Mismatch, PendingMigration, Unverified,
};

/// A struct that is a table: what its `#[entity(...)]` attributes declare.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a strata entity",
    label = "a foreign key must point at a `#[derive(strata::Entity)]` struct",
    note = "derive strata::Entity for it, or point at a table that is not an entity with #[entity(references = \"schema.table(column)\")]"
)]
pub trait Entity {
    fn entity() -> EntityDef;
}

/// An enum that is a PostgreSQL enum type.
pub trait DbEnum {
    fn db_enum() -> DbEnumDef;
}

/// What the derives expand to; not a public API.
#[doc(hidden)]
pub mod __private {
    use super::{DbEnumDef, Entity, EntityDef};

    /// Implemented by every `DbEnum`: the only types outside the type map a column
    /// may have without `sql_type`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` has no PostgreSQL type in strata's type map",
        label = "neither in strata's type map nor a strata::DbEnum",
        note = "derive strata::DbEnum for it, or give the column a type with #[entity(sql_type = \"...\")]"
    )]
    pub trait HasPgType {}

    pub fn assert_pg_type<T: HasPgType + ?Sized>() {}

    pub fn assert_entity<T: Entity + ?Sized>() {}

    // The JSON was written by strata-macros from these same types in the same build,
    // so it can only fail to read if strata and strata-macros come from different
    // versions: a broken installation, not user input.
    pub fn entity_from_json(json: &str) -> EntityDef {
        serde_json::from_str(json).unwrap_or_else(|e| {
            panic!("strata: metadata from strata-macros does not match strata-core ({e}); use the same version of both")
        })
    }

    pub fn db_enum_from_json(json: &str) -> DbEnumDef {
        serde_json::from_str(json).unwrap_or_else(|e| {
            panic!("strata: metadata from strata-macros does not match strata-core ({e}); use the same version of both")
        })
    }
}
