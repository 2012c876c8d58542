//! The pipeline's EDIFACT stages: identify a partner by its UNB sender, translate with the element rules and mappings, register each interchange reference so a repeat is not posted twice, queue the CONTRL the partner's profile asks for, and encode CONTRL, ORDRSP and DESADV with the partner's own reference sequence.

use super::{
    OutboundDoc, Translated, begin, event, finish_encoded, finish_translated, finish_with,
    match_partner, outside_agreement, quarantine, queue_ack, record_diagnostics,
};
use super::{Outcome, advance, received_before};
use crate::documents::edifact as edidoc;
use crate::edi::edifact::contrl::{Action, Contrl, LevelError};
use crate::edi::edifact::envelope::{Party, peek_unb};
use crate::edi::edifact::writer::{OutInterchange, write};
use crate::edi::edifact::{ServiceChars, code};
use crate::model::Document;
use crate::partners::Profile;
use crate::pipeline::{Pipeline, StageError};
use crate::store::jobs::Job;
use crate::store::messages::{self, Identification, Message};
use crate::store::registry::{self};
use crate::store::{EventKind, Format, MessageState, Stage};

/// UNB sender as the registry keys it.
fn party_key(p: &Party) -> String {
    format!("edifact:{p}")
}

/// Finds the partner from the UNB sender (checked against the channel's partner).
pub(super) async fn identify(
    p: &Pipeline,
    job: &Job,
    msg: &Message,
    raw: &[u8],
) -> Result<(), StageError> {
    let unb = match peek_unb(raw) {
        Ok(h) => h,
        Err(e) => {
            let reason = format!("cannot read the UNB envelope: {e}");
            return finish_with(p, job, MessageState::Rejected, EventKind::Rejected, &reason).await;
        }
    };
    let partners = p.partners.snapshot();
    let by_envelope = partners.by_edifact_sender(&unb.sender.id, unb.sender.qualifier.as_deref());
    let sender = unb.sender.to_string();
    let unknown = || {
        format!(
            "unknown sender {} (UNB S002, interchange {}): no partner profile has this \
             EDIFACT identity; add an [edifact] section to a profile in partners/ and replay",
            unb.sender, unb.reference
        )
    };
    let partner = match match_partner(msg.partner.as_deref(), by_envelope, &sender, unknown) {
        Ok(found) => found,
        Err(reason) => {
            return quarantine(p, job, &reason).await;
        }
    };
    let docs = crate::partners::agreements::inventory_edifact(raw);
    if let Some(reason) = outside_agreement(partner, &docs) {
        return quarantine(p, job, &reason).await;
    }
    let me = &p.settings.identity;
    let mut tx = begin(p, job).await?;
    messages::set_identification(
        &mut tx,
        job.message_id,
        &Identification {
            partner: Some(partner.id.as_str()),
            format: Format::Edifact,
            doc_type: unb.application_ref.as_deref(),
            control_number: Some(&unb.reference),
        },
    )
    .await?;
    if unb.recipient.id != me.edifact_id {
        let warn = format!(
            "addressed to {} (UNB S003), not to this gateway's {}",
            unb.recipient, me.edifact_id
        );
        event(
            p,
            &mut tx,
            job.message_id,
            EventKind::Warning,
            job.stage,
            &warn,
        )
        .await?;
    }
    let detail = format!(
        "partner {} by UNB sender {}, interchange {}",
        partner.id, unb.sender, unb.reference
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

/// The CONTRL answering a repeated interchange: rejected at UCI level with code 26.
fn duplicate_contrl(h: &crate::edi::edifact::envelope::UnbHeader) -> Contrl {
    Contrl {
        syntax_version: h.syntax_version,
        interchange_ref: h.reference.clone(),
        sender: h.sender.clone(),
        recipient: h.recipient.clone(),
        action: Action::Rejected,
        error: Some(LevelError {
            code: code::DUPLICATE,
            segment: Some("UNB".into()),
            element: Some(5),
            component: None,
        }),
        groups: Vec::new(),
        messages: Vec::new(),
    }
}

/// Reads the EDIFACT into canonical documents, queues the CONTRL the partner expects and
/// registers each interchange so a repeat is not posted twice.
pub(super) async fn translate(
    p: &Pipeline,
    job: &Job,
    profile: &Profile,
    raw: &[u8],
) -> Result<(), StageError> {
    let opts = edidoc::TranslateOptions {
        contrl: profile.contrl,
        repertoire: profile.edifact_repertoire,
    };
    let translation = match edidoc::translate_with(raw, opts) {
        Ok(t) => t,
        Err(e) => {
            let reason = format!("cannot read the EDIFACT: {e}");
            return finish_with(p, job, MessageState::Rejected, EventKind::Rejected, &reason).await;
        }
    };
    let mut tx = begin(p, job).await?;
    let mut documents: Vec<Document> = Vec::new();
    let mut types: Vec<String> = Vec::new();
    let (mut errors, mut duplicates) = (0usize, 0usize);
    for (n, ic) in translation.interchanges.iter().enumerate() {
        let h = &ic.header;
        let (sender, receiver) = (party_key(&h.sender), party_key(&h.recipient));
        let what = format!("interchange {} from {}", h.reference, h.sender);
        let key = (sender.as_str(), receiver.as_str(), h.reference.as_str());
        if received_before(p, &mut tx, job, key, &what)
            .await?
            .is_some()
        {
            duplicates += 1;
            if profile.contrl != edidoc::ContrlPolicy::Never {
                let doc = OutboundDoc::Contrl(duplicate_contrl(h));
                queue_ack(p, &mut tx, job, profile, n, &h.reference, "CONTRL", &doc).await?;
            }
            continue;
        }
        errors += record_diagnostics(p, &mut tx, job, &ic.errors).await?;
        for t in &ic.message_types {
            if !types.contains(t) {
                types.push(t.clone());
            }
        }
        documents.extend(ic.documents.iter().cloned());
        if let Some(c) = &ic.contrl {
            let doc = OutboundDoc::Contrl(c.clone());
            queue_ack(p, &mut tx, job, profile, n, &h.reference, "CONTRL", &doc).await?;
        }
    }
    record_diagnostics(p, &mut tx, job, &translation.diagnostics).await?;
    let t = Translated {
        documents: &documents,
        interchanges: translation.interchanges.len(),
        duplicates,
        errors,
        types: &types,
    };
    finish_translated(p, tx, job, t).await
}

/// Encodes a CONTRL (or an ORDRSP/DESADV for an EDIFACT partner) as a whole interchange,
/// its UNB reference taken from the partner's own sequence inside this transaction.
pub(super) async fn encode(
    p: &Pipeline,
    job: &Job,
    profile: &Profile,
    doc: &OutboundDoc,
) -> Result<(), StageError> {
    let them = profile.edifact.as_ref().ok_or_else(|| {
        StageError::Permanent(format!(
            "partner {} has no [edifact] identity to address",
            profile.id
        ))
    })?;
    let me = &p.settings.identity;
    let scope = format!("edifact:{}:{}", me.edifact_id, them.id);
    let mut tx = begin(p, job).await?;
    let reference = registry::next_control_number(&mut tx, &format!("{scope}:unb")).await?;
    let reference = reference.to_string();
    let (message, doc_type, version) = match doc {
        OutboundDoc::Contrl(c) => (c.message("1"), "CONTRL", c.syntax_version.clamp(3, 4)),
        OutboundDoc::Business(d) => {
            let m = edidoc::outbound_message(d, "1")
                .map_err(|e| StageError::Permanent(format!("cannot encode: {e}")))?;
            let kind = match d {
                Document::OrderAck(_) => "ORDRSP",
                _ => "DESADV",
            };
            (m, kind, 3)
        }
        _ => {
            return Err(StageError::Permanent(
                "X12 acknowledgements are not written as EDIFACT".into(),
            ));
        }
    };
    let now = time::OffsetDateTime::now_utc();
    let (date, time) = crate::edi::edifact::writer::unb_date_time(version, now);
    let envelope = OutInterchange {
        chars: ServiceChars::DEFAULT,
        charset: profile.edifact_charset,
        syntax_version: version,
        sender: Party {
            id: me.edifact_id.clone(),
            qualifier: me.edifact_qualifier.clone(),
        },
        recipient: Party {
            id: them.id.clone(),
            qualifier: them.qualifier.clone(),
        },
        date,
        time,
        reference: reference.clone(),
        application_ref: (doc_type != "CONTRL").then(|| doc_type.to_owned()),
        ack_request: false,
        test: me.usage == crate::config::Usage::Test,
        una: true,
        newline: true,
    };
    let bytes = write(&envelope, &[message])
        .map_err(|e| StageError::Permanent(format!("cannot encode: {e}")))?;
    let filename = format!("{}_{doc_type}_{reference}.edi", profile.id);
    let controls = messages::Controls {
        interchange: &reference,
        group: None,
        set: Some("1"),
    };
    // The message is named after what was written (DESADV, ShipNoticeRequest, …), not
    // after the X12 set the document would be.
    messages::set_doc_type(&mut tx, job.message_id, doc_type).await?;
    messages::set_format(&mut tx, job.message_id, Format::Edifact).await?;
    let detail = format!("{doc_type} interchange {reference}, {} bytes", bytes.len());
    finish_encoded(p, tx, job, &bytes, controls, &filename, &detail).await
}
