//! EDI syntax layer (X12 today): pure byte parsing and writing. Must not depend on I/O, async, the database or the pipeline.

pub mod scan;
pub mod x12;
