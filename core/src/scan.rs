//! Reads the user's entity sources (globs) with syn, as the derive would see them.
use crate::entity::{DbEnumDef, EntityDef};
use std::path::{Path, PathBuf};

/// An item with the place it was declared.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub item: T,
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Scanned {
    pub entities: Vec<Located<EntityDef>>,
    pub enums: Vec<Located<DbEnumDef>>,
}

/// Every problem found while scanning, rendered as `file:line:col` with the source line.
#[derive(Debug)]
pub struct ScanError {
    pub rendered: String,
    pub count: usize,
}

/// Expands `patterns` (relative to `root`), parses every file, and collects all entities
/// and enums. All errors of all files come back at once.
pub fn scan(_root: &Path, _patterns: &[String]) -> Result<Scanned, ScanError> {
    unimplemented!("helper A")
}
