//! The sequences that serial and identity columns own follow their table's and
//! column's renames, so that a database renamed by strata looks like one created under
//! the new names (`accounts_id_seq`, not `users_id_seq`), and their column's type, so
//! that a serial column made `bigint` can take every `bigint` value.
//!
//! Only a sequence under PostgreSQL's own name for it (`<table>_<column>_seq`) is
//! renamed: one named otherwise was named on purpose, and one numbered to dodge a
//! clash (`users_id_seq1`) cannot be told apart from that.
use super::columns::ColumnPairing;
use super::tables::TablePair;
use super::{step, with_hazards, with_note, Phase, Steps};
use crate::names::{make_object_name, qualified, quote_ident, SchemaNames};
use crate::plan::Hazard;
use crate::schema::Column;

/// Whether the column keeps owning its sequence through the plan: a serial column
/// that stays serial, an identity column that stays identity.
fn keeps_sequence(c: &Column, d: &Column) -> bool {
    (c.serial && d.serial) || (c.identity.is_some() && d.identity.is_some())
}

pub(super) fn rename_sequences(
    pair: &TablePair,
    columns: &ColumnPairing,
    names: &mut SchemaNames,
    steps: &mut Steps,
) {
    let schema = &pair.desired.schema;
    for (c, d) in &columns.pairs {
        let Some(seq) = c.sequence.as_deref() else {
            continue;
        };
        if !keeps_sequence(c, d) {
            continue;
        }
        let default_name = make_object_name(&pair.current.name, Some(&c.name), Some("seq"));
        let new = make_object_name(&pair.desired.name, Some(&d.name), Some("seq"));
        if seq != default_name || new == seq || names.of(schema).is_relation_taken(&new) {
            continue;
        }
        let rename = |from: &str, to: &str| {
            format!(
                "ALTER SEQUENCE {} RENAME TO {}",
                qualified(schema, from),
                quote_ident(to)
            )
        };
        steps.push(
            Phase::RenameSequence,
            step(
                format!(
                    "rename sequence {} -> {} (owned by {}.{})",
                    qualified(schema, seq),
                    quote_ident(&new),
                    pair.sql_name(),
                    quote_ident(&d.name)
                ),
                vec![rename(seq, &new)],
                vec![rename(&new, seq)],
            ),
        );
    }
}

/// The largest value of each type a sequence can have, narrowest first.
const SEQUENCE_TYPES: [(&str, i64); 3] = [
    ("smallint", i16::MAX as i64),
    ("integer", i32::MAX as i64),
    ("bigint", i64::MAX),
];

fn largest(ty: &str) -> Option<i64> {
    SEQUENCE_TYPES
        .iter()
        .find(|(name, _)| *name == ty)
        .map(|(_, max)| *max)
}

/// `ALTER SEQUENCE ... AS` where a kept sequence's type is not the one its column
/// needs: a serial column's new type (PostgreSQL changes a serial column's type and
/// leaves its sequence `AS integer`, so inserts stop at 2^31; a database an older strata
/// migrated is left so); an identity column's current type, since its own type change
/// converts the sequence to the new one.
///
/// `AS` moves a `MAXVALUE` / `MINVALUE` that is the old type's default to the new
/// type's, and keeps one set by hand: so the down file's `AS` gives back exactly the
/// sequence there was.
pub(super) fn retype_sequences(pair: &TablePair, columns: &ColumnPairing, steps: &mut Steps) {
    let schema = &pair.desired.schema;
    for (c, d) in &columns.pairs {
        let (Some(seq), Some(current)) = (c.sequence.as_deref(), c.sequence_type.as_deref()) else {
            continue;
        };
        let target = if c.serial && d.serial {
            &d.ty
        } else if c.identity.is_some() && d.identity.is_some() {
            &c.ty
        } else {
            continue;
        };
        let (Some(from_max), Some(to_max)) = (largest(current), largest(target)) else {
            continue;
        };
        if current == target {
            continue;
        }
        // A serial column's sequence wider than the column it keeps (a `bigint` one on
        // an `integer` column, as `CREATE SEQUENCE` without `AS` makes it and older
        // dumps have it) gives every value the column can hold: not a difference.
        if c.serial && d.serial && c.ty == d.ty && from_max >= to_max {
            continue;
        }
        let seq = qualified(schema, seq);
        let alter = |ty: &str| format!("ALTER SEQUENCE {seq} AS {ty}");
        let what = format!("sequence {seq}");
        let s = step(
            format!(
                "change type of {what} (owned by {}.{}): {current} -> {target}",
                pair.sql_name(),
                quote_ident(&d.name)
            ),
            vec![alter(target)],
            vec![alter(current)],
        );
        let s = if to_max < from_max {
            with_hazards(s, &[Hazard::MayFailOnExistingRows])
        } else {
            with_note(
                s,
                format!(
                    "change type of {what}: reverting to {current} fails, and rolls back, once the sequence has passed {from_max}, the largest {current}"
                ),
            )
        };
        steps.push(Phase::RetypeSequence, s);
    }
}

/// Why the plan cannot run because an excluded table's default draws from a sequence
/// it drops (with its table, with its column, or when the column stops being serial):
/// PostgreSQL refuses to drop a sequence a default uses, and strata does not change
/// the excluded table. Each says which default and what to do.
pub(super) fn excluded_sequence_users(
    tables: &super::tables::TablePairing,
    columns: &[ColumnPairing],
    excluded: &[crate::schema::ExcludedTable],
) -> Vec<String> {
    // (sequence as a `nextval` literal spells it, what drops it)
    let mut dropped: Vec<(String, String)> = Vec::new();
    for table in tables.all_dropped() {
        for c in &table.columns {
            if let Some(seq) = &c.sequence {
                let name = qualified(&table.schema, &table.name);
                dropped.push((
                    qualified(&table.schema, seq),
                    format!("table {name} is dropped"),
                ));
            }
        }
    }
    for (pair, columns) in tables.pairs.iter().zip(columns) {
        let t = pair.sql_name();
        let gone = columns
            .dropped
            .iter()
            .chain(columns.displaced.iter().map(|(c, _)| c))
            .chain(columns.recreated.iter().map(|(c, _)| c))
            .map(|c| (*c, "is dropped"));
        let serial_off = columns
            .pairs
            .iter()
            .filter(|(c, d)| c.serial && !d.serial)
            .map(|(c, _)| (*c, "stops being serial"));
        for (c, what) in gone.chain(serial_off) {
            if let Some(seq) = &c.sequence {
                dropped.push((
                    qualified(&pair.desired.schema, seq),
                    format!("column {t}.{} {what}", quote_ident(&c.name)),
                ));
            }
        }
    }
    let mut out = Vec::new();
    for x in excluded {
        let t = qualified(&x.table.schema, &x.table.name);
        for c in &x.table.columns {
            let Some(seq) = c
                .default
                .as_deref()
                .and_then(crate::schema::nextval_sequence_sql)
            else {
                continue;
            };
            if let Some((_, why)) = dropped.iter().find(|(s, _)| *s == seq) {
                out.push(format!(
                    "{why}, which drops the sequence {seq}, but the default of {t}.{} uses it, \
                     and {t} is excluded ({}). Change that default yourself, in a migration of \
                     its own before this one (`strata create`), or {}",
                    quote_ident(&c.name),
                    x.why.reason(&x.table.schema),
                    x.why.way_out(&t)
                ));
            }
        }
    }
    out
}

/// Columns declared `serial` whose default draws from a sequence that another column's
/// default draws from too (one counter for invoices and credit notes): a serial column
/// owns its sequence, which would then go with it (a dropped column, a `revert`) while
/// the other column still draws from it. strata refuses and says what to declare.
pub(super) fn shared_sequence_adoptions(
    tables: &super::tables::TablePairing,
    columns: &[ColumnPairing],
    current: &crate::schema::Schema,
) -> Vec<String> {
    let drawing = |c: &Column| {
        c.default
            .as_deref()
            .and_then(crate::schema::nextval_sequence_sql)
    };
    let mut out = Vec::new();
    for (pair, columns) in tables.pairs.iter().zip(columns) {
        for (c, d) in &columns.pairs {
            if c.serial || !d.serial || c.identity.is_some() {
                continue;
            }
            let Some(seq) = drawing(c) else { continue };
            let others: Vec<String> = current
                .tables
                .iter()
                .chain(current.excluded_tables.iter().map(|x| &x.table))
                .flat_map(|t| t.columns.iter().map(move |o| (t, o)))
                .filter(|(t, o)| {
                    !(t.schema == pair.current.schema
                        && t.name == pair.current.name
                        && o.name == c.name)
                        && drawing(o).as_ref() == Some(&seq)
                })
                .map(|(t, o)| format!("{}.{}", qualified(&t.schema, &t.name), quote_ident(&o.name)))
                .collect();
            if others.is_empty() {
                continue;
            }
            out.push(format!(
                "column {}.{} is declared serial, but the sequence {seq} its default draws from \
                 also gives the values of {}: a serial column owns its sequence, which would go \
                 with the column while the other still draws from it. Keep the default as it \
                 is instead of `serial`: `#[entity(default = \"nextval('{}'::regclass)\")]`",
                pair.sql_name(),
                quote_ident(&d.name),
                others.join(", "),
                seq.replace('\'', "''").replace('"', "\\\""),
            ));
        }
    }
    out
}
