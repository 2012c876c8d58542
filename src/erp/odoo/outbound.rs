//! What Odoo's events become for the partner (pure): a confirmed sale order → an order
//! acknowledgement whose line statuses compare Odoo's lines with the partner's order; a
//! validated delivery → a ship notice with the shipped quantities, tracking reference and an
//! SSCC-18 per package.

use rust_decimal::Decimal;

use crate::edi::x12::gs1::Sscc;
use crate::model::order_ack::{LineAck, LineStatus, OrderAck, OrderAckLine, OrderAckType};
use crate::model::ship_notice::{Pack, ShipNotice, ShipNoticePurpose, ShippedItem, ShippedOrder};
use crate::model::{Order, OrderLine, OrderPurpose, Text};
use crate::pipeline::mapping::MappedOrder;

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
            OrderAckLine {
                line_number: Some(line.line_number.clone()),
                quantity: Some(line.quantity),
                uom: line.uom.clone(),
                unit_price: price,
                price_basis: None,
                item_ids: line.item_ids.clone(),
                description: None,
                acks: vec![LineAck {
                    status,
                    quantity: Some(qty),
                    uom: line.uom.clone(),
                    date: None,
                    item_ids: Vec::new(),
                }],
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
/// quantity, and the Odoo package it went in (`None`: not packed).
#[derive(Debug, Clone, PartialEq)]
pub struct ShippedLine {
    pub position: Option<usize>,
    pub quantity: Decimal,
    pub package: Option<(i64, String)>,
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
    tracking: Option<&str>,
    shipped: &[ShippedLine],
    sscc_prefix: &str,
    date: &str,
    time: &str,
) -> ShipNotice {
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
            uom: line
                .and_then(|l| l.uom.clone())
                .unwrap_or_else(|| text("EA")),
            quantity_ordered: line.map(|l| l.quantity),
            description: None,
        });
    }
    ShipNotice {
        purpose: ShipNoticePurpose::Original,
        shipment_id: text(picking_name),
        date: text(date),
        time: Some(text(time)),
        lading: None,
        carrier: None,
        bill_of_lading: None,
        pro_number: tracking.map(text),
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

/// One posted invoice line: the partner's line (by position), quantity and unit price.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoicedLine {
    pub position: Option<usize>,
    pub quantity: Decimal,
    pub price: Decimal,
}

/// The invoice (810/…) for a posted Odoo customer invoice of `order`.
pub fn invoice(
    order: &Order,
    number: &str,
    date: &str,
    total: Decimal,
    lines: &[InvoicedLine],
) -> crate::model::invoice::Invoice {
    use crate::model::invoice::{Invoice, InvoiceLine, InvoiceType};
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
        lines: lines
            .iter()
            .map(|l| {
                let line = l.position.and_then(|p| order.lines.get(p - 1));
                InvoiceLine {
                    line_number: line.map(|x| x.line_number.clone()),
                    quantity: l.quantity,
                    uom: line.and_then(|x| x.uom.clone()),
                    unit_price: l.price,
                    price_basis: None,
                    item_ids: line.map(|x| x.item_ids.clone()).unwrap_or_default(),
                    description: None,
                }
            })
            .collect(),
        total: total.round_dp(2),
        carrier: None,
        source: order.source.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edi::x12::gs1::check_digit;

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
