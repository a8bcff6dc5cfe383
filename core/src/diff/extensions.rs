//! Extensions: the desired ones the database lacks are created first of all, since
//! types, defaults and indexes may need them. One installed but not desired is left
//! alone: something strata does not manage may use it.
use super::{step, Phase, Steps};
use crate::names::quote_ident;
use crate::schema::Schema;

pub(super) fn diff_extensions(desired: &Schema, current: &Schema, steps: &mut Steps) {
    for name in &desired.extensions {
        if !current.extensions.contains(name) {
            let q = quote_ident(name);
            steps.push(
                Phase::CreateExtension,
                step(
                    format!("create extension {q}"),
                    vec![format!("CREATE EXTENSION IF NOT EXISTS {q}")],
                    vec![format!("DROP EXTENSION IF EXISTS {q}")],
                ),
            );
        }
    }
}
