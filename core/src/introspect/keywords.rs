//! The server's keywords (`pg_get_keywords()`), so names are quoted as this server's
//! `quote_ident` quotes them and read as its parser reads them (see
//! [`crate::lex::keywords`]).
//!
//! Two ways in: the namespaces query carries the list (introspection installs it with
//! no round trip of its own), and [`read`] asks for it alone, for a caller that needs
//! it before the catalog is read (the CLI lowers the entities while the catalog is
//! read, and lowering spells index keys).

use crate::lex::keywords::{self, Category, Keywords};
use sqlx::{PgConnection, Row};

const NON_UNRESERVED: &str = non_unreserved_keywords!();

/// The server's keyword table, in one query.
pub async fn read(conn: &mut PgConnection) -> Result<Keywords, sqlx::Error> {
    let rows = sqlx::query(NON_UNRESERVED).fetch_all(conn).await?;
    let mut words = Vec::with_capacity(rows.len());
    for row in &rows {
        let kind: String = row.try_get("kind")?;
        let word: String = row.try_get("name")?;
        words.push((word, Category::from_catcode(&kind)));
    }
    Ok(Keywords::from_rows(words))
}

/// [`read`], then [`keywords::install`]: from now on, this process quotes as the
/// server does.
pub async fn adopt(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    keywords::install(read(conn).await?);
    Ok(())
}
