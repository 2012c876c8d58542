//! Unit tests of `cxml`.

use super::*;
use crate::documents::x12::common::testkit as tk;
use crate::model::ship_notice::*;
use proptest::prelude::*;

fn envelope() -> Envelope {
    Envelope {
        payload_id: "1@wharf".into(),
        timestamp: "2026-11-26T12:00:00Z".into(),
        from: ("DUNS".into(), "123456789".into()),
        to: ("NetworkID".into(), "AN0100000001".into()),
        shared_secret: Some("s3cret".into()),
        deployment_mode: "production",
    }
}

/// XML text as partners write it: no surrounding blanks (they are not data), but full of
/// characters that must be escaped.
fn word() -> BoxedStrategy<Text> {
    "[A-Za-z0-9<>&'\".,/-]{1,12}".prop_map(Text::from).boxed()
}

fn item() -> BoxedStrategy<ShippedItem> {
    let id = prop_oneof![
        word().prop_map(|v| ItemId {
            qualifier: ItemIdQualifier::BuyerPart,
            value: v
        }),
        word().prop_map(|v| ItemId {
            qualifier: ItemIdQualifier::VendorPart,
            value: v
        }),
    ];
    (
        word(),
        proptest::collection::vec(id, 0..3),
        tk::amount(),
        "[A-Z]{2}",
    )
        .prop_map(|(n, item_ids, quantity, uom)| ShippedItem {
            line_number: Some(n),
            item_ids,
            quantity,
            uom: uom.into(),
            quantity_ordered: None,
            description: None,
        })
        .boxed()
}

fn notice() -> BoxedStrategy<ShipNotice> {
    let order = (
        proptest::option::of(tk::iso_date()),
        proptest::collection::vec(proptest::collection::vec(item(), 1..3), 0..3),
        proptest::collection::vec(item(), 0..3),
    );
    (
        prop_oneof![
            Just(ShipNoticePurpose::Original),
            Just(ShipNoticePurpose::Cancellation),
            Just(ShipNoticePurpose::Replace)
        ],
        word(),
        tk::iso_date(),
        (
            proptest::option::of(tk::iso_date()),
            proptest::option::of(tk::iso_date()),
        ),
        (
            proptest::option::of("[A-Z]{2,4}"),
            proptest::option::of(word()),
        ),
        proptest::collection::vec(order, 1..3),
    )
        .prop_map(
            |(purpose, shipment_id, date, (ship_date, estimated_delivery), (scac, pro), orders)| {
                ShipNotice {
                    purpose,
                    shipment_id,
                    date,
                    time: None,
                    lading: None,
                    carrier: scac.map(|s| Carrier {
                        id_qualifier: Some("SCAC".into()),
                        id: Some(s.into()),
                        transport_method: None,
                        routing: None,
                    }),
                    bill_of_lading: None,
                    pro_number: pro,
                    references: Vec::new(),
                    ship_date,
                    estimated_delivery,
                    parties: Vec::new(),
                    orders: crate::documents::testkit::orders("PO&", orders),
                    source: tk::source(false, 1),
                }
            },
        )
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// A ship notice written as a cXML ShipNoticeRequest and read back is the same.
    #[test]
    fn ship_notice_request_round_trip(n in notice()) {
        let xml = ship_notice_request(&n, &envelope());
        let t = super::super::translate(xml.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
        prop_assert!(t.errors.is_empty(), "{:?}\n{xml}", t.errors);
        let [Document::ShipNotice(back)] = t.documents.as_slice() else {
            return Err(TestCaseError::fail(format!("{:?}", t.documents)));
        };
        let mut back = back.clone();
        back.source = n.source.clone();
        prop_assert_eq!(back, n);
    }
}

#[test]
fn an_acknowledgement_becomes_a_confirmation_request() {
    use crate::model::order_ack::*;
    let ack = OrderAck {
        purpose: OrderPurpose::Original,
        ack_type: OrderAckType::AcceptedWithChanges,
        po_number: "PO-CX-77".into(),
        po_date: Some("2026-11-26".into()),
        release_number: None,
        request_reference: None,
        contract_number: None,
        seller_order_number: Some("SO-9".into()),
        ack_date: Some("2026-11-27".into()),
        currency: None,
        references: vec![],
        parties: vec![],
        lines: vec![OrderAckLine {
            line_number: Some("1".into()),
            quantity: Some(Decimal::new(10, 0)),
            uom: Some("EA".into()),
            unit_price: None,
            price_basis: None,
            item_ids: vec![],
            description: None,
            acks: vec![LineAck {
                status: LineStatus::Backordered,
                quantity: Some(Decimal::new(4, 0)),
                uom: None,
                date: Some(QualifiedDate {
                    qualifier: "068".into(),
                    date: "2026-12-10".into(),
                }),
                item_ids: vec![],
            }],
        }],
        source: tk::source(false, 1),
    };
    let xml = confirmation_request(&ack, &envelope());
    for needle in [
        r#"<ConfirmationHeader type="detail" noticeDate="2026-11-27" confirmID="SO-9"/>"#,
        r#"<OrderReference orderID="PO-CX-77" orderDate="2026-11-26"/>"#,
        r#"<ConfirmationItem lineNumber="1" quantity="10">"#,
        r#"<ConfirmationStatus type="backordered" quantity="4" deliveryDate="2026-12-10">"#,
        "<SharedSecret>s3cret</SharedSecret>",
        r#"<Credential domain="NetworkID">"#,
    ] {
        assert!(xml.contains(needle), "{needle}\n{xml}");
    }
    // Well-formed, and Wharf reads it as cXML.
    let t = super::super::translate(xml.as_bytes()).expect("well-formed");
    assert_eq!(t.kind, "ConfirmationRequest");
}

#[test]
fn the_header_alone_names_the_sender_and_its_secret() {
    let doc = br#"<?xml version="1.0"?><!DOCTYPE cXML SYSTEM "x.dtd"><cXML payloadID="1"><Header><From><Credential domain="NetworkID"><Identity>AN&amp;01</Identity></Credential></From><To><Credential domain="DUNS"><Identity>WHARF</Identity></Credential></To><Sender><Credential domain="NetworkID"><Identity>AN01</Identity><SharedSecret> s3&lt;ret </SharedSecret></Credential></Sender></Header><Request><OrderRequest"#;
    // Cut off in the middle of the request: the Header is whole, and that is enough.
    let c = header_credentials(doc).expect("a whole Header");
    assert_eq!(c.sender.as_deref(), Some("NetworkID:AN&01"));
    assert_eq!(c.shared_secret.as_deref(), Some("s3<ret"));
    // The same as the whole document's reading.
    let whole = fixture_order();
    let t = super::super::translate(&whole).expect("fixture");
    let h = header_credentials(&whole).expect("fixture header");
    assert_eq!(h.sender, t.sender);
    assert_eq!(h.shared_secret, t.shared_secret);
    // A Header cut short, or none at all, is an error, never a guess.
    let cut = &doc[..doc.windows(9).position(|w| w == b"</Header>").unwrap()];
    assert!(
        header_credentials(cut)
            .unwrap_err()
            .to_string()
            .contains("no complete cXML Header")
    );
    assert!(header_credentials(b"<cXML a0=\"v\" a1=\"v").is_err());
    assert!(header_credentials(b"<cXML><Header><From></Header>").is_err());
}

fn fixture_order() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/xml/cxml_order.xml"
    ))
    .unwrap()
}
