//! Which columns a SQL expression uses, for naming an unnamed CHECK as PostgreSQL
//! does. PostgreSQL looks at the parsed expression's column references
//! (`pull_var_clause`); without a parser, strata tokenizes the expression the way
//! PostgreSQL's lexer does (string literals, quoted identifiers, comments) and keeps the
//! identifiers in a column reference's position: not a function name (before `(`), not
//! a qualifier (before `.`), not a type (after `::` or `AS`, or before a literal as in
//! `interval '1 day'`), not a keyword that cannot name a column. The tokens are [`crate::lexical`]'s.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An identifier: unquoted ones folded to lower case, as PostgreSQL folds them.
    Ident {
        name: String,
        quoted: bool,
    },
    /// A string literal, dollar-quoted string, number or parameter: never a column.
    Literal,
    /// `::`
    Cast,
    Punct(char),
}

/// The distinct names of `columns` the expression refers to, in order of first use.
pub(super) fn referenced_columns<'c, S: AsRef<str>>(expr: &str, columns: &'c [S]) -> Vec<&'c str> {
    let tokens = tokenize(expr);
    let keywords = crate::lexical::keywords::current();
    let mut out: Vec<&'c str> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Ident { name, quoted } = token else {
            continue;
        };
        let prev = i.checked_sub(1).and_then(|p| tokens.get(p));
        let next = tokens.get(i + 1);
        let names_something_else = matches!(next, Some(Token::Punct('(' | '.') | Token::Literal))
            || matches!(prev, Some(Token::Cast))
            || matches!(prev, Some(Token::Ident { name, quoted: false }) if name == "as" || name == "collate")
            // `extract(year from ...)`: the field, not a column.
            || (matches!(prev, Some(Token::Punct('(')))
                && matches!(i.checked_sub(2).and_then(|p| tokens.get(p)),
                    Some(Token::Ident { name, quoted: false }) if name == "extract"));
        let keyword = !quoted && !keywords.can_name_a_column(name);
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
/// changed; it rejects beforehand what this tokenizer could misread (`U&"..."`).
#[cfg_attr(not(feature = "db"), allow(dead_code))]
pub(crate) fn identifiers(expr: &str) -> Vec<String> {
    tokenize(expr)
        .into_iter()
        .filter_map(|t| match t {
            Token::Ident { name, .. } => Some(name),
            _ => None,
        })
        .collect()
}

/// The expression's tokens as this module reads them (see [`crate::lexical`]).
fn tokenize(expr: &str) -> Vec<Token> {
    use crate::lexical::Kind;
    crate::lexical::significant(expr)
        .into_iter()
        .map(|t| match t.kind {
            Kind::Ident | Kind::QuotedIdent => match t.name() {
                Some(name) => Token::Ident {
                    name: name.into_owned(),
                    quoted: t.kind == Kind::QuotedIdent,
                },
                None => Token::Literal,
            },
            Kind::Cast => Token::Cast,
            Kind::Punct(c) => Token::Punct(c as char),
            Kind::Operator => Token::Punct(t.text.chars().next().unwrap_or('?')),
            Kind::String
            | Kind::DollarString
            | Kind::Number
            | Kind::Param
            | Kind::Unterminated
            | Kind::Space
            | Kind::Comment => Token::Literal,
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
