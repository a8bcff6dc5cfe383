//! Extensions: the desired ones the database lacks are created first of all, since
//! types, defaults and indexes may need them. One installed but not desired is left
//! alone: something strata does not manage may use it.
use super::{step, Phase, Steps};
use crate::names::quote_ident;
use crate::schema::Schema;
use crate::sql;

pub(super) fn diff_extensions(desired: &Schema, current: &Schema, steps: &mut Steps) {
    for entry in &desired.extensions {
        // Installed is installed, in whichever schema: asking for it again in another
        // would be a diff on every run that changes nothing.
        if !sql::has_extension(&current.extensions, entry) {
            let (schema, name) = sql::extension_parts(entry);
            let q = quote_ident(name);
            let mut s = step(
                format!("create extension {q}"),
                sql::create_extension(entry),
                vec![format!("DROP EXTENSION IF EXISTS {q}")],
            );
            if let Some(schema) = schema.filter(|s| !desired.schemas.iter().any(|d| d == s)) {
                s.down_notes.push(format!(
                    "create extension {q}: schema {} is left in place (other objects may be in it)",
                    quote_ident(schema)
                ));
            }
            steps.push(Phase::CreateExtension, s);
        }
    }
}
