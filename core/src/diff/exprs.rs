//! Column references inside SQL expressions (checks, index keys and predicates,
//! generated columns).
//!
//! PostgreSQL stores these expressions as trees that point at columns by number, so a
//! renamed column is printed under its new name afterwards, and a dropped column takes
//! the index or check using it along. The diff needs both facts to compare a current
//! expression with a desired one: which columns an expression reads, and what it reads
//! as once renames have run. This reads tokens (`crate::lex`), not a parse tree: it
//! treats as a column only a name that is neither a function (`name(`), a qualified
//! part (`a.b`) nor a type (`::name`).
use crate::lex::{self, Kind};
use crate::names::quote_ident;
use std::borrow::Cow;
use std::ops::Range;

/// A column name an expression mentions, with where it is in the text.
struct Reference<'a> {
    span: Range<usize>,
    /// The name as PostgreSQL resolves it (see [`lex::ident_name`]): bare names folded
    /// to lower case (ASCII only), quoted ones unquoted.
    name: Cow<'a, str>,
}

/// The identifiers of `expr` in a column's position: not after `::` (a type) or `.`
/// (a qualified part), not before `(` (a function) or `.` (a qualifier). Keywords are
/// kept: the callers only look for names of columns.
fn references(expr: &str) -> Vec<Reference<'_>> {
    let mut out = Vec::new();
    let mut tokens = lex::significant(expr).peekable();
    let mut prev: Option<Kind> = None;
    while let Some(t) = tokens.next() {
        let next = tokens.peek().map(|n| n.kind);
        let is_column = t.is_ident()
            && !matches!(prev, Some(Kind::Cast | Kind::Punct(b'.')))
            && !matches!(next, Some(Kind::Punct(b'(' | b'.')));
        if is_column {
            if let Some(name) = lex::ident_name(&t, expr) {
                out.push(Reference {
                    span: t.span(),
                    name,
                });
            }
        }
        prev = Some(t.kind);
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
        references(expr)
            .into_iter()
            .map(|r| r.name.into_owned())
            .collect()
    }

    #[test]
    fn comments_dollar_quotes_and_escape_strings_hide_no_columns_and_make_none() {
        // Each of these once read as a column: text in a comment, a dollar quote, an
        // escape string whose `\'` ended it early.
        assert_eq!(names("age > 0 -- old_age\n"), ["age"]);
        assert_eq!(names("age > 0 /* old_age /* nested */ still */"), ["age"]);
        assert_eq!(names("name <> $$old_age$$"), ["name"]);
        assert_eq!(names(r"name <> E'it\'s old_age'"), ["name"]);
        assert_eq!(names("x = $1 AND .5e3 < y"), ["x", "and", "y"]);
    }

    #[test]
    fn bare_names_fold_only_ascii_letters_as_postgres_does() {
        // PostgreSQL folds `ÄGE` to `Äge`, not `äge`: a column "äge" is not named.
        assert_eq!(names("ÄGE > 0 AND \"Äge\" > 0"), ["Äge", "and", "Äge"]);
        let m = map_columns("ÄGE > 0 AND äge > 1", |n| {
            (n == "äge").then(|| Some("years".to_string()))
        });
        assert_eq!(m.text, "ÄGE > 0 AND years > 1");
    }

    #[test]
    fn unicode_escaped_names_are_columns_too() {
        assert_eq!(names(r#"U&"\0061ge" > 0"#), ["age"]);
        let m = map_columns(r#"U&"!0061ge" UESCAPE '!' > 0"#, |n| {
            (n == "age").then(|| Some("years".to_string()))
        });
        assert_eq!(m.text, "years > 0");
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
