//! Tables: pairing desired with current (by name, or by a `renamed_from` hint), and
//! the whole-table steps: create, drop, rename.
use super::{locked, step, with_hazards, with_note, Phase, Steps};
use crate::names::{qualified, quote_ident};
use crate::plan::{Hazard, Lock};
use crate::schema::{Schema, Table};
use crate::sql;
use std::collections::{HashMap, HashSet};

/// A table on both sides. `desired.name` differs from `current.name` for a rename.
pub(super) struct TablePair<'a> {
    pub current: &'a Table,
    pub desired: &'a Table,
}

impl TablePair<'_> {
    pub fn is_rename(&self) -> bool {
        self.current.name != self.desired.name
    }

    /// The table's SQL name once renames have run: every step after the renames
    /// (and its inverse, which runs before the rename is undone) uses it.
    pub fn sql_name(&self) -> String {
        sql::table_name(self.desired)
    }
}

pub(super) struct TablePairing<'a> {
    pub pairs: Vec<TablePair<'a>>,
    pub created: Vec<&'a Table>,
    pub dropped: Vec<&'a Table>,
}

pub(super) fn pair_tables<'a>(desired: &'a Schema, current: &'a Schema) -> TablePairing<'a> {
    let mut pairs = Vec::new();
    let mut created = Vec::new();
    let mut used = vec![false; current.tables.len()];
    // Tables by (schema, name), the first of a name winning as a search from the start
    // would: looking each desired table up by a scan of every current one made the
    // pairing quadratic in the number of tables.
    let mut current_by_name: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, t) in current.tables.iter().enumerate() {
        current_by_name.entry((&t.schema, &t.name)).or_insert(i);
    }
    let desired_names: HashSet<(&str, &str)> = desired
        .tables
        .iter()
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .collect();
    let position = |schema: &str, name: &str| current_by_name.get(&(schema, name)).copied();
    for d in &desired.tables {
        let found = position(&d.schema, &d.name).or_else(|| {
            // The hint counts only when the old table is there and the new one is not:
            // once the rename has run, the hint is history and must not repeat.
            d.renamed_from
                .as_deref()
                .and_then(|old| position(&d.schema, old))
                .filter(|&i| {
                    !desired_names.contains(&(d.schema.as_str(), current.tables[i].name.as_str()))
                })
        });
        match found {
            Some(i) if !used[i] => {
                used[i] = true;
                pairs.push(TablePair {
                    current: &current.tables[i],
                    desired: d,
                });
            }
            _ => created.push(d),
        }
    }
    let dropped = current
        .tables
        .iter()
        .zip(&used)
        .filter(|(_, &u)| !u)
        .map(|(t, _)| t)
        .collect();
    TablePairing {
        pairs,
        created,
        dropped,
    }
}

pub(super) fn rename_table(pair: &TablePair, steps: &mut Steps) {
    let old = sql::table_name(pair.current);
    let new = pair.sql_name();
    let s = step(
        format!("rename table {old} -> {}", quote_ident(&pair.desired.name)),
        vec![format!(
            "ALTER TABLE {old} RENAME TO {}",
            quote_ident(&pair.desired.name)
        )],
        vec![format!(
            "ALTER TABLE {new} RENAME TO {}",
            quote_ident(&pair.current.name)
        )],
    );
    steps.push(
        Phase::RenameTable,
        locked(
            with_hazards(s, &[Hazard::BreaksOldClients]),
            Lock::AccessExclusive,
        ),
    );
}

pub(super) fn create_table(table: &Table, steps: &mut Steps) {
    let name = sql::table_name(table);
    // Its indexes right after it; its foreign keys are steps of their own, once
    // every table they may point at exists.
    let mut up = vec![sql::create_table(table)];
    up.extend(sql::create_indexes(table));
    up.extend(sql::table_comments(table));
    steps.push(
        Phase::CreateTable,
        step(
            format!("create table {name}"),
            up,
            vec![format!("DROP TABLE {name}")],
        ),
    );
}

pub(super) fn drop_table(table: &Table, steps: &mut Steps) {
    let name = qualified(&table.schema, &table.name);
    // Its indexes and checks come back with it; its foreign keys were dropped by steps
    // of their own, whose inverses add them back once every table exists again.
    let mut down = vec![sql::create_table(table)];
    down.extend(sql::create_indexes(table));
    down.extend(sql::table_comments(table));
    let s = step(
        format!("drop table {name}"),
        vec![format!("DROP TABLE {name}")],
        down,
    );
    let s = with_note(
        s,
        format!("drop table {name}: the table is re-created empty; its rows are not restored"),
    );
    let s = super::with_respelled_note(
        s,
        &format!("drop table {name}"),
        &super::respelled_table_fragments(table),
    );
    steps.push(
        Phase::DropTable,
        locked(
            with_hazards(s, &[Hazard::DeletesData, Hazard::BreaksOldClients]),
            Lock::AccessExclusive,
        ),
    );
}
