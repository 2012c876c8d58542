//! Criterion benchmark of the X12 reader on a large generated file (~100 MB of realistic 850s
//! and 856s in many interchanges, groups and sets), beside two baselines in the same run: a
//! bare memchr scan of the segment terminator and the `x12-stream-parser` crate.
//!
//! The `edi` crate is measured outside this repository (it is GPL-3.0, so it is not a
//! dependency of Wharf even for benchmarks); see README § Performance for how.
//! Size: `WHARF_BENCH_MB` (default 100).

use std::hint::black_box;

/// The same allocator as the `wharf` binary, so the figures match what the gateway does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wharf::documents::x12::{Output, TranslateOptions, translate_stream};
use wharf::edi::x12::Reader;
use wharf::edi::x12::envelope::{Event, walk};
use wharf::edi::x12::rules::SetValidator;

fn po850(n: usize, s: &mut Vec<String>) {
    s.push(format!("ST*850*{n:04}"));
    s.push(format!("BEG*00*SA*PO{n:08}**20261126"));
    s.push("CUR*BY*USD".into());
    s.push("REF*DP*042".into());
    s.push("DTM*002*20261203".into());
    s.push("N1*ST*ACME STORE 42*92*0042".into());
    s.push("N3*1 MAIN STREET".into());
    s.push("N4*SPRINGFIELD*IL*62701*US".into());
    for l in 1..=10 {
        s.push(format!(
            "PO1*{l}*{}*EA*12.50**BP*ACME-{l:03}*VP*WID-{l}*UP*01234567890{}",
            l * 3,
            l % 10
        ));
        s.push(format!("PID*F****WIDGET NUMBER {l}"));
    }
    s.push("CTT*10".into());
}

/// An SSCC-18 with its GS1 check digit (weights 3, 1, 3, … from the rightmost data digit).
fn sscc(data17: &str) -> String {
    let total: u32 = data17
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    format!("{data17}{}", (10 - total % 10) % 10)
}

fn asn856(n: usize, s: &mut Vec<String>) {
    s.push(format!("ST*856*{n:04}"));
    s.push(format!("BSN*00*SHP{n:08}*20261126*1200*0001"));
    s.push("HL*1**S".into());
    s.push("TD1*CTN25*2****G*31.5*LB".into());
    s.push("TD5**2*UPSN".into());
    s.push(format!("REF*BM*BOL{n:08}"));
    s.push("DTM*011*20261126".into());
    s.push("N1*ST*ACME STORE 42*92*0042".into());
    s.push("HL*2*1*O".into());
    s.push(format!("PRF*PO{n:08}"));
    let mut hl = 2;
    for p in 0..2 {
        hl += 1;
        let pack = hl;
        s.push(format!("HL*{pack}*2*P"));
        s.push(format!(
            "MAN*GM*{}",
            sscc(&format!("0001234560{n:05}{p:02}"))
        ));
        for i in 0..3 {
            hl += 1;
            s.push(format!("HL*{hl}*{pack}*I"));
            s.push(format!("LIN**BP*ACME-{i:03}*VP*WID-{i}"));
            s.push("SN1**6*EA".into());
        }
    }
    s.push(format!("CTT*{hl}"));
}

/// Interchanges of 40 850s and 40 856s each until the file reaches `mb` megabytes.
fn generate(mb: usize) -> Vec<u8> {
    let target = mb * 1_000_000;
    let mut out = Vec::with_capacity(target + 100_000);
    let mut ic = 0u32;
    let mut segs = Vec::new();
    while out.len() < target {
        ic += 1;
        out.extend_from_slice(format!(
            "ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*WHARF          *261126*1200*U*00401*{ic:09}*0*P*>~\n"
        ).as_bytes());
        for (g, (fid, make)) in [("PO", po850 as fn(usize, &mut Vec<String>)), ("SH", asn856)]
            .iter()
            .enumerate()
        {
            let gs = ic * 2 + g as u32;
            out.extend_from_slice(
                format!("GS*{fid}*ACMERETAIL*WHARF*20261126*1200*{gs}*X*004010~\n").as_bytes(),
            );
            for n in 1..=40 {
                segs.clear();
                make(n, &mut segs);
                for seg in &segs {
                    out.extend_from_slice(seg.as_bytes());
                    out.extend_from_slice(b"~\n");
                }
                out.extend_from_slice(format!("SE*{}*{n:04}~\n", segs.len() + 1).as_bytes());
            }
            out.extend_from_slice(format!("GE*40*{gs}~\n").as_bytes());
        }
        out.extend_from_slice(format!("IEA*2*{ic:09}~\n").as_bytes());
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
    let mut g = c.benchmark_group("x12_large");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(input.len() as u64));

    g.bench_function("baseline_memchr_terminator_scan", |b| {
        b.iter(|| memchr::memchr_iter(b'~', black_box(&input)).count())
    });
    g.bench_function("x12_stream_parser_segments_elements", |b| {
        b.iter(|| {
            let d = x12_stream_parser::Delimiters::new(b'~', b'*', b'>');
            let mut n = 0usize;
            for seg in x12_stream_parser::Parser::new(black_box(&input), d).flatten() {
                n += seg.elements().map(|e| e.len()).sum::<usize>();
            }
            n
        })
    });
    g.bench_function("wharf_tokenize_segments_elements", |b| {
        b.iter(|| {
            let mut r = Reader::new(black_box(&input));
            let mut n = 0usize;
            // Every element is visited (summing lengths), so a shortcut in `count()` cannot
            // flatter the figure.
            while let Ok(Some(seg)) = r.next_segment() {
                n += seg.elements().map(|e| e.len()).sum::<usize>();
            }
            n
        })
    });
    // What identification adds per message: the GS08/ST01 inventory matched against a
    // partner's agreements.
    g.bench_function("wharf_agreement_inventory", |b| {
        b.iter(|| wharf::partners::agreements::inventory_x12(black_box(&input)).len())
    });
    g.bench_function("wharf_envelope_validation", |b| {
        b.iter(|| {
            let mut sets = 0usize;
            walk(black_box(&input), |e| {
                if let Event::Set(..) = e {
                    sets += 1;
                }
            })
            .map(|()| sets)
        })
    });
    g.bench_function("wharf_envelope_and_structure_validation", |b| {
        b.iter(|| {
            let mut findings = 0usize;
            walk(black_box(&input), |e| {
                if let Event::Set(_, grp, set) = e
                    && let Some(mut v) = SetValidator::new(set.kind.code().as_bytes(), &grp.version)
                {
                    for seg in &set.segments {
                        v.segment(seg);
                    }
                    findings += v.finish().len();
                }
            })
            .map(|()| findings)
        })
    });
    // Full translation (envelope, structure rules, mapping, acknowledgements), first on one
    // thread, then as the gateway runs it: runs of interchanges on every core.
    for (name, parallel) in [
        ("wharf_translate_to_canonical_one_thread", false),
        ("wharf_translate_to_canonical_all_cores", true),
    ] {
        let opts = TranslateOptions {
            parallel,
            ..TranslateOptions::default()
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut docs = 0usize;
                translate_stream(black_box(&input), opts, |o| {
                    if let Output::Document(d) = o {
                        docs += 1;
                        drop(d);
                    }
                })
                .map(|_| docs)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
