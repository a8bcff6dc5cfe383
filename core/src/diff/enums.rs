//! Enum types: created before the columns that use them, dropped after those are gone,
//! and changed in the cheapest way PostgreSQL allows.
//!
//! PostgreSQL can rename a label and add one at a given position, but never remove or
//! move one. So a label removed, or labels reordered, means re-creating the type
//! ([`enum_recreation`](super::enum_recreation)); the down file of an added label is
//! the same procedure with the label left out.
//!
//! When each runs decides what it converts. Label renames and additions run first
//! (phase `AlterEnum`), so their inverses run last in the down file, against the
//! current schema as it is. A re-creation runs between the drops and the additions
//! (phase `RecreateEnum`): the columns, tables and objects that go are gone (with the
//! old type, in both files), nothing new exists yet, so everything added or changed
//! after it (a column, a default, a check naming a new label, a conversion to the type)
//! sees the new labels, and in the down file is undone before the old type is back.
//! Defaults of the converted columns belong to the re-creation: it sets the desired one
//! once the new type exists, and the current one in the down file once the old labels
//! are back (the column steps leave them alone).
//!
//! A label added by `ADD VALUE` cannot be used before its transaction commits: when a
//! later step reads the type (a default, a check, an index or a conversion on a column
//! of the type, or an expression naming it), the addition commits on its own, in a
//! migration file of its own.
use super::enum_recreation::{swap, SwapTable};
use super::{locked, step, with_hazards, with_note, Labels, Phase, Steps};
use crate::plan::{Hazard, Lock, Step};
use crate::schema::{EnumType, Function, Schema, View};
use crate::sql;

/// The enum steps that need no table pairing; the re-creations, which do, are
/// returned to be planned once it is known what exists when they run.
/// `views`: the views not already set aside for the whole plan.
pub(super) fn diff_enums<'a>(
    desired: &'a Schema,
    current: &'a Schema,
    views: &[View],
    steps: &mut Steps,
) -> Vec<Recreation<'a>> {
    let mut recreations = Vec::new();
    for d in &desired.enums {
        match find(current, d) {
            None => create(d, steps),
            Some(c) => recreations.extend(alter_enum(d, c, desired, current, views, steps)),
        }
    }
    // A type an excluded table still uses stays: strata leaves that table alone, and
    // PostgreSQL would refuse to drop the type under it (`diff -v` says it is kept).
    let kept: Vec<&EnumType> = current
        .enums_used_by_excluded()
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    for c in &current.enums {
        if find(desired, c).is_none() && !kept.iter().any(|k| std::ptr::eq(*k, c)) {
            drop_enum(c, steps);
        }
    }
    recreations
}

/// An enum type to re-create: removed or reordered labels.
pub(super) struct Recreation<'a> {
    pub desired: &'a EnumType,
    /// Its labels before the plan, once label renames ran: what the down file brings
    /// back.
    pub before: Vec<String>,
    /// A free name for the old type while the new one takes its place.
    pub free: String,
}

impl Recreation<'_> {
    /// The enum as a column's type spells it.
    pub fn sql_name(&self) -> String {
        sql::enum_name(self.desired)
    }

    /// The step, converting what `up` and `down` hold when each runs, and setting
    /// aside the `views` that read the type; and why it cannot be written, if so.
    pub fn step(
        &self,
        up: &[SwapTable],
        down: &[SwapTable],
        views: &[View],
        functions: &[Function],
    ) -> (Step, Vec<String>) {
        let d = self.desired;
        let t = sql::enum_name(d);
        let gone = |from: &[String], to: &[String]| -> Vec<String> {
            from.iter().filter(|l| !to.contains(l)).cloned().collect()
        };
        let up = swap(
            d,
            &d.labels,
            &self.free,
            up,
            views,
            functions,
            &gone(&self.before, &d.labels),
        );
        let down = swap(
            d,
            &self.before,
            &self.free,
            down,
            views,
            functions,
            &gone(&d.labels, &self.before),
        );
        let (users, blockers) = (up.users, up.blockers);
        let mut set_aside = up.views.clone();
        set_aside.extend(down.views.iter().filter(|v| !up.views.contains(v)).cloned());
        let mut excluded = up.excluded_tables;
        excluded.extend(down.excluded_tables);
        excluded.sort();
        excluded.dedup();
        let (up, down) = (up.statements, down.statements);
        let removed: Vec<&String> = self
            .before
            .iter()
            .filter(|l| !d.labels.contains(l))
            .collect();
        let added: Vec<&String> = d
            .labels
            .iter()
            .filter(|l| !self.before.contains(l))
            .collect();
        let what = if removed.is_empty() {
            "labels reordered".to_string()
        } else {
            format!("labels removed: {}", quoted_labels(&removed))
        };
        let mut s = step(
            format!(
                "re-create enum {t} ({what}; now {}){}",
                labels_list(&d.labels),
                converts_excluded(&excluded)
            ),
            up,
            down,
        );
        let mut hazards = Vec::new();
        if !set_aside.is_empty() {
            hazards.push(Hazard::RecreatesDependents);
            s.description
                .push_str(&format!("; sets aside {}", set_aside.join(", ")));
        }
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
        (with_hazards(s, &hazards), blockers)
    }
}

/// `; converts excluded tables a, b` when a swap converts columns of tables strata
/// otherwise leaves alone: said in the step, so whoever reviews it knows.
fn converts_excluded(tables: &[String]) -> String {
    match tables {
        [] => String::new(),
        [one] => format!("; converts the excluded table {one}"),
        many => format!("; converts the excluded tables {}", many.join(", ")),
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

/// `current` as it reads once the plan's label renames have run, where that changes
/// anything: PostgreSQL stores a label in a default by the label's identity, so after
/// `RENAME VALUE 'member' TO 'contributor'` a default `'member'::role` reads
/// `'contributor'::role` by itself. Compared as it was, the default would look changed
/// and be set again: harmless in the up file, but the down file would set the old
/// label before the rename back gives it its name again, which PostgreSQL refuses.
pub(super) fn with_labels_renamed(desired: &Schema, current: &Schema) -> Option<Schema> {
    let renames: Vec<(String, Vec<(String, String)>)> = current
        .enums
        .iter()
        .filter_map(|c| {
            let d = find(desired, c)?;
            let applicable = applicable_renames(d, c);
            (!applicable.is_empty()).then(|| {
                let pairs = applicable
                    .into_iter()
                    .map(|(o, n)| (o.to_string(), n.to_string()))
                    .collect();
                (sql::enum_name(c), pairs)
            })
        })
        .collect();
    if renames.is_empty() {
        return None;
    }
    let mut renamed = current.clone();
    // Expressions name a label as `'old'::type` (checks, index predicates and keys,
    // generated columns), whatever their column: each type's renames apply in them.
    let in_expressions = |text: &str| {
        renames.iter().fold(text.to_string(), |t, (ty, pairs)| {
            relabel_in_expression(&t, ty, pairs)
        })
    };
    for table in &mut renamed.tables {
        for check in &mut table.checks {
            check.expr = in_expressions(&check.expr);
            if let Some(w) = check.written.get_mut() {
                *w = in_expressions(w);
            }
        }
        for index in &mut table.indexes {
            index.predicate = index.predicate.as_deref().map(&in_expressions);
            for key in &mut index.keys {
                *key = in_expressions(key);
            }
            if let Some(w) = index.written.get_mut() {
                w.predicate = w.predicate.as_deref().map(&in_expressions);
                for key in &mut w.keys {
                    *key = in_expressions(key);
                }
            }
        }
        for column in &mut table.columns {
            column.generated = column.generated.as_deref().map(&in_expressions);
            if let Some(w) = column.written.get_mut() {
                w.generated = w.generated.as_deref().map(&in_expressions);
            }
        }
        for column in &mut table.columns {
            let scalar = column.ty.strip_suffix("[]").unwrap_or(&column.ty);
            let Some((_, pairs)) = renames.iter().find(|(t, _)| t == scalar) else {
                continue;
            };
            let rename = |text: &str| relabel(text, &column.ty, pairs);
            let canonical = column.default.as_deref().map(rename);
            let written = column
                .written
                .get()
                .and_then(|w| w.default.as_deref())
                .map(rename);
            if canonical.as_deref() != column.default.as_deref() {
                column.default = canonical;
                if let Some(texts) = column.written.get_mut() {
                    texts.default = written;
                }
            }
        }
    }
    Some(renamed)
}

/// `text` (an expression) with every `'old'::ty` literal renamed: `ty` must end there
/// (`'a'::mood` is not `'a'::mood_log`; `'a'::mood[]` is an array, left alone).
fn relabel_in_expression(text: &str, ty: &str, pairs: &[(String, String)]) -> String {
    let mut out = text.to_string();
    for (old, new) in pairs {
        let from = format!("{}::{ty}", sql::string_literal(old));
        let to = format!("{}::{ty}", sql::string_literal(new));
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(at) = rest.find(&from) {
            let after = &rest[at + from.len()..];
            result.push_str(&rest[..at]);
            result.push_str(if type_ends(after) { &to } else { &from });
            rest = after;
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// Whether `text` names `label` as a literal of type `ty` (`'sad'::mood`, not
/// `'sad'::mood_log`), as [`relabel_in_expression`] finds it.
pub(super) fn names_label(text: &str, ty: &str, label: &str) -> bool {
    let literal = format!("{}::{ty}", sql::string_literal(label));
    text.match_indices(&literal)
        .any(|(at, _)| type_ends(&text[at + literal.len()..]))
}

/// Whether the type name of a literal ends where `after` starts: `'a'::mood` is not
/// `'a'::mood_log` nor the array `'a'::mood[]`.
fn type_ends(after: &str) -> bool {
    after
        .chars()
        .next()
        .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '[' || c == '"' || c == '.'))
}

/// `text` (a default) with the labels renamed where it is a literal of type `ty`:
/// `'old'::ty`, or `'{old,other}'::ty` for an array type. Anything else is left as it
/// is (a default that only compares a label is rare, and would be set again).
fn relabel(text: &str, ty: &str, pairs: &[(String, String)]) -> String {
    let Some(literal) = text
        .strip_suffix(&format!("::{ty}"))
        .and_then(|l| l.strip_prefix('\''))
        .and_then(|l| l.strip_suffix('\''))
    else {
        return text.to_string();
    };
    let value = literal.replace("\'\'", "'");
    let renamed = |label: &str| {
        pairs
            .iter()
            .find(|(old, _)| old == label)
            .map_or_else(|| label.to_string(), |(_, new)| new.clone())
    };
    let relabelled = if ty.ends_with("[]") {
        let Some(inner) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) else {
            return text.to_string();
        };
        if inner.contains(['"', '\\']) {
            return text.to_string();
        }
        let labels: Vec<String> = if inner.is_empty() {
            Vec::new()
        } else {
            inner.split(',').map(renamed).collect()
        };
        if labels
            .iter()
            .any(|l| l.is_empty() || l.contains([',', '{', '}', ' ', '"', '\\']))
        {
            return text.to_string();
        }
        format!("{{{}}}", labels.join(","))
    } else {
        renamed(&value)
    };
    format!("{}::{ty}", sql::string_literal(&relabelled))
}

/// Whether `part` appears in `whole` in the same order (other labels may sit between).
fn is_subsequence(part: &[String], whole: &[String]) -> bool {
    let mut rest = whole.iter();
    part.iter().all(|p| rest.any(|w| w == p))
}

fn alter_enum<'a>(
    d: &'a EnumType,
    c: &EnumType,
    desired: &Schema,
    current: &Schema,
    views: &[View],
    steps: &mut Steps,
) -> Option<Recreation<'a>> {
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
        return None;
    }
    if is_subsequence(&renamed, &d.labels) {
        add_labels(d, &renamed, current, views, steps);
        return None;
    }
    Some(Recreation {
        desired: d,
        before: renamed,
        free: free_name(d, desired, current),
    })
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
fn add_labels(
    d: &EnumType,
    renamed: &[String],
    current: &Schema,
    views: &[View],
    steps: &mut Steps,
) {
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
    // It runs after everything else is undone, against the current schema as it is.
    let free = free_name(d, current, current);
    let world: Vec<SwapTable> = current
        .tables
        .iter()
        .map(SwapTable::as_is)
        .chain(
            current
                .excluded_tables
                .iter()
                .map(|x| SwapTable::excluded(x, x.table.foreign_keys.clone())),
        )
        .collect();
    // Nothing is renamed when it runs: no view can block it.
    let down = swap(
        d,
        renamed,
        &free,
        &world,
        views,
        &current.objects.functions,
        &added.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
    );
    let down_converts = if down.excluded_tables.is_empty() {
        String::new()
    } else {
        format!(
            " (the down file{})",
            converts_excluded(&down.excluded_tables)
        )
        .replacen("file;", "file", 1)
    };
    let mut s = step(
        format!(
            "add labels to enum {t}: {}{down_converts}",
            quoted_labels(&added)
        ),
        up,
        down.statements,
    );
    if !down.views.is_empty() {
        s.description.push_str(&format!(
            "; its down file sets aside {}",
            down.views.join(", ")
        ));
        s = with_hazards(s, &[Hazard::RecreatesDependents]);
    }
    let s = with_note(
        s,
        format!(
            "add labels to enum {t}: the type is re-created without them; reverting fails if rows hold them"
        ),
    );
    steps.push_with(
        Phase::AlterEnum,
        s,
        Labels {
            adds: Some((t, added.iter().map(|l| l.to_string()).collect())),
            reads: Default::default(),
        },
    );
}

/// A name for the old type while the new one takes its place: `<name>__old`, numbered
/// when taken by a type (enums, and tables' row types, excluded ones too) on either
/// side, and cut to PostgreSQL's 63 bytes.
fn free_name(e: &EnumType, desired: &Schema, current: &Schema) -> String {
    let taken = |name: &str| {
        [desired, current].iter().any(|s| {
            s.enums
                .iter()
                .any(|x| x.schema == e.schema && x.name == name)
                || s.tables
                    .iter()
                    .chain(s.excluded_tables.iter().map(|x| &x.table))
                    .any(|x| x.schema == e.schema && x.name == name)
                || s.excluded_enums
                    .iter()
                    .any(|x| x.enum_type.schema == e.schema && x.enum_type.name == name)
        })
    };
    super::renames::free_name(&e.name, "__old", taken)
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
    fn expressions_follow_a_label_renamed_where_the_type_ends() {
        let pairs = [("member".to_string(), "contributor".to_string())];
        assert_eq!(
            relabel_in_expression(
                "((role <> 'member'::member_role) OR (x = 'member'::member_role_x) OR (r = ANY ('{member}'::member_role[])))",
                "member_role",
                &pairs
            ),
            "((role <> 'contributor'::member_role) OR (x = 'member'::member_role_x) OR (r = ANY ('{member}'::member_role[])))"
        );
        assert_eq!(
            relabel_in_expression("'member'::member_role", "member_role", &pairs),
            "'contributor'::member_role"
        );
        assert_eq!(
            relabel("'{member,owner}'::member_role[]", "member_role[]", &pairs),
            "'{contributor,owner}'::member_role[]"
        );
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
