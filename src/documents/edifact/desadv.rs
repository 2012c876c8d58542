//! DESADV (EANCOM D96A/D01B) both ways: a canonical ship notice becomes BGM 351, DTM, RFF, NAD, TDT and the CPS packing hierarchy (PAC, PCI+33E and GIN+BJ for each SSCC-18, LIN, PIA, IMD, QTY+12, RFF+ON per line); a partner's DESADV becomes a ShipNotice the same way back. Pure.

use super::Faults;
use super::orders::{iso_date, item_id, number, party, text, time_of_day};
use crate::edi::edifact::writer::OutSegment;
use crate::edi::edifact::{EdifactError, Segment, code};
use crate::edi::gs1::Sscc;
use crate::model::ship_notice::{
    Carrier, Lading, Pack, ShipNotice, ShipNoticePurpose, ShippedItem, ShippedOrder,
};
use crate::model::{ItemId, ItemIdQualifier, Party, PartyRole, SourceRef, Text};
use rust_decimal::Decimal;

/// Message function code (1225) of BGM03.
fn function_code(p: &ShipNoticePurpose) -> &str {
    match p {
        ShipNoticePurpose::Original | ShipNoticePurpose::AdvanceNotification => "9",
        ShipNoticePurpose::Cancellation => "1",
        ShipNoticePurpose::Replace => "5",
        ShipNoticePurpose::Other(c) => c.as_str(),
    }
}

fn purpose(code: Option<&str>) -> ShipNoticePurpose {
    match code {
        None | Some("9") => ShipNoticePurpose::Original,
        Some("1") => ShipNoticePurpose::Cancellation,
        Some("5") => ShipNoticePurpose::Replace,
        Some(other) => ShipNoticePurpose::Other(other.into()),
    }
}

/// NAD party function code for a canonical role.
pub(crate) fn role_code(role: &PartyRole) -> &str {
    match role {
        PartyRole::BuyingParty => "BY",
        PartyRole::ShipTo => "DP",
        PartyRole::BillTo => "IV",
        PartyRole::Seller => "SU",
        PartyRole::Other(c) => c.as_str(),
    }
}

/// NAD for a canonical party: C082 id with its agency, C080 names, C059 street, city,
/// postal code, country.
pub(crate) fn nad(p: &Party) -> OutSegment {
    let names: Vec<&str> = p
        .name
        .iter()
        .chain(p.additional_names.iter())
        .map(Text::as_str)
        .take(5)
        .collect();
    let street: Vec<&str> = p.address_lines.iter().map(Text::as_str).take(4).collect();
    OutSegment::new("NAD")
        .e(role_code(&p.role))
        .c(&[
            p.id.as_deref().unwrap_or_default(),
            "",
            p.id_qualifier.as_deref().unwrap_or_default(),
        ])
        .e("")
        .c(&names)
        .c(&street)
        .o(p.city.as_deref())
        .o(p.state.as_deref())
        .o(p.postal_code.as_deref())
        .o(p.country.as_deref())
}

/// Item number type (7143) for a canonical qualifier.
pub(crate) fn item_type(q: &ItemIdQualifier) -> &str {
    match q {
        ItemIdQualifier::Gtin | ItemIdQualifier::Upc => "SRV",
        ItemIdQualifier::BuyerPart => "IN",
        ItemIdQualifier::VendorPart => "SA",
        ItemIdQualifier::Other(c) => c.as_str(),
    }
}

/// CCYYMMDD from an ISO date.
pub(crate) fn compact_date(iso: &str, field: &'static str) -> Result<String, EdifactError> {
    let d: String = iso.chars().filter(|c| *c != '-').collect();
    if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) {
        Ok(d)
    } else {
        Err(EdifactError::InvalidOutbound {
            field,
            reason: format!("{iso:?} is not an ISO date"),
        })
    }
}

/// DTM with qualifier and format 102.
pub(crate) fn dtm(
    qualifier: &str,
    iso: &str,
    field: &'static str,
) -> Result<OutSegment, EdifactError> {
    Ok(OutSegment::new("DTM").c(&[qualifier, &compact_date(iso, field)?, "102"]))
}

/// DTM with the time of day when there is one: format 203 for `HHMM`, 204 for `HHMMSS`
/// (a longer X12 time keeps its first six digits); 102 otherwise.
pub(crate) fn dtm_at(
    qualifier: &str,
    iso: &str,
    time: Option<&str>,
    field: &'static str,
) -> Result<OutSegment, EdifactError> {
    let date = compact_date(iso, field)?;
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    Ok(match time.filter(|t| digits(t)) {
        Some(t) if t.len() == 4 => {
            OutSegment::new("DTM").c(&[qualifier, &format!("{date}{t}"), "203"])
        }
        Some(t) if t.len() >= 6 => OutSegment::new("DTM").c(&[
            qualifier,
            &format!("{date}{}", t.get(..6).unwrap_or(t)),
            "204",
        ]),
        _ => OutSegment::new("DTM").c(&[qualifier, &date, "102"]),
    })
}

/// LIN (the first GTIN/UPC in LIN03, as EANCOM wants) and PIA for the other ids.
pub(crate) fn item_segments(out: &mut Vec<OutSegment>, line: &str, ids: &[ItemId]) {
    let gtin = ids
        .iter()
        .position(|i| matches!(i.qualifier, ItemIdQualifier::Gtin | ItemIdQualifier::Upc));
    let lin = match gtin.and_then(|i| ids.get(i)) {
        Some(id) => OutSegment::new("LIN")
            .e(line)
            .e("")
            .c(&[id.value.as_str(), "SRV"]),
        None => OutSegment::new("LIN").e(line),
    };
    out.push(lin);
    let others: Vec<&ItemId> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != gtin)
        .map(|(_, id)| id)
        .collect();
    for chunk in others.chunks(5) {
        let mut pia = OutSegment::new("PIA").e("1");
        for id in chunk {
            pia = pia.c(&[id.value.as_str(), item_type(&id.qualifier)]);
        }
        out.push(pia);
    }
}

fn decimal_text(d: &Decimal) -> String {
    d.normalize().to_string()
}

/// The body of a DESADV for `n` (UNH/UNT are added by the writer).
pub fn to_segments(n: &ShipNotice) -> Result<Vec<OutSegment>, EdifactError> {
    if n.shipment_id.is_empty() {
        return Err(EdifactError::InvalidOutbound {
            field: "BGM02",
            reason: "the ship notice has no shipment id".into(),
        });
    }
    let mut out = vec![
        OutSegment::new("BGM")
            .e("351")
            .e(n.shipment_id.as_str())
            .e(function_code(&n.purpose)),
        dtm_at("137", &n.date, n.time.as_deref(), "DTM+137")?,
    ];
    if let Some(d) = &n.ship_date {
        out.push(dtm("11", d, "DTM+11")?);
    }
    if let Some(d) = &n.estimated_delivery {
        out.push(dtm("17", d, "DTM+17")?);
    }
    if let Some(l) = &n.lading
        && let Some(w) = &l.weight
    {
        out.push(
            OutSegment::new("MEA")
                .e("AAE")
                .e("AAD")
                .c(&[l.weight_unit.as_deref().unwrap_or("KGM"), &decimal_text(w)]),
        );
    }
    if let Some(b) = &n.bill_of_lading {
        out.push(OutSegment::new("RFF").c(&["BM", b]));
    }
    if let Some(p) = &n.pro_number {
        out.push(OutSegment::new("RFF").c(&["CN", p]));
    }
    for r in &n.references {
        out.push(
            OutSegment::new("RFF")
                .c(&[r.qualifier.as_str(), r.value.as_deref().unwrap_or_default()]),
        );
    }
    for p in &n.parties {
        out.push(nad(p));
    }
    if let Some(c) = &n.carrier {
        out.push(
            OutSegment::new("TDT")
                .e("20")
                .e("")
                .o(c.transport_method.as_deref())
                .e("")
                .c(&[
                    c.id.as_deref().unwrap_or_default(),
                    c.id_qualifier.as_deref().unwrap_or_default(),
                ]),
        );
    }
    // CPS 1 is the whole consignment; each pack is a CPS under it.
    out.push(OutSegment::new("CPS").e("1"));
    if let Some(l) = &n.lading
        && (l.quantity.is_some() || l.packaging_code.is_some())
    {
        out.push(
            OutSegment::new("PAC")
                .e(l.quantity.map(|q| q.to_string()).unwrap_or_default())
                .e("")
                .o(l.packaging_code.as_deref()),
        );
    }
    let mut cps = 1u32;
    let mut lines = 0u32;
    let mut line = |out: &mut Vec<OutSegment>, it: &ShippedItem, po: &str| {
        lines += 1;
        let number = it
            .line_number
            .as_deref()
            .map_or_else(|| lines.to_string(), str::to_owned);
        item_segments(out, &number, &it.item_ids);
        if let Some(d) = &it.description {
            out.push(OutSegment::new("IMD").e("F").e("").c(&["", "", "", d]));
        }
        out.push(OutSegment::new("QTY").c(&["12", &decimal_text(&it.quantity), &it.uom]));
        if let Some(q) = &it.quantity_ordered {
            out.push(OutSegment::new("QTY").c(&["21", &decimal_text(q), &it.uom]));
        }
        out.push(OutSegment::new("RFF").c(&["ON", po]));
    };
    for o in &n.orders {
        for p in &o.packs {
            cps += 1;
            out.push(OutSegment::new("CPS").e(cps.to_string()).e("1"));
            out.push(OutSegment::new("PAC").e("1").e("").e("CT"));
            if let Some(s) = &p.sscc {
                let checked = Sscc::parse(s).map_err(|e| EdifactError::InvalidOutbound {
                    field: "GIN+BJ",
                    reason: e.to_string(),
                })?;
                out.push(OutSegment::new("PCI").e("33E"));
                out.push(OutSegment::new("GIN").e("BJ").e(checked.as_str()));
            }
            for it in &p.items {
                line(&mut out, it, &o.po_number);
            }
        }
        if !o.loose_items.is_empty() {
            cps += 1;
            out.push(OutSegment::new("CPS").e(cps.to_string()).e("1"));
            for it in &o.loose_items {
                line(&mut out, it, &o.po_number);
            }
        }
    }
    out.push(OutSegment::new("CNT").c(&["2", &lines.to_string()]));
    Ok(out)
}

/// A partner's DESADV (body without UNH/UNT) → ShipNotice. Lines go to the order their
/// RFF+ON names (the header's when a line has none); lines after a GIN+BJ belong to that
/// SSCC's pack, the others are loose.
pub fn map_desadv(
    segments: &[Segment<'_>],
    source: SourceRef,
    f: &mut Faults,
) -> Option<ShipNotice> {
    let mut n = ShipNotice {
        purpose: ShipNoticePurpose::Original,
        shipment_id: Text::default(),
        date: Text::default(),
        time: None,
        lading: None,
        carrier: None,
        bill_of_lading: None,
        pro_number: None,
        references: Vec::new(),
        ship_date: None,
        estimated_delivery: None,
        parties: Vec::new(),
        orders: Vec::new(),
        source,
    };
    /// Where the next line goes.
    #[derive(Clone, Copy, PartialEq)]
    enum Place {
        Header,
        Loose,
        Pack,
    }
    let mut place = Place::Header;
    let mut header_po: Option<Text> = None;
    let mut sscc: Option<Text> = None;
    // Lines read, each with its pack (SSCC or loose) and its order (RFF+ON).
    let mut items: Vec<(Option<Text>, Option<Text>, ShippedItem)> = Vec::new();
    let mut in_line = false;
    for seg in segments {
        match seg.tag {
            b"BGM" => {
                match text(seg, 2, 1) {
                    Some(id) => n.shipment_id = id,
                    None => f.element(
                        seg,
                        2,
                        1,
                        code::MISSING,
                        "BGM02 despatch advice number is missing".into(),
                    ),
                }
                n.purpose = purpose(seg.text(3, 1).as_deref());
            }
            b"DTM" if !in_line => {
                let Some(value) = seg.text(1, 2) else {
                    continue;
                };
                let format = seg.text(1, 3);
                let date = iso_date(&value, format.as_deref());
                // 203/204 carry the time too: kept, not dropped, for the notice's own date.
                let time = time_of_day(&value, format.as_deref());
                if date.is_none() || time.is_err() {
                    f.element(
                        seg,
                        1,
                        2,
                        code::INVALID_VALUE,
                        format!("DTM date {value:?} is not a date in its format"),
                    );
                    continue;
                }
                match seg.text(1, 1).as_deref() {
                    Some("137") => {
                        n.date = date.unwrap_or_default();
                        n.time = time.unwrap_or_default();
                    }
                    Some("11") => n.ship_date = date,
                    Some("17" | "2") => n.estimated_delivery = date,
                    _ => {}
                }
            }
            b"MEA" if seg.text(1, 1).as_deref() == Some("AAE") && !in_line => {
                let weight = number(f, seg, 3, 2, "MEA weight");
                let lading = n.lading.get_or_insert(Lading {
                    packaging_code: None,
                    quantity: None,
                    weight_qualifier: None,
                    weight: None,
                    weight_unit: None,
                });
                lading.weight = weight;
                lading.weight_unit = text(seg, 3, 1);
            }
            b"RFF" => {
                let value = text(seg, 1, 2);
                match (seg.text(1, 1).as_deref(), in_line) {
                    (Some("ON"), true) => {
                        if let Some(last) = items.last_mut() {
                            last.1 = value;
                        }
                    }
                    (Some("ON"), false) => header_po = value,
                    (Some("BM"), false) => n.bill_of_lading = value,
                    (Some("CN"), false) => n.pro_number = value,
                    (Some(q), false) => n.references.push(crate::model::order_ack::Reference {
                        qualifier: q.into(),
                        value,
                        description: None,
                    }),
                    _ => {}
                }
            }
            b"NAD" if place == Place::Header => n.parties.push(party(seg)),
            b"TDT" => {
                n.carrier = Some(Carrier {
                    id_qualifier: text(seg, 5, 2),
                    id: text(seg, 5, 1),
                    transport_method: text(seg, 3, 1),
                    routing: None,
                })
            }
            b"CPS" => {
                in_line = false;
                sscc = None;
                place = if seg.text(1, 1).as_deref() == Some("1") && place == Place::Header {
                    Place::Header
                } else {
                    Place::Loose
                };
            }
            b"PAC" if place == Place::Header => {
                let quantity = seg.text(1, 1).and_then(|q| q.parse::<u32>().ok());
                let lading = n.lading.get_or_insert(Lading {
                    packaging_code: None,
                    quantity: None,
                    weight_qualifier: None,
                    weight: None,
                    weight_unit: None,
                });
                lading.quantity = quantity;
                lading.packaging_code = text(seg, 3, 1);
            }
            b"GIN" if seg.text(1, 1).as_deref() == Some("BJ") => {
                let Some(raw) = seg.text(2, 1) else { continue };
                match Sscc::parse(&raw) {
                    Ok(s) => {
                        sscc = Some(s.as_str().into());
                        place = Place::Pack;
                    }
                    Err(e) => f.element(
                        seg,
                        2,
                        1,
                        code::INVALID_VALUE,
                        format!("GIN+BJ {raw:?} is not an SSCC-18: {e}"),
                    ),
                }
            }
            b"LIN" => {
                in_line = true;
                items.push((
                    if place == Place::Pack {
                        sscc.clone()
                    } else {
                        None
                    },
                    None,
                    ShippedItem {
                        line_number: text(seg, 1, 1),
                        item_ids: item_id(seg, 3).into_iter().collect(),
                        quantity: Decimal::ZERO,
                        uom: Text::default(),
                        quantity_ordered: None,
                        description: None,
                    },
                ));
            }
            b"PIA" if in_line => {
                if let Some(last) = items.last_mut() {
                    last.2
                        .item_ids
                        .extend((2..=6).filter_map(|k| item_id(seg, k)));
                }
            }
            b"IMD" if in_line => {
                if let Some(last) = items.last_mut() {
                    last.2.description = text(seg, 3, 4).or_else(|| text(seg, 3, 5));
                }
            }
            b"QTY" if in_line => {
                let q = number(f, seg, 1, 2, "QTY quantity");
                if let Some(last) = items.last_mut() {
                    match seg.text(1, 1).as_deref() {
                        Some("12") => {
                            last.2.quantity = q.unwrap_or_default();
                            last.2.uom = text(seg, 1, 3).unwrap_or_default();
                        }
                        Some("21") => last.2.quantity_ordered = q,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if n.shipment_id.is_empty() && f.is_clean() {
        f.message(
            code::MISSING,
            "the DESADV has no BGM despatch advice number".into(),
        );
    }
    for (pack, po, item) in items {
        let Some(po) = po.or_else(|| header_po.clone()) else {
            f.message(
                code::MISSING,
                format!(
                    "line {} names no order (RFF+ON on the line or in the header)",
                    item.line_number.as_deref().unwrap_or("?")
                ),
            );
            continue;
        };
        let at = match n.orders.iter().position(|o| o.po_number == po) {
            Some(i) => i,
            None => {
                n.orders.push(ShippedOrder {
                    po_number: po,
                    release_number: None,
                    po_date: None,
                    packs: Vec::new(),
                    loose_items: Vec::new(),
                });
                n.orders.len() - 1
            }
        };
        let Some(order) = n.orders.get_mut(at) else {
            continue;
        };
        match pack {
            Some(s) => match order.packs.iter_mut().find(|p| p.sscc.as_ref() == Some(&s)) {
                Some(p) => p.items.push(item),
                None => order.packs.push(Pack {
                    sscc: Some(s),
                    items: vec![item],
                }),
            },
            None => order.loose_items.push(item),
        }
    }
    f.is_clean().then_some(n)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests;
