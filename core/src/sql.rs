//! SQL text for schema objects and statements. Pure.
