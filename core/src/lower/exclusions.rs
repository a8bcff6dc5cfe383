//! Exclusion constraints of one table: the definition as `pg_get_constraintdef` would
//! print it (spelled by the server in `canonicalize` when it differs), named as
//! PostgreSQL names them (`<table>_<keys>_excl`).

use super::column_of;
use crate::entity::EntityDef;
use crate::lex::{self, Token};
use crate::names::{index_key_name, quote_ident, NameAllocator};
use crate::schema::{Deferral, ExclusionConstraint};

const DEFAULT_METHOD: &str = "gist";

pub(super) fn exclusions(
    entity: &EntityDef,
    names: &mut NameAllocator,
) -> Vec<ExclusionConstraint> {
    let table = &entity.table_name;
    entity
        .exclusions
        .iter()
        .map(|x| {
            let include: Vec<String> = x
                .include
                .iter()
                .map(|f| column_of(entity, f).to_string())
                .collect();
            let name = match &x.name {
                Some(name) => name.clone(),
                None => {
                    let mut keys = element_names(&x.elements);
                    keys.extend(include.iter().cloned());
                    names.exclusion(table, &keys)
                }
            };
            let mut definition = format!(
                "EXCLUDE USING {} ({})",
                x.method.as_deref().unwrap_or(DEFAULT_METHOD),
                x.elements.trim()
            );
            if !include.is_empty() {
                let quoted: Vec<String> = include
                    .iter()
                    .map(|c| quote_ident(c).into_owned())
                    .collect();
                definition.push_str(&format!(" INCLUDE ({})", quoted.join(", ")));
            }
            if let Some(p) = &x.predicate {
                definition.push_str(&format!(" WHERE ({p})"));
            }
            ExclusionConstraint {
                name,
                definition,
                deferral: Deferral::from_flags(x.options.deferrable, x.options.initially_deferred),
                written: Default::default(),
            }
        })
        .collect()
}

/// Each element's name in a default constraint name, as `ChooseIndexColumnNames`
/// takes it: a column's own name, an expression's function name or `expr`. An element
/// is `<column or (expression) or function call> [opclass] [order] WITH <operator>`.
pub(super) fn element_names(elements: &str) -> Vec<String> {
    let tokens: Vec<Token> = lex::significant(elements).collect();
    let mut out = Vec::new();
    for element in crate::lex::split_top_level(&tokens) {
        let Some(first) = element.first() else {
            continue;
        };
        let second = element.get(1);
        let name = if first.is_ident()
            && !second.is_some_and(|t| t.is_punct(b'(') || t.is_punct(b'.'))
        {
            lex::ident_name(first, elements).map_or_else(|| "expr".to_string(), |n| n.into_owned())
        } else {
            // The key ends where its parentheses close (a function call or a
            // parenthesised expression).
            let end = key_end(element);
            let start = first.start;
            let stop = element[end].end;
            index_key_name(&elements[start..stop])
        };
        out.push(name);
    }
    out
}

/// The index of the token that ends an element's key: the one closing the first
/// parenthesis opened.
fn key_end(element: &[Token]) -> usize {
    let mut depth = 0usize;
    for (i, t) in element.iter().enumerate() {
        if t.is_punct(b'(') {
            depth += 1;
        } else if t.is_punct(b')') {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return i;
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::element_names;

    #[test]
    fn elements_are_named_as_postgres_names_index_columns() {
        assert_eq!(
            element_names("room WITH =, during WITH &&"),
            ["room", "during"]
        );
        assert_eq!(
            element_names("\"Room\" gist_int4_ops WITH =, tsrange(starts, ends, '[)') WITH &&"),
            ["Room", "tsrange"]
        );
        assert_eq!(element_names("(a + b) WITH ="), ["expr"]);
    }
}
