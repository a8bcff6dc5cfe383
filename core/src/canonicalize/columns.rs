//! The column pass: declared types and defaults (`sql_type`s, `default`s).
//!
//! Only columns that exist in current and whose type or default differ textually are
//! sent, in chunks of at most [`CHUNK_COLUMNS`] columns `c0`, `c1`, ... of a temporary
//! table: a fixed number of round trips per chunk, never one per column. When a chunk
//! fails, each of its columns is probed under a savepoint to name the culprit(s).

use super::{matching_column, CurrentTables, Fragment, FragmentError};
use crate::schema::{Column, Schema};
use sqlx::{Connection, PgConnection, Row};

/// Columns per temporary table: far below PostgreSQL's 1600-column limit, and few
/// enough that one bad fragment costs a bounded number of probes.
pub const CHUNK_COLUMNS: usize = 500;

/// SQLSTATEs meaning "this type does not exist (yet)": `undefined_object` (an unknown
/// type) and `invalid_schema_name` (a type in a schema that is not created yet).
const TYPE_NOT_FOUND: [&str; 2] = ["42704", "3F000"];

// ---------------------------------------------------------------------------------
// The pure part: which columns to ask about, and writing the answers back.

/// A desired column whose fragments must be spelled by PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Candidate {
    /// Indexes into `desired.tables` and that table's `columns`.
    table: usize,
    column: usize,
    schema: String,
    table_name: String,
    column_name: String,
    /// The declared type (always sent: the default is read back under it).
    ty: String,
    /// The declared default, when it may be rewritten.
    default: Option<String>,
    /// The current column's type differs: the declared one may not exist yet.
    ty_changed: bool,
}

/// PostgreSQL's spelling of one candidate; `None` when its type does not exist yet.
pub(super) type Spelling = Option<(String, Option<String>)>;

/// Spells every candidate, chunk by chunk: one answer per candidate, in order, or
/// the culprits. The outer `Result` is a failure no fragment explains.
pub(super) async fn spell(
    tx: &mut PgConnection,
    candidates: &[Candidate],
) -> Result<Result<Vec<Spelling>, Vec<FragmentError>>, sqlx::Error> {
    let mut spellings = Vec::with_capacity(candidates.len());
    let mut errors = Vec::new();
    for (n, chunk) in candidates.chunks(CHUNK_COLUMNS).enumerate() {
        match canonicalize_chunk(tx, n, chunk).await? {
            Ok(found) => spellings.extend(found),
            Err(found) => errors.extend(found),
        }
    }
    Ok(if errors.is_empty() {
        Ok(spellings)
    } else {
        Err(errors)
    })
}

pub(super) fn candidates(desired: &Schema, current: &Schema) -> Vec<Candidate> {
    let mut out = Vec::new();
    let tables = CurrentTables::new(current);
    for (ti, table) in desired.tables.iter().enumerate() {
        let Some(existing) = tables.matching(table) else {
            continue;
        };
        for (ci, column) in table.columns.iter().enumerate() {
            let Some(now) = matching_column(column, existing) else {
                continue;
            };
            let default = rewritable_default(column);
            let ty_changed = column.ty != now.ty;
            let default_changed = default.is_some() && column.default != now.default;
            if ty_changed || default_changed {
                out.push(Candidate {
                    table: ti,
                    column: ci,
                    schema: table.schema.clone(),
                    table_name: table.name.clone(),
                    column_name: column.name.clone(),
                    ty: column.ty.clone(),
                    default: default.map(String::from),
                    ty_changed,
                });
            }
        }
    }
    out
}

/// The default is the user's only when no sequence or generation owns the column.
fn rewritable_default(column: &Column) -> Option<&str> {
    if column.serial || column.identity.is_some() || column.generated.is_some() {
        return None;
    }
    column.default.as_deref()
}

pub(super) fn apply(desired: &mut Schema, candidates: &[Candidate], spellings: &[Spelling]) {
    for (cand, spelling) in candidates.iter().zip(spellings) {
        let Some((ty, default)) = spelling else {
            continue;
        };
        let Some(column) = desired
            .tables
            .get_mut(cand.table)
            .and_then(|t| t.columns.get_mut(cand.column))
        else {
            continue;
        };
        column.ty.clone_from(ty);
        if cand.default.is_some() {
            // The declared text stays beside it, to be written.
            column.respell_default(default.clone());
        }
    }
}

/// `c<i> <type> [DEFAULT (<expr>)]`. The parentheses keep a default a single
/// expression; they do not show in `pg_get_expr`'s output.
fn column_definition(i: usize, cand: &Candidate) -> String {
    match &cand.default {
        Some(d) => format!("c{i} {} DEFAULT ({d})", cand.ty),
        None => format!("c{i} {}", cand.ty),
    }
}

fn create_table_sql(name: &str, columns: &[(usize, &Candidate)]) -> String {
    let defs: Vec<String> = columns
        .iter()
        .map(|(i, c)| column_definition(*i, c))
        .collect();
    format!("CREATE TEMP TABLE {name} ({})", defs.join(", "))
}

// ---------------------------------------------------------------------------------
// The edge: temporary tables, savepoints, probes.

/// `Ok(spellings)` in the chunk's order, or `Err(culprits)`; the outer `Result` is a
/// failure no fragment explains.
async fn canonicalize_chunk(
    tx: &mut PgConnection,
    n: usize,
    chunk: &[Candidate],
) -> Result<Result<Vec<Spelling>, Vec<FragmentError>>, sqlx::Error> {
    let all: Vec<(usize, &Candidate)> = chunk.iter().enumerate().collect();
    let table = format!("strata_canon_{n}");
    if let Ok(found) = create_and_read(tx, &table, &all).await? {
        return Ok(Ok(found.into_iter().map(Some).collect()));
    }

    // Something in the chunk is wrong: probe each column alone to say what.
    let mut errors = Vec::new();
    let mut future_type = vec![false; chunk.len()];
    for (i, cand) in chunk.iter().enumerate() {
        match probe(tx, cand).await? {
            Probe::Fine => {}
            Probe::TypeNotFound(_) if cand.ty_changed => future_type[i] = true,
            Probe::TypeNotFound(message) => {
                // The type is spelled as an existing column's, so this should not
                // happen; if it does, the user hears PostgreSQL's reason.
                errors.push(fragment_error(
                    cand,
                    Fragment::SqlType(cand.ty.clone()),
                    message,
                ));
            }
            Probe::Rejected(fragment, message) => {
                errors.push(fragment_error(cand, fragment, message));
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }

    // Only types that do not exist yet were at fault: ask again without them.
    let rest: Vec<(usize, &Candidate)> =
        all.into_iter().filter(|(i, _)| !future_type[*i]).collect();
    let mut found = match create_and_read(tx, &table, &rest).await? {
        Ok(found) => found.into_iter(),
        Err(r) => {
            return Err(sqlx::Error::Protocol(format!(
                "the declared columns fail together but not one by one: {}",
                r.message
            )))
        }
    };
    let mut spellings = Vec::with_capacity(chunk.len());
    for skipped in future_type {
        spellings.push(if skipped { None } else { found.next() });
    }
    Ok(Ok(spellings))
}

/// PostgreSQL refused a temporary table: its message and SQLSTATE.
struct Rejection {
    message: String,
    code: Option<String>,
}

impl Rejection {
    fn type_not_found(&self) -> bool {
        self.code
            .as_deref()
            .is_some_and(|c| TYPE_NOT_FOUND.contains(&c))
    }
}

/// Creates `table` with `columns` under a savepoint, reads their spelling back in one
/// query, and rolls the savepoint back (so the name can be used again). `Ok(Err(_))`:
/// PostgreSQL rejected the table; the transaction stays usable.
async fn create_and_read(
    tx: &mut PgConnection,
    table: &str,
    columns: &[(usize, &Candidate)],
) -> Result<Result<Vec<(String, Option<String>)>, Rejection>, sqlx::Error> {
    let mut savepoint = tx.begin().await?;
    let created = sqlx::query(&create_table_sql(table, columns))
        .persistent(false)
        .execute(&mut *savepoint)
        .await;
    match created {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) => {
            savepoint.rollback().await?;
            return Ok(Err(Rejection {
                message: e.message().to_string(),
                code: e.code().map(|c| c.into_owned()),
            }));
        }
        Err(e) => return Err(e),
    }
    let rows = sqlx::query(
        "SELECT a.attname::text AS name,
                pg_catalog.format_type(a.atttypid, a.atttypmod) AS ty,
                pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default_expr
         FROM pg_catalog.pg_attribute a
         LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attnum",
    )
    .bind(format!("pg_temp.{table}"))
    .fetch_all(&mut *savepoint)
    .await?;
    savepoint.rollback().await?;

    // A fragment that smuggles in a column definition of its own (`1), x int DEFAULT (2`)
    // shifts the columns: refuse it rather than read the wrong spelling.
    let names_match = rows.len() == columns.len()
        && rows.iter().zip(columns).all(|(row, (i, _))| {
            row.try_get::<String, _>("name")
                .is_ok_and(|name| name == format!("c{i}"))
        });
    if !names_match {
        return Ok(Err(Rejection {
            message: format!(
                "a fragment is not a single type or expression: {} column definitions made {} columns",
                columns.len(),
                rows.len()
            ),
            code: None,
        }));
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push((row.try_get("ty")?, row.try_get("default_expr")?));
    }
    Ok(Ok(out))
}

enum Probe {
    Fine,
    /// Unknown type or schema: fine for a type the migration is about to create.
    TypeNotFound(String),
    Rejected(Fragment, String),
}

/// Tries the type alone, then with the default: which of the two PostgreSQL refuses.
async fn probe(tx: &mut PgConnection, cand: &Candidate) -> Result<Probe, sqlx::Error> {
    let type_only = Candidate {
        default: None,
        ..cand.clone()
    };
    if let Err(r) = create_and_read(tx, PROBE_TABLE, &[(0, &type_only)]).await? {
        return Ok(if r.type_not_found() {
            Probe::TypeNotFound(r.message)
        } else {
            Probe::Rejected(Fragment::SqlType(cand.ty.clone()), r.message)
        });
    }
    if let Some(default) = &cand.default {
        if let Err(r) = create_and_read(tx, PROBE_TABLE, &[(0, cand)]).await? {
            return Ok(Probe::Rejected(
                Fragment::Default(default.clone()),
                r.message,
            ));
        }
    }
    Ok(Probe::Fine)
}

const PROBE_TABLE: &str = "strata_canon_probe";

fn fragment_error(cand: &Candidate, fragment: Fragment, message: String) -> FragmentError {
    FragmentError {
        schema: cand.schema.clone(),
        table: cand.table_name.clone(),
        column: Some(cand.column_name.clone()),
        fragment,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Identity, Table};

    fn col(name: &str, ty: &str, default: Option<&str>) -> Column {
        Column {
            nullable: true,
            default: default.map(String::from),
            ..Column::new(name, ty)
        }
    }

    fn table(name: &str, columns: Vec<Column>) -> Table {
        Table::new("public", name, columns)
    }

    fn schema(tables: Vec<Table>) -> Schema {
        Schema {
            schemas: vec!["public".into()],
            tables,
            ..Schema::default()
        }
    }

    fn names(c: &[Candidate]) -> Vec<String> {
        c.iter()
            .map(|c| format!("{}.{}", c.table_name, c.column_name))
            .collect()
    }

    #[test]
    fn only_existing_columns_whose_text_differs_are_asked_about() {
        let current = schema(vec![table(
            "t",
            vec![
                col("same", "integer", Some("0")),
                col("ty", "integer", None),
                col("def", "text", Some("'a'::text")),
            ],
        )]);
        let desired = schema(vec![
            table(
                "t",
                vec![
                    col("same", "integer", Some("0")),
                    col("ty", "int4", None),
                    col("def", "text", Some("'a'")),
                    col("new_column", "int4", Some("1")),
                ],
            ),
            table("new_table", vec![col("x", "int4", None)]),
        ]);
        let c = candidates(&desired, &current);
        assert_eq!(names(&c), ["t.ty", "t.def"]);
        assert!(c[0].ty_changed && !c[1].ty_changed);
        assert_eq!(c[1].default.as_deref(), Some("'a'"));
    }

    #[test]
    fn renamed_tables_and_columns_are_matched_by_their_old_names() {
        let current = schema(vec![table("old", vec![col("was", "integer", None)])]);
        let mut t = table("new", vec![col("is", "int4", None)]);
        t.renamed_from = Some("old".into());
        t.columns[0].renamed_from = Some("was".into());
        let c = candidates(&schema(vec![t]), &current);
        assert_eq!(names(&c), ["new.is"]);
    }

    #[test]
    fn the_new_name_wins_over_the_hint_when_both_exist() {
        let current = schema(vec![
            table("old", vec![col("a", "bigint", None)]),
            table("new", vec![col("a", "int4", None)]),
        ]);
        let mut t = table("new", vec![col("a", "int4", None)]);
        t.renamed_from = Some("old".into());
        assert!(candidates(&schema(vec![t]), &current).is_empty());
    }

    #[test]
    fn sequence_and_generated_defaults_are_never_sent() {
        let current = schema(vec![table(
            "t",
            vec![col("a", "integer", None), col("b", "integer", None)],
        )]);
        let mut a = col("a", "integer", Some("nextval('x')"));
        a.serial = true;
        let mut b = col("b", "integer", Some("1"));
        b.identity = Some(Identity::Always);
        let desired = schema(vec![table("t", vec![a, b])]);
        assert!(candidates(&desired, &current).is_empty());
    }

    #[test]
    fn answers_are_written_back_and_future_types_left_alone() {
        let current = schema(vec![table(
            "t",
            vec![col("a", "integer", None), col("b", "text", None)],
        )]);
        let mut desired = schema(vec![table(
            "t",
            vec![col("a", "int4", Some("0")), col("b", "mood", None)],
        )]);
        let c = candidates(&desired, &current);
        let spellings = vec![Some(("integer".to_string(), Some("0".to_string()))), None];
        apply(&mut desired, &c, &spellings);
        assert_eq!(desired.tables[0].columns[0].ty, "integer");
        assert_eq!(desired.tables[0].columns[1].ty, "mood");
    }

    #[test]
    fn defaults_are_parenthesised_in_the_temporary_table() {
        let c = Candidate {
            table: 0,
            column: 0,
            schema: "public".into(),
            table_name: "t".into(),
            column_name: "a".into(),
            ty: "int4".into(),
            default: Some("1 + 1".into()),
            ty_changed: true,
        };
        assert_eq!(
            create_table_sql("x", &[(3, &c)]),
            "CREATE TEMP TABLE x (c3 int4 DEFAULT (1 + 1))"
        );
    }
}
