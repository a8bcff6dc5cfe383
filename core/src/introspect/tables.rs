//! The managed tables themselves, with their comments and partition keys.
use super::{Catalog, TableOid};
use crate::schema::Table;
use sqlx::Row;

const SQL: &str = concat!(
    managed_tables_cte!(),
    "
SELECT m.oid::int8 AS oid, m.schema, m.name, d.description AS comment,
       CASE WHEN pt.partrelid IS NOT NULL
            THEN pg_catalog.pg_get_partkeydef(m.oid) END AS partition_by
FROM managed m
LEFT JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = m.oid
LEFT JOIN pg_catalog.pg_description d
       ON d.classoid = 'pg_catalog.pg_class'::regclass
      AND d.objoid = m.oid
      AND d.objsubid = 0"
);

pub(super) async fn fetch(
    catalog: &mut Catalog<'_>,
) -> Result<Vec<(TableOid, Table)>, sqlx::Error> {
    catalog
        .map_rows(SQL, |row| {
            let table = Table {
                schema: row.try_get("schema")?,
                name: row.try_get("name")?,
                columns: Vec::new(),
                primary_key: None,
                uniques: Vec::new(),
                indexes: Vec::new(),
                foreign_keys: Vec::new(),
                checks: Vec::new(),
                comment: row.try_get("comment")?,
                renamed_from: None,
                partition_by: row.try_get("partition_by")?,
                ..Default::default()
            };
            Ok((row.try_get("oid")?, table))
        })
        .await
}
