//! Property tests of the X12 reader: generated files with random delimiters (including the
//! odd ones seen in the wild), versions, line endings, and numbers of interchanges, groups,
//! sets and lines translate completely and cleanly; and random damage never panics.

use proptest::prelude::*;
use wharf::documents::x12::translate;
use wharf::edi::x12::Severity;
use wharf::model::Document;

/// Delimiter bytes partners really use; each case picks four distinct ones.
const DELIMS: &[u8] = b"~*|^{`\\!$\x7f\x15:>+";

#[derive(Debug, Clone)]
struct Shape {
    element: u8,
    component: u8,
    segment: u8,
    repetition: u8,
    v5010: bool,
    newline: &'static str,
    /// interchanges → groups → sets → lines per set
    tree: Vec<Vec<Vec<u8>>>,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        proptest::sample::subsequence(DELIMS.to_vec(), 4).prop_shuffle(),
        any::<bool>(),
        prop_oneof![Just(""), Just("\n"), Just("\r\n")],
        proptest::collection::vec(
            proptest::collection::vec(proptest::collection::vec(1u8..8, 1..5), 1..3),
            1..4,
        ),
    )
        .prop_map(|(d, v5010, newline, tree)| Shape {
            element: d[0],
            component: d[1],
            segment: d[2],
            repetition: d[3],
            v5010,
            newline,
            tree,
        })
}

/// Writes the file and returns it with the PO numbers it holds, in order.
fn render(s: &Shape) -> (Vec<u8>, Vec<String>) {
    let (e, t) = (s.element as char, s.segment as char);
    let mut out = String::new();
    let mut pos = Vec::new();
    let seg = |out: &mut String, body: String| {
        out.push_str(&body.replace('*', &e.to_string()));
        out.push(t);
        out.push_str(s.newline);
    };
    for (i, groups) in s.tree.iter().enumerate() {
        let isa13 = i + 1;
        let (isa11, isa12, gs08) = if s.v5010 {
            ((s.repetition as char).to_string(), "00501", "005010")
        } else {
            ("U".to_owned(), "00401", "004010")
        };
        // Joined field by field: ISA11 may itself be a character the template would replace.
        let control = format!("{isa13:09}");
        let fields = [
            "ISA",
            "00",
            "          ",
            "00",
            "          ",
            "ZZ",
            "ACMERETAIL     ",
            "ZZ",
            "WHARF          ",
            "261126",
            "1200",
            &isa11,
            isa12,
            &control,
            "0",
            "P",
        ];
        let isa = fields.join(&e.to_string()) + &e.to_string();
        out.push_str(&isa);
        out.push(s.component as char);
        out.push(t);
        out.push_str(s.newline);
        for (g, sets) in groups.iter().enumerate() {
            let gs06 = g + 1;
            seg(
                &mut out,
                format!("GS*PO*ACMERETAIL*WHARF*20261126*1200*{gs06}*X*{gs08}"),
            );
            for (n, lines) in sets.iter().enumerate() {
                let po = format!("PO-{isa13}-{gs06}-{n}");
                pos.push(po.clone());
                seg(&mut out, format!("ST*850*{:04}", n + 1));
                seg(&mut out, format!("BEG*00*SA*{po}**20261126"));
                for l in 1..=*lines {
                    seg(&mut out, format!("PO1*{l}*{l}*EA*1.25**VP*W{l}"));
                }
                seg(&mut out, format!("CTT*{lines}"));
                seg(&mut out, format!("SE*{}*{:04}", *lines as usize + 4, n + 1));
            }
            seg(&mut out, format!("GE*{}*{gs06}", sets.len()));
        }
        seg(&mut out, format!("IEA*{}*{isa13:09}", groups.len()));
    }
    (out.into_bytes(), pos)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn generated_files_translate_completely(s in shape()) {
        let (bytes, pos) = render(&s);
        let t = translate(&bytes).expect("readable");
        prop_assert_eq!(t.interchanges.len(), s.tree.len());
        let errors: Vec<String> = t
            .interchanges
            .iter()
            .flat_map(|i| i.errors.iter())
            .chain(t.diagnostics.iter())
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.message.clone())
            .collect();
        prop_assert!(errors.is_empty(), "{:?}\n{}", errors, String::from_utf8_lossy(&bytes));
        let got: Vec<String> = t
            .interchanges
            .iter()
            .flat_map(|i| i.documents.iter())
            .map(|d| match d {
                Document::Order(o) => o.po_number.to_string(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        prop_assert_eq!(got, pos);
        for ic in &t.interchanges {
            let ack = ic.ack.as_ref().expect("a 997 per interchange");
            prop_assert!(ack.groups.iter().all(|g| g.accepted == g.received));
        }
    }

    #[test]
    fn damaged_files_never_panic(s in shape(), cut in any::<prop::sample::Index>(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8)) {
        let (mut bytes, _) = render(&s);
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let end = cut.index(bytes.len() + 1);
        let _ = translate(&bytes[..end]);
    }
}
