//! Entities → desired schema: names, types and canonical spellings. Pure.
