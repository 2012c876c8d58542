//! EDIFACT's side of the stages: the UNB sender that identifies a partner (with a warning
//! when the interchange is addressed to another recipient), the translation with the element
//! rules and the CONTRL the profile asks for (a rejection with code 26 answering a repeat),
//! and the encoding of CONTRL, ORDRSP and DESADV with the partner's own reference sequence.

use super::OutboundDoc;
use super::syntax::{Ack, Encoded, Envelope, Interchange, Repeat, Translation};
use crate::config::Identity;
use crate::documents::edifact as edidoc;
use crate::edi::edifact::contrl::{Action, Contrl, LevelError};
use crate::edi::edifact::envelope::{Party, peek_unb};
use crate::edi::edifact::writer::{OutInterchange, write};
use crate::edi::edifact::{ServiceChars, code};
use crate::partners::{Partners, Profile};
use crate::pipeline::{Pipeline, StageError};
use crate::store::registry;
use crate::store::{Format, Tx};

/// UNB sender as the registry keys it.
fn party_key(p: &Party) -> String {
    format!("edifact:{p}")
}

/// The UNB's sender and the partner with that EDIFACT identity.
pub(super) fn envelope<'r>(
    partners: &'r Partners,
    me: &Identity,
    raw: &[u8],
) -> Result<Envelope<'r>, String> {
    let unb = peek_unb(raw).map_err(|e| format!("cannot read the UNB envelope: {e}"))?;
    Ok(Envelope {
        found: partners.by_edifact_sender(&unb.sender.id, unb.sender.qualifier.as_deref()),
        sender: unb.sender.to_string(),
        unknown: format!(
            "unknown sender {} (UNB S002, interchange {}): no partner profile has this \
             EDIFACT identity; add an [edifact] section to a profile in partners/ and replay",
            unb.sender, unb.reference
        ),
        refused: None,
        documents: crate::partners::agreements::inventory_edifact(raw),
        by: format!("UNB sender {}, interchange {}", unb.sender, unb.reference),
        misaddressed: (unb.recipient.id != me.edifact_id).then(|| {
            format!(
                "addressed to {} (UNB S003), not to this gateway's {}",
                unb.recipient, me.edifact_id
            )
        }),
        doc_type: unb.application_ref,
        control_number: unb.reference,
    })
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

/// Reads the EDIFACT into canonical documents with the CONTRL the profile asks for.
pub(super) fn translate(profile: &Profile, raw: &[u8]) -> Result<Translation, String> {
    let opts = edidoc::TranslateOptions {
        contrl: profile.contrl,
        repertoire: profile.edifact_repertoire,
    };
    let translation =
        edidoc::translate_with(raw, opts).map_err(|e| format!("cannot read the EDIFACT: {e}"))?;
    let interchanges = translation
        .interchanges
        .into_iter()
        .map(|ic| {
            let h = &ic.header;
            let contrl = |c: Contrl| Ack {
                doc_type: "CONTRL",
                doc: OutboundDoc::Contrl(c),
            };
            let repeat = (profile.contrl != edidoc::ContrlPolicy::Never)
                .then(|| contrl(duplicate_contrl(h)));
            Interchange {
                key: Some((
                    party_key(&h.sender),
                    party_key(&h.recipient),
                    h.reference.clone(),
                )),
                what: format!("interchange {} from {}", h.reference, h.sender),
                control: h.reference.clone(),
                repeat: Repeat::Skip(repeat),
                acks: ic.contrl.map(contrl).into_iter().collect(),
                errors: ic.errors,
                types: ic.message_types,
                documents: ic.documents,
            }
        })
        .collect();
    Ok(Translation {
        interchanges,
        diagnostics: translation.diagnostics,
    })
}

/// Writes a CONTRL (or an ORDRSP/DESADV for an EDIFACT partner) as a whole interchange,
/// its UNB reference taken from the partner's own sequence in `tx`.
pub(super) async fn encode(
    p: &Pipeline,
    tx: &mut Tx,
    profile: &Profile,
    doc: &OutboundDoc,
) -> Result<Encoded, StageError> {
    let them = profile.edifact.as_ref().ok_or_else(|| {
        StageError::Permanent(format!(
            "partner {} has no [edifact] identity to address",
            profile.id
        ))
    })?;
    let me = &p.settings.identity;
    let scope = format!("edifact:{}:{}", me.edifact_id, them.id);
    let reference = registry::next_control_number(tx, &format!("{scope}:unb")).await?;
    let reference = reference.to_string();
    let (message, doc_type, version) = match doc {
        OutboundDoc::Contrl(c) => (c.message("1"), "CONTRL", c.syntax_version.clamp(3, 4)),
        OutboundDoc::Business(d) => {
            let m = edidoc::outbound_message(d, "1")
                .map_err(|e| StageError::Permanent(format!("cannot encode: {e}")))?;
            // The message type the writer chose (ORDRSP, DESADV), from the one table.
            let kind = crate::model::DocKind::of(d)
                .and_then(|k| k.name(crate::model::Standard::Edifact))
                .ok_or_else(|| StageError::Permanent("cannot encode: no EDIFACT name".into()))?;
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
    Ok(Encoded {
        filename: format!("{}_{doc_type}_{reference}.edi", profile.id),
        detail: format!("{doc_type} interchange {reference}, {} bytes", bytes.len()),
        bytes,
        interchange: reference,
        group: None,
        set: Some("1".to_owned()),
        doc_type: Some(doc_type),
        format: Some(Format::Edifact),
    })
}
