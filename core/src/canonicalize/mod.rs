//! Declared SQL fragments spelled the way PostgreSQL reads them back.
//!
//! The desired schema holds types, defaults, checks, index keys and predicates and
//! generated expressions as the user wrote them (`int4`, `'hello'`, `age >= 0`,
//! `lower(email)`); the current one holds PostgreSQL's spelling (`integer`,
//! `'hello'::text`, `(age >= 0)`, `lower((email)::text)`). Rather than teach Rust
//! PostgreSQL's grammar, strata asks the server: it creates the fragments on temporary
//! tables inside a transaction that is always rolled back, and reads them back with
//! `format_type` / `pg_get_expr` / `pg_get_indexdef` — the functions introspection
//! uses, under the same `search_path`, so equal fragments come back as equal text.
//!
//! Inside that transaction the desired world is set up first ([`prerequisites`]): the
//! schemas, the `strata.toml` extensions and the enum types as declared, so a default
//! `'draft'` on an enum the migration creates (or extends) reads back as
//! `'draft'::status`, naming the real type.
//!
//! Then two passes:
//! - [`columns`]: types and defaults, column by column, in wide temporary tables;
//! - [`objects`]: checks, index keys / INCLUDE columns / predicates and generated
//!   expressions, on one temporary copy of each desired table that needs it.
//!
//! Fragments whose spelling is provably the current one's (`qty >= 0` read back as
//! `(qty >= 0)` when the columns it names are unchanged, `'{}'` as `'{}'::jsonb`) take
//! it without a round trip, and so do btree indexes on plain columns, spelled as
//! PostgreSQL spells a column key ([`known`]). Only what still differs textually from
//! the same object in the current schema is sent (a new object has nothing to be
//! compared with, unless [`known`] spelled it), so when nothing changed no statement
//! is sent at all. Otherwise the number of round trips is fixed per batch, never one
//! per table or object. Only spellings change: names, and the diff, are not decided
//! here.
//!
//! PostgreSQL's spelling is for comparing only. It is not always read back as itself
//! (`s IN ('a', 'b')` on a `varchar` column prints as a cast array that prints
//! otherwise once created from that text), so every fragment re-spelled here keeps the
//! text the user declared beside it ([`Written`](crate::schema::Written)), and the
//! migration writes that. A default that means what the current one means (`now()`
//! where the database says `CURRENT_TIMESTAMP`: see `diff::defaults`) takes the
//! current spelling. [`restorable`] does the converse for the current schema: what a
//! down file re-creates gets a text PostgreSQL reads back as the catalog has it.

mod columns;
mod known;
mod objects;
mod prerequisites;
mod restore;
mod runner;

pub use columns::CHUNK_COLUMNS;
pub use objects::TABLES_PER_BATCH;
pub use restore::restorable;

use crate::schema::{Column, Schema, Table};
use sqlx::{Connection, PgConnection};
use std::collections::HashMap;
use std::fmt;

/// Why canonicalization failed.
#[derive(Debug, thiserror::Error)]
pub enum CanonicalizeError {
    /// PostgreSQL rejected declared fragments: one entry per culprit.
    #[error("{}", FragmentErrors(.0))]
    Fragments(Vec<FragmentError>),
    /// A declared schema, extension or enum type PostgreSQL refuses to create, so the
    /// fragments that need it cannot be spelled (the migration would fail the same way).
    #[error("{object}: {message}")]
    Prerequisite {
        /// `extension "postgis"`, `enum type billing.status`, ...
        object: String,
        /// PostgreSQL's message.
        message: String,
    },
    /// The connection or the server failed for a reason no fragment explains.
    #[error("while canonicalizing declared SQL fragments: {0}")]
    Database(#[from] sqlx::Error),
}

/// One declared fragment PostgreSQL does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{schema}.{table}{}: {fragment}: {message}", ColumnSuffix(.column.as_deref()))]
pub struct FragmentError {
    pub schema: String,
    pub table: String,
    /// The column the fragment belongs to; `None` for a table-level object (a check,
    /// an index).
    pub column: Option<String>,
    pub fragment: Fragment,
    /// PostgreSQL's message.
    pub message: String,
}

/// Which declared fragment, as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fragment {
    Default(String),
    SqlType(String),
    /// A generated column's expression.
    Generated(String),
    /// A check constraint: its name and expression.
    Check {
        name: String,
        expr: String,
    },
    /// An index: its name and its definition after `ON table`, as sent
    /// (`USING btree ((lower(email))) WHERE deleted_at IS NULL`).
    Index {
        name: String,
        definition: String,
    },
    /// An exclusion constraint: its name and definition (`EXCLUDE USING ...`).
    Exclusion {
        name: String,
        definition: String,
    },
}

impl fmt::Display for Fragment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Column fragments are spelled as in the attribute, so the user can search for
        // them; table-level objects by their (PostgreSQL) name.
        match self {
            Fragment::Default(s) => write!(f, "default = {s:?}"),
            Fragment::SqlType(s) => write!(f, "sql_type = {s:?}"),
            Fragment::Generated(s) => write!(f, "generated = {s:?}"),
            Fragment::Check { name, expr } => write!(f, "check {name:?}: {expr}"),
            Fragment::Index { name, definition } => write!(f, "index {name:?}: {definition}"),
            Fragment::Exclusion { name, definition } => {
                write!(f, "exclusion constraint {name:?}: {definition}")
            }
        }
    }
}

struct ColumnSuffix<'a>(Option<&'a str>);

impl fmt::Display for ColumnSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(c) => write!(f, ".{c}"),
            None => Ok(()),
        }
    }
}

struct FragmentErrors<'a>(&'a [FragmentError]);

impl fmt::Display for FragmentErrors<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Rewrites the fragments of `desired` that differ textually from `current` into
/// PostgreSQL's own spelling, by creating them in a transaction that is rolled back.
///
/// On an error nothing in `desired` is rewritten but the fragments [`known`] spells
/// without the server (they are spelled as PostgreSQL spells them either way). A column
/// whose declared type does not exist even once the desired enums and extensions are
/// in place is left as it is
/// by the column pass. Defaults of serial, identity and generated columns are not
/// touched.
pub async fn canonicalize(
    conn: &mut PgConnection,
    desired: &mut Schema,
    current: &Schema,
) -> Result<(), CanonicalizeError> {
    canonicalize_on(conn, None, desired, current).await
}

/// [`canonicalize`], with a `second` connection taking half of the object pass when
/// there is one: the temporary copies are server work, and the server has a core to
/// spare while this client waits. Each connection works in its own rolled-back
/// transaction, so the halves cannot see each other. Not when the desired world needs
/// schemas, extensions or enum types first: two transactions creating the same ones
/// would wait for each other anyway.
pub async fn canonicalize_on(
    conn: &mut PgConnection,
    second: Option<&mut PgConnection>,
    desired: &mut Schema,
    current: &Schema,
) -> Result<(), CanonicalizeError> {
    // Spellings provably equal to the current ones need no round trip (see `known`).
    let known = known::adopt(desired, current);
    let column_work = columns::candidates(desired, current);
    let object_work = objects::work(desired, current, &known);
    if column_work.is_empty() && object_work.is_empty() {
        return Ok(());
    }

    let shared = match second {
        Some(second)
            if object_work.len() >= 2 && prerequisites::statements(desired, current).is_empty() =>
        {
            Some(second)
        }
        _ => None,
    };
    let (first, other) = match shared {
        Some(second) => {
            // The first connection also has the column pass: it takes the smaller half.
            let (mine, theirs) = object_work.split_at(object_work.len() / 2);
            tokio::join!(
                session(conn, desired, current, &column_work, mine),
                session(second, desired, current, &[], theirs)
            )
        }
        None => (
            session(conn, desired, current, &column_work, &object_work).await,
            Ok((Ok(Vec::new()), Ok(Vec::new()))),
        ),
    };
    let (columns, objects) = first?;
    let (_, other_objects) = other?;
    let column_spellings = columns.map_err(CanonicalizeError::Fragments)?;
    let object_spellings =
        together(objects, other_objects).map_err(CanonicalizeError::Fragments)?;

    columns::apply(desired, &column_work, &column_spellings);
    objects::apply(desired, &object_spellings);
    if !column_work.is_empty() {
        known::adopt_equivalent_defaults(desired, current);
    }
    Ok(())
}

/// The spellings [`canonicalize`] finds without the server (see [`known`]): declared
/// fragments that provably mean the current ones take their text. Pure, and nothing
/// is created: what `strata::check` does unless asked to compare expressions.
pub fn adopt_known(desired: &mut Schema, current: &Schema) {
    known::adopt(desired, current);
    known::adopt_equivalent_defaults(desired, current);
}

/// What one pass spelled, or the fragments PostgreSQL refused.
type Pass<T> = Result<Vec<T>, Vec<FragmentError>>;

/// Two halves of a pass as one: both answers, or every refused fragment, in order.
fn together<T>(first: Pass<T>, second: Pass<T>) -> Pass<T> {
    match (first, second) {
        (Ok(mut spelled), Ok(more)) => {
            spelled.extend(more);
            Ok(spelled)
        }
        (Err(mut refused), Err(more)) => {
            refused.extend(more);
            Err(refused)
        }
        (Err(refused), Ok(_)) | (Ok(_), Err(refused)) => Err(refused),
    }
}

/// One transaction, always rolled back, spelling `column_work` then `object_work`.
/// Refused column fragments skip the object pass (its answers would not be used).
async fn session(
    conn: &mut PgConnection,
    desired: &Schema,
    current: &Schema,
    column_work: &[columns::Candidate],
    object_work: &[objects::TableWork],
) -> Result<(Pass<columns::Spelling>, Pass<objects::Spelled>), CanonicalizeError> {
    let mut tx = scratch_transaction(conn).await?;
    let spelled = spell(&mut tx, desired, current, column_work, object_work).await;
    tx.rollback().await?;
    spelled
}

/// A transaction for temporary objects, which its caller rolls back (dropping it does
/// too: nothing created in it ever persists), under the spelling introspection uses;
/// literals in the generated DDL rely on standard strings.
async fn scratch_transaction(
    conn: &mut PgConnection,
) -> Result<sqlx::Transaction<'_, sqlx::Postgres>, sqlx::Error> {
    let mut tx = conn.begin().await?;
    sqlx::query(
        "SELECT pg_catalog.set_config('search_path', 'public', true),
                pg_catalog.set_config('standard_conforming_strings', 'on', true)",
    )
    .execute(&mut *tx)
    .await?;
    Ok(tx)
}

/// Both passes, inside the transaction `session` rolls back whatever happens.
async fn spell(
    tx: &mut PgConnection,
    desired: &Schema,
    current: &Schema,
    column_work: &[columns::Candidate],
    object_work: &[objects::TableWork],
) -> Result<(Pass<columns::Spelling>, Pass<objects::Spelled>), CanonicalizeError> {
    runner::install(tx).await?;
    prerequisites::create(tx, desired, current).await?;
    let columns = columns::spell(tx, column_work).await?;
    if columns.is_err() {
        return Ok((columns, Ok(Vec::new())));
    }
    let objects = objects::spell(tx, desired, object_work).await?;
    Ok((columns, objects))
}

/// The current tables by (schema, name), so finding the current table of each desired
/// one is not a scan of the list per table (quadratic: 150 ms at N=5000).
struct CurrentTables<'c>(HashMap<(&'c str, &'c str), &'c Table>);

impl<'c> CurrentTables<'c> {
    fn new(current: &'c Schema) -> Self {
        CurrentTables(
            current
                .tables
                .iter()
                .map(|t| ((t.schema.as_str(), t.name.as_str()), t))
                .collect(),
        )
    }

    fn get(&self, schema: &str, name: &str) -> Option<&'c Table> {
        self.0.get(&(schema, name)).copied()
    }

    /// The current table a desired one describes: the same name, or the name it was
    /// renamed from when the new name does not exist yet.
    fn matching(&self, table: &Table) -> Option<&'c Table> {
        self.get(&table.schema, &table.name).or_else(|| {
            table
                .renamed_from
                .as_deref()
                .and_then(|old| self.get(&table.schema, old))
        })
    }
}

/// Like [`CurrentTables::matching`], for a column.
fn matching_column<'c>(column: &Column, current: &'c Table) -> Option<&'c Column> {
    current.column(&column.name).or_else(|| {
        column
            .renamed_from
            .as_deref()
            .and_then(|old| current.column(old))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(column: Option<&str>, fragment: Fragment, message: &str) -> FragmentError {
        FragmentError {
            schema: "public".into(),
            table: "users".into(),
            column: column.map(String::from),
            fragment,
            message: message.into(),
        }
    }

    #[test]
    fn errors_name_the_column_the_fragment_and_the_message() {
        let e = CanonicalizeError::Fragments(vec![
            error(
                Some("created_at"),
                Fragment::Default("noww()".into()),
                "function noww() does not exist",
            ),
            error(
                Some("total"),
                Fragment::Generated("price * qtty".into()),
                "column \"qtty\" does not exist",
            ),
        ]);
        assert_eq!(
            e.to_string(),
            "public.users.created_at: default = \"noww()\": function noww() does not exist\n\
             public.users.total: generated = \"price * qtty\": column \"qtty\" does not exist"
        );
    }

    #[test]
    fn table_level_objects_are_named_without_a_column() {
        let check = error(
            None,
            Fragment::Check {
                name: "users_age_check".into(),
                expr: "age >= 'x'".into(),
            },
            "invalid input syntax for type integer: \"x\"",
        );
        assert_eq!(
            check.to_string(),
            "public.users: check \"users_age_check\": age >= 'x': \
             invalid input syntax for type integer: \"x\""
        );
        let index = error(
            None,
            Fragment::Index {
                name: "users_email_idx".into(),
                definition: "USING btree ((lower(emial)))".into(),
            },
            "column \"emial\" does not exist",
        );
        assert_eq!(
            index.to_string(),
            "public.users: index \"users_email_idx\": USING btree ((lower(emial))): \
             column \"emial\" does not exist"
        );
    }
}
