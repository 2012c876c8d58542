//! X12 856 advance ship notice ⇄ canonical `ShipNotice`, in the S/O/P/I or S/O/I/P hierarchy the partner wants (written for 4010/5010, read leniently). Pure mapping: no I/O.

use super::common::{
    Elems, Faults, WriteOptions, check_frame, inner, opt_date, opt_r, party_segments,
    push_item_ids, r, read_item_ids, read_n1, read_n2_n4, required, x12_date,
};
use super::outbound::{OutSegment, OutboundSet};
use super::poack855::{read_reference, reference_segment};
use crate::edi::gs1::Sscc;
use crate::edi::x12::{Diagnostic, Segment, X12Error, text};
use crate::model::ship_notice::{
    Carrier, Lading, Pack, ShipNotice, ShipNoticePurpose, ShippedItem, ShippedOrder,
};
use crate::model::{SourceRef, Text};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// LIN02..LIN31: fifteen qualifier/id pairs.
const LIN_PAIRS: usize = 15;

/// Which level sits above which (BSN05). The canonical notice is pack-first; this only
/// decides how it is written. Partners that scan cartons usually want S/O/P/I ("pick and pack");
/// others list items first and their cartons below (S/O/I/P). A partner profile's
/// `[x12] asn_structure` names it `sopi` or `soip`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackingStructure {
    /// Shipment / Order / Pack / Item (BSN05 0001).
    #[default]
    Sopi,
    /// Shipment / Order / Item / Pack (BSN05 0002).
    Soip,
}

impl PackingStructure {
    pub fn code(self) -> &'static str {
        match self {
            PackingStructure::Sopi => "0001",
            PackingStructure::Soip => "0002",
        }
    }
}

/// HL03 (code list 735).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HierarchyLevel {
    /// S
    Shipment,
    /// O
    Order,
    /// T: tare (pallet); its packs are read as belonging to the order above it.
    Tare,
    /// P
    Pack,
    /// I
    Item,
    Other(String),
}

impl HierarchyLevel {
    pub fn code(&self) -> &str {
        match self {
            HierarchyLevel::Shipment => "S",
            HierarchyLevel::Order => "O",
            HierarchyLevel::Tare => "T",
            HierarchyLevel::Pack => "P",
            HierarchyLevel::Item => "I",
            HierarchyLevel::Other(c) => c,
        }
    }

    pub fn from_code(code: &str) -> HierarchyLevel {
        match code {
            "S" => HierarchyLevel::Shipment,
            "O" => HierarchyLevel::Order,
            "T" => HierarchyLevel::Tare,
            "P" => HierarchyLevel::Pack,
            "I" => HierarchyLevel::Item,
            other => HierarchyLevel::Other(other.into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AsnOptions {
    pub structure: PackingStructure,
    pub write: WriteOptions,
}

pub fn purpose_code(p: &ShipNoticePurpose) -> &str {
    match p {
        ShipNoticePurpose::Original => "00",
        ShipNoticePurpose::Cancellation => "01",
        ShipNoticePurpose::Replace => "05",
        ShipNoticePurpose::AdvanceNotification => "14",
        ShipNoticePurpose::Other(c) => c,
    }
}

pub fn purpose(code: &str) -> ShipNoticePurpose {
    match code {
        "00" => ShipNoticePurpose::Original,
        "01" => ShipNoticePurpose::Cancellation,
        "05" => ShipNoticePurpose::Replace,
        "14" => ShipNoticePurpose::AdvanceNotification,
        other => ShipNoticePurpose::Other(other.into()),
    }
}

/// Numbers HL segments and remembers the count for CTT01.
struct Hl {
    next: u32,
}

impl Hl {
    fn push(
        &mut self,
        out: &mut Vec<OutSegment>,
        parent: Option<u32>,
        level: HierarchyLevel,
        has_children: bool,
    ) -> u32 {
        self.next += 1;
        out.push(
            OutSegment::new("HL")
                .e(self.next.to_string())
                .e(parent.map(|p| p.to_string()).unwrap_or_default())
                .e(level.code())
                .e(if has_children { "1" } else { "0" }),
        );
        self.next
    }
}

fn sscc_checked(raw: &str, po: &str, n: usize) -> Result<Sscc, X12Error> {
    Sscc::parse(raw).map_err(|e| X12Error::InvalidOutbound {
        field: "MAN02",
        reason: format!("SSCC {raw:?} of pack {n} in order {po}: {e}"),
    })
}

fn item_segments(
    it: &ShippedItem,
    opts: WriteOptions,
    hash: &mut Decimal,
    out: &mut Vec<OutSegment>,
) -> Result<(), X12Error> {
    if it.item_ids.is_empty() {
        // LIN02/LIN03 are mandatory: an item the receiver cannot identify is useless.
        return Err(X12Error::InvalidOutbound {
            field: "LIN02",
            reason: format!(
                "item {} has no product id",
                it.line_number.as_deref().unwrap_or("?")
            ),
        });
    }
    let lin = OutSegment::new("LIN").o(it.line_number.as_deref());
    out.push(push_item_ids(lin, &it.item_ids, LIN_PAIRS, opts, "LIN02")?);
    required(&it.uom, "SN103")?;
    *hash += it.quantity;
    let (ordered, ordered_uom) = match &it.quantity_ordered {
        // SN105/SN106 are paired; the ordered unit is the shipped one.
        Some(q) => (r(q), it.uom.clone()),
        None => (String::new(), Text::default()),
    };
    out.push(
        OutSegment::new("SN1")
            .e("")
            .e(r(&it.quantity))
            .e(it.uom.clone())
            .e("")
            .e(ordered)
            .e(ordered_uom),
    );
    if let Some(d) = &it.description {
        out.push(OutSegment::new("PID").e("F").e("").e("").e("").e(d.clone()));
    }
    Ok(())
}

/// The 856 body (BSN to CTT, without ST/SE). Refuses a pack whose SSCC is not 18 digits with
/// a correct GS1 check digit, and in S/O/I/P a pack without an SSCC or items (the SSCC is
/// what ties an item to its pack there).
pub fn to_segments(n: &ShipNotice, opts: AsnOptions) -> Result<Vec<OutSegment>, X12Error> {
    required(purpose_code(&n.purpose), "BSN01")?;
    required(&n.shipment_id, "BSN02")?;
    let time = n.time.as_deref().unwrap_or("");
    if !matches!(time.len(), 4 | 6 | 8) || !time.bytes().all(|b| b.is_ascii_digit()) {
        return Err(X12Error::InvalidOutbound {
            field: "BSN04",
            reason: format!("time {time:?} must be HHMM, HHMMSS or HHMMSSDD"),
        });
    }
    let mut out = vec![
        OutSegment::new("BSN")
            .e(purpose_code(&n.purpose))
            .e(n.shipment_id.clone())
            .e(x12_date(&n.date, "BSN03")?)
            .e(time)
            .e(opts.structure.code()),
    ];
    let mut hl = Hl { next: 0 };
    let ship = hl.push(
        &mut out,
        None,
        HierarchyLevel::Shipment,
        !n.orders.is_empty(),
    );
    if let Some(l) = &n.lading {
        out.push(
            OutSegment::new("TD1")
                .o(l.packaging_code.as_deref())
                .e(l.quantity.map(|q| q.to_string()).unwrap_or_default())
                .e("")
                .e("")
                .e("")
                .o(l.weight_qualifier.as_deref())
                .e(opt_r(l.weight.as_ref()))
                .o(l.weight_unit.as_deref()),
        );
    }
    if let Some(c) = &n.carrier {
        out.push(
            OutSegment::new("TD5")
                .e("")
                .o(c.id_qualifier.as_deref())
                .o(c.id.as_deref())
                .o(c.transport_method.as_deref())
                .o(c.routing.as_deref()),
        );
    }
    for (q, v) in [("BM", &n.bill_of_lading), ("CN", &n.pro_number)] {
        if let Some(v) = v {
            out.push(OutSegment::new("REF").e(q).e(v.clone()));
        }
    }
    for rf in &n.references {
        out.push(reference_segment(rf)?);
    }
    for (q, d) in [("011", &n.ship_date), ("017", &n.estimated_delivery)] {
        if let Some(d) = d {
            out.push(OutSegment::new("DTM").e(q).e(x12_date(d, "DTM02")?));
        }
    }
    for p in &n.parties {
        party_segments(p, &mut out)?;
    }
    let mut hash = Decimal::ZERO;
    for o in &n.orders {
        required(&o.po_number, "PRF01")?;
        let has_children = !o.packs.is_empty() || !o.loose_items.is_empty();
        let oid = hl.push(&mut out, Some(ship), HierarchyLevel::Order, has_children);
        out.push(
            OutSegment::new("PRF")
                .e(o.po_number.clone())
                .o(o.release_number.as_deref())
                .e("")
                .e(opt_date(o.po_date.as_deref(), "PRF04")?),
        );
        for (k, p) in o.packs.iter().enumerate() {
            let sscc = match &p.sscc {
                Some(s) => Some(sscc_checked(s, &o.po_number, k + 1)?),
                None => None,
            };
            match opts.structure {
                PackingStructure::Sopi => {
                    let pid = hl.push(
                        &mut out,
                        Some(oid),
                        HierarchyLevel::Pack,
                        !p.items.is_empty(),
                    );
                    if let Some(s) = &sscc {
                        out.push(OutSegment::new("MAN").e("GM").e(s.as_str()));
                    }
                    for it in &p.items {
                        hl.push(&mut out, Some(pid), HierarchyLevel::Item, false);
                        item_segments(it, opts.write, &mut hash, &mut out)?;
                    }
                }
                PackingStructure::Soip => {
                    let Some(s) = sscc else {
                        return Err(X12Error::InvalidOutbound {
                            field: "MAN02",
                            reason: format!(
                                "pack {} in order {} has no SSCC; S/O/I/P links items to packs by SSCC",
                                k + 1,
                                o.po_number
                            ),
                        });
                    };
                    if p.items.is_empty() {
                        return Err(X12Error::InvalidOutbound {
                            field: "HL",
                            reason: format!(
                                "pack {s} in order {} is empty; S/O/I/P has no place for an empty pack",
                                o.po_number
                            ),
                        });
                    }
                    // One item loop per (item, pack) pair, its SN1 the quantity in that pack.
                    for it in &p.items {
                        let iid = hl.push(&mut out, Some(oid), HierarchyLevel::Item, true);
                        item_segments(it, opts.write, &mut hash, &mut out)?;
                        hl.push(&mut out, Some(iid), HierarchyLevel::Pack, false);
                        out.push(OutSegment::new("MAN").e("GM").e(s.as_str()));
                    }
                }
            }
        }
        for it in &o.loose_items {
            hl.push(&mut out, Some(oid), HierarchyLevel::Item, false);
            item_segments(it, opts.write, &mut hash, &mut out)?;
        }
    }
    // 856 convention: CTT01 counts HL segments, CTT02 hashes the SN102 quantities.
    out.push(
        OutSegment::new("CTT")
            .e(hl.next.to_string())
            .e(r(&hash.normalize())),
    );
    Ok(out)
}

pub fn to_set(n: &ShipNotice, control: u32, opts: AsnOptions) -> Result<OutboundSet, X12Error> {
    Ok(OutboundSet {
        set_id: "856".into(),
        control,
        segments: to_segments(n, opts)?,
    })
}

/// One HL loop as read, before the tree is assembled.
struct Node<'a> {
    /// HL01 and HL02 as text, borrowed from the input when it is UTF-8.
    id: Cow<'a, str>,
    parent: Option<Cow<'a, str>>,
    level: HierarchyLevel,
    hl: Segment<'a>,
    order: Option<ShippedOrder>,
    sscc: Option<String>,
    item: Option<ShippedItem>,
    sn1_seen: bool,
}

/// Reads MAN02 as an SSCC: 18 digits, or 20 with the "00" application identifier in front.
fn read_sscc<'a>(f: &mut Faults, seg: &impl Elems<'a>) -> Option<String> {
    let raw = seg.text(2)?;
    let digits = match raw.len() {
        20 if raw.starts_with("00") => raw.get(2..).unwrap_or(""),
        _ => raw.as_str(),
    };
    match Sscc::parse(digits) {
        Ok(s) => Some(s.as_str().to_string()),
        Err(e) => {
            f.element(seg.seg(), 2, 7, &format!("is not a valid SSCC-18: {e}"));
            None
        }
    }
}

/// Maps one 856 (`body` = its segments from ST to SE inclusive), whatever its hierarchy.
/// `Err` carries AK3/AK4-coded diagnostics; the set must then be rejected.
pub fn map_856(body: &[Segment<'_>], source: SourceRef) -> Result<ShipNotice, Vec<Diagnostic>> {
    let mut f = Faults::new(&source);
    check_frame(&mut f, body, "856");
    let mut n = ShipNotice {
        purpose: ShipNoticePurpose::Other(Text::default()),
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
    let mut seen_bsn = false;
    let mut ctt: Option<Segment<'_>> = None;
    // Sized once: a node is large and moving them on every growth showed in profiles.
    let mut nodes: Vec<Node<'_>> = Vec::with_capacity(body.iter().filter(|s| s.is("HL")).count());
    for seg in inner(body) {
        // Split once: the mapping reads many elements of each segment.
        let seg = &super::common::Fields::new(seg);
        if seg.is("HL") {
            let id = seg
                .value(1)
                .map(String::from_utf8_lossy)
                .unwrap_or_else(|| {
                    f.element(seg, 1, 1, "hierarchical id is missing");
                    Cow::Borrowed("")
                });
            if nodes.iter().any(|x| x.id == id) {
                f.element(seg, 1, 7, "repeats an earlier hierarchical id");
            }
            let parent = seg.value(2).map(String::from_utf8_lossy);
            if let Some(p) = &parent
                && !nodes.iter().any(|x| &x.id == p)
            {
                f.element(seg, 2, 7, "names a parent that does not precede it");
            }
            let level = match seg.text(3) {
                Some(c) => HierarchyLevel::from_code(&c),
                None => {
                    f.element(seg, 3, 1, "hierarchical level code is missing");
                    HierarchyLevel::Other(String::new())
                }
            };
            let order = (level == HierarchyLevel::Order).then(|| ShippedOrder {
                po_number: Text::default(),
                release_number: None,
                po_date: None,
                packs: Vec::new(),
                loose_items: Vec::new(),
            });
            let item = (level == HierarchyLevel::Item).then(|| ShippedItem {
                line_number: None,
                item_ids: Vec::new(),
                quantity: Decimal::ZERO,
                uom: Text::default(),
                quantity_ordered: None,
                description: None,
            });
            nodes.push(Node {
                id,
                parent,
                level,
                hl: *seg.seg(),
                order,
                sscc: None,
                item,
                sn1_seen: false,
            });
            continue;
        }
        let level = nodes.last().map(|x| x.level.clone());
        match (seg.id, level) {
            (b"BSN", _) => {
                seen_bsn = true;
                match seg.value(1) {
                    Some(c) => n.purpose = purpose(&text(c)),
                    None => f.element(seg, 1, 1, "purpose code is missing"),
                }
                match seg.text(2) {
                    Some(s) => n.shipment_id = s,
                    None => f.element(seg, 2, 1, "shipment identification is missing"),
                }
                match f.date(seg, 3) {
                    Some(d) => n.date = d,
                    None if seg.value(3).is_none() => f.element(seg, 3, 1, "date is missing"),
                    None => {}
                }
                n.time = seg.text(4);
            }
            (b"CTT", _) => ctt = Some(*seg.seg()),
            (b"TD1", Some(HierarchyLevel::Shipment)) => {
                n.lading = Some(Lading {
                    packaging_code: seg.text(1),
                    quantity: f.count(seg, 2, "lading quantity"),
                    weight_qualifier: seg.text(6),
                    weight: f.decimal(seg, 7, "weight"),
                    weight_unit: seg.text(8),
                });
            }
            (b"TD5", Some(HierarchyLevel::Shipment)) => {
                n.carrier = Some(Carrier {
                    id_qualifier: seg.text(2),
                    id: seg.text(3),
                    transport_method: seg.text(4),
                    routing: seg.text(5),
                });
            }
            (b"REF", Some(HierarchyLevel::Shipment)) => {
                let rf = read_reference(&mut f, seg);
                match (rf.qualifier.as_str(), &rf.value, &rf.description) {
                    ("BM", Some(v), None) if n.bill_of_lading.is_none() => {
                        n.bill_of_lading = Some(v.clone())
                    }
                    ("CN", Some(v), None) if n.pro_number.is_none() => {
                        n.pro_number = Some(v.clone())
                    }
                    _ => n.references.push(rf),
                }
            }
            (b"DTM", Some(HierarchyLevel::Shipment)) => match seg.value(1) {
                Some(b"011") => n.ship_date = f.date(seg, 2),
                Some(b"017") => n.estimated_delivery = f.date(seg, 2),
                _ => {}
            },
            (b"N1", Some(HierarchyLevel::Shipment)) => n.parties.push(read_n1(&mut f, seg)),
            (b"N2" | b"N3" | b"N4", Some(HierarchyLevel::Shipment)) => {
                read_n2_n4(n.parties.last_mut(), seg)
            }
            (b"PRF", Some(HierarchyLevel::Order)) => {
                if let Some(o) = nodes.last_mut().and_then(|x| x.order.as_mut()) {
                    match seg.text(1) {
                        Some(po) => o.po_number = po,
                        None => f.element(seg, 1, 1, "purchase order number is missing"),
                    }
                    o.release_number = seg.text(2);
                    o.po_date = f.date(seg, 4);
                }
            }
            (b"MAN", Some(HierarchyLevel::Pack | HierarchyLevel::Tare))
                if seg.value(1) == Some(b"GM") =>
            {
                let s = read_sscc(&mut f, seg);
                if let Some(x) = nodes.last_mut() {
                    x.sscc = x.sscc.take().or(s);
                }
            }
            (b"LIN", Some(HierarchyLevel::Item)) => {
                let ids = read_item_ids(&mut f, seg, 2, LIN_PAIRS);
                if let Some(it) = nodes.last_mut().and_then(|x| x.item.as_mut()) {
                    it.line_number = seg.text(1);
                    it.item_ids = ids;
                }
            }
            (b"SN1", Some(HierarchyLevel::Item)) => {
                let q = f.decimal(seg, 2, "quantity shipped");
                if seg.value(2).is_none() {
                    f.element(seg, 2, 1, "quantity shipped is missing");
                }
                if seg.value(3).is_none() {
                    f.element(seg, 3, 1, "unit of measure is missing");
                }
                let ordered = f.decimal(seg, 5, "quantity ordered");
                if let Some(x) = nodes.last_mut() {
                    x.sn1_seen = true;
                    if let Some(it) = x.item.as_mut() {
                        it.quantity = q.unwrap_or_default();
                        it.uom = seg.text(3).unwrap_or_default();
                        it.quantity_ordered = ordered;
                    }
                }
            }
            (b"PID", Some(HierarchyLevel::Item)) if seg.value(1) == Some(b"F") => {
                if let (Some(it), Some(desc)) =
                    (nodes.last_mut().and_then(|x| x.item.as_mut()), seg.text(5))
                {
                    it.description = Some(match it.description.take() {
                        Some(prev) => compact_str::format_compact!("{prev} {desc}"),
                        None => desc,
                    });
                }
            }
            _ => {}
        }
    }
    if !seen_bsn {
        f.segment("BSN", 2, 3, "an 856 must start with BSN");
    }
    if let Some(seg) = ctt {
        f.ctt(&seg, nodes.len(), "HL segments");
    }
    assemble(&mut f, &mut nodes, &mut n);
    f.finish(n)
}

/// Sets `v[i]`; every caller's `i` is a node's index, in range of the per-node vectors.
fn put<T>(v: &mut [T], i: usize, value: T) {
    if let Some(slot) = v.get_mut(i) {
        *slot = value;
    }
}

/// Turns the HL loops into orders, packs and items, whichever level is above which.
/// Orders and items are moved out of `nodes` where they are used for the last time.
fn assemble(f: &mut Faults, nodes: &mut [Node<'_>], n: &mut ShipNotice) {
    let find = |id: &Option<Cow<'_, str>>| -> Option<usize> {
        let id = id.as_ref()?;
        nodes.iter().position(|x| &x.id == id)
    };
    // The parent of each node, when it precedes it.
    let parents: Vec<Option<usize>> = nodes
        .iter()
        .enumerate()
        .map(|(i, x)| find(&x.parent).filter(|&p| p < i))
        .collect();
    // The order index of each node (nearest O ancestor), and the pack for P nodes.
    let mut order_of: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut pack_of: Vec<Option<(usize, usize)>> = vec![None; nodes.len()];
    let mut has_pack_child = vec![false; nodes.len()];
    for i in 0..nodes.len() {
        let Some(x) = nodes.get(i) else { continue };
        let parent = parents.get(i).copied().flatten();
        let inherited = parent.and_then(|p| order_of.get(p).copied().flatten());
        match &x.level {
            HierarchyLevel::Order => {
                let position = x.hl.position;
                // Each order node is visited once: its order moves into the notice.
                if let Some(o) = nodes.get_mut(i).and_then(|x| x.order.take()) {
                    if o.po_number.is_empty() {
                        f.segment(
                            "PRF",
                            position + 1,
                            3,
                            "an order level needs PRF with the PO number",
                        );
                    }
                    n.orders.push(o);
                    put(&mut order_of, i, Some(n.orders.len() - 1));
                }
            }
            HierarchyLevel::Pack => {
                put(&mut order_of, i, inherited);
                let Some(oi) = inherited else {
                    f.segment("HL", x.hl.position, 7, "pack level outside any order level");
                    continue;
                };
                let parent_item = parent.filter(|&p| {
                    nodes
                        .get(p)
                        .is_some_and(|q| q.level == HierarchyLevel::Item)
                });
                let Some(order) = n.orders.get_mut(oi) else {
                    continue;
                };
                match parent_item {
                    // S/O/I/P: the item above goes into the pack named by this SSCC.
                    Some(p) => {
                        if let Some(flag) = has_pack_child.get_mut(p) {
                            *flag = true;
                        }
                        let existing = x.sscc.as_ref().and_then(|s| {
                            order
                                .packs
                                .iter()
                                .position(|k| k.sscc.as_deref() == Some(s.as_str()))
                        });
                        let k = existing.unwrap_or_else(|| {
                            order.packs.push(Pack {
                                sscc: x.sscc.as_deref().map(Into::into),
                                items: Vec::new(),
                            });
                            order.packs.len() - 1
                        });
                        if let (Some(pk), Some(it)) = (
                            order.packs.get_mut(k),
                            nodes.get(p).and_then(|q| q.item.clone()),
                        ) {
                            pk.items.push(it);
                        }
                        put(&mut pack_of, i, Some((oi, k)));
                    }
                    None => {
                        order.packs.push(Pack {
                            sscc: x.sscc.as_deref().map(Into::into),
                            items: Vec::new(),
                        });
                        put(&mut pack_of, i, Some((oi, order.packs.len() - 1)));
                    }
                }
            }
            HierarchyLevel::Item => {
                put(&mut order_of, i, inherited);
                if inherited.is_none() {
                    f.segment("HL", x.hl.position, 7, "item level outside any order level");
                }
                if !x.sn1_seen {
                    f.segment(
                        "SN1",
                        x.hl.position + 1,
                        3,
                        "an item level needs SN1 with the quantity shipped",
                    );
                }
            }
            HierarchyLevel::Tare | HierarchyLevel::Shipment | HierarchyLevel::Other(_) => {
                put(&mut order_of, i, inherited);
            }
        }
    }
    // Items under a pack (S/O/P/I) go into it; items with no pack above or below are loose.
    // Last use of the items: they move into their pack or order.
    for (i, x) in nodes.iter_mut().enumerate() {
        if x.item.is_none() || has_pack_child.get(i).copied().unwrap_or(false) {
            continue;
        }
        let Some(item) = x.item.take() else { continue };
        let parent = parents.get(i).copied().flatten();
        match parent.and_then(|p| pack_of.get(p).copied().flatten()) {
            Some((oi, k)) => {
                if let Some(pk) = n.orders.get_mut(oi).and_then(|o| o.packs.get_mut(k)) {
                    pk.items.push(item);
                }
            }
            None => {
                if let Some(o) = order_of
                    .get(i)
                    .copied()
                    .flatten()
                    .and_then(|oi| n.orders.get_mut(oi))
                {
                    o.loose_items.push(item);
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests;
