//! The envelope's types: transaction-set kinds, the ISA header, and the interchanges, groups
//! and sets a walk finds.

use crate::edi::x12::reader::{Reader, Segment};
use crate::edi::x12::{AckCode, Delimiters, Diagnostic, X12Error, text};
use serde::{Deserialize, Serialize};

/// Transaction sets the gateway knows by name; everything else is `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransactionSet {
    PurchaseOrder850,
    PurchaseOrderAck855,
    ShipNotice856,
    Invoice810,
    FunctionalAck997,
    ImplementationAck999,
    Other(String),
}

impl TransactionSet {
    pub fn from_code(code: &[u8]) -> Self {
        match KnownSet::from_code(code) {
            Some(known) => known.into(),
            None => Self::Other(text(code)),
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Self::Other(c) => c,
            Self::PurchaseOrder850 => KnownSet::Ts850.code(),
            Self::PurchaseOrderAck855 => KnownSet::Ts855.code(),
            Self::ShipNotice856 => KnownSet::Ts856.code(),
            Self::Invoice810 => KnownSet::Ts810.code(),
            Self::FunctionalAck997 => KnownSet::Ts997.code(),
            Self::ImplementationAck999 => KnownSet::Ts999.code(),
        }
    }

    /// The known set this is, or `None` for `Other`.
    pub fn known(&self) -> Option<KnownSet> {
        match self {
            Self::PurchaseOrder850 => Some(KnownSet::Ts850),
            Self::PurchaseOrderAck855 => Some(KnownSet::Ts855),
            Self::ShipNotice856 => Some(KnownSet::Ts856),
            Self::Invoice810 => Some(KnownSet::Ts810),
            Self::FunctionalAck997 => Some(KnownSet::Ts997),
            Self::ImplementationAck999 => Some(KnownSet::Ts999),
            Self::Other(_) => None,
        }
    }
}

/// The transaction sets the gateway has rules and mappings for, as a closed `Copy` type:
/// code that dispatches on a set matches on this, so adding a set makes the compiler list
/// every place that has to learn it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KnownSet {
    Ts850,
    Ts855,
    Ts856,
    Ts810,
    Ts997,
    Ts999,
}

impl KnownSet {
    /// Every known set, in [`KnownSet::index`] order.
    pub const ALL: [KnownSet; 6] = [
        KnownSet::Ts850,
        KnownSet::Ts855,
        KnownSet::Ts856,
        KnownSet::Ts810,
        KnownSet::Ts997,
        KnownSet::Ts999,
    ];

    /// The set an ST01 code names, or `None` for a set the gateway does not know.
    pub fn from_code(code: &[u8]) -> Option<Self> {
        match code {
            b"850" => Some(Self::Ts850),
            b"855" => Some(Self::Ts855),
            b"856" => Some(Self::Ts856),
            b"810" => Some(Self::Ts810),
            b"997" => Some(Self::Ts997),
            b"999" => Some(Self::Ts999),
            _ => None,
        }
    }

    /// ST01 of the set.
    pub fn code(self) -> &'static str {
        match self {
            Self::Ts850 => "850",
            Self::Ts855 => "855",
            Self::Ts856 => "856",
            Self::Ts810 => "810",
            Self::Ts997 => "997",
            Self::Ts999 => "999",
        }
    }

    /// Position in [`KnownSet::ALL`], for per-set tables.
    pub fn index(self) -> usize {
        match self {
            Self::Ts850 => 0,
            Self::Ts855 => 1,
            Self::Ts856 => 2,
            Self::Ts810 => 3,
            Self::Ts997 => 4,
            Self::Ts999 => 5,
        }
    }
}

impl std::fmt::Display for KnownSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl From<KnownSet> for TransactionSet {
    fn from(set: KnownSet) -> Self {
        match set {
            KnownSet::Ts850 => Self::PurchaseOrder850,
            KnownSet::Ts855 => Self::PurchaseOrderAck855,
            KnownSet::Ts856 => Self::ShipNotice856,
            KnownSet::Ts810 => Self::Invoice810,
            KnownSet::Ts997 => Self::FunctionalAck997,
            KnownSet::Ts999 => Self::ImplementationAck999,
        }
    }
}

/// ISA15.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UsageIndicator {
    Production,
    Test,
    Information,
    Other(String),
}

/// The interchange header, trimmed, as read from one ISA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsaHeader {
    pub authorization_qualifier: String,
    pub authorization: String,
    pub security_qualifier: String,
    pub security: String,
    pub sender_qualifier: String,
    pub sender_id: String,
    pub receiver_qualifier: String,
    pub receiver_id: String,
    /// ISA09 as sent (YYMMDD).
    pub date: String,
    /// ISA10 as sent (HHMM).
    pub time: String,
    /// ISA11 as sent (standards id "U", or the repetition separator from 00402 on).
    pub standards_or_repetition: String,
    /// ISA12, e.g. "00401".
    pub version: String,
    /// ISA13, as sent (normally 9 digits).
    pub control_number: String,
    /// ISA14 == "1".
    pub ack_requested: bool,
    pub usage: UsageIndicator,
    pub delimiters: Delimiters,
    /// Byte offset of "ISA" in the input.
    pub offset: usize,
}

impl IsaHeader {
    pub(super) fn from_segment(seg: &Segment<'_>) -> Self {
        let t = |n: usize| text(seg.element(n).unwrap_or(&[])).trim().to_string();
        let usage = match t(15).as_str() {
            "P" => UsageIndicator::Production,
            "T" => UsageIndicator::Test,
            "I" => UsageIndicator::Information,
            other => UsageIndicator::Other(other.to_string()),
        };
        IsaHeader {
            authorization_qualifier: t(1),
            authorization: t(2),
            security_qualifier: t(3),
            security: t(4),
            sender_qualifier: t(5),
            sender_id: t(6),
            receiver_qualifier: t(7),
            receiver_id: t(8),
            date: t(9),
            time: t(10),
            standards_or_repetition: text(seg.element(11).unwrap_or(&[])),
            version: t(12),
            control_number: t(13),
            ack_requested: t(14) == "1",
            usage,
            delimiters: seg.delimiters,
            offset: seg.offset,
        }
    }
}

/// Reads only the first ISA of `input` (after an optional BOM and blanks).
pub fn peek_isa(input: &[u8]) -> Result<IsaHeader, X12Error> {
    let mut reader = Reader::new(input);
    loop {
        match reader.next_segment()? {
            Some(seg) if seg.is("ISA") => return Ok(IsaHeader::from_segment(&seg)),
            Some(_) => continue,
            None => return Err(X12Error::NoInterchange { offset: 0 }),
        }
    }
}

/// One transaction set with its segments (ST..SE inclusive, or up to where the input stopped).
#[derive(Debug, Clone)]
pub struct TransactionSetEnvelope<'a> {
    pub kind: TransactionSet,
    /// ST02.
    pub control: String,
    /// ST03 (5010+).
    pub implementation_ref: Option<String>,
    pub segments: Vec<Segment<'a>>,
    /// Set, segment and element level faults (AK5/AK3/AK4 codes) and notes.
    pub diagnostics: Vec<Diagnostic>,
    /// True when SE was found.
    pub closed: bool,
    /// True once the set no longer takes segments (SE seen, or a later envelope segment came).
    pub(super) ended: bool,
}

impl TransactionSetEnvelope<'_> {
    /// True when no error-severity diagnostic was recorded.
    pub fn is_sound(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity == crate::edi::x12::Severity::Error)
    }
    /// Segments strictly between ST and SE.
    pub fn body(&self) -> &[Segment<'_>] {
        let end = if self.closed {
            self.segments.len().saturating_sub(1)
        } else {
            self.segments.len()
        };
        self.segments.get(1..end).unwrap_or(&[])
    }
}

/// One functional group.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    /// GS01, e.g. "PO", "FA".
    pub functional_id: String,
    pub sender: String,
    pub receiver: String,
    pub date: String,
    pub time: String,
    /// GS06.
    pub control: String,
    /// GS08, e.g. "004010".
    pub version: String,
    pub sets: Vec<TransactionSetEnvelope<'a>>,
    /// GE01 when present and numeric.
    pub declared_sets: Option<u64>,
    /// Group level faults (AK9 codes).
    pub diagnostics: Vec<Diagnostic>,
    pub closed: bool,
}

/// One interchange.
#[derive(Debug, Clone)]
pub struct Interchange<'a> {
    pub header: IsaHeader,
    pub groups: Vec<Group<'a>>,
    /// TA1 segments (interchange acknowledgements the sender returns for interchanges it
    /// received) standing between ISA and the first GS, where X12 puts them.
    pub ta1s: Vec<Segment<'a>>,
    /// Interchange level faults (TA1 note codes) and warnings.
    pub diagnostics: Vec<Diagnostic>,
    pub closed: bool,
}

impl Interchange<'_> {
    /// The first TA1 note code among error diagnostics, if the envelope is faulty.
    pub fn ta1_fault(&self) -> Option<u16> {
        self.diagnostics.iter().find_map(|d| match d.code {
            Some(AckCode::Ta1(c)) if d.severity == crate::edi::x12::Severity::Error => Some(c),
            _ => None,
        })
    }
}

/// Every interchange in a file plus file-level diagnostics (junk, unreadable ISAs).
#[derive(Debug, Clone, Default)]
pub struct Envelopes<'a> {
    pub interchanges: Vec<Interchange<'a>>,
    pub diagnostics: Vec<Diagnostic>,
}
