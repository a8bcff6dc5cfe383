//! Sequences of the managed schemas with every option, and the column that owns one
//! (`OWNED BY`: serial columns, identity columns, or set by hand).
use crate::schema::Sequence;

pub(super) const SQL: &str = concat!(
    "
SELECT 'sequence' AS kind, pg_catalog.json_build_object(
    'schema', n.nspname, 'name', c.relname,
    'data_type', pg_catalog.format_type(s.seqtypid, NULL),
    'start', s.seqstart, 'increment', s.seqincrement,
    'min_value', s.seqmin, 'max_value', s.seqmax,
    'cache', s.seqcache, 'cycle', s.seqcycle,
    'owner', (SELECT pg_catalog.json_build_object(
                  'schema', tn.nspname, 'table', tc.relname, 'column', a.attname,
                  'identity', d.deptype = 'i')
              FROM pg_catalog.pg_depend d
              JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid
              JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
              JOIN pg_catalog.pg_attribute a
                ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
              WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                AND d.objsubid = 0
                AND d.refclassid = 'pg_catalog.pg_class'::regclass
                AND d.deptype IN ('a', 'i')
              LIMIT 1),
    'comment', ",
    comment_of!("c.oid", "pg_class"),
    ",
    'grants', ",
    grants_json!("c.relacl", "c.relowner"),
    ")::text AS body
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
WHERE c.relkind = 'S' AND n.nspname::text = ANY($1)
  AND NOT ",
    from_extension!("'pg_catalog.pg_class'", "c.oid")
);

pub(super) fn parse(body: &str) -> serde_json::Result<Sequence> {
    let mut s: Sequence = serde_json::from_str(body)?;
    s.grants.sort();
    Ok(s)
}
