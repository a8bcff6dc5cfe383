//! A database schema as plain data: the same type on both sides of the diff.
//!
//! The desired schema comes from the entities (`lower`), the current one from the
//! database (`introspect`). Both are canonical before they meet: types are spelled as
//! PostgreSQL's `format_type` spells them (`character varying(320)`, `timestamp with
//! time zone`, `integer[]`), expressions as `pg_get_expr` prints them, names are the
//! real names. So comparing two schemas is comparing data, never parsing SQL.

use serde::{Deserialize, Serialize};

/// Everything strata manages in a database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    /// Managed schemas (namespaces), sorted. `public` is always there.
    pub schemas: Vec<String>,
    /// Extensions. Desired: `extensions` of strata.toml, in their order (created in
    /// that order, before anything else). Current: every installed extension, sorted.
    /// The diff only ever creates the desired ones that are missing; it never drops one
    /// nobody asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<String>,
    /// Enum types, sorted by (schema, name).
    pub enums: Vec<EnumType>,
    /// Tables, sorted by (schema, name).
    pub tables: Vec<Table>,
    /// Current side only: the views and materialized views of the managed schemas,
    /// sorted by (schema, name). strata does not manage them; a plan sets one aside
    /// (and creates it again) around a step PostgreSQL refuses while the view reads
    /// what it changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub views: Vec<View>,
}

/// A view as PostgreSQL reads it back, with what re-creating it takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub schema: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub materialized: bool,
    /// The query, as `pg_get_viewdef` prints it, without the trailing `;`.
    pub definition: String,
    /// `reloptions`: `security_barrier=true`, `check_option=local`, ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub column_comments: Vec<ViewColumnComment>,
    /// Privileges granted to roles other than the owner.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<ViewGrant>,
    /// The tables' and views' columns it reads (whole relations have no column).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<ViewDependency>,
    /// The types its query names, as (schema, name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<(String, String)>,
    /// Triggers (`INSTEAD OF`) or rules other than its query: not re-created by strata.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub has_triggers_or_rules: bool,
    /// A materialized view's indexes: not re-created by strata.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub has_indexes: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewColumnComment {
    pub column: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewGrant {
    /// The role as `quote_ident` spells it, or `PUBLIC`.
    pub grantee: String,
    /// `SELECT`, `INSERT`, ...
    pub privilege: String,
    pub with_grant_option: bool,
}

/// A relation (and column) a view reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewDependency {
    pub schema: String,
    pub relation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumType {
    pub schema: String,
    pub name: String,
    pub labels: Vec<String>,
    /// Desired side only: label renames declared with `renamed_from`, as (old, new).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub label_renames: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    /// Unique constraints, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uniques: Vec<UniqueConstraint>,
    /// Indexes that back no constraint, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    /// Foreign keys, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    /// Check constraints, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckConstraint>,
    /// Exclusion constraints, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<ExclusionConstraint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Desired side only: the table's previous name (`renamed_from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// The type as `format_type` spells it, e.g. `character varying(320)`, `integer[]`.
    #[serde(rename = "type")]
    pub ty: String,
    pub nullable: bool,
    /// The default expression as `pg_get_expr` prints it. For a serial column this is
    /// the `nextval(...)` default PostgreSQL created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// `GENERATED ALWAYS AS (expr) STORED`: the expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    /// The column owns a sequence named in its `nextval` default (serial / bigserial).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub serial: bool,
    /// Current side only: the name of the sequence a serial or identity column owns (in
    /// the table's schema), so renames can take it along. Never compared: the desired
    /// side leaves it `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
    /// Current side only: the type of that sequence (`integer` for `AS integer`), as
    /// `format_type` spells it. A declared column's sequence has the column's type;
    /// PostgreSQL converts an identity column's sequence with the column, not a serial
    /// one's, so the diff compares it. None on the desired side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_type: Option<String>,
    /// The column's collation where it is not its type's default one, as SQL: quoted
    /// as `quote_ident` quotes it (`"C"`), schema-qualified outside `pg_catalog` and
    /// `public` (`billing."de_phonebook"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Desired side only: the column's previous name (`renamed_from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// The text to write for `default` and `generated` where it is not the canonical
    /// text above (see [`Written`]): read them through [`Column::default_sql`] and
    /// [`Column::generated_sql`].
    #[serde(skip)]
    pub written: Written<ColumnTexts>,
}

/// A column's fragments as they are to be written; `None`: the canonical text.
#[derive(Debug, Clone, Default)]
pub struct ColumnTexts {
    pub default: Option<String>,
    pub generated: Option<String>,
}

impl Column {
    /// A NOT NULL column of type `ty` (spelled as `format_type` spells it) and nothing else.
    pub fn new(name: impl Into<String>, ty: impl Into<String>) -> Column {
        Column {
            name: name.into(),
            ty: ty.into(),
            nullable: false,
            default: None,
            identity: None,
            generated: None,
            serial: false,
            sequence: None,
            sequence_type: None,
            collation: None,
            comment: None,
            renamed_from: None,
            written: Written::default(),
        }
    }

    /// The default expression to write: the declared (or restorable) text of the
    /// canonical default, `None` when there is no default.
    pub fn default_sql(&self) -> Option<&str> {
        let canonical = self.default.as_deref()?;
        Some(
            self.written
                .get()
                .and_then(|w| w.default.as_deref())
                .unwrap_or(canonical),
        )
    }

    /// The generated expression to write, like [`Column::default_sql`].
    pub fn generated_sql(&self) -> Option<&str> {
        let canonical = self.generated.as_deref()?;
        Some(
            self.written
                .get()
                .and_then(|w| w.generated.as_deref())
                .unwrap_or(canonical),
        )
    }

    /// Gives the default the canonical text `canonical`, keeping the text it had as the
    /// one to write (unless one is kept already: the first is the user's).
    pub fn respell_default(&mut self, canonical: Option<String>) {
        if self.default == canonical {
            return;
        }
        let old = std::mem::replace(&mut self.default, canonical);
        let texts = self.written.get_or_default();
        if texts.default.is_none() {
            texts.default = old;
        }
    }

    /// Current side: whether no text found reads back as the default (see [`Written`]).
    pub fn default_reads_back_otherwise(&self) -> bool {
        self.written
            .get()
            .is_some_and(|w| w.default.is_some() && w.default == self.default)
    }

    /// Current side: whether no text found reads back as the generated expression.
    pub fn generated_reads_back_otherwise(&self) -> bool {
        self.written
            .get()
            .is_some_and(|w| w.generated.is_some() && w.generated == self.generated)
    }

    /// Like [`Column::respell_default`], for the generated expression.
    pub fn respell_generated(&mut self, canonical: String) {
        if self.generated.as_deref() == Some(canonical.as_str()) {
            return;
        }
        let old = self.generated.replace(canonical);
        let texts = self.written.get_or_default();
        if texts.generated.is_none() {
            texts.generated = old;
        }
    }
}

/// The SQL text to write for a fragment where it is not the canonical text beside it.
///
/// Schemas compare canonical texts: PostgreSQL's spelling (`pg_get_expr`,
/// `pg_get_indexdef`). That spelling is not always read back as itself: a check
/// `s IN ('a', 'b')` on a `varchar` column prints as `((s)::text = ANY ((ARRAY['a'::character
/// varying, 'b'::character varying])::text[]))`, and creating a check from that prints
/// `... ANY (ARRAY[('a'::character varying)::text, ...])`. So a migration writes
/// another text: on the desired side what the user declared (which reads back as the
/// canonical text, since that is how canonicalization got it), on the current side a
/// text found to read back as the current one (for a down file to re-create it).
///
/// On the current side, a written text equal to the canonical one says that no text
/// was found that PostgreSQL reads back as the canonical one (see
/// [`CheckConstraint::reads_back_otherwise`]): re-creating the object restores its
/// meaning, not its spelling.
///
/// Never part of equality: schemas that differ only in how a fragment is written are
/// the same schema, and comparing a desired object with a current one must not see a
/// difference there. Boxed: most fragments have none.
#[derive(Debug, Clone)]
pub struct Written<T>(Option<Box<T>>);

impl<T> Written<T> {
    pub fn new(value: T) -> Written<T> {
        Written(Some(Box::new(value)))
    }

    pub fn get(&self) -> Option<&T> {
        self.0.as_deref()
    }

    pub fn is_none(&self) -> bool {
        self.0.is_none()
    }
}

impl<T: Default> Written<T> {
    pub fn get_or_default(&mut self) -> &mut T {
        self.0.get_or_insert_with(Box::default)
    }
}

impl<T> Default for Written<T> {
    fn default() -> Self {
        Written(None)
    }
}

impl<T> PartialEq for Written<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for Written<T> {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    Always,
    ByDefault,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimaryKey {
    pub name: String,
    pub columns: Vec<String>,
    /// `DEFERRABLE`, and `INITIALLY DEFERRED` (which implies it).
    #[serde(default, skip_serializing_if = "Deferral::is_immediate")]
    pub deferral: Deferral,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UniqueConstraint {
    pub name: String,
    pub columns: Vec<String>,
    /// `UNIQUE NULLS NOT DISTINCT`: two NULLs are duplicates (PostgreSQL 15+).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
    #[serde(default, skip_serializing_if = "Deferral::is_immediate")]
    pub deferral: Deferral,
}

/// When a key constraint is checked: PostgreSQL's `condeferrable` / `condeferred`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deferral {
    /// `NOT DEFERRABLE`, the default: checked at once, row by row.
    #[default]
    Immediate,
    /// `DEFERRABLE INITIALLY IMMEDIATE`: checked at the end of each statement, and at
    /// commit in a transaction that says `SET CONSTRAINTS ... DEFERRED`.
    Deferrable,
    /// `DEFERRABLE INITIALLY DEFERRED`: checked at commit.
    InitiallyDeferred,
}

impl Deferral {
    pub fn from_flags(deferrable: bool, initially_deferred: bool) -> Deferral {
        match (deferrable, initially_deferred) {
            (_, true) => Deferral::InitiallyDeferred,
            (true, false) => Deferral::Deferrable,
            (false, false) => Deferral::Immediate,
        }
    }

    pub fn is_immediate(&self) -> bool {
        *self == Deferral::Immediate
    }

    /// The clause a constraint definition ends with, `""` for the default.
    pub fn sql(self) -> &'static str {
        match self {
            Deferral::Immediate => "",
            Deferral::Deferrable => " DEFERRABLE",
            Deferral::InitiallyDeferred => " DEFERRABLE INITIALLY DEFERRED",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    /// Column names or expressions as `pg_get_indexdef` prints each key.
    pub keys: Vec<String>,
    pub unique: bool,
    /// Access method: `btree`, `gin`, ...
    pub method: String,
    /// The partial index predicate, as `pg_get_expr` prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// The operator class of each key, aligned with `keys`, `""` for the default one of
    /// its type and method; empty when every key uses its default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opclasses: Vec<String>,
    /// The order of each key, aligned with `keys`: `""` (ASC NULLS LAST, the default),
    /// `DESC` (NULLS FIRST), `DESC NULLS LAST` or `NULLS FIRST`; empty when every key
    /// has the default order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<String>,
    /// The collation of each key, aligned with `keys`, as SQL (like
    /// [`Column::collation`]): `""` for the key's own (its column's, or its
    /// expression's); empty when every key has its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collations: Vec<String>,
    /// `NULLS NOT DISTINCT` on a unique index (PostgreSQL 15+).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
    /// The keys, INCLUDE columns and predicate to write where they are not the
    /// canonical ones (see [`Written`]): read them through [`Index::keys_sql`],
    /// [`Index::include_sql`] and [`Index::predicate_sql`].
    #[serde(skip)]
    pub written: Written<IndexTexts>,
}

/// An index's expressions as they are to be written, all three together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexTexts {
    pub keys: Vec<String>,
    pub include: Vec<String>,
    pub predicate: Option<String>,
}

impl Index {
    /// The keys to write, aligned with `keys` (and so with `opclasses` and `orders`).
    pub fn keys_sql(&self) -> &[String] {
        match self.written.get() {
            Some(w) if w.keys.len() == self.keys.len() => &w.keys,
            _ => &self.keys,
        }
    }

    /// The INCLUDE columns to write.
    pub fn include_sql(&self) -> &[String] {
        match self.written.get() {
            Some(w) if w.include.len() == self.include.len() => &w.include,
            _ => &self.include,
        }
    }

    /// The predicate to write, `None` for a full index.
    pub fn predicate_sql(&self) -> Option<&str> {
        let canonical = self.predicate.as_deref()?;
        Some(
            self.written
                .get()
                .and_then(|w| w.predicate.as_deref())
                .unwrap_or(canonical),
        )
    }

    /// Current side: whether no texts found read back as the index's (see [`Written`]).
    pub fn reads_back_otherwise(&self) -> bool {
        self.written.get().is_some_and(|w| {
            w.keys == self.keys && w.include == self.include && w.predicate == self.predicate
        })
    }

    /// Gives keys, INCLUDE columns and predicate their canonical texts, keeping the
    /// ones they had as the ones to write (unless some are kept already: the first are
    /// the user's).
    pub fn respell(&mut self, keys: Vec<String>, include: Vec<String>, predicate: Option<String>) {
        if self.keys == keys && self.include == include && self.predicate == predicate {
            return;
        }
        let old = IndexTexts {
            keys: std::mem::replace(&mut self.keys, keys),
            include: std::mem::replace(&mut self.include, include),
            predicate: std::mem::replace(&mut self.predicate, predicate),
        };
        if self.written.is_none() {
            self.written = Written::new(old);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    /// `NO ACTION`, `RESTRICT`, `CASCADE`, `SET NULL`, `SET DEFAULT`.
    pub on_delete: String,
    pub on_update: String,
    pub deferrable: bool,
    pub initially_deferred: bool,
    /// Current side only: the index of the referenced table's key that the constraint
    /// leans on (`conindid`), so a plan that drops that key drops this constraint first
    /// and adds it back once a key is there again. Never compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_index: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckConstraint {
    pub name: String,
    /// The boolean expression as `pg_get_constraintdef` prints it, without `CHECK`.
    pub expr: String,
    /// The expression to write where it is not `expr` (see [`Written`]): read it
    /// through [`CheckConstraint::expr_sql`].
    #[serde(skip)]
    pub written: Written<String>,
}

impl CheckConstraint {
    pub fn new(name: impl Into<String>, expr: impl Into<String>) -> CheckConstraint {
        CheckConstraint {
            name: name.into(),
            expr: expr.into(),
            written: Written::default(),
        }
    }

    /// The expression to write.
    pub fn expr_sql(&self) -> &str {
        self.written.get().map_or(&self.expr, String::as_str)
    }

    /// Current side: whether no text found reads back as the expression, so that
    /// re-creating the check restores its meaning but not its spelling (see [`Written`]).
    pub fn reads_back_otherwise(&self) -> bool {
        self.written.get().is_some_and(|w| *w == self.expr)
    }

    /// Gives the expression its canonical text, keeping the one it had as the one to
    /// write (unless one is kept already: the first is the user's).
    pub fn respell(&mut self, canonical: String) {
        if self.expr == canonical {
            return;
        }
        let old = std::mem::replace(&mut self.expr, canonical);
        if self.written.is_none() {
            self.written = Written::new(old);
        }
    }
}

/// `EXCLUDE USING gist (room WITH =, during WITH &&)`: no two rows for which every
/// operator is true.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionConstraint {
    pub name: String,
    /// `EXCLUDE USING <method> (<element> WITH <operator>, ...) [INCLUDE (...)]
    /// [WHERE (...)]` as `pg_get_constraintdef` prints it, without the deferrability
    /// it ends with (that is `deferral`).
    pub definition: String,
    #[serde(default, skip_serializing_if = "Deferral::is_immediate")]
    pub deferral: Deferral,
    /// The definition to write where it is not `definition` (see [`Written`]).
    #[serde(skip)]
    pub written: Written<String>,
}

impl ExclusionConstraint {
    /// The definition to write.
    pub fn definition_sql(&self) -> &str {
        self.written.get().map_or(&self.definition, String::as_str)
    }

    /// Gives the definition its canonical text, keeping the one it had as the one to
    /// write (unless one is kept already: the first is the user's).
    pub fn respell(&mut self, canonical: String) {
        if self.definition == canonical {
            return;
        }
        let old = std::mem::replace(&mut self.definition, canonical);
        if self.written.is_none() {
            self.written = Written::new(old);
        }
    }
}

impl Schema {
    /// Puts every list in its canonical order, so equal schemas compare equal.
    pub fn sort(&mut self) {
        self.schemas.sort();
        self.schemas.dedup();
        self.enums
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        self.tables
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        self.views
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        for t in &mut self.tables {
            t.uniques.sort_by(|a, b| a.name.cmp(&b.name));
            t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
            t.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
            t.checks.sort_by(|a, b| a.name.cmp(&b.name));
            t.exclusions.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }

    /// Without what every new database already has (`public`, `plpgsql`): what
    /// `inspect` shows and `baseline` writes, since creating those again would fail
    /// or say nothing.
    pub fn without_builtins(mut self) -> Schema {
        self.schemas.retain(|name| name != "public");
        self.extensions.retain(|name| name != "plpgsql");
        self
    }

    /// Keeps only what lives in `managed` (and `public`, which the model always lists):
    /// a catalog read over every schema, narrowed once the managed ones are known.
    /// Extensions are database-wide and stay.
    pub fn retain_schemas(&mut self, managed: &[String]) {
        let is_managed = |schema: &String| managed.contains(schema);
        self.schemas
            .retain(|name| name == "public" || is_managed(name));
        self.enums.retain(|e| is_managed(&e.schema));
        self.tables.retain(|t| is_managed(&t.schema));
        self.views.retain(|v| is_managed(&v.schema));
    }

    pub fn table(&self, schema: &str, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.schema == schema && t.name == name)
    }
}

impl Table {
    /// A table with these columns and no constraint, index or comment.
    pub fn new(schema: impl Into<String>, name: impl Into<String>, columns: Vec<Column>) -> Table {
        Table {
            schema: schema.into(),
            name: name.into(),
            columns,
            primary_key: None,
            uniques: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            exclusions: Vec::new(),
            comment: None,
            renamed_from: None,
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The table with only its canonical texts (no [`Written`] ones): how it compares,
    /// for showing what differs.
    pub fn as_compared(&self) -> Table {
        let mut t = self.clone();
        for c in &mut t.columns {
            c.written = Written::default();
        }
        for c in &mut t.checks {
            c.written = Written::default();
        }
        for i in &mut t.indexes {
            i.written = Written::default();
        }
        for x in &mut t.exclusions {
            x.written = Written::default();
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enum_type(schema: &str, name: &str) -> EnumType {
        EnumType {
            schema: schema.into(),
            name: name.into(),
            labels: vec!["a".into()],
            label_renames: vec![],
        }
    }

    #[test]
    fn retain_schemas_keeps_the_managed_ones_public_and_every_extension() {
        let mut schema = Schema {
            schemas: vec!["audit".into(), "billing".into(), "public".into()],
            extensions: vec!["pg_trgm".into(), "plpgsql".into()],
            enums: vec![enum_type("audit", "kind"), enum_type("billing", "status")],
            tables: vec![
                Table::new("audit", "events", vec![]),
                Table::new("billing", "invoices", vec![]),
                Table::new("public", "users", vec![]),
            ],
            ..Schema::default()
        };
        schema.retain_schemas(&["billing".to_string()]);
        assert_eq!(schema.schemas, vec!["billing", "public"]);
        assert_eq!(schema.extensions, vec!["pg_trgm", "plpgsql"]);
        assert_eq!(schema.enums, vec![enum_type("billing", "status")]);
        let tables: Vec<_> = schema.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(tables, vec!["invoices"]);
    }
}
