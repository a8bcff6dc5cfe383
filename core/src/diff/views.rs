//! Views strata does not manage, set aside around a step PostgreSQL refuses while they
//! read what it changes ("cannot alter type of a column used by a view or rule"): each
//! is dropped before the step, after the views that read it, and created again after
//! it from its definition as PostgreSQL printed it, with its options, comments and
//! grants, before the views that read it.
//!
//! A view is created again from the text read before the plan. When the plan renamed a
//! table or column that the view reads before the step runs, that text names what is
//! no longer there: strata then refuses to write the plan and says why, rather than
//! write a migration that fails.
use crate::names::qualified;
use crate::schema::{View, ViewDependency};
use crate::sql;

/// The statements that set views aside, and what stops strata from doing it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct SetAside {
    /// `DROP VIEW`s, the views that read others first.
    pub drop: Vec<String>,
    /// `CREATE VIEW`s and what goes with each, in the opposite order.
    pub create: Vec<String>,
    /// Why a view cannot be set aside and created again.
    pub blockers: Vec<String>,
    /// The views set aside (`view public.v`), in the order they are dropped.
    pub names: Vec<String>,
    /// Whether one is materialized: creating it again fills it.
    pub materialized: bool,
    /// Which of the views given were set aside.
    pub aside: Vec<bool>,
}

/// Sets aside every view for which `changed` holds, and every view reading one of
/// those. `renamed` names what the plan renamed, before the step, of a relation or
/// column a view reads (`table entry`, `column entry.mood`); `step` names the step for
/// a refusal.
pub(super) fn set_aside(
    views: &[View],
    changed: impl Fn(&View) -> bool,
    renamed: impl Fn(&ViewDependency) -> Option<String>,
    step: &str,
) -> SetAside {
    let mut aside: Vec<usize> = (0..views.len()).filter(|&i| changed(&views[i])).collect();
    // Views reading a view set aside go too.
    let mut k = 0;
    while k < aside.len() {
        let v = &views[aside[k]];
        for (i, other) in views.iter().enumerate() {
            let reads_it = other
                .reads
                .iter()
                .any(|d| d.schema == v.schema && d.relation == v.name);
            if reads_it && !aside.contains(&i) {
                aside.push(i);
            }
        }
        k += 1;
    }
    let mut out = SetAside::default();
    // Dropped readers first: a view goes once no view still standing reads it.
    let mut standing = aside.clone();
    let mut order = Vec::new();
    while !standing.is_empty() {
        let free = standing
            .iter()
            .position(|&i| {
                !standing.iter().any(|&j| {
                    j != i
                        && views[j]
                            .reads
                            .iter()
                            .any(|d| d.schema == views[i].schema && d.relation == views[i].name)
                })
            })
            .unwrap_or(0);
        order.push(standing.remove(free));
    }
    for &i in &order {
        let v = &views[i];
        let name = qualified(&v.schema, &v.name);
        if let Some(why) = cannot_recreate(v, &renamed) {
            out.blockers.push(format!(
                "{} {name} reads what {step} changes, and strata cannot create it again: {why}. \
                 Drop it in a migration of its own before this one (`strata create`), and create \
                 it again after",
                kind(v)
            ));
            continue;
        }
        out.drop.push(format!("DROP {} {name}", kind_sql(v)));
        out.names.push(format!("{} {name}", kind(v)));
        out.materialized |= v.materialized;
    }
    out.aside = (0..views.len()).map(|i| aside.contains(&i)).collect();
    for &i in order.iter().rev() {
        let v = &views[i];
        if cannot_recreate(v, &renamed).is_none() {
            out.create.extend(create(v));
        }
    }
    out
}

pub(super) fn kind(v: &View) -> &'static str {
    if v.materialized {
        "materialized view"
    } else {
        "view"
    }
}

fn kind_sql(v: &View) -> &'static str {
    if v.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    }
}

fn cannot_recreate(
    v: &View,
    renamed: &impl Fn(&ViewDependency) -> Option<String>,
) -> Option<String> {
    if let Some(pattern) = &v.excluded_by {
        return Some(format!(
            "strata.toml's `exclude` names it ({pattern:?}), and strata never drops what it excludes"
        ));
    }
    if v.has_triggers_or_rules {
        return Some("it has triggers or rules of its own".into());
    }
    if v.has_indexes {
        return Some("it has indexes".into());
    }
    v.reads
        .iter()
        .find_map(renamed)
        .map(|what| format!("it reads {what}, which this migration renames first"))
}

/// `CREATE VIEW` as it was, with its options, comments and grants.
pub(crate) fn create(v: &View) -> Vec<String> {
    let name = qualified(&v.schema, &v.name);
    let with = if v.options.is_empty() {
        String::new()
    } else {
        format!(" WITH ({})", v.options.join(", "))
    };
    let mut out = vec![format!(
        "CREATE {} {name}{with} AS\n{}",
        kind_sql(v),
        v.definition
    )];
    if let Some(comment) = &v.comment {
        out.push(format!(
            "COMMENT ON {} {name} IS {}",
            kind_sql(v),
            sql::string_literal(comment)
        ));
    }
    for c in &v.column_comments {
        out.push(sql::comment_on_column(&name, &c.column, Some(&c.comment)));
    }
    if let Some(owner) = &v.owner {
        out.push(format!("ALTER {} {name} OWNER TO {owner}", kind_sql(v)));
    }
    for g in &v.grants {
        out.push(format!(
            "GRANT {} ON {name} TO {}{}",
            g.privilege,
            g.grantee,
            if g.with_grant_option {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ViewGrant;

    fn view(name: &str, reads: &[(&str, Option<&str>)]) -> View {
        View {
            schema: "public".into(),
            name: name.into(),
            materialized: false,
            definition: format!(" SELECT 1 AS x FROM {name}_source"),
            options: vec![],
            comment: None,
            column_comments: vec![],
            grants: vec![],
            reads: reads
                .iter()
                .map(|(relation, column)| ViewDependency {
                    schema: "public".into(),
                    relation: relation.to_string(),
                    column: column.map(String::from),
                })
                .collect(),
            types: vec![],
            has_triggers_or_rules: false,
            has_indexes: false,
            columns: vec![],
            owner: None,
            excluded_by: None,
            indexes: vec![],
        }
    }

    #[test]
    fn views_on_views_go_first_and_come_back_last() {
        let base = view("base", &[("t", Some("status"))]);
        let mut top = view("top", &[("base", Some("x"))]);
        top.comment = Some("it's on top".into());
        top.grants = vec![ViewGrant {
            grantee: "reader".into(),
            privilege: "SELECT".into(),
            with_grant_option: false,
        }];
        let unrelated = view("other", &[("u", None)]);
        let views = [top, unrelated, base];
        let s = set_aside(
            &views,
            |v| {
                v.reads
                    .iter()
                    .any(|d| d.column.as_deref() == Some("status"))
            },
            |_| None,
            "the step",
        );
        assert_eq!(s.drop, ["DROP VIEW top", "DROP VIEW base"]);
        assert_eq!(
            s.create,
            [
                "CREATE VIEW base AS\n SELECT 1 AS x FROM base_source",
                "CREATE VIEW top AS\n SELECT 1 AS x FROM top_source",
                "COMMENT ON VIEW top IS 'it''s on top'",
                "GRANT SELECT ON top TO reader",
            ]
        );
        assert!(s.blockers.is_empty());
    }

    #[test]
    fn a_view_reading_what_the_plan_renamed_is_refused() {
        let views = [view("v", &[("t", Some("status"))])];
        let s = set_aside(
            &views,
            |_| true,
            |d| (d.relation == "t").then(|| "table t".to_string()),
            "re-creating enum status",
        );
        assert!(s.drop.is_empty() && s.create.is_empty());
        assert_eq!(s.blockers.len(), 1);
        assert!(
            s.blockers[0].contains("reads table t, which"),
            "{:?}",
            s.blockers
        );
    }

    #[test]
    fn an_excluded_view_is_never_set_aside() {
        let mut v = view("v", &[("t", Some("status"))]);
        v.excluded_by = Some("v*".into());
        let s = set_aside(&[v], |_| true, |_| None, "re-creating enum status");
        assert!(s.drop.is_empty() && s.create.is_empty());
        assert_eq!(s.blockers.len(), 1);
        assert!(
            s.blockers[0].contains("strata.toml's `exclude` names it (\"v*\")"),
            "{:?}",
            s.blockers
        );
    }
}
