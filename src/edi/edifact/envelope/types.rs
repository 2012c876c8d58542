//! The envelope's types: the parties and the UNB header, and the interchanges, groups,
//! messages and events a walk finds.

use crate::edi::edifact::reader::Segment;
use crate::edi::edifact::{Diagnostic, ServiceChars, Severity};
use serde::Serialize;

/// An interchange party (UNB S002/S003, UNG S006/S007): identification and code qualifier.
/// Serialised as "id:qualifier" (see `contrl.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub id: String,
    pub qualifier: Option<String>,
}

impl Party {
    pub(super) fn read(seg: &Segment<'_>, n: usize) -> Party {
        Party {
            id: seg.text(n, 1).map(|t| t.into_owned()).unwrap_or_default(),
            qualifier: seg.text(n, 2).map(|t| t.into_owned()),
        }
    }
}

impl std::fmt::Display for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.qualifier {
            Some(q) => write!(f, "{}:{q}", self.id),
            None => f.write_str(&self.id),
        }
    }
}

/// UNB, read.
#[derive(Debug, Clone, Serialize)]
pub struct UnbHeader {
    /// S001 0001, e.g. "UNOA".
    pub syntax_id: String,
    /// S001 0002 (1 to 4).
    pub syntax_version: u8,
    pub sender: Party,
    pub recipient: Party,
    /// S004 date (YYMMDD or CCYYMMDD) and time (HHMM).
    pub date: String,
    pub time: String,
    /// 0020, the interchange control reference.
    pub reference: String,
    /// 0026, the application reference (EANCOM puts the message type here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_ref: Option<String>,
    /// 0031 = 1: the sender asks for a CONTRL.
    pub ack_requested: bool,
    /// 0035 = 1: a test interchange.
    pub test: bool,
    pub chars: ServiceChars,
    /// Whether a UNA announced the service characters.
    pub una: bool,
    pub offset: usize,
}

/// An interchange as far as it has been read.
#[derive(Debug, Clone, Serialize)]
pub struct Interchange {
    pub header: UnbHeader,
    /// Interchange-level faults (UCI) and notes.
    pub diagnostics: Vec<Diagnostic>,
    pub groups: u32,
    /// Messages directly in the interchange (not in a group).
    pub messages: u32,
}

impl Interchange {
    /// True when an interchange-level error rejects everything in it.
    pub fn rejected(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// UNG … UNE.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// 0038, the message group identification (e.g. "ORDERS").
    pub id: String,
    pub sender: Party,
    pub recipient: Party,
    /// 0048, the group reference.
    pub reference: String,
    /// Group-level faults (UCF).
    pub diagnostics: Vec<Diagnostic>,
    pub messages: u32,
    pub offset: usize,
}

/// UNH … UNT with the segments between.
#[derive(Debug, Clone)]
pub struct MessageEnvelope<'a> {
    /// 0062, the message reference number.
    pub reference: String,
    /// S009: type (0065), version (0052), release (0054), agency (0051), association
    /// assigned code (0057, e.g. "EAN008").
    pub message_type: String,
    pub version: String,
    pub release: String,
    pub agency: String,
    pub association: Option<String>,
    /// UNH to UNT inclusive (or up to where the input stopped).
    pub segments: Vec<Segment<'a>>,
    /// Message, segment and element faults (UCM, UCS, UCD) and notes.
    pub diagnostics: Vec<Diagnostic>,
    pub offset: usize,
}

impl MessageEnvelope<'_> {
    /// True when nothing at message level or below is an error.
    pub fn is_sound(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// "ORDERS:D:96A:UN", as the message identifier reads.
    pub fn type_id(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.message_type, self.version, self.release, self.agency
        )
    }
}

/// What [`walk`](super::walk) hands on, in input order.
#[derive(Debug)]
pub enum Event<'e, 'a> {
    InterchangeStart(&'e Interchange),
    GroupStart(&'e Interchange, &'e Group),
    Message(&'e Interchange, Option<&'e Group>, &'e MessageEnvelope<'a>),
    GroupEnd(&'e Interchange, &'e Group),
    /// The trailer has been checked (or found missing).
    InterchangeEnd(&'e Interchange),
    /// A finding outside any interchange (junk, an unusable UNA).
    File(&'e Diagnostic),
}
