//! Tests of the rules engine on small fixtures written for Wharf: every good set passes clean, every check fires with its exact code and place.

use super::schema::{Req, V5};
use super::*;
use crate::edi::x12::reader::Reader;

const ISA: &str = "ISA*00*          *00*          *ZZ*BUYER          *ZZ*SELLER         *240102*1030*U*00401*000000001*0*T*>~";

/// A 5010 ISA: `^` repetition separator, `:` component separator.
const ISA5: &str = "ISA*00*          *00*          *ZZ*BUYER          *ZZ*SELLER         *240102*1030*^*00501*000000001*0*T*:~";

/// Runs the validator over `body` (ST..SE, `~`-terminated) under GS08 `version`.
fn run(body: &str, version: &str) -> Vec<Finding> {
    run_in(ISA, body, version)
}

/// Like [`run`] inside the given ISA.
fn run_in(isa: &str, body: &str, version: &str) -> Vec<Finding> {
    let gs = format!("GS*PO*B*S*20240102*1030*1*X*{version}~");
    let all = format!("{isa}{gs}{body}GE*1*1~IEA*1*000000001~");
    let mut r = Reader::new(all.as_bytes());
    let mut v: Option<SetValidator> = None;
    while let Ok(Some(s)) = r.next_segment() {
        if s.is("ST") {
            v = SetValidator::new(s.value(1).unwrap_or(b""), version);
        }
        if let Some(val) = v.as_mut() {
            val.segment(&s);
        }
    }
    v.map(SetValidator::finish_findings).unwrap_or_default()
}

fn errors(body: &str, version: &str) -> Vec<Finding> {
    run(body, version)
        .into_iter()
        .filter(|f| f.diagnostic.severity == crate::edi::x12::Severity::Error)
        .collect()
}

/// (code, segment id, position, element, component) of an error.
type Key = (AckCode, String, u32, Option<u32>, Option<u32>);

/// The [`Key`] of each error.
fn keys(f: &[Finding]) -> Vec<Key> {
    f.iter()
        .filter_map(|f| {
            let l = &f.diagnostic.location;
            Some((
                f.diagnostic.code?,
                l.segment_id.clone()?,
                l.segment_position?,
                l.element,
                l.component,
            ))
        })
        .collect()
}

const PO850: &str = "ST*850*0001~BEG*00*SA*PO-77**20240102~CUR*BY*USD~REF*DP*038~PER*BD*Ann*TE*5551234~DTM*002*20240115~N1*ST*Dock 4*92*DC4~N3*1 Quay Rd~N4*Leith*SC*EH6*GB~PO1*1*10*EA*2.50**BP*B-1*UP*012345678905~PID*F****Blue widget~PO4*4*4*EA~PO1*2*3.5*KG***VN*V-9~MSG*Leave at gate~CTT*2~AMT*TT*36.75~SE*16*0001~";
const PO855: &str = "ST*855*0002~BAK*00*AC*PO-77*20240102****20240103~REF*CO*SO-1~N1*SE*Seller Ltd*92*S1~N1*ST*Dock 4~N3*1 Quay Rd~N4*Leith*SC*EH6*GB~PO1*1*10*EA*2.50**BP*B-1~PID*F****Blue widget~ACK*IA*10*EA*068*20240110~PO1*2*3*EA*4**VP*V-9~ACK*IQ*2*EA~ACK*IB*1*EA~SCH*1*EA**AB*002*20240201~CTT*2~SE*16*0002~";
const ASN_SOI: &str = "ST*856*0003~BSN*00*SH-1*20240105*1200*0001~HL*1**S*1~TD1*CTN25*2****G*12.5*LB~TD5*B*2*ABCD*M~REF*BM*BOL-1~DTM*011*20240105~N1*ST*Dock 4*92*DC4~N1*SF*Seller Ltd~HL*2*1*O*1~PRF*PO-77***20240102~HL*3*2*I*0~LIN*1*BP*B-1*UP*012345678905~SN1*1*10*EA~PID*F****Blue widget~CTT*3~SE*17*0003~";
const ASN_SOPI: &str = "ST*856*0004~BSN*00*SH-2*20240105*120000~HL*1**S~TD5**2*ABCD~HL*2*1*O~PRF*PO-77~HL*3*2*P~MAN*GM*00012345678901234567~HL*4*3*I~LIN**VP*V-9~SN1**3*EA~HL*5*2*P~MAN*GM*00012345678901234574~HL*6*5*I~LIN**BP*B-1~SN1**10*EA~CTT*6~SE*17*0004~";
const INV810: &str = "ST*810*0005~BIG*20240110*INV-1*20240102*PO-77~CUR*SE*USD~REF*VN*SO-1~N1*BT*Buyer Co*92*B1~N3*2 Main St~N4*Leith*SC*EH6*GB~ITD*01*3*2**10**30~DTM*011*20240105~IT1*1*10*EA*2.50**BP*B-1~PID*F****Blue widget~IT1*2*3*EA*4**VP*V-9~TDS*3700~CAD*M***ABCD*Carrier~SAC*C*D240***500~ISS*13*EA~CTT*2~SE*18*0005~";
const FA997: &str = "ST*997*0006~AK1*PO*1~AK2*850*0001~AK3*BEG*2**8~AK4*5**8*20241301~AK5*R*5~AK2*850*0002~AK5*A~AK9*P*2*2*1~SE*10*0006~";

#[test]
fn good_sets_pass_clean_in_4010_and_5010() {
    for v in ["004010", "005010"] {
        for (name, body) in [
            ("850", PO850),
            ("855", PO855),
            ("856 S/O/I", ASN_SOI),
            ("856 S/O/P/I", ASN_SOPI),
            ("810", INV810),
            ("997", FA997),
        ] {
            let f = run(body, v);
            assert!(f.is_empty(), "{name} {v}: {f:#?}");
        }
    }
    // 4060 and implementation suffixes read with the base tables; 3010 has none.
    assert!(run(ASN_SOI, "004060").is_empty());
    assert!(run(FA997, "005010X231A1").is_empty());
    assert!(SetValidator::new(b"850", "003010").is_none());
    assert!(SetValidator::new(b"940", "004010").is_none());
}

#[test]
fn bad_date_in_beg05() {
    let f = errors(&PO850.replace("**20240102~CUR", "**20241301~CUR"), "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(8), "BEG".into(), 2, Some(5), None)]
    );
    let d = &f[0].diagnostic;
    assert_eq!(d.location.bad_value.as_deref(), Some("20241301"));
    assert_eq!(d.location.set_control.as_deref(), Some("0001"));
    assert!(
        d.message.starts_with("BEG05 of segment BEG at position 2"),
        "{}",
        d.message
    );
}

#[test]
fn missing_beg_is_segment_code_3() {
    let f = errors(&PO850.replace("BEG*00*SA*PO-77**20240102~", ""), "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(3), "BEG".into(), 2, None, None)]
    );
    // A missing mandatory loop: no PO1 at all.
    let no_lines = "ST*850*0001~BEG*00*SA*PO-77**20240102~CTT*0~SE*4*0001~";
    let f = errors(no_lines, "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(3), "PO1".into(), 3, None, None)]
    );
    assert_eq!(f[0].loop_id, Some("PO1"));
    // Missing mandatory element: ACK01 empty.
    let f = errors(&PO855.replace("ACK*IA*10", "ACK**10"), "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(1), "ACK".into(), 10, Some(1), None)]
    );
    assert_eq!(f[0].loop_id, Some("ACK"));
}

#[test]
fn po1_loop_over_its_max() {
    let mut body = String::from("ST*850*0001~BEG*00*SA*PO-77**20240102~");
    for i in 0..100_001u32 {
        body.push_str(&format!("PO1*{i}*1*EA~"));
    }
    body.push_str("SE*1*0001~");
    let f = errors(&body, "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(4), "PO1".into(), 100_003, None, None)]
    );
}

#[test]
fn segment_over_max_use() {
    let f = errors(
        &PO850.replace("PER*BD*Ann*TE*5551234~", "PER*BD~PER*BD~PER*BD~PER*BD~"),
        "004010",
    );
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(5), "PER".into(), 8, None, None)]
    );
}

#[test]
fn element_codes() {
    // A code outside a closed list (PID01 349) → 7.
    let f = errors(&PO850.replace("PID*F*", "PID*Q*"), "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(7), "PID".into(), 11, Some(1), None)]
    );
    assert_eq!(f[0].loop_id, Some("PID"));
    // Element 98 is open (over a thousand codes): a standard code the list lacks never
    // rejects, and an unknown one of the right length only warns.
    assert!(errors(&PO850.replace("N1*ST*Dock", "N1*AK*Dock"), "004010").is_empty());
    let all = run(&PO850.replace("N1*ST*Dock", "N1*QQ*Dock"), "004010");
    assert_eq!(
        all.iter()
            .map(|f| f.diagnostic.severity)
            .collect::<Vec<_>>(),
        vec![crate::edi::x12::Severity::Warning]
    );
    assert!(run(&PO850.replace("N1*ST*Dock", "N1*AK*Dock"), "004010").is_empty());
    // A too-long code in an open list is still wrong (AK403 5).
    let f = errors(&PO850.replace("N1*ST*Dock", "N1*QQQQ*Dock"), "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(5), "N1".into(), 7, Some(1), None)]
    );
    // 12-character PO103 → 5.
    let f = errors(
        &PO850.replace("*10*EA*2.50", "*10*EACHESPLENTY*2.50"),
        "004010",
    );
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(5), "PO1".into(), 10, Some(3), None)]
    );
    // Non-numeric PO102 → 6.
    let f = errors(&PO850.replace("PO1*2*3.5*KG", "PO1*2*3,5*KG"), "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(6), "PO1".into(), 13, Some(2), None)]
    );
    // Too short → 4 (N401 is 2..30).
    let f = errors(&PO850.replace("N4*Leith", "N4*L"), "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(4), "N4".into(), 9, Some(1), None)]
    );
    // Too many elements → 3 (N3 has two).
    let f = errors(
        &PO850.replace("N3*1 Quay Rd~", "N3*1 Quay Rd**x~"),
        "004010",
    );
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(3), "N3".into(), 8, Some(3), None)]
    );
    // Bad time → 9.
    let f = errors(
        &ASN_SOI.replace("*20240105*1200*", "*20240105*2460*"),
        "004010",
    );
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(9), "BSN".into(), 2, Some(4), None)]
    );
    // HL03 is open (735 has far more levels than ship notices commonly use): a level the
    // list lacks warns, it does not reject.
    let all = run(&ASN_SOI.replace("HL*2*1*O*1", "HL*2*1*Y*1"), "004010");
    assert_eq!(
        all.iter()
            .map(|f| (f.diagnostic.severity, f.diagnostic.location.element))
            .collect::<Vec<_>>(),
        vec![(crate::edi::x12::Severity::Warning, Some(3))]
    );
    // Composite component: AK401 not numeric → element 1 component 1, code 6.
    let f = errors(&FA997.replace("AK4*5**8", "AK4*X**8"), "005010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(6), "AK4".into(), 5, Some(1), Some(1))]
    );
    // A 5010-only element (N407) is too many in 4010 but fine in 5010.
    let body = PO850.replace("N4*Leith*SC*EH6*GB~", "N4*Leith*SC*EH6*GB***SC~");
    assert!(errors(&body, "005010").is_empty());
    assert_eq!(
        keys(&errors(&body, "004010")),
        vec![(AckCode::Element(3), "N4".into(), 9, Some(7), None)]
    );
    // Open code lists only warn.
    let f = run(&PO850.replace("*EA*2.50", "*XZ*2.50"), "004010");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].diagnostic.severity, crate::edi::x12::Severity::Warning);
    assert_eq!(f[0].diagnostic.code, None);
}

#[test]
fn sequence_codes() {
    // CUR after DTM in the heading: out of order → 7.
    let body = PO850
        .replace("CUR*BY*USD~", "")
        .replace("DTM*002*20240115~", "DTM*002*20240115~CUR*BY*USD~");
    let f = errors(&body, "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(7), "CUR".into(), 6, None, None)]
    );
    // BSN (856 only) inside an 850 → not in defined set (6).
    let f = errors(
        &PO850.replace("MSG*Leave at gate~", "BSN*00*12*20240102*1200~"),
        "004010",
    );
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(6), "BSN".into(), 14, None, None)]
    );
    // SN1 in 856 heading before any HL: known to the set, but only in the HL loop → 2.
    let f = errors(
        &ASN_SOI.replace("HL*1**S*1~", "SN1*1*1*EA~HL*1**S*1~"),
        "004010",
    );
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(2), "SN1".into(), 3, None, None)]
    );
    // Bad id form → 1.
    let f = errors(&PO850.replace("MSG*Leave", "msg*Leave"), "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(1), "msg".into(), 14, None, None)]
    );
    // AK5 missing in an AK2 loop: reported when AK9 comes.
    let f = errors(&FA997.replace("AK5*A~", ""), "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(3), "AK5".into(), 8, None, None)]
    );
    assert_eq!(f[0].loop_id, Some("AK2"));
}

#[test]
fn unterminated_set_reports_what_never_came() {
    let body = "ST*850*0001~BEG*00*SA*PO-77**20240102~";
    let gs = "GS*PO*B*S*20240102*1030*1*X*004010~";
    let all = format!("{ISA}{gs}{body}");
    let mut r = Reader::new(all.as_bytes());
    let mut v = None;
    while let Ok(Some(s)) = r.next_segment() {
        if s.is("ST") {
            v = SetValidator::new(b"850", "004010");
        }
        if let Some(val) = v.as_mut() {
            val.segment(&s);
        }
    }
    let f = v.map(SetValidator::finish).unwrap_or_default();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].location.segment_id.as_deref(), Some("PO1"));
    assert_eq!(f[0].location.segment_position, Some(3));
}

#[test]
fn never_panics_on_mutations() {
    let base = PO850.as_bytes();
    for i in 0..base.len() {
        for b in [b'*', b'~', b'>', 0xFF, b'9', b'A', b'\n'] {
            let mut m = base.to_vec();
            if let Some(x) = m.get_mut(i) {
                *x = b;
            }
            let _ = run(&String::from_utf8_lossy(&m), "004010");
        }
    }
}

const IA999: &str = "ST*999*0007*005010X231A1~AK1*PO*12*005010~AK2*850*0001*005010~IK5*A~AK2*850*0002*005010~IK3*BEG*2**8~CTX*SITUATIONAL TRIGGER:BEG^PO NUMBER:BEG03*BEG*2**3*324~IK4*5*373*8*20241301~CTX*CLM01:PO-77~IK3*N9*5*N9*I9~IK5*R*5~AK9*P*2*2*1~SE*13*0007~";

/// Errors of a 999 body inside a 5010 interchange.
fn errors999(body: &str) -> Vec<Finding> {
    run_in(ISA5, body, "005010X231A1")
        .into_iter()
        .filter(|f| f.diagnostic.severity == crate::edi::x12::Severity::Error)
        .collect()
}

#[test]
fn ts999_good_and_lookup() {
    let f = run_in(ISA5, IA999, "005010X231A1");
    assert!(f.is_empty(), "{f:#?}");
    assert!(run_in(ISA5, IA999, "005010").is_empty());
    assert!(SetValidator::new(b"999", "005010X231A1").is_some());
    assert!(SetValidator::new(b"999", "005010").is_some());
    // The 999 exists from 5010 on only.
    assert!(SetValidator::new(b"999", "004010").is_none());
}

#[test]
fn ts999_structure_faults() {
    // IK5 before AK1: known to the set, but only inside the AK2 loop → 2.
    let f = errors999(&IA999.replace("AK1*PO", "IK5*A~AK1*PO"));
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(2), "IK5".into(), 2, None, None)]
    );
    // IK5 twice in one AK2 loop → 5.
    let f = errors999(&IA999.replace("IK5*A~", "IK5*A~IK5*A~"));
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(5), "IK5".into(), 5, None, None)]
    );
    assert_eq!(f[0].loop_id, Some("AK2"));
    // AK2 with elements beyond AK203 → 3 at AK204.
    let f = errors999(&IA999.replace("AK2*850*0001*005010~", "AK2*850*0001*005010*X*Y~"));
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(3), "AK2".into(), 3, Some(4), None)]
    );
    // IK5 missing: reported when the next AK2 comes.
    let f = errors999(&IA999.replace("IK5*A~", ""));
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(3), "IK5".into(), 4, None, None)]
    );
    // CTX before IK3: it belongs to the IK3/IK4 loops only → 2.
    let f = errors999(&IA999.replace("AK2*850*0002*005010~", "AK2*850*0002*005010~CTX*X~"));
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(2), "CTX".into(), 6, None, None)]
    );
    // AK9 missing before SE → 3.
    let f = errors999(&IA999.replace("AK9*P*2*2*1~", ""));
    assert_eq!(
        keys(&f),
        vec![(AckCode::Segment(3), "AK9".into(), 12, None, None)]
    );
}

#[test]
fn ts999_element_faults() {
    let one = |body: String| keys(&errors999(&body));
    // AK101 outside 479 → 7; AK103 is required by X231 → 1.
    assert_eq!(
        one(IA999.replace("AK1*PO*12*005010", "AK1*QQ*12")),
        vec![
            (AckCode::Element(7), "AK1".into(), 2, Some(1), None),
            (AckCode::Element(1), "AK1".into(), 2, Some(3), None),
        ]
    );
    // IK304 outside 620 → 7; IK403 outside 621 → 7; IK501 "P" is a group code only → 7.
    assert_eq!(
        one(IA999.replace("IK3*BEG*2**8", "IK3*BEG*2**9")),
        vec![(AckCode::Element(7), "IK3".into(), 6, Some(4), None)]
    );
    assert_eq!(
        one(IA999.replace("IK4*5*373*8", "IK4*5*373*11")),
        vec![(AckCode::Element(7), "IK4".into(), 8, Some(3), None)]
    );
    assert_eq!(
        one(IA999.replace("IK5*R*5", "IK5*P*5")),
        vec![(AckCode::Element(7), "IK5".into(), 11, Some(1), None)]
    );
    // IK502 outside 618 → 7; AK901 "M" is not an X231 group code → 7; AK905 outside 716 → 7.
    assert_eq!(
        one(IA999.replace("IK5*R*5", "IK5*R*14")),
        vec![(AckCode::Element(7), "IK5".into(), 11, Some(2), None)]
    );
    assert_eq!(
        one(IA999.replace("AK9*P*2*2*1", "AK9*M*2*2*1*7")),
        vec![
            (AckCode::Element(7), "AK9".into(), 12, Some(1), None),
            (AckCode::Element(7), "AK9".into(), 12, Some(5), None),
        ]
    );
    // IK401 (C030) component not numeric → 6 at IK401-1.
    assert_eq!(
        one(IA999.replace("IK4*5*373", "IK4*E*373")),
        vec![(AckCode::Element(6), "IK4".into(), 8, Some(1), Some(1))]
    );
    // CTX06 (C999) first component not numeric → 6.
    assert_eq!(
        one(IA999.replace("*3*324~", "*3*C040:324~")),
        vec![(AckCode::Element(6), "CTX".into(), 7, Some(6), Some(1))]
    );
}

#[test]
fn repeating_elements() {
    // CTX01 repeats up to 10 times; 11 is too many (12).
    let eleven = ["T:BEG"; 11].join("^");
    let f = errors999(&IA999.replace("CTX*CLM01:PO-77", &format!("CTX*{eleven}")));
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(12), "CTX".into(), 9, Some(1), None)]
    );
    // Each repetition is checked on its own: a third component in the second one → 3.
    let f = errors999(&IA999.replace("CTX*CLM01:PO-77", "CTX*A:B^C:D:E"));
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(3), "CTX".into(), 9, Some(1), Some(3))]
    );
    // Only separators in the mandatory CTX01 → missing (1).
    let f = errors999(&IA999.replace("CTX*CLM01:PO-77", "CTX*^"));
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(1), "CTX".into(), 9, Some(1), None)]
    );
    // A repetition separator in an element that does not repeat is read as data (partners
    // use the character in text): only a warning for the separator, and the whole value is
    // checked — here "850^855" is too long for AK201.
    let f = errors999(&IA999.replace("AK2*850*0001", "AK2*850^855*0001"));
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(5), "AK2".into(), 3, Some(1), None)]
    );
    // Without a repetition separator (4010 ISA) `^` is data and CTX01 is a single repetition.
    let body = IA999
        .replace("^PO NUMBER:BEG03", "")
        .replace("CTX*CLM01:PO-77", "CTX*A^B")
        .replace(':', ">");
    let f = run_in(ISA, &body, "005010");
    assert!(f.is_empty(), "{f:#?}");
}

const ASN_SOIP: &str = "ST*856*0008~BSN*00*SH-3*20240105*1200~HL*1**S~TD5**2*ABCD~HL*2*1*O~PRF*PO-77~HL*3*2*I~LIN**BP*B-1~SN1**10*EA~HL*4*3*P~MAN*GM*00012345678901234567~HL*5*2*I~LIN**VP*V-9~SN1**3*EA~HL*6*5*P~MAN*GM*00012345678901234574~HL*7*2*T~MAN*GM*00012345678901234581~HL*8*7*P~HL*9*8*I~LIN**BP*B-2~SN1**1*EA~CTT*9~SE*24*0008~";

/// (position, element, bad value, message) of each error, all of which must be HL ones with
/// AK403 code 7; checked under 4010 and 5010 alike.
fn hl_errors(body: &str) -> Vec<(u32, Option<u32>, Option<String>, String)> {
    let f4 = errors(body, "004010");
    assert_eq!(keys(&f4), keys(&errors(body, "005010")));
    f4.into_iter()
        .map(|f| {
            let d = f.diagnostic;
            assert_eq!(d.code, Some(AckCode::Element(7)), "{}", d.message);
            assert_eq!(d.location.segment_id.as_deref(), Some("HL"));
            assert_eq!(f.loop_id, Some("HL"));
            (
                d.location.segment_position.unwrap_or(0),
                d.location.element,
                d.location.bad_value,
                d.message,
            )
        })
        .collect()
}

#[test]
fn hl_good_trees() {
    for (name, body) in [
        ("S/O/I", ASN_SOI),
        ("S/O/P/I", ASN_SOPI),
        ("S/O/I/P with a tare", ASN_SOIP),
    ] {
        for v in ["004010", "005010"] {
            let f = run(body, v);
            assert!(f.is_empty(), "{name} {v}: {f:#?}");
        }
    }
}

#[test]
fn hl_numbering_and_parents() {
    // HL01 skips a number: HL 4 where 3 is due; the ones after follow on from 4 unreported.
    let body = ASN_SOPI
        .replace("HL*6*5*I~", "HL*7*6*I~")
        .replace("HL*5*2*P~", "HL*6*2*P~")
        .replace("HL*4*3*I~", "HL*5*4*I~")
        .replace("HL*3*2*P~", "HL*4*2*P~");
    let f = hl_errors(&body);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!((f[0].0, f[0].1), (7, Some(1)));
    assert!(
        f[0].3
            .starts_with("HL01 of segment HL at position 7: \"4\" breaks the HL numbering")
            && f[0].3.contains("the 3rd HL should be 3"),
        "{}",
        f[0].3
    );
    // Not a number at all.
    let f = hl_errors(
        &ASN_SOPI
            .replace("HL*2*1*O", "HL*B*1*O")
            .replace("*2*P~", "*B*P~"),
    );
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].3.contains("the 2nd HL should be 2"), "{}", f[0].3);
    // A repeated HL01.
    let f = hl_errors(
        &ASN_SOPI
            .replace("HL*5*2*P~", "HL*4*2*P~")
            .replace("HL*6*5*I", "HL*5*3*I"),
    );
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!((f[0].0, f[0].1), (12, Some(1)));
    assert!(
        f[0].3.contains("repeats the id of an earlier HL"),
        "{}",
        f[0].3
    );
    // HL02 names an HL that has not come (yet).
    let f = hl_errors(&ASN_SOPI.replace("HL*4*3*I", "HL*4*9*I"));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!((f[0].0, f[0].1), (9, Some(2)));
    assert!(
        f[0].3
            .contains("HL 4 names parent HL 9, but no earlier HL has that HL01"),
        "{}",
        f[0].3
    );
    // The first HL has a parent.
    let f = hl_errors(&ASN_SOPI.replace("HL*1**S~", "HL*1*1*S~"));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!((f[0].0, f[0].1), (3, Some(2)));
    assert!(f[0].3.contains("names itself as its parent"), "{}", f[0].3);
    let f = hl_errors(&ASN_SOPI.replace("HL*1**S~", "HL*1*0*S~"));
    assert_eq!((f[0].0, f[0].1), (3, Some(2)));
    assert!(f[0].3.contains("the first HL has no parent"), "{}", f[0].3);
}

#[test]
fn hl_level_order() {
    // An O under a P.
    let f = hl_errors(&ASN_SOPI.replace("HL*5*2*P~", "HL*5*3*O~"));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!((f[0].0, f[0].1), (12, Some(3)));
    assert_eq!(f[0].2.as_deref(), Some("O"));
    assert!(
        f[0].3.contains(
            "HL 5 is level O (Order) under parent HL 3 (level P (Pack)); level O must sit under S (Shipment)"
        ),
        "{}",
        f[0].3
    );
    // An I straight under the shipment.
    let f = hl_errors(&ASN_SOPI.replace("HL*4*3*I", "HL*4*1*I"));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!((f[0].0, f[0].1), (9, Some(3)));
    assert!(
        f[0].3.contains("HL 4 is level I (Item) under parent HL 1 (level S (Shipment)); level I must sit under O (Order), P (Pack) or T (Shipping Tare)"),
        "{}",
        f[0].3
    );
    // A P under the shipment.
    let f = hl_errors(&ASN_SOPI.replace("HL*3*2*P", "HL*3*1*P"));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].3.contains("HL 3 is level P (Pack) under parent HL 1"),
        "{}",
        f[0].3
    );
    // An O with no parent.
    let f = hl_errors(&ASN_SOPI.replace("HL*2*1*O", "HL*2**O"));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!((f[0].0, f[0].1), (5, Some(3)));
    assert!(
        f[0].3
            .contains("HL 2 is level O (Order) with no parent (HL02 empty)"),
        "{}",
        f[0].3
    );
    // A second shipment hung under an order.
    // (and the item under it is then an I under an S).
    let f = hl_errors(&ASN_SOPI.replace("HL*5*2*P~", "HL*5*2*S~"));
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(
        f[1].3
            .contains("HL 6 is level I (Item) under parent HL 5 (level S (Shipment))"),
        "{}",
        f[1].3
    );
    assert!(
        f[0].3.contains("HL 5 is level S (Shipment), the top of the hierarchy, but names parent HL 2 (level O (Order))"),
        "{}",
        f[0].3
    );
    // The S/O/I/P tree with the first pack's parent broken (a P under the shipment).
    let f = hl_errors(&ASN_SOIP.replace("HL*4*3*P", "HL*4*1*P"));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!((f[0].0, f[0].1), (10, Some(3)));
}

/// Each kind of syntax note fires with code 2 (10 for an exclusion) on the element it names.
#[test]
fn syntax_notes_each_kind() {
    for v in ["004010", "005010"] {
        // P0304 of PER: PER03 without PER04.
        let f = errors(
            &PO850.replace("PER*BD*Ann*TE*5551234~", "PER*BD*Ann*TE~"),
            v,
        );
        assert_eq!(
            keys(&f),
            vec![(AckCode::Element(2), "PER".into(), 5, Some(4), None)],
            "{v}"
        );
        assert!(
            f[0].diagnostic.message.contains("P0304"),
            "{}",
            f[0].diagnostic.message
        );
        // R0203 of REF: neither REF02 nor REF03.
        let f = errors(&PO850.replace("REF*DP*038~", "REF*DP~"), v);
        assert_eq!(
            keys(&f),
            vec![(AckCode::Element(2), "REF".into(), 4, Some(2), None)],
            "{v}"
        );
        // C0403 of DTM: DTM04 (time code) without DTM03 (time).
        let f = errors(
            &PO850.replace("DTM*002*20240115~", "DTM*002*20240115**ES~"),
            v,
        );
        assert_eq!(
            keys(&f),
            vec![(AckCode::Element(2), "DTM".into(), 6, Some(3), None)],
            "{v}"
        );
        // IT1 without its unit is accepted on purpose (P020304 is not enforced; see IT1_NOTES).
        let f = errors(&INV810.replace("IT1*1*10*EA*2.50", "IT1*1*10**2.50"), v);
        assert_eq!(keys(&f), vec![], "{v}");
        // A product id pair (P0607 of PO1): qualifier without id.
        let f = errors(&PO850.replace("***VN*V-9~", "***VN~"), v);
        assert_eq!(
            keys(&f),
            vec![(AckCode::Element(2), "PO1".into(), 13, Some(7), None)],
            "{v}"
        );
        // E0803 of MEA: MEA03 and MEA08 both present; reported on MEA03 with code 10.
        let mea = |m: &str| INV810.replace("Blue widget~", &format!("Blue widget~{m}~"));
        let f = errors(&mea("MEA*PD*HT*10*****TL"), v);
        assert_eq!(
            keys(&f),
            vec![(AckCode::Element(10), "MEA".into(), 12, Some(3), None)],
            "{v}"
        );
        assert_eq!(f[0].diagnostic.location.bad_value.as_deref(), Some("10"));
        // L07030506 of MEA: MEA07 without any of MEA03, MEA05, MEA06.
        let f = errors(&mea("MEA*PD*HT*****ZZ*TL"), v);
        assert_eq!(
            keys(&f),
            vec![(AckCode::Element(2), "MEA".into(), 12, Some(3), None)],
            "{v}"
        );
        assert!(
            f[0].diagnostic.message.contains("L07030506"),
            "{}",
            f[0].diagnostic.message
        );
        // Notes that hold raise nothing.
        assert!(errors(&mea("MEA*PD*HT*10"), v).is_empty(), "{v}");
        // One finding per violated note: R03050608 and L07030506 both point at MEA03.
        let f = errors(&mea("MEA*PD*HT*****ZZ"), v);
        assert_eq!(keys(&f).len(), 2, "{v}");
        assert!(
            f.iter().all(|f| f.diagnostic.location.element == Some(3)),
            "{v}"
        );
    }
    // 5010 has the same codes: the exclusion is IK403 10 there too.
    let f = run_in(
        ISA5,
        &INV810.replace("Blue widget~", "Blue widget~MEA*PD*HT*10*****TL~"),
        "005010",
    );
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(10), "MEA".into(), 12, Some(3), None)]
    );
}

/// The note logic on its own, with made-up notes: positions, the trigger of C and L, and
/// versions.
#[test]
fn syntax_note_logic() {
    use schema::{Note, NoteKind as K};
    let bits = |ps: &[u8]| ps.iter().fold(0u64, |m, &p| m | 1 << (p - 1));
    let n = |k, e: &'static [u8]| Note::new(k, e);
    assert_eq!(n(K::P, &[2, 3, 4]).violation(bits(&[3])), Some(2));
    assert_eq!(n(K::P, &[2, 3, 4]).violation(bits(&[1, 5])), None);
    assert_eq!(n(K::P, &[2, 3, 4]).violation(bits(&[2, 3, 4])), None);
    assert_eq!(n(K::R, &[2, 4, 5]).violation(bits(&[1, 3])), Some(2));
    assert_eq!(n(K::R, &[2, 4, 5]).violation(bits(&[5])), None);
    assert_eq!(n(K::E, &[3, 8]).violation(bits(&[3, 8])), Some(8));
    assert_eq!(n(K::E, &[8, 3]).violation(bits(&[3, 8])), Some(3));
    assert_eq!(n(K::E, &[8, 3]).violation(bits(&[3])), None);
    assert_eq!(n(K::C, &[4, 3]).violation(bits(&[4])), Some(3));
    assert_eq!(n(K::C, &[4, 3]).violation(bits(&[3])), None);
    assert_eq!(n(K::C, &[1, 2, 3]).violation(bits(&[1, 2])), Some(3));
    assert_eq!(n(K::L, &[7, 3, 5]).violation(bits(&[7])), Some(3));
    assert_eq!(n(K::L, &[7, 3, 5]).violation(bits(&[7, 5])), None);
    assert_eq!(n(K::L, &[7, 3, 5]).violation(bits(&[3])), None);
    assert_eq!(n(K::P, &[63, 64]).violation(bits(&[64])), Some(63));
    assert_eq!(n(K::R, &[2, 4, 5, 6, 12]).label(), "R0204050612");
    assert_eq!(n(K::E, &[8, 3]).code(), 10);
    assert_eq!(n(K::P, &[6, 7]).code(), 2);
    let only4 = n(K::P, &[1, 2]).only4010();
    assert!(only4.applies(false) && !only4.applies(true));
    let from5 = n(K::P, &[1, 2]).from5010();
    assert!(!from5.applies(false) && from5.applies(true));
}

/// Every note names positions its segment has, in every version, and no note is empty.
#[test]
fn syntax_notes_name_real_elements() {
    for def in segments::ALL {
        for note in def.notes {
            assert!(note.elements.len() >= 2, "{} {}", def.id, note.label());
            for &p in note.elements {
                assert!(
                    p >= 1
                        && usize::from(p)
                            <= def.elements.iter().filter(|e| e.v5 != V5::Added).count()
                        || note.versions == schema::NoteIn::From5010,
                    "{} {}",
                    def.id,
                    note.label()
                );
                let e = def.elements.get(usize::from(p) - 1).map(|e| e.req);
                // A note never makes a mandatory element conditional: that would be a typo.
                assert_ne!(
                    e,
                    Some(Req::Mandatory),
                    "{} {} names a mandatory element",
                    def.id,
                    note.label()
                );
            }
        }
    }
}

#[test]
fn each_known_set_has_its_own_table_and_plan_slot() {
    for (i, set) in KnownSet::ALL.into_iter().enumerate() {
        assert_eq!(set.index(), i, "{set}");
        assert_eq!(table_of(set).id, set);
        assert_eq!(KnownSet::from_code(set.code().as_bytes()), Some(set));
        assert_eq!(
            crate::edi::x12::TransactionSet::from(set).known(),
            Some(set)
        );
    }
    assert_eq!(KnownSet::from_code(b"820"), None);
}
