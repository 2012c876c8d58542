//! X12 segment writer and outbound envelope settings. Refuses data containing a delimiter (X12 has no release character). Must not depend on I/O, async or the database.

use super::{Delimiters, X12Error};
use serde::{Deserialize, Serialize};

/// One outbound element: simple, or composite (components joined by the component separator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem<'a> {
    Simple(&'a str),
    Composite(&'a [&'a str]),
}

impl<'a> From<&'a str> for Elem<'a> {
    fn from(s: &'a str) -> Self {
        Elem::Simple(s)
    }
}

impl Elem<'_> {
    fn is_empty(&self) -> bool {
        match self {
            Elem::Simple(s) => s.is_empty(),
            Elem::Composite(c) => c.iter().all(|s| s.is_empty()),
        }
    }
}

/// Outbound interchange settings (who we are, who they are, numbering, delimiters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundEnvelope {
    pub sender_qualifier: String,
    pub sender_id: String,
    pub receiver_qualifier: String,
    pub receiver_id: String,
    pub interchange_control: u32,
    pub group_control: u32,
    /// CCYYMMDD; ISA09 uses its last 6 digits.
    pub date: String,
    /// HHMM.
    pub time: String,
    /// 'P' or 'T'.
    pub usage: char,
    /// ISA12, e.g. "00401" or "00501".
    pub version: String,
    /// GS08, e.g. "004010" or "005010" ("005010X231A1" for a 999).
    pub gs_version: String,
    pub delimiters: Delimiters,
}

impl OutboundEnvelope {
    /// Checks the fixed-form fields before anything is written.
    pub fn validate(&self) -> Result<(), X12Error> {
        let bad = |field: &'static str, reason: &str| {
            Err(X12Error::InvalidOutbound {
                field,
                reason: reason.to_string(),
            })
        };
        self.delimiters.validate()?;
        if self.date.len() != 8 || !self.date.bytes().all(|b| b.is_ascii_digit()) {
            return bad("date", "must be CCYYMMDD");
        }
        if self.time.len() != 4 || !self.time.bytes().all(|b| b.is_ascii_digit()) {
            return bad("time", "must be HHMM");
        }
        if !matches!(self.usage, 'P' | 'T') {
            return bad("usage", "must be P or T");
        }
        if self.version.len() != 5 || !self.version.bytes().all(|b| b.is_ascii_digit()) {
            return bad("version", "must be 5 digits");
        }
        if self.interchange_control > 999_999_999 {
            return bad("interchange_control", "must fit 9 digits");
        }
        if self.sender_qualifier.len() != 2 || self.receiver_qualifier.len() != 2 {
            return bad("qualifier", "ISA05/ISA07 must be 2 characters");
        }
        if self.sender_id.is_empty() || self.sender_id.len() > 15 {
            return bad("sender_id", "must be 1-15 characters");
        }
        if self.receiver_id.is_empty() || self.receiver_id.len() > 15 {
            return bad("receiver_id", "must be 1-15 characters");
        }
        Ok(())
    }

    /// ISA09: YYMMDD.
    pub fn yymmdd(&self) -> &str {
        self.date.get(2..).unwrap_or("")
    }
}

/// Appends segments to a buffer and counts them (for SE01).
#[derive(Debug, Clone)]
pub struct SegmentWriter {
    buf: Vec<u8>,
    delims: Delimiters,
    counted: u32,
}

impl SegmentWriter {
    pub fn new(delims: Delimiters) -> Result<Self, X12Error> {
        delims.validate()?;
        Ok(SegmentWriter {
            buf: Vec::new(),
            delims,
            counted: 0,
        })
    }

    /// Segments written since the last [`SegmentWriter::reset_count`].
    pub fn count(&self) -> u32 {
        self.counted
    }

    pub fn reset_count(&mut self) {
        self.counted = 0;
    }

    fn check(&self, segment: &str, element: usize, value: &str) -> Result<(), X12Error> {
        // Line breaks would be skipped by readers after a terminator: refuse them too.
        match value
            .bytes()
            .find(|&b| self.delims.is_delimiter(b) || b == b'\r' || b == b'\n')
        {
            Some(byte) => Err(X12Error::DelimiterInData {
                segment: segment.to_string(),
                element,
                byte,
            }),
            None => Ok(()),
        }
    }

    /// Writes one segment; trailing empty elements are dropped as X12 requires.
    pub fn segment(&mut self, id: &str, elements: &[Elem<'_>]) -> Result<(), X12Error> {
        if id.len() < 2
            || id.len() > 3
            || !id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(X12Error::InvalidOutbound {
                field: "segment id",
                reason: format!("{id:?} is not 2-3 upper-case letters or digits"),
            });
        }
        let used = elements
            .iter()
            .rposition(|e| !e.is_empty())
            .map_or(0, |i| i + 1);
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(id.as_bytes());
        for (i, e) in elements.iter().take(used).enumerate() {
            out.push(self.delims.element);
            match e {
                Elem::Simple(s) => {
                    self.check(id, i + 1, s)?;
                    out.extend_from_slice(s.as_bytes());
                }
                Elem::Composite(parts) => {
                    let last = parts
                        .iter()
                        .rposition(|p| !p.is_empty())
                        .map_or(0, |i| i + 1);
                    for (k, p) in parts.iter().take(last).enumerate() {
                        self.check(id, i + 1, p)?;
                        if k > 0 {
                            out.push(self.delims.component);
                        }
                        out.extend_from_slice(p.as_bytes());
                    }
                }
            }
        }
        self.push_raw(&out);
        Ok(())
    }

    /// Convenience for all-simple segments.
    pub fn simple(&mut self, id: &str, elements: &[&str]) -> Result<(), X12Error> {
        let elems: Vec<Elem<'_>> = elements.iter().map(|s| Elem::Simple(s)).collect();
        self.segment(id, &elems)
    }

    fn push_raw(&mut self, body: &[u8]) {
        self.buf.extend_from_slice(body);
        self.buf.push(self.delims.segment);
        if self.delims.newline_after_segment {
            self.buf.push(b'\n');
        }
        self.counted = self.counted.saturating_add(1);
    }

    /// Writes the fixed-width ISA (ISA06/08 padded to 15, ISA13 zero-padded to 9).
    pub fn isa(&mut self, env: &OutboundEnvelope, ack_requested: bool) -> Result<(), X12Error> {
        env.validate()?;
        let isa11 = if env.version.as_str() >= "00402" {
            match self.delims.repetition {
                Some(r) => (r as char).to_string(),
                None => "U".to_string(),
            }
        } else {
            "U".to_string()
        };
        let fields = [
            "00".to_string(),
            " ".repeat(10),
            "00".to_string(),
            " ".repeat(10),
            env.sender_qualifier.clone(),
            format!("{:<15}", env.sender_id),
            env.receiver_qualifier.clone(),
            format!("{:<15}", env.receiver_id),
            env.yymmdd().to_string(),
            env.time.clone(),
            isa11.clone(),
            env.version.clone(),
            format!("{:09}", env.interchange_control),
            if ack_requested { "1" } else { "0" }.to_string(),
            env.usage.to_string(),
        ];
        let mut out = b"ISA".to_vec();
        for (i, f) in fields.iter().enumerate() {
            // ISA11 legitimately holds the repetition separator itself.
            if i + 1 != 11 {
                self.check("ISA", i + 1, f)?;
            }
            out.push(self.delims.element);
            out.extend_from_slice(f.as_bytes());
        }
        out.push(self.delims.element);
        out.push(self.delims.component);
        self.push_raw(&out);
        Ok(())
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn refuses_delimiters_and_trims_trailing_empties() {
        let mut w = SegmentWriter::new(Delimiters::default()).unwrap();
        assert!(matches!(
            w.simple("N1", &["ST", "A*B"]),
            Err(X12Error::DelimiterInData {
                element: 2,
                byte: b'*',
                ..
            })
        ));
        assert!(w.simple("N1", &["ST", "A:B"]).is_err());
        assert!(w.simple("N1", &["ST", "A^B"]).is_err());
        assert!(w.simple("n1", &["ST"]).is_err());
        w.simple("N1", &["ST", "", "", ""]).unwrap();
        w.segment(
            "AK4",
            &[Elem::Composite(&["2", "1", ""]), "66".into(), "7".into()],
        )
        .unwrap();
        assert_eq!(w.count(), 2);
        assert_eq!(w.into_bytes(), b"N1*ST~AK4*2:1*66*7~".to_vec());
    }

    #[test]
    fn isa_is_fixed_width() {
        let env = OutboundEnvelope {
            sender_qualifier: "ZZ".into(),
            sender_id: "ME".into(),
            receiver_qualifier: "01".into(),
            receiver_id: "THEM".into(),
            interchange_control: 42,
            group_control: 7,
            date: "20240102".into(),
            time: "1030".into(),
            usage: 'T',
            version: "00401".into(),
            gs_version: "004010".into(),
            delimiters: Delimiters {
                newline_after_segment: true,
                ..Delimiters::default()
            },
        };
        let mut w = SegmentWriter::new(env.delimiters).unwrap();
        w.isa(&env, false).unwrap();
        let out = w.into_bytes();
        assert_eq!(out.len(), 106 + 1);
        assert!(out.starts_with(b"ISA*00*          *00*          *ZZ*ME             *01*THEM           *240102*1030*U*00401*000000042*0*T*:~\n"));
    }
}
