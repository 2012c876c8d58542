//! STUB
use crate::edi::x12::envelope::{IsaHeader, X12Error};
use crate::model::{AckKind, Document, FunctionalAck, Ta1};
#[derive(Debug, Default)]
pub struct TranslateOptions {
    pub ack_kind: AckKind,
}
pub struct X12Translation {
    pub interchanges: Vec<InterchangeOutcome>,
    pub diagnostics: Vec<String>,
}
pub struct InterchangeOutcome {
    pub header: IsaHeader,
    pub documents: Vec<Document>,
    pub ack: Option<FunctionalAck>,
    pub ta1: Option<Ta1>,
    pub errors: Vec<String>,
}
impl InterchangeOutcome {
    pub fn transaction_sets(&self) -> Vec<String> {
        vec![]
    }
}
pub fn translate(_i: &[u8], _o: &TranslateOptions) -> Result<X12Translation, X12Error> {
    Err(X12Error)
}
