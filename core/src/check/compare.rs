//! The desired schema and the database's compared object by object, by name: tables,
//! columns, keys, constraints, indexes and enum types, and how each is written in a
//! mismatch.
use super::{CheckReport, ConstraintKind, Mismatch, Unverified};
use crate::entity::EntityDef;
use crate::lower;
use crate::names::qualified;
use crate::schema::{
    CheckConstraint, Column, Deferral, ExclusionConstraint, ForeignKey, Identity, Index,
    PrimaryKey, Schema, Table, UniqueConstraint,
};
use std::collections::{BTreeSet, HashMap};

/// Compares two schemas by name: what [`check`] reports, without `schemas` and the
/// pending migrations. `entities` name the tables' structs; with `expressions`,
/// expressions that differ are mismatches, else [`Unverified`].
///
/// [`check`]: super::check()
pub fn compare(
    desired: &Schema,
    current: &Schema,
    entities: &[EntityDef],
    expressions: bool,
) -> CheckReport {
    let mut c = Comparison {
        expressions,
        mismatches: Vec::new(),
        unverified: Vec::new(),
    };
    compare_enums(desired, current, &mut c.mismatches);
    let by_name: HashMap<(&str, &str), &Table> = current
        .tables
        .iter()
        .map(|t| ((t.schema.as_str(), t.name.as_str()), t))
        .collect();
    let entity_of = |t: &Table| {
        entities
            .iter()
            .find(|e| {
                e.table_name == t.name
                    && e.schema.as_deref().unwrap_or(lower::DEFAULT_SCHEMA) == t.schema
            })
            .map(|e| e.rust_name.clone())
    };
    let mut tables: Vec<(&Table, Option<&Table>)> = desired
        .tables
        .iter()
        .map(|d| {
            (
                d,
                by_name.get(&(d.schema.as_str(), d.name.as_str())).copied(),
            )
        })
        .collect();
    let wanted: BTreeSet<(&str, &str)> = desired
        .tables
        .iter()
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .collect();
    let extra: Vec<&Table> = current
        .tables
        .iter()
        .filter(|t| !wanted.contains(&(t.schema.as_str(), t.name.as_str())))
        .collect();
    tables.sort_by(|a, b| (&a.0.schema, &a.0.name).cmp(&(&b.0.schema, &b.0.name)));
    for (d, found) in &tables {
        match found {
            None => c.mismatches.push(Mismatch::MissingTable {
                table: qualified(&d.schema, &d.name),
                entity: entity_of(d),
                renamed_from: d
                    .renamed_from
                    .as_deref()
                    .filter(|old| by_name.contains_key(&(d.schema.as_str(), *old)))
                    .map(|old| qualified(&d.schema, old)),
            }),
            Some(t) => c.table(d, t),
        }
    }
    for t in extra {
        c.mismatches.push(Mismatch::ExtraTable {
            table: qualified(&t.schema, &t.name),
        });
    }
    CheckReport {
        schemas: Vec::new(),
        tables: desired.tables.len(),
        expressions_compared: expressions,
        mismatches: c.mismatches,
        unverified: c.unverified,
        pending_migrations: None,
    }
}

fn compare_enums(desired: &Schema, current: &Schema, out: &mut Vec<Mismatch>) {
    for d in &desired.enums {
        let name = qualified(&d.schema, &d.name);
        let Some(c) = current
            .enums
            .iter()
            .find(|c| c.schema == d.schema && c.name == d.name)
        else {
            out.push(Mismatch::MissingEnum {
                name,
                labels: d.labels.clone(),
            });
            continue;
        };
        for label in d.labels.iter().filter(|l| !c.labels.contains(l)) {
            out.push(Mismatch::MissingEnumLabel {
                name: name.clone(),
                label: label.clone(),
            });
        }
        for label in c.labels.iter().filter(|l| !d.labels.contains(l)) {
            out.push(Mismatch::ExtraEnumLabel {
                name: name.clone(),
                label: label.clone(),
            });
        }
    }
    for c in &current.enums {
        if !desired
            .enums
            .iter()
            .any(|d| d.schema == c.schema && d.name == c.name)
        {
            out.push(Mismatch::ExtraEnum {
                name: qualified(&c.schema, &c.name),
                labels: c.labels.clone(),
            });
        }
    }
}

struct Comparison {
    expressions: bool,
    mismatches: Vec<Mismatch>,
    unverified: Vec<Unverified>,
}

impl Comparison {
    /// An expression on both sides: equal, a mismatch (expressions compared) or
    /// unverified.
    fn expression(
        &mut self,
        table: &str,
        object: impl FnOnce() -> String,
        declared: &str,
        found: &str,
        mismatch: impl FnOnce() -> Mismatch,
    ) {
        if declared == found {
            return;
        }
        if self.expressions {
            self.mismatches.push(mismatch());
        } else {
            self.unverified.push(Unverified {
                table: table.to_string(),
                object: object(),
                declared: declared.to_string(),
                found: found.to_string(),
            });
        }
    }

    fn table(&mut self, d: &Table, c: &Table) {
        let t = qualified(&d.schema, &d.name);
        for dc in &d.columns {
            match c.column(&dc.name) {
                None => self.mismatches.push(Mismatch::MissingColumn {
                    table: t.clone(),
                    column: dc.name.clone(),
                    sql_type: dc.ty.clone(),
                    renamed_from: dc
                        .renamed_from
                        .clone()
                        .filter(|old| c.column(old).is_some()),
                }),
                Some(cc) => self.column(&t, dc, cc),
            }
        }
        for cc in &c.columns {
            if d.column(&cc.name).is_none() {
                self.mismatches.push(Mismatch::ExtraColumn {
                    table: t.clone(),
                    column: cc.name.clone(),
                    sql_type: cc.ty.clone(),
                });
            }
        }
        let keys_from = self.mismatches.len();
        self.primary_key(&t, d.primary_key.as_ref(), c.primary_key.as_ref());
        self.uniques(&t, &d.uniques, &c.uniques);
        self.foreign_keys(&t, &d.foreign_keys, &c.foreign_keys);
        self.checks(&t, &d.checks, &c.checks);
        self.exclusions(&t, &d.exclusions, &c.exclusions);
        self.indexes(&t, &d.indexes, &c.indexes);
        let keys = self.mismatches.split_off(keys_from);
        self.mismatches.extend(unique_kinds_swapped(keys));
    }

    fn column(&mut self, t: &str, d: &Column, c: &Column) {
        let col = || d.name.clone();
        if d.ty != c.ty {
            self.mismatches.push(Mismatch::TypeMismatch {
                table: t.to_string(),
                column: col(),
                expected: d.ty.clone(),
                found: c.ty.clone(),
            });
        }
        if d.ty == c.ty && d.collation != c.collation {
            self.mismatches.push(Mismatch::CollationMismatch {
                table: t.to_string(),
                column: col(),
                expected: d.collation.clone(),
                found: c.collation.clone(),
            });
        }
        if d.nullable != c.nullable {
            self.mismatches.push(Mismatch::NullabilityMismatch {
                table: t.to_string(),
                column: col(),
                expected_nullable: d.nullable,
            });
        }
        if d.identity != c.identity {
            self.mismatches.push(Mismatch::IdentityMismatch {
                table: t.to_string(),
                column: col(),
                expected: d.identity.map(identity_words),
                found: c.identity.map(identity_words),
            });
        }
        // A serial column's default is the sequence's `nextval`, which the entity
        // does not spell (an identity column has none).
        if d.serial != c.serial {
            self.mismatches.push(Mismatch::DefaultMismatch {
                table: t.to_string(),
                column: col(),
                expected: d.serial.then(|| "nextval (serial)".to_string()),
                found: c.default.clone(),
            });
        } else if !d.serial && d.identity.is_none() {
            match (&d.default, &c.default) {
                (Some(dd), Some(cd)) if d.ty == c.ty && constants_differ(dd, cd, &d.ty) => {
                    self.mismatches.push(Mismatch::DefaultMismatch {
                        table: t.to_string(),
                        column: col(),
                        expected: d.default.clone(),
                        found: c.default.clone(),
                    })
                }
                (Some(dd), Some(cd)) => self.expression(
                    t,
                    || format!("default of column {}", d.name),
                    dd,
                    cd,
                    || Mismatch::DefaultMismatch {
                        table: t.to_string(),
                        column: col(),
                        expected: d.default.clone(),
                        found: c.default.clone(),
                    },
                ),
                (None, None) => {}
                _ => self.mismatches.push(Mismatch::DefaultMismatch {
                    table: t.to_string(),
                    column: col(),
                    expected: d.default.clone(),
                    found: c.default.clone(),
                }),
            }
        }
        match (&d.generated, &c.generated) {
            (Some(dg), Some(cg)) => self.expression(
                t,
                || format!("generated expression of column {}", d.name),
                dg,
                cg,
                || Mismatch::GeneratedMismatch {
                    table: t.to_string(),
                    column: col(),
                    expected: d.generated.clone(),
                    found: c.generated.clone(),
                },
            ),
            (None, None) => {}
            _ => self.mismatches.push(Mismatch::GeneratedMismatch {
                table: t.to_string(),
                column: col(),
                expected: d.generated.clone(),
                found: c.generated.clone(),
            }),
        }
    }

    fn primary_key(&mut self, t: &str, d: Option<&PrimaryKey>, c: Option<&PrimaryKey>) {
        let kind = ConstraintKind::PrimaryKey;
        match (d, c) {
            (None, None) => {}
            (Some(d), None) => self.mismatches.push(Mismatch::MissingConstraint {
                table: t.to_string(),
                constraint: kind,
                name: d.name.clone(),
                definition: pk_sql(d),
            }),
            (None, Some(c)) => self.mismatches.push(Mismatch::ExtraConstraint {
                table: t.to_string(),
                constraint: kind,
                name: c.name.clone(),
                definition: pk_sql(c),
            }),
            (Some(d), Some(c)) => {
                if d.name != c.name || d.columns != c.columns || d.deferral != c.deferral {
                    self.mismatches.push(Mismatch::ConstraintMismatch {
                        table: t.to_string(),
                        constraint: kind,
                        name: d.name.clone(),
                        expected: named(&d.name, &pk_sql(d), &c.name),
                        found: named(&c.name, &pk_sql(c), &d.name),
                    })
                }
            }
        }
    }

    fn uniques(&mut self, t: &str, d: &[UniqueConstraint], c: &[UniqueConstraint]) {
        by_name(
            t,
            d,
            c,
            |u| &u.name,
            |a, b| a == b,
            unique_sql,
            ConstraintKind::Unique,
            &mut self.mismatches,
        );
    }

    fn foreign_keys(&mut self, t: &str, d: &[ForeignKey], c: &[ForeignKey]) {
        by_name(
            t,
            d,
            c,
            |k| &k.name,
            |a, b| {
                a.columns == b.columns
                    && a.ref_schema == b.ref_schema
                    && a.ref_table == b.ref_table
                    && a.ref_columns == b.ref_columns
                    && a.on_delete == b.on_delete
                    && a.on_update == b.on_update
                    && a.deferrable == b.deferrable
                    && a.initially_deferred == b.initially_deferred
            },
            fk_sql,
            ConstraintKind::ForeignKey,
            &mut self.mismatches,
        );
    }

    fn checks(&mut self, t: &str, d: &[CheckConstraint], c: &[CheckConstraint]) {
        by_name(
            t,
            d,
            c,
            |k| &k.name,
            |_, _| true,
            |k| format!("CHECK ({})", k.expr),
            ConstraintKind::Check,
            &mut self.mismatches,
        );
        for dk in d {
            if let Some(ck) = c.iter().find(|ck| ck.name == dk.name) {
                self.expression(
                    t,
                    || format!("check {}", dk.name),
                    &dk.expr,
                    &ck.expr,
                    || Mismatch::ConstraintMismatch {
                        table: t.to_string(),
                        constraint: ConstraintKind::Check,
                        name: dk.name.clone(),
                        expected: format!("CHECK ({})", dk.expr),
                        found: format!("CHECK ({})", ck.expr),
                    },
                );
            }
        }
    }

    fn exclusions(&mut self, t: &str, d: &[ExclusionConstraint], c: &[ExclusionConstraint]) {
        by_name(
            t,
            d,
            c,
            |k| &k.name,
            |a, b| a.deferral == b.deferral,
            |k| format!("{}{}", k.definition, k.deferral.sql()),
            ConstraintKind::Exclusion,
            &mut self.mismatches,
        );
        for dk in d {
            if let Some(ck) = c.iter().find(|ck| ck.name == dk.name) {
                self.expression(
                    t,
                    || format!("exclusion constraint {}", dk.name),
                    &dk.definition,
                    &ck.definition,
                    || Mismatch::ConstraintMismatch {
                        table: t.to_string(),
                        constraint: ConstraintKind::Exclusion,
                        name: dk.name.clone(),
                        expected: dk.definition.clone(),
                        found: ck.definition.clone(),
                    },
                );
            }
        }
    }

    fn indexes(&mut self, t: &str, d: &[Index], c: &[Index]) {
        for di in d {
            let Some(ci) = c.iter().find(|ci| ci.name == di.name) else {
                self.mismatches.push(Mismatch::MissingIndex {
                    table: t.to_string(),
                    name: di.name.clone(),
                    definition: index_sql(di),
                });
                continue;
            };
            // What needs no expression to compare.
            let mismatch = || Mismatch::IndexMismatch {
                table: t.to_string(),
                name: di.name.clone(),
                expected: index_sql(di),
                found: index_sql(ci),
            };
            if shape(di) != shape(ci) {
                self.mismatches.push(mismatch());
            } else if di != ci {
                let (declared, found) = (index_sql(di), index_sql(ci));
                self.expression(
                    t,
                    || format!("index {}", di.name),
                    &declared,
                    &found,
                    mismatch,
                );
            }
        }
        for ci in c {
            if !d.iter().any(|di| di.name == ci.name) {
                self.mismatches.push(Mismatch::ExtraIndex {
                    table: t.to_string(),
                    name: ci.name.clone(),
                    definition: index_sql(ci),
                });
            }
        }
    }
}

/// A unique constraint declared where the database has a unique index of that name, or
/// the other way round, as one mismatch rather than a missing and an extra object.
fn unique_kinds_swapped(mut found: Vec<Mismatch>) -> Vec<Mismatch> {
    let mut i = 0;
    while i < found.len() {
        let merged = match &found[i] {
            Mismatch::MissingConstraint {
                table,
                constraint: ConstraintKind::Unique,
                name,
                definition,
            } => found
                .iter()
                .position(|m| {
                    matches!(m,
                Mismatch::ExtraIndex { name: n, definition: d, .. }
                    if n == name && d.starts_with("UNIQUE "))
                })
                .map(|at| {
                    let Mismatch::ExtraIndex {
                        definition: index, ..
                    } = &found[at]
                    else {
                        unreachable!()
                    };
                    (
                        at,
                        Mismatch::ConstraintMismatch {
                            table: table.clone(),
                            constraint: ConstraintKind::Unique,
                            name: name.clone(),
                            expected: format!("a unique constraint ({definition})"),
                            found: format!("a unique index ({index})"),
                        },
                    )
                }),
            Mismatch::MissingIndex {
                table,
                name,
                definition,
            } if definition.starts_with("UNIQUE ") => found
                .iter()
                .position(|m| {
                    matches!(m,
                Mismatch::ExtraConstraint { constraint: ConstraintKind::Unique, name: n, .. }
                    if n == name)
                })
                .map(|at| {
                    let Mismatch::ExtraConstraint {
                        definition: key, ..
                    } = &found[at]
                    else {
                        unreachable!()
                    };
                    (
                        at,
                        Mismatch::IndexMismatch {
                            table: table.clone(),
                            name: name.clone(),
                            expected: format!("a unique index ({definition})"),
                            found: format!("a unique constraint ({key})"),
                        },
                    )
                }),
            _ => None,
        };
        if let Some((at, merged)) = merged {
            found[i] = merged;
            found.remove(at);
            if at < i {
                i -= 1;
            }
        }
        i += 1;
    }
    found
}

/// Whether two defaults of a column of type `ty` are provably different constants
/// without asking the server: integers (`1` against `0` or `'-1'::integer`) of an integer
/// column, `true` / `false` of a boolean one. Anything else is left to the server.
pub(super) fn constants_differ(declared: &str, found: &str, ty: &str) -> bool {
    match ty {
        "smallint" | "integer" | "bigint" => {
            matches!((integer_constant(declared), integer_constant(found)), (Some(a), Some(b)) if a != b)
        }
        "boolean" => {
            matches!((bool_constant(declared), bool_constant(found)), (Some(a), Some(b)) if a != b)
        }
        _ => false,
    }
}

/// Strips whole-expression parentheses: `((1))` is `1`.
fn unparenthesized(mut s: &str) -> &str {
    s = s.trim();
    while let Some(inner) = s.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        // `(a) + (b)` is not parenthesized as a whole: only digits or a word remain
        // after the callers' checks, so a wrong strip never yields a constant.
        s = inner.trim();
    }
    s
}

/// `1`, `-1`, `(1)`, or PostgreSQL's `'-1'::integer`.
fn integer_constant(s: &str) -> Option<i128> {
    let mut s = unparenthesized(s);
    for cast in ["::integer", "::bigint", "::smallint"] {
        if let Some(x) = s.strip_suffix(cast) {
            s = x.strip_prefix('\'').and_then(|x| x.strip_suffix('\''))?;
            break;
        }
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || digits.len() > 30 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn bool_constant(s: &str) -> Option<bool> {
    match unparenthesized(s).to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// What of an index needs no expression to compare.
fn shape(i: &Index) -> (bool, &str, bool, usize, usize, bool) {
    (
        i.unique,
        &i.method,
        i.nulls_not_distinct,
        i.keys.len(),
        i.include.len(),
        i.predicate.is_some(),
    )
}

/// Missing, extra and differing (by `same`) objects of one kind, matched by name.
#[allow(clippy::too_many_arguments)]
fn by_name<T>(
    t: &str,
    d: &[T],
    c: &[T],
    name: impl Fn(&T) -> &String,
    same: impl Fn(&T, &T) -> bool,
    sql: impl Fn(&T) -> String,
    kind: ConstraintKind,
    out: &mut Vec<Mismatch>,
) {
    for dk in d {
        match c.iter().find(|ck| name(ck) == name(dk)) {
            None => out.push(Mismatch::MissingConstraint {
                table: t.to_string(),
                constraint: kind,
                name: name(dk).clone(),
                definition: sql(dk),
            }),
            Some(ck) if !same(dk, ck) => out.push(Mismatch::ConstraintMismatch {
                table: t.to_string(),
                constraint: kind,
                name: name(dk).clone(),
                expected: sql(dk),
                found: sql(ck),
            }),
            Some(_) => {}
        }
    }
    for ck in c {
        if !d.iter().any(|dk| name(dk) == name(ck)) {
            out.push(Mismatch::ExtraConstraint {
                table: t.to_string(),
                constraint: kind,
                name: name(ck).clone(),
                definition: sql(ck),
            });
        }
    }
}

fn identity_words(i: Identity) -> String {
    match i {
        Identity::Always => "ALWAYS".to_string(),
        Identity::ByDefault => "BY DEFAULT".to_string(),
    }
}

/// A definition with its name when the other side's name differs.
fn named(name: &str, sql: &str, other: &str) -> String {
    if name == other {
        sql.to_string()
    } else {
        format!("{name} {sql}")
    }
}

fn pk_sql(k: &PrimaryKey) -> String {
    format!("PRIMARY KEY ({}){}", k.columns.join(", "), k.deferral.sql())
}

fn unique_sql(k: &UniqueConstraint) -> String {
    format!(
        "UNIQUE{} ({}){}",
        if k.nulls_not_distinct {
            " NULLS NOT DISTINCT"
        } else {
            ""
        },
        k.columns.join(", "),
        k.deferral.sql()
    )
}

fn fk_sql(k: &ForeignKey) -> String {
    let mut s = format!(
        "FOREIGN KEY ({}) REFERENCES {}({})",
        k.columns.join(", "),
        qualified(&k.ref_schema, &k.ref_table),
        k.ref_columns.join(", ")
    );
    if k.on_delete != "NO ACTION" {
        s.push_str(&format!(" ON DELETE {}", k.on_delete));
    }
    if k.on_update != "NO ACTION" {
        s.push_str(&format!(" ON UPDATE {}", k.on_update));
    }
    s.push_str(Deferral::from_flags(k.deferrable, k.initially_deferred).sql());
    s
}

fn index_sql(i: &Index) -> String {
    let keys: Vec<String> = i
        .keys
        .iter()
        .enumerate()
        .map(|(n, k)| {
            let mut key = k.clone();
            for extra in [&i.collations, &i.opclasses, &i.orders] {
                if let Some(x) = extra.get(n).filter(|x| !x.is_empty()) {
                    if std::ptr::eq(extra, &i.collations) {
                        key.push_str(" COLLATE ");
                    } else {
                        key.push(' ');
                    }
                    key.push_str(x);
                }
            }
            key
        })
        .collect();
    let mut s = format!(
        "{}USING {} ({})",
        if i.unique { "UNIQUE " } else { "" },
        i.method,
        keys.join(", ")
    );
    if !i.include.is_empty() {
        s.push_str(&format!(" INCLUDE ({})", i.include.join(", ")));
    }
    if i.nulls_not_distinct {
        s.push_str(" NULLS NOT DISTINCT");
    }
    if let Some(p) = &i.predicate {
        s.push_str(&format!(" WHERE {p}"));
    }
    s
}
