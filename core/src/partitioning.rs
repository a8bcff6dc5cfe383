//! Partitioned tables: the partition key an entity declares (`partition_by = "RANGE
//! (created_at)"`), read back from the database with `pg_get_partkeydef`.
//!
//! The key is SQL written into `CREATE TABLE ... PARTITION BY`: its shape is checked at
//! the attribute (a method, then one parenthesized list), its columns when the entity
//! is lowered (each must be a column; a primary key or unique constraint must include
//! every key column, as PostgreSQL requires). Two keys are the same when their tokens
//! are, with unquoted words folded and parentheses left out: `range(created_at)` is
//! PostgreSQL's `RANGE (created_at)`, and `RANGE ((at::date))` its
//! `RANGE (((at)::date))`.
use crate::lex::{self, Kind};

/// What a partition key says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionKey {
    /// `RANGE`, `LIST` or `HASH`.
    pub method: String,
    /// The plain columns of the key, in order (an element that is one name, possibly
    /// followed by a collation or operator class).
    pub columns: Vec<String>,
    /// Whether an element is an expression rather than a column.
    pub has_expressions: bool,
}

/// The methods `PARTITION BY` takes.
const METHODS: [&str; 3] = ["RANGE", "LIST", "HASH"];

/// Reads a partition key, or says what is wrong with it.
pub fn parse(sql: &str) -> Result<PartitionKey, String> {
    if let Some(problem) = lex::fragment_problem(sql) {
        return Err(problem.to_string());
    }
    let tokens: Vec<lex::Token> = lex::significant(sql).collect();
    let usage = "write `RANGE (column)`, `LIST (column)` or `HASH (column)`, with one or more \
                 columns or parenthesized expressions";
    let method = match tokens.first() {
        Some(t) if METHODS.iter().any(|m| t.is_word(sql, m)) => t.text(sql).to_ascii_uppercase(),
        _ => {
            return Err(format!(
                "does not start with a partitioning method: {usage}"
            ))
        }
    };
    let closes_at_end = tokens.len() >= 3
        && tokens[1].is_punct(b'(')
        && tokens.last().is_some_and(|t| t.is_punct(b')'))
        && closing_paren(&tokens, 1) == Some(tokens.len() - 1);
    if !closes_at_end {
        return Err(format!(
            "is not `{method}` followed by one parenthesized list: {usage}"
        ));
    }
    let mut key = PartitionKey {
        method,
        columns: Vec::new(),
        has_expressions: false,
    };
    for element in lex::split_top_level(&tokens[2..tokens.len() - 1]) {
        match element.first() {
            None => return Err(format!("has an empty element: {usage}")),
            Some(first) if first.is_ident() && !element.iter().any(|t| t.is_punct(b'(')) => {
                // `col`, `col COLLATE "C"`, `col text_pattern_ops`.
                match lex::ident_name(first, sql) {
                    Some(name) => key.columns.push(name.into_owned()),
                    None => return Err(format!("has a name PostgreSQL refuses: {usage}")),
                }
            }
            Some(_) => key.has_expressions = true,
        }
    }
    Ok(key)
}

/// The index of the `)` closing the `(` at `open`.
fn closing_paren(tokens: &[lex::Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        if t.is_punct(b'(') {
            depth += 1;
        } else if t.is_punct(b')') {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Whether two partition keys say the same (see the module's comment).
pub fn same(a: &str, b: &str) -> bool {
    comparable(a) == comparable(b)
}

fn comparable(sql: &str) -> Vec<String> {
    lex::significant(sql)
        .filter(|t| !t.is_punct(b'(') && !t.is_punct(b')'))
        .map(|t| match t.kind {
            Kind::Ident => lex::fold(t.text(sql)).into_owned(),
            Kind::QuotedIdent { .. } => lex::ident_name(&t, sql)
                .map(|n| n.into_owned())
                .unwrap_or_else(|| t.text(sql).to_string()),
            _ => t.text(sql).to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_expressions_are_told_apart() {
        let key = parse("range (created_at, tenant_id text_pattern_ops, (lower(name)))").unwrap();
        assert_eq!(key.method, "RANGE");
        assert_eq!(key.columns, ["created_at", "tenant_id"]);
        assert!(key.has_expressions);
        let key = parse("HASH (\"Id\" COLLATE \"C\")").unwrap();
        assert_eq!(key.columns, ["Id"]);
        assert!(!key.has_expressions);
    }

    #[test]
    fn a_key_that_is_not_a_method_and_one_list_is_refused() {
        for bad in [
            "created_at",
            "RANGE created_at",
            "RANGE (a) (b)",
            "RANGE (a",
            "TREE (a)",
            "RANGE ()",
            "RANGE (a); DROP TABLE t",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_compare_by_tokens_with_words_folded_and_parentheses_left_out() {
        assert!(same("range(created_at)", "RANGE (created_at)"));
        assert!(same("RANGE ((at::date))", "RANGE (((at)::date))"));
        assert!(same("LIST (\"region\")", "LIST (region)"));
        assert!(!same("LIST (\"Region\")", "LIST (region)"));
        assert!(!same("RANGE (a)", "LIST (a)"));
        assert!(!same("RANGE (a, b)", "RANGE (a)"));
    }
}
