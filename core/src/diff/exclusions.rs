//! Exclusion constraints of tables that stay (a created table's are inline in its
//! CREATE TABLE). Compared as checks are: the current definition under the columns'
//! desired names, so one only renamed along with its columns is no change. A changed
//! one is dropped and added again (PostgreSQL alters only a foreign key's
//! deferrability); no foreign key can lean on one.
use super::columns::ColumnPairing;
use super::matching::{match_objects, Matching};
use super::tables::TablePair;
use super::{locked, rename_constraint, step, with_hazards, with_note, Phase, Steps};
use crate::names::quote_ident;
use crate::plan::{Hazard, Lock};
use crate::schema::{ExclusionConstraint, Written};
use crate::sql;

fn mapped(x: &ExclusionConstraint, columns: &ColumnPairing) -> (ExclusionConstraint, bool) {
    let m = columns.map_expr(&x.definition);
    let out = ExclusionConstraint {
        name: x.name.clone(),
        definition: m.text,
        deferral: x.deferral,
        written: x
            .written
            .get()
            .map(|w| Written::new(columns.map_expr(w).text))
            .unwrap_or_default(),
    };
    (out, m.intact)
}

pub(super) fn diff_exclusions(pair: &TablePair, columns: &ColumnPairing, steps: &mut Steps) {
    let t = pair.sql_name();
    let current: Vec<(ExclusionConstraint, bool)> = pair
        .current
        .exclusions
        .iter()
        .map(|x| mapped(x, columns))
        .collect();
    let desired = &pair.desired.exclusions;
    let Matching {
        current_done,
        desired_done,
        renamed,
    } = match_objects(
        current.len(),
        desired.len(),
        |c| current[c].1,
        |c, d| current[c].0.name == desired[d].name,
        |c, d| {
            current[c].0.definition == desired[d].definition
                && current[c].0.deferral == desired[d].deferral
        },
    );
    for (ci, di) in renamed {
        rename_constraint(
            "constraint",
            &t,
            &current[ci].0.name,
            &desired[di].name,
            steps,
        );
    }
    for (ci, (c, _)) in current.iter().enumerate() {
        if current_done[ci] {
            continue;
        }
        let what = format!("drop exclusion constraint {} on {t}", quote_ident(&c.name));
        let s = step(
            format!("{what} ({})", c.definition),
            vec![sql::drop_constraint(&t, &c.name)],
            vec![sql::add_exclusion(&t, c)],
        );
        let s = with_note(
            s,
            format!("{what}: re-adding it fails if conflicting rows were stored since"),
        );
        steps.push(
            Phase::DropConstraint,
            locked(
                with_hazards(s, &[Hazard::DropsIndex]),
                Lock::AccessExclusive,
            ),
        );
    }
    for (di, d) in desired.iter().enumerate() {
        if desired_done[di] {
            continue;
        }
        let s = step(
            format!(
                "add exclusion constraint {} on {t} ({}{})",
                quote_ident(&d.name),
                d.definition_sql(),
                d.deferral.sql()
            ),
            vec![sql::add_exclusion(&t, d)],
            vec![sql::drop_constraint(&t, &d.name)],
        );
        steps.push(
            Phase::AddConstraint,
            locked(
                with_hazards(
                    s,
                    &[
                        Hazard::BuildsIndex,
                        Hazard::MayFailOnExistingRows,
                        Hazard::ScansTableUnderLock,
                    ],
                ),
                Lock::AccessExclusive,
            ),
        );
    }
}
