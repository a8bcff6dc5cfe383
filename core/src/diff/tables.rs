//! Tables: pairing desired with current (by name, or by a `renamed_from` hint), and
//! the whole-table steps: create, drop, rename.
use super::{locked, step, with_hazards, with_note, Phase, Reads, Steps};
use crate::names::{qualified, quote_ident};
use crate::plan::{Hazard, Lock};
use crate::schema::{Partition, Schema, Table};
use crate::sql;
use std::collections::{HashMap, HashSet};

/// A table on both sides. `desired.name` differs from `current.name` for a rename.
pub(super) struct TablePair<'a> {
    pub current: &'a Table,
    pub desired: &'a Table,
    /// Every partition of the current schema: a partitioned table's are found among
    /// them by [`TablePair::current_partitions`], when a step needs them.
    pub partitions: &'a [Partition],
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

    /// The current partitions of a partitioned table, sub-partitions included, each
    /// level before the next (a partition before its own partitions); none for a table
    /// that is not partitioned.
    pub fn current_partitions(&self) -> Vec<&Partition> {
        let mut out: Vec<&Partition> = Vec::new();
        if self.current.partition_by.is_none() {
            return out;
        }
        // A partition cannot be its own ancestor: each level is new.
        let mut parents =
            HashSet::from([(self.current.schema.as_str(), self.current.name.as_str())]);
        while !parents.is_empty() {
            let level: Vec<&Partition> = self
                .partitions
                .iter()
                .filter(|p| parents.contains(&(p.parent_schema.as_str(), p.parent.as_str())))
                .collect();
            parents = level
                .iter()
                .filter(|p| p.partition_by.is_some())
                .map(|p| (p.schema.as_str(), p.name.as_str()))
                .collect();
            out.extend(level);
        }
        out
    }
}

pub(super) struct TablePairing<'a> {
    pub pairs: Vec<TablePair<'a>>,
    pub created: Vec<&'a Table>,
    pub dropped: Vec<&'a Table>,
    /// Dropped tables whose name a renamed table takes (expand/contract: the legacy
    /// `users` goes while `users_v2` becomes `users`), with the free name each is
    /// renamed to first; they are dropped under that name.
    pub displaced: Vec<(&'a Table, String)>,
}

impl TablePairing<'_> {
    /// Every dropped table, under the name it is dropped by: its own, or the one a
    /// legacy table is set aside under.
    pub fn all_dropped(&self) -> impl Iterator<Item = Table> + '_ {
        self.dropped
            .iter()
            .map(|t| (*t).clone())
            .chain(self.displaced.iter().map(|(t, name)| Table {
                name: name.clone(),
                ..(*t).clone()
            }))
    }
}

/// Whether steps on this kept table are written online when `online` is asked for: not
/// on a partitioned table, where PostgreSQL refuses `CREATE INDEX CONCURRENTLY` and
/// `NOT VALID` foreign keys; there the plain statements are written, with their
/// hazards (writes wait while they run).
pub(super) fn online_on(pair: &TablePair, online: bool) -> bool {
    online && pair.current.partition_by.is_none()
}

/// Tables whose partitioning the entities change: PostgreSQL cannot partition a table
/// that exists, stop partitioning one, or change its key, so strata refuses, saying
/// what to write or do.
pub(super) fn partitioning_changes(tables: &TablePairing) -> Vec<String> {
    let mut out = Vec::new();
    for pair in &tables.pairs {
        let t = qualified(&pair.current.schema, &pair.current.name);
        let why = match (&pair.current.partition_by, &pair.desired.partition_by) {
            (Some(c), Some(d)) if !crate::partitioning::same(c, d) => format!(
                "table {t} is partitioned by `{c}` in the database, and its entity says \
                 `partition_by = \"{d}\"`: PostgreSQL cannot change a table's partition key"
            ),
            (Some(c), None) => format!(
                "table {t} is partitioned by `{c}` in the database, and its entity does not \
                 say so: add `partition_by = \"{c}\"` to its `#[entity(...)]`"
            ),
            (None, Some(d)) => format!(
                "table {t} is not partitioned in the database, and its entity says \
                 `partition_by = \"{d}\"`: PostgreSQL cannot partition a table that exists. \
                 Declare a new, partitioned entity and move the rows in a migration of your own, \
                 or leave `partition_by` out"
            ),
            _ => continue,
        };
        out.push(why);
    }
    out
}

/// `schema.name` as one key (`\0` cannot be in a name).
fn key(schema: &str, name: &str) -> String {
    format!("{schema}\0{name}")
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
    let position = |schema: &str, name: &str| current_by_name.get(&(schema, name)).copied();
    let names: Vec<String> = desired
        .tables
        .iter()
        .map(|t| key(&t.schema, &t.name))
        .collect();
    let hints: Vec<Option<String>> = desired
        .tables
        .iter()
        .map(|t| t.renamed_from.as_deref().map(|old| key(&t.schema, old)))
        .collect();
    let current_names: HashSet<String> = current
        .tables
        .iter()
        .map(|t| key(&t.schema, &t.name))
        .collect();
    let hinted = super::renames::applicable_hints(
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
        &hints.iter().map(Option::as_deref).collect::<Vec<_>>(),
        |k| current_names.contains(k),
    );
    for (d, hinted) in desired.tables.iter().zip(hinted) {
        let found = match (&d.renamed_from, hinted) {
            (Some(old), true) => position(&d.schema, old),
            _ => position(&d.schema, &d.name),
        };
        match found {
            Some(i) if !used[i] => {
                used[i] = true;
                pairs.push(TablePair {
                    current: &current.tables[i],
                    desired: d,
                    partitions: &current.objects.partitions,
                });
            }
            _ => created.push(d),
        }
    }
    let mut dropped: Vec<&Table> = current
        .tables
        .iter()
        .zip(&used)
        .filter(|(_, &u)| !u)
        .map(|(t, _)| t)
        .collect();
    // A dropped table whose name a renamed one takes is set aside first.
    let taken = |schema: &str, name: &str| {
        position(schema, name).is_some()
            || desired
                .tables
                .iter()
                .any(|t| t.schema == schema && t.name == name)
    };
    let mut displaced: Vec<(&Table, String)> = Vec::new();
    for &t in &dropped {
        let target_of_rename = pairs
            .iter()
            .any(|p| p.is_rename() && p.desired.schema == t.schema && p.desired.name == t.name);
        if target_of_rename {
            let free = super::renames::free_name(&t.name, "__old", |n| {
                taken(&t.schema, n)
                    || displaced
                        .iter()
                        .any(|(o, d)| o.schema == t.schema && d == n)
            });
            displaced.push((t, free));
        }
    }
    dropped.retain(|t| !displaced.iter().any(|(d, _)| std::ptr::eq(*d, *t)));
    TablePairing {
        pairs,
        created,
        dropped,
        displaced,
    }
}

/// The table renames of the plan, in an order that runs, the legacy tables set aside
/// first: (schema, current name, name after).
pub(super) fn table_renames<'t>(tables: &'t TablePairing) -> Vec<(&'t str, &'t str, &'t str)> {
    let mut out: Vec<(&str, &str, &str)> = tables
        .displaced
        .iter()
        .map(|(t, name)| (t.schema.as_str(), t.name.as_str(), name.as_str()))
        .collect();
    // Renames never leave their schema; ordering within one is what matters.
    let mut schemas: Vec<&str> = tables
        .pairs
        .iter()
        .filter(|p| p.is_rename())
        .map(|p| p.desired.schema.as_str())
        .collect();
    schemas.sort_unstable();
    schemas.dedup();
    for schema in schemas {
        let renames: Vec<(&str, &str)> = tables
            .pairs
            .iter()
            .filter(|p| p.is_rename() && p.desired.schema == schema)
            .map(|p| (p.current.name.as_str(), p.desired.name.as_str()))
            .collect();
        out.extend(
            super::renames::rename_order(&renames)
                .into_iter()
                .map(|(from, to)| (schema, from, to)),
        );
    }
    out
}

/// `ALTER TABLE ... RENAME TO` both ways; `why` ends the description.
pub(super) fn rename_table(schema: &str, from: &str, to: &str, why: &str, steps: &mut Steps) {
    let s = step(
        format!(
            "rename table {} -> {}{why}",
            qualified(schema, from),
            quote_ident(to)
        ),
        vec![format!(
            "ALTER TABLE {} RENAME TO {}",
            qualified(schema, from),
            quote_ident(to)
        )],
        vec![format!(
            "ALTER TABLE {} RENAME TO {}",
            qualified(schema, to),
            quote_ident(from)
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

/// `reads`: what its definition may read of enum labels.
pub(super) fn create_table(table: &Table, reads: Reads, steps: &mut Steps) {
    let name = sql::table_name(table);
    // Its indexes right after it; its foreign keys are steps of their own, once
    // every table they may point at exists.
    let mut up = vec![sql::create_table(table)];
    up.extend(sql::not_valid_checks(table));
    up.extend(sql::create_indexes(table));
    up.extend(sql::table_comments(table));
    steps.push_reading(
        Phase::CreateTable,
        step(
            format!("create table {name}"),
            up,
            vec![format!("DROP TABLE {name}")],
        ),
        reads,
    );
}

pub(super) fn drop_table(table: &Table, steps: &mut Steps) {
    let name = qualified(&table.schema, &table.name);
    // Its indexes and checks come back with it; its foreign keys were dropped by steps
    // of their own, whose inverses add them back once every table exists again.
    let mut down = vec![sql::create_table(table)];
    down.extend(sql::not_valid_checks(table));
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
    let s = if table.partition_by.is_some() {
        with_note(
            s,
            format!("drop table {name}: its partitions go with it and are not re-created"),
        )
    } else {
        s
    };
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
