//! The managed schemas' (namespaces') privileges and comments, `public` included. Only
//! schemas with either are read.
//!
//! `public` is in every database already, with PostgreSQL's defaults (owned by
//! `pg_database_owner`, `USAGE` granted to `PUBLIC`, the comment `standard public
//! schema`): what it has is read as what it adds to those. Its `USAGE` for `PUBLIC` is
//! not a grant to write, and its default comment is no comment (as is none at all, a
//! `public` dropped and created again). What a baseline cannot write (an owner, a
//! default privilege taken away) is listed by [`super::unread`].
use crate::schema::SchemaProperties;

pub(super) const SQL: &str = concat!(
    "
SELECT 'schema' AS kind, pg_catalog.json_build_object(
    'schema', s.nspname, 'comment', s.comment, 'grants', s.grants)::text AS body
FROM (
    SELECT n.nspname,
        CASE WHEN n.nspname <> 'public' OR c.comment <> 'standard public schema'
             THEN c.comment END AS comment,
        ",
    grants_json!(
        "n.nspacl",
        "n.nspowner",
        "NOT (n.nspname = 'public' AND g.grantee = 0 AND g.privilege_type = 'USAGE')"
    ),
    " AS grants
    FROM pg_catalog.pg_namespace n
    CROSS JOIN LATERAL (SELECT ",
    comment_of!("n.oid", "pg_namespace"),
    " AS comment) c
    WHERE n.nspname::text = ANY($1)
) s
WHERE s.comment IS NOT NULL OR pg_catalog.json_array_length(s.grants) > 0"
);

pub(super) fn parse(body: &str) -> serde_json::Result<SchemaProperties> {
    let mut s: SchemaProperties = serde_json::from_str(body)?;
    s.grants.sort();
    Ok(s)
}
