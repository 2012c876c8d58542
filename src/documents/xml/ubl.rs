//! UBL 2.1 Order → canonical Order: ID, IssueDate, OrderTypeCode, DocumentCurrencyCode, Note, the buyer, seller, accounting customer and delivery location (endpoint or party ids with their scheme, e.g. 0088 for a GLN), the requested delivery period, and each OrderLine/LineItem (ID, Quantity@unitCode, Price, Item name and its seller's, buyer's and standard ids). Other UBL documents are recognised and reported. Pure.

use super::{Dialect, Faults, XmlTranslation, iso_date};
use crate::edi::diag::{Diagnostic, Location};
use crate::edi::xml::Element;
use crate::model::{
    Document, ItemId, ItemIdQualifier, Order, OrderLine, OrderPurpose, Party, PartyRole, SourceRef,
    Text,
};
use rust_decimal::Decimal;

/// The party's identifier and its scheme: EndpointID first, then PartyIdentification/ID.
fn party_id(party: &Element) -> (Option<Text>, Option<Text>) {
    let id = party
        .child("EndpointID")
        .filter(|e| !e.text.is_empty())
        .or_else(|| {
            party
                .at("PartyIdentification/ID")
                .filter(|e| !e.text.is_empty())
        });
    (
        id.map(|e| Text::from(e.text.as_str())),
        id.and_then(|e| e.attr("schemeID")).map(Text::from),
    )
}

fn address(p: &mut Party, a: &Element) {
    p.address_lines = ["StreetName", "AdditionalStreetName"]
        .iter()
        .filter_map(|n| a.text_at(n))
        .map(Text::from)
        .collect();
    p.city = a.text_at("CityName").map(Text::from);
    p.state = a.text_at("CountrySubentity").map(Text::from);
    p.postal_code = a.text_at("PostalZone").map(Text::from);
    p.country = a.text_at("Country/IdentificationCode").map(Text::from);
}

fn party(role: PartyRole, party: &Element) -> Party {
    let (id, scheme) = party_id(party);
    let mut p = Party {
        role,
        name: party
            .text_at("PartyName/Name")
            .or_else(|| party.text_at("PartyLegalEntity/RegistrationName"))
            .map(Text::from),
        additional_names: Vec::new(),
        id_qualifier: scheme,
        id,
        address_lines: Vec::new(),
        city: None,
        state: None,
        postal_code: None,
        country: None,
    };
    if let Some(a) = party.child("PostalAddress") {
        address(&mut p, a);
    }
    p
}

/// Delivery/DeliveryLocation as the ship-to party.
fn delivery(loc: &Element) -> Party {
    let id = loc.child("ID").filter(|e| !e.text.is_empty());
    let mut p = Party {
        role: PartyRole::ShipTo,
        name: loc.text_at("Name").map(Text::from),
        additional_names: Vec::new(),
        id_qualifier: id.and_then(|e| e.attr("schemeID")).map(Text::from),
        id: id.map(|e| Text::from(e.text.as_str())),
        address_lines: Vec::new(),
        city: None,
        state: None,
        postal_code: None,
        country: None,
    };
    if let Some(a) = loc.child("Address") {
        address(&mut p, a);
    }
    p
}

fn line(ol: &Element, n: usize, f: &mut Faults) -> Option<OrderLine> {
    let Some(li) = ol.child("LineItem") else {
        f.missing(ol, "LineItem");
        return None;
    };
    let quantity = match li.child("Quantity") {
        Some(q) => f
            .decimal(q, Some(q.text.as_str()), "Quantity")
            .unwrap_or(Decimal::ZERO),
        None => {
            f.missing(li, "Quantity");
            Decimal::ZERO
        }
    };
    let item = li.child("Item");
    let mut item_ids = Vec::new();
    if let Some(item) = item {
        for (path, qualifier) in [
            ("StandardItemIdentification/ID", ItemIdQualifier::Gtin),
            ("SellersItemIdentification/ID", ItemIdQualifier::VendorPart),
            ("BuyersItemIdentification/ID", ItemIdQualifier::BuyerPart),
        ] {
            if let Some(v) = item.text_at(path) {
                item_ids.push(ItemId {
                    qualifier,
                    value: v.into(),
                });
            }
        }
    }
    if item_ids.is_empty() {
        f.missing(li, "an item identification (Item/StandardItemIdentification, SellersItemIdentification or BuyersItemIdentification)");
    }
    let unit_price = li
        .at("Price/PriceAmount")
        .and_then(|p| f.decimal(p, Some(p.text.as_str()), "Price/PriceAmount"));
    Some(OrderLine {
        line_number: Text::from(
            li.text_at("ID")
                .map_or_else(|| n.to_string(), str::to_owned),
        ),
        quantity,
        uom: li
            .child("Quantity")
            .and_then(|q| q.attr("unitCode"))
            .map(Text::from),
        unit_price,
        item_ids,
        description: item
            .and_then(|i| i.text_at("Name").or_else(|| i.text_at("Description")))
            .map(Text::from),
    })
}

pub fn translate(root: &Element) -> XmlTranslation {
    let mut f = Faults::default();
    let reference = root
        .text_at("UUID")
        .or_else(|| root.text_at("ID"))
        .unwrap_or_default()
        .to_owned();
    let buyer = root.at("BuyerCustomerParty/Party");
    let seller = root.at("SellerSupplierParty/Party");
    let sender = buyer.and_then(|p| party_id(p).0).map(|t| t.to_string());
    let receiver = seller.and_then(|p| party_id(p).0).map(|t| t.to_string());
    let mut documents = Vec::new();
    if root.name == "Order" {
        if let Some(o) = order(root, &reference, &sender, &receiver, &mut f) {
            documents.push(Document::Order(o));
        }
    } else {
        f.found.push(Diagnostic::info(
            Location {
                offset: Some(root.offset),
                segment_id: Some(root.path.clone()),
                ..Location::default()
            },
            format!("no canonical mapping yet for UBL {}", root.name),
        ));
    }
    XmlTranslation {
        dialect: Dialect::Ubl,
        kind: root.name.clone(),
        reference,
        sender,
        receiver,
        shared_secret: None,
        documents,
        errors: f.found,
    }
}

fn order(
    root: &Element,
    reference: &str,
    sender: &Option<String>,
    receiver: &Option<String>,
    f: &mut Faults,
) -> Option<Order> {
    let po_number = match root.text_at("ID") {
        Some(id) => Text::from(id),
        None => {
            f.missing(root, "ID (the order number)");
            Text::default()
        }
    };
    let po_date = root.child("IssueDate").and_then(|d| {
        let iso = iso_date(&d.text);
        if iso.is_none() {
            f.error(
                d,
                format!("IssueDate {:?} is not a date (YYYY-MM-DD)", d.text),
            );
        }
        iso
    });
    let mut parties = Vec::new();
    for (path, role) in [
        ("BuyerCustomerParty/Party", PartyRole::BuyingParty),
        ("SellerSupplierParty/Party", PartyRole::Seller),
        ("AccountingCustomerParty/Party", PartyRole::BillTo),
    ] {
        if let Some(p) = root.at(path) {
            parties.push(party(role, p));
        }
    }
    if let Some(loc) = root.at("Delivery/DeliveryLocation") {
        parties.push(delivery(loc));
    }
    let lines: Vec<OrderLine> = root
        .all("OrderLine")
        .enumerate()
        .filter_map(|(i, ol)| line(ol, i + 1, f))
        .collect();
    if lines.is_empty() && root.child("OrderLine").is_none() {
        f.missing(root, "OrderLine (the order has no lines)");
    }
    let version = root.text_at("UBLVersionID").unwrap_or("2.1");
    f.is_clean().then(|| Order {
        purpose: OrderPurpose::Original,
        po_number,
        po_date,
        order_type: root.text_at("OrderTypeCode").map(Text::from),
        currency: root.text_at("DocumentCurrencyCode").map(Text::from),
        parties,
        lines,
        notes: root
            .all("Note")
            .filter(|n| !n.text.is_empty())
            .map(|n| Text::from(n.text.as_str()))
            .collect(),
        requested_delivery_date: root
            .text_at("Delivery/RequestedDeliveryPeriod/StartDate")
            .and_then(iso_date),
        requested_ship_date: None,
        source: SourceRef {
            standard: "UBL".into(),
            version: version.into(),
            interchange_control: reference.into(),
            group_control: Text::default(),
            set_control: Text::default(),
            sender_id: sender.as_deref().unwrap_or_default().into(),
            receiver_id: receiver.as_deref().unwrap_or_default().into(),
        },
    })
}
