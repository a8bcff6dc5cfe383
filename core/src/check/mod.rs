//! Is the live database what the entities compiled into the app declare?
//!
//! `strata::check` (the facade's `check` feature) is this module: the entities'
//! metadata is lowered to the desired [`Schema`] as `generate` lowers it, the database
//! is read by [`Introspector::tables_only`] (a fixed number of catalog queries, in one
//! `REPEATABLE READ, READ ONLY` transaction), and the two are compared object by
//! object, by name. Nothing is ever created, altered or dropped: the report tells, the
//! app decides (refuse to start, warn, log).
//!
//! What is compared: tables, columns (type, collation, nullability, identity, whether
//! there is a default), primary keys, unique constraints, foreign keys (columns, referenced table
//! and columns, actions, deferrability), checks and exclusion constraints (by name),
//! indexes (by name: uniqueness, method, number of keys, predicate or not), enum types
//! and their labels, and with a migrations folder or a migrator, the migrations not
//! recorded in `_sqlx_migrations`.
//!
//! SQL expressions (defaults, checks, generated columns, index keys and predicates,
//! exclusion constraints) are written by the user and spelled otherwise by
//! PostgreSQL. The spellings strata can prove equal without the server are adopted
//! (see [`crate::canonicalize::adopt_known`]); what still reads differently is listed
//! as [`Unverified`], not as a mismatch. With [`CheckOptions::compare_expressions`],
//! the declared fragments are spelled by the server instead ([`crate::canonicalize`]:
//! temporary tables in a transaction that is always rolled back, so not a READ ONLY
//! one) and every expression is compared. Column types written otherwise than
//! `format_type` spells them (`int4`) are spelled by the server in one read-only query
//! either way.
//!
//! Not compared: comments, column order, partitioning, row level security,
//! grants, views and the other SQL objects, sequences' options.
//!
//! [`Schema`]: crate::schema::Schema

mod compare;
mod pending;
mod report;
mod types;

#[cfg(test)]
mod tests;

pub use self::compare::compare;
pub use self::report::{CheckReport, ConstraintKind, Mismatch, PendingMigration, Unverified};

use crate::canonicalize::{self, CanonicalizeError};
use crate::entity::{DbEnumDef, EntityDef};
use crate::exclude::{Exclude, ExcludeError};
use crate::introspect::Introspector;
use crate::lower::{self, LowerError};
use crate::migrate::FilesError;
use sqlx::PgConnection;
use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

/// What to check besides the entities.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The schemas strata manages; `None`: `public` and every schema an entity or enum
    /// names (as `generate` without `schemas` in strata.toml). A table of a managed
    /// schema that no entity declares is an extra table.
    pub schemas: Option<Vec<String>>,
    /// strata.toml's `exclude` globs: tables and enum types never reported.
    pub exclude: Vec<String>,
    /// Where the migrations are, to report those not applied yet.
    pub migrations: Option<Migrations>,
    /// Compare SQL expressions too, spelled by the server (see the module).
    pub compare_expressions: bool,
}

/// The migrations the app ships, to tell which ones the database has not applied.
#[derive(Debug, Clone)]
pub enum Migrations {
    /// A folder of sqlx / strata migration files, read when the check runs.
    Dir(PathBuf),
    /// Each migration's version and description (what `sqlx::migrate!()` embeds).
    Listed(Vec<(i64, String)>),
}

/// Why a check could not be made (a difference is not an error: see [`CheckReport`]).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The entities declare something strata cannot build a schema from.
    #[error("the entities declare {} problem(s): {}", .0.len(), LowerErrors(.0))]
    Entities(Vec<LowerError>),
    #[error(transparent)]
    Exclude(#[from] ExcludeError),
    #[error("cannot read the migrations: {0}")]
    Migrations(#[from] FilesError),
    #[error("cannot spell the entities' SQL expressions: {0}")]
    Canonicalize(#[from] CanonicalizeError),
    #[error("cannot read the database: {0}")]
    Database(#[from] sqlx::Error),
}

struct LowerErrors<'a>(&'a [LowerError]);

impl fmt::Display for LowerErrors<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        // The derive has checked the types: what lowering misses here is an enum the
        // check was not given.
        if self.0.iter().any(|e| {
            e.message
                .contains("no PostgreSQL type in strata's type map")
        }) {
            f.write_str(
                " (a column of a DbEnum type needs the enum: \
                 strata::Check::new(&entities).enums(&[Status::db_enum()]))",
            )?;
        }
        Ok(())
    }
}

/// Checks the database `conn` is connected to against `entities` and `enums`. Read
/// only (see the module); `conn` is left outside any transaction.
pub async fn check(
    conn: &mut PgConnection,
    entities: &[EntityDef],
    enums: &[DbEnumDef],
    options: &CheckOptions,
) -> Result<CheckReport, CheckError> {
    let exclude = Exclude::new(&options.exclude)?;
    let schemas = match &options.schemas {
        Some(s) => s.clone(),
        None => declared_schemas(entities, enums),
    };
    // Read first: introspection installs the server's keywords, which lowering quotes
    // names with.
    let mut current = Introspector::tables_only()
        .introspect(conn, &schemas, &options.exclude)
        .await?;
    let (mut desired, _) = crate::pipeline::desired_schema(entities, enums, &[], &exclude)
        .map_err(CheckError::Entities)?;
    desired.retain_schemas(&schemas);
    current.sort();
    let mut unverified_types = Vec::new();
    if options.compare_expressions {
        canonicalize::canonicalize(conn, &mut desired, &current).await?;
    } else {
        unverified_types = types::respell_types(conn, &mut desired, &current).await?;
        canonicalize::adopt_known(&mut desired, &current);
    }
    let pending = match &options.migrations {
        None => None,
        Some(m) => Some(pending::pending_migrations(conn, m).await?),
    };
    let mut report = compare(&desired, &current, entities, options.compare_expressions);
    report.unverified.splice(0..0, unverified_types);
    report.schemas = schemas;
    report.pending_migrations = pending;
    Ok(report)
}

/// `public` and every schema an entity or enum names, sorted.
fn declared_schemas(entities: &[EntityDef], enums: &[DbEnumDef]) -> Vec<String> {
    let mut schemas = BTreeSet::from([lower::DEFAULT_SCHEMA.to_string()]);
    schemas.extend(entities.iter().filter_map(|e| e.schema.clone()));
    for e in enums {
        match (&e.schema, e.type_name.split_once('.')) {
            (Some(s), _) => schemas.insert(s.clone()),
            (None, Some((s, _))) => schemas.insert(s.to_string()),
            (None, None) => false,
        };
    }
    schemas.into_iter().collect()
}
