//! Attribute models: what `#[entity(...)]` and the `#[sqlx(...)]` keys strata honours
//! say, with the span of every key so `check` can point at it later.
//!
//! Reading never stops at the first mistake: an unknown key, a duplicate or a value of the
//! wrong kind is recorded in the [`Ctxt`] and parsing goes on with the next key. Only a
//! syntax error (a missing value, a stray token) ends one attribute early.

use super::ctxt::Ctxt;
use super::symbol::*;
use crate::entity::{
    FieldIndexDef, FkActions, FkTarget, IdentityKind, IndexKeyOptions, KeyOptions,
};
use crate::lex::{self, Kind, Token};
use heck::{ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use std::borrow::Cow;
use std::fmt::{self, Display};
use syn::ext::IdentExt as _;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned as _;
use syn::{Attribute, Expr, Lit, LitStr, Token};

/// PostgreSQL silently truncates longer identifiers (NAMEDATALEN - 1).
pub const MAX_IDENT_BYTES: usize = 63;

/// A value with the span of the key (or literal) that gave it.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// A flag key (`primary_key`, `skip`, ...): only its span matters.
pub type Flag = Spanned<()>;

// ---------------------------------------------------------------------------------------
// Table level

/// `#[entity(...)]` and `#[sqlx(rename_all)]` on a struct.
#[derive(Default)]
pub struct TableAttrs {
    pub table_name: Option<Spanned<String>>,
    pub schema: Option<Spanned<String>>,
    pub comment: Option<Spanned<String>>,
    pub renamed_from: Option<Spanned<String>>,
    pub partition_by: Option<Spanned<String>>,
    /// `view = "db/views/x.sql"` or `view = "SELECT ..."`.
    pub view: Option<Spanned<String>>,
    pub row_level_security: Option<Flag>,
    pub primary_key: Option<Spanned<Vec<Spanned<String>>>>,
    pub primary_key_options: RawKeyOptions,
    /// `name = "..."` in `primary_key(...)`.
    pub primary_key_name: Option<Spanned<String>>,
    /// `string_type = "varchar"`.
    pub string_type: Option<Spanned<String>>,
    pub uniques: Vec<RawUnique>,
    pub indexes: Vec<RawIndex>,
    pub foreign_keys: Vec<RawForeignKey>,
    pub checks: Vec<RawCheck>,
    pub exclusions: Vec<RawExclusion>,
    pub sqlx_rename_all: Option<Spanned<RenameRule>>,
}

#[derive(Default)]
pub struct RawExclusion {
    pub name: Option<Spanned<String>>,
    pub method: Option<Spanned<String>>,
    pub elements: Option<Spanned<String>>,
    pub predicate: Option<Spanned<String>>,
    pub include: Option<Spanned<Vec<Spanned<String>>>>,
    pub options: RawKeyOptions,
}

pub struct RawUnique {
    pub fields: Vec<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub options: RawKeyOptions,
}

/// The flags of a primary key or unique constraint: `nulls_not_distinct`,
/// `deferrable`, `initially_deferred`. Bare words, like `unique` in `index(...)`.
#[derive(Default)]
pub struct RawKeyOptions {
    pub nulls_not_distinct: Option<Flag>,
    pub deferrable: Option<Flag>,
    pub initially_deferred: Option<Flag>,
}

impl RawKeyOptions {
    /// Reads one flag; `false` when `meta` is not one.
    fn read(&mut self, cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<bool> {
        let slot = if meta.path == NULLS_NOT_DISTINCT {
            &mut self.nulls_not_distinct
        } else if meta.path == DEFERRABLE {
            &mut self.deferrable
        } else if meta.path == INITIALLY_DEFERRED {
            &mut self.initially_deferred
        } else {
            return Ok(false);
        };
        let v = flag(cx, meta)?;
        set_once(cx, slot, meta, v);
        Ok(true)
    }

    pub fn into_options(self) -> KeyOptions {
        KeyOptions {
            nulls_not_distinct: self.nulls_not_distinct.is_some(),
            deferrable: self.deferrable.is_some() || self.initially_deferred.is_some(),
            initially_deferred: self.initially_deferred.is_some(),
        }
    }
}

const PRIMARY_KEY_KEYS: &[Symbol] = &[NAME, DEFERRABLE, INITIALLY_DEFERRED];

/// What `primary_key(...)` says besides its fields, on the struct or a field:
/// `name = "..."`, `deferrable`, `initially_deferred`.
#[derive(Default)]
struct RawPrimaryKey {
    options: RawKeyOptions,
    name: Option<Spanned<String>>,
}

impl RawPrimaryKey {
    /// Reads one of its keys; `false` when `meta` is not one (a field, on the struct).
    fn read(&mut self, cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<bool> {
        if meta.path == NULLS_NOT_DISTINCT {
            cx.error_spanned_by(
                &meta.path,
                "a primary key holds no NULLs: `nulls_not_distinct` is for \
                 `unique(...)` and unique indexes",
            );
            skip_value(meta)?;
            Ok(true)
        } else if self.options.read(cx, meta)? {
            Ok(true)
        } else if meta.path == NAME && meta.input.peek(Token![=]) {
            // A bare `name` is a field called `name` (SPEC: bare identifiers name fields).
            let v = name(cx, meta)?;
            set_once(cx, &mut self.name, meta, v);
            Ok(true)
        } else {
            Ok(false)
        }
    }
}

pub enum RawIndexKey {
    Field(Spanned<String>),
    Expr(String),
}

pub struct RawIndex {
    pub keys: Vec<RawIndexKey>,
    pub name: Option<Spanned<String>>,
    pub unique: Option<Flag>,
    pub method: Option<Spanned<String>>,
    pub predicate: Option<Spanned<String>>,
    pub include: Option<Spanned<Vec<Spanned<String>>>>,
    pub opclass: Option<Spanned<String>>,
    pub order: Option<Spanned<String>>,
    pub collation: Option<Spanned<String>>,
    pub nulls_not_distinct: Option<Flag>,
    /// Aligned with `keys`: what each `key(...)` says, the default for the others.
    pub key_options: Vec<IndexKeyOptions>,
}

pub struct RawForeignKey {
    pub fields: Option<Spanned<Vec<Spanned<String>>>>,
    pub references: Option<Spanned<syn::Path>>,
    pub ref_fields: Option<Spanned<Vec<Spanned<String>>>>,
    pub actions: RawActions,
}

pub struct RawCheck {
    pub name: Option<Spanned<String>>,
    pub expr: Option<Spanned<String>>,
}

/// `on_delete`, `on_update`, `deferrable`, `initially_deferred`, `name` of a foreign key.
#[derive(Default)]
pub struct RawActions {
    pub on_delete: Option<Spanned<String>>,
    pub on_update: Option<Spanned<String>>,
    pub deferrable: Option<Flag>,
    pub initially_deferred: Option<Flag>,
    pub name: Option<Spanned<String>>,
}

impl RawActions {
    pub fn into_actions(self) -> FkActions {
        FkActions {
            on_delete: self.on_delete.map(|s| s.value),
            on_update: self.on_update.map(|s| s.value),
            deferrable: self.deferrable.is_some() || self.initially_deferred.is_some(),
            initially_deferred: self.initially_deferred.is_some(),
            name: self.name.map(|s| s.value),
        }
    }

    /// Reads one action key; `false` when `meta` is not one.
    fn read(&mut self, cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<bool> {
        if meta.path == ON_DELETE {
            let v = fk_action(cx, meta)?;
            set_once(cx, &mut self.on_delete, meta, v);
        } else if meta.path == ON_UPDATE {
            let v = fk_action(cx, meta)?;
            set_once(cx, &mut self.on_update, meta, v);
        } else if meta.path == DEFERRABLE {
            let v = flag(cx, meta)?;
            set_once(cx, &mut self.deferrable, meta, v);
        } else if meta.path == INITIALLY_DEFERRED {
            let v = flag(cx, meta)?;
            set_once(cx, &mut self.initially_deferred, meta, v);
        } else if meta.path == NAME {
            let v = name(cx, meta)?;
            set_once(cx, &mut self.name, meta, v);
        } else {
            return Ok(false);
        }
        Ok(true)
    }
}

const TABLE_KEYS: &[Symbol] = &[
    TABLE_NAME,
    SCHEMA,
    PRIMARY_KEY,
    UNIQUE,
    INDEX,
    FOREIGN_KEY,
    CHECK,
    EXCLUDE,
    COMMENT,
    RENAMED_FROM,
    PARTITION_BY,
    VIEW,
    ROW_LEVEL_SECURITY,
    STRING_TYPE,
];

const EXCLUDE_KEYS: &[Symbol] = &[
    ELEMENTS,
    METHOD,
    WHERE,
    INCLUDE,
    NAME,
    DEFERRABLE,
    INITIALLY_DEFERRED,
];

/// `exclude(elements = "room WITH =, during WITH &&", method = "gist", where = "...",
/// include(c), name = "...", deferrable, initially_deferred)`.
fn exclusion(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<RawExclusion> {
    let span = key_span(&meta.path);
    let mut x = RawExclusion::default();
    nested(cx, meta, |inner| {
        if inner.path == NULLS_NOT_DISTINCT {
            unknown(cx, &inner, "exclude(...)", EXCLUDE_KEYS)?;
        } else if x.options.read(cx, &inner)? {
        } else if inner.path == ELEMENTS {
            let v = fragment(cx, &inner)?;
            set_once(cx, &mut x.elements, &inner, v);
        } else if inner.path == METHOD {
            let v = index_method(cx, &inner)?;
            set_once(cx, &mut x.method, &inner, v);
        } else if inner.path == WHERE {
            let v = fragment(cx, &inner)?;
            set_once(cx, &mut x.predicate, &inner, v);
        } else if inner.path == INCLUDE {
            let v = field_list(cx, &inner)?;
            set_once(cx, &mut x.include, &inner, v);
        } else if inner.path == NAME {
            let v = name(cx, &inner)?;
            set_once(cx, &mut x.name, &inner, v);
        } else {
            unknown(cx, &inner, "exclude(...)", EXCLUDE_KEYS)?;
        }
        Ok(())
    })?;
    if x.elements.is_none() {
        cx.error_at(
            span,
            "`exclude(...)` needs its elements: `exclude(elements = \"room WITH =, during WITH &&\")`",
        );
    }
    Ok(x)
}

impl TableAttrs {
    pub fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> TableAttrs {
        let mut t = TableAttrs::default();
        for attr in attrs {
            if attr.path() == ENTITY {
                let res = attr.parse_nested_meta(|meta| t.read_key(cx, &meta));
                if let Err(e) = res {
                    cx.syn_error(e);
                }
            } else if attr.path() == SQLX {
                let res = attr.parse_nested_meta(|meta| {
                    if meta.path == RENAME_ALL {
                        let v = rename_rule(cx, &meta)?;
                        set_once(cx, &mut t.sqlx_rename_all, &meta, v);
                        Ok(())
                    } else {
                        // Every other sqlx key is sqlx's business.
                        skip_value(&meta)
                    }
                });
                if let Err(e) = res {
                    cx.syn_error(e);
                }
            }
        }
        t
    }

    fn read_key(&mut self, cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<()> {
        let span = key_span(&meta.path);
        if meta.path == TABLE_NAME {
            let v = name(cx, meta)?;
            set_once(cx, &mut self.table_name, meta, v);
        } else if meta.path == SCHEMA {
            let v = name(cx, meta)?;
            set_once(cx, &mut self.schema, meta, v);
        } else if meta.path == COMMENT {
            let v = string(cx, meta)?;
            set_once(cx, &mut self.comment, meta, v);
        } else if meta.path == RENAMED_FROM {
            let v = name(cx, meta)?;
            set_once(cx, &mut self.renamed_from, meta, v);
        } else if meta.path == PARTITION_BY {
            let v = partition_key(cx, meta)?;
            set_once(cx, &mut self.partition_by, meta, v);
        } else if meta.path == VIEW {
            let v = string(cx, meta)?;
            set_once(cx, &mut self.view, meta, v);
        } else if meta.path == ROW_LEVEL_SECURITY {
            let v = flag(cx, meta)?;
            set_once(cx, &mut self.row_level_security, meta, v);
        } else if meta.path == STRING_TYPE {
            let v = fragment(cx, meta)?;
            set_once(cx, &mut self.string_type, meta, v);
        } else if meta.path == PRIMARY_KEY {
            let mut fields = Vec::new();
            let mut key = RawPrimaryKey::default();
            nested(cx, meta, |inner| {
                // The flags and `name = "..."`; any other bare word is a field.
                if key.read(cx, &inner)? {
                } else if let Some(field) = bare_field(&inner) {
                    fields.push(field);
                } else {
                    unknown(cx, &inner, "primary_key(...)", PRIMARY_KEY_KEYS)?;
                }
                Ok(())
            })?;
            self.primary_key_name = key.name;
            if fields.is_empty() {
                cx.error_at(
                    span,
                    "`primary_key(...)` needs at least one field: `primary_key(a, b)`",
                );
                if self.primary_key.is_some() {
                    set_once(cx, &mut self.primary_key, meta, None);
                }
            } else {
                set_once(cx, &mut self.primary_key, meta, Some(fields));
            }
            self.primary_key_options = key.options;
        } else if meta.path == UNIQUE {
            let mut u = RawUnique {
                fields: Vec::new(),
                name: None,
                options: RawKeyOptions::default(),
            };
            nested(cx, meta, |inner| {
                // A bare word is a field, even one called `name`: only `name = "..."`
                // is the option (SPEC: bare identifiers name fields). The flags
                // (`nulls_not_distinct`, `deferrable`, `initially_deferred`) are the
                // exception, as `unique` is in `index(...)`.
                if u.options.read(cx, &inner)? {
                } else if let Some(field) = bare_field(&inner) {
                    u.fields.push(field);
                } else if inner.path == NAME {
                    let v = name(cx, &inner)?;
                    set_once(cx, &mut u.name, &inner, v);
                } else {
                    unknown(cx, &inner, "unique(...)", UNIQUE_KEYS)?;
                }
                Ok(())
            })?;
            if u.fields.is_empty() {
                cx.error_at(
                    span,
                    "`unique(...)` needs at least one field: `unique(a, b)`",
                );
            }
            self.uniques.push(u);
        } else if meta.path == INDEX {
            let index = table_index(cx, meta)?;
            self.indexes.push(index);
        } else if meta.path == FOREIGN_KEY {
            let fk = table_foreign_key(cx, meta)?;
            self.foreign_keys.push(fk);
        } else if meta.path == CHECK {
            let mut c = RawCheck {
                name: None,
                expr: None,
            };
            if meta.input.peek(Token![=]) {
                // `check = "..."` on the struct: an unnamed table CHECK.
                let v = fragment(cx, meta)?;
                set_once(cx, &mut c.expr, meta, v);
            } else {
                nested(cx, meta, |inner| {
                    if inner.path == NAME {
                        let v = name(cx, &inner)?;
                        set_once(cx, &mut c.name, &inner, v);
                    } else if inner.path == EXPR {
                        let v = fragment(cx, &inner)?;
                        set_once(cx, &mut c.expr, &inner, v);
                    } else {
                        unknown(cx, &inner, "check(...)", &[NAME, EXPR])?;
                    }
                    Ok(())
                })?;
                if c.expr.is_none() {
                    cx.error_at(
                        span,
                        "`check(...)` needs its expression: `check(name = \"...\", expr = \"...\")`",
                    );
                }
            }
            self.checks.push(c);
        } else if meta.path == EXCLUDE {
            let x = exclusion(cx, meta)?;
            self.exclusions.push(x);
        } else {
            unknown(cx, meta, "a struct", TABLE_KEYS)?;
        }
        Ok(())
    }
}

const UNIQUE_KEYS: &[Symbol] = &[NAME, NULLS_NOT_DISTINCT, DEFERRABLE, INITIALLY_DEFERRED];

const TABLE_INDEX_KEYS: &[Symbol] = &[
    UNIQUE,
    NULLS_NOT_DISTINCT,
    NAME,
    METHOD,
    WHERE,
    INCLUDE,
    EXPR,
    KEY,
    OPCLASS,
    ORDER,
    COLLATION,
];

const INDEX_KEY_KEYS: &[Symbol] = &[EXPR, COLLATION, OPCLASS, ORDER];

/// `key(field, collation = "C", opclass = "...", order = "desc")` or
/// `key(expr = "lower(a)", ...)` inside `index(...)`: one key with its own options.
fn index_key(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
) -> syn::Result<Option<(RawIndexKey, IndexKeyOptions)>> {
    let mut key: Option<Spanned<RawIndexKey>> = None;
    let mut collation: Option<Spanned<String>> = None;
    let mut opclass: Option<Spanned<String>> = None;
    let mut order: Option<Spanned<String>> = None;
    let span = key_span(&meta.path);
    let mut one_key = |cx: &Ctxt, inner: &ParseNestedMeta, k: RawIndexKey| {
        if key.is_some() {
            cx.error_at(
                key_span(&inner.path),
                "`key(...)` is one key: a field or `expr = \"...\"`; write one `key(...)` per key",
            );
        } else {
            key = Some(Spanned {
                value: k,
                span: key_span(&inner.path),
            });
        }
    };
    nested(cx, meta, |inner| {
        if let Some(field) = bare_field(&inner) {
            one_key(cx, &inner, RawIndexKey::Field(field));
        } else if inner.path == EXPR {
            if let Some(e) = fragment(cx, &inner)? {
                one_key(cx, &inner, RawIndexKey::Expr(e));
            }
        } else if inner.path == COLLATION {
            let v = collation_name(cx, &inner)?;
            set_once(cx, &mut collation, &inner, v);
        } else if inner.path == OPCLASS {
            let v = fragment(cx, &inner)?;
            set_once(cx, &mut opclass, &inner, v);
        } else if inner.path == ORDER {
            let v = key_order(cx, &inner)?;
            set_once(cx, &mut order, &inner, v);
        } else {
            unknown(cx, &inner, "key(...)", INDEX_KEY_KEYS)?;
        }
        Ok(())
    })?;
    let Some(key) = key else {
        cx.error_at(
            span,
            "`key(...)` needs its field or expression: `key(a, order = \"desc\")`, \
             `key(expr = \"lower(a)\", collation = \"C\")`",
        );
        return Ok(None);
    };
    Ok(Some((
        key.value,
        IndexKeyOptions {
            collation: collation.map(|s| s.value),
            opclass: opclass.map(|s| s.value),
            order: order.map(|s| s.value),
        },
    )))
}

fn table_index(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<RawIndex> {
    let span = key_span(&meta.path);
    let mut index = RawIndex {
        keys: Vec::new(),
        name: None,
        unique: None,
        method: None,
        predicate: None,
        include: None,
        opclass: None,
        order: None,
        collation: None,
        nulls_not_distinct: None,
        key_options: Vec::new(),
    };
    nested(cx, meta, |inner| {
        // `unique` and `nulls_not_distinct` are the bare flags; any other bare word is
        // a field, even `name`, `method`, `expr` or `key` (a column called `name` is
        // common): those are options only with a value (SPEC: bare identifiers name
        // fields, `key = value` are options).
        if inner.path == UNIQUE {
            let v = flag(cx, &inner)?;
            set_once(cx, &mut index.unique, &inner, v);
        } else if inner.path == NULLS_NOT_DISTINCT {
            let v = flag(cx, &inner)?;
            set_once(cx, &mut index.nulls_not_distinct, &inner, v);
        } else if let Some(field) = bare_field(&inner) {
            index.keys.push(RawIndexKey::Field(field));
            index.key_options.push(IndexKeyOptions::default());
        } else if inner.path == KEY && inner.input.peek(syn::token::Paren) {
            if let Some((key, options)) = index_key(cx, &inner)? {
                index.keys.push(key);
                index.key_options.push(options);
            }
        } else if inner.path == COLLATION {
            let v = collation_name(cx, &inner)?;
            set_once(cx, &mut index.collation, &inner, v);
        } else if inner.path == NAME {
            let v = name(cx, &inner)?;
            set_once(cx, &mut index.name, &inner, v);
        } else if inner.path == METHOD {
            let v = index_method(cx, &inner)?;
            set_once(cx, &mut index.method, &inner, v);
        } else if inner.path == WHERE {
            let v = fragment(cx, &inner)?;
            set_once(cx, &mut index.predicate, &inner, v);
        } else if inner.path == INCLUDE {
            let v = field_list(cx, &inner)?;
            set_once(cx, &mut index.include, &inner, v);
        } else if inner.path == OPCLASS {
            let v = fragment(cx, &inner)?;
            set_once(cx, &mut index.opclass, &inner, v);
        } else if inner.path == ORDER {
            let v = key_order(cx, &inner)?;
            set_once(cx, &mut index.order, &inner, v);
        } else if inner.path == EXPR {
            // Several `expr`s are several keys, in order: not a duplicate.
            if let Some(e) = fragment(cx, &inner)? {
                index.keys.push(RawIndexKey::Expr(e));
                index.key_options.push(IndexKeyOptions::default());
            }
        } else {
            unknown(cx, &inner, "index(...)", TABLE_INDEX_KEYS)?;
        }
        Ok(())
    })?;
    if index.keys.is_empty() {
        cx.error_at(
            span,
            "`index(...)` needs at least one field or `expr = \"...\"`: `index(a, b)`",
        );
    }
    if let (Some(flag), None) = (&index.nulls_not_distinct, &index.unique) {
        cx.error_at(
            flag.span,
            "`nulls_not_distinct` is for unique indexes: add `unique`",
        );
    }
    Ok(index)
}

const TABLE_FK_KEYS: &[Symbol] = &[
    COLUMNS,
    REFERENCES,
    REF_COLUMNS,
    ON_DELETE,
    ON_UPDATE,
    DEFERRABLE,
    INITIALLY_DEFERRED,
    NAME,
];

fn table_foreign_key(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<RawForeignKey> {
    let span = key_span(&meta.path);
    let mut fk = RawForeignKey {
        fields: None,
        references: None,
        ref_fields: None,
        actions: RawActions::default(),
    };
    nested(cx, meta, |inner| {
        if inner.path == COLUMNS {
            let v = field_list(cx, &inner)?;
            set_once(cx, &mut fk.fields, &inner, v);
        } else if inner.path == REF_COLUMNS {
            let v = field_list(cx, &inner)?;
            set_once(cx, &mut fk.ref_fields, &inner, v);
        } else if inner.path == REFERENCES {
            let expr: Expr = inner.value()?.parse()?;
            match ungroup_expr(&expr) {
                Expr::Path(p) if p.qself.is_none() => {
                    let v = Some(p.path.clone());
                    set_once(cx, &mut fk.references, &inner, v);
                }
                other => cx.error_spanned_by(
                    other,
                    "`references` takes the referenced entity's struct: `references = Org`",
                ),
            }
        } else if !fk.actions.read(cx, &inner)? {
            unknown(cx, &inner, "foreign_key(...)", TABLE_FK_KEYS)?;
        }
        Ok(())
    })?;
    if fk.fields.is_none() {
        cx.error_at(
            span,
            "`foreign_key(...)` on a struct needs `columns(...)`: \
             `foreign_key(columns(a, b), references = Org, ref_columns(x, y))`",
        );
    }
    if fk.references.is_none() {
        cx.error_at(
            span,
            "`foreign_key(...)` on a struct needs `references = Entity`",
        );
    }
    Ok(fk)
}

// ---------------------------------------------------------------------------------------
// Field level

/// A field-level `foreign_key(Org, column = "id", on_delete = ...)`.
pub struct RawFieldForeignKey {
    pub target: Option<syn::Path>,
    pub column: Option<Spanned<String>>,
    pub actions: RawActions,
}

/// `#[entity(...)]` and the `#[sqlx(rename, skip)]` keys on a field.
#[derive(Default)]
pub struct FieldAttrs {
    /// Every `entity` key given (name, span), to catch `skip` mixed with other keys.
    pub keys: Vec<(String, Span)>,
    pub rename: Option<Spanned<String>>,
    pub skip: Option<Flag>,
    pub sqlx_rename: Option<Spanned<String>>,
    pub sqlx_skip: bool,
    pub primary_key: Option<Flag>,
    /// `primary_key(name = "...")` or `primary_key = "..."` on the field.
    pub primary_key_name: Option<Spanned<String>>,
    /// `primary_key(deferrable, initially_deferred)` on the field.
    pub primary_key_options: RawKeyOptions,
    pub identity: Option<Spanned<IdentityKind>>,
    pub serial: Option<Flag>,
    pub unique: Option<Spanned<Option<String>>>,
    pub unique_options: RawKeyOptions,
    pub collation: Option<Spanned<String>>,
    pub index: Option<Spanned<FieldIndexDef>>,
    pub foreign_key: Option<Spanned<RawFieldForeignKey>>,
    pub references: Option<Spanned<FkTarget>>,
    /// `on_delete`, ... beside `references = "..."`.
    pub reference_actions: RawActions,
    pub sql_type: Option<Spanned<String>>,
    pub length: Option<Spanned<u32>>,
    pub precision: Option<Spanned<u32>>,
    pub scale: Option<Spanned<u32>>,
    pub default: Option<Spanned<String>>,
    pub generated: Option<Spanned<String>>,
    pub check: Option<Spanned<String>>,
    pub comment: Option<Spanned<String>>,
    pub renamed_from: Option<Spanned<String>>,
}

const FIELD_KEYS: &[Symbol] = &[
    RENAME,
    SKIP,
    PRIMARY_KEY,
    IDENTITY,
    SERIAL,
    UNIQUE,
    INDEX,
    FOREIGN_KEY,
    REFERENCES,
    ON_DELETE,
    ON_UPDATE,
    DEFERRABLE,
    INITIALLY_DEFERRED,
    NAME,
    SQL_TYPE,
    COLLATION,
    LENGTH,
    PRECISION,
    SCALE,
    DEFAULT,
    GENERATED,
    CHECK,
    COMMENT,
    RENAMED_FROM,
];

impl FieldAttrs {
    pub fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttrs {
        let mut f = FieldAttrs::default();
        for attr in attrs {
            if attr.path() == ENTITY {
                let res = attr.parse_nested_meta(|meta| {
                    f.keys
                        .push((path_display(&meta.path), key_span(&meta.path)));
                    f.read_key(cx, &meta)
                });
                if let Err(e) = res {
                    cx.syn_error(e);
                }
            } else if attr.path() == SQLX {
                let res = attr.parse_nested_meta(|meta| {
                    if meta.path == RENAME {
                        let v = name(cx, &meta)?;
                        set_once(cx, &mut f.sqlx_rename, &meta, v);
                    } else if meta.path == SKIP {
                        f.sqlx_skip = true;
                        skip_value(&meta)?;
                    } else {
                        skip_value(&meta)?;
                    }
                    Ok(())
                });
                if let Err(e) = res {
                    cx.syn_error(e);
                }
            }
        }
        f
    }

    /// `primary_key`, `primary_key = "name"` or `primary_key(name = "...", deferrable,
    /// initially_deferred)` on a field: `Some(())` when the field is part of the key.
    fn field_primary_key(&mut self, cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<()>> {
        if meta.input.peek(Token![=]) {
            let v = name(cx, meta)?;
            let found = v.is_some();
            set_once(cx, &mut self.primary_key_name, meta, v);
            return Ok(found.then_some(()));
        }
        if !meta.input.peek(syn::token::Paren) {
            return flag(cx, meta);
        }
        let mut key = RawPrimaryKey::default();
        nested(cx, meta, |inner| {
            if !key.read(cx, &inner)? {
                unknown(cx, &inner, "primary_key(...) on a field", PRIMARY_KEY_KEYS)?;
            }
            Ok(())
        })?;
        self.primary_key_options = key.options;
        self.primary_key_name = key.name;
        Ok(Some(()))
    }

    fn read_key(&mut self, cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<()> {
        let p = &meta.path;
        if p == RENAME {
            let v = name(cx, meta)?;
            set_once(cx, &mut self.rename, meta, v);
        } else if p == SKIP {
            let v = flag(cx, meta)?;
            set_once(cx, &mut self.skip, meta, v);
        } else if p == PRIMARY_KEY {
            let v = self.field_primary_key(cx, meta)?;
            set_once(cx, &mut self.primary_key, meta, v);
        } else if p == SERIAL {
            let v = flag(cx, meta)?;
            set_once(cx, &mut self.serial, meta, v);
        } else if p == IDENTITY {
            let v = identity(cx, meta)?;
            set_once(cx, &mut self.identity, meta, v);
        } else if p == UNIQUE {
            let v = if meta.input.peek(Token![=]) {
                name(cx, meta)?.map(Some)
            } else if meta.input.peek(syn::token::Paren) {
                // `unique(name = "...", nulls_not_distinct, deferrable, ...)`.
                let mut declared: Option<Spanned<String>> = None;
                let mut options = RawKeyOptions::default();
                nested(cx, meta, |inner| {
                    if options.read(cx, &inner)? {
                    } else if inner.path == NAME {
                        let v = name(cx, &inner)?;
                        set_once(cx, &mut declared, &inner, v);
                    } else {
                        unknown(cx, &inner, "unique(...) on a field", UNIQUE_KEYS)?;
                    }
                    Ok(())
                })?;
                self.unique_options = options;
                Some(declared.map(|d| d.value))
            } else {
                flag(cx, meta)?.map(|_| None)
            };
            set_once(cx, &mut self.unique, meta, v);
        } else if p == COLLATION {
            let v = collation_name(cx, meta)?;
            set_once(cx, &mut self.collation, meta, v);
        } else if p == INDEX {
            let v = field_index(cx, meta)?;
            set_once(cx, &mut self.index, meta, v);
        } else if p == FOREIGN_KEY {
            let v = field_foreign_key(cx, meta)?;
            set_once(cx, &mut self.foreign_key, meta, v);
        } else if p == REFERENCES {
            let v = references_table(cx, meta)?;
            set_once(cx, &mut self.references, meta, v);
        } else if self.reference_actions.read(cx, meta)? {
            // on_delete / on_update / deferrable / name beside `references`.
        } else if p == SQL_TYPE {
            let v = fragment(cx, meta)?;
            set_once(cx, &mut self.sql_type, meta, v);
        } else if p == LENGTH {
            let v = int(cx, meta)?;
            set_once(cx, &mut self.length, meta, v);
        } else if p == PRECISION {
            let v = int(cx, meta)?;
            set_once(cx, &mut self.precision, meta, v);
        } else if p == SCALE {
            let v = int(cx, meta)?;
            set_once(cx, &mut self.scale, meta, v);
        } else if p == DEFAULT {
            let v = fragment(cx, meta)?;
            set_once(cx, &mut self.default, meta, v);
        } else if p == GENERATED {
            let v = fragment(cx, meta)?;
            set_once(cx, &mut self.generated, meta, v);
        } else if p == CHECK {
            let v = fragment(cx, meta)?;
            set_once(cx, &mut self.check, meta, v);
        } else if p == COMMENT {
            let v = string(cx, meta)?;
            set_once(cx, &mut self.comment, meta, v);
        } else if p == RENAMED_FROM {
            let v = name(cx, meta)?;
            set_once(cx, &mut self.renamed_from, meta, v);
        } else {
            unknown(cx, meta, "a field", FIELD_KEYS)?;
        }
        Ok(())
    }
}

fn field_index(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<FieldIndexDef>> {
    let mut name_: Option<Spanned<String>> = None;
    let mut method: Option<Spanned<String>> = None;
    let mut predicate: Option<Spanned<String>> = None;
    let mut opclass: Option<Spanned<String>> = None;
    let mut order: Option<Spanned<String>> = None;
    let mut collation: Option<Spanned<String>> = None;
    let mut unique: Option<Flag> = None;
    let mut nulls_not_distinct: Option<Flag> = None;
    if meta.input.peek(syn::token::Paren) {
        nested(cx, meta, |inner| {
            if inner.path == UNIQUE {
                let v = flag(cx, &inner)?;
                set_once(cx, &mut unique, &inner, v);
            } else if inner.path == NULLS_NOT_DISTINCT {
                let v = flag(cx, &inner)?;
                set_once(cx, &mut nulls_not_distinct, &inner, v);
            } else if inner.path == NAME {
                let v = name(cx, &inner)?;
                set_once(cx, &mut name_, &inner, v);
            } else if inner.path == METHOD {
                let v = index_method(cx, &inner)?;
                set_once(cx, &mut method, &inner, v);
            } else if inner.path == WHERE {
                let v = fragment(cx, &inner)?;
                set_once(cx, &mut predicate, &inner, v);
            } else if inner.path == OPCLASS {
                let v = fragment(cx, &inner)?;
                set_once(cx, &mut opclass, &inner, v);
            } else if inner.path == ORDER {
                let v = key_order(cx, &inner)?;
                set_once(cx, &mut order, &inner, v);
            } else if inner.path == COLLATION {
                let v = collation_name(cx, &inner)?;
                set_once(cx, &mut collation, &inner, v);
            } else {
                unknown(
                    cx,
                    &inner,
                    "index(...) on a field",
                    &[
                        UNIQUE,
                        NULLS_NOT_DISTINCT,
                        NAME,
                        METHOD,
                        WHERE,
                        OPCLASS,
                        ORDER,
                        COLLATION,
                    ],
                )?;
            }
            Ok(())
        })?;
    } else if flag(cx, meta)?.is_none() {
        return Ok(None);
    }
    if let (Some(flag), None) = (&nulls_not_distinct, &unique) {
        cx.error_at(
            flag.span,
            "`nulls_not_distinct` is for unique indexes: add `unique`",
        );
    }
    Ok(Some(FieldIndexDef {
        name: name_.map(|s| s.value),
        unique: unique.is_some(),
        nulls_not_distinct: nulls_not_distinct.is_some(),
        method: method.map(|s| s.value),
        predicate: predicate.map(|s| s.value),
        opclass: opclass.map(|s| s.value),
        order: order.map(|s| s.value),
        collation: collation.map(|s| s.value),
    }))
}

const FIELD_FK_KEYS: &[Symbol] = &[
    COLUMN,
    ON_DELETE,
    ON_UPDATE,
    DEFERRABLE,
    INITIALLY_DEFERRED,
    NAME,
];

fn field_foreign_key(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<RawFieldForeignKey>> {
    let mut fk = RawFieldForeignKey {
        target: None,
        column: None,
        actions: RawActions::default(),
    };
    let mut position = 0usize;
    nested(cx, meta, |inner| {
        let first = position == 0;
        position += 1;
        if inner.path == COLUMN {
            let v = name(cx, &inner)?;
            set_once(cx, &mut fk.column, &inner, v);
        } else if fk.actions.read(cx, &inner)? {
        } else if first && !has_value(&inner) {
            // The referenced entity comes first, as a path: `foreign_key(Org, ...)`.
            fk.target = Some(inner.path.clone());
        } else {
            unknown(cx, &inner, "foreign_key(...) on a field", FIELD_FK_KEYS)?;
        }
        Ok(())
    })?;
    if fk.target.is_none() {
        cx.error_spanned_by(
            &meta.path,
            "`foreign_key(...)` needs the referenced entity first: `foreign_key(Org)`; \
             for a table that is not an entity use `references = \"schema.table(column)\"`",
        );
        return Ok(None);
    }
    Ok(Some(fk))
}

/// `references = "schema.table(col)"`: a table that is not an entity.
fn references_table(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<FkTarget>> {
    let Some(lit) = lit_str_value(cx, meta, REFERENCES.as_str())? else {
        return Ok(None);
    };
    match parse_table_reference(&lit.value()) {
        Ok((schema, table, columns)) => {
            let too_long = std::iter::once(&table)
                .chain(schema.iter())
                .chain(columns.iter())
                .find(|n| n.len() > MAX_IDENT_BYTES);
            if let Some(n) = too_long {
                cx.error_spanned_by(&lit, too_long_message(n));
                return Ok(None);
            }
            Ok(Some(FkTarget::Table {
                schema,
                table,
                columns,
            }))
        }
        Err(why) => {
            cx.error_spanned_by(
                &lit,
                format!(
                    "{why}; write `references = \"table(column)\"` or `\"schema.table(column)\"`"
                ),
            );
            Ok(None)
        }
    }
}

/// Splits `schema.table(a, b)` into its parts. The column list is optional: without
/// it PostgreSQL references the table's primary key. A part is one name: bare, taken
/// as written like every name strata is given (letters, digits, `_`, `$`), or quoted
/// (`"Order Lines"`, with `""` for a quote), read as PostgreSQL reads it.
pub fn parse_table_reference(s: &str) -> Result<(Option<String>, String, Vec<String>), String> {
    let s = s.trim();
    let tokens: Vec<Token> = lex::significant(s).collect();
    let (head, columns) = match tokens.iter().position(|t| t.is_punct(b'(')) {
        Some(open) => {
            let inner = match tokens[open + 1..].split_last() {
                Some((close, inner)) if close.is_punct(b')') => inner,
                _ => return Err(format!("`{s}` has no closing `)`")),
            };
            let cols = inner
                .split(|t| t.is_punct(b','))
                .map(|part| declared_name(part, s))
                .collect::<Option<Vec<String>>>()
                .ok_or_else(|| format!("`{s}` has an empty or invalid column name"))?;
            (&tokens[..open], cols)
        }
        None => (&tokens[..], Vec::new()),
    };
    let parts: Vec<&[Token]> = head.split(|t| t.is_punct(b'.')).collect();
    let (schema, table) = match parts.as_slice() {
        [table] => (None, *table),
        [schema, table] => (Some(*schema), *table),
        _ => return Err(format!("`{s}` is not `table` or `schema.table`")),
    };
    let invalid = || format!("`{s}` has an empty or invalid table name");
    let table = declared_name(table, s).ok_or_else(invalid)?;
    let schema = match schema {
        Some(part) => Some(declared_name(part, s).ok_or_else(invalid)?),
        None => None,
    };
    Ok((schema, table, columns))
}

/// One name of a reference: exactly one token, a bare word as written or a quoted
/// identifier unquoted (not cut: a long name is reported as too long).
fn declared_name(tokens: &[Token], s: &str) -> Option<String> {
    let [t] = tokens else {
        return None;
    };
    match t.kind {
        Kind::QuotedIdent { .. } => lex::ident::uncut_ident_name(t, s).map(Cow::into_owned),
        // A word may start with a digit (`2fa_codes`): the lexer reads a number there.
        Kind::Ident | Kind::Number if t.text(s).bytes().all(lex::token::is_ident_cont) => {
            Some(t.text(s).to_string())
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Enums

/// `#[sqlx(type_name, rename_all)]` on a `DbEnum`, and its (key-less) `#[entity]`.
#[derive(Default)]
pub struct EnumAttrs {
    pub type_name: Option<Spanned<String>>,
    pub rename_all: Option<Spanned<RenameRule>>,
}

impl EnumAttrs {
    pub fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> EnumAttrs {
        let mut e = EnumAttrs::default();
        for attr in attrs {
            let res = if attr.path() == ENTITY {
                attr.parse_nested_meta(|meta| {
                    cx.error_spanned_by(
                        &meta.path,
                        format!(
                            "unknown `entity` key `{}` on an enum: `#[entity]` on a DbEnum takes \
                             no keys; its type name comes from #[sqlx(type_name = \"...\")]",
                            path_display(&meta.path)
                        ),
                    );
                    skip_value(&meta)
                })
            } else if attr.path() == SQLX {
                attr.parse_nested_meta(|meta| {
                    if meta.path == TYPE_NAME {
                        let v = lit_str_value(cx, &meta, TYPE_NAME.as_str())?
                            .and_then(|lit| non_empty(cx, &lit, TYPE_NAME.as_str()));
                        set_once(cx, &mut e.type_name, &meta, v);
                    } else if meta.path == RENAME_ALL {
                        let v = rename_rule(cx, &meta)?;
                        set_once(cx, &mut e.rename_all, &meta, v);
                    } else {
                        skip_value(&meta)?;
                    }
                    Ok(())
                })
            } else {
                Ok(())
            };
            if let Err(err) = res {
                cx.syn_error(err);
            }
        }
        e
    }
}

/// `#[sqlx(rename)]` and `#[entity(renamed_from)]` on a variant.
#[derive(Default)]
pub struct VariantAttrs {
    pub rename: Option<Spanned<String>>,
    pub renamed_from: Option<Spanned<String>>,
}

impl VariantAttrs {
    pub fn from_attrs(cx: &Ctxt, attrs: &[Attribute]) -> VariantAttrs {
        let mut v = VariantAttrs::default();
        for attr in attrs {
            let res = if attr.path() == ENTITY {
                attr.parse_nested_meta(|meta| {
                    if meta.path == RENAMED_FROM {
                        let x = name(cx, &meta)?;
                        set_once(cx, &mut v.renamed_from, &meta, x);
                        Ok(())
                    } else {
                        unknown(cx, &meta, "an enum variant", &[RENAMED_FROM])
                    }
                })
            } else if attr.path() == SQLX {
                attr.parse_nested_meta(|meta| {
                    if meta.path == RENAME {
                        let x = name(cx, &meta)?;
                        set_once(cx, &mut v.rename, &meta, x);
                        Ok(())
                    } else {
                        skip_value(&meta)
                    }
                })
            } else {
                Ok(())
            };
            if let Err(err) = res {
                cx.syn_error(err);
            }
        }
        v
    }
}

// ---------------------------------------------------------------------------------------
// sqlx's rename_all

/// sqlx's `rename_all` cases, spelled as sqlx spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenameRule {
    Lower,
    Upper,
    Snake,
    Kebab,
    Camel,
    Pascal,
    ScreamingSnake,
}

const RENAME_RULES: &[(&str, RenameRule)] = &[
    ("lowercase", RenameRule::Lower),
    ("UPPERCASE", RenameRule::Upper),
    ("snake_case", RenameRule::Snake),
    ("kebab-case", RenameRule::Kebab),
    ("camelCase", RenameRule::Camel),
    ("PascalCase", RenameRule::Pascal),
    ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnake),
];

impl RenameRule {
    /// Applies the rule as sqlx does (sqlx also uses heck).
    pub fn apply(self, name: &str) -> String {
        match self {
            RenameRule::Lower => name.to_lowercase(),
            RenameRule::Upper => name.to_uppercase(),
            RenameRule::Snake => name.to_snake_case(),
            RenameRule::Kebab => name.to_kebab_case(),
            RenameRule::Camel => name.to_lower_camel_case(),
            RenameRule::Pascal => name.to_upper_camel_case(),
            RenameRule::ScreamingSnake => name.to_shouty_snake_case(),
        }
    }
}

fn rename_rule(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<RenameRule>> {
    let Some(lit) = lit_str_value(cx, meta, RENAME_ALL.as_str())? else {
        return Ok(None);
    };
    let value = lit.value();
    match RENAME_RULES.iter().find(|(n, _)| *n == value) {
        Some((_, rule)) => Ok(Some(*rule)),
        None => {
            let names: Vec<String> = RENAME_RULES
                .iter()
                .map(|(n, _)| format!("\"{n}\""))
                .collect();
            cx.error_spanned_by(
                &lit,
                format!(
                    "unknown `rename_all` case `{value}`; sqlx knows {}",
                    names.join(", ")
                ),
            );
            Ok(None)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Values

/// Records `value` under the key `meta.path`, or reports a duplicate. `None` (a value
/// already reported as wrong) is not recorded, so it cannot cause a second error.
fn set_once<T>(cx: &Ctxt, slot: &mut Option<Spanned<T>>, meta: &ParseNestedMeta, value: Option<T>) {
    let span = key_span(&meta.path);
    if slot.is_some() {
        cx.error_at(
            span,
            format!(
                "duplicate `{}`: it is already given",
                path_display(&meta.path)
            ),
        );
    } else if let Some(value) = value {
        *slot = Some(Spanned { value, span });
    }
}

/// Walks `key(...)`; a value of another shape is an error at the key.
fn nested(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    f: impl FnMut(ParseNestedMeta) -> syn::Result<()>,
) -> syn::Result<()> {
    if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(f)
    } else {
        cx.error_spanned_by(
            &meta.path,
            format!(
                "`{}` takes a list: `{}(...)`",
                path_display(&meta.path),
                path_display(&meta.path)
            ),
        );
        skip_value(meta)
    }
}

fn has_value(meta: &ParseNestedMeta) -> bool {
    meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren)
}

/// Consumes whatever follows a key (`= expr` or `(...)`), so parsing can go on.
pub fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        value_expr(meta)?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

fn unknown(cx: &Ctxt, meta: &ParseNestedMeta, place: &str, valid: &[Symbol]) -> syn::Result<()> {
    let valid: Vec<&str> = valid.iter().map(|s| s.as_str()).collect();
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown `entity` key `{}` on {place}; valid keys: {}",
            path_display(&meta.path),
            valid.join(", ")
        ),
    );
    skip_value(meta)
}

/// A bare identifier inside a list: a Rust field name.
fn bare_field(meta: &ParseNestedMeta) -> Option<Spanned<String>> {
    if has_value(meta) {
        return None;
    }
    let ident = meta.path.get_ident()?;
    Some(Spanned {
        value: ident.unraw().to_string(),
        span: ident.span(),
    })
}

/// `key(a, b)`: Rust field names.
fn field_list(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Vec<Spanned<String>>>> {
    let key = KeyName(&meta.path);
    let mut fields = Vec::new();
    nested(cx, meta, |inner| {
        match bare_field(&inner) {
            Some(f) => fields.push(f),
            None => {
                cx.error_spanned_by(
                    &inner.path,
                    format!("`{key}(...)` takes field names only: `{key}(a, b)`"),
                );
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    if fields.is_empty() {
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}(...)` needs at least one field: `{key}(a, b)`"),
        );
        return Ok(None);
    }
    Ok(Some(fields))
}

fn flag(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<()>> {
    if has_value(meta) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{}` takes no value", path_display(&meta.path)),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    Ok(Some(()))
}

fn ungroup_expr(mut e: &Expr) -> &Expr {
    while let Expr::Group(g) = e {
        e = &g.expr;
    }
    e
}

/// `key = "..."`: the literal, or `None` after reporting another kind of value.
fn lit_str_value(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    key: impl Display,
) -> syn::Result<Option<LitStr>> {
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}` takes a string: `{key} = \"...\"`"),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let expr = value_expr(meta)?;
    match ungroup_expr(&expr) {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(Some(s.clone())),
        other => {
            cx.error_spanned_by(other, format!("`{key}` takes a string: `{key} = \"...\"`"));
            Ok(None)
        }
    }
}

fn non_empty(cx: &Ctxt, lit: &LitStr, key: impl Display) -> Option<String> {
    let v = lit.value();
    if v.trim().is_empty() {
        cx.error_spanned_by(lit, format!("`{key}` cannot be empty"));
        None
    } else {
        Some(v)
    }
}

/// `key = "..."`, not empty (a SQL expression, a comment, a type).
fn string(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    let key = KeyName(&meta.path);
    let Some(lit) = lit_str_value(cx, meta, key)? else {
        return Ok(None);
    };
    Ok(non_empty(cx, &lit, key))
}

/// `key = "..."` holding SQL that strata writes into a statement verbatim (an
/// expression, a type, an operator class): not empty, and nothing in it that would end
/// or break out of that statement (see [`lex::fragment_problem`]). A problem is
/// reported at the literal; the value is kept, so no second error says it is missing.
fn fragment(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    let key = KeyName(&meta.path);
    let Some(lit) = lit_str_value(cx, meta, key)? else {
        return Ok(None);
    };
    let value = non_empty(cx, &lit, key);
    if let Some(problem) = value.as_deref().and_then(lex::fragment_problem) {
        cx.error_spanned_by(&lit, format!("`{key}` {problem}"));
    }
    Ok(value)
}

/// `partition_by = "RANGE (created_at)"`: a method and one parenthesized list (see
/// [`crate::partitioning`]); a problem is reported at the literal.
fn partition_key(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    let key = KeyName(&meta.path);
    let Some(lit) = lit_str_value(cx, meta, key)? else {
        return Ok(None);
    };
    let value = non_empty(cx, &lit, key);
    if let Some(Err(problem)) = value.as_deref().map(crate::partitioning::parse) {
        cx.error_spanned_by(&lit, format!("`{key}` {problem}"));
    }
    Ok(value)
}

pub fn too_long_message(name: &str) -> String {
    format!(
        "`{name}` is {} bytes long; PostgreSQL truncates identifiers to {MAX_IDENT_BYTES} bytes; \
         choose a shorter name",
        name.len()
    )
}

/// `key = "..."` naming a PostgreSQL object: not empty, at most 63 bytes.
fn name(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    let key = KeyName(&meta.path);
    let Some(lit) = lit_str_value(cx, meta, key)? else {
        return Ok(None);
    };
    let Some(value) = non_empty(cx, &lit, key) else {
        return Ok(None);
    };
    if value.len() > MAX_IDENT_BYTES {
        cx.error_spanned_by(&lit, too_long_message(&value));
        return Ok(None);
    }
    Ok(Some(value))
}

fn int(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<u32>> {
    let key = KeyName(&meta.path);
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(&meta.path, format!("`{key}` takes a number: `{key} = 10`"));
        skip_value(meta)?;
        return Ok(None);
    }
    let expr = value_expr(meta)?;
    match ungroup_expr(&expr) {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(i), ..
        }) => match i.base10_parse::<u32>() {
            Ok(0) | Err(_) => {
                cx.error_spanned_by(i, format!("`{key}` must be a positive whole number"));
                Ok(None)
            }
            Ok(n) => Ok(Some(n)),
        },
        other => {
            cx.error_spanned_by(other, format!("`{key}` takes a number: `{key} = 10`"));
            Ok(None)
        }
    }
}

fn identity(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<IdentityKind>> {
    if !meta.input.peek(Token![=]) {
        return Ok(flag(cx, meta)?.map(|_| IdentityKind::ByDefault));
    }
    let Some(lit) = lit_str_value(cx, meta, IDENTITY.as_str())? else {
        return Ok(None);
    };
    match normalise_words(&lit.value()).as_str() {
        "always" => Ok(Some(IdentityKind::Always)),
        "by default" => Ok(Some(IdentityKind::ByDefault)),
        _ => {
            cx.error_spanned_by(
                &lit,
                "`identity` is `identity` (by default), `identity = \"by default\"` or `identity = \"always\"`",
            );
            Ok(None)
        }
    }
}

/// Lower case, `_` as a space, single spaces: `Set_Null` → `set null`.
fn normalise_words(s: &str) -> String {
    s.replace('_', " ")
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

const FK_ACTIONS: &[&str] = &[
    "cascade",
    "restrict",
    "set null",
    "set default",
    "no action",
];

fn fk_action(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    let key = KeyName(&meta.path);
    let Some(lit) = lit_str_value(cx, meta, key)? else {
        return Ok(None);
    };
    let words = normalise_words(&lit.value());
    if FK_ACTIONS.contains(&words.as_str()) {
        Ok(Some(words.to_uppercase()))
    } else {
        cx.error_spanned_by(
            &lit,
            format!(
                "unknown `{key}` action `{}`; valid: {}",
                lit.value(),
                FK_ACTIONS.join(", ")
            ),
        );
        Ok(None)
    }
}

const INDEX_METHODS: &[&str] = &["btree", "hash", "gist", "spgist", "gin", "brin"];

/// `order = "desc"`: an index key order, in any case and spacing, spelled back the
/// way the schema model compares it (PostgreSQL's defaults left out: ASC, NULLS LAST
/// after ASC, NULLS FIRST after DESC).
fn key_order(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    let Some(lit) = lit_str_value(cx, meta, ORDER.as_str())? else {
        return Ok(None);
    };
    let words: Vec<String> = lit
        .value()
        .split_whitespace()
        .map(str::to_uppercase)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let canonical = match words.as_slice() {
        ["ASC"] | ["ASC", "NULLS", "LAST"] | ["NULLS", "LAST"] => Some(""),
        ["DESC"] | ["DESC", "NULLS", "FIRST"] => Some("DESC"),
        ["DESC", "NULLS", "LAST"] => Some("DESC NULLS LAST"),
        ["ASC", "NULLS", "FIRST"] | ["NULLS", "FIRST"] => Some("NULLS FIRST"),
        _ => None,
    };
    match canonical {
        Some(c) => Ok(Some(c.to_string())),
        None => {
            cx.error_spanned_by(
                &lit,
                format!(
                    "unknown index order `{}`; valid: asc or desc, each with nulls first or nulls last",
                    lit.value()
                ),
            );
            Ok(None)
        }
    }
}

/// `collation = "C"`: a collation's name, kept as declared once it is found to be one
/// (see [`parse_collation`]).
fn collation_name(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    let Some(lit) = lit_str_value(cx, meta, COLLATION.as_str())? else {
        return Ok(None);
    };
    let value = lit.value();
    match parse_collation(&value) {
        Ok((schema, name)) => {
            if let Some(long) = schema
                .iter()
                .chain([&name])
                .find(|n| n.len() > MAX_IDENT_BYTES)
            {
                cx.error_spanned_by(&lit, too_long_message(long));
                return Ok(None);
            }
            Ok(Some(value))
        }
        Err(why) => {
            cx.error_spanned_by(&lit, format!("`collation` {why}"));
            Ok(None)
        }
    }
}

/// A declared collation: (schema, name). Collation names hold dots and dashes
/// (`en_US.utf8`, `de-x-icu`), so a value without a double quote is one name taken
/// as written, found in the search path (PostgreSQL's own collations live in
/// `pg_catalog`); a qualified or quoted one is written as SQL:
/// `billing."german"`, `"Mixed Case"`.
pub fn parse_collation(s: &str) -> Result<(Option<String>, String), String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("cannot be empty".into());
    }
    if !s.contains('"') {
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "`{s}` is not a collation name; a name with spaces is quoted: `\"{s}\"`"
            ));
        }
        return Ok((None, s.to_string()));
    }
    let tokens: Vec<Token> = lex::significant(s).collect();
    let parts: Vec<&[Token]> = tokens.split(|t| t.is_punct(b'.')).collect();
    let invalid = || {
        format!(
            "`{s}` is not a collation name: write `name` as it is (`C`, `en_US.utf8`), or \
             SQL's `schema.\"name\"`"
        )
    };
    match parts.as_slice() {
        [name] => Ok((None, declared_name(name, s).ok_or_else(invalid)?)),
        [schema, name] => Ok((
            Some(declared_name(schema, s).ok_or_else(invalid)?),
            declared_name(name, s).ok_or_else(invalid)?,
        )),
        _ => Err(invalid()),
    }
}

fn index_method(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    let Some(lit) = lit_str_value(cx, meta, METHOD.as_str())? else {
        return Ok(None);
    };
    let method = lit.value().trim().to_lowercase();
    // PostgreSQL's own, or one an extension installs (`hnsw` and `ivfflat` from
    // pgvector, `bloom`, `rum`): a name the server checks when the plan is verified.
    let is_name = method.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && method
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if INDEX_METHODS.contains(&method.as_str()) || is_name {
        Ok(Some(method))
    } else {
        cx.error_spanned_by(
            &lit,
            format!(
                "`{}` is not an index access method's name; PostgreSQL's are {} (an extension's, such as `hnsw`, works too)",
                lit.value(),
                INDEX_METHODS.join(", ")
            ),
        );
        Ok(None)
    }
}

pub fn path_display(path: &syn::Path) -> String {
    // Nearly every key is one word: its text is the word's, without printing a token
    // stream and taking the spaces out of it.
    match path.get_ident() {
        Some(ident) => ident.to_string(),
        None => path.to_token_stream().to_string().replace(' ', ""),
    }
}

/// A key as the user wrote it, printed (by [`path_display`]) only when an error
/// message needs it: most keys are fine, and their messages are never made.
#[derive(Clone, Copy)]
struct KeyName<'a>(&'a syn::Path);

impl Display for KeyName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&path_display(self.0))
    }
}

/// The span of a key: the span of its one word when it is one (what syn's
/// `Spanned::span` gives for it too, joining its tokens' spans, but without turning
/// the path into a token stream first).
fn key_span(path: &syn::Path) -> Span {
    match path.get_ident() {
        Some(ident) => ident.span(),
        None => path.span(),
    }
}

/// What follows `key =`, as an expression. A lone literal (`"..."`, `12`) followed by
/// the next key or the end, nearly every value, is read as one token; anything else
/// goes through syn's expression parser, so that `"a" + b` is read (and reported)
/// whole as before.
fn value_expr(meta: &ParseNestedMeta) -> syn::Result<Expr> {
    let input = meta.value()?;
    let lone_literal = input.cursor().literal().is_some_and(|(_, rest)| {
        rest.eof() || rest.punct().is_some_and(|(p, _)| p.as_char() == ',')
    });
    if lone_literal {
        return Ok(Expr::Lit(syn::ExprLit {
            attrs: Vec::new(),
            lit: input.parse()?,
        }));
    }
    input.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_references_split_into_parts() {
        assert_eq!(
            parse_table_reference("billing.accounts(id)"),
            Ok((Some("billing".into()), "accounts".into(), vec!["id".into()]))
        );
        assert_eq!(
            parse_table_reference("accounts( a , b )"),
            Ok((None, "accounts".into(), vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            parse_table_reference("accounts"),
            Ok((None, "accounts".into(), vec![]))
        );
        assert!(parse_table_reference("a.b.c(id)").is_err());
        assert!(parse_table_reference("accounts(id").is_err());
        assert!(parse_table_reference("accounts()").is_err());
        assert!(parse_table_reference(".accounts").is_err());
        assert!(parse_table_reference("a b(id)").is_err());
        assert!(parse_table_reference("accounts(a b)").is_err());
    }

    #[test]
    fn table_reference_parts_may_be_quoted_or_start_with_a_digit() {
        assert_eq!(
            parse_table_reference(r#""Billing"."Order, Lines"("Id.x", 2fa_codes)"#),
            Ok((
                Some("Billing".into()),
                "Order, Lines".into(),
                vec!["Id.x".into(), "2fa_codes".into()]
            ))
        );
        // Bare names are taken as written, like every name strata is given.
        assert_eq!(
            parse_table_reference("Accounts(ID)"),
            Ok((None, "Accounts".into(), vec!["ID".into()]))
        );
        assert!(parse_table_reference(r#"accounts("")"#).is_err());
        assert!(parse_table_reference(r#"accounts("id)"#).is_err());
    }

    #[test]
    fn rename_rules_match_sqlx() {
        let cases = [
            (RenameRule::Lower, "FooBar", "foobar"),
            (RenameRule::Upper, "FooBar", "FOOBAR"),
            (RenameRule::Snake, "FooBar", "foo_bar"),
            (RenameRule::Kebab, "FooBar", "foo-bar"),
            (RenameRule::Camel, "foo_bar", "fooBar"),
            (RenameRule::Pascal, "foo_bar", "FooBar"),
            (RenameRule::ScreamingSnake, "FooBar", "FOO_BAR"),
        ];
        for (rule, input, expected) in cases {
            assert_eq!(rule.apply(input), expected, "{rule:?}");
        }
    }
}
