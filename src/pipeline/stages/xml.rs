//! The pipeline's XML stages: identify a partner by its cXML From credential or UBL buyer endpoint, translate, register the payloadID (or UBL ID) so a resend is not posted twice, and hand the documents to the mapping; encode order acknowledgements and ship notices as cXML or UBL for partners that speak it. cXML's answer to a request is the synchronous HTTP Response (`web`), so nothing is queued back here.

use super::{
    OutboundDoc, Outcome, Translated, advance, begin, finish_encoded, finish_translated,
    finish_with, match_partner, outside_agreement, quarantine, received_before, record_diagnostics,
};
use crate::documents::xml as xmldoc;
use crate::partners::Profile;
use crate::pipeline::{Pipeline, StageError};
use crate::store::jobs::Job;
use crate::store::messages::{self, Identification, Message};
use crate::store::registry::{self};
use crate::store::{EventKind, Format, MessageState, Stage};

pub(super) async fn identify(
    p: &Pipeline,
    job: &Job,
    msg: &Message,
    raw: &[u8],
) -> Result<(), StageError> {
    let t = match xmldoc::translate_blocking(raw.to_vec()).await {
        Ok(t) => t,
        Err(e) => {
            let reason = format!("cannot read the XML: {e}");
            return finish_with(p, job, MessageState::Rejected, EventKind::Rejected, &reason).await;
        }
    };
    let sender = t.sender.clone().unwrap_or_default();
    let unknown = || {
        format!(
            "unknown sender {sender:?} ({:?} {}, reference {}): no partner profile has this \
             identity; add a [cxml] or [ubl] section to a profile in partners/ and replay",
            t.dialect, t.kind, t.reference
        )
    };
    let partners = p.partners.snapshot();
    let found = partners.by_xml_sender(&sender);
    let partner = match match_partner(msg.partner.as_deref(), found, &sender, unknown) {
        Ok(found) => found,
        Err(reason) => {
            return quarantine(p, job, &reason).await;
        }
    };
    if let Some(c) = &partner.cxml
        && t.dialect == xmldoc::Dialect::Cxml
        && !c.secret_matches(t.shared_secret.as_deref())
    {
        let reason = format!(
            "the SharedSecret of {} {} does not match partner {}'s profile (answered 401); \
             fix [cxml] shared_secret and replay if the partner's secret changed",
            t.kind, t.reference, partner.id
        );
        return quarantine(p, job, &reason).await;
    }
    let doc = crate::partners::DocRef {
        standard: match t.dialect {
            xmldoc::Dialect::Cxml => crate::partners::Standard::Cxml,
            xmldoc::Dialect::Ubl => crate::partners::Standard::Ubl,
        },
        doc_type: t.kind.clone(),
        version: None,
    };
    if let Some(reason) = outside_agreement(partner, std::slice::from_ref(&doc)) {
        return quarantine(p, job, &reason).await;
    }
    let mut tx = begin(p, job).await?;
    messages::set_identification(
        &mut tx,
        job.message_id,
        &Identification {
            partner: Some(partner.id.as_str()),
            format: Format::Xml,
            doc_type: Some(&t.kind),
            control_number: Some(&t.reference),
        },
    )
    .await?;
    let detail = format!(
        "partner {} by {:?} sender {sender}, {} {}",
        partner.id, t.dialect, t.kind, t.reference
    );
    let o = Outcome {
        state: MessageState::Identified,
        kind: EventKind::Identified,
        detail: &detail,
        error: false,
        next: Some(Stage::Translate),
    };
    advance(p, tx, job, o).await
}

pub(super) async fn translate(
    p: &Pipeline,
    job: &Job,
    _profile: &Profile,
    raw: &[u8],
) -> Result<(), StageError> {
    let t = match xmldoc::translate_blocking(raw.to_vec()).await {
        Ok(t) => t,
        Err(e) => {
            let reason = format!("cannot read the XML: {e}");
            return finish_with(p, job, MessageState::Rejected, EventKind::Rejected, &reason).await;
        }
    };
    let mut tx = begin(p, job).await?;
    let sender = format!("xml:{}", t.sender.as_deref().unwrap_or_default());
    let receiver = format!("xml:{}", t.receiver.as_deref().unwrap_or_default());
    let what = format!("{} {}", t.kind, t.reference);
    if !t.reference.is_empty()
        && received_before(p, &mut tx, job, (&sender, &receiver, &t.reference), &what)
            .await?
            .is_some()
    {
        let o = Outcome {
            state: MessageState::Duplicate,
            kind: EventKind::Duplicate,
            detail: "received before",
            error: true,
            next: None,
        };
        return advance(p, tx, job, o).await;
    }
    let errors = record_diagnostics(p, &mut tx, job, &t.errors).await?;
    let types = [t.kind.clone()];
    let summary = Translated {
        documents: &t.documents,
        interchanges: 1,
        duplicates: 0,
        errors,
        types: &types,
    };
    finish_translated(p, tx, job, summary).await
}

/// Encodes an order acknowledgement or ship notice for a cXML partner (ConfirmationRequest,
/// ShipNoticeRequest) or a UBL one (OrderResponse, DespatchAdvice). The payloadID takes the
/// next number of the partner's own sequence inside this transaction.
pub(super) async fn encode(
    p: &Pipeline,
    job: &Job,
    profile: &Profile,
    doc: &OutboundDoc,
) -> Result<(), StageError> {
    use crate::documents::xml::{cxml, ubl};
    use crate::model::Document;
    let OutboundDoc::Business(d) = doc else {
        return Err(StageError::Permanent(
            "only business documents are written as XML".into(),
        ));
    };
    let me = &p.settings.identity;
    let mut tx = begin(p, job).await?;
    let n = registry::next_control_number(&mut tx, &format!("xml:{}:payload", profile.id)).await?;
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
    let filename = format!("{}_{doc_type}_{n}.xml", profile.id);
    let controls = messages::Controls {
        interchange: &payload_id,
        group: None,
        set: None,
    };
    // The message is named after what was written (DESADV, ShipNoticeRequest, …), not
    // after the X12 set the document would be.
    messages::set_doc_type(&mut tx, job.message_id, doc_type).await?;
    let detail = format!("{doc_type} {payload_id}, {} bytes", text.len());
    finish_encoded(p, tx, job, text.as_bytes(), controls, &filename, &detail).await
}
