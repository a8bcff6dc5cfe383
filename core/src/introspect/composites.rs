//! Composite types of the managed schemas (`CREATE TYPE name AS (...)`), not the row
//! types every table and view has.
use crate::schema::CompositeType;

pub(super) const SQL: &str = concat!(
    "
SELECT 'composite' AS kind, pg_catalog.json_build_object(
    'schema', n.nspname, 'name', t.typname,
    'attributes', COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
                      'name', a.attname,
                      'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                      'collation', ",
    collation_name!("a.attcollation", "at.typcollation"),
    ") ORDER BY a.attnum)
                  FROM pg_catalog.pg_attribute a
                  JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
                  WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
                  '[]'::json),
    'comment', ",
    comment_of!("t.oid", "pg_type"),
    ")::text AS body
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
WHERE t.typtype = 'c' AND c.relkind = 'c' AND n.nspname::text = ANY($1)
  AND NOT ",
    from_extension!("'pg_catalog.pg_type'", "t.oid")
);

pub(super) fn parse(body: &str) -> serde_json::Result<CompositeType> {
    serde_json::from_str(body)
}
