//! Canonical purchase order acknowledgement (X12 855, EDIFACT ORDRSP later). Must not depend on any EDI syntax, I/O, async or the database.

use super::{ItemId, OrderPurpose, Party, SourceRef, Text};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How the seller answers the order as a whole (X12 BAK02, code list 587).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderAckType {
    /// AC: acknowledged with detail and changes.
    AcceptedWithChanges,
    /// AD: acknowledged with detail, no change.
    AcceptedNoChanges,
    /// AE: acknowledged with exception detail only.
    ExceptionsOnly,
    /// AK: acknowledged, no detail or change.
    AcceptedNoDetail,
    /// AT: accepted.
    Accepted,
    /// RD: rejected with detail.
    RejectedWithDetail,
    /// RJ: rejected, no detail.
    Rejected,
    /// Any other code, kept raw.
    Other(Text),
}

/// What happened to one order line (X12 ACK01, code list 668).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineStatus {
    /// IA
    Accepted,
    /// IB
    Backordered,
    /// IC: accepted, changes made.
    Changed,
    /// ID
    Deleted,
    /// IE: accepted, price pending.
    PricePending,
    /// IH
    OnHold,
    /// IP: accepted, price changed.
    PriceChanged,
    /// IQ: accepted, quantity changed.
    QuantityChanged,
    /// IR
    Rejected,
    /// IS: accepted, substitution made.
    Substituted,
    /// AC: accepted and shipped.
    AcceptedAndShipped,
    /// Any other code, kept raw.
    Other(Text),
}

/// A reference number with its qualifier (X12 REF01/REF02, REF03 description).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub qualifier: Text,
    pub value: Option<Text>,
    pub description: Option<Text>,
}

/// A date with the qualifier that says what it is (X12 code list 374, e.g. "068" current schedule ship).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualifiedDate {
    pub qualifier: Text,
    /// ISO date YYYY-MM-DD.
    pub date: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderAck {
    pub purpose: OrderPurpose,
    pub ack_type: OrderAckType,
    pub po_number: Text,
    /// ISO date YYYY-MM-DD of the order being acknowledged.
    pub po_date: Option<Text>,
    pub release_number: Option<Text>,
    pub request_reference: Option<Text>,
    pub contract_number: Option<Text>,
    /// The seller's own order number.
    pub seller_order_number: Option<Text>,
    /// ISO date YYYY-MM-DD of the acknowledgement.
    pub ack_date: Option<Text>,
    pub currency: Option<Text>,
    pub references: Vec<Reference>,
    pub parties: Vec<Party>,
    pub lines: Vec<OrderAckLine>,
    pub source: SourceRef,
}

/// One order line as the seller echoes it, with its acknowledgement(s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderAckLine {
    pub line_number: Option<Text>,
    /// Quantity ordered, as echoed. Serialized as a string, never a float.
    pub quantity: Option<Decimal>,
    pub uom: Option<Text>,
    pub unit_price: Option<Decimal>,
    /// Basis of the unit price (X12 PO105, e.g. "PE" price per each).
    pub price_basis: Option<Text>,
    pub item_ids: Vec<ItemId>,
    pub description: Option<Text>,
    /// Usually one; several when a line is split (e.g. part accepted, part backordered).
    pub acks: Vec<LineAck>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineAck {
    pub status: LineStatus,
    pub quantity: Option<Decimal>,
    pub uom: Option<Text>,
    /// Scheduled date for this quantity (e.g. 068 ship, 067 delivery).
    pub date: Option<QualifiedDate>,
    /// Product ids when they differ from the order line (substitutions).
    pub item_ids: Vec<ItemId>,
}
