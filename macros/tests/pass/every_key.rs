//! A struct using most keys compiles, and its runtime metadata is the parser's output.
use strata::{DbEnum as _, Entity as _, FkTarget, IdentityKind, IndexKey, RustType};

#[derive(strata::DbEnum)]
#[sqlx(type_name = "billing.plan", rename_all = "snake_case")]
pub enum Plan {
    Free,
    #[entity(renamed_from = "pro")]
    Professional,
}

#[derive(strata::Entity)]
#[entity(schema = "billing", partition_by = "HASH (id)")]
pub struct Org {
    #[entity(primary_key, identity = "always")]
    pub id: i64,
    pub region: String,
}

#[derive(strata::Entity)]
#[entity(table_name = "accounts", schema = "billing", comment = "Accounts")]
#[entity(index(email, name = "accounts_email_idx", unique, where = "email IS NOT NULL", include(plan)))]
#[entity(index(expr = "lower(email)", method = "btree"))]
#[entity(unique(org_id, email, name = "accounts_org_email"))]
#[entity(foreign_key(columns(org_id, region), references = Org, ref_columns(id, region), on_delete = "cascade", deferrable))]
#[entity(check(name = "accounts_sane", expr = "length(email) > 3"))]
pub struct Account {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(length = 320)]
    pub email: Option<String>,
    #[entity(foreign_key(Org, on_delete = "set null"), index(method = "hash"))]
    pub org_id: i64,
    pub region: String,
    pub plan: Plan,
    pub history: Vec<Plan>,
    #[entity(references = "geo.countries(code)", on_update = "cascade")]
    pub country: String,
    #[entity(sql_type = "citext", rename = "nick")]
    pub nickname: String,
    #[entity(sql_type = "bit(8)")]
    pub flags: u8,
    #[entity(generated = "upper(region)")]
    pub region_upper: String,
    #[entity(serial, renamed_from = "legacy")]
    pub legacy_no: i32,
    #[sqlx(skip)]
    pub cache: std::collections::HashMap<String, String>,
    pub raw: Vec<u8>,
    pub ip: std::net::IpAddr,
}

fn main() {
    let account = Account::entity();
    assert_eq!(account.table_name, "accounts");
    assert_eq!(account.schema.as_deref(), Some("billing"));
    assert_eq!(account.fields.len(), 13);
    assert_eq!(account.fields[0].identity, Some(IdentityKind::ByDefault));
    assert_eq!(account.fields[4].ty, RustType::Named("Plan".into()));
    assert_eq!(
        account.fields[5].ty,
        RustType::Array(Box::new(RustType::Named("Plan".into())))
    );
    assert_eq!(account.fields[7].column_name, "nick");
    assert_eq!(account.indexes[1].keys, vec![IndexKey::Expr("lower(email)".into())]);
    assert_eq!(account.foreign_keys[0].references, "Org");
    assert!(matches!(
        account.fields[6].foreign_key.as_ref().map(|f| &f.target),
        Some(FkTarget::Table { .. })
    ));
    assert_eq!(
        account.fields[2].foreign_key.as_ref().and_then(|f| f.actions.on_delete.as_deref()),
        Some("SET NULL")
    );
    let plan = Plan::db_enum();
    assert_eq!(plan.schema.as_deref(), Some("billing"));
    assert_eq!(plan.type_name, "plan");
    assert_eq!(plan.variants[1].label, "professional");
    assert_eq!(plan.variants[1].renamed_from.as_deref(), Some("pro"));
    assert_eq!(Org::entity().table_name, "org");
    assert_eq!(Org::entity().partition_by.as_deref(), Some("HASH (id)"));
}
