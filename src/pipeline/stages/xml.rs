//! XML's side of the stages: the cXML From credential or UBL buyer endpoint that identifies a
//! partner (and the cXML SharedSecret its profile holds), the translation of one document
//! registered by its payloadID (or UBL ID) so a resend is not posted twice, and the encoding
//! of order acknowledgements and ship notices as cXML or UBL for partners that speak it.
//! cXML's answer to a request is the synchronous HTTP Response (`web`), so nothing is
//! queued back here.

use super::OutboundDoc;
use super::syntax::{Encoded, Envelope, Interchange, Repeat, Translation};
use crate::documents::xml as xmldoc;
use crate::partners::{Partners, Profile};
use crate::pipeline::{Pipeline, StageError};
use crate::store::Tx;
use crate::store::registry;

/// The document's sender (cXML From, UBL buyer endpoint) and the partner with that identity.
/// The whole document is read (on a blocking thread): XML has no envelope apart from it.
pub(super) async fn envelope<'r>(
    partners: &'r Partners,
    raw: &[u8],
) -> Result<Envelope<'r>, String> {
    let t = xmldoc::translate_blocking(raw.to_vec())
        .await
        .map_err(|e| format!("cannot read the XML: {e}"))?;
    let sender = t.sender.clone().unwrap_or_default();
    let found = partners.by_xml_sender(&sender);
    // Checked only once the partner is the one the channel names, as its quarantine reason.
    let refused = found.and_then(|partner| {
        let c = partner.cxml.as_ref()?;
        (t.dialect == xmldoc::Dialect::Cxml && !c.secret_matches(t.shared_secret.as_deref())).then(
            || {
                format!(
                    "the SharedSecret of {} {} does not match partner {}'s profile (answered \
                     401); fix [cxml] shared_secret and replay if the partner's secret changed",
                    t.kind, t.reference, partner.id
                )
            },
        )
    });
    let doc = crate::partners::DocRef {
        standard: match t.dialect {
            xmldoc::Dialect::Cxml => crate::partners::Standard::Cxml,
            xmldoc::Dialect::Ubl => crate::partners::Standard::Ubl,
        },
        doc_type: t.kind.clone(),
        version: None,
    };
    Ok(Envelope {
        found,
        unknown: format!(
            "unknown sender {sender:?} ({:?} {}, reference {}): no partner profile has this \
             identity; add a [cxml] or [ubl] section to a profile in partners/ and replay",
            t.dialect, t.kind, t.reference
        ),
        refused,
        documents: vec![doc],
        by: format!(
            "{:?} sender {sender}, {} {}",
            t.dialect, t.kind, t.reference
        ),
        misaddressed: None,
        sender,
        doc_type: Some(t.kind),
        control_number: t.reference,
    })
}

/// Reads the document into canonical ones. It is its own interchange: registered by its
/// reference when it has one, and a repeat ends the message.
pub(super) async fn translate(raw: &[u8]) -> Result<Translation, String> {
    let t = xmldoc::translate_blocking(raw.to_vec())
        .await
        .map_err(|e| format!("cannot read the XML: {e}"))?;
    let sender = format!("xml:{}", t.sender.as_deref().unwrap_or_default());
    let receiver = format!("xml:{}", t.receiver.as_deref().unwrap_or_default());
    Ok(Translation {
        interchanges: vec![Interchange {
            key: (!t.reference.is_empty()).then(|| (sender, receiver, t.reference.clone())),
            what: format!("{} {}", t.kind, t.reference),
            control: t.reference,
            repeat: Repeat::EndsMessage,
            errors: t.errors,
            types: vec![t.kind],
            documents: t.documents,
            acks: Vec::new(),
        }],
        diagnostics: Vec::new(),
    })
}

/// Encodes an order acknowledgement or ship notice for a cXML partner (ConfirmationRequest,
/// ShipNoticeRequest) or a UBL one (OrderResponse, DespatchAdvice). The payloadID takes the
/// next number of the partner's own sequence in `tx`.
pub(super) async fn encode(
    p: &Pipeline,
    tx: &mut Tx,
    profile: &Profile,
    doc: &OutboundDoc,
) -> Result<Encoded, StageError> {
    use crate::documents::xml::{cxml, ubl};
    use crate::model::Document;
    let OutboundDoc::Business(d) = doc else {
        return Err(StageError::Permanent(
            "only business documents are written as XML".into(),
        ));
    };
    let me = &p.settings.identity;
    let n = registry::next_control_number(tx, &format!("xml:{}:payload", profile.id)).await?;
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let payload_id = format!("{n}.{}@{}", now.unix_timestamp(), me.edifact_id);
    let envelope = |c: &crate::partners::CxmlIdentity| cxml::Envelope {
        payload_id: payload_id.clone(),
        timestamp: stamp.clone(),
        from: ("DUNS".into(), me.edifact_id.clone()),
        to: (c.domain.clone(), c.identity.clone()),
        shared_secret: None,
        deployment_mode: if me.usage == crate::config::Usage::Test {
            "test"
        } else {
            "production"
        },
    };
    let (text, doc_type) = match (&profile.cxml, d) {
        (Some(c), Document::OrderAck(a)) => (
            cxml::confirmation_request(a, &envelope(c)),
            "ConfirmationRequest",
        ),
        (Some(c), Document::ShipNotice(s)) => (
            cxml::ship_notice_request(s, &envelope(c)),
            "ShipNoticeRequest",
        ),
        (None, Document::OrderAck(a)) => (ubl::order_response(a), "OrderResponse"),
        (None, Document::ShipNotice(s)) => (ubl::despatch_advice(s), "DespatchAdvice"),
        _ => {
            return Err(StageError::Permanent(format!(
                "no XML document is written for this document type for partner {}",
                profile.id
            )));
        }
    };
    Ok(Encoded {
        filename: format!("{}_{doc_type}_{n}.xml", profile.id),
        detail: format!("{doc_type} {payload_id}, {} bytes", text.len()),
        bytes: text.into_bytes(),
        interchange: payload_id,
        group: None,
        set: None,
        doc_type: Some(doc_type),
        format: None,
    })
}
