//! Declared SQL fragments (`default`, `check`, `generated`, `index(expr, where)`,
//! `sql_type`, `opclass`): what makes one unfit to be written inside a statement.
//!
//! strata writes a fragment verbatim into a statement it builds: `CHECK (<check>)`,
//! `DEFAULT <default>`, `<column> <sql_type>`. A fragment that ends that statement
//! (`;`), closes what strata opened (`true) OR (true`), or swallows what strata writes
//! after it (an unterminated quote or comment, a `--` comment running to its end)
//! changes what the migration means, or makes it fail at `run`. Each is reported at
//! the attribute instead, by the same parser for the derive and the CLI.

use super::token::{tokens, Kind, StringPrefix, Token};
use std::fmt;

/// Why a fragment cannot be written into a statement as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FragmentProblem {
    /// A `;` outside quotes and comments: it would end the statement (inside
    /// parentheses too: no expression or type holds one).
    Semicolon,
    /// A quote, quoted identifier, dollar quote or block comment that does not end.
    Unterminated(&'static str),
    /// A `--` comment that runs to the end of the fragment: it would comment out what
    /// strata writes after it on the same line.
    OpenLineComment,
    /// A `)` or `]` that closes nothing opened in the fragment, or closes the other
    /// kind.
    UnexpectedClose(char),
    /// A `(` or `[` that the fragment does not close.
    Unclosed(char),
    /// A character PostgreSQL's lexer refuses.
    Stray(char),
}

impl fmt::Display for FragmentProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FragmentProblem::Semicolon => f.write_str(
                "holds a `;` outside quotes, which would end the statement strata writes it \
                 into; declare one expression (or type) without `;`",
            ),
            FragmentProblem::Unterminated(what) => write!(
                f,
                "has an unterminated {what}, which would swallow the rest of the statement \
                 strata writes it into; close it"
            ),
            FragmentProblem::OpenLineComment => f.write_str(
                "ends in a `--` comment, which would comment out the rest of the line strata \
                 writes it into; remove it or use `/* ... */`",
            ),
            FragmentProblem::UnexpectedClose(c) => write!(
                f,
                "has a `{c}` that closes nothing it opened, which would close what strata \
                 writes around it; balance its parentheses and brackets"
            ),
            FragmentProblem::Unclosed(c) => write!(
                f,
                "has a `{c}` that it does not close, which would take in what strata writes \
                 after it; balance its parentheses and brackets"
            ),
            FragmentProblem::Stray(c) => write!(
                f,
                "holds `{c}` outside quotes, which PostgreSQL's SQL does not use; quote it \
                 or remove it"
            ),
        }
    }
}

/// The first reason `sql` cannot be written into a statement verbatim, if any.
pub fn fragment_problem(sql: &str) -> Option<FragmentProblem> {
    let mut open: Vec<u8> = Vec::new();
    let mut last: Option<Token> = None;
    for t in tokens(sql) {
        if t.is_problem() {
            return Some(match t.kind {
                Kind::Other => FragmentProblem::Stray(t.text(sql).chars().next().unwrap_or('?')),
                kind => FragmentProblem::Unterminated(unterminated_name(kind)),
            });
        }
        match t.kind {
            Kind::Punct(b';') => return Some(FragmentProblem::Semicolon),
            Kind::Punct(c @ (b'(' | b'[')) => open.push(c),
            Kind::Punct(c @ (b')' | b']')) => {
                let opener = if c == b')' { b'(' } else { b'[' };
                if open.pop() != Some(opener) {
                    return Some(FragmentProblem::UnexpectedClose(c as char));
                }
            }
            _ => {}
        }
        last = Some(t);
    }
    if let Some(c) = open.pop() {
        return Some(FragmentProblem::Unclosed(c as char));
    }
    match last {
        Some(Token {
            kind: Kind::LineComment { terminated: false },
            ..
        }) => Some(FragmentProblem::OpenLineComment),
        _ => None,
    }
}

/// Parentheses and brackets pair up in order, and no token is unterminated or
/// refused by PostgreSQL's lexer: wrapping `sql` in `( )` gives one parenthesised
/// group, whose contents are `sql`'s. (A trailing `--` comment is allowed here; the
/// callers that wrap text check for comments themselves.)
pub fn balanced(sql: &str) -> bool {
    let mut open: Vec<u8> = Vec::new();
    for t in tokens(sql) {
        if t.is_problem() {
            return false;
        }
        match t.kind {
            Kind::Punct(c @ (b'(' | b'[')) => open.push(c),
            Kind::Punct(b')') if open.pop() != Some(b'(') => return false,
            Kind::Punct(b']') if open.pop() != Some(b'[') => return false,
            _ => {}
        }
    }
    open.is_empty()
}

fn unterminated_name(kind: Kind) -> &'static str {
    match kind {
        Kind::String {
            prefix: StringPrefix::Escape,
            ..
        } => "`E'...'` string",
        Kind::String { .. } => "`'...'` string",
        Kind::DollarString { .. } => "dollar-quoted string",
        Kind::QuotedIdent { .. } => "`\"...\"` identifier",
        Kind::BlockComment { .. } => "`/* ... */` comment",
        _ => "token",
    }
}
