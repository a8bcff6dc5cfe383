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

/// A unique index where the entity declares a unique constraint on the same columns,
/// or the other way round: the two enforce the same thing, but they are different
/// objects (a constraint can be a foreign key's target and `ON CONFLICT ON
/// CONSTRAINT`'s), so the plan drops one and creates the other. Each hint says which
/// attribute keeps what the database has.
pub(super) fn suggest_key_kinds(tables: &TablePairing) -> Vec<String> {
    let mut out = Vec::new();
    for pair in &tables.pairs {
        let (current, desired) = (pair.current, pair.desired);
        let table = qualified(&desired.schema, &desired.name);
        let plain_unique = |i: &&crate::schema::Index| {
            i.unique && i.predicate.is_none() && i.include.is_empty() && i.method == "btree"
        };
        let keys_of = |columns: &[String]| -> Vec<String> {
            columns
                .iter()
                .map(|c| quote_ident(c).into_owned())
                .collect()
        };
        for index in current.indexes.iter().filter(plain_unique) {
            let declared = desired
                .uniques
                .iter()
                .find(|u| keys_of(&u.columns) == index.keys);
            let kept = desired.indexes.iter().any(|d| d.name == index.name);
            if let (Some(u), false) = (declared, kept) {
                let name = format!("name = {:?}", index.name);
                let (attr, place) = where_to_write(
                    &u.columns,
                    format!("#[entity(index(unique, {name}))]"),
                    format!("#[entity(index({}, unique, {name}))]", u.columns.join(", ")),
                );
                out.push(format!(
                    "table {table}: the database has unique index {} on ({}), the entity a unique constraint ({}): to keep the index, write {attr} {place} instead",
                    quote_ident(&index.name),
                    u.columns.join(", "),
                    quote_ident(&u.name),
                ));
            }
        }
        for unique in &current.uniques {
            let keys = keys_of(&unique.columns);
            let declared = desired
                .indexes
                .iter()
                .filter(plain_unique)
                .find(|i| i.keys == keys);
            let kept = desired.uniques.iter().any(|d| d.columns == unique.columns);
            if let (Some(i), false) = (declared, kept) {
                let (attr, place) = where_to_write(
                    &unique.columns,
                    format!("#[entity(unique = {:?})]", unique.name),
                    format!(
                        "#[entity(unique({}, name = {:?}))]",
                        unique.columns.join(", "),
                        unique.name
                    ),
                );
                out.push(format!(
                    "table {table}: the database has unique constraint {} on ({}), the entity a unique index ({}): to keep the constraint, write {attr} {place} instead",
                    quote_ident(&unique.name),
                    unique.columns.join(", "),
                    quote_ident(&i.name),
                ));
            }
        }
    }
    out
}

/// The attribute to write and where: on the field for one column, on the struct for
/// several.
fn where_to_write(columns: &[String], on_field: String, on_struct: String) -> (String, String) {
    match columns {
        [column] => (
            on_field,
            format!("on the field of column {}", quote_ident(column)),
        ),
        _ => (
            on_struct,
            "on the struct (with the fields' Rust names)".to_string(),
        ),
    }
}
