//! Translates runs of whole interchanges on several threads and hands the outputs on in input order, with a bounded number of runs held, so a large file uses every core in flat memory.

use super::{Output, TranslateOptions, translate_run};
use crate::edi::x12::{Diagnostic, X12Error};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError, mpsc};

/// What one run produced; `Err` carries a worker's panic to the calling thread.
type RunResult = std::thread::Result<(Vec<Output>, Result<Vec<Diagnostic>, X12Error>)>;

/// How far ahead of the run being handed on the threads may work, per thread.
const AHEAD_PER_THREAD: usize = 2;

/// The calling thread's progress, which the workers wait on so that they never hold more
/// than `window` finished runs.
struct Progress {
    emitted: Mutex<usize>,
    moved: Condvar,
    /// Set when the caller stops early (a worker panicked): waiting workers give up.
    abandoned: AtomicBool,
}

impl Progress {
    /// Blocks until run `i` is within `window` of the next run to hand on; `false` when the
    /// caller has given up.
    fn wait_turn(&self, i: usize, window: usize) -> bool {
        let mut emitted = self.emitted.lock().unwrap_or_else(PoisonError::into_inner);
        while i >= *emitted + window {
            if self.abandoned.load(Ordering::Acquire) {
                return false;
            }
            emitted = self
                .moved
                .wait(emitted)
                .unwrap_or_else(PoisonError::into_inner);
        }
        !self.abandoned.load(Ordering::Acquire)
    }

    fn advance(&self, emitted: usize) {
        *self.emitted.lock().unwrap_or_else(PoisonError::into_inner) = emitted;
        self.moved.notify_all();
    }

    fn abandon(&self) {
        self.abandoned.store(true, Ordering::Release);
        // Taking the lock orders the flag before any waiter's next check.
        drop(self.emitted.lock().unwrap_or_else(PoisonError::into_inner));
        self.moved.notify_all();
    }
}

/// Translates each `(start, end)` run of `input` (see
/// [`interchange_runs`](crate::edi::x12::envelope::interchange_runs)) on `threads` threads;
/// `sink` sees exactly what one sequential walk would hand it, in the same order.
pub(super) fn translate(
    input: &[u8],
    runs: &[(usize, usize)],
    threads: usize,
    opts: TranslateOptions,
    mut sink: impl FnMut(Output),
) -> Result<Vec<Diagnostic>, X12Error> {
    let next = AtomicUsize::new(0);
    let window = threads.saturating_mul(AHEAD_PER_THREAD).max(1);
    let progress = Progress {
        emitted: Mutex::new(0),
        moved: Condvar::new(),
        abandoned: AtomicBool::new(false),
    };
    let (tx, rx) = mpsc::channel::<(usize, RunResult)>();
    let mut file: Vec<Diagnostic> = Vec::new();
    let mut first_error = None;
    let mut any_ok = false;
    std::thread::scope(|scope| {
        for _ in 0..threads.min(runs.len()) {
            let tx = tx.clone();
            let (next, progress) = (&next, &progress);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(start, end)) = runs.get(i) else {
                        break;
                    };
                    if !progress.wait_turn(i, window) {
                        break;
                    }
                    let run = input.get(..end).unwrap_or(input);
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let mut outputs = Vec::new();
                        let file = translate_run(run, start, opts, |o| outputs.push(o));
                        (outputs, file)
                    }));
                    if tx.send((i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, (Vec<Output>, Result<Vec<Diagnostic>, X12Error>)> =
            BTreeMap::new();
        let mut want = 0usize;
        for (i, result) in rx {
            match result {
                Ok(done) => {
                    pending.insert(i, done);
                }
                Err(panic) => {
                    progress.abandon();
                    std::panic::resume_unwind(panic);
                }
            }
            while let Some((outputs, diags)) = pending.remove(&want) {
                outputs.into_iter().for_each(&mut sink);
                match diags {
                    Ok(d) => {
                        any_ok = true;
                        file.extend(d);
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
                want += 1;
                progress.advance(want);
            }
        }
    });
    if !any_ok && let Some(e) = first_error {
        return Err(e);
    }
    // One walk reports unreadable headers as it meets them and junk between interchanges
    // at the end; keep that order across runs.
    file.sort_by_key(|d| d.location.offset.is_some());
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::super::{TranslateOptions, translate_runs};
    use crate::edi::x12::envelope::interchange_runs;

    fn ic(control: u32, body: &str, iea_count: u32) -> String {
        format!(
            "ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*WHARF          *261126*1200*U*00401*{control:09}*1*P*>~\n\
             GS*PO*ACMERETAIL*WHARF*20261126*1200*{control}*X*004010~\n{body}GE*1*{control}~\n\
             IEA*{iea_count}*{control:09}~\n"
        )
    }

    const GOOD: &str =
        "ST*850*0001~BEG*00*SA*PO1**20261126~PO1*1*2*EA*1.5**BP*A~CTT*1~SE*5*0001~\n";
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
        let file = translate_runs(input, opts, run_bytes, |o| out.push(format!("{o:?}")));
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
}
