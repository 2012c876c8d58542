//! What each syntax (X12, EDIFACT, XML) does for the stages, and only that: read an envelope
//! for identify, read a file into canonical documents and the acknowledgements its partner
//! expects for translate, write an outbound document for encode. The stages do the rest once:
//! the partner and its agreements, the registry, the store.

use super::{OutboundDoc, edifact, x12, xml};
use crate::config::Identity;
use crate::edi::diag::Diagnostic;
use crate::model::Document;
use crate::partners::{DocRef, Partners, Profile};
use crate::pipeline::{Pipeline, StageError};
use crate::store::{Format, Tx};

/// A syntax Wharf reads and writes. A closed enum rather than a `dyn Syntax` trait: XML is
/// read on a blocking thread and every encoding takes its control numbers in the stage's
/// transaction, so the operations are async, and async methods on a trait object need a
/// boxed future and a lifetime on every signature (and a ready-made future for the syntaxes
/// that read synchronously). Each syntax's operations are the functions of the same names
/// in its file; the matches below are the list the compiler checks when a syntax is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Syntax {
    X12,
    Edifact,
    Xml,
}

impl Syntax {
    /// The syntax of a sniffed or recorded format; none for bytes that are none of them.
    pub(super) fn of(format: Format) -> Option<Syntax> {
        match format {
            Format::X12 => Some(Syntax::X12),
            Format::Edifact => Some(Syntax::Edifact),
            Format::Xml => Some(Syntax::Xml),
            Format::Unknown => None,
        }
    }

    pub(super) fn format(self) -> Format {
        match self {
            Syntax::X12 => Format::X12,
            Syntax::Edifact => Format::Edifact,
            Syntax::Xml => Format::Xml,
        }
    }

    /// Reads the envelope of a partner's file and looks its sender up in `partners`. `Err`
    /// holds the reason the file is rejected (no envelope can be read).
    pub(super) async fn envelope<'r>(
        self,
        partners: &'r Partners,
        me: &Identity,
        raw: &[u8],
    ) -> Result<Envelope<'r>, String> {
        match self {
            Syntax::X12 => x12::envelope(partners, me, raw),
            Syntax::Edifact => edifact::envelope(partners, me, raw),
            Syntax::Xml => xml::envelope(partners, raw).await,
        }
    }

    /// Reads a partner's file into canonical documents and the acknowledgements `profile`
    /// asks for. `Err` holds the reason the file is rejected (it cannot be read at all).
    pub(super) async fn translate(
        self,
        profile: &Profile,
        raw: &[u8],
    ) -> Result<Translation, String> {
        match self {
            Syntax::X12 => x12::translate(profile, raw),
            Syntax::Edifact => edifact::translate(profile, raw),
            Syntax::Xml => xml::translate(raw).await,
        }
    }

    /// Writes an outbound document for the partner, its control numbers taken from the
    /// partner's own sequences in `tx` (the encode stage's transaction), so each number is
    /// used once and a crash gives it back.
    pub(super) async fn encode(
        self,
        p: &Pipeline,
        tx: &mut Tx,
        profile: &Profile,
        doc: &OutboundDoc,
    ) -> Result<Encoded, StageError> {
        match self {
            Syntax::X12 => x12::encode(p, tx, profile, doc).await,
            Syntax::Edifact => edifact::encode(p, tx, profile, doc).await,
            Syntax::Xml => xml::encode(p, tx, profile, doc).await,
        }
    }
}

/// What identify reads from an envelope.
pub(super) struct Envelope<'r> {
    /// The sender's identity as the history names it ("ZZ/ACME", a UNB S002, a cXML From).
    pub(super) sender: String,
    /// The partner whose profile has that identity.
    pub(super) found: Option<&'r Profile>,
    /// The quarantine reason when no profile has it, saying what to add where.
    pub(super) unknown: String,
    /// A quarantine reason the found partner's own credentials give (a cXML SharedSecret
    /// that does not match its profile).
    pub(super) refused: Option<String>,
    /// The documents inside, for the partner's agreements.
    pub(super) documents: Vec<DocRef>,
    pub(super) doc_type: Option<String>,
    pub(super) control_number: String,
    /// How the partner was found, for the event: "ISA sender ZZ/ACME, interchange 000000101".
    pub(super) by: String,
    /// A warning for the history when the envelope is addressed to someone else.
    pub(super) misaddressed: Option<String>,
}

/// What translate reads from a partner's file.
pub(super) struct Translation {
    /// Each interchange in the order of the file (an XML document is one).
    pub(super) interchanges: Vec<Interchange>,
    /// What the reader found about the file as a whole, recorded after the interchanges'.
    pub(super) diagnostics: Vec<Diagnostic>,
}

/// One interchange of a translation.
pub(super) struct Interchange {
    /// (sender, receiver, reference) as the registry keys it; `None` when there is nothing to
    /// register (an XML document without a reference).
    pub(super) key: Option<(String, String, String)>,
    /// How the history names it: "interchange 000000101 from ZZ/ACME".
    pub(super) what: String,
    /// Its control number (ISA13, UNB reference), in its acknowledgements' keys and events.
    pub(super) control: String,
    /// What it gets when it was received before.
    pub(super) repeat: Repeat,
    pub(super) errors: Vec<Diagnostic>,
    /// Transaction sets or message types seen, in order.
    pub(super) types: Vec<String>,
    pub(super) documents: Vec<Document>,
    /// The acknowledgements the partner expects, in the order they are queued.
    pub(super) acks: Vec<Ack>,
}

/// An acknowledgement to queue for encoding, under the transaction set (or TA1, CONTRL) it
/// becomes.
pub(super) struct Ack {
    pub(super) doc_type: &'static str,
    pub(super) doc: OutboundDoc,
}

/// What an interchange received before gets.
#[expect(
    clippy::large_enum_variant,
    reason = "one per interchange read, beside documents far larger; a box would save nothing"
)]
pub(super) enum Repeat {
    /// It is skipped, and answered with this acknowledgement when the profile asks for one.
    Skip(Option<Ack>),
    /// The whole message ends as a duplicate, "received before" (an XML document is the
    /// whole message).
    EndsMessage,
}

/// What encode wrote.
pub(super) struct Encoded {
    pub(super) bytes: Vec<u8>,
    /// ISA13 or UNB reference, or a payloadID.
    pub(super) interchange: String,
    /// GS06, kept (with ST02) so the partner's 997/999 can be matched to the message.
    pub(super) group: Option<String>,
    pub(super) set: Option<String>,
    pub(super) filename: String,
    pub(super) detail: String,
    /// What the message is named after when that is not the X12 set the document would be
    /// (DESADV, ShipNoticeRequest, …).
    pub(super) doc_type: Option<&'static str>,
    /// The syntax recorded on the message when it differs from the one it was created with
    /// (a business document is created before its partner's standard decides it), so a
    /// CONTRL is matched to EDIFACT only.
    pub(super) format: Option<Format>,
}
