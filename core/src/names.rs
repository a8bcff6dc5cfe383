//! PostgreSQL's own naming: default constraint and index names, its 63-byte truncation
//! and its numbering of collisions, and identifier quoting.
