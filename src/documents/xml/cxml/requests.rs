//! The cXML requests Wharf sends: ConfirmationRequest for an order acknowledgement and
//! ShipNoticeRequest for a ship notice, each in its envelope (header credentials, payload id).

use super::DOCTYPE;
use crate::edi::xml::XmlWriter;
use crate::model::ItemIdQualifier;

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
