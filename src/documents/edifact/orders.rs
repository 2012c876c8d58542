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

/// The time of day a C507 carries, as `HHMM` (format 203) or `HHMMSS` (204); `None` for a
/// date-only format. `Err` when the digits after the date are not a time of day.
pub(crate) fn time_of_day(value: &str, format: Option<&str>) -> Result<Option<Text>, ()> {
    let time = match (format.unwrap_or("102"), value.len()) {
        ("203", 12) | ("204", 14) => value.get(8..).ok_or(())?,
        _ => return Ok(None),
    };
    let two =
        |i: usize| -> Result<u32, ()> { time.get(i..i + 2).and_then(|t| t.parse().ok()).ok_or(()) };
    let (h, m) = (two(0)?, two(2)?);
    let s = if time.len() == 6 { two(4)? } else { 0 };
    if h < 24 && m < 60 && s < 60 {
        Ok(Some(time.into()))
    } else {
        Err(())
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::super::{TranslateOptions, contrl_code, translate_with};
    use crate::model::{Document, ItemIdQualifier, OrderPurpose, PartyRole};
    use rust_decimal::Decimal;

    /// An EANCOM D96A ORDERS written for this test: decimal comma (UNA3), GLNs, PIA codes,
    /// free text with released characters.
    const ORDERS: &str = "UNA:+,? '\n\
UNB+UNOC:3+4012345000009:14+5412345000013:14+261126:0930+ORD0001++ORDERS++1'\n\
UNH+1+ORDERS:D:96A:UN:EAN008'\n\
BGM+220+PO-4711+9'\n\
DTM+137:20261126:102'\n\
DTM+2:202612031200:203'\n\
FTX+PUR+1++DELIVER TO DOCK 4?+5'\n\
NAD+BY+4012345000009::9'\n\
NAD+SU+5412345000013::9++Acme Supplies Ltd'\n\
NAD+DP+4012345000108::9++Store 108+1 Main Street+Bruxelles++1000+BE'\n\
CUX+2:EUR:9'\n\
LIN+1++5412345678908:EN'\n\
PIA+1+ACME-001:SA+B-77:IN'\n\
IMD+F++:::Widget blue'\n\
QTY+21:12:PCE'\n\
PRI+AAA:12,50'\n\
LIN+2++5412345678915:EN'\n\
QTY+21:3'\n\
PRI+AAB:7,25'\n\
UNS+S'\n\
CNT+2:2'\n\
UNT+20+1'\n\
UNZ+1+ORD0001'\n";

    #[test]
    fn an_eancom_order_becomes_a_canonical_order() {
        let t = translate_with(ORDERS.as_bytes(), TranslateOptions::default()).expect("reads");
        let ic = &t.interchanges[0];
        assert!(ic.errors.is_empty(), "{:?}", ic.errors);
        let [Document::Order(o)] = ic.documents.as_slice() else {
            panic!("one order expected: {:?}", ic.documents);
        };
        assert_eq!(o.po_number, "PO-4711");
        assert_eq!(o.purpose, OrderPurpose::Original);
        assert_eq!(o.order_type.as_deref(), Some("220"));
        assert_eq!(o.po_date.as_deref(), Some("2026-11-26"));
        assert_eq!(o.requested_delivery_date.as_deref(), Some("2026-12-03"));
        assert_eq!(o.currency.as_deref(), Some("EUR"));
        assert_eq!(o.notes, vec!["DELIVER TO DOCK 4+5"]);
        let dp = o
            .parties
            .iter()
            .find(|p| p.role == PartyRole::ShipTo)
            .expect("DP");
        assert_eq!(dp.id.as_deref(), Some("4012345000108"));
        assert_eq!(dp.id_qualifier.as_deref(), Some("9"));
        assert_eq!(dp.name.as_deref(), Some("Store 108"));
        assert_eq!(dp.city.as_deref(), Some("Bruxelles"));
        assert_eq!(dp.country.as_deref(), Some("BE"));
        assert_eq!(o.lines.len(), 2);
        let l1 = &o.lines[0];
        assert_eq!(l1.quantity, Decimal::new(12, 0));
        assert_eq!(l1.uom.as_deref(), Some("PCE"));
        assert_eq!(l1.unit_price, Some(Decimal::new(1250, 2)));
        assert_eq!(l1.description.as_deref(), Some("Widget blue"));
        let ids: Vec<(ItemIdQualifier, &str)> = l1
            .item_ids
            .iter()
            .map(|i| (i.qualifier.clone(), i.value.as_str()))
            .collect();
        assert_eq!(
            ids,
            vec![
                (ItemIdQualifier::Gtin, "5412345678908"),
                (ItemIdQualifier::VendorPart, "ACME-001"),
                (ItemIdQualifier::BuyerPart, "B-77"),
            ]
        );
        assert_eq!(o.lines[1].unit_price, Some(Decimal::new(725, 2)));
        assert_eq!(o.source.standard, "EDIFACT");
        assert_eq!(o.source.version, "D:96A");
        assert_eq!(o.source.interchange_control, "ORD0001");
        // UNB asked for a CONTRL (0031 = 1): one comes back, accepting the message.
        let c = ic.contrl.as_ref().expect("CONTRL asked for");
        assert_eq!(c.messages.len(), 1);
        assert!(c.messages[0].segments.is_empty());
    }

    #[test]
    fn content_faults_reject_the_message_with_located_codes() {
        let bad = ORDERS
            .replace("CNT+2:2'", "CNT+2:5'")
            .replace("QTY+21:3'", "QTY+21:3X'")
            .replace("BGM+220+PO-4711+9'", "BGM+220++9'");
        let t = translate_with(bad.as_bytes(), TranslateOptions::default()).expect("reads");
        let ic = &t.interchanges[0];
        assert!(ic.documents.is_empty());
        type Found = (Option<u16>, Option<String>, Option<u32>, Option<u32>);
        let found: Vec<Found> = ic
            .errors
            .iter()
            .map(|d| {
                (
                    contrl_code(d),
                    d.location.segment_id.clone(),
                    d.location.element,
                    d.location.component,
                )
            })
            .collect();
        // The element rules catch the non-numeric quantity before the mapping runs.
        assert!(
            found.contains(&(Some(37), Some("QTY".into()), Some(1), Some(2))),
            "{found:?}"
        );
        let c = ic.contrl.as_ref().expect("CONTRL");
        assert_eq!(c.messages[0].action.code(), "4");
        // A clean message with only mapping faults: the missing order number and the count.
        let bad = ORDERS
            .replace("CNT+2:2'", "CNT+2:5'")
            .replace("BGM+220+PO-4711+9'", "BGM+220++9'");
        let t = translate_with(bad.as_bytes(), TranslateOptions::default()).expect("reads");
        let codes: Vec<(Option<u16>, Option<String>)> = t.interchanges[0]
            .errors
            .iter()
            .map(|d| (contrl_code(d), d.location.segment_id.clone()))
            .collect();
        assert!(codes.contains(&(Some(13), Some("BGM".into()))), "{codes:?}");
        assert!(codes.contains(&(Some(12), Some("CNT".into()))), "{codes:?}");
    }

    #[test]
    fn a_contrl_is_never_answered_even_when_asked_for() {
        let contrl = "UNB+UNOA:3+P+WHARF+261126:1200+C1++++1'UNH+1+CONTRL:D:3:UN'\
UCI+IC1+WHARF+P+7'UNT+3+1'UNZ+1+C1'";
        let t = translate_with(contrl.as_bytes(), TranslateOptions::default()).expect("reads");
        assert!(t.interchanges[0].header.ack_requested);
        assert!(t.interchanges[0].contrl.is_none());
        assert!(
            t.interchanges[0].errors.is_empty(),
            "{:?}",
            t.interchanges[0].errors
        );
        // The same interchange carrying an order is answered.
        let t = translate_with(ORDERS.as_bytes(), TranslateOptions::default()).expect("reads");
        assert!(t.interchanges[0].contrl.is_some());
        let never = TranslateOptions {
            contrl: super::super::ContrlPolicy::Never,
            ..TranslateOptions::default()
        };
        let t = translate_with(ORDERS.as_bytes(), never).expect("reads");
        assert!(t.interchanges[0].contrl.is_none());
    }

    #[test]
    fn dates_in_the_usual_formats_become_iso() {
        assert_eq!(
            super::iso_date("20261126", Some("102")).as_deref(),
            Some("2026-11-26")
        );
        assert_eq!(
            super::iso_date("202611261200", Some("203")).as_deref(),
            Some("2026-11-26")
        );
        assert_eq!(
            super::iso_date("261126", Some("101")).as_deref(),
            Some("2026-11-26")
        );
        assert_eq!(super::iso_date("20261131", Some("102")), None);
        assert_eq!(super::iso_date("2026112", Some("102")), None);
    }
}
