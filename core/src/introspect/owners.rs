//! Who owns the relations, types and functions of the managed schemas, where that is
//! not the role strata connects as (whose objects re-created are its own anyway).
use crate::schema::Ownership;

pub(super) const SQL: &str = concat!(
    "
SELECT 'owner' AS kind, pg_catalog.json_build_object(
    'object', pg_catalog.json_build_object(
        'kind', CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view'
                               WHEN 'm' THEN 'view' ELSE 'table' END,
        'schema', n.nspname, 'name', c.relname),
    'owner', pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(c.relowner)))::text AS body
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname::text = ANY($1)
  AND c.relowner <> (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
  AND NOT ",
    from_extension!("'pg_catalog.pg_class'", "c.oid"),
    "
UNION ALL
SELECT 'owner', pg_catalog.json_build_object(
    'object', pg_catalog.json_build_object('kind', 'type', 'schema', n.nspname, 'name', t.typname),
    'owner', pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(t.typowner)))::text
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
WHERE (t.typtype IN ('e', 'd') OR c.relkind = 'c') AND n.nspname::text = ANY($1)
  AND t.typowner <> (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
  AND NOT ",
    from_extension!("'pg_catalog.pg_type'", "t.oid"),
    "
UNION ALL
SELECT 'owner', pg_catalog.json_build_object(
    'object', pg_catalog.json_build_object('kind', 'function', 'schema', n.nspname,
        'name', p.proname, 'args', pg_catalog.pg_get_function_identity_arguments(p.oid)),
    'owner', pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(p.proowner)))::text
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname::text = ANY($1)
  AND p.proowner <> (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
  AND NOT ",
    from_extension!("'pg_catalog.pg_proc'", "p.oid")
);

pub(super) fn parse(body: &str) -> serde_json::Result<Ownership> {
    serde_json::from_str(body)
}
