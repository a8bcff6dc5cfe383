//! strata.toml's `exclude`: globs naming the objects strata leaves alone.
//!
//! An entry without a dot (`"spatial_ref_sys"`, `"tmp_*"`) matches an object's name in
//! any managed schema; one with a dot matches `schema.name`, the schema before the
//! first dot (`"audit.*"`, `"*.audit_log"`). The globs are [`glob::Pattern`]s: `*`,
//! `?`, `[abc]`, `[!abc]`, matched case-sensitively (PostgreSQL names are).
//!
//! "Excluded" means "never created, altered or dropped by strata", not "not there": an
//! excluded table is still read, as a user of the managed types, sequences and keys
//! (see [`crate::schema::ExcludedTable`]).
use crate::names::qualified;
use crate::schema::Schema;
use glob::{MatchOptions, Pattern};

/// The compiled `exclude` entries.
#[derive(Debug, Clone, Default)]
pub struct Exclude {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    /// As written in strata.toml: what `diff -v` and messages show.
    text: String,
    schema: Option<Pattern>,
    name: Pattern,
}

/// An entry that is not a glob strata can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`exclude` entry {entry:?}: {reason}")]
pub struct ExcludeError {
    pub entry: String,
    pub reason: String,
}

/// Names are matched whole and as they are: `*` also crosses a `.` or `/`.
const OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: false,
    require_literal_leading_dot: false,
};

impl Exclude {
    /// Compiles the entries; the first bad one is an error naming it.
    pub fn new(entries: &[String]) -> Result<Exclude, ExcludeError> {
        let entries = entries
            .iter()
            .map(|text| {
                let bad = |reason: String| ExcludeError {
                    entry: text.clone(),
                    reason,
                };
                let compile = |part: &str, what: &str| {
                    if part.is_empty() {
                        return Err(bad(format!(
                            "the {what} is empty (write `name`, or `schema.name` for one schema)"
                        )));
                    }
                    Pattern::new(part).map_err(|e| bad(format!("not a glob: {e}")))
                };
                let (schema, name) = match text.split_once('.') {
                    Some((schema, name)) => (Some(compile(schema, "schema")?), name),
                    None => (None, text.as_str()),
                };
                Ok(Entry {
                    text: text.clone(),
                    schema,
                    name: compile(name, "name")?,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Exclude { entries })
    }

    /// The first entry that names `schema.name`, as written.
    pub fn matching(&self, schema: &str, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| {
                e.schema
                    .as_ref()
                    .is_none_or(|s| s.matches_with(schema, OPTIONS))
                    && e.name.matches_with(name, OPTIONS)
            })
            .map(|e| e.text.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Takes what `exclude` names out of the desired schema (an entity that declares
    /// an excluded table or enum): strata never creates, alters or drops it. Returns
    /// what was left out, as `table name (entry)`, for a warning.
    pub fn leave_out_of(&self, desired: &mut Schema) -> Vec<String> {
        let mut left_out = Vec::new();
        desired
            .tables
            .retain(|t| match self.matching(&t.schema, &t.name) {
                Some(entry) => {
                    left_out.push(format!(
                        "table {} ({entry:?})",
                        qualified(&t.schema, &t.name)
                    ));
                    false
                }
                None => true,
            });
        desired
            .enums
            .retain(|e| match self.matching(&e.schema, &e.name) {
                Some(entry) => {
                    left_out.push(format!(
                        "enum {} ({entry:?})",
                        qualified(&e.schema, &e.name)
                    ));
                    false
                }
                None => true,
            });
        left_out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exclude(entries: &[&str]) -> Exclude {
        Exclude::new(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn a_bare_entry_matches_the_name_in_any_schema_a_dotted_one_one_schema() {
        let x = exclude(&["spatial_ref_sys", "tmp_*", "audit.*", "*.audit_log"]);
        assert_eq!(
            x.matching("public", "spatial_ref_sys"),
            Some("spatial_ref_sys")
        );
        assert_eq!(
            x.matching("billing", "spatial_ref_sys"),
            Some("spatial_ref_sys")
        );
        assert_eq!(x.matching("billing", "tmp_import"), Some("tmp_*"));
        assert_eq!(x.matching("audit", "events"), Some("audit.*"));
        assert_eq!(x.matching("billing", "audit_log"), Some("*.audit_log"));
        assert_eq!(x.matching("public", "events"), None);
        assert_eq!(x.matching("public", "Tmp_x"), None, "case-sensitive");
        assert_eq!(x.matching("public", "audit_log_2"), None, "matched whole");
    }

    #[test]
    fn a_bad_entry_is_an_error_naming_it() {
        for (entry, says) in [
            ("tmp_[", "not a glob"),
            ("audit.", "the name is empty"),
            (".x", "the schema is empty"),
            ("", "the name is empty"),
        ] {
            let err = Exclude::new(&[entry.to_string()]).unwrap_err();
            assert_eq!(err.entry, entry);
            assert!(err.to_string().contains(says), "{entry}: {err}");
        }
    }
}
