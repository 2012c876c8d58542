//! X12 syntax: delimiters, typed errors and diagnostics shared by the reader, envelope checker and writers. Must not depend on I/O, async or the database.

pub mod envelope;
pub mod reader;
pub mod rules;
pub mod writer;

use serde::{Deserialize, Serialize};

/// GS1 identifiers live in [`crate::edi::gs1`]; the name under `x12` stays for callers on
/// parallel branches.
pub use super::gs1;
pub use envelope::{
    Group, Interchange, IsaHeader, KnownSet, TransactionSet, TransactionSetEnvelope,
    UsageIndicator, parse_interchanges, peek_isa,
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

pub use crate::edi::diag::{AckCode, Diagnostic, Location, Severity, compact_text, text};
