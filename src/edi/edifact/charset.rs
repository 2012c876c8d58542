//! EDIFACT character repertoires (UNB S001/0001: UNOA, UNOB, UNOC…UNOK, UNOW, UNOY): which bytes each allows, and how its text decodes. A byte outside the declared set is reported, not silently passed.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The syntax identifier's character repertoire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Charset {
    /// Level A: upper-case letters, digits, space and `.,-()/='+:?!"%&*;<>`.
    Unoa,
    /// Level B: level A plus lower-case letters and the other printable ASCII characters.
    Unob,
    /// ISO 8859-1 (Latin-1): printable ASCII and 0xA0–0xFF.
    Unoc,
    /// ISO 8859-2 … 8859-9 and 8859-15 (UNOD…UNOK): the same byte ranges as UNOC. Their
    /// upper halves are decoded as Latin-1 for display (a known approximation).
    Iso8859(u8),
    /// UTF-8 (UNOW, UNOY): any valid UTF-8 without control characters.
    Utf8,
    /// ISO 2022 (UNOX) and unlisted identifiers: bytes are not checked.
    Unchecked,
}

impl Charset {
    /// From UNB S001 0001; `None` for an identifier this gateway does not know.
    pub fn from_id(id: &[u8]) -> Option<Charset> {
        Some(match id {
            b"UNOA" => Charset::Unoa,
            b"UNOB" => Charset::Unob,
            b"UNOC" => Charset::Unoc,
            b"UNOD" => Charset::Iso8859(2),
            b"UNOE" => Charset::Iso8859(5),
            b"UNOF" => Charset::Iso8859(7),
            b"UNOG" => Charset::Iso8859(3),
            b"UNOH" => Charset::Iso8859(4),
            b"UNOI" => Charset::Iso8859(6),
            b"UNOJ" => Charset::Iso8859(8),
            b"UNOK" => Charset::Iso8859(9),
            b"UNOW" | b"UNOY" => Charset::Utf8,
            b"UNOX" => Charset::Unchecked,
            _ => return None,
        })
    }

    /// The identifier to write in an outbound UNB.
    pub fn id(&self) -> &'static str {
        match self {
            Charset::Unoa => "UNOA",
            Charset::Unob => "UNOB",
            Charset::Unoc => "UNOC",
            Charset::Iso8859(2) => "UNOD",
            Charset::Iso8859(5) => "UNOE",
            Charset::Iso8859(7) => "UNOF",
            Charset::Iso8859(3) => "UNOG",
            Charset::Iso8859(4) => "UNOH",
            Charset::Iso8859(6) => "UNOI",
            Charset::Iso8859(8) => "UNOJ",
            Charset::Iso8859(_) => "UNOK",
            Charset::Utf8 => "UNOY",
            Charset::Unchecked => "UNOX",
        }
    }

    /// The first byte of `bytes` outside this repertoire, as (index, byte). Service
    /// characters are part of every repertoire (the information separators of level B
    /// included), so a segment's bytes can be checked whole.
    pub fn first_invalid(&self, bytes: &[u8]) -> Option<(usize, u8)> {
        let table = match self {
            Charset::Unoa => &UNOA,
            Charset::Unob => &UNOB,
            Charset::Unoc | Charset::Iso8859(_) => &LATIN,
            Charset::Unchecked => return None,
            Charset::Utf8 => {
                return match std::str::from_utf8(bytes) {
                    Ok(s) => s
                        .bytes()
                        .position(|b| b < 0x20 && !(0x1C..=0x1F).contains(&b))
                        .and_then(|i| Some((i, *bytes.get(i)?))),
                    Err(e) => {
                        let i = e.valid_up_to();
                        bytes.get(i).map(|&b| (i, b))
                    }
                };
            }
        };
        // Most data is plain: a word-wide test that every byte is in 0x20..0x7F would not
        // help UNOA (which excludes lower case), so the table decides each byte.
        bytes
            .iter()
            .position(|&b| !allowed(table, b))
            .and_then(|i| Some((i, *bytes.get(i)?)))
    }

    /// Text of data bytes in this repertoire (release characters already removed).
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> Cow<'a, str> {
        match self {
            Charset::Unoc | Charset::Iso8859(_) if !bytes.is_ascii() => {
                Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect())
            }
            _ => String::from_utf8_lossy(bytes),
        }
    }

    /// Whether text can be written in this repertoire (for outbound documents).
    pub fn can_encode(&self, text: &str) -> Option<char> {
        match self {
            Charset::Utf8 | Charset::Unchecked => None,
            Charset::Unoc | Charset::Iso8859(_) => text
                .chars()
                .find(|&c| u32::from(c) > 0xFF || (c as u32) < 0x20),
            Charset::Unoa | Charset::Unob => text
                .chars()
                .find(|&c| !c.is_ascii() || !allowed(self.table(), c as u8)),
        }
    }

    fn table(&self) -> &'static [bool; 256] {
        match self {
            Charset::Unoa => &UNOA,
            Charset::Unob => &UNOB,
            _ => &LATIN,
        }
    }

    /// Bytes of `text` for an outbound segment in this repertoire.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        match self {
            Charset::Unoc | Charset::Iso8859(_) => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect(),
            _ => text.as_bytes().to_vec(),
        }
    }
}

/// How strictly an interchange is held to its declared repertoire (a partner profile's
/// `[edifact] repertoire`). ISO 9735 rejects lower-case letters in UNOA, but real partners
/// send them (Amazon-EU style orders); `Warn` takes UNOA data that is valid level B (printable
/// ASCII) with one warning per interchange. Bytes outside level B (control characters,
/// 8-bit bytes) are errors either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Repertoire {
    /// Level B characters in UNOA are accepted with a warning.
    #[default]
    Warn,
    /// Any byte outside the declared repertoire rejects (CONTRL 0085 code 21).
    Reject,
}

/// Whether the repertoire `table` allows byte `b`: a plain load in the hot loop (`get` with a
/// comparison of options cost the envelope check ~6 % in `benches/edifact_large.rs`).
#[inline(always)]
// A `u8` indexes a table of 256 entries: never out of range.
#[allow(clippy::indexing_slicing)]
fn allowed(table: &[bool; 256], b: u8) -> bool {
    table[usize::from(b)]
}

// `b` stays below 256 and a `u8` is below 256: every index is in range of the 256 entries; built
// in static items, where an index out of range would fail the build.
#[allow(clippy::indexing_slicing)]
const fn table(extra: &[u8], lower: bool, printable: bool, high: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_uppercase()
            || c.is_ascii_digit()
            || c == b' '
            || (lower && c.is_ascii_lowercase())
            || (printable && c >= 0x20 && c < 0x7F)
            || (high && c >= 0xA0)
            // IS1..IS4: the level B default separators.
            || (c >= 0x1C && c <= 0x1F);
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

/// Level A's punctuation (ISO 9735 part 1, annex B).
const UNOA_PUNCTUATION: &[u8] = b".,-()/='+:?!\"%&*;<>";
static UNOA: [bool; 256] = table(UNOA_PUNCTUATION, false, false, false);
static UNOB: [bool; 256] = table(UNOA_PUNCTUATION, true, true, false);
static LATIN: [bool; 256] = table(UNOA_PUNCTUATION, true, true, true);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn unoa_refuses_lower_case_and_eight_bit_bytes() {
        assert_eq!(Charset::Unoa.first_invalid(b"ACME 42 (UK)/X'+:?"), None);
        assert_eq!(Charset::Unoa.first_invalid(b"ACME ltd"), Some((5, b'l')));
        assert_eq!(Charset::Unoa.first_invalid(b"A\xE6B"), Some((1, 0xE6)));
        assert_eq!(Charset::Unob.first_invalid(b"Acme ltd @home"), None);
        assert_eq!(Charset::Unob.first_invalid(b"A\xE6B"), Some((1, 0xE6)));
        assert_eq!(Charset::Unoc.first_invalid(b"Gr\xFC\xDFe"), None);
        assert_eq!(Charset::Unoc.first_invalid(b"A\x85B"), Some((1, 0x85)));
        assert_eq!(Charset::Utf8.first_invalid("天津".as_bytes()), None);
        assert_eq!(Charset::Utf8.first_invalid(b"ok\xFF"), Some((2, 0xFF)));
    }

    #[test]
    fn latin_text_decodes_byte_by_byte() {
        assert_eq!(Charset::Unoc.decode(b"Gr\xFC\xDFe"), "Grüße");
        assert_eq!(Charset::Unoc.encode("Grüße"), b"Gr\xFC\xDFe".to_vec());
        assert_eq!(Charset::Unoa.can_encode("ACME"), None);
        assert_eq!(Charset::Unoa.can_encode("Acme"), Some('c'));
    }
}
