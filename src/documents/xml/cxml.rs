//! cXML OrderRequest → canonical Order: OrderRequestHeader (orderID, orderDate, type, Total currency, ShipTo/BillTo addresses, Comments) and each ItemOut (lineNumber, quantity, requested date, SupplierPartID/BuyerPartID/ManufacturerPartID, UnitPrice, Description, UnitOfMeasure). Other requests are recognised and reported. Pure.

use super::{Dialect, Faults, XmlTranslation, iso_date};
use crate::edi::diag::{Diagnostic, Location};
use crate::edi::xml::Element;
use crate::model::{
    Document, ItemId, ItemIdQualifier, Order, OrderLine, OrderPurpose, Party, PartyRole, SourceRef,
    Text,
};
use rust_decimal::Decimal;

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

/// A cXML status: the code and text a Response carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub code: u16,
    pub text: &'static str,
    pub detail: String,
}

impl Status {
    /// 200 when the request was read and its document accepted; 400 when it was not
    /// well-formed or a required part was missing or wrong; 406 for a request Wharf does
    /// not take.
    pub fn for_translation(t: Result<&XmlTranslation, &crate::edi::xml::XmlError>) -> Status {
        match t {
            Err(e) => Status {
                code: 400,
                text: "Bad Request",
                detail: e.to_string(),
            },
            Ok(t) => {
                let first_error = t
                    .errors
                    .iter()
                    .find(|d| d.severity == crate::edi::diag::Severity::Error);
                match first_error {
                    Some(d) => Status {
                        code: 400,
                        text: "Bad Request",
                        detail: d.message.clone(),
                    },
                    None if t.documents.is_empty() => Status {
                        code: 406,
                        text: "Not Acceptable",
                        detail: format!("cXML {} is not accepted by this gateway", t.kind),
                    },
                    None => Status {
                        code: 200,
                        text: "OK",
                        detail: String::new(),
                    },
                }
            }
        }
    }

    pub fn unauthorized(detail: String) -> Status {
        Status {
            code: 401,
            text: "Unauthorized",
            detail,
        }
    }
}

/// XML text with the five special characters escaped.
fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// The cXML Response document answering a request.
pub fn response(status: &Status, payload_id: &str, timestamp: &str) -> String {
    let detail = if status.detail.is_empty() {
        String::new()
    } else {
        esc(&status.detail).into_owned()
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<!DOCTYPE cXML SYSTEM \"http://xml.cxml.org/schemas/cXML/1.2.050/cXML.dtd\">\n\
<cXML payloadID=\"{}\" timestamp=\"{}\" xml:lang=\"en-US\">\n\
  <Response>\n    <Status code=\"{}\" text=\"{}\">{detail}</Status>\n  </Response>\n</cXML>\n",
        esc(payload_id),
        esc(timestamp),
        status.code,
        status.text,
    )
}
