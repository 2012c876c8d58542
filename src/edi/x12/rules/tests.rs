//! Tests of the rules engine on small fixtures written for Wharf: every good set passes clean, every check fires with its exact code and place.

use super::*;
use crate::edi::x12::reader::Reader;

const ISA: &str = "ISA*00*          *00*          *ZZ*BUYER          *ZZ*SELLER         *240102*1030*U*00401*000000001*0*T*>~";

/// Runs the validator over `body` (ST..SE, `~`-terminated) under GS08 `version`.
fn run(body: &str, version: &str) -> Vec<Finding> {
    let gs = format!("GS*PO*B*S*20240102*1030*1*X*{version}~");
    let all = format!("{ISA}{gs}{body}GE*1*1~IEA*1*000000001~");
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

/// (code, segment id, position, element, component) of each error.
fn keys(f: &[Finding]) -> Vec<(AckCode, String, u32, Option<u32>, Option<u32>)> {
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
    // Unknown N101 entity code → 7.
    let f = errors(&PO850.replace("N1*ST*Dock", "N1*QQ*Dock"), "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(7), "N1".into(), 7, Some(1), None)]
    );
    assert_eq!(f[0].loop_id, Some("N1"));
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
    // HL03 outside its code list → 7.
    let f = errors(&ASN_SOI.replace("HL*2*1*O*1", "HL*2*1*Y*1"), "004010");
    assert_eq!(
        keys(&f),
        vec![(AckCode::Element(7), "HL".into(), 10, Some(3), None)]
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
