//! Indexes of one table: keys spelled as `pg_get_indexdef` prints them, default names
//! as PostgreSQL's `ChooseIndexName` picks them.

use super::collations::{collation_sql, column_collation};
use super::{column_of, error, LowerError};
use crate::entity::{EntityDef, FieldDef, IndexDef, IndexKey, IndexKeyOptions};
use crate::names::{quote_ident, IndexColumn, NameAllocator};
use crate::schema::Index;

const DEFAULT_METHOD: &str = "btree";

/// Field `index` ones in field order, then table `index(...)` ones. Declared names
/// were reserved beforehand.
pub(super) fn indexes(
    entity: &EntityDef,
    names: &mut NameAllocator,
    errors: &mut Vec<LowerError>,
) -> Vec<Index> {
    let table = &entity.table_name;
    let mut out = Vec::new();
    for field in &entity.fields {
        let Some(def) = &field.index else { continue };
        let column = field.column_name.as_str();
        let index = Index {
            name: def
                .name
                .clone()
                .unwrap_or_else(|| names.index_of(table, &[IndexColumn::Column(column)])),
            keys: vec![quote_ident(column).into_owned()],
            unique: def.unique,
            method: def.method.clone().unwrap_or_else(|| DEFAULT_METHOD.into()),
            predicate: def.predicate.clone(),
            include: Vec::new(),
            opclasses: def.opclass.iter().cloned().collect(),
            orders: def
                .order
                .iter()
                .filter(|o| !o.is_empty())
                .cloned()
                .collect(),
            collations: unless_all_default(vec![key_collation(
                def.collation.as_deref(),
                Some(field),
            )]),
            nulls_not_distinct: def.nulls_not_distinct,
            written: Default::default(),
        };
        check_method(entity, Some(field), &index, errors);
        out.push(index);
    }
    for def in &entity.indexes {
        let key_columns = def.keys.iter().map(|key| match key {
            IndexKey::Field(f) => IndexColumn::Column(column_of(entity, f)),
            IndexKey::Expr(e) => IndexColumn::Expr(e),
        });
        let include: Vec<&str> = def.include.iter().map(|f| column_of(entity, f)).collect();
        // INCLUDE columns are part of the default name too (`ChooseIndexColumnNames`
        // runs over keys and included columns alike).
        let naming: Vec<IndexColumn<'_>> = key_columns
            .clone()
            .chain(include.iter().map(|c| IndexColumn::Column(c)))
            .collect();
        let index = Index {
            name: def
                .name
                .clone()
                .unwrap_or_else(|| names.index_of(table, &naming)),
            keys: key_columns
                .map(|key| match key {
                    IndexColumn::Column(c) => quote_ident(c).into_owned(),
                    IndexColumn::Expr(e) => e.to_string(),
                })
                .collect(),
            unique: def.unique,
            method: def.method.clone().unwrap_or_else(|| DEFAULT_METHOD.into()),
            predicate: def.predicate.clone(),
            include: include
                .iter()
                .map(|c| quote_ident(c).into_owned())
                .collect(),
            opclasses: unless_all_default(per_key(def, |o| o.opclass.as_ref(), &def.opclass)),
            orders: unless_all_default(per_key(def, |o| o.order.as_ref(), &def.order)),
            collations: unless_all_default(
                def.keys
                    .iter()
                    .enumerate()
                    .map(|(k, key)| {
                        let own = def.key_options.get(k).and_then(|o| o.collation.as_ref());
                        let field = match key {
                            IndexKey::Field(f) => entity.fields.iter().find(|x| x.rust_name == *f),
                            IndexKey::Expr(_) => None,
                        };
                        key_collation(own.or(def.collation.as_ref()).map(String::as_str), field)
                    })
                    .collect(),
            ),
            nulls_not_distinct: def.nulls_not_distinct,
            written: Default::default(),
        };
        check_method(entity, None, &index, errors);
        out.push(index);
    }
    out
}

/// Each key's option: its own (`key(..., opclass = ...)`), else the index's, else `""`.
fn per_key(
    def: &IndexDef,
    own: impl Fn(&IndexKeyOptions) -> Option<&String>,
    index_wide: &Option<String>,
) -> Vec<String> {
    (0..def.keys.len())
        .map(|k| {
            def.key_options
                .get(k)
                .and_then(&own)
                .or(index_wide.as_ref())
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

/// Per-key options where every key has the default: nothing to say (as introspection
/// reads them).
fn unless_all_default(options: Vec<String>) -> Vec<String> {
    if options.iter().all(String::is_empty) {
        Vec::new()
    } else {
        options
    }
}

/// A key's collation as introspection reads it: `""` where it is the key's own (its
/// column's; for an expression, the database default).
fn key_collation(declared: Option<&str>, field: Option<&FieldDef>) -> String {
    let Some(declared) = declared else {
        return String::new();
    };
    let sql = collation_sql(declared);
    let own = match field {
        Some(f) => f.collation.as_deref().and_then(column_collation),
        None => None,
    };
    let default = quote_ident("default");
    if Some(&sql) == own.as_ref() || (own.is_none() && sql == default) {
        String::new()
    } else {
        sql
    }
}

/// What PostgreSQL's access methods refuse (their `amcanunique`, `amcanmulticol` and
/// `amcaninclude` flags), reported here rather than by a failing migration.
fn check_method(
    entity: &EntityDef,
    field: Option<&FieldDef>,
    index: &Index,
    errors: &mut Vec<LowerError>,
) {
    let method = index.method.as_str();
    let name = &index.name;
    // What an extension's access method can do is the server's to say.
    if !matches!(
        method,
        "btree" | "hash" | "gist" | "spgist" | "gin" | "brin"
    ) {
        return;
    }
    if index.unique && method != "btree" {
        errors.push(error(
            entity,
            field,
            format!("index `{name}`: only btree indexes can be unique, not {method}; drop `method` or `unique`"),
        ));
    }
    if index.keys.len() > 1 && method == "hash" {
        errors.push(error(
            entity,
            field,
            format!("index `{name}`: a hash index has one key; use btree or one index per key"),
        ));
    }
    if !index.include.is_empty() && !matches!(method, "btree" | "gist" | "spgist") {
        errors.push(error(
            entity,
            field,
            format!("index `{name}`: {method} indexes cannot `include(...)` columns; only btree, gist and spgist can"),
        ));
    }
}
