//! Row level security policies on the tables of the managed schemas: their command,
//! roles and expressions (`pg_get_expr`), and the columns those read (`pg_depend`).
//! Whether the table enables or forces row level security is a table property
//! ([`super::table_properties`]).
use crate::schema::Policy;

pub(super) const SQL: &str = concat!(
    "
SELECT 'policy' AS kind, pg_catalog.json_build_object(
    'schema', n.nspname, 'table', c.relname, 'name', p.polname,
    'permissive', p.polpermissive,
    'command', CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
                             WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
    'roles', ARRAY(SELECT CASE WHEN r.oid = 0 THEN 'PUBLIC'
                               ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.oid)) END
                   FROM unnest(p.polroles) WITH ORDINALITY AS r(oid, ord) ORDER BY r.ord),
    'using', pg_catalog.pg_get_expr(p.polqual, p.polrelid),
    'with_check', pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid),
    'columns', ARRAY(
        SELECT a.attname FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = p.polrelid
          AND EXISTS (SELECT FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_policy'::regclass AND d.objid = p.oid
                        AND d.refobjid = p.polrelid AND d.refobjsubid = a.attnum)
        ORDER BY a.attnum),
    'comment', ",
    comment_of!("p.oid", "pg_policy"),
    ")::text AS body
FROM pg_catalog.pg_policy p
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname::text = ANY($1)"
);

pub(super) fn parse(body: &str) -> serde_json::Result<Policy> {
    serde_json::from_str(body)
}
