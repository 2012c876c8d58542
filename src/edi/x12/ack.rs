//! STUB
use super::envelope::X12Error;
use crate::model::{FunctionalAck, Ta1};
pub struct OutboundEnvelope {
    pub group_control: u32,
}
impl OutboundEnvelope {
    pub fn now(_a: String, _b: String, _c: String, _d: String, _n: u32, _u: char) -> Self {
        Self { group_control: 0 }
    }
}
pub fn write_functional_ack(
    _a: &FunctionalAck,
    _e: &OutboundEnvelope,
) -> Result<Vec<u8>, X12Error> {
    Ok(vec![])
}
pub fn write_ta1(_a: &Ta1, _e: &OutboundEnvelope) -> Result<Vec<u8>, X12Error> {
    Ok(vec![])
}
