//! What Odoo's events become for the partner (pure): a confirmed sale order → an order
//! acknowledgement whose line statuses compare Odoo's lines with the partner's order; a
//! validated delivery → a ship notice with the shipped quantities, tracking reference and an
//! SSCC-18 per package.

use rust_decimal::Decimal;

use crate::edi::gs1::Sscc;
use crate::model::order_ack::{LineAck, LineStatus, OrderAck, OrderAckLine, OrderAckType};
use crate::model::ship_notice::{Pack, ShipNotice, ShipNoticePurpose, ShippedItem, ShippedOrder};
use crate::model::{Order, OrderLine, OrderPurpose, Text};
use crate::pipeline::ports::MappedOrder;

/// One Odoo sale order line as the acknowledgement needs it, matched to the partner's line
/// by its position in the order Wharf created (`<order external id>_line_<n>`).
#[derive(Debug, Clone, PartialEq)]
pub struct OdooLine {
    /// 1-based position among the partner's lines; `None` for a line added in Odoo.
    pub position: Option<usize>,
    pub quantity: Decimal,
    pub price: Decimal,
}

fn text(s: &str) -> Text {
    Text::from(s)
}

/// The acknowledgement of `order` as Odoo confirmed it (`name` is Odoo's order number).
pub fn order_ack(
    order: &Order,
    mapped: &MappedOrder,
    odoo_lines: &[OdooLine],
    name: &str,
    today: &str,
) -> OrderAck {
    let mut changed = false;
    let lines = order
        .lines
        .iter()
        .enumerate()
        .map(|(i, line): (usize, &OrderLine)| {
            let odoo = odoo_lines.iter().find(|l| l.position == Some(i + 1));
            let (status, qty, price) = match odoo {
                None => (LineStatus::Rejected, Decimal::ZERO, line.unit_price),
                Some(o) if o.quantity.is_zero() => {
                    (LineStatus::Rejected, Decimal::ZERO, line.unit_price)
                }
                Some(o) if o.quantity != line.quantity => {
                    (LineStatus::QuantityChanged, o.quantity, Some(o.price))
                }
                Some(o)
                    if line
                        .unit_price
                        .is_some_and(|p| (p - o.price).abs() > mapped.price_tolerance) =>
                {
                    (LineStatus::PriceChanged, o.quantity, Some(o.price))
                }
                Some(o) => (
                    LineStatus::Accepted,
                    o.quantity,
                    line.unit_price.or(Some(o.price)),
                ),
            };
            changed |= status != LineStatus::Accepted;
            let ack = |status| LineAck {
                status,
                quantity: Some(qty),
                uom: line.uom.clone(),
                date: None,
                item_ids: Vec::new(),
            };
            let quantity_changed = status == LineStatus::QuantityChanged;
            let mut acks = vec![ack(status)];
            // Odoo re-prices a line whose quantity a salesperson changed (its pricelist):
            // the new price is then reported as a change too (IP beside IQ), never printed
            // silently as if the partner had agreed to it.
            if quantity_changed
                && let (Some(theirs), Some(ours)) = (line.unit_price, price)
                && (theirs - ours).abs() > mapped.price_tolerance
            {
                acks.push(ack(LineStatus::PriceChanged));
            }
            OrderAckLine {
                line_number: Some(line.line_number.clone()),
                quantity: Some(line.quantity),
                uom: line.uom.clone(),
                unit_price: price,
                price_basis: None,
                item_ids: line.item_ids.clone(),
                description: None,
                acks,
            }
        })
        .collect::<Vec<_>>();
    let all_rejected = lines
        .iter()
        .all(|l| l.acks.iter().all(|a| a.status == LineStatus::Rejected));
    OrderAck {
        purpose: OrderPurpose::Original,
        ack_type: if all_rejected && !lines.is_empty() {
            OrderAckType::RejectedWithDetail
        } else if changed {
            OrderAckType::AcceptedWithChanges
        } else {
            OrderAckType::AcceptedNoChanges
        },
        po_number: order.po_number.clone(),
        po_date: order.po_date.clone().or_else(|| Some(text(today))),
        release_number: None,
        request_reference: None,
        contract_number: None,
        seller_order_number: Some(text(name)),
        ack_date: Some(text(today)),
        currency: order.currency.clone(),
        references: Vec::new(),
        parties: order.parties.clone(),
        lines,
        source: order.source.clone(),
    }
}

/// One shipped quantity as read from the delivery: the partner's line (by position), the
/// quantity in `uom` (the partner's unit code; `None`: the unit the partner ordered in), and
/// the Odoo package it went in (`None`: not packed).
#[derive(Debug, Clone, PartialEq)]
pub struct ShippedLine {
    pub position: Option<usize>,
    pub quantity: Decimal,
    pub uom: Option<Text>,
    pub package: Option<(i64, String)>,
}

/// What the delivery says about the shipment as a whole: the ship notice's TD1, TD5 and
/// REF segments.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Shipment<'a> {
    /// The carrier's tracking (PRO) number: REF*CN.
    pub tracking: Option<&'a str>,
    /// The carrier's SCAC, from the profile's `[mapping] carriers`: TD5.
    pub scac: Option<&'a str>,
    /// Gross weight and Odoo's weight unit label (`kg`, `lb`): TD1.
    pub weight: Option<Decimal>,
    pub weight_unit: Option<&'a str>,
}

/// A quantity Odoo keeps in one unit, told in another: `factor`s are `uom.uom` `factor`s,
/// whose meaning flipped in 19 (18: units of this per reference unit, a 12-unit case is
/// 1/12; 19: reference units in one of this, the case is 12). `None` when the result is not
/// a whole number of the target unit (a part of a case), which the caller then reports in
/// the unit it has instead of rounding.
pub fn convert(qty: Decimal, from_factor: f64, to_factor: f64, v19: bool) -> Option<Decimal> {
    use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
    if from_factor <= 0.0 || to_factor <= 0.0 {
        return None;
    }
    let q = qty.to_f64()?;
    let out = if v19 {
        q * from_factor / to_factor
    } else {
        q / from_factor * to_factor
    };
    let whole = out.round();
    ((out - whole).abs() < 1e-6)
        .then(|| Decimal::from_f64(whole))
        .flatten()
}

/// The SSCC-18 of a package: its name when that already is a valid SSCC (labels printed
/// elsewhere), else one made from the partner's GS1 company prefix and the package's Odoo id
/// (the picking's id for unpacked goods), so the same package always gets the same number.
pub fn sscc_for(package_name: Option<&str>, serial: u64, prefix: &str) -> Option<String> {
    if let Some(name) = package_name
        && let Ok(s) = Sscc::parse(name)
    {
        return Some(s.as_str().to_owned());
    }
    Sscc::new(0, prefix, serial)
        .ok()
        .map(|s| s.as_str().to_owned())
}

/// The ship notice for one validated delivery of `order`.
#[allow(clippy::too_many_arguments)]
pub fn ship_notice(
    order: &Order,
    picking_id: i64,
    picking_name: &str,
    shipment: &Shipment<'_>,
    shipped: &[ShippedLine],
    sscc_prefix: &str,
    date: &str,
    time: &str,
) -> ShipNotice {
    use crate::model::ship_notice::{Carrier, Lading};
    // Packages in the order Odoo numbered them; unpacked goods in one carton of their own.
    let mut packs: Vec<(Option<i64>, Pack)> = Vec::new();
    for s in shipped.iter().filter(|s| !s.quantity.is_zero()) {
        let key = s.package.as_ref().map(|(id, _)| *id);
        let idx = match packs.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let serial = key.unwrap_or(picking_id).unsigned_abs();
                let name = s.package.as_ref().map(|(_, n)| n.as_str());
                packs.push((
                    key,
                    Pack {
                        sscc: sscc_for(name, serial, sscc_prefix).map(Text::from),
                        items: Vec::new(),
                    },
                ));
                packs.len() - 1
            }
        };
        let line = s.position.and_then(|p| order.lines.get(p - 1));
        packs[idx].1.items.push(ShippedItem {
            line_number: line.map(|l| l.line_number.clone()),
            item_ids: line.map(|l| l.item_ids.clone()).unwrap_or_default(),
            quantity: s.quantity,
            uom: s
                .uom
                .clone()
                .or_else(|| line.and_then(|l| l.uom.clone()))
                .unwrap_or_else(|| text("EA")),
            quantity_ordered: line.map(|l| l.quantity),
            description: None,
        });
    }
    let weight_unit = shipment
        .weight_unit
        .map(|u| match u.to_ascii_lowercase().as_str() {
            "kg" | "kgs" => text("KG"),
            "lb" | "lbs" => text("LB"),
            other => text(&other.to_ascii_uppercase()),
        });
    let weight = shipment.weight.filter(|w| !w.is_zero());
    ShipNotice {
        purpose: ShipNoticePurpose::Original,
        shipment_id: text(picking_name),
        date: text(date),
        time: Some(text(time)),
        // Lading quantity: the cartons the SSCC labels go on.
        lading: Some(Lading {
            packaging_code: Some(text("CTN25")),
            quantity: u32::try_from(packs.len()).ok(),
            weight_qualifier: weight.map(|_| text("G")),
            weight,
            weight_unit: weight.and(weight_unit),
        }),
        carrier: shipment.scac.map(|scac| Carrier {
            id_qualifier: Some(text("2")),
            id: Some(text(scac)),
            transport_method: None,
            routing: None,
        }),
        // The delivery's own number is the shipper's bill of lading reference.
        bill_of_lading: Some(text(picking_name)),
        pro_number: shipment.tracking.map(text),
        references: Vec::new(),
        ship_date: Some(text(date)),
        estimated_delivery: None,
        parties: order.parties.clone(),
        orders: vec![ShippedOrder {
            po_number: order.po_number.clone(),
            release_number: None,
            po_date: order.po_date.clone(),
            packs: packs.into_iter().map(|(_, p)| p).collect(),
            loose_items: Vec::new(),
        }],
        source: order.source.clone(),
    }
}

/// One posted invoice line: the partner's line (by position; `None` for a line added in
/// Odoo, such as freight), quantity, unit price and Odoo's untaxed amount for the line.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoicedLine {
    pub position: Option<usize>,
    pub quantity: Decimal,
    pub price: Decimal,
    /// `price_subtotal`: quantity × price less the line's discount, untaxed.
    pub subtotal: Decimal,
    /// The line's label in Odoo (names a charge).
    pub label: Option<String>,
}

/// The posted invoice's totals as Odoo computed them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InvoiceTotals {
    pub untaxed: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    /// The rate when every taxed line has the same percent tax.
    pub tax_percent: Option<Decimal>,
}

/// The invoice (810/…) for a posted Odoo customer invoice of `order`. It adds up the way
/// retailers check it: Σ IT1 quantity × price + charges − allowances + taxes = TDS. Lines
/// that are not the partner's order lines (freight, a discount line) become allowances or
/// charges, never IT1 lines the partner never ordered; a line's discount is folded into its
/// unit price.
pub fn invoice(
    order: &Order,
    number: &str,
    date: &str,
    totals: &InvoiceTotals,
    lines: &[InvoicedLine],
) -> crate::model::invoice::Invoice {
    use crate::model::invoice::{
        AllowanceCharge, ChargeKind, Invoice, InvoiceLine, InvoiceTax, InvoiceType,
    };
    let mut items = Vec::new();
    let mut charges = Vec::new();
    for l in lines {
        match l.position.and_then(|p| order.lines.get(p - 1)) {
            Some(line) => {
                // The net unit price, exact when the line had no discount.
                let price = if l.quantity.is_zero() || l.quantity * l.price == l.subtotal {
                    l.price
                } else {
                    (l.subtotal / l.quantity).round_dp(6).normalize()
                };
                items.push(InvoiceLine {
                    line_number: Some(line.line_number.clone()),
                    quantity: l.quantity,
                    uom: line.uom.clone(),
                    unit_price: price,
                    price_basis: None,
                    item_ids: line.item_ids.clone(),
                    description: None,
                });
            }
            None if l.subtotal.is_zero() => {}
            None => {
                let label = l.label.clone().unwrap_or_default();
                let lower = label.to_ascii_lowercase();
                let (kind, code) = if l.subtotal.is_sign_negative() {
                    (ChargeKind::Allowance, "C310")
                } else if ["deliver", "freight", "shipping", "carrier"]
                    .iter()
                    .any(|w| lower.contains(w))
                {
                    (ChargeKind::Charge, "D240")
                } else {
                    (ChargeKind::Charge, "D500")
                };
                charges.push(AllowanceCharge {
                    kind,
                    code: Some(text(code)),
                    amount: l.subtotal.abs().round_dp(2),
                    description: (!label.is_empty()).then(|| text(&label)),
                });
            }
        }
    }
    let taxes = if totals.tax.is_zero() {
        Vec::new()
    } else {
        vec![InvoiceTax {
            tax_type: text("TX"),
            amount: totals.tax.round_dp(2),
            percent: totals.tax_percent,
        }]
    };
    Invoice {
        invoice_number: text(number),
        invoice_date: text(date),
        po_number: Some(order.po_number.clone()),
        po_date: order.po_date.clone(),
        release_number: None,
        invoice_type: Some(InvoiceType::DebitInvoice),
        currency: order.currency.clone(),
        references: Vec::new(),
        parties: order.parties.clone(),
        terms: None,
        ship_date: None,
        lines: items,
        taxes,
        charges,
        total: totals.total.round_dp(2),
        carrier: None,
        source: order.source.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edi::gs1::check_digit;

    #[test]
    fn quantities_convert_between_units_on_18_and_19() {
        let d = |n: i64| Decimal::new(n, 0);
        // 18: Units factor 1, a 12-unit case 1/12.
        assert_eq!(convert(d(24), 1.0, 1.0 / 12.0, false), Some(d(2)));
        assert_eq!(convert(d(2), 1.0 / 12.0, 1.0, false), Some(d(24)));
        // 19: Units factor 1, the case 12.
        assert_eq!(convert(d(24), 1.0, 12.0, true), Some(d(2)));
        // 23 units are not a whole number of cases: said in units instead.
        assert_eq!(convert(d(23), 1.0, 12.0, true), None);
        assert_eq!(convert(d(5), 1.0, 1.0, true), Some(d(5)));
    }

    #[test]
    fn sscc_from_prefix_and_serial_is_valid_and_stable() {
        let a = sscc_for(None, 42, "0614141").unwrap();
        assert_eq!(a.len(), 18);
        assert_eq!(a, sscc_for(None, 42, "0614141").unwrap());
        let (payload, check) = a.split_at(17);
        assert_eq!(
            check_digit(payload.as_bytes()),
            Some(check.as_bytes()[0] - b'0')
        );
        assert!(a.starts_with("00614141"), "{a}");
        // A package already named with a valid SSCC keeps it.
        assert_eq!(
            sscc_for(Some("106141412345678908"), 1, "0614141").unwrap(),
            "106141412345678908"
        );
        assert_ne!(
            sscc_for(Some("PACK0001"), 1, "0614141").unwrap(),
            "PACK0001"
        );
    }
}
