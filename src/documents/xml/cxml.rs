//! cXML OrderRequest → canonical Order: OrderRequestHeader (orderID, orderDate, type, Total currency, ShipTo/BillTo addresses, Comments) and each ItemOut (lineNumber, quantity, requested date, SupplierPartID/BuyerPartID/ManufacturerPartID, UnitPrice, Description, UnitOfMeasure). Other requests are recognised and reported. Pure.
//!
//! This file reads requests (OrderRequest, and ShipNoticeRequest → ShipNotice). Beside it:
//! `header.rs` reads the sender's credentials before the body, `response.rs` writes the
//! Response a request is answered with, `requests.rs` writes the requests Wharf sends
//! (ConfirmationRequest, ShipNoticeRequest).

use super::{Dialect, Faults, XmlTranslation, iso_date};
use crate::edi::diag::{Diagnostic, Location};
use crate::edi::xml::Element;
use crate::model::{
    Document, ItemId, ItemIdQualifier, Order, OrderLine, OrderPurpose, Party, PartyRole, SourceRef,
    Text,
};
use rust_decimal::Decimal;

mod header;
mod requests;
mod response;

pub use header::{HeaderCredentials, HeaderError, header_credentials};
pub use requests::{Envelope, confirmation_request, ship_notice_request};
pub use response::{Status, response};

/// The DOCTYPE line of the cXML Wharf writes (declared, never fetched).
const DOCTYPE: &str = "cXML SYSTEM \"http://xml.cxml.org/schemas/cXML/1.2.050/cXML.dtd\"";

/// The identity of a Header/From, To or Sender credential: "domain:identity".
fn credential(root: &Element, path: &str) -> Option<String> {
    let c = root.at(path)?.child("Credential")?;
    let identity = c.text_at("Identity")?;
    Some(match c.attr("domain") {
        Some(d) => format!("{d}:{identity}"),
        None => identity.to_owned(),
    })
}

/// A cXML Address as a canonical party.
fn party(role: PartyRole, address: &Element) -> Party {
    let postal = address.child("PostalAddress");
    let text = |path: &str| postal.and_then(|p| p.text_at(path)).map(Text::from);
    Party {
        role,
        name: address.text_at("Name").map(Text::from),
        additional_names: postal
            .map(|p| {
                p.all("DeliverTo")
                    .filter(|d| !d.text.is_empty())
                    .map(|d| Text::from(d.text.as_str()))
                    .collect()
            })
            .unwrap_or_default(),
        id_qualifier: None,
        id: address.attr("addressID").map(Text::from),
        address_lines: postal
            .map(|p| {
                p.all("Street")
                    .filter(|d| !d.text.is_empty())
                    .map(|d| Text::from(d.text.as_str()))
                    .collect()
            })
            .unwrap_or_default(),
        city: text("City"),
        state: text("State"),
        postal_code: text("PostalCode"),
        country: postal
            .and_then(|p| p.child("Country"))
            .and_then(|c| c.attr("isoCountryCode"))
            .map(Text::from),
    }
}

fn line(item: &Element, n: usize, f: &mut Faults) -> OrderLine {
    let quantity = match item.attr("quantity") {
        Some(q) => f
            .decimal(item, Some(q), "ItemOut/@quantity")
            .unwrap_or(Decimal::ZERO),
        None => {
            f.missing(item, "ItemOut/@quantity");
            Decimal::ZERO
        }
    };
    let mut item_ids = Vec::new();
    if let Some(ids) = item.child("ItemID") {
        for (name, qualifier) in [
            ("SupplierPartID", ItemIdQualifier::VendorPart),
            ("BuyerPartID", ItemIdQualifier::BuyerPart),
            (
                "SupplierPartAuxiliaryID",
                ItemIdQualifier::Other("SupplierPartAuxiliaryID".into()),
            ),
        ] {
            if let Some(v) = ids.text_at(name) {
                item_ids.push(ItemId {
                    qualifier,
                    value: v.into(),
                });
            }
        }
    } else {
        f.missing(item, "ItemID");
    }
    let detail = item.child("ItemDetail");
    if let Some(m) = detail.and_then(|d| d.text_at("ManufacturerPartID")) {
        item_ids.push(ItemId {
            qualifier: ItemIdQualifier::Other("MF".into()),
            value: m.into(),
        });
    }
    let unit_price = detail
        .and_then(|d| d.at("UnitPrice/Money"))
        .and_then(|m| f.decimal(m, Some(m.text.as_str()), "UnitPrice/Money"));
    OrderLine {
        line_number: Text::from(
            item.attr("lineNumber")
                .map_or_else(|| n.to_string(), str::to_owned),
        ),
        quantity,
        uom: detail
            .and_then(|d| d.text_at("UnitOfMeasure"))
            .map(Text::from),
        unit_price,
        item_ids,
        description: detail
            .and_then(|d| d.text_at("Description"))
            .map(Text::from),
    }
}

pub fn translate(root: &Element) -> XmlTranslation {
    let mut f = Faults::default();
    let request = root.child("Request").and_then(|r| r.children.first());
    let kind = request.map_or_else(
        || {
            root.children
                .last()
                .map_or_else(String::new, |c| c.name.clone())
        },
        |r| r.name.clone(),
    );
    let reference = root.attr("payloadID").unwrap_or_default().to_owned();
    if reference.is_empty() {
        f.missing(root, "cXML/@payloadID");
    }
    let sender = credential(root, "Header/From");
    let receiver = credential(root, "Header/To");
    let mut documents = Vec::new();
    match request {
        Some(r) if r.name == "OrderRequest" => {
            if let Some(order) = order(root, r, &reference, &sender, &receiver, &mut f) {
                documents.push(Document::Order(order));
            }
        }
        Some(r) if r.name == "ShipNoticeRequest" => {
            if let Some(n) = ship_notice(root, r, &reference, &sender, &receiver, &mut f) {
                documents.push(Document::ShipNotice(n));
            }
        }
        Some(r) => f.found.push(Diagnostic::info(
            Location {
                offset: Some(r.offset),
                segment_id: Some(r.path.clone()),
                ..Location::default()
            },
            format!("no canonical mapping yet for cXML {}", r.name),
        )),
        None => f.missing(root, "Request"),
    }
    XmlTranslation {
        dialect: Dialect::Cxml,
        kind,
        reference,
        sender,
        receiver,
        shared_secret: root
            .at("Header/Sender/Credential")
            .and_then(|c| c.text_at("SharedSecret"))
            .map(str::to_owned),
        documents,
        errors: f.found,
    }
}

fn order(
    root: &Element,
    r: &Element,
    reference: &str,
    sender: &Option<String>,
    receiver: &Option<String>,
    f: &mut Faults,
) -> Option<Order> {
    let Some(h) = r.child("OrderRequestHeader") else {
        f.missing(r, "OrderRequestHeader");
        return None;
    };
    let po_number = match h.attr("orderID") {
        Some(id) => Text::from(id),
        None => {
            f.missing(h, "OrderRequestHeader/@orderID");
            Text::default()
        }
    };
    let po_date = h.attr("orderDate").and_then(|d| {
        let iso = iso_date(d);
        if iso.is_none() {
            f.error(h, format!("orderDate {d:?} is not an ISO 8601 date"));
        }
        iso
    });
    let purpose = match h.attr("type") {
        None | Some("new") => OrderPurpose::Original,
        Some("update") => OrderPurpose::Change,
        Some("delete") => OrderPurpose::Cancellation,
        Some(other) => OrderPurpose::Other(other.into()),
    };
    let mut parties = Vec::new();
    for (name, role) in [("ShipTo", PartyRole::ShipTo), ("BillTo", PartyRole::BillTo)] {
        if let Some(a) = h.at(&format!("{name}/Address")) {
            parties.push(party(role, a));
        }
    }
    let items: Vec<&Element> = r.all("ItemOut").collect();
    if items.is_empty() {
        f.missing(r, "ItemOut (the order has no lines)");
    }
    let lines: Vec<OrderLine> = items
        .iter()
        .enumerate()
        .map(|(i, it)| line(it, i + 1, f))
        .collect();
    let requested = h
        .attr("requestedDeliveryDate")
        .or_else(|| items.first().and_then(|i| i.attr("requestedDeliveryDate")))
        .and_then(iso_date);
    let version = root.attr("version").map(str::to_owned).unwrap_or_default();
    f.is_clean().then(|| Order {
        purpose,
        po_number,
        po_date,
        order_type: h.attr("orderType").map(Text::from),
        currency: h
            .at("Total/Money")
            .and_then(|m| m.attr("currency"))
            .map(Text::from),
        parties,
        lines,
        notes: h
            .all("Comments")
            .filter(|c| !c.text.is_empty())
            .map(|c| Text::from(c.text.as_str()))
            .collect(),
        requested_delivery_date: requested,
        requested_ship_date: None,
        source: SourceRef {
            standard: "cXML".into(),
            version: version.into(),
            interchange_control: reference.into(),
            group_control: Text::default(),
            set_control: Text::default(),
            sender_id: sender.as_deref().unwrap_or_default().into(),
            receiver_id: receiver.as_deref().unwrap_or_default().into(),
        },
    })
}

/// ShipNoticeRequest → ShipNotice: header dates, carrier and tracking number, one order per
/// ShipNoticePortion, items packed by their ShippingContainerSerialCode.
fn ship_notice(
    root: &Element,
    r: &Element,
    reference: &str,
    sender: &Option<String>,
    receiver: &Option<String>,
    f: &mut Faults,
) -> Option<crate::model::ShipNotice> {
    use crate::model::ship_notice::*;
    let Some(h) = r.child("ShipNoticeHeader") else {
        f.missing(r, "ShipNoticeHeader");
        return None;
    };
    let shipment_id = match h.attr("shipmentID") {
        Some(s) => Text::from(s),
        None => {
            f.missing(h, "ShipNoticeHeader/@shipmentID");
            Text::default()
        }
    };
    let date = |name: &str, f: &mut Faults| {
        h.attr(name).and_then(|d| {
            let iso = iso_date(d);
            if iso.is_none() {
                f.error(h, format!("{name} {d:?} is not an ISO 8601 date"));
            }
            iso
        })
    };
    let notice = date("noticeDate", f);
    let ship_date = date("shipmentDate", f);
    let estimated_delivery = date("deliveryDate", f);
    let control = r.child("ShipControl");
    let scac = control.and_then(|c| {
        c.all("CarrierIdentifier").find(|ci| {
            ci.attr("domain")
                .is_some_and(|d| d.eq_ignore_ascii_case("SCAC"))
        })
    });
    let mut orders = Vec::new();
    for portion in r.all("ShipNoticePortion") {
        let Some(po) = portion
            .child("OrderReference")
            .and_then(|o| o.attr("orderID"))
        else {
            f.missing(portion, "OrderReference/@orderID");
            continue;
        };
        let mut order = ShippedOrder {
            po_number: po.into(),
            release_number: None,
            po_date: portion
                .child("OrderReference")
                .and_then(|o| o.attr("orderDate"))
                .and_then(iso_date),
            packs: Vec::new(),
            loose_items: Vec::new(),
        };
        for item in portion.all("ShipNoticeItem") {
            let quantity = f
                .decimal(item, item.attr("quantity"), "ShipNoticeItem/@quantity")
                .unwrap_or(Decimal::ZERO);
            let mut item_ids = Vec::new();
            if let Some(ids) = item.child("ItemID") {
                for (name, qualifier) in [
                    ("BuyerPartID", ItemIdQualifier::BuyerPart),
                    ("SupplierPartID", ItemIdQualifier::VendorPart),
                ] {
                    for e in ids.all(name).filter(|e| !e.text.is_empty()) {
                        item_ids.push(ItemId {
                            qualifier: qualifier.clone(),
                            value: e.text.as_str().into(),
                        });
                    }
                }
            }
            // Written in document order, so read back in it.
            if let Some(ids) = item.child("ItemID") {
                item_ids.sort_by_key(|id| {
                    let name = match id.qualifier {
                        ItemIdQualifier::BuyerPart => "BuyerPartID",
                        _ => "SupplierPartID",
                    };
                    ids.children
                        .iter()
                        .position(|c| c.name == name && c.text == id.value.as_str())
                });
            }
            let it = ShippedItem {
                line_number: item.attr("lineNumber").map(Text::from),
                item_ids,
                quantity,
                uom: item
                    .text_at("UnitOfMeasure")
                    .map(Text::from)
                    .unwrap_or_default(),
                quantity_ordered: None,
                description: None,
            };
            match item.text_at("Packaging/ShippingContainerSerialCode") {
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
        orders.push(order);
    }
    f.is_clean().then(|| ShipNotice {
        purpose: match h.attr("operation") {
            Some("delete") => ShipNoticePurpose::Cancellation,
            Some("update") => ShipNoticePurpose::Replace,
            _ => ShipNoticePurpose::Original,
        },
        shipment_id,
        date: notice.unwrap_or_default(),
        time: None,
        lading: None,
        carrier: scac.map(|c| Carrier {
            id_qualifier: Some("SCAC".into()),
            id: Some(c.text.as_str().into()),
            transport_method: None,
            routing: None,
        }),
        bill_of_lading: None,
        pro_number: control
            .and_then(|c| c.text_at("ShipmentIdentifier"))
            .map(Text::from),
        references: Vec::new(),
        ship_date,
        estimated_delivery,
        parties: Vec::new(),
        orders,
        source: SourceRef {
            standard: "cXML".into(),
            version: root.attr("version").unwrap_or_default().into(),
            interchange_control: reference.into(),
            group_control: Text::default(),
            set_control: Text::default(),
            sender_id: sender.as_deref().unwrap_or_default().into(),
            receiver_id: receiver.as_deref().unwrap_or_default().into(),
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests;
