//! Installed extensions, sorted by name.
use super::Catalog;
use sqlx::Row;

/// Every installed extension, managed schemas or not: an extension is database-wide,
/// and the diff only ever adds the desired ones that are missing.
/// `$1` and `$2` are unused: every catalog query is sent the same two parameters, and
/// sqlx declares their types, so unused ones are harmless.
const SQL: &str = "
SELECT e.extname::text AS name
FROM pg_catalog.pg_extension e
ORDER BY 1";

pub(super) async fn fetch(catalog: &mut Catalog<'_>) -> Result<Vec<String>, sqlx::Error> {
    catalog.map_rows(SQL, |row| row.try_get("name")).await
}
