//! Spellings known without asking the server: the current schema's own text, when
//! PostgreSQL would provably spell the declared fragment that way.
//!
//! Two shapes cover what users write most (`check = "qty >= 0"`, `default = "'{}'"`):
//!
//! - An expression `X` whose current spelling is `(X)` (a check, a generated
//!   expression, an index predicate). `(X)` parses to the same tree as `X` when `X`'s
//!   parentheses balance, and the current text is PostgreSQL's deparse of the stored
//!   tree, which parses back to that tree (what pg_dump relies on). So `X` *is* the
//!   stored expression, provided it is read in the same context: the same table
//!   columns with the same types, and the same schemas, extensions and enum labels.
//! - A default that is one string literal `'s'` whose current spelling is `'s'::T`,
//!   `T` being the column's (unchanged) type: PostgreSQL stored `T`'s input of `s`
//!   and printed it with `T`'s output, which gave `s` back; input(output(v)) = v, so
//!   `'s'` is the stored value.
//!
//! Anything else, or any doubt (dollar quotes, escape strings, unbalanced
//! parentheses, a changed column or enum), is left to the server. This only saves
//! round trips: at N=5000 the gen_schema checks and defaults cost 14 s of temporary
//! tables when nothing changed.

use super::{matching_column, CurrentTables};
use crate::schema::{Schema, Table};

/// Rewrites the fragments of `desired` that provably mean the current object into the
/// current spelling. Pure; fragments it does not rewrite are left for the server.
pub(super) fn adopt(desired: &mut Schema, current: &Schema) {
    // New schemas, extensions or enum labels change what a name or literal means.
    if !super::prerequisites::statements(desired, current).is_empty() {
        return;
    }
    let tables = CurrentTables::new(current);
    for table in &mut desired.tables {
        let Some(existing) = tables.matching(table) else {
            continue;
        };
        for column in &mut table.columns {
            let Some(now) = matching_column(column, existing) else {
                continue;
            };
            if column.ty != now.ty || column.serial || column.identity.is_some() {
                continue;
            }
            if let (Some(d), Some(c)) = (&column.default, &now.default) {
                if literal_spelled_as(d, &column.ty, c) {
                    column.default = Some(c.clone());
                }
            }
        }
        if !same_columns(table, existing) {
            continue;
        }
        for check in &mut table.checks {
            if let Some(c) = existing.checks.iter().find(|c| c.name == check.name) {
                if parenthesised_as(&check.expr, &c.expr) {
                    check.expr.clone_from(&c.expr);
                }
            }
        }
        for index in &mut table.indexes {
            let Some(i) = existing.indexes.iter().find(|i| i.name == index.name) else {
                continue;
            };
            if let (Some(d), Some(c)) = (&index.predicate, &i.predicate) {
                if parenthesised_as(d, c) {
                    index.predicate = Some(c.clone());
                }
            }
        }
        for column in &mut table.columns {
            let Some(now) = existing.column(&column.name) else {
                continue;
            };
            if let (Some(d), Some(c)) = (&column.generated, &now.generated) {
                if parenthesised_as(d, c) {
                    column.generated = Some(c.clone());
                }
            }
        }
    }
}

/// The same column names with the same types, in any order: the context an
/// expression of the table is parsed in.
fn same_columns(desired: &Table, current: &Table) -> bool {
    desired.columns.len() == current.columns.len()
        && desired.columns.iter().all(|d| {
            d.renamed_from.is_none()
                && current
                    .column(&d.name)
                    .is_some_and(|c| c.ty == d.ty && c.generated.is_some() == d.generated.is_some())
        })
}

/// `current == "(" + declared + ")"` and `declared`'s parentheses balance.
fn parenthesised_as(declared: &str, current: &str) -> bool {
    current.len() == declared.len() + 2
        && current.starts_with('(')
        && current.ends_with(')')
        && &current[1..current.len() - 1] == declared
        && balanced(declared)
}

/// Parentheses balance outside `'...'` and `"..."`; `None`-like `false` for what this
/// scanner does not understand (dollar quotes, escape strings, comments).
fn balanced(expr: &str) -> bool {
    if expr.contains('$') || expr.contains("--") || expr.contains("/*") {
        return false;
    }
    let mut depth: i64 = 0;
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for ch in expr.chars() {
        match quote {
            // A doubled quote closes and reopens: same result as staying inside.
            Some(q) if ch == q => quote = None,
            Some(_) => {}
            None => match ch {
                '\'' if matches!(prev, 'E' | 'e') => return false,
                '\'' | '"' => quote = Some(ch),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth < 0 {
                        return false;
                    }
                }
                _ => {}
            },
        }
        prev = ch;
    }
    depth == 0 && quote.is_none()
}

/// `declared` is one plain string literal and `current` is it cast to `ty`.
fn literal_spelled_as(declared: &str, ty: &str, current: &str) -> bool {
    plain_string_literal(declared)
        && current
            .strip_prefix(declared)
            .and_then(|rest| rest.strip_prefix("::"))
            == Some(ty)
}

/// `'...'` with only doubled quotes inside: no `E'...'`, no concatenation.
fn plain_string_literal(s: &str) -> bool {
    let Some(inner) = s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) else {
        return false;
    };
    !inner.contains('\\') && inner.replace("''", "").chars().all(|c| c != '\'')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{CheckConstraint, Column, EnumType, Index};

    fn col(name: &str, ty: &str, default: Option<&str>) -> Column {
        Column {
            nullable: true,
            default: default.map(String::from),
            ..Column::new(name, ty)
        }
    }

    fn table(columns: Vec<Column>, check: &str, predicate: &str) -> Table {
        Table {
            schema: "public".into(),
            name: "t".into(),
            columns,
            primary_key: None,
            uniques: vec![],
            indexes: vec![Index {
                name: "t_qty_idx".into(),
                keys: vec!["qty".into()],
                unique: false,
                method: "btree".into(),
                predicate: Some(predicate.into()),
                include: vec![],
                opclasses: vec![],
                orders: vec![],
            }],
            foreign_keys: vec![],
            checks: vec![CheckConstraint {
                name: "t_qty_check".into(),
                expr: check.into(),
            }],
            comment: None,
            renamed_from: None,
        }
    }

    fn schema(t: Table) -> Schema {
        Schema {
            schemas: vec!["public".into()],
            enums: vec![EnumType {
                schema: "public".into(),
                name: "mood".into(),
                labels: vec!["ok".into()],
                label_renames: vec![],
            }],
            tables: vec![t],
            ..Schema::default()
        }
    }

    fn current() -> Schema {
        schema(table(
            vec![
                col("qty", "integer", None),
                col("payload", "jsonb", Some("'{}'::jsonb")),
                col("m", "mood", Some("'ok'::mood")),
            ],
            "(qty >= 0)",
            "(qty > 1)",
        ))
    }

    fn declared(columns: Vec<Column>) -> Schema {
        schema(table(columns, "qty >= 0", "qty > 1"))
    }

    #[test]
    fn unchanged_tables_take_the_current_spellings() {
        let mut desired = declared(vec![
            col("qty", "integer", None),
            col("payload", "jsonb", Some("'{}'")),
            col("m", "mood", Some("'ok'")),
        ]);
        adopt(&mut desired, &current());
        assert_eq!(desired, current());
    }

    #[test]
    fn a_changed_column_type_leaves_expressions_to_the_server() {
        let mut desired = declared(vec![
            col("qty", "numeric", None),
            col("payload", "jsonb", Some("'{}'")),
            col("m", "mood", Some("'ok'")),
        ]);
        adopt(&mut desired, &current());
        let t = &desired.tables[0];
        assert_eq!(t.checks[0].expr, "qty >= 0");
        assert_eq!(t.indexes[0].predicate.as_deref(), Some("qty > 1"));
        // Defaults depend on their own column only.
        assert_eq!(t.columns[1].default.as_deref(), Some("'{}'::jsonb"));
    }

    #[test]
    fn changed_enum_labels_leave_everything_to_the_server() {
        let mut desired = declared(vec![
            col("qty", "integer", None),
            col("payload", "jsonb", Some("'{}'")),
            col("m", "mood", Some("'ok'")),
        ]);
        desired.enums[0].labels.push("sad".into());
        adopt(&mut desired, &current());
        assert_eq!(
            desired.tables[0].columns[2].default.as_deref(),
            Some("'ok'")
        );
        assert_eq!(desired.tables[0].checks[0].expr, "qty >= 0");
    }

    #[test]
    fn only_balanced_plain_expressions_count_as_parenthesised() {
        assert!(parenthesised_as("qty >= 0", "(qty >= 0)"));
        assert!(parenthesised_as("name <> ')'", "(name <> ')')"));
        assert!(!parenthesised_as("a > 0) OR (b > 0", "(a > 0) OR (b > 0)"));
        assert!(!parenthesised_as("x = $$a$$", "(x = $$a$$)"));
        assert!(!parenthesised_as("x = E'\\''", "(x = E'\\'')"));
        assert!(!parenthesised_as("x > 0 -- (", "(x > 0 -- ()"));
        assert!(!parenthesised_as("qty >= 0", "(qty >= 0::numeric)"));
    }

    #[test]
    fn only_a_single_literal_cast_to_the_column_type_counts() {
        assert!(literal_spelled_as("'{}'", "jsonb", "'{}'::jsonb"));
        assert!(literal_spelled_as("'it''s'", "text", "'it''s'::text"));
        assert!(!literal_spelled_as("'a'", "text", "'a'::text || 'b'::text"));
        assert!(!literal_spelled_as(
            "'a' || 'b'",
            "text",
            "'a' || 'b'::text"
        ));
        assert!(!literal_spelled_as(
            "'x'",
            "character varying(9)",
            "'x'::character varying"
        ));
        assert!(!literal_spelled_as("0", "integer", "0::integer"));
    }
}
