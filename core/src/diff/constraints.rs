//! Primary keys and unique constraints of tables that stay.
//!
//! A current constraint is compared with its columns under their desired names (after
//! column renames). One that only changes name is renamed; one on other columns, or on
//! a column that is dropped or re-created, is dropped before the columns change and
//! added again after.
use super::columns::ColumnPairing;
use super::matching::{match_objects, Matching};
use super::tables::TablePair;
use super::{
    locked, non_transactional, rename_constraint, step, with_hazards, with_note, Dropped, Phase,
    Steps,
};
use crate::names::{qualified, quote_ident};
use crate::plan::{Hazard, Lock, Step};
use crate::schema::{Deferral, PrimaryKey, UniqueConstraint};
use crate::sql;

/// A current constraint's columns as the later steps see them: surviving columns under
/// their desired names, others under the names they go by until they are dropped (the
/// down file re-adds a dropped column under that name before re-adding the
/// constraint). The flag says whether every column survives.
fn mapped(columns: &[String], pairing: &ColumnPairing) -> (Vec<String>, bool) {
    let intact = !columns.iter().any(|c| pairing.is_gone(c));
    let names = columns
        .iter()
        .map(|c| pairing.name_after_renames(c))
        .collect();
    (names, intact)
}

pub(super) fn diff_constraints(
    pair: &TablePair,
    columns: &ColumnPairing,
    online: bool,
    steps: &mut Steps,
    dropped: &mut Dropped,
) {
    diff_primary_key(pair, columns, online, steps, dropped);
    diff_uniques(pair, columns, online, steps, dropped);
}

/// An index-backed constraint.
#[derive(Clone, Copy)]
enum Key<'a> {
    Primary(&'a PrimaryKey),
    Unique(&'a UniqueConstraint),
}

impl<'a> Key<'a> {
    fn words(self) -> &'static str {
        match self {
            Key::Primary(_) => "primary key",
            Key::Unique(_) => "unique constraint",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Key::Primary(_) => "PRIMARY KEY",
            Key::Unique(_) => "UNIQUE",
        }
    }

    fn name(self) -> &'a str {
        match self {
            Key::Primary(k) => &k.name,
            Key::Unique(k) => &k.name,
        }
    }

    fn columns(self) -> &'a [String] {
        match self {
            Key::Primary(k) => &k.columns,
            Key::Unique(k) => &k.columns,
        }
    }

    fn deferral(self) -> Deferral {
        match self {
            Key::Primary(k) => k.deferral,
            Key::Unique(k) => k.deferral,
        }
    }

    fn nulls_not_distinct(self) -> bool {
        matches!(self, Key::Unique(k) if k.nulls_not_distinct)
    }

    /// `ALTER TABLE t ADD CONSTRAINT ...` with every option.
    fn add(self, t: &str) -> String {
        match self {
            Key::Primary(k) => sql::add_primary_key(t, k),
            Key::Unique(k) => sql::add_unique(t, k),
        }
    }
}

/// Adds a primary key or unique constraint to a table that stays. Plain: one `ADD
/// CONSTRAINT`, which builds the index while holding ACCESS EXCLUSIVE. Online: the
/// unique index is built `CONCURRENTLY` under the constraint's name (reads and writes
/// go on), then attached with `ADD CONSTRAINT ... USING INDEX`, a brief catalog change.
/// Reverting the second part drops the constraint and its index with it, then builds
/// the index again as the first part left it (each part reverts alone); the first
/// part's down says `IF EXISTS` all the same.
fn add_key(t: &str, schema: &str, key: Key, online: bool) -> Vec<Step> {
    let name = key.name();
    let q = quote_ident(name);
    let description = format!(
        "add {} {q} on {t} ({}){}{}",
        key.words(),
        sql::column_list(key.columns()),
        if key.nulls_not_distinct() {
            " NULLS NOT DISTINCT"
        } else {
            ""
        },
        key.deferral().sql()
    );
    if !online {
        let s = step(
            description,
            vec![key.add(t)],
            vec![sql::drop_constraint(t, name)],
        );
        return vec![locked(
            with_hazards(
                s,
                &[
                    Hazard::BuildsIndex,
                    Hazard::MayFailOnExistingRows,
                    Hazard::ScansTableUnderLock,
                ],
            ),
            Lock::AccessExclusive,
        )];
    }
    let index = |concurrently: &str| {
        format!(
            "CREATE UNIQUE INDEX {concurrently}{q} ON {t} ({}){}",
            sql::column_list(key.columns()),
            if key.nulls_not_distinct() {
                " NULLS NOT DISTINCT"
            } else {
                ""
            }
        )
    };
    let build = non_transactional(
        format!("{description}, part 1: build its unique index concurrently"),
        index("CONCURRENTLY "),
        format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {}",
            qualified(schema, name)
        ),
    );
    let build = locked(
        with_hazards(
            build,
            &[
                Hazard::BuildsIndex,
                Hazard::ImpactsDatabasePerformance,
                Hazard::LeavesInvalidIndexOnFailure,
                Hazard::MayFailOnExistingRows,
            ],
        ),
        Lock::ShareUpdateExclusive,
    );
    let attach = step(
        format!("{description}, part 2: attach the index"),
        vec![format!(
            "ALTER TABLE {t} ADD CONSTRAINT {q} {} USING INDEX {q}{}",
            key.sql(),
            key.deferral().sql()
        )],
        vec![sql::drop_constraint(t, name), index("")],
    );
    vec![build, locked(attach, Lock::AccessExclusive)]
}

fn diff_primary_key(
    pair: &TablePair,
    columns: &ColumnPairing,
    online: bool,
    steps: &mut Steps,
    dropped: &mut Dropped,
) {
    let t = pair.sql_name();
    let current = pair
        .current
        .primary_key
        .as_ref()
        .map(|pk| (pk, mapped(&pk.columns, columns)));
    let desired = pair.desired.primary_key.as_ref();
    if let (Some((c, (cols, true))), Some(d)) = (&current, desired) {
        if *cols == d.columns && c.deferral == d.deferral {
            if c.name != d.name {
                rename_constraint("constraint", &t, &c.name, &d.name, steps);
            }
            return;
        }
    }
    if let Some((c, (cols, _))) = &current {
        // A key's index has the key's name.
        dropped.indexes.push(c.name.clone());
        let s = step(
            format!("drop primary key {} on {t}", quote_ident(&c.name)),
            vec![sql::drop_constraint(&t, &c.name)],
            vec![sql::add_primary_key(
                &t,
                &PrimaryKey {
                    columns: cols.clone(),
                    ..(*c).clone()
                },
            )],
        );
        steps.push(
            Phase::DropConstraint,
            dropped_key(with_note(
                s,
                format!(
                    "drop primary key {} on {t}: re-adding it fails if duplicate keys were stored since",
                    quote_ident(&c.name)
                ),
            )),
        );
    }
    if let Some(d) = desired {
        let schema = &pair.desired.schema;
        for s in add_key(&t, schema, Key::Primary(d), online) {
            steps.push(Phase::AddConstraint, s);
        }
    }
}

fn diff_uniques(
    pair: &TablePair,
    columns: &ColumnPairing,
    online: bool,
    steps: &mut Steps,
    dropped: &mut Dropped,
) {
    let t = pair.sql_name();
    let current: Vec<_> = pair
        .current
        .uniques
        .iter()
        .map(|u| (u, mapped(&u.columns, columns)))
        .collect();
    let desired = &pair.desired.uniques;
    // The same constraint: the same (surviving) columns; a new name is a rename.
    let Matching {
        current_done,
        desired_done,
        renamed,
    } = match_objects(
        current.len(),
        desired.len(),
        |c| current[c].1 .1,
        |c, d| current[c].0.name == desired[d].name,
        |c, d| {
            let (cu, de) = (current[c].0, &desired[d]);
            // Options are part of what a key is: another one is another key.
            current[c].1 .0 == de.columns
                && cu.nulls_not_distinct == de.nulls_not_distinct
                && cu.deferral == de.deferral
        },
    );
    for (c, d) in renamed {
        rename_constraint(
            "constraint",
            &t,
            &current[c].0.name,
            &desired[d].name,
            steps,
        );
    }
    for (ci, (c, (cols, _))) in current.iter().enumerate() {
        if current_done[ci] {
            continue;
        }
        dropped.indexes.push(c.name.clone());
        let s = step(
            format!("drop unique constraint {} on {t}", quote_ident(&c.name)),
            vec![sql::drop_constraint(&t, &c.name)],
            vec![sql::add_unique(
                &t,
                &UniqueConstraint {
                    columns: cols.clone(),
                    ..(*c).clone()
                },
            )],
        );
        steps.push(
            Phase::DropConstraint,
            dropped_key(with_note(
                s,
                format!(
                    "drop unique constraint {} on {t}: re-adding it fails if duplicates were stored since",
                    quote_ident(&c.name)
                ),
            )),
        );
    }
    for (di, d) in pair.desired.uniques.iter().enumerate() {
        if desired_done[di] {
            continue;
        }
        let schema = &pair.desired.schema;
        for s in add_key(&t, schema, Key::Unique(d), online) {
            steps.push(Phase::AddConstraint, s);
        }
    }
}

/// A key that goes drops its index (queries that used it slow down), and old code's
/// `ON CONFLICT` on it stops working.
fn dropped_key(s: Step) -> Step {
    locked(
        with_hazards(s, &[Hazard::DropsIndex, Hazard::BreaksOldClients]),
        Lock::AccessExclusive,
    )
}
