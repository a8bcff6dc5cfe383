//! Scratch databases: throwaway PostgreSQL databases that migrations are proven on
//! (`strata verify`) and that the migrations folder is replayed into
//! (`generate --from migrations`), with no setup. In order of preference:
//!
//! 1. `shadow_database_url` (strata.toml) or `--shadow-url`: a database the user set
//!    aside. It must be empty or strata's own (marked with a comment), and never the
//!    target; strata empties it before and after use.
//! 2. `CREATE DATABASE strata_shadow_<unix seconds>_<pid>_<n>` on the target's server,
//!    dropped after use.
//! 3. With no server to use (no database URL at all, or no right to create a
//!    database), a PostgreSQL cluster of its own: `initdb` and `pg_ctl` from the server
//!    binaries on the machine, in a temporary directory, listening on a Unix socket
//!    there only; stopped and removed after use.
//!
//! Cleanup happens on success, on error and on Ctrl-C (`main` drops the command on
//! Ctrl-C, and dropping a [`Scratch`] cleans up, blocking). After a `kill -9` nothing
//! can: the next strata that makes or drops a scratch database sweeps what was left.
//! A scratch database is left when nobody is connected to it (a strata at work holds
//! a connection to its own), a cluster when the process named in its directory is
//! gone; either, whatever else, after an hour.
use crate::redact::{redact_url, Redactor};
use anyhow::{anyhow, Context};
use sqlx::{Connection, Executor, PgConnection};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a database strata made carries, so it is known as strata's own.
const MARKER: &str = "strata scratch database: emptied and reused by strata";
/// The names of the databases and cluster directories strata makes.
const PREFIX: &str = "strata_shadow_";
/// The databases the migrations folder is replayed into, kept as a cache.
const REPLAY_PREFIX: &str = "strata_replay_";
const CLUSTER_PREFIX: &str = "strata-shadow-";
/// Scratch databases and clusters older than this are stale: swept.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// A scratch database, cleaned up when closed or dropped.
pub struct Scratch {
    /// Where to connect to it.
    pub url: String,
    /// What it is, for messages: `database strata_shadow_... on the target's server`.
    pub description: String,
    /// `SHOW server_version`.
    pub server_version: String,
    cleanup: Option<Cleanup>,
}

enum Cleanup {
    /// `DROP DATABASE` through the server's `admin_url`, after closing `guard`: the
    /// connection that tells other stratas' sweeps the database is in use.
    Database {
        admin_url: String,
        name: String,
        guard: Option<PgConnection>,
    },
    /// The user's shadow database: emptied, kept.
    Shadow { url: String },
    /// A cluster of strata's own: stopped, its directory removed.
    Cluster(Cluster),
}

/// Where the scratch database comes from.
pub struct Source<'a> {
    /// `--shadow-url` or strata.toml's `shadow_database_url`.
    pub shadow_url: Option<&'a str>,
    /// The database the command works on, if any: scratch databases are created on
    /// its server.
    pub target_url: Option<&'a str>,
}

impl<'a> Source<'a> {
    /// The shadow and target URLs of these settings.
    pub fn of(settings: &'a crate::settings::Settings) -> Source<'a> {
        Source {
            shadow_url: settings.shadow_url.as_deref(),
            target_url: settings.database_url.as_deref(),
        }
    }
}

impl Scratch {
    /// A new, empty scratch database (see the module's documentation for where from).
    pub async fn open(source: &Source<'_>, redactor: &Redactor) -> anyhow::Result<Scratch> {
        let mut scratch = match (source.shadow_url, source.target_url) {
            (Some(shadow), target) => shadow_database(shadow, target, redactor).await?,
            (None, Some(target)) => match created_database(target, redactor).await? {
                Some(s) => s,
                None => own_cluster().await?,
            },
            (None, None) => own_cluster().await?,
        };
        let mut conn = connect(&scratch.url, redactor).await?;
        scratch.server_version = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&mut conn)
            .await?;
        Ok(scratch)
    }

    /// A scratch database for the schema the migrations folder builds, kept between
    /// runs and found again by `key` (a checksum of the folder and what else the replay
    /// depends on), so that a second run with the same folder does not replay. `true`
    /// with it: the replay is there already. Kept on the target's server as
    /// `strata_replay_<key>` or in the shadow database; a throwaway cluster keeps
    /// nothing.
    pub async fn open_replay(
        source: &Source<'_>,
        cache: &ReplayCache,
        redactor: &Redactor,
    ) -> anyhow::Result<(Scratch, bool)> {
        let done = cache.marker();
        let (mut scratch, reused) = match (source.shadow_url, source.target_url) {
            (Some(shadow), target) => {
                let mut conn = connect(shadow, redactor).await?;
                if database_comment(&mut conn).await?.as_deref() == Some(done.as_str()) {
                    (
                        kept(shadow, format!("shadow database {}", redact_url(shadow))),
                        true,
                    )
                } else {
                    let mut s = shadow_database(shadow, target, redactor).await?;
                    s.cleanup = None;
                    (s, false)
                }
            }
            (None, Some(target)) => match replay_database(target, cache, redactor).await? {
                Some(found) => found,
                None => (own_cluster().await?, false),
            },
            (None, None) => (own_cluster().await?, false),
        };
        let mut conn = connect(&scratch.url, redactor).await?;
        scratch.server_version = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&mut conn)
            .await?;
        Ok((scratch, reused))
    }

    /// Marks a replay as complete, so that [`Scratch::open_replay`] finds it next time.
    pub async fn mark_replayed(
        &self,
        conn: &mut PgConnection,
        cache: &ReplayCache,
    ) -> anyhow::Result<()> {
        if matches!(self.cleanup, Some(Cleanup::Cluster(_))) {
            return Ok(());
        }
        let db = current_database(conn).await?;
        comment_on_database(conn, &db, &cache.marker()).await
    }

    /// The connection that marks a database strata created as in use, for whoever
    /// will hold a connection to it until it is closed (one connection fewer). `None`
    /// for the other kinds.
    pub fn take_guard(&mut self) -> Option<PgConnection> {
        match &mut self.cleanup {
            Some(Cleanup::Database { guard, .. }) => guard.take(),
            _ => None,
        }
    }

    /// Connects to it.
    pub async fn connect(&self, redactor: &Redactor) -> anyhow::Result<PgConnection> {
        connect(&self.url, redactor).await
    }

    /// `CREATE EXTENSION IF NOT EXISTS` each one, or an error naming the one its server
    /// does not have.
    pub async fn create_extensions(
        &self,
        conn: &mut PgConnection,
        extensions: &[String],
    ) -> anyhow::Result<()> {
        for e in extensions {
            let mut statements = strata_core::sql::create_extension(e);
            if let Some(last) = statements.last_mut() {
                last.push_str(" CASCADE");
            }
            for sql in &statements {
                conn.execute(sql.as_str()).await.map_err(|err| {
                    anyhow!(
                        "the schema needs the extension {e}, which the scratch database ({}) \
                     cannot create: {err}. Install it on that server, or point \
                     `shadow_database_url` (strata.toml) or `--shadow-url` at a database \
                     whose server has it",
                        self.description
                    )
                })?;
            }
        }
        Ok(())
    }

    /// Cleans up, saying what went wrong if it could not.
    pub async fn close(mut self) -> anyhow::Result<()> {
        match self.cleanup.take() {
            Some(c) => c.run().await,
            None => Ok(()),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Dropped without `close`: an error or Ctrl-C on the way. Clean up anyway, on a
        // thread of its own (this may be inside the runtime, which cannot block).
        if let Some(cleanup) = self.cleanup.take() {
            let done = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    let _ = rt.block_on(cleanup.run());
                }
            });
            let _ = done.join();
        }
    }
}

impl Cleanup {
    async fn run(self) -> anyhow::Result<()> {
        match self {
            Cleanup::Database {
                admin_url,
                name,
                guard,
            } => {
                if let Some(guard) = guard {
                    let _ = guard.close().await;
                }
                let mut admin = connect(&admin_url, &Redactor::default()).await?;
                admin
                    .execute(
                        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote(&name)).as_str(),
                    )
                    .await
                    .with_context(|| format!("cannot drop the scratch database {name}"))?;
                sweep_databases(&mut admin).await;
                Ok(())
            }
            Cleanup::Shadow { url } => {
                let mut conn = connect(&url, &Redactor::default()).await?;
                empty(&mut conn).await
            }
            Cleanup::Cluster(cluster) => {
                cluster.remove();
                Ok(())
            }
        }
    }
}

async fn connect(url: &str, redactor: &Redactor) -> anyhow::Result<PgConnection> {
    crate::db::connect(Some(url), redactor).await
}

fn quote(name: &str) -> String {
    strata_core::names::quote_ident(name).into_owned()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The seconds in a name strata made (`strata_shadow_<secs>_<pid>_<n>`), if it is one.
fn made_at(name: &str, prefix: &str) -> Option<u64> {
    name.strip_prefix(prefix)?.split('_').next()?.parse().ok()
}

fn is_stale(made: u64) -> bool {
    now_secs().saturating_sub(made) > STALE_AFTER.as_secs()
}

/// The URL with its database replaced by `database` (query parameters kept).
fn with_database(url: &str, database: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..path_start], database);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Ok(out)
}

/// The user's shadow database, checked (not the target; empty or strata's own) and
/// emptied.
async fn shadow_database(
    shadow: &str,
    target: Option<&str>,
    redactor: &Redactor,
) -> anyhow::Result<Scratch> {
    let mut conn = connect(shadow, redactor).await?;
    if let Some(target) = target {
        let mut target_conn = connect(target, redactor).await?;
        let identity = "SELECT pg_catalog.current_database()::text || ' ' || \
                        pg_catalog.current_setting('data_directory', true) || ' ' || \
                        pg_catalog.current_setting('port')";
        let (a, b): (Option<String>, Option<String>) = (
            sqlx::query_scalar(identity).fetch_one(&mut conn).await.ok(),
            sqlx::query_scalar(identity)
                .fetch_one(&mut target_conn)
                .await
                .ok(),
        );
        // Without the right to read data_directory both read as the database name and
        // port: the same name on the same port is refused too.
        if a.is_some() && a == b {
            return Err(anyhow!(
                "the shadow database {} is the target database itself; strata empties a \
                 shadow database, so it must be another one (`shadow_database_url` in \
                 strata.toml, or --shadow-url)",
                redact_url(shadow)
            ));
        }
    }
    let comment = database_comment(&mut conn).await?;
    if !comment.as_deref().is_some_and(|c| c.starts_with(MARKER)) {
        let held = user_objects(&mut conn).await?;
        if !held.is_empty() {
            return Err(anyhow!(
                "the shadow database {} holds {} and is not one strata made: strata empties \
                 a shadow database, so it must be empty (or strata's own) to begin with. \
                 Give it an empty database",
                redact_url(shadow),
                describe_objects(&held)
            ));
        }
        let db = current_database(&mut conn).await?;
        comment_on_database(&mut conn, &db, MARKER)
            .await
            .context("cannot mark the shadow database as strata's")?;
    }
    empty(&mut conn).await?;
    Ok(Scratch {
        url: shadow.to_string(),
        description: format!("shadow database {}", redact_url(shadow)),
        server_version: String::new(),
        cleanup: Some(Cleanup::Shadow {
            url: shadow.to_string(),
        }),
    })
}

/// Every object of a database that is someone's, as (kind, description): what emptying
/// it would drop (whatever is in a schema other than the system ones, with `public`
/// itself left out, and the extensions other than plpgsql), and large objects,
/// publications, casts, languages and foreign data wrappers and servers, which nobody
/// makes in a database set aside for strata. A part of another object (an array type,
/// a table's row type, an index, an owned sequence) or of an extension is not counted
/// apart from it. What `pg_catalog` holds is left out: emptying keeps it (event
/// triggers too, whose functions live there or in a schema that is counted).
async fn user_objects(conn: &mut PgConnection) -> anyhow::Result<Vec<(String, String)>> {
    const IN_USER_SCHEMAS: &[(&str, &str, &str)] = &[
        ("operator", "pg_operator", "oprnamespace"),
        ("operator class", "pg_opclass", "opcnamespace"),
        ("collation", "pg_collation", "collnamespace"),
        ("conversion", "pg_conversion", "connamespace"),
        ("text search object", "pg_ts_config", "cfgnamespace"),
        ("text search object", "pg_ts_dict", "dictnamespace"),
        ("text search object", "pg_ts_parser", "prsnamespace"),
        ("text search object", "pg_ts_template", "tmplnamespace"),
        ("statistics object", "pg_statistic_ext", "stxnamespace"),
    ];
    const ANYWHERE: &[(&str, &str, &str)] = &[
        ("foreign data wrapper", "pg_foreign_data_wrapper", "true"),
        ("foreign server", "pg_foreign_server", "true"),
        // Below 16384: made by initdb.
        ("cast", "pg_cast", "o.oid >= 16384"),
        (
            "language",
            "pg_language",
            "o.oid >= 16384 AND o.lanname <> 'plpgsql'",
        ),
        ("publication", "pg_publication", "true"),
    ];
    let mut kinds = vec![
        "SELECT 'schema', 'pg_catalog.pg_namespace'::regclass::oid, n.oid FROM user_ns n \
         WHERE n.nspname <> 'public'"
            .to_string(),
        "SELECT 'extension', 'pg_catalog.pg_extension'::regclass::oid, o.oid \
         FROM pg_catalog.pg_extension o WHERE o.extname <> 'plpgsql'"
            .to_string(),
        // Composite types are told as types (below).
        "SELECT 'relation', 'pg_catalog.pg_class'::regclass::oid, o.oid \
         FROM pg_catalog.pg_class o JOIN user_ns n ON n.oid = o.relnamespace \
         WHERE o.relkind <> 'c'"
            .to_string(),
        "SELECT CASE o.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, \
         'pg_catalog.pg_type'::regclass::oid, o.oid \
         FROM pg_catalog.pg_type o JOIN user_ns n ON n.oid = o.typnamespace"
            .to_string(),
        "SELECT CASE o.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' \
         ELSE 'function' END, 'pg_catalog.pg_proc'::regclass::oid, o.oid \
         FROM pg_catalog.pg_proc o JOIN user_ns n ON n.oid = o.pronamespace"
            .to_string(),
    ];
    for (kind, catalog, namespace) in IN_USER_SCHEMAS {
        kinds.push(format!(
            "SELECT '{kind}', 'pg_catalog.{catalog}'::regclass::oid, o.oid \
             FROM pg_catalog.{catalog} o JOIN user_ns n ON n.oid = o.{namespace}"
        ));
    }
    // The family `CREATE OPERATOR CLASS` makes is the class's.
    kinds.push(
        "SELECT 'operator family', 'pg_catalog.pg_opfamily'::regclass::oid, o.oid \
         FROM pg_catalog.pg_opfamily o JOIN user_ns n ON n.oid = o.opfnamespace \
         WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_opclass c WHERE c.opcfamily = o.oid)"
            .to_string(),
    );
    for (kind, catalog, filter) in ANYWHERE {
        kinds.push(format!(
            "SELECT '{kind}', 'pg_catalog.{catalog}'::regclass::oid, o.oid \
             FROM pg_catalog.{catalog} o WHERE {filter}"
        ));
    }
    // Described as pg_largeobject's, the catalog their data is in.
    kinds.push(
        "SELECT 'large object', 'pg_catalog.pg_largeobject'::regclass::oid, o.oid \
         FROM pg_catalog.pg_largeobject_metadata o"
            .to_string(),
    );
    let objects: Vec<String> = kinds
        .iter()
        .enumerate()
        .map(|(i, select)| select.replacen("SELECT ", &format!("SELECT {i}, "), 1))
        .collect();
    let sql = format!(
        "WITH user_ns AS (
             SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
             WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
         ),
         objects (ord, kind, classid, objid) AS ({})
         SELECT o.kind::text, pg_catalog.pg_describe_object(o.classid, o.objid, 0)
         FROM objects o
         WHERE NOT EXISTS (
             SELECT FROM pg_catalog.pg_depend d
             WHERE d.classid = o.classid AND d.objid = o.objid
               AND (d.deptype IN ('e', 'i') OR (d.deptype = 'a' AND o.kind = 'relation'))
         )
         ORDER BY o.ord, 2",
        objects.join(" UNION ALL ")
    );
    Ok(sqlx::query_as(&sql).fetch_all(conn).await?)
}

/// `1 function, 2 schemas and 1 extension (function public.keepme(), ...)`: how many
/// of each kind, in the order given, then the first few by name.
fn describe_objects(objects: &[(String, String)]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for (kind, _) in objects {
        match counts.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((kind, 1)),
        }
    }
    let counts: Vec<String> = counts
        .iter()
        .map(|(kind, n)| match n {
            1 => format!("1 {kind}"),
            n if kind.ends_with('s') => format!("{n} {kind}es"),
            n => format!("{n} {kind}s"),
        })
        .collect();
    const NAMED: usize = 5;
    let mut names: Vec<&str> = objects
        .iter()
        .take(NAMED)
        .map(|(_, name)| name.as_str())
        .collect();
    let more = format!("{} more", objects.len().saturating_sub(NAMED));
    if objects.len() > NAMED {
        names.push(&more);
    }
    format!("{} ({})", and_list(&counts), names.join(", "))
}

/// `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Drops every user schema and creates `public` again: an empty database.
async fn empty(conn: &mut PgConnection) -> anyhow::Result<()> {
    let schemas: Vec<String> = sqlx::query_scalar(
        "SELECT n.nspname::text FROM pg_catalog.pg_namespace n
         WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'",
    )
    .fetch_all(&mut *conn)
    .await?;
    for s in schemas {
        conn.execute(format!("DROP SCHEMA {} CASCADE", quote(&s)).as_str())
            .await
            .with_context(|| format!("cannot empty the shadow database (schema {s})"))?;
    }
    conn.execute("CREATE SCHEMA public").await?;
    conn.execute("GRANT ALL ON SCHEMA public TO PUBLIC").await?;
    Ok(())
}

/// A database that is kept, not cleaned up.
fn kept(url: &str, description: String) -> Scratch {
    Scratch {
        url: url.to_string(),
        description,
        server_version: String::new(),
        cleanup: None,
    }
}

async fn database_comment(conn: &mut PgConnection) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT pg_catalog.shobj_description(d.oid, 'pg_database') FROM pg_catalog.pg_database d \
         WHERE d.datname = pg_catalog.current_database()",
    )
    .fetch_one(conn)
    .await?)
}

async fn current_database(conn: &mut PgConnection) -> anyhow::Result<String> {
    Ok(
        sqlx::query_scalar("SELECT pg_catalog.current_database()::text")
            .fetch_one(conn)
            .await?,
    )
}

/// `COMMENT ON DATABASE`: how strata marks a database as its own (and a replay as
/// complete).
async fn comment_on_database(
    conn: &mut PgConnection,
    name: &str,
    text: &str,
) -> anyhow::Result<()> {
    conn.execute(
        format!(
            "COMMENT ON DATABASE {} IS {}",
            quote(name),
            strata_core::sql::string_literal(text)
        )
        .as_str(),
    )
    .await?;
    Ok(())
}

/// The databases whose names start with `prefix`: each with its comment and whether
/// anyone is connected to it.
async fn databases_starting_with(
    admin: &mut PgConnection,
    prefix: &str,
) -> Vec<(String, Option<String>, bool)> {
    sqlx::query_as(
        "SELECT d.datname::text, pg_catalog.shobj_description(d.oid, 'pg_database'), \
                EXISTS (SELECT FROM pg_catalog.pg_stat_activity a WHERE a.datid = d.oid) \
         FROM pg_catalog.pg_database d WHERE starts_with(d.datname::text, $1)",
    )
    .bind(prefix)
    .fetch_all(admin)
    .await
    .unwrap_or_default()
}

/// `DROP DATABASE`, by force or not; a failure is left for the next sweep.
async fn drop_database(admin: &mut PgConnection, name: &str, force: bool) {
    let force = if force { " WITH (FORCE)" } else { "" };
    let _ = admin
        .execute(format!("DROP DATABASE IF EXISTS {}{force}", quote(name)).as_str())
        .await;
}

/// What a replay of a migrations folder is kept under: the folder, and the checksum of
/// what the replay depends on.
pub struct ReplayCache {
    /// The migrations folder, as an absolute path where it can be made one.
    pub folder: PathBuf,
    /// A checksum of the up files and the extensions, in hex.
    pub key: String,
}

impl ReplayCache {
    /// The comment a complete replay of this folder carries.
    fn marker(&self) -> String {
        format!("{}; replayed {}", self.unfinished_marker(), self.key)
    }

    /// The comment of one being replayed (or that failed): it names the folder too,
    /// so whoever finds it knows whose it is.
    fn unfinished_marker(&self) -> String {
        format!("{MARKER}; replay of {}", self.folder.display())
    }

    /// `strata_replay_<folder>_<key>`: one name per folder and content.
    fn database_name(&self) -> String {
        let folder = strata_core::migrate::checksum::checksum(&self.folder.display().to_string());
        let folder = strata_core::migrate::checksum::hex(&folder);
        format!("{REPLAY_PREFIX}{}_{}", &folder[..8], self.key)
    }
}

/// `strata_replay_<folder>_<key>` on the target's server: found complete (`true`), or
/// created empty after dropping the folder's other replays (and an incomplete one of
/// this key); `None` when the role may not create databases. Other folders' replays
/// are left alone: each project keeps one.
async fn replay_database(
    target: &str,
    cache: &ReplayCache,
    redactor: &Redactor,
) -> anyhow::Result<Option<(Scratch, bool)>> {
    let mut admin = connect(target, redactor).await?;
    let name = cache.database_name();
    let done = cache.marker();
    let folder_prefix = &name[..name.len() - cache.key.len()];
    let replays = databases_starting_with(&mut admin, folder_prefix).await;
    let description = format!("database {name} on the target's server (kept: the replay cache)");
    if replays
        .iter()
        .any(|(n, comment, _)| *n == name && comment.as_deref() == Some(done.as_str()))
    {
        return Ok(Some((
            kept(&with_database(target, &name)?, description),
            true,
        )));
    }
    if replays.iter().any(|(n, _, in_use)| *n == name && *in_use) {
        return Err(anyhow!(
            "another strata is replaying this migrations folder into {name} right now: \
             run again when it is done"
        ));
    }
    // The folder changed since its last replay (or that one did not finish). One in
    // use by another strata is left alone.
    for (other, _, in_use) in &replays {
        if !in_use {
            drop_database(&mut admin, other, false).await;
        }
    }
    if !create_database(&mut admin, &name, redactor).await? {
        return Ok(None);
    }
    comment_on_database(&mut admin, &name, &cache.unfinished_marker()).await?;
    Ok(Some((
        kept(&with_database(target, &name)?, description),
        false,
    )))
}

/// `CREATE DATABASE strata_shadow_...` on the target's server, after sweeping the ones
/// a killed strata left; `None` when the role may not create databases.
async fn created_database(target: &str, redactor: &Redactor) -> anyhow::Result<Option<Scratch>> {
    let mut admin = connect(target, redactor).await?;
    sweep_databases(&mut admin).await;
    // Another strata's sweep may drop the new database in the moment before the guard
    // connection reaches it (nobody is connected yet): then make another.
    for _ in 0..3 {
        static MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "{PREFIX}{}_{}_{}",
            now_secs(),
            std::process::id(),
            MADE.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        if !create_database(&mut admin, &name, redactor).await? {
            return Ok(None);
        }
        let url = with_database(target, &name)?;
        let guard = match connect(&url, redactor).await {
            Ok(conn) => conn,
            Err(_) if !database_exists(&mut admin, &name).await => continue,
            Err(e) => return Err(e),
        };
        let _ = comment_on_database(&mut admin, &name, MARKER).await;
        return Ok(Some(Scratch {
            url,
            description: format!("database {name} on the target's server"),
            server_version: String::new(),
            cleanup: Some(Cleanup::Database {
                admin_url: target.to_string(),
                name,
                guard: Some(guard),
            }),
        }));
    }
    Err(anyhow!(
        "the scratch databases strata created on the target's server were dropped as soon \
         as they were made: is something else dropping `strata_shadow_*` databases?"
    ))
}

async fn database_exists(admin: &mut PgConnection, name: &str) -> bool {
    sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = $1)",
    )
    .bind(name)
    .fetch_one(admin)
    .await
    .unwrap_or(true)
}

/// `CREATE DATABASE name` from `template0` (whatever `template1` holds on this server
/// is not part of the schema); `false` when the role may not create databases.
async fn create_database(
    admin: &mut PgConnection,
    name: &str,
    redactor: &Redactor,
) -> anyhow::Result<bool> {
    let created = admin
        .execute(format!("CREATE DATABASE {} TEMPLATE template0", quote(name)).as_str())
        .await;
    match created {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "42501") =>
        {
            Ok(false)
        }
        Err(e) => Err(anyhow!(
            "cannot create the database {name} on the target's server: {}",
            redactor.redact(&e.to_string())
        )),
    }
}

/// Drops the scratch databases a killed strata left behind. A strata at work keeps a
/// connection to its scratch database for as long as it lives (the guard): so every
/// `strata_shadow_*` nobody is connected to is left over, whatever its age. After an
/// hour, one still connected (a killed client's statement still running) is dropped by
/// force. (A plain `DROP DATABASE` of one in use would wait 5 seconds before failing:
/// those are not tried.)
async fn sweep_databases(admin: &mut PgConnection) {
    for (name, _, in_use) in databases_starting_with(admin, PREFIX).await {
        let stale = made_at(&name, PREFIX).is_some_and(is_stale);
        if stale || !in_use {
            drop_database(admin, &name, stale).await;
        }
    }
}

/// A PostgreSQL cluster of strata's own, in a temporary directory.
#[derive(Clone)]
struct Cluster {
    dir: PathBuf,
    bindir: PathBuf,
    /// `runuser -u postgres --` when strata runs as root (PostgreSQL refuses root).
    as_user: Option<String>,
}

async fn own_cluster() -> anyhow::Result<Scratch> {
    sweep_clusters();
    tokio::task::spawn_blocking(start_cluster)
        .await
        .map_err(|e| anyhow!("internal error while starting a scratch cluster: {e}"))?
}

fn start_cluster() -> anyhow::Result<Scratch> {
    let bindir = server_bindir().ok_or_else(|| {
        anyhow!(
            "no database to make a scratch database in: no database URL (--database-url, \
             DATABASE_URL) whose role may create databases, no `shadow_database_url`, and \
             no PostgreSQL server binaries (initdb, pg_ctl; or STRATA_PG_BINDIR) on this \
             machine to start a throwaway cluster with. Give one of the three (or, for \
             `generate`, write unverified files with --no-verify)"
        )
    })?;
    // A process may run two at once (`generate --from migrations` replays into one and
    // proves its plan on another): the count tells them apart.
    static CLUSTERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "{CLUSTER_PREFIX}{}-{}-{}",
        now_secs(),
        std::process::id(),
        CLUSTERS.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let cluster = Cluster::at(dir.clone(), bindir);
    remove_at_exit(&cluster);
    if let Err(e) = cluster.init_and_start() {
        cluster.remove();
        return Err(e);
    }
    let url = format!(
        "postgres://postgres@localhost/postgres?host={}&port=5432",
        dir.display()
    );
    Ok(Scratch {
        url,
        description: format!("a throwaway cluster in {}", dir.display()),
        server_version: String::new(),
        cleanup: Some(Cleanup::Cluster(cluster)),
    })
}

impl Cluster {
    /// The cluster in `dir`, run by the `postgres` user when strata is root.
    fn at(dir: PathBuf, bindir: PathBuf) -> Cluster {
        Cluster {
            dir,
            bindir,
            as_user: running_as_root().then(|| "postgres".to_string()),
        }
    }

    /// `initdb` and `pg_ctl start` in its directory, listening on a socket there only.
    fn init_and_start(&self) -> anyhow::Result<()> {
        if let Some(user) = &self.as_user {
            let chowned = Command::new("chown")
                .arg(user)
                .arg(&self.dir)
                .status()
                .is_ok_and(|s| s.success());
            if !chowned {
                return Err(anyhow!(
                    "strata runs as root, and PostgreSQL refuses to: a throwaway cluster needs \
                     the `{user}` user to own {}, which failed. Give a database URL instead",
                    self.dir.display()
                ));
            }
        }
        let data = self.dir.join("data");
        self.command("initdb", |c| {
            c.arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
                .arg("--no-sync")
        })?;
        let options = format!(
            "-c listen_addresses='' -k {} -p 5432 -c fsync=off -c full_page_writes=off",
            self.dir.display()
        );
        self.command("pg_ctl", |c| {
            c.arg("-D")
                .arg(&data)
                .args(["-o", &options, "-w", "-l"])
                .arg(self.dir.join("server.log"))
                .arg("start")
        })
    }

    /// Runs one of the server's programs (as the `postgres` user when strata is root);
    /// an error with its output when it fails.
    fn command(
        &self,
        program: &str,
        args: impl FnOnce(&mut Command) -> &mut Command,
    ) -> anyhow::Result<()> {
        let path = self.bindir.join(program);
        let mut cmd = match &self.as_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        args(&mut cmd);
        let out = cmd
            .output()
            .with_context(|| format!("cannot run {}", path.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(anyhow!(
                "{} failed while starting a throwaway cluster in {}: {}{}",
                program,
                self.dir.display(),
                String::from_utf8_lossy(&out.stderr).trim(),
                String::from_utf8_lossy(&out.stdout).trim()
            ))
        }
    }

    /// Stops the server (immediately: nothing in it is worth a checkpoint) and removes
    /// the directory.
    fn remove(&self) {
        running_clusters().retain(|c| c.dir != self.dir);
        let data = self.dir.join("data");
        if data.join("postmaster.pid").exists() {
            let _ = self.command("pg_ctl", |c| {
                c.arg("-D")
                    .arg(&data)
                    .args(["-m", "immediate", "-w", "stop"])
            });
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The clusters this process started and has not removed yet.
static RUNNING: std::sync::Mutex<Vec<Cluster>> = std::sync::Mutex::new(Vec::new());

fn running_clusters() -> std::sync::MutexGuard<'static, Vec<Cluster>> {
    RUNNING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Has `cluster` stopped and removed when the process exits, if nothing did before.
/// Dropping its [`Scratch`] does, but a command may never drop it: `generate` and
/// `diff` keep their plan (and the `--from migrations` replay in it) in a
/// `ManuallyDrop` until the process ends, and `stdout_line` ends the process with
/// `exit` on a closed pipe. Returning from `main` and `exit` both run the C library's
/// `atexit` functions.
fn remove_at_exit(cluster: &Cluster) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        extern "C" {
            fn atexit(function: extern "C" fn()) -> std::os::raw::c_int;
        }
        // SAFETY: `atexit` only stores the pointer to a function without arguments,
        // which lives as long as the program, to call it once at exit.
        unsafe {
            atexit(remove_running_clusters);
        }
    });
    running_clusters().push(cluster.clone());
}

/// At exit: stops and removes the clusters still running. (It must not panic: a panic
/// may not unwind out of an `extern "C"` function, and `remove` does not.)
extern "C" fn remove_running_clusters() {
    let left = match RUNNING.try_lock() {
        Ok(mut running) => std::mem::take(&mut *running),
        Err(std::sync::TryLockError::Poisoned(p)) => std::mem::take(&mut *p.into_inner()),
        // Held by a thread the exit cut short: nothing to do safely.
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    for cluster in left {
        cluster.remove();
    }
}

/// Removes the clusters a killed strata left behind: those whose process (the pid in
/// the directory's name) is gone, and any older than an hour.
fn sweep_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    let Some(bindir) = server_bindir() else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(CLUSTER_PREFIX) else {
            continue;
        };
        let mut parts = rest.split('-').map(|s| s.parse::<u64>().ok());
        let (made, pid) = (parts.next().flatten(), parts.next().flatten());
        // Where there is no /proc to tell, only the age does.
        let orphaned = Path::new("/proc/self").exists()
            && pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists());
        if made.is_some_and(is_stale) || (made.is_some() && orphaned) {
            Cluster::at(entry.path(), bindir.clone()).remove();
        }
    }
}

/// The directory of `initdb` and `pg_ctl`: `STRATA_PG_BINDIR`, else `pg_config
/// --bindir`, else the newest `/usr/lib/postgresql/*/bin` (Debian's layout).
fn server_bindir() -> Option<PathBuf> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("STRATA_PG_BINDIR").map(PathBuf::from) {
        return has_initdb(&dir).then_some(dir);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_initdb(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_initdb(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_gets_another_database_with_its_parameters_kept() {
        assert_eq!(
            with_database("postgres://u:p@h:5/app?sslmode=disable", "x").unwrap(),
            "postgres://u:p@h:5/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h", "x").unwrap(),
            "postgres://u@h/x"
        );
    }

    #[test]
    fn what_a_database_holds_is_counted_by_kind_then_named() {
        let objects = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, n)| (k.to_string(), n.to_string()))
                .collect()
        };
        assert_eq!(
            describe_objects(&objects(&[("function", "function keepme()")])),
            "1 function (function keepme())"
        );
        assert_eq!(
            describe_objects(&objects(&[
                ("schema", "schema a"),
                ("schema", "schema b"),
                ("operator class", "operator class c for access method btree"),
                ("type", "type d"),
                ("type", "type e"),
                ("type", "type f"),
            ])),
            "2 schemas, 1 operator class and 3 types (schema a, schema b, operator class c \
             for access method btree, type d, type e, 1 more)"
        );
    }

    #[test]
    fn stale_names_are_told_by_their_age() {
        assert_eq!(made_at("strata_shadow_100_7", PREFIX), Some(100));
        assert_eq!(made_at("strata_shadowy", PREFIX), None);
        assert!(is_stale(100));
        assert!(!is_stale(now_secs()));
    }
}
