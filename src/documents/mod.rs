//! Translation from EDI syntax to canonical documents. Pure functions: must not depend on I/O, async, the database or the pipeline.

pub mod edifact;
pub mod x12;
pub mod xml;
