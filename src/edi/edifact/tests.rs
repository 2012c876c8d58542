//! Tests of the EDIFACT syntax layer: service characters, release characters, envelope faults with their 0085 codes, character sets, CONTRL bytes and writer round trips.

use super::contrl::ContrlBuilder;
use super::envelope::{Event, Party, walk};
use super::writer::{OutInterchange, OutMessage, OutSegment, write};
use super::*;

fn segments(input: &[u8]) -> Vec<Segment<'_>> {
    let mut r = Reader::new(input);
    let mut out = Vec::new();
    while let Ok(Some(s)) = r.next_segment() {
        out.push(s);
    }
    out
}

/// Every diagnostic of a walk as (0085 code, segment tag, element, component).
fn faults(input: &[u8]) -> Vec<(u16, String, Option<u32>, Option<u32>)> {
    let mut out = Vec::new();
    let mut push = |d: &Diagnostic| {
        if let Some(AckCode::Contrl(c)) = d.code {
            out.push((
                c,
                d.location.segment_id.clone().unwrap_or_default(),
                d.location.element,
                d.location.component,
            ));
        }
    };
    let _ = walk(input, |e| match e {
        Event::Message(_, _, m) => m.diagnostics.iter().for_each(&mut push),
        Event::GroupEnd(_, g) => g.diagnostics.iter().for_each(&mut push),
        Event::InterchangeEnd(ic) => ic.diagnostics.iter().for_each(&mut push),
        Event::File(d) => push(d),
        _ => {}
    });
    out
}

/// The CONTRL message segments (UCI … ) for an input, as text.
fn contrl_text(input: &[u8]) -> String {
    let mut builder = ContrlBuilder::default();
    let mut out = String::new();
    let _ = walk(input, |e| match e {
        Event::Message(_, g, m) => builder.message(g.is_some(), m, &[]),
        Event::GroupEnd(_, g) => builder.group_end(g),
        Event::InterchangeEnd(ic) => {
            let c = std::mem::take(&mut builder).finish(ic);
            let env = OutInterchange {
                chars: ServiceChars::DEFAULT,
                charset: Charset::Unoa,
                syntax_version: c.syntax_version.clamp(3, 4),
                sender: Party {
                    id: "WHARF".into(),
                    qualifier: None,
                },
                recipient: ic.header.sender.clone(),
                date: "261126".into(),
                time: "1200".into(),
                reference: "9".into(),
                application_ref: None,
                ack_request: false,
                test: false,
                una: false,
                newline: true,
            };
            let bytes = write(&env, &[c.message("9")]).unwrap_or_default();
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
        _ => {}
    });
    out
}

const GOOD: &str = "UNB+UNOA:3+SENDER:14+WHARF:14+261126:1200+IC1++++1'\
UNH+M1+ORDERS:D:96A:UN:EAN008'BGM+220+PO1+9'LIN+1++4000862141404:EN'QTY+21:2'UNS+S'UNT+6+M1'\
UNZ+1+IC1'";

#[test]
fn una_sets_every_service_character() {
    let input = b"UNA=*.? ~UNB*UNOA=3*S*R*261126=1200*1~UNH*1*ORDERS=D=96A=UN~FTX*AAI***A?*B?=C?~D??~UNT*3*1~UNZ*1*1~";
    let segs = segments(input);
    assert_eq!(segs.len(), 5);
    let ftx = segs[2];
    assert!(ftx.is("FTX"));
    assert_eq!(ftx.chars.element, b'*');
    assert_eq!(ftx.chars.component, b'=');
    assert_eq!(ftx.text(4, 1).as_deref(), Some("A*B=C~D?"));
    assert_eq!(segs[1].text(2, 3).as_deref(), Some("96A"));
}

#[test]
fn release_characters_are_honoured_in_segments_elements_and_components() {
    let input = b"UNB+UNOA:3+S+R+261126:1200+1'UNH+1+ORDERS:D:96A:UN'FTX+AAI+++PRICE ?+ 10?:00 ?'SPECIAL?' ??:NEXT'UNT+3+1'UNZ+1+1'";
    let segs = segments(input);
    let ftx = segs.iter().find(|s| s.is("FTX")).copied().expect("FTX");
    assert_eq!(ftx.element_count(), 4);
    assert_eq!(ftx.text(4, 1).as_deref(), Some("PRICE + 10:00 'SPECIAL' ?"));
    assert_eq!(ftx.text(4, 2).as_deref(), Some("NEXT"));
    assert!(faults(input).is_empty(), "{:?}", faults(input));
}

#[test]
fn a_sound_interchange_has_no_faults_and_a_plain_contrl() {
    assert!(faults(GOOD.as_bytes()).is_empty());
    let c = contrl_text(GOOD.as_bytes());
    assert!(c.contains("UNH+9+CONTRL:D:3:UN'"), "{c}");
    assert!(c.contains("UCI+IC1+SENDER:14+WHARF:14+7'"), "{c}");
    assert!(c.contains("UCM+M1+ORDERS:D:96A:UN:EAN008+7'"), "{c}");
    assert!(
        c.contains("UNB+UNOA:3+WHARF+SENDER:14+261126:1200+9'"),
        "{c}"
    );
}

#[test]
fn counts_and_references_are_checked_at_every_level() {
    let bad = GOOD
        .replace("UNT+6+M1", "UNT+7+M2")
        .replace("UNZ+1+IC1", "UNZ+2+IC9");
    let f = faults(bad.as_bytes());
    assert!(
        f.contains(&(code::COUNT_MISMATCH, "UNT".into(), Some(1), Some(1))),
        "{f:?}"
    );
    assert!(
        f.contains(&(
            code::REFERENCES_DO_NOT_MATCH,
            "UNT".into(),
            Some(2),
            Some(1)
        )),
        "{f:?}"
    );
    assert!(
        f.contains(&(code::COUNT_MISMATCH, "UNZ".into(), Some(1), Some(1))),
        "{f:?}"
    );
    assert!(
        f.contains(&(
            code::REFERENCES_DO_NOT_MATCH,
            "UNZ".into(),
            Some(2),
            Some(1)
        )),
        "{f:?}"
    );
    let c = contrl_text(bad.as_bytes());
    assert!(c.contains("UCI+IC1+SENDER:14+WHARF:14+4+29+UNZ+1'"), "{c}");
    assert!(
        c.contains("UCM+M1+ORDERS:D:96A:UN:EAN008+4+29+UNT+1'"),
        "{c}"
    );
}

#[test]
fn a_missing_trailer_is_reported_as_missing() {
    let cut = GOOD.trim_end_matches("UNZ+1+IC1'");
    let f = faults(cut.as_bytes());
    assert_eq!(f, vec![(code::MISSING, "UNZ".into(), None, None)]);
    let no_unt = "UNB+UNOA:3+S+R+261126:1200+1'UNH+1+ORDERS:D:96A:UN'BGM+220+PO1+9'UNZ+1+1'";
    assert_eq!(
        faults(no_unt.as_bytes()),
        vec![(code::MISSING, "UNT".into(), None, None)]
    );
}

#[test]
fn groups_are_counted_and_matched() {
    let input = "UNB+UNOA:3+S+R+261126:1200+1'UNG+ORDERS+S+R+261126:1200+G1+UN+D:96A'\
UNH+1+ORDERS:D:96A:UN'BGM+220+PO1+9'UNT+3+1'UNE+2+G2'UNZ+1+1'";
    let f = faults(input.as_bytes());
    assert!(
        f.contains(&(code::COUNT_MISMATCH, "UNE".into(), Some(1), Some(1))),
        "{f:?}"
    );
    assert!(
        f.contains(&(
            code::REFERENCES_DO_NOT_MATCH,
            "UNE".into(),
            Some(2),
            Some(1)
        )),
        "{f:?}"
    );
    let c = contrl_text(input.as_bytes());
    assert!(c.contains("UCF+G1+S+R+4+29+UNE+1'"), "{c}");
    assert!(c.contains("UCM+1+ORDERS:D:96A:UN+7'"), "{c}");
}

#[test]
fn a_byte_outside_the_declared_set_is_located() {
    let input = "UNB+UNOA:3+S+R+261126:1200+1'UNH+1+ORDERS:D:96A:UN'NAD+BY+123::9++Café:Ltd'UNT+3+1'UNZ+1+1'";
    let f = faults(input.as_bytes());
    assert_eq!(
        f,
        vec![(code::INVALID_CHARACTERS, "NAD".into(), Some(4), Some(1))]
    );
    let c = contrl_text(input.as_bytes());
    assert!(
        c.contains("UCM+1+ORDERS:D:96A:UN+4'\nUCS+2'\nUCD+21+4'"),
        "{c}"
    );
    // The same bytes are fine where UNB declares UTF-8.
    assert!(faults(input.replace("UNOA", "UNOY").as_bytes()).is_empty());
}

#[test]
fn duplicate_message_references_and_mixed_groups_are_faults() {
    let input = "UNB+UNOA:3+S+R+261126:1200+1'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNH+1+ORDERS:D:96A:UN'UNT+2+1'\
UNG+ORDERS+S+R+261126:1200+G1'UNH+2+ORDERS:D:96A:UN'UNT+2+2'UNE+1+G1'UNZ+3+1'";
    let f = faults(input.as_bytes());
    assert!(
        f.contains(&(code::DUPLICATE, "UNH".into(), Some(1), Some(1))),
        "{f:?}"
    );
    assert!(
        f.iter().any(|x| x.0 == code::GROUPS_AND_MESSAGES_MIXED),
        "{f:?}"
    );
}

#[test]
fn syntax_four_has_a_repetition_separator_and_its_own_contrl() {
    let input =
        b"UNB+UNOC:4+S+R+20261126:1200+1+++1'UNH+1+ORDERS:D:01B:UN'RFF+ON:A*ON:B'UNT+3+1'UNZ+1+1'";
    let segs = segments(input);
    let rff = segs.iter().find(|s| s.is("RFF")).copied().expect("RFF");
    assert_eq!(rff.chars.repetition, Some(b'*'));
    let reps: Vec<&[u8]> = rff.element(1).expect("RFF01").repetitions().collect();
    assert_eq!(reps, vec![&b"ON:A"[..], &b"ON:B"[..]]);
    let c = contrl_text(input);
    assert!(c.contains("UNH+9+CONTRL:4:1:UN'"), "{c}");
}

#[test]
fn level_b_information_separators_are_read_without_una() {
    let input = b"UNB\x1dUNOB\x1f3\x1dS\x1dR\x1d261126\x1f1200\x1d1\x1cUNH\x1d1\x1dORDERS\x1fD\x1f96A\x1fUN\x1cBGM\x1d220\x1dpo-1\x1d9\x1cUNT\x1d3\x1d1\x1cUNZ\x1d1\x1d1\x1c";
    let segs = segments(input);
    assert_eq!(segs.len(), 5);
    assert_eq!(segs[2].text(2, 1).as_deref(), Some("po-1"));
    assert!(faults(input).is_empty(), "{:?}", faults(input));
}

#[test]
fn junk_between_interchanges_is_reported_not_fatal() {
    let input = format!("{GOOD}\nNOT EDI AT ALL\n{GOOD}");
    let mut interchanges = 0;
    let mut junk = Vec::new();
    let r = walk(input.as_bytes(), |e| match e {
        Event::InterchangeEnd(_) => interchanges += 1,
        Event::File(d) => junk.push(d.message.clone()),
        _ => {}
    });
    assert!(r.is_ok());
    assert_eq!(interchanges, 2);
    assert_eq!(junk.len(), 1, "{junk:?}");
    assert!(junk[0].contains("outside any interchange"), "{junk:?}");
    assert!(walk(b"hello", |_| {}).is_err());
}

#[test]
fn writer_releases_service_characters_and_refuses_what_the_set_cannot_hold() {
    let env = OutInterchange {
        chars: ServiceChars::DEFAULT,
        charset: Charset::Unoa,
        syntax_version: 3,
        sender: Party {
            id: "WHARF".into(),
            qualifier: Some("14".into()),
        },
        recipient: Party {
            id: "P".into(),
            qualifier: None,
        },
        date: "261126".into(),
        time: "1200".into(),
        reference: "7".into(),
        application_ref: None,
        ack_request: true,
        test: false,
        una: true,
        newline: false,
    };
    let msg = OutMessage {
        reference: "1".into(),
        identifier: vec!["ORDRSP".into(), "D".into(), "96A".into(), "UN".into()],
        segments: vec![
            OutSegment::new("FTX")
                .e("AAI")
                .e("")
                .e("")
                .c(&["A+B:C'D?E", "F"]),
        ],
    };
    let bytes = write(&env, std::slice::from_ref(&msg)).expect("writes");
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        "UNA:+.? 'UNB+UNOA:3+WHARF:14+P+261126:1200+7++++1'UNH+1+ORDRSP:D:96A:UN'FTX+AAI+++A?+B?:C?'D??E:F'UNT+3+1'UNZ+1+7'"
    );
    let mut lower = msg.clone();
    lower.segments = vec![OutSegment::new("FTX").e("lower")];
    assert!(matches!(
        write(&env, &[lower]),
        Err(EdifactError::InvalidOutbound { .. })
    ));
}

use proptest::prelude::*;

proptest::proptest! {
    /// Any printable text written with any service characters reads back the same.
    #[test]
    fn written_values_read_back(
        chars in proptest::sample::subsequence(b"+:'?*|~^!".to_vec(), 4).prop_shuffle(),
        values in proptest::collection::vec("[ -~]{0,12}", 1..6),
    ) {
        let service = ServiceChars {
            component: chars[0],
            element: chars[1],
            decimal: b'.',
            release: Some(chars[2]),
            repetition: None,
            segment: chars[3],
        };
        let env = OutInterchange {
            chars: service,
            charset: Charset::Unob,
            syntax_version: 3,
            sender: Party { id: "S".into(), qualifier: None },
            recipient: Party { id: "R".into(), qualifier: None },
            date: "261126".into(),
            time: "1200".into(),
            reference: "1".into(),
            application_ref: None,
            ack_request: false,
            test: false,
            una: true,
            newline: true,
        };
        let comps: Vec<&str> = values.iter().map(String::as_str).collect();
        let msg = OutMessage {
            reference: "1".into(),
            identifier: vec!["ORDERS".into(), "D".into(), "96A".into(), "UN".into()],
            segments: vec![OutSegment::new("FTX").e("AAI").e("").e("").c(&comps)],
        };
        let bytes = write(&env, &[msg]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let segs = segments(&bytes);
        let ftx = segs.iter().find(|s| s.is("FTX")).copied().ok_or_else(|| TestCaseError::fail("no FTX"))?;
        let used = values.iter().rposition(|v| !v.is_empty()).map_or(0, |i| i + 1);
        for (k, v) in values.iter().enumerate().take(used) {
            let got = ftx.text(4, k + 1).map(|t| t.into_owned()).unwrap_or_default();
            prop_assert_eq!(&got, v);
        }
        prop_assert!(faults(&bytes).is_empty(), "{:?}", faults(&bytes));
    }
}

#[test]
fn complete_prefix_ends_after_the_last_whole_interchange() {
    use super::envelope::complete_prefix;
    let two = format!("{GOOD}\n{GOOD}\n");
    assert_eq!(complete_prefix(two.as_bytes()), two.len());
    let cut = &two[..two.len() - 5];
    assert_eq!(complete_prefix(cut.as_bytes()), GOOD.len() + 1);
    assert_eq!(complete_prefix(&two.as_bytes()[..20]), 0);
    // A released "UNZ" inside free text is data, not a trailer.
    let tricky = "UNB+UNOA:3+S+R+261126:1200+1'UNH+1+ORDERS:D:96A:UN'FTX+AAI+++X?'UNZ+1+1?''";
    assert_eq!(complete_prefix(tricky.as_bytes()), 0);
}
