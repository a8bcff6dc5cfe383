//! Migration file text: the commented header and the statements of a plan.
//!
//! The header is for the reviewer: what changes, in words, each hazard explained in a
//! line, and in the down file what the inverse cannot give back.
use crate::plan::{Hazard, Plan, Step};

/// One line on what a hazard means for the person about to run the migration.
pub fn hazard_explanation(hazard: Hazard) -> &'static str {
    match hazard {
        Hazard::DeletesData => {
            "values are lost; the down file restores the structure, not the data"
        }
        Hazard::RewritesTable => "the table is rewritten under an ACCESS EXCLUSIVE lock",
        Hazard::MayFailOnExistingRows => "fails if existing rows do not fit the new definition",
        Hazard::BreaksOldClients => "code still using the old definition breaks once this runs",
    }
}

/// Header text must stay one comment line whatever a description holds.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

fn statements<'a>(stmts: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for s in stmts {
        out.push('\n');
        out.push_str(s);
        out.push_str(";\n");
    }
    out
}

/// The up file: header (what changes, each hazard) then the up statements.
pub fn render_up(plan: &Plan, name: &str) -> String {
    let mut out = format!(
        "-- strata migration: {}\n\
         -- Review this file before committing it. Generated from the entities by `strata generate`.\n\
         --\n",
        one_line(name)
    );
    if plan.steps.is_empty() {
        out.push_str("-- Changes: none.\n");
    } else {
        out.push_str("-- Changes:\n");
        for (i, step) in plan.steps.iter().enumerate() {
            push_step_line(&mut out, i + 1, step);
            for h in &step.hazards {
                out.push_str(&format!(
                    "--      hazard {}: {}\n",
                    h.as_str(),
                    hazard_explanation(*h)
                ));
            }
        }
    }
    out.push_str(&statements(plan.up_statements()));
    out
}

fn push_step_line(out: &mut String, number: usize, step: &Step) {
    out.push_str(&format!(
        "--  {number:>2}. {}\n",
        one_line(&step.description)
    ));
}

/// The down file: header (what it undoes, what it cannot restore) then the inverses.
pub fn render_down(plan: &Plan, name: &str) -> String {
    let name = one_line(name);
    let mut out = format!(
        "-- strata migration: {name} (down)\n\
         -- Undoes the up file of {name}: run after it, it restores the schema as it was before.\n\
         --\n"
    );
    if plan.steps.is_empty() {
        out.push_str("-- Reverts: nothing.\n");
    } else {
        out.push_str("-- Reverts, in this order:\n");
        for (i, step) in plan.steps.iter().enumerate().rev() {
            push_step_line(&mut out, i + 1, step);
        }
    }
    let notes: Vec<&String> = plan.steps.iter().flat_map(|s| &s.down_notes).collect();
    if !notes.is_empty() {
        out.push_str("--\n-- Not restored as it was:\n");
        for note in notes {
            out.push_str(&format!("--   - {}\n", one_line(note)));
        }
    }
    out.push_str(&statements(plan.down_statements()));
    out
}
