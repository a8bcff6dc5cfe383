//! User triggers on the tables and views of the managed schemas (`pg_get_triggerdef`),
//! with their enabled state, the function they call and the columns they name
//! (`UPDATE OF`, and what `pg_depend` records for their `WHEN`). Not the internal
//! triggers of foreign keys, not the clones a partition gets from its parent's.
use crate::schema::Trigger;

pub(super) const SQL: &str = concat!(
    "
SELECT 'trigger' AS kind, pg_catalog.json_build_object(
    'schema', n.nspname, 'table', c.relname, 'name', t.tgname,
    'definition', pg_catalog.pg_get_triggerdef(t.oid),
    'enabled', t.tgenabled,
    'function', pg_catalog.json_build_object(
        'kind', 'function', 'schema', fn.nspname, 'name', f.proname,
        'args', pg_catalog.pg_get_function_identity_arguments(f.oid)),
    'columns', ARRAY(
        SELECT a.attname FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = t.tgrelid
          AND (a.attnum = ANY(t.tgattr)
               OR EXISTS (SELECT FROM pg_catalog.pg_depend d
                          WHERE d.classid = 'pg_catalog.pg_trigger'::regclass
                            AND d.objid = t.oid AND d.refobjid = t.tgrelid
                            AND d.refobjsubid = a.attnum))
        ORDER BY a.attnum),
    'comment', ",
    comment_of!("t.oid", "pg_trigger"),
    ")::text AS body
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc f ON f.oid = t.tgfoid
JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace
WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND n.nspname::text = ANY($1)"
);

pub(super) fn parse(body: &str) -> serde_json::Result<Trigger> {
    serde_json::from_str(body)
}
