//! Column types the entities spell otherwise than the database (`int4` for `integer`),
//! respelled by the server before they are compared.
use super::{CheckError, Unverified};
use crate::names::qualified;
use crate::schema::{Schema, Table};
use sqlx::{Connection, PgConnection};
use std::collections::HashMap;

/// Declared column types that differ textually from the database's (`int4` for
/// `integer`, a `sql_type` written otherwise), spelled as `format_type` spells them:
/// one query, in a READ ONLY transaction, only when some differ. PostgreSQL 17 reads
/// the type modifier too (`to_regtypemod`); before, a declared type with a modifier
/// (`varchar(20)`) whose base type is the database's is compared by its modifiers when
/// both are plain numbers, else returned as unverified (and taken as equal); one whose
/// base type differs stays a mismatch. A type PostgreSQL
/// does not know stays as declared (a mismatch).
pub(super) async fn respell_types(
    conn: &mut PgConnection,
    desired: &mut Schema,
    current: &Schema,
) -> Result<Vec<Unverified>, CheckError> {
    let by_name: HashMap<(&str, &str), &Table> = current
        .tables
        .iter()
        .map(|t| ((t.schema.as_str(), t.name.as_str()), t))
        .collect();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for t in &desired.tables {
        let Some(ct) = by_name.get(&(t.schema.as_str(), t.name.as_str())) else {
            continue;
        };
        for col in &t.columns {
            if let Some(cc) = ct.column(&col.name) {
                if col.ty != cc.ty {
                    pairs.push((col.ty.clone(), cc.ty.clone()));
                }
            }
        }
    }
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    pairs.sort();
    pairs.dedup();
    let (declared, found): (Vec<String>, Vec<String>) = pairs.into_iter().unzip();
    let mut tx = conn.begin_with("BEGIN READ ONLY").await?;
    // The spelling introspection reads with (see `introspect`).
    sqlx::query("SET LOCAL search_path = public")
        .execute(&mut *tx)
        .await?;
    let modern: bool =
        sqlx::query_scalar("SELECT current_setting('server_version_num')::int >= 170000")
            .fetch_one(&mut *tx)
            .await?;
    let sql = if modern {
        "SELECT d, f, pg_catalog.format_type(pg_catalog.to_regtype(d), pg_catalog.to_regtypemod(d)),
                true, NULL::text
         FROM unnest($1::text[], $2::text[]) AS x(d, f)"
    } else {
        "SELECT d, f, pg_catalog.format_type(pg_catalog.to_regtype(d), NULL),
                strpos(d, '(') = 0, pg_catalog.format_type(pg_catalog.to_regtype(f), NULL)
         FROM unnest($1::text[], $2::text[]) AS x(d, f)"
    };
    type Row = (String, String, Option<String>, bool, Option<String>);
    let rows: Result<Vec<Row>, sqlx::Error> = sqlx::query_as(sql)
        .bind(&declared)
        .bind(&found)
        .fetch_all(&mut *tx)
        .await;
    let rows = match rows {
        Ok(rows) => rows,
        // A declared type PostgreSQL cannot even parse: compared as written.
        Err(sqlx::Error::Database(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    // (declared, found) -> the type to compare with, and whether it is unverified.
    let mut spelled: HashMap<(String, String), (String, bool)> = HashMap::new();
    for (d, f, canonical, exact, found_base) in rows {
        match (canonical, exact) {
            (Some(c), true) => {
                spelled.insert((d, f), (c, false));
            }
            (Some(base), false) if Some(&base) == found_base.as_ref() => {
                // The same base type: the modifiers decide, when both are plain numbers
                // (`varchar(20)` against `character varying(20)`).
                match (type_modifiers(&d), type_modifiers(&f)) {
                    (Some(a), Some(b)) if a == b => {
                        spelled.insert((d, f.clone()), (f, false));
                    }
                    (Some(_), Some(_)) => {}
                    _ => {
                        spelled.insert((d, f.clone()), (f, true));
                    }
                }
            }
            _ => {}
        }
    }
    let mut unverified = Vec::new();
    for t in &mut desired.tables {
        let Some(ct) = by_name.get(&(t.schema.as_str(), t.name.as_str())) else {
            continue;
        };
        for col in &mut t.columns {
            let Some(cc) = ct.column(&col.name) else {
                continue;
            };
            if let Some((ty, unsure)) = spelled.get(&(col.ty.clone(), cc.ty.clone())) {
                if *unsure {
                    unverified.push(Unverified {
                        table: qualified(&t.schema, &t.name),
                        object: format!("type of column {}", col.name),
                        declared: col.ty.clone(),
                        found: cc.ty.clone(),
                    });
                }
                col.ty = ty.clone();
            }
        }
    }
    Ok(unverified)
}

/// A type's modifiers when it has one list of plain numbers: `varchar(20)` is `[20]`,
/// `numeric(12, 2)` is `[12, 2]`, `timestamp(3) with time zone[]` is `[3]`.
pub(super) fn type_modifiers(ty: &str) -> Option<Vec<u32>> {
    if ty.matches('(').count() != 1 {
        return None;
    }
    let (_, rest) = ty.split_once('(')?;
    let (inside, _) = rest.split_once(')')?;
    inside.split(',').map(|n| n.trim().parse().ok()).collect()
}
