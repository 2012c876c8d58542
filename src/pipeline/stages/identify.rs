//! The identify stage: the format and the partner from the envelope, checked against the
//! channel's partner.

use super::*;

/// Finds the format and the partner from the envelope (checked against the channel's partner).
pub(super) async fn identify(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let msg = messages::get(&p.store, job.message_id).await?;
    let raw = messages::raw(&p.store, job.message_id).await?;
    match Format::sniff(&raw) {
        Format::X12 => super::x12::identify(p, job, &msg, &raw).await,
        Format::Edifact => super::edifact::identify(p, job, &msg, &raw).await,
        Format::Xml => super::xml::identify(p, job, &msg, &raw).await,
        Format::Unknown => {
            let reason =
                "not X12 (ISA), EDIFACT (UNA/UNB) or XML: the first bytes are none of these";
            finish_with(p, job, MessageState::Rejected, EventKind::Rejected, reason).await
        }
    }
}
