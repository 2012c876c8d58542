//! A partner's TA1 (interchange acknowledgement) → the canonical `InterchangeAck`, so the gateway can mark the interchange Wharf sent as acknowledged or rejected. A TA1 is read, never answered: acknowledging an acknowledgement would loop between two gateways. Pure: no I/O.

use crate::edi::x12::{Diagnostic, Location, Segment};
use crate::model::{InterchangeAck, InterchangeAckKind, SourceRef, Verdict};

fn digits(v: &[u8], len: usize) -> bool {
    v.len() == len && v.iter().all(u8::is_ascii_digit)
}

/// Reads one TA1 segment. `Err` holds why it cannot be used (its ISA13 or code missing or
/// malformed): such a TA1 is reported, never guessed at.
pub fn map_ta1(seg: &Segment<'_>, source: SourceRef) -> Result<InterchangeAck, Box<Diagnostic>> {
    let at = |element: u32, why: String| {
        let loc = Location {
            interchange_control: Some(source.interchange_control.to_string()),
            segment_id: Some("TA1".into()),
            segment_position: Some(seg.position),
            element: Some(element),
            offset: Some(seg.offset),
            bad_value: seg.text(element as usize).map(|t| t.trim().to_string()),
            ..Location::default()
        };
        // No acknowledgement code: nothing is sent back for a TA1.
        Box::new(Diagnostic::error(
            None,
            loc,
            format!(
                "{why} in the partner's TA1 at byte {} (interchange {}); it cannot be matched to what Wharf sent",
                seg.offset, source.interchange_control
            ),
        ))
    };
    let control = seg.value(1).unwrap_or_default();
    if !digits(control, 9) {
        return Err(at(
            1,
            "TA101 (the acknowledged ISA13) is not 9 digits".into(),
        ));
    }
    let code = seg
        .text(4)
        .map(|t| t.trim().to_string())
        .unwrap_or_default();
    let verdict = Verdict::from_ta104(&code);
    if verdict == Verdict::Unknown {
        return Err(at(4, format!("TA104 {code:?} is not A, E or R")));
    }
    let note = seg.value(5).unwrap_or_default();
    if !digits(note, 3) {
        return Err(at(5, "TA105 (note code) is not 3 digits".into()));
    }
    let text = |n: usize| seg.text(n).map(|t| t.trim().into());
    Ok(InterchangeAck {
        kind: InterchangeAckKind::Ta1,
        interchange_control: text(1).unwrap_or_default(),
        date: text(2),
        time: text(3),
        sender: None,
        recipient: None,
        verdict,
        code: code.into(),
        note_code: text(5),
        messages: Vec::new(),
        source,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::edi::x12::Reader;

    fn source() -> SourceRef {
        SourceRef {
            standard: "X12".into(),
            version: "00401".into(),
            interchange_control: "000000077".into(),
            group_control: "".into(),
            set_control: "".into(),
            sender_id: "ACME".into(),
            receiver_id: "WHARF".into(),
        }
    }

    fn ta1(text: &str) -> Result<InterchangeAck, Box<Diagnostic>> {
        let mut r = Reader::new(text.as_bytes());
        let mut out = None;
        while let Ok(Some(s)) = r.next_segment() {
            if s.is("TA1") {
                out = Some(map_ta1(&s, source()));
            }
        }
        out.unwrap_or_else(|| panic!("no TA1 in {text}"))
    }

    const ISA: &str = "ISA*00*          *00*          *ZZ*ACME           *ZZ*WHARF          *261126*1200*U*00401*000000077*0*P*>~";

    #[test]
    fn reads_a_rejecting_ta1_with_its_note_code() {
        let a = ta1(&format!(
            "{ISA}TA1*000000005*261125*0900*R*022~IEA*0*000000077~"
        ))
        .unwrap();
        assert_eq!(
            (
                a.interchange_control.as_str(),
                a.verdict,
                a.note_code.as_deref()
            ),
            ("000000005", Verdict::Rejected, Some("022"))
        );
        assert_eq!(a.date.as_deref(), Some("261125"));
    }

    #[test]
    fn a_malformed_ta1_is_reported_not_guessed() {
        let e = ta1(&format!("{ISA}TA1*5*261125*0900*Q*022~IEA*0*000000077~")).unwrap_err();
        assert!(e.message.contains("TA101"), "{}", e.message);
        let e = ta1(&format!(
            "{ISA}TA1*000000005*261125*0900*Q*022~IEA*0*000000077~"
        ))
        .unwrap_err();
        assert!(e.message.contains("TA104"), "{}", e.message);
    }
}
