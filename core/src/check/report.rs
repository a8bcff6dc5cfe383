//! What a check found: [`CheckReport`], its [`Mismatch`]es, [`Unverified`] expressions and
//! [`PendingMigration`]s, and how each reads in a log (their `Display`).
use serde::Serialize;
use std::fmt;

/// What [`check`] found. [`CheckReport::is_clean`] says whether the app may trust its
/// entities; its `Display` is a report for a log, one line per finding.
///
/// [`check`]: super::check()
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
    ///
    /// [`CheckOptions::compare_expressions`]: super::CheckOptions::compare_expressions
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
