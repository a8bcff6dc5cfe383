//! Enum types: created before the columns that use them, dropped after those are gone,
//! and changed in the cheapest way PostgreSQL allows.
//!
//! PostgreSQL can rename a label and add one at a given position, but never remove or
//! move one. So a label removed, or labels reordered, means re-creating the type: the
//! old one is renamed out of the way, the new one created, every column using it
//! converted through `text` (its default dropped first and restored after, since the
//! default is typed with the old type), and the old type dropped. The down file of an
//! added label is the same procedure with the label left out.
//!
//! Which columns a re-creation converts depends on when it runs. The label renames and
//! additions run first (phase `AlterEnum`), so their inverses run last in the down file,
//! against the current schema's columns. A re-creation runs last (phase `RecreateEnum`,
//! once every column and table has its desired shape), against the desired schema's
//! columns, in both directions.
//!
//! A label added by `ADD VALUE` cannot be used before its transaction commits: when a
//! later step names it (a default, a check, an index predicate), the addition is marked
//! to commit on its own, and `render::render_migrations` gives it a file of its own.
//! Known limits, left to the person reviewing the file: a re-created type only has its
//! new labels at the end, so a step naming one of those fails; a check or partial index
//! comparing an enum column with a literal makes a re-creation fail (the literal keeps
//! the old type). Two migrations avoid both.
use super::{locked, step, with_hazards, with_note, Phase, Steps};
use crate::names::{qualified, quote_ident};
use crate::plan::{Hazard, Lock, Step};
use crate::schema::{EnumType, Schema};
use crate::sql;

pub(super) fn diff_enums(desired: &Schema, current: &Schema, steps: &mut Steps) {
    for d in &desired.enums {
        match find(current, d) {
            None => create(d, steps),
            Some(c) => alter_enum(d, c, desired, current, steps),
        }
    }
    for c in &current.enums {
        if find(desired, c).is_none() {
            drop_enum(c, steps);
        }
    }
}

fn find<'a>(schema: &'a Schema, e: &EnumType) -> Option<&'a EnumType> {
    schema
        .enums
        .iter()
        .find(|x| x.schema == e.schema && x.name == e.name)
}

fn labels_list(labels: &[String]) -> String {
    labels
        .iter()
        .map(|l| sql::string_literal(l))
        .collect::<Vec<_>>()
        .join(", ")
}

fn create(d: &EnumType, steps: &mut Steps) {
    let t = sql::enum_name(d);
    steps.push(
        Phase::CreateEnum,
        step(
            format!("create enum {t} ({})", labels_list(&d.labels)),
            vec![sql::create_enum(&t, &d.labels)],
            vec![format!("DROP TYPE {t}")],
        ),
    );
}

fn drop_enum(c: &EnumType, steps: &mut Steps) {
    let t = sql::enum_name(c);
    let s = step(
        format!("drop enum {t}"),
        vec![format!("DROP TYPE {t}")],
        vec![sql::create_enum(&t, &c.labels)],
    );
    steps.push(
        Phase::DropEnum,
        with_hazards(s, &[Hazard::BreaksOldClients]),
    );
}

/// The declared renames that apply: the old label is there and the new one is not
/// (once a rename has run, its hint is history and must not repeat).
fn applicable_renames<'a>(d: &'a EnumType, c: &EnumType) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for (old, new) in &d.label_renames {
        let applies = c.labels.contains(old)
            && !c.labels.contains(new)
            && d.labels.contains(new)
            && !out.iter().any(|(o, n)| o == old || n == new);
        if applies {
            out.push((old.as_str(), new.as_str()));
        }
    }
    out
}

/// Whether `part` appears in `whole` in the same order (other labels may sit between).
fn is_subsequence(part: &[String], whole: &[String]) -> bool {
    let mut rest = whole.iter();
    part.iter().all(|p| rest.any(|w| w == p))
}

fn alter_enum(d: &EnumType, c: &EnumType, desired: &Schema, current: &Schema, steps: &mut Steps) {
    let t = sql::enum_name(d);
    let renames = applicable_renames(d, c);
    if !renames.is_empty() {
        let rename = |from: &str, to: &str| {
            format!(
                "ALTER TYPE {t} RENAME VALUE {} TO {}",
                sql::string_literal(from),
                sql::string_literal(to)
            )
        };
        let words: Vec<String> = renames
            .iter()
            .map(|(o, n)| format!("{} -> {}", sql::string_literal(o), sql::string_literal(n)))
            .collect();
        let s = step(
            format!("rename labels of enum {t}: {}", words.join(", ")),
            renames.iter().map(|(o, n)| rename(o, n)).collect(),
            renames.iter().rev().map(|(o, n)| rename(n, o)).collect(),
        );
        steps.push(
            Phase::AlterEnum,
            with_hazards(s, &[Hazard::BreaksOldClients]),
        );
    }
    // The current labels once the renames have run.
    let renamed: Vec<String> = c
        .labels
        .iter()
        .map(|l| {
            renames
                .iter()
                .find(|(o, _)| o == l)
                .map_or_else(|| l.clone(), |(_, n)| n.to_string())
        })
        .collect();
    if renamed == d.labels {
        return;
    }
    let added: Vec<&String> = d.labels.iter().filter(|l| !renamed.contains(l)).collect();
    if is_subsequence(&renamed, &d.labels) {
        add_labels(d, &renamed, current, steps);
        return;
    }
    let removed: Vec<&String> = renamed.iter().filter(|l| !d.labels.contains(l)).collect();
    let free = free_name(d, desired, current);
    let (up, users) = recreate(d, &d.labels, desired, &free);
    let (down, _) = recreate(d, &renamed, desired, &free);
    let what = if removed.is_empty() {
        "labels reordered".to_string()
    } else {
        format!("labels removed: {}", quoted_labels(&removed))
    };
    let mut s = step(
        format!(
            "re-create enum {t} ({what}; now {})",
            labels_list(&d.labels)
        ),
        up,
        down,
    );
    let mut hazards = Vec::new();
    if !removed.is_empty() {
        hazards.extend([Hazard::DeletesData, Hazard::MayFailOnExistingRows]);
    }
    if users > 0 {
        hazards.extend([Hazard::RewritesTable, Hazard::BreaksOldClients]);
        s = locked(s, Lock::AccessExclusive);
    }
    if !added.is_empty() {
        s = with_note(
            s,
            format!(
                "re-create enum {t}: reverting fails if rows hold the labels it did not have: {}",
                quoted_labels(&added)
            ),
        );
    }
    if !removed.is_empty() {
        s = with_note(
            s,
            format!(
                "re-create enum {t}: the labels come back, not the rows that held them: {}",
                quoted_labels(&removed)
            ),
        );
    }
    steps.push(Phase::RecreateEnum, with_hazards(s, &hazards));
}

/// Label additions whose labels a later step of the plan names (a default, a check, an
/// index predicate, a conversion) must commit first: PostgreSQL refuses a label added
/// by `ALTER TYPE ... ADD VALUE` until its transaction commits. They get a transaction
/// (a migration file) of their own.
pub(super) fn commit_labels_used_later(steps: &mut [Step]) {
    for i in 0..steps.len() {
        let added: Vec<String> = steps[i].up.iter().filter_map(|s| added_label(s)).collect();
        if added.is_empty() {
            continue;
        }
        let used_later = steps[i + 1..]
            .iter()
            .flat_map(|s| &s.up)
            .any(|stmt| added.iter().any(|l| stmt.contains(l.as_str())));
        if used_later {
            steps[i].own_transaction = true;
        }
    }
}

/// `ALTER TYPE t ADD VALUE 'x' BEFORE 'y'` → `'x'`, the label as a literal.
fn added_label(stmt: &str) -> Option<String> {
    let rest = stmt.split_once(" ADD VALUE ")?.1;
    // A literal ends at a quote not followed by another (doubled quotes escape one).
    let mut chars = rest.char_indices().skip(1).peekable();
    while let Some((i, ch)) = chars.next() {
        if ch == '\'' {
            if chars.peek().is_some_and(|(_, c)| *c == '\'') {
                chars.next();
            } else {
                return Some(rest[..=i].to_string());
            }
        }
    }
    None
}

fn quoted_labels(labels: &[&String]) -> String {
    labels
        .iter()
        .map(|l| sql::string_literal(l))
        .collect::<Vec<_>>()
        .join(", ")
}

/// New labels at their declared places: `BEFORE` the next label the type already has,
/// or `AFTER` the previous one when none follows.
fn add_labels(d: &EnumType, renamed: &[String], current: &Schema, steps: &mut Steps) {
    let t = sql::enum_name(d);
    let mut present: Vec<&str> = renamed.iter().map(String::as_str).collect();
    let mut up = Vec::new();
    let mut added = Vec::new();
    for (i, label) in d.labels.iter().enumerate() {
        if present.contains(&label.as_str()) {
            continue;
        }
        let next = d.labels[i + 1..]
            .iter()
            .find(|l| present.contains(&l.as_str()));
        let position = match (next, i.checked_sub(1).map(|p| &d.labels[p])) {
            (Some(next), _) => format!(" BEFORE {}", sql::string_literal(next)),
            (None, Some(previous)) => format!(" AFTER {}", sql::string_literal(previous)),
            (None, None) => String::new(),
        };
        up.push(format!(
            "ALTER TYPE {t} ADD VALUE {}{position}",
            sql::string_literal(label)
        ));
        present.push(label);
        added.push(label);
    }
    // PostgreSQL cannot drop a label: the inverse re-creates the type without them.
    // It runs after everything else is undone, so it converts the current columns.
    let free = free_name(d, current, current);
    let (down, _) = recreate(d, renamed, current, &free);
    let s = step(
        format!("add labels to enum {t}: {}", quoted_labels(&added)),
        up,
        down,
    );
    steps.push(
        Phase::AlterEnum,
        with_note(
            s,
            format!(
                "add labels to enum {t}: the type is re-created without them; reverting fails if rows hold them"
            ),
        ),
    );
}

/// Re-creates the enum with `labels`, converting every column of `columns_of` whose
/// type is the enum or an array of it. Returns the statements and how many columns
/// they convert.
fn recreate(
    e: &EnumType,
    labels: &[String],
    columns_of: &Schema,
    free: &str,
) -> (Vec<String>, usize) {
    let t = sql::enum_name(e);
    let array = format!("{t}[]");
    let mut out = vec![
        format!("ALTER TYPE {t} RENAME TO {}", quote_ident(free)),
        sql::create_enum(&t, labels),
    ];
    let mut users = 0;
    for table in &columns_of.tables {
        let tn = sql::table_name(table);
        for c in table.columns.iter().filter(|c| c.ty == t || c.ty == array) {
            users += 1;
            let col = quote_ident(&c.name);
            let default = c.default_sql().filter(|_| !c.serial);
            if default.is_some() {
                // The default is typed with the old type and would not convert.
                out.push(sql::alter_column(&tn, &c.name, "DROP DEFAULT"));
            }
            // A generated column is computed again; PostgreSQL refuses USING for it.
            let using = match (c.generated.is_some(), c.ty == array) {
                (true, _) => String::new(),
                (false, true) => format!(" USING {col}::text[]::{array}"),
                (false, false) => format!(" USING {col}::text::{t}"),
            };
            out.push(sql::alter_column(
                &tn,
                &c.name,
                &format!("TYPE {}{using}", c.ty),
            ));
            if let Some(default) = default {
                out.push(sql::alter_column(
                    &tn,
                    &c.name,
                    &format!("SET DEFAULT {default}"),
                ));
            }
        }
    }
    out.push(format!("DROP TYPE {}", qualified(&e.schema, free)));
    (out, users)
}

/// A name for the old type while the new one takes its place: `<name>__old`, numbered
/// when taken by a type (enums, and tables' row types) on either side, and cut to
/// PostgreSQL's 63 bytes.
fn free_name(e: &EnumType, desired: &Schema, current: &Schema) -> String {
    let taken = |name: &str| {
        [desired, current].iter().any(|s| {
            s.enums
                .iter()
                .any(|x| x.schema == e.schema && x.name == name)
                || s.tables
                    .iter()
                    .any(|x| x.schema == e.schema && x.name == name)
        })
    };
    let mut pass = 0u32;
    loop {
        let suffix = if pass == 0 {
            "__old".to_string()
        } else {
            format!("__old{pass}")
        };
        let mut end = e.name.len().min(63 - suffix.len());
        while !e.name.is_char_boundary(end) {
            end -= 1;
        }
        let name = format!("{}{suffix}", &e.name[..end]);
        if !taken(&name) {
            return name;
        }
        pass += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Table;

    fn e(name: &str) -> EnumType {
        EnumType {
            schema: "public".into(),
            name: name.into(),
            labels: vec![],
            label_renames: vec![],
        }
    }

    #[test]
    fn the_old_type_takes_a_free_name_of_at_most_63_bytes() {
        let mut s = Schema::default();
        assert_eq!(free_name(&e("status"), &s, &s), "status__old");
        s.enums.push(e("status__old"));
        s.tables.push(Table::new("public", "status__old1", vec![]));
        assert_eq!(
            free_name(&e("status"), &s, &Schema::default()),
            "status__old2"
        );
        let long = "é".repeat(31) + "x";
        let name = free_name(&e(&long), &Schema::default(), &Schema::default());
        assert!(name.len() <= 63 && name.ends_with("__old"), "{name}");
    }

    #[test]
    fn renames_apply_once() {
        let mut d = e("s");
        d.labels = vec!["a".into(), "b2".into()];
        d.label_renames = vec![("b".into(), "b2".into())];
        let mut c = e("s");
        c.labels = vec!["a".into(), "b".into()];
        assert_eq!(applicable_renames(&d, &c), vec![("b", "b2")]);
        assert!(applicable_renames(&d, &d).is_empty());
    }
}
