//! A supplier's ship notice shaped for the Odoo receipt of each purchase order it fills:
//! which products, how many, in which labelled package, with the carrier's tracking number.

use rust_decimal::Decimal;

use super::{Finding, Judge, ProductKey, Side, product_of};
use crate::model::ItemIdQualifier;
use crate::model::ship_notice::{ShipNotice, ShipNoticePurpose, ShippedItem};
use crate::partners::{Profile, Rule};

/// One shipped item for the receipt.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReceiptLine {
    /// The purchase order line it fills, as the supplier numbered it.
    pub line_ref: Option<String>,
    pub product: Option<ProductKey>,
    pub quantity: Decimal,
    /// Odoo unit name after the profile's code map.
    pub uom: Option<String>,
    /// SSCC-18 of the package it came in: the received package's name.
    pub package: Option<String>,
    /// The supplier's lot (batch) number: X12 `LIN` qualifier `LT`, EDIFACT `PIA` `NB`.
    /// Written as the move line's `lot_name`; Odoo makes the lot when the receipt is done.
    #[serde(default)]
    pub lot: Option<String>,
}

/// The part of a ship notice for one purchase order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReceiptOrder {
    /// Our purchase order's number (Odoo `purchase.order` `name`), as the supplier quotes it.
    pub po_number: String,
    pub lines: Vec<ReceiptLine>,
}

/// A supplier's ship notice ready for the ERP connector.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MappedReceipt {
    pub partner: String,
    /// The vendor's `ref` in Odoo.
    pub vendor_ref: String,
    pub shipment_id: String,
    /// The notice cancels the earlier one with this shipment id: nothing is received.
    pub cancelled: bool,
    /// Carrier's tracking (PRO) number, else the bill of lading.
    pub tracking_ref: Option<String>,
    pub ship_date: Option<String>,
    pub expected_date: Option<String>,
    pub orders: Vec<ReceiptOrder>,
    /// Validate the receipt after writing the quantities, and whether a short shipment
    /// leaves a backorder: the profile's `[receipts]`.
    pub validate: bool,
    pub backorder: bool,
}

/// Maps a supplier's ship notice; breaches are judged as for orders.
pub fn map_ship_notice(
    profile: &Profile,
    notice: &ShipNotice,
    findings: &mut Vec<Finding>,
) -> MappedReceipt {
    let rules = &profile.mapping;
    let mut judge = Judge {
        profile,
        found: findings,
    };
    let shipment = notice.shipment_id.as_str();
    let line = |item: &ShippedItem, package: Option<&str>, judge: &mut Judge| {
        let what = format!(
            "ship notice {shipment} line {}",
            item.line_number.as_deref().unwrap_or("?")
        );
        let product = product_of(&item.item_ids, Side::Supplier, &what, judge);
        let code = item.uom.as_str();
        let uom = if code.is_empty() {
            rules.default_uom.clone()
        } else {
            Some(rules.uom.get(code).cloned().unwrap_or_else(|| {
                judge.breach(
                    Rule::UomUnmapped,
                    format!("{what}: unit {code} is not in [mapping] uom; sent to Odoo as {code}"),
                );
                code.to_owned()
            }))
        };
        let lot = item.item_ids.iter().find_map(|id| match &id.qualifier {
            ItemIdQualifier::Other(q) if q == "LT" || q == "NB" => Some(id.value.to_string()),
            _ => None,
        });
        ReceiptLine {
            line_ref: item.line_number.as_deref().map(String::from),
            product,
            quantity: item.quantity,
            uom,
            package: package.map(String::from),
            lot,
        }
    };
    let orders = notice
        .orders
        .iter()
        .map(|o| {
            let mut lines = Vec::new();
            for pack in &o.packs {
                for item in &pack.items {
                    lines.push(line(item, pack.sscc.as_deref(), &mut judge));
                }
            }
            for item in &o.loose_items {
                lines.push(line(item, None, &mut judge));
            }
            ReceiptOrder {
                po_number: o.po_number.to_string(),
                lines,
            }
        })
        .collect();
    MappedReceipt {
        partner: profile.id.to_string(),
        vendor_ref: rules.customer_ref.clone(),
        shipment_id: shipment.to_owned(),
        cancelled: notice.purpose == ShipNoticePurpose::Cancellation,
        tracking_ref: notice
            .pro_number
            .as_deref()
            .or(notice.bill_of_lading.as_deref())
            .map(String::from),
        ship_date: notice.ship_date.as_deref().map(String::from),
        expected_date: notice.estimated_delivery.as_deref().map(String::from),
        orders,
        validate: profile.receipts.validate,
        backorder: profile.receipts.backorder,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Document;
    use crate::pipeline::mapping::ProductField;

    fn profile(extra: &str) -> Profile {
        let text = format!(
            "id = \"pinnacle\"\nname = \"P\"\n[x12]\nqualifier = \"ZZ\"\nid = \"P\"\n{extra}"
        );
        crate::partners::parse_profile(std::path::Path::new("partners/pinnacle.toml"), &text)
            .expect("profile")
    }

    /// The 856 fixture (S/O/P/I: one carton, SSCC 106141412345678908, 10 EA of BP ACME-001 /
    /// VP WID-1 for PO-1001), with a loose item added to the order.
    fn notice() -> ShipNotice {
        let raw = include_bytes!("../../../tests/fixtures/x12/856_sopi.edi");
        let t = crate::documents::x12::translate(raw).expect("translates");
        let doc = t.interchanges[0].documents[0].clone();
        let Document::ShipNotice(mut n) = doc else {
            panic!("not a ship notice: {doc:?}");
        };
        let mut loose = n.orders[0].packs[0].items[0].clone();
        loose.item_ids.retain(|id| id.value == "ACME-001");
        loose.quantity = Decimal::new(3, 0);
        loose.uom = "CA".into();
        n.orders[0].loose_items.push(loose);
        n
    }

    #[test]
    fn a_suppliers_part_numbers_mean_ours_and_theirs() {
        // Supplier side: the vendor part is its own code on our product's vendor line, the
        // buyer part is our internal reference.
        let p = profile(
            "[mapping]\nitem_id_order = [\"vendor_part\", \"buyer_part\"]\nuom = { EA = \"Units\" }\n",
        );
        let mut f = Vec::new();
        let r = map_ship_notice(&p, &notice(), &mut f);
        assert_eq!(r.shipment_id, "SHIP-9");
        assert_eq!(r.tracking_ref.as_deref(), Some("BOL-9"));
        assert_eq!(r.vendor_ref, "PINNACLE");
        let lines = &r.orders[0].lines;
        assert_eq!(r.orders[0].po_number, "PO-1001");
        let k = lines[0].product.as_ref().expect("product");
        assert_eq!(
            (k.field, k.lookup.as_str()),
            (ProductField::SupplierCode, "WID-1")
        );
        assert_eq!(lines[0].package.as_deref(), Some("106141412345678908"));
        assert_eq!(lines[0].uom.as_deref(), Some("Units"));
        let k = lines[1].product.as_ref().expect("product");
        assert_eq!(
            (k.field, k.lookup.as_str()),
            (ProductField::DefaultCode, "ACME-001")
        );
        assert_eq!(lines[1].package, None);
        // CA is not mapped: warned by default.
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, Rule::UomUnmapped);
    }
}
