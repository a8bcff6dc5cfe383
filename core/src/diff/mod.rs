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
mod declared;
pub use declared::{declared_keys, retain_declared};
pub(crate) mod defaults;
mod dependents;
mod enum_recreation;
mod enum_types;
mod enums;
mod exclusions;
mod exprs;
mod extensions;
mod foreign_keys;
mod indexes;
mod left_alone;
mod matching;
mod renames;
mod schemas;
mod sequences;
mod suggestions;
mod tables;
mod types;
pub(crate) mod views;

#[cfg(test)]
mod tests;

use crate::plan::{Hazard, Lock, Plan, Step};
use crate::schema::{Schema, View};
use enum_types::{EnumTypes, Reads};

/// When a step runs, relative to the others. The order of the variants is the order
/// of the up file; the down file runs the inverses in the opposite order, so each
/// variant's comment says what must be true before it, in both files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    CreateSchema,
    /// Before anything that may use them (types, default functions, operator classes);
    /// after the schemas, one of which may be an extension's (`extensions.citext`).
    CreateExtension,
    /// Views, triggers and policies that read what the plan changes are dropped before
    /// anything changes (labels added to an enum type included), and, in the down file,
    /// created again once everything is undone: see `dependents`.
    SetAsideDependents,
    /// New enum types, before the columns that use them.
    CreateEnum,
    /// Declared domains, composite types, sequences and the functions tables use
    /// (defaults, checks), created or changed before the tables that need them: see
    /// `declared`.
    CreateObjects,
    /// Label renames and additions, before the defaults that may name them.
    AlterEnum,
    RenameTable,
    RenameColumn,
    /// The owned sequences of serial and identity columns take their column's type,
    /// under the names they have before the next phase: before the columns change type
    /// (an identity sequence is converted along by `ALTER COLUMN ... TYPE`, in both
    /// files).
    RetypeSequence,
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
    /// Dropped tables go with the other drops, before anything is added: their index,
    /// constraint and sequence names are free for the tables and keys added or renamed
    /// after. (Their foreign keys, and those pointing at them, are gone already.)
    DropTable,
    /// Enum re-creations, between the drops and the additions: see `enums`.
    RecreateEnum,
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
    /// With `--online`, a plain index a new one replaces goes once the new one is built
    /// (see `indexes`).
    DropReplacedIndex,
    /// Once every table and column exists, so cycles between tables work.
    AddForeignKey,
    /// What was set aside, once every change it reads is made (and, in the down file,
    /// dropped before anything is undone).
    RestoreDependents,
    Comment,
    /// After the columns and tables using the type are gone.
    DropEnum,
    /// Undeclared domains, composite types and sequences, pruned once nothing of the
    /// plan uses them.
    DropObjects,
}

/// The steps found so far, each with its phase and what it does with enum labels.
#[derive(Default)]
struct Steps {
    steps: Vec<(Phase, Step, Labels)>,
}

/// What a step does with enum labels: a label added by `ADD VALUE` cannot be read
/// before its transaction commits, so the addition commits on its own when a later
/// step reads it (see [`commit_labels_read_later`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Labels {
    /// The enum type (as a column's type spells it) and the labels the step adds.
    adds: Option<(String, Vec<String>)>,
    /// What its statements may read of enum types.
    reads: Reads,
}

impl Steps {
    /// Files a step; the lock it takes adds its hazard here, once for every kind, so
    /// that a lock and its hazard can never disagree.
    fn push(&mut self, phase: Phase, step: Step) {
        self.push_with(phase, step, Labels::default());
    }

    /// Files a step whose statements may read enum labels.
    fn push_reading(&mut self, phase: Phase, step: Step, reads: Reads) {
        self.push_with(phase, step, Labels { adds: None, reads });
    }

    fn push_with(&mut self, phase: Phase, step: Step, labels: Labels) {
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
        self.steps.push((phase, step, labels));
    }

    /// Says, in the description of each step from `from` on that blocks writes, why it
    /// is not online: the table is partitioned, and PostgreSQL builds no index
    /// concurrently and adds no `NOT VALID` foreign key there.
    fn not_online_on_partitioned(&mut self, from: usize) {
        for (_, step, _) in self.steps.iter_mut().skip(from) {
            let blocks_writes = matches!(step.lock, Lock::Share | Lock::ShareRowExclusive)
                || step.hazards.contains(&Hazard::BuildsIndex);
            if blocks_writes {
                step.description.push_str(
                    " (not online: PostgreSQL cannot do it concurrently on a partitioned table)",
                );
            }
        }
    }

    /// Files `other`'s steps after these, in their order.
    fn append(&mut self, other: Steps) {
        self.steps.extend(other.steps);
    }

    /// The steps in phase order; within a phase, in the order they were found (tables
    /// in schema order, columns in table order), so the plan is stable. A label
    /// addition that a later step reads commits on its own.
    fn into_ordered(mut self) -> Vec<Step> {
        self.steps.sort_by_key(|(phase, _, _)| *phase);
        commit_labels_read_later(&mut self.steps);
        self.steps.into_iter().map(|(_, s, _)| s).collect()
    }
}

/// Label additions whose type a later step of the plan reads get a transaction (a
/// migration file) of their own: PostgreSQL refuses a label added by `ALTER TYPE ...
/// ADD VALUE` until its transaction commits ("unsafe use of new value"). Decided by
/// what the later steps read, not by looking for the label in their text: a label can
/// be read through an array literal (`'{new}'`), a cast, a conversion of existing
/// values, or an expression PostgreSQL folds.
fn commit_labels_read_later(steps: &mut [(Phase, Step, Labels)]) {
    // Walked from the end: what the steps after the one at hand read.
    let mut read_later = Reads::default();
    for (_, step, labels) in steps.iter_mut().rev() {
        if let Some((e, added)) = &labels.adds {
            if added.iter().any(|label| read_later.may_read(e, label)) {
                step.own_transaction = true;
            }
        }
        read_later.extend(&labels.reads);
    }
}

/// The current objects of one kept table that the plan drops, by name: foreign keys
/// leaning on a dropped key must go before it and come back after, and an enum
/// re-creation sets aside only the objects still there when it runs.
#[derive(Debug, Default)]
struct Dropped {
    /// Primary keys, unique constraints and indexes, by their index's name (a key's
    /// index has the key's name).
    indexes: Vec<String>,
    checks: Vec<String>,
}

/// How the plan is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Write what a busy production database needs: concurrent index builds and drops,
    /// unique constraints over concurrently built indexes, constraints added `NOT VALID`
    /// and validated in a transaction of their own, `SET NOT NULL` through a validated
    /// check. Tables created by the plan need none of it: they are empty.
    pub online: bool,
    /// Drop the objects of a declarable kind that no `objects` file declares
    /// (`--prune`, strata.toml `prune`); without it they are reported as unmanaged.
    pub prune: bool,
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

/// The steps that take `current` to `desired`, ordered by dependency, with the default
/// options (not online).
pub fn diff(desired: &Schema, current: &Schema) -> Plan {
    diff_with(desired, current, &DiffOptions::default())
}

/// The steps that take `current` to `desired`, ordered by dependency.
pub fn diff_with(desired: &Schema, current: &Schema, options: &DiffOptions) -> Plan {
    let relabelled = enums::with_labels_renamed(desired, current);
    let current = relabelled.as_ref().unwrap_or(current);
    let online = options.online;
    let mut steps = Steps::default();
    extensions::diff_extensions(desired, current, &mut steps);
    schemas::diff_schemas(desired, current, &mut steps);
    let tables = tables::pair_tables(desired, current);
    let columns: Vec<_> = tables
        .pairs
        .iter()
        .map(|pair| columns::pair_columns(pair.current, pair.desired))
        .collect();
    let mut blockers = tables::partitioning_changes(&tables);
    let mut seeds = desired.declared.then(Vec::new);
    let mut views_aside = dependents::around_plan(
        desired,
        current,
        &tables,
        &columns,
        &mut steps,
        &mut blockers,
        seeds.as_mut(),
    );
    if let Some(seeds) = seeds {
        views_aside = declared::diff_declared(
            desired,
            current,
            seeds,
            options.prune,
            &mut steps,
            &mut blockers,
        );
    } else {
        // `#[entity(row_level_security)]` without `objects` files: turned on.
        declared::row_level_security(desired, current, false, &mut steps);
    }
    // The views an enum re-creation sets aside itself.
    let views: Vec<View> = current
        .views
        .iter()
        .zip(&views_aside)
        .filter(|(_, &aside)| !aside)
        .map(|(v, _)| v.clone())
        .collect();
    let recreations = enums::diff_enums(desired, current, &views, &mut steps);
    let enum_types = EnumTypes::new(
        desired,
        current,
        recreations.iter().map(|r| r.sql_name()).collect(),
    );
    for (schema, from, to) in tables::table_renames(&tables) {
        let set_aside = tables
            .displaced
            .iter()
            .any(|(t, _)| t.schema == schema && t.name == from);
        let why = if set_aside {
            ", out of the way of a rename; dropped below"
        } else {
            ""
        };
        tables::rename_table(schema, from, to, why, &mut steps);
    }
    let mut names = crate::names::SchemaNames::new(current);
    // The per-table work in two halves: what chooses names (table renames, sequences,
    // columns) needs the schema's one name allocator and runs here, table after table,
    // followed by the foreign keys and the rename suggestions; the rest reads only its
    // own table and runs beside it. Each table's steps are then filed in the order one
    // thread would have found them.
    let (named, others, (rename_suggestions, hints)) = std::thread::scope(|scope| {
        let others = scope.spawn(|| {
            tables
                .pairs
                .iter()
                .zip(&columns)
                .map(|(pair, columns)| {
                    let mut found = Steps::default();
                    let mut dropped = Dropped::default();
                    let online_here = tables::online_on(pair, online);
                    constraints::diff_constraints(
                        pair,
                        columns,
                        online_here,
                        &mut found,
                        &mut dropped,
                    );
                    checks::diff_checks(
                        pair,
                        columns,
                        &enum_types,
                        online,
                        &mut found,
                        &mut dropped,
                    );
                    indexes::diff_indexes(
                        pair,
                        columns,
                        &enum_types,
                        online_here,
                        &mut found,
                        &mut dropped,
                    );
                    exclusions::diff_exclusions(pair, columns, &mut found);
                    comments::diff_comments(pair, columns, &mut found);
                    if online && !online_here {
                        found.not_online_on_partitioned(0);
                    }
                    (found, dropped)
                })
                .collect::<Vec<(Steps, Dropped)>>()
        });
        let named: Vec<Steps> = tables
            .pairs
            .iter()
            .zip(&columns)
            .map(|(pair, columns)| {
                let mut found = Steps::default();
                sequences::retype_sequences(pair, columns, &mut found);
                sequences::rename_sequences(pair, columns, &mut names, &mut found);
                columns::privileges_of_dropped(
                    pair,
                    columns,
                    &current.objects.table_properties,
                    &mut found,
                );
                columns::diff_columns(
                    pair,
                    columns,
                    &mut names,
                    &enum_types,
                    &current.objects.sequences,
                    online,
                    &mut found,
                );
                found
            })
            .collect();
        let suggestions = suggestions::suggest_renames(&tables, &columns);
        let hints = suggestions::suggest_key_kinds(&tables);
        // A panic in pure code is a bug: let it surface as one.
        let others = others
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (named, others, (suggestions, hints))
    });
    let (others, dropped): (Vec<Steps>, Vec<Dropped>) = others.into_iter().unzip();
    // Foreign keys last: one leaning on a key the plan drops goes with it.
    let mut foreign_keys = Steps::default();
    let fk_pairing = foreign_keys::Pairing::new(&tables, &columns, &dropped);
    let kept_foreign_keys = foreign_keys::diff_foreign_keys(&fk_pairing, online, &mut foreign_keys);
    // Excluded tables are never changed, but the plan must not break what they use.
    let excluded_foreign_keys = foreign_keys::excluded_references(
        &fk_pairing,
        &current.excluded_tables,
        online,
        &mut foreign_keys,
        &mut blockers,
    );
    blockers.extend(sequences::excluded_sequence_users(
        &tables,
        &columns,
        &current.excluded_tables,
    ));
    blockers.extend(sequences::shared_sequence_adoptions(
        &tables, &columns, current,
    ));
    if !recreations.is_empty() {
        // An enum swap converts every column of the type, excluded tables' too.
        let excluded = || {
            current
                .excluded_tables
                .iter()
                .zip(&excluded_foreign_keys)
                .map(|(x, fks)| enum_recreation::SwapTable::excluded(x, fks.clone()))
        };
        let mut up =
            enum_recreation::world_at_swap(&tables, &columns, &dropped, &kept_foreign_keys, true);
        up.extend(excluded());
        let mut down =
            enum_recreation::world_at_swap(&tables, &columns, &dropped, &kept_foreign_keys, false);
        down.extend(excluded());
        for r in &recreations {
            let (step, refused) = r.step(&up, &down, &views, &current.objects.functions);
            steps.push(Phase::RecreateEnum, step);
            blockers.extend(refused);
        }
    }
    for (named, others) in named.into_iter().zip(others) {
        steps.append(named);
        steps.append(others);
    }
    steps.append(foreign_keys);
    for table in &tables.created {
        tables::create_table(table, enum_types.read_by_table(table), &mut steps);
    }
    for table in tables.all_dropped() {
        tables::drop_table(&table, &mut steps);
    }
    let mut steps = steps.into_ordered();
    left_alone::guard(&mut steps, current);
    Plan {
        steps,
        rename_suggestions,
        hints,
        blockers,
    }
}
