//! What an entity declares, as written in its `#[entity(...)]` attributes.
//!
//! This is the parser's output and the runtime metadata `User::entity()` returns: the
//! derive macro and the CLI build it with the same parser from the same source, so the
//! two can never disagree. It stays close to the source (field names are Rust names,
//! types are Rust types); turning it into a [`crate::schema::Schema`] is `lower`'s job.

use serde::{Deserialize, Serialize};

/// One `#[derive(strata::Entity)]` struct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityDef {
    /// The struct's Rust name, e.g. `User`.
    pub rust_name: String,
    /// The table name: `table_name = "..."`, or the struct name in snake_case.
    pub table_name: String,
    /// `schema = "..."`; `None` means the default, `public`.
    pub schema: Option<String>,
    /// `renamed_from = "..."` on the struct: the table's previous name.
    pub renamed_from: Option<String>,
    /// `partition_by = "RANGE (created_at)"`: the table is partitioned by this key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<String>,
    /// `view = "..."`: the struct is a read model over a view, not a table: a path to a
    /// `.sql` file that creates the view, or the view's query inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
    /// `row_level_security`: `ALTER TABLE ... ENABLE ROW LEVEL SECURITY`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub row_level_security: bool,
    /// `comment = "..."` on the struct.
    pub comment: Option<String>,
    /// The columns, in declaration order (skipped fields are not here).
    pub fields: Vec<FieldDef>,
    /// Table-level `primary_key(a, b)`: Rust field names. Empty when not given.
    pub primary_key: Vec<String>,
    /// `primary_key(a, b, deferrable)`: the key's flags.
    #[serde(default, skip_serializing_if = "KeyOptions::is_default")]
    pub primary_key_options: KeyOptions,
    /// `primary_key(a, b, name = "...")` on the struct or `primary_key(name = "...")` on
    /// a field: the key's constraint name, where it is not PostgreSQL's `<table>_pkey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key_name: Option<String>,
    /// `string_type = "varchar"`: the SQL type of this struct's `String` fields that
    /// give neither `length` nor `sql_type` (`text` without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_type: Option<String>,
    /// Table-level `unique(a, b, name = "...")`.
    pub uniques: Vec<UniqueDef>,
    /// Table-level `index(...)`.
    pub indexes: Vec<IndexDef>,
    /// Table-level `foreign_key(...)`.
    pub foreign_keys: Vec<ForeignKeyDef>,
    /// Table-level `check(name = "...", expr = "...")`.
    pub checks: Vec<CheckDef>,
    /// Table-level `exclude(elements = "...", ...)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<ExclusionDef>,
}

/// One field that is a column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    /// The Rust field name.
    pub rust_name: String,
    /// The column name: `rename = "..."` (or `#[sqlx(rename)]`), else the field name.
    pub column_name: String,
    /// The field's Rust type, mapped to what strata knows of it.
    pub ty: RustType,
    /// `Option<T>` at the top level.
    pub nullable: bool,
    /// `sql_type = "..."`, verbatim.
    pub sql_type: Option<String>,
    /// `length = n`.
    pub length: Option<u32>,
    /// `precision = p`.
    pub precision: Option<u32>,
    /// `scale = s`.
    pub scale: Option<u32>,
    pub primary_key: bool,
    pub identity: Option<IdentityKind>,
    pub serial: bool,
    /// `unique` (`Some(None)`) or `unique = "name"` (`Some(Some(name))`).
    // Plain serde reads `Some(None)` back as `None` (both are `null`): leave the key out
    // for `None` so `null` can mean `Some(None)` and the derive's JSON round-trips.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "some_option"
    )]
    pub unique: Option<Option<String>>,
    /// `unique(nulls_not_distinct, deferrable, ...)`: the flags of that constraint.
    #[serde(default, skip_serializing_if = "KeyOptions::is_default")]
    pub unique_options: KeyOptions,
    /// `collation = "C"`: the column's collation, as declared (a name, or
    /// `schema.name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// `index` or `index(method = ..., where = ..., name = ...)`. Boxed, as is
    /// `foreign_key`: most fields have neither, and unboxed the two made a `FieldDef`
    /// 570 bytes, 35 MB of the scan's peak at 5000 tables.
    pub index: Option<Box<FieldIndexDef>>,
    /// `foreign_key(Org, ...)` or `references = "schema.table(col)"`.
    pub foreign_key: Option<Box<FieldForeignKeyDef>>,
    /// `default = "..."`, a SQL expression.
    pub default: Option<String>,
    /// `generated = "..."`, a SQL expression.
    pub generated: Option<String>,
    /// `check = "..."`, a SQL boolean expression.
    pub check: Option<String>,
    pub comment: Option<String>,
    /// `renamed_from = "..."`: the column's previous name.
    pub renamed_from: Option<String>,
}

/// Reads a present key of an `Option<Option<T>>` field: `null` is `Some(None)`.
fn some_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A Rust type as the type map sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RustType {
    Bool,
    I16,
    I32,
    I64,
    F32,
    F64,
    String,
    /// `Vec<u8>`.
    Bytes,
    Uuid,
    /// `DateTime<Utc>`, `DateTime<FixedOffset>`, `OffsetDateTime`.
    TimestampTz,
    /// `NaiveDateTime`, `PrimitiveDateTime`.
    Timestamp,
    Date,
    Time,
    /// `Decimal`, `BigDecimal`.
    Decimal,
    /// `serde_json::Value`, `Json<T>`.
    Json,
    /// `IpAddr`, `IpNetwork`.
    Inet,
    /// `Vec<T>`, T not `u8`.
    Array(Box<RustType>),
    /// Any other type, by its last path segment: a `DbEnum`, or else an error when the
    /// schema is built (and a trait-bound error from the derive).
    Named(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// `GENERATED ALWAYS AS IDENTITY`.
    Always,
    /// `GENERATED BY DEFAULT AS IDENTITY`.
    ByDefault,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UniqueDef {
    /// Rust field names.
    pub fields: Vec<String>,
    pub name: Option<String>,
    /// `nulls_not_distinct`, `deferrable`, `initially_deferred`.
    #[serde(default, skip_serializing_if = "KeyOptions::is_default")]
    pub options: KeyOptions,
}

/// `exclude(method = "gist", elements = "room WITH =, during WITH &&", ...)`: an
/// exclusion constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionDef {
    pub name: Option<String>,
    /// `method = "..."`; `None`: gist.
    pub method: Option<String>,
    /// `elements = "..."`: `<column or (expression)> WITH <operator>`, comma-separated,
    /// as SQL.
    pub elements: String,
    /// `where = "..."`.
    pub predicate: Option<String>,
    /// `include(c)`: Rust field names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// `deferrable`, `initially_deferred`.
    #[serde(default, skip_serializing_if = "KeyOptions::is_default")]
    pub options: KeyOptions,
}

/// The flags of a primary key or unique constraint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyOptions {
    /// `nulls_not_distinct`: two NULLs are duplicates (unique constraints only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
    /// `deferrable`: checked at the end of the statement, or at commit when deferred.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deferrable: bool,
    /// `initially_deferred`: checked at commit (implies `deferrable`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub initially_deferred: bool,
}

impl KeyOptions {
    pub fn is_default(&self) -> bool {
        *self == KeyOptions::default()
    }
}

/// The options of one index key given in `key(...)`; `None`: the index's own
/// (`collation`, `opclass`, `order` beside the keys), else the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexKeyOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
    /// As in [`IndexDef::order`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
}

/// One key of an index: a field or an expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexKey {
    /// A Rust field name.
    Field(String),
    /// `expr = "lower(email)"`.
    Expr(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexDef {
    pub keys: Vec<IndexKey>,
    pub name: Option<String>,
    pub unique: bool,
    /// `method = "gin"`.
    pub method: Option<String>,
    /// `where = "..."`.
    pub predicate: Option<String>,
    /// `include(c)`: Rust field names.
    pub include: Vec<String>,
    /// `opclass = "gin_trgm_ops"`: the operator class of every key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
    /// `order = "desc"` (or `"desc nulls last"`, `"nulls first"`): every key's order,
    /// spelled as the canonical SQL words (`DESC`, `DESC NULLS LAST`, `NULLS FIRST`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// `collation = "C"`: every key's collation, as declared (a name, or
    /// `schema.name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// `nulls_not_distinct` (unique indexes): two NULLs are duplicates.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
    /// Per-key options (`key(field, ...)`, `key(expr = "...", ...)`), aligned with
    /// `keys`; empty when no key has its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_options: Vec<IndexKeyOptions>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldIndexDef {
    pub name: Option<String>,
    /// `index(unique)`: a unique index, as opposed to `unique` (a unique constraint).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unique: bool,
    /// `index(unique, nulls_not_distinct)`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
    pub method: Option<String>,
    pub predicate: Option<String>,
    /// `opclass = "gin_trgm_ops"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
    /// `order = "desc"`, as in [`IndexDef::order`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// `collation = "C"`, as in [`IndexDef::collation`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
}

/// Where a foreign key points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FkTarget {
    /// Another entity, by its Rust struct name (`foreign_key(Org)`).
    Entity(String),
    /// A table that is not an entity (`references = "schema.table(col)"`).
    Table {
        schema: Option<String>,
        table: String,
        columns: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FkActions {
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
    pub deferrable: bool,
    /// `initially_deferred`: `DEFERRABLE INITIALLY DEFERRED`, checked at commit (as
    /// Django declares every foreign key); implies `deferrable`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub initially_deferred: bool,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldForeignKeyDef {
    pub target: FkTarget,
    /// `column = "id"`: the referenced column, for an entity target. `None`: its primary key.
    pub column: Option<String>,
    pub actions: FkActions,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKeyDef {
    /// `columns(a, b)`: Rust field names.
    pub fields: Vec<String>,
    /// `references = Org`: a Rust struct name.
    pub references: String,
    /// `ref_columns(x, y)`: the referenced entity's Rust field names; empty: its primary key.
    pub ref_fields: Vec<String>,
    pub actions: FkActions,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckDef {
    pub name: Option<String>,
    pub expr: String,
}

/// One `#[derive(strata::DbEnum)]` enum: a PostgreSQL enum type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbEnumDef {
    pub rust_name: String,
    /// From `#[sqlx(type_name = "...")]`; a `schema.name` spelling sets the schema.
    pub type_name: String,
    pub schema: Option<String>,
    /// The labels in declaration order.
    pub variants: Vec<VariantDef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantDef {
    pub rust_name: String,
    /// The label: `rename_all` / `#[sqlx(rename)]` applied.
    pub label: String,
    /// `#[entity(renamed_from = "old")]`.
    pub renamed_from: Option<String>,
}
