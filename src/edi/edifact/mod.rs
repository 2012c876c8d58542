//! EDIFACT syntax (ISO 9735, syntax versions 1 to 4): service characters (UNA), the streaming tokenizer, envelope checks, character sets, the writer and CONTRL. Must not depend on I/O, async or the database.

pub mod charset;
pub mod contrl;
pub mod envelope;
pub mod reader;
pub mod rules;
pub mod structure;
pub mod writer;

pub use crate::edi::diag::{AckCode, Diagnostic, Location, Severity};
pub use charset::{Charset, Repertoire};
pub use reader::{Element, Reader, Segment};

use serde::{Deserialize, Serialize};

/// The service characters of one interchange: from its UNA, or the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceChars {
    /// UNA1, `:` by default.
    pub component: u8,
    /// UNA2, `+` by default.
    pub element: u8,
    /// UNA3, the decimal mark partners use in numbers (`.` or `,`).
    pub decimal: u8,
    /// UNA4, `?` by default; `None` when UNA4 is a space (no release character).
    pub release: Option<u8>,
    /// UNA5 under syntax version 4 (`*` by default); `None` under earlier versions, where
    /// UNA5 is reserved.
    pub repetition: Option<u8>,
    /// UNA6, `'` by default.
    pub segment: u8,
}

impl ServiceChars {
    /// ISO 9735 defaults when there is no UNA (levels A and B written with graphic
    /// characters): `:+.? '`; the repetition separator `*` is added for syntax version 4.
    pub const DEFAULT: ServiceChars = ServiceChars {
        component: b':',
        element: b'+',
        decimal: b'.',
        release: Some(b'?'),
        repetition: None,
        segment: b'\'',
    };

    /// Level B defaults with the information separators: IS1 (0x1F) between components,
    /// IS3 (0x1D) between elements, IS4 (0x1C) after segments, no release character.
    pub const INFORMATION_SEPARATORS: ServiceChars = ServiceChars {
        component: 0x1F,
        element: 0x1D,
        decimal: b'.',
        release: None,
        repetition: None,
        segment: 0x1C,
    };

    /// Reads UNA1..UNA6 (the six bytes after "UNA").
    pub fn from_una(six: &[u8]) -> Result<ServiceChars, UnaError> {
        let &[component, element, decimal, release, reserved, segment] = six else {
            return Err(UnaError::Length(six.len()));
        };
        let chars = ServiceChars {
            component,
            element,
            decimal,
            release: (release != b' ').then_some(release),
            repetition: (reserved != b' ').then_some(reserved),
            segment,
        };
        let separators = [component, element, segment];
        if separators.iter().any(u8::is_ascii_alphanumeric) {
            return Err(UnaError::Alphanumeric(
                String::from_utf8_lossy(&separators).into_owned(),
            ));
        }
        if component == element || component == segment || element == segment {
            return Err(UnaError::NotDistinct(
                String::from_utf8_lossy(&separators).into_owned(),
            ));
        }
        if let Some(r) = chars.release
            && separators.contains(&r)
        {
            return Err(UnaError::ReleaseIsSeparator(char::from(r)));
        }
        if decimal != b'.' && decimal != b',' {
            return Err(UnaError::DecimalMark(char::from(decimal)));
        }
        Ok(chars)
    }

    /// The characters in force once UNB's syntax version is known: version 4 has a
    /// repetition separator (`*` unless UNA5 said otherwise); earlier versions have none.
    pub fn for_version(mut self, version: u8, from_una: bool) -> ServiceChars {
        if version >= 4 {
            if !from_una || self.repetition.is_none() {
                self.repetition = self.repetition.or(Some(b'*'));
            }
        } else {
            self.repetition = None;
        }
        self
    }

    /// True when `b` is one of the service characters that must be released in data.
    #[inline]
    pub fn is_service(&self, b: u8) -> bool {
        b == self.component
            || b == self.element
            || b == self.segment
            || Some(b) == self.release
            || Some(b) == self.repetition
    }

    /// The UNA segment announcing these characters (9 bytes, no line break).
    pub fn una(&self) -> [u8; 9] {
        [
            b'U',
            b'N',
            b'A',
            self.component,
            self.element,
            self.decimal,
            self.release.unwrap_or(b' '),
            self.repetition.unwrap_or(b' '),
            self.segment,
        ]
    }
}

/// Faults that stop reading an input altogether or refuse an outbound value. Faults inside
/// an interchange are [`Diagnostic`] values instead, because they must become CONTRL
/// responses rather than abort processing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EdifactError {
    #[error("no UNA or UNB interchange header found (first non-blank byte at offset {offset})")]
    NoInterchange { offset: usize },
    #[error("UNA at byte offset {offset} is unusable: {reason}")]
    InvalidUna {
        offset: usize,
        #[source]
        reason: UnaError,
    },
    #[error("invalid outbound value for {field}: {reason}")]
    InvalidOutbound { field: &'static str, reason: String },
}

/// Why a UNA's six service characters cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnaError {
    #[error("UNA must be followed by 6 service characters, found {0}")]
    Length(usize),
    /// The component, element and segment separators, in that order.
    #[error("UNA separators {0:?} must not be letters or digits")]
    Alphanumeric(String),
    #[error("UNA separators {0:?} are not distinct")]
    NotDistinct(String),
    #[error("UNA4 release character {0:?} is also a separator")]
    ReleaseIsSeparator(char),
    #[error("UNA3 decimal mark {0:?} is neither '.' nor ','")]
    DecimalMark(char),
}

/// EDIFACT syntax error codes (data element 0085) the gateway reports.
pub mod code {
    /// Syntax version or level not supported.
    pub const SYNTAX_NOT_SUPPORTED: u16 = 2;
    /// Invalid value.
    pub const INVALID_VALUE: u16 = 12;
    /// Missing: a mandatory segment, element or component is absent.
    pub const MISSING: u16 = 13;
    /// Value not supported in this position.
    pub const VALUE_NOT_SUPPORTED: u16 = 14;
    /// Segment not supported in this position.
    pub const NOT_SUPPORTED_HERE: u16 = 15;
    /// Too many constituents (elements or components).
    pub const TOO_MANY_CONSTITUENTS: u16 = 16;
    /// Invalid decimal notation.
    pub const INVALID_DECIMAL: u16 = 19;
    /// Invalid character(s) for the declared character set.
    pub const INVALID_CHARACTERS: u16 = 21;
    /// Duplicate detected.
    pub const DUPLICATE: u16 = 26;
    /// References do not match (UNT02/UNH01, UNE02/UNG05, UNZ02/UNB05).
    pub const REFERENCES_DO_NOT_MATCH: u16 = 28;
    /// Control count does not match the number of instances received.
    pub const COUNT_MISMATCH: u16 = 29;
    /// Functional groups and messages mixed in one interchange.
    pub const GROUPS_AND_MESSAGES_MIXED: u16 = 30;
    /// A segment repeats more often than its table allows.
    pub const TOO_MANY_REPETITIONS: u16 = 35;
    /// A segment group repeats more often than its table allows.
    pub const TOO_MANY_GROUP_REPETITIONS: u16 = 36;
    /// Lower level empty (an interchange or group with no message).
    pub const LOWER_LEVEL_EMPTY: u16 = 32;
    /// Invalid type of character(s): a letter in a numeric element.
    pub const INVALID_CHARACTER_TYPE: u16 = 37;
    /// Data element too long.
    pub const TOO_LONG: u16 = 39;
}

/// A number as partners write it (decimal mark `.` or `,`, optional minus sign) in the form
/// `rust_decimal` reads; `None` when it is not a number.
pub fn normalise_number(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut digits = 0usize;
    let mut points = 0usize;
    for (i, c) in raw.chars().enumerate() {
        match c {
            '0'..='9' => {
                digits += 1;
                out.push(c);
            }
            '-' if i == 0 => out.push('-'),
            // ISO 9735 lets a receiver accept either mark whatever UNA3 says.
            '.' | ',' => {
                points += 1;
                out.push('.');
            }
            _ => return None,
        }
    }
    (digits > 0 && points <= 1).then_some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests;
