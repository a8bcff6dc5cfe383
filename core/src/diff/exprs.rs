//! Column references inside SQL expressions (checks, index keys and predicates,
//! generated columns).
//!
//! PostgreSQL stores these expressions as trees that point at columns by number, so a
//! renamed column is printed under its new name afterwards, and a dropped column takes
//! the index or check using it along. The diff needs both facts to compare a current
//! expression with a desired one: which columns an expression reads, and what it reads
//! as once renames have run. This is a tokenizer, not a parser: it knows string
//! literals, quoted and bare identifiers, and treats as a column only a name that is
//! neither a function (`name(`), a qualified part (`a.b`) nor a type (`::name`).
use crate::names::quote_ident;
use std::ops::Range;

/// A column name an expression mentions, with where it is in the text.
struct Reference {
    span: Range<usize>,
    /// The name as PostgreSQL resolves it: unquoted, bare names folded to lower case.
    name: String,
}

fn references(expr: &str) -> Vec<Reference> {
    let bytes = expr.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // What came last, ignoring white space: `::` or `.` make the next name a type or
    // a qualified part, not a column.
    let mut after_cast_or_dot = false;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if b == b'\'' {
            i = end_of_quoted(bytes, i, b'\'');
            after_cast_or_dot = false;
            continue;
        }
        let name_token = if b == b'"' {
            let end = end_of_quoted(bytes, i, b'"');
            // Unterminated: the rest of the text is the name.
            let closed = end > i + 1 && bytes[end - 1] == b'"' && end <= bytes.len();
            let inner = if closed {
                &expr[i + 1..end - 1]
            } else {
                &expr[i + 1..]
            };
            Some((i..end, inner.replace("\"\"", "\"")))
        } else if b.is_ascii_alphabetic() || b == b'_' || !b.is_ascii() {
            let mut end = i;
            while end < bytes.len()
                && (bytes[end].is_ascii_alphanumeric()
                    || bytes[end] == b'_'
                    || bytes[end] == b'$'
                    || !bytes[end].is_ascii())
            {
                end += 1;
            }
            Some((i..end, expr[i..end].to_lowercase()))
        } else if b.is_ascii_digit() {
            // A number, exponent and all (`1e5` is not a name `e5`).
            let mut end = i;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'.') {
                end += 1;
            }
            i = end;
            after_cast_or_dot = false;
            continue;
        } else {
            None
        };
        match name_token {
            Some((span, name)) => {
                let next = expr[span.end..].trim_start().as_bytes().first().copied();
                let is_column = !after_cast_or_dot && next != Some(b'(') && next != Some(b'.');
                i = span.end;
                if is_column {
                    out.push(Reference { span, name });
                }
                after_cast_or_dot = false;
            }
            None => {
                after_cast_or_dot = b == b'.' || (b == b':' && bytes.get(i + 1) == Some(&b':'));
                i += if after_cast_or_dot && b == b':' { 2 } else { 1 };
            }
        }
    }
    out
}

/// The index just past the closing `quote` of the quoted text starting at `start`
/// (a doubled quote inside does not close it), or the end of the text.
fn end_of_quoted(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
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
