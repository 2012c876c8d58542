//! cXML OrderRequest → canonical Order: OrderRequestHeader (orderID, orderDate, type, Total currency, ShipTo/BillTo addresses, Comments) and each ItemOut (lineNumber, quantity, requested date, SupplierPartID/BuyerPartID/ManufacturerPartID, UnitPrice, Description, UnitOfMeasure). Other requests are recognised and reported. Pure.

use super::{Dialect, Faults, XmlTranslation, iso_date};
use crate::edi::diag::{Diagnostic, Location};
use crate::edi::xml::{Element, XmlWriter, attribute_value};
use crate::model::{
    Document, ItemId, ItemIdQualifier, Order, OrderLine, OrderPurpose, Party, PartyRole, SourceRef,
    Text,
};
use rust_decimal::Decimal;

/// What a cXML Header says about who sends: Header/From's credential ("domain:identity")
/// and Header/Sender's SharedSecret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderCredentials {
    pub sender: Option<String>,
    pub shared_secret: Option<String>,
}

/// Why a prefix holds no complete cXML Header to read the sender from.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    #[error("not well-formed XML: {0}")]
    NotWellFormed(#[source] quick_xml::Error),
    #[error("the cXML Header is nested deeper than 16 elements")]
    TooDeep,
    #[error("{0}")]
    Encoding(#[from] quick_xml::encoding::EncodingError),
    /// An entity other than the five predefined ones, by name.
    #[error("entity &{0}; is not expanded (no DTD processing)")]
    Entity(String),
    /// The prefix ended first; its length in bytes.
    #[error("no complete cXML Header in the first {0} bytes")]
    Incomplete(usize),
}

/// The sender's credentials from the beginning of a cXML document, read as a stream up to
/// the end of its Header and no further, so a request can be authenticated before the rest
/// of its body is read (the Header comes first in every cXML request). `Err` says why there
/// is no complete Header in `prefix` (not well-formed, or it ends first).
pub fn header_credentials(prefix: &[u8]) -> Result<HeaderCredentials, HeaderError> {
    use quick_xml::events::Event;
    const FROM: &[&[u8]] = &[b"cXML", b"Header", b"From"];
    const FROM_CREDENTIAL: &[&[u8]] = &[b"cXML", b"Header", b"From", b"Credential"];
    const IDENTITY: &[&[u8]] = &[b"cXML", b"Header", b"From", b"Credential", b"Identity"];
    const SENDER: &[&[u8]] = &[b"cXML", b"Header", b"Sender"];
    const SENDER_CREDENTIAL: &[&[u8]] = &[b"cXML", b"Header", b"Sender", b"Credential"];
    const SECRET: &[&[u8]] = &[
        b"cXML",
        b"Header",
        b"Sender",
        b"Credential",
        b"SharedSecret",
    ];
    let mut reader = quick_xml::Reader::from_reader(prefix);
    let mut path: Vec<Vec<u8>> = Vec::new();
    // As the full reading does: the first From, its first Credential, that one's first
    // Identity (empty is none); the first Sender's first Credential's first SharedSecret.
    let mut firsts = std::collections::HashSet::<&'static [&'static [u8]]>::new();
    let mut domain = None::<String>;
    let (mut identity, mut secret) = (None::<String>, None::<String>);
    // The text of each open element, as the tree reader gathers it.
    let mut texts: Vec<String> = Vec::new();
    let at = |path: &[Vec<u8>], want: &[&[u8]]| {
        path.len() == want.len() && path.iter().zip(want).all(|(a, b)| a == b)
    };
    // Whether the element just opened at `path` is the first of its kind along the chain
    // that matters (its parent being the first too).
    let first = |path: &[Vec<u8>],
                 want: &'static [&'static [u8]],
                 firsts: &mut std::collections::HashSet<&'static [&'static [u8]]>| {
        at(path, want) && firsts.insert(want)
    };
    let mut live = std::collections::HashSet::<&'static [&'static [u8]]>::new();
    loop {
        let event = reader.read_event().map_err(HeaderError::NotWellFormed)?;
        match event {
            Event::Start(e) => {
                if path.len() >= 16 {
                    return Err(HeaderError::TooDeep);
                }
                path.push(e.local_name().as_ref().to_vec());
                texts.push(String::new());
                for (want, parent) in [
                    (FROM, None),
                    (FROM_CREDENTIAL, Some(FROM)),
                    (IDENTITY, Some(FROM_CREDENTIAL)),
                    (SENDER, None),
                    (SENDER_CREDENTIAL, Some(SENDER)),
                    (SECRET, Some(SENDER_CREDENTIAL)),
                ] {
                    let parent_live = parent.is_none_or(|p| live.contains(p));
                    if parent_live && first(&path, want, &mut firsts) {
                        live.insert(want);
                        if want == FROM_CREDENTIAL {
                            domain = e
                                .try_get_attribute("domain")
                                .ok()
                                .flatten()
                                .and_then(|a| attribute_value(&a).ok().map(|v| v.into_owned()));
                        }
                    }
                }
            }
            Event::Empty(e) => {
                // `<Credential domain="x"/>` is a first Credential with no Identity.
                path.push(e.local_name().as_ref().to_vec());
                if live.contains(FROM) && first(&path, FROM_CREDENTIAL, &mut firsts) {
                    domain = None;
                }
                let _ = first(&path, IDENTITY, &mut firsts);
                let _ = first(&path, SECRET, &mut firsts);
                path.pop();
            }
            // Text may come in pieces around entity references: gathered, then kept at the
            // element's end.
            Event::Text(t) => {
                let piece = t.decode()?;
                if let Some(text) = texts.last_mut() {
                    text.push_str(&piece);
                }
            }
            Event::CData(c) => {
                if let Some(text) = texts.last_mut() {
                    text.push_str(&String::from_utf8_lossy(&c.into_inner()));
                }
            }
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => {
                    if let Some(text) = texts.last_mut() {
                        text.push(c);
                    }
                }
                _ => {
                    let name = r.decode()?;
                    let text = texts.last_mut();
                    let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| HeaderError::Entity(name.clone().into_owned()))?;
                    if let Some(text) = text {
                        text.push_str(resolved);
                    }
                }
            },
            Event::End(_) => {
                let text = texts.pop().unwrap_or_default();
                let value = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
                if at(&path, IDENTITY) && live.remove(IDENTITY) {
                    identity = value;
                } else if at(&path, SECRET) && live.remove(SECRET) {
                    secret = value;
                } else if at(&path, &[b"cXML", b"Header"]) {
                    return Ok(HeaderCredentials {
                        sender: identity.map(|i| match domain {
                            Some(d) => format!("{d}:{i}"),
                            None => i,
                        }),
                        shared_secret: secret,
                    });
                } else {
                    for want in [FROM, FROM_CREDENTIAL, SENDER, SENDER_CREDENTIAL] {
                        if at(&path, want) {
                            live.remove(want);
                        }
                    }
                }
                path.pop();
            }
            Event::Eof => {
                return Err(HeaderError::Incomplete(prefix.len()));
            }
            _ => {}
        }
    }
}

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

/// The cXML Response document answering a request.
pub fn response(status: &Status, payload_id: &str, timestamp: &str) -> String {
    let mut w = XmlWriter::new(Some(DOCTYPE));
    let code = status.code.to_string();
    w.open(
        "cXML",
        &[
            ("payloadID", payload_id),
            ("timestamp", timestamp),
            ("xml:lang", "en-US"),
        ],
    )
    .open("Response", &[]);
    if status.detail.is_empty() {
        w.empty("Status", &[("code", &code), ("text", status.text)]);
    } else {
        w.text(
            "Status",
            &[("code", &code), ("text", status.text)],
            Some(&status.detail),
        );
    }
    w.finish()
}

/// The DOCTYPE line of the cXML Wharf writes (declared, never fetched).
const DOCTYPE: &str = "cXML SYSTEM \"http://xml.cxml.org/schemas/cXML/1.2.050/cXML.dtd\"";

/// Who a cXML request Wharf sends is from and to, and its identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub payload_id: String,
    pub timestamp: String,
    /// (domain, identity) of Header/From: Wharf.
    pub from: (String, String),
    /// (domain, identity) of Header/To: the partner.
    pub to: (String, String),
    pub shared_secret: Option<String>,
    /// `production` or `test`.
    pub deployment_mode: &'static str,
}

fn credential_element(
    w: &mut XmlWriter,
    name: &'static str,
    (domain, identity): &(String, String),
    secret: Option<&str>,
) {
    w.open(name, &[]).open("Credential", &[("domain", domain)]);
    w.text("Identity", &[], Some(identity));
    w.text("SharedSecret", &[], secret);
    w.close().close();
}

/// The cXML document around a request: header, then `body` inside Request.
fn request(env: &Envelope, body: impl FnOnce(&mut XmlWriter)) -> String {
    let mut w = XmlWriter::new(Some(DOCTYPE));
    w.open(
        "cXML",
        &[
            ("payloadID", &env.payload_id),
            ("timestamp", &env.timestamp),
            ("xml:lang", "en-US"),
        ],
    );
    w.open("Header", &[]);
    credential_element(&mut w, "From", &env.from, None);
    credential_element(&mut w, "To", &env.to, None);
    w.open("Sender", &[])
        .open("Credential", &[("domain", &env.from.0)]);
    w.text("Identity", &[], Some(&env.from.1));
    w.text("SharedSecret", &[], env.shared_secret.as_deref());
    w.close();
    w.text(
        "UserAgent",
        &[],
        Some(concat!("Wharf ", env!("CARGO_PKG_VERSION"))),
    );
    w.close().close();
    w.open("Request", &[("deploymentMode", env.deployment_mode)]);
    body(&mut w);
    w.finish()
}

/// ConfirmationRequest for an order acknowledgement: the header's type (accept, detail,
/// reject), the order it answers, and per line its status (accept, reject, backordered,
/// detail) with the confirmed quantity and date.
pub fn confirmation_request(a: &crate::model::OrderAck, env: &Envelope) -> String {
    use crate::model::order_ack::{LineStatus, OrderAckType};
    let kind = match a.ack_type {
        OrderAckType::Accepted
        | OrderAckType::AcceptedNoChanges
        | OrderAckType::AcceptedNoDetail => "accept",
        OrderAckType::Rejected | OrderAckType::RejectedWithDetail => "reject",
        _ => "detail",
    };
    let notice = a.ack_date.as_deref().unwrap_or_default();
    request(env, |w| {
        w.open("ConfirmationRequest", &[]);
        w.empty(
            "ConfirmationHeader",
            &[
                ("type", kind),
                ("noticeDate", notice),
                (
                    "confirmID",
                    a.seller_order_number.as_deref().unwrap_or_default(),
                ),
            ],
        );
        w.empty(
            "OrderReference",
            &[
                ("orderID", &a.po_number),
                ("orderDate", a.po_date.as_deref().unwrap_or_default()),
            ],
        );
        for (i, l) in a.lines.iter().enumerate() {
            let n = l
                .line_number
                .as_deref()
                .map_or_else(|| (i + 1).to_string(), str::to_owned);
            let q = l
                .quantity
                .map(|q| q.normalize().to_string())
                .unwrap_or_default();
            w.open("ConfirmationItem", &[("lineNumber", &n), ("quantity", &q)]);
            w.text("UnitOfMeasure", &[], l.uom.as_deref());
            for k in &l.acks {
                let status = match k.status {
                    LineStatus::Accepted | LineStatus::AcceptedAndShipped => "accept",
                    LineStatus::Rejected | LineStatus::Deleted => "reject",
                    LineStatus::Backordered => "backordered",
                    _ => "detail",
                };
                let kq = k
                    .quantity
                    .or(l.quantity)
                    .map(|q| q.normalize().to_string())
                    .unwrap_or_default();
                let date = k.date.as_ref().map(|d| d.date.as_str()).unwrap_or_default();
                w.open(
                    "ConfirmationStatus",
                    &[("type", status), ("quantity", &kq), ("deliveryDate", date)],
                );
                w.text("UnitOfMeasure", &[], k.uom.as_deref().or(l.uom.as_deref()));
                w.close();
            }
            w.close();
        }
        w.close();
    })
}

/// ShipNoticeRequest for a ship notice: header dates, the carrier (SCAC) and tracking
/// number, one ShipNoticePortion per order, each item with its SSCC when packed.
pub fn ship_notice_request(n: &crate::model::ShipNotice, env: &Envelope) -> String {
    use crate::model::ship_notice::ShipNoticePurpose;
    let operation = match n.purpose {
        ShipNoticePurpose::Cancellation => "delete",
        ShipNoticePurpose::Replace => "update",
        _ => "new",
    };
    request(env, |w| {
        w.open("ShipNoticeRequest", &[]);
        w.empty(
            "ShipNoticeHeader",
            &[
                ("shipmentID", &n.shipment_id),
                ("operation", operation),
                ("noticeDate", &n.date),
                ("shipmentDate", n.ship_date.as_deref().unwrap_or_default()),
                (
                    "deliveryDate",
                    n.estimated_delivery.as_deref().unwrap_or_default(),
                ),
            ],
        );
        let scac = n.carrier.as_ref().and_then(|c| c.id.as_deref());
        if scac.is_some() || n.pro_number.is_some() {
            w.open("ShipControl", &[]);
            w.text("CarrierIdentifier", &[("domain", "SCAC")], scac);
            w.text("ShipmentIdentifier", &[], n.pro_number.as_deref());
            w.close();
        }
        for o in &n.orders {
            w.open("ShipNoticePortion", &[]);
            w.empty(
                "OrderReference",
                &[
                    ("orderID", &o.po_number),
                    ("orderDate", o.po_date.as_deref().unwrap_or_default()),
                ],
            );
            let packed = o
                .packs
                .iter()
                .flat_map(|p| p.items.iter().map(move |it| (p.sscc.as_deref(), it)));
            let loose = o.loose_items.iter().map(|it| (None, it));
            for (sscc, it) in packed.chain(loose) {
                let q = it.quantity.normalize().to_string();
                w.open(
                    "ShipNoticeItem",
                    &[
                        ("lineNumber", it.line_number.as_deref().unwrap_or_default()),
                        ("quantity", &q),
                    ],
                );
                w.open("ItemID", &[]);
                for id in &it.item_ids {
                    let name = match id.qualifier {
                        ItemIdQualifier::BuyerPart => "BuyerPartID",
                        ItemIdQualifier::VendorPart => "SupplierPartID",
                        _ => continue,
                    };
                    w.text(name, &[], Some(&id.value));
                }
                w.close();
                w.text("UnitOfMeasure", &[], Some(&it.uom));
                if let Some(s) = sscc {
                    w.open("Packaging", &[]);
                    w.text("ShippingContainerSerialCode", &[], Some(s));
                    w.close();
                }
                w.close();
            }
            w.close();
        }
        w.close();
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
