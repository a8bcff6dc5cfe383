//! A plan: the ordered steps that take the current schema to the desired one.
//!
//! Each step carries its own SQL, the SQL that undoes it, its hazards, the lock it
//! takes on the table and whether it may run inside a transaction. The up files are
//! the steps in order; the down files are their inverses in reverse order. Both come
//! from the same steps, so they cannot disagree.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Dropped-and-added pairs that look like renames: said in the destructive refusal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rename_suggestions: Vec<RenameSuggestion>,
    /// What the entities could say to keep what the database has, where the plan
    /// replaces one object by its twin (a unique index by a unique constraint): shown
    /// by `diff` and `generate`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
    /// Why strata cannot write this plan as a migration that runs (a view it cannot set
    /// aside, ...), each saying what to do: `generate` refuses it whatever the flags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// What the step does, in words: `add column "users"."email"`.
    pub description: String,
    /// The statements that apply it, each without a trailing semicolon.
    pub up: Vec<String>,
    /// The statements that undo it, in the order they run.
    pub down: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hazards: Vec<Hazard>,
    /// The strongest lock its statements take on an existing table.
    #[serde(default)]
    pub lock: Lock,
    /// Whether its statements (up and down alike) may run inside a transaction block.
    /// A step that may not (`CREATE INDEX CONCURRENTLY`) has exactly one up and one
    /// down statement, and gets migration files of its own.
    #[serde(default = "yes")]
    pub transactional: bool,
    /// Whether it must commit on its own, apart from the steps around it: a `VALIDATE
    /// CONSTRAINT` must not hold the lock the `ADD ... NOT VALID` before it took, and an
    /// enum label added by `ADD VALUE` cannot be used before its transaction commits.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_transaction: bool,
    /// Notes for the down file's header (what the inverse cannot give back).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub down_notes: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Step {
    /// A transactional step without hazards, lock or notes; the diff adds those.
    pub fn new(description: impl Into<String>, up: Vec<String>, down: Vec<String>) -> Step {
        Step {
            description: description.into(),
            up,
            down,
            hazards: Vec::new(),
            lock: Lock::None,
            transactional: true,
            own_transaction: false,
            down_notes: Vec::new(),
        }
    }
}

/// What can go wrong when a step runs. A fixed vocabulary, named in snake_case in
/// strata.toml's `deny`, `--allow-hazard` and the JSON plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hazard {
    /// Rows or values are gone after it (drop table/column, narrowing a type).
    DeletesData,
    /// It rewrites the whole table (most type changes).
    RewritesTable,
    /// It takes an ACCESS EXCLUSIVE lock on an existing table: every read and write of
    /// the table waits behind it, and behind the transactions it waits for.
    AccessExclusiveLock,
    /// It takes a SHARE lock on an existing table: writes wait while it runs
    /// (`CREATE INDEX` without `CONCURRENTLY`).
    ShareLock,
    /// It takes a SHARE ROW EXCLUSIVE lock (a foreign key, on both tables): writes
    /// wait while it runs.
    ShareRowExclusiveLock,
    /// It reads every row while holding a lock that blocks writes (SET NOT NULL, a
    /// valid CHECK or foreign key, a unique or primary key).
    ScansTableUnderLock,
    /// It builds an index: time and I/O proportional to the table.
    BuildsIndex,
    /// It drops an index: queries that used it get slower.
    DropsIndex,
    /// Heavy work that does not block (a concurrent index build, a validation) but
    /// loads the database while it runs.
    ImpactsDatabasePerformance,
    /// A concurrent index build that fails leaves an INVALID index behind, to drop by
    /// hand before retrying.
    LeavesInvalidIndexOnFailure,
    /// A type change, a key or a constraint that fails if existing rows do not fit.
    MayFailOnExistingRows,
    /// Clients running the old code break (renames, drops, a NOT NULL column they do
    /// not fill).
    BreaksOldClients,
    /// Objects strata does not manage (views, triggers, policies) read what the migration changes: they
    /// are dropped before the change and created again after it, from the definitions
    /// read, so they are missing while the migration runs.
    RecreatesDependents,
    /// The down file cannot restore what it changes: it raises an error there, to be
    /// edited by hand.
    NotUndoable,
    /// A trigger is created, changed or dropped: what a write to its table does
    /// changes with it.
    ChangesWriteBehaviour,
    /// A row level security policy is created, changed or dropped, or row level
    /// security is turned on or off: who sees which rows changes with it.
    ChangesRowVisibility,
}

impl Hazard {
    pub const ALL: [Hazard; 16] = [
        Hazard::DeletesData,
        Hazard::RewritesTable,
        Hazard::AccessExclusiveLock,
        Hazard::ShareLock,
        Hazard::ShareRowExclusiveLock,
        Hazard::ScansTableUnderLock,
        Hazard::BuildsIndex,
        Hazard::DropsIndex,
        Hazard::ImpactsDatabasePerformance,
        Hazard::LeavesInvalidIndexOnFailure,
        Hazard::MayFailOnExistingRows,
        Hazard::BreaksOldClients,
        Hazard::RecreatesDependents,
        Hazard::NotUndoable,
        Hazard::ChangesWriteBehaviour,
        Hazard::ChangesRowVisibility,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Hazard::DeletesData => "deletes_data",
            Hazard::RewritesTable => "rewrites_table",
            Hazard::AccessExclusiveLock => "access_exclusive_lock",
            Hazard::ShareLock => "share_lock",
            Hazard::ShareRowExclusiveLock => "share_row_exclusive_lock",
            Hazard::ScansTableUnderLock => "scans_table_under_lock",
            Hazard::BuildsIndex => "builds_index",
            Hazard::DropsIndex => "drops_index",
            Hazard::ImpactsDatabasePerformance => "impacts_database_performance",
            Hazard::LeavesInvalidIndexOnFailure => "leaves_invalid_index_on_failure",
            Hazard::MayFailOnExistingRows => "may_fail_on_existing_rows",
            Hazard::BreaksOldClients => "breaks_old_clients",
            Hazard::RecreatesDependents => "recreates_dependents",
            Hazard::NotUndoable => "not_undoable",
            Hazard::ChangesWriteBehaviour => "changes_write_behaviour",
            Hazard::ChangesRowVisibility => "changes_row_visibility",
        }
    }
}

impl fmt::Display for Hazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A hazard name that is not in the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownHazard(pub String);

impl fmt::Display for UnknownHazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Hazard::ALL.iter().map(|h| h.as_str()).collect();
        write!(
            f,
            "unknown hazard {:?}; the hazards are: {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownHazard {}

impl FromStr for Hazard {
    type Err = UnknownHazard;

    /// The snake_case name, as the JSON plan and `deny = [...]` spell it.
    fn from_str(s: &str) -> Result<Hazard, UnknownHazard> {
        Hazard::ALL
            .into_iter()
            .find(|h| h.as_str() == s.trim())
            .ok_or_else(|| UnknownHazard(s.to_string()))
    }
}

/// The table lock a statement takes, weakest first (PostgreSQL's lock modes, in the
/// order of what they block). `None`: no lock on any existing table (a new table, a
/// type, a schema).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Lock {
    #[default]
    None,
    AccessShare,
    RowShare,
    RowExclusive,
    /// Blocks other schema changes and VACUUM, not reads or writes.
    ShareUpdateExclusive,
    /// Blocks writes.
    Share,
    /// Blocks writes and other SHARE locks.
    ShareRowExclusive,
    Exclusive,
    /// Blocks everything, reads included.
    AccessExclusive,
}

impl Lock {
    /// As PostgreSQL's documentation names it: `ACCESS EXCLUSIVE`.
    pub fn as_sql(self) -> &'static str {
        match self {
            Lock::None => "none",
            Lock::AccessShare => "ACCESS SHARE",
            Lock::RowShare => "ROW SHARE",
            Lock::RowExclusive => "ROW EXCLUSIVE",
            Lock::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            Lock::Share => "SHARE",
            Lock::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            Lock::Exclusive => "EXCLUSIVE",
            Lock::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// Whether it makes writers (INSERT, UPDATE, DELETE) wait.
    pub fn blocks_writes(self) -> bool {
        self >= Lock::Share
    }

    /// Whether it makes readers (SELECT) wait.
    pub fn blocks_reads(self) -> bool {
        self == Lock::AccessExclusive
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenameSuggestion {
    /// `Column` or `Table`.
    pub kind: RenameKind,
    /// The table (schema-qualified when not in `public`) for a column rename.
    pub table: String,
    pub from: String,
    pub to: String,
    /// The attribute to add, e.g. `#[entity(renamed_from = "avatar")]`.
    pub hint: String,
    /// Where to add it: `the field of column avatar_url in the entity of table users`.
    #[serde(default)]
    pub place: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenameKind {
    Column,
    Table,
}

impl Plan {
    /// No step and nothing that stops one being written: "No changes".
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.blockers.is_empty()
    }

    /// The steps that delete data: the ones `generate` refuses without `--allow-destructive`.
    pub fn destructive_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps
            .iter()
            .filter(|s| s.hazards.contains(&Hazard::DeletesData))
    }

    /// Whether every step may run in a transaction, so one up and one down file hold it.
    pub fn is_transactional(&self) -> bool {
        self.steps
            .iter()
            .all(|s| s.transactional && !s.own_transaction)
    }

    /// All up statements, in order.
    pub fn up_statements(&self) -> impl Iterator<Item = &str> {
        self.steps
            .iter()
            .flat_map(|s| s.up.iter().map(String::as_str))
    }

    /// All down statements, in order: each step's inverse, last step first.
    pub fn down_statements(&self) -> impl Iterator<Item = &str> {
        self.steps
            .iter()
            .rev()
            .flat_map(|s| s.down.iter().map(String::as_str))
    }
}

/// Each step of `plan` with each of its hazards that `deny` forbids, in plan order.
pub fn denied<'p>(plan: &'p Plan, deny: &[Hazard]) -> Vec<(&'p Step, Hazard)> {
    plan.steps
        .iter()
        .flat_map(|s| {
            s.hazards
                .iter()
                .filter(|h| deny.contains(h))
                .map(move |h| (s, *h))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hazard_names_round_trip_through_from_str_and_serde() {
        for h in Hazard::ALL {
            assert_eq!(h.as_str().parse::<Hazard>(), Ok(h));
            let json = serde_json::to_string(&h).expect("serializes");
            assert_eq!(json, format!("\"{}\"", h.as_str()));
        }
    }

    #[test]
    fn an_unknown_hazard_name_lists_the_valid_ones() {
        let err = "deletes-data".parse::<Hazard>().expect_err("unknown");
        insta::assert_snapshot!(err.to_string());
    }

    #[test]
    fn denied_lists_each_forbidden_hazard_of_each_step() {
        let mut a = Step::new("a", vec![], vec![]);
        a.hazards = vec![Hazard::DeletesData, Hazard::AccessExclusiveLock];
        let mut b = Step::new("b", vec![], vec![]);
        b.hazards = vec![Hazard::BuildsIndex];
        let plan = Plan {
            steps: vec![a, b],
            rename_suggestions: vec![],
            hints: Vec::new(),
            blockers: vec![],
        };
        let found: Vec<(&str, Hazard)> =
            denied(&plan, &[Hazard::AccessExclusiveLock, Hazard::BuildsIndex])
                .into_iter()
                .map(|(s, h)| (s.description.as_str(), h))
                .collect();
        assert_eq!(
            found,
            vec![
                ("a", Hazard::AccessExclusiveLock),
                ("b", Hazard::BuildsIndex)
            ]
        );
        assert!(denied(&plan, &[Hazard::RewritesTable]).is_empty());
    }
}
