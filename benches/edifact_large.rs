//! Criterion benchmark of the EDIFACT reader on a large generated file (~100 MB of EANCOM
//! ORDERS and DESADV in many interchanges, free text full of release characters), beside
//! two baselines in the same run: a bare release-aware terminator scan and the `edifact-rs`
//! crate. Size: `WHARF_BENCH_MB` (default 100).

use std::hint::black_box;

/// The same allocator as the `wharf` binary, so the figures match what the gateway does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wharf::documents::edifact::{Output, TranslateOptions, translate_stream_runs, translate_with};
use wharf::edi::edifact::Reader;
use wharf::edi::edifact::envelope::{Event, walk};

fn orders(n: usize, s: &mut Vec<String>) {
    s.push(format!("UNH+{n}+ORDERS:D:96A:UN:EAN008"));
    s.push(format!("BGM+220+PO{n:08}+9"));
    s.push("DTM+137:20261126:102".into());
    s.push("DTM+2:20261203:102".into());
    s.push("FTX+PUR+1++DELIVER TO DOCK 4?+5 BEFORE 10?:00, ASK FOR ?'GATE B?'".into());
    s.push("NAD+BY+4012345000009::9".into());
    s.push("NAD+DP+4012345000108::9++STORE 108+1 MAIN STREET+BRUXELLES++1000+BE".into());
    s.push("CUX+2:EUR:9".into());
    for l in 1..=10 {
        s.push(format!("LIN+{l}++54123456789{:02}:EN", l % 100));
        s.push(format!("PIA+1+ACME-{l:03}:SA"));
        s.push(format!("IMD+F++:::WIDGET NUMBER {l} ?+ SPARE"));
        s.push(format!("QTY+21:{}:PCE", l * 3));
        s.push("PRI+AAA:12.50".into());
    }
    s.push("UNS+S".into());
    s.push("CNT+2:10".into());
}

fn desadv(n: usize, s: &mut Vec<String>) {
    s.push(format!("UNH+{n}+DESADV:D:96A:UN:EAN005"));
    s.push(format!("BGM+351+ASN{n:08}+9"));
    s.push("DTM+137:20261126:102".into());
    s.push(format!("RFF+ON:PO{n:08}"));
    s.push("NAD+SU+5412345000013::9".into());
    s.push("CPS+1".into());
    for p in 0..2usize {
        s.push(format!("CPS+{}+1", p + 2));
        s.push("PAC+1++CT".into());
        s.push("PCI+33E".into());
        s.push("GIN+BJ+106141411234567897".into());
        for i in 0..3 {
            s.push(format!("LIN+{}++5412345678908:SRV", p * 3 + i + 1));
            s.push("QTY+12:6:PCE".into());
        }
    }
    s.push("CNT+2:6".into());
}

/// One UNA, then interchanges of 40 ORDERS and 40 DESADV until the file reaches `mb` MB.
fn generate(mb: usize) -> Vec<u8> {
    let target = mb * 1_000_000;
    let mut out = Vec::with_capacity(target + 100_000);
    out.extend_from_slice(b"UNA:+.? '\n");
    let mut ic = 0u32;
    let mut segs = Vec::new();
    while out.len() < target {
        ic += 1;
        out.extend_from_slice(
            format!("UNB+UNOA:3+5412345000013:14+4012345000009:14+261126:1200+IC{ic}'\n")
                .as_bytes(),
        );
        let mut count = 0;
        for make in [orders as fn(usize, &mut Vec<String>), desadv] {
            for n in 1..=40 {
                segs.clear();
                count += 1;
                make(count, &mut segs);
                for seg in &segs {
                    out.extend_from_slice(seg.as_bytes());
                    out.extend_from_slice(b"'\n");
                }
                out.extend_from_slice(format!("UNT+{}+{count}'\n", segs.len() + 1).as_bytes());
                let _ = n;
            }
        }
        out.extend_from_slice(format!("UNZ+{count}+IC{ic}'\n").as_bytes());
    }
    out
}

fn bench(c: &mut Criterion) {
    // `cargo test --all-targets` runs benchmarks once in test mode (no `--bench`): keep it quick.
    let default_mb = if std::env::args().any(|a| a == "--bench") {
        100
    } else {
        1
    };
    let mb = std::env::var("WHARF_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_mb);
    let input = generate(mb);
    // The figures are only worth something if the input is sound and fully translated.
    let check = translate_with(&input, TranslateOptions::default()).expect("generated input reads");
    assert_eq!(
        wharf::documents::edifact::error_count(&check),
        0,
        "generated input has faults"
    );
    let messages = check.interchanges.len() * 80;
    let docs: usize = check.interchanges.iter().map(|i| i.documents.len()).sum();
    assert_eq!(docs, messages, "every ORDERS and DESADV becomes a document");
    drop(check);
    let mut g = c.benchmark_group("edifact_large");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(input.len() as u64));

    g.bench_function("baseline_release_aware_terminator_scan", |b| {
        b.iter(|| {
            let data = black_box(&input);
            let (mut segments, mut i) = (0usize, 0usize);
            while let Some(&byte) = data.get(i) {
                if byte == b'?' {
                    i += 2;
                    continue;
                }
                segments += usize::from(byte == b'\'');
                i += 1;
            }
            segments
        })
    });
    g.bench_function("edifact_rs_segments_elements_components", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for seg in edifact_rs::from_bytes(black_box(&input)).flatten() {
                for e in &seg.elements {
                    n += e.components().map(str::len).sum::<usize>();
                }
            }
            n
        })
    });
    g.bench_function("wharf_tokenize_segments_elements", |b| {
        b.iter(|| {
            let mut r = Reader::new(black_box(&input));
            let mut n = 0usize;
            // Every element is visited (as the X12 figure does).
            while let Ok(Some(seg)) = r.next_segment() {
                n += seg.elements().map(|e| e.raw.len()).sum::<usize>();
            }
            n
        })
    });
    g.bench_function("wharf_tokenize_segments_elements_components", |b| {
        b.iter(|| {
            let mut r = Reader::new(black_box(&input));
            let mut n = 0usize;
            // Every component of every element is visited, so no shortcut can flatter it.
            while let Ok(Some(seg)) = r.next_segment() {
                for e in seg.elements() {
                    n += e.components().map(<[u8]>::len).sum::<usize>();
                }
            }
            n
        })
    });
    g.bench_function("wharf_envelope_and_charset_validation", |b| {
        b.iter(|| {
            let mut messages = 0usize;
            walk(black_box(&input), |e| {
                if let Event::Message(..) = e {
                    messages += 1;
                }
            })
            .map(|()| messages)
        })
    });
    // Full translation, first on one thread, then as `wharf translate` and the gateway run
    // it: runs of interchanges on every core, output in input order.
    for (name, parallel) in [
        ("wharf_translate_to_canonical", false),
        ("wharf_translate_to_canonical_all_cores", true),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut docs = 0usize;
                translate_stream_runs(
                    black_box(&input),
                    TranslateOptions::default(),
                    1 << 20,
                    parallel,
                    |o| {
                        if let Output::Document(d) = o {
                            docs += 1;
                            drop(d);
                        }
                    },
                )
                .map(|_| docs)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
