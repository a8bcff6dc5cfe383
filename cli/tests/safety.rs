//! Safety against a real PostgreSQL: online plans split into migration files reach the
//! same schema as plain ones and revert exactly; an online index build lets writers go
//! on where a plain one queues them; a rename without a hint is refused with the
//! attribute to add, and with it the rows survive.
//!
//! The runner is being rewritten elsewhere, so the split files are applied here by
//! hand: a `-- no-transaction` file as one statement outside a transaction, any other
//! inside one.

mod support;

use sqlx::{Connection, Executor, PgConnection};
use std::time::{Duration, Instant};
use strata_core::diff::{diff_with, DiffOptions};
use strata_core::render::{render_migrations, RenderOptions, RenderedMigration};
use strata_core::schema::Schema;
use strata_tests::TestDb;
use support::Project;

async fn introspect(conn: &mut PgConnection) -> Schema {
    let schemas = vec!["public".to_string()];
    let mut schema = strata_core::introspect::introspect(conn, &schemas, &[])
        .await
        .expect("introspect");
    // A column a down file re-adds goes last: position is not compared.
    for table in &mut schema.tables {
        table.columns.sort_by(|a, b| a.name.cmp(&b.name));
    }
    schema
}

async fn apply(conn: &mut PgConnection, sql: &str) -> Result<(), sqlx::Error> {
    if sql.starts_with("-- no-transaction") {
        conn.execute(sql).await?;
    } else {
        let mut tx = conn.begin().await?;
        tx.execute(sql).await?;
        tx.commit().await?;
    }
    Ok(())
}

async fn up_all(conn: &mut PgConnection, files: &[RenderedMigration]) {
    for f in files {
        apply(conn, &f.up)
            .await
            .unwrap_or_else(|e| panic!("{} up: {e}\n{}", f.name, f.up));
    }
}

async fn down_all(conn: &mut PgConnection, files: &[RenderedMigration]) {
    for f in files.iter().rev() {
        apply(conn, &f.down)
            .await
            .unwrap_or_else(|e| panic!("{} down: {e}\n{}", f.name, f.down));
    }
}

/// The schema a SQL script builds, as strata reads it.
async fn schema_of(sql: &str) -> Schema {
    let db = TestDb::new().await;
    db.execute(sql).await;
    let mut conn = db.connect().await;
    introspect(&mut conn).await
}

const MEMBERS: &str = "
CREATE TABLE orgs (id bigint PRIMARY KEY);
CREATE TABLE members (id bigint NOT NULL, org_id bigint, email text, age integer NOT NULL);
";

const ROWS: &str = "
INSERT INTO orgs SELECT g FROM generate_series(1, 10) g;
INSERT INTO members SELECT g, g % 10 + 1, 'm' || g || '@x', g % 90 FROM generate_series(1, 2000) g;
";

const MEMBERS_SAFE: &str = "
CREATE TABLE orgs (id bigint PRIMARY KEY);
CREATE TABLE members (
    id bigint NOT NULL,
    org_id bigint REFERENCES orgs (id),
    email text NOT NULL UNIQUE,
    age integer NOT NULL CHECK (age >= 0),
    CONSTRAINT members_pkey PRIMARY KEY (id)
);
CREATE INDEX members_org_id_idx ON members (org_id);
CREATE UNIQUE INDEX members_age_id_idx ON members (age, id) WHERE age > 10;
";

const STATUS: &str = "
CREATE TYPE status AS ENUM ('a', 'b');
CREATE TABLE tasks (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, state status NOT NULL DEFAULT 'a');
INSERT INTO tasks (state) VALUES ('a'), ('b');
";

const STATUS_WITH_C: &str = "
CREATE TYPE status AS ENUM ('a', 'b', 'c');
CREATE TABLE tasks (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, state status NOT NULL DEFAULT 'c');
";

/// Applies the plain plan to one database and the online split files to another, both
/// starting from `current_sql` + `rows`; both must reach the same schema (the desired
/// one), and the online files, reverted in reverse order, the schema they started from.
async fn check_online_matches_plain(current_sql: &str, rows: &str, desired_sql: &str) {
    let current = schema_of(current_sql).await;
    let desired = schema_of(desired_sql).await;
    let options = RenderOptions {
        lock_timeout: Some(Duration::from_secs(5)),
    };
    let plain = diff_with(
        &desired,
        &current,
        &DiffOptions {
            online: false,
            ..Default::default()
        },
    );
    let online = diff_with(
        &desired,
        &current,
        &DiffOptions {
            online: true,
            ..Default::default()
        },
    );
    assert!(!plain.is_empty());
    let plain_files = render_migrations(&plain, "m", &options);
    let online_files = render_migrations(&online, "m", &options);
    assert!(online_files.len() >= plain_files.len(), "{online:#?}");

    let plain_db = TestDb::new().await;
    plain_db.execute(&format!("{current_sql}{rows}")).await;
    let mut conn = plain_db.connect().await;
    up_all(&mut conn, &plain_files).await;
    let after_plain = introspect(&mut conn).await;

    let online_db = TestDb::new().await;
    online_db.execute(&format!("{current_sql}{rows}")).await;
    let mut conn = online_db.connect().await;
    let before = introspect(&mut conn).await;
    up_all(&mut conn, &online_files).await;
    let after_online = introspect(&mut conn).await;
    assert_eq!(after_online, after_plain, "online and plain differ");
    let again = diff_with(
        &desired,
        &after_online,
        &DiffOptions {
            online: true,
            ..Default::default()
        },
    );
    assert!(again.is_empty(), "not the desired schema: {again:#?}");

    down_all(&mut conn, &online_files).await;
    assert_eq!(
        introspect(&mut conn).await,
        before,
        "the revert is not exact"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn online_files_add_keys_indexes_checks_foreign_keys_and_not_null_like_plain_ones() {
    check_online_matches_plain(MEMBERS, ROWS, MEMBERS_SAFE).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn online_files_drop_them_like_plain_ones() {
    check_online_matches_plain(MEMBERS_SAFE, ROWS, MEMBERS).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enum_label_used_at_once_commits_in_a_file_of_its_own() {
    check_online_matches_plain(STATUS, "", STATUS_WITH_C).await;
    let plan = diff_with(
        &schema_of(STATUS_WITH_C).await,
        &schema_of(STATUS).await,
        &DiffOptions::default(),
    );
    // Even without online mode, the label must commit before the default names it.
    let files = render_migrations(&plan, "m", &RenderOptions::default());
    assert_eq!(files.len(), 2, "{files:#?}");
    assert!(files[0].up.contains("ADD VALUE 'c'"));
    let db = TestDb::new().await;
    db.execute(STATUS).await;
    let mut conn = db.connect().await;
    up_all(&mut conn, &files).await;
    down_all(&mut conn, &files).await;
}

/// `items` with enough rows, and a connection holding ROW EXCLUSIVE on it in an open
/// transaction, as a long write transaction of the application would.
async fn items_with_open_writer(db: &TestDb) -> PgConnection {
    db.execute(
        "CREATE TABLE items (id integer NOT NULL, v integer NOT NULL);
         INSERT INTO items SELECT g, g FROM generate_series(1, 20000) g;",
    )
    .await;
    let mut holder = db.connect().await;
    holder
        .execute("BEGIN; LOCK TABLE items IN ROW EXCLUSIVE MODE")
        .await
        .expect("hold a write lock");
    holder
}

/// One short write, as the application does, failing after `timeout`.
async fn write_once(conn: &mut PgConnection, timeout: Duration) -> Result<Duration, sqlx::Error> {
    let start = Instant::now();
    conn.execute(
        format!(
            "SET statement_timeout = '{}ms'; UPDATE items SET v = v + 1 WHERE id = 1; RESET statement_timeout",
            timeout.as_millis()
        )
        .as_str(),
    )
    .await?;
    Ok(start.elapsed())
}

/// Waits until a session runs `prefix` and waits for a lock.
async fn wait_until_blocked(conn: &mut PgConnection, prefix: &str) {
    for _ in 0..200 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'
               AND position($1 in query) > 0",
        )
        .bind(prefix)
        .fetch_one(&mut *conn)
        .await
        .expect("pg_stat_activity");
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no session ran {prefix:?} waiting for a lock");
}

fn index_plan(online: bool, lock_timeout: Option<Duration>) -> Vec<RenderedMigration> {
    let mut current = Schema {
        schemas: vec!["public".into()],
        ..Schema::default()
    };
    let items = strata_core::schema::Table {
        schema: "public".into(),
        name: "items".into(),
        columns: ["id", "v"]
            .iter()
            .map(|n| strata_core::schema::Column::new(n.to_string(), "integer"))
            .collect(),
        primary_key: None,
        uniques: vec![],
        indexes: vec![],
        foreign_keys: vec![],
        checks: vec![],
        comment: None,
        renamed_from: None,
        ..Default::default()
    };
    current.tables.push(items.clone());
    let mut desired = current.clone();
    desired.tables[0].indexes.push(strata_core::schema::Index {
        name: "items_v_idx".into(),
        keys: vec!["v".into()],
        unique: false,
        method: "btree".into(),
        predicate: None,
        include: vec![],
        opclasses: vec![],
        orders: vec![],
        collations: vec![],
        nulls_not_distinct: false,
        written: Default::default(),
    });
    let plan = diff_with(
        &desired,
        &current,
        &DiffOptions {
            online,
            ..Default::default()
        },
    );
    render_migrations(&plan, "index_v", &RenderOptions { lock_timeout })
}

/// The plain `CREATE INDEX` wants SHARE, which waits for the open write transaction;
/// every later write queues behind it, so the application stops writing. With
/// `lock_timeout` the migration gives up instead, and writes resume after at most that.
#[tokio::test(flavor = "multi_thread")]
async fn a_plain_index_build_blocks_writers_unless_its_lock_timeout_expires() {
    let db = TestDb::new().await;
    let mut holder = items_with_open_writer(&db).await;

    // Without a lock timeout: the writer is stuck behind the queued migration.
    let files = index_plan(false, None);
    assert_eq!(files.len(), 1);
    let up = files[0].up.clone();
    let mut migrator = db.connect().await;
    let migration = tokio::spawn(async move { apply(&mut migrator, &up).await });
    let mut observer = db.connect().await;
    wait_until_blocked(&mut observer, "CREATE INDEX").await;
    let mut writer = db.connect().await;
    let blocked = write_once(&mut writer, Duration::from_millis(1000)).await;
    assert!(blocked.is_err(), "the write went through: {blocked:?}");
    holder.execute("ROLLBACK").await.expect("release");
    migration
        .await
        .expect("join")
        .expect("the index is built once the writer is gone");

    // With a lock timeout: the migration fails in time and the writer goes on.
    let db = TestDb::new().await;
    let _holder = items_with_open_writer(&db).await;
    let files = index_plan(false, Some(Duration::from_millis(500)));
    assert!(files[0].up.contains("SET LOCAL lock_timeout = '500ms'"));
    let up = files[0].up.clone();
    let mut migrator = db.connect().await;
    let migration = tokio::spawn(async move { apply(&mut migrator, &up).await });
    let mut observer = db.connect().await;
    wait_until_blocked(&mut observer, "CREATE INDEX").await;
    let mut writer = db.connect().await;
    let waited = write_once(&mut writer, Duration::from_secs(10))
        .await
        .expect("the write goes through once the migration gives up");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    let failed = migration.await.expect("join");
    let message = failed.expect_err("lock timeout").to_string();
    assert!(message.contains("lock timeout"), "{message}");
}

/// `CREATE INDEX CONCURRENTLY` takes SHARE UPDATE EXCLUSIVE, which writes do not
/// conflict with: while it waits for the open transaction (it must, to build a
/// correct index), a stream of writes goes through, each in well under a second. Once
/// the transaction ends, the index is built.
#[tokio::test(flavor = "multi_thread")]
async fn an_online_index_build_lets_writers_go_on() {
    let db = TestDb::new().await;
    let mut holder = items_with_open_writer(&db).await;
    let files = index_plan(true, Some(Duration::from_millis(500)));
    assert_eq!(files.len(), 1);
    assert!(files[0].no_transaction);
    assert!(files[0].up.starts_with("-- no-transaction\n"));
    let up = files[0].up.clone();
    let mut migrator = db.connect().await;
    let migration = tokio::spawn(async move { apply(&mut migrator, &up).await });
    let mut observer = db.connect().await;
    wait_until_blocked(&mut observer, "CREATE INDEX CONCURRENTLY").await;
    let mut writer = db.connect().await;
    for _ in 0..20 {
        let took = write_once(&mut writer, Duration::from_millis(1000))
            .await
            .expect("writes go on during the online build");
        assert!(took < Duration::from_millis(1000));
    }
    assert!(
        !migration.is_finished(),
        "the build waits for the open transaction"
    );
    holder.execute("COMMIT").await.expect("release");
    migration.await.expect("join").expect("the index is built");
    let valid: bool = sqlx::query_scalar(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_v_idx'::regclass",
    )
    .fetch_one(&mut observer)
    .await
    .expect("the index exists");
    assert!(valid);
    // Its down file, also outside a transaction, drops it again.
    apply(&mut observer, &files[0].down).await.expect("down");
}

const ACCOUNTS: &str = r#"
#[derive(strata::Entity)]
#[entity(table_name = "accounts")]
pub struct Account {
    #[entity(primary_key, identity)]
    pub id: i64,
    pub avatar: Option<String>,
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_rename_without_its_hint_is_refused_and_with_it_the_rows_survive() {
    let db = TestDb::new().await;
    let project = Project::new("safety-rename", &db);
    project.write_entities(ACCOUNTS);
    assert_eq!(project.strata(&["generate", "accounts"]).code, 0);
    assert_eq!(project.strata(&["run"]).code, 0);
    db.execute("INSERT INTO accounts (avatar) VALUES ('a.png'), ('b.png')")
        .await;

    // A table renamed without its hint looks like a drop and a create of the same
    // columns: refused, with the table's hint.
    let renamed = ACCOUNTS.replace("table_name = \"accounts\"", "table_name = \"members\"");
    project.write_entities(&renamed);
    let refused = project.strata(&["generate", "rename"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(
        refused
            .stderr
            .contains("add #[entity(renamed_from = \"accounts\")]"),
        "{refused}"
    );
    insta::assert_snapshot!("table_rename_refused", project.filter(&refused.stderr));

    // With the table's hint, a column renamed without its own is refused the same way.
    let renamed = renamed
        .replace(
            "table_name = \"members\"",
            "table_name = \"members\", renamed_from = \"accounts\"",
        )
        .replace("pub avatar:", "pub avatar_url:");
    project.write_entities(&renamed);
    let refused = project.strata(&["generate", "rename"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(
        refused
            .stderr
            .contains("add #[entity(renamed_from = \"avatar\")]"),
        "{refused}"
    );
    insta::assert_snapshot!("column_rename_refused", project.filter(&refused.stderr));
    assert!(project.migration_files().len() == 2, "nothing was written");

    project.write_entities(&renamed.replace(
        "pub avatar_url:",
        "#[entity(renamed_from = \"avatar\")]\n    pub avatar_url:",
    ));
    let generated = project.strata(&["generate", "rename"]);
    assert_eq!(generated.code, 0, "{generated}");
    let run = project.strata(&["run"]);
    assert_eq!(run.code, 0, "{run}");
    let rows = project
        .query_text("SELECT string_agg(id || '=' || avatar_url, ',' ORDER BY id) FROM members")
        .await;
    assert_eq!(rows, "1=a.png,2=b.png");
    // The identity sequence was renamed with its table, and keeps counting.
    let seq = project
        .query_text("SELECT pg_get_serial_sequence('members', 'id')")
        .await;
    assert_eq!(seq, "public.members_id_seq");
    db.execute("INSERT INTO members (avatar_url) VALUES ('c.png')")
        .await;
    let last = project
        .query_text("SELECT max(id)::text FROM members")
        .await;
    assert_eq!(last, "3");
    assert!(project
        .strata(&["generate", "again"])
        .stdout
        .contains("No changes"));
}
