//! Attribute key names as constants, so a typo is a compile error here rather than a
//! key that silently never matches (serde_derive's `symbol.rs`).

use std::fmt::{self, Display};
use syn::{Ident, Path};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Symbol(pub &'static str);

impl Symbol {
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for &Ident {
    fn eq(&self, word: &Symbol) -> bool {
        *self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl PartialEq<Symbol> for &Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl Display for Symbol {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(self.0)
    }
}

// The helper attributes.
pub const ENTITY: Symbol = Symbol("entity");
pub const SQLX: Symbol = Symbol("sqlx");

// Table-level keys (some are field-level too).
pub const TABLE_NAME: Symbol = Symbol("table_name");
pub const SCHEMA: Symbol = Symbol("schema");
pub const PRIMARY_KEY: Symbol = Symbol("primary_key");
pub const UNIQUE: Symbol = Symbol("unique");
pub const INDEX: Symbol = Symbol("index");
pub const FOREIGN_KEY: Symbol = Symbol("foreign_key");
pub const CHECK: Symbol = Symbol("check");
pub const COMMENT: Symbol = Symbol("comment");
pub const RENAMED_FROM: Symbol = Symbol("renamed_from");
pub const PARTITION_BY: Symbol = Symbol("partition_by");
pub const VIEW: Symbol = Symbol("view");
pub const ROW_LEVEL_SECURITY: Symbol = Symbol("row_level_security");
pub const STRING_TYPE: Symbol = Symbol("string_type");

// Inside index(...), unique(...), check(...), foreign_key(...).
pub const NAME: Symbol = Symbol("name");
pub const METHOD: Symbol = Symbol("method");
pub const WHERE: Symbol = Symbol("where");
pub const OPCLASS: Symbol = Symbol("opclass");
pub const ORDER: Symbol = Symbol("order");
pub const INCLUDE: Symbol = Symbol("include");
pub const EXPR: Symbol = Symbol("expr");
pub const COLUMNS: Symbol = Symbol("columns");
pub const REFERENCES: Symbol = Symbol("references");
pub const REF_COLUMNS: Symbol = Symbol("ref_columns");
pub const COLUMN: Symbol = Symbol("column");
pub const ON_DELETE: Symbol = Symbol("on_delete");
pub const ON_UPDATE: Symbol = Symbol("on_update");
pub const DEFERRABLE: Symbol = Symbol("deferrable");
pub const INITIALLY_DEFERRED: Symbol = Symbol("initially_deferred");
pub const NULLS_NOT_DISTINCT: Symbol = Symbol("nulls_not_distinct");
pub const COLLATION: Symbol = Symbol("collation");
pub const KEY: Symbol = Symbol("key");
pub const EXCLUDE: Symbol = Symbol("exclude");
pub const ELEMENTS: Symbol = Symbol("elements");

// Field-level keys.
pub const RENAME: Symbol = Symbol("rename");
pub const SKIP: Symbol = Symbol("skip");
pub const IDENTITY: Symbol = Symbol("identity");
pub const SERIAL: Symbol = Symbol("serial");
pub const SQL_TYPE: Symbol = Symbol("sql_type");
pub const LENGTH: Symbol = Symbol("length");
pub const PRECISION: Symbol = Symbol("precision");
pub const SCALE: Symbol = Symbol("scale");
pub const DEFAULT: Symbol = Symbol("default");
pub const GENERATED: Symbol = Symbol("generated");

// sqlx's keys strata reads.
pub const RENAME_ALL: Symbol = Symbol("rename_all");
pub const TYPE_NAME: Symbol = Symbol("type_name");
