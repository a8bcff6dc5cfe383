//! The sequences that serial and identity columns own follow their table's and
//! column's renames, so that a database renamed by strata looks like one created under
//! the new names (`accounts_id_seq`, not `users_id_seq`).
//!
//! Only a sequence under PostgreSQL's own name for it (`<table>_<column>_seq`) is
//! renamed: one named otherwise was named on purpose, and one numbered to dodge a
//! clash (`users_id_seq1`) cannot be told apart from that.
use super::columns::ColumnPairing;
use super::tables::TablePair;
use super::{step, Phase, Steps};
use crate::names::{make_object_name, qualified, quote_ident, SchemaNames};
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
