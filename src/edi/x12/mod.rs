//! X12 syntax: delimiters, typed errors and diagnostics shared by the reader, envelope checker and writers. Must not depend on I/O, async or the database.

pub mod ack;
pub mod envelope;
pub mod gs1;
pub mod reader;
pub mod rules;
pub mod writer;

use serde::{Deserialize, Serialize};

pub use envelope::{
    Group, Interchange, IsaHeader, TransactionSet, TransactionSetEnvelope, UsageIndicator,
    parse_interchanges, peek_isa,
};
pub use reader::{Reader, Segment};

/// The four X12 delimiters, read from each ISA (never assumed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delimiters {
    pub element: u8,
    pub component: u8,
    pub segment: u8,
    /// Only present when ISA12 >= 00402 and ISA11 is not alphanumeric.
    pub repetition: Option<u8>,
    /// Writer option: emit "\n" after each segment terminator (readers skip it anyway).
    #[serde(default)]
    pub newline_after_segment: bool,
}

impl Default for Delimiters {
    fn default() -> Self {
        Delimiters {
            element: b'*',
            component: b':',
            segment: b'~',
            repetition: Some(b'^'),
            newline_after_segment: false,
        }
    }
}

impl Delimiters {
    /// True when `b` is one of the active delimiters.
    pub fn is_delimiter(&self, b: u8) -> bool {
        b == self.element || b == self.component || b == self.segment || Some(b) == self.repetition
    }

    /// Delimiters must be pairwise distinct and must not be letters, digits or space,
    /// otherwise ordinary data would be split.
    pub fn validate(&self) -> Result<(), X12Error> {
        let mut all = vec![
            ("element", self.element),
            ("component", self.component),
            ("segment", self.segment),
        ];
        if let Some(r) = self.repetition {
            all.push(("repetition", r));
        }
        for (i, (name, b)) in all.iter().enumerate() {
            if b.is_ascii_alphanumeric() || *b == b' ' {
                return Err(X12Error::InvalidDelimiters {
                    reason: format!("{name} separator 0x{b:02X} is a letter, digit or space"),
                });
            }
            for (other, ob) in all.iter().skip(i + 1) {
                if b == ob {
                    return Err(X12Error::InvalidDelimiters {
                        reason: format!("{name} and {other} separators are both 0x{b:02X}"),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Hard failures: the input cannot be read at all, or output cannot be written.
/// Envelope and content faults found while reading are [`Diagnostic`] values instead,
/// because they must become acknowledgements rather than abort processing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X12Error {
    #[error("no ISA interchange header found (first non-blank byte at offset {offset})")]
    NoInterchange { offset: usize },
    #[error("ISA at byte offset {offset} is unreadable: {reason}")]
    InvalidIsa { offset: usize, reason: String },
    #[error("invalid delimiters: {reason}")]
    InvalidDelimiters { reason: String },
    #[error(
        "{segment}{element:02} contains delimiter byte 0x{byte:02X}; X12 has no release character"
    )]
    DelimiterInData {
        segment: String,
        element: usize,
        byte: u8,
    },
    #[error("invalid outbound value for {field}: {reason}")]
    InvalidOutbound { field: &'static str, reason: String },
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The enclosing interchange, group or set is rejected.
    Error,
    /// Accepted, but worth a human look.
    Warning,
    Info,
}

/// The acknowledgement code a diagnostic maps to, tagged by the level it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", content = "code")]
pub enum AckCode {
    /// TA105 interchange note code (I18), e.g. 001, 021, 023.
    Ta1(u16),
    /// AK905 functional group syntax error code (716).
    Group(u16),
    /// AK502 / IK502 transaction set syntax error code (718).
    Set(u16),
    /// AK304 / IK304 segment syntax error code (720).
    Segment(u16),
    /// AK403 / IK403 element syntax error code (723).
    Element(u16),
}

/// Where a diagnostic points. Every field is optional because faults happen at different depths.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Byte offset in the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<String>,
    /// 1-based position of the segment within its transaction set (ST = 1),
    /// or within the interchange for envelope segments outside a set (ISA = 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_position: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interchange_control: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_control: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_control: Option<String>,
    /// The offending value, when it is useful in an AK404 / IK404.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bad_value: Option<String>,
    /// The loop the segment sits in (AK303 / IK303), from the structure rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_id: Option<String>,
}

/// A finding about the input, with a human message and the ack code it implies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<AckCode>,
    pub location: Location,
    pub message: String,
}

impl Diagnostic {
    pub fn error(code: Option<AckCode>, location: Location, message: String) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            location,
            message,
        }
    }
    pub fn warning(location: Location, message: String) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code: None,
            location,
            message,
        }
    }
    pub fn info(location: Location, message: String) -> Self {
        Diagnostic {
            severity: Severity::Info,
            code: None,
            location,
            message,
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Lossy text of partner bytes for messages and canonical fields (never fails).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// [`text`] kept inline when short (nearly every EDI value): what mappers store in
/// canonical documents without an allocation per value.
#[inline]
pub fn compact_text(bytes: &[u8]) -> compact_str::CompactString {
    match std::str::from_utf8(bytes) {
        Ok(s) => compact_str::CompactString::new(s),
        Err(_) => compact_str::CompactString::from_utf8_lossy(bytes),
    }
}
