//! `strata create NAME`: an empty, reviewable up/down pair.
use super::{load_migrations, Ctx};
use crate::Outcome;
use strata_core::migrate::{next_version, validate_name, write_pair};

const UP_TEMPLATE: &str = "-- Up migration: write the change here.\n\
-- It runs in a transaction. To run it outside one (CREATE INDEX CONCURRENTLY, ...),\n\
-- make `-- no-transaction` the very first line and keep a single statement.\n\
-- Timeouts for this migration alone go in lines such as these, before the first statement:\n\
--   -- strata: statement_timeout = 5min\n\
--   -- strata: lock_timeout = 5s\n";

const DOWN_TEMPLATE: &str = "-- Down migration: write the exact inverse of the up file here.\n";

pub fn create(ctx: &Ctx<'_>, name: &str) -> anyhow::Result<Outcome> {
    validate_name(name)?;
    let existing: Vec<i64> = load_migrations(ctx)?.iter().map(|m| m.version).collect();
    let version = next_version(&existing, chrono::Utc::now());
    let (up, down) = write_pair(
        &ctx.settings.migrations,
        version,
        name,
        UP_TEMPLATE,
        DOWN_TEMPLATE,
    )?;
    ctx.out.info(&format!("Created {}", up.display()));
    ctx.out.info(&format!("Created {}", down.display()));
    ctx.out.json(&serde_json::json!({
        "version": version,
        "up": up,
        "down": down,
    }))?;
    Ok(Outcome::Done)
}
