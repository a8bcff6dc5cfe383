//! PostgreSQL's own naming: default constraint and index names, its 63-byte truncation
//! and its numbering of collisions, and identifier quoting (`quote_ident`, from
//! `crate::lex::keywords`, which follows the keywords of the server strata talks to).
//!
//! Everything here mirrors the backend's C code so that a database built by hand (or by
//! another tool) gets exactly the names strata computes, and a diff never sees a
//! spurious rename: `quote_identifier` (utils/adt/ruleutils.c), `makeObjectName` and
//! `ChooseRelationName` (commands/indexcmds.c), `ChooseIndexName` /
//! `ChooseIndexNameAddition`, `ChooseConstraintName` (catalog/pg_constraint.c) and
//! `ChooseForeignKeyConstraintNameAddition` (commands/tablecmds.c).

use crate::lex::ident::clip;
use crate::lex::{self, Kind, Token};
use crate::schema::Schema;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

pub use crate::lex::keywords::quote_ident;
pub use crate::lex::MAX_IDENTIFIER_BYTES;

/// `schema.name`, each part quoted; the schema is left out when it is `public`, the
/// schema every search path starts with.
pub fn qualified(schema: &str, name: &str) -> String {
    if schema == "public" {
        quote_ident(name).into_owned()
    } else {
        format!("{}.{}", quote_ident(schema), quote_ident(name))
    }
}

/// The types of `pg_catalog` (PostgreSQL 15) whose names do not start with `pg_` or
/// `_`: base, pseudo, range and multirange types. `pg_catalog` is searched before
/// `public`, so a type of `public` with one of these names is not "visible" and
/// `format_type` qualifies it. Sorted, for binary search.
const PG_CATALOG_TYPES: &[&str] = &[
    "aclitem",
    "any",
    "anyarray",
    "anycompatible",
    "anycompatiblearray",
    "anycompatiblemultirange",
    "anycompatiblenonarray",
    "anycompatiblerange",
    "anyelement",
    "anyenum",
    "anymultirange",
    "anynonarray",
    "anyrange",
    "bit",
    "bool",
    "box",
    "bpchar",
    "bytea",
    "char",
    "cid",
    "cidr",
    "circle",
    "cstring",
    "date",
    "datemultirange",
    "daterange",
    "event_trigger",
    "fdw_handler",
    "float4",
    "float8",
    "gtsvector",
    "index_am_handler",
    "inet",
    "int2",
    "int2vector",
    "int4",
    "int4multirange",
    "int4range",
    "int8",
    "int8multirange",
    "int8range",
    "internal",
    "interval",
    "json",
    "jsonb",
    "jsonpath",
    "language_handler",
    "line",
    "lseg",
    "macaddr",
    "macaddr8",
    "money",
    "name",
    "numeric",
    "nummultirange",
    "numrange",
    "oid",
    "oidvector",
    "path",
    "point",
    "polygon",
    "record",
    "refcursor",
    "regclass",
    "regcollation",
    "regconfig",
    "regdictionary",
    "regnamespace",
    "regoper",
    "regoperator",
    "regproc",
    "regprocedure",
    "regrole",
    "regtype",
    "table_am_handler",
    "text",
    "tid",
    "time",
    "timestamp",
    "timestamptz",
    "timetz",
    "trigger",
    "tsm_handler",
    "tsmultirange",
    "tsquery",
    "tsrange",
    "tstzmultirange",
    "tstzrange",
    "tsvector",
    "txid_snapshot",
    "unknown",
    "uuid",
    "varbit",
    "varchar",
    "void",
    "xid",
    "xid8",
    "xml",
];

/// Whether `pg_catalog` has a type of this name (one of [`PG_CATALOG_TYPES`], or any
/// `pg_` name: catalog row types and the like, which strata does not list one by one).
pub fn is_pg_catalog_type_name(name: &str) -> bool {
    name.starts_with("pg_") || PG_CATALOG_TYPES.binary_search(&name).is_ok()
}

/// A user-defined type (an enum) as `format_type` prints it with `search_path =
/// public`: bare when it lives in `public` and no `pg_catalog` type hides it, else
/// `schema.name`; each part quoted like `quote_ident`.
pub fn qualified_type(schema: &str, name: &str) -> String {
    if schema == "public" && !is_pg_catalog_type_name(name) {
        quote_ident(name).into_owned()
    } else {
        format!("{}.{}", quote_ident(schema), quote_ident(name))
    }
}

/// PostgreSQL's `makeObjectName`: `name1[_name2][_label]`, shortening the longer of
/// `name1`/`name2` one byte at a time (name2 on a tie) until the whole fits in 63
/// bytes, then clipping each part back to a character boundary. The label is never cut.
pub fn make_object_name(name1: &str, name2: Option<&str>, label: Option<&str>) -> String {
    let mut overhead = 0;
    let mut name1_len = name1.len();
    let mut name2_len = 0;
    if let Some(n2) = name2 {
        name2_len = n2.len();
        overhead += 1;
    }
    if let Some(l) = label {
        overhead += l.len() + 1;
    }
    let available = MAX_IDENTIFIER_BYTES.saturating_sub(overhead);
    while name1_len + name2_len > available {
        if name1_len > name2_len {
            name1_len -= 1;
        } else {
            name2_len -= 1;
        }
    }
    let mut out = String::with_capacity(MAX_IDENTIFIER_BYTES);
    out.push_str(clip(name1, name1_len));
    if let Some(n2) = name2 {
        out.push('_');
        out.push_str(clip(n2, name2_len));
    }
    if let Some(l) = label {
        out.push('_');
        out.push_str(l);
    }
    out
}

/// `ChooseIndexNameAddition` / `ChooseForeignKeyConstraintNameAddition`: the column
/// names joined by `_`, stopping once the text reaches 64 bytes (it is truncated
/// later by [`make_object_name`] anyway).
pub fn columns_addition<S: AsRef<str>>(columns: &[S]) -> String {
    let mut out = String::new();
    for c in columns {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(clip(c.as_ref(), MAX_IDENTIFIER_BYTES));
        if out.len() > MAX_IDENTIFIER_BYTES {
            break;
        }
    }
    out
}

/// The name PostgreSQL gives an index key (`FigureIndexColname`, parse_target.c): a
/// column's name for a column (`email`, `(Email)`, `t.email`), the function's name for
/// a function call (`lower(email)`, `pg_catalog.lower(email)`, `"Lower"(email)`; `trim`
/// is `btrim`, `ltrim` or `rtrim` as the grammar rewrites it), either of those through
/// parentheses and casts, the type's name for a cast of anything else (`(a || b)::text`
/// is `text`, `::int` is `int4`); otherwise `expr`.
pub fn index_key_name(key: &str) -> String {
    let tokens: Vec<Token> = lex::significant(key).collect();
    figure_colname(&tokens, key).map_or_else(|| "expr".to_string(), |(name, _)| name)
}

/// How sure [`figure_colname`] is, as in `FigureColnameInternal`: a cast's type name is
/// taken only when the expression cast has no stronger name of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    TypeName,
    Named,
}

/// `FigureColnameInternal` for the shapes above; `None` for anything else.
fn figure_colname(tokens: &[Token], sql: &str) -> Option<(String, Strength)> {
    let (first, last) = (tokens.first()?, tokens.last()?);
    if first.is_punct(b'(') && closing(tokens, 0) == Some(tokens.len() - 1) {
        return figure_colname(&tokens[1..tokens.len() - 1], sql);
    }
    // The last top-level `::` binds loosest: `a::text::varchar` casts `a::text`.
    if let Some(cast) = top_level(tokens)
        .filter(|&i| tokens[i].kind == Kind::Cast)
        .last()
    {
        let inner = figure_colname(&tokens[..cast], sql);
        if let Some(named @ (_, Strength::Named)) = inner {
            return Some(named);
        }
        return cast_type_name(&tokens[cast + 1..], sql).map(|n| (n, Strength::TypeName));
    }
    // `a`, `t.a`, `s.t.a`: the last name.
    if dotted(tokens) {
        return Some((lex::ident_name(last, sql)?.into_owned(), Strength::Named));
    }
    // `f(...)`, `s.f(...)`: a call spanning the whole key.
    let open = tokens.iter().position(|t| t.is_punct(b'('))?;
    if open == 0 || !dotted(&tokens[..open]) || closing(tokens, open) != Some(tokens.len() - 1) {
        return None;
    }
    let function = &tokens[open - 1];
    let name = lex::ident_name(function, sql)?;
    if function.kind == Kind::Ident {
        if open == 1 && function.is_word(sql, "cast") {
            // `CAST(x AS t)` is a cast: x's own name, when it has one.
            let inner = &tokens[2..tokens.len() - 1];
            let as_word = top_level(inner).find(|&i| inner[i].is_word(sql, "as"))?;
            return figure_colname(&inner[..as_word], sql).filter(|(_, s)| *s == Strength::Named);
        }
        if open == 1 && function.is_word(sql, "trim") {
            let name = match tokens.get(2) {
                Some(t) if t.is_word(sql, "leading") => "ltrim",
                Some(t) if t.is_word(sql, "trailing") => "rtrim",
                _ => "btrim",
            };
            return Some((name.to_string(), Strength::Named));
        }
    }
    Some((name.into_owned(), Strength::Named))
}

/// `a`, `t.a`, `s.t.a`: names joined by dots.
fn dotted(tokens: &[Token]) -> bool {
    tokens.len() % 2 == 1
        && tokens.iter().enumerate().all(|(i, t)| {
            if i % 2 == 0 {
                t.is_ident()
            } else {
                t.is_punct(b'.')
            }
        })
}

/// The index of the token closing the bracket opened at `open`.
fn closing(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.kind {
            Kind::Punct(b'(' | b'[') => depth += 1,
            Kind::Punct(b')' | b']') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The indexes of the tokens outside any parentheses or brackets.
fn top_level(tokens: &[Token]) -> impl Iterator<Item = usize> + '_ {
    let mut depth = 0usize;
    tokens.iter().enumerate().filter_map(move |(i, t)| {
        let outside = depth == 0;
        match t.kind {
            Kind::Punct(b'(' | b'[') => depth += 1,
            Kind::Punct(b')' | b']') => depth = depth.saturating_sub(1),
            _ => {}
        }
        (outside && !matches!(t.kind, Kind::Punct(b'(' | b'[' | b')' | b']'))).then_some(i)
    })
}

/// The name of the type a cast names (`TypeName`'s last name): a generic type as
/// written (`text`, `public.money_t`), a SQL-standard one as the grammar renames it
/// (`int` → `int4`, `character varying(3)` → `varchar`). Type modifiers and array
/// brackets do not count.
fn cast_type_name(tokens: &[Token], sql: &str) -> Option<String> {
    let words: Vec<Token> = top_level(tokens).map(|i| tokens[i]).collect();
    if words.iter().all(|t| t.kind == Kind::Ident) {
        let folded: Vec<Cow<'_, str>> = words.iter().map(|t| lex::fold(t.text(sql))).collect();
        if let [one] = folded.as_slice() {
            if lex::keywords::current().category(one) == lex::Category::Unreserved {
                return Some(one.to_string());
            }
        }
        let folded: Vec<&str> = folded.iter().map(|w| &**w).collect();
        return standard_type_name(&folded).map(String::from);
    }
    // A qualified or quoted name.
    let last = words.last()?;
    if !dotted(&words) {
        return None;
    }
    lex::ident_name(last, sql).map(Cow::into_owned)
}

/// The grammar's names for SQL-standard type spellings (`SystemTypeName` in gram.y).
fn standard_type_name(words: &[&str]) -> Option<&'static str> {
    Some(match words {
        ["int" | "integer"] => "int4",
        ["smallint"] => "int2",
        ["bigint"] => "int8",
        ["real"] => "float4",
        ["float"] | ["double", "precision"] => "float8",
        ["boolean"] => "bool",
        ["dec" | "decimal" | "numeric"] => "numeric",
        ["char" | "character" | "nchar"] | ["national", "char" | "character"] => "bpchar",
        ["varchar"]
        | ["char" | "character" | "nchar", "varying"]
        | ["national", "char" | "character", "varying"] => "varchar",
        ["bit"] => "bit",
        ["bit", "varying"] => "varbit",
        ["time"] | ["time", "without", "time", "zone"] => "time",
        ["time", "with", "time", "zone"] => "timetz",
        ["timestamp"] | ["timestamp", "without", "time", "zone"] => "timestamp",
        ["timestamp", "with", "time", "zone"] => "timestamptz",
        ["interval", ..] => "interval",
        _ => return None,
    })
}

/// The index column names PostgreSQL uses to name an index (`ChooseIndexColumnNames`):
/// each key's name, with a number appended to repeats (`expr`, `expr1`, ...).
pub fn index_column_names<S: AsRef<str>>(keys: &[S]) -> Vec<String> {
    number_repeats(keys.iter().map(|k| index_key_name(k.as_ref())))
}

/// One index column (key or INCLUDE column) as PostgreSQL names it for the index name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexColumn<'a> {
    /// A plain column: its name as is, whatever quoting it needs (`Odd Name`).
    Column(&'a str),
    /// An expression: named by [`index_key_name`].
    Expr(&'a str),
}

/// [`index_column_names`] for keys known to be columns or expressions, so a column
/// whose name is not a plain identifier is still named after itself.
pub fn index_column_names_of(columns: &[IndexColumn<'_>]) -> Vec<String> {
    number_repeats(columns.iter().map(|c| match c {
        IndexColumn::Column(name) => (*name).to_string(),
        IndexColumn::Expr(expr) => index_key_name(expr),
    }))
}

/// `ChooseIndexColumnNames`' numbering: a name seen before gets `1`, `2`, ... appended,
/// the original clipped so the result stays within 63 bytes.
fn number_repeats(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for orig in names {
        let mut current = orig.clone();
        let mut n = 1;
        while out.contains(&current) {
            let suffix = n.to_string();
            current = format!(
                "{}{}",
                clip(&orig, MAX_IDENTIFIER_BYTES - suffix.len()),
                suffix
            );
            n += 1;
        }
        out.push(current);
    }
    out
}

/// The names taken in one PostgreSQL schema (namespace), handing out PostgreSQL's
/// default names in the order objects are declared.
///
/// PostgreSQL checks different catalogs for different kinds of names, and so does
/// this: index-like names (`_pkey`, `_key`, `_idx`, `_seq`) must be free among the
/// relations (tables, indexes, sequences); constraint-backed ones (`_pkey`, `_key`)
/// also among the constraints; `_fkey` and `_check` names only among the constraints.
///
/// Call the methods in the order PostgreSQL creates the objects: for a `CREATE TABLE`,
/// serial sequences, then the table, its checks, its primary key, its unique
/// constraints (column-level ones in column order, then table-level ones), then its
/// indexes and foreign keys.
#[derive(Debug, Clone, Default)]
pub struct NameAllocator {
    relations: HashSet<String>,
    constraints: HashSet<String>,
}

impl NameAllocator {
    pub fn new() -> NameAllocator {
        NameAllocator::default()
    }

    /// The names already taken in `namespace` of `schema`: tables, their indexes and
    /// constraints of every kind.
    pub fn for_schema(schema: &Schema, namespace: &str) -> NameAllocator {
        let mut names = NameAllocator::new();
        // Excluded tables and views take names too: strata never changes them, and a
        // new index or sequence cannot take the name of theirs.
        let excluded = schema.excluded_tables.iter().map(|x| &x.table);
        for t in excluded.clone().filter(|t| t.schema == namespace) {
            for seq in t.columns.iter().filter_map(|c| c.sequence.as_deref()) {
                names.take_relation(seq);
            }
        }
        for t in schema
            .tables
            .iter()
            .chain(excluded)
            .filter(|t| t.schema == namespace)
        {
            names.take_relation(&t.name);
            if let Some(pk) = &t.primary_key {
                names.take_relation(&pk.name);
                names.take_constraint(&pk.name);
            }
            for u in &t.uniques {
                names.take_relation(&u.name);
                names.take_constraint(&u.name);
            }
            for i in &t.indexes {
                names.take_relation(&i.name);
            }
            for fk in &t.foreign_keys {
                names.take_constraint(&fk.name);
            }
            for c in &t.checks {
                names.take_constraint(&c.name);
            }
        }
        for v in schema.views.iter().filter(|v| v.schema == namespace) {
            names.take_relation(&v.name);
        }
        names
    }

    /// Records a relation name (table, index, sequence, view) as taken.
    pub fn take_relation(&mut self, name: &str) {
        self.relations.insert(name.to_string());
    }

    /// Records a constraint name as taken.
    pub fn take_constraint(&mut self, name: &str) {
        self.constraints.insert(name.to_string());
    }

    pub fn is_relation_taken(&self, name: &str) -> bool {
        self.relations.contains(name)
    }

    pub fn is_constraint_taken(&self, name: &str) -> bool {
        self.constraints.contains(name)
    }

    /// `ChooseRelationName` / `ChooseConstraintName`: `label`, then `label1`,
    /// `label2`, ... until `taken` says the (re-truncated) name is free.
    fn choose(
        name1: &str,
        name2: Option<&str>,
        label: &str,
        taken: impl Fn(&str) -> bool,
    ) -> String {
        let mut name = make_object_name(name1, name2, Some(label));
        let mut pass = 0u32;
        while taken(&name) {
            pass += 1;
            name = make_object_name(name1, name2, Some(&format!("{label}{pass}")));
        }
        name
    }

    fn choose_constraint_backed_index(
        &mut self,
        name1: &str,
        name2: Option<&str>,
        label: &str,
    ) -> String {
        let name = Self::choose(name1, name2, label, |n| {
            self.relations.contains(n) || self.constraints.contains(n)
        });
        self.take_relation(&name);
        self.take_constraint(&name);
        name
    }

    /// `<table>_pkey`.
    pub fn primary_key(&mut self, table: &str) -> String {
        self.choose_constraint_backed_index(table, None, "pkey")
    }

    /// `<table>_<cols>_key`, a unique constraint.
    pub fn unique<S: AsRef<str>>(&mut self, table: &str, columns: &[S]) -> String {
        let addition = columns_addition(columns);
        self.choose_constraint_backed_index(table, Some(&addition), "key")
    }

    /// `<table>_<keys>_excl`, an exclusion constraint (its index has its name):
    /// `names` are its elements' and INCLUDE columns' names, as an index's.
    pub fn exclusion<S: AsRef<str>>(&mut self, table: &str, names: &[S]) -> String {
        let names: Vec<String> = number_repeats(names.iter().map(|n| n.as_ref().to_string()));
        let addition = columns_addition(&names);
        self.choose_constraint_backed_index(table, Some(&addition), "excl")
    }

    /// `<table>_<keys>_idx`, a plain (or unique) index; expression keys count as
    /// their function's name or `expr` (see [`index_column_names`]).
    pub fn index<S: AsRef<str>>(&mut self, table: &str, keys: &[S]) -> String {
        let addition = columns_addition(&index_column_names(keys));
        let name = Self::choose(table, Some(&addition), "idx", |n| {
            self.relations.contains(n)
        });
        self.take_relation(&name);
        name
    }

    /// `<table>_<cols>_idx` for keys (and INCLUDE columns, which PostgreSQL counts
    /// too) known to be columns or expressions; see [`index_column_names_of`].
    pub fn index_of(&mut self, table: &str, columns: &[IndexColumn<'_>]) -> String {
        let addition = columns_addition(&index_column_names_of(columns));
        let name = Self::choose(table, Some(&addition), "idx", |n| {
            self.relations.contains(n)
        });
        self.take_relation(&name);
        name
    }

    /// `<table>_<col>_seq`, the sequence a serial column owns.
    pub fn sequence(&mut self, table: &str, column: &str) -> String {
        let name = Self::choose(table, Some(column), "seq", |n| self.relations.contains(n));
        self.take_relation(&name);
        name
    }

    /// `<table>_<cols>_fkey`.
    pub fn foreign_key<S: AsRef<str>>(&mut self, table: &str, columns: &[S]) -> String {
        let addition = columns_addition(columns);
        let name = Self::choose(table, Some(&addition), "fkey", |n| {
            self.constraints.contains(n)
        });
        self.take_constraint(&name);
        name
    }

    /// `<table>_<col>_check` when the expression uses exactly one column (`column`),
    /// else `<table>_check`.
    pub fn check(&mut self, table: &str, column: Option<&str>) -> String {
        let name = Self::choose(table, column, "check", |n| self.constraints.contains(n));
        self.take_constraint(&name);
        name
    }
}

/// One [`NameAllocator`] per schema of a database, each built from `current` the first
/// time a name in that schema is asked for: most plans need none, and building one per
/// table would cost a pass over the whole schema per table.
pub struct SchemaNames<'a> {
    current: &'a Schema,
    by_schema: HashMap<String, NameAllocator>,
}

impl<'a> SchemaNames<'a> {
    pub fn new(current: &'a Schema) -> SchemaNames<'a> {
        SchemaNames {
            current,
            by_schema: HashMap::new(),
        }
    }

    /// The allocator of `schema`, which knows every name already taken there.
    pub fn of(&mut self, schema: &str) -> &mut NameAllocator {
        let current = self.current;
        self.by_schema
            .entry(schema.to_string())
            .or_insert_with(|| NameAllocator::for_schema(current, schema))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_ident_follows_postgres() {
        let cases = [
            ("users", "users"),
            ("user", "\"user\""),
            ("order", "\"order\""),
            ("time", "\"time\""),
            ("int", "\"int\""),
            ("left", "\"left\""),
            ("name", "name"),
            ("_x1", "_x1"),
            ("1x", "\"1x\""),
            ("Users", "\"Users\""),
            ("a b", "\"a b\""),
            ("a\"b", "\"a\"\"b\""),
            ("a$b", "\"a$b\""),
            ("é", "\"é\""),
            ("", "\"\""),
        ];
        for (name, quoted) in cases {
            assert_eq!(quote_ident(name), quoted, "{name}");
        }
    }

    #[test]
    fn qualified_omits_public() {
        assert_eq!(qualified("public", "user"), "\"user\"");
        assert_eq!(qualified("billing", "invoices"), "billing.invoices");
        assert_eq!(qualified("Billing", "order"), "\"Billing\".\"order\"");
    }

    #[test]
    fn short_names_are_the_plain_defaults() {
        let mut n = NameAllocator::new();
        n.take_relation("users");
        assert_eq!(n.primary_key("users"), "users_pkey");
        assert_eq!(n.unique("users", &["email"]), "users_email_key");
        assert_eq!(
            n.index("users", &["last_name", "first_name"]),
            "users_last_name_first_name_idx"
        );
        assert_eq!(n.index("users", &["lower(email)"]), "users_lower_idx");
        assert_eq!(
            n.index("users", &["(a + b)", "(a - b)"]),
            "users_expr_expr1_idx"
        );
        assert_eq!(n.foreign_key("users", &["org_id"]), "users_org_id_fkey");
        assert_eq!(n.check("users", Some("age")), "users_age_check");
        assert_eq!(n.check("users", None), "users_check");
        assert_eq!(n.sequence("users", "id"), "users_id_seq");
    }

    #[test]
    fn truncation_shortens_the_longer_part_first() {
        let table = "t".repeat(60);
        let col = "c".repeat(40);
        let name = make_object_name(&table, Some(&col), Some("key"));
        assert_eq!(name.len(), 63);
        // 63 - "_" - "_key" = 58 bytes for both: 29 each once they are level.
        assert_eq!(name, format!("{}_{}_key", "t".repeat(29), "c".repeat(29)));
        // Without name2 only name1 is cut.
        let pk = make_object_name(&"p".repeat(70), None, Some("pkey"));
        assert_eq!(pk, format!("{}_pkey", "p".repeat(58)));
        // On a tie name2 loses the byte.
        let tie = make_object_name(&"a".repeat(40), Some(&"b".repeat(40)), Some("idx"));
        assert_eq!(tie, format!("{}_{}_idx", "a".repeat(29), "b".repeat(29)));
    }

    #[test]
    fn truncation_never_splits_a_character() {
        // 'é' is two bytes: cutting in its middle must drop the whole character.
        let table = "é".repeat(40);
        let name = make_object_name(&table, None, Some("pkey"));
        assert!(name.len() <= 63);
        assert_eq!(name, format!("{}_pkey", "é".repeat(29)));
    }

    #[test]
    fn collisions_are_numbered_and_re_truncated() {
        let table = "t".repeat(60);
        let a = format!("{}a", "c".repeat(39));
        let b = format!("{}b", "c".repeat(39));
        let mut n = NameAllocator::new();
        let first = n.unique(&table, &[&a]);
        let second = n.unique(&table, &[&b]);
        let third = n.unique(&table, &[format!("{}z", "c".repeat(39))]);
        assert_eq!(first, format!("{}_{}_key", "t".repeat(29), "c".repeat(29)));
        assert_eq!(
            second,
            format!("{}_{}_key1", "t".repeat(29), "c".repeat(28))
        );
        assert_eq!(third, format!("{}_{}_key2", "t".repeat(29), "c".repeat(28)));
        assert!(second.len() == 63 && third.len() == 63);
    }

    #[test]
    fn index_names_ignore_constraint_names_but_keys_do_not() {
        let mut n = NameAllocator::new();
        n.take_constraint("t_a_idx");
        n.take_relation("t_a_key");
        // An index only needs a free relation name.
        assert_eq!(n.index("t", &["a"]), "t_a_idx");
        // A unique constraint's index needs both.
        assert_eq!(n.unique("t", &["a"]), "t_a_key1");
        // A check only needs a free constraint name; `t_a_key1` is now a constraint.
        n.take_relation("t_a_check");
        assert_eq!(n.check("t", Some("a")), "t_a_check");
        assert_eq!(n.check("t", Some("a")), "t_a_check1");
    }

    #[test]
    fn qualified_type_spells_types_as_format_type_with_search_path_public() {
        assert!(PG_CATALOG_TYPES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(qualified_type("public", "user_status"), "user_status");
        assert_eq!(qualified_type("public", "user"), "\"user\"");
        assert_eq!(qualified_type("billing", "status"), "billing.status");
        assert_eq!(
            qualified_type("Billing", "Status"),
            "\"Billing\".\"Status\""
        );
        // pg_catalog comes first in every search path: its `point` hides public's.
        assert_eq!(qualified_type("public", "point"), "public.point");
        assert_eq!(qualified_type("public", "pg_mood"), "public.pg_mood");
    }

    #[test]
    fn index_columns_are_named_after_the_column_whatever_its_spelling() {
        let cols = [
            IndexColumn::Column("Odd Name"),
            IndexColumn::Expr("lower(email)"),
            IndexColumn::Expr("(a + b)"),
            IndexColumn::Column("expr"),
        ];
        assert_eq!(
            index_column_names_of(&cols),
            ["Odd Name", "lower", "expr", "expr1"]
        );
        let mut n = NameAllocator::new();
        assert_eq!(
            n.index_of("t", &[IndexColumn::Column("a"), IndexColumn::Column("b")]),
            "t_a_b_idx"
        );
        assert_eq!(
            n.index_of("t", &[IndexColumn::Column("a"), IndexColumn::Column("b")]),
            "t_a_b_idx1"
        );
    }

    #[test]
    fn expression_keys_are_named_as_postgres_names_them() {
        // Each checked against PostgreSQL 15's `CREATE INDEX ON t (...)` names.
        for (key, name) in [
            ("lower(a)", "lower"),
            ("(a)", "a"),
            ("(Email)", "email"),
            ("(\"B\")", "B"),
            ("(t.c)", "c"),
            ("(lower(a)::varchar)", "lower"),
            ("(\"B\" || a)", "expr"),
            ("((a || 'x')::text)", "text"),
            ("((a || 'x')::character varying(3))", "varchar"),
            ("((c + 1)::int)", "int4"),
            ("((c + 1)::public.money_t)", "money_t"),
            ("(c::int)", "c"),
            ("trim(a)", "btrim"),
            ("trim(leading from a)", "ltrim"),
            ("cast(a as varchar)", "a"),
            ("coalesce(a, 'x')", "coalesce"),
            ("pg_catalog.upper(a)", "upper"),
            ("\"lower\"(a)", "lower"),
            ("\"Lower\"(a)", "Lower"),
            ("lower(a) || upper(b)", "expr"),
            ("(a + b)", "expr"),
            ("'x'", "expr"),
        ] {
            assert_eq!(index_key_name(key), name, "{key}");
        }
    }

    #[test]
    fn columns_addition_stops_after_63_bytes() {
        let cols: Vec<String> = (0..5).map(|i| format!("{}{i}", "x".repeat(30))).collect();
        let addition = columns_addition(&cols);
        assert_eq!(addition, format!("{}_{}_{}", cols[0], cols[1], cols[2]));
    }
}
