//! The shop example's entities, as a library so the app and its tests can use them.

pub mod entities;
