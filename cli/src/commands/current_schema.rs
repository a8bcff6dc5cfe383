//! The database's current schema, read while the entity sources are parsed.
//!
//! Parsing thousands of entity files is client work, reading the catalog is mostly
//! server work: done one after the other they add up (0.5 s + 0.7 s at N=5000), done
//! at once they overlap. The background read covers every user schema, and is narrowed
//! to the managed ones afterwards ([`Schema::retain_schemas`]): the schemas an entity
//! names are known only after parsing, and what lies outside them but leans on them (a
//! foreign key to a managed table, a column of a managed enum, a view reading a managed
//! table) is kept, as left alone, because PostgreSQL refuses some steps while it is
//! there.
//!
//! Lowering the entities spells names (index keys, foreign key columns) with
//! `quote_ident`, which must quote as the server does (PostgreSQL 16 reserved
//! `system_user`): the read installs the server's keywords first, on the second
//! connection while the first lists the schemas, and lowering waits for that
//! ([`CurrentSchemaRead::wait_for_keywords`]; a few ms after the start, long before
//! the entities are parsed in any real project).
use super::Ctx;
use crate::redact::{redact_url, Redactor};
use crate::{db, timing};
use anyhow::anyhow;
use sqlx::PgConnection;
use std::sync::mpsc;
use std::time::Instant;
use strata_core::introspect;
use strata_core::schema::Schema;
use tokio::task::JoinHandle;

/// The read's connections, open for what comes next (canonicalization): the first,
/// and the second when one could be opened.
pub struct Connections {
    pub first: PgConnection,
    pub second: Option<PgConnection>,
}

/// A catalog read running on the runtime's worker; dropping it stops the read (its
/// connections close, which rolls their read-only transactions back).
pub struct CurrentSchemaRead {
    task: JoinHandle<anyhow::Result<(Connections, Schema)>>,
    /// Hears from the read once the server's keywords are installed, or hangs up when
    /// the read ended before it could install them.
    keywords: Option<mpsc::Receiver<()>>,
}

impl CurrentSchemaRead {
    /// Connects and starts reading the catalog in the background.
    pub fn start(ctx: &Ctx<'_>) -> CurrentSchemaRead {
        let s = &ctx.settings;
        if let Some(url) = &s.database_url {
            ctx.out.verbose(&format!("database: {}", redact_url(url)));
        }
        let url = s.database_url.clone();
        let redactor = ctx.redactor.clone();
        let exclude = s.exclude.clone();
        let (installed, keywords) = mpsc::channel();
        CurrentSchemaRead {
            task: tokio::spawn(read(url, redactor, exclude, installed)),
            keywords: Some(keywords),
        }
    }

    /// Blocks until the server's keywords are installed, or the read failed before
    /// (its error comes from [`Self::finish`]; quoting falls back to PostgreSQL 15's
    /// keywords meanwhile). Call it from a blocking context.
    pub fn wait_for_keywords(&mut self) {
        if let Some(keywords) = self.keywords.take() {
            // An error only says the read hung up: nothing more to wait for.
            let _ = keywords.recv();
        }
    }

    /// Waits for the read; the schema narrowed to `managed`, and the connections.
    pub async fn finish(mut self, managed: &[String]) -> anyhow::Result<(Connections, Schema)> {
        let (conns, mut schema) = (&mut self.task)
            .await
            .map_err(|e| anyhow!("internal error while reading the database schema: {e}"))??;
        schema.retain_schemas(managed);
        Ok((conns, schema))
    }
}

impl Drop for CurrentSchemaRead {
    fn drop(&mut self) {
        // After `finish` the task is over and this does nothing; before (the entities
        // had problems, say), the read is not wanted any more.
        self.task.abort();
    }
}

async fn read(
    url: Option<String>,
    redactor: Redactor,
    exclude: Vec<String>,
    keywords_installed: mpsc::Sender<()>,
) -> anyhow::Result<(Connections, Schema)> {
    let started = Instant::now();
    // A second connection reads half the catalog in the same snapshot, on the
    // server's other core; without one (a connection limit, say), one reads it all.
    let cannot_read = |e: sqlx::Error| anyhow!("cannot read the database schema: {e}");
    // The first connection lists the schemas while the second is still connecting.
    let first = async {
        let mut conn = db::connect(url.as_deref(), &redactor).await?;
        timing::background("connect", started);
        let schemas = introspect::user_schemas(&mut conn)
            .await
            .map_err(cannot_read)?;
        anyhow::Ok((conn, schemas))
    };
    // The second reads the server's keywords meanwhile.
    let second = async {
        let mut conn = db::connect(url.as_deref(), &redactor).await?;
        introspect::keywords::adopt(&mut conn).await?;
        // Lowering may go on (it is gone if the receiver is).
        let _ = keywords_installed.send(());
        anyhow::Ok(conn)
    };
    let (first, second) = tokio::join!(first, second);
    let (mut conn, schemas) = first?;
    let mut second = second.ok();
    if second.is_none() {
        introspect::keywords::adopt(&mut conn)
            .await
            .map_err(cannot_read)?;
        let _ = keywords_installed.send(());
    }
    drop(keywords_installed);
    let schema =
        strata_core::pipeline::current_schema(&mut conn, second.as_mut(), &schemas, &exclude)
            .await
            .map_err(cannot_read)?;
    timing::background("introspect", started);
    let conns = Connections {
        first: conn,
        second,
    };
    Ok((conns, schema))
}
