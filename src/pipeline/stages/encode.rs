//! The encode stage: an outbound document gets its control numbers and bytes in one
//! transaction, in the syntax its partner speaks; and what a business document becomes for a
//! partner.

use super::syntax::Syntax;
use super::*;

/// Gives an outbound document its control numbers and bytes, in one transaction, so each
/// number is used once and a crash gives it back.
pub(super) async fn encode(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let ctx = StageContext::payload(p, job, Payload::Canonical).await?;
    let shared = ctx.profile(p)?;
    let profile = &*shared;
    let doc: OutboundDoc = load_json(ctx.body, "outbound model")?;
    // A CONTRL is EDIFACT; business documents go in the partner's outbound standard.
    use crate::partners::Standard;
    let syntax = match (&doc, profile.outbound_standard()) {
        (OutboundDoc::Contrl(_), _) | (_, Some(Standard::Edifact)) => Syntax::Edifact,
        (_, Some(Standard::Cxml | Standard::Ubl)) => Syntax::Xml,
        _ => Syntax::X12,
    };

    let mut tx = begin(p, job).await?;
    let e = syntax.encode(p, &mut tx, profile, &doc).await?;
    // The message is named after what was written (DESADV, ShipNoticeRequest, …), not
    // after the X12 set the document would be.
    if let Some(doc_type) = e.doc_type {
        messages::set_doc_type(&mut tx, job.message_id, doc_type).await?;
    }
    if let Some(format) = e.format {
        messages::set_format(&mut tx, job.message_id, format).await?;
    }
    let controls = messages::Controls {
        interchange: &e.interchange,
        group: e.group.as_deref(),
        set: e.set.as_deref(),
    };
    messages::set_encoded(&mut tx, job.message_id, &e.bytes, controls, &e.filename).await?;
    let o = Outcome {
        state: MessageState::Encoded,
        kind: EventKind::Encoded,
        detail: &e.detail,
        error: false,
        next: Some(Stage::Send),
    };
    advance(p, tx, job, o).await
}

/// What a business document becomes for this partner: the standard its profile speaks (X12
/// first, then EDIFACT, then cXML, then UBL, as `encode` chooses) and that standard's name for
/// it. `None` for what no standard here writes.
pub(crate) fn outbound_doc_ref(
    profile: &Profile,
    doc: &Document,
) -> Option<crate::partners::DocRef> {
    let standard = profile.outbound_standard()?;
    // What the standard calls it, when Wharf writes it in that standard (no 850 goes out).
    let doc_type = crate::model::DocKind::of(doc)?.name(standard)?;
    if !crate::model::DocKind::supported(standard, doc_type, true) {
        return None;
    }
    Some(crate::partners::DocRef {
        standard,
        doc_type: doc_type.to_owned(),
        version: None,
    })
}
