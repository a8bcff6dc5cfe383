//! The managed schemas' (namespaces') privileges and comments, `public` aside (every
//! database has it, with its own defaults). Only schemas with either are read.
use crate::schema::SchemaProperties;

pub(super) const SQL: &str = concat!(
    "
SELECT 'schema' AS kind, pg_catalog.json_build_object(
    'schema', n.nspname,
    'comment', ",
    comment_of!("n.oid", "pg_namespace"),
    ",
    'grants', ",
    grants_json!("n.nspacl", "n.nspowner"),
    ")::text AS body
FROM pg_catalog.pg_namespace n
WHERE n.nspname::text = ANY($1) AND n.nspname <> 'public'
  AND (n.nspacl IS NOT NULL OR ",
    comment_of!("n.oid", "pg_namespace"),
    " IS NOT NULL)"
);

pub(super) fn parse(body: &str) -> serde_json::Result<SchemaProperties> {
    let mut s: SchemaProperties = serde_json::from_str(body)?;
    s.grants.sort();
    Ok(s)
}
