//! Domains of the managed schemas: base type, collation, default, NOT NULL and checks.
use crate::schema::Domain;

/// One `domain` row of the objects query (see [`super::objects`]).
pub(super) const SQL: &str = concat!(
    "
SELECT 'domain' AS kind, pg_catalog.json_build_object(
    'schema', n.nspname, 'name', t.typname,
    'base_type', pg_catalog.format_type(t.typbasetype, t.typtypmod),
    'collation', ",
    collation_name!("t.typcollation", "bt.typcollation"),
    ",
    'default', pg_catalog.pg_get_expr(t.typdefaultbin, 0),
    'not_null', t.typnotnull,
    'checks', COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
                  'name', c.conname,
                  'definition', pg_catalog.pg_get_constraintdef(c.oid),
                  'not_valid', NOT c.convalidated))
              FROM pg_catalog.pg_constraint c
              WHERE c.contypid = t.oid AND c.contype = 'c'), '[]'::json),
    'comment', ",
    comment_of!("t.oid", "pg_type"),
    ")::text AS body
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
WHERE t.typtype = 'd' AND n.nspname::text = ANY($1)
  AND NOT ",
    from_extension!("'pg_catalog.pg_type'", "t.oid")
);

pub(super) fn parse(body: &str) -> serde_json::Result<Domain> {
    serde_json::from_str(body)
}
