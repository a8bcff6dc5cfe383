//! What the managed schemas hold that strata's model does not: a table's storage
//! (UNLOGGED, storage parameters, tablespace, access method, replica identity), legacy
//! table inheritance, foreign tables, a column's storage, statistics target or
//! compression, an index's storage parameters, CLUSTER mark or comment, and
//! the object kinds strata never reads (collations, operators, operator classes, text
//! search objects, conversions, extended statistics, range and base types). Also the
//! database-wide kinds a schema-scoped tool cannot own: event triggers, publications
//! and default privileges. And a managed schema's owner and privileges where a baseline
//! cannot give them back (an owner other than the one it gets, a default privilege
//! taken away: `REVOKE USAGE ON SCHEMA public FROM PUBLIC`).
//!
//! None of it is written by `baseline` or `pull`, compared by `diff`, or kept by a
//! table re-created by a plan; so the commands that adopt a database say so, each item
//! with what to do, instead of leaving it out silently. One query, whatever the size.
//! Objects that belong to an extension are the extension's, and not listed.

use sqlx::{PgConnection, Row};

/// One thing strata does not read, in words: `table "events" is UNLOGGED`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Unread {
    /// The object, as `kind schema.name` (`table public.events`).
    pub object: String,
    /// What it has that strata does not read (`is UNLOGGED`).
    pub what: String,
}

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.object, self.what)
    }
}

const SQL: &str = r#"
WITH rel AS (
    SELECT c.oid, c.relkind, c.relpersistence, c.reloptions, c.reltablespace, c.relam,
           c.relreplident, c.relispartition,
           -- The table an index or table belongs to, for `exclude`.
           n.nspname::text AS schema, COALESCE(ic.relname, c.relname)::text AS name,
           pg_catalog.format('%s %s', CASE c.relkind WHEN 'i' THEN 'index' WHEN 'I' THEN 'index'
               WHEN 'f' THEN 'foreign table' WHEN 'm' THEN 'materialized view'
               ELSE 'table' END,
               pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)) AS object
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_catalog.pg_index ix ON ix.indexrelid = c.oid
    LEFT JOIN pg_catalog.pg_class ic ON ic.oid = ix.indrelid
    WHERE n.nspname::text = ANY($1)
      AND c.relkind IN ('r', 'p', 'i', 'I', 'f', 'm')
      AND COALESCE(ic.relname, c.relname) <> '_sqlx_migrations'
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                        AND d.deptype = 'e')
)
SELECT schema, name, object, what FROM (
    SELECT r.schema, r.name, r.object, 'is UNLOGGED' AS what FROM rel r
    WHERE r.relkind IN ('r', 'p') AND r.relpersistence = 'u'
  UNION ALL
    SELECT r.schema, r.name, r.object, 'has storage parameters (' || pg_catalog.array_to_string(r.reloptions, ', ') || ')'
    FROM rel r WHERE r.relkind IN ('r', 'p', 'i', 'm') AND r.reloptions IS NOT NULL
  UNION ALL
    SELECT r.schema, r.name, r.object, 'is in tablespace ' || pg_catalog.quote_ident(t.spcname)
    FROM rel r JOIN pg_catalog.pg_tablespace t ON t.oid = r.reltablespace
    WHERE r.relkind IN ('r', 'p', 'i', 'm')
  UNION ALL
    SELECT r.schema, r.name, r.object, 'uses table access method ' || a.amname
    FROM rel r JOIN pg_catalog.pg_am a ON a.oid = r.relam
    WHERE r.relkind IN ('r', 'm') AND a.amname <> 'heap'
  UNION ALL
    SELECT r.schema, r.name, r.object, 'has REPLICA IDENTITY ' || CASE r.relreplident WHEN 'f' THEN 'FULL'
        WHEN 'n' THEN 'NOTHING' ELSE 'USING INDEX' END
    FROM rel r WHERE r.relkind IN ('r', 'p') AND r.relreplident NOT IN ('d')
  UNION ALL
    SELECT r.schema, r.name, r.object, 'inherits from ' || i.inhparent::regclass::text || ' (table inheritance)'
    FROM rel r JOIN pg_catalog.pg_inherits i ON i.inhrelid = r.oid
    WHERE r.relkind = 'r' AND NOT r.relispartition
  UNION ALL
    SELECT r.schema, r.name, r.object, 'is a foreign table' FROM rel r WHERE r.relkind = 'f'
  UNION ALL
    SELECT r.schema, r.name, r.object, 'is INVALID (a CREATE INDEX CONCURRENTLY that failed, or one '
        || 'created ON ONLY a partitioned table and never attached): strata reads it as a valid index'
    FROM rel r JOIN pg_catalog.pg_index x ON x.indexrelid = r.oid WHERE NOT x.indisvalid
  UNION ALL
    SELECT r.schema, r.name, r.object, 'is the CLUSTER index of its table' FROM rel r
    JOIN pg_catalog.pg_index x ON x.indexrelid = r.oid WHERE x.indisclustered
  UNION ALL
    SELECT r.schema, r.name, r.object, 'has a comment (COMMENT ON INDEX)' FROM rel r
    JOIN pg_catalog.pg_description d ON d.objoid = r.oid
        AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
    WHERE r.relkind IN ('i', 'I')
  UNION ALL
    SELECT r.schema, r.name, r.object, pg_catalog.format('has column %s with %s', pg_catalog.quote_ident(a.attname),
        pg_catalog.concat_ws(', ',
            CASE WHEN a.attstattarget >= 0 THEN 'SET STATISTICS ' || a.attstattarget END,
            CASE WHEN a.attstorage <> t.typstorage THEN 'SET STORAGE ' || CASE a.attstorage
                WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN'
                ELSE 'EXTENDED' END END,
            CASE WHEN a.attcompression <> '' THEN 'SET COMPRESSION ' || CASE a.attcompression
                WHEN 'p' THEN 'pglz' ELSE 'lz4' END END))
    FROM rel r
    JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
    WHERE r.relkind IN ('r', 'p')
      AND (a.attstattarget >= 0 OR a.attstorage <> t.typstorage OR a.attcompression <> '')
  UNION ALL
    SELECT NULL, NULL, pg_catalog.format('%s %s', kind, pg_catalog.quote_ident(n.nspname) || '.' || name), 'is not read by strata'
    FROM (
        SELECT 'collation' AS kind, oid, collnamespace AS ns, pg_catalog.quote_ident(collname) AS name,
               'pg_catalog.pg_collation'::regclass AS cls FROM pg_catalog.pg_collation
        UNION ALL SELECT 'operator', oid, oprnamespace, oprname || '(' || pg_catalog.format_type(oprleft, NULL)
               || ', ' || pg_catalog.format_type(oprright, NULL) || ')', 'pg_catalog.pg_operator'::regclass
               FROM pg_catalog.pg_operator
        UNION ALL SELECT 'operator class', oid, opcnamespace, pg_catalog.quote_ident(opcname),
               'pg_catalog.pg_opclass'::regclass FROM pg_catalog.pg_opclass
        UNION ALL SELECT 'operator family', oid, opfnamespace, pg_catalog.quote_ident(opfname),
               'pg_catalog.pg_opfamily'::regclass FROM pg_catalog.pg_opfamily
        UNION ALL SELECT 'text search configuration', oid, cfgnamespace, pg_catalog.quote_ident(cfgname),
               'pg_catalog.pg_ts_config'::regclass FROM pg_catalog.pg_ts_config
        UNION ALL SELECT 'text search dictionary', oid, dictnamespace, pg_catalog.quote_ident(dictname),
               'pg_catalog.pg_ts_dict'::regclass FROM pg_catalog.pg_ts_dict
        UNION ALL SELECT 'conversion', oid, connamespace, pg_catalog.quote_ident(conname),
               'pg_catalog.pg_conversion'::regclass FROM pg_catalog.pg_conversion
        UNION ALL SELECT 'statistics object', oid, stxnamespace, pg_catalog.quote_ident(stxname),
               'pg_catalog.pg_statistic_ext'::regclass FROM pg_catalog.pg_statistic_ext
        UNION ALL SELECT CASE typtype WHEN 'r' THEN 'range type' ELSE 'base type' END, oid,
               typnamespace, pg_catalog.quote_ident(typname), 'pg_catalog.pg_type'::regclass
               FROM pg_catalog.pg_type
               -- Arrays and multiranges come with their element and range type.
               WHERE typtype IN ('b', 'r') AND typelem = 0 AND typrelid = 0
    ) o
    JOIN pg_catalog.pg_namespace n ON n.oid = o.ns
    WHERE n.nspname::text = ANY($1)
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                      WHERE d.classid = o.cls AND d.objid = o.oid AND d.deptype IN ('e', 'i'))
  UNION ALL
    -- A schema's owner and ACL as a baseline leaves them: a schema it creates is the
    -- running role's, `public` (there already) pg_database_owner's; each then has its
    -- default privileges (`public`'s `USAGE` for PUBLIC too) and what the owner grants.
    SELECT NULL, NULL, 'schema ' || pg_catalog.quote_ident(n.nspname),
        'is owned by ' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(n.nspowner))
        || CASE WHEN n.nspname = 'public' THEN ', not by pg_database_owner as in a new database'
                ELSE ', not by the role strata connects as' END
        || ': the baseline does not write a schema''s owner (ALTER SCHEMA ... OWNER TO)'
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname::text = ANY($1)
      AND n.nspowner <> CASE WHEN n.nspname = 'public' THEN 'pg_database_owner'::pg_catalog.regrole::oid
                             ELSE (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user) END
  UNION ALL
    SELECT NULL, NULL, 'schema ' || pg_catalog.quote_ident(n.nspname),
        'has privileges the baseline cannot write (' || pg_catalog.array_to_string(a.acl, ', ')
        || '): it writes what the owner grants to other roles, not a default privilege taken '
        || 'away (REVOKE ... FROM PUBLIC, or from the owner) nor one granted by another role'
    FROM pg_catalog.pg_namespace n
    CROSS JOIN LATERAL (SELECT COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner)) AS acl) a
    WHERE n.nspname::text = ANY($1)
      AND (EXISTS (SELECT FROM pg_catalog.aclexplode(a.acl) g
                   WHERE g.grantor <> n.nspowner
                      OR (g.grantee = n.nspowner AND g.is_grantable))
           OR EXISTS (SELECT FROM pg_catalog.aclexplode(pg_catalog.acldefault('n', n.nspowner)) d
                      WHERE NOT EXISTS (SELECT FROM pg_catalog.aclexplode(a.acl) g
                                        WHERE g.grantee = d.grantee AND g.privilege_type = d.privilege_type))
           OR (n.nspname = 'public'
               AND NOT EXISTS (SELECT FROM pg_catalog.aclexplode(a.acl) g
                               WHERE g.grantee = 0 AND g.privilege_type = 'USAGE')))
  UNION ALL
    SELECT NULL, NULL, 'event trigger ' || pg_catalog.quote_ident(evtname), 'is database-wide: strata does not read it'
    FROM pg_catalog.pg_event_trigger e
    WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_event_trigger'::regclass AND d.objid = e.oid
                        AND d.deptype = 'e')
  UNION ALL
    SELECT NULL, NULL, 'publication ' || pg_catalog.quote_ident(pubname), 'is database-wide: strata does not read it'
    FROM pg_catalog.pg_publication
  UNION ALL
    SELECT NULL, NULL, 'default privileges on ' || CASE a.defaclobjtype WHEN 'r' THEN 'tables'
        WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions' WHEN 'T' THEN 'types'
        ELSE 'schemas' END || CASE WHEN n.nspname IS NULL THEN '' ELSE ' in schema '
        || pg_catalog.quote_ident(n.nspname) END || ' for role ' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.defaclrole)),
        'are not read by strata (ALTER DEFAULT PRIVILEGES)'
    FROM pg_catalog.pg_default_acl a
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid = a.defaclnamespace
    WHERE n.nspname IS NULL OR n.nspname::text = ANY($1)
) u
ORDER BY object, what
"#;

/// Everything of the managed `schemas` (and of the database) that strata does not read,
/// sorted; leaving out what belongs to a table `exclude` names (strata leaves those
/// alone anyway).
pub async fn unread(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude: &crate::exclude::Exclude,
) -> Result<Vec<Unread>, sqlx::Error> {
    let rows = sqlx::query(SQL).bind(schemas).fetch_all(conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let schema: Option<String> = row.try_get("schema")?;
        let name: Option<String> = row.try_get("name")?;
        if let (Some(schema), Some(name)) = (&schema, &name) {
            if exclude.matching(schema, name).is_some() {
                continue;
            }
        }
        out.push(Unread {
            object: row.try_get("object")?,
            what: row.try_get("what")?,
        });
    }
    Ok(out)
}
