//! A table → the entity that declares it: fields with their column attributes, keys,
//! indexes, foreign keys, checks and exclusion constraints, each where strata's
//! attributes can say it. Names are left to PostgreSQL's defaults here; `verify`
//! gives an object its name where the default is another.

use super::names::{field_name, Unique};
use super::types::{map, TypeContext};
use super::Problem;
use crate::entity::{
    CheckDef, EntityDef, ExclusionDef, FieldDef, FieldForeignKeyDef, FieldIndexDef, FkActions,
    FkTarget, ForeignKeyDef, IdentityKind, IndexDef, IndexKey, IndexKeyOptions, KeyOptions,
    RustType, UniqueDef,
};
use crate::lex;
use crate::names::{qualified, quote_ident};
use crate::schema::{Deferral, ForeignKey, Identity, Index, Schema, Table};
use std::collections::HashMap;

/// Where a database object went in the entity, so `verify` can name it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    PrimaryKey,
    FieldUnique(usize),
    TableUnique(usize),
    FieldIndex(usize),
    TableIndex(usize),
    FieldForeignKey(usize),
    TableForeignKey(usize),
    FieldCheck(usize),
    TableCheck(usize),
    Exclusion(usize),
}

/// One entity being built, with where each of its table's named objects went.
#[derive(Debug, Clone)]
pub struct Built {
    pub schema: String,
    pub table: String,
    pub entity: EntityDef,
    /// The Rust module the entity's file is (its schema's).
    pub module: String,
    /// (slot, the object's name in the database).
    pub slots: Vec<(Slot, String)>,
}

/// What every entity needs to know of the others.
pub struct Context<'a> {
    pub schema: &'a Schema,
    pub types: TypeContext,
    /// (schema, table) → (Rust name, module, [(column, field)]).
    pub entities: HashMap<(String, String), Target>,
}

#[derive(Debug, Clone)]
pub struct Target {
    pub rust_name: String,
    pub fields: Vec<(String, String)>,
    pub primary_key: Option<Vec<String>>,
}

impl Target {
    fn field(&self, column: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, f)| f.as_str())
    }
}

/// The fields of a table's columns: (column, field) in column order.
pub fn field_names(table: &Table) -> Vec<(String, String)> {
    let mut unique = Unique::default();
    // Columns already good field names keep them; the others get the next free one.
    for c in &table.columns {
        if field_name(&c.name) == c.name {
            unique.reserve(&c.name);
        }
    }
    table
        .columns
        .iter()
        .map(|c| {
            let name = field_name(&c.name);
            let name = if name == c.name {
                name
            } else {
                unique.take(&name)
            };
            (c.name.clone(), name)
        })
        .collect()
}

/// Removes one pair of parentheses around the whole expression: `(a > 0)` → `a > 0`.
pub fn strip_parens(expr: &str) -> &str {
    let t = expr.trim();
    let tokens: Vec<lex::Token> = lex::significant(t).collect();
    let (Some(first), Some(last)) = (tokens.first(), tokens.last()) else {
        return t;
    };
    if !(first.is_punct(b'(') && last.is_punct(b')')) {
        return t;
    }
    let mut depth = 0usize;
    for (i, tok) in tokens.iter().enumerate() {
        if tok.is_punct(b'(') {
            depth += 1;
        } else if tok.is_punct(b')') {
            depth -= 1;
            if depth == 0 && i + 1 != tokens.len() {
                return t;
            }
        }
    }
    t[first.end..last.start].trim()
}

/// The columns of `columns` an expression names (identifiers not before `(` or `.`).
fn columns_used<'c>(expr: &str, columns: &'c [String]) -> Vec<&'c str> {
    let tokens: Vec<lex::Token> = lex::significant(expr).collect();
    let mut out: Vec<&str> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if !(t.is_ident() || matches!(t.kind, lex::Kind::QuotedIdent { .. })) {
            continue;
        }
        if tokens
            .get(i + 1)
            .is_some_and(|n| n.is_punct(b'(') || n.is_punct(b'.'))
        {
            continue;
        }
        if i > 0 && tokens[i - 1].is_punct(b'.') {
            continue;
        }
        let Some(name) = lex::ident_name(t, expr) else {
            continue;
        };
        if let Some(c) = columns.iter().find(|c| **c == name) {
            if !out.contains(&c.as_str()) {
                out.push(c);
            }
        }
    }
    out
}

/// A collation as the `collation` attribute takes it: a name as it is, or SQL when
/// it must be quoted or qualified.
pub fn collation_attr(sql: &str) -> String {
    if let Some(inner) = sql.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        if !inner.contains('"') && !inner.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return inner.to_string();
        }
    }
    sql.to_string()
}

/// An index key's order as the parser keeps it (the model's canonical words, `None`
/// for the default); `render` writes it in lower case.
fn order_attr(order: &str) -> Option<String> {
    (!order.is_empty()).then(|| order.to_string())
}

/// Builds the entity of `table`. `rust_name` and `module` are the struct's.
pub fn build(
    cx: &Context,
    table: &Table,
    rust_name: &str,
    module: &str,
    problems: &mut Vec<Problem>,
) -> Built {
    let t_name = qualified(&table.schema, &table.name);
    // Declared, but as valid constraints: a database built from the entities checks
    // its rows, this one has not. Kept as it is here (the baseline writes NOT VALID).
    let unvalidated = table
        .foreign_keys
        .iter()
        .filter(|fk| fk.not_valid)
        .map(|fk| ("foreign key", &fk.name))
        .chain(
            table
                .checks
                .iter()
                .filter(|c| c.not_valid)
                .map(|c| ("check", &c.name)),
        );
    for (kind, name) in unvalidated {
        problems.push(Problem {
            table: None,
            what: format!("{kind} {} on {t_name}", quote_ident(name)),
            why: "is NOT VALID (its rows were never checked): the entity declares it, and a \
                  database built from the entities gets it validated; strata keeps this one \
                  NOT VALID and never validates it (the baseline writes it NOT VALID)"
                .to_string(),
            blocking: false,
        });
    }
    let mut problem = |what: String, why: String| {
        problems.push(Problem {
            table: Some((table.schema.clone(), table.name.clone())),
            what,
            why,
            blocking: true,
        })
    };
    let names = field_names(table);
    let field_of = |column: &str| names.iter().position(|(c, _)| c == column);
    let column_names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let mut slots = Vec::new();

    let mut fields: Vec<FieldDef> = table
        .columns
        .iter()
        .zip(&names)
        .map(|(c, (_, rust))| {
            let mapped = map(&c.ty, &cx.types);
            let mut field = FieldDef {
                rust_name: rust.clone(),
                column_name: c.name.clone(),
                ty: mapped.ty,
                nullable: c.nullable,
                sql_type: mapped.sql_type,
                length: mapped.length,
                precision: mapped.precision,
                scale: mapped.scale,
                primary_key: false,
                identity: c.identity.map(|i| match i {
                    Identity::Always => IdentityKind::Always,
                    Identity::ByDefault => IdentityKind::ByDefault,
                }),
                serial: c.serial,
                unique: None,
                unique_options: KeyOptions::default(),
                collation: c.collation.as_deref().map(collation_attr),
                index: None,
                foreign_key: None,
                default: c.default_sql().map(String::from),
                generated: c.generated_sql().map(String::from),
                check: None,
                comment: c.comment.clone(),
                renamed_from: None,
            };
            let integer = matches!(field.ty, RustType::I16 | RustType::I32 | RustType::I64)
                && field.sql_type.is_none();
            if c.serial && (c.nullable || !integer) {
                // `serial` needs a NOT NULL integer field: write what it stands for.
                field.serial = false;
                if let Some(seq) = &c.sequence {
                    field.default = Some(format!(
                        "nextval({}::regclass)",
                        crate::sql::string_literal(&qualified(&table.schema, seq))
                    ));
                }
                problem(
                    format!("column {t_name}.{}", quote_ident(&c.name)),
                    "is serial (owns the sequence of its default) but NULL is allowed: strata's `serial` is NOT NULL".into(),
                );
            }
            if c.serial {
                if let Some(st) = &c.sequence_type {
                    if narrower(st, &c.ty) {
                        problem(
                            format!("column {t_name}.{}", quote_ident(&c.name)),
                            format!("is serial but its sequence is `{st}`, narrower than the column (`{}`): strata's `serial` makes them the same type", c.ty),
                        );
                    }
                }
            }
            if field.collation.is_some()
                && field.sql_type.is_none()
                && !matches!(&field.ty, RustType::String)
                && !matches!(&field.ty, RustType::Array(t) if **t == RustType::String)
            {
                // `collation` is for string columns; any other type says it in SQL.
                field.sql_type = Some(c.ty.clone());
                field.length = None;
                field.precision = None;
                field.scale = None;
            }
            field
        })
        .collect();

    let string_type = unbounded_varchar(&mut fields);
    let mut entity = EntityDef {
        rust_name: rust_name.to_string(),
        table_name: table.name.clone(),
        schema: (table.schema != "public").then(|| table.schema.clone()),
        renamed_from: None,
        partition_by: table.partition_by.clone(),
        view: None,
        row_level_security: cx
            .schema
            .objects
            .table_properties
            .iter()
            .any(|p| p.schema == table.schema && p.table == table.name && p.row_security),
        comment: table.comment.clone(),
        fields: Vec::new(),
        primary_key: Vec::new(),
        primary_key_options: KeyOptions::default(),
        primary_key_name: None,
        string_type,
        uniques: Vec::new(),
        indexes: Vec::new(),
        foreign_keys: Vec::new(),
        checks: Vec::new(),
        exclusions: Vec::new(),
    };

    if let Some(pk) = &table.primary_key {
        let idx: Vec<usize> = pk.columns.iter().filter_map(|c| field_of(c)).collect();
        if pk.columns.len() == 1 && pk.deferral.is_immediate() {
            fields[idx[0]].primary_key = true;
            fields[idx[0]].nullable = false;
        } else {
            entity.primary_key = idx.iter().map(|&i| fields[i].rust_name.clone()).collect();
            for &i in &idx {
                fields[i].nullable = false;
            }
            entity.primary_key_options = deferral_options(pk.deferral);
        }
        slots.push((Slot::PrimaryKey, pk.name.clone()));
    }

    for u in &table.uniques {
        let idx: Vec<usize> = u.columns.iter().filter_map(|c| field_of(c)).collect();
        let options = KeyOptions {
            nulls_not_distinct: u.nulls_not_distinct,
            ..deferral_options(u.deferral)
        };
        if idx.len() == 1 && fields[idx[0]].unique.is_none() {
            fields[idx[0]].unique = Some(None);
            fields[idx[0]].unique_options = options;
            slots.push((Slot::FieldUnique(idx[0]), u.name.clone()));
        } else {
            entity.uniques.push(UniqueDef {
                fields: idx.iter().map(|&i| fields[i].rust_name.clone()).collect(),
                name: None,
                options,
            });
            slots.push((Slot::TableUnique(entity.uniques.len() - 1), u.name.clone()));
        }
    }

    for index in &table.indexes {
        match index_def(index, table, &fields) {
            Ok(IndexPlace::Field(i, def)) if fields[i].index.is_none() => {
                fields[i].index = Some(Box::new(def));
                slots.push((Slot::FieldIndex(i), index.name.clone()));
            }
            Ok(IndexPlace::Field(i, def)) => {
                let def = table_index_from_field(&fields[i].rust_name, def);
                entity.indexes.push(def);
                slots.push((
                    Slot::TableIndex(entity.indexes.len() - 1),
                    index.name.clone(),
                ));
            }
            Ok(IndexPlace::Table(def)) => {
                entity.indexes.push(def);
                slots.push((
                    Slot::TableIndex(entity.indexes.len() - 1),
                    index.name.clone(),
                ));
            }
            Err(why) => problem(
                format!("index {} on {t_name}", quote_ident(&index.name)),
                why,
            ),
        }
    }

    for fk in &table.foreign_keys {
        let what = format!("foreign key {} on {t_name}", quote_ident(&fk.name));
        if fk.on_delete.contains('(') || fk.on_update.contains('(') {
            problem(
                what.clone(),
                format!(
                    "its action `{}` names columns, which strata's `on_delete` cannot say",
                    fk.on_delete
                ),
            );
            continue;
        }
        let idx: Vec<usize> = fk.columns.iter().filter_map(|c| field_of(c)).collect();
        let actions = fk_actions(fk);
        let target = cx
            .entities
            .get(&(fk.ref_schema.clone(), fk.ref_table.clone()));
        match target {
            Some(target) => {
                let ref_fields: Option<Vec<String>> = fk
                    .ref_columns
                    .iter()
                    .map(|c| target.field(c).map(String::from))
                    .collect();
                let Some(ref_fields) = ref_fields else {
                    problem(what, "references a column the referenced table does not have".into());
                    continue;
                };
                let path = target.rust_name.clone();
                let is_pk = target.primary_key.as_ref() == Some(&fk.ref_columns);
                if idx.len() == 1 && fields[idx[0]].foreign_key.is_none() {
                    let column = if is_pk && fk.ref_columns.len() == 1 {
                        None
                    } else {
                        ref_fields.first().cloned()
                    };
                    fields[idx[0]].foreign_key = Some(Box::new(FieldForeignKeyDef {
                        target: FkTarget::Entity(path),
                        column,
                        actions,
                    }));
                    slots.push((Slot::FieldForeignKey(idx[0]), fk.name.clone()));
                } else {
                    entity.foreign_keys.push(ForeignKeyDef {
                        fields: idx.iter().map(|&i| fields[i].rust_name.clone()).collect(),
                        references: path,
                        ref_fields: if is_pk { Vec::new() } else { ref_fields },
                        actions,
                    });
                    slots.push((
                        Slot::TableForeignKey(entity.foreign_keys.len() - 1),
                        fk.name.clone(),
                    ));
                }
            }
            None if idx.len() == 1 && fields[idx[0]].foreign_key.is_none() => {
                fields[idx[0]].foreign_key = Some(Box::new(FieldForeignKeyDef {
                    target: FkTarget::Table {
                        schema: (fk.ref_schema != "public").then(|| fk.ref_schema.clone()),
                        table: fk.ref_table.clone(),
                        columns: fk.ref_columns.clone(),
                    },
                    column: None,
                    actions,
                }));
                slots.push((Slot::FieldForeignKey(idx[0]), fk.name.clone()));
            }
            None => problem(
                what,
                format!(
                    "references {}, which is not an entity (excluded, or outside the managed schemas), over {} columns: strata says such a foreign key on one column only (`references = \"schema.table(column)\"`)",
                    qualified(&fk.ref_schema, &fk.ref_table),
                    fk.columns.len()
                ),
            ),
        }
    }

    for check in &table.checks {
        let expr = strip_parens(check.expr_sql()).to_string();
        let used = columns_used(&expr, &column_names);
        match used.as_slice() {
            [only] if fields[field_of(only).unwrap_or(0)].check.is_none() => {
                let i = field_of(only).unwrap_or(0);
                fields[i].check = Some(expr);
                slots.push((Slot::FieldCheck(i), check.name.clone()));
            }
            _ => {
                entity.checks.push(CheckDef { name: None, expr });
                slots.push((
                    Slot::TableCheck(entity.checks.len() - 1),
                    check.name.clone(),
                ));
            }
        }
    }

    for x in &table.exclusions {
        match exclusion_def(x.definition_sql(), &fields) {
            Some(mut def) => {
                def.options = deferral_options(x.deferral);
                entity.exclusions.push(def);
                slots.push((Slot::Exclusion(entity.exclusions.len() - 1), x.name.clone()));
            }
            None => problem(
                format!("exclusion constraint {} on {t_name}", quote_ident(&x.name)),
                format!("strata cannot read its definition `{}`", x.definition),
            ),
        }
    }

    entity.fields = fields;
    Built {
        schema: table.schema.clone(),
        table: table.name.clone(),
        entity,
        module: module.to_string(),
        slots,
    }
}

/// `string_type = "character varying"` for a struct whose unbounded strings are mostly
/// `varchar` (two at least), rather than `sql_type` on each: those fields lose their
/// `sql_type`, and its `text` ones get `sql_type = "text"`.
fn unbounded_varchar(fields: &mut [FieldDef]) -> Option<String> {
    const VARCHAR: &str = "character varying";
    let is_string = |t: &RustType| {
        matches!(t, RustType::String) || matches!(t, RustType::Array(i) if **i == RustType::String)
    };
    let varchar = |f: &FieldDef| {
        is_string(&f.ty)
            && f.collation.is_none()
            && matches!(
                f.sql_type.as_deref(),
                Some("character varying" | "character varying[]")
            )
    };
    let text = |f: &FieldDef| is_string(&f.ty) && f.sql_type.is_none() && f.length.is_none();
    let (v, t) = (
        fields.iter().filter(|f| varchar(f)).count(),
        fields.iter().filter(|f| text(f)).count(),
    );
    if v < 2 || v <= t {
        return None;
    }
    for f in fields.iter_mut() {
        if varchar(f) {
            f.sql_type = None;
        } else if text(f) {
            let array = matches!(f.ty, RustType::Array(_));
            f.sql_type = Some(if array { "text[]" } else { "text" }.to_string());
        }
    }
    Some(VARCHAR.to_string())
}

/// Whether integer type `a` holds fewer values than `b`.
fn narrower(a: &str, b: &str) -> bool {
    let rank = |t: &str| match t {
        "smallint" => 1,
        "integer" => 2,
        "bigint" => 3,
        _ => 0,
    };
    rank(a) < rank(b)
}

fn deferral_options(d: Deferral) -> KeyOptions {
    KeyOptions {
        nulls_not_distinct: false,
        deferrable: !d.is_immediate(),
        initially_deferred: d == Deferral::InitiallyDeferred,
    }
}

fn fk_actions(fk: &ForeignKey) -> FkActions {
    let action = |a: &str| (a != "NO ACTION").then(|| a.to_string());
    FkActions {
        on_delete: action(&fk.on_delete),
        on_update: action(&fk.on_update),
        deferrable: fk.deferrable || fk.initially_deferred,
        initially_deferred: fk.initially_deferred,
        name: None,
    }
}

enum IndexPlace {
    Field(usize, FieldIndexDef),
    Table(IndexDef),
}

fn table_index_from_field(field: &str, def: FieldIndexDef) -> IndexDef {
    IndexDef {
        keys: vec![IndexKey::Field(field.to_string())],
        name: def.name,
        unique: def.unique,
        method: def.method,
        predicate: def.predicate,
        include: Vec::new(),
        opclass: def.opclass,
        order: def.order,
        collation: def.collation,
        nulls_not_distinct: def.nulls_not_distinct,
        key_options: Vec::new(),
    }
}

/// The one value every key has, or `None` when they differ (or there are none).
fn uniform(values: &[String], keys: usize) -> Option<Option<String>> {
    if values.is_empty() {
        return Some(None);
    }
    let first = &values[0];
    if values.len() == keys && values.iter().all(|v| v == first) {
        Some((!first.is_empty()).then(|| first.clone()))
    } else {
        None
    }
}

fn index_def(index: &Index, table: &Table, fields: &[FieldDef]) -> Result<IndexPlace, String> {
    let field_for = |key: &str| {
        table
            .columns
            .iter()
            .position(|c| quote_ident(&c.name) == key)
    };
    let keys: Vec<(IndexKey, Option<usize>)> = index
        .keys_sql()
        .iter()
        .map(|k| match field_for(k) {
            Some(i) => (IndexKey::Field(fields[i].rust_name.clone()), Some(i)),
            None => (IndexKey::Expr(k.clone()), None),
        })
        .collect();
    let include: Vec<String> = index
        .include_sql()
        .iter()
        .map(|c| {
            field_for(c)
                .map(|i| fields[i].rust_name.clone())
                .ok_or_else(|| format!("its INCLUDE column `{c}` is not a column strata read"))
        })
        .collect::<Result<_, _>>()?;
    let method = (index.method != "btree").then(|| index.method.clone());
    let n = keys.len();
    let opclass = uniform(&index.opclasses, n);
    let order = uniform(&index.orders, n);
    let collation = uniform(&index.collations, n);
    if let ([(IndexKey::Field(_), Some(i))], true, Some(opclass), Some(order), Some(collation)) = (
        keys.as_slice(),
        include.is_empty(),
        &opclass,
        &order,
        &collation,
    ) {
        return Ok(IndexPlace::Field(
            *i,
            FieldIndexDef {
                name: None,
                unique: index.unique,
                nulls_not_distinct: index.nulls_not_distinct,
                method,
                predicate: index.predicate_sql().map(String::from),
                opclass: opclass.clone(),
                order: order.as_deref().and_then(order_attr),
                collation: collation.as_deref().map(collation_attr),
            },
        ));
    }
    let all_uniform = opclass.is_some() && order.is_some() && collation.is_some();
    let key_options: Vec<IndexKeyOptions> = if all_uniform {
        Vec::new()
    } else {
        (0..n)
            .map(|k| IndexKeyOptions {
                collation: index
                    .collations
                    .get(k)
                    .filter(|c| !c.is_empty())
                    .map(|c| collation_attr(c)),
                opclass: index.opclasses.get(k).filter(|c| !c.is_empty()).cloned(),
                order: index.orders.get(k).and_then(|o| order_attr(o)),
            })
            .collect()
    };
    Ok(IndexPlace::Table(IndexDef {
        keys: keys.into_iter().map(|(k, _)| k).collect(),
        name: None,
        unique: index.unique,
        method,
        predicate: index.predicate_sql().map(String::from),
        include,
        opclass: if all_uniform { opclass.flatten() } else { None },
        order: if all_uniform {
            order.flatten().as_deref().and_then(order_attr)
        } else {
            None
        },
        collation: if all_uniform {
            collation.flatten().as_deref().map(collation_attr)
        } else {
            None
        },
        nulls_not_distinct: index.nulls_not_distinct,
        key_options,
    }))
}

/// `EXCLUDE USING gist (room WITH =, during WITH &&) INCLUDE (id) WHERE (pred)` →
/// its parts.
fn exclusion_def(definition: &str, fields: &[FieldDef]) -> Option<ExclusionDef> {
    let rest = definition.trim().strip_prefix("EXCLUDE USING ")?;
    let (method, rest) = rest.split_once(' ')?;
    let (elements, rest) = parenthesized(rest.trim_start())?;
    let mut rest = rest.trim_start();
    let mut include = Vec::new();
    if let Some(after) = rest.strip_prefix("INCLUDE ") {
        let (cols, tail) = parenthesized(after.trim_start())?;
        for c in cols.split(',') {
            let c = c.trim();
            let f = fields.iter().find(|f| quote_ident(&f.column_name) == c)?;
            include.push(f.rust_name.clone());
        }
        rest = tail.trim_start();
    }
    let mut predicate = None;
    if let Some(after) = rest.strip_prefix("WHERE ") {
        let (p, tail) = parenthesized(after.trim_start())?;
        if !tail.trim().is_empty() {
            return None;
        }
        predicate = Some(p.to_string());
    } else if !rest.is_empty() {
        return None;
    }
    Some(ExclusionDef {
        name: None,
        method: (method != "gist").then(|| method.to_string()),
        elements: elements.to_string(),
        predicate,
        include,
        options: KeyOptions::default(),
    })
}

/// `(inner) rest` → (`inner`, `rest`), the parentheses matched as SQL.
fn parenthesized(s: &str) -> Option<(&str, &str)> {
    let tokens: Vec<lex::Token> = lex::significant(s).collect();
    let first = tokens.first()?;
    if !first.is_punct(b'(') || first.start != 0 {
        return None;
    }
    let mut depth = 0usize;
    for t in &tokens {
        if t.is_punct(b'(') {
            depth += 1;
        } else if t.is_punct(b')') {
            depth -= 1;
            if depth == 0 {
                return Some((&s[1..t.start], &s[t.end..]));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outer_parentheses_go_when_they_wrap_the_whole_expression() {
        assert_eq!(strip_parens("(age >= 0)"), "age >= 0");
        assert_eq!(strip_parens("(a > 0) AND (b > 0)"), "(a > 0) AND (b > 0)");
        assert_eq!(strip_parens("((x))"), "(x)");
        assert_eq!(strip_parens("length(slug) < 40"), "length(slug) < 40");
    }

    #[test]
    fn exclusion_definitions_come_apart() {
        let fields = vec![FieldDef {
            rust_name: "id".into(),
            column_name: "id".into(),
            ty: RustType::I64,
            nullable: false,
            sql_type: None,
            length: None,
            precision: None,
            scale: None,
            primary_key: false,
            identity: None,
            serial: false,
            unique: None,
            unique_options: KeyOptions::default(),
            collation: None,
            index: None,
            foreign_key: None,
            default: None,
            generated: None,
            check: None,
            comment: None,
            renamed_from: None,
        }];
        let x = exclusion_def(
            "EXCLUDE USING gist (room WITH =, during WITH &&) INCLUDE (id) WHERE ((NOT cancelled))",
            &fields,
        )
        .expect("read");
        assert_eq!(x.elements, "room WITH =, during WITH &&");
        assert_eq!(x.include, vec!["id"]);
        assert_eq!(x.predicate.as_deref(), Some("(NOT cancelled)"));
        assert_eq!(x.method, None);
        assert_eq!(collation_attr("\"C\""), "C");
        assert_eq!(collation_attr("\"Mixed Case\""), "\"Mixed Case\"");
        assert_eq!(collation_attr("billing.\"German\""), "billing.\"German\"");
    }
}
