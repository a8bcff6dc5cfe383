//! strata's core: everything except the command line and the derive shim.
//!
//! The pure part (no I/O, fast, tested without a database):
//! `entity` (what the attributes declare) → `parse` (syn → entity) → `lower`
//! (entities → desired [`schema::Schema`]) → `diff` (desired × current → [`plan::Plan`])
//! → `sql` / `render` (plan → migration files), all of them reading and writing SQL
//! text through `lex` (PostgreSQL's lexical rules: tokens, names, keywords, quoting).
//!
//! The edges, behind the `db` feature: `scan` (reading the user's `.rs` files),
//! `introspect` (PostgreSQL catalogs → current schema), `canonicalize` (declared SQL
//! fragments spelled the way PostgreSQL reads them back), `migrate` (migration files,
//! `_sqlx_migrations`, run / revert / status), `config` (`strata.toml`) and `exclude` (its
//! globs of what strata leaves alone). `unmanaged` (pure) lists what is read but not
//! managed.
//!
//! Over them, behind `db` too: `pipeline` (entities → desired schema, database → current
//! schema, both spelled alike, the plan: what the CLI plans with) and `check` (the
//! desired schema compared with the live database by name, read only: `strata::check`).

pub mod compare;
pub mod diff;
pub mod entity;
pub mod lex;
pub mod lower;
pub mod names;
pub mod parse;
pub mod partitioning;
pub mod plan;
pub mod plan_scope;
pub mod recreate;
pub mod render;
pub mod schema;
pub mod sql;
pub mod unmanaged;

#[cfg(feature = "db")]
pub mod canonicalize;
#[cfg(feature = "db")]
pub mod check;
#[cfg(feature = "db")]
pub mod config;
#[cfg(feature = "db")]
pub mod exclude;
#[cfg(feature = "db")]
pub mod introspect;
#[cfg(feature = "db")]
pub mod migrate;
#[cfg(feature = "db")]
pub mod pipeline;
#[cfg(feature = "db")]
pub mod pull;
#[cfg(feature = "db")]
pub mod scan;
