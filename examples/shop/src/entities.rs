//! The shop's tables, declared once, in Rust.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Someone who buys things.
#[derive(strata::Entity)]
#[entity(table_name = "customers", comment = "People who buy things")]
pub struct Customer {
    #[entity(primary_key, default = "gen_random_uuid()")]
    pub id: Uuid,
    #[entity(length = 320, unique)]
    pub email: String,
    pub display_name: String,
    #[entity(length = 32)]
    pub phone: Option<String>,
    #[entity(default = "now()")]
    pub created_at: DateTime<Utc>,
}

/// Something for sale.
#[derive(strata::Entity)]
#[entity(table_name = "products")]
pub struct Product {
    #[entity(primary_key, identity)]
    pub id: i64,
    #[entity(unique = "products_sku_key")]
    pub sku: String,
    #[entity(renamed_from = "name", comment = "Shown in the catalogue")]
    pub title: String,
    /// Price in cents.
    pub price_cents: i64,
    #[entity(default = "0")]
    pub stock: i64,
    #[entity(default = "ARRAY[]::text[]")]
    pub tags: Vec<String>,
}

/// One purchase.
#[derive(strata::Entity)]
#[entity(table_name = "orders")]
pub struct Order {
    #[entity(primary_key, identity = "always")]
    pub id: i64,
    pub customer_id: Uuid,
    #[entity(default = "'{}'::jsonb")]
    pub details: serde_json::Value,
    #[entity(default = "now()")]
    pub placed_at: DateTime<Utc>,
    pub shipped_at: Option<DateTime<Utc>>,
}
