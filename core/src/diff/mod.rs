//! desired × current → plan. Pure.
//!
//! The diff pairs what it can (tables and columns by name, or by their `renamed_from`
//! hint), then lets each kind of object contribute its steps. Every step is filed
//! under a [`Phase`], and the plan is the steps in phase order: that is what makes the
//! up file run (constraints dropped before their columns, columns added before the
//! constraints that use them, tables dropped last) and the down file undo it, since
//! the down file is the same steps' inverses in reverse order.
//!
//! Each kind is a module of its own with its phases: extensions, schemas, enums,
//! tables, columns, constraints (primary keys and uniques), checks, indexes, foreign
//! keys, comments.

mod checks;
mod columns;
mod comments;
mod constraints;
mod enums;
mod exprs;
mod extensions;
mod foreign_keys;
mod indexes;
mod schemas;
mod suggestions;
mod tables;
mod types;

#[cfg(test)]
mod tests;

use crate::plan::{Hazard, Plan, Step};
use crate::schema::Schema;

/// When a step runs, relative to the others. The order of the variants is the order
/// of the up file; the down file runs the inverses in the opposite order, so each
/// variant's comment says what must be true before it, in both files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// Before anything that may use them (types, default functions, operator classes).
    CreateExtension,
    CreateSchema,
    /// New enum types, before the columns that use them.
    CreateEnum,
    /// Label renames and additions, before the defaults that may name them.
    AlterEnum,
    RenameTable,
    RenameColumn,
    /// Foreign keys that go away or change, before any column or table they join is
    /// dropped or changes type.
    DropForeignKey,
    DropIndex,
    /// Constraints that go away or change, before their columns change or go.
    DropConstraint,
    DropColumn,
    AddColumn,
    AlterColumn,
    /// Generated columns read other columns: they are added once those have their
    /// new types (and, in the down file, dropped before the types go back).
    AddGeneratedColumn,
    /// With their checks and indexes.
    CreateTable,
    /// Constraint renames, then new or changed constraints.
    AddConstraint,
    /// Index renames before index creations, which may take a name a rename frees.
    RenameIndex,
    AddIndex,
    /// Once every table and column exists, so cycles between tables work.
    AddForeignKey,
    Comment,
    DropTable,
    /// Enum re-creations convert every column using the type: all of them have their
    /// desired shape by now, and the tables that go are gone.
    RecreateEnum,
    /// After the columns and tables using the type are gone.
    DropEnum,
}

/// The steps found so far, each with its phase.
#[derive(Default)]
struct Steps {
    steps: Vec<(Phase, Step)>,
}

impl Steps {
    fn push(&mut self, phase: Phase, step: Step) {
        self.steps.push((phase, step));
    }

    /// The steps in phase order; within a phase, in the order they were found (tables
    /// in schema order, columns in table order), so the plan is stable.
    fn into_ordered(mut self) -> Vec<Step> {
        self.steps.sort_by_key(|(phase, _)| *phase);
        self.steps.into_iter().map(|(_, s)| s).collect()
    }
}

/// A step with no hazards and no down notes yet.
fn step(description: impl Into<String>, up: Vec<String>, down: Vec<String>) -> Step {
    Step {
        description: description.into(),
        up,
        down,
        hazards: Vec::new(),
        down_notes: Vec::new(),
    }
}

/// Adds hazards to a step, keeping them sorted and unique so output is stable.
fn with_hazards(mut s: Step, hazards: &[Hazard]) -> Step {
    s.hazards.extend_from_slice(hazards);
    s.hazards.sort();
    s.hazards.dedup();
    s
}

fn with_note(mut s: Step, note: impl Into<String>) -> Step {
    s.down_notes.push(note.into());
    s
}

/// The enum types of both sides, spelled as a column's type spells them.
fn enum_types(desired: &Schema, current: &Schema) -> Vec<String> {
    let mut out: Vec<String> = desired
        .enums
        .iter()
        .chain(&current.enums)
        .map(crate::sql::enum_name)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The steps that take `current` to `desired`, ordered by dependency.
pub fn diff(desired: &Schema, current: &Schema) -> Plan {
    let mut steps = Steps::default();
    extensions::diff_extensions(desired, current, &mut steps);
    schemas::diff_schemas(desired, current, &mut steps);
    enums::diff_enums(desired, current, &mut steps);
    let enum_types = enum_types(desired, current);
    let tables = tables::pair_tables(desired, current);
    let columns: Vec<_> = tables
        .pairs
        .iter()
        .map(|pair| columns::pair_columns(pair.current, pair.desired))
        .collect();
    for (pair, columns) in tables.pairs.iter().zip(&columns) {
        if pair.is_rename() {
            tables::rename_table(pair, &mut steps);
        }
        columns::diff_columns(pair, columns, current, &enum_types, &mut steps);
        constraints::diff_constraints(pair, columns, &mut steps);
        checks::diff_checks(pair, columns, &mut steps);
        indexes::diff_indexes(pair, columns, &mut steps);
        comments::diff_comments(pair, columns, &mut steps);
    }
    foreign_keys::diff_foreign_keys(
        &foreign_keys::Pairing {
            tables: &tables,
            columns: &columns,
        },
        &mut steps,
    );
    for table in &tables.created {
        tables::create_table(table, &mut steps);
    }
    for table in &tables.dropped {
        tables::drop_table(table, &mut steps);
    }
    Plan {
        steps: steps.into_ordered(),
        rename_suggestions: suggestions::suggest_renames(&tables),
    }
}
