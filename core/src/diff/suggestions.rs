//! Renames that look likely but were not declared: a dropped and an added column of
//! compatible types in one table (the same type, or one every value converts to
//! without loss), a dropped and a created table with the same columns.
//! `generate` shows them when it refuses a destructive plan.
use super::columns::ColumnPairing;
use super::tables::TablePairing;
use crate::names::{qualified, quote_ident};
use crate::plan::Hazard;
use crate::plan::{RenameKind, RenameSuggestion};
use crate::schema::Table;

fn hint(old: &str) -> String {
    // `{:?}` gives a Rust string literal, escapes included: the hint pastes as is.
    format!("#[entity(renamed_from = {old:?})]")
}

/// `columns` is the column pairing of each of `tables.pairs`, same order.
pub(super) fn suggest_renames(
    tables: &TablePairing,
    columns: &[ColumnPairing],
) -> Vec<RenameSuggestion> {
    let mut out = Vec::new();
    for (pair, columns) in tables.pairs.iter().zip(columns) {
        let mut taken = vec![false; columns.dropped.len()];
        for added in &columns.added {
            let found = columns
                .dropped
                .iter()
                .enumerate()
                .position(|(i, d)| !taken[i] && compatible(&d.ty, &added.ty));
            if let Some(i) = found {
                taken[i] = true;
                out.push(RenameSuggestion {
                    kind: RenameKind::Column,
                    table: qualified(&pair.desired.schema, &pair.desired.name),
                    from: columns.dropped[i].name.clone(),
                    to: added.name.clone(),
                    hint: hint(&columns.dropped[i].name),
                    place: format!(
                        "on the field of column {} in the entity of table {}",
                        quote_ident(&added.name),
                        qualified(&pair.desired.schema, &pair.desired.name)
                    ),
                });
            }
        }
    }
    let mut taken = vec![false; tables.dropped.len()];
    for created in &tables.created {
        let found =
            tables.dropped.iter().enumerate().position(|(i, d)| {
                !taken[i] && d.schema == created.schema && same_columns(d, created)
            });
        if let Some(i) = found {
            taken[i] = true;
            out.push(RenameSuggestion {
                kind: RenameKind::Table,
                table: qualified(&created.schema, &created.name),
                from: tables.dropped[i].name.clone(),
                to: created.name.clone(),
                hint: hint(&tables.dropped[i].name),
                place: format!(
                    "on the struct of the entity of table {}",
                    qualified(&created.schema, &created.name)
                ),
            });
        }
    }
    out
}

/// A value of `from` fits `to` as it is: the same type, or a conversion that neither
/// loses nor may fail (`integer` → `bigint`, `varchar(10)` → `text`).
fn compatible(from: &str, to: &str) -> bool {
    from == to
        || !super::types::change_hazards(from, to)
            .iter()
            .any(|h| matches!(h, Hazard::DeletesData | Hazard::MayFailOnExistingRows))
}

/// Same column names and types, in any order.
fn same_columns(a: &Table, b: &Table) -> bool {
    fn key(t: &Table) -> Vec<(&str, &str)> {
        let mut v: Vec<(&str, &str)> = t
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.ty.as_str()))
            .collect();
        v.sort();
        v
    }
    key(a) == key(b)
}
