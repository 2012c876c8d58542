//! Unit tests of `asn856`.

use super::*;
use crate::documents::x12::common::testkit as tk;
use crate::documents::x12::outbound::{FunctionalId, write_interchange};
use crate::edi::x12::{Delimiters, Reader};
use crate::model::{ItemId, ItemIdQualifier, Party, PartyRole};
use proptest::prelude::*;

fn write(n: &ShipNotice, d: Delimiters, five010: bool, s: PackingStructure) -> Vec<u8> {
    let opts = AsnOptions {
        structure: s,
        write: WriteOptions::default(),
    };
    let set = to_set(n, 1, opts).unwrap();
    write_interchange(&tk::env(d, five010), FunctionalId::ShipNotice, &[set]).unwrap()
}

fn read(bytes: &[u8]) -> Vec<Result<ShipNotice, Vec<Diagnostic>>> {
    tk::split_sets(bytes)
        .into_iter()
        .map(|(segs, src)| map_856(&segs, src))
        .collect()
}

fn item(line: &str, vp: &str, q: i64) -> ShippedItem {
    ShippedItem {
        line_number: Some(line.into()),
        item_ids: vec![
            ItemId {
                qualifier: ItemIdQualifier::VendorPart,
                value: vp.into(),
            },
            ItemId {
                qualifier: ItemIdQualifier::Upc,
                value: "036000291452".into(),
            },
        ],
        quantity: Decimal::new(q, 0),
        uom: "EA".into(),
        quantity_ordered: Some(Decimal::new(q + 1, 0)),
        description: Some(compact_str::format_compact!("widget {vp}")),
    }
}

fn sample(five010: bool) -> ShipNotice {
    ShipNotice {
        purpose: ShipNoticePurpose::Original,
        shipment_id: "SHP-1".into(),
        date: "2026-01-14".into(),
        time: Some("1415".into()),
        lading: Some(Lading {
            packaging_code: Some("CTN25".into()),
            quantity: Some(3),
            weight_qualifier: Some("G".into()),
            weight: Some(Decimal::new(60310, 3)),
            weight_unit: Some("LB".into()),
        }),
        carrier: Some(Carrier {
            id_qualifier: Some("2".into()),
            id: Some("UPSN".into()),
            transport_method: Some("M".into()),
            routing: Some("UPS GROUND".into()),
        }),
        bill_of_lading: Some("BOL1".into()),
        pro_number: Some("1Z999".into()),
        references: vec![],
        ship_date: Some("2026-01-14".into()),
        estimated_delivery: Some("2026-01-16".into()),
        parties: vec![Party {
            role: PartyRole::ShipTo,
            name: Some("Store 7".into()),
            additional_names: vec![],
            id_qualifier: Some("92".into()),
            id: Some("7".into()),
            address_lines: vec!["1 Main St".into()],
            city: Some("Solon".into()),
            state: Some("OH".into()),
            postal_code: Some("44139".into()),
            country: None,
        }],
        orders: vec![
            ShippedOrder {
                po_number: "PO1".into(),
                release_number: None,
                po_date: Some("2026-01-05".into()),
                packs: vec![
                    Pack {
                        sscc: Some("106141412345678908".into()),
                        items: vec![item("1", "A", 5), item("2", "B", 7)],
                    },
                    Pack {
                        sscc: Some("000000000000000017".into()),
                        items: vec![item("1", "A", 3)],
                    },
                ],
                loose_items: vec![],
            },
            ShippedOrder {
                po_number: "PO2".into(),
                release_number: Some("R1".into()),
                po_date: None,
                packs: vec![],
                loose_items: vec![item("9", "Z", 1)],
            },
        ],
        source: tk::source(five010, 1),
    }
}

/// (HL01, HL02, HL03) of every HL, plus SE01, CTT01 and the number of segments ST..SE.
fn hl_facts(bytes: &[u8]) -> (Vec<(String, String, String)>, u32, u32, u32) {
    let mut r = Reader::new(bytes);
    let (mut hls, mut se01, mut ctt01, mut count, mut in_set) = (vec![], 0, 0, 0, false);
    while let Ok(Some(s)) = r.next_segment() {
        if s.is("ST") {
            in_set = true;
        }
        if in_set {
            count += 1;
        }
        match s.id {
            b"HL" => hls.push((
                s.text(1).map(String::from).unwrap_or_default(),
                s.text(2).map(String::from).unwrap_or_default(),
                s.text(3).map(String::from).unwrap_or_default(),
            )),
            b"SE" => {
                se01 = s.text(1).unwrap_or_default().parse().unwrap_or(0);
                in_set = false;
            }
            b"CTT" => ctt01 = s.text(1).unwrap_or_default().parse().unwrap_or(0),
            _ => {}
        }
    }
    (hls, se01, ctt01, count)
}

fn hl(id: &str, parent: &str, level: &str) -> (String, String, String) {
    (id.into(), parent.into(), level.into())
}

#[test]
fn sopi_hierarchy_counts_and_round_trip() {
    let n = sample(false);
    let bytes = write(&n, Delimiters::default(), false, PackingStructure::Sopi);
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("BSN*00*SHP-1*20260114*1415*0001~"));
    assert!(text.contains("MAN*GM*106141412345678908~"));
    assert!(text.contains("MAN*GM*000000000000000017~"));
    let (hls, se01, ctt01, count) = hl_facts(&bytes);
    assert_eq!(
        hls,
        vec![
            hl("1", "", "S"),
            hl("2", "1", "O"),
            hl("3", "2", "P"),
            hl("4", "3", "I"),
            hl("5", "3", "I"),
            hl("6", "2", "P"),
            hl("7", "6", "I"),
            hl("8", "1", "O"),
            hl("9", "8", "I"),
        ]
    );
    assert_eq!(ctt01, 9);
    assert_eq!(se01, count);
    assert_eq!(read(&bytes), vec![Ok(n)]);
}

#[test]
fn soip_hierarchy_counts_and_round_trip() {
    let n = sample(true);
    let bytes = write(&n, Delimiters::default(), true, PackingStructure::Soip);
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("*0002~"));
    let (hls, se01, ctt01, count) = hl_facts(&bytes);
    assert_eq!(
        hls,
        vec![
            hl("1", "", "S"),
            hl("2", "1", "O"),
            hl("3", "2", "I"),
            hl("4", "3", "P"),
            hl("5", "2", "I"),
            hl("6", "5", "P"),
            hl("7", "2", "I"),
            hl("8", "7", "P"),
            hl("9", "1", "O"),
            hl("10", "9", "I"),
        ]
    );
    assert_eq!(ctt01, 10);
    assert_eq!(se01, count);
    assert_eq!(read(&bytes), vec![Ok(n)]);
}

#[test]
fn writer_refuses_bad_sscc_precisely() {
    let mut n = sample(false);
    n.orders[0].packs[1].sscc = Some("000000000000000018".into());
    let err = to_segments(&n, AsnOptions::default()).unwrap_err();
    assert_eq!(
        err,
        X12Error::InvalidOutbound {
            field: "MAN02",
            reason:
                "SSCC \"000000000000000018\" of pack 2 in order PO1: check digit is 8, expected 7"
                    .into()
        }
    );
    n.orders[0].packs[1].sscc = Some("12345".into());
    assert!(matches!(
        to_segments(&n, AsnOptions::default()),
        Err(X12Error::InvalidOutbound { field: "MAN02", .. })
    ));
    // S/O/I/P needs an SSCC on every pack.
    let mut n = sample(false);
    n.orders[0].packs[0].sscc = None;
    assert!(to_segments(&n, AsnOptions::default()).is_ok());
    let soip = AsnOptions {
        structure: PackingStructure::Soip,
        ..AsnOptions::default()
    };
    assert!(matches!(
        to_segments(&n, soip),
        Err(X12Error::InvalidOutbound { field: "MAN02", .. })
    ));
}

#[test]
fn reader_refuses_bad_sscc_and_wrong_ctt() {
    let bytes = write(
        &sample(false),
        Delimiters::default(),
        false,
        PackingStructure::Sopi,
    );
    let bad = String::from_utf8_lossy(&bytes)
        .replace("MAN*GM*106141412345678908", "MAN*GM*106141412345678907")
        .replace("CTT*9*", "CTT*8*");
    let errs = read(bad.as_bytes()).remove(0).unwrap_err();
    let got: Vec<_> = errs
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
        got,
        vec![
            ("MAN".into(), Some(2), Some(Element(7))),
            ("CTT".into(), Some(1), Some(Element(7)))
        ]
    );
}

fn arb_item(x: &[u8]) -> BoxedStrategy<ShippedItem> {
    (
        tk::opt_text(x),
        proptest::collection::vec(tk::item_id(x), 1..4),
        tk::amount(),
        "[A-Z]{2}",
        proptest::option::of(tk::amount()),
        tk::opt_text(x),
    )
        .prop_map(
            |(line_number, item_ids, quantity, uom, quantity_ordered, description)| ShippedItem {
                line_number,
                item_ids,
                quantity,
                uom: uom.into(),
                quantity_ordered,
                description,
            },
        )
        .boxed()
}

fn arb_notice(d: Delimiters, five010: bool, soip: bool) -> BoxedStrategy<ShipNotice> {
    let x = tk::excluded(&d);
    let pack = (
        proptest::collection::vec(arb_item(&x), if soip { 1..4 } else { 0..4 }),
        any::<bool>(),
    );
    let order = (
        tk::text(&x),
        tk::opt_text(&x),
        proptest::option::of(tk::iso_date()),
        proptest::collection::vec(pack, 0..5),
        proptest::collection::vec(arb_item(&x), 0..4),
    );
    let lading = (
        tk::opt_text(&x),
        proptest::option::of(0u32..100_000),
        proptest::option::of("(G|A3|N)"),
        proptest::option::of(tk::amount()),
        proptest::option::of("(LB|KG)"),
    )
        .prop_map(
            |(packaging_code, quantity, weight_qualifier, weight, weight_unit)| Lading {
                packaging_code,
                quantity,
                weight_qualifier: weight_qualifier.map(Into::into),
                weight,
                weight_unit: weight_unit.map(Into::into),
            },
        );
    let carrier = (
        tk::opt_text(&x),
        tk::opt_text(&x),
        tk::opt_text(&x),
        tk::opt_text(&x),
    )
        .prop_map(|(id_qualifier, id, transport_method, routing)| Carrier {
            id_qualifier,
            id,
            transport_method,
            routing,
        });
    let purpose = prop_oneof![
        Just(ShipNoticePurpose::Original),
        Just(ShipNoticePurpose::Cancellation),
        Just(ShipNoticePurpose::Replace),
        Just(ShipNoticePurpose::AdvanceNotification),
        "(06|07)".prop_map(|s: String| ShipNoticePurpose::Other(s.into())),
    ];
    let reference = ("(IA|ZZ|PK)", tk::opt_text(&x), tk::opt_text(&x)).prop_map(|(q, v, d)| {
        crate::model::order_ack::Reference {
            qualifier: q.into(),
            value: if v.is_none() && d.is_none() {
                Some("R".into())
            } else {
                v
            },
            description: d,
        }
    });
    (
        (purpose, tk::text(&x), tk::iso_date(), "([0-9]{4}|[0-9]{6})"),
        (
            proptest::option::of(lading),
            proptest::option::of(carrier),
            tk::opt_text(&x),
            tk::opt_text(&x),
        ),
        proptest::collection::vec(reference, 0..3),
        (
            proptest::option::of(tk::iso_date()),
            proptest::option::of(tk::iso_date()),
        ),
        tk::parties(&x),
        proptest::collection::vec(order, 1..4),
    )
        .prop_map(
            move |(a, b, references, (ship_date, estimated_delivery), parties, orders)| {
                let mut serial = 0u64;
                let orders: Vec<ShippedOrder> = orders
                    .into_iter()
                    .map(|(po, rel, date, packs, loose)| ShippedOrder {
                        po_number: po,
                        release_number: rel,
                        po_date: date,
                        packs: packs
                            .into_iter()
                            .map(|(items, labelled)| {
                                serial += 1;
                                // Distinct SSCCs: S/O/I/P links items to packs by SSCC.
                                let sscc = (soip || labelled)
                                    .then(|| {
                                        Sscc::new(3, "0614141", serial)
                                            .map(|s| Text::from(s.as_str()))
                                            .ok()
                                    })
                                    .flatten();
                                Pack { sscc, items }
                            })
                            .collect(),
                        loose_items: loose,
                    })
                    .collect();
                ShipNotice {
                    purpose: a.0,
                    shipment_id: a.1,
                    date: a.2,
                    time: Some(a.3.into()),
                    lading: b.0,
                    carrier: b.1,
                    bill_of_lading: b.2,
                    pro_number: b.3,
                    references,
                    ship_date,
                    estimated_delivery,
                    parties,
                    orders,
                    source: tk::source(five010, 1),
                }
            },
        )
        .boxed()
}

fn check_tree(bytes: &[u8], structure: PackingStructure) -> Result<(), TestCaseError> {
    let (hls, se01, ctt01, count) = hl_facts(bytes);
    prop_assert_eq!(se01, count);
    prop_assert_eq!(ctt01 as usize, hls.len());
    let (above, below) = match structure {
        PackingStructure::Sopi => ("P", "I"),
        PackingStructure::Soip => ("I", "P"),
    };
    for (k, (id, parent, level)) in hls.iter().enumerate() {
        prop_assert_eq!(id, &(k + 1).to_string());
        let parent_level = hls.iter().find(|h| &h.0 == parent).map(|h| h.2.as_str());
        let ok = match level.as_str() {
            "S" => parent.is_empty(),
            "O" => parent_level == Some("S"),
            l if l == above => parent_level == Some("O"),
            l if l == below => {
                parent_level == Some(above) || (l == "I" && parent_level == Some("O"))
            }
            _ => false,
        };
        prop_assert!(ok, "HL {} level {} under {:?}", id, level, parent_level);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn generated_856s_round_trip_in_both_hierarchies(
        (d, five010, soip, n) in (tk::delimiters(), any::<bool>())
            .prop_flat_map(|((d, f), soip)| (Just(d), Just(f), Just(soip), arb_notice(d, f, soip)))
    ) {
        let structure = if soip { PackingStructure::Soip } else { PackingStructure::Sopi };
        let bytes = write(&n, d, five010, structure);
        check_tree(&bytes, structure)?;
        prop_assert_eq!(read(&bytes), vec![Ok(n.clone())]);
        // A notice without empty or unlabelled packs reads the same from the other hierarchy.
        if soip {
            let other = write(&n, d, five010, PackingStructure::Sopi);
            check_tree(&other, PackingStructure::Sopi)?;
            prop_assert_eq!(read(&other), vec![Ok(n)]);
        }
    }
}
