//! Keyword categories and identifier quoting, from the PostgreSQL server strata talks
//! to.
//!
//! Which words `quote_ident` quotes, and which may name a column unquoted, depend on
//! the server's keyword list: PostgreSQL 16 made `system_user` reserved, so a column
//! named so is written `"system_user"` there and `system_user` on 15. The list is read
//! from the server (`pg_get_keywords()`, see `introspect::keywords`) and installed for
//! the whole process with [`install`]; until then, and in the derive macro and pure
//! tests, PostgreSQL 15's list (below) stands in.
//!
//! Why a process-wide table rather than a parameter: `quote_ident` is a pure function
//! called from about a hundred places (rendering, naming, canonicalization), and one
//! process talks to one server in practice. Reading it costs one atomic load and a
//! thread-local: [`current`] keeps a per-thread copy of the table's reference and
//! checks a generation counter, so the rendering of 5000 tables on several threads
//! never contends on a lock. Installed tables are kept for the life of the process
//! (one per distinct list seen: a handful of PostgreSQL versions at most), which is
//! what lets [`current`] hand out `&'static` references without `unsafe`.

use std::borrow::Cow;
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};

/// PostgreSQL's keyword categories (`pg_get_keywords().catcode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// `U`: usable as any name; `quote_ident` leaves it bare.
    Unreserved,
    /// `C`: a column name (`position`, `time`), not a function or type name.
    ColName,
    /// `T`: a function or type name (`left`, `collation`), not a column name.
    TypeFuncName,
    /// `R`: reserved (`user`, `order`, `check`).
    Reserved,
}

impl Category {
    /// The category of `pg_get_keywords()`'s `catcode`. A letter this version of
    /// strata does not know is taken as reserved: quoting a name that did not need it
    /// is harmless, leaving one bare that did is not.
    pub fn from_catcode(code: &str) -> Category {
        match code {
            "U" => Category::Unreserved,
            "C" => Category::ColName,
            "T" => Category::TypeFuncName,
            _ => Category::Reserved,
        }
    }

    /// `pg_get_keywords()`'s letter.
    pub fn catcode(self) -> &'static str {
        match self {
            Category::Unreserved => "U",
            Category::ColName => "C",
            Category::TypeFuncName => "T",
            Category::Reserved => "R",
        }
    }
}

/// One server's keywords that are not unreserved (an unreserved keyword behaves as any
/// other name in everything strata does with names), sorted for binary search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keywords {
    words: Vec<(Box<str>, Category)>,
}

impl Keywords {
    /// A table from `pg_get_keywords()` rows (`word`, category); unreserved ones are
    /// left out, a word listed twice keeps its strongest category.
    pub fn from_rows<S: AsRef<str>>(rows: impl IntoIterator<Item = (S, Category)>) -> Keywords {
        let mut words: Vec<(Box<str>, Category)> = rows
            .into_iter()
            .filter(|(_, c)| *c != Category::Unreserved)
            .map(|(w, c)| (Box::from(w.as_ref()), c))
            .collect();
        // Strongest first within a word, so dedup keeps it.
        words.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        words.dedup_by(|a, b| a.0 == b.0);
        Keywords { words }
    }

    /// PostgreSQL 15's list (kwlist.h), for when no server was asked.
    pub fn postgres15() -> &'static Keywords {
        static BUILT_IN: OnceLock<Keywords> = OnceLock::new();
        BUILT_IN.get_or_init(|| Keywords::from_rows(POSTGRES_15.iter().copied()))
    }

    /// The category of `word` (lower case, as the server lists it); unreserved for
    /// unreserved keywords and for words that are no keyword at all.
    pub fn category(&self, word: &str) -> Category {
        self.words
            .binary_search_by(|(w, _)| (**w).cmp(word))
            .map_or(Category::Unreserved, |i| self.words[i].1)
    }

    /// Every keyword that is not unreserved, with its category, sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Category)> {
        self.words.iter().map(|(w, c)| (&**w, *c))
    }

    /// `name` as this server's `quote_ident` returns it (`quote_identifier` in
    /// ruleutils.c): bare when it is lower-case ASCII letters, digits and `_`, not
    /// starting with a digit and not a keyword other than an unreserved one;
    /// otherwise in double quotes with inner `"` doubled. (`$` is quoted too, as
    /// PostgreSQL does, although its lexer would accept it after the first character.)
    pub fn quote_ident<'a>(&self, name: &'a str) -> Cow<'a, str> {
        let bytes = name.as_bytes();
        let safe = match bytes.first() {
            Some(&first) => {
                (first.is_ascii_lowercase() || first == b'_')
                    && bytes
                        .iter()
                        .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    && self.category(name) == Category::Unreserved
            }
            // The empty name is not a valid identifier, but quoting keeps the SQL
            // parseable so that PostgreSQL reports it rather than strata producing
            // broken text.
            None => false,
        };
        if safe {
            Cow::Borrowed(name)
        } else {
            Cow::Owned(format!("\"{}\"", name.replace('"', "\"\"")))
        }
    }
}

/// The table installed last, `None` until [`install`] is first called.
static INSTALLED: RwLock<Option<&'static Keywords>> = RwLock::new(None);
/// Bumped by every [`install`] that changes the table; 0 while none did.
static GENERATION: AtomicUsize = AtomicUsize::new(0);
/// Every table installed so far, so installing one seen before reuses it.
static KEPT: Mutex<Vec<&'static Keywords>> = Mutex::new(Vec::new());

thread_local! {
    /// This thread's copy of (`GENERATION`, `INSTALLED`) when it last looked.
    static CACHED: Cell<(usize, Option<&'static Keywords>)> = const { Cell::new((0, None)) };
}

/// The keyword table of the server strata talks to: the last one [`install`]ed, or
/// PostgreSQL 15's before any was.
pub fn current() -> &'static Keywords {
    let generation = GENERATION.load(Ordering::Acquire);
    if generation == 0 {
        return Keywords::postgres15();
    }
    CACHED.with(|cached| match cached.get() {
        (seen, Some(table)) if seen == generation => table,
        _ => {
            // A table installed between the load above and this read is newer than
            // `generation`: the next call sees the bumped counter and reads again.
            let table = INSTALLED
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .unwrap_or_else(Keywords::postgres15);
            cached.set((generation, Some(table)));
            table
        }
    })
}

/// Makes `keywords` the table [`current`] returns, for every thread, from now on.
/// Installing the table already in place changes nothing.
pub fn install(keywords: Keywords) {
    if *current() == keywords {
        return;
    }
    let table: &'static Keywords = if keywords == *Keywords::postgres15() {
        Keywords::postgres15()
    } else {
        let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
        match kept.iter().find(|k| ***k == keywords) {
            Some(k) => k,
            None => {
                let leaked: &'static Keywords = Box::leak(Box::new(keywords));
                kept.push(leaked);
                leaked
            }
        }
    };
    *INSTALLED.write().unwrap_or_else(PoisonError::into_inner) = Some(table);
    GENERATION.fetch_add(1, Ordering::Release);
}

/// `name` as the current server's `quote_ident` returns it ([`Keywords::quote_ident`]
/// with [`current`]).
pub fn quote_ident(name: &str) -> Cow<'_, str> {
    current().quote_ident(name)
}

use Category::{ColName, Reserved, TypeFuncName};

/// PostgreSQL 15's keywords that are not unreserved (`SELECT word, catcode FROM
/// pg_get_keywords() WHERE catcode <> 'U'` on 15.x), sorted.
const POSTGRES_15: &[(&str, Category)] = &[
    ("all", Reserved),
    ("analyse", Reserved),
    ("analyze", Reserved),
    ("and", Reserved),
    ("any", Reserved),
    ("array", Reserved),
    ("as", Reserved),
    ("asc", Reserved),
    ("asymmetric", Reserved),
    ("authorization", TypeFuncName),
    ("between", ColName),
    ("bigint", ColName),
    ("binary", TypeFuncName),
    ("bit", ColName),
    ("boolean", ColName),
    ("both", Reserved),
    ("case", Reserved),
    ("cast", Reserved),
    ("char", ColName),
    ("character", ColName),
    ("check", Reserved),
    ("coalesce", ColName),
    ("collate", Reserved),
    ("collation", TypeFuncName),
    ("column", Reserved),
    ("concurrently", TypeFuncName),
    ("constraint", Reserved),
    ("create", Reserved),
    ("cross", TypeFuncName),
    ("current_catalog", Reserved),
    ("current_date", Reserved),
    ("current_role", Reserved),
    ("current_schema", TypeFuncName),
    ("current_time", Reserved),
    ("current_timestamp", Reserved),
    ("current_user", Reserved),
    ("dec", ColName),
    ("decimal", ColName),
    ("default", Reserved),
    ("deferrable", Reserved),
    ("desc", Reserved),
    ("distinct", Reserved),
    ("do", Reserved),
    ("else", Reserved),
    ("end", Reserved),
    ("except", Reserved),
    ("exists", ColName),
    ("extract", ColName),
    ("false", Reserved),
    ("fetch", Reserved),
    ("float", ColName),
    ("for", Reserved),
    ("foreign", Reserved),
    ("freeze", TypeFuncName),
    ("from", Reserved),
    ("full", TypeFuncName),
    ("grant", Reserved),
    ("greatest", ColName),
    ("group", Reserved),
    ("grouping", ColName),
    ("having", Reserved),
    ("ilike", TypeFuncName),
    ("in", Reserved),
    ("initially", Reserved),
    ("inner", TypeFuncName),
    ("inout", ColName),
    ("int", ColName),
    ("integer", ColName),
    ("intersect", Reserved),
    ("interval", ColName),
    ("into", Reserved),
    ("is", TypeFuncName),
    ("isnull", TypeFuncName),
    ("join", TypeFuncName),
    ("lateral", Reserved),
    ("leading", Reserved),
    ("least", ColName),
    ("left", TypeFuncName),
    ("like", TypeFuncName),
    ("limit", Reserved),
    ("localtime", Reserved),
    ("localtimestamp", Reserved),
    ("national", ColName),
    ("natural", TypeFuncName),
    ("nchar", ColName),
    ("none", ColName),
    ("normalize", ColName),
    ("not", Reserved),
    ("notnull", TypeFuncName),
    ("null", Reserved),
    ("nullif", ColName),
    ("numeric", ColName),
    ("offset", Reserved),
    ("on", Reserved),
    ("only", Reserved),
    ("or", Reserved),
    ("order", Reserved),
    ("out", ColName),
    ("outer", TypeFuncName),
    ("overlaps", TypeFuncName),
    ("overlay", ColName),
    ("placing", Reserved),
    ("position", ColName),
    ("precision", ColName),
    ("primary", Reserved),
    ("real", ColName),
    ("references", Reserved),
    ("returning", Reserved),
    ("right", TypeFuncName),
    ("row", ColName),
    ("select", Reserved),
    ("session_user", Reserved),
    ("setof", ColName),
    ("similar", TypeFuncName),
    ("smallint", ColName),
    ("some", Reserved),
    ("substring", ColName),
    ("symmetric", Reserved),
    ("table", Reserved),
    ("tablesample", TypeFuncName),
    ("then", Reserved),
    ("time", ColName),
    ("timestamp", ColName),
    ("to", Reserved),
    ("trailing", Reserved),
    ("treat", ColName),
    ("trim", ColName),
    ("true", Reserved),
    ("union", Reserved),
    ("unique", Reserved),
    ("user", Reserved),
    ("using", Reserved),
    ("values", ColName),
    ("varchar", ColName),
    ("variadic", Reserved),
    ("verbose", TypeFuncName),
    ("when", Reserved),
    ("where", Reserved),
    ("window", Reserved),
    ("with", Reserved),
    ("xmlattributes", ColName),
    ("xmlconcat", ColName),
    ("xmlelement", ColName),
    ("xmlexists", ColName),
    ("xmlforest", ColName),
    ("xmlnamespaces", ColName),
    ("xmlparse", ColName),
    ("xmlpi", ColName),
    ("xmlroot", ColName),
    ("xmlserialize", ColName),
    ("xmltable", ColName),
];
