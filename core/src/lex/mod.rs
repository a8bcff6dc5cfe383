//! PostgreSQL's lexical rules, in one place.
//!
//! - [`token`]: one tokenizer with byte spans, as PostgreSQL's `scan.l` cuts SQL:
//!   whitespace, `--` and nested `/* */` comments, string constants (`'...'`,
//!   `E'...'`, `U&'...'`, `B'...'`, `X'...'`), quoted identifiers (`"..."`, `U&"..."`
//!   with `UESCAPE`), dollar quotes, numbers, parameters, operators, `::`.
//! - [`ident`]: the name an identifier denotes (ASCII-only case folding, unquoting,
//!   Unicode escapes, the 63-byte limit).
//! - [`keywords`]: keyword categories from the server strata talks to, and
//!   `quote_ident`.
//! - [`fragment`]: what makes a declared SQL fragment unfit to be written into a
//!   statement.
//!
//! Everything that reads SQL text uses these: splitting migration files, finding the
//! columns an expression reads, following columns across renames, checking that a
//! fragment is balanced, deciding that a text is one identifier.

pub mod fragment;
pub mod ident;
pub mod keywords;
pub mod token;

pub use fragment::{balanced, fragment_problem, FragmentProblem};
pub use ident::{fold, ident_name, single_ident, MAX_IDENTIFIER_BYTES};
pub use keywords::{quote_ident, Category, Keywords};
pub use token::{significant, split_top_level, tokens, Kind, StringPrefix, Token, Tokens};

#[cfg(test)]
mod tests;
