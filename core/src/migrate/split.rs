//! Splits a migration file into statements, remembering where each starts.
//!
//! The runner sends one statement at a time so that a failure names the statement
//! and its line even when PostgreSQL reports no position (e.g. "relation already
//! exists"). It knows what psql knows about where a `;` does not end a statement:
//! inside anything `crate::lex` reads as one token (quotes of every kind, dollar
//! quotes, `--` and nested `/* */` comments), inside parentheses, and inside
//! `BEGIN ATOMIC ... END` bodies of SQL-standard functions.

use crate::lex::{self, Kind};

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
    let mut out = Vec::new();
    // First byte of the current statement's first token, once one was seen.
    let mut start: Option<usize> = None;
    let mut state = StatementState::default();
    for t in lex::tokens(sql) {
        if t.is_trivia() {
            continue;
        }
        if t.is_punct(b';') && state.ends_at_semicolon() {
            if let Some(s) = start.take() {
                out.push(Statement {
                    sql: &sql[s..t.start],
                    offset: s,
                });
            }
            state = StatementState::default();
            continue;
        }
        start.get_or_insert(t.start);
        match t.kind {
            Kind::Ident => state.word(t.text(sql)),
            Kind::Punct(b'(') => state.parens += 1,
            Kind::Punct(b')') => state.parens = state.parens.saturating_sub(1),
            _ => {}
        }
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

/// What psql tracks to know whether a `;` ends the statement (`psqlscan.l`): open
/// parentheses, and `BEGIN ... END` blocks in `CREATE [OR REPLACE] FUNCTION|PROCEDURE`,
/// whose SQL-standard bodies (`BEGIN ATOMIC ... END`) hold `;`s outside any quote.
#[derive(Default)]
struct StatementState {
    /// The first four words of the statement, as far as the routine test needs them.
    head: [Head; 4],
    words: usize,
    parens: usize,
    /// `BEGIN`s (and `CASE`s inside them) not yet closed by `END`.
    blocks: usize,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Head {
    #[default]
    Other,
    Create,
    Or,
    Replace,
    Routine,
}

impl StatementState {
    fn ends_at_semicolon(&self) -> bool {
        self.parens == 0 && self.blocks == 0
    }

    fn word(&mut self, w: &str) {
        if let Some(slot) = self.head.get_mut(self.words) {
            *slot = if w.eq_ignore_ascii_case("create") {
                Head::Create
            } else if w.eq_ignore_ascii_case("or") {
                Head::Or
            } else if w.eq_ignore_ascii_case("replace") {
                Head::Replace
            } else if w.eq_ignore_ascii_case("function") || w.eq_ignore_ascii_case("procedure") {
                Head::Routine
            } else {
                Head::Other
            };
        }
        self.words += 1;
        if !self.is_routine() || self.parens > 0 {
            return;
        }
        if w.eq_ignore_ascii_case("begin") {
            self.blocks += 1;
        } else if w.eq_ignore_ascii_case("case") {
            // CASE ends with END too; it matters only inside a BEGIN.
            if self.blocks > 0 {
                self.blocks += 1;
            }
        } else if w.eq_ignore_ascii_case("end") {
            self.blocks = self.blocks.saturating_sub(1);
        }
    }

    fn is_routine(&self) -> bool {
        use Head::*;
        matches!(
            self.head,
            [Create, Routine, ..] | [Create, Or, Replace, Routine]
        )
    }
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
    fn like_psql_a_semicolon_inside_parentheses_does_not_split() {
        // PostgreSQL reports the error of the whole statement, as psql would send it.
        assert_eq!(
            sqls("SELECT (1; 2); SELECT 3)); SELECT 4;"),
            vec!["SELECT (1; 2)", "SELECT 3))", "SELECT 4"]
        );
    }

    #[test]
    fn routine_bodies_count_case_only_inside_begin_and_words_in_any_case() {
        // A CASE ... END in a RETURN expression opens no block.
        let text = "create function f(x int) returns int language sql\n\
                    return case when x > 0 then 1 end;\n\
                    Create Or Replace Procedure p() Begin Atomic select 1; End;\n\
                    CREATE FUNCTION g() RETURNS int LANGUAGE sql \"begin\" SELECT 1;";
        assert_eq!(
            sqls(text),
            vec![
                "create function f(x int) returns int language sql\n\
                 return case when x > 0 then 1 end",
                "Create Or Replace Procedure p() Begin Atomic select 1; End",
                "CREATE FUNCTION g() RETURNS int LANGUAGE sql \"begin\" SELECT 1",
            ]
        );
    }

    #[test]
    fn escape_unicode_and_unterminated_quotes() {
        assert_eq!(
            sqls("SELECT U&'a;' UESCAPE '!'; SELECT e'\\\\'; SELECT 'open;"),
            vec![
                "SELECT U&'a;' UESCAPE '!'",
                "SELECT e'\\\\'",
                "SELECT 'open;"
            ]
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
