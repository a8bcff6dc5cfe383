//! Comments on tables and on the columns that stay (added and created ones carry
//! theirs in their own step).
use super::columns::ColumnPairing;
use super::tables::TablePair;
use super::{locked, step, Phase, Steps};
use crate::names::quote_ident;
use crate::plan::Lock;
use crate::sql;

pub(super) fn diff_comments(pair: &TablePair, columns: &ColumnPairing, steps: &mut Steps) {
    let t = pair.sql_name();
    let (old, new) = (&pair.current.comment, &pair.desired.comment);
    if old != new {
        steps.push(
            Phase::Comment,
            // COMMENT ON takes SHARE UPDATE EXCLUSIVE: reads and writes go on.
            locked(
                step(
                    format!("{} comment on table {t}", verb(new.is_some())),
                    vec![sql::comment_on_table(&t, new.as_deref())],
                    vec![sql::comment_on_table(&t, old.as_deref())],
                ),
                Lock::ShareUpdateExclusive,
            ),
        );
    }
    for (c, d) in &columns.pairs {
        if c.comment != d.comment {
            steps.push(
                Phase::Comment,
                locked(
                    step(
                        format!(
                            "{} comment on column {t}.{}",
                            verb(d.comment.is_some()),
                            quote_ident(&d.name)
                        ),
                        vec![sql::comment_on_column(&t, &d.name, d.comment.as_deref())],
                        vec![sql::comment_on_column(&t, &d.name, c.comment.as_deref())],
                    ),
                    Lock::ShareUpdateExclusive,
                ),
            );
        }
    }
}

fn verb(set: bool) -> &'static str {
    if set {
        "set"
    } else {
        "remove"
    }
}
