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
pub(crate) mod defaults;
mod enums;
mod exprs;
mod extensions;
mod foreign_keys;
mod indexes;
mod matching;
mod schemas;
mod sequences;
mod suggestions;
mod tables;
mod types;

#[cfg(test)]
mod tests;

use crate::plan::{Hazard, Lock, Plan, Step};
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
    /// The owned sequences of serial and identity columns follow their table's and
    /// column's names, once both are renamed.
    RenameSequence,
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
    /// Files a step; the lock it takes adds its hazard here, once for every kind, so
    /// that a lock and its hazard can never disagree.
    fn push(&mut self, phase: Phase, step: Step) {
        let hazard = match step.lock {
            Lock::AccessExclusive => Some(Hazard::AccessExclusiveLock),
            Lock::ShareRowExclusive => Some(Hazard::ShareRowExclusiveLock),
            Lock::Share => Some(Hazard::ShareLock),
            _ => None,
        };
        let step = match hazard {
            Some(h) => with_hazards(step, &[h]),
            None => step,
        };
        self.steps.push((phase, step));
    }

    /// Files `other`'s steps after these, in their order.
    fn append(&mut self, other: Steps) {
        self.steps.extend(other.steps);
    }

    /// The steps in phase order; within a phase, in the order they were found (tables
    /// in schema order, columns in table order), so the plan is stable.
    fn into_ordered(mut self) -> Vec<Step> {
        self.steps.sort_by_key(|(phase, _)| *phase);
        self.steps.into_iter().map(|(_, s)| s).collect()
    }
}

/// How the plan is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Write what a busy production database needs: concurrent index builds and drops,
    /// unique constraints over concurrently built indexes, constraints added `NOT VALID`
    /// and validated in a transaction of their own, `SET NOT NULL` through a validated
    /// check. Tables created by the plan need none of it: they are empty.
    pub online: bool,
}

/// A transactional step with no hazards, no lock and no down notes yet.
fn step(description: impl Into<String>, up: Vec<String>, down: Vec<String>) -> Step {
    Step::new(description, up, down)
}

/// The lock a step takes on an existing table (the strongest of its statements').
fn locked(mut s: Step, lock: Lock) -> Step {
    s.lock = s.lock.max(lock);
    s
}

/// `ALTER TABLE ... RENAME CONSTRAINT` both ways, described as `rename <kind> a -> b on t`
/// (`kind`: constraint, check, foreign key); it takes ACCESS EXCLUSIVE briefly.
fn rename_constraint(kind: &str, t: &str, from: &str, to: &str, steps: &mut Steps) {
    let s = step(
        format!(
            "rename {kind} {} -> {} on {t}",
            crate::names::quote_ident(from),
            crate::names::quote_ident(to)
        ),
        vec![crate::sql::rename_constraint(t, from, to)],
        vec![crate::sql::rename_constraint(t, to, from)],
    );
    steps.push(Phase::AddConstraint, locked(s, Lock::AccessExclusive));
}

/// A step that cannot run inside a transaction block: one statement each way.
fn non_transactional(description: impl Into<String>, up: String, down: String) -> Step {
    let mut s = Step::new(description, vec![up], vec![down]);
    s.transactional = false;
    s
}

/// A step that commits on its own, apart from the steps around it.
fn alone(mut s: Step) -> Step {
    s.own_transaction = true;
    s
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

/// Notes the fragments of current objects a down file re-creates that PostgreSQL reads
/// back in another spelling, no text found reading back as theirs (see
/// [`Written`](crate::schema::Written)): the meaning is restored, the text in the
/// catalog is not. `fragments` names them (`check "c"`, `the default of t.c`).
fn with_respelled_note(s: Step, what: &str, fragments: &[String]) -> Step {
    if fragments.is_empty() {
        return s;
    }
    with_note(
        s,
        format!(
            "{what}: PostgreSQL reads {} back in another spelling of the same meaning",
            fragments.join(", ")
        ),
    )
}

/// The default and generated expression of a current column that read back otherwise.
fn respelled_column_fragments(table: &str, c: &crate::schema::Column) -> Vec<String> {
    let name = crate::names::quote_ident(&c.name);
    let mut out = Vec::new();
    if c.default_reads_back_otherwise() {
        out.push(format!("the default of {table}.{name}"));
    }
    if c.generated_reads_back_otherwise() {
        out.push(format!("the generated expression of {table}.{name}"));
    }
    out
}

/// Every fragment of a current table that reads back otherwise.
fn respelled_table_fragments(table: &crate::schema::Table) -> Vec<String> {
    let t = crate::sql::table_name(table);
    let mut out = Vec::new();
    for c in &table.columns {
        out.extend(respelled_column_fragments(&t, c));
    }
    for c in table.checks.iter().filter(|c| c.reads_back_otherwise()) {
        out.push(format!("check {}", crate::names::quote_ident(&c.name)));
    }
    for i in table.indexes.iter().filter(|i| i.reads_back_otherwise()) {
        out.push(format!("index {}", crate::names::quote_ident(&i.name)));
    }
    out
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

/// The steps that take `current` to `desired`, ordered by dependency, with the default
/// options (not online).
pub fn diff(desired: &Schema, current: &Schema) -> Plan {
    diff_with(desired, current, &DiffOptions::default())
}

/// The steps that take `current` to `desired`, ordered by dependency.
pub fn diff_with(desired: &Schema, current: &Schema, options: &DiffOptions) -> Plan {
    let online = options.online;
    let mut steps = Steps::default();
    extensions::diff_extensions(desired, current, &mut steps);
    schemas::diff_schemas(desired, current, &mut steps);
    enums::diff_enums(desired, current, &mut steps);
    let enum_types = enum_types(desired, current);
    let tables = tables::pair_tables(desired, current);
    let mut names = crate::names::SchemaNames::new(current);
    let columns: Vec<_> = tables
        .pairs
        .iter()
        .map(|pair| columns::pair_columns(pair.current, pair.desired))
        .collect();
    // The per-table work in two halves: what chooses names (table renames, sequences,
    // columns) needs the schema's one name allocator and runs here, table after table,
    // followed by the foreign keys and the rename suggestions; the rest reads only its
    // own table and runs beside it. Each table's steps are then filed in the order one
    // thread would have found them.
    let (named, others, foreign_keys, rename_suggestions) = std::thread::scope(|scope| {
        let others = scope.spawn(|| {
            tables
                .pairs
                .iter()
                .zip(&columns)
                .map(|(pair, columns)| {
                    let mut found = Steps::default();
                    constraints::diff_constraints(pair, columns, online, &mut found);
                    checks::diff_checks(pair, columns, online, &mut found);
                    indexes::diff_indexes(pair, columns, online, &mut found);
                    comments::diff_comments(pair, columns, &mut found);
                    found
                })
                .collect::<Vec<Steps>>()
        });
        let named: Vec<Steps> = tables
            .pairs
            .iter()
            .zip(&columns)
            .map(|(pair, columns)| {
                let mut found = Steps::default();
                if pair.is_rename() {
                    tables::rename_table(pair, &mut found);
                }
                sequences::rename_sequences(pair, columns, &mut names, &mut found);
                columns::diff_columns(pair, columns, &mut names, &enum_types, online, &mut found);
                found
            })
            .collect();
        let mut foreign_keys = Steps::default();
        foreign_keys::diff_foreign_keys(
            &foreign_keys::Pairing::new(&tables, &columns),
            online,
            &mut foreign_keys,
        );
        let suggestions = suggestions::suggest_renames(&tables, &columns);
        // A panic in pure code is a bug: let it surface as one.
        let others = others
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (named, others, foreign_keys, suggestions)
    });
    for (named, others) in named.into_iter().zip(others) {
        steps.append(named);
        steps.append(others);
    }
    steps.append(foreign_keys);
    for table in &tables.created {
        tables::create_table(table, &mut steps);
    }
    for table in &tables.dropped {
        tables::drop_table(table, &mut steps);
    }
    let mut steps = steps.into_ordered();
    enums::commit_labels_used_later(&mut steps);
    Plan {
        steps,
        rename_suggestions,
    }
}
