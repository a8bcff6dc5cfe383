//! The shop example's entities, as a library so the app and its tests can use them.

pub mod entities;

use strata::Entity;

/// Every table the shop declares, as compiled into the binary.
pub fn all_entities() -> Vec<strata::EntityDef> {
    vec![
        entities::Customer::entity(),
        entities::Product::entity(),
        entities::Order::entity(),
    ]
}

/// Compares the shop's database with its entities, and its migrations folder with
/// `_sqlx_migrations` (read only: nothing is changed). `migrations` is the folder the
/// app ships its migrations in.
pub async fn check_database(
    pool: &sqlx::PgPool,
    migrations: &std::path::Path,
) -> Result<strata::CheckReport, strata::CheckError> {
    strata::Check::new(&all_entities())
        .migrations_dir(migrations)
        .run(pool)
        .await
}
