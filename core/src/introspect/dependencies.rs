//! The dependency graph between the objects of the managed schemas, from `pg_depend`
//! (for views and rules through their rewrite rule, as PostgreSQL records them):
//! which views, rules, triggers, policies, functions, domains, checks, defaults,
//! indexes and columns need which tables, columns, views, sequences, types and
//! functions.
//!
//! Only the edges a plan can trip over are read, so the rows stay few whatever the
//! number of tables: normal dependencies (`n`: the dependent reads or calls the
//! referenced object), plus the automatic ones (`a`) of triggers and policies on their
//! table; not what strata reads elsewhere (an index or key on its own table's columns,
//! a sequence owned by a column, a default on its own column, a foreign key on the
//! columns it references), and nothing built into the server (OIDs below
//! `FirstNormalObjectId`, 16384) or belonging to an extension. Each end is named by a
//! JSON [`ObjectRef`] built by the branch of its catalog.
use crate::schema::{Dependency, ObjectRef};

pub(super) const SQL: &str = "
WITH d AS (
    SELECT DISTINCT dep.classid, dep.objid, dep.objsubid,
                    dep.refclassid, dep.refobjid, dep.refobjsubid
    FROM pg_catalog.pg_depend dep
    WHERE dep.refobjid >= 16384
      AND dep.refclassid IN ('pg_catalog.pg_class'::regclass, 'pg_catalog.pg_type'::regclass,
                             'pg_catalog.pg_proc'::regclass)
      AND dep.classid IN ('pg_catalog.pg_rewrite'::regclass, 'pg_catalog.pg_trigger'::regclass,
                          'pg_catalog.pg_policy'::regclass, 'pg_catalog.pg_proc'::regclass,
                          'pg_catalog.pg_type'::regclass, 'pg_catalog.pg_attrdef'::regclass,
                          'pg_catalog.pg_constraint'::regclass, 'pg_catalog.pg_class'::regclass)
      AND (dep.deptype = 'n'
           OR (dep.deptype = 'a' AND dep.classid IN ('pg_catalog.pg_trigger'::regclass,
                                                     'pg_catalog.pg_policy'::regclass)))
      AND NOT (dep.classid IN ('pg_catalog.pg_constraint'::regclass, 'pg_catalog.pg_class'::regclass)
               AND dep.refclassid = 'pg_catalog.pg_class'::regclass)
      AND NOT (dep.classid = dep.refclassid AND dep.objid = dep.refobjid)
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e
                      WHERE e.classid = dep.refclassid AND e.objid = dep.refobjid
                        AND e.deptype = 'e')
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e
                      WHERE e.classid = dep.classid AND e.objid = dep.objid
                        AND e.deptype = 'e')
)
-- Each end is named once, however many edges it has (thousands of columns of one enum
-- type); the edges come as OIDs and are joined to the names by the reader, as a join
-- here was planned as a nested loop over both name lists (1 s at N=5000).
, dependents AS (
SELECT d.classid, d.objid, d.objsubid, dependent.j
FROM (SELECT DISTINCT classid, objid, objsubid FROM d) d
CROSS JOIN LATERAL (
    SELECT CASE WHEN r.rulename = '_RETURN'
                THEN pg_catalog.json_build_object('kind', 'view', 'schema', n.nspname,
                                                  'name', c.relname)
                ELSE pg_catalog.json_build_object('kind', 'rule', 'schema', n.nspname,
                                                  'table', c.relname, 'name', r.rulename) END
    FROM pg_catalog.pg_rewrite r
    JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass AND r.oid = d.objid
      AND n.nspname::text = ANY($1)
    UNION ALL
    SELECT pg_catalog.json_build_object('kind', 'trigger', 'schema', n.nspname,
                                        'table', c.relname, 'name', t.tgname)
    FROM pg_catalog.pg_trigger t
    JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE d.classid = 'pg_catalog.pg_trigger'::regclass AND t.oid = d.objid
      AND NOT t.tgisinternal AND t.tgparentid = 0 AND n.nspname::text = ANY($1)
    UNION ALL
    SELECT pg_catalog.json_build_object('kind', 'policy', 'schema', n.nspname,
                                        'table', c.relname, 'name', p.polname)
    FROM pg_catalog.pg_policy p
    JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE d.classid = 'pg_catalog.pg_policy'::regclass AND p.oid = d.objid
      AND n.nspname::text = ANY($1)
    UNION ALL
    SELECT pg_catalog.json_build_object('kind', 'function', 'schema', n.nspname,
        'name', p.proname, 'args', pg_catalog.pg_get_function_identity_arguments(p.oid))
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND p.oid = d.objid
      AND n.nspname::text = ANY($1)
    UNION ALL
    SELECT pg_catalog.json_build_object('kind', 'type', 'schema', n.nspname, 'name', t.typname)
    FROM pg_catalog.pg_type t
    JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
    WHERE d.classid = 'pg_catalog.pg_type'::regclass AND t.oid = d.objid
      AND t.typtype = 'd' AND n.nspname::text = ANY($1)
    UNION ALL
    SELECT pg_catalog.json_build_object('kind', 'column', 'schema', n.nspname,
                                        'relation', c.relname, 'column', a.attname)
    FROM pg_catalog.pg_attrdef ad
    JOIN pg_catalog.pg_class c ON c.oid = ad.adrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
    WHERE d.classid = 'pg_catalog.pg_attrdef'::regclass AND ad.oid = d.objid
      AND n.nspname::text = ANY($1)
    UNION ALL
    SELECT pg_catalog.json_build_object('kind', 'constraint', 'schema', n.nspname,
        'table', COALESCE(c.relname, t.typname), 'name', co.conname)
    FROM pg_catalog.pg_constraint co
    JOIN pg_catalog.pg_namespace n ON n.oid = co.connamespace
    LEFT JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
    LEFT JOIN pg_catalog.pg_type t ON t.oid = co.contypid
    WHERE d.classid = 'pg_catalog.pg_constraint'::regclass AND co.oid = d.objid
      AND n.nspname::text = ANY($1)
    UNION ALL
    SELECT CASE WHEN c.relkind IN ('i', 'I')
                THEN pg_catalog.json_build_object('kind', 'index', 'schema', n.nspname,
                                                  'name', c.relname)
                WHEN d.objsubid > 0
                THEN pg_catalog.json_build_object('kind', 'column', 'schema', n.nspname,
                    'relation', c.relname,
                    'column', (SELECT a.attname FROM pg_catalog.pg_attribute a
                               WHERE a.attrelid = c.oid AND a.attnum = d.objsubid))
                WHEN c.relkind IN ('v', 'm')
                THEN pg_catalog.json_build_object('kind', 'view', 'schema', n.nspname,
                                                  'name', c.relname)
                WHEN c.relkind = 'c'
                THEN pg_catalog.json_build_object('kind', 'type', 'schema', n.nspname,
                                                  'name', c.relname)
                ELSE pg_catalog.json_build_object('kind', 'table', 'schema', n.nspname,
                                                  'name', c.relname) END
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE d.classid = 'pg_catalog.pg_class'::regclass AND c.oid = d.objid
      AND n.nspname::text = ANY($1)
) AS dependent(j)
), referenced AS (
SELECT d.refclassid, d.refobjid, d.refobjsubid, referenced.j
FROM (SELECT DISTINCT refclassid, refobjid, refobjsubid FROM d) d
CROSS JOIN LATERAL (
    SELECT CASE WHEN d.refobjsubid > 0
                THEN pg_catalog.json_build_object('kind', 'column', 'schema', n.nspname,
                    'relation', c.relname,
                    'column', (SELECT a.attname FROM pg_catalog.pg_attribute a
                               WHERE a.attrelid = c.oid AND a.attnum = d.refobjsubid))
                WHEN c.relkind IN ('v', 'm')
                THEN pg_catalog.json_build_object('kind', 'view', 'schema', n.nspname,
                                                  'name', c.relname)
                WHEN c.relkind = 'S'
                THEN pg_catalog.json_build_object('kind', 'sequence', 'schema', n.nspname,
                                                  'name', c.relname)
                WHEN c.relkind = 'c'
                THEN pg_catalog.json_build_object('kind', 'type', 'schema', n.nspname,
                                                  'name', c.relname)
                WHEN c.relkind IN ('i', 'I')
                THEN pg_catalog.json_build_object('kind', 'index', 'schema', n.nspname,
                                                  'name', c.relname)
                ELSE pg_catalog.json_build_object('kind', 'table', 'schema', n.nspname,
                                                  'name', c.relname) END
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND c.oid = d.refobjid
      AND n.nspname::text = ANY($1)
    UNION ALL
    -- An array type is named by its element; a table's or view's row type by it.
    SELECT CASE WHEN rc.oid IS NOT NULL AND rc.relkind <> 'c'
                THEN pg_catalog.json_build_object(
                    'kind', CASE WHEN rc.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END,
                    'schema', n.nspname, 'name', rc.relname)
                ELSE pg_catalog.json_build_object('kind', 'type', 'schema', n.nspname,
                                                  'name', t.typname) END
    FROM pg_catalog.pg_type at
    JOIN pg_catalog.pg_type t
      ON t.oid = CASE WHEN at.typcategory = 'A' AND at.typelem <> 0 THEN at.typelem ELSE at.oid END
    JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
    LEFT JOIN pg_catalog.pg_class rc ON rc.oid = t.typrelid
    WHERE d.refclassid = 'pg_catalog.pg_type'::regclass AND at.oid = d.refobjid
      AND n.nspname::text = ANY($1)
    UNION ALL
    SELECT pg_catalog.json_build_object('kind', 'function', 'schema', n.nspname,
        'name', p.proname, 'args', pg_catalog.pg_get_function_identity_arguments(p.oid))
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE d.refclassid = 'pg_catalog.pg_proc'::regclass AND p.oid = d.refobjid
      AND n.nspname::text = ANY($1)
) AS referenced(j)
)
SELECT 'edge' AS row_kind, classid::int8 AS class, objid::int8 AS id, objsubid AS sub,
       refclassid::int8 AS ref_class, refobjid::int8 AS ref_id, refobjsubid AS ref_sub,
       NULL::text AS name
FROM d
UNION ALL
SELECT 'dependent', classid::int8, objid::int8, objsubid, NULL, NULL, NULL, j::text
FROM dependents
UNION ALL
SELECT 'referenced', refclassid::int8, refobjid::int8, refobjsubid, NULL, NULL, NULL, j::text
FROM referenced";

/// One end of an edge: catalog, object and sub-object (column) numbers.
pub(super) type End = (i64, i64, i32);

/// A row of [`SQL`]: an edge between two ends, or the name of one end.
pub(super) enum Row {
    Edge { dependent: End, referenced: End },
    Dependent(End, String),
    Referenced(End, String),
}

/// The edges whose two ends were both named (an end outside the managed schemas is
/// not), each end parsed once.
pub(super) fn join(rows: Vec<Row>) -> serde_json::Result<Vec<Dependency>> {
    use std::collections::HashMap;
    let (mut dependents, mut referenced) = (HashMap::new(), HashMap::new());
    let mut edges = Vec::new();
    for row in rows {
        match row {
            Row::Edge {
                dependent,
                referenced,
            } => edges.push((dependent, referenced)),
            Row::Dependent(end, name) => {
                dependents.insert(end, serde_json::from_str::<ObjectRef>(&name)?);
            }
            Row::Referenced(end, name) => {
                referenced.insert(end, serde_json::from_str::<ObjectRef>(&name)?);
            }
        }
    }
    Ok(edges
        .into_iter()
        .filter_map(|(d, r)| {
            Some(Dependency {
                dependent: dependents.get(&d)?.clone(),
                referenced: referenced.get(&r)?.clone(),
            })
        })
        .collect())
}
