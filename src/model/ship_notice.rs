//! Canonical advance ship notice (X12 856, EDIFACT DESADV later). Must not depend on any EDI syntax, I/O, async or the database.

use super::{ItemId, Party, SourceRef, Text, order_ack::Reference};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Why the notice is sent (X12 BSN01, code list 353).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShipNoticePurpose {
    /// 00
    Original,
    /// 01
    Cancellation,
    /// 05
    Replace,
    /// 14: advance notification.
    AdvanceNotification,
    Other(Text),
}

/// The whole shipment's lading (X12 TD1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lading {
    /// e.g. "CTN25", "PLT94".
    pub packaging_code: Option<Text>,
    pub quantity: Option<u32>,
    /// e.g. "G" gross, "A3" shipper's weight.
    pub weight_qualifier: Option<Text>,
    pub weight: Option<Decimal>,
    /// e.g. "LB", "KG".
    pub weight_unit: Option<Text>,
}

/// The carrier and routing (X12 TD5 in an 856, CAD in an 810).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    /// e.g. "2" for SCAC.
    pub id_qualifier: Option<Text>,
    pub id: Option<Text>,
    /// e.g. "M" motor, "A" air.
    pub transport_method: Option<Text>,
    pub routing: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipNotice {
    pub purpose: ShipNoticePurpose,
    pub shipment_id: Text,
    /// ISO date YYYY-MM-DD the notice was created.
    pub date: Text,
    /// HHMM, HHMMSS or HHMMSSDD as sent.
    pub time: Option<Text>,
    pub lading: Option<Lading>,
    pub carrier: Option<Carrier>,
    pub bill_of_lading: Option<Text>,
    /// Carrier's PRO / tracking number.
    pub pro_number: Option<Text>,
    /// Other shipment references.
    pub references: Vec<Reference>,
    /// ISO date YYYY-MM-DD shipped.
    pub ship_date: Option<Text>,
    /// ISO date YYYY-MM-DD the delivery is expected.
    pub estimated_delivery: Option<Text>,
    pub parties: Vec<Party>,
    pub orders: Vec<ShippedOrder>,
    pub source: SourceRef,
}

/// The part of the shipment that fills one purchase order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShippedOrder {
    pub po_number: Text,
    pub release_number: Option<Text>,
    /// ISO date YYYY-MM-DD.
    pub po_date: Option<Text>,
    /// Labelled packages (cartons, pallets) and what each holds.
    pub packs: Vec<Pack>,
    /// Items shipped without a package of their own.
    pub loose_items: Vec<ShippedItem>,
}

/// One physical package. Kept package-first because the SSCC label is what the receiver scans;
/// the X12 writer turns this into either hierarchy (S/O/P/I or S/O/I/P).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pack {
    /// SSCC-18 (18 digits, GS1 check digit).
    pub sscc: Option<Text>,
    pub items: Vec<ShippedItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedItem {
    /// The order line this item fills.
    pub line_number: Option<Text>,
    pub item_ids: Vec<ItemId>,
    /// Serialized as a string, never a float.
    pub quantity: Decimal,
    pub uom: Text,
    pub quantity_ordered: Option<Decimal>,
    pub description: Option<Text>,
}
