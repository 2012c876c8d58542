//! Inbound 997 / 999 → the canonical `FunctionalAck`, so the gateway can tell which of the
//! interchanges it sent a partner accepted or rejected. The structure rules have already
//! checked the set; this reads what it says. Pure: no I/O.

use crate::edi::x12::{Diagnostic, Segment, text};
use crate::model::{
    AckKind, AckStatus, ElementError, FunctionalAck, GroupAck, SegmentError, SetAck, SourceRef,
};

fn status(code: &[u8]) -> AckStatus {
    match code {
        b"A" => AckStatus::Accepted,
        // E: accepted with errors noted; W (999): accepted, rejected only on a warning rule.
        b"E" | b"W" => AckStatus::AcceptedWithErrors,
        b"P" => AckStatus::PartiallyAccepted,
        // R, M (999: rejected, message authentication failed), X (999: rejected, content
        // after decryption could not be analysed) and anything unknown count as rejected:
        // the partner did not take the document in.
        _ => AckStatus::Rejected,
    }
}

fn number(seg: &Segment<'_>, n: usize) -> u32 {
    seg.value(n)
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn codes(seg: &Segment<'_>, from: usize, to: usize) -> Vec<u16> {
    (from..=to)
        .filter_map(|n| seg.value(n))
        .filter_map(|v| std::str::from_utf8(v).ok()?.trim().parse().ok())
        .collect()
}

/// Reads a 997 or 999 set (ST..SE). Never fails: a malformed acknowledgement has already been
/// reported by the rules; what can be read is returned.
pub fn map_997(
    body: &[Segment<'_>],
    _source: SourceRef,
    kind: AckKind,
) -> Result<FunctionalAck, Vec<Diagnostic>> {
    let mut group: Option<GroupAck> = None;
    let mut sets: Vec<SetAck> = Vec::new();
    // Which sets carried their AK5/IK5: one without says nothing of its own fate.
    let mut answered: Vec<bool> = Vec::new();
    for seg in body {
        match seg.id {
            b"AK1" => {
                group = Some(GroupAck {
                    functional_id: seg.text(1).unwrap_or_default(),
                    group_control: seg.text(2).unwrap_or_default(),
                    version: seg.text(3).unwrap_or_default(),
                    status: AckStatus::Accepted,
                    included: 0,
                    received: 0,
                    accepted: 0,
                    group_errors: Vec::new(),
                    sets: Vec::new(),
                    inconsistencies: Vec::new(),
                });
            }
            b"AK2" => {
                answered.push(false);
                sets.push(SetAck {
                    set_id: seg.text(1).unwrap_or_default(),
                    set_control: seg.text(2).unwrap_or_default(),
                    implementation_ref: seg.text(3),
                    status: AckStatus::Accepted,
                    set_errors: Vec::new(),
                    segment_errors: Vec::new(),
                });
            }
            b"AK3" | b"IK3" => {
                if let Some(s) = sets.last_mut() {
                    s.segment_errors.push(SegmentError {
                        segment_id: seg.text(1).unwrap_or_default(),
                        position: number(seg, 2),
                        loop_id: seg.text(3),
                        code: codes(seg, 4, 4).first().copied().unwrap_or(0),
                        element_errors: Vec::new(),
                    });
                }
            }
            b"AK4" | b"IK4" => {
                let e = ElementError {
                    position: seg
                        .components(1)
                        .next()
                        .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse().ok())
                        .unwrap_or(0),
                    component: seg
                        .components(1)
                        .nth(1)
                        .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse().ok()),
                    repeat: None,
                    reference: seg.value(2).and_then(|v| text(v).trim().parse().ok()),
                    code: codes(seg, 3, 3).first().copied().unwrap_or(0),
                    bad_value: seg.text(4),
                };
                if let Some(se) = sets.last_mut().and_then(|s| s.segment_errors.last_mut()) {
                    se.element_errors.push(e);
                }
            }
            b"AK5" | b"IK5" => {
                if let Some(s) = sets.last_mut() {
                    s.status = status(seg.value(1).unwrap_or_default());
                    s.set_errors = codes(seg, 2, 6);
                }
                if let Some(a) = answered.last_mut() {
                    *a = true;
                }
            }
            b"AK9" => {
                if let Some(g) = group.as_mut() {
                    g.status = status(seg.value(1).unwrap_or_default());
                    g.included = number(seg, 2);
                    g.received = number(seg, 3);
                    g.accepted = number(seg, 4);
                    g.group_errors = codes(seg, 5, 9);
                }
            }
            _ => {}
        }
    }
    let mut groups = Vec::new();
    if let Some(mut g) = group {
        g.sets = sets;
        check_consistency(&mut g, &answered);
        groups.push(g);
    }
    Ok(FunctionalAck { kind, groups })
}

/// Compares AK9 with the AK2/AK5s it sums up. A partner's acknowledgement that contradicts
/// itself (AK9*A while an AK5 rejects, counts that do not add up) is recorded in
/// `inconsistencies` and its group status is taken from the AK5s rather than AK901, so a
/// rejection in an AK5 is never hidden by an accepting AK9. `answered[i]` says whether set
/// `i` had its AK5; one without takes the group's verdict.
fn check_consistency(g: &mut GroupAck, answered: &[bool]) {
    let ak9 = g.status;
    let mut notes: Vec<String> = Vec::new();
    for (s, _) in g
        .sets
        .iter_mut()
        .zip(answered)
        .filter(|(_, answered)| !**answered)
    {
        notes.push(format!(
            "AK2 {} {} has no AK5: the group's AK9 {} is taken for it",
            s.set_id,
            s.set_control,
            ak9.code()
        ));
        s.status = ak9;
    }
    let listed = u32::try_from(g.sets.len()).unwrap_or(u32::MAX);
    let rejected = u32::try_from(
        g.sets
            .iter()
            .filter(|s| s.status == AckStatus::Rejected)
            .count(),
    )
    .unwrap_or(u32::MAX);
    let (included, received, accepted) = (g.included, g.received, g.accepted);
    if received > included {
        notes.push(format!(
            "AK903 says {received} sets received but AK902 only {included} included"
        ));
    }
    if accepted > received {
        notes.push(format!(
            "AK904 says {accepted} sets accepted but AK903 only {received} received"
        ));
    }
    if listed > received {
        notes.push(format!(
            "AK903 says {received} sets received but the acknowledgement answers {listed} (AK2)"
        ));
    } else if received.saturating_sub(accepted) < rejected {
        notes.push(format!(
            "AK904 says {accepted} of {received} sets accepted, yet {rejected} AK5 reject"
        ));
    } else if listed == received && accepted != listed - rejected {
        notes.push(format!(
            "AK904 says {accepted} sets accepted but the AK5s accept {}",
            listed - rejected
        ));
    }
    // The verdict the AK5s give, when there are any.
    let by_sets = match (listed, rejected) {
        (0, _) => None,
        (n, r) if r == n => Some(AckStatus::Rejected),
        (_, 0)
            if g.sets
                .iter()
                .any(|s| s.status == AckStatus::AcceptedWithErrors) =>
        {
            Some(AckStatus::AcceptedWithErrors)
        }
        (_, 0) => Some(AckStatus::Accepted),
        _ => Some(AckStatus::PartiallyAccepted),
    };
    if let Some(by_sets) = by_sets {
        let accepting =
            |s: AckStatus| matches!(s, AckStatus::Accepted | AckStatus::AcceptedWithErrors);
        // A group rejected for its own faults (AK905..) rejects every set in it whatever
        // their AK5s say; that is the standard's meaning, not a contradiction.
        let group_fault = ak9 == AckStatus::Rejected && !g.group_errors.is_empty();
        let agrees = match by_sets {
            AckStatus::Rejected => ak9 == AckStatus::Rejected,
            AckStatus::PartiallyAccepted => ak9 == AckStatus::PartiallyAccepted,
            _ => accepting(ak9) || group_fault,
        };
        if group_fault {
            for s in &mut g.sets {
                s.status = AckStatus::Rejected;
            }
        } else if !agrees {
            notes.push(format!(
                "AK901 says {} but the AK5s say {} ({rejected} of {listed} rejected); the AK5s are taken",
                ak9.code(),
                by_sets.code()
            ));
            g.status = by_sets;
        }
    }
    g.inconsistencies = notes.into_iter().map(Into::into).collect();
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::edi::x12::Reader;

    fn body(x12: &str) -> Vec<Segment<'_>> {
        let mut r = Reader::new(x12.as_bytes());
        let mut out = Vec::new();
        while let Ok(Some(s)) = r.next_segment() {
            if !matches!(s.id, b"ISA" | b"GS" | b"GE" | b"IEA") {
                out.push(s);
            }
        }
        out
    }

    fn source() -> SourceRef {
        SourceRef {
            standard: "X12".into(),
            version: "004010".into(),
            interchange_control: "1".into(),
            group_control: "1".into(),
            set_control: "0001".into(),
            sender_id: "A".into(),
            receiver_id: "B".into(),
        }
    }

    #[test]
    fn reads_a_rejecting_997() {
        let x12 = "ISA*00*          *00*          *ZZ*ACME           *ZZ*WHARF          *261126*1200*U*00401*000000001*0*P*>~\
GS*FA*ACME*WHARF*20261126*1200*1*X*004010~ST*997*0001~AK1*SH*7~AK2*856*0007~AK3*MAN*12*HL*8~AK4*2*87*7*000~\
AK5*R*5~AK9*R*1*1*0~SE*8*0001~GE*1*1~IEA*1*000000001~";
        let ack = map_997(&body(x12), source(), AckKind::F997).unwrap();
        let g = &ack.groups[0];
        assert_eq!(
            (g.functional_id.as_str(), g.group_control.as_str()),
            ("SH", "7")
        );
        assert_eq!(
            (g.status, g.received, g.accepted),
            (AckStatus::Rejected, 1, 0)
        );
        let s = &g.sets[0];
        assert_eq!((s.set_id.as_str(), s.set_control.as_str()), ("856", "0007"));
        assert_eq!(
            (s.status, s.set_errors.as_slice()),
            (AckStatus::Rejected, &[5u16][..])
        );
        assert_eq!(s.segment_errors[0].segment_id, "MAN");
        assert_eq!(s.segment_errors[0].element_errors[0].code, 7);
    }

    #[test]
    fn reads_an_accepting_999() {
        let x12 = "ISA*00*          *00*          *ZZ*ACME           *ZZ*WHARF          *261126*1200*^*00501*000000002*0*P*>~\
GS*FA*ACME*WHARF*20261126*1200*2*X*005010X231A1~ST*999*0001*005010X231A1~AK1*PR*3*005010~AK2*855*0003~IK5*A~AK9*A*1*1*1~SE*6*0001~GE*1*2~IEA*1*000000002~";
        let ack = map_997(&body(x12), source(), AckKind::F999).unwrap();
        assert_eq!(ack.groups[0].sets[0].status, AckStatus::Accepted);
        assert_eq!(ack.groups[0].version, "005010");
    }
}
