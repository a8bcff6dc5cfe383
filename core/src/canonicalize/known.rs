//! Spellings known without asking the server: the current schema's own text, when
//! PostgreSQL would provably spell the declared fragment that way, and plain column
//! keys, which PostgreSQL spells by a rule.
//!
//! Three shapes cover what users write most (`check = "qty >= 0"`, `default = "'{}'"`,
//! `index(amount)`):
//!
//! - An expression `X` whose current spelling is `(X)` (a check, a generated
//!   expression, an index predicate), or `X` itself. `(X)` parses to the same tree as
//!   `X` when `X`'s parentheses balance, and the current text is PostgreSQL's deparse
//!   of the stored tree, which parses back to that tree (what pg_dump relies on). So
//!   `X` *is* the stored expression, provided it is read in the same context: the
//!   same schemas, extensions and enum labels, and the same columns *for the names it
//!   uses*. An expression reads only the columns it names (or the whole row, through
//!   the table's name), so every identifier of `X` (in any position: a function or
//!   type name that happens to be a column's is checked too) that names a column of
//!   either side must name one present on both with the same type and generated-ness
//!   and no rename to or from it, and none may name the table, by its new or old name.
//!   The rest of the table may change: an added column does not change what
//!   `qty >= 0` means. A generated expression is also cast to its own column's type,
//!   so that column counts as named.
//! - A default that is one string literal `'s'` whose current spelling is `'s'::T`,
//!   `T` being the column's (unchanged) type: PostgreSQL stored `T`'s input of `s`
//!   and printed it with `T`'s output, which gave `s` back; input(output(v)) = v, so
//!   `'s'` is the stored value.
//! - A btree index whose keys and INCLUDE columns are each one identifier naming a
//!   column of the desired table: PostgreSQL stores a column key by attribute number
//!   (a parenthesised bare column too) and introspection prints it with
//!   `quote_ident(attname)` (see `introspect::indexes`), which `names::quote_ident`
//!   mirrors. Only when nothing else needs the server: default operator classes on
//!   types known to have one, orders as the model spells them, and no predicate or a
//!   known one (above). Such an index needs no temporary table even when it is new;
//!   [`Known`] tells the object pass so.
//!
//! A default that means what the current one means (`now()` where the database says
//! `CURRENT_TIMESTAMP`, see `diff::defaults`) takes the current spelling too. Every
//! fragment re-spelled here keeps its declared text beside, to be written.
//!
//! Anything else, or any doubt (dollar quotes, escape strings, `U&` escapes,
//! comments, unbalanced parentheses, a changed column or enum, a name PostgreSQL
//! would truncate), is left to the server. This only saves round trips: at N=5000 the
//! gen_schema checks and defaults cost 14 s of temporary tables when nothing changed,
//! and with 10% of the tables changed the added and dropped columns and new indexes
//! cost ~170 temporary tables.

use super::{matching_column, CurrentTables};
use crate::diff::defaults;
use crate::lex::{self, balanced, Kind, StringPrefix, Token};
use crate::lower::expr_columns::identifiers;
use crate::names::{quote_ident, MAX_IDENTIFIER_BYTES};
use crate::schema::{Column, Index, Schema, Table};
use std::collections::HashSet;

/// What [`adopt`] settled beyond making text equal to the current text: the indexes
/// (by position in the desired schema) whose every spelling is now PostgreSQL's, so
/// the object pass has nothing to ask about them even when they are new.
#[derive(Debug, Default)]
pub(super) struct Known {
    indexes: HashSet<(usize, usize)>,
}

impl Known {
    /// Whether index `index` of `desired.tables[table]` is spelled already.
    pub(super) fn index(&self, table: usize, index: usize) -> bool {
        self.indexes.contains(&(table, index))
    }
}

/// Rewrites the fragments of `desired` that provably mean the current object into the
/// current spelling, and plain index keys into PostgreSQL's. Pure; fragments it does
/// not rewrite are left for the server.
pub(super) fn adopt(desired: &mut Schema, current: &Schema) -> Known {
    // New schemas, extensions or enum labels change what a name or literal means.
    let same_world = super::prerequisites::statements(desired, current).is_empty();
    let tables = CurrentTables::new(current);
    // Tables are independent: a large schema is split between two threads (this runs
    // after the catalog read, when the machine has a core to spare).
    let adopt_from = |first: usize, part: &mut [Table]| {
        let mut known = Known::default();
        for (i, table) in part.iter_mut().enumerate() {
            if let Some(existing) = tables.matching(table) {
                adopt_table(first + i, table, existing, same_world, &mut known);
            }
        }
        known
    };
    let half = desired.tables.len() / 2;
    if half < TABLES_PER_THREAD_AT_LEAST {
        return adopt_from(0, &mut desired.tables);
    }
    let (front, back) = desired.tables.split_at_mut(half);
    let (mut known, rest) = std::thread::scope(|scope| {
        let back = scope.spawn(|| adopt_from(half, back));
        let front = adopt_from(0, front);
        (front, back.join())
    });
    // A panic in pure code is a bug: let it surface as one.
    let rest = rest.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    known.indexes.extend(rest.indexes);
    known
}

/// Below this many tables a second thread costs more than it saves.
const TABLES_PER_THREAD_AT_LEAST: usize = 200;

/// [`adopt`] for `table` (at `ti` in the desired schema), described now by `existing`.
fn adopt_table(
    ti: usize,
    table: &mut Table,
    existing: &Table,
    same_world: bool,
    known: &mut Known,
) {
    adopt_defaults(table, existing, same_world);
    let Table {
        name,
        renamed_from,
        columns,
        checks,
        indexes,
        ..
    } = table;
    let cx = Context {
        desired: columns,
        current: existing,
        table_names: [
            Some(name.as_str()),
            renamed_from.as_deref(),
            Some(existing.name.as_str()),
        ],
    };
    if same_world {
        for check in checks.iter_mut() {
            if let Some(c) = existing.checks.iter().find(|c| c.name == check.name) {
                if known_as(&check.expr, &c.expr) && cx.reads_the_same(&check.expr) {
                    check.respell(c.expr.clone());
                }
            }
        }
    }
    for (k, index) in indexes.iter_mut().enumerate() {
        let same = existing.indexes.iter().find(|i| i.name == index.name);
        let predicate = match (&index.predicate, same.and_then(|i| i.predicate.as_ref())) {
            (None, _) => Some(None),
            (Some(d), Some(c)) if same_world && known_as(d, c) && cx.reads_the_same(d) => {
                Some(Some(c.clone()))
            }
            _ => None,
        };
        let Some(predicate) = predicate else {
            continue;
        };
        let keys = index.keys.clone();
        let include = index.include.clone();
        index.respell(keys, include, predicate);
        if let Some((keys, include)) = plain_keys(index, cx.desired) {
            let predicate = index.predicate.clone();
            index.respell(keys, include, predicate);
            known.indexes.insert((ti, k));
        }
    }
    let generated: Vec<(usize, String)> = if same_world {
        cx.desired
            .iter()
            .enumerate()
            .filter_map(|(k, column)| {
                let d = column.generated.as_deref()?;
                let c = existing.column(&column.name)?.generated.as_deref()?;
                (known_as(d, c) && cx.reads_the_same(d) && cx.stable(&column.name))
                    .then(|| (k, c.to_string()))
            })
            .collect()
    } else {
        Vec::new()
    };
    for (k, expr) in generated {
        if let Some(column) = columns.get_mut(k) {
            column.respell_generated(expr);
        }
    }
}

/// Defaults that are one literal already spelled the current way (see the module),
/// when the world is the same, and defaults that mean what the current one means
/// (`now()` for `CURRENT_TIMESTAMP`: see [`defaults`]), in any world: the clock does
/// not depend on schemas, extensions or enums.
fn adopt_defaults(table: &mut Table, existing: &Table, same_world: bool) {
    for column in &mut table.columns {
        let Some(now) = matching_column(column, existing) else {
            continue;
        };
        if column.ty != now.ty || column.serial || column.identity.is_some() {
            continue;
        }
        if let (Some(d), Some(c)) = (&column.default, &now.default) {
            if d != c
                && ((same_world && literal_spelled_as(d, &column.ty, c))
                    || defaults::equivalent(d, c, &column.ty))
            {
                column.respell_default(Some(c.clone()));
            }
        }
    }
}

/// [`adopt_defaults`]' equivalences again, once the server has spelled the defaults
/// and types it was sent: `NOW()` in a column declared `timestamptz` is only known to
/// mean the current `CURRENT_TIMESTAMP` once the type reads `timestamp with time zone`.
pub(super) fn adopt_equivalent_defaults(desired: &mut Schema, current: &Schema) {
    let tables = CurrentTables::new(current);
    for table in &mut desired.tables {
        if let Some(existing) = tables.matching(table) {
            adopt_defaults(table, existing, false);
        }
    }
}

/// What an expression of a table is read against: its columns on both sides and its
/// names.
struct Context<'a> {
    desired: &'a [Column],
    current: &'a Table,
    /// The desired name, the declared old name and the current name: an identifier
    /// spelled so may be a whole-row reference (or the table's row type).
    table_names: [Option<&'a str>; 3],
}

impl Context<'_> {
    /// Whether `expr` means on the desired table what it means on the current one:
    /// no identifier names the table, and each that names a column on either side
    /// names a [`stable`](Self::stable) one.
    fn reads_the_same(&self, expr: &str) -> bool {
        !unsure(expr)
            && identifiers(expr).iter().all(|n| {
                !self.table_names.contains(&Some(n.as_str()))
                    && (!self.names_a_column(n) || self.stable(n))
            })
    }

    fn names_a_column(&self, name: &str) -> bool {
        self.desired.iter().any(|c| c.name == name) || self.current.column(name).is_some()
    }

    /// Column `name` is on both sides with the same type and generated-ness, and no
    /// rename leads to or from it.
    fn stable(&self, name: &str) -> bool {
        let (Some(d), Some(c)) = (
            self.desired.iter().find(|c| c.name == name),
            self.current.column(name),
        ) else {
            return false;
        };
        d.ty == c.ty
            && d.generated.is_some() == c.generated.is_some()
            && d.renamed_from.is_none()
            && !self
                .desired
                .iter()
                .any(|o| o.renamed_from.as_deref() == Some(name))
    }
}

/// What strata does not read the way PostgreSQL would, or cannot compare: anything
/// PostgreSQL's lexer refuses, an identifier it gives no name for or would cut to 63
/// bytes, unbalanced parentheses, and comments (never in PostgreSQL's own spelling,
/// and a `--` one would swallow the `)` of `(X)`).
pub(super) fn unsure(expr: &str) -> bool {
    !balanced(expr)
        || lex::tokens(expr).any(|t| {
            t.is_comment()
                || (t.is_ident()
                    && !matches!(lex::ident::uncut_ident_name(&t, expr),
                        Some(n) if n.len() <= MAX_IDENTIFIER_BYTES))
        })
}

/// `declared` is `current` or `current` without its outer parentheses, and nothing in
/// it is [`unsure`].
fn known_as(declared: &str, current: &str) -> bool {
    !unsure(declared) && (declared == current || parenthesised_as(declared, current))
}

/// PostgreSQL's `INDEX_MAX_KEYS`: keys and INCLUDE columns together.
const INDEX_MAX_KEYS: usize = 32;

/// Key orders as the model (and the read-back) spells them; `""` is the default.
const ORDERS: &[&str] = &["", "DESC", "DESC NULLS LAST", "NULLS FIRST"];

/// The keys and INCLUDE columns of `index` spelled as PostgreSQL prints them, when
/// each is one identifier naming a column of `columns` and nothing else about the
/// index needs the server: a btree index, default operator classes on key types that
/// have one, orders in the model's spelling (PostgreSQL's defaults left out). `None`
/// otherwise (the server then spells it, or says what is wrong).
fn plain_keys(index: &Index, columns: &[Column]) -> Option<(Vec<String>, Vec<String>)> {
    let orders_spelled = index.orders.is_empty()
        || (index.orders.len() == index.keys.len()
            && index.orders.iter().all(|o| ORDERS.contains(&o.as_str()))
            && index.orders.iter().any(|o| !o.is_empty()));
    if index.method != "btree"
        || !index.opclasses.is_empty()
        || !index.collations.is_empty()
        || !orders_spelled
        || index.keys.is_empty()
        || index.keys.len() + index.include.len() > INDEX_MAX_KEYS
    {
        return None;
    }
    let spelled = |c: &Column| quote_ident(&c.name).into_owned();
    let keys = index
        .keys
        .iter()
        .map(|k| {
            plain_column(k, columns)
                .filter(|c| has_default_btree_opclass(&c.ty))
                .map(spelled)
        })
        .collect::<Option<Vec<String>>>()?;
    let include = index
        .include
        .iter()
        .map(|k| plain_column(k, columns).map(spelled))
        .collect::<Option<Vec<String>>>()?;
    Some((keys, include))
}

/// The column of `columns` that `key` names when it is one identifier.
fn plain_column<'c>(key: &str, columns: &'c [Column]) -> Option<&'c Column> {
    let name = identifier(key)?;
    columns.iter().find(|c| c.name == name)
}

/// The name `text` denotes when it is one identifier: a quoted one, or a bare ASCII
/// word that, folded to lower case, needs no quotes (so no keyword PostgreSQL would
/// refuse as a key). `None` for anything else, and for names PostgreSQL would
/// truncate.
fn identifier(text: &str) -> Option<String> {
    let mut tokens = lex::tokens(text);
    let token = tokens.next()?;
    if tokens.next().is_some() {
        return None;
    }
    let name = lex::ident::uncut_ident_name(&token, text)?;
    if token.kind == Kind::Ident && (!text.is_ascii() || quote_ident(&name) != name) {
        return None;
    }
    (name.len() <= MAX_IDENTIFIER_BYTES).then(|| name.into_owned())
}

/// Built-in types with a default btree operator class (`pg_opclass`, PostgreSQL 15),
/// as users and `format_type` spell them, type modifiers left out. Anything else
/// (arrays, enums, domains, `json`, extension types) goes to the server, which says
/// when a type has none. Sorted, for binary search.
const BTREE_TYPES: &[&str] = &[
    "bigint",
    "bit",
    "bit varying",
    "bool",
    "boolean",
    "bpchar",
    "bytea",
    "char",
    "character",
    "character varying",
    "cidr",
    "date",
    "decimal",
    "double precision",
    "float",
    "float4",
    "float8",
    "inet",
    "int",
    "int2",
    "int4",
    "int8",
    "integer",
    "interval",
    "jsonb",
    "macaddr",
    "macaddr8",
    "money",
    "numeric",
    "oid",
    "real",
    "smallint",
    "text",
    "time",
    "time with time zone",
    "time without time zone",
    "timestamp",
    "timestamp with time zone",
    "timestamp without time zone",
    "timestamptz",
    "timetz",
    "uuid",
    "varbit",
    "varchar",
];

/// Whether `ty` is one of [`BTREE_TYPES`], whatever its modifiers (`numeric(12,2)`,
/// `timestamp(3) with time zone`), case and spacing.
fn has_default_btree_opclass(ty: &str) -> bool {
    let mut base = String::with_capacity(ty.len());
    let mut depth = 0usize;
    for ch in ty.chars() {
        match ch {
            '(' => depth += 1,
            ')' => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            _ if depth == 0 => base.push(ch.to_ascii_lowercase()),
            _ => {}
        }
    }
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    depth == 0 && BTREE_TYPES.binary_search(&base.as_str()).is_ok()
}

/// `current == "(" + declared + ")"`, and `declared` is not [`unsure`] (so its
/// parentheses balance and no comment swallows the closing one).
fn parenthesised_as(declared: &str, current: &str) -> bool {
    current.len() == declared.len() + 2
        && current.starts_with('(')
        && current.ends_with(')')
        && &current[1..current.len() - 1] == declared
        && !unsure(declared)
}

/// `declared` is one plain string literal and `current` is it cast to `ty`.
fn literal_spelled_as(declared: &str, ty: &str, current: &str) -> bool {
    plain_string_literal(declared)
        && current
            .strip_prefix(declared)
            .and_then(|rest| rest.strip_prefix("::"))
            == Some(ty)
}

/// One `'...'` string constant, without a prefix (`E'...'`, `U&'...'`) or a
/// backslash (which `standard_conforming_strings = off` would read differently).
fn plain_string_literal(s: &str) -> bool {
    let mut tokens = lex::tokens(s);
    matches!(
        (tokens.next(), tokens.next()),
        (
            Some(Token {
                kind: Kind::String {
                    prefix: StringPrefix::None,
                    terminated: true,
                },
                ..
            }),
            None
        )
    ) && !s.contains('\\')
}

#[cfg(test)]
mod tests {
    use super::super::{columns, objects};
    use super::*;
    use crate::schema::{CheckConstraint, EnumType};

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
                collations: vec![],
                nulls_not_distinct: false,
                written: Default::default(),
            }],
            foreign_keys: vec![],
            checks: vec![CheckConstraint {
                name: "t_qty_check".into(),
                expr: check.into(),
                not_valid: false,
                written: Default::default(),
            }],
            comment: None,
            renamed_from: None,
            ..Default::default()
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

    /// Enough tables for two threads, every other one changed: each half is spelled
    /// exactly as alone, and the known indexes keep their positions in the schema.
    #[test]
    fn a_large_schema_split_between_threads_is_adopted_table_by_table() {
        let n = 2 * TABLES_PER_THREAD_AT_LEAST + 3;
        let named = |t: Table, i: usize| Table {
            name: format!("t{i}"),
            ..t
        };
        let current = Schema {
            tables: (0..n)
                .map(|i| named(current().tables.remove(0), i))
                .collect(),
            ..current()
        };
        let mut desired = Schema {
            tables: (0..n)
                .map(|i| {
                    let qty = if i % 2 == 0 { "integer" } else { "numeric" };
                    let columns = vec![
                        col("qty", qty, None),
                        col("payload", "jsonb", Some("'{}'")),
                        col("m", "mood", Some("'ok'")),
                    ];
                    named(declared(columns).tables.remove(0), i)
                })
                .collect(),
            ..current.clone()
        };
        let known = adopt(&mut desired, &current);
        for (i, (d, c)) in desired.tables.iter().zip(&current.tables).enumerate() {
            if i % 2 == 0 {
                assert_eq!(d, c, "table {i}");
            } else {
                assert_eq!(d.checks[0].expr, "qty >= 0", "table {i}");
            }
            // The plain key is spelled either way; the predicate only when unchanged.
            assert_eq!(known.index(i, 0), i % 2 == 0, "table {i}");
        }
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
        // The lexer reads dollar quotes and escape strings: a `)` inside is no paren.
        assert!(parenthesised_as("x = $$a$$", "(x = $$a$$)"));
        assert!(parenthesised_as("x = E'\\')'", "(x = E'\\')')"));
        assert!(!parenthesised_as("x = E'\\')", "(x = E'\\'))"));
        // A comment would swallow the `)`; PostgreSQL never prints one anyway.
        assert!(!parenthesised_as("x > 0 -- (", "(x > 0 -- ()"));
        assert!(!parenthesised_as("x > 0 /* ( */", "(x > 0 /* ( */)"));
        assert!(!parenthesised_as("x > 'open", "(x > 'open)"));
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

    // -----------------------------------------------------------------------------
    // Expressions: per-expression context.

    fn unchanged_columns() -> Vec<Column> {
        vec![
            col("qty", "integer", None),
            col("payload", "jsonb", Some("'{}'")),
            col("m", "mood", Some("'ok'")),
        ]
    }

    /// Whether the check and the index predicate of `desired` took the current text.
    fn adopted(mut desired: Schema) -> (bool, bool) {
        adopt(&mut desired, &current());
        let t = &desired.tables[0];
        (
            t.checks[0].expr == "(qty >= 0)",
            t.indexes[0].predicate.as_deref() == Some("(qty > 1)"),
        )
    }

    #[test]
    fn columns_an_expression_does_not_name_may_come_go_or_change() {
        let mut added = unchanged_columns();
        added.push(col("extra_note", "text", None));
        assert_eq!(adopted(declared(added)), (true, true));

        let mut dropped = unchanged_columns();
        dropped.remove(1);
        assert_eq!(adopted(declared(dropped)), (true, true));

        let mut retyped = unchanged_columns();
        retyped[1].ty = "json".into();
        assert_eq!(adopted(declared(retyped)), (true, true));

        let mut renamed = unchanged_columns();
        renamed[1].renamed_from = Some("payload".into());
        renamed[1].name = "body".into();
        assert_eq!(adopted(declared(renamed)), (true, true));
    }

    #[test]
    fn a_named_column_retyped_or_made_generated_leaves_expressions_to_the_server() {
        let mut retyped = unchanged_columns();
        retyped[0].ty = "bigint".into();
        retyped.push(col("extra_note", "text", None));
        assert_eq!(adopted(declared(retyped)), (false, false));

        let mut generated = unchanged_columns();
        generated[0].generated = Some("1".into());
        assert_eq!(adopted(declared(generated)), (false, false));
    }

    #[test]
    fn a_named_column_renamed_either_way_leaves_expressions_to_the_server() {
        // `qty` is a new name for another column: not the `qty` the text was read with.
        let mut to = unchanged_columns();
        to[0].renamed_from = Some("amount".into());
        assert_eq!(adopted(declared(to)), (false, false));

        // `qty` was renamed away and a new `qty` takes its name.
        let mut away = unchanged_columns();
        away.push(Column {
            renamed_from: Some("qty".into()),
            ..col("quantity", "integer", None)
        });
        assert_eq!(adopted(declared(away)), (false, false));

        // `qty` dropped: the server says it does not exist.
        let mut dropped = unchanged_columns();
        dropped.remove(0);
        assert_eq!(adopted(declared(dropped)), (false, false));
    }

    /// `current` and `desired` with one check each, `desired`'s `extra` columns added:
    /// whether the declared check took the current text.
    fn check_adopted(columns: Vec<Column>, extra: Vec<Column>, now: &str, declared: &str) -> bool {
        let current = schema(table(columns.clone(), now, "(qty > 1)"));
        let mut desired = schema(table([columns, extra].concat(), declared, "qty > 1"));
        adopt(&mut desired, &current);
        desired.tables[0].checks[0].expr == now
    }

    #[test]
    fn a_whole_row_reference_leaves_the_expression_to_the_server() {
        let cols = unchanged_columns;
        let extra = || vec![col("extra_note", "text", None)];
        // The same row type before and after would be fine, but an added column
        // changes it: any name of the table sends the expression.
        assert!(!check_adopted(
            cols(),
            extra(),
            "(t IS NOT NULL)",
            "t IS NOT NULL"
        ));
        assert!(!check_adopted(
            cols(),
            vec![],
            "(t IS NOT NULL)",
            "t IS NOT NULL"
        ));
        assert!(!check_adopted(
            cols(),
            extra(),
            "(t.qty >= 0)",
            "t.qty >= 0"
        ));
        // Its old name too, on a renamed table.
        let current = schema(table(cols(), "(row_to_json(t.*) IS NOT NULL)", "(qty > 1)"));
        let mut renamed = table(
            [cols(), extra()].concat(),
            "row_to_json(t.*) IS NOT NULL",
            "qty > 1",
        );
        renamed.renamed_from = Some("t".into());
        renamed.name = "u".into();
        let mut desired = schema(renamed);
        adopt(&mut desired, &current);
        assert_eq!(
            desired.tables[0].checks[0].expr,
            "row_to_json(t.*) IS NOT NULL"
        );
        // The predicate names `qty` only: adopted on the renamed table.
        assert_eq!(
            desired.tables[0].indexes[0].predicate.as_deref(),
            Some("(qty > 1)")
        );
    }

    #[test]
    fn names_count_in_any_position_and_doubtful_text_goes_to_the_server() {
        let cols = || vec![col("qty", "integer", None), col("name", "text", None)];
        let adds = |c: Column| vec![c];
        // A function, a type or a keyword that is also the name of a changed column.
        assert!(check_adopted(
            cols(),
            adds(col("extra_note", "text", None)),
            "(length(name) > qty)",
            "length(name) > qty"
        ));
        assert!(!check_adopted(
            cols(),
            adds(col("length", "integer", None)),
            "(length(name) > qty)",
            "length(name) > qty"
        ));
        assert!(!check_adopted(
            cols(),
            adds(col("text", "integer", None)),
            "((name)::text <> ''::text)",
            "(name)::text <> ''::text"
        ));
        // Quoted names are the names they spell.
        let odd = || vec![col("Qty", "integer", None), col("qty", "text", None)];
        assert!(check_adopted(
            odd(),
            adds(col("extra_note", "text", None)),
            "(\"Qty\" >= 0)",
            "\"Qty\" >= 0"
        ));
        let mut retyped = odd();
        retyped[0].ty = "bigint".into();
        let current = schema(table(odd(), "(\"Qty\" >= 0)", "(qty > 1)"));
        let mut desired = schema(table(retyped, "\"Qty\" >= 0", "qty > 1"));
        adopt(&mut desired, &current);
        assert_eq!(desired.tables[0].checks[0].expr, "\"Qty\" >= 0");
        // Unicode escapes are read as the names they spell (`qty`, which changed
        // here), invalid ones and names PostgreSQL would truncate are not read.
        assert!(check_adopted(
            cols(),
            vec![],
            "(U&\"q\\0074y\" >= 0)",
            "U&\"q\\0074y\" >= 0"
        ));
        let mut retyped = cols();
        retyped[0].ty = "bigint".into();
        let current = schema(table(cols(), "(U&\"q\\0074y\" >= 0)", "(qty > 1)"));
        let mut desired = schema(table(retyped, "U&\"q\\0074y\" >= 0", "qty > 1"));
        adopt(&mut desired, &current);
        assert_eq!(desired.tables[0].checks[0].expr, "U&\"q\\0074y\" >= 0");
        assert!(!check_adopted(
            cols(),
            vec![],
            "(U&\"q\\00y\" >= 0)",
            "U&\"q\\00y\" >= 0"
        ));
        let long = "q".repeat(64);
        assert!(!check_adopted(
            cols(),
            vec![],
            &format!("({long} >= 0)"),
            &format!("{long} >= 0")
        ));
    }

    fn generated_table(total_ty: &str, qty_ty: &str, expr: &str) -> Table {
        let mut total = col("total", total_ty, None);
        total.generated = Some(expr.into());
        let columns = vec![
            col("price", "numeric", None),
            col("qty", qty_ty, None),
            total,
        ];
        table(columns, "(qty >= 0)", "(qty > 1)")
    }

    #[test]
    fn a_generated_expression_needs_its_own_column_unchanged_too() {
        let now = "(price * (qty)::numeric)";
        let current = schema(generated_table("numeric", "integer", now));
        let spelled = |mut t: Table| {
            t.columns.push(col("extra_note", "text", None));
            let mut desired = schema(t);
            adopt(&mut desired, &current);
            desired.tables[0].columns[2].generated.clone()
        };
        let declared = "price * (qty)::numeric";
        assert_eq!(
            spelled(generated_table("numeric", "integer", declared)).as_deref(),
            Some(now)
        );
        // Its own type: the expression is cast to it.
        assert_eq!(
            spelled(generated_table("bigint", "integer", declared)).as_deref(),
            Some(declared)
        );
        // A column it reads.
        assert_eq!(
            spelled(generated_table("numeric", "bigint", declared)).as_deref(),
            Some(declared)
        );
    }

    // -----------------------------------------------------------------------------
    // Plain index keys.

    fn idx(name: &str, keys: &[&str], include: &[&str], predicate: Option<&str>) -> Index {
        Index {
            name: name.into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            unique: false,
            method: "btree".into(),
            predicate: predicate.map(String::from),
            include: include.iter().map(|k| k.to_string()).collect(),
            opclasses: vec![],
            orders: vec![],
            collations: vec![],
            nulls_not_distinct: false,
            written: Default::default(),
        }
    }

    fn tricky_columns() -> Vec<Column> {
        vec![
            col("amount", "numeric(12,2)", None),
            col("Order", "integer", None),
            col("order", "text", None),
            col("user", "timestamp(3) with time zone", None),
            col("a b", "uuid", None),
            col("x\"y", "bigint", None),
            col("doc", "json", None),
            col("tags", "text[]", None),
            col("m", "mood", None),
        ]
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plain_column_keys_are_spelled_as_quote_ident_of_the_column() {
        let index = idx(
            "i",
            &[
                "amount",
                "AMOUNT",
                "\"amount\"",
                "\"Order\"",
                "\"order\"",
                "\"user\"",
                "\"a b\"",
                "\"x\"\"y\"",
            ],
            &["doc", "tags", "\"m\""],
            None,
        );
        assert_eq!(
            plain_keys(&index, &tricky_columns()),
            Some((
                strings(&[
                    "amount",
                    "amount",
                    "amount",
                    "\"Order\"",
                    "\"order\"",
                    "\"user\"",
                    "\"a b\"",
                    "\"x\"\"y\""
                ]),
                strings(&["doc", "tags", "m"])
            ))
        );
        // Orders as the model spells them are what PostgreSQL reads back.
        let ordered = Index {
            orders: strings(&["DESC", "", "NULLS FIRST"]),
            ..idx("i", &["amount", "\"Order\"", "\"user\""], &[], None)
        };
        assert!(plain_keys(&ordered, &tricky_columns()).is_some());
    }

    #[test]
    fn anything_but_a_plain_key_on_a_btree_default_opclass_goes_to_the_server() {
        let cols = tricky_columns();
        for key in [
            "Order",        // folds to the keyword `order`: PostgreSQL refuses it bare
            "order",        // same
            "USER",         // same
            "lower(order)", // an expression
            "(amount)",     // the server knows best
            "missing",      // no such column: the server says so
            "\"Amount\"",   // quoted names are case sensitive
            "\"amount\" ",  // not one identifier
            "\"a\" \"b\"",
            "\"x\"y\"",
            "\"\"",
            "",
            "doc",  // json: no default btree operator class
            "tags", // arrays: left to the server
            "m",    // enums: left to the server
        ] {
            let index = idx("i", &[key], &[], None);
            assert_eq!(plain_keys(&index, &cols), None, "{key}");
        }
        assert_eq!(
            plain_keys(&idx("i", &["amount"], &["missing"], None), &cols),
            None
        );
        let base = || idx("i", &["amount"], &[], None);
        for index in [
            Index {
                opclasses: strings(&["numeric_ops"]),
                ..base()
            },
            Index {
                method: "hash".into(),
                ..base()
            },
            Index {
                orders: strings(&["desc"]),
                ..base()
            },
            Index {
                orders: strings(&[""]),
                ..base()
            },
            Index {
                keys: vec!["amount".into(); 33],
                ..base()
            },
        ] {
            assert_eq!(plain_keys(&index, &cols), None, "{index:?}");
        }
    }

    #[test]
    fn btree_types_are_sorted_and_read_without_modifiers() {
        assert!(BTREE_TYPES.windows(2).all(|w| w[0] < w[1]));
        for ty in [
            "numeric(12,2)",
            "NUMERIC (12, 2)",
            "character varying(320)",
            "timestamp(3) with time zone",
            "timestamptz(3)",
            "text",
            "uuid",
        ] {
            assert!(has_default_btree_opclass(ty), "{ty}");
        }
        for ty in [
            "json",
            "text[]",
            "\"char\"",
            "public.text",
            "mood",
            "interval day",
            "numeric(12",
            "numeric)12(",
        ] {
            assert!(!has_default_btree_opclass(ty), "{ty}");
        }
    }

    /// One table `t{n}` with `qty`, `amount`, `updated_at`, the check on `qty` and the
    /// partial index on it, as read back.
    fn read_back(n: usize) -> Table {
        let mut t = table(
            vec![
                col("qty", "integer", None),
                col("amount", "numeric(12,2)", None),
                col("updated_at", "timestamp with time zone", None),
            ],
            "(qty >= 0)",
            "(qty > 1)",
        );
        t.name = format!("t{n}");
        t
    }

    #[test]
    fn new_and_changed_plain_indexes_are_known_with_a_known_predicate_only() {
        let current = schema(read_back(0));
        let mut t = read_back(0);
        t.columns.push(col("extra_note", "text", None));
        t.checks[0].expr = "qty >= 0".into();
        // Changed keys, predicate as declared; new plain index; new partial index.
        t.indexes = vec![
            idx("t_qty_idx", &["qty", "\"amount\""], &[], Some("qty > 1")),
            idx("t_amount_idx", &["amount"], &["extra_note"], None),
            idx("t_amount_where_idx", &["amount"], &[], Some("qty > 1")),
        ];
        let mut desired = schema(t);
        let known = adopt(&mut desired, &current);
        let t = &desired.tables[0];
        assert_eq!(t.checks[0].expr, "(qty >= 0)");
        assert_eq!(
            (t.indexes[0].keys.clone(), t.indexes[0].predicate.as_deref()),
            (strings(&["qty", "amount"]), Some("(qty > 1)"))
        );
        assert!(known.index(0, 0) && known.index(0, 1));
        // Nothing current to compare the new predicate with: the server spells it.
        assert!(!known.index(0, 2));
        assert_eq!(t.indexes[2].predicate.as_deref(), Some("qty > 1"));
        assert_eq!(
            objects::work(&desired, &current, &known),
            [objects::TableWork {
                table: 0,
                checks: vec![],
                indexes: vec![2],
                generated: vec![],
                // `extra_note` is new: it gets an ALTER of its own.
                settled: vec![0, 1, 2],
                ..Default::default()
            }]
        );

        // The predicate names a retyped column: the whole index goes to the server.
        let mut t = read_back(0);
        t.columns[0].ty = "bigint".into();
        t.indexes = vec![idx("t_qty_idx", &["amount"], &[], Some("qty > 1"))];
        let mut desired = schema(t);
        let known = adopt(&mut desired, &current);
        assert!(!known.index(0, 0));
        assert_eq!(desired.tables[0].indexes[0].keys, ["amount"]);
    }

    #[test]
    fn a_hundred_tables_with_an_added_column_a_kept_check_and_a_new_index_send_nothing() {
        let current = Schema {
            tables: (0..100).map(read_back).collect(),
            ..schema(read_back(0))
        };
        let mut desired = current.clone();
        for t in &mut desired.tables {
            t.columns.push(col("extra_note", "text", None));
            t.checks[0].expr = "qty >= 0".into();
            t.indexes[0].predicate = Some("qty > 1".into());
            let name = format!("{}_amount_idx", t.name);
            t.indexes.push(idx(&name, &["amount"], &[], None));
        }
        // Without this module, every table would get a temporary copy.
        let untouched = desired.clone();
        assert_eq!(
            objects::work(&untouched, &current, &Known::default()).len(),
            100
        );

        let known = adopt(&mut desired, &current);
        assert_eq!(objects::work(&desired, &current, &known), []);
        assert_eq!(columns::candidates(&desired, &current), []);
        // Only spellings changed.
        for (d, u) in desired.tables.iter().zip(&untouched.tables) {
            assert_eq!(d.checks[0].expr, "(qty >= 0)");
            assert_eq!(d.indexes[1], u.indexes[1]);
        }
    }
}
