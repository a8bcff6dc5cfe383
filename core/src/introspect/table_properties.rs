//! What tables carry besides their columns, keys and indexes: the partition key
//! (`pg_get_partkeydef`), row level security (enabled, forced) and privileges, the
//! table's and its columns'. Only tables with at least one are read, so a schema of
//! plain tables adds no row; an ACL back to its default (a `GRANT` then its `REVOKE`
//! leaves the owner's privileges written out) is none.
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
    ",
    'column_grants', COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_array(
            a.attname::text, pg_catalog.json_build_object(
                'grantee', CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                                ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END,
                'privilege', g.privilege_type,
                'with_grant_option', g.is_grantable)))
        FROM pg_catalog.pg_attribute a, pg_catalog.aclexplode(a.attacl) g
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attacl IS NOT NULL AND g.grantee <> c.relowner), '[]'::json)
    )::text AS body
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname::text = ANY($1)
  AND (c.relkind = 'p' OR c.relrowsecurity OR c.relforcerowsecurity
       OR NOT ",
    acl_is_default!("c.relacl", "'r'", "c.relowner"),
    "
       OR EXISTS (SELECT FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND a.attacl IS NOT NULL))"
);

pub(super) fn parse(body: &str) -> serde_json::Result<TableProperties> {
    let mut t: TableProperties = serde_json::from_str(body)?;
    t.grants.sort();
    t.column_grants.sort();
    Ok(t)
}
