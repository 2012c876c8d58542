//! STUB
pub mod x12;
