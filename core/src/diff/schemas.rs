//! Schemas (namespaces): created when an entity names one the database lacks.
//!
//! A schema that is in the database but not desired is left alone: dropping a
//! namespace would take everything strata does not manage in it along.
use super::{step, Phase, Steps};
use crate::names::quote_ident;
use crate::schema::Schema;

pub(super) fn diff_schemas(desired: &Schema, current: &Schema, steps: &mut Steps) {
    for name in &desired.schemas {
        if !current.schemas.contains(name) {
            let q = quote_ident(name);
            steps.push(
                Phase::CreateSchema,
                step(
                    format!("create schema {q}"),
                    vec![format!("CREATE SCHEMA {q}")],
                    vec![format!("DROP SCHEMA {q}")],
                ),
            );
        }
    }
}
