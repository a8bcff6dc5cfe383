//! Which columns a SQL expression uses, for naming an unnamed CHECK as PostgreSQL
//! does. PostgreSQL looks at the parsed expression's column references
//! (`pull_var_clause`); without a parser, strata tokenizes the expression the way
//! PostgreSQL's lexer does (string literals, quoted identifiers, comments) and keeps the
//! identifiers in a column reference's position: not a function name (before `(`), not
//! a qualifier (before `.`), not a type (after `::` or `AS`, or before a literal as in
//! `interval '1 day'`), not a keyword that cannot name a column.

use crate::lex::{self, Category, Kind};
use std::borrow::Cow;

/// A token as column finding sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    /// An identifier as PostgreSQL resolves it (see [`lex::ident_name`]).
    Ident { name: Cow<'a, str>, quoted: bool },
    /// A string constant, dollar-quoted string, number or parameter: never a column.
    Literal,
    /// `::`
    Cast,
    /// `( ) [ ] , ; : .`
    Punct(u8),
    /// An operator, or what PostgreSQL refuses.
    Other,
}

/// The distinct names of `columns` the expression refers to, in order of first use.
pub(super) fn referenced_columns<'c, S: AsRef<str>>(expr: &str, columns: &'c [S]) -> Vec<&'c str> {
    let tokens = tokenize(expr);
    let keywords = lex::keywords::current();
    let mut out: Vec<&'c str> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Ident { name, quoted } = token else {
            continue;
        };
        let prev = i.checked_sub(1).and_then(|p| tokens.get(p));
        let next = tokens.get(i + 1);
        let bare_word = |t: Option<&Token>, word: &str| matches!(t, Some(Token::Ident { name, quoted: false }) if name == word);
        let names_something_else = matches!(next, Some(Token::Punct(b'(' | b'.') | Token::Literal))
            || matches!(prev, Some(Token::Cast))
            || bare_word(prev, "as")
            || bare_word(prev, "collate")
            // `extract(year from ...)`: the field, not a column.
            || (matches!(prev, Some(Token::Punct(b'(')))
                && bare_word(i.checked_sub(2).and_then(|p| tokens.get(p)), "extract"));
        // A column-name keyword (`position`) may be a column unquoted; a reserved or
        // type/function one (`user`, `left`) cannot.
        let keyword = !quoted
            && matches!(
                keywords.category(name),
                Category::Reserved | Category::TypeFuncName
            );
        if names_something_else || keyword {
            continue;
        }
        if let Some(column) = columns.iter().map(AsRef::as_ref).find(|c| c == name) {
            if !out.contains(&column) {
                out.push(column);
            }
        }
    }
    out
}

/// Every identifier of `expr` in any position (column, function, type, qualifier or
/// keyword), as PostgreSQL resolves it: unquoted ones folded, quoted ones unquoted.
/// Canonicalization's `known` checks with it that an expression names no column that
/// changed; it rejects beforehand what PostgreSQL's lexer would refuse (an identifier
/// this gives no name for).
#[cfg_attr(not(feature = "db"), allow(dead_code))]
pub(crate) fn identifiers(expr: &str) -> Vec<String> {
    tokenize(expr)
        .into_iter()
        .filter_map(|t| match t {
            Token::Ident { name, .. } => Some(name.into_owned()),
            _ => None,
        })
        .collect()
}

fn tokenize(expr: &str) -> Vec<Token<'_>> {
    lex::significant(expr)
        .map(|t| match t.kind {
            Kind::Ident | Kind::QuotedIdent { .. } => match lex::ident_name(&t, expr) {
                Some(name) => Token::Ident {
                    name,
                    quoted: t.kind != Kind::Ident,
                },
                None => Token::Other,
            },
            Kind::Cast => Token::Cast,
            Kind::Punct(c) => Token::Punct(c),
            _ if t.is_literal() => Token::Literal,
            _ => Token::Other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(expr: &str, columns: &[&str]) -> Vec<String> {
        let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        referenced_columns(expr, &columns)
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn identifiers_are_every_name_in_any_position() {
        assert_eq!(
            identifiers(r#"lower(t.Name) <> 'x' AND "Odd""Col"::text IS NOT NULL -- c"#),
            ["lower", "t", "name", "and", "Odd\"Col", "text", "is", "not", "null"]
        );
        assert_eq!(identifiers("$$a$$ || E'b' || 1e5"), Vec::<String>::new());
    }

    #[test]
    fn plain_references_are_found_once_each() {
        let cols = ["age", "min_age", "name"];
        assert_eq!(used("age >= 0", &cols), ["age"]);
        assert_eq!(used("age >= 0 AND age < 200", &cols), ["age"]);
        assert_eq!(used("AGE > MIN_AGE", &cols), ["age", "min_age"]);
        assert_eq!(used("true", &cols), Vec::<String>::new());
    }

    #[test]
    fn literals_comments_and_quoted_identifiers() {
        let cols = ["age", "name", "Odd Col", "order"];
        assert_eq!(used("name <> 'age'", &cols), ["name"]);
        assert_eq!(used("name <> 'it''s age'", &cols), ["name"]);
        assert_eq!(used(r"name <> E'it\'s age'", &cols), ["name"]);
        assert_eq!(used("name <> $$age$$ -- age\n", &cols), ["name"]);
        assert_eq!(
            used("name <> $t$ age $t$ /* age /* age */ */", &cols),
            ["name"]
        );
        assert_eq!(used(r#""Odd Col" > 0"#, &cols), ["Odd Col"]);
        assert_eq!(used(r#""order" > 0"#, &cols), ["order"]);
        // An unquoted `Odd` folds to `odd`, which is no column.
        assert_eq!(used("odd > 1e5", &cols), Vec::<String>::new());
    }

    #[test]
    fn functions_types_qualifiers_and_keywords_are_not_columns() {
        let cols = [
            "length", "text", "t", "name", "year", "created", "position", "and",
        ];
        assert_eq!(used("length(name) > 0", &cols), ["name"]);
        assert_eq!(used("name::text <> ''", &cols), ["name"]);
        assert_eq!(used("CAST(name AS text) <> ''", &cols), ["name"]);
        assert_eq!(used("t.name <> ''", &cols), ["name"]);
        assert_eq!(used("pg_catalog.length(name) > 0", &cols), ["name"]);
        assert_eq!(
            used("extract(year FROM created) > 2000", &cols),
            ["created"]
        );
        assert_eq!(used("created > date '2000-01-01'", &cols), ["created"]);
        assert_eq!(
            used("created > now() - interval '1 day'", &cols),
            ["created"]
        );
        assert_eq!(used("position > 0 and true", &cols), ["position"]);
        assert_eq!(used(r#"name COLLATE "text" > ''"#, &cols), ["name"]);
    }
}
