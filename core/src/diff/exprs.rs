//! Column references inside SQL expressions (checks, index keys and predicates,
//! generated columns).
//!
//! PostgreSQL stores these expressions as trees that point at columns by number, so a
//! renamed column is printed under its new name afterwards, and a dropped column takes
//! the index or check using it along. The diff needs both facts to compare a current
//! expression with a desired one: which columns an expression reads, and what it reads
//! as once renames have run. This reads tokens ([`crate::lexical`]), not a parse tree:
//! it treats as a column only a name that is neither a function (`name(`), a qualified
//! part (`a.b`) nor a type (`::name`).
use crate::names::quote_ident;
use std::ops::Range;

/// A column name an expression mentions, with where it is in the text.
struct Reference {
    span: Range<usize>,
    /// The name as PostgreSQL resolves it: unquoted, bare names folded to lower case.
    name: String,
}

fn references(expr: &str) -> Vec<Reference> {
    use crate::lexical::Kind;
    let tokens = crate::lexical::significant(expr);
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let Some(name) = t.name() else {
            continue;
        };
        // `::name` is a type, `a.name` a qualified part, `name(` a function, `name.` a
        // qualifier: none is a column of the table.
        let prev = i.checked_sub(1).map(|p| tokens[p].kind);
        let next = tokens.get(i + 1).map(|n| n.kind);
        if matches!(prev, Some(Kind::Cast | Kind::Punct(b'.')))
            || matches!(next, Some(Kind::Punct(b'(' | b'.')))
        {
            continue;
        }
        out.push(Reference {
            span: t.span.clone(),
            name: name.into_owned(),
        });
    }
    out
}

/// Whether `expr` reads a column for which `is_it` holds.
pub(super) fn mentions(expr: &str, mut is_it: impl FnMut(&str) -> bool) -> bool {
    references(expr).iter().any(|r| is_it(&r.name))
}

/// An expression as it reads after column renames, and whether all its columns survive.
pub(super) struct Mapped {
    pub text: String,
    pub intact: bool,
}

/// Rewrites the column names of `expr` with `rename`: `Some(Some(new))` for a column
/// that survives under `new`, `Some(None)` for a column that does not survive (the
/// expression is then not intact and keeps the old name), `None` for a name that is not
/// a column of the table (left as is).
pub(super) fn map_columns(
    expr: &str,
    mut rename: impl FnMut(&str) -> Option<Option<String>>,
) -> Mapped {
    let mut text = String::with_capacity(expr.len());
    let mut intact = true;
    let mut last = 0;
    for r in references(expr) {
        match rename(&r.name) {
            Some(Some(new)) if new != r.name => {
                text.push_str(&expr[last..r.span.start]);
                text.push_str(&quote_ident(&new));
                last = r.span.end;
            }
            Some(None) => intact = false,
            _ => {}
        }
    }
    text.push_str(&expr[last..]);
    Mapped { text, intact }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(expr: &str) -> Vec<String> {
        references(expr).into_iter().map(|r| r.name).collect()
    }

    #[test]
    fn finds_columns_but_not_functions_types_literals_or_numbers() {
        assert_eq!(names("(age >= 0)"), ["age"]);
        assert_eq!(
            names("lower((email)::text) = 'Age' AND \"Order\" > 1e5"),
            ["email", "and", "Order"]
        );
        assert_eq!(names("status <> 'it''s'::user_status"), ["status"]);
        // A qualified name is a table's column or a schema's function: left alone.
        assert_eq!(names("t.col IS NULL"), ["is", "null"]);
    }

    #[test]
    fn renames_and_reports_dropped_columns() {
        let m = map_columns("(age >= 0) AND (\"user\" <> 'age')", |n| match n {
            "age" => Some(Some("years".into())),
            "user" => Some(Some("order".into())),
            _ => None,
        });
        assert_eq!(m.text, "(years >= 0) AND (\"order\" <> 'age')");
        assert!(m.intact);
        let m = map_columns("a + b", |n| (n == "b").then_some(None));
        assert_eq!(m.text, "a + b");
        assert!(!m.intact);
    }
}
