//! The enum types of a plan, and what a step's SQL may read of them.
//!
//! A label added by `ALTER TYPE ... ADD VALUE` cannot be used before its transaction
//! commits, so the plan must know which later steps read which labels. A step reads a
//! type's labels when it parses a constant of the type (a default, `'x'::status`, a
//! literal compared with a column of the type, an array literal `'{x}'`) or converts
//! values to it. Where the labels are known (a default that is one constant, as
//! PostgreSQL spells it: `'paid'::status`, `'{a,b}'::status[]`) only those count;
//! anything else counts as reading every label of the type.
use crate::schema::{Column, Schema, Table};

/// The enum types of a plan, spelled as a column's type spells them.
pub(super) struct EnumTypes {
    /// Of both sides.
    pub all: Vec<String>,
    /// The ones the plan re-creates.
    pub recreated: Vec<String>,
    /// (as a column's type spells it, its bare name) of both sides.
    names: Vec<(String, String)>,
}

/// What SQL may read of enum types.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Reads {
    /// Types any label of which may be read.
    any: Vec<String>,
    /// (type, label): labels known to be read.
    labels: Vec<(String, String)>,
}

impl Reads {
    fn any_of(&mut self, e: &str) {
        if !self.any.iter().any(|x| x == e) {
            self.any.push(e.to_string());
        }
    }

    fn label(&mut self, e: &str, label: &str) {
        if !self.labels.iter().any(|(x, l)| x == e && l == label) {
            self.labels.push((e.to_string(), label.to_string()));
        }
    }

    pub fn extend(&mut self, other: &Reads) {
        for e in &other.any {
            self.any_of(e);
        }
        for (e, l) in &other.labels {
            self.label(e, l);
        }
    }

    /// Whether label `label` of type `e` may be read.
    pub fn may_read(&self, e: &str, label: &str) -> bool {
        self.any.iter().any(|x| x == e) || self.labels.iter().any(|(x, l)| x == e && l == label)
    }
}

impl EnumTypes {
    pub fn new(desired: &Schema, current: &Schema, recreated: Vec<String>) -> Self {
        let mut names: Vec<(String, String)> = desired
            .enums
            .iter()
            .chain(&current.enums)
            .map(|e| (crate::sql::enum_name(e), e.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        EnumTypes {
            all: names.iter().map(|(sql, _)| sql.clone()).collect(),
            recreated,
            names,
        }
    }

    /// The enum type a column of type `ty` holds (itself, or as an array).
    pub fn of_type(&self, ty: &str) -> Option<&String> {
        let scalar = ty.strip_suffix("[]").unwrap_or(ty);
        self.all.iter().find(|e| *e == scalar)
    }

    /// What converting values to type `ty` reads: every label of its enum type.
    pub fn read_by_conversion(&self, ty: &str) -> Reads {
        let mut out = Reads::default();
        if let Some(e) = self.of_type(ty) {
            out.any_of(e);
        }
        out
    }

    /// What SQL `fragments` on `table` may read: every label of the type of a column
    /// they read, or of a type they name (`'x'::status`, `CAST(... AS status)`).
    pub fn read_by<'f>(
        &self,
        table: &Table,
        fragments: impl IntoIterator<Item = &'f str>,
    ) -> Reads {
        let mut out = Reads::default();
        for fragment in fragments {
            for c in &table.columns {
                if let Some(e) = self.of_type(&c.ty) {
                    if super::exprs::mentions(fragment, |name| name == c.name) {
                        out.any_of(e);
                    }
                }
            }
            let named = crate::lower::expr_columns::identifiers(fragment);
            for (sql, bare) in &self.names {
                if named.contains(bare) {
                    out.any_of(sql);
                }
            }
        }
        out
    }

    /// What a column's definition may read: the labels of its default (those it names
    /// when it is one constant of the column's type, else any of the type), and what
    /// its generated expression reads.
    pub fn read_by_column(&self, table: &Table, column: &Column) -> Reads {
        let mut out = self.read_by(table, column.generated.as_deref());
        let Some(default) = column.default.as_deref() else {
            return out;
        };
        match self.of_type(&column.ty) {
            Some(e) => match constant_labels(default, &column.ty) {
                Some(labels) => {
                    for l in labels {
                        out.label(e, &l);
                    }
                }
                None => out.any_of(e),
            },
            None => out.extend(&self.read_by(table, [default])),
        }
        out
    }

    /// What a whole table's definition may read: its columns, checks and indexes.
    pub fn read_by_table(&self, table: &Table) -> Reads {
        let mut out = Reads::default();
        for c in &table.columns {
            out.extend(&self.read_by_column(table, c));
        }
        let checks = table.checks.iter().map(|c| c.expr.as_str());
        let indexes = table
            .indexes
            .iter()
            .flat_map(|i| i.keys.iter().chain(&i.predicate).map(String::as_str));
        out.extend(&self.read_by(table, checks.chain(indexes)));
        out
    }
}

/// The labels of a default that is one constant of type `ty`, spelled as PostgreSQL
/// spells it (`'paid'::status`, `'{a,b}'::status[]`); None for anything else.
fn constant_labels(default: &str, ty: &str) -> Option<Vec<String>> {
    let literal = default.strip_suffix(&format!("::{ty}"))?;
    let text = literal.strip_prefix('\'')?.strip_suffix('\'')?;
    // A quote inside would end the literal: one constant has only doubled ones.
    if text.replace("''", "").contains('\'') {
        return None;
    }
    let text = text.replace("''", "'");
    if !ty.ends_with("[]") {
        return Some(vec![text]);
    }
    // `{a,b}`: elements without quotes, commas or backslashes only; otherwise unknown.
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    if inner.contains(['"', '\\', '{', '}']) {
        return None;
    }
    Some(
        inner
            .split(',')
            .filter(|l| !l.is_empty())
            .map(|l| l.trim().to_string())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_that_is_one_constant_names_its_labels() {
        assert_eq!(
            constant_labels("'paid'::status", "status"),
            Some(vec!["paid".to_string()])
        );
        assert_eq!(
            constant_labels("'it''s'::billing.\"Kind\"", "billing.\"Kind\""),
            Some(vec!["it's".to_string()])
        );
        assert_eq!(
            constant_labels("'{a,b}'::status[]", "status[]"),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(constant_labels("'{}'::status[]", "status[]"), Some(vec![]));
        // Declared, not spelled by PostgreSQL; or not one constant.
        assert_eq!(constant_labels("'paid'", "status"), None);
        assert_eq!(
            constant_labels("'a'::status || 'b'::status", "status"),
            None
        );
        assert_eq!(constant_labels("'{\"a b\"}'::status[]", "status[]"), None);
    }

    #[test]
    fn known_labels_and_any_label() {
        let mut r = Reads::default();
        r.label("status", "paid");
        assert!(r.may_read("status", "paid"));
        assert!(!r.may_read("status", "new"));
        r.any_of("status");
        assert!(r.may_read("status", "new"));
        assert!(!r.may_read("other", "new"));
    }
}
