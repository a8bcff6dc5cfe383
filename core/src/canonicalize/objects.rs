//! The object pass: check expressions, index keys / INCLUDE columns / predicates and
//! generated column expressions.
//!
//! These fragments name columns, so they are spelled on a temporary copy of their
//! table: `strata_canon_t<n>` with the desired columns (real names, declared types,
//! generated expressions included), then the checks and indexes that need spelling.
//! The statements of up to [`TABLES_PER_BATCH`] tables go in one round trip (see
//! [`runner`](super::runner)), and one query reads everything back with the SQL
//! introspection uses (the index part is literally shared). Each batch runs under a
//! savepoint that is rolled back at once, so the locks of its temporary objects do not
//! pile up over a large schema.

use super::known::{unsure, Known};
use super::{matching_column, runner, CurrentTables, Fragment, FragmentError};
use crate::introspect::indexes::{index, index_rows_ctes};
use crate::lower::expr_columns::identifiers;
use crate::names::quote_ident;
use crate::schema::{Column, Index, Schema, Table};
use sqlx::{Connection, PgConnection, Row};
use std::collections::{HashMap, HashSet};

/// Temporary tables per round trip: a few hundred statements and locks at most for
/// ordinary tables, and a bounded number of round trips for large schemas.
pub const TABLES_PER_BATCH: usize = 100;

/// A desired table that exists in current, with the objects whose text differs from
/// the current object of the same name and that [`known`](super::known) did not spell
/// (indexes into the desired table's lists).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct TableWork {
    /// Index into `desired.tables`.
    pub table: usize,
    pub checks: Vec<usize>,
    pub exclusions: Vec<usize>,
    pub indexes: Vec<usize>,
    /// Columns whose generated expression needs spelling.
    pub generated: Vec<usize>,
    /// Plain columns whose type the database already has for them: they can go into
    /// the copy's CREATE TEMP TABLE together, while a new or retyped column gets an
    /// ALTER of its own, so a bad type is pinned on its column. (One statement per
    /// column costs a subtransaction each, most of the time of a large batch.)
    pub settled: Vec<usize>,
}

/// PostgreSQL's spelling of one object, to be written back into the desired schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Spelled {
    Check {
        table: usize,
        check: usize,
        expr: String,
    },
    Exclusion {
        table: usize,
        exclusion: usize,
        definition: String,
    },
    Index {
        table: usize,
        index: usize,
        read: Index,
    },
    Generated {
        table: usize,
        column: usize,
        expr: String,
    },
}

// ---------------------------------------------------------------------------------
// The pure part: what to send, how to name it, writing the answers back.

/// What to send: per table, the objects that differ from the current ones and are not
/// [`Known`] to be spelled already.
pub(super) fn work(desired: &Schema, current: &Schema, known: &Known) -> Vec<TableWork> {
    let mut out = Vec::new();
    let tables = CurrentTables::new(current);
    for (ti, table) in desired.tables.iter().enumerate() {
        let Some(existing) = tables.matching(table) else {
            continue;
        };
        let checks = positions(&table.checks, |_, c| {
            !existing
                .checks
                .iter()
                .any(|e| e.name == c.name && e.expr == c.expr)
        });
        let indexes = positions(&table.indexes, |k, i| {
            !known.index(ti, k)
                && !existing.indexes.iter().any(|e| {
                    e.name == i.name
                        && e.keys == i.keys
                        && e.include == i.include
                        && e.predicate == i.predicate
                        && e.opclasses == i.opclasses
                        && e.orders == i.orders
                        && e.collations == i.collations
                        && e.nulls_not_distinct == i.nulls_not_distinct
                })
        });
        let exclusions = positions(&table.exclusions, |_, x| {
            !existing
                .exclusions
                .iter()
                .any(|e| e.name == x.name && e.definition == x.definition)
        });
        let generated = positions(&table.columns, |_, c| {
            c.generated.is_some()
                && matching_column(c, existing).is_none_or(|e| e.generated != c.generated)
        });
        if !(checks.is_empty()
            && exclusions.is_empty()
            && indexes.is_empty()
            && generated.is_empty())
        {
            let settled = positions(&table.columns, |_, c| {
                c.generated.is_none() && matching_column(c, existing).is_some_and(|e| e.ty == c.ty)
            });
            out.push(TableWork {
                table: ti,
                checks,
                exclusions,
                indexes,
                generated,
                settled,
            });
        }
    }
    out
}

fn positions<T>(items: &[T], pick: impl Fn(usize, &T) -> bool) -> Vec<usize> {
    items
        .iter()
        .enumerate()
        .filter(|(k, item)| pick(*k, item))
        .map(|(i, _)| i)
        .collect()
}

/// What a statement declares, so a failure is pinned on the user's fragment and an
/// answer lands where it belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declares {
    Table,
    /// A column (index into the desired table's columns), plain or generated.
    Column(usize),
    Check(usize),
    Exclusion(usize),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    /// Index into the work list.
    work: usize,
    declares: Declares,
    sql: String,
}

/// A copied column's type with its collation: an index key's collation is named
/// against its column's, so the copy has the column's.
fn typed(c: &Column) -> String {
    match &c.collation {
        Some(collation) => format!("{} COLLATE {collation}", c.ty),
        None => c.ty.clone(),
    }
}

/// `strata_canon_t<n>`: `n` is the table's place in the work list, unique in the call.
fn temp_table(n: usize) -> String {
    format!("strata_canon_t{n}")
}

/// Constraint names are per table; index names share `pg_temp` with every temporary
/// table, so they carry their table's name. Neither is the declared name: two desired
/// tables in different schemas may declare the same index name.
fn check_name(k: usize) -> String {
    format!("c{k}")
}

fn exclusion_name(k: usize) -> String {
    format!("x{k}")
}

fn index_name(n: usize, k: usize) -> String {
    format!("strata_canon_t{n}_i{k}")
}

/// `USING <method> ((key), ...) [INCLUDE (...)] [WHERE (...)]`. Every key is
/// parenthesised so an expression needs no further care; PostgreSQL still treats a
/// parenthesised bare column as a column key, spelled as one.
pub(super) fn index_definition(i: &Index) -> String {
    let keys: Vec<String> = i
        .keys
        .iter()
        .enumerate()
        .map(|(n, k)| crate::sql::key_with_options(format!("({k})"), i, n))
        .collect();
    let mut sql = format!("USING {} ({})", quote_ident(&i.method), keys.join(", "));
    if !i.include.is_empty() {
        sql.push_str(&format!(" INCLUDE ({})", i.include.join(", ")));
    }
    if i.nulls_not_distinct {
        sql.push_str(" NULLS NOT DISTINCT");
    }
    if let Some(p) = &i.predicate {
        sql.push_str(&format!(" WHERE ({p})"));
    }
    sql
}

/// The columns a copy needs: those its fragments name (every identifier that is a
/// column's name, in any position), and those the named generated columns' own
/// expressions name. An expression reads only the columns it names, so the rest of
/// the table changes no spelling, and a copy of one or two columns costs a fraction of
/// a copy of twenty (at N=5000, 72 copies took 0.16 s). `None`, every column, when an
/// expression is beyond the tokenizer or names the table itself (a whole-row value).
fn needed_columns(table: &Table, work: &TableWork) -> Option<HashSet<String>> {
    let mut texts: Vec<String> = Vec::new();
    let mut needed = HashSet::new();
    for &k in &work.checks {
        texts.push(table.checks.get(k)?.expr.clone());
    }
    for &k in &work.indexes {
        texts.push(index_definition(table.indexes.get(k)?));
    }
    for &k in &work.exclusions {
        texts.push(table.exclusions.get(k)?.definition.clone());
    }
    for &k in &work.generated {
        let column = table.columns.get(k)?;
        needed.insert(column.name.clone());
    }
    let table_names = [Some(table.name.as_str()), table.renamed_from.as_deref()];
    let named = |text: &str, needed: &mut HashSet<String>| -> Option<()> {
        if unsure(text) {
            return None;
        }
        for name in identifiers(text) {
            if table_names.contains(&Some(name.as_str())) {
                return None;
            }
            needed.insert(name);
        }
        Some(())
    };
    for text in &texts {
        named(text, &mut needed)?;
    }
    // Generated columns read other columns (never another generated one).
    for column in &table.columns {
        if let Some(expr) = column
            .generated
            .as_deref()
            .filter(|_| needed.contains(&column.name))
        {
            named(expr, &mut needed)?;
        }
    }
    Some(needed)
}

/// The statements building table `n`'s copy: the table, its plain columns, its
/// generated columns (which may use the plain ones), then the checks and indexes.
/// Only the [`needed_columns`] are copied.
fn statements(n: usize, table: &Table, work: &TableWork) -> Vec<Statement> {
    let temp = temp_table(n);
    let qualified = format!("pg_temp.{temp}");
    let stmt = |declares, sql| Statement {
        work: n,
        declares,
        sql,
    };
    let needed = needed_columns(table, work);
    let copied = |c: &Column| needed.as_ref().is_none_or(|n| n.contains(&c.name));
    let settled: Vec<String> = work
        .settled
        .iter()
        .filter_map(|&k| table.columns.get(k))
        .filter(|c| copied(c))
        .map(|c| format!("{} {}", quote_ident(&c.name), typed(c)))
        .collect();
    let mut out = vec![stmt(
        Declares::Table,
        format!("CREATE TEMP TABLE {temp} ({})", settled.join(", ")),
    )];
    for (k, c) in table.columns.iter().enumerate() {
        if !copied(c) {
            continue;
        }
        if c.generated.is_none() && !work.settled.contains(&k) {
            out.push(stmt(
                Declares::Column(k),
                format!(
                    "ALTER TABLE {qualified} ADD COLUMN {} {}",
                    quote_ident(&c.name),
                    typed(c)
                ),
            ));
        }
    }
    for (k, c) in table.columns.iter().enumerate().filter(|(_, c)| copied(c)) {
        if let Some(g) = &c.generated {
            out.push(stmt(
                Declares::Column(k),
                format!(
                    "ALTER TABLE {qualified} ADD COLUMN {} {} GENERATED ALWAYS AS ({g}) STORED",
                    quote_ident(&c.name),
                    typed(c)
                ),
            ));
        }
    }
    for &k in &work.checks {
        if let Some(c) = table.checks.get(k) {
            out.push(stmt(
                Declares::Check(k),
                format!(
                    "ALTER TABLE {qualified} ADD CONSTRAINT {} CHECK ({})",
                    check_name(k),
                    c.expr
                ),
            ));
        }
    }
    for &k in &work.exclusions {
        if let Some(x) = table.exclusions.get(k) {
            out.push(stmt(
                Declares::Exclusion(k),
                format!(
                    "ALTER TABLE {qualified} ADD CONSTRAINT {} {}",
                    exclusion_name(k),
                    x.definition
                ),
            ));
        }
    }
    for &k in &work.indexes {
        if let Some(i) = table.indexes.get(k) {
            out.push(stmt(
                Declares::Index(k),
                format!(
                    "CREATE {}INDEX {} ON {qualified} {}",
                    if i.unique { "UNIQUE " } else { "" },
                    index_name(n, k),
                    index_definition(i)
                ),
            ));
        }
    }
    out
}

/// The culprits among `failures` of a batch's statements. When a column of a table
/// failed, the checks and indexes that use it fail too, for that reason only: just the
/// column is reported. `Err`: a failure no declared fragment explains.
fn culprits(
    desired: &Schema,
    work: &[TableWork],
    statements: &[Statement],
    failures: &[runner::Failure],
) -> Result<Vec<FragmentError>, String> {
    let mut out = Vec::new();
    let failed: Vec<&Statement> = failures
        .iter()
        .filter_map(|f| statements.get(f.index))
        .collect();
    for (f, s) in failures.iter().zip(&failed) {
        let Some(table) = work.get(s.work).and_then(|w| desired.tables.get(w.table)) else {
            continue;
        };
        let column_failed = failed
            .iter()
            .any(|o| o.work == s.work && matches!(o.declares, Declares::Column(_)));
        let error = |column: Option<&str>, fragment| FragmentError {
            schema: table.schema.clone(),
            table: table.name.clone(),
            column: column.map(String::from),
            fragment,
            message: f.message.clone(),
        };
        match s.declares {
            Declares::Table => {
                return Err(format!("a temporary table was refused: {}", f.message));
            }
            Declares::Column(k) => {
                if let Some(c) = table.columns.get(k) {
                    let fragment = match &c.generated {
                        Some(g) => Fragment::Generated(g.clone()),
                        None => Fragment::SqlType(c.ty.clone()),
                    };
                    out.push(error(Some(&c.name), fragment));
                }
            }
            Declares::Check(_) | Declares::Exclusion(_) | Declares::Index(_) if column_failed => {}
            Declares::Exclusion(k) => {
                if let Some(x) = table.exclusions.get(k) {
                    out.push(error(
                        None,
                        Fragment::Exclusion {
                            name: x.name.clone(),
                            definition: x.definition.clone(),
                        },
                    ));
                }
            }
            Declares::Check(k) => {
                if let Some(c) = table.checks.get(k) {
                    out.push(error(
                        None,
                        Fragment::Check {
                            name: c.name.clone(),
                            expr: c.expr.clone(),
                        },
                    ));
                }
            }
            Declares::Index(k) => {
                if let Some(i) = table.indexes.get(k) {
                    out.push(error(
                        None,
                        Fragment::Index {
                            name: i.name.clone(),
                            definition: index_definition(i),
                        },
                    ));
                }
            }
        }
    }
    Ok(out)
}

pub(super) fn apply(desired: &mut Schema, spelled: &[Spelled]) {
    for s in spelled {
        match s {
            Spelled::Check { table, check, expr } => {
                if let Some(c) = desired
                    .tables
                    .get_mut(*table)
                    .and_then(|t| t.checks.get_mut(*check))
                {
                    c.respell(expr.clone());
                }
            }
            Spelled::Exclusion {
                table,
                exclusion,
                definition,
            } => {
                if let Some(x) = desired
                    .tables
                    .get_mut(*table)
                    .and_then(|t| t.exclusions.get_mut(*exclusion))
                {
                    x.respell(definition.clone());
                }
            }
            Spelled::Index { table, index, read } => {
                if let Some(i) = desired
                    .tables
                    .get_mut(*table)
                    .and_then(|t| t.indexes.get_mut(*index))
                {
                    // Only spellings: the name, method and uniqueness stay declared,
                    // and the declared keys and predicate stay beside their spellings,
                    // to be written. A predicate `known` took from the current index
                    // (the only reason a sent index is re-spelled already) stays: it is
                    // the stored expression, and reading it back may give another
                    // spelling of it (see `schema::Written`).
                    let predicate = if i.written.is_none() {
                        read.predicate.clone()
                    } else {
                        i.predicate.clone()
                    };
                    i.respell(read.keys.clone(), read.include.clone(), predicate);
                    i.opclasses.clone_from(&read.opclasses);
                    i.orders.clone_from(&read.orders);
                    i.collations.clone_from(&read.collations);
                }
            }
            Spelled::Generated {
                table,
                column,
                expr,
            } => {
                if let Some(c) = desired
                    .tables
                    .get_mut(*table)
                    .and_then(|t| t.columns.get_mut(*column))
                {
                    c.respell_generated(expr.clone());
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// The edge: one batch of temporary tables, one query reading them back.

/// Every check, index, generated column and default of the given temporary tables
/// (`$1`), in one row shape: `defs` holds the index definitions or the single
/// expression. (The copies made here have no defaults; [`restore`](super::restore)'s
/// do.)
pub(super) const READ_BACK: &str = concat!(
    "WITH managed AS (
    SELECT c.oid, c.relname::text AS name
    FROM pg_catalog.pg_class c
    WHERE c.relnamespace = pg_catalog.pg_my_temp_schema()
      AND c.relname::text = ANY($1)
)",
    // Plain key and INCLUDE columns named by the server: a lookup each is cheap for
    // a few temporary tables.
    index_rows_ctes!(
        "(SELECT pg_catalog.quote_ident(a.attname)
                              FROM pg_catalog.pg_attribute a
                              WHERE a.attrelid = idx.indrelid
                                AND a.attnum = idx.indkey[k.n - 1])"
    ),
    "
SELECT m.name AS table_name, 'index'::text AS kind, r.name, r.method, r.is_unique,
       r.key_count, r.predicate, r.defs, r.key_numbers, r.opclasses, r.orders,
       r.collations, r.nulls_not_distinct
FROM index_rows r
JOIN managed m ON m.oid = r.table_oid
UNION ALL
SELECT m.name, 'check'::text, con.conname::text, NULL::text, NULL::bool, NULL::int4,
       NULL::text, ARRAY[pg_catalog.pg_get_expr(con.conbin, con.conrelid)], NULL::text,
       NULL::text[], NULL::text[], NULL::text[], NULL::bool
FROM pg_catalog.pg_constraint con
JOIN managed m ON m.oid = con.conrelid
WHERE con.contype = 'c'
UNION ALL
SELECT m.name, 'exclusion'::text, con.conname::text, NULL::text, NULL::bool, NULL::int4,
       NULL::text, ARRAY[pg_catalog.pg_get_constraintdef(con.oid)], NULL::text,
       NULL::text[], NULL::text[], NULL::text[], NULL::bool
FROM pg_catalog.pg_constraint con
JOIN managed m ON m.oid = con.conrelid
WHERE con.contype = 'x'
UNION ALL
SELECT m.name, 'generated'::text, a.attname::text, NULL::text, NULL::bool, NULL::int4,
       NULL::text, ARRAY[pg_catalog.pg_get_expr(ad.adbin, ad.adrelid)], NULL::text,
       NULL::text[], NULL::text[], NULL::text[], NULL::bool
FROM pg_catalog.pg_attribute a
JOIN managed m ON m.oid = a.attrelid
JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE a.attgenerated = 's' AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT m.name, 'default'::text, a.attname::text, NULL::text, NULL::bool, NULL::int4,
       NULL::text, ARRAY[pg_catalog.pg_get_expr(ad.adbin, ad.adrelid)], NULL::text,
       NULL::text[], NULL::text[], NULL::text[], NULL::bool
FROM pg_catalog.pg_attribute a
JOIN managed m ON m.oid = a.attrelid
JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE a.attgenerated = '' AND a.attnum > 0 AND NOT a.attisdropped"
);

/// Spells every object of `work`, batch by batch: the answers, or the culprits. The
/// outer `Result` is a failure no fragment explains.
pub(super) async fn spell(
    tx: &mut PgConnection,
    desired: &Schema,
    work: &[TableWork],
) -> Result<Result<Vec<Spelled>, Vec<FragmentError>>, sqlx::Error> {
    let mut spelled = Vec::new();
    let mut errors = Vec::new();
    for (b, batch) in work.chunks(TABLES_PER_BATCH).enumerate() {
        let first = b * TABLES_PER_BATCH;
        let statements: Vec<Statement> = batch
            .iter()
            .enumerate()
            .filter_map(|(i, w)| {
                let table = desired.tables.get(w.table)?;
                Some(statements(first + i, table, w))
            })
            .flatten()
            .collect();
        match spell_batch(tx, desired, work, first, batch.len(), &statements).await? {
            Ok(found) => spelled.extend(found),
            Err(found) => errors.extend(found),
        }
    }
    Ok(if errors.is_empty() {
        Ok(spelled)
    } else {
        Err(errors)
    })
}

/// One batch under a savepoint: four round trips (savepoint, statements, read back,
/// rollback to the savepoint), whatever the number of tables and objects in it.
async fn spell_batch(
    tx: &mut PgConnection,
    desired: &Schema,
    work: &[TableWork],
    first: usize,
    len: usize,
    statements: &[Statement],
) -> Result<Result<Vec<Spelled>, Vec<FragmentError>>, sqlx::Error> {
    let sql: Vec<String> = statements.iter().map(|s| s.sql.clone()).collect();
    let mut savepoint = tx.begin().await?;
    let failures = runner::run(&mut savepoint, &sql).await?;
    if !failures.is_empty() {
        savepoint.rollback().await?;
        return match culprits(desired, work, statements, &failures) {
            Ok(errors) => Ok(Err(errors)),
            Err(unexplained) => Err(sqlx::Error::Protocol(unexplained)),
        };
    }
    let tables: Vec<String> = (first..first + len).map(temp_table).collect();
    let rows = sqlx::query(READ_BACK)
        .bind(&tables)
        .fetch_all(&mut *savepoint)
        .await?;
    savepoint.rollback().await?;

    let mut read: HashMap<(String, String, String), &sqlx::postgres::PgRow> = HashMap::new();
    for row in &rows {
        let key = (
            row.try_get("table_name")?,
            row.try_get("kind")?,
            row.try_get("name")?,
        );
        read.insert(key, row);
    }
    let mut out = Vec::new();
    for (i, w) in work.iter().enumerate().skip(first).take(len) {
        let temp = temp_table(i);
        let mut find = |kind: &str, name: String| {
            read.remove(&(temp.clone(), kind.to_string(), name.clone()))
                .ok_or_else(|| {
                    sqlx::Error::Protocol(format!(
                        "{kind} {name} of {temp} was not read back (did a fragment drop it?)"
                    ))
                })
        };
        for &k in &w.checks {
            let row = find("check", check_name(k))?;
            out.push(Spelled::Check {
                table: w.table,
                check: k,
                expr: single_expr(row)?,
            });
        }
        for &k in &w.exclusions {
            let row = find("exclusion", exclusion_name(k))?;
            out.push(Spelled::Exclusion {
                table: w.table,
                exclusion: k,
                definition: single_expr(row)?,
            });
        }
        for &k in &w.indexes {
            let row = find("index", index_name(i, k))?;
            out.push(Spelled::Index {
                table: w.table,
                index: k,
                read: index(row)?,
            });
        }
        for &k in &w.generated {
            let name = desired
                .tables
                .get(w.table)
                .and_then(|t| t.columns.get(k))
                .map(|c| c.name.clone())
                .unwrap_or_default();
            let row = find("generated", name)?;
            out.push(Spelled::Generated {
                table: w.table,
                column: k,
                expr: single_expr(row)?,
            });
        }
    }
    Ok(Ok(out))
}

pub(super) fn single_expr(row: &sqlx::postgres::PgRow) -> Result<String, sqlx::Error> {
    let exprs: Vec<Option<String>> = row.try_get("defs")?;
    exprs
        .into_iter()
        .next()
        .flatten()
        .ok_or_else(|| sqlx::Error::Protocol("an expression read back as NULL".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{CheckConstraint, Column};

    fn col(name: &str, ty: &str, generated: Option<&str>) -> Column {
        Column {
            name: name.into(),
            ty: ty.into(),
            nullable: true,
            default: None,
            identity: None,
            generated: generated.map(String::from),
            serial: false,
            sequence: None,
            sequence_type: None,
            collation: None,
            comment: None,
            renamed_from: None,
            written: Default::default(),
        }
    }

    fn check(name: &str, expr: &str) -> CheckConstraint {
        CheckConstraint {
            name: name.into(),
            expr: expr.into(),
            not_valid: false,
            written: Default::default(),
        }
    }

    fn idx(name: &str, keys: &[&str], predicate: Option<&str>) -> Index {
        Index {
            name: name.into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            unique: false,
            method: "btree".into(),
            predicate: predicate.map(String::from),
            include: vec![],
            opclasses: vec![],
            orders: vec![],
            collations: vec![],
            nulls_not_distinct: false,
            written: Default::default(),
        }
    }

    fn table(name: &str) -> Table {
        Table {
            schema: "public".into(),
            name: name.into(),
            columns: vec![
                col("price", "numeric", None),
                col("qty", "integer", None),
                col("total", "numeric", Some("(price * (qty)::numeric)")),
            ],
            primary_key: None,
            uniques: vec![],
            indexes: vec![idx("t_qty_idx", &["qty"], Some("(qty > 0)"))],
            foreign_keys: vec![],
            checks: vec![check("t_qty_check", "(qty > 0)")],
            comment: None,
            renamed_from: None,
            ..Default::default()
        }
    }

    fn schema(tables: Vec<Table>) -> Schema {
        Schema {
            schemas: vec!["public".into()],
            tables,
            ..Schema::default()
        }
    }

    #[test]
    fn objects_equal_to_the_current_ones_of_the_same_name_are_not_sent() {
        let current = schema(vec![table("t")]);
        assert!(work(&current, &current, &Known::default()).is_empty());

        let mut t = table("t");
        t.checks.push(check("new_check", "qty < 10"));
        t.indexes[0].predicate = Some("qty > 0".into());
        t.columns[2].generated = Some("price * qty".into());
        let desired = schema(vec![t, table("new_table")]);
        assert_eq!(
            work(&desired, &current, &Known::default()),
            [TableWork {
                table: 0,
                checks: vec![1],
                indexes: vec![0],
                generated: vec![2],
                // Columns 0 and 1 keep their types; 2 is generated.
                settled: vec![0, 1],
                ..Default::default()
            }]
        );
    }

    #[test]
    fn a_renamed_table_is_compared_with_its_old_self() {
        let current = schema(vec![table("old")]);
        let mut t = table("new");
        t.renamed_from = Some("old".into());
        t.checks[0].expr = "qty > 0".into();
        let w = work(&schema(vec![t]), &current, &Known::default());
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].checks.clone(), w[0].indexes.len()), (vec![0], 0));
    }

    #[test]
    fn the_copy_has_the_columns_its_objects_name_generated_ones_last_then_the_objects() {
        let mut t = table("t");
        t.columns.insert(0, col("order", "int4", None));
        t.indexes[0].keys = vec!["\"order\"".into(), "lower(x)".into()];
        t.indexes[0].include = vec!["qty".into()];
        t.indexes[0].unique = true;
        let w = TableWork {
            table: 0,
            checks: vec![0],
            indexes: vec![0],
            generated: vec![],
            settled: vec![],
            ..Default::default()
        };
        let sql: Vec<String> = statements(7, &t, &w).into_iter().map(|s| s.sql).collect();
        // `price` and the generated `total` are named by nothing spelled here.
        assert_eq!(
            sql,
            [
                "CREATE TEMP TABLE strata_canon_t7 ()",
                "ALTER TABLE pg_temp.strata_canon_t7 ADD COLUMN \"order\" int4",
                "ALTER TABLE pg_temp.strata_canon_t7 ADD COLUMN qty integer",
                "ALTER TABLE pg_temp.strata_canon_t7 ADD CONSTRAINT c0 CHECK ((qty > 0))",
                "CREATE UNIQUE INDEX strata_canon_t7_i0 ON pg_temp.strata_canon_t7 \
                 USING btree ((\"order\"), (lower(x))) INCLUDE (qty) WHERE ((qty > 0))",
            ]
        );

        // A generated column named by a check comes with the columns it reads.
        t.checks[0].expr = "total > 0".into();
        t.indexes.clear();
        let w = TableWork {
            indexes: vec![],
            settled: vec![1],
            ..w
        };
        let sql: Vec<String> = statements(7, &t, &w).into_iter().map(|s| s.sql).collect();
        assert_eq!(
            sql,
            [
                "CREATE TEMP TABLE strata_canon_t7 (price numeric)",
                "ALTER TABLE pg_temp.strata_canon_t7 ADD COLUMN qty integer",
                "ALTER TABLE pg_temp.strata_canon_t7 ADD COLUMN total numeric \
                 GENERATED ALWAYS AS ((price * (qty)::numeric)) STORED",
                "ALTER TABLE pg_temp.strata_canon_t7 ADD CONSTRAINT c0 CHECK (total > 0)",
            ]
        );
    }

    #[test]
    fn a_whole_row_reference_or_unsure_text_copies_every_column() {
        let mut t = table("t");
        t.indexes.clear();
        let w = TableWork {
            table: 0,
            checks: vec![0],
            indexes: vec![],
            generated: vec![],
            settled: vec![],
            ..Default::default()
        };
        for expr in ["t IS NOT NULL", "qty > 1 /* why */", "U&\"q\\00\" > 1"] {
            t.checks[0].expr = expr.into();
            let sql: Vec<String> = statements(0, &t, &w).into_iter().map(|s| s.sql).collect();
            assert_eq!(sql.len(), 1 + t.columns.len() + 1, "{expr}: {sql:#?}");
        }
        t.renamed_from = Some("old_t".into());
        t.checks[0].expr = "old_t IS NOT NULL".into();
        let sql: Vec<String> = statements(0, &t, &w).into_iter().map(|s| s.sql).collect();
        assert_eq!(sql.len(), 1 + t.columns.len() + 1, "{sql:#?}");
    }

    #[test]
    fn a_failed_column_hides_the_failures_it_causes_and_the_rest_are_named() {
        let mut t = table("t");
        t.columns[2].generated = Some("price * qtty".into());
        let desired = schema(vec![t, table("u")]);
        let work = vec![
            TableWork {
                table: 0,
                checks: vec![0],
                indexes: vec![0],
                generated: vec![2],
                settled: vec![],
                ..Default::default()
            },
            TableWork {
                table: 1,
                checks: vec![0],
                indexes: vec![],
                generated: vec![],
                settled: vec![],
                ..Default::default()
            },
        ];
        let mut sent = statements(0, &desired.tables[0], &work[0]);
        sent.extend(statements(1, &desired.tables[1], &work[1]));
        let failure = |declares: Declares, work: usize, message: &str| runner::Failure {
            index: sent
                .iter()
                .position(|s| s.declares == declares && s.work == work)
                .expect("statement"),
            code: "42703".into(),
            message: message.into(),
        };
        let failures = [
            failure(Declares::Column(2), 0, "column \"qtty\" does not exist"),
            failure(Declares::Check(0), 0, "column \"total\" does not exist"),
            failure(Declares::Check(0), 1, "bad"),
        ];
        let errors = culprits(&desired, &work, &sent, &failures).expect("explained");
        let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            shown,
            [
                "public.t.total: generated = \"price * qtty\": column \"qtty\" does not exist",
                "public.u: check \"t_qty_check\": (qty > 0): bad",
            ]
        );

        let table_failure = [failure(Declares::Table, 1, "out of memory")];
        assert!(culprits(&desired, &work, &sent, &table_failure).is_err());
    }

    #[test]
    fn declared_texts_stay_and_a_predicate_taken_from_the_catalog_is_kept() {
        let mut desired = schema(vec![table("t")]);
        desired.tables[0].checks[0].expr = "qty > 0".into();
        // As `known` leaves an index whose predicate it took from the catalog.
        let i = &mut desired.tables[0].indexes[0];
        i.keys = vec!["lower(x)".into()];
        i.predicate = Some("qty > 0".into());
        i.respell(vec!["lower(x)".into()], vec![], Some("(qty > 0)".into()));
        apply(
            &mut desired,
            &[
                Spelled::Check {
                    table: 0,
                    check: 0,
                    expr: "(qty > 0)".into(),
                },
                Spelled::Index {
                    table: 0,
                    index: 0,
                    read: idx("r", &["lower((x)::text)"], Some("((qty > 0))")),
                },
            ],
        );
        let t = &desired.tables[0];
        assert_eq!(t.checks[0].expr, "(qty > 0)");
        assert_eq!(t.checks[0].expr_sql(), "qty > 0");
        assert_eq!(t.indexes[0].keys, ["lower((x)::text)"]);
        assert_eq!(t.indexes[0].predicate.as_deref(), Some("(qty > 0)"));
        assert_eq!(t.indexes[0].keys_sql(), ["lower(x)"]);
        assert_eq!(t.indexes[0].predicate_sql(), Some("qty > 0"));
    }

    #[test]
    fn answers_replace_spellings_only() {
        let mut desired = schema(vec![table("t")]);
        let before = desired.tables[0].indexes[0].clone();
        apply(
            &mut desired,
            &[
                Spelled::Check {
                    table: 0,
                    check: 0,
                    expr: "(qty > 1)".into(),
                },
                Spelled::Index {
                    table: 0,
                    index: 0,
                    read: Index {
                        name: "strata_canon_t0_i0".into(),
                        unique: true,
                        method: "hash".into(),
                        ..idx("x", &["lower((x)::text)"], None)
                    },
                },
            ],
        );
        let t = &desired.tables[0];
        assert_eq!(t.checks[0].expr, "(qty > 1)");
        assert_eq!(t.indexes[0].keys, ["lower((x)::text)"]);
        assert_eq!(t.indexes[0].predicate, None);
        assert_eq!(
            (
                &t.indexes[0].name,
                t.indexes[0].unique,
                &t.indexes[0].method
            ),
            (&before.name, before.unique, &before.method)
        );
    }
}
