//! A plan: the ordered steps that take the current schema to the desired one.
//!
//! Each step carries its own SQL, the SQL that undoes it, and its hazards. The up file
//! is the steps in order; the down file is their inverses in reverse order. Both come
//! from the same steps, so they cannot disagree.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Dropped-and-added pairs that look like renames: said in the destructive refusal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rename_suggestions: Vec<RenameSuggestion>,
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
    /// Notes for the down file's header (what the inverse cannot give back).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub down_notes: Vec<String>,
}

/// What can go wrong when a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hazard {
    /// Rows or values are gone after it (drop table/column, narrowing a type).
    DeletesData,
    /// It rewrites the whole table (most type changes).
    RewritesTable,
    /// A type change whose USING cast may fail on existing rows.
    MayFailOnExistingRows,
    /// Clients running the old code break (renames, drops).
    BreaksOldClients,
}

impl Hazard {
    pub fn as_str(self) -> &'static str {
        match self {
            Hazard::DeletesData => "deletes_data",
            Hazard::RewritesTable => "rewrites_table",
            Hazard::MayFailOnExistingRows => "may_fail_on_existing_rows",
            Hazard::BreaksOldClients => "breaks_old_clients",
        }
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
    /// The attribute to add, e.g. `#[entity(renamed_from = "avatar")]` on `User::avatar_url`.
    pub hint: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenameKind {
    Column,
    Table,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The steps that delete data: the ones `generate` refuses without `--allow-destructive`.
    pub fn destructive_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps
            .iter()
            .filter(|s| s.hazards.contains(&Hazard::DeletesData))
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
