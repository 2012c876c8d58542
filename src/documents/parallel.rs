//! Translates runs of whole interchanges on several threads and hands the outputs on in input order, with a bounded number of runs held, so a large file uses every core in flat memory.

use super::{Output, TranslateOptions, translate_run};
use crate::edi::x12::{Diagnostic, X12Error};
use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, PoisonError, mpsc};

/// What one run produced.
type RunDone = (Vec<Output>, Result<Vec<Diagnostic>, X12Error>);

/// A run's result; `Err` carries a worker's panic to the calling thread.
type RunResult = std::thread::Result<RunDone>;

/// How far ahead of the run being handed on the threads may work, per thread. Two keeps
/// both cores busy while the caller's sink (JSON, the store) works through a run; the
/// runs held stay a few megabytes.
const AHEAD_PER_THREAD: usize = 2;

/// Which run is next, and how far the caller has handed runs on: threads claim runs only
/// within `window` of the next one to hand on, so finished runs held never exceed it.
struct Claims {
    len: usize,
    window: usize,
    state: Mutex<ClaimState>,
    moved: Condvar,
}

struct ClaimState {
    next: usize,
    emitted: usize,
    /// Set when the caller stops early (a worker panicked): waiting workers give up.
    abandoned: bool,
}

impl Claims {
    fn lock(&self) -> std::sync::MutexGuard<'_, ClaimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next run if one may be started now; `Err(true)` when none is left (or the
    /// caller gave up), `Err(false)` when the window is full.
    fn try_claim(st: &mut ClaimState, len: usize, window: usize) -> Result<usize, bool> {
        if st.abandoned || st.next >= len {
            return Err(true);
        }
        if st.next >= st.emitted + window {
            return Err(false);
        }
        st.next += 1;
        Ok(st.next - 1)
    }

    /// For the caller: a run to translate itself, without waiting.
    fn claim_now(&self) -> Option<usize> {
        Self::try_claim(&mut self.lock(), self.len, self.window).ok()
    }

    /// For a worker: the next run, waiting for the window to move; `None` when done.
    fn claim_wait(&self) -> Option<usize> {
        let mut st = self.lock();
        loop {
            match Self::try_claim(&mut st, self.len, self.window) {
                Ok(i) => return Some(i),
                Err(true) => return None,
                Err(false) => st = self.moved.wait(st).unwrap_or_else(PoisonError::into_inner),
            }
        }
    }

    fn emitted(&self, n: usize) {
        self.lock().emitted = n;
        self.moved.notify_all();
    }

    fn abandon(&self) {
        self.lock().abandoned = true;
        self.moved.notify_all();
    }
}

fn run_one(input: &[u8], (start, end): (usize, usize), opts: TranslateOptions) -> RunResult {
    let run = input.get(..end).unwrap_or(input);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut outputs = Vec::new();
        let file = translate_run(run, start, opts, |o| outputs.push(o));
        (outputs, file)
    }))
}

/// Translates each `(start, end)` run of `input` (see
/// [`interchange_runs`](crate::edi::x12::envelope::interchange_runs)) on `threads` threads,
/// the calling thread being one of them (one heap and one thread fewer than a pool beside
/// it); `sink` sees exactly what one sequential walk would hand it, in the same order.
pub(super) fn translate(
    input: &[u8],
    runs: &[(usize, usize)],
    threads: usize,
    opts: TranslateOptions,
    mut sink: impl FnMut(Output),
) -> Result<Vec<Diagnostic>, X12Error> {
    let claims = Claims {
        len: runs.len(),
        window: threads.saturating_mul(AHEAD_PER_THREAD).max(2),
        state: Mutex::new(ClaimState {
            next: 0,
            emitted: 0,
            abandoned: false,
        }),
        moved: Condvar::new(),
    };
    let (tx, rx) = mpsc::channel::<(usize, RunResult)>();
    let mut file: Vec<Diagnostic> = Vec::new();
    let mut first_error = None;
    let mut any_ok = false;
    std::thread::scope(|scope| {
        for _ in 1..threads.min(runs.len()) {
            let tx = tx.clone();
            let claims = &claims;
            scope.spawn(move || {
                while let Some(i) = claims.claim_wait() {
                    let Some(&run) = runs.get(i) else { break };
                    if tx.send((i, run_one(input, run, opts))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, RunDone> = BTreeMap::new();
        let mut want = 0usize;
        let take =
            |i: usize, result: RunResult, pending: &mut BTreeMap<usize, RunDone>| match result {
                Ok(done) => {
                    pending.insert(i, done);
                }
                Err(panic) => {
                    claims.abandon();
                    std::panic::resume_unwind(panic);
                }
            };
        while want < runs.len() {
            while let Ok((i, result)) = rx.try_recv() {
                take(i, result, &mut pending);
            }
            if let Some((outputs, diags)) = pending.remove(&want) {
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
                claims.emitted(want);
                continue;
            }
            // Nothing to hand on yet: translate a run here if one may start, else wait for
            // a worker's.
            if let Some(i) = claims.claim_now() {
                if let Some(&run) = runs.get(i) {
                    take(i, run_one(input, run, opts), &mut pending);
                }
                continue;
            }
            match rx.recv() {
                Ok((i, result)) => take(i, result, &mut pending),
                // Every worker is done: what is left was claimed here and is pending.
                Err(_) if pending.contains_key(&want) => {}
                Err(_) => break,
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
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::super::{TranslateOptions, translate_stream_runs};
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
}
