//! Primary keys and unique constraints of tables that stay.
//!
//! A current constraint is compared with its columns under their desired names (after
//! column renames). One that only changes name is renamed; one on other columns, or on
//! a column that is dropped or re-created, is dropped before the columns change and
//! added again after.
use super::columns::ColumnPairing;
use super::tables::TablePair;
use super::{step, with_hazards, with_note, Phase, Steps};
use crate::names::quote_ident;
use crate::plan::Hazard;
use crate::sql;

/// A current constraint's columns as the later steps see them: surviving columns under
/// their desired names, others under their current names (the down file re-adds a
/// dropped column under that name before re-adding the constraint). The flag says
/// whether every column survives.
fn mapped(columns: &[String], pairing: &ColumnPairing) -> (Vec<String>, bool) {
    let mut intact = true;
    let names = columns
        .iter()
        .map(|c| match pairing.surviving_name(c) {
            Some(d) => d.to_string(),
            None => {
                intact = false;
                c.clone()
            }
        })
        .collect();
    (names, intact)
}

pub(super) fn diff_constraints(pair: &TablePair, columns: &ColumnPairing, steps: &mut Steps) {
    diff_primary_key(pair, columns, steps);
    diff_uniques(pair, columns, steps);
}

fn rename(t: &str, from: &str, to: &str, steps: &mut Steps) {
    steps.push(
        Phase::AddConstraint,
        step(
            format!(
                "rename constraint {} -> {} on {t}",
                quote_ident(from),
                quote_ident(to)
            ),
            vec![sql::rename_constraint(t, from, to)],
            vec![sql::rename_constraint(t, to, from)],
        ),
    );
}

fn diff_primary_key(pair: &TablePair, columns: &ColumnPairing, steps: &mut Steps) {
    let t = pair.sql_name();
    let current = pair
        .current
        .primary_key
        .as_ref()
        .map(|pk| (pk, mapped(&pk.columns, columns)));
    let desired = pair.desired.primary_key.as_ref();
    if let (Some((c, (cols, true))), Some(d)) = (&current, desired) {
        if *cols == d.columns {
            if c.name != d.name {
                rename(&t, &c.name, &d.name, steps);
            }
            return;
        }
    }
    if let Some((c, (cols, _))) = &current {
        let s = step(
            format!("drop primary key {} on {t}", quote_ident(&c.name)),
            vec![sql::drop_constraint(&t, &c.name)],
            vec![sql::add_primary_key(&t, &c.name, cols)],
        );
        steps.push(
            Phase::DropConstraint,
            with_note(
                s,
                format!(
                    "drop primary key {} on {t}: re-adding it fails if duplicate keys were stored since",
                    quote_ident(&c.name)
                ),
            ),
        );
    }
    if let Some(d) = desired {
        let s = step(
            format!(
                "add primary key {} on {t} ({})",
                quote_ident(&d.name),
                sql::column_list(&d.columns)
            ),
            vec![sql::add_primary_key(&t, &d.name, &d.columns)],
            vec![sql::drop_constraint(&t, &d.name)],
        );
        steps.push(
            Phase::AddConstraint,
            with_hazards(s, &[Hazard::MayFailOnExistingRows]),
        );
    }
}

fn diff_uniques(pair: &TablePair, columns: &ColumnPairing, steps: &mut Steps) {
    let t = pair.sql_name();
    let current: Vec<_> = pair
        .current
        .uniques
        .iter()
        .map(|u| (u, mapped(&u.columns, columns)))
        .collect();
    let mut current_done = vec![false; current.len()];
    let mut desired_done = vec![false; pair.desired.uniques.len()];

    // The same constraint: same name, same (surviving) columns.
    for (di, d) in pair.desired.uniques.iter().enumerate() {
        if let Some(ci) = current
            .iter()
            .enumerate()
            .position(|(ci, (c, (cols, intact)))| {
                !current_done[ci] && *intact && c.name == d.name && *cols == d.columns
            })
        {
            current_done[ci] = true;
            desired_done[di] = true;
        }
    }
    // Only the name changed.
    for (di, d) in pair.desired.uniques.iter().enumerate() {
        if desired_done[di] {
            continue;
        }
        if let Some(ci) = current
            .iter()
            .enumerate()
            .position(|(ci, (_, (cols, intact)))| {
                !current_done[ci] && *intact && *cols == d.columns
            })
        {
            current_done[ci] = true;
            desired_done[di] = true;
            rename(&t, &current[ci].0.name, &d.name, steps);
        }
    }
    for (ci, (c, (cols, _))) in current.iter().enumerate() {
        if current_done[ci] {
            continue;
        }
        let s = step(
            format!("drop unique constraint {} on {t}", quote_ident(&c.name)),
            vec![sql::drop_constraint(&t, &c.name)],
            vec![sql::add_unique(&t, &c.name, cols)],
        );
        steps.push(
            Phase::DropConstraint,
            with_note(
                s,
                format!(
                    "drop unique constraint {} on {t}: re-adding it fails if duplicates were stored since",
                    quote_ident(&c.name)
                ),
            ),
        );
    }
    for (di, d) in pair.desired.uniques.iter().enumerate() {
        if desired_done[di] {
            continue;
        }
        let s = step(
            format!(
                "add unique constraint {} on {t} ({})",
                quote_ident(&d.name),
                sql::column_list(&d.columns)
            ),
            vec![sql::add_unique(&t, &d.name, &d.columns)],
            vec![sql::drop_constraint(&t, &d.name)],
        );
        steps.push(
            Phase::AddConstraint,
            with_hazards(s, &[Hazard::MayFailOnExistingRows]),
        );
    }
}
