//! PostgreSQL catalogs → current schema, in a fixed number of queries.
//!
//! One query per object kind (namespaces with the server's keywords, extensions,
//! enums, tables, columns, constraints, indexes, views), each joined inside
//! `pg_catalog` and filtered to the managed tables in SQL, so the round trips do not
//! grow with the number of tables; every other kind (domains, composite types,
//! sequences, functions, table properties, partitions, triggers, rules, policies,
//! owners) in one more query ([`objects`]), and the dependency graph in one
//! ([`dependencies`]). All of them run in one
//! `REPEATABLE READ, READ ONLY` transaction, so they see one snapshot, with
//! `search_path = public` so `format_type` and `pg_get_expr` spell names the same way
//! on every run (public names unqualified, other schemas qualified) — the spelling the
//! desired schema is built with.
//!
//! Each catalog query lives in its own file with its row type and the pure function
//! that turns rows into model values; this file drives them and assembles the
//! [`Schema`] by table OID.

/// The common head of the table-scoped queries: the managed tables' OIDs.
///
/// Plain and partitioned tables (`relkind` `r`, `p`) of the managed schemas, but not
/// partitions (managed through their parent), never the migration history. Excluded
/// tables are read too, in the same rows: strata leaves them alone but plans around
/// what they use (their columns' types and defaults, their foreign keys and the keys
/// those lean on). Telling them apart takes `exclude`'s globs, matched as the rows are
/// assembled ([`assemble`]); `$2`, the entries as written, is unused in SQL.
macro_rules! managed_tables_cte {
    () => {
        "WITH managed AS (
            SELECT c.oid, n.nspname::text AS schema, c.relname::text AS name
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p')
              AND NOT c.relispartition
              AND n.nspname::text = ANY($1)
              AND c.relname <> '_sqlx_migrations'
        )"
    };
}

/// The server's keywords that are not unreserved (the others are plain names to
/// strata) as `kind` (the category letter) and `name` rows: read alone by
/// [`keywords::read`], appended to the namespaces query by introspection.
macro_rules! non_unreserved_keywords {
    () => {
        "
SELECT k.catcode::text AS kind, k.word::text AS name
FROM pg_catalog.pg_get_keywords() k
WHERE k.catcode <> 'U'"
    };
}

#[macro_use]
mod fragments;

mod columns;
mod composites;
mod constraints;
mod dependencies;
mod domains;
mod enums;
mod extensions;
mod functions;
pub(crate) mod indexes;
pub mod keywords;
mod namespaces;
mod objects;
mod owners;
mod partitions;
mod policies;
mod rules;
mod schema_properties;
mod sequences;
mod table_properties;
mod triggers;
mod unread;
pub use unread::{unread, Unread};

pub use namespaces::user_schemas;
mod tables;
mod views;

use crate::exclude::Exclude;
use crate::schema::{ExcludedEnum, ExcludedTable, LeftAlone, Schema, Table};
use futures_util::TryStreamExt;
use sqlx::postgres::PgRow;
use sqlx::{Connection, PgConnection};

/// Catalog queries one introspection sends, whatever the number of tables.
pub const CATALOG_QUERY_COUNT: usize = 11;

/// Every statement one introspection sends: `BEGIN ...`, `SET LOCAL search_path`,
/// [`NO_JIT`], the catalog queries with [`NO_NESTED_LOOPS`] before the tables' half, and
/// `COMMIT`.
pub const QUERY_COUNT: usize = CATALOG_QUERY_COUNT + 5;

/// The transaction every introspection runs in: one snapshot, and no way to write.
const BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
/// Makes `format_type` / `pg_get_expr` qualify every name outside `public`.
const SET_SEARCH_PATH: &str = "SET LOCAL search_path = public";
/// The dependency graph's query is estimated (one lookup per edge, in each object
/// kind's catalog) far above `jit_above_cost` at a few thousand tables, and compiling
/// it took 2.8 s of a 2.9 s run at N=5000; run as it is, 0.2 s.
const NO_JIT: &str = "SET LOCAL jit = off";

/// Sent before the namespaces, extensions, enums, tables and columns queries:
/// expecting a few hundred managed tables, the planner probes `pg_attrdef`,
/// `pg_depend` and `pg_class` by index once per column or table; hash joins over those
/// catalogs took ~35 ms less server CPU per run at 1000 tables. The constraints and
/// indexes queries look keys up on purpose and run before it (one connection) or on
/// the other connection.
const NO_NESTED_LOOPS: &str = "SET LOCAL enable_nestloop = off";

/// The table OIDs the catalog queries key their rows by (`oid` cast to `int8`).
type TableOid = i64;

/// Reads the tables, enums and constraints of `schemas` (skipping `_sqlx_migrations`)
/// inside one REPEATABLE READ, READ ONLY transaction. What `exclude` names is read
/// apart from what strata manages: excluded tables into
/// [`Schema::excluded_tables`], enums into [`Schema::excluded_enums`], views marked.
///
/// It also installs the server's keyword table ([`crate::lex::keywords::install`],
/// read in the namespaces query): SQL strata renders afterwards quotes names as this
/// server's `quote_ident` does. (Whatever quotes names earlier, such as lowering the
/// entities, calls [`keywords::adopt`] first.)
///
/// `exclude` entries are globs of `name` (in any schema) or `schema.name` (see
/// [`crate::exclude`]); a bad one is an error (strata.toml is checked when read).
pub async fn introspect(
    conn: &mut PgConnection,
    schemas: &[String],
    exclude: &[String],
) -> Result<Schema, sqlx::Error> {
    Introspector::new().introspect(conn, schemas, exclude).await
}

/// Introspection that counts the statements it sends, so tests can prove the count
/// does not depend on the size of the schema.
#[derive(Debug, Default)]
pub struct Introspector {
    statements_sent: usize,
    tables_only: bool,
}

impl Introspector {
    pub fn new() -> Self {
        Self::default()
    }

    /// An introspector that reads only what `strata::check` compares: namespaces,
    /// extensions, enums, tables, columns, keys, checks and indexes. The other objects
    /// ([`Schema::objects`]), the views and the dependency graph are not read (left
    /// empty): three catalog queries fewer, the three heaviest.
    pub fn tables_only() -> Self {
        Introspector {
            statements_sent: 0,
            tables_only: true,
        }
    }

    /// Statements sent to the server so far, over every call to [`Self::introspect`].
    pub fn statements_sent(&self) -> usize {
        self.statements_sent
    }

    /// See [`introspect`].
    pub async fn introspect(
        &mut self,
        conn: &mut PgConnection,
        schemas: &[String],
        exclude: &[String],
    ) -> Result<Schema, sqlx::Error> {
        let excluded = compile(exclude)?;
        self.statements_sent += 1;
        // Dropping the transaction on an error (or a cancelled future) rolls it back.
        let mut tx = conn.begin_with(BEGIN).await?;
        self.statements_sent += 1;
        sqlx::query(SET_SEARCH_PATH).execute(&mut *tx).await?;
        self.statements_sent += 1;
        sqlx::query(NO_JIT).execute(&mut *tx).await?;

        let mut catalog = Catalog {
            conn: &mut tx,
            sent: &mut self.statements_sent,
            schemas,
            exclude,
            tables_only: self.tables_only,
        };
        let schema = read_schema(&mut catalog, &excluded).await?;

        self.statements_sent += 1;
        tx.commit().await?;
        Ok(schema)
    }
}

impl Introspector {
    /// Like [`Self::introspect`], with a second connection reading the checks and
    /// indexes while the first reads the tables, columns and keys (about the same
    /// server work at 1000 tables), both in ONE snapshot: the
    /// first exports it (`pg_export_snapshot()`), the second adopts it (`SET TRANSACTION
    /// SNAPSHOT`), as `pg_dump -j` does. The same fixed set of queries, split in two,
    /// plus three statements on the second connection and the export.
    pub async fn introspect_parallel(
        &mut self,
        conn: &mut PgConnection,
        second: &mut PgConnection,
        schemas: &[String],
        exclude: &[String],
    ) -> Result<Schema, sqlx::Error> {
        let excluded = compile(exclude)?;
        // The two connections open their transactions at once; only adopting the
        // snapshot waits for the export. (`SET LOCAL` takes no snapshot, so it may
        // come before `SET TRANSACTION SNAPSHOT`.)
        let (mut tx, mut tx2) = tokio::try_join!(conn.begin_with(BEGIN), second.begin_with(BEGIN))?;
        let (snapshot, ()) = tokio::try_join!(
            async {
                sqlx::query(SET_SEARCH_PATH).execute(&mut *tx).await?;
                sqlx::query(NO_JIT).execute(&mut *tx).await?;
                sqlx::query_scalar::<_, String>("SELECT pg_catalog.pg_export_snapshot()")
                    .fetch_one(&mut *tx)
                    .await
            },
            async {
                sqlx::query(SET_SEARCH_PATH).execute(&mut *tx2).await?;
                sqlx::query(NO_JIT).execute(&mut *tx2).await?;
                Ok(())
            }
        )?;
        // A snapshot id is PostgreSQL's own text (`00000003-0000001B-1`): no quote in it.
        sqlx::query(&format!("SET TRANSACTION SNAPSHOT '{snapshot}'"))
            .execute(&mut *tx2)
            .await?;
        // BEGIN, search_path, jit, export; BEGIN, search_path, jit, SET TRANSACTION
        // SNAPSHOT.
        self.statements_sent += 8;

        let (mut sent1, mut sent2) = (0, 0);
        let mut first = Catalog {
            conn: &mut tx,
            sent: &mut sent1,
            schemas,
            exclude,
            tables_only: self.tables_only,
        };
        let mut other = Catalog {
            conn: &mut tx2,
            sent: &mut sent2,
            schemas,
            exclude,
            tables_only: self.tables_only,
        };
        let (part, expressions) =
            tokio::try_join!(read_tables(&mut first), read_expressions(&mut other))?;
        self.statements_sent += sent1 + sent2 + 2;
        tx2.commit().await?;
        tx.commit().await?;
        assemble(part, expressions, &excluded)
    }
}

fn compile(exclude: &[String]) -> Result<Exclude, sqlx::Error> {
    Exclude::new(exclude).map_err(|e| sqlx::Error::Configuration(e.into()))
}

/// The open transaction plus the two parameters every catalog query takes:
/// `$1` the managed schemas (`text[]`), `$2` the excluded tables (`text[]`).
struct Catalog<'a> {
    conn: &'a mut PgConnection,
    sent: &'a mut usize,
    schemas: &'a [String],
    exclude: &'a [String],
    /// Only what `check` compares: tables, columns, keys, checks, indexes and enums;
    /// no other objects, views or dependency graph (left empty).
    tables_only: bool,
}

impl Catalog<'_> {
    /// Runs `sql` and turns each row into a `T` as it arrives, so a catalog of 60,000
    /// columns is never held twice (as rows and as values) at once.
    async fn map_rows<T>(
        &mut self,
        sql: &'static str,
        mut read: impl FnMut(&PgRow) -> Result<T, sqlx::Error>,
    ) -> Result<Vec<T>, sqlx::Error> {
        *self.sent += 1;
        let mut rows = sqlx::query(sql)
            .bind(self.schemas)
            .bind(self.exclude)
            .fetch(&mut *self.conn);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await? {
            out.push(read(&row)?);
        }
        Ok(out)
    }
}

/// What the first half of the catalog queries read: namespaces, extensions, enums,
/// tables, their columns and keys.
struct TablesPart {
    schemas: Vec<String>,
    extensions: Vec<String>,
    enums: Vec<crate::schema::EnumType>,
    tables: TablesByOid,
    /// Each table's column numbers (`attnum`), ascending, parallel to its `columns`
    /// (by position in `tables`), with the name as `quote_ident` spells it when that
    /// differs: constraints and indexes name their columns by number.
    column_keys: Vec<Vec<(i16, Option<String>)>>,
    /// Primary keys, unique constraints and foreign keys.
    keys: Vec<(TableOid, constraints::Unresolved)>,
    /// Everything else (but the dependencies).
    objects: crate::schema::Objects,
}

impl TablesPart {
    /// The name of column `number` of table `oid`, when that table was read.
    fn column_name(&self, oid: TableOid, number: i16) -> Option<&str> {
        self.column(oid, number).map(|(_, name)| name)
    }

    /// The same name as `quote_ident` spells it (as an index key is spelled).
    fn quoted_column_name(&self, oid: TableOid, number: i16) -> Option<&str> {
        self.column(oid, number)
            .map(|(quoted, name)| quoted.unwrap_or(name))
    }

    fn column(&self, oid: TableOid, number: i16) -> Option<(Option<&str>, &str)> {
        let at = self.tables.position(oid)?;
        let keys = &self.column_keys[at];
        let column = keys.binary_search_by_key(&number, |(n, _)| *n).ok()?;
        let name = self.tables.list[at].columns.get(column)?.name.as_str();
        Some((keys[column].1.as_deref(), name))
    }
}

/// The tables read, in the order read, found by OID with a binary search: a few
/// thousand integers, cheaper than hashing the OID of each of ~60,000 rows.
struct TablesByOid {
    list: Vec<Table>,
    /// (OID, position in `list`), sorted by OID.
    sorted: Vec<(TableOid, usize)>,
}

impl TablesByOid {
    fn new(read: Vec<(TableOid, Table)>) -> Self {
        let mut sorted: Vec<(TableOid, usize)> = read
            .iter()
            .enumerate()
            .map(|(i, (oid, _))| (*oid, i))
            .collect();
        sorted.sort_unstable();
        TablesByOid {
            list: read.into_iter().map(|(_, t)| t).collect(),
            sorted,
        }
    }

    fn position(&self, oid: TableOid) -> Option<usize> {
        let at = self.sorted.binary_search_by_key(&oid, |(o, _)| *o).ok()?;
        Some(self.sorted[at].1)
    }

    /// Table `oid`; rows of a table that vanished between queries cannot happen
    /// inside one REPEATABLE READ snapshot, so `None` is only belt and braces.
    fn get_mut(&mut self, oid: TableOid) -> Option<&mut Table> {
        let at = self.position(oid)?;
        self.list.get_mut(at)
    }
}

/// What the second half reads: the checks and indexes, keyed by table. Both deparse
/// expressions that open their table, so they share one connection's relation cache.
struct ExpressionsPart {
    checks: Vec<(TableOid, constraints::Unresolved)>,
    indexes: Vec<(TableOid, indexes::Unresolved)>,
    views: Vec<crate::schema::View>,
    dependencies: Vec<crate::schema::Dependency>,
}

async fn read_tables(catalog: &mut Catalog<'_>) -> Result<TablesPart, sqlx::Error> {
    // Before nested loops are turned off: its per-object subqueries look one row up by
    // key each (the owner of a sequence, an extension membership), which a hash join
    // would turn into a scan of the whole catalog per object.
    let objects = if catalog.tables_only {
        crate::schema::Objects::default()
    } else {
        objects::fetch(catalog).await?
    };
    *catalog.sent += 1;
    sqlx::query(NO_NESTED_LOOPS)
        .execute(&mut *catalog.conn)
        .await?;
    let (schemas, server_keywords) = namespaces::fetch(catalog).await?;
    // From here on, this process quotes names as this server does (what is rendered
    // from the schema read is meant for it).
    crate::lex::keywords::install(server_keywords);
    let extensions = extensions::fetch(catalog).await?;
    let enums = enums::fetch(catalog).await?;
    let mut tables = TablesByOid::new(tables::fetch(catalog).await?);
    let mut numbered: Vec<Vec<columns::ReadColumn>> = Vec::new();
    numbered.resize_with(tables.list.len(), Vec::new);
    // A table's rows come one after the other in practice: look its OID up once.
    let mut last: Option<(TableOid, usize)> = None;
    for read in columns::fetch(catalog).await? {
        let at = match last {
            Some((seen, at)) if seen == read.table => Some(at),
            _ => tables.position(read.table),
        };
        if let Some(at) = at {
            last = Some((read.table, at));
            numbered[at].push(read);
        }
    }
    let mut column_keys = Vec::with_capacity(numbered.len());
    for (table, mut columns) in tables.list.iter_mut().zip(numbered) {
        columns.sort_unstable_by_key(|c| c.number);
        let mut keys = Vec::with_capacity(columns.len());
        // Collected anew, so with no room to spare (doubling left 14 MB unused at
        // N=5000).
        table.columns = columns
            .into_iter()
            .map(|c| {
                keys.push((c.number, c.quoted_name));
                c.column
            })
            .collect();
        column_keys.push(keys);
    }
    let keys = constraints::fetch_keys(catalog).await?;
    Ok(TablesPart {
        objects,
        schemas,
        extensions,
        enums,
        tables,
        column_keys,
        keys,
    })
}

async fn read_expressions(catalog: &mut Catalog<'_>) -> Result<ExpressionsPart, sqlx::Error> {
    let checks = constraints::fetch_checks(catalog).await?;
    let indexes = indexes::fetch(catalog).await?;
    if catalog.tables_only {
        return Ok(ExpressionsPart {
            checks,
            indexes,
            views: Vec::new(),
            dependencies: Vec::new(),
        });
    }
    Ok(ExpressionsPart {
        checks,
        indexes,
        views: views::fetch(catalog).await?,
        dependencies: objects::fetch_dependencies(catalog).await?,
    })
}

fn assemble(
    mut part: TablesPart,
    expressions: ExpressionsPart,
    exclude: &Exclude,
) -> Result<Schema, sqlx::Error> {
    let keys = std::mem::take(&mut part.keys);
    let constraints = keys
        .into_iter()
        .chain(expressions.checks)
        .map(|(oid, c)| Ok((oid, c.resolve(oid, |t, n| part.column_name(t, n))?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let indexes = expressions
        .indexes
        .into_iter()
        .map(|(oid, i)| Ok((oid, i.resolve(|n| part.quoted_column_name(oid, n))?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let TablesPart {
        schemas,
        extensions,
        enums,
        mut tables,
        mut objects,
        ..
    } = part;
    objects.dependencies = expressions.dependencies;
    for (oid, constraint) in constraints {
        if let Some(t) = tables.get_mut(oid) {
            constraint.attach_to(t);
        }
    }
    for (oid, index) in indexes {
        if let Some(t) = tables.get_mut(oid) {
            t.indexes.push(index);
        }
    }
    // What `exclude` names is read, but apart: never part of what the diff manages.
    let mut managed = Vec::with_capacity(tables.list.len());
    let mut excluded_tables = Vec::new();
    for table in tables.list {
        match exclude.matching(&table.schema, &table.name) {
            Some(pattern) => excluded_tables.push(ExcludedTable {
                why: LeftAlone::Excluded(pattern.to_string()),
                table,
            }),
            None => managed.push(table),
        }
    }
    let (enums, excluded_enums): (Vec<_>, Vec<_>) = enums
        .into_iter()
        .partition(|e| exclude.matching(&e.schema, &e.name).is_none());
    let excluded_enums = excluded_enums
        .into_iter()
        .map(|e| ExcludedEnum {
            pattern: exclude
                .matching(&e.schema, &e.name)
                .unwrap_or_default()
                .to_string(),
            enum_type: e,
        })
        .collect();
    let mut views = expressions.views;
    // Owners other than strata's role, by view: looked up once per view, not by a walk.
    let view_owners: std::collections::HashMap<(&str, &str), &str> = objects
        .owners
        .iter()
        .filter_map(|o| match &o.object {
            crate::schema::ObjectRef::View { schema, name } => {
                Some(((schema.as_str(), name.as_str()), o.owner.as_str()))
            }
            _ => None,
        })
        .collect();
    for v in &mut views {
        v.excluded_by = exclude.matching(&v.schema, &v.name).map(String::from);
        v.owner = view_owners
            .get(&(v.schema.as_str(), v.name.as_str()))
            .map(|o| o.to_string());
    }
    let mut schema = Schema {
        schemas,
        extensions,
        enums,
        tables: managed,
        views,
        excluded_tables,
        excluded_enums,
        objects,
        declared: false,
        bound_views: Vec::new(),
    };
    schema.sort();
    Ok(schema)
}

async fn read_schema(catalog: &mut Catalog<'_>, exclude: &Exclude) -> Result<Schema, sqlx::Error> {
    // Expressions first: `read_tables` turns nested loops off for the rest of the
    // transaction.
    let expressions = read_expressions(catalog).await?;
    let part = read_tables(catalog).await?;
    assemble(part, expressions, exclude)
}

/// A catalog value strata does not know how to read (a future PostgreSQL's new action
/// code, say): an error rather than a guess.
fn unexpected(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected {what} in the catalog: {value:?}").into())
}
