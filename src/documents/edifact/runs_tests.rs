//! Parallel EDIFACT translation (runs of interchanges on every core) hands on exactly what one walk does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::{Output, TranslateOptions, translate_by_interchange, translate_stream_runs};
use crate::edi::edifact::envelope::interchange_runs;

/// One interchange: with a UNA of custom characters or none, a good or faulty order, and a
/// right or wrong UNZ count.
fn ic(n: u32) -> String {
    let date = if n.is_multiple_of(3) {
        "2026113X"
    } else {
        "20261126"
    };
    let count = if n.is_multiple_of(7) { 2 } else { 1 };
    let body = format!(
        "UNB+UNOA:3+SENDER:14+WHARF:14+261126:0930+IC{n}++ORDERS++1'\n\
         UNH+1+ORDERS:D:96A:UN:EAN008'\nBGM+220+PO{n}+9'\nDTM+137:{date}:102'\n\
         FTX+PUR+1++DOCK 4?+5 ?'B?''\nNAD+BY+4012345000009::9'\nLIN+1++5412345678908:EN'\n\
         QTY+21:12:PCE'\nUNS+S'\nCNT+2:1'\nUNT+10+1'\nUNZ+{count}+IC{n}'\n"
    );
    if n % 4 == 1 {
        // The same interchange with its own service characters (`*` for `+`).
        format!("UNA:*.? '{}", body.replace('+', "*").replace("?*", "?+"))
    } else {
        body
    }
}

/// Interchanges, good and faulty, with junk, blank lines and an unusable UNA between some.
fn input() -> Vec<u8> {
    let mut s = String::new();
    for n in 1..=60u32 {
        s.push_str(&ic(n));
        match n % 10 {
            4 => s.push_str("\n\n"),
            5 => s.push_str("UNA:+.?\n"),
            6 => s.push_str("NOT EDI\n"),
            _ => {}
        }
    }
    s.into_bytes()
}

fn run(input: &[u8], parallel: bool, run_bytes: usize) -> String {
    let mut out = Vec::new();
    let file = translate_stream_runs(
        input,
        TranslateOptions::default(),
        run_bytes,
        parallel,
        |o| out.push(format!("{o:?}")),
    );
    format!("{out:#?}\n{file:#?}")
}

#[test]
fn runs_cover_the_input_and_cut_only_before_a_header() {
    let input = input();
    let runs = interchange_runs(&input, 1_000);
    assert!(runs.len() > 3, "{runs:?}");
    assert_eq!(runs.first().map(|r| r.0), Some(0));
    assert_eq!(runs.last().map(|r| r.1), Some(input.len()));
    for w in runs.windows(2) {
        assert_eq!(w[0].1, w[1].0);
        let next = &input[w[1].0..];
        assert!(
            next.starts_with(b"UNB") || next.starts_with(b"UNA"),
            "cut at {}",
            w[1].0
        );
    }
}

#[test]
fn parallel_translation_equals_one_walk() {
    let input = input();
    let sequential = run(&input, false, usize::MAX);
    assert!(sequential.contains("Document(Order"));
    assert!(sequential.contains("outside any interchange"));
    assert!(sequential.contains("UNZ"));
    for run_bytes in [200, 1_000, 4_000] {
        assert_eq!(
            run(&input, true, run_bytes),
            sequential,
            "runs of {run_bytes}"
        );
    }
}

/// Each interchange's documents and outcome, as the CLI's printer folds them.
#[derive(Default)]
struct Folded(Vec<String>);

#[test]
fn translation_by_interchange_equals_one_walk() {
    let mut input = Vec::new();
    while input.len() < 3 << 20 {
        input.extend_from_slice(&self::input());
    }
    let mut walked = Vec::new();
    let one = translate_stream_runs(
        &input,
        TranslateOptions::default(),
        usize::MAX,
        false,
        |o| walked.push(format!("{o:?}")),
    );
    let mut folded = Vec::new();
    let mut values = 0;
    let by = translate_by_interchange(
        &input,
        TranslateOptions::default(),
        |c: &mut Folded, o: Output| c.0.push(format!("{o:?}")),
        |c| {
            values += 1;
            folded.extend(c.0);
        },
    );
    assert!(walked.len() > 1000, "{}", walked.len());
    assert_eq!(folded, walked);
    assert_eq!(format!("{by:?}"), format!("{one:?}"));
    assert!(values > 100, "{values}");
}
