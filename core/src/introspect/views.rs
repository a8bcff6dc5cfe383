//! Views and materialized views of the managed schemas: strata does not manage them,
//! but a plan must not pretend they are not there. Each comes with its definition in
//! PostgreSQL's words (`pg_get_viewdef`), what it needs to be created again as it was
//! (options, comments, grants), and what it reads: the columns of tables and views,
//! and the types (from `pg_depend`, through its rewrite rule). A step PostgreSQL refuses
//! while a view reads what it changes (converting an enum column's type) sets the view
//! aside and creates it again after.
use super::Catalog;
use crate::schema::{View, ViewColumnComment, ViewDependency, ViewGrant};
use sqlx::Row;

/// `$2` (the excluded tables) is unused, as in the enums query. Dependencies come from
/// the views' `_RETURN` rules; a whole-relation dependency has `refobjsubid = 0`.
const SQL: &str = concat!(
    "
WITH views AS (
    SELECT c.oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind,
           c.reloptions, c.relacl
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('v', 'm')
      AND n.nspname::text = ANY($1)
),
deps AS (
    SELECT DISTINCT r.ev_class AS view_oid, d.refclassid, d.refobjid, d.refobjsubid
    FROM pg_catalog.pg_rewrite r
    JOIN views v ON v.oid = r.ev_class
    JOIN pg_catalog.pg_depend d
      ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
    WHERE d.deptype = 'n'
),
-- What each view reads, grouped once by view: a subquery per view filtering every
-- view's dependencies was quadratic (110 ms of 170 at 600 views).
rel AS (
    SELECT view_oid, array_agg(relation ORDER BY relation) AS relations
    FROM (SELECT d.view_oid,
                 rn.nspname::text || E'\\n' || rc.relname::text || E'\\n'
                 || COALESCE(a.attname::text, '') AS relation
          FROM deps d
          JOIN pg_catalog.pg_class rc ON rc.oid = d.refobjid
          JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
          LEFT JOIN pg_catalog.pg_attribute a
            ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
          WHERE d.refclassid = 'pg_catalog.pg_class'::regclass
            AND d.refobjid <> d.view_oid) r
    GROUP BY view_oid
),
ty AS (
    SELECT view_oid, array_agg(type_name ORDER BY type_name) AS types
    FROM (SELECT d.view_oid, tn.nspname::text || E'\\n' || t.typname::text AS type_name
          FROM deps d
          JOIN pg_catalog.pg_type t ON t.oid = d.refobjid
          JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
          WHERE d.refclassid = 'pg_catalog.pg_type'::regclass) t
    GROUP BY view_oid
)
SELECT v.schema, v.name, v.relkind = 'm' AS materialized,
       pg_catalog.pg_get_viewdef(v.oid) AS definition,
       COALESCE(v.reloptions::text[], '{}') AS options,
       ",
    comment_of!("v.oid", "pg_class"),
    " AS comment,
       ARRAY(SELECT a.attname::text || E'\\n' || dsc.description
             FROM pg_catalog.pg_description dsc
             JOIN pg_catalog.pg_attribute a
               ON a.attrelid = dsc.objoid AND a.attnum = dsc.objsubid
             WHERE dsc.classoid = 'pg_catalog.pg_class'::regclass
               AND dsc.objoid = v.oid AND dsc.objsubid > 0
             ORDER BY a.attnum) AS column_comments,
       ARRAY(SELECT CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                         ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END
                    || E'\\n' || g.privilege_type || E'\\n' || g.is_grantable::text
             FROM pg_catalog.aclexplode(v.relacl) g
             WHERE g.grantee <> (SELECT relowner FROM pg_catalog.pg_class WHERE oid = v.oid)
             ORDER BY 1) AS grants,
       COALESCE(rel.relations, '{}') AS relations,
       COALESCE(ty.types, '{}') AS types,
       EXISTS (SELECT FROM pg_catalog.pg_trigger tg WHERE tg.tgrelid = v.oid) AS has_triggers,
       EXISTS (SELECT FROM pg_catalog.pg_rewrite r
               WHERE r.ev_class = v.oid AND r.rulename <> '_RETURN') AS has_rules,
       EXISTS (SELECT FROM pg_catalog.pg_index i WHERE i.indrelid = v.oid) AS has_indexes,
       ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid) FROM pg_catalog.pg_index i
             WHERE i.indrelid = v.oid ORDER BY 1) AS indexes,
       ARRAY(SELECT a.attname::text || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
                    || COALESCE((SELECT ' COLLATE ' || pg_catalog.quote_ident(co.collname)
                                 FROM pg_catalog.pg_collation co
                                 WHERE co.oid = a.attcollation AND co.collname <> 'default'), '')
             FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = v.oid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum) AS columns
FROM views v
LEFT JOIN rel ON rel.view_oid = v.oid
LEFT JOIN ty ON ty.view_oid = v.oid"
);

/// `a\nb\nc` → its parts.
fn parts(text: &str) -> Vec<&str> {
    text.split('\n').collect()
}

pub(super) async fn fetch(catalog: &mut Catalog<'_>) -> Result<Vec<View>, sqlx::Error> {
    catalog
        .map_rows(SQL, |row| {
            let definition: String = row.try_get("definition")?;
            let column_comments: Vec<String> = row.try_get("column_comments")?;
            let grants: Vec<String> = row.try_get("grants")?;
            let relations: Vec<String> = row.try_get("relations")?;
            let types: Vec<String> = row.try_get("types")?;
            Ok(View {
                schema: row.try_get("schema")?,
                name: row.try_get("name")?,
                materialized: row.try_get("materialized")?,
                definition: definition.trim().trim_end_matches(';').to_string(),
                options: row.try_get("options")?,
                comment: row.try_get("comment")?,
                column_comments: column_comments
                    .iter()
                    .filter_map(|c| c.split_once('\n'))
                    .map(|(column, comment)| ViewColumnComment {
                        column: column.to_string(),
                        comment: comment.to_string(),
                    })
                    .collect(),
                grants: grants
                    .iter()
                    .filter_map(|g| match parts(g)[..] {
                        [grantee, privilege, grantable] => Some(ViewGrant {
                            grantee: grantee.to_string(),
                            privilege: privilege.to_string(),
                            with_grant_option: grantable == "true",
                        }),
                        _ => None,
                    })
                    .collect(),
                reads: relations
                    .iter()
                    .filter_map(|r| match parts(r)[..] {
                        [schema, relation, column] => Some(ViewDependency {
                            schema: schema.to_string(),
                            relation: relation.to_string(),
                            column: (!column.is_empty()).then(|| column.to_string()),
                        }),
                        _ => None,
                    })
                    .collect(),
                types: types
                    .iter()
                    .filter_map(|t| t.split_once('\n'))
                    .map(|(schema, name)| (schema.to_string(), name.to_string()))
                    .collect(),
                has_triggers_or_rules: row.try_get::<bool, _>("has_triggers")?
                    || row.try_get::<bool, _>("has_rules")?,
                has_indexes: row.try_get("has_indexes")?,
                owner: None,
                excluded_by: None,
                indexes: row.try_get("indexes")?,
                columns: row.try_get("columns")?,
            })
        })
        .await
}
