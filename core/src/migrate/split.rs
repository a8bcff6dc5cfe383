//! Splits a migration file into statements, remembering where each starts.
//!
//! The runner sends one statement at a time so that a failure names the statement
//! and its line even when PostgreSQL reports no position (e.g. "relation already
//! exists"). The lexer knows what psql knows about where a `;` does not end a
//! statement: quotes ('', E'', ""), dollar quotes, `--` and nested `/* */` comments,
//! and `BEGIN ATOMIC ... END` bodies of SQL-standard functions.

/// One statement: `sql` is `file[offset..offset + sql.len()]`, starting at its first
/// token and without the terminating `;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement<'a> {
    pub sql: &'a str,
    /// Byte offset of the statement in the file.
    pub offset: usize,
}

/// The statements of `sql`, skipping ones that are only whitespace and comments.
pub fn split(sql: &str) -> Vec<Statement<'_>> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // First byte of the current statement's first token, once one was seen.
    let mut start: Option<usize> = None;
    let mut words = WordState::default();
    while i < bytes.len() {
        let b = bytes[i];
        let rest = &bytes[i..];
        let token_start = i;
        i = match b {
            b'-' if rest.starts_with(b"--") => skip_line_comment(bytes, i),
            b'/' if rest.starts_with(b"/*") => skip_block_comment(bytes, i),
            b'\'' => {
                // E'...' strings take backslash escapes; the E is the previous byte.
                let escapes = i > 0
                    && matches!(bytes[i - 1], b'e' | b'E')
                    && (i < 2 || !is_ident_byte(bytes[i - 2]));
                start.get_or_insert(token_start);
                skip_quoted(bytes, i, b'\'', escapes)
            }
            b'"' => {
                start.get_or_insert(token_start);
                skip_quoted(bytes, i, b'"', false)
            }
            b'$' => {
                start.get_or_insert(token_start);
                match dollar_tag(bytes, i) {
                    Some(tag_len) => skip_dollar_quoted(bytes, i, tag_len),
                    None => i + 1,
                }
            }
            b';' if words.depth == 0 => {
                if let Some(s) = start.take() {
                    out.push(Statement {
                        sql: &sql[s..i],
                        offset: s,
                    });
                }
                words = WordState::default();
                i + 1
            }
            _ if is_ident_start(b) => {
                start.get_or_insert(token_start);
                let mut j = i + 1;
                while j < bytes.len() && is_ident_byte(bytes[j]) {
                    j += 1;
                }
                words.word(&sql[i..j]);
                j
            }
            _ if b.is_ascii_whitespace() => i + 1,
            _ => {
                start.get_or_insert(token_start);
                i + 1
            }
        };
    }
    if let Some(s) = start {
        let text = sql[s..].trim_end();
        if !text.is_empty() {
            out.push(Statement {
                sql: text,
                offset: s,
            });
        }
    }
    out
}

/// Tracks `CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END`, whose body
/// holds `;`s outside any quote (psql tracks the same).
#[derive(Default)]
struct WordState {
    /// The first words of the statement, upper-cased, up to four.
    head: Vec<String>,
    depth: usize,
}

impl WordState {
    fn word(&mut self, w: &str) {
        let upper = w.to_ascii_uppercase();
        if self.head.len() < 4 {
            self.head.push(upper.clone());
        }
        if !self.is_routine() {
            return;
        }
        match upper.as_str() {
            "BEGIN" | "CASE" => self.depth += 1,
            "END" => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
    }

    fn is_routine(&self) -> bool {
        let h: Vec<&str> = self.head.iter().map(String::as_str).collect();
        matches!(
            h.as_slice(),
            ["CREATE", "FUNCTION" | "PROCEDURE", ..]
                | ["CREATE", "OR", "REPLACE", "FUNCTION" | "PROCEDURE", ..]
        )
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn skip_line_comment(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| i + p + 1)
}

/// PostgreSQL block comments nest.
fn skip_block_comment(bytes: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if bytes[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// From an opening quote to just past its closing one; a doubled quote is an escaped one.
fn skip_quoted(bytes: &[u8], open: usize, quote: u8, backslash_escapes: bool) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        let b = bytes[i];
        if backslash_escapes && b == b'\\' {
            i += 2;
        } else if b == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// `$$` or `$tag$` at `i`: the tag's length including both `$`. A `$1` parameter or a
/// `$` inside an identifier is not a tag.
fn dollar_tag(bytes: &[u8], i: usize) -> Option<usize> {
    if i > 0 && is_ident_byte(bytes[i - 1]) {
        return None;
    }
    let mut j = i + 1;
    while j < bytes.len() && bytes[j] != b'$' {
        let b = bytes[j];
        let ok = if j == i + 1 {
            is_ident_start(b)
        } else {
            is_ident_byte(b) && b != b'$'
        };
        if !ok {
            return None;
        }
        j += 1;
    }
    (j < bytes.len()).then_some(j - i + 1)
}

fn skip_dollar_quoted(bytes: &[u8], open: usize, tag_len: usize) -> usize {
    let tag = &bytes[open..open + tag_len];
    let body = open + tag_len;
    bytes[body..]
        .windows(tag_len)
        .position(|w| w == tag)
        .map_or(bytes.len(), |p| body + p + tag_len)
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, byte_offset: usize) -> usize {
    let end = byte_offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Byte offset of PostgreSQL's 1-based *character* position within `text`.
pub fn char_position_to_byte(text: &str, position: usize) -> usize {
    text.char_indices()
        .nth(position.saturating_sub(1))
        .map_or(text.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqls(text: &str) -> Vec<&str> {
        split(text).into_iter().map(|s| s.sql).collect()
    }

    #[test]
    fn splits_on_semicolons_and_records_offsets() {
        let text = "-- header\nCREATE TABLE a (x int);\n\n  DROP TABLE b;\n";
        let stmts = split(text);
        assert_eq!(stmts.len(), 2);
        assert_eq!(stmts[0].sql, "CREATE TABLE a (x int)");
        assert_eq!(line_of(text, stmts[0].offset), 2);
        assert_eq!(stmts[1].sql, "DROP TABLE b");
        assert_eq!(&text[stmts[1].offset..stmts[1].offset + 4], "DROP");
        assert_eq!(line_of(text, stmts[1].offset), 4);
    }

    #[test]
    fn comment_only_files_have_no_statements() {
        assert!(split("-- Add up migration script here\n").is_empty());
        assert!(split("/* a; /* nested; */ b; */\n ; ;").is_empty());
    }

    #[test]
    fn semicolons_in_quotes_comments_and_dollar_bodies_do_not_split() {
        let text = "INSERT INTO t VALUES ('a;b', 'it''s;', E'\\';x', \"odd;col\");\n\
                    SELECT 1 -- trailing; comment\n;\n\
                    CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n\
                    DO $$ BEGIN PERFORM 1; END $$;\n\
                    SELECT $1";
        assert_eq!(
            sqls(text),
            vec![
                "INSERT INTO t VALUES ('a;b', 'it''s;', E'\\';x', \"odd;col\")",
                "SELECT 1 -- trailing; comment\n",
                "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql",
                "DO $$ BEGIN PERFORM 1; END $$",
                "SELECT $1",
            ]
        );
    }

    #[test]
    fn begin_atomic_bodies_stay_whole() {
        let text = "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\n\
                    BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;\n\
                    SELECT 3;";
        assert_eq!(
            sqls(text),
            vec![
                "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\n\
                 BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END",
                "SELECT 3",
            ]
        );
        // A transaction's BEGIN is not a routine body.
        assert_eq!(
            sqls("BEGIN; SELECT 1; END;"),
            vec!["BEGIN", "SELECT 1", "END"]
        );
    }

    #[test]
    fn positions_are_characters_not_bytes() {
        let text = "SELECT 'é', x";
        // Character 13 is `x`; it is byte 13 because é takes two bytes.
        assert_eq!(char_position_to_byte(text, 13), 13);
        assert_eq!(&text[char_position_to_byte(text, 13)..], "x");
        assert_eq!(char_position_to_byte(text, 1), 0);
        assert_eq!(char_position_to_byte(text, 999), text.len());
    }
}
