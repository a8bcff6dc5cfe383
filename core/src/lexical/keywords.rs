//! Keywords and quoting, as the server strata talks to has them.
//!
//! `quote_ident` quotes a name that is a keyword of any category but
//! `UNRESERVED_KEYWORD`; an expression can use a `COL_NAME_KEYWORD` (`position`) as a
//! column name without quotes. Both lists change between PostgreSQL versions
//! (PostgreSQL 16 added `system_user`, ...), so they are the server's own, read with
//! `pg_get_keywords()` when strata connects ([`install`]); until then, and for the
//! derive macro, which talks to no server, they are PostgreSQL 15's.
//!
//! The table is process-wide: quoting is called from everywhere that renders SQL, and
//! one process talks to one server.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, OnceLock, RwLock};

/// A server's keywords, by what they mean for quoting and column names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keywords {
    /// Every keyword that is not `UNRESERVED_KEYWORD` (catcode `C`, `T`, `R`).
    quoted: HashSet<String>,
    /// `COL_NAME_KEYWORD`s (catcode `C`).
    column_names: HashSet<String>,
}

impl Keywords {
    /// From `pg_get_keywords()`'s `(word, catcode)` rows.
    pub fn from_catalog<I, S>(rows: I) -> Keywords
    where
        I: IntoIterator<Item = (S, S)>,
        S: AsRef<str>,
    {
        let mut quoted = HashSet::new();
        let mut column_names = HashSet::new();
        for (word, code) in rows {
            let (word, code) = (word.as_ref(), code.as_ref());
            if code != "U" {
                quoted.insert(word.to_string());
            }
            if code == "C" {
                column_names.insert(word.to_string());
            }
        }
        Keywords {
            quoted,
            column_names,
        }
    }

    /// PostgreSQL 15's.
    pub fn postgres_15() -> Keywords {
        Keywords {
            quoted: PG15_NON_UNRESERVED.iter().map(|w| w.to_string()).collect(),
            column_names: PG15_COL_NAME.iter().map(|w| w.to_string()).collect(),
        }
    }

    /// Whether `quote_ident` quotes `word` because it is a keyword.
    pub fn needs_quotes(&self, word: &str) -> bool {
        self.quoted.contains(word)
    }

    /// Whether `word` (bare) can name a column in an expression: not a keyword, or a
    /// `COL_NAME_KEYWORD`.
    pub fn can_name_a_column(&self, word: &str) -> bool {
        !self.quoted.contains(word) || self.column_names.contains(word)
    }
}

fn table() -> &'static RwLock<Arc<Keywords>> {
    static TABLE: OnceLock<RwLock<Arc<Keywords>>> = OnceLock::new();
    TABLE.get_or_init(|| RwLock::new(Arc::new(Keywords::postgres_15())))
}

/// The keywords in use: the server's once [`install`]ed, else PostgreSQL 15's.
pub fn current() -> Arc<Keywords> {
    match table().read() {
        Ok(k) => Arc::clone(&k),
        Err(poisoned) => Arc::clone(&poisoned.into_inner()),
    }
}

/// Makes `keywords` (the server's) the ones quoting uses from now on.
pub fn install(keywords: Keywords) {
    let mut slot = match table().write() {
        Ok(slot) => slot,
        Err(poisoned) => poisoned.into_inner(),
    };
    if **slot != keywords {
        *slot = Arc::new(keywords);
    }
}

/// The query that reads a server's keywords, for [`Keywords::from_catalog`].
pub const CATALOG_SQL: &str = "SELECT word, catcode::text FROM pg_catalog.pg_get_keywords()";

/// Whether a bare name needs no quotes: lower-case ASCII letters, digits and `_`, not
/// starting with a digit, and not a keyword that needs quoting. (`$` is quoted too, as
/// PostgreSQL does, although the lexer would accept it after the first character.)
pub fn is_bare(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.first() {
        Some(&first) => {
            (first.is_ascii_lowercase() || first == b'_')
                && bytes
                    .iter()
                    .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                && !current().needs_quotes(name)
        }
        None => false,
    }
}

/// `name` as PostgreSQL's `quote_ident` returns it: bare when [`is_bare`], otherwise in
/// double quotes with inner `"` doubled. (The empty name is not a valid identifier, but
/// quoting keeps the SQL parseable so that PostgreSQL reports it.)
pub fn quote_ident(name: &str) -> Cow<'_, str> {
    if is_bare(name) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("\"{}\"", name.replace('"', "\"\"")))
    }
}

/// PostgreSQL 15's keywords that are not `UNRESERVED_KEYWORD` (kwlist.h: the reserved,
/// `COL_NAME_KEYWORD` and `TYPE_FUNC_NAME_KEYWORD` categories). Sorted.
const PG15_NON_UNRESERVED: &[&str] = &[
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

/// PostgreSQL 15's `COL_NAME_KEYWORD`s. Sorted.
const PG15_COL_NAME: &[&str] = &[
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_lists_are_sorted_and_column_names_are_keywords() {
        assert!(PG15_NON_UNRESERVED.windows(2).all(|w| w[0] < w[1]));
        assert!(PG15_COL_NAME.windows(2).all(|w| w[0] < w[1]));
        assert!(PG15_COL_NAME
            .iter()
            .all(|w| PG15_NON_UNRESERVED.contains(w)));
    }

    #[test]
    fn a_newer_servers_keywords_are_quoted() {
        let pg17 =
            Keywords::from_catalog([("system_user", "R"), ("position", "C"), ("abort", "U")]);
        assert!(pg17.needs_quotes("system_user"));
        assert!(!pg17.needs_quotes("abort"));
        assert!(pg17.can_name_a_column("position"));
        assert!(!pg17.can_name_a_column("system_user"));
        assert!(!Keywords::postgres_15().needs_quotes("system_user"));
    }
}
