//! Check constraints of tables that stay (a created table's are inline in its CREATE
//! TABLE). A current check is compared with its expression under the columns' desired
//! names: PostgreSQL prints a renamed column's new name, so a check only renamed along
//! with its column is not a change.
use super::columns::ColumnPairing;
use super::matching::{match_objects, Matching};
use super::tables::TablePair;
use super::{
    alone, locked, rename_constraint, step, with_hazards, with_note, with_respelled_note, Dropped,
    EnumTypes, Phase, Steps,
};
use crate::names::quote_ident;
use crate::plan::{Hazard, Lock, Step};
use crate::schema::{CheckConstraint, Written};
use crate::sql;

/// A current check as it reads once the renames ran (its text to write too, for a down
/// file re-adding it then), and whether every column it reads keeps its values.
pub(super) fn mapped(c: &CheckConstraint, columns: &ColumnPairing) -> (CheckConstraint, bool) {
    let m = columns.map_expr(&c.expr);
    let check = CheckConstraint {
        name: c.name.clone(),
        expr: m.text,
        not_valid: c.not_valid,
        written: c
            .written
            .get()
            .map(|w| Written::new(columns.map_expr(w).text))
            .unwrap_or_default(),
    };
    (check, m.intact)
}

pub(super) fn diff_checks(
    pair: &TablePair,
    columns: &ColumnPairing,
    enums: &EnumTypes,
    online: bool,
    steps: &mut Steps,
    dropped: &mut Dropped,
) {
    let t = pair.sql_name();
    let current: Vec<(CheckConstraint, bool)> = pair
        .current
        .checks
        .iter()
        .map(|c| mapped(c, columns))
        .collect();
    let desired = &pair.desired.checks;
    let Matching {
        current_done,
        desired_done,
        renamed,
    } = match_objects(
        current.len(),
        desired.len(),
        |c| current[c].1,
        |c, d| current[c].0.name == desired[d].name,
        |c, d| current[c].0.expr == desired[d].expr,
    );
    for (ci, di) in renamed {
        rename_constraint("check", &t, &current[ci].0.name, &desired[di].name, steps);
    }
    for (ci, (c, _)) in current.iter().enumerate() {
        if current_done[ci] {
            continue;
        }
        dropped.checks.push(c.name.clone());
        let what = format!("drop check {} on {t}", quote_ident(&c.name));
        let s = step(
            format!("{what} ({})", c.expr),
            vec![sql::drop_constraint(&t, &c.name)],
            vec![sql::add_check(&t, c)],
        );
        let s = with_note(
            s,
            format!("{what}: re-adding it fails if rows violating it were stored since"),
        );
        let respelled = c.reads_back_otherwise().then(|| "the check".to_string());
        let s = with_respelled_note(s, &what, respelled.as_slice());
        steps.push(Phase::DropConstraint, locked(s, Lock::AccessExclusive));
    }
    for (di, d) in desired.iter().enumerate() {
        if desired_done[di] {
            continue;
        }
        // Described as declared: the text the user recognizes, and the one written.
        let description = format!(
            "add check {} on {t} ({})",
            quote_ident(&d.name),
            d.expr_sql()
        );
        let reads = enums.read_by(pair.desired, [d.expr.as_str()]);
        if online {
            let [add, validate] = add_not_valid(
                &description,
                &t,
                &d.name,
                sql::add_check(&t, d),
                Lock::AccessExclusive,
            );
            steps.push_reading(Phase::AddConstraint, add, reads.clone());
            steps.push_reading(Phase::AddConstraint, validate, reads);
        } else {
            let s = step(
                description,
                vec![sql::add_check(&t, d)],
                vec![sql::drop_constraint(&t, &d.name)],
            );
            steps.push_reading(
                Phase::AddConstraint,
                locked(
                    with_hazards(
                        s,
                        &[Hazard::MayFailOnExistingRows, Hazard::ScansTableUnderLock],
                    ),
                    Lock::AccessExclusive,
                ),
                reads,
            );
        }
    }
}

/// A constraint added to a table that has rows, online: `ADD ... NOT VALID` (a brief
/// `lock`; new and updated rows are checked from now on), then `VALIDATE CONSTRAINT` in
/// a transaction of its own, which scans the table under SHARE UPDATE EXCLUSIVE while
/// reads and writes go on. A valid constraint cannot be marked NOT VALID again: the
/// validation's down file drops it and adds it back NOT VALID, as the first part left
/// it (each part reverts alone), and the first part's down drops it.
pub(super) fn add_not_valid(
    description: &str,
    t: &str,
    name: &str,
    add: String,
    lock: Lock,
) -> [Step; 2] {
    let q = quote_ident(name);
    let add = format!("{add} NOT VALID");
    let drop = sql::drop_constraint(t, name);
    let first = locked(
        step(
            format!("{description}, part 1: NOT VALID"),
            vec![add.clone()],
            vec![drop.clone()],
        ),
        lock,
    );
    let validate = alone(locked(
        with_hazards(
            step(
                format!("{description}, part 2: validate {q}"),
                vec![format!("ALTER TABLE {t} VALIDATE CONSTRAINT {q}")],
                vec![drop, add],
            ),
            &[
                Hazard::MayFailOnExistingRows,
                Hazard::ImpactsDatabasePerformance,
            ],
        ),
        Lock::ShareUpdateExclusive,
    ));
    [first, validate]
}
