//! Indexes of the managed tables that back no constraint.
use super::{Catalog, TableOid};
use crate::schema::Index;
use sqlx::postgres::PgRow;
use sqlx::Row;

/// The `idx` and `index_rows` CTEs: one row per index of the tables in a
/// preceding `managed` CTE (its `oid` column). Introspection selects from it; so does
/// canonicalization, over its temporary tables, so a declared index is read back by
/// the very SQL that reads the real one.
///
/// Indexes behind a primary key, unique or exclusion constraint are the constraint's
/// (an anti-join on `conindid`); foreign keys also carry a `conindid` (the referenced
/// side's index), hence the `conrelid` and `contype` conditions.
///
/// Each expression key is `pg_get_indexdef(indexrelid, k, true)`: the expression alone.
/// A plain column (`indkey[k-1] <> 0`) would print as `quote_identifier(attname)` too,
/// but that function re-reads the whole index definition per call (0.4 s of 0.5 at
/// N=5000), so the macro's argument says what a plain column gives instead:
/// introspection passes `NULL`, and names the column from `key_numbers` with the
/// columns query's own `quote_ident(attname)` ([`Unresolved::resolve`]: a lookup per
/// key here was a fifth of this query); canonicalization's read-back, over a few
/// temporary tables, passes a lookup of `quote_ident(attname)` by `pg_attribute`'s
/// whole index key. That form drops per-key options: the
/// operator class is read apart (`opclasses`, empty for a type's default one);
/// `DESC` / `NULLS FIRST` are read from `indoption`, collations from `indcollation`
/// (named where a key's is not its column's). Those three are read only for an index
/// with a key on a non-default operator class, an order bit set, a collation other
/// than the default one, or the default one on a table with a column that has another
/// (`has_key_options`; those tables are gathered once, an index probe of
/// `pg_attribute` per index cost 0.2 s at N=5000): most indexes have none of these, and an empty list means "all default" to [`index`] as well. The
/// definitions are gathered per index in a LATERAL subquery over that index's own
/// attribute numbers: constant work per index whatever the plan. (As a CTE grouped
/// over every index and joined back, PostgreSQL, estimating one managed index, re-ran
/// the whole aggregate once per index: 8 s of 9 at N=1000, quadratic; as a join to
/// `pg_attribute`, it read every column of the table per index.)
macro_rules! index_rows_ctes {
    ($plain_key:literal) => {
        concat!(
            ",
idx AS (
    SELECT i.indexrelid, i.indrelid, i.indnatts, i.indnkeyatts, i.indisunique, i.indpred,
           i.indkey, i.indclass, i.indoption, i.indcollation,
           i.indnullsnotdistinct,
           i.indclass::oid[] && ARRAY(SELECT o.oid FROM pg_catalog.pg_opclass o
                                      WHERE NOT o.opcdefault)
               OR 0 <> ANY(i.indoption::int2[])
               OR NOT (i.indcollation::oid[] <@ '{0,100}'::oid[])
               OR (100 = ANY(i.indcollation::oid[])
                   AND i.indrelid = ANY(ARRAY(
                       SELECT a.attrelid FROM pg_catalog.pg_attribute a
                       JOIN managed ma ON ma.oid = a.attrelid
                       WHERE a.attcollation NOT IN (0, 100)))) AS has_key_options
    FROM pg_catalog.pg_index i
    JOIN managed m ON m.oid = i.indrelid
    -- NOT EXISTS, not a LEFT JOIN ... IS NULL: PostgreSQL plans the latter as a
    -- join it guesses keeps one row, and then loops over every managed table for each
    -- index (7 s at N=5000, against 0.3 s as an anti-join).
    WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c
                      WHERE c.conindid = i.indexrelid
                        AND c.conrelid = i.indrelid
                        AND c.contype IN ('p', 'u', 'x'))
),
index_rows AS (
    SELECT idx.indrelid::int8 AS table_oid,
           ic.relname::text AS name,
           am.amname::text AS method,
           idx.indisunique AS is_unique,
           idx.indnkeyatts::int4 AS key_count,
           pg_catalog.pg_get_expr(idx.indpred, idx.indrelid) AS predicate,
           defs.defs AS defs,
           -- `int2vector` as text (`1 3 0`): as an array it would start at 0,
           -- which sqlx does not decode.
           idx.indkey::text AS key_numbers,
           COALESCE(opcs.opcs, '{}') AS opclasses,
           COALESCE(opcs.orders, '{}') AS orders,
           COALESCE(opcs.collations, '{}') AS collations,
           idx.indnullsnotdistinct AS nulls_not_distinct
    FROM idx
    JOIN pg_catalog.pg_class ic ON ic.oid = idx.indexrelid
    JOIN pg_catalog.pg_am am ON am.oid = ic.relam
    CROSS JOIN LATERAL (
        SELECT ARRAY(
            SELECT CASE WHEN idx.indkey[k.n - 1] <> 0
                        THEN ",
            $plain_key,
            "
                        ELSE pg_catalog.pg_get_indexdef(idx.indexrelid, k.n, true)
                   END
            FROM generate_series(1, idx.indnatts::int) AS k(n)
            ORDER BY k.n)
    ) AS defs(defs)
    LEFT JOIN LATERAL (
        SELECT array_agg(CASE WHEN opc.opcdefault THEN '' ELSE opc.opcname::text END
                         ORDER BY k.n),
               -- indoption bits: 1 DESC, 2 NULLS FIRST (pg_index.h); the defaults,
               -- NULLS LAST after ASC and NULLS FIRST after DESC, are left unsaid.
               array_agg(CASE idx.indoption[k.n - 1] & 3
                             WHEN 1 THEN 'DESC NULLS LAST'
                             WHEN 2 THEN 'NULLS FIRST'
                             WHEN 3 THEN 'DESC'
                             ELSE '' END
                         ORDER BY k.n),
               -- A key's collation when it is not its own: a column key's is its
               -- column's, an expression's is taken to be the database default
               -- (the model cannot know an expression's; a declared index is read
               -- back by this very SQL, so both sides say the same).
               array_agg(CASE WHEN coll.oid IS NULL THEN ''
                              WHEN idx.indkey[k.n - 1] <> 0
                                   AND coll.oid = (SELECT a.attcollation
                                                   FROM pg_catalog.pg_attribute a
                                                   WHERE a.attrelid = idx.indrelid
                                                     AND a.attnum = idx.indkey[k.n - 1])
                                   THEN ''
                              WHEN idx.indkey[k.n - 1] = 0 AND coll.oid = 100 THEN ''
                              WHEN pg_catalog.pg_collation_is_visible(coll.oid)
                                   THEN pg_catalog.quote_ident(coll.collname)
                              ELSE pg_catalog.quote_ident(coll_ns.nspname) || '.'
                                   || pg_catalog.quote_ident(coll.collname) END
                         ORDER BY k.n)
        FROM generate_series(1, idx.indnkeyatts::int) AS k(n)
        JOIN pg_catalog.pg_opclass opc ON opc.oid = idx.indclass[k.n - 1]
        LEFT JOIN pg_catalog.pg_collation coll ON coll.oid = idx.indcollation[k.n - 1]
        LEFT JOIN pg_catalog.pg_namespace coll_ns ON coll_ns.oid = coll.collnamespace
        WHERE idx.has_key_options
    ) AS opcs(opcs, orders, collations) ON true
)"
        )
    };
}
pub(crate) use index_rows_ctes;

const SQL: &str = concat!(
    managed_tables_cte!(),
    index_rows_ctes!("NULL"),
    "
SELECT * FROM index_rows"
);

pub(super) async fn fetch(
    catalog: &mut Catalog<'_>,
) -> Result<Vec<(TableOid, Unresolved)>, sqlx::Error> {
    catalog
        .map_rows(SQL, |row| Ok((row.try_get("table_oid")?, unresolved(row)?)))
        .await
}

/// An index as read: its plain key and INCLUDE columns still attribute numbers.
#[derive(Debug)]
pub(super) struct Unresolved {
    /// Plain columns are empty strings until [`Unresolved::resolve`] names them.
    index: Index,
    /// (position among the keys then the INCLUDE columns, `attnum`) of each.
    plain: Vec<(usize, i16)>,
}

impl Unresolved {
    /// The index with each plain column named by `quoted(attnum)`, spelled as
    /// `quote_ident` spells it. A number that names no column cannot happen in one
    /// snapshot; it is an error rather than a guess.
    pub(super) fn resolve<'a>(
        self,
        quoted: impl Fn(i16) -> Option<&'a str>,
    ) -> Result<Index, sqlx::Error> {
        let Unresolved { mut index, plain } = self;
        let key_count = index.keys.len();
        for (at, number) in plain {
            let name = quoted(number)
                .ok_or_else(|| super::unexpected("index column number", &number.to_string()))?;
            let slot = match at.checked_sub(key_count) {
                None => index.keys.get_mut(at),
                Some(included) => index.include.get_mut(included),
            };
            if let Some(slot) = slot {
                *slot = name.to_string();
            }
        }
        Ok(index)
    }
}

/// An index from a row of `index_rows` whose plain columns the server named.
pub(crate) fn index(row: &PgRow) -> Result<Index, sqlx::Error> {
    unresolved(row)?.resolve(|_| None)
}

/// An index from a row of `index_rows` (see [`index_rows_ctes`]).
fn unresolved(row: &PgRow) -> Result<Unresolved, sqlx::Error> {
    let key_count: i32 = row.try_get("key_count")?;
    let defs: Vec<Option<String>> = row.try_get("defs")?;
    let numbers_text: String = row.try_get("key_numbers")?;
    let numbers = numbers_text
        .split_whitespace()
        .map(|n| n.parse::<i16>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| super::unexpected("index key numbers", &numbers_text))?;
    let mut plain = Vec::new();
    let defs: Vec<String> = defs
        .into_iter()
        .enumerate()
        .map(|(at, def)| {
            def.unwrap_or_else(|| {
                plain.push((at, numbers.get(at).copied().unwrap_or(0)));
                String::new()
            })
        })
        .collect();
    let (keys, include) = split_keys(defs, key_count);
    let opclasses: Vec<String> = row.try_get("opclasses")?;
    let orders: Vec<String> = row.try_get("orders")?;
    let collations: Vec<String> = row.try_get("collations")?;
    let index = Index {
        name: row.try_get("name")?,
        keys,
        unique: row.try_get("is_unique")?,
        method: row.try_get("method")?,
        predicate: row.try_get("predicate")?,
        include,
        // Every key on its type's default operator class: nothing to say.
        opclasses: unless_all_default(opclasses),
        orders: unless_all_default(orders),
        collations: unless_all_default(collations),
        nulls_not_distinct: row.try_get("nulls_not_distinct")?,
        written: Default::default(),
    };
    Ok(Unresolved { index, plain })
}

/// Per-key options where every key has the default: nothing to say.
fn unless_all_default(options: Vec<String>) -> Vec<String> {
    if options.iter().all(String::is_empty) {
        Vec::new()
    } else {
        options
    }
}

/// The first `indnkeyatts` definitions are keys, the rest INCLUDE columns.
fn split_keys(mut defs: Vec<String>, key_count: i32) -> (Vec<String>, Vec<String>) {
    let at = usize::try_from(key_count).unwrap_or(0).min(defs.len());
    let include = defs.split_off(at);
    (defs, include)
}

#[cfg(test)]
mod tests {
    use super::{split_keys, Unresolved};
    use crate::schema::Index;

    /// `("From", lower(b)) INCLUDE (c)`: columns 2 and 5 still numbers.
    fn unresolved() -> Unresolved {
        Unresolved {
            index: Index {
                name: "i".into(),
                keys: vec![String::new(), "lower(b)".into()],
                unique: false,
                method: "btree".into(),
                predicate: None,
                include: vec![String::new()],
                opclasses: vec![],
                orders: vec![],
                collations: vec![],
                nulls_not_distinct: false,
                written: Default::default(),
            },
            plain: vec![(0, 2), (2, 5)],
        }
    }

    #[test]
    fn plain_columns_are_named_in_their_key_or_include_slot() {
        let quoted = |n: i16| match n {
            2 => Some("\"From\""),
            5 => Some("c"),
            _ => None,
        };
        let index = unresolved().resolve(quoted).unwrap();
        assert_eq!(index.keys, ["\"From\"", "lower(b)"]);
        assert_eq!(index.include, ["c"]);
    }

    #[test]
    fn a_number_naming_no_column_is_an_error() {
        let error = unresolved().resolve(|_| None).unwrap_err().to_string();
        assert!(error.contains("unexpected index column number"), "{error}");
    }

    #[test]
    fn definitions_past_the_key_count_are_include_columns() {
        let defs = vec!["a".to_string(), "lower(b)".into(), "c".into()];
        assert_eq!(
            split_keys(defs.clone(), 2),
            (
                vec!["a".to_string(), "lower(b)".into()],
                vec!["c".to_string()]
            )
        );
        assert_eq!(split_keys(defs.clone(), 3), (defs.clone(), vec![]));
        // Out-of-range counts cannot panic.
        assert_eq!(split_keys(defs.clone(), 9), (defs.clone(), vec![]));
        assert_eq!(split_keys(defs.clone(), -1), (vec![], defs));
    }
}
