//! X12 855 purchase order acknowledgement ⇄ canonical `OrderAck` (written for 4010/5010, read leniently). Pure mapping: no I/O.

use super::common::{
    Elems, Faults, WriteOptions, check_frame, inner, opt_date, opt_r, party_segments,
    push_item_ids, r, read_item_ids, read_n1, read_n2_n4, required, x12_date,
};
use super::outbound::{OutSegment, OutboundSet};
use crate::edi::x12::{Diagnostic, Segment, X12Error, text};
use crate::model::OrderPurpose;
use crate::model::order_ack::{
    LineAck, LineStatus, OrderAck, OrderAckLine, OrderAckType, QualifiedDate, Reference,
};
use crate::model::{SourceRef, Text};
use rust_decimal::Decimal;

/// PO106..PO125 and ACK07..ACK26 each hold ten qualifier/id pairs.
const ID_PAIRS: usize = 10;

pub fn purpose_code(p: &OrderPurpose) -> &str {
    match p {
        OrderPurpose::Original => "00",
        OrderPurpose::Cancellation => "01",
        OrderPurpose::Change => "04",
        OrderPurpose::Replace => "05",
        OrderPurpose::Other(c) => c,
    }
}

pub fn purpose(code: &str) -> OrderPurpose {
    match code {
        "00" => OrderPurpose::Original,
        "01" => OrderPurpose::Cancellation,
        "04" => OrderPurpose::Change,
        "05" => OrderPurpose::Replace,
        other => OrderPurpose::Other(other.into()),
    }
}

pub fn ack_type_code(t: &OrderAckType) -> &str {
    match t {
        OrderAckType::AcceptedWithChanges => "AC",
        OrderAckType::AcceptedNoChanges => "AD",
        OrderAckType::ExceptionsOnly => "AE",
        OrderAckType::AcceptedNoDetail => "AK",
        OrderAckType::Accepted => "AT",
        OrderAckType::RejectedWithDetail => "RD",
        OrderAckType::Rejected => "RJ",
        OrderAckType::Other(c) => c,
    }
}

pub fn ack_type(code: &str) -> OrderAckType {
    match code {
        "AC" => OrderAckType::AcceptedWithChanges,
        "AD" => OrderAckType::AcceptedNoChanges,
        "AE" => OrderAckType::ExceptionsOnly,
        "AK" => OrderAckType::AcceptedNoDetail,
        "AT" => OrderAckType::Accepted,
        "RD" => OrderAckType::RejectedWithDetail,
        "RJ" => OrderAckType::Rejected,
        other => OrderAckType::Other(other.into()),
    }
}

pub fn line_status_code(s: &LineStatus) -> &str {
    match s {
        LineStatus::Accepted => "IA",
        LineStatus::Backordered => "IB",
        LineStatus::Changed => "IC",
        LineStatus::Deleted => "ID",
        LineStatus::PricePending => "IE",
        LineStatus::OnHold => "IH",
        LineStatus::PriceChanged => "IP",
        LineStatus::QuantityChanged => "IQ",
        LineStatus::Rejected => "IR",
        LineStatus::Substituted => "IS",
        LineStatus::AcceptedAndShipped => "AC",
        LineStatus::Other(c) => c,
    }
}

pub fn line_status(code: &str) -> LineStatus {
    match code {
        "IA" => LineStatus::Accepted,
        "IB" => LineStatus::Backordered,
        "IC" => LineStatus::Changed,
        "ID" => LineStatus::Deleted,
        "IE" => LineStatus::PricePending,
        "IH" => LineStatus::OnHold,
        "IP" => LineStatus::PriceChanged,
        "IQ" => LineStatus::QuantityChanged,
        "IR" => LineStatus::Rejected,
        "IS" => LineStatus::Substituted,
        "AC" => LineStatus::AcceptedAndShipped,
        other => LineStatus::Other(other.into()),
    }
}

/// REF: REF02 or REF03 must be present (syntax rule R0203).
pub(crate) fn reference_segment(r: &Reference) -> Result<OutSegment, X12Error> {
    required(&r.qualifier, "REF01")?;
    if r.value.is_none() && r.description.is_none() {
        return Err(X12Error::InvalidOutbound {
            field: "REF02",
            reason: format!(
                "reference {} has neither a value nor a description",
                r.qualifier
            ),
        });
    }
    Ok(OutSegment::new("REF")
        .e(r.qualifier.clone())
        .o(r.value.as_deref())
        .o(r.description.as_deref()))
}

pub(crate) fn read_reference<'a>(f: &mut Faults, seg: &impl Elems<'a>) -> Reference {
    if seg.value(1).is_none() {
        f.element(seg.seg(), 1, 1, "reference qualifier is missing");
    }
    Reference {
        qualifier: seg.text(1).unwrap_or_default(),
        value: seg.text(2),
        description: seg.text(3),
    }
}

/// The 855 body (BAK to CTT, without ST/SE).
pub fn to_segments(ack: &OrderAck, opts: WriteOptions) -> Result<Vec<OutSegment>, X12Error> {
    required(&ack.po_number, "BAK03")?;
    required(purpose_code(&ack.purpose), "BAK01")?;
    required(ack_type_code(&ack.ack_type), "BAK02")?;
    // BAK04 is mandatory in every version; the canonical field is optional only because
    // inbound 855s are read leniently.
    let po_date = match ack.po_date.as_deref() {
        Some(d) => x12_date(d, "BAK04")?,
        None => {
            return Err(X12Error::InvalidOutbound {
                field: "BAK04",
                reason: "the purchase order date is mandatory".into(),
            });
        }
    };
    let mut out = vec![
        OutSegment::new("BAK")
            .e(purpose_code(&ack.purpose))
            .e(ack_type_code(&ack.ack_type))
            .e(ack.po_number.clone())
            .e(po_date)
            .o(ack.release_number.as_deref())
            .o(ack.request_reference.as_deref())
            .o(ack.contract_number.as_deref())
            .o(ack.seller_order_number.as_deref())
            .e(opt_date(ack.ack_date.as_deref(), "BAK09")?),
    ];
    if let Some(c) = &ack.currency {
        // CUR01 names whose currency it is; the seller quotes the acknowledged prices.
        out.push(OutSegment::new("CUR").e("SE").e(c.clone()));
    }
    for r in &ack.references {
        out.push(reference_segment(r)?);
    }
    for p in &ack.parties {
        party_segments(p, &mut out)?;
    }
    let mut hash = Decimal::ZERO;
    for line in &ack.lines {
        if line.quantity.is_some() != line.uom.is_some() {
            // PO102/PO103 are paired in 5010 and PO103 needs PO102 in 4010.
            return Err(X12Error::InvalidOutbound {
                field: "PO103",
                reason: format!(
                    "line {}: quantity and unit of measure go together",
                    line.line_number.as_deref().unwrap_or("?")
                ),
            });
        }
        hash += line.quantity.unwrap_or_default();
        let po1 = OutSegment::new("PO1")
            .o(line.line_number.as_deref())
            .e(opt_r(line.quantity.as_ref()))
            .o(line.uom.as_deref())
            .e(opt_r(line.unit_price.as_ref()))
            .o(line.price_basis.as_deref());
        out.push(push_item_ids(po1, &line.item_ids, ID_PAIRS, opts, "PO106")?);
        if let Some(d) = &line.description {
            out.push(OutSegment::new("PID").e("F").e("").e("").e("").e(d.clone()));
        }
        for a in &line.acks {
            if a.quantity.is_some() != a.uom.is_some() {
                return Err(X12Error::InvalidOutbound {
                    field: "ACK03",
                    reason: "quantity and unit of measure go together (syntax rule P0203)".into(),
                });
            }
            let (q, d) = match &a.date {
                Some(qd) => {
                    required(&qd.qualifier, "ACK04")?;
                    (qd.qualifier.clone(), x12_date(&qd.date, "ACK05")?)
                }
                None => (Text::default(), String::new()),
            };
            let seg = OutSegment::new("ACK")
                .e(line_status_code(&a.status))
                .e(opt_r(a.quantity.as_ref()))
                .o(a.uom.as_deref())
                .e(q)
                .e(d)
                .e("");
            required(line_status_code(&a.status), "ACK01")?;
            out.push(push_item_ids(seg, &a.item_ids, ID_PAIRS, opts, "ACK07")?);
        }
    }
    out.push(
        OutSegment::new("CTT")
            .e(ack.lines.len().to_string())
            .e(r(&hash.normalize())),
    );
    Ok(out)
}

/// A complete 855 set for [`super::outbound::write_interchange`].
pub fn to_set(ack: &OrderAck, control: u32, opts: WriteOptions) -> Result<OutboundSet, X12Error> {
    Ok(OutboundSet {
        set_id: "855".into(),
        control,
        segments: to_segments(ack, opts)?,
    })
}

/// Maps one 855 (`body` = its segments from ST to SE inclusive). `Err` carries AK3/AK4-coded
/// diagnostics; the set must then be rejected.
pub fn map_855(body: &[Segment<'_>], source: SourceRef) -> Result<OrderAck, Vec<Diagnostic>> {
    let mut f = Faults::new(&source);
    check_frame(&mut f, body, "855");
    let mut ack = OrderAck {
        purpose: OrderPurpose::Other(Text::default()),
        ack_type: OrderAckType::Other(Text::default()),
        po_number: Text::default(),
        po_date: None,
        release_number: None,
        request_reference: None,
        contract_number: None,
        seller_order_number: None,
        ack_date: None,
        currency: None,
        references: Vec::new(),
        parties: Vec::new(),
        lines: Vec::new(),
        source,
    };
    let mut seen_bak = false;
    let mut ctt: Option<Segment<'_>> = None;
    let mut in_lines = false;
    for seg in inner(body) {
        match seg.id {
            b"BAK" => {
                seen_bak = true;
                match seg.value(1) {
                    Some(c) => ack.purpose = purpose(&text(c)),
                    None => f.element(seg, 1, 1, "purpose code is missing"),
                }
                match seg.value(2) {
                    Some(c) => ack.ack_type = ack_type(&text(c)),
                    None => f.element(seg, 2, 1, "acknowledgment type is missing"),
                }
                match seg.text(3) {
                    Some(po) => ack.po_number = po,
                    None => f.element(seg, 3, 1, "purchase order number is missing"),
                }
                ack.po_date = f.date(seg, 4);
                ack.release_number = seg.text(5);
                ack.request_reference = seg.text(6);
                ack.contract_number = seg.text(7);
                ack.seller_order_number = seg.text(8);
                ack.ack_date = f.date(seg, 9);
            }
            b"CUR" if !in_lines => ack.currency = seg.text(2),
            b"REF" if !in_lines => ack
                .references
                .push(super::poack855::read_reference(&mut f, seg)),
            b"N1" if !in_lines => ack.parties.push(read_n1(&mut f, seg)),
            b"N2" | b"N3" | b"N4" if !in_lines => read_n2_n4(ack.parties.last_mut(), seg),
            b"PO1" => {
                in_lines = true;
                let line = OrderAckLine {
                    line_number: seg.text(1),
                    quantity: f.decimal(seg, 2, "quantity"),
                    uom: seg.text(3),
                    unit_price: f.decimal(seg, 4, "unit price"),
                    price_basis: seg.text(5),
                    item_ids: read_item_ids(&mut f, seg, 6, ID_PAIRS),
                    description: None,
                    acks: Vec::new(),
                };
                ack.lines.push(line);
            }
            b"PID" if seg.value(1) == Some(b"F") => {
                if let (Some(line), Some(desc)) = (ack.lines.last_mut(), seg.text(5)) {
                    // Long descriptions arrive as several PID segments.
                    line.description = Some(match line.description.take() {
                        Some(prev) => compact_str::format_compact!("{prev} {desc}"),
                        None => desc,
                    });
                }
            }
            b"ACK" => {
                let status = match seg.value(1) {
                    Some(c) => line_status(&text(c)),
                    None => {
                        f.element(seg, 1, 1, "line item status code is missing");
                        LineStatus::Other(Text::default())
                    }
                };
                let date = match (seg.text(4), f.date(seg, 5)) {
                    (Some(q), Some(d)) => Some(QualifiedDate {
                        qualifier: q,
                        date: d,
                    }),
                    (None, Some(_)) => {
                        f.element(seg, 4, 2, "date qualifier missing for ACK05");
                        None
                    }
                    _ => None,
                };
                let a = LineAck {
                    status,
                    quantity: f.decimal(seg, 2, "quantity"),
                    uom: seg.text(3),
                    date,
                    item_ids: read_item_ids(&mut f, seg, 7, ID_PAIRS),
                };
                match ack.lines.last_mut() {
                    Some(line) => line.acks.push(a),
                    None => f.segment("ACK", seg.position, 7, "ACK before any PO1 line"),
                }
            }
            b"CTT" => ctt = Some(*seg),
            _ => {}
        }
    }
    if !seen_bak {
        f.segment("BAK", 2, 3, "an 855 must start with BAK");
    }
    if let Some(seg) = ctt {
        f.ctt(&seg, ack.lines.len(), "PO1 lines");
    }
    f.finish(ack)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::documents::x12::common::testkit as tk;
    use crate::documents::x12::outbound::{FunctionalId, write_interchange};
    use crate::model::{ItemId, ItemIdQualifier, Party, PartyRole};
    use proptest::prelude::*;

    fn round_trip(
        acks: &[OrderAck],
        d: crate::edi::x12::Delimiters,
        five010: bool,
    ) -> Vec<Result<OrderAck, Vec<Diagnostic>>> {
        let sets: Vec<OutboundSet> = acks
            .iter()
            .enumerate()
            .map(|(i, a)| to_set(a, i as u32 + 1, WriteOptions::default()).unwrap())
            .collect();
        let bytes = write_interchange(&tk::env(d, five010), FunctionalId::OrderAck, &sets).unwrap();
        tk::split_sets(&bytes)
            .into_iter()
            .map(|(segs, src)| map_855(&segs, src))
            .collect()
    }

    fn sample(five010: bool) -> OrderAck {
        OrderAck {
            purpose: OrderPurpose::Original,
            ack_type: OrderAckType::AcceptedWithChanges,
            po_number: "PO-4711".into(),
            po_date: Some("2026-01-10".into()),
            release_number: None,
            request_reference: Some("RR1".into()),
            contract_number: None,
            seller_order_number: Some("SO 99".into()),
            ack_date: Some("2026-01-12".into()),
            currency: Some("USD".into()),
            references: vec![Reference {
                qualifier: "CO".into(),
                value: Some("ACME-1".into()),
                description: None,
            }],
            parties: vec![Party {
                role: PartyRole::ShipTo,
                name: Some("Dock 4".into()),
                additional_names: vec!["c/o Receiving".into()],
                id_qualifier: Some("92".into()),
                id: Some("0004".into()),
                address_lines: vec!["1 Pier Rd".into(), "Unit 2".into(), "Gate B".into()],
                city: Some("Oakland".into()),
                state: Some("CA".into()),
                postal_code: Some("94607".into()),
                country: Some("US".into()),
            }],
            lines: vec![
                OrderAckLine {
                    line_number: Some("1".into()),
                    quantity: Some(Decimal::new(10, 0)),
                    uom: Some("EA".into()),
                    unit_price: Some(Decimal::new(1299, 2)),
                    price_basis: Some("PE".into()),
                    item_ids: vec![ItemId {
                        qualifier: ItemIdQualifier::Gtin,
                        value: "9780446360265".into(),
                    }],
                    description: Some("Dictionary".into()),
                    acks: vec![
                        LineAck {
                            status: LineStatus::Accepted,
                            quantity: Some(Decimal::new(6, 0)),
                            uom: Some("EA".into()),
                            date: Some(QualifiedDate {
                                qualifier: "068".into(),
                                date: "2026-01-20".into(),
                            }),
                            item_ids: vec![],
                        },
                        LineAck {
                            status: LineStatus::Backordered,
                            quantity: Some(Decimal::new(4, 0)),
                            uom: Some("EA".into()),
                            date: None,
                            item_ids: vec![],
                        },
                    ],
                },
                OrderAckLine {
                    line_number: Some("2".into()),
                    quantity: Some(Decimal::new(25, 1)),
                    uom: Some("KG".into()),
                    unit_price: None,
                    price_basis: None,
                    item_ids: vec![ItemId {
                        qualifier: ItemIdQualifier::VendorPart,
                        value: "V-2".into(),
                    }],
                    description: None,
                    acks: vec![LineAck {
                        status: LineStatus::Other("R2".into()),
                        quantity: Some(Decimal::ZERO),
                        uom: Some("KG".into()),
                        date: None,
                        item_ids: vec![],
                    }],
                },
            ],
            source: tk::source(five010, 1),
        }
    }

    #[test]
    fn fixed_example_round_trips_and_writes_expected_segments() {
        for five010 in [false, true] {
            let a = sample(five010);
            let d = crate::edi::x12::Delimiters::default();
            let got = round_trip(std::slice::from_ref(&a), d, five010);
            assert_eq!(got, vec![Ok(a.clone())]);
        }
        let segs = to_segments(&sample(false), WriteOptions::default()).unwrap();
        let bak = segs.first().unwrap();
        assert_eq!(
            bak.elements,
            [
                "00", "AC", "PO-4711", "20260110", "", "RR1", "", "SO 99", "20260112"
            ]
        );
        let ctt = segs.last().unwrap();
        assert_eq!(ctt.elements, ["2", "12.5"]);
    }

    #[test]
    fn writer_refuses_bad_dates_and_gtins() {
        let mut a = sample(false);
        a.po_date = Some("2026-02-30".into());
        assert!(matches!(
            to_segments(&a, WriteOptions::default()),
            Err(X12Error::InvalidOutbound { field: "BAK04", .. })
        ));
        let mut a = sample(false);
        a.lines[0].item_ids[0].value = "9780446360266".into();
        assert!(to_segments(&a, WriteOptions::default()).is_err());
        assert!(to_segments(&a, WriteOptions { check_gtins: false }).is_ok());
    }

    #[test]
    fn reader_codes_faults() {
        let raw = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *260101*1200*U*00401*000000001*0*T*:~GS*PR*A*B*20260101*1200*1*X*004010~ST*855*0001~BAK*00*AD**20261301~PO1*1*X*EA~ACK*IA*1*EA~CTT*3~SE*6*0001~GE*1*1~IEA*1*000000001~";
        let sets = tk::split_sets(raw);
        let (segs, src) = sets.first().unwrap();
        let errs = map_855(segs, src.clone()).unwrap_err();
        let codes: Vec<_> = errs
            .iter()
            .map(|d| {
                (
                    d.location.segment_id.clone().unwrap(),
                    d.location.element,
                    d.code,
                )
            })
            .collect();
        use crate::edi::x12::AckCode::Element;
        assert_eq!(
            codes,
            vec![
                ("BAK".into(), Some(3), Some(Element(1))),
                ("BAK".into(), Some(4), Some(Element(8))),
                ("PO1".into(), Some(2), Some(Element(6))),
                ("CTT".into(), Some(1), Some(Element(7))),
            ]
        );
    }

    fn arb_ack(d: crate::edi::x12::Delimiters, five010: bool) -> BoxedStrategy<OrderAck> {
        let x = tk::excluded(&d);
        let status = prop_oneof![
            Just(LineStatus::Accepted),
            Just(LineStatus::Backordered),
            Just(LineStatus::Changed),
            Just(LineStatus::Deleted),
            Just(LineStatus::PricePending),
            Just(LineStatus::OnHold),
            Just(LineStatus::PriceChanged),
            Just(LineStatus::QuantityChanged),
            Just(LineStatus::Rejected),
            Just(LineStatus::Substituted),
            Just(LineStatus::AcceptedAndShipped),
            "R[1-8]".prop_map(|s: String| LineStatus::Other(s.into())),
        ];
        let line_ack = (
            status,
            proptest::option::of((tk::amount(), "[A-Z]{2}")),
            proptest::option::of(("0(67|68|17)", tk::iso_date())),
            tk::item_ids(&x, 3),
        )
            .prop_map(|(status, q, date, item_ids)| LineAck {
                status,
                quantity: q.as_ref().map(|q| q.0),
                uom: q.map(|q| q.1.into()),
                date: date.map(|(qualifier, date)| QualifiedDate {
                    qualifier: qualifier.into(),
                    date,
                }),
                item_ids,
            });
        let line = (
            tk::opt_text(&x),
            proptest::option::of((tk::amount(), "[A-Z]{2}")),
            proptest::option::of(tk::amount()),
            proptest::option::of("(PE|CT|QT)"),
            tk::item_ids(&x, ID_PAIRS),
            tk::opt_text(&x),
            proptest::collection::vec(line_ack, 0..3),
        )
            .prop_map(|(n, q, price, basis, ids, desc, acks)| OrderAckLine {
                line_number: n,
                quantity: q.as_ref().map(|q| q.0),
                uom: q.map(|q| q.1.into()),
                unit_price: price,
                price_basis: basis.map(Into::into),
                item_ids: ids,
                description: desc,
                acks,
            });
        let ack_kind = prop_oneof![
            Just(OrderAckType::AcceptedWithChanges),
            Just(OrderAckType::AcceptedNoChanges),
            Just(OrderAckType::ExceptionsOnly),
            Just(OrderAckType::AcceptedNoDetail),
            Just(OrderAckType::Accepted),
            Just(OrderAckType::RejectedWithDetail),
            Just(OrderAckType::Rejected),
            "(ZZ|AP)".prop_map(|s: String| OrderAckType::Other(s.into())),
        ];
        let purpose = prop_oneof![
            Just(OrderPurpose::Original),
            Just(OrderPurpose::Cancellation),
            Just(OrderPurpose::Change),
            Just(OrderPurpose::Replace),
            "(06|07)".prop_map(|s: String| OrderPurpose::Other(s.into())),
        ];
        let reference = ("(CO|VN|ZZ)", tk::opt_text(&x), tk::opt_text(&x)).prop_map(|(q, v, d)| {
            Reference {
                qualifier: q.into(),
                // REF02 or REF03 must be present.
                value: if v.is_none() && d.is_none() {
                    Some("R".into())
                } else {
                    v
                },
                description: d,
            }
        });
        (
            (purpose, ack_kind, tk::text(&x), tk::iso_date()),
            (
                tk::opt_text(&x),
                tk::opt_text(&x),
                tk::opt_text(&x),
                tk::opt_text(&x),
            ),
            (
                proptest::option::of(tk::iso_date()),
                proptest::option::of("[A-Z]{3}"),
            ),
            proptest::collection::vec(reference, 0..3),
            tk::parties(&x),
            proptest::collection::vec(line, 1..50),
        )
            .prop_map(move |(a, b, c, references, parties, lines)| OrderAck {
                purpose: a.0,
                ack_type: a.1,
                po_number: a.2,
                po_date: Some(a.3),
                release_number: b.0,
                request_reference: b.1,
                contract_number: b.2,
                seller_order_number: b.3,
                ack_date: c.0,
                currency: c.1.map(Into::into),
                references,
                parties,
                lines,
                source: tk::source(five010, 1),
            })
            .boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn generated_855s_round_trip(
            (d, five010, a) in tk::delimiters()
                .prop_flat_map(|(d, f)| (Just(d), Just(f), arb_ack(d, f)))
        ) {
            let got = round_trip(std::slice::from_ref(&a), d, five010);
            prop_assert_eq!(got, vec![Ok(a)]);
        }
    }
}
