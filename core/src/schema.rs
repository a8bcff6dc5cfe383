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
    /// Current side only: the tables of the managed schemas that strata.toml's
    /// `exclude` names, sorted by (schema, name). strata never creates, alters or drops
    /// them, but they use what it manages (enum types, sequences, the keys their
    /// foreign keys lean on), so a plan works around them rather than pretending they
    /// are not there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_tables: Vec<ExcludedTable>,
    /// Current side only: the enum types `exclude` names, never created, altered or
    /// dropped (the columns of managed tables may still use them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_enums: Vec<ExcludedEnum>,
    /// Current side only: every other object of the managed schemas, and what depends
    /// on what. strata does not manage them (the diff never compares them); `inspect`
    /// shows them, `baseline` writes them, and a plan consults them (see
    /// [`Objects::dependents_of`]) before a step PostgreSQL would refuse because of one.
    #[serde(default, skip_serializing_if = "Objects::is_empty")]
    pub objects: Objects,
    /// Desired side only: `views` and `objects` hold the objects strata.toml's
    /// `objects` files declare, as PostgreSQL read them back, and the diff manages
    /// them (see `diff::declared`). Without it, the desired side has none and the diff
    /// never compares them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub declared: bool,
    /// Desired side only: the entities that are read models over a view
    /// (`#[entity(view = "...")]`), not tables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bound_views: Vec<BoundView>,
}

/// An entity bound to a view: the view comes from its `view` attribute (a `.sql` file
/// or an inline query) and must give the entity's fields as its columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundView {
    pub schema: String,
    pub name: String,
    /// The struct's Rust name.
    pub entity: String,
    /// The attribute's text: a path ending in `.sql`, or the view's query.
    pub source: String,
    /// What each field reads: (Rust field, column, SQL type as lowered).
    pub columns: Vec<(String, String, String)>,
}

/// A table read but not managed: `exclude` names it, or it lies outside the managed
/// schemas and leans on them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedTable {
    pub why: LeftAlone,
    pub table: Table,
}

/// Why strata reads a table or view but never changes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftAlone {
    /// An `exclude` entry of strata.toml names it (the entry as written).
    Excluded(String),
    /// It lies in a schema strata does not manage, and leans on one it does: a foreign
    /// key to a managed table, a column of a managed enum type, a default drawing from
    /// a managed sequence. PostgreSQL refuses to change those while it is there, so a
    /// plan must see it.
    OtherSchema,
}

impl LeftAlone {
    /// Why, for a sentence about the object: `strata.toml `exclude` entry "audit_*"`,
    /// `its schema billing is not managed`.
    pub fn reason(&self, schema: &str) -> String {
        match self {
            LeftAlone::Excluded(pattern) => format!("strata.toml `exclude` entry {pattern:?}"),
            LeftAlone::OtherSchema => format!("its schema {schema} is not managed"),
        }
    }

    /// The other way out of a refusal, besides changing the object by hand: managing it.
    pub fn way_out(&self, qualified_name: &str) -> String {
        match self {
            LeftAlone::Excluded(_) => {
                format!("stop excluding {qualified_name} and declare it as an entity")
            }
            LeftAlone::OtherSchema => {
                format!("declare {qualified_name} as an entity (its schema then becomes managed)")
            }
        }
    }
}

/// An enum type read but not managed: `exclude` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedEnum {
    /// The `exclude` entry that names it, as written.
    pub pattern: String,
    pub enum_type: EnumType,
}

/// The objects of the managed schemas besides tables, enums and views, as PostgreSQL
/// reads them back: definitions in its own words (`pg_get_functiondef`,
/// `pg_get_triggerdef`, `pg_get_ruledef`, `pg_get_expr`, `format_type`), so that
/// re-creating one is running its text. Objects that belong to an extension are not
/// here (the extension creates them). Every list is sorted by (schema, name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objects {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<Domain>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub composites: Vec<CompositeType>,
    /// Sequences: standalone ones, and those owned by a column (`OWNED BY`), serial
    /// and identity ones included (see [`Sequence::owner`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sequences: Vec<Sequence>,
    /// Functions, procedures and aggregates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<Function>,
    /// What tables carry besides columns, keys and indexes: partition key, row level
    /// security, owner and grants. Only tables with one of those are listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub table_properties: Vec<TableProperties>,
    /// Partitions of the managed partitioned tables (managed through their parent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<Partition>,
    /// User triggers of tables and views (not the internal ones of foreign keys, not
    /// the clones PostgreSQL puts on partitions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Trigger>,
    /// Rules other than a view's `_RETURN`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
    /// Privileges on and comments of the managed schemas (namespaces), where they have
    /// either; `public`'s as what they add to PostgreSQL's defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema_properties: Vec<SchemaProperties>,
    /// Who owns what, where the owner is not the role strata connects as.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<Ownership>,
    /// `pg_depend` (and, for views, their rewrite rules) between the objects above,
    /// tables, views, columns and types, both ends in the managed schemas: "dependent
    /// needs referenced". Ask it with [`Objects::dependents_of`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
}

/// One object of the managed schemas, as the dependency graph names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObjectRef {
    /// A table or partition, as a whole.
    Table {
        schema: String,
        name: String,
    },
    /// One column of a table, view or composite type. A column's default is the
    /// column: a default calling `f` makes the column depend on `f`.
    Column {
        schema: String,
        relation: String,
        column: String,
    },
    /// A view or materialized view.
    View {
        schema: String,
        name: String,
    },
    Sequence {
        schema: String,
        name: String,
    },
    /// An enum, domain or composite type (an array type is named by its element).
    Type {
        schema: String,
        name: String,
    },
    /// A function, procedure or aggregate: `args` as
    /// `pg_get_function_identity_arguments` prints them.
    Function {
        schema: String,
        name: String,
        args: String,
    },
    /// A check or foreign key of a table, or a constraint of a domain (`table` is then
    /// the domain's name).
    Constraint {
        schema: String,
        table: String,
        name: String,
    },
    Index {
        schema: String,
        name: String,
    },
    Trigger {
        schema: String,
        table: String,
        name: String,
    },
    Rule {
        schema: String,
        table: String,
        name: String,
    },
    Policy {
        schema: String,
        table: String,
        name: String,
    },
}

/// `dependent` needs `referenced`: PostgreSQL refuses to drop or (for a column or
/// type) change `referenced` while `dependent` exists, or drops it along with it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Dependency {
    pub dependent: ObjectRef,
    pub referenced: ObjectRef,
}

/// A domain: `CREATE DOMAIN name AS base_type [COLLATE] [DEFAULT] [NOT NULL] [CHECK ...]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    pub schema: String,
    pub name: String,
    /// As `format_type` spells it.
    pub base_type: String,
    /// The collation, qualified (`pg_catalog."C"`) when it is not the base type's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    pub not_null: bool,
    /// Its CHECK constraints, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<DomainCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainCheck {
    pub name: String,
    /// As `pg_get_constraintdef` prints it: `CHECK (...)`, with ` NOT VALID` when the
    /// domain's existing values were never checked.
    pub definition: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_valid: bool,
}

/// A composite type (`CREATE TYPE name AS (...)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompositeType {
    pub schema: String,
    pub name: String,
    pub attributes: Vec<CompositeAttribute>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompositeAttribute {
    pub name: String,
    /// As `format_type` spells it.
    #[serde(rename = "type")]
    pub ty: String,
    /// The collation, qualified, when it is not the type's default one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
}

/// A sequence with every option `CREATE SEQUENCE` takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    pub schema: String,
    pub name: String,
    /// `smallint`, `integer` or `bigint`.
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
    /// The column it belongs to (`OWNED BY`), if any, and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<SequenceOwner>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceOwner {
    pub schema: String,
    pub table: String,
    pub column: String,
    /// The sequence of an identity column: created and dropped with the column.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identity: bool,
}

impl Sequence {
    /// Whether every option is what `CREATE SEQUENCE name AS type` gives.
    pub fn is_default_for_type(&self) -> bool {
        let (min, max) = match self.data_type.as_str() {
            "smallint" => (1, i16::MAX as i64),
            "integer" => (1, i32::MAX as i64),
            _ => (1, i64::MAX),
        };
        let ascending = self.increment > 0;
        ascending
            && self.increment == 1
            && self.start == min
            && self.min_value == min
            && self.max_value == max
            && self.cache == 1
            && !self.cycle
    }
}

/// `function`, `procedure`, `aggregate` or `window` (a window function).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionKind {
    Function,
    Procedure,
    Aggregate,
    Window,
}

/// A function, procedure or aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub schema: String,
    pub name: String,
    /// `pg_get_function_identity_arguments`: what tells overloads apart, and what
    /// `DROP FUNCTION name(args)` takes.
    pub args: String,
    pub kind: FunctionKind,
    /// `plpgsql`, `sql`, `c`, ...; `internal` for an aggregate.
    pub language: String,
    /// The whole `CREATE OR REPLACE FUNCTION|PROCEDURE ...` as `pg_get_functiondef`
    /// prints it; for an aggregate, `CREATE AGGREGATE ...` built from `pg_aggregate`.
    pub definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `None`: the default privileges (EXECUTE to PUBLIC). `Some`: the privileges
    /// granted to roles other than the owner (an empty list: revoked from PUBLIC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Vec<Grant>>,
}

/// What a table carries besides its columns, keys and indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableProperties {
    pub schema: String,
    pub table: String,
    /// A partitioned table's key as `pg_get_partkeydef` prints it: `RANGE (created_at)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<String>,
    /// `ENABLE ROW LEVEL SECURITY`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub row_security: bool,
    /// `FORCE ROW LEVEL SECURITY`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_row_security: bool,
    /// Privileges granted to roles other than the owner.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// Privileges on one column (`GRANT UPDATE (name) ON users TO app`), as (column,
    /// grant), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub column_grants: Vec<(String, Grant)>,
}

/// A partition: `CREATE TABLE name PARTITION OF parent bound [PARTITION BY ...]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    pub schema: String,
    pub name: String,
    pub parent_schema: String,
    pub parent: String,
    /// `pg_get_expr(relpartbound)`: `FOR VALUES FROM ('2024-01-01') TO (...)`, `DEFAULT`.
    pub bound: String,
    /// Set when the partition is itself partitioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// What the partition holds that it did not get from its parent (its own indexes and
    /// constraints, as `index "x"` / `constraint "y"`): strata does not manage them, but
    /// `baseline` writes them after the partition. Empty when it holds only what it
    /// inherits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub own_objects: Vec<String>,
    /// The statement that creates each of `own_objects`, aligned with it
    /// (`pg_get_indexdef`, or `ALTER TABLE ... ADD CONSTRAINT` with
    /// `pg_get_constraintdef`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub own_definitions: Vec<String>,
    /// The tables its own foreign keys reference, as (schema, name): a copy of the
    /// partition needs them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub own_references: Vec<(String, String)>,
}

/// A trigger on a table or view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub schema: String,
    pub table: String,
    pub name: String,
    /// `CREATE [CONSTRAINT] TRIGGER ...` as `pg_get_triggerdef` prints it.
    pub definition: String,
    /// `tgenabled`: `O` (the default), `D` disabled, `R` replica, `A` always.
    pub enabled: String,
    /// The function it calls.
    pub function: ObjectRef,
    /// The columns it names (`UPDATE OF`, `WHEN`): PostgreSQL does not know which
    /// columns the function's body reads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A rule on a table or view (not a view's own `_RETURN`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub schema: String,
    pub table: String,
    pub name: String,
    /// `CREATE RULE ...` as `pg_get_ruledef` prints it, without the trailing `;`.
    pub definition: String,
    /// `ev_enabled`, as for triggers.
    pub enabled: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A row level security policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub permissive: bool,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: String,
    /// Role names as `quote_ident` spells them, `PUBLIC` for everyone.
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_check: Option<String>,
    /// The columns its expressions read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A managed schema's privileges and comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaProperties {
    pub schema: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Privileges granted to roles other than the owner.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
}

/// A privilege granted to a role other than the object's owner.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Grant {
    /// The role as `quote_ident` spells it, or `PUBLIC`.
    pub grantee: String,
    /// `SELECT`, `INSERT`, `EXECUTE`, `USAGE`, ...
    pub privilege: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub with_grant_option: bool,
}

/// An object whose owner is not the role strata connects as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ownership {
    pub object: ObjectRef,
    /// The owning role as `quote_ident` spells it.
    pub owner: String,
}

impl Objects {
    pub fn is_empty(&self) -> bool {
        self == &Objects::default()
    }

    /// Everything that needs `object` directly: for a column, what reads that column;
    /// for a table, view or type, what needs the whole of it (and not the things that
    /// need only one of its columns: ask [`Objects::dependents_of_column`]).
    pub fn dependents_of<'a>(
        &'a self,
        object: &'a ObjectRef,
    ) -> impl Iterator<Item = &'a ObjectRef> {
        self.dependencies
            .iter()
            .filter(move |d| &d.referenced == object)
            .map(|d| &d.dependent)
    }

    /// Everything that needs column `column` of relation `schema.relation`, or the
    /// whole relation.
    pub fn dependents_of_column<'a>(
        &'a self,
        schema: &'a str,
        relation: &'a str,
        column: &'a str,
    ) -> impl Iterator<Item = &'a ObjectRef> {
        self.dependencies
            .iter()
            .filter(move |d| match &d.referenced {
                ObjectRef::Column {
                    schema: s,
                    relation: r,
                    column: c,
                } => s == schema && r == relation && c == column,
                ObjectRef::Table { schema: s, name } | ObjectRef::View { schema: s, name } => {
                    s == schema && name == relation
                }
                _ => false,
            })
            .map(|d| &d.dependent)
    }

    /// Everything `object` needs directly.
    pub fn dependencies_of<'a>(
        &'a self,
        object: &'a ObjectRef,
    ) -> impl Iterator<Item = &'a ObjectRef> {
        self.dependencies
            .iter()
            .filter(move |d| &d.dependent == object)
            .map(|d| &d.referenced)
    }

    fn sort(&mut self) {
        fn by<T>(list: &mut [T], key: impl Fn(&T) -> (&str, &str, &str)) {
            list.sort_by(|a, b| key(a).cmp(&key(b)));
        }
        by(&mut self.domains, |d| (&d.schema, &d.name, ""));
        by(&mut self.composites, |c| (&c.schema, &c.name, ""));
        by(&mut self.sequences, |s| (&s.schema, &s.name, ""));
        by(&mut self.functions, |f| (&f.schema, &f.name, &f.args));
        by(&mut self.table_properties, |t| (&t.schema, &t.table, ""));
        by(&mut self.schema_properties, |s| (&s.schema, "", ""));
        by(&mut self.partitions, |p| (&p.schema, &p.name, ""));
        by(&mut self.triggers, |t| (&t.schema, &t.table, &t.name));
        by(&mut self.rules, |r| (&r.schema, &r.table, &r.name));
        by(&mut self.policies, |p| (&p.schema, &p.table, &p.name));
        for d in &mut self.domains {
            d.checks.sort_by(|a, b| a.name.cmp(&b.name));
        }
        self.owners.sort_by(|a, b| a.object.cmp(&b.object));
        self.dependencies.sort();
        self.dependencies.dedup();
    }

    fn retain_schemas(&mut self, is_managed: impl Fn(&String) -> bool) {
        self.domains.retain(|o| is_managed(&o.schema));
        self.composites.retain(|o| is_managed(&o.schema));
        self.sequences.retain(|o| is_managed(&o.schema));
        self.functions.retain(|o| is_managed(&o.schema));
        self.table_properties.retain(|o| is_managed(&o.schema));
        self.schema_properties.retain(|o| is_managed(&o.schema));
        self.partitions.retain(|o| is_managed(&o.schema));
        self.triggers.retain(|o| is_managed(&o.schema));
        self.rules.retain(|o| is_managed(&o.schema));
        self.policies.retain(|o| is_managed(&o.schema));
        self.owners.retain(|o| is_managed(o.object.schema()));
        self.dependencies
            .retain(|d| is_managed(d.dependent.schema()) && is_managed(d.referenced.schema()));
    }
}

impl ObjectRef {
    /// The schema the object lives in.
    pub fn schema(&self) -> &String {
        match self {
            ObjectRef::Table { schema, .. }
            | ObjectRef::Column { schema, .. }
            | ObjectRef::View { schema, .. }
            | ObjectRef::Sequence { schema, .. }
            | ObjectRef::Type { schema, .. }
            | ObjectRef::Function { schema, .. }
            | ObjectRef::Constraint { schema, .. }
            | ObjectRef::Index { schema, .. }
            | ObjectRef::Trigger { schema, .. }
            | ObjectRef::Rule { schema, .. }
            | ObjectRef::Policy { schema, .. } => schema,
        }
    }
}

/// A view as PostgreSQL reads it back, with what re-creating it takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The `exclude` entry that names it: strata must not drop it, not even to create
    /// it again around a step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_by: Option<String>,
    /// Its owner (as `quote_ident` spells it) when that is not the role strata
    /// connects as: a view created again gets it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Those indexes, as `pg_get_indexdef` prints them (what `baseline` writes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<String>,
    /// Its output columns in order, as `name type [COLLATE collation]`: what `CREATE OR
    /// REPLACE VIEW` must keep (it may only add columns at the end).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
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
    /// A partitioned table's key (`RANGE (created_at)`), as declared or as
    /// `pg_get_partkeydef` prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<String>,
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

    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.0.as_deref_mut()
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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Current side: the constraint was added `NOT VALID` and never validated. Never
    /// compared: an unvalidated constraint that matches the declaration is that
    /// declaration (strata neither re-adds nor validates it); re-created, it comes back
    /// `NOT VALID`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_valid: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckConstraint {
    pub name: String,
    /// The boolean expression as `pg_get_constraintdef` prints it, without `CHECK`.
    pub expr: String,
    /// Current side: added `NOT VALID` and never validated; never compared (see
    /// [`ForeignKey::not_valid`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_valid: bool,
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
            not_valid: false,
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
        self.objects.sort();
        self.excluded_tables.sort_by(|a, b| {
            (&a.table.schema, &a.table.name).cmp(&(&b.table.schema, &b.table.name))
        });
        self.excluded_enums.sort_by(|a, b| {
            (&a.enum_type.schema, &a.enum_type.name).cmp(&(&b.enum_type.schema, &b.enum_type.name))
        });
        for t in self
            .tables
            .iter_mut()
            .chain(self.excluded_tables.iter_mut().map(|x| &mut x.table))
        {
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
        // Tables outside the managed schemas that lean on them stay, as tables strata
        // leaves alone: PostgreSQL refuses to drop a key their foreign key needs or an
        // enum their column uses. So do views outside that read managed relations: they
        // are set aside around a change of what they read, as views inside are.
        let managed_enums: Vec<String> = self
            .enums
            .iter()
            .filter(|e| is_managed(&e.schema))
            .map(crate::sql::enum_name)
            .collect();
        let leans_on_managed = |t: &Table| {
            t.foreign_keys.iter().any(|fk| is_managed(&fk.ref_schema))
                || t.columns.iter().any(|c| {
                    let ty = c.ty.strip_suffix("[]").unwrap_or(&c.ty);
                    managed_enums.iter().any(|e| e == ty)
                        || c.default
                            .as_deref()
                            .and_then(nextval_sequence)
                            .is_some_and(|(schema, _)| is_managed(&schema))
                })
        };
        let (tables, outside): (Vec<Table>, Vec<Table>) = std::mem::take(&mut self.tables)
            .into_iter()
            .partition(|t| is_managed(&t.schema));
        self.tables = tables;
        self.excluded_tables
            .retain(|x| is_managed(&x.table.schema) || leans_on_managed(&x.table));
        self.excluded_tables
            .extend(
                outside
                    .into_iter()
                    .filter(|t| leans_on_managed(t))
                    .map(|table| ExcludedTable {
                        why: LeftAlone::OtherSchema,
                        table,
                    }),
            );
        self.views
            .retain(|v| is_managed(&v.schema) || v.reads.iter().any(|r| is_managed(&r.schema)));
        self.schemas
            .retain(|name| name == "public" || is_managed(name));
        self.enums.retain(|e| is_managed(&e.schema));
        self.excluded_enums
            .retain(|x| is_managed(&x.enum_type.schema));
        self.objects.retain_schemas(is_managed);
    }

    /// The enum types as a column's type spells them (`status`, `billing.kind`) that a
    /// column of an excluded table uses, alone or as an array, with those tables.
    pub fn enums_used_by_excluded(&self) -> Vec<(&EnumType, Vec<&ExcludedTable>)> {
        self.enums
            .iter()
            .filter_map(|e| {
                let t = crate::sql::enum_name(e);
                let array = format!("{t}[]");
                let users: Vec<&ExcludedTable> = self
                    .excluded_tables
                    .iter()
                    .filter(|x| x.table.columns.iter().any(|c| c.ty == t || c.ty == array))
                    .collect();
                (!users.is_empty()).then_some((e, users))
            })
            .collect()
    }

    pub fn table(&self, schema: &str, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.schema == schema && t.name == name)
    }
}

/// The sequence a `nextval('...'::regclass)` default draws from, as SQL, as
/// `pg_get_expr` wrote it inside the literal (`users_id_seq`, `billing."T_seq"`).
pub fn nextval_sequence_sql(default: &str) -> Option<String> {
    let inner = default
        .trim()
        .strip_prefix("nextval('")?
        .strip_suffix("'::regclass)")?;
    Some(inner.replace("''", "'"))
}

/// The same sequence as (schema, name): an unqualified name is in `public`, as the
/// catalog is read with `search_path = public` (names elsewhere are qualified).
pub fn nextval_sequence(default: &str) -> Option<(String, String)> {
    let sql = nextval_sequence_sql(default)?;
    let tokens: Vec<_> = crate::lex::tokens(&sql).collect();
    let name = |i: usize| crate::lex::ident::ident_name(&tokens[i], &sql).map(|n| n.into_owned());
    match tokens.len() {
        1 => Some(("public".to_string(), name(0)?)),
        3 if tokens[1].text(&sql) == "." => Some((name(0)?, name(2)?)),
        _ => None,
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
            partition_by: None,
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
