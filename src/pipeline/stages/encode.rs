//! The encode stage: an outbound document gets its control numbers and bytes in one
//! transaction; and what a business document becomes for a partner.

use super::*;

/// Gives an outbound document its control numbers and bytes, in one transaction, so each
/// number is used once and a crash gives it back.
pub(super) async fn encode(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let msg = messages::get(&p.store, job.message_id).await?;
    let shared = profile(p, msg.partner.as_deref())?;
    let profile = &*shared;
    let doc: OutboundDoc = load_json(
        messages::payload(&p.store, job.message_id, Payload::Canonical).await?,
        "outbound model",
    )?;
    // A CONTRL is EDIFACT; business documents go in the partner's outbound standard.
    use crate::partners::Standard;
    match (&doc, profile.outbound_standard()) {
        (OutboundDoc::Contrl(_), _) | (_, Some(Standard::Edifact)) => {
            return super::edifact::encode(p, job, profile, &doc).await;
        }
        (_, Some(Standard::Cxml | Standard::Ubl)) => {
            return super::xml::encode(p, job, profile, &doc).await;
        }
        _ => {}
    }
    let them = profile.x12.as_ref().ok_or_else(|| {
        StageError::Permanent(format!(
            "partner {} has no [x12] identity to address",
            profile.id
        ))
    })?;
    let me = &p.settings.identity;
    let scope = format!(
        "x12:{}/{}:{}/{}",
        me.x12_qualifier, me.x12_id, them.qualifier, them.id
    );

    let mut tx = begin(p, job).await?;
    let isa13 = registry::next_control_number(&mut tx, &format!("{scope}:isa")).await?;
    let to = (them.qualifier.as_str(), them.id.as_str());
    let delimiters = Some(profile.x12_delimiters);
    let doc_type = doc.doc_type().map_err(StageError::Permanent)?;
    // (bytes, GS06, ST02): the group and set numbers are kept so the partner's 997/999 can be
    // matched to this message.
    let (bytes, gs06, st02) = match &doc {
        OutboundDoc::FunctionalAck(a) => {
            let gs06 = registry::next_control_number(&mut tx, &format!("{scope}:gs")).await?;
            let env = ack_envelope(me, to, isa13 as u32, gs06 as u32, Some(a), delimiters);
            (write_functional_ack(a, &env), Some(gs06), Some(1))
        }
        OutboundDoc::Ta1(t) => {
            let env = ack_envelope(me, to, isa13 as u32, 0, None, delimiters);
            (write_ta1(t, &env), None, None)
        }
        OutboundDoc::Contrl(_) => {
            return Err(StageError::Permanent(
                "a CONTRL is encoded as EDIFACT".into(),
            ));
        }
        OutboundDoc::Business(d) => {
            // ISA13, GS06 and ST02 each come from the partner's own sequence, in this
            // transaction: gap-free, and a crash before the commit gives them back.
            let gs06 = registry::next_control_number(&mut tx, &format!("{scope}:gs")).await?;
            let st02 = registry::next_control_number(&mut tx, &format!("{scope}:st")).await?;
            let env = envelope(
                me,
                to,
                isa13 as u32,
                gs06 as u32,
                profile.x12_version,
                delimiters,
            );
            (
                encode_business(d, &env, st02 as u32, profile),
                Some(gs06),
                Some(st02),
            )
        }
    };
    let bytes = bytes.map_err(|e| StageError::Permanent(format!("cannot encode: {e}")))?;
    let control = format!("{isa13:09}");
    let filename = format!("{}_{doc_type}_{control}.x12", profile.id);
    let (gs06, st02) = (gs06.map(|n| n.to_string()), st02.map(|n| n.to_string()));
    let controls = messages::Controls {
        interchange: &control,
        group: gs06.as_deref(),
        set: st02.as_deref(),
    };
    let detail = format!("{doc_type} interchange {control}, {} bytes", bytes.len());
    finish_encoded(p, tx, job, &bytes, controls, &filename, &detail).await
}

/// One business document as a complete interchange.
fn encode_business(
    d: &Document,
    env: &crate::edi::x12::writer::OutboundEnvelope,
    st02: u32,
    profile: &Profile,
) -> Result<Vec<u8>, crate::edi::x12::X12Error> {
    use crate::documents::x12::outbound::{FunctionalId, write_interchange};
    use crate::documents::x12::{asn856, invoice810, poack855};
    let write = crate::documents::x12::common::WriteOptions::default();
    let (fid, set) = match d {
        Document::OrderAck(a) => (FunctionalId::OrderAck, poack855::to_set(a, st02, write)?),
        Document::ShipNotice(n) => {
            let opts = asn856::AsnOptions {
                structure: profile.asn_structure,
                write,
            };
            (FunctionalId::ShipNotice, asn856::to_set(n, st02, opts)?)
        }
        Document::Invoice(i) => (FunctionalId::Invoice, invoice810::to_set(i, st02, write)?),
        Document::Order(_) | Document::FunctionalAck(_) | Document::InterchangeAck(_) => {
            return Err(crate::edi::x12::X12Error::InvalidOutbound {
                field: "ST01",
                reason:
                    "only order acknowledgements, ship notices and invoices are sent as documents"
                        .into(),
            });
        }
    };
    write_interchange(env, fid, &[set])
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

/// Stores an outbound message's encoded bytes and ends the encode stage.
pub(in crate::pipeline) async fn finish_encoded(
    p: &Pipeline,
    mut tx: Tx,
    job: &Job,
    bytes: &[u8],
    controls: messages::Controls<'_>,
    filename: &str,
    detail: &str,
) -> Result<(), StageError> {
    messages::set_encoded(&mut tx, job.message_id, bytes, controls, filename).await?;
    let o = Outcome {
        state: MessageState::Encoded,
        kind: EventKind::Encoded,
        detail,
        error: false,
        next: Some(Stage::Send),
    };
    advance(p, tx, job, o).await
}
