//! The tokenizer: PostgreSQL's `scan.l`, reduced to where each token starts and ends
//! and what kind it is.
//!
//! It works on bytes, as PostgreSQL's lexer does: every byte of a multi-byte UTF-8
//! character is at least 0x80 and counts as a letter, so a token never ends inside a
//! character and every span is a valid `&str` boundary. It never fails: what the
//! server would refuse (an unterminated quote, a stray `\`) is a token too, flagged,
//! and the callers decide (see [`Token::is_problem`]).

use std::ops::Range;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Spaces, tabs, newlines, form feeds, vertical tabs.
    Whitespace,
    /// `-- ...` up to the end of the line (the newline is whitespace). `terminated` is
    /// false when the text ends first: whatever is written after it on the same line
    /// is commented out too.
    LineComment { terminated: bool },
    /// `/* ... */`, which nests.
    BlockComment { terminated: bool },
    /// A string constant: `'...'`, `E'...'`, `U&'...'` (with its `UESCAPE 'c'`),
    /// `B'...'`, `X'...'`, `N'...'`.
    String {
        prefix: StringPrefix,
        terminated: bool,
    },
    /// `$$ ... $$` or `$tag$ ... $tag$`.
    DollarString { terminated: bool },
    /// `"..."`, or `U&"..."` with its `UESCAPE 'c'` when `unicode`.
    QuotedIdent { unicode: bool, terminated: bool },
    /// A bare identifier or keyword.
    Ident,
    /// `42`, `3.5`, `.5`, `1e5`, `0x1F`, `1_000` (and what PostgreSQL calls trailing
    /// junk, `12abc`, which it refuses).
    Number,
    /// `$1`.
    Param,
    /// `::`.
    Cast,
    /// An operator: a run of `+ - * / < > = ~ ! @ # % ^ & | \` ?` cut as PostgreSQL
    /// cuts it, `:=` or `..`.
    Operator,
    /// One of `( ) [ ] , ; : .`.
    Punct(u8),
    /// A byte PostgreSQL's lexer refuses (`\`, `{`, a `$` that starts nothing, ...).
    Other,
}

/// The letter before a string constant's opening quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringPrefix {
    /// `'...'`: a doubled quote is a quote; backslashes are plain characters
    /// (`standard_conforming_strings`, on since PostgreSQL 9.1).
    None,
    /// `E'...'`: backslash escapes too.
    Escape,
    /// `U&'...'`: Unicode escapes.
    Unicode,
    /// `B'...'`: a bit string.
    Bit,
    /// `X'...'`: a bit string in hexadecimal.
    Hex,
    /// `N'...'`: a national character string (a plain string to PostgreSQL).
    National,
}

/// One token: its kind and its bytes in the text, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn span(&self) -> Range<usize> {
        self.start..self.end
    }

    /// The token's text in `sql`, the text it was read from.
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        &sql[self.start..self.end]
    }

    /// Whitespace or a comment: what separates tokens and means nothing itself.
    pub fn is_trivia(&self) -> bool {
        matches!(
            self.kind,
            Kind::Whitespace | Kind::LineComment { .. } | Kind::BlockComment { .. }
        )
    }

    /// A comment of either kind.
    pub fn is_comment(&self) -> bool {
        matches!(
            self.kind,
            Kind::LineComment { .. } | Kind::BlockComment { .. }
        )
    }

    /// A constant: a string of any kind, a number or a parameter (never a name).
    pub fn is_literal(&self) -> bool {
        matches!(
            self.kind,
            Kind::String { .. } | Kind::DollarString { .. } | Kind::Number | Kind::Param
        )
    }

    /// An identifier, bare or quoted.
    pub fn is_ident(&self) -> bool {
        matches!(self.kind, Kind::Ident | Kind::QuotedIdent { .. })
    }

    /// Punctuation `c`.
    pub fn is_punct(&self, c: u8) -> bool {
        self.kind == Kind::Punct(c)
    }

    /// What PostgreSQL's lexer refuses or reads past the end of the text: an
    /// unterminated quote, dollar quote or block comment, or a byte it does not know.
    /// (An unterminated `--` comment is fine on its own: see [`Kind::LineComment`].)
    pub fn is_problem(&self) -> bool {
        match self.kind {
            Kind::BlockComment { terminated }
            | Kind::String { terminated, .. }
            | Kind::DollarString { terminated }
            | Kind::QuotedIdent { terminated, .. } => !terminated,
            Kind::Other => true,
            _ => false,
        }
    }

    /// Whether this is the bare word `word` (ASCII, any case), as a keyword is.
    pub fn is_word(&self, sql: &str, word: &str) -> bool {
        self.kind == Kind::Ident && self.text(sql).eq_ignore_ascii_case(word)
    }
}

/// The tokens of `sql`, whitespace and comments included, in order; together their
/// spans cover the text exactly.
pub fn tokens(sql: &str) -> Tokens<'_> {
    Tokens {
        bytes: sql.as_bytes(),
        pos: 0,
    }
}

/// The tokens of `sql` without whitespace and comments.
pub fn significant(sql: &str) -> impl Iterator<Item = Token> + '_ {
    tokens(sql).filter(|t| !t.is_trivia())
}

/// The elements of a list of significant tokens, split at its commas outside
/// parentheses and brackets: `a, f(b, c), d[1]` → `a` | `f(b, c)` | `d[1]`.
pub fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, t) in tokens.iter().enumerate() {
        if t.is_punct(b'(') || t.is_punct(b'[') {
            depth += 1;
        } else if t.is_punct(b')') || t.is_punct(b']') {
            depth = depth.saturating_sub(1);
        } else if t.is_punct(b',') && depth == 0 {
            out.push(&tokens[start..i]);
            start = i + 1;
        }
    }
    out.push(&tokens[start..]);
    out
}

/// The iterator [`tokens`] returns.
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let start = self.pos;
        let b = *self.bytes.get(start)?;
        let (kind, end) = lex_one(self.bytes, start, b);
        debug_assert!(end > start);
        self.pos = end;
        Some(Token { kind, start, end })
    }
}

/// PostgreSQL's `space`: `[ \t\n\r\f\v]` (`\v` since PostgreSQL 16).
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c | 0x0b)
}

/// `ident_start`: `[A-Za-z\200-\377_]`.
pub fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// `ident_cont`: `[A-Za-z\200-\377_0-9\$]`.
pub fn is_ident_cont(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

/// `op_chars`.
fn is_op_char(b: u8) -> bool {
    matches!(
        b,
        b'~' | b'!'
            | b'@'
            | b'#'
            | b'^'
            | b'&'
            | b'|'
            | b'`'
            | b'?'
            | b'+'
            | b'-'
            | b'*'
            | b'/'
            | b'%'
            | b'<'
            | b'>'
            | b'='
    )
}

/// The token starting at `i` (whose first byte is `b`): its kind and end.
fn lex_one(bytes: &[u8], i: usize, b: u8) -> (Kind, usize) {
    let next = bytes.get(i + 1).copied();
    match b {
        _ if is_space(b) => {
            let end = run(bytes, i, is_space);
            (Kind::Whitespace, end)
        }
        b'-' if next == Some(b'-') => {
            let end = bytes[i..]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
                .map(|p| i + p);
            (
                Kind::LineComment {
                    terminated: end.is_some(),
                },
                end.unwrap_or(bytes.len()),
            )
        }
        b'/' if next == Some(b'*') => {
            let (end, terminated) = block_comment(bytes, i);
            (Kind::BlockComment { terminated }, end)
        }
        b'\'' => string(bytes, i, StringPrefix::None),
        b'"' => {
            let (end, terminated) = quoted(bytes, i, b'"', false);
            (
                Kind::QuotedIdent {
                    unicode: false,
                    terminated,
                },
                end,
            )
        }
        b'$' => dollar(bytes, i),
        b'0'..=b'9' => (Kind::Number, number(bytes, i)),
        // `..` (PL/pgSQL's ranges, `DOT_DOT` to the lexer) before `.5`.
        b'.' if next == Some(b'.') => (Kind::Operator, i + 2),
        b'.' if next.is_some_and(|n| n.is_ascii_digit()) => (Kind::Number, number(bytes, i)),
        b':' if next == Some(b':') => (Kind::Cast, i + 2),
        b':' if next == Some(b'=') => (Kind::Operator, i + 2),
        b'(' | b')' | b'[' | b']' | b',' | b';' | b':' | b'.' => (Kind::Punct(b), i + 1),
        _ if is_op_char(b) => (Kind::Operator, operator(bytes, i)),
        _ if is_ident_start(b) => prefixed_or_ident(bytes, i, b, next),
        // Anything else is one ASCII byte (every byte >= 0x80 starts an identifier).
        _ => (Kind::Other, i + 1),
    }
}

fn run(bytes: &[u8], from: usize, mut pred: impl FnMut(u8) -> bool) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| !pred(b))
        .map_or(bytes.len(), |p| from + p)
}

/// `E'`, `B'`, `X'`, `N'`, `U&'` and `U&"` start a constant or a quoted identifier
/// when the letter starts the token; anything else starting with a letter is an
/// identifier.
fn prefixed_or_ident(bytes: &[u8], i: usize, b: u8, next: Option<u8>) -> (Kind, usize) {
    if next == Some(b'\'') {
        let prefix = match b {
            b'e' | b'E' => Some(StringPrefix::Escape),
            b'b' | b'B' => Some(StringPrefix::Bit),
            b'x' | b'X' => Some(StringPrefix::Hex),
            b'n' | b'N' => Some(StringPrefix::National),
            _ => None,
        };
        if let Some(prefix) = prefix {
            return string(bytes, i + 1, prefix);
        }
    }
    if matches!(b, b'u' | b'U') && next == Some(b'&') {
        match bytes.get(i + 2) {
            Some(b'\'') => return string(bytes, i + 2, StringPrefix::Unicode),
            Some(b'"') => {
                let (end, terminated) = quoted(bytes, i + 2, b'"', false);
                let end = if terminated { uescape(bytes, end) } else { end };
                return (
                    Kind::QuotedIdent {
                        unicode: true,
                        terminated,
                    },
                    end,
                );
            }
            _ => {}
        }
    }
    (Kind::Ident, run(bytes, i + 1, is_ident_cont))
}

/// A string constant whose opening quote is at `open` (after its prefix, if any).
fn string(bytes: &[u8], open: usize, prefix: StringPrefix) -> (Kind, usize) {
    let (mut end, terminated) = match prefix {
        StringPrefix::Escape => quoted(bytes, open, b'\'', true),
        // Bit strings take no escapes at all: the next quote ends them.
        StringPrefix::Bit | StringPrefix::Hex => {
            match bytes[open + 1..].iter().position(|&b| b == b'\'') {
                Some(p) => (open + 1 + p + 1, true),
                None => (bytes.len(), false),
            }
        }
        _ => quoted(bytes, open, b'\'', false),
    };
    if terminated && prefix == StringPrefix::Unicode {
        end = uescape(bytes, end);
    }
    (Kind::String { prefix, terminated }, end)
}

/// From the opening `quote` at `open` to just past its closing one (a doubled quote is
/// one quote inside), and whether there was one.
pub(super) fn quoted(
    bytes: &[u8],
    open: usize,
    quote: u8,
    backslash_escapes: bool,
) -> (usize, bool) {
    let mut i = open + 1;
    while i < bytes.len() {
        let b = bytes[i];
        if backslash_escapes && b == b'\\' {
            i += 2;
        } else if b == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return (i + 1, true);
            }
        } else {
            i += 1;
        }
    }
    (bytes.len(), false)
}

/// Past a `UESCAPE 'c'` clause after a `U&` token ending at `end` (whitespace and
/// comments may come between), or `end` when none follows. PostgreSQL reads the
/// clause as part of the token before it (`parser.c`), and so does this: replacing
/// the token replaces the clause.
fn uescape(bytes: &[u8], end: usize) -> usize {
    let after_trivia = |from: usize| {
        let mut at = from;
        while let Some(&b) = bytes.get(at) {
            let (kind, next) = lex_one(bytes, at, b);
            if !matches!(
                kind,
                Kind::Whitespace | Kind::LineComment { .. } | Kind::BlockComment { .. }
            ) {
                break;
            }
            at = next;
        }
        at
    };
    let word = after_trivia(end);
    let word_end = run(bytes, word, is_ident_cont);
    if !bytes[word..word_end].eq_ignore_ascii_case(b"uescape") {
        return end;
    }
    let literal = after_trivia(word_end);
    match bytes.get(literal) {
        Some(b'\'') => quoted(bytes, literal, b'\'', false).0,
        _ => end,
    }
}

/// Past a block comment starting at `open`, counting nested `/* */`.
fn block_comment(bytes: &[u8], open: usize) -> (usize, bool) {
    let mut depth = 1usize;
    let mut i = open + 2;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return (i, true);
                }
            }
            _ => i += 1,
        }
    }
    (bytes.len(), false)
}

/// `$1`, `$tag$ ... $tag$`, `$$ ... $$`, or a lone `$`.
fn dollar(bytes: &[u8], i: usize) -> (Kind, usize) {
    match bytes.get(i + 1) {
        Some(b) if b.is_ascii_digit() => {
            // `$12abc` is a parameter with trailing junk, which PostgreSQL refuses.
            (Kind::Param, run(bytes, i + 1, is_ident_cont))
        }
        Some(&b) if b == b'$' || is_ident_start(b) => {
            let tag_end = run(bytes, i + 1, |b| is_ident_cont(b) && b != b'$');
            if bytes.get(tag_end) != Some(&b'$') {
                // `$a b`: no closing `$` for a tag. PostgreSQL returns the `$` alone.
                return (Kind::Other, i + 1);
            }
            let tag = &bytes[i..=tag_end];
            let body = tag_end + 1;
            let end = bytes[body..]
                .windows(tag.len())
                .position(|w| w == tag)
                .map(|p| body + p + tag.len());
            (
                Kind::DollarString {
                    terminated: end.is_some(),
                },
                end.unwrap_or(bytes.len()),
            )
        }
        _ => (Kind::Other, i + 1),
    }
}

/// A numeric constant from `i`: decimal with `_` separators, a fraction, an exponent;
/// `0x`, `0o`, `0b` integers (PostgreSQL 16); then any letters or digits stuck to it,
/// which PostgreSQL 15 and later refuse as trailing junk (so they are never a name).
fn number(bytes: &[u8], i: usize) -> usize {
    let digits = |from: usize| run(bytes, from, |b| b.is_ascii_digit() || b == b'_');
    let mut end;
    if bytes[i] == b'0'
        && matches!(
            bytes.get(i + 1),
            Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
        )
    {
        end = run(bytes, i + 2, |b| b.is_ascii_alphanumeric() || b == b'_');
        return end;
    }
    end = digits(i);
    // `1..10` is an integer and `..` (PL/pgSQL ranges); `1.5` and `1.` are numeric.
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1) != Some(&b'.') {
        end = digits(end + 1);
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exp = end + 1;
        if matches!(bytes.get(exp), Some(b'+' | b'-')) {
            exp += 1;
        }
        if bytes.get(exp).is_some_and(|b| b.is_ascii_digit()) {
            end = digits(exp);
        }
    }
    run(bytes, end, is_ident_cont)
}

/// An operator from `i`, cut as `scan.l` cuts one: before a comment start inside it,
/// and without trailing `+`/`-` unless it holds one of `~ ! @ # ^ & | \` ? %` (so
/// `a<-1` is `<` and `-1`, `@-` stays whole).
fn operator(bytes: &[u8], i: usize) -> usize {
    let mut end = run(bytes, i, is_op_char);
    let op = &bytes[i..end];
    if let Some(p) = op
        .windows(2)
        .position(|w| w == b"--" || w == b"/*")
        .filter(|&p| p > 0)
    {
        end = i + p;
    }
    let mut len = end - i;
    if len > 1 && matches!(bytes[end - 1], b'+' | b'-') {
        let special = bytes[i..end - 1].iter().any(|b| {
            matches!(
                b,
                b'~' | b'!' | b'@' | b'#' | b'^' | b'&' | b'|' | b'`' | b'?' | b'%'
            )
        });
        if !special {
            while len > 1 && matches!(bytes[i + len - 1], b'+' | b'-') {
                len -= 1;
            }
        }
    }
    i + len
}
