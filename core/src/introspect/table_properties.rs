//! What tables carry besides their columns, keys and indexes: the partition key
//! (`pg_get_partkeydef`), row level security (enabled, forced) and privileges. Only
//! tables with at least one are read, so a schema of plain tables adds no row.
use crate::schema::TableProperties;

pub(super) const SQL: &str = concat!(
    "
SELECT 'table' AS kind, pg_catalog.json_build_object(
    'schema', n.nspname, 'table', c.relname,
    'partition_by', CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
    'row_security', c.relrowsecurity,
    'force_row_security', c.relforcerowsecurity,
    'grants', ",
    grants_json!("c.relacl", "c.relowner"),
    ")::text AS body
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname::text = ANY($1)
  AND (c.relkind = 'p' OR c.relrowsecurity OR c.relforcerowsecurity OR c.relacl IS NOT NULL)"
);

pub(super) fn parse(body: &str) -> serde_json::Result<TableProperties> {
    let mut t: TableProperties = serde_json::from_str(body)?;
    t.grants.sort();
    Ok(t)
}
