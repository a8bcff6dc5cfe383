//! Migration file text: the commented header and the statements of a plan.
use crate::plan::Plan;

/// The up file: header (what changes, each hazard) then the up statements.
pub fn render_up(_plan: &Plan, _name: &str) -> String {
    unimplemented!("helper C")
}

/// The down file: header (what it undoes, what it cannot restore) then the inverses.
pub fn render_down(_plan: &Plan, _name: &str) -> String {
    unimplemented!("helper C")
}
