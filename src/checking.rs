//! `strata::check`: the app compares its database with the entities compiled into it
//! (the `check` feature). See [`check`] and [`Check`].
use crate::{DbEnumDef, EntityDef};
use sqlx::{PgConnection, PgPool};
use std::path::PathBuf;
use strata_core::check::{CheckOptions, Migrations};

pub use strata_core::check::{
    CheckError, CheckReport, ConstraintKind, Mismatch, PendingMigration, Unverified,
};

/// Compares the database behind `pool` with `entities` (`User::entity()`, ...), in the
/// schemas they name, and returns what differs. Read only: it never creates, alters or
/// drops anything. A difference is not an error: ask [`CheckReport::is_clean`].
///
/// For enum types, excluded tables, other schemas, pending migrations or expressions,
/// use [`Check`].
///
/// ```no_run
/// # #[derive(strata::Entity)]
/// # #[entity(table_name = "users")]
/// # pub struct User { #[entity(primary_key)] pub id: i64 }
/// # async fn start(pool: sqlx::PgPool) -> Result<(), strata::CheckError> {
/// use strata::Entity;
/// let report = strata::check(&pool, &[User::entity()]).await?;
/// if !report.is_clean() {
///     eprintln!("{report}");
///     std::process::exit(1);
/// }
/// # Ok(()) }
/// ```
pub async fn check(pool: &PgPool, entities: &[EntityDef]) -> Result<CheckReport, CheckError> {
    Check::new(entities).run(pool).await
}

/// A check with options: enum types, schemas, `exclude` globs, the migrations the app
/// ships (to report those not applied), and whether to compare SQL expressions.
///
/// ```no_run
/// # #[derive(strata::Entity)]
/// # #[entity(table_name = "users")]
/// # pub struct User { #[entity(primary_key)] pub id: i64, pub status: Status }
/// # #[derive(strata::DbEnum)]
/// # #[sqlx(type_name = "user_status")]
/// # pub enum Status { Active }
/// # async fn start(pool: sqlx::PgPool) -> Result<(), strata::CheckError> {
/// use strata::{DbEnum, Entity};
/// let report = strata::Check::new(&[User::entity()])
///     .enums(&[Status::db_enum()])
///     .exclude(["spatial_ref_sys"])
///     .migrations_dir("migrations")
///     .run(&pool)
///     .await?;
/// println!("{report}");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Check {
    entities: Vec<EntityDef>,
    enums: Vec<DbEnumDef>,
    options: CheckOptions,
}

impl Check {
    pub fn new(entities: &[EntityDef]) -> Check {
        Check {
            entities: entities.to_vec(),
            enums: Vec::new(),
            options: CheckOptions::default(),
        }
    }

    /// The `DbEnum`s the entities use (`Status::db_enum()`): their types and labels
    /// are checked too, and an entity's column of that type needs it.
    pub fn enums(mut self, enums: &[DbEnumDef]) -> Check {
        self.enums.extend_from_slice(enums);
        self
    }

    /// The schemas to compare (strata.toml's `schemas`); by default `public` and every
    /// schema an entity or enum names. A table there that no entity declares is
    /// reported as extra.
    pub fn schemas<S: Into<String>>(mut self, schemas: impl IntoIterator<Item = S>) -> Check {
        self.options.schemas = Some(schemas.into_iter().map(Into::into).collect());
        self
    }

    /// strata.toml's `exclude` globs (`"spatial_ref_sys"`, `"audit.*"`): tables and
    /// enum types never reported.
    pub fn exclude<S: Into<String>>(mut self, globs: impl IntoIterator<Item = S>) -> Check {
        self.options
            .exclude
            .extend(globs.into_iter().map(Into::into));
        self
    }

    /// A migrations folder (read when the check runs): its migrations that
    /// `_sqlx_migrations` does not record as applied are reported as pending.
    pub fn migrations_dir(mut self, dir: impl Into<PathBuf>) -> Check {
        self.options.migrations = Some(Migrations::Dir(dir.into()));
        self
    }

    /// The migrations embedded by `sqlx::migrate!()`: those not applied are reported
    /// as pending.
    pub fn migrator(mut self, migrator: &sqlx::migrate::Migrator) -> Check {
        let listed = migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| (m.version, m.description.to_string()))
            .collect();
        self.options.migrations = Some(Migrations::Listed(listed));
        self
    }

    /// Also compare SQL expressions (defaults, checks, generated columns, index
    /// expressions and predicates) as PostgreSQL spells them. That spelling is asked
    /// of the server on temporary tables, in a transaction that is always rolled back
    /// (so not a READ ONLY one). Off by default: expressions strata cannot prove equal
    /// without the server are listed in [`CheckReport::unverified`].
    pub fn compare_expressions(mut self, yes: bool) -> Check {
        self.options.compare_expressions = yes;
        self
    }

    /// Runs the check on one connection of `pool`.
    pub async fn run(&self, pool: &PgPool) -> Result<CheckReport, CheckError> {
        let mut conn = pool.acquire().await?;
        self.run_on(&mut conn).await
    }

    /// Runs the check on `conn` (outside a transaction).
    pub async fn run_on(&self, conn: &mut PgConnection) -> Result<CheckReport, CheckError> {
        strata_core::check::check(conn, &self.entities, &self.enums, &self.options).await
    }
}
