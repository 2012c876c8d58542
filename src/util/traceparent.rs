//! W3C Trace Context's `traceparent` header (version 00): parsed strictly, made fresh, written
//! back. A message's trace context is stored with it, so every stage on every instance joins
//! one trace. Knows nothing of ours.
//!
//! The header comes from outside (a partner's HTTP request), so [`TraceParent::parse`] takes
//! any text and answers `None` for anything the specification does not allow, never an error
//! or a panic: a caller ignores a bad header and starts a fresh trace.

use std::fmt;

/// A trace id, the id of the span it continues from, and whether the trace is sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent {
    trace_id: [u8; 16],
    parent_id: [u8; 8],
    sampled: bool,
}

/// Length of a version-00 header: `00-` + 32 + `-` + 16 + `-` + 2.
const LEN: usize = 55;

impl TraceParent {
    /// Reads a `traceparent` value. Version 00 must be exactly 55 characters; a later version
    /// may carry more after a `-` (the specification's forward compatibility), of which only
    /// the version-00 fields are read. Lowercase hex only; an all-zero trace or parent id,
    /// and version `ff`, are invalid.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < LEN {
            return None;
        }
        let version = hex_byte(b[0], b[1])?;
        if version == 0xff || (version == 0 && b.len() != LEN) {
            return None;
        }
        if b.len() > LEN && b[LEN] != b'-' {
            return None;
        }
        if b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
            return None;
        }
        let mut trace_id = [0u8; 16];
        for (i, out) in trace_id.iter_mut().enumerate() {
            *out = hex_byte(b[3 + 2 * i], b[4 + 2 * i])?;
        }
        let mut parent_id = [0u8; 8];
        for (i, out) in parent_id.iter_mut().enumerate() {
            *out = hex_byte(b[36 + 2 * i], b[37 + 2 * i])?;
        }
        let flags = hex_byte(b[53], b[54])?;
        if trace_id == [0; 16] || parent_id == [0; 8] {
            return None;
        }
        Some(Self {
            trace_id,
            parent_id,
            sampled: flags & 1 == 1,
        })
    }

    /// A new trace, sampled (the exporter's own sampler decides what it keeps).
    pub fn fresh() -> Self {
        Self {
            trace_id: nonzero(rand::random),
            parent_id: nonzero(rand::random),
            sampled: true,
        }
    }

    /// From the parts of a span context; `None` when either id is all zero (not a span).
    pub fn from_parts(trace_id: [u8; 16], parent_id: [u8; 8], sampled: bool) -> Option<Self> {
        (trace_id != [0; 16] && parent_id != [0; 8]).then_some(Self {
            trace_id,
            parent_id,
            sampled,
        })
    }

    /// The same trace, continued from another span (the caller's own, for a request it makes).
    pub fn with_parent(self, parent_id: [u8; 8]) -> Self {
        if parent_id == [0; 8] {
            return self;
        }
        Self { parent_id, ..self }
    }

    pub fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }

    pub fn parent_id(&self) -> [u8; 8] {
        self.parent_id
    }

    pub fn sampled(&self) -> bool {
        self.sampled
    }

    /// The trace id as 32 lowercase hex digits (what log lines and events carry).
    pub fn trace_id_hex(&self) -> String {
        hex::encode(self.trace_id)
    }
}

/// The header value, version 00. Flags other than `sampled` are written as zero, as the
/// specification asks of a version-00 writer that does not know them.
impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{:02x}",
            hex::encode(self.trace_id),
            hex::encode(self.parent_id),
            u8::from(self.sampled)
        )
    }
}

fn nonzero<const N: usize>(mut make: impl FnMut() -> [u8; N]) -> [u8; N] {
    loop {
        let v = make();
        if v != [0; N] {
            return v;
        }
    }
}

/// Two lowercase hex digits; uppercase is refused (the specification allows only lowercase).
fn hex_byte(hi: u8, lo: u8) -> Option<u8> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    Some(digit(hi)? << 4 | digit(lo)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn reads_the_specifications_example_and_writes_it_back() {
        let t = TraceParent::parse(SPEC).unwrap();
        assert_eq!(t.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(hex::encode(t.parent_id()), "00f067aa0ba902b7");
        assert!(t.sampled());
        assert_eq!(t.to_string(), SPEC);
        let unsampled = TraceParent::parse(&SPEC.replace("-01", "-00")).unwrap();
        assert!(!unsampled.sampled());
    }

    #[test]
    fn refuses_what_the_specification_does_not_allow() {
        let bad = [
            "",
            "00",
            &SPEC[..54],
            &format!("{SPEC}-"),
            &format!("{SPEC}0"),
            &SPEC.to_uppercase(),
            &SPEC.replace("4bf9", "4BF9"),
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
            " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            // Multi-byte characters where hex digits belong: refused, not sliced mid-character.
            "00-4bf92f3577b34da6a3ce929d0e0e47é-00f067aa0ba902b7-01",
            "zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ];
        for b in bad {
            assert_eq!(TraceParent::parse(b), None, "{b:?} was accepted");
        }
    }

    #[test]
    fn a_later_version_is_read_for_its_version_00_fields() {
        let later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-what-comes-next";
        let t = TraceParent::parse(later).unwrap();
        assert_eq!(
            t.to_string(),
            SPEC,
            "written back as version 00, unknown flags zero"
        );
        let exact = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert!(TraceParent::parse(exact).is_some());
        assert!(TraceParent::parse(&format!("{exact}x")).is_none());
    }

    #[test]
    fn fresh_contexts_are_valid_and_differ() {
        let a = TraceParent::fresh();
        let b = TraceParent::fresh();
        assert_ne!(a.trace_id(), b.trace_id());
        assert_eq!(TraceParent::parse(&a.to_string()), Some(a));
        let child = a.with_parent([7; 8]);
        assert_eq!(child.trace_id(), a.trace_id());
        assert_eq!(child.parent_id(), [7; 8]);
        assert_eq!(a.with_parent([0; 8]), a);
        assert!(TraceParent::from_parts([0; 16], [1; 8], true).is_none());
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_not_without_panicking_and_round_trips(s in ".{0,80}") {
            if let Some(t) = TraceParent::parse(&s) {
                proptest::prop_assert_eq!(TraceParent::parse(&t.to_string()), Some(t));
            }
        }

        #[test]
        fn every_valid_context_round_trips(t in proptest::array::uniform16(1u8..), p in proptest::array::uniform8(1u8..), s: bool) {
            let tp = TraceParent::from_parts(t, p, s).unwrap();
            proptest::prop_assert_eq!(TraceParent::parse(&tp.to_string()), Some(tp));
        }
    }
}
