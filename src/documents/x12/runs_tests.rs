//! Parallel X12 translation (runs of interchanges on every core) hands on exactly what one walk does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::{Output, TranslateOptions, translate_by_interchange, translate_stream_runs};
use crate::edi::x12::envelope::interchange_runs;

fn ic(control: u32, body: &str, iea_count: u32) -> String {
    format!(
        "ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*WHARF          *261126*1200*U*00401*{control:09}*1*P*>~\n\
         GS*PO*ACMERETAIL*WHARF*20261126*1200*{control}*X*004010~\n{body}GE*1*{control}~\n\
         IEA*{iea_count}*{control:09}~\n"
    )
}

const GOOD: &str = "ST*850*0001~BEG*00*SA*PO1**20261126~PO1*1*2*EA*1.5**BP*A~CTT*1~SE*5*0001~\n";
const BAD: &str = "ST*850*0001~BEG*00*SA*PO1**2026113X~PO1*1*two*EA~SE*4*0002~\n";

/// Interchanges, good and faulty (wrong IEA count, bad dates, a wrong SE), with junk,
/// blank lines and an unreadable ISA between some of them.
fn input() -> Vec<u8> {
    let mut s = String::new();
    for n in 1..=60u32 {
        s.push_str(&ic(
            n,
            if n % 3 == 0 { BAD } else { GOOD },
            if n % 7 == 0 { 2 } else { 1 },
        ));
        match n % 10 {
            4 => s.push_str("\n\n"),
            5 => s.push_str("ISA*garbage~\n"),
            6 => s.push_str("NOT EDI\n"),
            _ => {}
        }
    }
    s.into_bytes()
}

fn run(input: &[u8], parallel: bool, run_bytes: usize) -> String {
    let opts = TranslateOptions {
        parallel,
        ..TranslateOptions::default()
    };
    let mut out = Vec::new();
    let file = translate_stream_runs(input, opts, run_bytes, |o| out.push(format!("{o:?}")));
    format!("{out:#?}\n{file:#?}")
}

#[test]
fn runs_cover_the_input_and_cut_only_between_interchanges() {
    let input = input();
    let runs = interchange_runs(&input, 2_000);
    assert!(runs.len() > 3, "{runs:?}");
    assert_eq!(runs.first().map(|r| r.0), Some(0));
    assert_eq!(runs.last().map(|r| r.1), Some(input.len()));
    for w in runs.windows(2) {
        assert_eq!(w[0].1, w[1].0);
        assert!(input[w[1].0..].starts_with(b"ISA*00*"), "cut at {}", w[1].0);
    }
}

#[test]
fn parallel_translation_equals_one_walk() {
    let input = input();
    let sequential = run(&input, false, 2_000);
    assert!(sequential.contains("Document(Order"));
    assert!(sequential.contains("outside any interchange"));
    assert!(sequential.contains("IEA01"));
    for run_bytes in [300, 2_000, 9_000] {
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
    // Large enough to be cut into runs of the default size.
    let mut input = Vec::new();
    while input.len() < 3 << 20 {
        input.extend_from_slice(&self::input());
    }
    let mut walked = Vec::new();
    let opts = TranslateOptions {
        parallel: false,
        ..TranslateOptions::default()
    };
    let one = translate_stream_runs(&input, opts, usize::MAX, |o| walked.push(format!("{o:?}")));
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
