//! Canonical business documents and acknowledgement models (serde, what the gateway prints and stores). Must not depend on any EDI syntax, I/O, async or the database.

pub mod invoice;
pub mod order_ack;
pub mod ship_notice;

pub use invoice::Invoice;
pub use order_ack::OrderAck;
pub use ship_notice::ShipNotice;

use rust_decimal::Decimal;
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
}

/// Where a canonical document came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// "X12", later "EDIFACT" etc.
    pub standard: String,
    /// e.g. "004010" (GS08).
    pub version: String,
    pub interchange_control: String,
    pub group_control: String,
    pub set_control: String,
    pub sender_id: String,
    pub receiver_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderPurpose {
    Original,
    Cancellation,
    Change,
    Replace,
    /// Any other purpose code, kept raw.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub purpose: OrderPurpose,
    pub po_number: String,
    /// ISO date YYYY-MM-DD.
    pub po_date: Option<String>,
    pub order_type: Option<String>,
    pub currency: Option<String>,
    pub parties: Vec<Party>,
    pub lines: Vec<OrderLine>,
    pub notes: Vec<String>,
    /// ISO date YYYY-MM-DD.
    pub requested_delivery_date: Option<String>,
    /// ISO date YYYY-MM-DD.
    pub requested_ship_date: Option<String>,
    pub source: SourceRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartyRole {
    BuyingParty,
    ShipTo,
    BillTo,
    Seller,
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub role: PartyRole,
    pub name: Option<String>,
    /// Additional names (X12 N2).
    pub additional_names: Vec<String>,
    pub id_qualifier: Option<String>,
    pub id: Option<String>,
    pub address_lines: Vec<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemIdQualifier {
    BuyerPart,
    VendorPart,
    Upc,
    Gtin,
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemId {
    pub qualifier: ItemIdQualifier,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub line_number: String,
    /// Serialized as a string (rust_decimal "serde-str" feature), never as a float.
    pub quantity: Decimal,
    pub uom: Option<String>,
    pub unit_price: Option<Decimal>,
    pub item_ids: Vec<ItemId>,
    pub description: Option<String>,
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
    pub functional_id: String,
    /// AK102 (GS06).
    pub group_control: String,
    /// AK103 / GS08.
    pub version: String,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAck {
    /// AK201
    pub set_id: String,
    /// AK202
    pub set_control: String,
    /// AK203
    pub implementation_ref: Option<String>,
    pub status: AckStatus,
    /// AK502.. codes.
    pub set_errors: Vec<u16>,
    pub segment_errors: Vec<SegmentError>,
}

/// AK3 / IK3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentError {
    pub segment_id: String,
    pub position: u32,
    pub loop_id: Option<String>,
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
    pub bad_value: Option<String>,
}

/// Interchange acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ta1 {
    /// ISA13 of the acknowledged interchange.
    pub control_number: String,
    /// ISA09 (YYMMDD).
    pub date: String,
    /// ISA10 (HHMM).
    pub time: String,
    /// A, E or R.
    pub ack_code: char,
    /// 3-digit note code, "000" when no error.
    pub note_code: String,
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
