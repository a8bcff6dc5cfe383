//! PostgreSQL's own naming: default constraint and index names, its 63-byte truncation
//! and its numbering of collisions, and identifier quoting.
//!
//! Everything here mirrors the backend's C code so that a database built by hand (or by
//! another tool) gets exactly the names strata computes, and a diff never sees a
//! spurious rename: `quote_identifier` (utils/adt/ruleutils.c), `makeObjectName` and
//! `ChooseRelationName` (commands/indexcmds.c), `ChooseIndexName` /
//! `ChooseIndexNameAddition`, `ChooseConstraintName` (catalog/pg_constraint.c) and
//! `ChooseForeignKeyConstraintNameAddition` (commands/tablecmds.c).

use crate::schema::Schema;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// The longest identifier PostgreSQL keeps, in bytes (`NAMEDATALEN - 1`).
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// PostgreSQL 15's keywords that are not `UNRESERVED_KEYWORD` (kwlist.h: the reserved,
/// `COL_NAME_KEYWORD` and `TYPE_FUNC_NAME_KEYWORD` categories). `quote_ident` quotes
/// these even though they are plain lower-case words. Sorted, for binary search.
const NON_UNRESERVED_KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
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

/// Whether PostgreSQL's `quote_ident` would quote `word` because it is a keyword.
pub fn is_non_unreserved_keyword(word: &str) -> bool {
    NON_UNRESERVED_KEYWORDS.binary_search(&word).is_ok()
}

/// `name` as PostgreSQL's `quote_ident` returns it: bare when it is lower-case ASCII
/// letters, digits and `_`, not starting with a digit and not a keyword that needs
/// quoting; otherwise in double quotes with inner `"` doubled. (`$` is quoted too, as
/// PostgreSQL does, although the lexer would accept it after the first character.)
pub fn quote_ident(name: &str) -> Cow<'_, str> {
    let bytes = name.as_bytes();
    let safe = match bytes.first() {
        Some(&first) => {
            (first.is_ascii_lowercase() || first == b'_')
                && bytes
                    .iter()
                    .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                && !is_non_unreserved_keyword(name)
        }
        // The empty name is not a valid identifier, but quoting keeps the SQL parseable
        // so that PostgreSQL reports it rather than strata producing broken text.
        None => false,
    };
    if safe {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("\"{}\"", name.replace('"', "\"\"")))
    }
}

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

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary
/// (PostgreSQL's `pg_mbcliplen` for UTF-8).
fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
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

/// The name PostgreSQL gives an index key when it is an expression (parser's
/// `FigureIndexColname`): the function's name for a function call such as
/// `lower(email)`, otherwise `expr`. Plain column keys are their own name.
pub fn index_key_name(key: &str) -> String {
    let key = key.trim();
    let is_plain_ident = |s: &str| {
        !s.is_empty()
            && s.bytes().next().is_some_and(|b| !b.is_ascii_digit())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    if is_plain_ident(key) {
        return key.to_string();
    }
    if let Some(open) = key.find('(') {
        let func = key[..open].trim();
        // A schema-qualified function is named by its last part.
        let last = func.rsplit('.').next().unwrap_or(func);
        if is_plain_ident(last) && key.ends_with(')') {
            return last.to_ascii_lowercase();
        }
    }
    "expr".to_string()
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
        for t in schema.tables.iter().filter(|t| t.schema == namespace) {
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
    fn keyword_list_is_sorted_for_binary_search() {
        assert!(NON_UNRESERVED_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

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
    fn columns_addition_stops_after_63_bytes() {
        let cols: Vec<String> = (0..5).map(|i| format!("{}{i}", "x".repeat(30))).collect();
        let addition = columns_addition(&cols);
        assert_eq!(addition, format!("{}_{}_{}", cols[0], cols[1], cols[2]));
    }
}
