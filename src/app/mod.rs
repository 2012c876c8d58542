//! The composition root: builds the edges and hands them to the core.
pub mod ports;
