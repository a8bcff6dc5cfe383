//! Renames that look likely but were not declared: a dropped and an added column of
//! the same type in one table, a dropped and a created table with the same columns.
//! `generate` shows them when it refuses a destructive plan.
use super::columns::pair_columns;
use super::tables::TablePairing;
use crate::names::qualified;
use crate::plan::{RenameKind, RenameSuggestion};
use crate::schema::Table;

fn hint(old: &str) -> String {
    // `{:?}` gives a Rust string literal, escapes included: the hint pastes as is.
    format!("#[entity(renamed_from = {old:?})]")
}

pub(super) fn suggest_renames(tables: &TablePairing) -> Vec<RenameSuggestion> {
    let mut out = Vec::new();
    for pair in &tables.pairs {
        let columns = pair_columns(pair.current, pair.desired);
        let mut taken = vec![false; columns.dropped.len()];
        for added in &columns.added {
            let found = columns
                .dropped
                .iter()
                .enumerate()
                .position(|(i, d)| !taken[i] && d.ty == added.ty);
            if let Some(i) = found {
                taken[i] = true;
                out.push(RenameSuggestion {
                    kind: RenameKind::Column,
                    table: qualified(&pair.desired.schema, &pair.desired.name),
                    from: columns.dropped[i].name.clone(),
                    to: added.name.clone(),
                    hint: hint(&columns.dropped[i].name),
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
            });
        }
    }
    out
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
