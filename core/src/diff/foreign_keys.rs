//! Foreign keys, across all tables at once: a foreign key joins two tables, so it is
//! compared under the desired names of both (after table and column renames).
//!
//! Ordering is what makes cycles and drops work. Every foreign key that is added comes
//! after every table is created and every column is added or altered (A → B → A: both
//! tables first, then both constraints). Every one that goes away is dropped before any
//! column or table is dropped or changes type, including those that point at a table
//! being dropped and those of a dropped table itself, whose down file adds them back
//! once every table is there again.
//!
//! A foreign key leans on one unique index of the table it references (PostgreSQL
//! records which). When the plan drops that key or index (a primary key replaced, a
//! unique constraint swapped), the foreign key is dropped before it and added again
//! once the new key exists, in both files: PostgreSQL refuses to drop a key that a
//! foreign key uses.
use super::columns::ColumnPairing;
use super::matching::{match_objects, Matching};
use super::tables::TablePairing;
use super::{locked, rename_constraint, step, with_hazards, with_note, Dropped, Phase, Steps};
use crate::names::{qualified, quote_ident};
use crate::plan::{Hazard, Lock};
use crate::schema::{ExcludedTable, ForeignKey, Table};
use crate::sql;
use std::collections::{HashMap, HashSet};

/// The tables and columns of both sides, paired.
pub(super) struct Pairing<'p, 'a> {
    pub tables: &'p TablePairing<'a>,
    /// The column pairing of each of `tables.pairs`, same order.
    pub columns: &'p [ColumnPairing<'a>],
    /// What the plan drops of each of `tables.pairs`, same order.
    dropped: &'p [Dropped],
    /// The fate of each kept or dropped current table, by (schema, name), and the
    /// created tables: every foreign key looks up the table it references, and a scan
    /// of all tables for each made this quadratic in the number of tables.
    fates: HashMap<(&'a str, &'a str), TableFate<'p>>,
    created: HashSet<(&'a str, &'a str)>,
}

/// What becomes of a current table.
#[derive(Clone, Copy)]
enum TableFate<'a> {
    /// It stays, as `tables.pairs[i]`.
    Kept(usize),
    /// It is dropped, under this name (its own, or the one it is set aside under).
    Dropped(&'a str),
    /// Not a table strata manages (a `references = "..."` target): left as is.
    Unmanaged,
}

impl<'p, 'a> Pairing<'p, 'a> {
    pub fn new(
        tables: &'p TablePairing<'a>,
        columns: &'p [ColumnPairing<'a>],
        dropped: &'p [Dropped],
    ) -> Self {
        let key = |t: &'a Table| (t.schema.as_str(), t.name.as_str());
        let mut fates = HashMap::new();
        // A kept table wins over a dropped one of the same name, and the first of
        // each wins, as searching the kept ones, then the dropped ones, would.
        for (i, pair) in tables.pairs.iter().enumerate() {
            fates.entry(key(pair.current)).or_insert(TableFate::Kept(i));
        }
        for &t in &tables.dropped {
            fates.entry(key(t)).or_insert(TableFate::Dropped(&t.name));
        }
        for (t, name) in &tables.displaced {
            fates.entry(key(t)).or_insert(TableFate::Dropped(name));
        }
        Pairing {
            tables,
            columns,
            dropped,
            fates,
            created: tables.created.iter().map(|&t| key(t)).collect(),
        }
    }

    /// Whether a desired foreign key points at a table that is there before the plan
    /// runs (kept, possibly renamed, or not managed by strata).
    fn references_existing(&self, fk: &ForeignKey) -> bool {
        !self
            .created
            .contains(&(fk.ref_schema.as_str(), fk.ref_table.as_str()))
    }

    /// The key index a current foreign key leans on, when the plan drops it.
    fn dropped_key<'f>(&self, fk: &'f ForeignKey) -> Option<&'f str> {
        let index = fk.ref_index.as_deref()?;
        match self.fate(&fk.ref_schema, &fk.ref_table) {
            TableFate::Kept(j) => self.dropped[j]
                .indexes
                .iter()
                .any(|dropped| dropped == index)
                .then_some(index),
            TableFate::Dropped(_) | TableFate::Unmanaged => None,
        }
    }

    fn fate(&self, schema: &str, name: &str) -> TableFate<'p> {
        self.fates
            .get(&(schema, name))
            .copied()
            .unwrap_or(TableFate::Unmanaged)
    }

    /// A current foreign key under the names the later steps see (kept tables and
    /// columns under their desired names, others under their current ones, which is
    /// what the down file brings back), and whether it survives as is: every column it
    /// joins keeps its values and its type, and the referenced table stays.
    fn mapped(&self, fk: &ForeignKey, own: Option<&ColumnPairing>) -> (ForeignKey, bool) {
        let mut intact = true;
        let mut map = |columns: &[String], pairing: Option<&ColumnPairing>| -> Vec<String> {
            columns
                .iter()
                .map(|c| match pairing {
                    Some(p) => {
                        intact &= !p.changes_type(c) && !p.is_gone(c);
                        p.name_after_renames(c)
                    }
                    None => c.clone(),
                })
                .collect()
        };
        let columns = map(&fk.columns, own);
        let (ref_table, ref_columns) = match self.fate(&fk.ref_schema, &fk.ref_table) {
            TableFate::Kept(j) => (
                self.tables.pairs[j].desired.name.clone(),
                map(&fk.ref_columns, Some(&self.columns[j])),
            ),
            TableFate::Dropped(name) => {
                intact = false;
                (name.to_string(), fk.ref_columns.clone())
            }
            TableFate::Unmanaged => (fk.ref_table.clone(), fk.ref_columns.clone()),
        };
        intact &= self.dropped_key(fk).is_none();
        let out = ForeignKey {
            name: fk.name.clone(),
            columns,
            ref_schema: fk.ref_schema.clone(),
            ref_table,
            ref_columns,
            on_delete: fk.on_delete.clone(),
            on_update: fk.on_update.clone(),
            deferrable: fk.deferrable,
            initially_deferred: fk.initially_deferred,
            ref_index: fk.ref_index.clone(),
            not_valid: fk.not_valid,
        };
        (out, intact)
    }
}

/// Everything but the name is the same. Compared field by field rather than as two
/// copies with their names blanked; destructured so that a new field is not missed.
fn same_definition(a: &ForeignKey, b: &ForeignKey) -> bool {
    let ForeignKey {
        name: _,
        columns,
        ref_schema,
        ref_table,
        ref_columns,
        on_delete,
        on_update,
        deferrable,
        initially_deferred,
        ref_index: _,
        not_valid: _,
    } = a;
    *columns == b.columns
        && *ref_schema == b.ref_schema
        && *ref_table == b.ref_table
        && *ref_columns == b.ref_columns
        && *on_delete == b.on_delete
        && *on_update == b.on_update
        && *deferrable == b.deferrable
        && *initially_deferred == b.initially_deferred
}

/// `(org_id) REFERENCES orgs (id) ON DELETE CASCADE`: the whole definition, so that a
/// drop and an add of the same name show what changed.
fn describe(fk: &ForeignKey) -> String {
    sql::foreign_key_definition(fk)
        .trim_start_matches("FOREIGN KEY ")
        .to_string()
}

/// Which of the two tables a foreign key joins existed before the plan.
struct Existing {
    own: bool,
    referenced: bool,
}

/// A foreign key takes SHARE ROW EXCLUSIVE on both tables (writes wait); on a table
/// with rows it also checks every row under that lock, unless added online: `NOT
/// VALID` then validated on its own.
fn add(t: &str, fk: &ForeignKey, existing: Existing, online: bool, steps: &mut Steps) {
    let description = format!(
        "add foreign key {} on {t} {}",
        quote_ident(&fk.name),
        describe(fk)
    );
    let lock = if existing.own || existing.referenced {
        Lock::ShareRowExclusive
    } else {
        Lock::None
    };
    if existing.own && online {
        let [add, validate] = super::checks::add_not_valid(
            &description,
            t,
            &fk.name,
            sql::add_foreign_key(t, fk),
            lock,
        );
        steps.push(Phase::AddForeignKey, add);
        steps.push(Phase::AddForeignKey, validate);
        return;
    }
    let s = step(
        description,
        vec![sql::add_foreign_key(t, fk)],
        vec![sql::drop_constraint(t, &fk.name)],
    );
    let s = if existing.own {
        with_hazards(
            s,
            &[Hazard::MayFailOnExistingRows, Hazard::ScansTableUnderLock],
        )
    } else {
        s
    };
    steps.push(Phase::AddForeignKey, locked(s, lock));
}

/// `dropped_key`: the key index it leans on, when the plan drops that (it comes back
/// once the new key is there).
fn drop(t: &str, fk: &ForeignKey, dropped_key: Option<&str>, steps: &mut Steps) {
    let what = format!("drop foreign key {} on {t}", quote_ident(&fk.name));
    let why = dropped_key.map_or(String::new(), |key| {
        format!(
            " (it uses the key {}, which is dropped; added again after)",
            quote_ident(key)
        )
    });
    let s = step(
        format!("{what} {}{why}", describe(fk)),
        vec![sql::drop_constraint(t, &fk.name)],
        vec![sql::add_foreign_key(t, fk)],
    );
    steps.push(
        Phase::DropForeignKey,
        locked(
            with_note(
                s,
                format!("{what}: re-adding it fails if rows without a match were stored since"),
            ),
            Lock::AccessExclusive,
        ),
    );
}

/// Files the foreign key steps; returns, for each kept table, the current foreign keys
/// the plan keeps, under the names the later steps see (what exists between the drops
/// and the additions).
pub(super) fn diff_foreign_keys(
    pairing: &Pairing,
    online: bool,
    steps: &mut Steps,
) -> Vec<Vec<ForeignKey>> {
    let mut kept = Vec::with_capacity(pairing.tables.pairs.len());
    for (i, pair) in pairing.tables.pairs.iter().enumerate() {
        let t = pair.sql_name();
        let current: Vec<(ForeignKey, bool)> = pair
            .current
            .foreign_keys
            .iter()
            .map(|fk| pairing.mapped(fk, Some(&pairing.columns[i])))
            .collect();
        let desired = &pair.desired.foreign_keys;
        let Matching {
            current_done,
            desired_done,
            renamed,
        } = match_objects(
            current.len(),
            desired.len(),
            |c| current[c].1,
            |c, d| current[c].0.name == desired[d].name,
            |c, d| same_definition(&current[c].0, &desired[d]),
        );
        for (ci, di) in renamed {
            rename_constraint(
                "foreign key",
                &t,
                &current[ci].0.name,
                &desired[di].name,
                steps,
            );
        }
        let mut kept_here = Vec::new();
        for (ci, (c, _)) in current.iter().enumerate() {
            if current_done[ci] {
                kept_here.push(c.clone());
            } else {
                let key = pairing.dropped_key(&pair.current.foreign_keys[ci]);
                drop(&t, c, key, steps);
            }
        }
        kept.push(kept_here);
        for (di, d) in desired.iter().enumerate() {
            if !desired_done[di] {
                let existing = Existing {
                    own: true,
                    referenced: pairing.references_existing(d),
                };
                let online_here = super::tables::online_on(pair, online);
                let from = steps.steps.len();
                add(&t, d, existing, online_here, steps);
                if online && !online_here {
                    steps.not_online_on_partitioned(from);
                }
            }
        }
    }
    for table in &pairing.tables.created {
        let t = sql::table_name(table);
        for fk in &table.foreign_keys {
            let existing = Existing {
                own: false,
                referenced: pairing.references_existing(fk),
            };
            add(&t, fk, existing, online, steps);
        }
    }
    // A dropped table's own foreign keys go explicitly first, so that its down file
    // can re-create the tables in any order and add the constraints after.
    for table in pairing.tables.all_dropped() {
        let t = sql::table_name(&table);
        for fk in &table.foreign_keys {
            let (mapped, _) = pairing.mapped(fk, None);
            drop(&t, &mapped, None, steps);
        }
    }
    kept
}

/// The foreign keys of excluded tables that point at managed ones. strata never
/// changes an excluded table, but PostgreSQL keeps its foreign keys whole: it refuses
/// to drop a table or a column they reference, or the key they lean on. So:
/// - a referenced table or column the plan drops is a blocker (in `blockers`), naming
///   the constraint and the two ways out;
/// - a referenced key the plan drops and replaces by one on the same columns (a primary
///   key renamed or re-made, a unique constraint turned into the primary key) sets the
///   foreign key aside: dropped before the key, added again, unchanged, once the new
///   one exists, in both files, as for managed foreign keys;
/// - anything else (a rename, a type change PostgreSQL carries the constraint through)
///   needs nothing.
///
/// Returns, for each excluded table, its foreign keys that exist between the drops and
/// the additions, under the names they see then (an enum re-creation sets them aside).
pub(super) fn excluded_references(
    pairing: &Pairing,
    excluded: &[ExcludedTable],
    online: bool,
    steps: &mut Steps,
    blockers: &mut Vec<String>,
) -> Vec<Vec<ForeignKey>> {
    excluded
        .iter()
        .map(|x| {
            let t = sql::table_name(&x.table);
            let mut kept = Vec::new();
            for fk in &x.table.foreign_keys {
                let (mapped, _) = pairing.mapped(fk, None);
                let refuse = |what: String| {
                    format!(
                        "{what}, but the excluded table {t} ({}) references it with foreign key \
                         {} {}. Drop that foreign key yourself, in a migration of its own before \
                         this one (`strata create`), or {}",
                        x.why.reason(&x.table.schema),
                        quote_ident(&fk.name),
                        describe(fk),
                        x.why.way_out(&t)
                    )
                };
                let referenced = qualified(&fk.ref_schema, &fk.ref_table);
                match pairing.fate(&fk.ref_schema, &fk.ref_table) {
                    TableFate::Unmanaged => kept.push(mapped),
                    TableFate::Dropped(_) => {
                        blockers.push(refuse(format!("table {referenced} is dropped")));
                        kept.push(mapped);
                    }
                    TableFate::Kept(j) => {
                        let columns = &pairing.columns[j];
                        if let Some(gone) = fk.ref_columns.iter().find(|c| columns.is_gone(c)) {
                            blockers.push(refuse(format!(
                                "column {referenced}.{} is dropped",
                                quote_ident(gone)
                            )));
                            kept.push(mapped);
                        } else if let Some(key) = pairing.dropped_key(fk) {
                            let desired = pairing.tables.pairs[j].desired;
                            if has_key_on(desired, &mapped.ref_columns) {
                                let from = steps.steps.len();
                                drop(&t, &mapped, Some(key), steps);
                                let existing = Existing {
                                    own: true,
                                    referenced: true,
                                };
                                add(&t, &mapped, existing, online, steps);
                                // Said in the steps: the one change strata makes to it.
                                for (_, s, _) in &mut steps.steps[from..] {
                                    s.description = s.description.replacen(
                                        &format!(" on {t} "),
                                        &format!(" on the excluded table {t} "),
                                        1,
                                    );
                                }
                            } else {
                                blockers.push(refuse(format!(
                                    "the key {} of table {referenced} is dropped and no primary \
                                     key or unique constraint on ({}) takes its place",
                                    quote_ident(key),
                                    mapped
                                        .ref_columns
                                        .iter()
                                        .map(|c| quote_ident(c))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )));
                                kept.push(mapped);
                            }
                        } else {
                            kept.push(mapped);
                        }
                    }
                }
            }
            kept
        })
        .collect()
}

/// Whether the table has a primary key, unique constraint or full unique index on
/// exactly these columns (in any order): what a foreign key can lean on.
fn has_key_on(table: &Table, columns: &[String]) -> bool {
    let same =
        |key: &[String]| key.len() == columns.len() && columns.iter().all(|c| key.contains(c));
    table
        .primary_key
        .as_ref()
        .is_some_and(|pk| same(&pk.columns))
        || table.uniques.iter().any(|u| same(&u.columns))
        || table.indexes.iter().any(|i| {
            i.unique
                && i.predicate.is_none()
                && i.keys.len() == columns.len()
                && columns
                    .iter()
                    .all(|c| i.keys.iter().any(|k| *k == quote_ident(c)))
        })
}
