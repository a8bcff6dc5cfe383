//! Partitions of the partitioned tables of the managed schemas: parent, bound
//! (`pg_get_expr(relpartbound)`), their own partition key when partitioned again, and
//! what they hold that they did not get from their parent (constraints and indexes of
//! their own, column defaults other than the parent's), which strata does not manage
//! but `baseline` writes.
use crate::schema::Partition;

pub(super) const SQL: &str = concat!(
    "
SELECT 'partition' AS kind, pg_catalog.json_build_object(
    'schema', n.nspname, 'name', c.relname,
    'parent_schema', pn.nspname, 'parent', pc.relname,
    'bound', pg_catalog.pg_get_expr(c.relpartbound, c.oid),
    'partition_by', CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
    'comment', ",
    comment_of!("c.oid", "pg_class"),
    ",
    'own', ARRAY(
        SELECT pg_catalog.jsonb_build_array(
            'constraint ' || pg_catalog.quote_ident(co.conname),
            pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %s %s',
                CASE WHEN n.nspname = 'public' THEN pg_catalog.quote_ident(c.relname)
                     ELSE pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) END,
                pg_catalog.quote_ident(co.conname), pg_catalog.pg_get_constraintdef(co.oid)))
        FROM pg_catalog.pg_constraint co
        WHERE co.conrelid = c.oid AND co.conislocal AND co.coninhcount = 0
          AND co.conparentid = 0
        UNION ALL
        SELECT pg_catalog.jsonb_build_array(
            'index ' || pg_catalog.quote_ident(ic.relname),
            pg_catalog.pg_get_indexdef(x.indexrelid))
        FROM pg_catalog.pg_index x
        JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
        WHERE x.indrelid = c.oid
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits ii WHERE ii.inhrelid = x.indexrelid)
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint co
                          WHERE co.conrelid = c.oid AND co.conindid = x.indexrelid)
        UNION ALL
        -- A column default other than its parent's (a table created apart and attached
        -- keeps its own; `PARTITION OF` copies the parent's).
        SELECT pg_catalog.jsonb_build_array(
            'default of column ' || pg_catalog.quote_ident(a.attname),
            pg_catalog.format('ALTER TABLE %s ALTER COLUMN %s %s',
                CASE WHEN n.nspname = 'public' THEN pg_catalog.quote_ident(c.relname)
                     ELSE pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) END,
                pg_catalog.quote_ident(a.attname),
                CASE WHEN d.adbin IS NULL THEN 'DROP DEFAULT'
                     ELSE 'SET DEFAULT ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid) END))
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_attribute pa ON pa.attrelid = pc.oid AND pa.attname = a.attname
                                       AND NOT pa.attisdropped
        LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        LEFT JOIN pg_catalog.pg_attrdef pd ON pd.adrelid = pc.oid AND pd.adnum = pa.attnum
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attgenerated = '' AND a.attidentity = ''
          AND pg_catalog.pg_get_expr(d.adbin, d.adrelid)
              IS DISTINCT FROM pg_catalog.pg_get_expr(pd.adbin, pd.adrelid)
        ORDER BY 1),
    'own_references', ARRAY(
        SELECT DISTINCT pg_catalog.jsonb_build_array(rn.nspname::text, rc.relname::text)
        FROM pg_catalog.pg_constraint co
        JOIN pg_catalog.pg_class rc ON rc.oid = co.confrelid
        JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE co.conrelid = c.oid AND co.contype = 'f' AND co.conislocal
          AND co.coninhcount = 0 AND co.conparentid = 0))::text AS body
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.oid
JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
WHERE c.relispartition AND c.relkind IN ('r', 'p') AND n.nspname::text = ANY($1)"
);

pub(super) fn parse(body: &str) -> serde_json::Result<Partition> {
    #[derive(serde::Deserialize)]
    struct Row {
        #[serde(flatten)]
        partition: Partition,
        #[serde(default)]
        own: Vec<(String, String)>,
    }
    let Row { mut partition, own } = serde_json::from_str(body)?;
    (partition.own_objects, partition.own_definitions) = own.into_iter().unzip();
    Ok(partition)
}
