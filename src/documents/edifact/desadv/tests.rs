//! Unit tests of `desadv`.

use super::super::{TranslateOptions, outbound_message, translate_with};
use crate::documents::x12::common::testkit as tk;
use crate::edi::edifact::envelope::Party as UnbParty;
use crate::edi::edifact::writer::{OutInterchange, write};
use crate::edi::edifact::{Charset, ServiceChars};
use crate::model::ship_notice::*;
use crate::model::{Document, ItemId, ItemIdQualifier, Party, PartyRole, Text};
use proptest::prelude::*;

fn envelope(chars: ServiceChars) -> OutInterchange {
    OutInterchange {
        chars,
        charset: Charset::Unob,
        syntax_version: 3,
        sender: UnbParty {
            id: "5412345000013".into(),
            qualifier: Some("14".into()),
        },
        recipient: UnbParty {
            id: "4012345000009".into(),
            qualifier: Some("14".into()),
        },
        date: "261126".into(),
        time: "1200".into(),
        reference: "DES1".into(),
        application_ref: None,
        ack_request: false,
        test: false,
        una: true,
        newline: true,
    }
}

fn short(max: usize) -> BoxedStrategy<Text> {
    tk::text(&[])
        .prop_map(move |t| Text::from(t.chars().take(max).collect::<String>()))
        .boxed()
}

fn code() -> BoxedStrategy<Text> {
    "[A-Z0-9]{1,3}".prop_map(Text::from).boxed()
}

fn party() -> BoxedStrategy<Party> {
    let role = prop_oneof![
        Just(PartyRole::BuyingParty),
        Just(PartyRole::ShipTo),
        Just(PartyRole::BillTo),
        Just(PartyRole::Seller),
        "(CA|SF|UC)".prop_map(|s: String| PartyRole::Other(s.into())),
    ];
    (
        role,
        (
            proptest::option::of("[0-9]{13}"),
            proptest::option::of(Just("9")),
        ),
        tk::text(&[]),
        proptest::collection::vec(tk::text(&[]), 0..4),
        proptest::collection::vec(tk::text(&[]), 0..4),
        (
            tk::opt_text(&[]),
            proptest::option::of(code()),
            proptest::option::of(short(9)),
            proptest::option::of("[A-Z]{2}"),
        ),
    )
        .prop_map(
            |(role, (id, agency), name, names, lines, (city, state, postal, country))| Party {
                role,
                name: Some(name),
                additional_names: names,
                id_qualifier: agency.map(Text::from),
                id: id.map(Text::from),
                address_lines: lines,
                city,
                state,
                postal_code: postal,
                country: country.map(Text::from),
            },
        )
        .boxed()
}

/// Item ids as a DESADV carries them: at most one GTIN, first.
fn item_ids() -> BoxedStrategy<Vec<ItemId>> {
    let other = prop_oneof![
        tk::text(&[]).prop_map(|v| ItemId {
            qualifier: ItemIdQualifier::BuyerPart,
            value: v
        }),
        tk::text(&[]).prop_map(|v| ItemId {
            qualifier: ItemIdQualifier::VendorPart,
            value: v
        }),
        ("(MF|ZZZ)", tk::text(&[])).prop_map(|(q, v)| ItemId {
            qualifier: ItemIdQualifier::Other(q.into()),
            value: v
        }),
    ];
    (
        proptest::option::of(tk::gtin(14)),
        proptest::collection::vec(other, 0..4),
    )
        .prop_map(|(g, rest)| {
            g.map(|v| ItemId {
                qualifier: ItemIdQualifier::Gtin,
                value: v,
            })
            .into_iter()
            .chain(rest)
            .collect()
        })
        .boxed()
}

fn item() -> BoxedStrategy<ShippedItem> {
    (
        "[1-9][0-9]{0,5}",
        item_ids(),
        tk::amount(),
        "[A-Z]{2,3}",
        proptest::option::of(tk::amount()),
        tk::opt_text(&[]),
    )
        .prop_map(
            |(n, item_ids, quantity, uom, quantity_ordered, description)| ShippedItem {
                line_number: Some(n.into()),
                item_ids,
                quantity,
                uom: uom.into(),
                quantity_ordered,
                description,
            },
        )
        .boxed()
}

fn notice() -> BoxedStrategy<ShipNotice> {
    let lading = (0u32..1000, code(), tk::amount(), "(KGM|LBR)").prop_map(|(q, p, w, u)| Lading {
        packaging_code: Some(p),
        quantity: Some(q),
        weight_qualifier: None,
        weight: Some(w),
        weight_unit: Some(u.into()),
    });
    let carrier = ("[A-Z0-9]{2,10}", code(), code()).prop_map(|(id, q, m)| Carrier {
        id_qualifier: Some(q),
        id: Some(id.into()),
        transport_method: Some(m),
        routing: None,
    });
    let reference = ("(IA|ZZ|PK|AAS)", tk::opt_text(&[])).prop_map(|(q, v)| {
        crate::model::order_ack::Reference {
            qualifier: q.into(),
            value: v,
            description: None,
        }
    });
    let order = (
        proptest::collection::vec(proptest::collection::vec(item(), 1..4), 0..3),
        proptest::collection::vec(item(), 0..3),
    );
    (
        (
            prop_oneof![
                Just(ShipNoticePurpose::Original),
                Just(ShipNoticePurpose::Cancellation),
                Just(ShipNoticePurpose::Replace)
            ],
            short(35),
            tk::iso_date(),
            proptest::option::of(tk::iso_date()),
            proptest::option::of(tk::iso_date()),
        ),
        (
            proptest::option::of(lading),
            proptest::option::of(carrier),
            tk::opt_text(&[]),
            tk::opt_text(&[]),
        ),
        proptest::collection::vec(reference, 0..3),
        proptest::collection::vec(party(), 0..4),
        proptest::collection::vec(order, 1..4),
    )
        .prop_map(
            |(h, (lading, carrier, bol, pro), references, parties, orders)| {
                // Distinct order numbers: lines are grouped by RFF+ON.
                let orders = crate::documents::testkit::orders(
                    "PO",
                    orders
                        .into_iter()
                        .map(|(packs, loose)| (None, packs, loose))
                        .collect(),
                );
                ShipNotice {
                    purpose: h.0,
                    shipment_id: h.1,
                    date: h.2,
                    time: None,
                    lading,
                    carrier,
                    bill_of_lading: bol,
                    pro_number: pro,
                    references,
                    ship_date: h.3,
                    estimated_delivery: h.4,
                    parties,
                    orders,
                    source: tk::source(false, 1),
                }
            },
        )
        .boxed()
}

fn service_chars() -> BoxedStrategy<ServiceChars> {
    proptest::sample::subsequence(b"+:'?|^!~".to_vec(), 4)
        .prop_shuffle()
        .prop_map(|c| ServiceChars {
            component: c[0],
            element: c[1],
            decimal: b'.',
            release: Some(c[2]),
            repetition: None,
            segment: c[3],
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// A ship notice written as a DESADV and read back is the same ship notice, with
    /// any service characters and data full of them.
    #[test]
    fn desadv_round_trip(n in notice(), chars in service_chars()) {
        let msg = outbound_message(&Document::ShipNotice(n.clone()), "1")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bytes = write(&envelope(chars), &[msg]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let t = translate_with(&bytes, TranslateOptions::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let ic = &t.interchanges[0];
        prop_assert!(ic.errors.is_empty(), "{:?}\n{}", ic.errors, String::from_utf8_lossy(&bytes));
        let [Document::ShipNotice(back)] = ic.documents.as_slice() else {
            return Err(TestCaseError::fail(format!("one notice expected: {:?}", ic.documents)));
        };
        let mut back = back.clone();
        back.source = n.source.clone();
        prop_assert_eq!(back, n);
    }
}

#[test]
fn a_partner_desadv_becomes_a_ship_notice() {
    let input = "UNA:+.? '\
UNB+UNOA:3+5412345000013:14+4012345000009:14+261126:1200+D77'\
UNH+1+DESADV:D:96A:UN:EAN005'BGM+351+ASN-9+9'DTM+137:20261126:102'DTM+11:20261127:102'\
RFF+ON:PO-4711'NAD+SU+5412345000013::9'NAD+DP+4012345000108::9'\
CPS+1'CPS+2+1'PAC+1++CT'PCI+33E'GIN+BJ+106141411234567897'\
LIN+1++5412345678908:SRV'QTY+12:10:PCE'CPS+3+1'LIN+2++5412345678915:SRV'QTY+12:2:PCE'RFF+ON:PO-4712'\
CNT+2:2'UNT+20+1'UNZ+1+D77'";
    let t = translate_with(input.as_bytes(), TranslateOptions::default()).expect("reads");
    let ic = &t.interchanges[0];
    assert!(ic.errors.is_empty(), "{:?}", ic.errors);
    let [Document::ShipNotice(n)] = ic.documents.as_slice() else {
        panic!("{:?}", ic.documents);
    };
    assert_eq!(n.shipment_id, "ASN-9");
    assert_eq!(n.ship_date.as_deref(), Some("2026-11-27"));
    assert_eq!(n.orders.len(), 2);
    assert_eq!(n.orders[0].po_number, "PO-4711");
    assert_eq!(
        n.orders[0].packs[0].sscc.as_deref(),
        Some("106141411234567897")
    );
    assert_eq!(
        n.orders[0].packs[0].items[0].quantity,
        rust_decimal::Decimal::new(10, 0)
    );
    assert_eq!(n.orders[1].po_number, "PO-4712");
    assert_eq!(n.orders[1].loose_items.len(), 1);
    // A wrong SSCC check digit is a located fault.
    let bad = input.replace("106141411234567897", "106141411234567890");
    let t = translate_with(bad.as_bytes(), TranslateOptions::default()).expect("reads");
    assert!(t.interchanges[0].documents.is_empty());
    assert!(
        t.interchanges[0]
            .errors
            .iter()
            .any(|d| d.location.segment_id.as_deref() == Some("GIN")
                && super::super::contrl_code(d) == Some(12))
    );
}
