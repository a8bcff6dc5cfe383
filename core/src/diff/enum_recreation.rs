//! Re-creating an enum type: PostgreSQL can add and rename labels but never remove or
//! move one, so removing or reordering labels (and the down file of an `ADD VALUE`)
//! renames the old type out of the way, creates the new one, converts every column of
//! the type through `text`, and drops the old type.
//!
//! What reads the type stands in the way of the conversion, and is set aside first and
//! restored after it, in the same statement list:
//! - defaults of the converted columns (typed with the old type: they would not cast);
//! - checks, and indexes with a predicate or an expression key, that read a converted
//!   column or name the type (`status <> 'archived'::status` has a constant of the old
//!   type: "operator does not exist: status = status__old");
//! - generated columns of the type or reading a converted column (PostgreSQL refuses to
//!   change the type of a column a generated column reads), and whatever sits on those
//!   (their indexes, keys, checks and foreign keys go with them);
//! - foreign keys joining converted columns (both sides must have one type);
//! - views reading the type or a converted column, and the views reading those (see
//!   [`views`](super::views)).
//!
//! Indexes and keys on plain converted columns are rebuilt by PostgreSQL itself.
//!
//! Every column of the type is converted, in every table: excluded tables' too
//! ([`SwapTable::excluded`]), or the old type could not be dropped. The step names them.
//!
//! The tables the conversion sees are given as they are when it runs ([`SwapTable`]),
//! with each converted column's default before it and after it: a default is set
//! again only once its label exists, which the plan arranges (see `enums`).
use super::columns::ColumnPairing;
use super::tables::TablePairing;
use super::Dropped;
use crate::names::{qualified, quote_ident};
use crate::schema::{
    CheckConstraint, Column, ColumnTexts, EnumType, ExcludedTable, ForeignKey, Function, Index,
    PrimaryKey, Table, UniqueConstraint, View, Written,
};
use crate::sql;

/// A column as it is when the conversion runs.
#[derive(Debug, Clone)]
pub(super) struct SwapColumn {
    /// Its name, type and generated expression at that moment (its `default` is
    /// ignored: see the two below).
    pub column: Column,
    /// Its name before the plan (what a view's dependencies name).
    pub current_name: String,
    /// The default it has when the conversion starts; dropped first.
    pub default_before: Option<String>,
    /// The default it gets once converted.
    pub default_after: Option<String>,
}

/// A table as it is when the conversion runs, with the objects that exist then, under
/// the names they have then.
#[derive(Debug, Clone)]
pub(super) struct SwapTable {
    pub schema: String,
    pub name: String,
    /// Its name before the plan (what a view's dependencies name).
    pub current_name: String,
    pub columns: Vec<SwapColumn>,
    pub primary_key: Option<PrimaryKey>,
    pub uniques: Vec<UniqueConstraint>,
    pub checks: Vec<CheckConstraint>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    /// An excluded table: its columns of the type are converted too (PostgreSQL cannot
    /// drop the old type otherwise), what stands in the way set aside and restored as
    /// for a managed table, and the step names it; it ends as it was, on the new type.
    pub excluded: bool,
}

impl SwapTable {
    /// A table of the current schema, as it is before any step ran: its defaults stay
    /// what they are.
    pub fn as_is(table: &Table) -> SwapTable {
        SwapTable {
            schema: table.schema.clone(),
            name: table.name.clone(),
            current_name: table.name.clone(),
            columns: table
                .columns
                .iter()
                .map(|c| {
                    let default = plain_default(c).map(String::from);
                    SwapColumn {
                        column: c.clone(),
                        current_name: c.name.clone(),
                        default_before: default.clone(),
                        default_after: default,
                    }
                })
                .collect(),
            primary_key: table.primary_key.clone(),
            uniques: table.uniques.clone(),
            checks: table.checks.clone(),
            indexes: table.indexes.clone(),
            foreign_keys: table.foreign_keys.clone(),
            excluded: false,
        }
    }

    /// An excluded table as it is when the conversion runs: as it is before the plan,
    /// but for its `foreign_keys` then (see `foreign_keys::excluded_references`).
    pub fn excluded(x: &ExcludedTable, foreign_keys: Vec<ForeignKey>) -> SwapTable {
        SwapTable {
            foreign_keys,
            excluded: true,
            ..SwapTable::as_is(&x.table)
        }
    }

    fn sql_name(&self) -> String {
        qualified(&self.schema, &self.name)
    }
}

/// The default to write again: a serial column's `nextval` default belongs to its
/// sequence, never to a type.
fn plain_default(c: &Column) -> Option<&str> {
    c.default_sql().filter(|_| !c.serial)
}

/// What a re-creation writes.
pub(super) struct Swap {
    pub statements: Vec<String>,
    /// How many columns it converts.
    pub users: usize,
    /// The excluded tables it converts columns of, as SQL names.
    pub excluded_tables: Vec<String>,
    /// Why it cannot be written (a view it cannot set aside).
    pub blockers: Vec<String>,
    /// The views it sets aside (`view public.v`).
    pub views: Vec<String>,
}

/// The statements that re-create `e` with `labels` (the old type renamed to `free`),
/// converting every column of the type in `world` and setting aside what stands in the
/// way, the `views` that read it included.
pub(super) fn swap(
    e: &EnumType,
    labels: &[String],
    free: &str,
    world: &[SwapTable],
    views: &[View],
    functions: &[Function],
    removed: &[String],
) -> Swap {
    let t = sql::enum_name(e);
    let array = format!("{t}[]");
    let typed = |c: &Column| c.ty == t || c.ty == array;
    let names_type = |expr: &str| crate::lower::expr_columns::identifiers(expr).contains(&e.name);
    let affected: Vec<Affected> = world
        .iter()
        .map(|table| Affected::of(table, &typed, &names_type))
        .collect();
    // Whether column `column` of the table called `schema.name` then is converted or
    // set aside (a foreign key's other side).
    let touched = |schema: &str, name: &str, column: &str| {
        world
            .iter()
            .zip(&affected)
            .any(|(w, a)| w.schema == schema && w.name == name && a.contains(column))
    };

    // Set aside in this order, restored in the opposite one: foreign keys, then what
    // sits on the tables, then the generated columns it may sit on, then defaults.
    let mut fks = Aside::default();
    let mut objects = Aside::default();
    let mut columns = Aside::default();
    let mut converted = Vec::new();
    let mut defaults = Aside::default();
    let mut users = 0;
    for (table, a) in world.iter().zip(&affected) {
        let tn = table.sql_name();
        for fk in &table.foreign_keys {
            let own = fk.columns.iter().any(|c| a.contains(c));
            let referenced = fk
                .ref_columns
                .iter()
                .any(|c| touched(&fk.ref_schema, &fk.ref_table, c));
            if own || referenced {
                fks.add(
                    sql::drop_constraint(&tn, &fk.name),
                    sql::add_foreign_key(&tn, fk),
                );
            }
        }
        for check in &table.checks {
            if a.reads(&check.expr) || names_type(&check.expr) {
                objects.add(
                    sql::drop_constraint(&tn, &check.name),
                    sql::add_check(&tn, check),
                );
            }
        }
        for index in &table.indexes {
            if a.stands_in_the_way(index, &names_type) {
                objects.add(
                    sql::drop_index(&table.schema, &index.name),
                    sql::create_index(&tn, index),
                );
            }
        }
        // Keys on a generated column that goes are set aside with it.
        let on_set_aside = |columns: &[String]| columns.iter().any(|c| a.set_aside.contains(c));
        if let Some(pk) = table
            .primary_key
            .as_ref()
            .filter(|pk| on_set_aside(&pk.columns))
        {
            objects.add(
                sql::drop_constraint(&tn, &pk.name),
                sql::add_primary_key(&tn, pk),
            );
        }
        for u in table.uniques.iter().filter(|u| on_set_aside(&u.columns)) {
            objects.add(sql::drop_constraint(&tn, &u.name), sql::add_unique(&tn, u));
        }
        for c in &table.columns {
            let col = &c.column;
            if a.set_aside.contains(&col.name) {
                let mut restore = vec![sql::add_column(&tn, &sql::column_definition(col))];
                if let Some(comment) = &col.comment {
                    restore.push(sql::comment_on_column(&tn, &col.name, Some(comment)));
                }
                columns.set_aside.push(sql::drop_column(&tn, &col.name));
                columns.restore.extend(restore);
                continue;
            }
            if !typed(col) || col.generated.is_some() {
                continue;
            }
            users += 1;
            if c.default_before.is_some() {
                defaults
                    .set_aside
                    .push(sql::alter_column(&tn, &col.name, "DROP DEFAULT"));
            }
            let using = if col.ty == array {
                format!(" USING {}::text[]::{array}", quote_ident(&col.name))
            } else {
                format!(" USING {}::text::{t}", quote_ident(&col.name))
            };
            converted.push(sql::alter_column(
                &tn,
                &col.name,
                &format!("TYPE {}{using}", col.ty),
            ));
            if let Some(default) = &c.default_after {
                defaults.restore.push(sql::alter_column(
                    &tn,
                    &col.name,
                    &format!("SET DEFAULT {default}"),
                ));
            }
        }
    }
    // Views reading the type, or a column converted or set aside, by their names
    // before the plan.
    let world_table = |schema: &str, current: &str| {
        world
            .iter()
            .zip(&affected)
            .find(|(w, _)| w.schema == schema && w.current_name == current)
    };
    let views = super::views::set_aside(
        views,
        |v| {
            v.types.iter().any(|(s, n)| *s == e.schema && *n == e.name)
                || v.reads.iter().any(|d| {
                    let Some((w, a)) = world_table(&d.schema, &d.relation) else {
                        return false;
                    };
                    d.column.as_deref().is_some_and(|c| {
                        w.columns
                            .iter()
                            .any(|sc| sc.current_name == c && a.contains(&sc.column.name))
                    })
                })
        },
        |d| {
            let (w, _) = world_table(&d.schema, &d.relation)?;
            let table = qualified(&w.schema, &w.current_name);
            if w.name != w.current_name {
                return Some(format!("table {table}"));
            }
            let column = d.column.as_deref()?;
            w.columns
                .iter()
                .any(|sc| sc.current_name == column && sc.column.name != column)
                .then(|| format!("column {table}.{}", quote_ident(column)))
        },
        &format!("re-creating enum type {t}"),
    );
    // Functions whose arguments or result are of the type hold the old type when it
    // is renamed, which then cannot be dropped: they are dropped first and created
    // again from their definitions, which name the type (the new one by then).
    let routines: Vec<crate::recreate::Node> = functions
        .iter()
        .filter(|f| signature_names_type(f, &e.name))
        .map(crate::recreate::function_node)
        .collect();
    let mut names = views.names;
    names.extend(routines.iter().map(|r| {
        let d = &r.step.description;
        d.strip_prefix("create ").unwrap_or(d).to_string()
    }));
    // Rows holding a label that goes would fail the conversion with PostgreSQL's
    // "invalid input value for enum": checked first, saying which rows and what to do.
    let mut out: Vec<String> = world
        .iter()
        .zip(&affected)
        .filter(|(w, _)| !w.excluded)
        .flat_map(|(w, a)| {
            w.columns
                .iter()
                .filter(|c| a.converted.contains(&c.column.name))
                .filter_map(|c| label_guard(&w.sql_name(), &c.column, &t, removed))
                .collect::<Vec<_>>()
        })
        .collect();
    out.extend(views.drop);
    out.extend(routines.iter().flat_map(|r| r.step.down.iter().cloned()));
    for aside in [&fks, &objects, &columns, &defaults] {
        out.extend(aside.set_aside.iter().cloned());
    }
    out.push(format!("ALTER TYPE {t} RENAME TO {}", quote_ident(free)));
    out.push(sql::create_enum(&t, labels));
    out.extend(converted);
    out.push(format!("DROP TYPE {}", qualified(&e.schema, free)));
    for aside in [columns, objects, fks, defaults] {
        out.extend(aside.restore);
    }
    out.extend(routines.into_iter().flat_map(|r| r.step.up));
    out.extend(views.create);
    let excluded_tables = world
        .iter()
        .zip(&affected)
        .filter(|(w, a)| w.excluded && !(a.converted.is_empty() && a.set_aside.is_empty()))
        .map(|(w, _)| w.sql_name())
        .collect();
    Swap {
        statements: out,
        users,
        excluded_tables,
        blockers: {
            let mut blockers = views.blockers;
            blockers.extend(left_alone_naming(world, &t, removed));
            blockers
        },
        views: names,
    }
}

/// What an excluded table (or one in an unmanaged schema) has that names a label the
/// swap removes: a check, an index predicate or key, a default. It is set aside and
/// restored around the conversion, and its restoring would fail; strata does not change
/// it, so it refuses, naming it and the ways out.
fn left_alone_naming(world: &[SwapTable], ty: &str, removed: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for w in world.iter().filter(|w| w.excluded) {
        // `'sad'::mood`, or an element of an array literal `'{sad,happy}'::mood[]`.
        let names = |text: &str| {
            let array = text
                .strip_suffix(&format!("::{ty}[]"))
                .and_then(|l| l.strip_prefix("'{"))
                .and_then(|l| l.strip_suffix("}'"));
            removed.iter().find(|l| {
                super::enums::names_label(text, ty, l)
                    || array
                        .is_some_and(|a| a.split(',').any(|e| e.trim_matches('"') == l.as_str()))
            })
        };
        let t = w.sql_name();
        let mut found: Vec<(String, &String)> = Vec::new();
        for c in &w.checks {
            if let Some(l) = names(&c.expr) {
                found.push((format!("check {} on {t}", quote_ident(&c.name)), l));
            }
        }
        for i in &w.indexes {
            let text = i
                .predicate
                .iter()
                .chain(&i.keys)
                .cloned()
                .collect::<Vec<_>>()
                .join(" ");
            if let Some(l) = names(&text) {
                found.push((format!("index {} on {t}", quote_ident(&i.name)), l));
            }
        }
        for c in &w.columns {
            if let Some(l) = c.default_before.as_deref().and_then(names) {
                found.push((
                    format!("the default of {t}.{}", quote_ident(&c.column.name)),
                    l,
                ));
            }
        }
        for (what, label) in found {
            out.push(format!(
                "{what} names the label {} of enum {ty}, which this migration removes, and \
                 {t} is left alone by strata (excluded, or in a schema it does not manage). \
                 Change it yourself in a migration of its own before this one (`strata \
                 create`), or stop excluding {t} and declare it as an entity",
                sql::string_literal(label)
            ));
        }
    }
    out
}

/// A check that no row of `table` holds one of the `removed` labels in `column`, with
/// a message saying which and what to do; none when no label goes.
fn label_guard(table: &str, column: &Column, ty: &str, removed: &[String]) -> Option<String> {
    if removed.is_empty() {
        return None;
    }
    let list = removed
        .iter()
        .map(|l| sql::string_literal(l))
        .collect::<Vec<_>>()
        .join(", ");
    let c = quote_ident(&column.name);
    let holds = if column.ty.ends_with("[]") {
        format!("{c}::text[] && ARRAY[{list}]")
    } else {
        format!("{c}::text IN ({list})")
    };
    let (them, it) = if removed.len() == 1 {
        ("label", "it")
    } else {
        ("labels", "them")
    };
    let message = sql::string_literal(&format!(
        "cannot remove {them} {} from enum {ty}: rows of {table} hold {it} in {c}",
        removed
            .iter()
            .map(|l| sql::string_literal(l))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let hint = sql::string_literal(&format!(
        "change or delete the rows of {table} whose {c} holds {it}, then try again"
    ));
    let body = format!(
        "
BEGIN
    IF EXISTS (SELECT FROM {table} WHERE {holds}) THEN
        RAISE EXCEPTION USING MESSAGE = {message}, HINT = {hint};
    END IF;
END
"
    );
    Some(format!("DO {}", super::types::dollar_quoted(&body)))
}

/// Whether a function's arguments or result name the type `name` (or an array of it).
fn signature_names_type(f: &Function, name: &str) -> bool {
    let returns = f
        .definition
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("RETURNS "))
        .unwrap_or("");
    let names = |text: &str| {
        crate::lower::expr_columns::identifiers(text)
            .iter()
            .any(|i| i == name)
    };
    names(&f.args) || names(returns)
}

/// Statements that set objects aside before the conversion and restore them after.
#[derive(Default)]
struct Aside {
    set_aside: Vec<String>,
    restore: Vec<String>,
}

impl Aside {
    fn add(&mut self, set_aside: String, restore: String) {
        self.set_aside.push(set_aside);
        self.restore.push(restore);
    }
}

/// The columns of one table that a conversion touches.
struct Affected {
    /// Plain columns of the type, converted in place.
    converted: Vec<String>,
    /// Generated columns that depend on the type: dropped and added back.
    set_aside: Vec<String>,
}

impl Affected {
    fn of(
        table: &SwapTable,
        typed: &impl Fn(&Column) -> bool,
        names_type: &impl Fn(&str) -> bool,
    ) -> Affected {
        let converted: Vec<String> = table
            .columns
            .iter()
            .map(|c| &c.column)
            .filter(|c| typed(c) && c.generated.is_none())
            .map(|c| c.name.clone())
            .collect();
        let set_aside = table
            .columns
            .iter()
            .map(|c| &c.column)
            .filter(|c| {
                c.generated.as_deref().is_some_and(|g| {
                    typed(c)
                        || names_type(g)
                        || super::exprs::mentions(g, |name| converted.iter().any(|n| n == name))
                })
            })
            .map(|c| c.name.clone())
            .collect();
        Affected {
            converted,
            set_aside,
        }
    }

    fn contains(&self, column: &str) -> bool {
        self.converted.iter().any(|c| c == column) || self.set_aside.iter().any(|c| c == column)
    }

    /// Whether an expression reads a converted or set-aside column.
    fn reads(&self, expr: &str) -> bool {
        super::exprs::mentions(expr, |name| self.contains(name))
    }

    /// An index must be set aside when it sits on a column that goes, or when an
    /// expression of it (a predicate, an expression key) reads a converted column or
    /// names the type. A plain key on a converted column PostgreSQL rebuilds itself.
    fn stands_in_the_way(&self, index: &Index, names_type: &impl Fn(&str) -> bool) -> bool {
        let on_set_aside = |expr: &str| {
            super::exprs::mentions(expr, |name| self.set_aside.iter().any(|c| c == name))
        };
        let plain_key = |key: &str| {
            self.converted
                .iter()
                .chain(&self.set_aside)
                .any(|c| quote_ident(c) == key)
        };
        let expression_reads = |expr: &str| self.reads(expr) || names_type(expr);
        index
            .keys
            .iter()
            .any(|k| on_set_aside(k) || (!plain_key(k) && expression_reads(k)))
            || index.include.iter().any(|k| on_set_aside(k))
            || index.predicate.as_deref().is_some_and(expression_reads)
    }
}

/// The kept tables as they are when a re-creation runs in the middle of a plan (after
/// the renames and drops, before anything is added): current columns under their
/// desired names, with their current types, and the current objects the plan keeps.
/// `up` picks the defaults of the up file or of the down file: the re-creation owns
/// the default of a converted column whose default or type the plan changes, so it
/// sets it again only where the column steps do not (the up file: an unchanged one;
/// the down file: the current one, once the old labels are back).
pub(super) fn world_at_swap(
    tables: &TablePairing,
    columns: &[ColumnPairing],
    dropped: &[Dropped],
    kept_foreign_keys: &[Vec<ForeignKey>],
    up: bool,
) -> Vec<SwapTable> {
    tables
        .pairs
        .iter()
        .zip(columns)
        .zip(dropped.iter().zip(kept_foreign_keys))
        .map(|((pair, columns), (dropped, foreign_keys))| {
            let current = pair.current;
            let kept_index = |name: &str| !dropped.indexes.iter().any(|d| d == name);
            let map_names = |names: &[String]| -> Vec<String> {
                names
                    .iter()
                    .map(|n| columns.name_after_renames(n))
                    .collect()
            };
            SwapTable {
                schema: pair.desired.schema.clone(),
                name: pair.desired.name.clone(),
                current_name: current.name.clone(),
                columns: columns
                    .pairs
                    .iter()
                    .map(|(c, d)| {
                        let now = plain_default(c).map(String::from);
                        let kept = !super::columns::default_changes(c, d);
                        let (default_before, default_after) = match (up, kept) {
                            (true, true) | (false, true) => (now.clone(), now),
                            (true, false) => (now, None),
                            (false, false) => (None, now),
                        };
                        SwapColumn {
                            current_name: c.name.clone(),
                            column: Column {
                                name: d.name.clone(),
                                generated: c.generated.as_deref().map(|g| columns.map_expr(g).text),
                                written: c
                                    .written
                                    .get()
                                    .map(|w| {
                                        Written::new(ColumnTexts {
                                            default: w.default.clone(),
                                            generated: w
                                                .generated
                                                .as_deref()
                                                .map(|g| columns.map_expr(g).text),
                                        })
                                    })
                                    .unwrap_or_default(),
                                ..(*c).clone()
                            },
                            default_before,
                            default_after,
                        }
                    })
                    .collect(),
                primary_key: current
                    .primary_key
                    .as_ref()
                    .filter(|pk| kept_index(&pk.name))
                    .map(|pk| PrimaryKey {
                        columns: map_names(&pk.columns),
                        ..pk.clone()
                    }),
                uniques: current
                    .uniques
                    .iter()
                    .filter(|u| kept_index(&u.name))
                    .map(|u| UniqueConstraint {
                        columns: map_names(&u.columns),
                        ..u.clone()
                    })
                    .collect(),
                checks: current
                    .checks
                    .iter()
                    .filter(|c| !dropped.checks.contains(&c.name))
                    .map(|c| super::checks::mapped(c, columns).0)
                    .collect(),
                indexes: current
                    .indexes
                    .iter()
                    .filter(|i| kept_index(&i.name))
                    .map(|i| super::indexes::mapped(i, columns).0)
                    .collect(),
                foreign_keys: foreign_keys.clone(),
                excluded: false,
            }
        })
        .collect()
}
