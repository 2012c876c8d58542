//! Canonical business documents and acknowledgement models (serde, what the gateway prints and stores). Must not depend on any EDI syntax, I/O, async or the database.

pub mod doc_kind;
pub mod ids;
pub mod interchange_ack;
pub mod invoice;
pub mod order_ack;
pub mod ship_notice;
pub mod vocabulary;

pub use doc_kind::{DocKind, Standard};
pub use ids::{MessageId, PartnerId, PartnerIdError};
pub use interchange_ack::{InterchangeAck, InterchangeAckKind, MessageVerdict, Verdict};
pub use invoice::Invoice;
pub use order_ack::OrderAck;
pub use ship_notice::ShipNotice;
pub use vocabulary::{
    BusinessEventKind, Channel, Direction, EventKind, Format, MessageState, Stage,
};

use rust_decimal::Decimal;

/// Text of canonical documents. Nearly every value EDI carries (codes, ids, dates, names)
/// fits in 24 bytes and is kept inline, so mapping a document allocates for its lists, not
/// for each of its dozens of values (allocation was most of the mapping's time).
pub type Text = compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// A canonical document. More variants (order response, ship notice, invoice) come later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Document {
    Order(Order),
    OrderAck(OrderAck),
    ShipNotice(ShipNotice),
    Invoice(Invoice),
    /// A partner's 997/999 about something Wharf sent.
    FunctionalAck(FunctionalAck),
    /// A partner's TA1 or CONTRL about an interchange Wharf sent (boxed: it is the largest
    /// variant, and every document would otherwise be as large).
    InterchangeAck(Box<InterchangeAck>),
}

impl Document {
    /// The business numbers an operator searches by: the PO number of an order or its
    /// acknowledgement, the shipment id and every PO of a ship notice, the invoice number and
    /// its PO. Empty for an acknowledgement.
    pub fn references(&self) -> Vec<&str> {
        match self {
            Document::Order(o) => vec![o.po_number.as_str()],
            Document::OrderAck(a) => vec![a.po_number.as_str()],
            Document::ShipNotice(n) => std::iter::once(n.shipment_id.as_str())
                .chain(n.orders.iter().map(|o| o.po_number.as_str()))
                .collect(),
            Document::Invoice(i) => std::iter::once(i.invoice_number.as_str())
                .chain(i.po_number.as_deref())
                .collect(),
            Document::FunctionalAck(_) | Document::InterchangeAck(_) => Vec::new(),
        }
    }
}

/// Where a canonical document came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// "X12", later "EDIFACT" etc.
    pub standard: Text,
    /// e.g. "004010" (GS08).
    pub version: Text,
    pub interchange_control: Text,
    pub group_control: Text,
    pub set_control: Text,
    pub sender_id: Text,
    pub receiver_id: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderPurpose {
    Original,
    Cancellation,
    Change,
    Replace,
    /// Any other purpose code, kept raw.
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub purpose: OrderPurpose,
    pub po_number: Text,
    /// ISO date YYYY-MM-DD.
    pub po_date: Option<Text>,
    pub order_type: Option<Text>,
    pub currency: Option<Text>,
    pub parties: Vec<Party>,
    pub lines: Vec<OrderLine>,
    pub notes: Vec<Text>,
    /// ISO date YYYY-MM-DD.
    pub requested_delivery_date: Option<Text>,
    /// ISO date YYYY-MM-DD.
    pub requested_ship_date: Option<Text>,
    pub source: SourceRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartyRole {
    BuyingParty,
    ShipTo,
    BillTo,
    Seller,
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub role: PartyRole,
    pub name: Option<Text>,
    /// Additional names (X12 N2).
    pub additional_names: Vec<Text>,
    pub id_qualifier: Option<Text>,
    pub id: Option<Text>,
    pub address_lines: Vec<Text>,
    pub city: Option<Text>,
    pub state: Option<Text>,
    pub postal_code: Option<Text>,
    pub country: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemIdQualifier {
    BuyerPart,
    VendorPart,
    Upc,
    Gtin,
    Other(Text),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemId {
    pub qualifier: ItemIdQualifier,
    pub value: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub line_number: Text,
    /// Serialized as a string (rust_decimal "serde-str" feature), never as a float.
    pub quantity: Decimal,
    pub uom: Option<Text>,
    pub unit_price: Option<Decimal>,
    pub item_ids: Vec<ItemId>,
    pub description: Option<Text>,
}

/// 997 or 999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AckKind {
    F997,
    F999,
}

impl AckKind {
    /// The transaction set identifier (ST01) of this acknowledgement.
    pub fn code(self) -> &'static str {
        match self {
            AckKind::F997 => "997",
            AckKind::F999 => "999",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AckStatus {
    /// A
    Accepted,
    /// E
    AcceptedWithErrors,
    /// P (groups only)
    PartiallyAccepted,
    /// R
    Rejected,
}

impl AckStatus {
    pub fn code(self) -> &'static str {
        match self {
            AckStatus::Accepted => "A",
            AckStatus::AcceptedWithErrors => "E",
            AckStatus::PartiallyAccepted => "P",
            AckStatus::Rejected => "R",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionalAck {
    pub kind: AckKind,
    pub groups: Vec<GroupAck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupAck {
    /// AK101 (GS01 of the acknowledged group).
    pub functional_id: Text,
    /// AK102 (GS06).
    pub group_control: Text,
    /// AK103 / GS08.
    pub version: Text,
    pub status: AckStatus,
    /// AK902
    pub included: u32,
    /// AK903
    pub received: u32,
    /// AK904
    pub accepted: u32,
    /// AK905.. codes.
    pub group_errors: Vec<u16>,
    pub sets: Vec<SetAck>,
    /// Where a received acknowledgement contradicts itself (AK9 against its AK5s); empty
    /// for a sound one and for those Wharf writes. When not empty, `status` follows the
    /// AK5s, not AK901.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inconsistencies: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAck {
    /// AK201
    pub set_id: Text,
    /// AK202
    pub set_control: Text,
    /// AK203
    pub implementation_ref: Option<Text>,
    pub status: AckStatus,
    /// AK502.. codes.
    pub set_errors: Vec<u16>,
    pub segment_errors: Vec<SegmentError>,
}

/// AK3 / IK3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentError {
    pub segment_id: Text,
    pub position: u32,
    pub loop_id: Option<Text>,
    pub code: u16,
    pub element_errors: Vec<ElementError>,
}

/// AK4 / IK4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementError {
    pub position: u32,
    pub component: Option<u32>,
    pub repeat: Option<u32>,
    pub reference: Option<u32>,
    pub code: u16,
    pub bad_value: Option<Text>,
}

/// Interchange acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ta1 {
    /// ISA13 of the acknowledged interchange.
    pub control_number: Text,
    /// ISA09 (YYMMDD).
    pub date: Text,
    /// ISA10 (HHMM).
    pub time: Text,
    /// A, E or R.
    pub ack_code: char,
    /// 3-digit note code, "000" when no error.
    pub note_code: Text,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_serializes_with_type_tag_and_decimal_strings() {
        let line = OrderLine {
            line_number: "1".into(),
            quantity: Decimal::new(25, 1),
            uom: Some("EA".into()),
            unit_price: None,
            item_ids: vec![ItemId {
                qualifier: ItemIdQualifier::Other("CB".into()),
                value: "X".into(),
            }],
            description: None,
        };
        let doc = Document::Order(Order {
            purpose: OrderPurpose::Original,
            po_number: "PO1".into(),
            po_date: None,
            order_type: None,
            currency: None,
            parties: vec![],
            lines: vec![line],
            notes: vec![],
            requested_delivery_date: None,
            requested_ship_date: None,
            source: SourceRef {
                standard: "X12".into(),
                version: "004010".into(),
                interchange_control: "1".into(),
                group_control: "1".into(),
                set_control: "0001".into(),
                sender_id: "S".into(),
                receiver_id: "R".into(),
            },
        });
        let json = serde_json::to_string(&doc).unwrap_or_default();
        assert!(json.starts_with("{\"type\":\"Order\""));
        assert!(json.contains("\"quantity\":\"2.5\""));
        let back: Document = serde_json::from_str(&json).unwrap();
        assert_eq!(back, doc);
    }
}
