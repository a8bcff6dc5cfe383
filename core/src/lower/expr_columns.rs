//! Which columns a SQL expression uses, for naming an unnamed CHECK as PostgreSQL
//! does. PostgreSQL looks at the parsed expression's column references
//! (`pull_var_clause`); without a parser, strata tokenizes the expression the way
//! PostgreSQL's lexer does (string literals, quoted identifiers, comments) and keeps the
//! identifiers in a column reference's position: not a function name (before `(`), not
//! a qualifier (before `.`), not a type (after `::` or `AS`, or before a literal as in
//! `interval '1 day'`), not a keyword that cannot name a column.

use crate::names::is_non_unreserved_keyword;

/// PostgreSQL 15's `COL_NAME_KEYWORD`s: quoted by `quote_ident`, yet usable unquoted as
/// a column reference (`position > 0`), unlike reserved and type/function keywords.
/// Sorted, for binary search.
const COL_NAME_KEYWORDS: &[&str] = &[
    "between",
    "bigint",
    "bit",
    "boolean",
    "char",
    "character",
    "coalesce",
    "dec",
    "decimal",
    "exists",
    "extract",
    "float",
    "greatest",
    "grouping",
    "inout",
    "int",
    "integer",
    "interval",
    "least",
    "national",
    "nchar",
    "none",
    "normalize",
    "nullif",
    "numeric",
    "out",
    "overlay",
    "position",
    "precision",
    "real",
    "row",
    "setof",
    "smallint",
    "substring",
    "time",
    "timestamp",
    "treat",
    "trim",
    "values",
    "varchar",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

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
        let keyword = !quoted
            && is_non_unreserved_keyword(name)
            && COL_NAME_KEYWORDS.binary_search(&name.as_str()).is_err();
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

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

fn is_ident_continue(c: char) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || c == '$'
}

fn tokenize(expr: &str) -> Vec<Token> {
    let chars: Vec<char> = expr.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && next == Some('-') {
            while chars.get(i).is_some_and(|&c| c != '\n') {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i);
        } else if c == '\'' {
            i = skip_string(&chars, i, false);
            tokens.push(Token::Literal);
        } else if matches!(c, 'e' | 'E') && next == Some('\'') {
            // E'...': backslash escapes, so `\'` does not end it.
            i = skip_string(&chars, i + 1, true);
            tokens.push(Token::Literal);
        } else if c == '"' {
            let (name, end) = quoted_ident(&chars, i);
            i = end;
            tokens.push(Token::Ident { name, quoted: true });
        } else if c == '$' {
            i = skip_dollar(&chars, i);
            tokens.push(Token::Literal);
        } else if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) {
            // Numbers, with exponents and the like (`1e5`): never an identifier.
            while chars
                .get(i)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
            {
                i += 1;
            }
            tokens.push(Token::Literal);
        } else if is_ident_start(c) {
            let start = i;
            while chars.get(i).is_some_and(|&c| is_ident_continue(c)) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            // PostgreSQL folds only ASCII letters in a UTF-8 database.
            tokens.push(Token::Ident {
                name: word.to_ascii_lowercase(),
                quoted: false,
            });
        } else if c == ':' && next == Some(':') {
            i += 2;
            tokens.push(Token::Cast);
        } else {
            i += 1;
            tokens.push(Token::Punct(c));
        }
    }
    tokens
}

/// Past `/* ... */`, which nests in PostgreSQL.
fn skip_block_comment(chars: &[char], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    i
}

/// Past a `'...'` literal starting at `start` (`''` is a quote inside it).
fn skip_string(chars: &[char], start: usize, backslash_escapes: bool) -> usize {
    let mut i = start + 1;
    while let Some(&c) = chars.get(i) {
        if backslash_escapes && c == '\\' {
            i += 2;
        } else if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// A `"..."` identifier's name (`""` is a quote inside it) and the index past it.
fn quoted_ident(chars: &[char], start: usize) -> (String, usize) {
    let mut name = String::new();
    let mut i = start + 1;
    while let Some(&c) = chars.get(i) {
        if c == '"' {
            if chars.get(i + 1) == Some(&'"') {
                name.push('"');
                i += 2;
            } else {
                return (name, i + 1);
            }
        } else {
            name.push(c);
            i += 1;
        }
    }
    (name, i)
}

/// Past `$n` (a parameter) or a `$tag$ ... $tag$` string.
fn skip_dollar(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    if chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
        while chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        return i;
    }
    while chars
        .get(i)
        .is_some_and(|&c| is_ident_continue(c) && c != '$')
    {
        i += 1;
    }
    if chars.get(i) != Some(&'$') {
        // A lone `$`: not valid SQL; let PostgreSQL say so.
        return i;
    }
    let tag = &chars[start..=i];
    i += 1;
    while i < chars.len() {
        if chars[i..].starts_with(tag) {
            return i + tag.len();
        }
        i += 1;
    }
    i
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
    fn keyword_list_is_sorted_and_every_entry_is_a_quoted_keyword() {
        assert!(COL_NAME_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(COL_NAME_KEYWORDS
            .iter()
            .all(|k| is_non_unreserved_keyword(k)));
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
