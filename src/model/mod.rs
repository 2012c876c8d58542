//! STUB (replaced by the X12 work): canonical documents.
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Document {
    Order(Order),
}
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum OrderPurpose {
    Original,
    Other(String),
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    pub purpose: OrderPurpose,
    pub po_number: String,
    pub po_date: Option<String>,
    pub parties: Vec<Party>,
    pub lines: Vec<OrderLine>,
    pub notes: Vec<String>,
    pub requested_delivery_date: Option<String>,
}
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum PartyRole {
    ShipTo,
    Other(String),
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Party {
    pub role: PartyRole,
    pub name: Option<String>,
    pub id: Option<String>,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderLine {
    pub line_number: Option<String>,
    pub quantity: Decimal,
    pub uom: Option<String>,
    pub unit_price: Option<Decimal>,
    pub item_ids: Vec<ItemId>,
    pub description: Option<String>,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemId {
    pub qualifier: ItemIdKind,
    pub value: String,
}
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum ItemIdKind {
    BuyerPart,
    VendorPart,
    Upc,
    Gtin,
    Other(String),
}
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Default)]
pub enum AckKind {
    #[default]
    F997,
    F999,
}
impl AckKind {
    pub fn code(&self) -> &'static str {
        match self {
            AckKind::F997 => "997",
            AckKind::F999 => "999",
        }
    }
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunctionalAck {
    pub kind: AckKind,
}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ta1 {
    pub control_number: String,
}
