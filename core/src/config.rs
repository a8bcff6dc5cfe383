//! `strata.toml`.
