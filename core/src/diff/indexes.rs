//! Indexes of tables that stay (a created table's indexes come with its CREATE TABLE,
//! a dropped table's go with it).
//!
//! A current index is compared under its columns' desired names. The same definition
//! under another name (typically because its table or a column was renamed) is a
//! rename; a changed definition is a drop before the columns change and a create after.
//! An index reading a column that is dropped or re-created is dropped explicitly first
//! (PostgreSQL would drop it silently with the column) and re-created by the down file.
//!
//! An index created on a partitioned table takes, on each partition, a matching index
//! the partition has of its own (PostgreSQL attaches it instead of building one), and
//! `DROP INDEX` drops what is attached: the down file creates those indexes again.
use super::columns::ColumnPairing;
use super::matching::{match_objects, Matching};
use super::tables::TablePair;
use super::{
    locked, non_transactional, step, with_hazards, with_note, with_respelled_note, Dropped,
    EnumTypes, Phase, Steps,
};
use crate::names::quote_ident;
use crate::plan::{Hazard, Lock, Step};
use crate::schema::{Index, IndexTexts, Partition, Written};
use crate::sql;

/// A current index as it reads after the renames, and whether all its columns survive.
pub(super) fn mapped(index: &Index, columns: &ColumnPairing) -> (Index, bool) {
    let mut intact = true;
    let mut map = |e: &str| {
        let m = columns.map_expr(e);
        intact &= m.intact;
        m.text
    };
    let out = Index {
        name: index.name.clone(),
        keys: index.keys.iter().map(|k| map(k)).collect(),
        unique: index.unique,
        method: index.method.clone(),
        predicate: index.predicate.as_deref().map(&mut map),
        include: index.include.iter().map(|k| map(k)).collect(),
        opclasses: index.opclasses.clone(),
        orders: index.orders.clone(),
        collations: index.collations.clone(),
        nulls_not_distinct: index.nulls_not_distinct,
        written: Written::default(),
    };
    // A down file re-creates it once the columns have their new names.
    let written = index.written.get().map(|w| IndexTexts {
        keys: w.keys.iter().map(|k| map(k)).collect(),
        include: w.include.iter().map(|k| map(k)).collect(),
        predicate: w.predicate.as_deref().map(&mut map),
    });
    let out = Index {
        written: written.map(Written::new).unwrap_or_default(),
        ..out
    };
    (out, intact)
}

fn same_definition(a: &Index, b: &Index) -> bool {
    a.keys == b.keys
        && a.unique == b.unique
        && a.method == b.method
        && a.predicate == b.predicate
        && a.include == b.include
        && a.opclasses == b.opclasses
        && a.orders == b.orders
        && a.collations == b.collations
        && a.nulls_not_distinct == b.nulls_not_distinct
}

pub(super) fn diff_indexes(
    pair: &TablePair,
    columns: &ColumnPairing,
    enums: &EnumTypes,
    online: bool,
    steps: &mut Steps,
    dropped: &mut Dropped,
) {
    let t = pair.sql_name();
    let schema = &pair.desired.schema;
    let current: Vec<(Index, bool)> = pair
        .current
        .indexes
        .iter()
        .map(|i| mapped(i, columns))
        .collect();
    let desired = &pair.desired.indexes;
    // Those of a partitioned table, whose own indexes a created index may take.
    let partitions = pair.current_partitions();
    // Unchanged: same name, same definition; renamed: same definition, another name.
    let Matching {
        current_done,
        desired_done,
        renamed,
    } = match_objects(
        current.len(),
        desired.len(),
        |c| current[c].1,
        |c, d| current[c].0.name == desired[d].name,
        |c, d| same_definition(&current[c].0, &desired[d]),
    );
    for (ci, di) in renamed {
        let (from, to) = (&current[ci].0.name, &desired[di].name);
        // ALTER INDEX ... RENAME takes SHARE UPDATE EXCLUSIVE (PostgreSQL 12+).
        let s = step(
            format!(
                "rename index {} -> {} on {t}",
                quote_ident(from),
                quote_ident(to)
            ),
            vec![sql::rename_index(schema, from, to)],
            vec![sql::rename_index(schema, to, from)],
        );
        steps.push(Phase::RenameIndex, locked(s, Lock::ShareUpdateExclusive));
    }
    // With `--online`, an index replaced by a new one on the same table goes once the
    // new one is built, not before: reads keep an index all along (and, in the down
    // file, the old one is back before the new one goes). Only a plain index whose
    // columns all stay, under a name no new index takes: a unique one may hold up a
    // foreign key, and a column dropped or re-created takes its indexes with it.
    let builds_new = desired_done.iter().any(|done| !done);
    for (ci, (c, intact)) in current.iter().enumerate() {
        if current_done[ci] {
            continue;
        }
        let after_its_replacement = online
            && builds_new
            && *intact
            && !c.unique
            && !desired.iter().any(|d| d.name == c.name);
        // Still there while the rest of the plan runs (an enum re-creation sets it aside).
        if !after_its_replacement {
            dropped.indexes.push(c.name.clone());
        }
        let what = format!("drop index {} on {t}", quote_ident(&c.name));
        // The down runs once the columns are back under these (mapped) names.
        let mut s = if online {
            locked(
                non_transactional(
                    format!("{what} (concurrently)"),
                    sql::drop_index_concurrently(schema, &c.name),
                    sql::create_index_concurrently(&t, c),
                ),
                Lock::ShareUpdateExclusive,
            )
        } else {
            locked(
                step(
                    what.clone(),
                    vec![sql::drop_index(schema, &c.name)],
                    vec![sql::create_index(&t, c)],
                ),
                Lock::AccessExclusive,
            )
        };
        s = with_hazards(s, &[Hazard::DropsIndex]);
        if c.unique {
            s = with_note(
                s,
                format!("{what}: re-creating it fails if duplicates were stored since"),
            );
        }
        let respelled = c.reads_back_otherwise().then(|| "the index".to_string());
        s = with_respelled_note(s, &what, respelled.as_slice());
        let phase = if after_its_replacement {
            Phase::DropReplacedIndex
        } else {
            Phase::DropIndex
        };
        steps.push(phase, s);
    }
    for (di, d) in desired.iter().enumerate() {
        if desired_done[di] {
            continue;
        }
        let what = format!(
            "create {}index {} on {t}",
            unique_word(d),
            quote_ident(&d.name)
        );
        let fragments = d.keys.iter().chain(&d.predicate).map(String::as_str);
        let reads = enums.read_by(pair.desired, fragments);
        steps.push_reading(
            Phase::AddIndex,
            create(&what, &t, schema, d, online, &partitions),
            reads,
        );
    }
}

fn unique_word(i: &Index) -> &'static str {
    if i.unique {
        "unique "
    } else {
        ""
    }
}

/// Plain: `CREATE INDEX` under SHARE (writes wait for the whole build). Online:
/// `CREATE INDEX CONCURRENTLY` under SHARE UPDATE EXCLUSIVE (reads and writes go on),
/// outside a transaction, undone by `DROP INDEX CONCURRENTLY`. `partitions`: those of
/// a partitioned table (never online, see `tables::online_on`), whose own indexes the
/// down file creates again after dropping `d` (see [`attachable`]).
fn create(
    what: &str,
    t: &str,
    schema: &str,
    d: &Index,
    online: bool,
    partitions: &[&Partition],
) -> Step {
    let mut hazards = vec![Hazard::BuildsIndex];
    if d.unique {
        hazards.push(Hazard::MayFailOnExistingRows);
    }
    let s = if online {
        hazards.extend([
            Hazard::ImpactsDatabasePerformance,
            Hazard::LeavesInvalidIndexOnFailure,
        ]);
        locked(
            non_transactional(
                format!("{what} (concurrently)"),
                sql::create_index_concurrently(t, d),
                sql::drop_index_concurrently(schema, &d.name),
            ),
            Lock::ShareUpdateExclusive,
        )
    } else {
        let restored = attachable(partitions, d);
        let mut down = vec![sql::drop_index(schema, &d.name)];
        down.extend(restored.iter().map(|(_, def)| def.clone()));
        // Not a note: the note says what the down file does not restore, and it does.
        let mut s = locked(step(what, vec![sql::create_index(t, d)], down), Lock::Share);
        for (constraint, partition) in attachable_constraints(partitions, d) {
            s = with_note(
                s,
                format!(
                    "{what}: PostgreSQL attaches to it the index of {constraint} of partition \
                     {partition} if it has the same definition, and the down file's DROP INDEX \
                     then fails: drop it with CASCADE, which drops that constraint, and add the \
                     constraint back"
                ),
            );
        }
        s
    };
    with_hazards(s, &hazards)
}

/// The own indexes of `partitions` that PostgreSQL may attach to `d` when `d` is
/// created on their partitioned table, by name (`index "x"`), each with the statement
/// that creates it again once `DROP INDEX` has dropped it with `d`:
/// `CREATE [UNIQUE] INDEX IF NOT EXISTS`, so that one PostgreSQL did not attach (still
/// there) is kept. Only an index of `d`'s uniqueness and access method can be attached;
/// the others are left out. A partition's index on its own partitions, which
/// `pg_get_indexdef` writes `ON ONLY`, is created on them all again, as it was.
fn attachable(partitions: &[&Partition], d: &Index) -> Vec<(String, String)> {
    let prefix = if d.unique {
        "CREATE UNIQUE INDEX "
    } else {
        "CREATE INDEX "
    };
    let method = format!(" USING {} (", d.method);
    let mut out = Vec::new();
    for p in partitions {
        for (object, def) in p.own_objects.iter().zip(&p.own_definitions) {
            let Some(name) = object.strip_prefix("index ") else {
                continue;
            };
            let Some(rest) = def.strip_prefix(prefix) else {
                continue;
            };
            if !rest.contains(&method) {
                continue;
            }
            let rest = rest.replacen(" ON ONLY ", " ON ", 1);
            out.push((name.to_string(), format!("{prefix}IF NOT EXISTS {rest}")));
        }
    }
    out
}

/// The unique and primary key constraints of `partitions` over `d`'s keys, if `d` is
/// a unique index PostgreSQL may attach their index to, as (`constraint "c"`,
/// partition): `DROP INDEX` cannot drop such an index without CASCADE.
fn attachable_constraints(partitions: &[&Partition], d: &Index) -> Vec<(String, String)> {
    if !d.unique || d.method != "btree" || d.predicate.is_some() {
        return Vec::new();
    }
    let keys = d.keys.join(", ");
    let shapes = [format!("UNIQUE ({keys})"), format!("PRIMARY KEY ({keys})")];
    let mut out = Vec::new();
    for p in partitions {
        for (object, def) in p.own_objects.iter().zip(&p.own_definitions) {
            if object.starts_with("constraint ") && shapes.iter().any(|s| def.ends_with(s.as_str()))
            {
                out.push((object.clone(), crate::names::qualified(&p.schema, &p.name)));
            }
        }
    }
    out
}
