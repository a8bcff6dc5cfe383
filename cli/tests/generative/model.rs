//! A model of an entity set: what the generator builds and evolves, what it renders as
//! Rust entity source for the real `strata` binary, and what it knows about the rows it
//! inserted (so it can promise which of them survive a step).

use std::fmt::Write;

/// A deterministic random source (SplitMix64): a seed replays a whole run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// Width in bytes: 2, 4, 8.
    Int(u8),
    Text,
    Varchar(u32),
    Bool,
    Float,
    Numeric(u32, u32),
    Date,
    Timestamptz,
    TextArray,
    /// Index into `Model::enums`.
    Enum(usize),
    EnumArray(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdKind {
    Plain,
    Identity,
    Serial,
}

#[derive(Debug, Clone)]
pub struct Column {
    /// Stays with the column through renames and type changes.
    pub uid: usize,
    pub name: String,
    pub renamed_from: Option<String>,
    pub ty: Ty,
    pub nullable: bool,
    /// A SQL default, as declared.
    pub default: Option<String>,
    /// A check; `{}` stands for the column's name.
    pub check: Option<String>,
    /// A field-level index: `Some(None)` plain, `Some(Some(predicate))` partial, with
    /// `{}` for the column's name.
    pub index: Option<Option<String>>,
    pub unique: bool,
    /// The struct name of the table it references (by its primary key).
    pub references: Option<String>,
    /// Whether a row holds NULL in it (it cannot become NOT NULL then).
    pub holds_null: bool,
    /// Whether rows were inserted with distinct values (it may become unique).
    pub distinct: bool,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub struct_name: String,
    pub name: String,
    pub renamed_from: Option<String>,
    pub id_kind: IdKind,
    pub id_width: u8,
    pub columns: Vec<Column>,
    /// Struct-level expression indexes: (name, expr with `{}` for the column, column).
    pub expr_indexes: Vec<(String, String, String)>,
    /// The next row id.
    pub next_row: i64,
}

#[derive(Debug, Clone)]
pub struct Enum {
    pub rust_name: String,
    pub name: String,
    pub labels: Vec<String>,
    /// Labels some row holds: never removed.
    pub used: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub enums: Vec<Enum>,
    pub tables: Vec<Table>,
    /// Counter for fresh names.
    pub fresh: usize,
}

fn camel(name: &str) -> String {
    name.split('_')
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

impl Ty {
    pub fn is_int(&self) -> bool {
        matches!(self, Ty::Int(_))
    }

    pub fn is_texty(&self) -> bool {
        matches!(self, Ty::Text | Ty::Varchar(_))
    }

    fn rust(&self, model: &Model) -> String {
        match self {
            Ty::Int(2) => "i16".into(),
            Ty::Int(4) => "i32".into(),
            Ty::Int(_) => "i64".into(),
            Ty::Text | Ty::Varchar(_) => "String".into(),
            Ty::Bool => "bool".into(),
            Ty::Float => "f64".into(),
            Ty::Numeric(..) => "rust_decimal::Decimal".into(),
            Ty::Date => "chrono::NaiveDate".into(),
            Ty::Timestamptz => "chrono::DateTime<chrono::Utc>".into(),
            Ty::TextArray => "Vec<String>".into(),
            Ty::Enum(e) => model.enums[*e].rust_name.clone(),
            Ty::EnumArray(e) => format!("Vec<{}>", model.enums[*e].rust_name),
        }
    }

    /// The attribute keys the type needs (`length = 20`).
    fn keys(&self) -> Vec<String> {
        match self {
            Ty::Varchar(n) => vec![format!("length = {n}")],
            Ty::Numeric(p, 0) => vec![format!("precision = {p}")],
            Ty::Numeric(p, s) => vec![format!("precision = {p}"), format!("scale = {s}")],
            _ => vec![],
        }
    }

    /// A SQL literal of the type for row `n` (distinct per `n` where the type allows).
    pub fn value(&self, n: i64, model: &Model) -> String {
        match self {
            Ty::Int(_) => format!("{}", n % 30000),
            Ty::Text | Ty::Varchar(_) => format!("'v{}'", n % 1000),
            Ty::Bool => (n % 2 == 0).to_string(),
            Ty::Float => format!("{}.5", n % 1000),
            Ty::Numeric(p, s) => {
                let int_digits = p.saturating_sub(*s).clamp(1, 3);
                let max = 10i64.pow(int_digits) - 1;
                if *s > 0 {
                    format!("{}.{}", n % (max + 1), "1".repeat(*s as usize))
                } else {
                    format!("{}", n % (max + 1))
                }
            }
            Ty::Date => format!("'2024-01-{:02}'", n % 28 + 1),
            Ty::Timestamptz => format!("'2024-01-02 03:04:{:02}+00'", n % 60),
            Ty::TextArray => format!("ARRAY['a{}', 'b']", n % 100),
            Ty::Enum(e) => {
                let labels = &model.enums[*e].labels;
                format!("'{}'", labels[n as usize % labels.len()])
            }
            Ty::EnumArray(e) => {
                let labels = &model.enums[*e].labels;
                format!(
                    "'{{{}}}'::{}[]",
                    labels[n as usize % labels.len()],
                    model.enums[*e].name
                )
            }
        }
    }

    /// Enum labels a value of row `n` holds.
    pub fn labels_used(&self, n: i64, model: &Model) -> Option<(usize, String)> {
        match self {
            Ty::Enum(e) | Ty::EnumArray(e) => {
                let labels = &model.enums[*e].labels;
                Some((*e, labels[n as usize % labels.len()].clone()))
            }
            _ => None,
        }
    }
}

impl Model {
    pub fn fresh(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    pub fn table(&self, struct_name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.struct_name == struct_name)
    }

    /// Whether some column of another table references `struct_name`.
    pub fn is_referenced(&self, struct_name: &str) -> bool {
        self.tables.iter().any(|t| {
            t.columns
                .iter()
                .any(|c| c.references.as_deref() == Some(struct_name))
        })
    }

    /// The entity source.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for e in &self.enums {
            writeln!(
                out,
                "#[derive(sqlx::Type, strata::DbEnum)]\n#[sqlx(type_name = \"{}\", rename_all = \"snake_case\")]\npub enum {} {{",
                e.name, e.rust_name
            )
            .unwrap();
            for l in &e.labels {
                writeln!(out, "    {},", camel(l)).unwrap();
            }
            out.push_str("}\n\n");
        }
        for t in &self.tables {
            let mut keys = vec![format!("table_name = \"{}\"", t.name)];
            if let Some(old) = &t.renamed_from {
                keys.push(format!("renamed_from = \"{old}\""));
            }
            for (name, expr, column) in &t.expr_indexes {
                keys.push(format!(
                    "index(expr = \"{}\", name = \"{name}\")",
                    expr.replace("{}", column)
                ));
            }
            writeln!(
                out,
                "#[derive(strata::Entity)]\n#[entity({})]\npub struct {} {{",
                keys.join(", "),
                t.struct_name
            )
            .unwrap();
            let id_key = match t.id_kind {
                IdKind::Plain => "primary_key",
                IdKind::Identity => "primary_key, identity",
                IdKind::Serial => "primary_key, serial",
            };
            writeln!(
                out,
                "    #[entity({id_key})]\n    pub id: {},",
                Ty::Int(t.id_width).rust(self)
            )
            .unwrap();
            for c in &t.columns {
                let mut keys = c.ty.keys();
                if let Some(old) = &c.renamed_from {
                    keys.push(format!("renamed_from = \"{old}\""));
                }
                if let Some(d) = &c.default {
                    keys.push(format!("default = \"{}\"", d.replace('"', "\\\"")));
                }
                if let Some(check) = &c.check {
                    keys.push(format!("check = \"{}\"", check.replace("{}", &c.name)));
                }
                match &c.index {
                    Some(None) => keys.push("index".into()),
                    Some(Some(p)) => {
                        keys.push(format!("index(where = \"{}\")", p.replace("{}", &c.name)))
                    }
                    None => {}
                }
                if c.unique {
                    keys.push("unique".into());
                }
                if let Some(r) = &c.references {
                    keys.push(format!("foreign_key({r})"));
                }
                let attr = if keys.is_empty() {
                    String::new()
                } else {
                    format!("    #[entity({})]\n", keys.join(", "))
                };
                let ty = c.ty.rust(self);
                let ty = if c.nullable {
                    format!("Option<{ty}>")
                } else {
                    ty
                };
                writeln!(out, "{attr}    pub {}: {ty},", c.name).unwrap();
            }
            out.push_str("}\n\n");
        }
        out
    }

    /// `INSERT`s of `count` rows into every table, with values every constraint of the
    /// model accepts; records what the rows hold.
    pub fn insert_rows(&mut self, rng: &mut Rng, count: usize) -> String {
        let mut sql = String::new();
        for ti in 0..self.tables.len() {
            for _ in 0..count {
                let n = self.tables[ti].next_row;
                self.tables[ti].next_row += 1;
                let mut names = vec!["id".to_string()];
                let mut values = vec![n.to_string()];
                for ci in 0..self.tables[ti].columns.len() {
                    let c = &self.tables[ti].columns[ci];
                    let value = if let Some(r) = &c.references {
                        // An id the referenced table has: rows there start at 1.
                        let parent_rows = self.table(r).map_or(1, |p| p.next_row);
                        if parent_rows > 1 && !rng.chance(30) {
                            Some((1 + rng.below(parent_rows as usize - 1) as i64).to_string())
                        } else {
                            None
                        }
                    } else if c.nullable && !c.unique && rng.chance(20) {
                        None
                    } else {
                        Some(c.ty.value(n, self))
                    };
                    let used = c.ty.labels_used(n, self);
                    let c = &mut self.tables[ti].columns[ci];
                    match value {
                        Some(v) => {
                            if let Some((e, label)) = used {
                                if !self.enums[e].used.contains(&label) {
                                    self.enums[e].used.push(label);
                                }
                            }
                            names.push(quote(&c.name));
                            values.push(v);
                        }
                        None => {
                            if !c.nullable {
                                // A NOT NULL reference with nothing to point at:
                                // leave the row out of this table.
                                names.clear();
                                break;
                            }
                            // Written out: a column left out would get its default.
                            names.push(quote(&c.name));
                            values.push("NULL".into());
                            c.holds_null = true;
                        }
                    }
                }
                if names.is_empty() {
                    continue;
                }
                let t = &self.tables[ti];
                writeln!(
                    sql,
                    "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE VALUES ({});",
                    quote(&t.name),
                    names.join(", "),
                    values.join(", ")
                )
                .unwrap();
            }
        }
        sql
    }
}

/// A name quoted for SQL when it needs to be (the generator's names are lower case).
pub fn quote(name: &str) -> String {
    strata_core::names::quote_ident(name).into_owned()
}
