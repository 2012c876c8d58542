//! Criterion benchmarks for the X12 hot path: the zero-copy tokenizer alone, and the whole
//! translation (envelope validation, 850 → Order, 997 model) over a ~1 MB interchange.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wharf::documents::x12::translate;
use wharf::edi::x12::Reader;

/// One interchange, one group, `sets` purchase orders of ten lines each.
fn interchange(sets: usize) -> Vec<u8> {
    let mut s = String::from(
        "ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*WHARF          *261126*1200*U*00401*000000001*0*P*>~\n\
         GS*PO*ACMERETAIL*WHARF*20261126*1200*1*X*004010~\n",
    );
    for n in 1..=sets {
        let mut segs = vec![
            format!("ST*850*{n:04}"),
            format!("BEG*00*SA*PO-{n}**20261126"),
            "N1*ST*ACME Store 42*92*0042".into(),
            "N3*1 Main Street".into(),
            "N4*Springfield*IL*62701*US".into(),
        ];
        for l in 1..=10 {
            segs.push(format!(
                "PO1*{l}*{}*EA*12.50**BP*ACME-{l:03}*VP*WID-{l}*UP*01234567890{}",
                l * 3,
                l % 10
            ));
            segs.push(format!("PID*F****Widget number {l}"));
        }
        segs.push("CTT*10".into());
        for seg in &segs {
            s.push_str(seg);
            s.push_str("~\n");
        }
        s.push_str(&format!("SE*{}*{n:04}~\n", segs.len() + 1));
    }
    s.push_str(&format!("GE*{sets}*1~\nIEA*1*000000001~\n"));
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    let input = interchange(1500);
    let mut g = c.benchmark_group("x12");
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("tokenize_1MB", |b| {
        b.iter(|| {
            let mut r = Reader::new(black_box(&input));
            let mut elements = 0usize;
            while let Ok(Some(seg)) = r.next_segment() {
                // Visit every element (a `count()` shortcut would flatter the figure).
                elements += seg.elements().map(|e| e.len()).sum::<usize>();
            }
            elements
        })
    });
    g.bench_function("translate_850_1MB", |b| {
        b.iter(|| {
            let t = translate(black_box(&input)).expect("readable");
            assert_eq!(t.interchanges[0].documents.len(), 1500);
            t
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
