//! The managed schemas that exist, and the server's keywords riding along.
use super::Catalog;
use crate::lex::keywords::{Category, Keywords};
use sqlx::Row;

/// `public` is listed even when not managed: the model promises it is always there.
/// `$2` (the excluded tables) is unused: every catalog query is sent the same two
/// parameters, and sqlx declares their types, so an unused one is harmless.
/// The keywords come in the same result (`kind` their category letter, `s` for a
/// schema): a hundred and fifty short rows rather than a round trip of their own.
const SQL: &str = concat!(
    "
SELECT 's' AS kind, n.nspname::text AS name
FROM pg_catalog.pg_namespace n
WHERE n.nspname::text = ANY($1) OR n.nspname = 'public'
UNION ALL",
    non_unreserved_keywords!(),
    "
ORDER BY 1, 2"
);

/// The managed schemas that exist, sorted, and the server's keyword table.
pub(super) async fn fetch(
    catalog: &mut Catalog<'_>,
) -> Result<(Vec<String>, Keywords), sqlx::Error> {
    let rows = catalog
        .map_rows(SQL, |row| {
            Ok((
                row.try_get::<String, _>("kind")?,
                row.try_get::<String, _>("name")?,
            ))
        })
        .await?;
    let mut schemas = Vec::new();
    let mut words = Vec::new();
    for (kind, name) in rows {
        if kind == "s" {
            schemas.push(name);
        } else {
            words.push((name, Category::from_catcode(&kind)));
        }
    }
    Ok((schemas, Keywords::from_rows(words)))
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
