//! STUB
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct IsaHeader {
    pub sender_qualifier: String,
    pub sender_id: String,
    pub receiver_qualifier: String,
    pub receiver_id: String,
    pub control_number: String,
}
#[derive(Debug, thiserror::Error)]
#[error("x12")]
pub struct X12Error;
pub fn peek_isa(_i: &[u8]) -> Result<IsaHeader, X12Error> {
    Err(X12Error)
}
