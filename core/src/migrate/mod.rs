//! Migration files, the `_sqlx_migrations` history, and run / revert / status.
