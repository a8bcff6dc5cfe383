//! Migration file text: the commented header and the statements of a plan.
//!
//! The header is for the reviewer: what changes, in words, the lock each step takes and
//! each hazard explained in a line, and in the down file what the inverse cannot give
//! back. Each step's statements are preceded by a comment naming the step and its
//! hazards, so a hazard sits next to the statement that has it.
//!
//! A plan whose steps all run in one transaction is one up and one down file
//! ([`render_up`], [`render_down`]). A plan with steps that cannot
//! (`CREATE INDEX CONCURRENTLY`) or that must commit on their own (`VALIDATE
//! CONSTRAINT`, a label added and used at once) is several migrations
//! ([`render_migrations`]): they apply in order and revert in reverse order, each
//! down file undoing exactly its up file.
use crate::plan::{Hazard, Lock, Plan, Step};
use std::time::Duration;

/// One line on what a hazard means for the person about to run the migration.
pub fn hazard_explanation(hazard: Hazard) -> &'static str {
    match hazard {
        Hazard::DeletesData => {
            "values are lost; the down file restores the structure, not the data"
        }
        Hazard::RewritesTable => "the table is rewritten under an ACCESS EXCLUSIVE lock",
        Hazard::AccessExclusiveLock => {
            "reads and writes of the table wait for it, and it waits for every open transaction on the table"
        }
        Hazard::ShareLock => "writes to the table wait until it is done",
        Hazard::ShareRowExclusiveLock => {
            "writes to the table (and the one it references) wait until it is done"
        }
        Hazard::ScansTableUnderLock => "reads every row while holding a lock that blocks writes",
        Hazard::BuildsIndex => "builds an index: time and I/O grow with the table",
        Hazard::DropsIndex => "queries that used the index get slower",
        Hazard::ImpactsDatabasePerformance => {
            "heavy work that does not block reads or writes but loads the database"
        }
        Hazard::LeavesInvalidIndexOnFailure => {
            "if it fails, an INVALID index is left behind: drop it before retrying"
        }
        Hazard::MayFailOnExistingRows => "fails if existing rows do not fit the new definition",
        Hazard::BreaksOldClients => "code still using the old definition breaks once this runs",
        Hazard::RecreatesDependents => {
            "what reads the changed objects (views, triggers, policies) is dropped and created again around it: missing meanwhile"
        }
        Hazard::NotUndoable => "the down file cannot restore it: it raises an error there, edit it",
        Hazard::ChangesWriteBehaviour => {
            "a trigger changes: what an insert, update or delete on its table does changes with it"
        }
        Hazard::ChangesRowVisibility => {
            "row level security changes: which rows each role sees or may write changes with it"
        }
    }
}

/// How the migration files are written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// `SET LOCAL lock_timeout` at the top of each transactional file (LOCAL: it ends
    /// with the migration's transaction, not leaking into the next): a statement that
    /// cannot get its lock in time fails instead of queueing every query behind it.
    pub lock_timeout: Option<Duration>,
}

/// One migration of a split plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMigration {
    /// `name`, then `name_2`, `name_3`, ...
    pub name: String,
    pub up: String,
    pub down: String,
    /// Both files start with `-- no-transaction` and hold exactly one statement.
    pub no_transaction: bool,
}

/// Header text must stay one comment line whatever a description holds.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// The steps of one migration file, with their numbers in the whole plan.
struct Group<'p> {
    steps: Vec<(usize, &'p Step)>,
    transactional: bool,
}

/// Consecutive transactional steps share a file; a non-transactional step, or one that
/// must commit on its own, gets one to itself.
fn groups(plan: &Plan) -> Vec<Group<'_>> {
    let mut out: Vec<Group> = Vec::new();
    let mut open = false;
    for (i, step) in plan.steps.iter().enumerate() {
        let alone = !step.transactional || step.own_transaction;
        if alone || !open {
            out.push(Group {
                steps: Vec::new(),
                transactional: step.transactional,
            });
        }
        if let Some(g) = out.last_mut() {
            g.steps.push((i + 1, step));
        }
        open = !alone;
    }
    out
}

/// Objects set aside around a split plan, set aside in each file instead.
///
/// A plan that sets views (triggers, policies) aside drops them in its first step and
/// creates them again, as they were, in its last. Split into several files, that would
/// commit the drop in one file and the creation several files later: a file that fails
/// in between, or a `strata revert` of the last file alone, would leave the database
/// without them. So each transactional file between the two gets its own pair: it drops
/// them first and creates them again last (its down file alike), and every file leaves
/// them in place. Only what is set aside unchanged is repeated (a declared view created
/// with a new definition is created once, where the plan puts it: its new text may read
/// what the files before it do not make yet). A file that runs
/// outside a transaction holds one statement and gets none: it leaves them in place. A
/// file left with nothing else to do is not written.
fn set_aside_in_each_file<'p>(plan: &'p Plan, groups: &mut Vec<Group<'p>>) {
    if groups.len() < 2 {
        return;
    }
    let group_of = |step: usize| {
        groups
            .iter()
            .position(|g| g.steps.iter().any(|(n, _)| *n == step))
    };
    let mut pairs = Vec::new();
    for (i, aside) in plan.steps.iter().enumerate() {
        if !aside.hazards.contains(&Hazard::RecreatesDependents) || aside.up.is_empty() {
            continue;
        }
        // Its creation: the later step whose down file drops what it drops. A set-aside
        // object is one the plan does not change (a changed one is dropped without the
        // hazard), so its creation, from its definition or its unchanged declaration,
        // holds in every file between.
        let restore = plan
            .steps
            .iter()
            .enumerate()
            .skip(i + 1)
            .find(|(_, r)| r.transactional && !r.up.is_empty() && r.down == aside.up);
        if let Some((j, _)) = restore {
            pairs.push((i + 1, j + 1));
        }
    }
    // Where each pair is, before any file gets a copy of it.
    let placed: Vec<_> = pairs
        .into_iter()
        .filter_map(|(aside, restore)| Some((aside, restore, group_of(aside)?, group_of(restore)?)))
        .collect();
    let mut repeated = Vec::new();
    for (aside, restore, first, last) in placed {
        if first == last {
            continue;
        }
        repeated.extend([aside, restore]);
        let (aside_step, restore_step) = (&plan.steps[aside - 1], &plan.steps[restore - 1]);
        for (g, group) in groups.iter_mut().enumerate().take(last + 1).skip(first) {
            if !group.transactional {
                continue;
            }
            if g != first {
                group.steps.push((aside, aside_step));
            }
            if g != last {
                group.steps.push((restore, restore_step));
            }
            // In the plan's order: a copied drop comes before every step of a later file,
            // a copied creation after every step of an earlier one.
            group.steps.sort_by_key(|(n, _)| *n);
        }
    }
    // A file left with nothing but the pair (the one that only dropped them) goes.
    groups.retain(|g| !g.steps.iter().all(|(n, _)| repeated.contains(n)));
}

/// The plan as migrations that can each run: one per group of steps.
pub fn render_migrations(
    plan: &Plan,
    name: &str,
    options: &RenderOptions,
) -> Vec<RenderedMigration> {
    let mut groups = groups(plan);
    set_aside_in_each_file(plan, &mut groups);
    if groups.is_empty() {
        return vec![RenderedMigration {
            name: name.to_string(),
            up: render_up(plan, name),
            down: render_down(plan, name),
            no_transaction: false,
        }];
    }
    let count = groups.len();
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let file_name = if i == 0 {
                name.to_string()
            } else {
                format!("{name}_{}", i + 1)
            };
            let part = (count > 1).then_some((i + 1, count));
            let timeout = if g.transactional {
                options.lock_timeout
            } else {
                None
            };
            RenderedMigration {
                up: up_file(&file_name, &g.steps, g.transactional, part, timeout),
                down: down_file(&file_name, &g.steps, g.transactional, part, timeout),
                name: file_name,
                no_transaction: !g.transactional,
            }
        })
        .collect()
}

/// The up file of a plan as one migration. Meant for plans whose steps all run in one
/// transaction ([`Plan::is_transactional`]); others need [`render_migrations`].
pub fn render_up(plan: &Plan, name: &str) -> String {
    up_file(name, &numbered(plan), true, None, None)
}

/// The down file of a plan as one migration; see [`render_up`].
pub fn render_down(plan: &Plan, name: &str) -> String {
    down_file(name, &numbered(plan), true, None, None)
}

fn numbered(plan: &Plan) -> Vec<(usize, &Step)> {
    plan.steps
        .iter()
        .enumerate()
        .map(|(i, s)| (i + 1, s))
        .collect()
}

const NO_TRANSACTION: &str = "-- no-transaction\n";

fn title(name: &str, part: Option<(usize, usize)>, down: bool) -> String {
    let part = part.map_or(String::new(), |(i, n)| format!(", part {i} of {n}"));
    let down = if down { " (down)" } else { "" };
    format!("-- strata migration: {}{part}{down}\n", one_line(name))
}

fn transaction_note(transactional: bool) -> &'static str {
    if transactional {
        ""
    } else {
        "-- Runs outside a transaction (PostgreSQL refuses this statement inside one): if it\n\
         -- fails, nothing is rolled back; read the hazards below before retrying.\n"
    }
}

fn set_lock_timeout(timeout: Option<Duration>) -> String {
    match timeout {
        // PostgreSQL reads `5s` and `1500ms` alike; whole seconds read better.
        Some(t) if t.as_millis() % 1000 == 0 => {
            format!("\nSET LOCAL lock_timeout = '{}s';\n", t.as_secs())
        }
        Some(t) => format!("\nSET LOCAL lock_timeout = '{}ms';\n", t.as_millis()),
        None => String::new(),
    }
}

fn up_file(
    name: &str,
    steps: &[(usize, &Step)],
    transactional: bool,
    part: Option<(usize, usize)>,
    timeout: Option<Duration>,
) -> String {
    let mut out = String::new();
    if !transactional {
        out.push_str(NO_TRANSACTION);
    }
    out.push_str(&title(name, part, false));
    out.push_str(
        "-- Review this file before committing it. Generated from the entities by `strata generate`.\n",
    );
    out.push_str(transaction_note(transactional));
    out.push_str("--\n");
    if steps.is_empty() {
        out.push_str("-- Changes: none.\n");
    } else {
        out.push_str("-- Changes:\n");
        for (n, step) in steps {
            push_step_line(&mut out, *n, step);
            if step.lock != Lock::None {
                out.push_str(&format!("--      lock: {}\n", step.lock.as_sql()));
            }
            for h in &step.hazards {
                out.push_str(&format!(
                    "--      hazard {}: {}\n",
                    h.as_str(),
                    hazard_explanation(*h)
                ));
            }
        }
    }
    out.push_str(&set_lock_timeout(timeout));
    for (n, step) in steps {
        out.push_str(&statements(*n, step, &step.up, true));
    }
    out
}

fn down_file(
    name: &str,
    steps: &[(usize, &Step)],
    transactional: bool,
    part: Option<(usize, usize)>,
    timeout: Option<Duration>,
) -> String {
    let plain = one_line(name);
    let mut out = String::new();
    if !transactional {
        out.push_str(NO_TRANSACTION);
    }
    out.push_str(&title(name, part, true));
    out.push_str(&format!(
        "-- Undoes the up file of {plain}: run after it, it restores the schema as it was before.\n"
    ));
    out.push_str(transaction_note(transactional));
    out.push_str("--\n");
    if steps.is_empty() {
        out.push_str("-- Reverts: nothing.\n");
    } else {
        out.push_str("-- Reverts, in this order:\n");
        for (n, step) in steps.iter().rev() {
            push_step_line(&mut out, *n, step);
        }
    }
    let notes: Vec<&String> = steps.iter().flat_map(|(_, s)| &s.down_notes).collect();
    if !notes.is_empty() {
        out.push_str("--\n-- Not restored as it was:\n");
        for note in notes {
            out.push_str(&format!("--   - {}\n", one_line(note)));
        }
    }
    out.push_str(&set_lock_timeout(timeout));
    for (n, step) in steps.iter().rev() {
        out.push_str(&statements(*n, step, &step.down, false));
    }
    out
}

fn push_step_line(out: &mut String, number: usize, step: &Step) {
    out.push_str(&format!(
        "--  {number:>2}. {}\n",
        one_line(&step.description)
    ));
}

/// A step's statements, after a comment naming the step (and, in the up file, its
/// hazards).
fn statements(number: usize, step: &Step, stmts: &[String], up: bool) -> String {
    let mut out = String::new();
    if stmts.is_empty() {
        if !up {
            out.push_str(&format!(
                "\n-- {number}. nothing to undo: {}\n",
                one_line(&step.description)
            ));
        }
        return out;
    }
    let hazards: Vec<&str> = step.hazards.iter().map(|h| h.as_str()).collect();
    let tag = if up && !hazards.is_empty() {
        format!(" [{}]", hazards.join(", "))
    } else {
        String::new()
    };
    out.push_str(&format!("\n-- {number}.{tag}\n"));
    for s in stmts {
        out.push_str(s);
        out.push_str(";\n");
    }
    out
}

#[cfg(test)]
mod tests;
