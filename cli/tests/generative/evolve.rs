//! Random entity sets and random evolutions of them. Every change keeps the rows the
//! generator inserted valid (values it chose fit the new definition), so a failure to
//! run is strata's, not the data's; changes that delete data say so.

use super::model::{Column, Enum, IdKind, Model, Rng, Table, Ty};

/// One step's changes, in words.
#[derive(Debug, Default)]
pub struct Changes {
    pub words: Vec<String>,
    /// SQL to run once the step's migration ran (a backfill).
    pub after: Vec<String>,
    /// What this step renamed (a table's struct name, a column's uid): renamed once a
    /// step, since an entity names only one previous name.
    pub renamed: Vec<String>,
}

/// What a later step must finish: the contraction of an expansion.
#[derive(Debug, Clone)]
pub struct Pending {
    table: String,
    legacy: usize,
    expanded: usize,
}

const LABELS: &[&str] = &[
    "red", "green", "blue", "amber", "violet", "black", "white", "grey", "pink", "teal",
];

fn random_ty(rng: &mut Rng, model: &Model) -> Ty {
    let n = if model.enums.is_empty() { 10 } else { 12 };
    match rng.below(n) {
        0 => Ty::Int(2),
        1 => Ty::Int(4),
        2 => Ty::Int(8),
        3 => Ty::Text,
        4 => Ty::Varchar(10 + 5 * rng.below(4) as u32),
        5 => Ty::Bool,
        6 => Ty::Float,
        7 => Ty::Numeric(8 + rng.below(4) as u32, rng.below(3) as u32),
        8 => Ty::Date,
        9 => {
            if rng.chance(50) {
                Ty::Timestamptz
            } else {
                Ty::TextArray
            }
        }
        10 => Ty::Enum(rng.below(model.enums.len())),
        _ => Ty::EnumArray(rng.below(model.enums.len())),
    }
}

/// A default for a column of `ty`, as a user writes it.
fn random_default(rng: &mut Rng, ty: &Ty, model: &Model) -> String {
    match ty {
        Ty::Timestamptz => ["now()", "CURRENT_TIMESTAMP"][rng.below(2)].to_string(),
        Ty::Date => "CURRENT_DATE".to_string(),
        Ty::TextArray => "'{}'".to_string(),
        Ty::EnumArray(e) => format!("'{{{}}}'", model.enums[*e].labels[0]),
        Ty::Enum(e) => format!("'{}'", rng.pick(&model.enums[*e].labels).unwrap()),
        other => other.value(rng.below(50) as i64 + 1, model),
    }
}

fn new_column(rng: &mut Rng, model: &mut Model, has_rows: bool) -> Column {
    let ty = random_ty(rng, model);
    let name = model.fresh("c");
    let uid = model.fresh;
    // NOT NULL only with a default when rows are there.
    let with_default = rng.chance(40);
    let nullable = !with_default || rng.chance(30);
    let default = with_default.then(|| random_default(rng, &ty, model));
    Column {
        uid,
        name,
        renamed_from: None,
        nullable,
        default: default.clone(),
        check: None,
        index: None,
        unique: false,
        references: None,
        holds_null: has_rows && default.is_none(),
        distinct: !has_rows || default.is_none(),
        ty,
    }
}

fn new_table(rng: &mut Rng, model: &mut Model) -> Table {
    let name = model.fresh("t");
    let struct_name = format!("T{}", &name[1..]);
    let id_kind = [IdKind::Plain, IdKind::Identity, IdKind::Serial][rng.below(3)].clone();
    let id_width = [4, 8][rng.below(2)];
    let mut columns = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let c = new_column(rng, model, false);
        columns.push(c);
    }
    if !model.tables.is_empty() && rng.chance(50) {
        let parent = rng.pick(&model.tables).unwrap().clone();
        let c_name = model.fresh("ref");
        columns.push(Column {
            uid: model.fresh,
            name: c_name,
            renamed_from: None,
            ty: Ty::Int(parent.id_width),
            nullable: true,
            default: None,
            check: None,
            index: None,
            unique: false,
            references: Some(parent.struct_name.clone()),
            holds_null: false,
            distinct: false,
        });
    }
    Table {
        struct_name,
        name,
        renamed_from: None,
        id_kind,
        id_width,
        columns,
        expr_indexes: Vec::new(),
        next_row: 1,
    }
}

/// The first entity set: an enum or two, and a few tables.
pub fn initial(rng: &mut Rng) -> Model {
    let mut model = Model::default();
    for _ in 0..rng.below(3) {
        let name = model.fresh("e");
        let mut labels: Vec<String> = Vec::new();
        while labels.len() < 2 + rng.below(3) {
            let l = rng.pick(LABELS).unwrap().to_string();
            if !labels.contains(&l) {
                labels.push(l);
            }
        }
        model.enums.push(Enum {
            rust_name: format!("E{}", &name[1..]),
            name,
            labels,
            used: Vec::new(),
        });
    }
    for _ in 0..2 + rng.below(2) {
        let t = new_table(rng, &mut model);
        model.tables.push(t);
    }
    model
}

/// Every (table, column) position of the model, for picking one.
fn columns(model: &Model) -> Vec<(usize, usize)> {
    model
        .tables
        .iter()
        .enumerate()
        .flat_map(|(t, table)| (0..table.columns.len()).map(move |c| (t, c)))
        .collect()
}

fn widen(ty: &Ty, rng: &mut Rng) -> Option<Ty> {
    Some(match ty {
        Ty::Int(2) => Ty::Int(4),
        Ty::Int(4) => Ty::Int(8),
        Ty::Varchar(n) if rng.chance(70) => Ty::Varchar(n + 10),
        Ty::Varchar(_) => Ty::Text,
        Ty::Numeric(p, s) if rng.chance(50) => Ty::Numeric(p + 2, *s),
        Ty::Numeric(p, s) => Ty::Numeric(p + 1, s + 1),
        _ => return None,
    })
}

/// A narrowing every value the generator writes still fits (values are short and
/// small), so only the type's range is lost: destructive by definition.
fn narrow(ty: &Ty) -> Option<Ty> {
    Some(match ty {
        Ty::Int(8) => Ty::Int(4),
        Ty::Int(4) => Ty::Int(2),
        Ty::Varchar(n) if *n > 10 => Ty::Varchar(n - 5),
        Ty::Text => Ty::Varchar(20),
        _ => return None,
    })
}

/// Applies 1 to 3 random changes (and a pending contraction first).
pub fn evolve(rng: &mut Rng, model: &mut Model, pending: &mut Option<Pending>) -> Changes {
    let mut changes = Changes::default();
    if let Some(p) = pending.take() {
        contract(model, &p, &mut changes);
    }
    let wanted = 1 + rng.below(3);
    let mut tries = 0;
    let had_pending = pending.is_some();
    while changes.words.len() < wanted && tries < 50 {
        tries += 1;
        change(rng, model, pending, &mut changes);
    }
    // The backfill of an expansion, under the names the step left.
    if let (false, Some(p)) = (had_pending, pending.as_ref()) {
        let table = model.table(&p.table);
        let name = |uid: usize| {
            table.and_then(|t| {
                t.columns
                    .iter()
                    .find(|c| c.uid == uid)
                    .map(|c| c.name.clone())
            })
        };
        match (table, name(p.legacy), name(p.expanded)) {
            (Some(t), Some(legacy), Some(expanded)) => changes.after.push(format!(
                "UPDATE {} SET {} = {}",
                super::model::quote(&t.name),
                super::model::quote(&expanded),
                super::model::quote(&legacy)
            )),
            _ => *pending = None,
        }
    }
    changes
}

fn change(rng: &mut Rng, model: &mut Model, pending: &mut Option<Pending>, out: &mut Changes) {
    let has_rows = |t: &Table| t.next_row > 1;
    match rng.below(16) {
        0 => {
            let t = new_table(rng, model);
            out.words.push(format!("add table {}", t.name));
            model.tables.push(t);
        }
        1 => {
            let candidates: Vec<usize> = (0..model.tables.len())
                .filter(|&i| !model.is_referenced(&model.tables[i].struct_name))
                .collect();
            if model.tables.len() > 1 {
                if let Some(&i) = rng.pick(&candidates) {
                    let t = model.tables.remove(i);
                    out.words.push(format!("drop table {}", t.name));
                }
            }
        }
        2 => {
            if let Some(t) = rng
                .pick(&(0..model.tables.len()).collect::<Vec<_>>())
                .copied()
            {
                if out.renamed.contains(&model.tables[t].struct_name) {
                    return;
                }
                out.renamed.push(model.tables[t].struct_name.clone());
                let new = model.fresh("t");
                let table = &mut model.tables[t];
                out.words
                    .push(format!("rename table {} -> {new}", table.name));
                table.renamed_from = Some(std::mem::replace(&mut table.name, new));
            }
        }
        3 => {
            if let Some(t) = rng
                .pick(&(0..model.tables.len()).collect::<Vec<_>>())
                .copied()
            {
                let rows = has_rows(&model.tables[t]);
                let c = new_column(rng, model, rows);
                out.words
                    .push(format!("add column {}.{}", model.tables[t].name, c.name));
                model.tables[t].columns.push(c);
            }
        }
        4 => {
            if let Some(&(t, c)) = rng.pick(&columns(model)) {
                let table = &mut model.tables[t];
                if table.columns.len() > 1 && table.columns[c].references.is_none() {
                    let col = table.columns.remove(c);
                    table.expr_indexes.retain(|(_, _, on)| *on != col.name);
                    out.words
                        .push(format!("drop column {}.{}", table.name, col.name));
                }
            }
        }
        5 => {
            if let Some(&(t, c)) = rng.pick(&columns(model)) {
                let uid = model.tables[t].columns[c].uid.to_string();
                if out.renamed.contains(&uid) {
                    return;
                }
                out.renamed.push(uid);
                let new = model.fresh("c");
                let table = &mut model.tables[t];
                let col = &mut table.columns[c];
                let old = std::mem::replace(&mut col.name, new.clone());
                for (_, _, on) in &mut table.expr_indexes {
                    if *on == old {
                        *on = new.clone();
                    }
                }
                out.words
                    .push(format!("rename column {}.{old} -> {new}", table.name));
                col.renamed_from = Some(old);
            }
        }
        6 => {
            // A serial or identity key widened takes its sequence along.
            if rng.chance(25) {
                if let Some(t) = model.tables.iter_mut().find(|t| t.id_width == 4) {
                    t.id_width = 8;
                    out.words.push(format!("widen the key of {}", t.name));
                }
                return;
            }
            if let Some(&(t, c)) = rng.pick(&columns(model)) {
                let col = &mut model.tables[t].columns[c];
                if col.references.is_none() {
                    if let Some(ty) = widen(&col.ty, rng) {
                        out.words
                            .push(format!("widen {} {:?} -> {ty:?}", col.name, col.ty));
                        col.ty = ty;
                        fix_default(col);
                    }
                }
            }
        }
        7 => {
            if let Some(&(t, c)) = rng.pick(&columns(model)) {
                let col = &mut model.tables[t].columns[c];
                if col.references.is_none() {
                    if let Some(ty) = narrow(&col.ty) {
                        out.words
                            .push(format!("narrow {} {:?} -> {ty:?}", col.name, col.ty));
                        col.ty = ty;
                        fix_default(col);
                    }
                }
            }
        }
        8 => {
            if let Some(&(t, c)) = rng.pick(&columns(model)) {
                let col = &mut model.tables[t].columns[c];
                if col.nullable && !col.holds_null && col.references.is_none() {
                    col.nullable = false;
                    out.words.push(format!("set not null on {}", col.name));
                } else if !col.nullable {
                    col.nullable = true;
                    out.words.push(format!("drop not null on {}", col.name));
                }
            }
        }
        9 => {
            if let Some(&(t, c)) = rng.pick(&columns(model)) {
                let rows = has_rows(&model.tables[t]);
                let ty = model.tables[t].columns[c].ty.clone();
                let default = random_default(rng, &ty, model);
                let col = &mut model.tables[t].columns[c];
                if col.references.is_some() {
                    return;
                }
                if col.default.is_some() && (col.nullable || !rows) && rng.chance(40) {
                    col.default = None;
                    out.words.push(format!("drop default of {}", col.name));
                } else if col.default.as_deref() != Some(default.as_str())
                    && !(ty == Ty::Timestamptz && col.default.is_some())
                {
                    out.words
                        .push(format!("default of {} = {default}", col.name));
                    col.default = Some(default);
                }
            }
        }
        10 => {
            // A check the rows satisfy, or none.
            if let Some(&(t, c)) = rng.pick(&columns(model)) {
                let col = &mut model.tables[t].columns[c];
                if col.check.is_some() {
                    col.check = None;
                    out.words.push(format!("drop check on {}", col.name));
                } else if col.ty.is_int() {
                    col.check = Some("{} >= 0".into());
                    out.words.push(format!("check {} >= 0", col.name));
                } else if col.ty.is_texty() {
                    col.check = Some("left({}, 1) IN ('v', 'w')".into());
                    out.words.push(format!("check {} IN", col.name));
                }
            }
        }
        11 => {
            // An index: plain, partial, on an enum label, or on an expression.
            if let Some(&(t, c)) = rng.pick(&columns(model)) {
                let labels = match &model.tables[t].columns[c].ty {
                    Ty::Enum(e) => model.enums[*e].labels.clone(),
                    _ => Vec::new(),
                };
                let table = &mut model.tables[t];
                let col = &mut table.columns[c];
                if col.index.is_some() {
                    col.index = None;
                    out.words.push(format!("drop index on {}", col.name));
                } else if let Some(label) = rng.pick(&labels) {
                    col.index = Some(Some(format!("{{}} = '{label}'")));
                    out.words.push(format!("index on {} = {label}", col.name));
                } else if col.ty.is_texty()
                    && rng.chance(50)
                    && !table.expr_indexes.iter().any(|(_, _, on)| *on == col.name)
                {
                    let name = model_fresh_index(&table.name, &col.name);
                    table
                        .expr_indexes
                        .push((name, "lower({})".into(), col.name.clone()));
                    out.words
                        .push(format!("index on lower({})", table.columns[c].name));
                } else if rng.chance(50) {
                    col.index = Some(Some("{} IS NOT NULL".into()));
                    out.words.push(format!("partial index on {}", col.name));
                } else {
                    col.index = Some(None);
                    out.words.push(format!("index on {}", col.name));
                }
            }
        }
        12 => {
            if let Some(&(t, c)) = rng.pick(&columns(model)) {
                let col = &mut model.tables[t].columns[c];
                if col.unique {
                    col.unique = false;
                    out.words.push(format!("drop unique on {}", col.name));
                } else if col.distinct
                    && (col.ty.is_int() || col.ty.is_texty())
                    && col.references.is_none()
                    && col.default.is_none()
                {
                    col.unique = true;
                    out.words.push(format!("unique on {}", col.name));
                }
            }
        }
        13 => {
            // Enum labels: one added where the generator likes, one unused removed, or two
            // swapped.
            if model.enums.is_empty() {
                return;
            }
            let e = rng.below(model.enums.len());
            let en = &mut model.enums[e];
            match rng.below(3) {
                0 => {
                    if let Some(l) = LABELS.iter().find(|l| !en.labels.iter().any(|x| x == *l)) {
                        let at = rng.below(en.labels.len() + 1);
                        en.labels.insert(at, l.to_string());
                        out.words.push(format!("add label {l} to {}", en.name));
                    }
                }
                1 => {
                    let unused: Vec<usize> = (0..en.labels.len())
                        .filter(|&i| !en.used.contains(&en.labels[i]))
                        .collect();
                    if en.labels.len() > 2 {
                        if let Some(&i) = rng.pick(&unused) {
                            let l = en.labels[i].clone();
                            if !label_in_use(model, e, &l) {
                                let en = &mut model.enums[e];
                                en.labels.remove(i);
                                out.words.push(format!("remove label {l} from {}", en.name));
                            }
                        }
                    }
                }
                _ => {
                    if en.labels.len() > 1 {
                        en.labels.swap(0, 1);
                        out.words.push(format!("swap labels of {}", en.name));
                    }
                }
            }
        }
        14 => {
            // Expand: a copy of a column, backfilled; contracted by the next step.
            if pending.is_some() {
                return;
            }
            if let Some(&(t, c)) = rng.pick(&columns(model)) {
                let table = &model.tables[t];
                let col = &table.columns[c];
                // A column renamed in this step: its old name would be taken again.
                if col.references.is_some()
                    || col.unique
                    || out.renamed.contains(&col.uid.to_string())
                {
                    return;
                }
                let expanded = format!("{}_v2", col.name);
                let copy = Column {
                    uid: model.fresh + 1,
                    name: expanded.clone(),
                    renamed_from: None,
                    nullable: true,
                    default: None,
                    check: None,
                    index: None,
                    unique: false,
                    references: None,
                    // Backfilled only once the step ran: NULL in every row until then.
                    holds_null: has_rows(table),
                    distinct: col.distinct,
                    ty: col.ty.clone(),
                };
                *pending = Some(Pending {
                    table: table.struct_name.clone(),
                    legacy: col.uid,
                    expanded: model.fresh + 1,
                });
                out.words
                    .push(format!("expand {} into {expanded}", col.name));
                model.fresh += 1;
                model.tables[t].columns.push(copy);
            }
        }
        _ => {
            // An enum column, with a default on a label maybe just added.
            if model.enums.is_empty() {
                return;
            }
            if let Some(t) = rng
                .pick(&(0..model.tables.len()).collect::<Vec<_>>())
                .copied()
            {
                let e = rng.below(model.enums.len());
                let name = model.fresh("c");
                let label = rng.pick(&model.enums[e].labels).unwrap().clone();
                let rows = has_rows(&model.tables[t]);
                model.tables[t].columns.push(Column {
                    uid: model.fresh,
                    name: name.clone(),
                    renamed_from: None,
                    ty: Ty::Enum(e),
                    nullable: false,
                    default: Some(format!("'{label}'")),
                    check: None,
                    index: None,
                    unique: false,
                    references: None,
                    holds_null: false,
                    distinct: !rows,
                });
                if !model.enums[e].used.contains(&label) && rows {
                    model.enums[e].used.push(label.clone());
                }
                out.words
                    .push(format!("add enum column {name} default {label}"));
            }
        }
    }
}

/// A name for an expression index: table and column, which are unique, and a suffix.
fn model_fresh_index(table: &str, column: &str) -> String {
    format!("{table}_{column}_lower")
}

/// Whether a default, check or index of the model names a label.
fn label_in_use(model: &Model, e: usize, label: &str) -> bool {
    let quoted = format!("'{label}'");
    let braced = format!("{{{label}}}");
    model.tables.iter().any(|t| {
        t.columns.iter().any(|c| {
            let of_type = matches!(c.ty, Ty::Enum(x) | Ty::EnumArray(x) if x == e);
            of_type
                && (c
                    .default
                    .as_deref()
                    .is_some_and(|d| d.contains(&quoted) || d.contains(&braced))
                    || c.index
                        .as_ref()
                        .and_then(|i| i.as_deref())
                        .is_some_and(|p| p.contains(&quoted)))
        })
    })
}

/// A type change can leave a default of the old type: a new one of the new type.
fn fix_default(col: &mut Column) {
    if col.default.is_some() {
        col.default = Some(col.ty.value(1, &Model::default()));
    }
}

/// The contraction: the legacy column goes, the expanded one takes its name.
fn contract(model: &mut Model, p: &Pending, out: &mut Changes) {
    let Some(table) = model.tables.iter_mut().find(|t| t.struct_name == p.table) else {
        return;
    };
    let Some(legacy) = table.columns.iter().position(|c| c.uid == p.legacy) else {
        return;
    };
    let Some(expanded) = table.columns.iter().position(|c| c.uid == p.expanded) else {
        return;
    };
    let old = table.columns.remove(legacy);
    table.expr_indexes.retain(|(_, _, on)| *on != old.name);
    let expanded = if expanded > legacy {
        expanded - 1
    } else {
        expanded
    };
    let col = &mut table.columns[expanded];
    out.renamed.push(col.uid.to_string());
    let expanded_name = std::mem::replace(&mut col.name, old.name.clone());
    out.words
        .push(format!("contract {expanded_name} into {}", old.name));
    col.renamed_from = Some(expanded_name);
}

/// Whether going from `before` to `after` deletes data: a table or column gone, a type
/// narrowed, an enum label removed. Judged on the two models, not on the changes
/// made: a column added and narrowed in one step loses nothing.
pub fn destructive(before: &Model, after: &Model) -> bool {
    let width = |ty: &Ty| match ty {
        Ty::Int(w) => Some(*w as u32),
        Ty::Varchar(n) => Some(*n),
        Ty::Text => Some(u32::MAX),
        _ => None,
    };
    let narrowed = |from: &Ty, to: &Ty| {
        let same_family = from.is_int() == to.is_int() && from.is_texty() == to.is_texty();
        same_family && matches!((width(from), width(to)), (Some(a), Some(b)) if b < a)
    };
    let tables_or_columns = before
        .tables
        .iter()
        .any(|b| match after.table(&b.struct_name) {
            None => true,
            Some(a) => {
                b.columns
                    .iter()
                    .any(|bc| match a.columns.iter().find(|ac| ac.uid == bc.uid) {
                        None => true,
                        Some(ac) => narrowed(&bc.ty, &ac.ty),
                    })
            }
        });
    let labels = before
        .enums
        .iter()
        .zip(&after.enums)
        .any(|(b, a)| b.labels.iter().any(|l| !a.labels.contains(l)));
    tables_or_columns || labels
}
