//! The pipeline's X12 stages: identify a partner by its ISA sender (and warn when the
//! interchange is addressed to another receiver), translate with the 997/999 the profile
//! asks for, register each interchange so a repeat is not posted twice, and queue the
//! functional acknowledgement and TA1 the partner expects.

use super::*;

/// Finds the partner by the ISA sender (checked against the channel's partner and the
/// profile's agreements) and records the interchange's control number.
pub(super) async fn identify(
    p: &Pipeline,
    job: &Job,
    msg: &messages::Message,
    raw: &[u8],
) -> Result<(), StageError> {
    let isa = match peek_isa(raw) {
        Ok(h) => h,
        Err(e) => {
            let reason = format!("cannot read the ISA envelope: {e}");
            return finish_with(p, job, MessageState::Rejected, EventKind::Rejected, &reason).await;
        }
    };
    let sender = format!("{}/{}", isa.sender_qualifier, isa.sender_id);
    let partners = p.partners.snapshot();
    let by_envelope = partners.by_x12_sender(&isa.sender_qualifier, &isa.sender_id);
    let unknown = || {
        format!(
            "unknown sender {sender} (ISA05/ISA06, interchange {}): no partner profile has \
             this X12 identity; add it to a profile in partners/ and replay",
            isa.control_number
        )
    };
    let partner = match match_partner(msg.partner.as_deref(), by_envelope, &sender, unknown) {
        Ok(found) => found,
        Err(reason) => {
            return quarantine(p, job, &reason).await;
        }
    };
    let docs = crate::partners::agreements::inventory_x12(raw);
    if let Some(reason) = outside_agreement(partner, &docs) {
        return quarantine(p, job, &reason).await;
    }
    let me = &p.settings.identity;
    let receiver_ok = isa.receiver_qualifier == me.x12_qualifier && isa.receiver_id == me.x12_id;

    let mut tx = begin(p, job).await?;
    messages::set_identification(
        &mut tx,
        job.message_id,
        &Identification {
            partner: Some(partner.id.as_str()),
            format: Format::X12,
            doc_type: None,
            control_number: Some(&isa.control_number),
        },
    )
    .await?;
    let detail = format!(
        "partner {} by ISA sender {sender}, interchange {}",
        partner.id, isa.control_number
    );
    if !receiver_ok {
        let warn = format!(
            "addressed to {}/{} (ISA07/ISA08), not to this gateway's {}/{}",
            isa.receiver_qualifier, isa.receiver_id, me.x12_qualifier, me.x12_id
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
    let o = Outcome {
        state: MessageState::Identified,
        kind: EventKind::Identified,
        detail: &detail,
        error: false,
        next: Some(Stage::Translate),
    };
    advance(p, tx, job, o).await
}

/// Reads the X12 into canonical documents, queues the acknowledgements the partner expects,
/// and registers each interchange so a repeat is not posted twice.
pub(super) async fn translate(
    p: &Pipeline,
    job: &Job,
    profile: &Profile,
    raw: &[u8],
) -> Result<(), StageError> {
    let options = x12doc::TranslateOptions {
        ack_kind: match profile.functional_ack {
            FunctionalAckPolicy::F999 => crate::model::AckKind::F999,
            _ => crate::model::AckKind::F997,
        },
        ..x12doc::TranslateOptions::default()
    };
    let translation = match x12doc::translate_with(raw, options) {
        Ok(t) => t,
        Err(e) => {
            let reason = format!("cannot read the X12: {e}");
            return finish_with(p, job, MessageState::Rejected, EventKind::Rejected, &reason).await;
        }
    };

    let mut tx = begin(p, job).await?;
    let mut documents: Vec<Document> = Vec::new();
    let mut set_ids: Vec<String> = Vec::new();
    let mut errors = 0usize;
    let mut duplicates = 0usize;
    for (n, ic) in translation.interchanges.iter().enumerate() {
        let h = &ic.header;
        let sender = format!("{}/{}", h.sender_qualifier, h.sender_id);
        let receiver = format!("{}/{}", h.receiver_qualifier, h.receiver_id);
        let what = format!("interchange {} from {sender}", h.control_number);
        let key = (
            sender.as_str(),
            receiver.as_str(),
            h.control_number.as_str(),
        );
        if received_before(p, &mut tx, job, key, &what)
            .await?
            .is_some()
        {
            duplicates += 1;
            // The partner learns of the repeat the way its profile says: a TA1 rejecting the
            // interchange with note 025 (duplicate control number), or only our warning. An
            // interchange of TA1s is never answered with one (acknowledgements would loop).
            if profile.duplicate == DuplicatePolicy::Ta1 && ic.interchange_acks == 0 {
                let ta1 = Ta1 {
                    control_number: h.control_number.as_str().into(),
                    date: h.date.as_str().into(),
                    time: h.time.as_str().into(),
                    ack_code: 'R',
                    note_code: "025".into(),
                };
                let doc = OutboundDoc::Ta1(ta1);
                queue_ack(p, &mut tx, job, profile, n, &h.control_number, "TA1", &doc).await?;
            }
            continue;
        }
        errors += record_diagnostics(p, &mut tx, job, &ic.errors).await?;
        for code in &ic.transaction_sets {
            if !set_ids.contains(code) {
                set_ids.push(code.clone());
            }
        }
        documents.extend(ic.documents.iter().cloned());
        let acks = [
            ic.ack
                .as_ref()
                .filter(|_| profile.functional_ack != FunctionalAckPolicy::None)
                .map(|a| (a.kind.code(), OutboundDoc::FunctionalAck(a.clone()))),
            // A TA1 when the interchange asked (ISA14 = 1) or was faulty, or always when the
            // partner's profile says so; never for an interchange that carries the partner's
            // own TA1s (the translation gives none for it either).
            ic.ta1
                .clone()
                .or_else(|| {
                    (profile.ta1 == Ta1Policy::Always && ic.interchange_acks == 0).then(|| Ta1 {
                        control_number: h.control_number.as_str().into(),
                        date: h.date.as_str().into(),
                        time: h.time.as_str().into(),
                        ack_code: 'A',
                        note_code: "000".into(),
                    })
                })
                .map(|t| ("TA1", OutboundDoc::Ta1(t))),
        ];
        for (doc_type, doc) in acks.into_iter().flatten() {
            queue_ack(
                p,
                &mut tx,
                job,
                profile,
                n,
                &h.control_number,
                doc_type,
                &doc,
            )
            .await?;
        }
    }
    record_diagnostics(p, &mut tx, job, &translation.diagnostics).await?;
    let t = Translated {
        documents: &documents,
        interchanges: translation.interchanges.len(),
        duplicates,
        errors,
        types: &set_ids,
    };
    finish_translated(p, tx, job, t).await
}
