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
use crate::canonicalize::{self, CanonicalizeError};
use crate::entity::{DbEnumDef, EntityDef};
use crate::exclude::{Exclude, ExcludeError};
use crate::introspect::Introspector;
use crate::lower::{self, LowerError};
use crate::migrate::{files, history, FilesError};
use crate::names::qualified;
use crate::schema::{
    CheckConstraint, Column, Deferral, ExclusionConstraint, ForeignKey, Identity, Index,
    PrimaryKey, Schema, Table, UniqueConstraint,
};
use serde::Serialize;
use sqlx::{Connection, PgConnection};
use std::collections::{BTreeSet, HashMap};
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

/// What [`check`] found. [`CheckReport::is_clean`] says whether the app may trust its
/// entities; its `Display` is a report for a log, one line per finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// The schemas compared.
    pub schemas: Vec<String>,
    /// How many tables the entities declare (after `exclude`).
    pub tables: usize,
    /// Whether SQL expressions were spelled by the server and compared.
    pub expressions_compared: bool,
    /// Every difference, table by table in name order.
    pub mismatches: Vec<Mismatch>,
    /// Expressions that read differently from the database's and were not compared
    /// (without [`CheckOptions::compare_expressions`]); not a mismatch.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unverified: Vec<Unverified>,
    /// Migrations of the folder (or migrator) the database has not applied, by version.
    /// `None` when no migrations were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_migrations: Option<Vec<PendingMigration>>,
}

/// A migration not recorded as applied in `_sqlx_migrations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingMigration {
    pub version: i64,
    pub description: String,
    /// sqlx recorded it as failed part-way (a "dirty" migration).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub failed: bool,
}

/// An expression whose declared text differs from the database's spelling, not
/// compared (it may mean the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unverified {
    pub table: String,
    /// `default of column created_at`, `check orders_qty_check`, `index users_lower_idx`.
    pub object: String,
    pub declared: String,
    pub found: String,
}

/// Which kind of constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    Exclusion,
}

impl ConstraintKind {
    fn as_str(self) -> &'static str {
        match self {
            ConstraintKind::PrimaryKey => "primary key",
            ConstraintKind::Unique => "unique constraint",
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::Check => "check constraint",
            ConstraintKind::Exclusion => "exclusion constraint",
        }
    }
}

/// One difference between the entities and the database. Tables are named as SQL
/// names them (`users`, `billing.invoices`); `expected` is what the entities declare,
/// `found` what the database has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mismatch {
    /// An entity's table is not in the database.
    MissingTable {
        table: String,
        entity: Option<String>,
        /// The entity's `renamed_from` table, still in the database: the rename's
        /// migration is not applied.
        #[serde(skip_serializing_if = "Option::is_none")]
        renamed_from: Option<String>,
    },
    /// A table of a managed schema that no entity declares.
    ExtraTable {
        table: String,
    },
    MissingColumn {
        table: String,
        column: String,
        sql_type: String,
        /// The field's `renamed_from` column, still in the database.
        #[serde(skip_serializing_if = "Option::is_none")]
        renamed_from: Option<String>,
    },
    ExtraColumn {
        table: String,
        column: String,
        sql_type: String,
    },
    TypeMismatch {
        table: String,
        column: String,
        expected: String,
        found: String,
    },
    /// The column's collation (`None`: its type's default).
    CollationMismatch {
        table: String,
        column: String,
        expected: Option<String>,
        found: Option<String>,
    },
    NullabilityMismatch {
        table: String,
        column: String,
        expected_nullable: bool,
    },
    /// `GENERATED ... AS IDENTITY` differs (`None`: not an identity column).
    IdentityMismatch {
        table: String,
        column: String,
        expected: Option<String>,
        found: Option<String>,
    },
    /// The default differs: one side has none, or (expressions compared) the texts
    /// differ.
    DefaultMismatch {
        table: String,
        column: String,
        expected: Option<String>,
        found: Option<String>,
    },
    /// A generated column's expression differs, or one side is not generated.
    GeneratedMismatch {
        table: String,
        column: String,
        expected: Option<String>,
        found: Option<String>,
    },
    MissingConstraint {
        table: String,
        constraint: ConstraintKind,
        name: String,
        definition: String,
    },
    ExtraConstraint {
        table: String,
        constraint: ConstraintKind,
        name: String,
        definition: String,
    },
    /// Same name, another definition.
    ConstraintMismatch {
        table: String,
        constraint: ConstraintKind,
        name: String,
        expected: String,
        found: String,
    },
    MissingIndex {
        table: String,
        name: String,
        definition: String,
    },
    ExtraIndex {
        table: String,
        name: String,
        definition: String,
    },
    IndexMismatch {
        table: String,
        name: String,
        expected: String,
        found: String,
    },
    MissingEnum {
        name: String,
        labels: Vec<String>,
    },
    ExtraEnum {
        name: String,
        labels: Vec<String>,
    },
    MissingEnumLabel {
        name: String,
        label: String,
    },
    ExtraEnumLabel {
        name: String,
        label: String,
    },
}

impl CheckReport {
    /// No mismatch and no pending migration.
    pub fn is_clean(&self) -> bool {
        self.mismatches.is_empty()
            && self
                .pending_migrations
                .as_ref()
                .is_none_or(|p| p.is_empty())
    }

    /// The pending migrations (none when no migrations were given).
    pub fn pending(&self) -> &[PendingMigration] {
        self.pending_migrations.as_deref().unwrap_or(&[])
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pending = self.pending();
        let schemas = self.schemas.join(", ");
        if self.is_clean() {
            write!(
                f,
                "strata check: the database matches the entities ({} in {schemas}",
                plural(self.tables, "table")
            )?;
            if self.pending_migrations.is_some() {
                f.write_str("; no pending migration")?;
            }
            f.write_str(")")?;
        } else {
            let mut what = Vec::new();
            if !self.mismatches.is_empty() {
                what.push(plural(self.mismatches.len(), "difference"));
            }
            if !pending.is_empty() {
                what.push(plural(pending.len(), "pending migration"));
            }
            write!(
                f,
                "strata check: the database does not match the entities: {} ({} in {schemas})",
                what.join(", "),
                plural(self.tables, "table")
            )?;
            for m in &self.mismatches {
                write!(f, "\n  - {m}")?;
            }
            for p in pending {
                write!(f, "\n  - {p}")?;
            }
        }
        if !self.unverified.is_empty() {
            write!(
                f,
                "\n  not compared: {}, written otherwise than the database spells it \
                 (they may mean the same; compare_expressions compares them):",
                plural(self.unverified.len(), "fragment")
            )?;
            for u in &self.unverified {
                write!(f, "\n  ? {u}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for PendingMigration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pending migration {} {}", self.version, self.description)?;
        if self.failed {
            f.write_str(" (recorded as failed part-way)")?;
        }
        Ok(())
    }
}

impl fmt::Display for Unverified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of table {}: declared `{}`, database `{}`",
            self.object, self.table, self.declared, self.found
        )
    }
}

fn or_none(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("none")
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::MissingTable {
                table,
                entity,
                renamed_from,
            } => {
                write!(f, "missing table {table}")?;
                if let Some(e) = entity {
                    write!(f, " (entity {e})")?;
                }
                if let Some(old) = renamed_from {
                    write!(
                        f,
                        "; the database still has {old}, which it renames: a migration is not applied"
                    )?;
                }
                Ok(())
            }
            Mismatch::ExtraTable { table } => {
                write!(f, "extra table {table} (no entity declares it)")
            }
            Mismatch::MissingColumn {
                table,
                column,
                sql_type,
                renamed_from,
            } => {
                write!(f, "missing column {table}.{column} ({sql_type})")?;
                if let Some(old) = renamed_from {
                    write!(
                        f,
                        "; the database still has {table}.{old}, which the field renames: a migration is not applied"
                    )?;
                }
                Ok(())
            }
            Mismatch::ExtraColumn {
                table,
                column,
                sql_type,
            } => write!(
                f,
                "extra column {table}.{column} ({sql_type}; no field declares it)"
            ),
            Mismatch::TypeMismatch {
                table,
                column,
                expected,
                found,
            } => write!(
                f,
                "column {table}.{column} is {found}, the entity says {expected}"
            ),
            Mismatch::NullabilityMismatch {
                table,
                column,
                expected_nullable,
            } => {
                if *expected_nullable {
                    write!(
                        f,
                        "column {table}.{column} is NOT NULL, the entity says nullable (Option)"
                    )
                } else {
                    write!(
                        f,
                        "column {table}.{column} is nullable, the entity says NOT NULL"
                    )
                }
            }
            Mismatch::CollationMismatch {
                table,
                column,
                expected,
                found,
            } => {
                let words = |c: &Option<String>| c.clone().unwrap_or_else(|| "default".into());
                write!(
                    f,
                    "column {table}.{column} has collation {}, the entity says {}",
                    words(found),
                    words(expected)
                )
            }
            Mismatch::IdentityMismatch {
                table,
                column,
                expected,
                found,
            } => {
                let words = |i: &Option<String>| match i {
                    Some(kind) => format!("GENERATED {kind} AS IDENTITY"),
                    None => "not an identity column".to_string(),
                };
                write!(
                    f,
                    "column {table}.{column} is {}, the entity says {}",
                    words(found),
                    words(expected)
                )
            }
            Mismatch::DefaultMismatch {
                table,
                column,
                expected,
                found,
            } => write!(
                f,
                "column {table}.{column}: default {}, the entity says {}",
                or_none(found),
                or_none(expected)
            ),
            Mismatch::GeneratedMismatch {
                table,
                column,
                expected,
                found,
            } => write!(
                f,
                "column {table}.{column}: generated as {}, the entity says {}",
                or_none(found),
                or_none(expected)
            ),
            Mismatch::MissingConstraint {
                table,
                constraint,
                name,
                definition,
            } => write!(
                f,
                "missing {} {name} on {table}: {definition}",
                constraint.as_str()
            ),
            Mismatch::ExtraConstraint {
                table,
                constraint,
                name,
                definition,
            } => write!(
                f,
                "extra {} {name} on {table}: {definition}",
                constraint.as_str()
            ),
            Mismatch::ConstraintMismatch {
                table,
                constraint,
                name,
                expected,
                found,
            } => write!(
                f,
                "{} {name} on {table} is {found}, the entity says {expected}",
                constraint.as_str()
            ),
            Mismatch::MissingIndex {
                table,
                name,
                definition,
            } => write!(f, "missing index {name} on {table}: {definition}"),
            Mismatch::ExtraIndex {
                table,
                name,
                definition,
            } => write!(f, "extra index {name} on {table}: {definition}"),
            Mismatch::IndexMismatch {
                table,
                name,
                expected,
                found,
            } => write!(
                f,
                "index {name} on {table} is {found}, the entity says {expected}"
            ),
            Mismatch::MissingEnum { name, labels } => {
                write!(f, "missing enum type {name} ({})", labels.join(", "))
            }
            Mismatch::ExtraEnum { name, labels } => write!(
                f,
                "extra enum type {name} ({}; no DbEnum declares it)",
                labels.join(", ")
            ),
            Mismatch::MissingEnumLabel { name, label } => {
                write!(f, "enum type {name} lacks label {label:?}")
            }
            Mismatch::ExtraEnumLabel { name, label } => write!(
                f,
                "enum type {name} has label {label:?}, which the DbEnum does not declare"
            ),
        }
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
        unverified_types = respell_types(conn, &mut desired, &current).await?;
        canonicalize::adopt_known(&mut desired, &current);
    }
    let pending = match &options.migrations {
        None => None,
        Some(m) => Some(pending_migrations(conn, m).await?),
    };
    let mut report = compare(&desired, &current, entities, options.compare_expressions);
    report.unverified.splice(0..0, unverified_types);
    report.schemas = schemas;
    report.pending_migrations = pending;
    Ok(report)
}

/// Declared column types that differ textually from the database's (`int4` for
/// `integer`, a `sql_type` written otherwise), spelled as `format_type` spells them:
/// one query, in a READ ONLY transaction, only when some differ. PostgreSQL 17 reads
/// the type modifier too (`to_regtypemod`); before, a declared type with a modifier
/// (`varchar(20)`) whose base type is the database's is compared by its modifiers when
/// both are plain numbers, else returned as unverified (and taken as equal); one whose
/// base type differs stays a mismatch. A type PostgreSQL
/// does not know stays as declared (a mismatch).
async fn respell_types(
    conn: &mut PgConnection,
    desired: &mut Schema,
    current: &Schema,
) -> Result<Vec<Unverified>, CheckError> {
    let by_name: HashMap<(&str, &str), &Table> = current
        .tables
        .iter()
        .map(|t| ((t.schema.as_str(), t.name.as_str()), t))
        .collect();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for t in &desired.tables {
        let Some(ct) = by_name.get(&(t.schema.as_str(), t.name.as_str())) else {
            continue;
        };
        for col in &t.columns {
            if let Some(cc) = ct.column(&col.name) {
                if col.ty != cc.ty {
                    pairs.push((col.ty.clone(), cc.ty.clone()));
                }
            }
        }
    }
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    pairs.sort();
    pairs.dedup();
    let (declared, found): (Vec<String>, Vec<String>) = pairs.into_iter().unzip();
    let mut tx = conn.begin_with("BEGIN READ ONLY").await?;
    // The spelling introspection reads with (see `introspect`).
    sqlx::query("SET LOCAL search_path = public")
        .execute(&mut *tx)
        .await?;
    let modern: bool =
        sqlx::query_scalar("SELECT current_setting('server_version_num')::int >= 170000")
            .fetch_one(&mut *tx)
            .await?;
    let sql = if modern {
        "SELECT d, f, pg_catalog.format_type(pg_catalog.to_regtype(d), pg_catalog.to_regtypemod(d)),
                true, NULL::text
         FROM unnest($1::text[], $2::text[]) AS x(d, f)"
    } else {
        "SELECT d, f, pg_catalog.format_type(pg_catalog.to_regtype(d), NULL),
                strpos(d, '(') = 0, pg_catalog.format_type(pg_catalog.to_regtype(f), NULL)
         FROM unnest($1::text[], $2::text[]) AS x(d, f)"
    };
    type Row = (String, String, Option<String>, bool, Option<String>);
    let rows: Result<Vec<Row>, sqlx::Error> = sqlx::query_as(sql)
        .bind(&declared)
        .bind(&found)
        .fetch_all(&mut *tx)
        .await;
    let rows = match rows {
        Ok(rows) => rows,
        // A declared type PostgreSQL cannot even parse: compared as written.
        Err(sqlx::Error::Database(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    // (declared, found) -> the type to compare with, and whether it is unverified.
    let mut spelled: HashMap<(String, String), (String, bool)> = HashMap::new();
    for (d, f, canonical, exact, found_base) in rows {
        match (canonical, exact) {
            (Some(c), true) => {
                spelled.insert((d, f), (c, false));
            }
            (Some(base), false) if Some(&base) == found_base.as_ref() => {
                // The same base type: the modifiers decide, when both are plain numbers
                // (`varchar(20)` against `character varying(20)`).
                match (type_modifiers(&d), type_modifiers(&f)) {
                    (Some(a), Some(b)) if a == b => {
                        spelled.insert((d, f.clone()), (f, false));
                    }
                    (Some(_), Some(_)) => {}
                    _ => {
                        spelled.insert((d, f.clone()), (f, true));
                    }
                }
            }
            _ => {}
        }
    }
    let mut unverified = Vec::new();
    for t in &mut desired.tables {
        let Some(ct) = by_name.get(&(t.schema.as_str(), t.name.as_str())) else {
            continue;
        };
        for col in &mut t.columns {
            let Some(cc) = ct.column(&col.name) else {
                continue;
            };
            if let Some((ty, unsure)) = spelled.get(&(col.ty.clone(), cc.ty.clone())) {
                if *unsure {
                    unverified.push(Unverified {
                        table: qualified(&t.schema, &t.name),
                        object: format!("type of column {}", col.name),
                        declared: col.ty.clone(),
                        found: cc.ty.clone(),
                    });
                }
                col.ty = ty.clone();
            }
        }
    }
    Ok(unverified)
}

/// A type's modifiers when it has one list of plain numbers: `varchar(20)` is `[20]`,
/// `numeric(12, 2)` is `[12, 2]`, `timestamp(3) with time zone[]` is `[3]`.
fn type_modifiers(ty: &str) -> Option<Vec<u32>> {
    if ty.matches('(').count() != 1 {
        return None;
    }
    let (_, rest) = ty.split_once('(')?;
    let (inside, _) = rest.split_once(')')?;
    inside.split(',').map(|n| n.trim().parse().ok()).collect()
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

async fn pending_migrations(
    conn: &mut PgConnection,
    migrations: &Migrations,
) -> Result<Vec<PendingMigration>, CheckError> {
    let known: Vec<(i64, String)> = match migrations {
        Migrations::Listed(list) => list.clone(),
        // An app that names a folder means one: a missing folder (a path relative to
        // another working directory, say) is an error, not "nothing pending".
        Migrations::Dir(dir) if !dir.is_dir() => {
            return Err(FilesError::ReadDir {
                dir: dir.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
            }
            .into())
        }
        Migrations::Dir(dir) => files::load_dir(dir)?
            .into_iter()
            .map(|m| (m.version, m.description))
            .collect(),
    };
    let mut tx = conn.begin_with("BEGIN READ ONLY").await?;
    let applied = history::list(&mut tx).await?;
    tx.commit().await?;
    let state: HashMap<i64, bool> = applied.iter().map(|a| (a.version, a.success)).collect();
    let mut pending: Vec<PendingMigration> = known
        .into_iter()
        .filter_map(|(version, description)| match state.get(&version) {
            Some(true) => None,
            Some(false) => Some(PendingMigration {
                version,
                description,
                failed: true,
            }),
            None => Some(PendingMigration {
                version,
                description,
                failed: false,
            }),
        })
        .collect();
    pending.sort_by_key(|p| p.version);
    pending.dedup_by_key(|p| p.version);
    Ok(pending)
}

/// Compares two schemas by name: what [`check`] reports, without `schemas` and the
/// pending migrations. `entities` name the tables' structs; with `expressions`,
/// expressions that differ are mismatches, else [`Unverified`].
pub fn compare(
    desired: &Schema,
    current: &Schema,
    entities: &[EntityDef],
    expressions: bool,
) -> CheckReport {
    let mut c = Comparison {
        expressions,
        mismatches: Vec::new(),
        unverified: Vec::new(),
    };
    compare_enums(desired, current, &mut c.mismatches);
    let by_name: HashMap<(&str, &str), &Table> = current
        .tables
        .iter()
        .map(|t| ((t.schema.as_str(), t.name.as_str()), t))
        .collect();
    let entity_of = |t: &Table| {
        entities
            .iter()
            .find(|e| {
                e.table_name == t.name
                    && e.schema.as_deref().unwrap_or(lower::DEFAULT_SCHEMA) == t.schema
            })
            .map(|e| e.rust_name.clone())
    };
    let mut tables: Vec<(&Table, Option<&Table>)> = desired
        .tables
        .iter()
        .map(|d| {
            (
                d,
                by_name.get(&(d.schema.as_str(), d.name.as_str())).copied(),
            )
        })
        .collect();
    let wanted: BTreeSet<(&str, &str)> = desired
        .tables
        .iter()
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .collect();
    let extra: Vec<&Table> = current
        .tables
        .iter()
        .filter(|t| !wanted.contains(&(t.schema.as_str(), t.name.as_str())))
        .collect();
    tables.sort_by(|a, b| (&a.0.schema, &a.0.name).cmp(&(&b.0.schema, &b.0.name)));
    for (d, found) in &tables {
        match found {
            None => c.mismatches.push(Mismatch::MissingTable {
                table: qualified(&d.schema, &d.name),
                entity: entity_of(d),
                renamed_from: d
                    .renamed_from
                    .as_deref()
                    .filter(|old| by_name.contains_key(&(d.schema.as_str(), *old)))
                    .map(|old| qualified(&d.schema, old)),
            }),
            Some(t) => c.table(d, t),
        }
    }
    for t in extra {
        c.mismatches.push(Mismatch::ExtraTable {
            table: qualified(&t.schema, &t.name),
        });
    }
    CheckReport {
        schemas: Vec::new(),
        tables: desired.tables.len(),
        expressions_compared: expressions,
        mismatches: c.mismatches,
        unverified: c.unverified,
        pending_migrations: None,
    }
}

fn compare_enums(desired: &Schema, current: &Schema, out: &mut Vec<Mismatch>) {
    for d in &desired.enums {
        let name = qualified(&d.schema, &d.name);
        let Some(c) = current
            .enums
            .iter()
            .find(|c| c.schema == d.schema && c.name == d.name)
        else {
            out.push(Mismatch::MissingEnum {
                name,
                labels: d.labels.clone(),
            });
            continue;
        };
        for label in d.labels.iter().filter(|l| !c.labels.contains(l)) {
            out.push(Mismatch::MissingEnumLabel {
                name: name.clone(),
                label: label.clone(),
            });
        }
        for label in c.labels.iter().filter(|l| !d.labels.contains(l)) {
            out.push(Mismatch::ExtraEnumLabel {
                name: name.clone(),
                label: label.clone(),
            });
        }
    }
    for c in &current.enums {
        if !desired
            .enums
            .iter()
            .any(|d| d.schema == c.schema && d.name == c.name)
        {
            out.push(Mismatch::ExtraEnum {
                name: qualified(&c.schema, &c.name),
                labels: c.labels.clone(),
            });
        }
    }
}

struct Comparison {
    expressions: bool,
    mismatches: Vec<Mismatch>,
    unverified: Vec<Unverified>,
}

impl Comparison {
    /// An expression on both sides: equal, a mismatch (expressions compared) or
    /// unverified.
    fn expression(
        &mut self,
        table: &str,
        object: impl FnOnce() -> String,
        declared: &str,
        found: &str,
        mismatch: impl FnOnce() -> Mismatch,
    ) {
        if declared == found {
            return;
        }
        if self.expressions {
            self.mismatches.push(mismatch());
        } else {
            self.unverified.push(Unverified {
                table: table.to_string(),
                object: object(),
                declared: declared.to_string(),
                found: found.to_string(),
            });
        }
    }

    fn table(&mut self, d: &Table, c: &Table) {
        let t = qualified(&d.schema, &d.name);
        for dc in &d.columns {
            match c.column(&dc.name) {
                None => self.mismatches.push(Mismatch::MissingColumn {
                    table: t.clone(),
                    column: dc.name.clone(),
                    sql_type: dc.ty.clone(),
                    renamed_from: dc
                        .renamed_from
                        .clone()
                        .filter(|old| c.column(old).is_some()),
                }),
                Some(cc) => self.column(&t, dc, cc),
            }
        }
        for cc in &c.columns {
            if d.column(&cc.name).is_none() {
                self.mismatches.push(Mismatch::ExtraColumn {
                    table: t.clone(),
                    column: cc.name.clone(),
                    sql_type: cc.ty.clone(),
                });
            }
        }
        let keys_from = self.mismatches.len();
        self.primary_key(&t, d.primary_key.as_ref(), c.primary_key.as_ref());
        self.uniques(&t, &d.uniques, &c.uniques);
        self.foreign_keys(&t, &d.foreign_keys, &c.foreign_keys);
        self.checks(&t, &d.checks, &c.checks);
        self.exclusions(&t, &d.exclusions, &c.exclusions);
        self.indexes(&t, &d.indexes, &c.indexes);
        let keys = self.mismatches.split_off(keys_from);
        self.mismatches.extend(unique_kinds_swapped(keys));
    }

    fn column(&mut self, t: &str, d: &Column, c: &Column) {
        let col = || d.name.clone();
        if d.ty != c.ty {
            self.mismatches.push(Mismatch::TypeMismatch {
                table: t.to_string(),
                column: col(),
                expected: d.ty.clone(),
                found: c.ty.clone(),
            });
        }
        if d.ty == c.ty && d.collation != c.collation {
            self.mismatches.push(Mismatch::CollationMismatch {
                table: t.to_string(),
                column: col(),
                expected: d.collation.clone(),
                found: c.collation.clone(),
            });
        }
        if d.nullable != c.nullable {
            self.mismatches.push(Mismatch::NullabilityMismatch {
                table: t.to_string(),
                column: col(),
                expected_nullable: d.nullable,
            });
        }
        if d.identity != c.identity {
            self.mismatches.push(Mismatch::IdentityMismatch {
                table: t.to_string(),
                column: col(),
                expected: d.identity.map(identity_words),
                found: c.identity.map(identity_words),
            });
        }
        // A serial column's default is the sequence's `nextval`, which the entity
        // does not spell (an identity column has none).
        if d.serial != c.serial {
            self.mismatches.push(Mismatch::DefaultMismatch {
                table: t.to_string(),
                column: col(),
                expected: d.serial.then(|| "nextval (serial)".to_string()),
                found: c.default.clone(),
            });
        } else if !d.serial && d.identity.is_none() {
            match (&d.default, &c.default) {
                (Some(dd), Some(cd)) if d.ty == c.ty && constants_differ(dd, cd, &d.ty) => {
                    self.mismatches.push(Mismatch::DefaultMismatch {
                        table: t.to_string(),
                        column: col(),
                        expected: d.default.clone(),
                        found: c.default.clone(),
                    })
                }
                (Some(dd), Some(cd)) => self.expression(
                    t,
                    || format!("default of column {}", d.name),
                    dd,
                    cd,
                    || Mismatch::DefaultMismatch {
                        table: t.to_string(),
                        column: col(),
                        expected: d.default.clone(),
                        found: c.default.clone(),
                    },
                ),
                (None, None) => {}
                _ => self.mismatches.push(Mismatch::DefaultMismatch {
                    table: t.to_string(),
                    column: col(),
                    expected: d.default.clone(),
                    found: c.default.clone(),
                }),
            }
        }
        match (&d.generated, &c.generated) {
            (Some(dg), Some(cg)) => self.expression(
                t,
                || format!("generated expression of column {}", d.name),
                dg,
                cg,
                || Mismatch::GeneratedMismatch {
                    table: t.to_string(),
                    column: col(),
                    expected: d.generated.clone(),
                    found: c.generated.clone(),
                },
            ),
            (None, None) => {}
            _ => self.mismatches.push(Mismatch::GeneratedMismatch {
                table: t.to_string(),
                column: col(),
                expected: d.generated.clone(),
                found: c.generated.clone(),
            }),
        }
    }

    fn primary_key(&mut self, t: &str, d: Option<&PrimaryKey>, c: Option<&PrimaryKey>) {
        let kind = ConstraintKind::PrimaryKey;
        match (d, c) {
            (None, None) => {}
            (Some(d), None) => self.mismatches.push(Mismatch::MissingConstraint {
                table: t.to_string(),
                constraint: kind,
                name: d.name.clone(),
                definition: pk_sql(d),
            }),
            (None, Some(c)) => self.mismatches.push(Mismatch::ExtraConstraint {
                table: t.to_string(),
                constraint: kind,
                name: c.name.clone(),
                definition: pk_sql(c),
            }),
            (Some(d), Some(c)) => {
                if d.name != c.name || d.columns != c.columns || d.deferral != c.deferral {
                    self.mismatches.push(Mismatch::ConstraintMismatch {
                        table: t.to_string(),
                        constraint: kind,
                        name: d.name.clone(),
                        expected: named(&d.name, &pk_sql(d), &c.name),
                        found: named(&c.name, &pk_sql(c), &d.name),
                    })
                }
            }
        }
    }

    fn uniques(&mut self, t: &str, d: &[UniqueConstraint], c: &[UniqueConstraint]) {
        by_name(
            t,
            d,
            c,
            |u| &u.name,
            |a, b| a == b,
            unique_sql,
            ConstraintKind::Unique,
            &mut self.mismatches,
        );
    }

    fn foreign_keys(&mut self, t: &str, d: &[ForeignKey], c: &[ForeignKey]) {
        by_name(
            t,
            d,
            c,
            |k| &k.name,
            |a, b| {
                a.columns == b.columns
                    && a.ref_schema == b.ref_schema
                    && a.ref_table == b.ref_table
                    && a.ref_columns == b.ref_columns
                    && a.on_delete == b.on_delete
                    && a.on_update == b.on_update
                    && a.deferrable == b.deferrable
                    && a.initially_deferred == b.initially_deferred
            },
            fk_sql,
            ConstraintKind::ForeignKey,
            &mut self.mismatches,
        );
    }

    fn checks(&mut self, t: &str, d: &[CheckConstraint], c: &[CheckConstraint]) {
        by_name(
            t,
            d,
            c,
            |k| &k.name,
            |_, _| true,
            |k| format!("CHECK ({})", k.expr),
            ConstraintKind::Check,
            &mut self.mismatches,
        );
        for dk in d {
            if let Some(ck) = c.iter().find(|ck| ck.name == dk.name) {
                self.expression(
                    t,
                    || format!("check {}", dk.name),
                    &dk.expr,
                    &ck.expr,
                    || Mismatch::ConstraintMismatch {
                        table: t.to_string(),
                        constraint: ConstraintKind::Check,
                        name: dk.name.clone(),
                        expected: format!("CHECK ({})", dk.expr),
                        found: format!("CHECK ({})", ck.expr),
                    },
                );
            }
        }
    }

    fn exclusions(&mut self, t: &str, d: &[ExclusionConstraint], c: &[ExclusionConstraint]) {
        by_name(
            t,
            d,
            c,
            |k| &k.name,
            |a, b| a.deferral == b.deferral,
            |k| format!("{}{}", k.definition, k.deferral.sql()),
            ConstraintKind::Exclusion,
            &mut self.mismatches,
        );
        for dk in d {
            if let Some(ck) = c.iter().find(|ck| ck.name == dk.name) {
                self.expression(
                    t,
                    || format!("exclusion constraint {}", dk.name),
                    &dk.definition,
                    &ck.definition,
                    || Mismatch::ConstraintMismatch {
                        table: t.to_string(),
                        constraint: ConstraintKind::Exclusion,
                        name: dk.name.clone(),
                        expected: dk.definition.clone(),
                        found: ck.definition.clone(),
                    },
                );
            }
        }
    }

    fn indexes(&mut self, t: &str, d: &[Index], c: &[Index]) {
        for di in d {
            let Some(ci) = c.iter().find(|ci| ci.name == di.name) else {
                self.mismatches.push(Mismatch::MissingIndex {
                    table: t.to_string(),
                    name: di.name.clone(),
                    definition: index_sql(di),
                });
                continue;
            };
            // What needs no expression to compare.
            let mismatch = || Mismatch::IndexMismatch {
                table: t.to_string(),
                name: di.name.clone(),
                expected: index_sql(di),
                found: index_sql(ci),
            };
            if shape(di) != shape(ci) {
                self.mismatches.push(mismatch());
            } else if di != ci {
                let (declared, found) = (index_sql(di), index_sql(ci));
                self.expression(
                    t,
                    || format!("index {}", di.name),
                    &declared,
                    &found,
                    mismatch,
                );
            }
        }
        for ci in c {
            if !d.iter().any(|di| di.name == ci.name) {
                self.mismatches.push(Mismatch::ExtraIndex {
                    table: t.to_string(),
                    name: ci.name.clone(),
                    definition: index_sql(ci),
                });
            }
        }
    }
}

/// A unique constraint declared where the database has a unique index of that name, or
/// the other way round, as one mismatch rather than a missing and an extra object.
fn unique_kinds_swapped(mut found: Vec<Mismatch>) -> Vec<Mismatch> {
    let mut i = 0;
    while i < found.len() {
        let merged = match &found[i] {
            Mismatch::MissingConstraint {
                table,
                constraint: ConstraintKind::Unique,
                name,
                definition,
            } => found
                .iter()
                .position(|m| {
                    matches!(m,
                Mismatch::ExtraIndex { name: n, definition: d, .. }
                    if n == name && d.starts_with("UNIQUE "))
                })
                .map(|at| {
                    let Mismatch::ExtraIndex {
                        definition: index, ..
                    } = &found[at]
                    else {
                        unreachable!()
                    };
                    (
                        at,
                        Mismatch::ConstraintMismatch {
                            table: table.clone(),
                            constraint: ConstraintKind::Unique,
                            name: name.clone(),
                            expected: format!("a unique constraint ({definition})"),
                            found: format!("a unique index ({index})"),
                        },
                    )
                }),
            Mismatch::MissingIndex {
                table,
                name,
                definition,
            } if definition.starts_with("UNIQUE ") => found
                .iter()
                .position(|m| {
                    matches!(m,
                Mismatch::ExtraConstraint { constraint: ConstraintKind::Unique, name: n, .. }
                    if n == name)
                })
                .map(|at| {
                    let Mismatch::ExtraConstraint {
                        definition: key, ..
                    } = &found[at]
                    else {
                        unreachable!()
                    };
                    (
                        at,
                        Mismatch::IndexMismatch {
                            table: table.clone(),
                            name: name.clone(),
                            expected: format!("a unique index ({definition})"),
                            found: format!("a unique constraint ({key})"),
                        },
                    )
                }),
            _ => None,
        };
        if let Some((at, merged)) = merged {
            found[i] = merged;
            found.remove(at);
            if at < i {
                i -= 1;
            }
        }
        i += 1;
    }
    found
}

/// Whether two defaults of a column of type `ty` are provably different constants
/// without asking the server: integers (`1` against `0` or `'-1'::integer`) of an integer
/// column, `true` / `false` of a boolean one. Anything else is left to the server.
fn constants_differ(declared: &str, found: &str, ty: &str) -> bool {
    match ty {
        "smallint" | "integer" | "bigint" => {
            matches!((integer_constant(declared), integer_constant(found)), (Some(a), Some(b)) if a != b)
        }
        "boolean" => {
            matches!((bool_constant(declared), bool_constant(found)), (Some(a), Some(b)) if a != b)
        }
        _ => false,
    }
}

/// Strips whole-expression parentheses: `((1))` is `1`.
fn unparenthesized(mut s: &str) -> &str {
    s = s.trim();
    while let Some(inner) = s.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        // `(a) + (b)` is not parenthesized as a whole: only digits or a word remain
        // after the callers' checks, so a wrong strip never yields a constant.
        s = inner.trim();
    }
    s
}

/// `1`, `-1`, `(1)`, or PostgreSQL's `'-1'::integer`.
fn integer_constant(s: &str) -> Option<i128> {
    let mut s = unparenthesized(s);
    for cast in ["::integer", "::bigint", "::smallint"] {
        if let Some(x) = s.strip_suffix(cast) {
            s = x.strip_prefix('\'').and_then(|x| x.strip_suffix('\''))?;
            break;
        }
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || digits.len() > 30 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn bool_constant(s: &str) -> Option<bool> {
    match unparenthesized(s).to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// What of an index needs no expression to compare.
fn shape(i: &Index) -> (bool, &str, bool, usize, usize, bool) {
    (
        i.unique,
        &i.method,
        i.nulls_not_distinct,
        i.keys.len(),
        i.include.len(),
        i.predicate.is_some(),
    )
}

/// Missing, extra and differing (by `same`) objects of one kind, matched by name.
#[allow(clippy::too_many_arguments)]
fn by_name<T>(
    t: &str,
    d: &[T],
    c: &[T],
    name: impl Fn(&T) -> &String,
    same: impl Fn(&T, &T) -> bool,
    sql: impl Fn(&T) -> String,
    kind: ConstraintKind,
    out: &mut Vec<Mismatch>,
) {
    for dk in d {
        match c.iter().find(|ck| name(ck) == name(dk)) {
            None => out.push(Mismatch::MissingConstraint {
                table: t.to_string(),
                constraint: kind,
                name: name(dk).clone(),
                definition: sql(dk),
            }),
            Some(ck) if !same(dk, ck) => out.push(Mismatch::ConstraintMismatch {
                table: t.to_string(),
                constraint: kind,
                name: name(dk).clone(),
                expected: sql(dk),
                found: sql(ck),
            }),
            Some(_) => {}
        }
    }
    for ck in c {
        if !d.iter().any(|dk| name(dk) == name(ck)) {
            out.push(Mismatch::ExtraConstraint {
                table: t.to_string(),
                constraint: kind,
                name: name(ck).clone(),
                definition: sql(ck),
            });
        }
    }
}

fn identity_words(i: Identity) -> String {
    match i {
        Identity::Always => "ALWAYS".to_string(),
        Identity::ByDefault => "BY DEFAULT".to_string(),
    }
}

/// A definition with its name when the other side's name differs.
fn named(name: &str, sql: &str, other: &str) -> String {
    if name == other {
        sql.to_string()
    } else {
        format!("{name} {sql}")
    }
}

fn pk_sql(k: &PrimaryKey) -> String {
    format!("PRIMARY KEY ({}){}", k.columns.join(", "), k.deferral.sql())
}

fn unique_sql(k: &UniqueConstraint) -> String {
    format!(
        "UNIQUE{} ({}){}",
        if k.nulls_not_distinct {
            " NULLS NOT DISTINCT"
        } else {
            ""
        },
        k.columns.join(", "),
        k.deferral.sql()
    )
}

fn fk_sql(k: &ForeignKey) -> String {
    let mut s = format!(
        "FOREIGN KEY ({}) REFERENCES {}({})",
        k.columns.join(", "),
        qualified(&k.ref_schema, &k.ref_table),
        k.ref_columns.join(", ")
    );
    if k.on_delete != "NO ACTION" {
        s.push_str(&format!(" ON DELETE {}", k.on_delete));
    }
    if k.on_update != "NO ACTION" {
        s.push_str(&format!(" ON UPDATE {}", k.on_update));
    }
    s.push_str(Deferral::from_flags(k.deferrable, k.initially_deferred).sql());
    s
}

fn index_sql(i: &Index) -> String {
    let keys: Vec<String> = i
        .keys
        .iter()
        .enumerate()
        .map(|(n, k)| {
            let mut key = k.clone();
            for extra in [&i.collations, &i.opclasses, &i.orders] {
                if let Some(x) = extra.get(n).filter(|x| !x.is_empty()) {
                    if std::ptr::eq(extra, &i.collations) {
                        key.push_str(" COLLATE ");
                    } else {
                        key.push(' ');
                    }
                    key.push_str(x);
                }
            }
            key
        })
        .collect();
    let mut s = format!(
        "{}USING {} ({})",
        if i.unique { "UNIQUE " } else { "" },
        i.method,
        keys.join(", ")
    );
    if !i.include.is_empty() {
        s.push_str(&format!(" INCLUDE ({})", i.include.join(", ")));
    }
    if i.nulls_not_distinct {
        s.push_str(" NULLS NOT DISTINCT");
    }
    if let Some(p) = &i.predicate {
        s.push_str(&format!(" WHERE {p}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_modifiers_are_plain_numbers() {
        assert_eq!(type_modifiers("varchar(20)"), Some(vec![20]));
        assert_eq!(type_modifiers("numeric(12, 2)"), Some(vec![12, 2]));
        assert_eq!(
            type_modifiers("timestamp(3) with time zone[]"),
            Some(vec![3])
        );
        assert_eq!(type_modifiers("text"), None);
        assert_eq!(type_modifiers("geometry(Point, 4326)"), None);
    }

    #[test]
    fn integer_and_boolean_defaults_differ_without_the_server() {
        assert!(constants_differ("1", "0", "integer"));
        assert!(constants_differ("(1)", "'-1'::integer", "bigint"));
        assert!(!constants_differ("-1", "'-1'::integer", "integer"));
        assert!(!constants_differ("0", "0", "smallint"));
        assert!(constants_differ("TRUE", "false", "boolean"));
        assert!(!constants_differ("true", "true", "boolean"));
        // Not constants, or not known: left to the server.
        assert!(!constants_differ("1 + 1", "3", "integer"));
        assert!(!constants_differ("(a) + (b)", "1", "integer"));
        assert!(!constants_differ("1", "2", "numeric"));
        assert!(!constants_differ("'t'", "false", "boolean"));
    }

    fn column(name: &str, ty: &str) -> Column {
        Column::new(name, ty)
    }

    #[test]
    fn compares_tables_by_name() {
        let mut users = Table::new("public", "users", vec![column("id", "bigint")]);
        users.primary_key = Some(PrimaryKey {
            name: "users_pkey".into(),
            columns: vec!["id".into()],
            deferral: Deferral::Immediate,
        });
        let desired = Schema {
            tables: vec![users.clone()],
            ..Schema::default()
        };
        let mut found = users.clone();
        found.columns[0].ty = "integer".into();
        found.columns.push(column("note", "text"));
        found.primary_key = None;
        let current = Schema {
            tables: vec![found, Table::new("billing", "old", vec![])],
            ..Schema::default()
        };
        let report = compare(&desired, &current, &[], false);
        assert_eq!(
            report.mismatches,
            vec![
                Mismatch::TypeMismatch {
                    table: "users".into(),
                    column: "id".into(),
                    expected: "bigint".into(),
                    found: "integer".into(),
                },
                Mismatch::ExtraColumn {
                    table: "users".into(),
                    column: "note".into(),
                    sql_type: "text".into(),
                },
                Mismatch::MissingConstraint {
                    table: "users".into(),
                    constraint: ConstraintKind::PrimaryKey,
                    name: "users_pkey".into(),
                    definition: "PRIMARY KEY (id)".into(),
                },
                Mismatch::ExtraTable {
                    table: "billing.old".into(),
                },
            ]
        );
        assert!(!report.is_clean());
    }
}
