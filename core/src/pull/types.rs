//! The type map read backwards: a column's type as `format_type` spells it → the Rust
//! type strata maps to it, with `length` / `precision` / `scale`; `sql_type` for a type
//! outside the map.

use crate::entity::RustType;
use crate::schema::Domain;
use std::collections::HashMap;

/// How a column's type is declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    pub ty: RustType,
    pub length: Option<u32>,
    pub precision: Option<u32>,
    pub scale: Option<u32>,
    /// The type verbatim, when the map has none for it: `ty` is then only the Rust
    /// type the field is given (String, or what a domain's base type maps to).
    pub sql_type: Option<String>,
}

impl Mapped {
    fn plain(ty: RustType) -> Mapped {
        Mapped {
            ty,
            length: None,
            precision: None,
            scale: None,
            sql_type: None,
        }
    }
}

/// What the map needs to know of the schema: enum types by their column spelling
/// (→ the enum's Rust name) and domains by theirs (→ their base type).
#[derive(Default)]
pub struct TypeContext {
    pub enums: HashMap<String, String>,
    pub domains: HashMap<String, String>,
}

impl TypeContext {
    pub fn add_domains(&mut self, domains: &[Domain]) {
        for d in domains {
            self.domains.insert(
                crate::names::qualified_type(&d.schema, &d.name),
                d.base_type.clone(),
            );
        }
    }
}

/// Maps a column type.
pub fn map(sql: &str, cx: &TypeContext) -> Mapped {
    let (base, array) = match sql.strip_suffix("[]") {
        Some(inner) => (inner, true),
        None => (sql, false),
    };
    let wrap = |m: Mapped| {
        if array {
            Mapped {
                ty: RustType::Array(Box::new(m.ty)),
                ..m
            }
        } else {
            m
        }
    };
    if let Some(m) = scalar(base, cx) {
        return wrap(m);
    }
    // Outside the map: the type verbatim, and a Rust type that holds it as well as
    // strata can tell (a domain's base type's, else String).
    let unmodified = match (base.find('('), base.find(')')) {
        (Some(open), Some(close)) if open < close => {
            format!("{}{}", &base[..open], &base[close + 1..])
        }
        _ => base.to_string(),
    };
    let rust = cx
        .domains
        .get(base)
        .and_then(|b| scalar(b, cx))
        .or_else(|| scalar(&unmodified, cx))
        .map(|m| m.ty)
        .filter(|t| !matches!(t, RustType::Named(_)))
        .unwrap_or(RustType::String);
    let ty = if array {
        RustType::Array(Box::new(rust))
    } else {
        rust
    };
    Mapped {
        sql_type: Some(sql.to_string()),
        ..Mapped::plain(ty)
    }
}

/// `name(n)` → n; `name(a,b)` → (a, b).
fn modifiers(sql: &str, name: &str) -> Option<Vec<u32>> {
    let rest = sql.strip_prefix(name)?.strip_prefix('(')?;
    let inner = rest.strip_suffix(')').or_else(|| {
        let (inner, _) = rest.split_once(')')?;
        Some(inner)
    })?;
    inner
        .split(',')
        .map(|n| n.trim().parse::<u32>().ok().filter(|n| *n > 0))
        .collect()
}

/// `timestamp(3) with time zone` → (3, ` with time zone`).
fn with_precision<'a>(sql: &'a str, name: &str) -> Option<(Option<u32>, &'a str)> {
    let rest = sql.strip_prefix(name)?;
    if let Some(after) = rest.strip_prefix('(') {
        let (n, tail) = after.split_once(')')?;
        let n = n.trim().parse::<u32>().ok().filter(|n| *n > 0)?;
        Some((Some(n), tail))
    } else {
        Some((None, rest))
    }
}

fn scalar(sql: &str, cx: &TypeContext) -> Option<Mapped> {
    let simple = match sql {
        "boolean" => Some(RustType::Bool),
        "smallint" => Some(RustType::I16),
        "integer" => Some(RustType::I32),
        "bigint" => Some(RustType::I64),
        "real" => Some(RustType::F32),
        "double precision" => Some(RustType::F64),
        "text" => Some(RustType::String),
        "bytea" => Some(RustType::Bytes),
        "uuid" => Some(RustType::Uuid),
        "date" => Some(RustType::Date),
        "numeric" => Some(RustType::Decimal),
        "jsonb" => Some(RustType::Json),
        "inet" => Some(RustType::Inet),
        _ => None,
    };
    if let Some(ty) = simple {
        return Some(Mapped::plain(ty));
    }
    if let Some(rust) = cx.enums.get(sql) {
        return Some(Mapped::plain(RustType::Named(rust.clone())));
    }
    if let Some(m) = modifiers(sql, "character varying") {
        if let [n] = m.as_slice() {
            if sql == format!("character varying({n})") {
                return Some(Mapped {
                    length: Some(*n),
                    ..Mapped::plain(RustType::String)
                });
            }
        }
    }
    if let Some(m) = modifiers(sql, "numeric") {
        if let [p, s] = m.as_slice() {
            if sql == format!("numeric({p},{s})") {
                return Some(Mapped {
                    precision: Some(*p),
                    scale: (*s > 0).then_some(*s),
                    ..Mapped::plain(RustType::Decimal)
                });
            }
        }
    }
    if sql == "numeric(1,0)" || sql.starts_with("numeric(") && sql.ends_with(",0)") {
        // numeric(p,0): scale 0 is a modifier the parser refuses (it must be positive).
        let p = sql
            .trim_start_matches("numeric(")
            .trim_end_matches(",0)")
            .parse::<u32>()
            .ok()?;
        return Some(Mapped {
            precision: Some(p),
            ..Mapped::plain(RustType::Decimal)
        });
    }
    for (name, tail, ty) in [
        ("timestamp", " with time zone", RustType::TimestampTz),
        ("timestamp", " without time zone", RustType::Timestamp),
        ("time", " without time zone", RustType::Time),
    ] {
        if let Some((precision, rest)) = with_precision(sql, name) {
            if rest == tail {
                return Some(Mapped {
                    precision,
                    ..Mapped::plain(ty)
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(sql: &str) -> Mapped {
        let mut cx = TypeContext::default();
        cx.enums.insert("mood".into(), "Mood".into());
        cx.domains
            .insert("money_amount".into(), "numeric(12,2)".into());
        map(sql, &cx)
    }

    #[test]
    fn the_type_map_backwards() {
        assert_eq!(m("bigint").ty, RustType::I64);
        assert_eq!(m("character varying(320)").length, Some(320));
        let n = m("numeric(12,2)");
        assert_eq!(
            (n.ty, n.precision, n.scale),
            (RustType::Decimal, Some(12), Some(2))
        );
        let n = m("numeric(10,0)");
        assert_eq!((n.precision, n.scale), (Some(10), None));
        let t = m("timestamp(3) with time zone");
        assert_eq!((t.ty, t.precision), (RustType::TimestampTz, Some(3)));
        assert_eq!(m("timestamp without time zone").ty, RustType::Timestamp);
        assert_eq!(m("integer[]").ty, RustType::Array(Box::new(RustType::I32)));
        assert_eq!(
            m("mood[]").ty,
            RustType::Array(Box::new(RustType::Named("Mood".into())))
        );
        let v = m("character varying");
        assert_eq!(
            (v.ty, v.sql_type.as_deref()),
            (RustType::String, Some("character varying"))
        );
        let d = m("money_amount");
        assert_eq!(
            (d.ty, d.sql_type.as_deref()),
            (RustType::Decimal, Some("money_amount"))
        );
        assert_eq!(m("interval").sql_type.as_deref(), Some("interval"));
        let t = m("timestamp(0) without time zone");
        assert_eq!(
            (t.ty, t.sql_type.as_deref()),
            (RustType::Timestamp, Some("timestamp(0) without time zone"))
        );
        assert_eq!(
            m("time with time zone").sql_type.as_deref(),
            Some("time with time zone")
        );
    }
}
