//! Current fragments a plan may re-create, given a text PostgreSQL reads back as them.
//!
//! A down file re-creates what the up file drops or changes: a check, an index, a
//! default, a generated column, a whole table. It can only write the current text,
//! which is PostgreSQL's own spelling, and PostgreSQL does not always read its own
//! spelling back as itself: `s IN ('a', 'b')` on a `varchar` column prints as
//! `((s)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))`,
//! and a check created from that prints `... ANY (ARRAY[('a'::character varying)::text,
//! ...])` (the cast of the array is pushed into its elements). A revert would then
//! leave another spelling in the catalog than the one it started from.
//!
//! So every such current fragment is created again from its text on a temporary copy
//! of its table (`CREATE TEMP TABLE ... (LIKE table)`: the same columns and types), in
//! a transaction that is rolled back, and read back. Those that come back otherwise are
//! tried once more with [`respelled`] texts, and the first that reads back as the
//! current text is kept as the one to write ([`Written`]). When none does, the
//! fragment is marked so, and the down file says that it restores the meaning but not
//! the spelling. A fixed number of round trips per batch of tables, as in
//! [`objects`](super::objects); nothing is sent when no current fragment differs from
//! the desired one.

use super::objects::{index_definition, single_expr, READ_BACK};
use super::runner;
use crate::diff::defaults;
use crate::introspect::indexes::index;
use crate::lower::expr_columns::identifiers;
use crate::names::{qualified, quote_ident};
use crate::schema::{Column, Index, IndexTexts, Schema, Table, Written};
use sqlx::{Connection, PgConnection, Row};
use std::collections::HashMap;

/// Tables per round trip, as in the object pass.
const TABLES_PER_BATCH: usize = super::objects::TABLES_PER_BATCH;

/// A fragment of a current table (positions in its lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    Check(usize),
    Index(usize),
    Default(usize),
    Generated(usize),
}

/// A text to try for a fragment: an expression, or an index's three texts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Text {
    Expr(String),
    Index(IndexTexts),
}

/// One fragment of `current.tables[table]` to create from `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Probe {
    table: usize,
    part: Part,
    text: Text,
}

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Found {
    /// The text reads back as the current one.
    Same,
    /// It reads back otherwise, or PostgreSQL refused it.
    Otherwise,
}

/// Gives the fragments of `current` that a plan towards `desired` may re-create a text
/// PostgreSQL reads back as them, or marks them when none is found (see the module).
/// `desired` must be canonicalized already: fragments equal to the desired ones are
/// not asked about.
pub async fn restorable(
    conn: &mut PgConnection,
    desired: &Schema,
    current: &mut Schema,
) -> Result<(), sqlx::Error> {
    let first = probes(desired, current);
    if first.is_empty() {
        return Ok(());
    }
    let mut tx = super::scratch_transaction(conn).await?;
    runner::install(&mut tx).await?;
    let found = probe_all(&mut tx, current, &first).await?;
    let mut outcome: Vec<(Probe, Found)> = Vec::new();
    let mut again = Vec::new();
    for (probe, found) in first.into_iter().zip(found) {
        match (found, respelled_probe(&probe)) {
            (Found::Otherwise, Some(retry)) => again.push(retry),
            (found, _) => outcome.push((probe, found)),
        }
    }
    let found = probe_all(&mut tx, current, &again).await?;
    outcome.extend(again.into_iter().zip(found));
    tx.rollback().await?;
    apply(current, &outcome);
    Ok(())
}

// ---------------------------------------------------------------------------------
// The pure part: what to ask about, other texts to try, writing the answers back.

/// Every fragment of a current table that is not the same in the desired table (which
/// a plan may drop and re-create), and every fragment of a current table that is not
/// desired at all, with its current text.
fn probes(desired: &Schema, current: &Schema) -> Vec<Probe> {
    let by_name: HashMap<(&str, &str), &Table> = desired
        .tables
        .iter()
        .map(|t| ((t.schema.as_str(), t.name.as_str()), t))
        .collect();
    let by_old_name: HashMap<(&str, &str), &Table> = desired
        .tables
        .iter()
        .filter_map(|t| Some(((t.schema.as_str(), t.renamed_from.as_deref()?), t)))
        .collect();
    let mut out = Vec::new();
    for (ti, table) in current.tables.iter().enumerate() {
        let key = (table.schema.as_str(), table.name.as_str());
        let wanted = by_name.get(&key).or_else(|| by_old_name.get(&key)).copied();
        table_probes(ti, table, wanted, &mut out);
    }
    out
}

fn table_probes(ti: usize, table: &Table, wanted: Option<&Table>, out: &mut Vec<Probe>) {
    let mut probe = |part, text: &str| {
        if !reads_back_as_itself(text) {
            out.push(Probe {
                table: ti,
                part,
                text: Text::Expr(text.to_string()),
            });
        }
    };
    let Some(wanted) = wanted else {
        // The table goes: a down file creates all of it again.
        for (k, c) in table.checks.iter().enumerate() {
            probe(Part::Check(k), &c.expr);
        }
        for (k, c) in table.columns.iter().enumerate() {
            if let Some(g) = &c.generated {
                probe(Part::Generated(k), g);
            } else if let Some(d) = plain_default(c) {
                probe(Part::Default(k), d);
            }
        }
        out.extend(table.indexes.iter().enumerate().map(|(k, i)| Probe {
            table: ti,
            part: Part::Index(k),
            text: Text::Index(texts_of(i)),
        }));
        return;
    };
    // Columns whose type changes, and columns that go or are re-created (dropped, or
    // generated ones whose expression changes or reads a retyped column): a plan
    // re-creates the generated columns reading the first and the checks and indexes
    // reading the second, even when their text stays.
    let retyped: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| desired_column(wanted, &c.name).is_some_and(|d| d.ty != c.ty))
        .map(|c| c.name.as_str())
        .collect();
    let recreated = |c: &Column| {
        let d = desired_column(wanted, &c.name);
        match (&c.generated, d) {
            (_, None) => true,
            (Some(g), Some(d)) => d.generated.as_ref() != Some(g) || reads(g, &retyped),
            (None, Some(_)) => false,
        }
    };
    let gone: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| recreated(c))
        .map(|c| c.name.as_str())
        .collect();
    for (k, c) in table.checks.iter().enumerate() {
        let kept = !reads(&c.expr, &gone)
            && wanted
                .checks
                .iter()
                .any(|d| d.name == c.name && d.expr == c.expr);
        if !kept {
            probe(Part::Check(k), &c.expr);
        }
    }
    for (k, c) in table.columns.iter().enumerate() {
        if let Some(g) = &c.generated {
            if recreated(c) {
                probe(Part::Generated(k), g);
            }
        } else if let Some(default) = plain_default(c) {
            let kept = desired_column(wanted, &c.name).is_some_and(|d| {
                d.ty == c.ty && defaults::same_default(d.default.as_deref(), Some(default), &c.ty)
            });
            if !kept {
                probe(Part::Default(k), default);
            }
        }
    }
    for (k, i) in table.indexes.iter().enumerate() {
        let texts = texts_of(i);
        let reads_gone = texts
            .keys
            .iter()
            .chain(&texts.include)
            .chain(&texts.predicate)
            .any(|t| reads(t, &gone));
        let kept = !reads_gone
            && wanted
                .indexes
                .iter()
                .any(|d| d.name == i.name && same_index(d, i));
        if !kept {
            out.push(Probe {
                table: ti,
                part: Part::Index(k),
                text: Text::Index(texts),
            });
        }
    }
}

/// A column's own default: a serial column's `nextval` belongs to its sequence.
fn plain_default(c: &Column) -> Option<&str> {
    c.default.as_deref().filter(|_| !c.serial)
}

/// Whether `expr` names any of `columns` (or cannot be read to tell).
fn reads(expr: &str, columns: &[&str]) -> bool {
    !columns.is_empty()
        && (super::known::unsure(expr)
            || identifiers(expr)
                .iter()
                .any(|n| columns.contains(&n.as_str())))
}

/// Texts PostgreSQL provably prints again as they are, so not worth a temporary
/// table: one literal cast to a type (`'open'::text`, `'{}'::character varying[]`,
/// `'-1'::integer`: the constant is read with the type's input function from what its
/// output function printed), a number, `true` / `false`, a call without arguments
/// (`now()`, `gen_random_uuid()`) and the SQL value functions (`CURRENT_TIMESTAMP`,
/// `CURRENT_DATE`, ...). Most defaults are one of these.
fn reads_back_as_itself(text: &str) -> bool {
    let word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    if let Some(call) = text.strip_suffix("()") {
        return call.split('.').all(word) && call.split('.').count() <= 2;
    }
    if matches!(text, "true" | "false")
        || SQL_VALUE_FUNCTIONS.contains(&text)
        || text
            .parse::<f64>()
            .is_ok_and(|_| !text.contains(['e', 'E', 'i', 'n', 'N']))
    {
        return true;
    }
    // `'...'::type`: one plain string constant, then a type name as `format_type`
    // prints one.
    use crate::lex::{Kind, StringPrefix};
    let tokens: Vec<crate::lex::Token> = crate::lex::tokens(text).collect();
    let literal = matches!(
        tokens.first().map(|t| t.kind),
        Some(Kind::String {
            prefix: StringPrefix::None,
            terminated: true
        })
    );
    let cast = tokens.get(1).is_some_and(|t| t.kind == Kind::Cast);
    literal
        && cast
        && tokens.len() > 2
        && tokens[2..].iter().all(|t| {
            matches!(
                t.kind,
                Kind::Ident
                    | Kind::QuotedIdent { .. }
                    | Kind::Number
                    | Kind::Whitespace
                    | Kind::Punct(b'.' | b',' | b'(' | b')' | b'[' | b']')
            )
        })
}

/// The SQL value functions as `pg_get_expr` prints them (without a precision).
const SQL_VALUE_FUNCTIONS: &[&str] = &[
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "CURRENT_USER",
    "CURRENT_ROLE",
    "SESSION_USER",
    "CURRENT_CATALOG",
    "CURRENT_SCHEMA",
];

/// The desired column a current one becomes: the same name, or one renamed from it.
fn desired_column<'t>(table: &'t Table, current: &str) -> Option<&'t Column> {
    table.column(current).or_else(|| {
        table
            .columns
            .iter()
            .find(|c| c.renamed_from.as_deref() == Some(current))
    })
}

fn same_index(a: &Index, b: &Index) -> bool {
    a.keys == b.keys
        && a.include == b.include
        && a.predicate == b.predicate
        && a.opclasses == b.opclasses
        && a.orders == b.orders
        && a.collations == b.collations
        && a.nulls_not_distinct == b.nulls_not_distinct
        && a.unique == b.unique
        && a.method == b.method
}

fn texts_of(i: &Index) -> IndexTexts {
    IndexTexts {
        keys: i.keys.clone(),
        include: i.include.clone(),
        predicate: i.predicate.clone(),
    }
}

/// The probe again with [`respelled`] texts, when any text changes.
fn respelled_probe(probe: &Probe) -> Option<Probe> {
    let text = match &probe.text {
        Text::Expr(e) => Text::Expr(respelled(e)?),
        Text::Index(t) => {
            let keys: Vec<String> = t
                .keys
                .iter()
                .map(|k| respelled(k).unwrap_or_else(|| k.clone()))
                .collect();
            let predicate = t
                .predicate
                .as_ref()
                .map(|p| respelled(p).unwrap_or_else(|| p.clone()));
            let again = IndexTexts {
                keys,
                include: t.include.clone(),
                predicate,
            };
            if again == *t {
                return None;
            }
            Text::Index(again)
        }
    };
    Some(Probe {
        text,
        ..probe.clone()
    })
}

/// Another spelling of a deparsed expression that PostgreSQL may read back as the
/// deparsed one, `None` when there is none to try.
///
/// PostgreSQL prints an array constructor that an operator coerced as a whole as a cast
/// of it: `= ANY ((ARRAY['a'::character varying])::text[])`. Read back, the cast of an
/// `ARRAY[...]` is pushed into its elements instead, another tree. Without the cast the
/// operator coerces the array again, as it did the first time: the same tree, printed
/// the same.
pub(super) fn respelled(expr: &str) -> Option<String> {
    use crate::lex::Kind;
    let tokens: Vec<crate::lex::Token> = crate::lex::significant(expr).collect();
    let mut out = String::with_capacity(expr.len());
    let mut last = 0;
    let mut changed = false;
    let mut k = 0;
    while k < tokens.len() {
        // `(` `ARRAY` `[` ... `]` `)` `::` type `[` `]`
        let starts = tokens[k].is_punct(b'(')
            && tokens.get(k + 1).is_some_and(|t| t.is_word(expr, "array"))
            && tokens.get(k + 2).is_some_and(|t| t.is_punct(b'['));
        let Some(close) = starts
            .then(|| matching(&tokens, k + 2, b'[', b']'))
            .flatten()
        else {
            k += 1;
            continue;
        };
        let cast = close + 2;
        let casted = tokens.get(close + 1).is_some_and(|t| t.is_punct(b')'))
            && tokens.get(cast).is_some_and(|t| t.kind == Kind::Cast);
        let Some(type_end) = casted.then(|| array_type_end(&tokens, cast + 1)).flatten() else {
            k += 1;
            continue;
        };
        out.push_str(&expr[last..tokens[k].start]);
        out.push_str(&expr[tokens[k + 1].start..tokens[close].end]);
        last = tokens[type_end].end;
        k = type_end + 1;
        changed = true;
    }
    out.push_str(&expr[last..]);
    changed.then_some(out)
}

/// The token closing the `open` bracket at `at`.
fn matching(tokens: &[crate::lex::Token], at: usize, open: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(at) {
        if t.is_punct(open) {
            depth += 1;
        } else if t.is_punct(close) {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// The `]` ending an array type name that starts at token `start` (`text[]`,
/// `character varying(10)[]`, `public."My type"[]`), as `format_type` prints one;
/// `None` when something else is there.
fn array_type_end(tokens: &[crate::lex::Token], start: usize) -> Option<usize> {
    use crate::lex::Kind;
    let mut i = start;
    while let Some(t) = tokens.get(i) {
        match t.kind {
            Kind::Ident | Kind::QuotedIdent { .. } | Kind::Punct(b'.') => i += 1,
            Kind::Punct(b'(') => i = matching(tokens, i, b'(', b')')? + 1,
            Kind::Punct(b'[') if i > start && tokens.get(i + 1)?.is_punct(b']') => {
                return Some(i + 1)
            }
            _ => return None,
        }
    }
    None
}

/// Writes what the probes found into `current`: a text that reads back the same when
/// it is not the current one, the current text itself when none does.
fn apply(current: &mut Schema, outcome: &[(Probe, Found)]) {
    for (probe, found) in outcome {
        let Some(table) = current.tables.get_mut(probe.table) else {
            continue;
        };
        match (probe.part, &probe.text) {
            (Part::Check(k), Text::Expr(text)) => {
                if let Some(c) = table.checks.get_mut(k) {
                    let keep = written(found, text, &c.expr);
                    if let Some(text) = keep {
                        c.written = Written::new(text);
                    }
                }
            }
            (Part::Index(k), Text::Index(texts)) => {
                if let Some(i) = table.indexes.get_mut(k) {
                    let now = texts_of(i);
                    match found {
                        Found::Same if *texts == now => {}
                        Found::Same => i.written = Written::new(texts.clone()),
                        Found::Otherwise => i.written = Written::new(now),
                    }
                }
            }
            (Part::Default(k), Text::Expr(text)) => {
                if let Some(c) = table.columns.get_mut(k) {
                    if let Some(now) = c.default.clone() {
                        if let Some(text) = written(found, text, &now) {
                            c.written.get_or_default().default = Some(text);
                        }
                    }
                }
            }
            (Part::Generated(k), Text::Expr(text)) => {
                if let Some(c) = table.columns.get_mut(k) {
                    if let Some(now) = c.generated.clone() {
                        if let Some(text) = written(found, text, &now) {
                            c.written.get_or_default().generated = Some(text);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The text to keep for an expression now spelled `now`: `text` when it reads back the
/// same and is another text, `now` itself (the mark) when nothing reads back the same.
fn written(found: &Found, text: &str, now: &str) -> Option<String> {
    match found {
        Found::Same if text == now => None,
        Found::Same => Some(text.to_string()),
        Found::Otherwise => Some(now.to_string()),
    }
}

/// `strata_restore_t<n>`: `n` is the table's place in `current.tables`.
fn temp_table(n: usize) -> String {
    format!("strata_restore_t{n}")
}

fn check_name(k: usize) -> String {
    format!("c{k}")
}

fn index_name(n: usize, k: usize) -> String {
    format!("strata_restore_t{n}_i{k}")
}

/// What a statement of a batch does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Statement<'p> {
    /// Copies `current.tables[n]`.
    Copy(usize),
    Probe(&'p Probe),
}

/// The statements of one batch: per table, its copy, then each probe's statement
/// (generated columns first: checks and indexes may read them).
fn statements<'p>(current: &Schema, probes: &[&'p Probe]) -> Vec<(Statement<'p>, String)> {
    let mut by_table: Vec<(usize, Vec<&Probe>)> = Vec::new();
    for p in probes {
        match by_table.iter_mut().find(|(t, _)| *t == p.table) {
            Some((_, list)) => list.push(p),
            None => by_table.push((p.table, vec![p])),
        }
    }
    let mut out = Vec::new();
    for (n, mut list) in by_table {
        let Some(table) = current.tables.get(n) else {
            continue;
        };
        let temp = temp_table(n);
        let copy = format!("pg_temp.{temp}");
        out.push((
            Statement::Copy(n),
            format!(
                "CREATE TEMP TABLE {temp} (LIKE {})",
                qualified(&table.schema, &table.name)
            ),
        ));
        list.sort_by_key(|p| match p.part {
            Part::Generated(_) => 0,
            Part::Default(_) => 1,
            Part::Check(_) => 2,
            Part::Index(_) => 3,
        });
        for p in list {
            let sql = match (p.part, &p.text) {
                (Part::Generated(k), Text::Expr(e)) => table.columns.get(k).map(|c| {
                    let name = quote_ident(&c.name);
                    format!(
                        "ALTER TABLE {copy} DROP COLUMN {name}, \
                         ADD COLUMN {name} {} GENERATED ALWAYS AS ({e}) STORED",
                        c.ty
                    )
                }),
                (Part::Default(k), Text::Expr(e)) => table.columns.get(k).map(|c| {
                    format!(
                        "ALTER TABLE {copy} ALTER COLUMN {} SET DEFAULT {e}",
                        quote_ident(&c.name)
                    )
                }),
                (Part::Check(k), Text::Expr(e)) => Some(format!(
                    "ALTER TABLE {copy} ADD CONSTRAINT {} CHECK ({e})",
                    check_name(k)
                )),
                (Part::Index(k), Text::Index(texts)) => table.indexes.get(k).map(|i| {
                    let tried = Index {
                        keys: texts.keys.clone(),
                        include: texts.include.clone(),
                        predicate: texts.predicate.clone(),
                        ..i.clone()
                    };
                    format!(
                        "CREATE {}INDEX {} ON {copy} {}",
                        if i.unique { "UNIQUE " } else { "" },
                        index_name(n, k),
                        index_definition(&tried)
                    )
                }),
                _ => None,
            };
            if let Some(sql) = sql {
                out.push((Statement::Probe(p), sql));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------
// The edge.

/// What each probe found, in order, batch by batch.
async fn probe_all(
    tx: &mut PgConnection,
    current: &Schema,
    probes: &[Probe],
) -> Result<Vec<Found>, sqlx::Error> {
    let mut found: HashMap<(usize, Part), Found> = HashMap::new();
    let mut tables: Vec<usize> = probes.iter().map(|p| p.table).collect();
    tables.sort_unstable();
    tables.dedup();
    for batch in tables.chunks(TABLES_PER_BATCH) {
        let in_batch: Vec<&Probe> = probes.iter().filter(|p| batch.contains(&p.table)).collect();
        probe_batch(tx, current, &in_batch, &mut found).await?;
    }
    Ok(probes
        .iter()
        .map(|p| found.remove(&(p.table, p.part)).unwrap_or(Found::Otherwise))
        .collect())
}

/// One batch under a savepoint: the copies and probes in one round trip, one query
/// reading them back. A probe PostgreSQL refuses is found `Otherwise` (the down file
/// would fail there too); a copy it refuses leaves its probes unanswered, and so
/// unmarked.
async fn probe_batch(
    tx: &mut PgConnection,
    current: &Schema,
    probes: &[&Probe],
    found: &mut HashMap<(usize, Part), Found>,
) -> Result<(), sqlx::Error> {
    let statements = statements(current, probes);
    let sql: Vec<String> = statements.iter().map(|(_, s)| s.clone()).collect();
    let mut savepoint = tx.begin().await?;
    let failures = runner::run(&mut savepoint, &sql).await?;
    // A table PostgreSQL would not copy says nothing about its fragments.
    let not_copied: Vec<usize> = failures
        .iter()
        .filter_map(|f| match statements.get(f.index) {
            Some((Statement::Copy(t), _)) => Some(*t),
            _ => None,
        })
        .collect();
    for f in &failures {
        if let Some((Statement::Probe(p), _)) = statements.get(f.index) {
            if !not_copied.contains(&p.table) {
                found.insert((p.table, p.part), Found::Otherwise);
            }
        }
    }
    let temps: Vec<String> = probes.iter().map(|p| temp_table(p.table)).collect();
    let rows = sqlx::query(READ_BACK)
        .bind(&temps)
        .fetch_all(&mut *savepoint)
        .await?;
    savepoint.rollback().await?;

    let mut read: HashMap<(String, String, String), &sqlx::postgres::PgRow> = HashMap::new();
    for row in &rows {
        read.insert(
            (
                row.try_get("table_name")?,
                row.try_get("kind")?,
                row.try_get("name")?,
            ),
            row,
        );
    }
    for p in probes {
        if found.contains_key(&(p.table, p.part)) {
            continue;
        }
        let Some(table) = current.tables.get(p.table) else {
            continue;
        };
        let temp = temp_table(p.table);
        let row = |kind: &str, name: String| read.get(&(temp.clone(), kind.to_string(), name));
        let same = match p.part {
            Part::Check(k) => match (row("check", check_name(k)), table.checks.get(k)) {
                (Some(r), Some(c)) => Some(single_expr(r)? == c.expr),
                _ => None,
            },
            Part::Index(k) => match (row("index", index_name(p.table, k)), table.indexes.get(k)) {
                (Some(r), Some(i)) => {
                    let back = index(r)?;
                    Some(same_index(&back, i))
                }
                _ => None,
            },
            Part::Default(k) => table
                .columns
                .get(k)
                .and_then(|c| {
                    let r = row("default", c.name.clone())?;
                    Some(single_expr(r).map(|e| Some(e.as_str()) == c.default.as_deref()))
                })
                .transpose()?,
            Part::Generated(k) => table
                .columns
                .get(k)
                .and_then(|c| {
                    let r = row("generated", c.name.clone())?;
                    Some(single_expr(r).map(|e| Some(e.as_str()) == c.generated.as_deref()))
                })
                .transpose()?,
        };
        if let Some(same) = same {
            found.insert(
                (p.table, p.part),
                if same { Found::Same } else { Found::Otherwise },
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::CheckConstraint;

    fn col(name: &str, ty: &str, default: Option<&str>) -> Column {
        Column {
            default: default.map(String::from),
            ..Column::new(name, ty)
        }
    }

    fn ticket() -> Table {
        let mut t = Table::new(
            "public",
            "ticket",
            vec![
                col("code", "character varying(10)", None),
                col("status", "text[]", Some("ARRAY['open'::text]")),
                col(
                    "created_at",
                    "timestamp with time zone",
                    Some("CURRENT_TIMESTAMP"),
                ),
                Column {
                    generated: Some("(qty * 2)".into()),
                    ..col("double_qty", "integer", None)
                },
                Column {
                    serial: true,
                    ..col("n", "integer", Some("nextval('ticket_n_seq'::regclass)"))
                },
                col("qty", "integer", None),
            ],
        );
        t.checks = vec![
            CheckConstraint::new("ticket_code_check", "((code)::text <> ''::text)"),
            CheckConstraint::new("ticket_qty_check", "(qty > 0)"),
        ];
        t.indexes = vec![Index {
            name: "ticket_status_idx".into(),
            keys: vec!["status".into()],
            unique: false,
            method: "btree".into(),
            predicate: Some("(status <> '{x}'::text[])".into()),
            include: vec![],
            opclasses: vec![],
            orders: vec![],
            collations: vec![],
            nulls_not_distinct: false,
            written: Written::default(),
        }];
        t
    }

    fn schema(tables: Vec<Table>) -> Schema {
        Schema {
            schemas: vec!["public".into()],
            tables,
            ..Schema::default()
        }
    }

    fn parts(probes: &[Probe]) -> Vec<(usize, Part)> {
        probes.iter().map(|p| (p.table, p.part)).collect()
    }

    #[test]
    fn only_fragments_a_plan_may_re_create_are_asked_about() {
        let current = schema(vec![ticket()]);
        assert_eq!(probes(&current, &current), []);

        let mut t = ticket();
        t.checks[0].expr = "((code)::text <> 'x'::text)".into();
        t.indexes[0].predicate = None;
        t.columns[1].default = Some("ARRAY['closed'::text]".into());
        // The same clock in another spelling, and a serial's sequence: not changes.
        t.columns[2].default = Some("now()".into());
        t.columns[4].default = None;
        t.columns[3].generated = Some("(qty * 3)".into());
        assert_eq!(
            parts(&probes(&schema(vec![t]), &current)),
            [
                (0, Part::Check(0)),
                (0, Part::Default(1)),
                (0, Part::Generated(3)),
                (0, Part::Index(0)),
            ]
        );
        let texts: Vec<Text> = probes(&schema(vec![]), &current)
            .into_iter()
            .map(|p| p.text)
            .collect();
        // A dropped table: every fragment but those that read back as they are
        // (`CURRENT_TIMESTAMP`).
        assert_eq!(texts.len(), 5, "{texts:#?}");
        assert_eq!(texts[0], Text::Expr("((code)::text <> ''::text)".into()));
    }

    #[test]
    fn a_renamed_table_or_column_is_its_new_self_and_what_a_changed_column_takes_along_is_asked_about(
    ) {
        let current = schema(vec![ticket()]);
        let mut renamed = ticket();
        renamed.name = "tickets".into();
        renamed.renamed_from = Some("ticket".into());
        renamed.columns[1].name = "state".into();
        renamed.columns[1].renamed_from = Some("status".into());
        assert_eq!(probes(&schema(vec![renamed]), &current), []);

        // A retyped column re-creates the generated column reading it, and so the
        // check and index reading that one.
        let mut retyped = ticket();
        retyped.columns[5].ty = "bigint".into();
        retyped.checks[1].expr = "(double_qty > 0)".into();
        let mut current = current;
        current.tables[0].checks[1].expr = "(double_qty > 0)".into();
        assert_eq!(
            parts(&probes(&schema(vec![retyped.clone()]), &current)),
            [(0, Part::Check(1)), (0, Part::Generated(3))]
        );
        // A dropped column: what reads it goes with it.
        retyped.columns[5].ty = "integer".into();
        retyped.columns.remove(0);
        current.tables[0].indexes[0].keys = vec!["lower((code)::text)".into()];
        retyped.indexes[0].keys = vec!["lower((code)::text)".into()];
        assert_eq!(
            parts(&probes(&schema(vec![retyped]), &current)),
            [(0, Part::Check(0)), (0, Part::Index(0))]
        );
    }

    #[test]
    fn constants_calls_and_sql_value_functions_read_back_as_themselves() {
        for text in [
            "'open'::text",
            "'it''s'::character varying",
            "'{}'::character varying[]",
            "'-1'::integer",
            "'0.00'::numeric(12,2)",
            "'a'::\"My Type\"",
            "'{\"a\": 1}'::jsonb",
            "0",
            "1.5",
            "true",
            "now()",
            "gen_random_uuid()",
            "public.next_id()",
            "CURRENT_TIMESTAMP",
        ] {
            assert!(reads_back_as_itself(text), "{text}");
        }
        for text in [
            "ARRAY['a'::text]",
            "'a'::text || 'b'::text",
            "('now'::text)::date",
            "'unterminated",
            "'a'::",
            "lower('A'::text)",
            "NOW()",
            "CURRENT_TIMESTAMP(3)",
            "1e5",
            "NaN",
            "(qty > 0)",
        ] {
            assert!(!reads_back_as_itself(text), "{text}");
        }
    }

    #[test]
    fn answers_keep_another_text_or_mark_the_fragment() {
        let mut current = schema(vec![ticket()]);
        let probe = |part, text: &str| Probe {
            table: 0,
            part,
            text: Text::Expr(text.into()),
        };
        apply(
            &mut current,
            &[
                (
                    probe(Part::Check(0), "(code)::text <> ''::text"),
                    Found::Same,
                ),
                (probe(Part::Check(1), "(qty > 0)"), Found::Same),
                (
                    probe(Part::Default(1), "ARRAY['open'::text]"),
                    Found::Otherwise,
                ),
            ],
        );
        let t = &current.tables[0];
        assert_eq!(t.checks[0].expr_sql(), "(code)::text <> ''::text");
        assert!(!t.checks[0].reads_back_otherwise());
        assert!(t.checks[1].written.is_none());
        assert!(t.columns[1].default_reads_back_otherwise());
        assert_eq!(t.columns[1].default_sql(), Some("ARRAY['open'::text]"));
    }

    #[test]
    fn statements_copy_each_table_once_generated_columns_first_and_skip_what_reads_back() {
        let current = schema(vec![ticket()]);
        let all = probes(&schema(vec![]), &current);
        let refs: Vec<&Probe> = all.iter().collect();
        let sql: Vec<String> = statements(&current, &refs)
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(
            sql,
            [
                "CREATE TEMP TABLE strata_restore_t0 (LIKE ticket)",
                "ALTER TABLE pg_temp.strata_restore_t0 DROP COLUMN double_qty, \
                 ADD COLUMN double_qty integer GENERATED ALWAYS AS ((qty * 2)) STORED",
                "ALTER TABLE pg_temp.strata_restore_t0 ALTER COLUMN status SET DEFAULT ARRAY['open'::text]",
                "ALTER TABLE pg_temp.strata_restore_t0 ADD CONSTRAINT c0 CHECK (((code)::text <> ''::text))",
                "ALTER TABLE pg_temp.strata_restore_t0 ADD CONSTRAINT c1 CHECK ((qty > 0))",
                "CREATE INDEX strata_restore_t0_i0 ON pg_temp.strata_restore_t0 \
                 USING btree ((status)) WHERE ((status <> '{x}'::text[]))",
            ]
        );
    }

    #[test]
    fn a_coerced_array_constructor_loses_its_cast() {
        assert_eq!(
            respelled(
                "((s)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))"
            )
            .as_deref(),
            Some("((s)::text = ANY (ARRAY['a'::character varying, 'b'::character varying]))")
        );
        assert_eq!(
            respelled(
                "(((s)::text = 'a'::text) OR ((s)::text <> ALL ((ARRAY['b'::character varying, 'c]'::character varying])::text[])))"
            )
            .as_deref(),
            Some("(((s)::text = 'a'::text) OR ((s)::text <> ALL (ARRAY['b'::character varying, 'c]'::character varying])))")
        );
        assert_eq!(
            respelled(
                "(x = ANY ((ARRAY[(a)::character varying(10), b])::character varying(10)[]))"
            )
            .as_deref(),
            Some("(x = ANY (ARRAY[(a)::character varying(10), b]))")
        );
        assert_eq!(
            respelled("(t = ANY ((ARRAY['x'::\"My type\"])::public.\"My type\"[]))").as_deref(),
            Some("(t = ANY (ARRAY['x'::\"My type\"]))")
        );
    }

    #[test]
    fn anything_else_has_no_other_spelling() {
        for expr in [
            "(qty > 0)",
            "(s = ANY (ARRAY['a'::text, 'b'::text]))",
            "(n = ANY (ARRAY[1, 2]))",
            // In a literal: not an expression.
            "(s = '(ARRAY[1])::text[]'::text)",
            // A cast to something that is not an array type.
            "((ARRAY[1])::text = 'x'::text)",
            // Cut short.
            "(x = ANY ((ARRAY[1, 2",
            "(x = ANY ((ARRAY[1])::",
        ] {
            assert_eq!(respelled(expr), None, "{expr}");
        }
    }
}
