//! PostgreSQL's lexical rules, in one place: the tokenizer every part of strata that
//! reads SQL uses (splitting migration files, finding the columns of an expression,
//! following column references across renames, checking a declared fragment), the
//! case folding of identifiers, and (in [`keywords`]) quoting, with the keyword list of
//! the server strata talks to.
//!
//! The tokenizer follows `scan.l`: whitespace; `--` and nested `/* */` comments;
//! string literals `'...'` with their `E`, `U&`, `B`, `X` and `N` forms; dollar-quoted
//! strings; `"..."` and `U&"..."` identifiers; bare identifiers (letters, any non-ASCII
//! byte, `_`, then digits and `$`); numbers (with exponents, `0x`, `_`); parameters
//! `$1`; `::`; operators; and single-character punctuation. Every token keeps its byte
//! span, and an unterminated quote or comment is a token of its own kind, so a caller
//! can refuse it rather than guess.

pub mod keywords;

pub use keywords::quote_ident;

use std::borrow::Cow;
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Space,
    Comment,
    /// `'...'`, `E'...'`, `U&'...'`, `B'...'`, `X'...'`, `N'...'`.
    String,
    /// `$$...$$`, `$tag$...$tag$`.
    DollarString,
    Number,
    /// `$1`.
    Param,
    /// A bare identifier or keyword.
    Ident,
    /// `"..."` or `U&"..."`.
    QuotedIdent,
    /// `::`.
    Cast,
    /// An operator: `+`, `<>`, `||`, `->>`, ...
    Operator,
    /// `(`, `)`, `[`, `]`, `,`, `;`, `:`, `.`.
    Punct(u8),
    /// A quote, dollar quote or comment that never ends.
    Unterminated,
}

/// One token: its kind and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: Kind,
    /// Byte range in the text.
    pub span: Range<usize>,
    pub text: &'a str,
}

impl Token<'_> {
    /// Whether it is a comment or whitespace.
    pub fn is_trivia(&self) -> bool {
        matches!(self.kind, Kind::Space | Kind::Comment)
    }

    /// An identifier's name as PostgreSQL resolves it: a bare one folded to lower case
    /// (ASCII letters only, as `downcase_identifier` does), a quoted one unquoted. `None`
    /// for other tokens, and for a `U&"..."` name whose escapes are not plain ones.
    pub fn name(&self) -> Option<Cow<'_, str>> {
        match self.kind {
            Kind::Ident => Some(fold(self.text)),
            Kind::QuotedIdent => quoted_name(self.text),
            _ => None,
        }
    }

    pub fn is_punct(&self, c: u8) -> bool {
        self.kind == Kind::Punct(c)
    }

    /// Whether it is the keyword `word` (given in lower case), bare.
    pub fn is_word(&self, word: &str) -> bool {
        self.kind == Kind::Ident && self.text.eq_ignore_ascii_case(word)
    }
}

/// PostgreSQL's case folding of a bare identifier: ASCII `A`-`Z` only.
pub fn fold(word: &str) -> Cow<'_, str> {
    if word.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(word.to_ascii_lowercase())
    } else {
        Cow::Borrowed(word)
    }
}

/// `"a""b"` → `a"b`; `U&"d\0061t\+000061"` → `data`.
fn quoted_name(text: &str) -> Option<Cow<'_, str>> {
    let (unicode, body) = match text.strip_prefix("U&").or_else(|| text.strip_prefix("u&")) {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let inner = body.strip_prefix('"')?.strip_suffix('"')?;
    let unquoted = if inner.contains("\"\"") {
        Cow::Owned(inner.replace("\"\"", "\""))
    } else {
        Cow::Borrowed(inner)
    };
    if !unicode {
        return Some(unquoted);
    }
    unicode_escapes(&unquoted).map(Cow::Owned)
}

/// `\XXXX` and `\+XXXXXX` escapes with the default escape character; `None` for
/// anything else (a `UESCAPE` clause follows the token and is not read here).
fn unicode_escapes(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let rest = chars.as_str();
        if let Some(after) = rest.strip_prefix('\\') {
            out.push('\\');
            chars = after.chars();
            continue;
        }
        let (digits, len) = match rest.strip_prefix('+') {
            Some(r) => (r.get(..6)?, 7),
            None => (rest.get(..4)?, 4),
        };
        let code = u32::from_str_radix(digits, 16).ok()?;
        out.push(char::from_u32(code)?);
        chars = rest[len..].chars();
    }
    Some(out)
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_cont(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

const OPERATOR_CHARS: &[u8] = b"+-*/<>=~!@#%^&|`?";

/// The tokens of `sql`, trivia included, covering the whole text.
pub fn tokens(sql: &str) -> Vec<Token<'_>> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let (kind, end) = next_token(bytes, i);
        // A token never ends inside a character: every boundary above is ASCII.
        let end = end.max(i + 1).min(bytes.len());
        out.push(Token {
            kind,
            span: i..end,
            text: &sql[i..end],
        });
        i = end;
    }
    out
}

/// The tokens of `sql` that are not whitespace or comments.
pub fn significant(sql: &str) -> Vec<Token<'_>> {
    let mut all = tokens(sql);
    all.retain(|t| !t.is_trivia());
    all
}

fn next_token(b: &[u8], i: usize) -> (Kind, usize) {
    let at = |k: usize| b.get(k).copied();
    let c = b[i];
    match c {
        b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\x0b' => {
            let mut j = i + 1;
            while matches!(
                at(j),
                Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\x0b')
            ) {
                j += 1;
            }
            (Kind::Space, j)
        }
        b'-' if at(i + 1) == Some(b'-') => {
            let end = b[i..]
                .iter()
                .position(|&x| x == b'\n')
                .map_or(b.len(), |p| i + p + 1);
            (Kind::Comment, end)
        }
        b'/' if at(i + 1) == Some(b'*') => block_comment(b, i),
        b'\'' => quoted(b, i, i, b'\'', false, Kind::String),
        b'"' => quoted(b, i, i, b'"', false, Kind::QuotedIdent),
        b'e' | b'E' if at(i + 1) == Some(b'\'') => quoted(b, i, i + 1, b'\'', true, Kind::String),
        b'b' | b'B' | b'x' | b'X' | b'n' | b'N' if at(i + 1) == Some(b'\'') => {
            quoted(b, i, i + 1, b'\'', false, Kind::String)
        }
        b'u' | b'U' if at(i + 1) == Some(b'&') && at(i + 2) == Some(b'\'') => {
            quoted(b, i, i + 2, b'\'', false, Kind::String)
        }
        b'u' | b'U' if at(i + 1) == Some(b'&') && at(i + 2) == Some(b'"') => {
            quoted(b, i, i + 2, b'"', false, Kind::QuotedIdent)
        }
        b'$' => dollar(b, i),
        b'0'..=b'9' => number(b, i),
        b'.' if at(i + 1).is_some_and(|d| d.is_ascii_digit()) => number(b, i),
        _ if is_ident_start(c) => {
            let mut j = i + 1;
            while at(j).is_some_and(is_ident_cont) {
                j += 1;
            }
            (Kind::Ident, j)
        }
        b':' if at(i + 1) == Some(b':') => (Kind::Cast, i + 2),
        b'(' | b')' | b'[' | b']' | b',' | b';' | b':' | b'.' => (Kind::Punct(c), i + 1),
        _ if OPERATOR_CHARS.contains(&c) => {
            let mut j = i + 1;
            // A comment start ends an operator, as in scan.l.
            while at(j).is_some_and(|x| OPERATOR_CHARS.contains(&x))
                && !(b[j..].starts_with(b"--") || b[j..].starts_with(b"/*"))
            {
                j += 1;
            }
            (Kind::Operator, j)
        }
        _ => {
            // Anything else is one character PostgreSQL will complain about itself.
            let len = std::str::from_utf8(&b[i..])
                .ok()
                .and_then(|s| s.chars().next())
                .map_or(1, char::len_utf8);
            (Kind::Operator, i + len)
        }
    }
}

/// PostgreSQL block comments nest.
fn block_comment(b: &[u8], i: usize) -> (Kind, usize) {
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        if b[j..].starts_with(b"/*") {
            depth += 1;
            j += 2;
        } else if b[j..].starts_with(b"*/") {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return (Kind::Comment, j);
            }
        } else {
            j += 1;
        }
    }
    (Kind::Unterminated, b.len())
}

/// From the token's start `start` and its opening `quote` at `open` to past the
/// closing one; a doubled quote is one inside, and with `escapes` a backslash escapes.
fn quoted(
    b: &[u8],
    start: usize,
    open: usize,
    quote: u8,
    escapes: bool,
    kind: Kind,
) -> (Kind, usize) {
    debug_assert!(start <= open);
    let mut j = open + 1;
    while j < b.len() {
        let x = b[j];
        if escapes && x == b'\\' {
            j += 2;
        } else if x == quote {
            if b.get(j + 1) == Some(&quote) {
                j += 2;
            } else {
                return (kind, j + 1);
            }
        } else {
            j += 1;
        }
    }
    (Kind::Unterminated, b.len())
}

/// `$1`, or a dollar-quoted string `$tag$...$tag$`.
fn dollar(b: &[u8], i: usize) -> (Kind, usize) {
    let mut j = i + 1;
    if b.get(j).is_some_and(u8::is_ascii_digit) {
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        return (Kind::Param, j);
    }
    if b.get(j).is_some_and(|&x| is_ident_start(x)) {
        while b.get(j).is_some_and(|&x| is_ident_cont(x) && x != b'$') {
            j += 1;
        }
    }
    if b.get(j) != Some(&b'$') {
        // A lone `$`: PostgreSQL refuses it; one character, as an operator would be.
        return (Kind::Operator, i + 1);
    }
    let tag = &b[i..=j];
    let body = j + 1;
    match b[body..].windows(tag.len()).position(|w| w == tag) {
        Some(p) => (Kind::DollarString, body + p + tag.len()),
        None => (Kind::Unterminated, b.len()),
    }
}

/// Digits, a fraction, an exponent with its sign, `0x`/`0o`/`0b` and `_` separators.
fn number(b: &[u8], i: usize) -> (Kind, usize) {
    let mut j = i;
    while let Some(&x) = b.get(j) {
        let exponent_sign =
            matches!(x, b'+' | b'-') && j > i && matches!(b[j - 1], b'e' | b'E') && !is_hex(b, i);
        let fraction = x == b'.' && b.get(j + 1) != Some(&b'.');
        if x.is_ascii_alphanumeric() || x == b'_' || exponent_sign || fraction {
            j += 1;
        } else {
            break;
        }
    }
    (Kind::Number, j)
}

fn is_hex(b: &[u8], i: usize) -> bool {
    b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X'))
}

/// What makes a declared SQL fragment (a default, check, index expression or
/// predicate, generated expression, type) unfit to be spliced into a statement: a
/// quote or comment that never ends, parentheses that do not balance, or a `;` outside
/// quotes. `None` when it is one well-formed piece.
pub fn fragment_problem(fragment: &str) -> Option<&'static str> {
    let mut depth = 0i64;
    for t in tokens(fragment) {
        match t.kind {
            Kind::Unterminated => return Some("a quote or comment in it never ends"),
            Kind::Punct(b';') => {
                return Some("it holds a `;`, which would end the statement strata writes it into")
            }
            Kind::Punct(b'(') => depth += 1,
            Kind::Punct(b')') => {
                depth -= 1;
                if depth < 0 {
                    return Some("a `)` closes a parenthesis it did not open");
                }
            }
            _ => {}
        }
    }
    (depth != 0).then_some("its parentheses do not balance")
}

/// Whether `text` is exactly one identifier as [`quote_ident`] spells one: a bare name
/// it leaves as it is, or a quoted one.
pub fn is_spelled_identifier(text: &str) -> bool {
    match tokens(text).as_slice() {
        [t] if t.kind == Kind::QuotedIdent => !t.text.starts_with(['U', 'u']),
        [t] if t.kind == Kind::Ident => keywords::is_bare(t.text),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
