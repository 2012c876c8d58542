//! The map stage's pure part: a canonical order shaped for the ERP by the partner's rules
//! (customer reference, which item identifier to use, unit-of-measure codes).
//!
//! The result is ERP-neutral: the Odoo connector turns a [`MappedOrder`] into `sale.order`
//! values. Depends on `model` and `partners` only.

use rust_decimal::Decimal;

use crate::model::{ItemIdQualifier, Order, OrderPurpose, PartyRole};
use crate::partners::{ItemKey, Profile};

/// How a line's product is to be found in the ERP.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProductKey {
    /// `buyer_part` (via the partner's cross-reference), `vendor_part` (the ERP's internal
    /// reference) or `gtin` (the ERP's barcode).
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MappedLine {
    pub line_ref: Option<String>,
    pub product: Option<ProductKey>,
    pub quantity: Decimal,
    /// The ERP's unit name after the profile's code map (the partner's code when unmapped).
    pub uom: Option<String>,
    pub price: Option<Decimal>,
    pub description: Option<String>,
}

/// An order ready for the ERP connector.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MappedOrder {
    pub partner: String,
    /// The customer's `ref` in the ERP.
    pub customer_ref: String,
    /// The partner's PO number; with `partner` it identifies the order exactly once.
    pub client_order_ref: String,
    /// A stable external ID for the ERP record, derived from partner and PO number.
    pub external_id: String,
    /// The order's purpose as the canonical model has it: the connector creates an order for
    /// `Original`, and updates or cancels the existing one for `Change`/`Replace`/`Cancellation`.
    pub purpose: OrderPurpose,
    pub order_date: Option<String>,
    pub requested_date: Option<String>,
    /// The ship-to location's code (N1*ST N104), resolved to a delivery address by `ref`.
    pub ship_to_ref: Option<String>,
    pub ship_to_name: Option<String>,
    pub lines: Vec<MappedLine>,
    pub notes: Vec<String>,
}

fn key_name(k: ItemKey) -> &'static str {
    match k {
        ItemKey::BuyerPart => "buyer_part",
        ItemKey::VendorPart => "vendor_part",
        ItemKey::Gtin => "gtin",
    }
}

fn matches(k: ItemKey, kind: &ItemIdQualifier) -> bool {
    matches!(
        (k, kind),
        (ItemKey::BuyerPart, ItemIdQualifier::BuyerPart)
            | (ItemKey::VendorPart, ItemIdQualifier::VendorPart)
            | (ItemKey::Gtin, ItemIdQualifier::Gtin | ItemIdQualifier::Upc)
    )
}

/// Maps one order; anything the rules cannot resolve is kept and explained in `warnings`.
pub fn map_order(profile: &Profile, order: &Order, warnings: &mut Vec<String>) -> MappedOrder {
    let ship_to = order.parties.iter().find(|p| p.role == PartyRole::ShipTo);
    let lines = order
        .lines
        .iter()
        .map(|line| {
            let product = profile.item_id_order.iter().find_map(|k| {
                line.item_ids
                    .iter()
                    .find(|id| matches(*k, &id.qualifier))
                    .map(|id| ProductKey {
                        kind: key_name(*k).to_owned(),
                        value: id.value.to_string(),
                    })
            });
            if product.is_none() {
                warnings.push(format!(
                    "PO {} line {}: none of the identifiers the profile accepts ({}) is present",
                    order.po_number,
                    line.line_number.clone(),
                    profile
                        .item_id_order
                        .iter()
                        .map(|k| key_name(*k))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            MappedLine {
                line_ref: (!line.line_number.is_empty()).then(|| line.line_number.to_string()),
                product,
                quantity: line.quantity,
                uom: line.uom.as_ref().map(|u| {
                    profile
                        .uom
                        .get(u.as_str())
                        .cloned()
                        .unwrap_or_else(|| u.to_string())
                }),
                price: line.unit_price,
                description: line.description.as_deref().map(String::from),
            }
        })
        .collect();
    MappedOrder {
        partner: profile.id.to_string(),
        customer_ref: profile.customer_ref.clone(),
        external_id: format!(
            "wharf_{}_{}",
            profile.id,
            order
                .po_number
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect::<String>()
        ),
        client_order_ref: order.po_number.to_string(),
        purpose: order.purpose.clone(),
        order_date: order.po_date.as_deref().map(String::from),
        requested_date: order.requested_delivery_date.as_deref().map(String::from),
        ship_to_ref: ship_to.and_then(|p| p.id.as_deref().map(String::from)),
        ship_to_name: ship_to.and_then(|p| p.name.as_deref().map(String::from)),
        lines,
        notes: order.notes.iter().map(|n| n.to_string()).collect(),
    }
}
