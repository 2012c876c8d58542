//! UBL 2.1 both ways: OrderResponse from an order acknowledgement and DespatchAdvice from a ship notice (written), DespatchAdvice → ShipNotice and Order → canonical Order (read). The Order: ID, IssueDate, OrderTypeCode, DocumentCurrencyCode, Note, the buyer, seller, accounting customer and delivery location (endpoint or party ids with their scheme, e.g. 0088 for a GLN), the requested delivery period, and each OrderLine/LineItem (ID, Quantity@unitCode, Price, Item name and its seller's, buyer's and standard ids). Other UBL documents are recognised and reported. Pure.

use super::{Dialect, Faults, XmlTranslation, iso_date};
use crate::edi::diag::{Diagnostic, Location};
use crate::edi::xml::{Element, XmlWriter};
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
    } else if root.name == "DespatchAdvice" {
        if let Some(n) = ship_notice(root, &reference, &mut f) {
            documents.push(Document::ShipNotice(n));
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

const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

/// A UBL 2.1 document's root with its namespaces and version.
fn document(root: &'static str, body: impl FnOnce(&mut XmlWriter)) -> String {
    let ns = format!("urn:oasis:names:specification:ubl:schema:xsd:{root}-2");
    let mut w = XmlWriter::new(None);
    w.open(
        root,
        &[("xmlns", &ns), ("xmlns:cac", CAC), ("xmlns:cbc", CBC)],
    );
    w.text("cbc:UBLVersionID", &[], Some("2.1"));
    body(&mut w);
    w.finish()
}

/// A canonical party as cac:Party (EndpointID with its scheme, name, postal address).
fn write_party(w: &mut XmlWriter, p: &Party) {
    w.open("cac:Party", &[]);
    if let Some(id) = &p.id {
        w.text(
            "cbc:EndpointID",
            &[("schemeID", p.id_qualifier.as_deref().unwrap_or_default())],
            Some(id),
        );
    }
    if let Some(n) = &p.name {
        w.open("cac:PartyName", &[])
            .text("cbc:Name", &[], Some(n))
            .close();
    }
    // Any part of the address makes a PostalAddress (a state alone included).
    let has_address = !p.address_lines.is_empty()
        || p.city.is_some()
        || p.state.is_some()
        || p.postal_code.is_some()
        || p.country.is_some();
    if has_address {
        w.open("cac:PostalAddress", &[]);
        w.text(
            "cbc:StreetName",
            &[],
            p.address_lines.first().map(Text::as_str),
        );
        w.text(
            "cbc:AdditionalStreetName",
            &[],
            p.address_lines.get(1).map(Text::as_str),
        );
        w.text("cbc:CityName", &[], p.city.as_deref());
        w.text("cbc:PostalZone", &[], p.postal_code.as_deref());
        w.text("cbc:CountrySubentity", &[], p.state.as_deref());
        if let Some(c) = &p.country {
            w.open("cac:Country", &[])
                .text("cbc:IdentificationCode", &[], Some(c))
                .close();
        }
        w.close();
    }
    w.close();
}

/// cac:Item with its name and identifications (GTIN with scheme 0160).
fn write_item(w: &mut XmlWriter, ids: &[ItemId], name: Option<&str>) {
    w.open("cac:Item", &[]);
    w.text("cbc:Name", &[], name);
    for (q, el) in [
        (ItemIdQualifier::BuyerPart, "cac:BuyersItemIdentification"),
        (ItemIdQualifier::VendorPart, "cac:SellersItemIdentification"),
        (ItemIdQualifier::Gtin, "cac:StandardItemIdentification"),
    ] {
        if let Some(id) = ids.iter().find(|i| i.qualifier == q) {
            let scheme = if q == ItemIdQualifier::Gtin {
                "0160"
            } else {
                ""
            };
            w.open(el, &[])
                .text("cbc:ID", &[("schemeID", scheme)], Some(&id.value))
                .close();
        }
    }
    w.close();
}

/// UBL OrderResponse for an order acknowledgement: OrderResponseCode AP (accepted), CA
/// (accepted with changes) or RE (rejected); per line the status (UNCL 1229: 5, 3, 7),
/// confirmed quantity, promised date and price.
pub fn order_response(a: &crate::model::OrderAck) -> String {
    use crate::model::order_ack::{LineStatus, OrderAckType};
    let code = match a.ack_type {
        OrderAckType::Accepted
        | OrderAckType::AcceptedNoChanges
        | OrderAckType::AcceptedNoDetail => "AP",
        OrderAckType::Rejected | OrderAckType::RejectedWithDetail => "RE",
        _ => "CA",
    };
    document("OrderResponse", |w| {
        w.text(
            "cbc:ID",
            &[],
            Some(
                a.seller_order_number
                    .as_deref()
                    .unwrap_or(a.po_number.as_str()),
            ),
        );
        w.text("cbc:IssueDate", &[], a.ack_date.as_deref());
        w.text("cbc:OrderResponseCode", &[], Some(code));
        w.text("cbc:DocumentCurrencyCode", &[], a.currency.as_deref());
        w.open("cac:OrderReference", &[]);
        w.text("cbc:ID", &[], Some(&a.po_number));
        w.text("cbc:IssueDate", &[], a.po_date.as_deref());
        w.close();
        for (role, el) in [
            (PartyRole::Seller, "cac:SellerSupplierParty"),
            (PartyRole::BuyingParty, "cac:BuyerCustomerParty"),
        ] {
            if let Some(p) = a.parties.iter().find(|p| p.role == role) {
                w.open(el, &[]);
                write_party(w, p);
                w.close();
            }
        }
        for (i, l) in a.lines.iter().enumerate() {
            let n = l
                .line_number
                .as_deref()
                .map_or_else(|| (i + 1).to_string(), str::to_owned);
            let first = l.acks.first();
            let status = match first.map(|k| &k.status) {
                None | Some(LineStatus::Accepted | LineStatus::AcceptedAndShipped) => "5",
                Some(LineStatus::Rejected | LineStatus::Deleted) => "7",
                Some(_) => "3",
            };
            w.open("cac:OrderLine", &[]).open("cac:LineItem", &[]);
            w.text("cbc:ID", &[], Some(&n));
            w.text("cbc:LineStatusCode", &[], Some(status));
            let q = first
                .and_then(|k| k.quantity)
                .or(l.quantity)
                .map(|q| q.normalize().to_string());
            w.text(
                "cbc:Quantity",
                &[("unitCode", l.uom.as_deref().unwrap_or_default())],
                q.as_deref(),
            );
            if let Some(d) = first.and_then(|k| k.date.as_ref()) {
                w.open("cac:Delivery", &[])
                    .open("cac:PromisedDeliveryPeriod", &[]);
                w.text("cbc:StartDate", &[], Some(&d.date));
                w.close().close();
            }
            if let Some(p) = &l.unit_price {
                let price = p.normalize().to_string();
                w.open("cac:Price", &[]);
                w.text(
                    "cbc:PriceAmount",
                    &[("currencyID", a.currency.as_deref().unwrap_or_default())],
                    Some(&price),
                );
                w.close();
            }
            write_item(w, &l.item_ids, l.description.as_deref());
            w.close().close();
        }
    })
}

/// UBL DespatchAdvice for a ship notice: one DespatchLine per shipped item, each naming its
/// order (OrderLineReference) and, when packed, its SSCC (TransportHandlingUnit).
pub fn despatch_advice(n: &crate::model::ShipNotice) -> String {
    document("DespatchAdvice", |w| {
        w.text("cbc:ID", &[], Some(&n.shipment_id));
        w.text("cbc:IssueDate", &[], Some(&n.date));
        for (role, el) in [
            (PartyRole::Seller, "cac:DespatchSupplierParty"),
            (PartyRole::ShipTo, "cac:DeliveryCustomerParty"),
        ] {
            if let Some(p) = n.parties.iter().find(|p| p.role == role) {
                w.open(el, &[]);
                write_party(w, p);
                w.close();
            }
        }
        w.open("cac:Shipment", &[]);
        w.text("cbc:ID", &[], Some("1"));
        if n.pro_number.is_some() || n.carrier.is_some() {
            w.open("cac:Consignment", &[]);
            w.text("cbc:ID", &[], Some(n.pro_number.as_deref().unwrap_or("NA")));
            w.text("cbc:CarrierAssignedID", &[], n.pro_number.as_deref());
            if let Some(c) = n.carrier.as_ref().and_then(|c| c.id.as_deref()) {
                w.open("cac:CarrierParty", &[])
                    .open("cac:PartyIdentification", &[]);
                w.text("cbc:ID", &[("schemeID", "SCAC")], Some(c));
                w.close().close();
            }
            w.close();
        }
        if let Some(d) = &n.estimated_delivery {
            w.open("cac:Delivery", &[])
                .open("cac:EstimatedDeliveryPeriod", &[]);
            w.text("cbc:StartDate", &[], Some(d));
            w.close().close();
        }
        if let Some(d) = &n.ship_date {
            w.open("cac:Despatch", &[])
                .text("cbc:ActualDespatchDate", &[], Some(d))
                .close();
        }
        w.close();
        let mut line = 0usize;
        for o in &n.orders {
            let packed = o
                .packs
                .iter()
                .flat_map(|p| p.items.iter().map(move |it| (p.sscc.as_deref(), it)));
            for (sscc, it) in packed.chain(o.loose_items.iter().map(|it| (None, it))) {
                line += 1;
                let id = it
                    .line_number
                    .as_deref()
                    .map_or_else(|| line.to_string(), str::to_owned);
                let q = it.quantity.normalize().to_string();
                w.open("cac:DespatchLine", &[]);
                w.text("cbc:ID", &[], Some(&line.to_string()));
                w.text("cbc:DeliveredQuantity", &[("unitCode", &it.uom)], Some(&q));
                w.open("cac:OrderLineReference", &[]);
                w.text("cbc:LineID", &[], Some(&id));
                w.open("cac:OrderReference", &[]);
                w.text("cbc:ID", &[], Some(&o.po_number));
                w.text("cbc:IssueDate", &[], o.po_date.as_deref());
                w.close().close();
                write_item(w, &it.item_ids, it.description.as_deref());
                if let Some(s) = sscc {
                    w.open("cac:Shipment", &[]).text("cbc:ID", &[], Some("1"));
                    w.open("cac:TransportHandlingUnit", &[]);
                    w.text("cbc:ID", &[("schemeID", "SSCC")], Some(s));
                    w.close().close();
                }
                w.close();
            }
        }
    })
}

/// DespatchAdvice → ShipNotice: lines grouped by their order, packed by their SSCC.
fn ship_notice(
    root: &Element,
    reference: &str,
    f: &mut Faults,
) -> Option<crate::model::ShipNotice> {
    use crate::model::ship_notice::*;
    let shipment_id = match root.text_at("ID") {
        Some(id) => Text::from(id),
        None => {
            f.missing(root, "ID (the despatch advice number)");
            Text::default()
        }
    };
    let mut parties = Vec::new();
    for (path, role) in [
        ("DespatchSupplierParty/Party", PartyRole::Seller),
        ("DeliveryCustomerParty/Party", PartyRole::ShipTo),
    ] {
        if let Some(p) = root.at(path) {
            parties.push(party(role, p));
        }
    }
    let shipment = root.child("Shipment");
    let consignment = shipment.and_then(|s| s.child("Consignment"));
    let mut orders: Vec<ShippedOrder> = Vec::new();
    for dl in root.all("DespatchLine") {
        let q = dl.child("DeliveredQuantity");
        let quantity = q
            .and_then(|q| f.decimal(q, Some(q.text.as_str()), "DeliveredQuantity"))
            .unwrap_or(Decimal::ZERO);
        let Some(po) = dl
            .text_at("OrderLineReference/OrderReference/ID")
            .or_else(|| root.text_at("OrderReference/ID"))
        else {
            f.missing(
                dl,
                "OrderLineReference/OrderReference/ID (the order the line ships)",
            );
            continue;
        };
        let mut item_ids = Vec::new();
        if let Some(item) = dl.child("Item") {
            for (path, qualifier) in [
                ("BuyersItemIdentification/ID", ItemIdQualifier::BuyerPart),
                ("SellersItemIdentification/ID", ItemIdQualifier::VendorPart),
                ("StandardItemIdentification/ID", ItemIdQualifier::Gtin),
            ] {
                if let Some(v) = item.text_at(path) {
                    item_ids.push(ItemId {
                        qualifier,
                        value: v.into(),
                    });
                }
            }
        }
        let it = ShippedItem {
            line_number: dl.text_at("OrderLineReference/LineID").map(Text::from),
            item_ids,
            quantity,
            uom: q
                .and_then(|q| q.attr("unitCode"))
                .map(Text::from)
                .unwrap_or_default(),
            quantity_ordered: None,
            description: dl.text_at("Item/Name").map(Text::from),
        };
        let at = match orders.iter().position(|o| o.po_number == po) {
            Some(i) => i,
            None => {
                orders.push(ShippedOrder {
                    po_number: po.into(),
                    release_number: None,
                    po_date: dl
                        .text_at("OrderLineReference/OrderReference/IssueDate")
                        .and_then(iso_date),
                    packs: Vec::new(),
                    loose_items: Vec::new(),
                });
                orders.len() - 1
            }
        };
        let Some(order) = orders.get_mut(at) else {
            continue;
        };
        match dl.text_at("Shipment/TransportHandlingUnit/ID") {
            Some(s) => match order
                .packs
                .iter_mut()
                .find(|p| p.sscc.as_deref() == Some(s))
            {
                Some(p) => p.items.push(it),
                None => order.packs.push(Pack {
                    sscc: Some(s.into()),
                    items: vec![it],
                }),
            },
            None => order.loose_items.push(it),
        }
    }
    let date = root.text_at("IssueDate").and_then(iso_date);
    if date.is_none() {
        f.missing(root, "IssueDate");
    }
    f.is_clean().then(|| ShipNotice {
        purpose: ShipNoticePurpose::Original,
        shipment_id,
        date: date.unwrap_or_default(),
        time: None,
        lading: None,
        carrier: consignment
            .and_then(|c| c.text_at("CarrierParty/PartyIdentification/ID"))
            .map(|id| Carrier {
                id_qualifier: Some("SCAC".into()),
                id: Some(id.into()),
                transport_method: None,
                routing: None,
            }),
        bill_of_lading: None,
        pro_number: consignment
            .and_then(|c| c.text_at("CarrierAssignedID"))
            .map(Text::from),
        references: Vec::new(),
        ship_date: shipment
            .and_then(|s| s.text_at("Despatch/ActualDespatchDate"))
            .and_then(iso_date),
        estimated_delivery: shipment
            .and_then(|s| s.text_at("Delivery/EstimatedDeliveryPeriod/StartDate"))
            .and_then(iso_date),
        parties,
        orders,
        source: SourceRef {
            standard: "UBL".into(),
            version: root.text_at("UBLVersionID").unwrap_or("2.1").into(),
            interchange_control: reference.into(),
            group_control: Text::default(),
            set_control: Text::default(),
            sender_id: Text::default(),
            receiver_id: Text::default(),
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests;
