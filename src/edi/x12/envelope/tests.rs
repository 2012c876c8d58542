//! Unit tests of `envelope`.

use super::*;

fn ic(body: &str, iea: &str) -> String {
    format!(
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*1030*U*00401*000000001*1*T*>~{body}{iea}"
    )
}

const SET1: &str = "ST*850*0001~BEG*00*SA*PO1**20240102~PO1*1*2*EA*1.5**BP*A~CTT*1~SE*5*0001~";

#[test]
fn sound_envelope() {
    let s = ic(
        &format!("GS*PO*S*R*20240102*1030*1*X*004010~{SET1}GE*1*1~"),
        "IEA*1*000000001~",
    );
    let env = parse_interchanges(s.as_bytes()).unwrap();
    assert_eq!(env.interchanges.len(), 1);
    let i = &env.interchanges[0];
    assert!(i.diagnostics.is_empty(), "{:?}", i.diagnostics);
    assert!(i.closed);
    assert_eq!(i.groups[0].sets[0].kind, TransactionSet::PurchaseOrder850);
    assert_eq!(i.groups[0].sets[0].body().len(), 3);
    assert!(i.groups[0].sets[0].is_sound());
    assert!(i.header.ack_requested);
    assert_eq!(i.header.sender_id, "SENDER");
}

#[test]
fn wrong_counts_and_controls() {
    let s = ic(
        "GS*PO*S*R*20240102*1030*1*X*004010~ST*850*0001~BEG*00*SA*PO1**20240102~SE*9*0002~ST*850*0001~SE*2*0001~GE*1*2~",
        "IEA*2*000000009~",
    );
    let env = parse_interchanges(s.as_bytes()).unwrap();
    let i = &env.interchanges[0];
    let codes: Vec<_> = i.diagnostics.iter().filter_map(|d| d.code).collect();
    assert_eq!(codes, vec![AckCode::Ta1(21), AckCode::Ta1(1)]);
    let g = &i.groups[0];
    let gcodes: Vec<_> = g.diagnostics.iter().filter_map(|d| d.code).collect();
    assert_eq!(gcodes, vec![AckCode::Group(5), AckCode::Group(4)]);
    let s0: Vec<_> = g.sets[0]
        .diagnostics
        .iter()
        .filter_map(|d| d.code)
        .collect();
    assert_eq!(s0, vec![AckCode::Set(4), AckCode::Set(3)]);
    assert!(
        g.sets[0].diagnostics[0]
            .message
            .contains("SE01 says 9 segments but transaction set 0001 has 3")
    );
    let s1: Vec<_> = g.sets[1]
        .diagnostics
        .iter()
        .filter_map(|d| d.code)
        .collect();
    assert_eq!(s1, vec![AckCode::Set(23)]);
}

#[test]
fn truncated_is_reported() {
    let s = ic(
        "GS*PO*S*R*20240102*1030*1*X*004010~ST*850*0001~BEG*00*SA*PO1",
        "",
    );
    let env = parse_interchanges(s.as_bytes()).unwrap();
    let i = &env.interchanges[0];
    assert_eq!(i.ta1_fault(), Some(23));
    assert!(!i.closed);
    assert_eq!(i.groups[0].diagnostics[0].code, Some(AckCode::Group(3)));
    assert!(
        i.groups[0].sets[0]
            .diagnostics
            .iter()
            .any(|d| d.code == Some(AckCode::Set(2)))
    );
}

#[test]
fn isa_forms() {
    let s = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *241302*1030*U*00401*12345*2*X*>~IEA*0*12345~";
    let env = parse_interchanges(s.as_bytes()).unwrap();
    let codes: Vec<_> = env.interchanges[0]
        .diagnostics
        .iter()
        .filter_map(|d| d.code)
        .collect();
    assert_eq!(
        codes,
        vec![
            AckCode::Ta1(14),
            AckCode::Ta1(18),
            AckCode::Ta1(19),
            AckCode::Ta1(20)
        ]
    );
}

#[test]
fn complete_prefix_ends_after_the_last_whole_interchange() {
    let one = ic("", "IEA*0*000000001~\r\n");
    let two = format!(
        "{one}{}",
        ic("GS*PO*S*R*20240102*1030*1*X*004010~", "IEA*1*00000")
    );
    assert_eq!(complete_prefix(two.as_bytes()), one.len());
    assert_eq!(complete_prefix(one.as_bytes()), one.len());
    assert_eq!(complete_prefix(b"ISA*00*nothing complete"), 0);
    // "IEA" inside data is not a trailer.
    assert_eq!(complete_prefix(b"N1*ST*IEA*1*PLACE~"), 0);
}

#[test]
fn peek() {
    let s = ic("", "IEA*0*000000001~");
    let h = peek_isa(format!("\u{feff}\r\n{s}").as_bytes()).unwrap();
    assert_eq!(
        (h.sender_qualifier.as_str(), h.receiver_id.as_str()),
        ("ZZ", "RECEIVER")
    );
    assert_eq!(h.control_number, "000000001");
    assert_eq!(h.usage, UsageIndicator::Test);
    assert_eq!(h.delimiters.component, b'>');
    assert!(peek_isa(b"nothing here").is_err());
}
