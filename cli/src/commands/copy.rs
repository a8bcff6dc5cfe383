//! Running the statements that create a copy of part of a schema on a scratch
//! database (see `prove`), fast: a copy of a thousand tables is thousands of
//! statements, each about a millisecond of server time.
//!
//! - Statements go in batches, one round trip and one transaction each: a single
//!   transaction for thousands of tables would hold more locks than the server's lock
//!   table has room for (as every other transaction on that server would then find).
//! - Runs of statements that are each about one table (`CREATE TABLE`, its indexes,
//!   comments, checks and keys) are shared out by table between several connections:
//!   the server runs them on its cores, and while one waits for the disk (each index
//!   build syncs its file) another works. Anything else (a foreign key between two
//!   tables, a view, a function) runs alone, after what comes before it.
//!
//! Nothing in a scratch database needs to survive a crash: commits do not wait for
//! the disk.
use anyhow::anyhow;
use sqlx::{Connection, Executor, PgConnection};
use std::collections::HashMap;
use strata_core::lex;

/// Connections a copy runs on.
pub const CONNECTIONS: usize = 4;

/// Statements per transaction.
const BATCH: usize = 300;

/// Runs `statements` in order (as far as they depend on each other) over `first` and
/// the `others`; an error names the statement PostgreSQL refused.
pub async fn run(
    first: &mut PgConnection,
    others: &mut [PgConnection],
    statements: &[&str],
) -> anyhow::Result<()> {
    // A function body may name what is created after it, as in `pg_dump`'s output.
    for conn in std::iter::once(&mut *first).chain(others.iter_mut()) {
        conn.execute("SET check_function_bodies = off").await?;
        conn.execute("SET synchronous_commit = off").await?;
    }
    for segment in segments(statements) {
        match segment {
            Segment::Alone(statements) => batches(first, &statements).await?,
            Segment::ByTable(groups) => {
                // Tables dealt round the connections, each with all its statements, in
                // order.
                let lanes = others.len() + 1;
                let mut shares: Vec<Vec<&str>> = vec![Vec::new(); lanes];
                for (i, group) in groups.into_iter().enumerate() {
                    shares[i % lanes].extend(group);
                }
                let mut shares = shares.into_iter();
                let mine = shares.next().unwrap_or_default();
                let theirs = others
                    .iter_mut()
                    .zip(shares)
                    .map(|(conn, share)| async move { batches(conn, &share).await });
                let (a, b) = tokio::join!(
                    batches(first, &mine),
                    futures_util::future::join_all(theirs)
                );
                a?;
                for r in b {
                    r?;
                }
            }
        }
    }
    // The first connection goes on to run the plan's files, which must meet function
    // bodies checked as `strata run` will.
    first.execute("RESET check_function_bodies").await?;
    Ok(())
}

/// One round trip per batch; when one fails, it runs again statement by statement, to
/// name the one PostgreSQL refuses.
async fn batches(conn: &mut PgConnection, statements: &[&str]) -> anyhow::Result<()> {
    for batch in statements.chunks(BATCH) {
        let script = batch.join(";\n");
        let mut tx = conn.begin().await?;
        if sqlx::raw_sql(&script).execute(&mut *tx).await.is_ok() {
            tx.commit().await?;
            continue;
        }
        tx.rollback().await?;
        let mut tx = conn.begin().await?;
        for statement in batch {
            tx.execute(*statement).await.map_err(|e| {
                anyhow!(
                    "strata could not copy what the plan touches to a scratch database to \
                     verify it, so nothing was written. Statement:\n  {statement}\n\
                     PostgreSQL: {e}\nGenerate with --no-verify to write it unverified (and \
                     please report this)"
                )
            })?;
        }
        tx.commit().await?;
    }
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
enum Segment<'a> {
    /// Statements to run one after the other.
    Alone(Vec<&'a str>),
    /// Each table's statements, in order; the tables are independent of each other.
    ByTable(Vec<Vec<&'a str>>),
}

/// The statements cut where one is not about a single table.
fn segments<'a>(statements: &[&'a str]) -> Vec<Segment<'a>> {
    let mut out: Vec<Segment<'a>> = Vec::new();
    let mut tables: Vec<Vec<&'a str>> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let flush = |tables: &mut Vec<Vec<&'a str>>,
                 by_name: &mut HashMap<String, usize>,
                 out: &mut Vec<Segment<'a>>| {
        by_name.clear();
        if !tables.is_empty() {
            out.push(Segment::ByTable(std::mem::take(tables)));
        }
    };
    for &s in statements {
        match single_table(s) {
            Some(table) => match by_name.get(&table) {
                Some(&at) => tables[at].push(s),
                None => {
                    by_name.insert(table, tables.len());
                    tables.push(vec![s]);
                }
            },
            None => {
                flush(&mut tables, &mut by_name, &mut out);
                match out.last_mut() {
                    Some(Segment::Alone(run)) => run.push(s),
                    _ => out.push(Segment::Alone(vec![s])),
                }
            }
        }
    }
    flush(&mut tables, &mut by_name, &mut out);
    out
}

/// The table a statement is about when it is about that one table alone: `CREATE
/// TABLE t (...)` (without a partition of, or inheritance from, another), `CREATE
/// [UNIQUE] INDEX ... ON [ONLY] t`, `COMMENT ON TABLE t` / `COLUMN t.c`, `ALTER TABLE
/// [ONLY] t ADD CONSTRAINT ... CHECK | UNIQUE | PRIMARY KEY`. The name as written
/// (qualified or not, quoted or not): only compared with itself.
fn single_table(sql: &str) -> Option<String> {
    let words: Vec<String> = lex::tokens(sql)
        .filter(|t| {
            !matches!(
                t.kind,
                lex::Kind::Whitespace
                    | lex::Kind::LineComment { .. }
                    | lex::Kind::BlockComment { .. }
            )
        })
        .take(40)
        .map(|t| t.text(sql).to_string())
        .collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let at = |i: usize| upper.get(i).map(String::as_str);
    // A name: identifier tokens joined by dots, from `i`; its text and where it ends.
    let name = |mut i: usize| -> Option<(String, usize)> {
        let mut text = String::new();
        loop {
            let w = words.get(i)?;
            if !w.starts_with(|c: char| c == '"' || c == '_' || c.is_alphabetic()) {
                return None;
            }
            text.push_str(w);
            if words.get(i + 1).map(String::as_str) == Some(".") {
                text.push('.');
                i += 2;
            } else {
                return Some((text, i + 1));
            }
        }
    };
    let upper_all = upper.join(" ");
    match (at(0), at(1)) {
        (Some("CREATE"), Some("TABLE")) => {
            if upper_all.contains(" PARTITION OF ") || upper_all.contains(" INHERITS ") {
                return None;
            }
            name(2).map(|(n, _)| n)
        }
        (Some("CREATE"), Some("INDEX")) | (Some("CREATE"), Some("UNIQUE")) => {
            let on = upper.iter().position(|w| w == "ON")?;
            let start = if at(on + 1) == Some("ONLY") {
                on + 2
            } else {
                on + 1
            };
            name(start).map(|(n, _)| n)
        }
        (Some("COMMENT"), Some("ON")) => match at(2) {
            Some("TABLE") => name(3).map(|(n, _)| n),
            Some("COLUMN") => {
                let (full, _) = name(3)?;
                full.rsplit_once('.').map(|(table, _)| table.to_string())
            }
            _ => None,
        },
        (Some("ALTER"), Some("TABLE")) => {
            let start = if at(2) == Some("ONLY") { 3 } else { 2 };
            let (table, end) = name(start)?;
            let kind = (at(end), at(end + 1), at(end + 3));
            match kind {
                (Some("ADD"), Some("CONSTRAINT"), Some("CHECK" | "UNIQUE" | "PRIMARY")) => {
                    Some(table)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_about_one_table_are_told_apart_from_the_others() {
        assert_eq!(
            single_table("CREATE TABLE billing.\"Invoices\" (id int)").as_deref(),
            Some("billing.\"Invoices\"")
        );
        assert_eq!(
            single_table("CREATE UNIQUE INDEX i ON ONLY t USING btree (a)").as_deref(),
            Some("t")
        );
        assert_eq!(
            single_table("COMMENT ON COLUMN s.t.c IS 'x'").as_deref(),
            Some("s.t")
        );
        assert_eq!(
            single_table("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID").as_deref(),
            Some("t")
        );
        assert_eq!(
            single_table("ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id)"),
            None
        );
        assert_eq!(
            single_table("CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1)"),
            None
        );
        assert_eq!(single_table("CREATE VIEW v AS SELECT 1"), None);
    }

    #[test]
    fn runs_about_single_tables_are_grouped_by_table_between_the_others() {
        let s = [
            "CREATE TYPE e AS ENUM ('a')",
            "CREATE TABLE a (id int)",
            "CREATE TABLE b (id int)",
            "CREATE INDEX a_i ON a (id)",
            "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (id) REFERENCES b (id)",
            "COMMENT ON TABLE b IS 'x'",
        ];
        assert_eq!(
            segments(&s),
            vec![
                Segment::Alone(vec![s[0]]),
                Segment::ByTable(vec![vec![s[1], s[3]], vec![s[2]]]),
                Segment::Alone(vec![s[4]]),
                Segment::ByTable(vec![vec![s[5]]]),
            ]
        );
    }
}
