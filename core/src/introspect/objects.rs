//! Every object of the managed schemas besides tables, enums and views, in ONE query:
//! each kind's file holds a `SELECT kind, body` whose body is the object as JSON in
//! the model's shape, and this file sends them as one `UNION ALL`, so that a new kind
//! adds no round trip. The dependency graph is the one other query
//! ([`super::dependencies`]).
use super::{composites, dependencies, domains, functions, owners, partitions, policies};
use super::{rules, schema_properties, sequences, table_properties, triggers};
use super::{unexpected, Catalog};
use crate::schema::{Dependency, ObjectRef, Objects};
use sqlx::Row;
use std::sync::OnceLock;

fn sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        [
            domains::SQL,
            composites::SQL,
            sequences::SQL,
            functions::SQL,
            table_properties::SQL,
            schema_properties::SQL,
            partitions::SQL,
            triggers::SQL,
            rules::SQL,
            policies::SQL,
            owners::SQL,
        ]
        .join("\nUNION ALL\n")
    })
}

fn bad_json(kind: &str, e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(format!("cannot read a {kind} from the catalog: {e}").into())
}

/// Reads every object kind but the dependencies.
pub(super) async fn fetch(catalog: &mut Catalog<'_>) -> Result<Objects, sqlx::Error> {
    let mut objects = Objects::default();
    let rows = catalog
        .map_rows(sql(), |row| {
            Ok((
                row.try_get::<String, _>("kind")?,
                row.try_get::<String, _>("body")?,
            ))
        })
        .await?;
    for (kind, body) in rows {
        let o = &mut objects;
        let e = |e| bad_json(&kind, e);
        match kind.as_str() {
            "domain" => o.domains.push(domains::parse(&body).map_err(e)?),
            "composite" => o.composites.push(composites::parse(&body).map_err(e)?),
            "sequence" => o.sequences.push(sequences::parse(&body).map_err(e)?),
            "function" => o.functions.push(functions::parse(&body).map_err(e)?),
            "table" => o
                .table_properties
                .push(table_properties::parse(&body).map_err(e)?),
            "schema" => o
                .schema_properties
                .push(schema_properties::parse(&body).map_err(e)?),
            "partition" => o.partitions.push(partitions::parse(&body).map_err(e)?),
            "trigger" => o.triggers.push(triggers::parse(&body).map_err(e)?),
            "rule" => o.rules.push(rules::parse(&body).map_err(e)?),
            "policy" => o.policies.push(policies::parse(&body).map_err(e)?),
            "owner" => o.owners.push(owners::parse(&body).map_err(e)?),
            other => return Err(unexpected("object kind", other)),
        }
    }
    Ok(objects)
}

/// Reads the dependency graph (see [`super::dependencies`]).
pub(super) async fn fetch_dependencies(
    catalog: &mut Catalog<'_>,
) -> Result<Vec<Dependency>, sqlx::Error> {
    let rows = catalog
        .map_rows(dependencies::SQL, |row| {
            let end =
                |class: &str, id: &str, sub: &str| -> Result<dependencies::End, sqlx::Error> {
                    Ok((row.try_get(class)?, row.try_get(id)?, row.try_get(sub)?))
                };
            let kind: &str = row.try_get("row_kind")?;
            Ok(match kind {
                "edge" => dependencies::Row::Edge {
                    dependent: end("class", "id", "sub")?,
                    referenced: end("ref_class", "ref_id", "ref_sub")?,
                },
                "dependent" => {
                    dependencies::Row::Dependent(end("class", "id", "sub")?, row.try_get("name")?)
                }
                _ => {
                    dependencies::Row::Referenced(end("class", "id", "sub")?, row.try_get("name")?)
                }
            })
        })
        .await?;
    let mut edges = dependencies::join(rows).map_err(|e| bad_json("dependency", e))?;
    edges.retain(|d| !is_self_reference(d));
    Ok(edges)
}

/// A view's rule reads the view's own columns; a column's default may name its own
/// column: no edge for a plan to follow.
fn is_self_reference(d: &Dependency) -> bool {
    fn relation(o: &ObjectRef) -> Option<(&str, &str)> {
        match o {
            ObjectRef::View { schema, name } | ObjectRef::Table { schema, name } => {
                Some((schema, name))
            }
            ObjectRef::Column {
                schema, relation, ..
            } => Some((schema, relation)),
            _ => None,
        }
    }
    d.dependent == d.referenced
        || matches!(d.dependent, ObjectRef::View { .. })
            && relation(&d.dependent).is_some()
            && relation(&d.dependent) == relation(&d.referenced)
}
