//! Installed extensions, sorted by name.
use super::Catalog;
use sqlx::Row;

/// Every installed extension, managed schemas or not: an extension is database-wide,
/// and the diff only ever adds the desired ones that are missing.
/// `$1` and `$2` are unused: every catalog query is sent the same two parameters, and
/// sqlx declares their types, so unused ones are harmless.
/// One installed outside `public` (and `pg_catalog`, plpgsql's) is named with its
/// schema, `extensions.citext`, as strata.toml's `extensions` names it: scratch
/// databases then install it there too, where the database's types name it.
const SQL: &str = "
SELECT CASE WHEN n.nspname IN ('public', 'pg_catalog') THEN e.extname::text
            ELSE n.nspname::text || '.' || e.extname::text END AS name
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
ORDER BY e.extname";

pub(super) async fn fetch(catalog: &mut Catalog<'_>) -> Result<Vec<String>, sqlx::Error> {
    catalog.map_rows(SQL, |row| row.try_get("name")).await
}
