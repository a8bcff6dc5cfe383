//! The one parser of `#[entity(...)]`: used by the derive macros and by `scan`.
//!
//! Pure (syn in, [`EntityDef`] out), so the derive and the CLI read a struct the same
//! way. Laid out as serde_derive's internals: `attr` reads attributes into models that
//! keep spans, `types` is the type map, `check` validates, `ctxt` collects every error.

mod attr;
mod check;
mod ctxt;
mod symbol;
mod types;

pub use attr::{parse_collation, MAX_IDENT_BYTES};

use crate::entity::{
    CheckDef, DbEnumDef, EntityDef, ExclusionDef, FieldDef, FieldForeignKeyDef, FkTarget,
    ForeignKeyDef, IndexDef, IndexKey, IndexKeyOptions, KeyOptions, UniqueDef, VariantDef,
};
use attr::{EnumAttrs, FieldAttrs, RawIndexKey, TableAttrs, VariantAttrs};
use ctxt::Ctxt;
use heck::ToSnakeCase;
use syn::ext::IdentExt as _;
use syn::{Data, DataStruct, DeriveInput, Fields};

/// An entity with what the derive needs beyond the metadata: the types and paths it must
/// assert at the user's spans.
pub struct ParsedEntity {
    pub def: EntityDef,
    /// Field types (or array element types) that mapped to `RustType::Named` without a
    /// `sql_type`: each must be a `DbEnum`.
    pub enum_types: Vec<syn::Type>,
    /// `foreign_key(Org)` / `references = Org` targets: each must be an `Entity`.
    pub entity_refs: Vec<syn::Path>,
}

/// Parses a `#[derive(strata::Entity)]` struct. Every mistake is reported, each at its span.
pub fn parse_entity(input: &syn::DeriveInput) -> Result<EntityDef, Vec<syn::Error>> {
    parse_entity_with_spans(input).map(|parsed| parsed.def)
}

/// [`parse_entity`], keeping the spans the derive asserts on.
pub fn parse_entity_with_spans(input: &DeriveInput) -> Result<ParsedEntity, Vec<syn::Error>> {
    let cx = Ctxt::new();
    let fields = match &input.data {
        Data::Struct(DataStruct {
            fields: Fields::Named(named),
            ..
        }) => &named.named,
        Data::Struct(_) => {
            cx.error_spanned_by(
                &input.ident,
                "derive(Entity) needs a struct with named fields: each field is a column",
            );
            return Err(errors(cx));
        }
        Data::Enum(e) => {
            cx.error_spanned_by(
                e.enum_token,
                "derive(Entity) needs a struct; for a PostgreSQL enum type derive strata::DbEnum",
            );
            return Err(errors(cx));
        }
        Data::Union(u) => {
            cx.error_spanned_by(u.union_token, "derive(Entity) needs a struct, not a union");
            return Err(errors(cx));
        }
    };

    let rust_name = input.ident.unraw().to_string();
    let table = TableAttrs::from_attrs(&cx, &input.attrs);
    let rename_all = table.sqlx_rename_all.as_ref().map(|r| r.value);

    // Exactly as many as there are fields: a FieldDef is large, and doubling growth
    // left a quarter of 45 MB unused at N=5000.
    let mut defs: Vec<FieldDef> = Vec::with_capacity(fields.len());
    // Every non-skipped field, even one whose type failed: lists may still name it.
    let mut columns: Vec<String> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    let mut enum_types = Vec::new();
    let mut entity_refs = Vec::new();
    // A field-level `primary_key(name = ..., deferrable)`: the key is the table's, so
    // its name and flags are too, given once.
    let mut field_pk_name: Option<attr::Spanned<String>> = None;
    let mut field_pk_options = KeyOptions::default();

    for field in fields {
        let Some(ident) = &field.ident else { continue };
        let field_name = ident.unraw().to_string();
        let mut attrs = FieldAttrs::from_attrs(&cx, &field.attrs);
        if check::is_skipped(&cx, &attrs) {
            skipped.push(field_name);
            continue;
        }
        columns.push(field_name.clone());

        let mapped = match types::map_field_type(&field.ty, attrs.sql_type.is_some()) {
            Ok(mapped) => mapped,
            Err(e) => {
                cx.error_spanned_by(e.at, e.message);
                continue;
            }
        };
        check::field(&cx, &attrs, &field.ty, &mapped.ty, mapped.nullable);

        // `#[entity(rename)]` wins over `#[sqlx(rename)]`, which wins over `rename_all`.
        let column_name = match (&attrs.rename, &attrs.sqlx_rename) {
            (Some(r), _) | (None, Some(r)) => r.value.clone(),
            (None, None) => {
                let name = rename_all.map_or_else(|| field_name.clone(), |r| r.apply(&field_name));
                if name.len() > MAX_IDENT_BYTES {
                    cx.error_spanned_by(ident, attr::too_long_message(&name));
                }
                name
            }
        };

        enum_types.extend(mapped.named.into_iter().cloned());
        if let Some(n) = &attrs.primary_key_name {
            if field_pk_name.is_some() {
                cx.error_at(
                    n.span,
                    "the primary key's name is already given on another field: give it once",
                );
            } else {
                field_pk_name = Some(n.clone());
            }
        }
        let options = std::mem::take(&mut attrs.primary_key_options).into_options();
        field_pk_options.deferrable |= options.deferrable;
        field_pk_options.initially_deferred |= options.initially_deferred;
        let foreign_key = if let Some(fk) = attrs.foreign_key {
            let fk = fk.value;
            fk.target.map(|target| {
                let name = last_segment(&target);
                entity_refs.push(target);
                FieldForeignKeyDef {
                    target: FkTarget::Entity(name),
                    column: fk.column.map(|c| c.value),
                    actions: fk.actions.into_actions(),
                }
            })
        } else {
            attrs.references.map(|r| FieldForeignKeyDef {
                target: r.value,
                column: None,
                actions: attrs.reference_actions.into_actions(),
            })
        };

        defs.push(FieldDef {
            rust_name: field_name,
            column_name,
            ty: mapped.ty,
            nullable: mapped.nullable,
            sql_type: attrs.sql_type.map(|s| s.value),
            length: attrs.length.map(|s| s.value),
            precision: attrs.precision.map(|s| s.value),
            scale: attrs.scale.map(|s| s.value),
            primary_key: attrs.primary_key.is_some(),
            identity: attrs.identity.map(|s| s.value),
            serial: attrs.serial.is_some(),
            unique: attrs.unique.map(|s| s.value),
            unique_options: attrs.unique_options.into_options(),
            collation: attrs.collation.map(|s| s.value),
            index: attrs.index.map(|s| Box::new(s.value)),
            foreign_key: foreign_key.map(Box::new),
            default: attrs.default.map(|s| s.value),
            generated: attrs.generated.map(|s| s.value),
            check: attrs.check.map(|s| s.value),
            comment: attrs.comment.map(|s| s.value),
            renamed_from: attrs.renamed_from.map(|s| s.value),
        });
    }

    if columns.is_empty() {
        cx.error_spanned_by(
            &input.ident,
            format!("`{rust_name}` has no columns: every field is skipped or there are none"),
        );
    }
    duplicate_columns(&cx, fields, &defs);

    let table_name = match &table.table_name {
        Some(t) => t.value.clone(),
        None => {
            let name = rust_name.to_snake_case();
            if name.len() > MAX_IDENT_BYTES {
                cx.error_spanned_by(&input.ident, attr::too_long_message(&name));
            }
            name
        }
    };

    let resolve = |list: &[attr::Spanned<String>]| {
        check::resolve_fields(&cx, list, &columns, &skipped, &rust_name)
    };

    let primary_key = match &table.primary_key {
        Some(pk) => {
            if defs.iter().any(|f| f.primary_key) {
                cx.error_at(
                    pk.span,
                    "the primary key is declared twice: use `primary_key(...)` on the struct \
                     or `primary_key` on fields, not both",
                );
            }
            resolve(&pk.value)
        }
        None => Vec::new(),
    };
    let primary_key_name = match (&table.primary_key_name, field_pk_name) {
        (Some(_), Some(f)) => {
            cx.error_at(
                f.span,
                "the primary key's name is given twice: in `primary_key(...)` on the struct and on a field; keep one",
            );
            table.primary_key_name.as_ref().map(|n| n.value.clone())
        }
        (t, f) => t.as_ref().map(|n| n.value.clone()).or(f.map(|n| n.value)),
    };
    let mut primary_key_options = table.primary_key_options.into_options();
    primary_key_options.deferrable |= field_pk_options.deferrable;
    primary_key_options.initially_deferred |= field_pk_options.initially_deferred;

    let uniques = table
        .uniques
        .iter()
        .map(|u| UniqueDef {
            fields: resolve(&u.fields),
            name: u.name.as_ref().map(|n| n.value.clone()),
            options: KeyOptions {
                nulls_not_distinct: u.options.nulls_not_distinct.is_some(),
                deferrable: u.options.deferrable.is_some()
                    || u.options.initially_deferred.is_some(),
                initially_deferred: u.options.initially_deferred.is_some(),
            },
        })
        .collect();

    let indexes = table
        .indexes
        .iter()
        .map(|i| {
            // A key that names no field is reported and left out, with its options.
            let (keys, key_options): (Vec<IndexKey>, Vec<IndexKeyOptions>) = i
                .keys
                .iter()
                .zip(&i.key_options)
                .filter_map(|(k, o)| {
                    let key = match k {
                        RawIndexKey::Field(f) => resolve(std::slice::from_ref(f))
                            .into_iter()
                            .next()
                            .map(IndexKey::Field),
                        RawIndexKey::Expr(e) => Some(IndexKey::Expr(e.clone())),
                    };
                    key.map(|k| (k, o.clone()))
                })
                .unzip();
            let any_own = key_options.iter().any(|o| *o != IndexKeyOptions::default());
            (i, keys, if any_own { key_options } else { Vec::new() })
        })
        .map(|(i, keys, key_options)| IndexDef {
            keys,
            key_options,
            collation: i.collation.as_ref().map(|c| c.value.clone()),
            nulls_not_distinct: i.nulls_not_distinct.is_some(),
            name: i.name.as_ref().map(|n| n.value.clone()),
            unique: i.unique.is_some(),
            method: i.method.as_ref().map(|m| m.value.clone()),
            predicate: i.predicate.as_ref().map(|p| p.value.clone()),
            include: i
                .include
                .as_ref()
                .map(|l| resolve(&l.value))
                .unwrap_or_default(),
            opclass: i.opclass.as_ref().map(|o| o.value.clone()),
            order: i.order.as_ref().map(|o| o.value.clone()),
        })
        .collect();

    let mut foreign_keys = Vec::new();
    for fk in table.foreign_keys {
        let fields = fk
            .fields
            .as_ref()
            .map(|l| resolve(&l.value))
            .unwrap_or_default();
        let ref_fields: Vec<String> = fk
            .ref_fields
            .as_ref()
            .map(|l| l.value.iter().map(|f| f.value.clone()).collect())
            .unwrap_or_default();
        if let (Some(cols), Some(refs)) = (&fk.fields, &fk.ref_fields) {
            if cols.value.len() != refs.value.len() {
                cx.error_at(
                    refs.span,
                    format!(
                        "`ref_columns(...)` names {} fields but `columns(...)` names {}",
                        refs.value.len(),
                        cols.value.len()
                    ),
                );
            }
        }
        let Some(references) = fk.references else {
            continue;
        };
        foreign_keys.push(ForeignKeyDef {
            fields,
            references: last_segment(&references.value),
            ref_fields,
            actions: fk.actions.into_actions(),
        });
        entity_refs.push(references.value);
    }

    let checks = table
        .checks
        .iter()
        .filter_map(|c| {
            c.expr.as_ref().map(|e| CheckDef {
                name: c.name.as_ref().map(|n| n.value.clone()),
                expr: e.value.clone(),
            })
        })
        .collect();

    let exclusions = table
        .exclusions
        .into_iter()
        .filter_map(|x| {
            Some(ExclusionDef {
                name: x.name.map(|n| n.value),
                method: x.method.map(|m| m.value),
                elements: x.elements?.value,
                predicate: x.predicate.map(|p| p.value),
                include: x
                    .include
                    .as_ref()
                    .map(|l| resolve(&l.value))
                    .unwrap_or_default(),
                options: x.options.into_options(),
            })
        })
        .collect();

    let def = EntityDef {
        rust_name,
        table_name,
        schema: table.schema.map(|s| s.value),
        renamed_from: table.renamed_from.map(|s| s.value),
        partition_by: table.partition_by.map(|s| s.value),
        view: table.view.map(|s| s.value),
        row_level_security: table.row_level_security.is_some(),
        comment: table.comment.map(|s| s.value),
        fields: defs,
        primary_key,
        primary_key_options,
        primary_key_name,
        string_type: table.string_type.map(|s| s.value),
        uniques,
        indexes,
        foreign_keys,
        checks,
        exclusions,
    };
    cx.check()?;
    Ok(ParsedEntity {
        def,
        enum_types,
        entity_refs,
    })
}

/// Two fields that land on one column name.
fn duplicate_columns<'a>(
    cx: &Ctxt,
    fields: impl IntoIterator<Item = &'a syn::Field>,
    defs: &[FieldDef],
) {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for field in fields {
        let Some(ident) = &field.ident else { continue };
        let name = ident.unraw().to_string();
        let Some(def) = defs.iter().find(|d| d.rust_name == name) else {
            continue;
        };
        if let Some((_, first)) = seen.iter().find(|(col, _)| *col == def.column_name) {
            cx.error_spanned_by(
                ident,
                format!(
                    "column `{}` is already the column of field `{first}`; rename one of them",
                    def.column_name
                ),
            );
        } else {
            seen.push((&def.column_name, &def.rust_name));
        }
    }
}

/// Parses a `#[derive(strata::DbEnum)]` enum (reads `#[sqlx(...)]` and `#[entity(...)]`).
pub fn parse_db_enum(input: &syn::DeriveInput) -> Result<DbEnumDef, Vec<syn::Error>> {
    let cx = Ctxt::new();
    let rust_name = input.ident.unraw().to_string();
    let Data::Enum(data) = &input.data else {
        cx.error_spanned_by(
            &input.ident,
            "derive(DbEnum) needs an enum whose variants are the PostgreSQL enum's labels",
        );
        return Err(errors(cx));
    };
    let attrs = EnumAttrs::from_attrs(&cx, &input.attrs);
    let rename_all = attrs.rename_all.as_ref().map(|r| r.value);

    let (schema, type_name) = match &attrs.type_name {
        Some(t) => split_type_name(&cx, t),
        None => {
            cx.error_spanned_by(
                &input.ident,
                format!(
                    "`{rust_name}` needs its PostgreSQL type name: \
                     add #[sqlx(type_name = \"{}\")]",
                    rust_name.to_snake_case()
                ),
            );
            (None, String::new())
        }
    };

    if data.variants.is_empty() {
        cx.error_spanned_by(
            &input.ident,
            format!("`{rust_name}` has no variants; a PostgreSQL enum needs at least one label"),
        );
    }

    let mut variants: Vec<VariantDef> = Vec::new();
    for variant in &data.variants {
        let name = variant.ident.unraw().to_string();
        if !matches!(variant.fields, Fields::Unit) {
            cx.error_spanned_by(
                &variant.fields,
                format!(
                    "variant `{name}` has fields, but a PostgreSQL enum label carries no data; \
                     make it a unit variant"
                ),
            );
        }
        let v = VariantAttrs::from_attrs(&cx, &variant.attrs);
        let label = match &v.rename {
            Some(r) => r.value.clone(),
            None => {
                let label = rename_all.map_or_else(|| name.clone(), |r| r.apply(&name));
                if label.len() > MAX_IDENT_BYTES {
                    cx.error_spanned_by(&variant.ident, attr::too_long_message(&label));
                }
                label
            }
        };
        if let Some(other) = variants.iter().find(|x| x.label == label) {
            cx.error_spanned_by(
                &variant.ident,
                format!(
                    "label `{label}` is already the label of `{}`; rename one of them",
                    other.rust_name
                ),
            );
        }
        variants.push(VariantDef {
            rust_name: name,
            label,
            renamed_from: v.renamed_from.map(|s| s.value),
        });
    }

    cx.check()?;
    Ok(DbEnumDef {
        rust_name,
        type_name,
        schema,
        variants,
    })
}

/// `billing.status` → (`billing`, `status`); each part a valid, short enough name.
fn split_type_name(cx: &Ctxt, t: &attr::Spanned<String>) -> (Option<String>, String) {
    let parts: Vec<&str> = t.value.split('.').collect();
    let (schema, name) = match parts.as_slice() {
        [name] => (None, *name),
        [schema, name] => (Some(schema.to_string()), *name),
        _ => {
            cx.error_at(
                t.span,
                "`type_name` is `name` or `schema.name`, with one dot at most",
            );
            return (None, t.value.clone());
        }
    };
    for part in schema.as_deref().into_iter().chain([name]) {
        if part.is_empty() {
            cx.error_at(t.span, "`type_name` has an empty part around its `.`");
        } else if part.len() > MAX_IDENT_BYTES {
            cx.error_at(t.span, attr::too_long_message(part));
        }
    }
    (schema, name.to_string())
}

fn last_segment(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.unraw().to_string())
        .unwrap_or_default()
}

fn errors(cx: Ctxt) -> Vec<syn::Error> {
    cx.check().err().unwrap_or_default()
}

#[cfg(test)]
mod tests;
