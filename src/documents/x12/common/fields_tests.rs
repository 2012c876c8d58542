//! Unit tests of `common`.

use super::Fields;
use crate::edi::x12::Reader;

fn check(elements: &[Vec<u8>]) {
    let mut text = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*1030*U*00401*000000001*0*T*:~ST*850*0001~PO1".to_vec();
    for e in elements {
        text.push(b'*');
        text.extend_from_slice(e);
    }
    text.push(b'~');
    let mut r = Reader::new(&text);
    let mut last = None;
    while let Ok(Some(s)) = r.next_segment() {
        last = Some(s);
    }
    let seg = last.expect("segment");
    let f = Fields::new(&seg);
    assert_eq!(f.element_count(), seg.element_count());
    for n in 0..elements.len() + 3 {
        assert_eq!(f.element(n), seg.element(n), "element {n}");
        assert_eq!(f.value(n), seg.value(n), "value {n}");
    }
}

proptest::proptest! {
    /// Fields answers exactly as the segment does: short and empty elements, more
    /// elements than it keeps at hand.
    #[test]
    fn fields_agree_with_the_segment(
        els in proptest::collection::vec(proptest::collection::vec(b'0'..=b'9', 0..12), 0..50),
    ) {
        check(&els);
    }
}

#[test]
fn elements_past_the_16_bit_offsets_are_still_found() {
    let mut els = vec![
        b"A".to_vec(),
        vec![b'X'; 70_000],
        b"B".to_vec(),
        b"C".to_vec(),
    ];
    check(&els);
    els.insert(0, Vec::new());
    check(&els);
}
