//! Columns: pairing (by name or `renamed_from`), renames, drops, adds and the
//! alterations of a column that stays (type, NOT NULL, default, identity, serial).
//!
//! Within one column the alterations run removals first and additions last, so that
//! PostgreSQL's rules hold at every statement: an identity or a serial sequence goes
//! before NOT NULL is dropped or a default is set; one is added after the old default
//! is gone and NOT NULL is set.
use super::tables::TablePair;
use super::types;
use super::{
    alone, locked, step, with_hazards, with_note, with_respelled_note, EnumTypes, Phase, Steps,
};
use crate::names::{make_object_name, qualified, quote_ident, NameAllocator, SchemaNames};
use crate::plan::{Hazard, Lock, Step};
use crate::schema::{Column, Identity, Sequence, Table};
use crate::sql;

pub(super) struct ColumnPairing<'a> {
    /// (current, desired): the same column, possibly renamed.
    pub pairs: Vec<(&'a Column, &'a Column)>,
    pub dropped: Vec<&'a Column>,
    /// Dropped columns whose name a rename takes (expand/contract: the legacy `email`
    /// goes while `email_v2` becomes `email`), with the free name each is renamed to
    /// first; they are dropped under that name.
    pub displaced: Vec<(&'a Column, String)>,
    pub added: Vec<&'a Column>,
    /// (current, desired) generated columns that are dropped and added again:
    /// PostgreSQL 15 cannot change a generated expression in place, nor change the type
    /// of a column a generated column reads.
    pub recreated: Vec<(&'a Column, &'a Column)>,
}

/// What becomes of a current column, and what it is called once the renames ran (the
/// name every later step, and every down statement before the renames are undone,
/// uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Fate {
    /// It keeps its values, under this (desired) name.
    Kept(String),
    /// It is dropped or re-created; until then it goes by this name.
    Gone(String),
}

impl ColumnPairing<'_> {
    /// The desired name of a current column that keeps its values (renamed or not);
    /// None when it is dropped or re-created.
    pub fn surviving_name(&self, current: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(c, _)| c.name == current)
            .map(|(_, d)| d.name.as_str())
    }

    /// What becomes of a current column; `None` when the table has no such column.
    pub fn fate(&self, current: &str) -> Option<Fate> {
        if let Some(d) = self.surviving_name(current) {
            return Some(Fate::Kept(d.to_string()));
        }
        if let Some((_, name)) = self.displaced.iter().find(|(c, _)| c.name == current) {
            return Some(Fate::Gone(name.clone()));
        }
        let gone = self.dropped.iter().any(|c| c.name == current)
            || self.recreated.iter().any(|(c, _)| c.name == current);
        gone.then(|| Fate::Gone(current.to_string()))
    }

    /// A current column's name once the renames ran (its own when it is not a column).
    pub fn name_after_renames(&self, current: &str) -> String {
        match self.fate(current) {
            Some(Fate::Kept(name) | Fate::Gone(name)) => name,
            None => current.to_string(),
        }
    }

    /// Whether a current column is dropped or re-created by the plan.
    pub fn is_gone(&self, current: &str) -> bool {
        matches!(self.fate(current), Some(Fate::Gone(_)))
    }

    /// A current expression as it reads once the renames ran, and whether every column
    /// it reads keeps its values.
    pub fn map_expr(&self, expr: &str) -> super::exprs::Mapped {
        let mut mapped = super::exprs::map_columns(expr, |name| {
            self.fate(name).map(|f| match f {
                Fate::Kept(n) | Fate::Gone(n) => Some(n),
            })
        });
        mapped.intact = !super::exprs::mentions(expr, |name| self.is_gone(name));
        mapped
    }

    /// Whether the current column keeps its values but changes type.
    pub fn changes_type(&self, current: &str) -> bool {
        self.pairs
            .iter()
            .any(|(c, d)| c.name == current && c.ty != d.ty)
    }

    /// Whether the plan runs `ALTER COLUMN ... TYPE` on the column: its type or its
    /// collation changes (`TYPE text COLLATE "C"`), which PostgreSQL refuses alike
    /// under a view, a generated column or a function that reads it.
    pub fn alters_type(&self, current: &str) -> bool {
        self.pairs
            .iter()
            .any(|(c, d)| c.name == current && alters_type(c, d))
    }

    /// The column renames in an order that runs, the legacy columns set aside first:
    /// (current name, name after).
    pub fn renames(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = self
            .displaced
            .iter()
            .map(|(c, name)| (c.name.as_str(), name.as_str()))
            .collect();
        let renames: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .filter(|(c, d)| c.name != d.name)
            .map(|(c, d)| (c.name.as_str(), d.name.as_str()))
            .collect();
        out.extend(super::renames::rename_order(&renames));
        out
    }
}

pub(super) fn pair_columns<'a>(current: &'a Table, desired: &'a Table) -> ColumnPairing<'a> {
    let mut out = ColumnPairing {
        pairs: Vec::new(),
        dropped: Vec::new(),
        displaced: Vec::new(),
        added: Vec::new(),
        recreated: Vec::new(),
    };
    let mut used = vec![false; current.columns.len()];
    let position = |name: &str| current.columns.iter().position(|c| c.name == name);
    let names: Vec<&str> = desired.columns.iter().map(|c| c.name.as_str()).collect();
    let hints: Vec<Option<&str>> = desired
        .columns
        .iter()
        .map(|c| c.renamed_from.as_deref())
        .collect();
    let hinted = super::renames::applicable_hints(&names, &hints, |n| position(n).is_some());
    for (d, hinted) in desired.columns.iter().zip(hinted) {
        let found = if hinted {
            d.renamed_from.as_deref().and_then(position)
        } else {
            position(&d.name)
        };
        match found {
            Some(i) if !used[i] => {
                used[i] = true;
                let c = &current.columns[i];
                if c.generated == d.generated {
                    out.pairs.push((c, d));
                } else {
                    out.recreated.push((c, d));
                }
            }
            _ => out.added.push(d),
        }
    }
    out.dropped = current
        .columns
        .iter()
        .zip(&used)
        .filter(|(_, &u)| !u)
        .map(|(c, _)| c)
        .collect();
    // A dropped column whose name a renamed one takes is set aside first.
    let taken = |name: &str| position(name).is_some() || desired.column(name).is_some();
    let mut displaced: Vec<(&Column, String)> = Vec::new();
    for &c in &out.dropped {
        let target_of_rename = out
            .pairs
            .iter()
            .any(|(from, to)| from.name != to.name && to.name == c.name);
        if target_of_rename {
            let free = super::renames::free_name(&c.name, "__old", |n| {
                taken(n) || displaced.iter().any(|(_, d)| d == n)
            });
            displaced.push((c, free));
        }
    }
    out.dropped
        .retain(|c| !displaced.iter().any(|(d, _)| d.name == c.name));
    out.displaced = displaced;
    // PostgreSQL refuses to change the type of a column a generated column reads: such
    // a generated column is dropped before the type changes and added back after.
    let retyped: Vec<&str> = out
        .pairs
        .iter()
        .filter(|(c, d)| alters_type(c, d))
        .map(|(c, _)| c.name.as_str())
        .collect();
    let (reads_retyped, rest): (Vec<_>, Vec<_>) = out.pairs.into_iter().partition(|(c, _)| {
        c.generated
            .as_deref()
            .is_some_and(|e| super::exprs::mentions(e, |name| retyped.contains(&name)))
    });
    out.pairs = rest;
    out.recreated.extend(reads_retyped);
    out
}

/// The privileges granted on the columns the plan drops (`GRANT UPDATE (note) ON t TO
/// app`) go with them; the down file adds the columns back, then gives the privileges
/// back: a step of the down file only, before the drops (so after them in the down
/// file).
pub(super) fn privileges_of_dropped(
    pair: &TablePair,
    columns: &ColumnPairing,
    properties: &[crate::schema::TableProperties],
    steps: &mut Steps,
) {
    let dropped: Vec<&str> = columns
        .dropped
        .iter()
        .map(|c| c.name.as_str())
        .chain(columns.displaced.iter().map(|(c, _)| c.name.as_str()))
        .collect();
    if dropped.is_empty() {
        return;
    }
    let Some(p) = properties
        .iter()
        .find(|p| p.schema == pair.current.schema && p.table == pair.current.name)
    else {
        return;
    };
    let t = qualified(&pair.current.schema, &pair.current.name);
    let grants: Vec<String> = p
        .column_grants
        .iter()
        .filter(|(column, _)| dropped.contains(&column.as_str()))
        .map(|(column, g)| crate::recreate::column_grant(&t, column, g))
        .collect();
    if !grants.is_empty() {
        steps.push(
            Phase::DropColumn,
            step(
                format!("down file only: the privileges on the dropped columns of {t} given back"),
                Vec::new(),
                grants,
            ),
        );
    }
}

/// See [`ColumnPairing::alters_type`].
fn alters_type(c: &Column, d: &Column) -> bool {
    c.ty != d.ty || c.collation != d.collation
}

/// Why a generated column is dropped and added again, for the step's description.
fn recreate_reason(c: &Column, d: &Column) -> &'static str {
    if c.generated != d.generated {
        ", generated expression changed"
    } else {
        ", re-computed: a column it reads changes type"
    }
}

/// `users.email`, `billing.invoices.total`: how steps name a column.
fn display(table: &str, column: &str) -> String {
    format!("{table}.{}", quote_ident(column))
}

pub(super) fn diff_columns(
    pair: &TablePair,
    columns: &ColumnPairing,
    names: &mut SchemaNames,
    enums: &EnumTypes,
    sequences: &[Sequence],
    online: bool,
    steps: &mut Steps,
) {
    let t = pair.sql_name();
    for (from, to) in columns.renames() {
        let displaced = columns.displaced.iter().any(|(c, _)| c.name == from);
        let why = if displaced {
            ", out of the way of a rename; dropped below"
        } else {
            ""
        };
        let s = step(
            format!(
                "rename column {} -> {}{why}",
                display(&t, from),
                quote_ident(to)
            ),
            vec![rename_column(&t, from, to)],
            vec![rename_column(&t, to, from)],
        );
        steps.push(
            Phase::RenameColumn,
            locked(
                with_hazards(s, &[Hazard::BreaksOldClients]),
                Lock::AccessExclusive,
            ),
        );
    }
    let keyed = |c: &Column| Restore {
        keyed: in_a_key(pair.current, &c.name),
        enum_type: enums.of_type(&c.ty).is_some() && !c.ty.ends_with("[]"),
    };
    for c in &columns.dropped {
        steps.push(Phase::DropColumn, drop_column(&t, c, keyed(c), None));
    }
    for (c, name) in &columns.displaced {
        let set_aside = Column {
            name: name.clone(),
            ..(*c).clone()
        };
        steps.push(
            Phase::DropColumn,
            drop_column(&t, &set_aside, keyed(c), None),
        );
    }
    for (c, d) in &columns.recreated {
        steps.push(
            Phase::DropColumn,
            drop_column(&t, c, keyed(c), Some(recreate_reason(c, d))),
        );
    }
    let add_phase = |d: &Column| {
        if d.generated.is_some() {
            Phase::AddGeneratedColumn
        } else {
            Phase::AddColumn
        }
    };
    let reads = |d: &Column| enums.read_by_column(pair.desired, d);
    for d in &columns.added {
        steps.push_reading(add_phase(d), add_column(&t, d, None), reads(d));
    }
    for (c, d) in &columns.recreated {
        steps.push_reading(
            add_phase(d),
            add_column(&t, d, Some(recreate_reason(c, d))),
            reads(d),
        );
    }
    for (c, d) in &columns.pairs {
        let change = Change {
            pair,
            c,
            d,
            enum_types: &enums.all,
            recreated_enums: &enums.recreated,
            sequences,
            online,
        };
        // A conversion to an enum type reads its labels from the values.
        let mut read = reads(d);
        if c.ty != d.ty {
            read.extend(&enums.read_by_conversion(&d.ty));
        }
        for s in alter_column(&change, names) {
            // Every ALTER COLUMN takes ACCESS EXCLUSIVE on the table, however brief.
            let s = if s.lock == Lock::None && !s.up.is_empty() {
                locked(s, Lock::AccessExclusive)
            } else {
                s
            };
            steps.push_reading(Phase::AlterColumn, s, read.clone());
        }
    }
}

fn rename_column(table: &str, from: &str, to: &str) -> String {
    format!(
        "ALTER TABLE {table} RENAME COLUMN {} TO {}",
        quote_ident(from),
        quote_ident(to)
    )
}

/// Functions whose value differs per row: a default calling one makes `ADD COLUMN`
/// rewrite the table instead of storing one value in the catalog.
const VOLATILE_FUNCTIONS: &[&str] = &[
    "random(",
    "gen_random_uuid(",
    "uuid_generate_v",
    "clock_timestamp(",
    "timeofday(",
    "nextval(",
];

fn add_column(t: &str, d: &Column, recreated: Option<&str>) -> Step {
    let mut up = vec![sql::add_column(t, &sql::column_definition(d))];
    if let Some(comment) = &d.comment {
        up.push(sql::comment_on_column(t, &d.name, Some(comment)));
    }
    let why = recreated.unwrap_or("");
    let s = step(
        format!(
            "add column {} ({}{why})",
            display(t, &d.name),
            sql::creation_type(d)
        ),
        up,
        vec![sql::drop_column(t, &d.name)],
    );
    let mut hazards = Vec::new();
    let fills_itself = d.default.is_some() || d.identity.is_some() || d.generated.is_some();
    if !d.nullable && !fills_itself && !d.serial {
        // Existing rows have no value for it, and old code's INSERTs give none.
        hazards.extend([Hazard::MayFailOnExistingRows, Hazard::BreaksOldClients]);
    }
    let volatile_default = d
        .default
        .as_deref()
        .is_some_and(|e| VOLATILE_FUNCTIONS.iter().any(|f| e.contains(f)));
    if d.identity.is_some() || d.generated.is_some() || d.serial || volatile_default {
        hazards.push(Hazard::RewritesTable);
    }
    locked(with_hazards(s, &hazards), Lock::AccessExclusive)
}

/// Whether a column is part of a primary key, unique constraint or unique index of
/// `table`: re-added, its rows need distinct values.
fn in_a_key(table: &Table, column: &str) -> bool {
    let quoted = quote_ident(column);
    table
        .primary_key
        .iter()
        .map(|pk| &pk.columns)
        .chain(table.uniques.iter().map(|u| &u.columns))
        .any(|cols| cols.iter().any(|c| c == column))
        || table
            .indexes
            .iter()
            .any(|i| i.unique && i.keys.iter().any(|k| *k == quoted))
}

/// What re-adding a dropped column must know beyond the column.
#[derive(Clone, Copy)]
struct Restore {
    /// It is part of a key (see [`in_a_key`]).
    keyed: bool,
    /// Its type is an enum type (not an array of one).
    enum_type: bool,
}

fn drop_column(t: &str, c: &Column, restore: Restore, recreated: Option<&str>) -> Step {
    let what = display(t, &c.name);
    let (mut down, restored) = re_add_column(t, c, restore);
    let undoable = !down
        .iter()
        .any(|s| s.starts_with("DO $$ BEGIN RAISE EXCEPTION"));
    if let Some(comment) = &c.comment {
        down.push(sql::comment_on_column(t, &c.name, Some(comment)));
    }
    let why = recreated.unwrap_or("");
    let s = step(
        format!("drop column {what} ({}{why})", c.ty),
        vec![sql::drop_column(t, &c.name)],
        down,
    );
    let s = with_note(
        s,
        format!("drop column {what}: re-added as the table's last column; {restored}"),
    );
    let s = with_respelled_note(
        s,
        &format!("drop column {what}"),
        &super::respelled_column_fragments(t, c),
    );
    // A generated column's values are computed from the row, so dropping it loses
    // nothing that adding it back does not restore.
    let hazards: &[Hazard] = match (c.generated.is_some(), recreated.is_some()) {
        (true, true) => &[Hazard::RewritesTable],
        (true, false) => &[Hazard::BreaksOldClients],
        (false, true) => &[Hazard::DeletesData, Hazard::RewritesTable],
        (false, false) => &[Hazard::DeletesData, Hazard::BreaksOldClients],
    };
    let s = with_hazards(s, hazards);
    let s = if undoable {
        s
    } else {
        with_hazards(s, &[Hazard::NotUndoable])
    };
    locked(s, Lock::AccessExclusive)
}

/// The statements that add a dropped column back, and what its rows get. A column of
/// a key (`keyed`) cannot give every row one value: its rows get distinct ones.
fn re_add_column(t: &str, c: &Column, restore: Restore) -> (Vec<String>, String) {
    let plain = || vec![sql::add_column(t, &sql::column_definition(c))];
    if c.generated.is_some() {
        return (plain(), "its values are computed again".into());
    }
    if c.identity.is_some() || c.serial {
        return (
            plain(),
            "its values are not restored: rows get new numbers from a new sequence".into(),
        );
    }
    let one_value_for_all = c.default.is_some() || !c.nullable;
    if restore.keyed && one_value_for_all {
        if let Some(distinct) = distinct_values(t, c) {
            return distinct;
        }
    }
    if let Some(default) = &c.default {
        return (
            plain(),
            format!("its values are not restored: rows get its default, {default}"),
        );
    }
    if c.nullable {
        return (plain(), "its values are not restored: rows get NULL".into());
    }
    // An enum's zero value is its first label.
    let zero = types::zero_value(&c.ty).or_else(|| {
        restore
            .enum_type
            .then(|| format!("(pg_catalog.enum_range(NULL::{}))[1]", c.ty))
    });
    match zero {
        Some(zero) => (
            vec![
                sql::add_column(
                    t,
                    &format!("{} {} DEFAULT {zero} NOT NULL", quote_ident(&c.name), c.ty),
                ),
                sql::alter_column(t, &c.name, "DROP DEFAULT"),
            ],
            format!(
                "its values are not restored: rows get {zero}, the zero value of {}",
                c.ty
            ),
        ),
        None => (
            vec![sql::raise_exception(&format!(
                "cannot re-add column {} {}: it is NOT NULL without a default and strata \
                 knows no zero value of its type; edit this file to choose one",
                display(t, &c.name),
                c.ty
            ))],
            format!(
                "it is NOT NULL without a default and {} has no known zero value, so this \
                 file raises an error there: edit it to choose a value for existing rows",
                c.ty
            ),
        ),
    }
}

/// A key column added back with a distinct value in every row (a number from a
/// throw-away identity, or a hash of the row's place for text, a random UUID), then
/// given its default and NOT NULL; `None` for other types.
fn distinct_values(t: &str, c: &Column) -> Option<(Vec<String>, String)> {
    let col = quote_ident(&c.name);
    let bare = Column {
        nullable: true,
        default: None,
        written: Default::default(),
        ..c.clone()
    };
    let mut out = Vec::new();
    let what = match c.ty.as_str() {
        "smallint" | "integer" | "bigint" => {
            out.push(sql::add_column(
                t,
                &format!("{col} {} GENERATED BY DEFAULT AS IDENTITY", c.ty),
            ));
            out.push(sql::alter_column(t, &c.name, "DROP IDENTITY"));
            if c.nullable {
                out.push(sql::alter_column(t, &c.name, "DROP NOT NULL"));
            }
            "the numbers 1, 2, 3, ..."
        }
        "uuid" => {
            out.push(sql::add_column(t, &sql::column_definition(&bare)));
            out.push(format!("UPDATE {t} SET {col} = gen_random_uuid()"));
            "random UUIDs"
        }
        ty if ty == "text" || ty.starts_with("character varying") => {
            out.push(sql::add_column(t, &sql::column_definition(&bare)));
            let length = ty
                .strip_prefix("character varying(")
                .and_then(|n| n.strip_suffix(')'))
                .unwrap_or("32");
            out.push(format!(
                "UPDATE {t} SET {col} = left(md5(ctid::text), {length})"
            ));
            "a hash of each row's place"
        }
        _ => return None,
    };
    if !c.nullable && !out.iter().any(|s| s.contains("IDENTITY")) {
        out.push(sql::alter_column(t, &c.name, "SET NOT NULL"));
    }
    if let Some(default) = c.default_sql() {
        out.push(sql::alter_column(
            t,
            &c.name,
            &format!("SET DEFAULT {default}"),
        ));
    }
    Some((
        out,
        format!(
            "its values are not restored: it is part of a key, so rows get distinct values ({what})"
        ),
    ))
}

/// The default strata compares: a serial column's `nextval` default belongs to its
/// sequence and is never compared.
fn plain_default(c: &Column) -> Option<&str> {
    if c.serial {
        None
    } else {
        c.default.as_deref()
    }
}

/// [`plain_default`] as it is written: declared (desired side) or restorable (current).
fn written_default(c: &Column) -> Option<&str> {
    if c.serial {
        None
    } else {
        c.default_sql()
    }
}

/// Whether the column steps touch a kept column's default: a type change sets it
/// again, and so does a default that changes by meaning (`now()` is
/// `CURRENT_TIMESTAMP`, see [`defaults`](super::defaults)).
pub(super) fn default_changes(c: &Column, d: &Column) -> bool {
    c.ty != d.ty || !super::defaults::same_default(plain_default(c), plain_default(d), &d.ty)
}

/// Whether a column's type is an enum the plan re-creates (or an array of one): the
/// re-creation then owns the column's current default (see `enum_recreation`).
fn of_recreated_enum(c: &Column, recreated: &[String]) -> bool {
    let scalar = c.ty.strip_suffix("[]").unwrap_or(&c.ty);
    recreated.iter().any(|e| e == scalar)
}

/// One column that stays, with what its alterations need to know.
struct Change<'a> {
    pair: &'a TablePair<'a>,
    c: &'a Column,
    d: &'a Column,
    enum_types: &'a [String],
    /// The enum types the plan re-creates, spelled as column types spell them.
    recreated_enums: &'a [String],
    /// The current schema's sequences: a column becoming serial adopts the one its
    /// default already draws from.
    sequences: &'a [Sequence],
    online: bool,
}

/// `names` is asked for the table's schema only by the steps that choose a name: the
/// allocator of a schema knows every name taken there, which is costly to gather
/// for a schema of thousands of tables when no column needs one.
fn alter_column(change: &Change, names: &mut SchemaNames) -> Vec<Step> {
    let Change {
        pair,
        c,
        d,
        enum_types,
        recreated_enums,
        sequences,
        online,
    } = *change;
    let adopted = (!c.serial && d.serial && c.ty == d.ty && c.identity.is_none())
        .then(|| adoptable_sequence(c, pair, sequences))
        .flatten();
    // Its current default comes back with the old type, in the down file.
    let default_owned_by_recreation = of_recreated_enum(c, recreated_enums);
    // Most columns do not change: say so before building the names every step uses.
    // Each alteration below needs one of these to differ.
    let changes = c.serial != d.serial
        || c.identity != d.identity
        || c.ty != d.ty
        || c.collation != d.collation
        || c.nullable != d.nullable
        || default_changes(c, d);
    if !changes {
        return Vec::new();
    }
    let t = pair.sql_name();
    let col = &d.name;
    let what = display(&t, col);
    let mut out = Vec::new();

    // Removals first.
    if c.serial && !d.serial {
        out.push(serial_off(pair, c, d));
    }
    if c.identity.is_some() && d.identity.is_none() {
        let s = step(
            format!("drop identity of {what}"),
            vec![sql::alter_column(&t, col, "DROP IDENTITY")],
            add_identity(&t, col, c.identity.unwrap_or(Identity::ByDefault)),
        );
        out.push(with_note(
            s,
            format!("drop identity of {what}: the identity sequence is re-created and restarted after the largest value"),
        ));
    }

    if c.ty == d.ty && c.collation != d.collation {
        out.push(change_collation(&t, c, d));
    }
    if c.ty != d.ty {
        out.push(change_type(
            &t,
            c,
            d,
            enum_types,
            default_owned_by_recreation,
        ));
    }

    if c.nullable != d.nullable {
        let set = sql::alter_column(&t, col, "SET NOT NULL");
        let drop = sql::alter_column(&t, col, "DROP NOT NULL");
        if d.nullable {
            out.push(with_note(
                step(format!("drop not null on {what}"), vec![drop], vec![set]),
                format!("drop not null on {what}: reverting fails if NULLs were stored since"),
            ));
        } else if online {
            out.extend(set_not_null_online(
                pair,
                col,
                d.default.is_some(),
                names.of(&pair.desired.schema),
            ));
        } else {
            let mut hazards = vec![Hazard::MayFailOnExistingRows, Hazard::ScansTableUnderLock];
            if d.default.is_none() {
                hazards.push(Hazard::BreaksOldClients);
            }
            out.push(with_hazards(
                step(format!("set not null on {what}"), vec![set], vec![drop]),
                &hazards,
            ));
        }
    }

    // A type change has already put the desired default in place.
    if c.ty == d.ty && default_changes(c, d) && adopted.is_none() {
        let set_or_drop = |e: Option<&str>| match e {
            Some(e) => sql::alter_column(&t, col, &format!("SET DEFAULT {e}")),
            None => sql::alter_column(&t, col, "DROP DEFAULT"),
        };
        let description = match (written_default(c), written_default(d)) {
            (None, Some(new)) => format!("set default of {what}: {new}"),
            (Some(old), Some(new)) => format!("change default of {what}: {old} -> {new}"),
            _ => format!("drop default of {what}"),
        };
        let old = plain_default(c).filter(|_| !default_owned_by_recreation);
        let s = step(
            description,
            vec![set_or_drop(written_default(d))],
            vec![set_or_drop(old)],
        );
        let respelled = c
            .default_reads_back_otherwise()
            .then(|| "the old default".to_string());
        let s = with_respelled_note(s, &format!("default of {what}"), respelled.as_slice());
        // Old code that leaves a NOT NULL column out of its INSERTs relies on it.
        let s = if plain_default(d).is_none() && !d.nullable {
            with_hazards(s, &[Hazard::BreaksOldClients])
        } else {
            s
        };
        out.push(s);
    }

    // Additions last.
    match (c.identity, d.identity) {
        (None, Some(new)) => {
            out.push(step(
                format!("add identity to {what} ({})", identity_words(new)),
                add_identity(&t, col, new),
                vec![sql::alter_column(&t, col, "DROP IDENTITY")],
            ));
        }
        (Some(old), Some(new)) if old != new => {
            let set = |i: Identity| {
                sql::alter_column(
                    &t,
                    col,
                    match i {
                        Identity::Always => "SET GENERATED ALWAYS",
                        Identity::ByDefault => "SET GENERATED BY DEFAULT",
                    },
                )
            };
            out.push(step(
                format!(
                    "change identity of {what}: {} -> {}",
                    identity_words(old),
                    identity_words(new)
                ),
                vec![set(new)],
                vec![set(old)],
            ));
        }
        _ => {}
    }
    if let Some(seq) = adopted {
        out.push(adopt_sequence(pair, d, seq));
    } else if !c.serial && d.serial {
        out.push(serial_on(pair, d, names.of(&pair.desired.schema)));
    }
    out
}

fn identity_words(i: Identity) -> &'static str {
    match i {
        Identity::Always => "generated always",
        Identity::ByDefault => "generated by default",
    }
}

/// Makes a column an identity column and moves its sequence past the values already
/// there, so the next insert does not collide with an existing row.
fn add_identity(t: &str, col: &str, identity: Identity) -> Vec<String> {
    vec![
        sql::alter_column(t, col, &format!("ADD {}", sql::identity_clause(identity))),
        format!(
            "SELECT setval(pg_get_serial_sequence({}, {}), COALESCE(max({}), 0) + 1, false) FROM {t}",
            sql::string_literal(t),
            sql::string_literal(col),
            quote_ident(col)
        ),
    ]
}

/// `default_owned_by_recreation`: the down file leaves the current default to the
/// re-creation of the column's enum type, which sets it once the old labels are back.
fn change_type(
    t: &str,
    c: &Column,
    d: &Column,
    enum_types: &[String],
    default_owned_by_recreation: bool,
) -> Step {
    let col = &d.name;
    let what = display(t, col);
    let convert = |from: &Column, to: &Column, set_default: bool| {
        let mut stmts = Vec::new();
        if plain_default(from).is_some() {
            // The old default may not cast to the new type: it goes first.
            stmts.push(sql::alter_column(t, col, "DROP DEFAULT"));
        }
        // A generated column is recomputed; PostgreSQL refuses USING for it.
        let using = if to.generated.is_some() {
            String::new()
        } else {
            format!(" USING {}", types::using(col, &from.ty, &to.ty, enum_types))
        };
        stmts.push(sql::alter_column(
            t,
            col,
            &format!("TYPE {}{}{using}", to.ty, collate_clause(to)),
        ));
        if let Some(e) = written_default(to).filter(|_| set_default) {
            stmts.push(sql::alter_column(t, col, &format!("SET DEFAULT {e}")));
        }
        stmts
    };
    // The up file converts as it was allowed to (a narrowing is refused without
    // --allow-destructive); the down file was not reviewed as one: where converting
    // back could cut or round a value written since, it checks them all first and
    // fails, rolled back, rather than lose one.
    let mut down = Vec::new();
    let checked = types::fit_check(t, col, &d.ty, &c.ty, enum_types);
    down.extend(checked.clone());
    down.extend(convert(d, c, !default_owned_by_recreation));
    let s = step(
        format!("change type of {what}: {} -> {}", c.ty, d.ty),
        convert(c, d, true),
        down,
    );
    let hazards = types::change_hazards(&c.ty, &d.ty);
    // A conversion that is more than a catalog change gives clients values of another
    // type than the one they decode.
    let s = if hazards.is_empty() {
        s
    } else {
        with_hazards(s, &[Hazard::BreaksOldClients])
    };
    let s = with_hazards(s, &hazards);
    let respelled = c
        .default_reads_back_otherwise()
        .then(|| "the old default".to_string());
    let s = with_respelled_note(s, &format!("change type of {what}"), respelled.as_slice());
    // SPEC: where the up file deleted data, the down file restores the structure and
    // says that the data is not.
    let s = if hazards.contains(&Hazard::DeletesData) {
        with_note(
            s,
            format!(
                "change type of {what}: values the up file cut or rounded to fit {} are not restored",
                d.ty
            ),
        )
    } else {
        s
    };
    let back = types::change_hazards(&d.ty, &c.ty);
    if checked.is_some() {
        with_note(
            s,
            format!(
                "change type of {what}: reverting fails, and rolls back, if values written since do not fit {} (it checks them first rather than cut or round them)",
                c.ty
            ),
        )
    } else if back.contains(&Hazard::MayFailOnExistingRows) {
        with_note(
            s,
            format!(
                "change type of {what}: reverting fails, and rolls back, if values written since do not convert to {}",
                c.ty
            ),
        )
    } else {
        s
    }
}

/// ` COLLATE c` for a column with a collation of its own; nothing for one with its
/// type's (`ALTER COLUMN ... TYPE` without `COLLATE` gives the type's default).
fn collate_clause(c: &Column) -> String {
    c.collation
        .as_deref()
        .map(|collation| format!(" COLLATE {collation}"))
        .unwrap_or_default()
}

/// A new collation for a column of the same type: `ALTER COLUMN ... TYPE` with the
/// same type, which PostgreSQL does without rewriting the table (the type is
/// binary-coercible to itself) but rebuilds the indexes on the column, under ACCESS
/// EXCLUSIVE. Old code comparing or sorting by the column sees another order.
fn change_collation(t: &str, c: &Column, d: &Column) -> Step {
    let col = &d.name;
    let words = |x: &Column| x.collation.clone().unwrap_or_else(|| "default".into());
    let set =
        |x: &Column| sql::alter_column(t, col, &format!("TYPE {}{}", x.ty, collate_clause(x)));
    let s = step(
        format!(
            "change collation of {}: {} -> {}",
            display(t, col),
            words(c),
            words(d)
        ),
        vec![set(d)],
        vec![set(c)],
    );
    locked(
        with_hazards(s, &[Hazard::BuildsIndex, Hazard::BreaksOldClients]),
        Lock::AccessExclusive,
    )
}

fn create_owned_sequence(t: &str, col: &str, seq: &str, ty: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE SEQUENCE {seq} AS {ty} OWNED BY {t}.{}",
            quote_ident(col)
        ),
        sql::alter_column(
            t,
            col,
            &format!(
                "SET DEFAULT nextval({}::regclass)",
                sql::string_literal(seq)
            ),
        ),
        format!(
            "SELECT setval({}, COALESCE(max({}), 0) + 1, false) FROM {t}",
            sql::string_literal(seq),
            quote_ident(col)
        ),
    ]
}

/// A serial column stops being one: its default and its sequence go.
fn serial_off(pair: &TablePair, c: &Column, d: &Column) -> Step {
    let t = pair.sql_name();
    let what = display(&t, &d.name);
    let seq = c
        .sequence
        .as_deref()
        .map(|s| qualified(&pair.desired.schema, s))
        .or_else(|| {
            c.default
                .as_deref()
                .and_then(crate::schema::nextval_sequence_sql)
        });
    let mut up = vec![sql::alter_column(&t, &d.name, "DROP DEFAULT")];
    let s = match &seq {
        Some(seq) => {
            up.push(format!("DROP SEQUENCE {seq}"));
            step(
                format!("stop {what} being serial (drop sequence {seq})"),
                up,
                // As it was: an older database's serial `bigint` may own an `integer`
                // sequence.
                create_owned_sequence(
                    &t,
                    &d.name,
                    seq,
                    c.sequence_type.as_deref().unwrap_or(&c.ty),
                ),
            )
        }
        None => with_hazards(
            with_note(
                step(
                    format!("stop {what} being serial"),
                    up,
                    vec![sql::raise_exception(&format!(
                        "cannot restore the serial default of {what}: its sequence is unknown"
                    ))],
                ),
                format!("stop {what} being serial: the sequence is unknown, this file raises an error there"),
            ),
            &[Hazard::NotUndoable],
        ),
    };
    with_note(
        s,
        format!("stop {what} being serial: the sequence is re-created after the largest value"),
    )
}

/// The sequence a column's `nextval('...'::regclass)` default draws from, when no column
/// owns it: a column declared serial adopts it rather than get a second one (the
/// name is taken, and the values go on from where they are).
fn adoptable_sequence<'s>(
    c: &Column,
    pair: &TablePair,
    sequences: &'s [Sequence],
) -> Option<&'s Sequence> {
    let (schema, name) = nextval_sequence(c.default.as_deref()?)?;
    // PostgreSQL leaves out the schema of a sequence its session finds on the search
    // path (`public` for strata's reads). `OWNED BY` takes only a sequence of the
    // table's own schema: one elsewhere is left alone (the column gets its own).
    let schema = schema.unwrap_or_else(|| "public".to_string());
    let table_schema = &pair.current.schema;
    sequences.iter().find(|s| {
        s.schema == schema && &s.schema == table_schema && s.name == name && s.owner.is_none()
    })
}

/// `nextval('billing.seq'::regclass)` → (Some("billing"), "seq"): the sequence a
/// default draws from, as `pg_get_expr` prints it (a name not on the search path is
/// qualified; one needing quotes is quoted inside the string).
fn nextval_sequence(default: &str) -> Option<(Option<String>, String)> {
    use crate::lex::{self, Kind};
    let tokens: Vec<lex::Token> = lex::significant(default).collect();
    let [f, open, lit, cast, regclass, close] = tokens.as_slice() else {
        return None;
    };
    let is_call = f.is_word(default, "nextval")
        && open.is_punct(b'(')
        && matches!(lit.kind, Kind::String { .. })
        && cast.text(default) == "::"
        && regclass.is_word(default, "regclass")
        && close.is_punct(b')');
    if !is_call {
        return None;
    }
    let text = lit.text(default);
    let inner = text.get(1..text.len() - 1)?.replace("''", "'");
    let parts: Vec<String> = lex::significant(&inner)
        .filter(|t| !t.is_punct(b'.'))
        .map(|t| lex::ident_name(&t, &inner).map(|n| n.into_owned()))
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [name] => Some((None, name.clone())),
        [schema, name] => Some((Some(schema.clone()), name.clone())),
        _ => None,
    }
}

/// A column becomes serial by adopting the sequence its default already uses: `OWNED
/// BY`, and the column's type for the sequence's (a serial's sequence has its column's
/// type); the down file gives both back.
fn adopt_sequence(pair: &TablePair, d: &Column, seq: &Sequence) -> Step {
    let t = pair.sql_name();
    let what = display(&t, &d.name);
    let s = qualified(&seq.schema, &seq.name);
    let mut up = Vec::new();
    let mut down = Vec::new();
    if seq.data_type != d.ty {
        up.push(format!("ALTER SEQUENCE {s} AS {}", d.ty));
    }
    up.push(format!(
        "ALTER SEQUENCE {s} OWNED BY {t}.{}",
        quote_ident(&d.name)
    ));
    down.push(format!("ALTER SEQUENCE {s} OWNED BY NONE"));
    if seq.data_type != d.ty {
        down.push(format!("ALTER SEQUENCE {s} AS {}", seq.data_type));
    }
    step(
        format!("make {what} serial, adopting the sequence its default uses ({s})"),
        up,
        down,
    )
}

/// A column becomes serial: it gets an owned sequence, started after its largest value.
fn serial_on(pair: &TablePair, d: &Column, names: &mut NameAllocator) -> Step {
    let t = pair.sql_name();
    let what = display(&t, &d.name);
    let seq_name = names.sequence(&pair.desired.name, &d.name);
    let seq = qualified(&pair.desired.schema, &seq_name);
    step(
        format!("make {what} serial (sequence {seq})"),
        create_owned_sequence(&t, &d.name, &seq, &d.ty),
        vec![
            sql::alter_column(&t, &d.name, "DROP DEFAULT"),
            format!("DROP SEQUENCE {seq}"),
        ],
    )
}

/// `SET NOT NULL` without scanning the table under ACCESS EXCLUSIVE: a `CHECK (col IS
/// NOT NULL) NOT VALID` (brief lock; new rows checked from now on), validated in a
/// transaction of its own (SHARE UPDATE EXCLUSIVE: reads and writes go on), then `SET
/// NOT NULL`, which PostgreSQL proves from the valid check without a scan, and the
/// check dropped. The down files undo each part: the check comes back `NOT VALID`
/// where the last part dropped it, and goes with the first part's down.
fn set_not_null_online(
    pair: &TablePair,
    col: &str,
    has_default: bool,
    names: &mut NameAllocator,
) -> Vec<Step> {
    let t = pair.sql_name();
    let what = display(&t, col);
    let check = not_null_check_name(&pair.desired.name, col, names);
    let q = quote_ident(&check);
    let add = format!(
        "ALTER TABLE {t} ADD CONSTRAINT {q} CHECK ({} IS NOT NULL) NOT VALID",
        quote_ident(col)
    );
    let drop = sql::drop_constraint(&t, &check);
    let mut first = step(
        format!("set not null on {what}, part 1: add check {q} NOT VALID"),
        vec![add.clone()],
        vec![drop.clone()],
    );
    if !has_default {
        first = with_hazards(first, &[Hazard::BreaksOldClients]);
    }
    let validate = alone(locked(
        with_hazards(
            step(
                format!("set not null on {what}, part 2: validate check {q}"),
                vec![format!("ALTER TABLE {t} VALIDATE CONSTRAINT {q}")],
                // A valid constraint cannot be marked NOT VALID again: dropped and
                // added back NOT VALID, as part 1 left it.
                vec![drop.clone(), add.clone()],
            ),
            &[
                Hazard::MayFailOnExistingRows,
                Hazard::ImpactsDatabasePerformance,
            ],
        ),
        Lock::ShareUpdateExclusive,
    ));
    let last = step(
        format!("set not null on {what}, part 3: set not null, drop check {q}"),
        vec![sql::alter_column(&t, col, "SET NOT NULL"), drop],
        // The check comes back valid, as part 2 left it.
        vec![
            sql::alter_column(&t, col, "DROP NOT NULL"),
            add,
            format!("ALTER TABLE {t} VALIDATE CONSTRAINT {q}"),
        ],
    );
    vec![first, validate, last]
}

/// `<table>_<col>_not_null`, numbered when a constraint has the name already.
fn not_null_check_name(table: &str, col: &str, names: &mut NameAllocator) -> String {
    let mut pass = 0u32;
    loop {
        let label = if pass == 0 {
            "not_null".to_string()
        } else {
            format!("not_null{pass}")
        };
        let name = make_object_name(table, Some(col), Some(&label));
        if !names.is_constraint_taken(&name) {
            names.take_constraint(&name);
            return name;
        }
        pass += 1;
    }
}
