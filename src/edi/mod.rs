//! EDI syntax layer (X12, EDIFACT and XML): pure byte parsing and writing. Must not depend on I/O, async, the database or the pipeline.

// Partner bytes must not panic the gateway: no unwrap, expect or unchecked indexing here.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod diag;
pub mod edifact;
pub mod gs1;
pub mod scan;
pub mod x12;
pub mod xml;
