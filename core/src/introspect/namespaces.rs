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
    catalog.map_rows(SQL, |row| row.try_get("name")).await
}

/// Every schema that is not PostgreSQL's own (`pg_catalog`, `pg_toast`, temporary
/// schemas: every `pg_*` name is reserved) nor `information_schema`: what a catalog
/// read covers before the managed schemas are known.
const USER_SCHEMAS: &str = "
SELECT n.nspname::text AS name
FROM pg_catalog.pg_namespace n
WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
ORDER BY 1";

/// See [`USER_SCHEMAS`]; outside any transaction, one statement.
pub async fn user_schemas(conn: &mut sqlx::PgConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(USER_SCHEMAS).fetch_all(conn).await
}
