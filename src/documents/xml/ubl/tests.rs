//! Unit tests of `ubl`.

use super::*;
use crate::documents::x12::common::testkit as tk;
use crate::model::ship_notice::*;
use proptest::prelude::*;

fn word() -> BoxedStrategy<Text> {
    "[A-Za-z0-9<>&'\".,/-]{1,12}".prop_map(Text::from).boxed()
}

fn party(role: PartyRole) -> BoxedStrategy<Party> {
    (
        proptest::option::of(("[0-9]{13}", Just("0088"))),
        proptest::option::of(word()),
        proptest::collection::vec(word(), 0..3),
        (
            proptest::option::of(word()),
            proptest::option::of(word()),
            proptest::option::of(word()),
            proptest::option::of("[A-Z]{2}"),
        ),
    )
        .prop_map(
            move |(id, name, lines, (city, state, postal, country))| Party {
                role: role.clone(),
                name,
                additional_names: Vec::new(),
                id_qualifier: id.as_ref().map(|i| Text::from(i.1)),
                id: id.map(|i| Text::from(i.0)),
                address_lines: lines,
                city,
                state,
                postal_code: postal,
                country: country.map(Text::from),
            },
        )
        .boxed()
}

fn item() -> BoxedStrategy<ShippedItem> {
    (
        word(),
        (
            proptest::option::of(word()),
            proptest::option::of(word()),
            proptest::option::of(tk::gtin(14)),
        ),
        tk::amount(),
        "[A-Z0-9]{2,3}",
        proptest::option::of(word()),
    )
        .prop_map(|(n, (buyer, seller, gtin), quantity, uom, description)| {
            let item_ids = [
                (ItemIdQualifier::BuyerPart, buyer),
                (ItemIdQualifier::VendorPart, seller),
                (ItemIdQualifier::Gtin, gtin),
            ]
            .into_iter()
            .filter_map(|(q, v)| {
                v.map(|value| ItemId {
                    qualifier: q,
                    value,
                })
            })
            .collect();
            ShippedItem {
                line_number: Some(n),
                item_ids,
                quantity,
                uom: uom.into(),
                quantity_ordered: None,
                description,
            }
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
        (
            proptest::option::of(party(PartyRole::Seller)),
            proptest::option::of(party(PartyRole::ShipTo)),
        ),
        proptest::collection::vec(order, 1..3),
    )
        .prop_map(
            |(
                shipment_id,
                date,
                (ship_date, estimated_delivery),
                (scac, pro),
                (seller, ship_to),
                orders,
            )| {
                ShipNotice {
                    purpose: ShipNoticePurpose::Original,
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
                    parties: seller.into_iter().chain(ship_to).collect(),
                    orders: crate::documents::testkit::orders("PO<", orders),
                    source: tk::source(false, 1),
                }
            },
        )
        .prop_filter("an advice ships something", |n| !n.orders.is_empty())
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// A ship notice written as a UBL DespatchAdvice and read back is the same.
    #[test]
    fn despatch_advice_round_trip(n in notice()) {
        let xml = despatch_advice(&n);
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

/// Found by the round trip: a delivery party whose address is only a state lost it.
#[test]
fn an_address_of_only_a_state_is_written() {
    let mut p = Party {
        role: PartyRole::ShipTo,
        name: None,
        additional_names: Vec::new(),
        id_qualifier: None,
        id: None,
        address_lines: Vec::new(),
        city: None,
        state: Some("IL".into()),
        postal_code: None,
        country: None,
    };
    let mut w = XmlWriter::new(None);
    write_party(&mut w, &p);
    assert!(
        w.finish()
            .contains("<cbc:CountrySubentity>IL</cbc:CountrySubentity>")
    );
    p.state = None;
    let mut w = XmlWriter::new(None);
    write_party(&mut w, &p);
    assert!(!w.finish().contains("PostalAddress"));
}

#[test]
fn an_acknowledgement_becomes_an_order_response() {
    use crate::model::order_ack::*;
    let ack = OrderAck {
        purpose: OrderPurpose::Original,
        ack_type: OrderAckType::Rejected,
        po_number: "PO-UBL-5".into(),
        po_date: Some("2026-11-26".into()),
        release_number: None,
        request_reference: None,
        contract_number: None,
        seller_order_number: None,
        ack_date: Some("2026-11-27".into()),
        currency: Some("EUR".into()),
        references: vec![],
        parties: vec![],
        lines: vec![OrderAckLine {
            line_number: Some("1".into()),
            quantity: Some(Decimal::new(24, 0)),
            uom: Some("C62".into()),
            unit_price: Some(Decimal::new(175, 2)),
            price_basis: None,
            item_ids: vec![ItemId {
                qualifier: ItemIdQualifier::Gtin,
                value: "05412345000020".into(),
            }],
            description: None,
            acks: vec![LineAck {
                status: LineStatus::Rejected,
                quantity: None,
                uom: None,
                date: None,
                item_ids: vec![],
            }],
        }],
        source: tk::source(false, 1),
    };
    let xml = order_response(&ack);
    for needle in [
        r#"<OrderResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2""#,
        "<cbc:OrderResponseCode>RE</cbc:OrderResponseCode>",
        "<cbc:ID>PO-UBL-5</cbc:ID>",
        "<cbc:LineStatusCode>7</cbc:LineStatusCode>",
        r#"<cbc:Quantity unitCode="C62">24</cbc:Quantity>"#,
        r#"<cbc:PriceAmount currencyID="EUR">1.75</cbc:PriceAmount>"#,
        r#"<cbc:ID schemeID="0160">05412345000020</cbc:ID>"#,
    ] {
        assert!(xml.contains(needle), "{needle}\n{xml}");
    }
    let t = super::super::translate(xml.as_bytes()).expect("well-formed UBL");
    assert_eq!(t.kind, "OrderResponse");
}
