//! Primary keys, unique constraints, foreign keys and checks of the managed tables.
use super::{unexpected, Catalog, TableOid};
use crate::schema::{
    CheckConstraint, Deferral, ExclusionConstraint, ForeignKey, PrimaryKey, Table, UniqueConstraint,
};
use sqlx::Row;

/// Key columns come back as attribute numbers (`conkey` / `confkey`, in key order) and
/// are named by the caller from the columns it read anyway ([`Unresolved::resolve`]):
/// a lookup per key number in `pg_attribute` was a quarter of this query. Only a
/// referenced table outside the managed ones, whose columns nobody else reads, has its
/// key named here, each number looked up by the whole key of `pg_attribute`'s index
/// (`attrelid`, `attnum`). (Joining the unnested keys to `pg_attribute` instead let the
/// planner, which expects a few constraints, read every column of the table per key.)
///
/// `conparentid = 0` drops the per-partition clones PostgreSQL adds to the referencing
/// table when a foreign key points at a partitioned table.
///
/// A CHECK's `expr` is `pg_get_expr(conbin, conrelid)`: exactly the inside of
/// `pg_get_constraintdef`'s `CHECK (...)`, without its `NO INHERIT` / `NOT VALID`
/// suffixes, so nothing has to be parsed back out of SQL. `NOT VALID` (unvalidated)
/// constraints are therefore read as if valid. To name the columns it mentions,
/// PostgreSQL opens the table (builds its relation cache entry): most of the cost of
/// reading checks.
macro_rules! constraints_sql {
    ($kinds:literal) => {
        concat!(
            managed_tables_cte!(),
            ",
con AS (
    SELECT c.*
    FROM pg_catalog.pg_constraint c
    JOIN managed m ON m.oid = c.conrelid
    WHERE c.contype IN ",
            $kinds,
            "
      AND c.conparentid = 0
)
SELECT con.conrelid::int8 AS table_oid,
       con.contype::text AS kind,
       con.conname::text AS name,
       con.conkey AS key_numbers,
       rn.nspname::text AS ref_schema,
       rc.relname::text AS ref_table,
       con.confrelid::int8 AS ref_oid,
       con.confkey AS ref_numbers,
       CASE WHEN con.contype = 'f' AND con.confrelid NOT IN (SELECT oid FROM managed)
            THEN ARRAY(SELECT (SELECT a.attname::text
                               FROM pg_catalog.pg_attribute a
                               WHERE a.attrelid = con.confrelid AND a.attnum = k.attnum)
                       FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                       ORDER BY k.ord) END AS ref_columns,
       con.confdeltype::text AS on_delete,
       -- `ON DELETE SET NULL (a, b)` (PostgreSQL 15): the columns it sets.
       (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.ord)
        FROM unnest(con.confdelsetcols) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum)
         AS on_delete_columns,
       con.confupdtype::text AS on_update,
       con.condeferrable AS deferrable,
       con.condeferred AS initially_deferred,
       con.convalidated AS validated,
       CASE WHEN con.contype = 'f'
            THEN (SELECT i.relname::text FROM pg_catalog.pg_class i
                  WHERE i.oid = con.conindid) END AS ref_index,
       CASE WHEN con.contype = 'c'
            THEN pg_catalog.pg_get_expr(con.conbin, con.conrelid) END AS check_expr,
       CASE WHEN con.contype = 'u'
            THEN (SELECT i.indnullsnotdistinct FROM pg_catalog.pg_index i
                  WHERE i.indexrelid = con.conindid) END AS nulls_not_distinct,
       CASE WHEN con.contype = 'x'
            THEN pg_catalog.pg_get_constraintdef(con.oid) END AS exclusion_def
FROM con
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace"
        )
    };
}

/// Primary keys, unique constraints and foreign keys: no expression to deparse.
const KEYS_SQL: &str = constraints_sql!("('p', 'u', 'f')");

/// Checks and exclusion constraints, apart: deparsing one opens its table (see
/// above), which the index predicates of [`super::indexes`] then find open on the same
/// connection.
const CHECKS_SQL: &str = constraints_sql!("('c', 'x')");

/// One constraint, ready to be attached to its table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Constraint {
    PrimaryKey(PrimaryKey),
    Unique(UniqueConstraint),
    ForeignKey(ForeignKey),
    Check(CheckConstraint),
    Exclusion(ExclusionConstraint),
}

impl Constraint {
    pub(super) fn attach_to(self, table: &mut Table) {
        match self {
            Constraint::PrimaryKey(pk) => table.primary_key = Some(pk),
            Constraint::Unique(u) => table.uniques.push(u),
            Constraint::ForeignKey(fk) => table.foreign_keys.push(fk),
            Constraint::Check(c) => table.checks.push(c),
            Constraint::Exclusion(x) => table.exclusions.push(x),
        }
    }
}

/// A constraint as read: the key columns the columns query names are still numbers.
#[derive(Debug)]
pub(super) struct Unresolved {
    /// Key column lists are empty where `key_numbers` / `ref_numbers` will fill them.
    constraint: Constraint,
    /// `conkey`: the constraint's own columns (unused for a CHECK).
    key_numbers: Vec<i16>,
    /// A foreign key's referenced table and `confkey`, when that table is managed.
    ref_numbers: Option<(TableOid, Vec<i16>)>,
}

impl Unresolved {
    /// The constraint of `table` with its key columns named by `name_of(table, attnum)`.
    /// A number that names no column cannot happen in one snapshot; it is an error
    /// rather than a guess.
    pub(super) fn resolve<'a>(
        self,
        table: TableOid,
        name_of: impl Fn(TableOid, i16) -> Option<&'a str>,
    ) -> Result<Constraint, sqlx::Error> {
        let names = |oid: TableOid, numbers: &[i16]| {
            numbers
                .iter()
                .map(|&n| {
                    name_of(oid, n)
                        .map(str::to_owned)
                        .ok_or_else(|| unexpected("key column number", &n.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let mut constraint = self.constraint;
        match &mut constraint {
            Constraint::PrimaryKey(PrimaryKey { columns, .. })
            | Constraint::Unique(UniqueConstraint { columns, .. }) => {
                *columns = names(table, &self.key_numbers)?;
            }
            Constraint::ForeignKey(fk) => {
                fk.columns = names(table, &self.key_numbers)?;
                if let Some((referenced, numbers)) = &self.ref_numbers {
                    fk.ref_columns = names(*referenced, numbers)?;
                }
            }
            Constraint::Check(_) | Constraint::Exclusion(_) => {}
        }
        Ok(constraint)
    }
}

/// The primary keys, unique constraints and foreign keys of the managed tables.
pub(super) async fn fetch_keys(
    catalog: &mut Catalog<'_>,
) -> Result<Vec<(TableOid, Unresolved)>, sqlx::Error> {
    fetch(catalog, KEYS_SQL).await
}

/// The checks of the managed tables.
pub(super) async fn fetch_checks(
    catalog: &mut Catalog<'_>,
) -> Result<Vec<(TableOid, Unresolved)>, sqlx::Error> {
    fetch(catalog, CHECKS_SQL).await
}

async fn fetch(
    catalog: &mut Catalog<'_>,
    sql: &'static str,
) -> Result<Vec<(TableOid, Unresolved)>, sqlx::Error> {
    catalog
        .map_rows(sql, |row| {
            let kind: String = row.try_get("kind")?;
            let name: String = row.try_get("name")?;
            let key_numbers: Option<Vec<i16>> = row.try_get("key_numbers")?;
            let mut ref_numbers = None;
            let constraint = match kind.as_str() {
                "p" => Constraint::PrimaryKey(PrimaryKey {
                    name,
                    columns: Vec::new(),
                    deferral: deferral(row)?,
                }),
                "u" => Constraint::Unique(UniqueConstraint {
                    name,
                    columns: Vec::new(),
                    nulls_not_distinct: row
                        .try_get::<Option<bool>, _>("nulls_not_distinct")?
                        .unwrap_or(false),
                    deferral: deferral(row)?,
                }),
                "c" => Constraint::Check(CheckConstraint {
                    name,
                    expr: row
                        .try_get::<Option<String>, _>("check_expr")?
                        .unwrap_or_default(),
                    not_valid: !row.try_get::<bool, _>("validated")?,
                    written: Default::default(),
                }),
                "x" => {
                    let deferral = deferral(row)?;
                    let definition: Option<String> = row.try_get("exclusion_def")?;
                    Constraint::Exclusion(ExclusionConstraint {
                        name,
                        definition: exclusion_definition(&definition.unwrap_or_default(), deferral),
                        deferral,
                        written: Default::default(),
                    })
                }
                "f" => {
                    let on_delete: String = row.try_get("on_delete")?;
                    let on_update: String = row.try_get("on_update")?;
                    // Named here only when the referenced table is not managed.
                    let ref_columns: Option<Vec<String>> = row.try_get("ref_columns")?;
                    if ref_columns.is_none() {
                        let numbers: Option<Vec<i16>> = row.try_get("ref_numbers")?;
                        ref_numbers = Some((row.try_get("ref_oid")?, numbers.unwrap_or_default()));
                    }
                    Constraint::ForeignKey(ForeignKey {
                        name,
                        columns: Vec::new(),
                        ref_schema: row
                            .try_get::<Option<String>, _>("ref_schema")?
                            .unwrap_or_default(),
                        ref_table: row
                            .try_get::<Option<String>, _>("ref_table")?
                            .unwrap_or_default(),
                        ref_columns: ref_columns.unwrap_or_default(),
                        on_delete: match row.try_get::<Option<String>, _>("on_delete_columns")? {
                            Some(columns) => format!("{} ({columns})", fk_action(&on_delete)?),
                            None => fk_action(&on_delete)?.to_string(),
                        },
                        on_update: fk_action(&on_update)?.to_string(),
                        deferrable: row.try_get("deferrable")?,
                        initially_deferred: row.try_get("initially_deferred")?,
                        ref_index: row.try_get("ref_index")?,
                        not_valid: !row.try_get::<bool, _>("validated")?,
                    })
                }
                other => return Err(unexpected("contype", other)),
            };
            let unresolved = Unresolved {
                constraint,
                key_numbers: key_numbers.unwrap_or_default(),
                ref_numbers,
            };
            Ok((row.try_get("table_oid")?, unresolved))
        })
        .await
}

/// `pg_get_constraintdef` of an exclusion constraint without the deferrability it
/// ends with (` DEFERRABLE`, ` INITIALLY DEFERRED`), which the model holds apart.
pub(crate) fn exclusion_definition(printed: &str, deferral: Deferral) -> String {
    let mut text = printed.trim_end();
    for suffix in [" INITIALLY DEFERRED", " DEFERRABLE"] {
        if deferral != Deferral::Immediate {
            text = text.strip_suffix(suffix).unwrap_or(text);
        }
    }
    text.to_string()
}

/// `condeferrable` / `condeferred` of a key.
fn deferral(row: &sqlx::postgres::PgRow) -> Result<Deferral, sqlx::Error> {
    Ok(Deferral::from_flags(
        row.try_get("deferrable")?,
        row.try_get("initially_deferred")?,
    ))
}

/// `confdeltype` / `confupdtype` codes → the SQL words the model holds.
pub(super) fn fk_action(code: &str) -> Result<&'static str, sqlx::Error> {
    Ok(match code {
        "a" => "NO ACTION",
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        other => return Err(unexpected("foreign key action", other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_code_has_its_sql_words() {
        let words: Vec<_> = ["a", "r", "c", "n", "d"]
            .iter()
            .map(|c| fk_action(c).unwrap())
            .collect();
        assert_eq!(
            words,
            [
                "NO ACTION",
                "RESTRICT",
                "CASCADE",
                "SET NULL",
                "SET DEFAULT"
            ]
        );
        assert!(fk_action("x").is_err());
    }

    /// Columns 1 `id`, 3 `b`, 4 `a` of table 10 (2 was dropped); 20 is referenced.
    fn name_of(table: TableOid, number: i16) -> Option<&'static str> {
        match (table, number) {
            (10, 1) => Some("id"),
            (10, 3) => Some("b"),
            (10, 4) => Some("a"),
            (20, 1) => Some("ref_id"),
            _ => None,
        }
    }

    fn foreign_key(ref_columns: Vec<String>) -> Constraint {
        Constraint::ForeignKey(ForeignKey {
            name: "fk".into(),
            columns: Vec::new(),
            ref_schema: "public".into(),
            ref_table: "r".into(),
            ref_columns,
            on_delete: "NO ACTION".into(),
            on_update: "NO ACTION".into(),
            deferrable: false,
            initially_deferred: false,
            ref_index: None,
            not_valid: false,
        })
    }

    #[test]
    fn key_numbers_become_names_in_key_order() {
        let unique = Unresolved {
            constraint: Constraint::Unique(UniqueConstraint {
                name: "u".into(),
                columns: Vec::new(),
                ..Default::default()
            }),
            key_numbers: vec![4, 3],
            ref_numbers: None,
        };
        let Constraint::Unique(u) = unique.resolve(10, name_of).unwrap() else {
            panic!("not a unique constraint");
        };
        assert_eq!(u.columns, ["a", "b"]);

        // A managed referenced table is named from its own columns...
        let managed = Unresolved {
            constraint: foreign_key(Vec::new()),
            key_numbers: vec![1],
            ref_numbers: Some((20, vec![1])),
        };
        let Constraint::ForeignKey(fk) = managed.resolve(10, name_of).unwrap() else {
            panic!("not a foreign key");
        };
        assert_eq!(
            (fk.columns, fk.ref_columns),
            (vec!["id".into()], vec!["ref_id".into()])
        );

        // ...another one keeps the names the query gave.
        let unmanaged = Unresolved {
            constraint: foreign_key(vec!["legacy_id".into()]),
            key_numbers: vec![3],
            ref_numbers: None,
        };
        let Constraint::ForeignKey(fk) = unmanaged.resolve(10, name_of).unwrap() else {
            panic!("not a foreign key");
        };
        assert_eq!(
            (fk.columns, fk.ref_columns),
            (vec!["b".into()], vec!["legacy_id".into()])
        );
    }

    #[test]
    fn a_number_naming_no_column_is_an_error() {
        let pk = Unresolved {
            constraint: Constraint::PrimaryKey(PrimaryKey {
                name: "pk".into(),
                columns: Vec::new(),
                ..Default::default()
            }),
            key_numbers: vec![2],
            ref_numbers: None,
        };
        let error = pk.resolve(10, name_of).unwrap_err().to_string();
        assert!(error.contains("unexpected key column number"), "{error}");
    }

    #[test]
    fn constraints_land_in_their_slot_of_the_table() {
        let mut t = crate::schema::Table::new("public", "t", vec![]);
        Constraint::PrimaryKey(PrimaryKey {
            name: "t_pkey".into(),
            columns: vec!["a".into(), "b".into()],
            ..Default::default()
        })
        .attach_to(&mut t);
        Constraint::Check(CheckConstraint {
            name: "t_a_check".into(),
            expr: "(a > 0)".into(),
            not_valid: false,
            written: Default::default(),
        })
        .attach_to(&mut t);
        assert_eq!(t.primary_key.as_ref().map(|p| p.columns.len()), Some(2));
        assert_eq!(t.checks.len(), 1);
        assert!(t.uniques.is_empty() && t.foreign_keys.is_empty());
    }
}
