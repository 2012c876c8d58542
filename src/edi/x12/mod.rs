//! STUB
pub mod ack;
pub mod envelope;
