//! EDIFACT writer: UNA, UNB/UNZ and UNH/UNT with counts, every data value released (`?+ ?: ?' ??`) and checked against the interchange's character set. Pure: bytes in memory.

use super::envelope::Party;
use super::{Charset, EdifactError, ServiceChars};

/// One outbound segment: a tag and its elements, each a list of components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutSegment {
    pub tag: &'static str,
    pub elements: Vec<Vec<String>>,
}

impl OutSegment {
    pub fn new(tag: &'static str) -> Self {
        OutSegment {
            tag,
            elements: Vec::new(),
        }
    }

    /// A simple element.
    pub fn e(mut self, value: impl Into<String>) -> Self {
        self.elements.push(vec![value.into()]);
        self
    }

    /// An optional simple element (empty when `None`).
    pub fn o(self, value: Option<&str>) -> Self {
        self.e(value.unwrap_or_default())
    }

    /// A composite element from its components.
    pub fn c(mut self, components: &[&str]) -> Self {
        self.elements
            .push(components.iter().map(|c| (*c).to_owned()).collect());
        self
    }
}

/// A message to write: UNH reference, message identifier (S009) and body segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutMessage {
    pub reference: String,
    /// Type, version, release, agency and (optionally) association assigned code.
    pub identifier: Vec<String>,
    pub segments: Vec<OutSegment>,
}

/// The interchange envelope to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutInterchange {
    pub chars: ServiceChars,
    pub charset: Charset,
    pub syntax_version: u8,
    pub sender: Party,
    pub recipient: Party,
    /// YYMMDD (or CCYYMMDD under syntax 4) and HHMM.
    pub date: String,
    pub time: String,
    pub reference: String,
    pub application_ref: Option<String>,
    /// UNB 0031 = 1.
    pub ack_request: bool,
    /// UNB 0035 = 1.
    pub test: bool,
    /// Write a UNA first (EANCOM partners expect it; always safe).
    pub una: bool,
    /// A line break after each segment terminator (readers skip it).
    pub newline: bool,
}

/// UNB S004 date and time for `now`: CCYYMMDD under syntax 4, YYMMDD before it; HHMM.
pub fn unb_date_time(syntax_version: u8, now: time::OffsetDateTime) -> (String, String) {
    let (year, month, day) = (now.year(), u8::from(now.month()), now.day());
    let date = if syntax_version >= 4 {
        format!("{year:04}{month:02}{day:02}")
    } else {
        format!("{:02}{month:02}{day:02}", year.rem_euclid(100))
    };
    (date, format!("{:02}{:02}", now.hour(), now.minute()))
}

/// Appends `text` as data: every service character released; refused when the character
/// set cannot carry it or there is no release character to escape with.
fn push_data(
    out: &mut Vec<u8>,
    text: &str,
    chars: ServiceChars,
    charset: Charset,
    field: &'static str,
) -> Result<(), EdifactError> {
    if let Some(c) = charset.can_encode(text) {
        return Err(EdifactError::InvalidOutbound {
            field,
            reason: format!("{c:?} cannot be written in {}", charset.id()),
        });
    }
    for b in charset.encode(text) {
        if chars.is_service(b) {
            let Some(r) = chars.release else {
                return Err(EdifactError::InvalidOutbound {
                    field,
                    reason: format!(
                        "{:?} is a service character and the interchange has no release character",
                        char::from(b)
                    ),
                });
            };
            out.push(r);
        }
        out.push(b);
    }
    Ok(())
}

/// Appends one segment, trailing empty elements and components left out.
pub fn push_segment(
    out: &mut Vec<u8>,
    seg: &OutSegment,
    chars: ServiceChars,
    charset: Charset,
    newline: bool,
) -> Result<(), EdifactError> {
    out.extend_from_slice(seg.tag.as_bytes());
    let used = seg
        .elements
        .iter()
        .rposition(|e| e.iter().any(|c| !c.is_empty()))
        .map_or(0, |i| i + 1);
    for element in seg.elements.iter().take(used) {
        out.push(chars.element);
        let comps = element
            .iter()
            .rposition(|c| !c.is_empty())
            .map_or(0, |i| i + 1);
        for (k, component) in element.iter().take(comps).enumerate() {
            if k > 0 {
                out.push(chars.component);
            }
            push_data(out, component, chars, charset, seg.tag)?;
        }
    }
    out.push(chars.segment);
    if newline {
        out.push(b'\n');
    }
    Ok(())
}

/// Writes a whole interchange: UNA (if asked), UNB, each message framed by UNH/UNT with
/// its segment count, and UNZ with the message count.
pub fn write(ic: &OutInterchange, messages: &[OutMessage]) -> Result<Vec<u8>, EdifactError> {
    let chars = ic.chars.for_version(ic.syntax_version, ic.una);
    let charset = ic.charset;
    let mut out = Vec::with_capacity(512);
    if ic.una {
        out.extend_from_slice(&chars.una());
        if ic.newline {
            out.push(b'\n');
        }
    }
    let version = ic.syntax_version.to_string();
    let party = |p: &Party| -> Vec<String> {
        let mut v = vec![p.id.clone()];
        v.extend(p.qualifier.clone());
        v
    };
    let unb = OutSegment {
        tag: "UNB",
        elements: vec![
            vec![charset.id().to_owned(), version],
            party(&ic.sender),
            party(&ic.recipient),
            vec![ic.date.clone(), ic.time.clone()],
            vec![ic.reference.clone()],
            vec![String::new()],
            vec![ic.application_ref.clone().unwrap_or_default()],
            vec![String::new()],
            vec![if ic.ack_request { "1" } else { "" }.to_owned()],
            vec![String::new()],
            vec![if ic.test { "1" } else { "" }.to_owned()],
        ],
    };
    push_segment(&mut out, &unb, chars, charset, ic.newline)?;
    for m in messages {
        let unh = OutSegment {
            tag: "UNH",
            elements: vec![vec![m.reference.clone()], m.identifier.clone()],
        };
        push_segment(&mut out, &unh, chars, charset, ic.newline)?;
        for s in &m.segments {
            push_segment(&mut out, s, chars, charset, ic.newline)?;
        }
        let unt = OutSegment::new("UNT")
            .e((m.segments.len() + 2).to_string())
            .e(m.reference.clone());
        push_segment(&mut out, &unt, chars, charset, ic.newline)?;
    }
    let unz = OutSegment::new("UNZ")
        .e(messages.len().to_string())
        .e(ic.reference.clone());
    push_segment(&mut out, &unz, chars, charset, ic.newline)?;
    Ok(out)
}
