//! Findings about partner bytes shared by every syntax: severity, the acknowledgement code each implies (X12 TA1/AK/IK, EDIFACT CONTRL), where it points, and lossy text helpers. Pure.

use serde::{Deserialize, Serialize};

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
    /// EDIFACT syntax error code (0085) for a CONTRL; the level (UCI, UCF, UCM, UCS, UCD)
    /// follows from how deep the location points.
    Contrl(u16),
}

/// Where a diagnostic points. Every field is optional because faults happen at different depths.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Byte offset in the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<String>,
    /// 1-based position of the segment within its transaction set or message (ST = 1,
    /// UNH = 1), or within the interchange for envelope segments outside one (ISA = 1).
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
