//! The managed schemas that exist.
use super::Catalog;
use sqlx::Row;

/// `public` is listed even when not managed: the model promises it is always there.
/// `$2` (the excluded tables) is unused: every catalog query is sent the same two
/// parameters, and sqlx declares their types, so an unused one is harmless.
const SQL: &str = "
SELECT n.nspname::text AS name
FROM pg_catalog.pg_namespace n
WHERE n.nspname::text = ANY($1) OR n.nspname = 'public'
ORDER BY 1";

pub(super) async fn fetch(catalog: &mut Catalog<'_>) -> Result<Vec<String>, sqlx::Error> {
    catalog
        .rows(SQL)
        .await?
        .iter()
        .map(|row| row.try_get("name"))
        .collect()
}
