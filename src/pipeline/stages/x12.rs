//! X12's side of the stages: the ISA sender that identifies a partner (with a warning when
//! the interchange is addressed to another receiver), the translation with the 997/999 and
//! TA1 the profile asks for (a TA1 with note 025 answering a repeat), and the encoding of
//! acknowledgements and business documents with the partner's own ISA13, GS06 and ST02.

use super::OutboundDoc;
use super::syntax::{Ack, Encoded, Envelope, Interchange, Repeat, Translation};
use crate::config::Identity;
use crate::documents::x12 as x12doc;
use crate::documents::x12::ack::{write_functional_ack, write_ta1};
use crate::edi::x12::envelope::peek_isa;
use crate::model::{Document, Ta1};
use crate::partners::{DuplicatePolicy, FunctionalAckPolicy, Partners, Profile, Ta1Policy};
use crate::pipeline::envelope::{ack_envelope, envelope as outbound_envelope};
use crate::pipeline::{Pipeline, StageError};
use crate::store::Tx;
use crate::store::registry;

/// The ISA's sender and the partner with that X12 identity.
pub(super) fn envelope<'r>(
    partners: &'r Partners,
    me: &Identity,
    raw: &[u8],
) -> Result<Envelope<'r>, String> {
    let isa = peek_isa(raw).map_err(|e| format!("cannot read the ISA envelope: {e}"))?;
    let sender = format!("{}/{}", isa.sender_qualifier, isa.sender_id);
    let receiver_ok = isa.receiver_qualifier == me.x12_qualifier && isa.receiver_id == me.x12_id;
    Ok(Envelope {
        found: partners.by_x12_sender(&isa.sender_qualifier, &isa.sender_id),
        unknown: format!(
            "unknown sender {sender} (ISA05/ISA06, interchange {}): no partner profile has \
             this X12 identity; add it to a profile in partners/ and replay",
            isa.control_number
        ),
        refused: None,
        documents: crate::partners::agreements::inventory_x12(raw),
        doc_type: None,
        by: format!("ISA sender {sender}, interchange {}", isa.control_number),
        misaddressed: (!receiver_ok).then(|| {
            format!(
                "addressed to {}/{} (ISA07/ISA08), not to this gateway's {}/{}",
                isa.receiver_qualifier, isa.receiver_id, me.x12_qualifier, me.x12_id
            )
        }),
        control_number: isa.control_number,
        sender,
    })
}

/// Reads the X12 into canonical documents with the 997/999 and TA1 the profile asks for.
pub(super) fn translate(profile: &Profile, raw: &[u8]) -> Result<Translation, String> {
    let options = x12doc::TranslateOptions {
        ack_kind: match profile.functional_ack {
            FunctionalAckPolicy::F999 => crate::model::AckKind::F999,
            _ => crate::model::AckKind::F997,
        },
        ..x12doc::TranslateOptions::default()
    };
    let translation =
        x12doc::translate_with(raw, options).map_err(|e| format!("cannot read the X12: {e}"))?;
    let interchanges = translation
        .interchanges
        .into_iter()
        .map(|ic| {
            let h = &ic.header;
            let sender = format!("{}/{}", h.sender_qualifier, h.sender_id);
            let receiver = format!("{}/{}", h.receiver_qualifier, h.receiver_id);
            let ta1 = |ack_code: char, note_code: &str| Ta1 {
                control_number: h.control_number.as_str().into(),
                date: h.date.as_str().into(),
                time: h.time.as_str().into(),
                ack_code,
                note_code: note_code.into(),
            };
            // The partner learns of a repeat the way its profile says: a TA1 rejecting the
            // interchange with note 025 (duplicate control number), or only our warning. An
            // interchange of TA1s is never answered with one (acknowledgements would loop).
            let repeat = (profile.duplicate == DuplicatePolicy::Ta1 && ic.interchange_acks == 0)
                .then(|| Ack {
                    doc_type: "TA1",
                    doc: OutboundDoc::Ta1(ta1('R', "025")),
                });
            let functional = ic
                .ack
                .as_ref()
                .filter(|_| profile.functional_ack != FunctionalAckPolicy::None)
                .map(|a| Ack {
                    doc_type: a.kind.code(),
                    doc: OutboundDoc::FunctionalAck(a.clone()),
                });
            // A TA1 when the interchange asked (ISA14 = 1) or was faulty, or always when the
            // partner's profile says so; never for an interchange that carries the partner's
            // own TA1s (the translation gives none for it either).
            let interchange_ack = ic
                .ta1
                .clone()
                .or_else(|| {
                    (profile.ta1 == Ta1Policy::Always && ic.interchange_acks == 0)
                        .then(|| ta1('A', "000"))
                })
                .map(|t| Ack {
                    doc_type: "TA1",
                    doc: OutboundDoc::Ta1(t),
                });
            Interchange {
                what: format!("interchange {} from {sender}", h.control_number),
                key: Some((sender, receiver, h.control_number.clone())),
                control: h.control_number.clone(),
                repeat: Repeat::Skip(repeat),
                acks: functional.into_iter().chain(interchange_ack).collect(),
                errors: ic.errors,
                types: ic.transaction_sets,
                documents: ic.documents,
            }
        })
        .collect();
    Ok(Translation {
        interchanges,
        diagnostics: translation.diagnostics,
    })
}

/// Writes a 997/999, a TA1 or a business document as a whole interchange. ISA13, and GS06
/// and ST02 where there is a group, each come from the partner's own sequence in `tx`:
/// gap-free, and a crash before the commit gives them back.
pub(super) async fn encode(
    p: &Pipeline,
    tx: &mut Tx,
    profile: &Profile,
    doc: &OutboundDoc,
) -> Result<Encoded, StageError> {
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
    let isa13 = registry::next_control_number(tx, &format!("{scope}:isa")).await?;
    let to = (them.qualifier.as_str(), them.id.as_str());
    let delimiters = Some(profile.x12_delimiters);
    let doc_type = doc.doc_type().map_err(StageError::Permanent)?;
    // (bytes, GS06, ST02): the group and set numbers are kept so the partner's 997/999 can be
    // matched to this message.
    let (bytes, gs06, st02) = match doc {
        OutboundDoc::FunctionalAck(a) => {
            let gs06 = registry::next_control_number(tx, &format!("{scope}:gs")).await?;
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
            let gs06 = registry::next_control_number(tx, &format!("{scope}:gs")).await?;
            let st02 = registry::next_control_number(tx, &format!("{scope}:st")).await?;
            let env = outbound_envelope(
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
    Ok(Encoded {
        filename: format!("{}_{doc_type}_{control}.x12", profile.id),
        detail: format!("{doc_type} interchange {control}, {} bytes", bytes.len()),
        bytes,
        interchange: control,
        group: gs06.map(|n| n.to_string()),
        set: st02.map(|n| n.to_string()),
        doc_type: None,
        format: None,
    })
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
