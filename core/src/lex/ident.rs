//! What name an identifier token denotes, as PostgreSQL resolves it: bare ones folded
//! to lower case (ASCII only), quoted ones unquoted, `U&"..."` ones decoded, all of
//! them cut to 63 bytes.

use super::token::{is_space, quoted, Kind, Token};
use std::borrow::Cow;

/// The longest identifier PostgreSQL keeps, in bytes (`NAMEDATALEN - 1`).
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// PostgreSQL's `downcase_identifier` in a UTF-8 database: `A`-`Z` become `a`-`z`, and
/// nothing else changes (`Ä` stays `Ä`, unlike Rust's `to_lowercase`). Borrowed when
/// nothing changes, which is most of the time.
pub fn fold(word: &str) -> Cow<'_, str> {
    if word.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(word.to_ascii_lowercase())
    } else {
        Cow::Borrowed(word)
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary
/// (PostgreSQL's `pg_mbcliplen` for UTF-8).
pub fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// PostgreSQL's `truncate_identifier`: a name longer than 63 bytes is cut (the server
/// says so in a NOTICE and uses the cut name).
fn truncate(name: Cow<'_, str>) -> Cow<'_, str> {
    if name.len() <= MAX_IDENTIFIER_BYTES {
        return name;
    }
    match name {
        Cow::Borrowed(s) => Cow::Borrowed(clip(s, MAX_IDENTIFIER_BYTES)),
        Cow::Owned(s) => Cow::Owned(clip(&s, MAX_IDENTIFIER_BYTES).to_string()),
    }
}

/// The name `token` (read from `sql`) denotes when it is an identifier. `None` for any
/// other token, and for an identifier PostgreSQL refuses: unterminated, empty (`""`),
/// or a `U&"..."` with an invalid escape.
pub fn ident_name<'a>(token: &Token, sql: &'a str) -> Option<Cow<'a, str>> {
    uncut_ident_name(token, sql).map(truncate)
}

/// [`ident_name`] before PostgreSQL cuts it to 63 bytes: longer when the server would
/// cut it (and say so in a NOTICE).
pub fn uncut_ident_name<'a>(token: &Token, sql: &'a str) -> Option<Cow<'a, str>> {
    let text = token.text(sql);
    let name = match token.kind {
        Kind::Ident => fold(text),
        Kind::QuotedIdent {
            terminated: true,
            unicode: false,
        } => undouble(&text[1..text.len() - 1]),
        Kind::QuotedIdent {
            terminated: true,
            unicode: true,
        } => {
            let (body, escape) = unicode_parts(text)?;
            Cow::Owned(decode_unicode(&undouble(body), escape)?)
        }
        _ => return None,
    };
    (!name.is_empty()).then_some(name)
}

/// The name `text` denotes when it is exactly one identifier (no whitespace around it).
pub fn single_ident(text: &str) -> Option<Cow<'_, str>> {
    let mut tokens = super::tokens(text);
    let token = tokens.next()?;
    if tokens.next().is_some() {
        return None;
    }
    ident_name(&token, text)
}

/// `""` inside a quoted identifier is one `"`.
fn undouble(body: &str) -> Cow<'_, str> {
    if body.contains("\"\"") {
        Cow::Owned(body.replace("\"\"", "\""))
    } else {
        Cow::Borrowed(body)
    }
}

/// A `U&"body"[ UESCAPE 'c']` token's body (still with doubled quotes) and escape
/// character; `None` when the escape character is one PostgreSQL refuses.
fn unicode_parts(text: &str) -> Option<(&str, char)> {
    // The body ends where its quote does (a UESCAPE '"' clause holds one too).
    let (end, _) = quoted(text.as_bytes(), 2, b'"', false);
    let body = text.get(3..end.checked_sub(1)?)?;
    let clause = &text[end..];
    let escape = match (clause.find('\''), clause.rfind('\'')) {
        (None, _) => '\\',
        (Some(open), Some(close)) if close > open => {
            let mut chars = clause[open + 1..close].chars();
            let c = chars.next()?;
            // `check_uescapechar`: one byte, not a hex digit, `+`, a quote or a space.
            let valid = chars.next().is_none()
                && c.is_ascii()
                && !c.is_ascii_hexdigit()
                && !matches!(c, '+' | '\'' | '"')
                && !is_space(c as u8);
            if !valid {
                return None;
            }
            c
        }
        _ => return None,
    };
    Some((body, escape))
}

/// PostgreSQL's `str_udeescape`: `\XXXX` and `\+XXXXXX` (with `escape` for `\`) are
/// code points, UTF-16 surrogate pairs combine, a doubled escape is itself. `None` for
/// anything PostgreSQL refuses.
fn decode_unicode(body: &str, escape: char) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    let mut pending_high: Option<u32> = None;
    let mut rest = body;
    while let Some(c) = rest.chars().next() {
        if c != escape {
            if pending_high.is_some() {
                return None;
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let after = &rest[c.len_utf8()..];
        if after.starts_with(escape) {
            if pending_high.is_some() {
                return None;
            }
            out.push(escape);
            rest = &after[escape.len_utf8()..];
            continue;
        }
        let (hex, used) = match after.strip_prefix('+') {
            Some(plus) => (plus.get(..6)?, 7),
            None => (after.get(..4)?, 4),
        };
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let code = u32::from_str_radix(hex, 16).ok()?;
        rest = &after[used..];
        match (pending_high.take(), code) {
            (None, 0xD800..=0xDBFF) => pending_high = Some(code),
            (Some(high), 0xDC00..=0xDFFF) => {
                let combined = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00);
                out.push(char::from_u32(combined)?);
            }
            (Some(_), _) | (None, 0xDC00..=0xDFFF) | (None, 0) => return None,
            (None, _) => out.push(char::from_u32(code)?),
        }
    }
    pending_high.is_none().then_some(out)
}
