//! The identify stage: the format and the partner from the envelope, checked against the
//! channel's partner.

use super::*;

/// Finds the format and the partner from the envelope (checked against the channel's partner).
pub(super) async fn identify(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let msg = messages::get(&p.store, job.message_id).await?;
    let raw = messages::raw(&p.store, job.message_id).await?;
    let format = Format::sniff(&raw);
    match format {
        Format::X12 => {}
        Format::Edifact => return super::edifact::identify(p, job, &msg, &raw).await,
        Format::Xml => return super::xml::identify(p, job, &msg, &raw).await,
        Format::Unknown => {
            let reason =
                "not X12 (ISA), EDIFACT (UNA/UNB) or XML: the first bytes are none of these";
            return finish_with(p, job, MessageState::Rejected, EventKind::Rejected, reason).await;
        }
    }
    let isa = match peek_isa(&raw) {
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
    let docs = crate::partners::agreements::inventory_x12(&raw);
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
            format,
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
