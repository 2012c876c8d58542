//! ORDERS (D96A, D01B and their EANCOM subsets) → canonical Order: BGM, DTM, CUX, FTX, NAD+BY/SU/DP/IV with GLNs, LIN/PIA item ids (GTIN, buyer and supplier codes), IMD, QTY+21, PRI, UNS and the CNT check. Pure.

use super::Faults;
use crate::edi::edifact::{Segment, code, normalise_number};
use crate::model::{
    ItemId, ItemIdQualifier, Order, OrderLine, OrderPurpose, Party, PartyRole, SourceRef, Text,
};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Component `k` of element `n` as canonical text.
pub(crate) fn text(seg: &Segment<'_>, n: usize, k: usize) -> Option<Text> {
    seg.text(n, k).map(|t| Text::from(t.as_ref()))
}

/// A date in C507 (2380 value, 2379 format) as ISO `YYYY-MM-DD`: formats 102 (CCYYMMDD),
/// 203/204 (CCYYMMDDHHMM[SS]) and 101 (YYMMDD); `None` when it is none of these.
pub(crate) fn iso_date(value: &str, format: Option<&str>) -> Option<Text> {
    let digits = value.bytes().all(|b| b.is_ascii_digit());
    let eight = match (format.unwrap_or("102"), value.len()) {
        ("102", 8) | ("203", 12) | ("204", 14) if digits => value.get(..8)?.to_owned(),
        ("101", 6) if digits => {
            let yy: u32 = value.get(..2)?.parse().ok()?;
            format!(
                "{}{}",
                if yy < 50 { 2000 + yy } else { 1900 + yy },
                value.get(2..6)?
            )
        }
        _ => return None,
    };
    crate::documents::x12::po850::iso_date(eight.as_bytes())
}

fn party_role(code: &str) -> PartyRole {
    match code {
        "BY" => PartyRole::BuyingParty,
        "DP" | "ST" => PartyRole::ShipTo,
        "IV" => PartyRole::BillTo,
        "SU" | "SE" => PartyRole::Seller,
        other => PartyRole::Other(other.into()),
    }
}

/// NAD: party function, C082 id (3039) with its agency (3055, "9" = GS1 for a GLN), C080
/// name, C059 street, city, postal code and country.
pub(crate) fn party(seg: &Segment<'_>) -> Party {
    let mut names: Vec<Text> = (1..=5).filter_map(|k| text(seg, 4, k)).collect();
    if names.is_empty() {
        names = (1..=5).filter_map(|k| text(seg, 3, k)).collect();
    }
    let mut names = names.into_iter();
    Party {
        role: party_role(&seg.text(1, 1).unwrap_or_default()),
        name: names.next(),
        additional_names: names.collect(),
        id_qualifier: text(seg, 2, 3).or_else(|| text(seg, 2, 2)),
        id: text(seg, 2, 1),
        address_lines: (1..=4).filter_map(|k| text(seg, 5, k)).collect(),
        city: text(seg, 6, 1),
        state: text(seg, 7, 1),
        postal_code: text(seg, 8, 1),
        country: text(seg, 9, 1),
    }
}

/// Item number type (7143) → canonical qualifier.
pub(crate) fn item_qualifier(code: &str) -> ItemIdQualifier {
    match code {
        "EN" | "SRV" => ItemIdQualifier::Gtin,
        "UP" => ItemIdQualifier::Upc,
        "IN" | "BP" => ItemIdQualifier::BuyerPart,
        "SA" | "VN" | "VP" => ItemIdQualifier::VendorPart,
        other => ItemIdQualifier::Other(other.into()),
    }
}

/// C212 at element `n`: item number and its type.
pub(crate) fn item_id(seg: &Segment<'_>, n: usize) -> Option<ItemId> {
    let value = text(seg, n, 1)?;
    let qualifier = item_qualifier(&seg.text(n, 2).unwrap_or_default());
    Some(ItemId { qualifier, value })
}

/// A numeric component as a decimal; a fault (code 37) when it is not a number.
pub(crate) fn number(
    f: &mut Faults,
    seg: &Segment<'_>,
    n: usize,
    k: usize,
    what: &str,
) -> Option<Decimal> {
    let raw = seg.text(n, k)?;
    match normalise_number(&raw).and_then(|v| Decimal::from_str(&v).ok()) {
        Some(d) => Some(d),
        None => {
            f.element(
                seg,
                n,
                k,
                code::INVALID_CHARACTER_TYPE,
                format!("{what} {raw:?} is not a number"),
            );
            None
        }
    }
}

pub fn map_orders(segments: &[Segment<'_>], source: SourceRef, f: &mut Faults) -> Option<Order> {
    let mut order = Order {
        purpose: OrderPurpose::Original,
        po_number: Text::default(),
        po_date: None,
        order_type: None,
        currency: None,
        parties: Vec::new(),
        lines: Vec::new(),
        notes: Vec::new(),
        requested_delivery_date: None,
        requested_ship_date: None,
        source,
    };
    let mut bgm_seen = false;
    let mut in_summary = false;
    let mut count: Option<(Segment<'_>, Decimal)> = None;
    for seg in segments {
        match seg.tag {
            b"BGM" => {
                bgm_seen = true;
                order.order_type = text(seg, 1, 1);
                match text(seg, 2, 1) {
                    Some(n) => order.po_number = n,
                    None => f.element(
                        seg,
                        2,
                        1,
                        code::MISSING,
                        "BGM02 document number (the order number) is missing".into(),
                    ),
                }
                order.purpose = match seg.text(3, 1).as_deref() {
                    None | Some("9") => OrderPurpose::Original,
                    Some("1" | "3") => OrderPurpose::Cancellation,
                    Some("4") => OrderPurpose::Change,
                    Some("5") => OrderPurpose::Replace,
                    Some(other) => OrderPurpose::Other(other.into()),
                };
            }
            b"DTM" => {
                let Some(value) = seg.text(1, 2) else {
                    continue;
                };
                let format = seg.text(1, 3);
                let date = iso_date(&value, format.as_deref());
                if date.is_none() {
                    f.element(
                        seg,
                        1,
                        2,
                        code::INVALID_VALUE,
                        format!(
                            "DTM date {value:?} does not match format {}",
                            format.as_deref().unwrap_or("102")
                        ),
                    );
                    continue;
                }
                match seg.text(1, 1).as_deref() {
                    Some("137") if order.lines.is_empty() => order.po_date = date,
                    Some("2" | "64" | "63") if order.lines.is_empty() => {
                        order.requested_delivery_date =
                            order.requested_delivery_date.take().or(date)
                    }
                    Some("10") if order.lines.is_empty() => order.requested_ship_date = date,
                    _ => {}
                }
            }
            b"CUX" => order.currency = text(seg, 1, 2),
            b"FTX" => {
                let note: Vec<String> = (1..=5)
                    .filter_map(|k| seg.text(4, k).map(|t| t.into_owned()))
                    .collect();
                if !note.is_empty() {
                    order.notes.push(note.join(" ").into());
                }
            }
            b"NAD" if order.lines.is_empty() => order.parties.push(party(seg)),
            b"LIN" => {
                let line_number = text(seg, 1, 1)
                    .unwrap_or_else(|| Text::from((order.lines.len() + 1).to_string()));
                order.lines.push(OrderLine {
                    line_number,
                    quantity: Decimal::ZERO,
                    uom: None,
                    unit_price: None,
                    item_ids: item_id(seg, 3).into_iter().collect(),
                    description: None,
                });
            }
            b"PIA" => {
                if let Some(line) = order.lines.last_mut() {
                    line.item_ids
                        .extend((2..=6).filter_map(|n| item_id(seg, n)));
                }
            }
            b"IMD" => {
                // C273: 7008 free-text description (components 4 and 5).
                let desc = text(seg, 3, 4).or_else(|| text(seg, 3, 5));
                if let (Some(line), Some(d)) = (order.lines.last_mut(), desc) {
                    line.description = Some(match line.description.take() {
                        Some(prev) => compact_str::format_compact!("{prev} {d}"),
                        None => d,
                    });
                }
            }
            b"QTY" if seg.text(1, 1).as_deref() == Some("21") => {
                let q = number(f, seg, 1, 2, "QTY ordered quantity");
                if let Some(line) = order.lines.last_mut() {
                    line.quantity = q.unwrap_or(Decimal::ZERO);
                    line.uom = text(seg, 1, 3).or(line.uom.take());
                }
            }
            b"PRI" => {
                let qualifier = seg.text(1, 1);
                let price = number(f, seg, 1, 2, "PRI price");
                if let Some(line) = order.lines.last_mut()
                    && (qualifier.as_deref() == Some("AAA") || line.unit_price.is_none())
                {
                    line.unit_price = price.or(line.unit_price);
                }
            }
            b"UNS" => in_summary = true,
            b"CNT" if in_summary && seg.text(1, 1).as_deref() == Some("2") => {
                count = number(f, seg, 1, 2, "CNT line count").map(|n| (*seg, n));
            }
            _ => {}
        }
    }
    if !bgm_seen {
        f.message(code::MISSING, "the ORDERS has no BGM (order number)".into());
    }
    for (i, line) in order.lines.iter().enumerate() {
        if line.quantity.is_zero() {
            f.message(
                code::MISSING,
                format!(
                    "line {} (LIN {}) has no ordered quantity (QTY+21)",
                    i + 1,
                    line.line_number
                ),
            );
        }
    }
    if let Some((seg, n)) = count
        && n != Decimal::from(order.lines.len())
    {
        f.element(
            &seg,
            1,
            2,
            code::INVALID_VALUE,
            format!(
                "CNT+2 says {n} lines but the order has {}",
                order.lines.len()
            ),
        );
    }
    f.is_clean().then_some(order)
}
