//! Enum types of the managed schemas, labels in `enumsortorder`.
use super::Catalog;
use crate::schema::EnumType;
use sqlx::Row;

/// `$2` (the excluded tables) is unused: every catalog query is sent the same two
/// parameters, and sqlx declares their types, so an unused one is harmless.
const SQL: &str = "
SELECT n.nspname::text AS schema,
       t.typname::text AS name,
       COALESCE(array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
                    FILTER (WHERE e.oid IS NOT NULL),
                '{}') AS labels
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid
WHERE t.typtype = 'e'
  AND n.nspname::text = ANY($1)
GROUP BY t.oid, n.nspname, t.typname";

pub(super) async fn fetch(catalog: &mut Catalog<'_>) -> Result<Vec<EnumType>, sqlx::Error> {
    catalog
        .map_rows(SQL, |row| {
            Ok(EnumType {
                schema: row.try_get("schema")?,
                name: row.try_get("name")?,
                labels: row.try_get("labels")?,
                label_renames: Vec::new(),
            })
        })
        .await
}
