//! A partner's CONTRL (syntax and service report) → the canonical `InterchangeAck`: UCI for the interchange Wharf sent (0020, parties, 0083 action, 0085 code), UCF and UCM for its groups and messages. Read like a 997 so Wharf's messages are marked acknowledged or rejected; a CONTRL is never answered. Pure.

use super::Faults;
use super::orders::text;
use crate::edi::edifact::{Segment, code};
use crate::model::{InterchangeAck, InterchangeAckKind, MessageVerdict, SourceRef, Verdict};

/// Reads one CONTRL body (UNH/UNT excluded). `None` when it has no usable UCI (reported in
/// `f`): without the interchange reference nothing can be matched.
pub fn map_contrl(
    segments: &[Segment<'_>],
    source: SourceRef,
    f: &mut Faults,
) -> Option<InterchangeAck> {
    let mut ack: Option<InterchangeAck> = None;
    // The group (UCF) the following UCMs belong to: its reference and verdict.
    let mut group: Option<(Option<crate::model::Text>, Verdict)> = None;
    for seg in segments {
        match seg.tag {
            b"UCI" => {
                let Some(reference) = text(seg, 1, 1) else {
                    f.element(
                        seg,
                        1,
                        1,
                        code::MISSING,
                        "UCI 0020 (the reference of the interchange acknowledged) is missing"
                            .into(),
                    );
                    continue;
                };
                let Some(action) = text(seg, 4, 1) else {
                    f.element(
                        seg,
                        4,
                        1,
                        code::MISSING,
                        "UCI 0083 (action) is missing".into(),
                    );
                    continue;
                };
                ack = Some(InterchangeAck {
                    kind: InterchangeAckKind::Contrl,
                    interchange_control: reference,
                    date: None,
                    time: None,
                    sender: text(seg, 2, 1),
                    recipient: text(seg, 3, 1),
                    verdict: Verdict::from_0083(action.as_str()),
                    code: action,
                    note_code: text(seg, 5, 1),
                    messages: Vec::new(),
                    source: source.clone(),
                });
            }
            b"UCF" => {
                let verdict =
                    text(seg, 4, 1).map_or(Verdict::Unknown, |a| Verdict::from_0083(a.as_str()));
                group = Some((text(seg, 1, 1), verdict));
            }
            b"UCM" => {
                let Some(a) = ack.as_mut() else { continue };
                let Some(reference) = text(seg, 1, 1) else {
                    f.element(
                        seg,
                        1,
                        1,
                        code::MISSING,
                        "UCM 0062 (the reference of the message acknowledged) is missing".into(),
                    );
                    continue;
                };
                let action = text(seg, 3, 1).unwrap_or_default();
                let mut verdict = Verdict::from_0083(action.as_str());
                // A rejected group (UCF action 4) rejects every message in it.
                if group.as_ref().is_some_and(|g| g.1 == Verdict::Rejected) {
                    verdict = Verdict::Rejected;
                }
                a.messages.push(MessageVerdict {
                    reference,
                    message_type: text(seg, 2, 1).unwrap_or_default(),
                    group: group.as_ref().and_then(|g| g.0.clone()),
                    verdict,
                    code: action,
                    error_code: text(seg, 4, 1),
                });
            }
            // UCS/UCD locate the faults inside a message; the UCM's verdict already says
            // what became of it.
            _ => {}
        }
    }
    if ack.is_none() && f.is_clean() {
        f.message(
            code::MISSING,
            format!(
                "CONTRL {} has no UCI: it cannot be matched to an interchange Wharf sent",
                source.set_control
            ),
        );
    }
    ack
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::edi::edifact::Location;
    use crate::edi::edifact::reader::Reader;

    fn source() -> SourceRef {
        SourceRef {
            standard: "EDIFACT".into(),
            version: "D:3".into(),
            interchange_control: "77".into(),
            group_control: "".into(),
            set_control: "1".into(),
            sender_id: "EUROFOODS".into(),
            receiver_id: "WHARF".into(),
        }
    }

    fn read(text: &str) -> (Option<InterchangeAck>, Faults) {
        let mut r = Reader::new(text.as_bytes());
        let mut segs = Vec::new();
        while let Ok(Some(s)) = r.next_segment() {
            if !matches!(s.tag, b"UNB" | b"UNH" | b"UNT" | b"UNZ") {
                segs.push(s);
            }
        }
        let mut f = Faults::new(Location::default());
        (map_contrl(&segs, source(), &mut f), f)
    }

    #[test]
    fn reads_uci_and_ucm_verdicts() {
        let (a, f) = read(
            "UNB+UNOA:3+EUROFOODS:14+WHARF:14+261126:1200+77'UNH+1+CONTRL:D:3:UN'\
UCI+12+WHARF:14+EUROFOODS:14+7'UCM+1+DESADV:D:96A:UN:EAN005+4+13'UCS+5+13'UNT+5+1'UNZ+1+77'",
        );
        assert!(f.is_clean(), "{:?}", f.found);
        let a = a.unwrap();
        assert_eq!(
            (
                a.interchange_control.as_str(),
                a.verdict,
                a.sender.as_deref()
            ),
            ("12", Verdict::Accepted, Some("WHARF"))
        );
        let m = &a.messages[0];
        assert_eq!(
            (
                m.reference.as_str(),
                m.message_type.as_str(),
                m.verdict,
                m.error_code.as_deref()
            ),
            ("1", "DESADV", Verdict::Rejected, Some("13"))
        );
    }

    #[test]
    fn an_undefined_action_is_unknown_not_accepted() {
        let (a, _) = read(
            "UNB+UNOA:3+EUROFOODS+WHARF+261126:1200+77'UNH+1+CONTRL:D:3:UN'\
UCI+12+WHARF+EUROFOODS+9'UNT+3+1'UNZ+1+77'",
        );
        assert_eq!(a.unwrap().verdict, Verdict::Unknown);
        let (a, _) = read(
            "UNB+UNOA:3+EUROFOODS+WHARF+261126:1200+77'UNH+1+CONTRL:D:3:UN'\
UCI+12+WHARF+EUROFOODS+8'UNT+3+1'UNZ+1+77'",
        );
        assert_eq!(a.unwrap().verdict, Verdict::Received);
    }

    #[test]
    fn a_contrl_without_uci_is_a_fault() {
        let (a, f) =
            read("UNB+UNOA:3+EUROFOODS+WHARF+261126:1200+77'UNH+1+CONTRL:D:3:UN'UNT+2+1'UNZ+1+77'");
        assert!(a.is_none());
        assert!(!f.is_clean());
    }
}
