//! X12 850 purchase order (4010/5010, read leniently for 4000/4060) → canonical `Order`. Pure mapping: must not depend on I/O, async or the database.

use super::common::Faults;
use crate::edi::x12::{Diagnostic, Segment, TransactionSetEnvelope};
use crate::model::{ItemId, Order, OrderLine, OrderPurpose, SourceRef, Text};
use compact_str::ToCompactString;
use rust_decimal::Decimal;
use std::str::FromStr;

/// CCYYMMDD (or YYMMDD, windowed) → YYYY-MM-DD; `None` when not a calendar date.
pub fn iso_date(raw: &[u8]) -> Option<Text> {
    if !raw.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let s = std::str::from_utf8(raw).ok()?;
    let (y, m, d) = match s.len() {
        8 => (
            s.get(0..4)?.parse::<u32>().ok()?,
            s.get(4..6)?.parse::<u32>().ok()?,
            s.get(6..8)?.parse::<u32>().ok()?,
        ),
        6 => {
            let yy = s.get(0..2)?.parse::<u32>().ok()?;
            // Two-digit years: 00-49 → 20xx, 50-99 → 19xx.
            (
                if yy < 50 { 2000 + yy } else { 1900 + yy },
                s.get(2..4)?.parse::<u32>().ok()?,
                s.get(4..6)?.parse::<u32>().ok()?,
            )
        }
        _ => return None,
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let max = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d == 0 || d > max {
        return None;
    }
    Some(compact_str::format_compact!("{y:04}-{m:02}-{d:02}"))
}

/// X12 numeric/decimal (R type): optional sign, digits, optional point. No exponents, no grouping.
pub fn decimal(raw: &[u8]) -> Option<Decimal> {
    let ok = !raw.is_empty()
        && raw.len() <= 28
        && raw
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && raw.iter().any(u8::is_ascii_digit);
    if !ok {
        return None;
    }
    Decimal::from_str(std::str::from_utf8(raw).ok()?).ok()
}

/// Maps one enveloped 850. `Err` carries AK3/AK4-coded diagnostics; the set must then be rejected.
pub fn map_850(
    set: &TransactionSetEnvelope<'_>,
    source: SourceRef,
) -> Result<Order, Vec<Diagnostic>> {
    let mut faults = Faults::new(&source);
    let mut order = Order {
        purpose: OrderPurpose::Other(Text::default()),
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
    let mut seen_beg = false;
    let mut ctt: Option<Segment<'_>> = None;
    let mut in_lines = false;
    let body = set.body();
    // Sized once: the lines are the bulk of an order and growing moved them repeatedly.
    order.lines = Vec::with_capacity(body.iter().filter(|s| s.is("PO1")).count());
    for seg in body {
        // Split once: the mapping reads many elements of each segment.
        let seg = &super::common::Fields::new(seg);
        match seg.id {
            b"BEG" => {
                seen_beg = true;
                match seg.value(1) {
                    None => faults.element(seg, 1, 1, "purpose code is missing"),
                    Some(b"00") => order.purpose = OrderPurpose::Original,
                    Some(b"01") => order.purpose = OrderPurpose::Cancellation,
                    Some(b"04") => order.purpose = OrderPurpose::Change,
                    Some(b"05") => order.purpose = OrderPurpose::Replace,
                    Some(other) => {
                        order.purpose = OrderPurpose::Other(crate::edi::x12::compact_text(other))
                    }
                }
                order.order_type = seg.text(2);
                match seg.text(3) {
                    Some(po) => order.po_number = po,
                    None => faults.element(seg, 3, 1, "purchase order number is missing"),
                }
                if let Some(raw) = seg.value(5) {
                    match iso_date(raw) {
                        Some(d) => order.po_date = Some(d),
                        None => faults.element(seg, 5, 8, "is not a valid CCYYMMDD date"),
                    }
                }
            }
            b"CUR" => order.currency = seg.text(2),
            b"DTM" => {
                let which = seg.value(1);
                if matches!(which, Some(b"002" | b"010")) {
                    match seg.value(2).map(iso_date) {
                        Some(Some(d)) => {
                            if which == Some(b"002") {
                                order.requested_delivery_date = Some(d);
                            } else {
                                order.requested_ship_date = Some(d);
                            }
                        }
                        Some(None) => faults.element(seg, 2, 8, "is not a valid CCYYMMDD date"),
                        None => {}
                    }
                }
            }
            b"N1" if !in_lines => order.parties.push(super::common::read_n1(&mut faults, seg)),
            // N2-N4 only belong to the N1 loop they follow; orphans are ignored.
            b"N2" | b"N3" | b"N4" if !in_lines => {
                super::common::read_n2_n4(order.parties.last_mut(), seg)
            }
            b"PO1" => {
                in_lines = true;
                let quantity = match seg.value(2) {
                    None => {
                        faults.element(seg, 2, 1, "quantity is missing");
                        Decimal::ZERO
                    }
                    Some(raw) => decimal(raw).unwrap_or_else(|| {
                        faults.element(seg, 2, 6, "quantity is not a number");
                        Decimal::ZERO
                    }),
                };
                let unit_price = seg.value(4).and_then(|raw| {
                    let d = decimal(raw);
                    if d.is_none() {
                        faults.element(seg, 4, 6, "unit price is not a number");
                    }
                    d
                });
                let mut item_ids = Vec::new();
                // PO106/PO107 ... PO124/PO125: qualifier/value pairs.
                let mut n = 6;
                // Pairs stop where the segment does (most PO1s carry two or three pairs).
                let last = seg.element_count().min(25);
                while n <= last {
                    match (seg.value(n), seg.value(n + 1)) {
                        (Some(q), Some(v)) => item_ids.push(ItemId {
                            qualifier: super::common::qualifier_bytes(q),
                            value: super::common::fast_text(v),
                        }),
                        (Some(_), None) => faults.element(
                            seg,
                            n as u32 + 1,
                            2,
                            "product id missing after its qualifier",
                        ),
                        _ => {}
                    }
                    n += 2;
                }
                order.lines.push(OrderLine {
                    line_number: seg
                        .text(1)
                        .unwrap_or_else(|| (order.lines.len() + 1).to_compact_string()),
                    quantity,
                    uom: seg.text(3),
                    unit_price,
                    item_ids,
                    description: None,
                });
            }
            b"PID" if seg.value(1) == Some(b"F") => {
                if let (Some(line), Some(desc)) = (order.lines.last_mut(), seg.text(5)) {
                    line.description = Some(match line.description.take() {
                        Some(prev) => compact_str::format_compact!("{prev} {desc}"),
                        None => desc,
                    });
                }
            }
            b"MSG" => order.notes.extend(seg.text(1)),
            b"NTE" => order.notes.extend(seg.text(2)),
            b"CTT" => ctt = Some(**seg),
            _ => {}
        }
    }
    if !seen_beg {
        faults.missing_segment("BEG", 2, "an 850 must start with BEG");
    }
    if order.lines.is_empty() {
        let pos = set.segments.last().map_or(2, |s| s.position);
        faults.missing_segment("PO1", pos, "an 850 needs at least one PO1 line");
    }
    if let Some(seg) = ctt {
        match seg.value(1).and_then(decimal) {
            None => faults.element(
                &seg,
                1,
                6,
                "number of line items is missing or not a number",
            ),
            Some(n) if n != Decimal::from(order.lines.len()) => {
                let why = format!(
                    "says {n} line items but the order has {} PO1 lines",
                    order.lines.len()
                );
                faults.element(&seg, 1, 7, &why);
            }
            Some(_) => {}
        }
    }
    if faults.out.is_empty() {
        Ok(order)
    } else {
        Err(faults.out)
    }
}
