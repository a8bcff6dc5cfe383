//! The pulled entities checked against the database they come from, with strata's own
//! `lower`: each constraint and index gets an explicit name where PostgreSQL's default
//! (as `lower` computes it) is another, and whatever the entities still declare
//! otherwise than the database has is a problem, named, never silently dropped.

use super::entities::{strip_parens, Built, Slot};
use crate::entity::{CheckDef, DbEnumDef, EntityDef};
use crate::lower::{lower, LowerError};
use crate::names::{qualified, quote_ident};
use crate::schema::{Column, ExclusionConstraint, ForeignKey, Index, Schema, Table};

/// A table as it compares here: fragments as written (the texts that read back as
/// the database's), and none of what only the database side knows.
pub fn as_written(t: &Table) -> Table {
    let mut t = t.clone();
    for c in &mut t.columns {
        c.default = c.default_sql().map(String::from);
        c.generated = c.generated_sql().map(String::from);
        c.sequence = None;
        c.sequence_type = None;
        c.renamed_from = None;
        c.written = Default::default();
    }
    for c in &mut t.checks {
        c.expr = strip_parens(c.expr_sql()).to_string();
        c.not_valid = false;
        c.written = Default::default();
    }
    for i in &mut t.indexes {
        i.keys = i.keys_sql().to_vec();
        i.include = i.include_sql().to_vec();
        i.predicate = i.predicate_sql().map(String::from);
        i.written = Default::default();
    }
    for fk in &mut t.foreign_keys {
        fk.ref_index = None;
        fk.not_valid = false;
    }
    for x in &mut t.exclusions {
        x.definition = x.definition_sql().to_string();
        x.written = Default::default();
    }
    t.renamed_from = None;
    t
}

fn lowered_form(t: &Table) -> Table {
    let mut t = t.clone();
    for c in &mut t.checks {
        c.expr = strip_parens(&c.expr).to_string();
    }
    t
}

fn unnamed_index(i: &Index) -> Index {
    Index {
        name: String::new(),
        ..i.clone()
    }
}

fn unnamed_fk(fk: &ForeignKey) -> ForeignKey {
    ForeignKey {
        name: String::new(),
        ..fk.clone()
    }
}

fn unnamed_exclusion(x: &ExclusionConstraint) -> ExclusionConstraint {
    ExclusionConstraint {
        name: String::new(),
        ..x.clone()
    }
}

/// The name `lowered` gives the object that `current` names `name` (matched by
/// everything but the name), `None` when none matches.
fn lowered_name(slot: Slot, name: &str, current: &Table, lowered: &Table) -> Option<String> {
    // Prefer the lowered object already of this name, else the first of the same content.
    fn pick<T>(
        list: &[T],
        same: impl Fn(&T) -> bool,
        name_of: impl Fn(&T) -> &str,
        name: &str,
    ) -> Option<String> {
        let matching: Vec<&T> = list.iter().filter(|x| same(x)).collect();
        matching
            .iter()
            .find(|x| name_of(x) == name)
            .or(matching.first())
            .map(|x| name_of(x).to_string())
    }
    match slot {
        Slot::PrimaryKey => lowered.primary_key.as_ref().map(|pk| pk.name.clone()),
        Slot::FieldUnique(_) | Slot::TableUnique(_) => {
            let u = current.uniques.iter().find(|u| u.name == name)?;
            pick(
                &lowered.uniques,
                |l| {
                    l.columns == u.columns
                        && l.nulls_not_distinct == u.nulls_not_distinct
                        && l.deferral == u.deferral
                },
                |l: &_| -> &str { &l.name },
                name,
            )
        }
        Slot::FieldIndex(_) | Slot::TableIndex(_) => {
            let i = current.indexes.iter().find(|i| i.name == name)?;
            let key = unnamed_index(i);
            pick(
                &lowered.indexes,
                |l| unnamed_index(l) == key,
                |l: &_| -> &str { &l.name },
                name,
            )
        }
        Slot::FieldForeignKey(_) | Slot::TableForeignKey(_) => {
            let fk = current.foreign_keys.iter().find(|f| f.name == name)?;
            let key = unnamed_fk(fk);
            pick(
                &lowered.foreign_keys,
                |l| unnamed_fk(l) == key,
                |l: &_| -> &str { &l.name },
                name,
            )
        }
        Slot::FieldCheck(_) | Slot::TableCheck(_) => {
            let c = current.checks.iter().find(|c| c.name == name)?;
            pick(
                &lowered.checks,
                |l| l.expr == c.expr,
                |l: &_| -> &str { &l.name },
                name,
            )
        }
        Slot::Exclusion(_) => {
            let x = current.exclusions.iter().find(|x| x.name == name)?;
            let key = unnamed_exclusion(x);
            pick(
                &lowered.exclusions,
                |l| unnamed_exclusion(l) == key,
                |l: &_| -> &str { &l.name },
                name,
            )
        }
    }
}

/// Gives the object in `slot` its database name explicitly; returns the slot it is
/// in afterwards (a field's check moves to the table to carry a name).
fn name_it(e: &mut EntityDef, slot: Slot, name: &str) -> Slot {
    let name = Some(name.to_string());
    match slot {
        Slot::PrimaryKey => e.primary_key_name = name,
        Slot::FieldUnique(i) => e.fields[i].unique = Some(name),
        Slot::TableUnique(i) => e.uniques[i].name = name,
        Slot::FieldIndex(i) => {
            if let Some(ix) = e.fields[i].index.as_mut() {
                ix.name = name;
            }
        }
        Slot::TableIndex(i) => e.indexes[i].name = name,
        Slot::FieldForeignKey(i) => {
            if let Some(fk) = e.fields[i].foreign_key.as_mut() {
                fk.actions.name = name;
            }
        }
        Slot::TableForeignKey(i) => e.foreign_keys[i].actions.name = name,
        Slot::FieldCheck(i) => {
            let expr = e.fields[i].check.take().unwrap_or_default();
            e.checks.push(CheckDef { name, expr });
            return Slot::TableCheck(e.checks.len() - 1);
        }
        Slot::TableCheck(i) => e.checks[i].name = name,
        Slot::Exclusion(i) => e.exclusions[i].name = name,
    }
    slot
}

/// Lowers the entities, naming objects explicitly until every name is the database's.
pub fn settle_names(
    built: &mut [Built],
    enums: &[DbEnumDef],
    current: &Schema,
) -> Result<Schema, Vec<LowerError>> {
    let mut last = None;
    for _ in 0..6 {
        let entities: Vec<&EntityDef> = built.iter().map(|b| &b.entity).collect();
        let lowered = lower(&entities, enums)?;
        let mut changed = false;
        for b in built.iter_mut() {
            let (Some(cur), Some(low)) = (
                current.table(&b.schema, &b.table),
                lowered.table(&b.schema, &b.table),
            ) else {
                continue;
            };
            let cur = as_written(cur);
            let low = lowered_form(low);
            for k in 0..b.slots.len() {
                let (slot, name) = b.slots[k].clone();
                let got = lowered_name(slot, &name, &cur, &low);
                if got.as_deref() != Some(name.as_str()) && got.is_some() {
                    b.slots[k].0 = name_it(&mut b.entity, slot, &name);
                    changed = true;
                }
            }
        }
        if !changed {
            return Ok(lowered);
        }
        last = Some(lowered);
    }
    Ok(last.unwrap_or_default())
}

/// What the lowered table declares otherwise than the database has, in words.
pub fn differences(current: &Table, lowered: &Table) -> Vec<String> {
    let cur = as_written(current);
    let low = lowered_form(lowered);
    let t = qualified(&cur.schema, &cur.name);
    let mut out = Vec::new();
    let cols = |t: &Table| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    if cols(&cur) != cols(&low) {
        out.push(format!(
            "table {t}: the entity has the columns ({}), the database ({})",
            cols(&low).join(", "),
            cols(&cur).join(", ")
        ));
    }
    for (c, l) in cur.columns.iter().zip(&low.columns) {
        if c != l {
            out.push(format!(
                "column {t}.{}: {}",
                quote_ident(&c.name),
                column_difference(c, l)
            ));
        }
    }
    fn list<T: PartialEq>(
        out: &mut Vec<String>,
        t: &str,
        what: &str,
        cur: &[T],
        low: &[T],
        name: impl Fn(&T) -> &str,
    ) {
        let missing: Vec<&str> = cur.iter().filter(|c| !low.contains(c)).map(&name).collect();
        let extra: Vec<&str> = low.iter().filter(|l| !cur.contains(l)).map(&name).collect();
        if !missing.is_empty() || !extra.is_empty() {
            out.push(format!(
                "table {t}: {what} {} in the database, {} as pulled",
                if missing.is_empty() {
                    "-".to_string()
                } else {
                    missing.join(", ")
                },
                if extra.is_empty() {
                    "-".to_string()
                } else {
                    extra.join(", ")
                },
            ));
        }
    }
    list(
        &mut out,
        &t,
        "primary key",
        cur.primary_key.as_slice(),
        low.primary_key.as_slice(),
        |k| &k.name,
    );
    list(
        &mut out,
        &t,
        "unique constraints",
        &cur.uniques,
        &low.uniques,
        |k| &k.name,
    );
    list(&mut out, &t, "indexes", &cur.indexes, &low.indexes, |k| {
        &k.name
    });
    list(
        &mut out,
        &t,
        "foreign keys",
        &cur.foreign_keys,
        &low.foreign_keys,
        |k| &k.name,
    );
    list(&mut out, &t, "checks", &cur.checks, &low.checks, |k| {
        &k.name
    });
    list(
        &mut out,
        &t,
        "exclusion constraints",
        &cur.exclusions,
        &low.exclusions,
        |k| &k.name,
    );
    if cur.partition_by != low.partition_by {
        out.push(format!(
            "table {t}: partition key {:?} in the database, {:?} as pulled",
            cur.partition_by, low.partition_by
        ));
    }
    if cur.comment != low.comment {
        out.push(format!("table {t}: another comment"));
    }
    out
}

fn column_difference(c: &Column, l: &Column) -> String {
    let mut parts = Vec::new();
    if c.ty != l.ty {
        parts.push(format!("type {} in the database, {} as pulled", c.ty, l.ty));
    }
    if c.nullable != l.nullable {
        parts.push(format!(
            "{} in the database",
            if c.nullable { "NULL" } else { "NOT NULL" }
        ));
    }
    if c.default != l.default {
        parts.push(format!(
            "default {:?} in the database, {:?} as pulled",
            c.default, l.default
        ));
    }
    if c.identity != l.identity {
        parts.push(format!("identity {:?} in the database", c.identity));
    }
    if c.generated != l.generated {
        parts.push(format!("generated {:?} in the database", c.generated));
    }
    if c.serial != l.serial {
        parts.push(format!("serial {} in the database", c.serial));
    }
    if c.collation != l.collation {
        parts.push(format!(
            "collation {:?} in the database, {:?} as pulled",
            c.collation, l.collation
        ));
    }
    if c.comment != l.comment {
        parts.push("another comment".to_string());
    }
    parts.join("; ")
}
