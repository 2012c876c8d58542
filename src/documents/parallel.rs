//! Translates runs of whole interchanges (X12 or EDIFACT) on several threads and hands each run's result on in input order, with a bounded number of runs held, so a large file uses every core in flat memory.

use crate::edi::diag::Diagnostic;
use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, PoisonError, mpsc};

/// What one run produced: what the caller's `run` built, and the run's file-level findings
/// (or why not a single interchange could be read in it).
type RunDone<T, E> = (T, Result<Vec<Diagnostic>, E>);

/// A run's result; `Err` carries a worker's panic to the calling thread.
type RunResult<T, E> = std::thread::Result<RunDone<T, E>>;

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

fn run_one<T, E>(
    input: &[u8],
    (start, end): (usize, usize),
    run: &(impl Fn(&[u8], usize) -> RunDone<T, E> + Sync),
) -> RunResult<T, E> {
    let bytes = input.get(..end).unwrap_or(input);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(bytes, start)))
}

/// Translates each `(start, end)` run of `input` (see the syntaxes' `interchange_runs`) with
/// `run(&input[..end], start)` on `threads` threads, the calling thread being one of them
/// (one heap and one thread fewer than a pool beside it), and hands each run's result to
/// `sink` in input order. What `run` builds (documents, or their JSON) is built on the
/// thread that translated the run. The file-level findings of every run, in run order; `Err`
/// only when no run could read a single interchange.
pub(super) fn translate<T: Send, E: Send>(
    input: &[u8],
    runs: &[(usize, usize)],
    threads: usize,
    run: impl Fn(&[u8], usize) -> RunDone<T, E> + Sync,
    mut sink: impl FnMut(T),
) -> Result<Vec<Diagnostic>, E> {
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
    let (tx, rx) = mpsc::channel::<(usize, RunResult<T, E>)>();
    let mut file: Vec<Diagnostic> = Vec::new();
    let mut first_error = None;
    let mut any_ok = false;
    std::thread::scope(|scope| {
        for _ in 1..threads.min(runs.len()) {
            let tx = tx.clone();
            let (claims, run) = (&claims, &run);
            scope.spawn(move || {
                while let Some(i) = claims.claim_wait() {
                    let Some(&bounds) = runs.get(i) else { break };
                    if tx.send((i, run_one(input, bounds, run))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, RunDone<T, E>> = BTreeMap::new();
        let mut want = 0usize;
        let take = |i: usize,
                    result: RunResult<T, E>,
                    pending: &mut BTreeMap<usize, RunDone<T, E>>| match result {
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
            if let Some((built, diags)) = pending.remove(&want) {
                sink(built);
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
                if let Some(&bounds) = runs.get(i) {
                    take(i, run_one(input, bounds, &run), &mut pending);
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
    Ok(file)
}

/// Translation handing `sink` one value per interchange, built by `fold` from the
/// interchange's outputs (its documents, then the output `is_end` marks as its outcome) on
/// the thread that translated it, so what a consumer does with each document (serialising
/// it, say) is spread over the cores too; outputs after the last outcome of a run arrive
/// folded into one last value. Shared by both syntaxes: `runs` is their split (`None`: one
/// walk on this thread), `translate_run` their walk of one run, and `in_walk_order` puts the
/// file-level findings of several runs back in the order one walk gives.
pub(super) fn by_interchange<O, C: Default + Send, E: Send>(
    input: &[u8],
    runs: Option<(Vec<(usize, usize)>, usize)>,
    translate_run: impl Fn(&[u8], usize, &mut dyn FnMut(O)) -> Result<Vec<Diagnostic>, E> + Sync,
    is_end: impl Fn(&O) -> bool + Sync,
    fold: impl Fn(&mut C, O) + Sync,
    in_walk_order: fn(Vec<Diagnostic>) -> Vec<Diagnostic>,
    mut sink: impl FnMut(C),
) -> Result<Vec<Diagnostic>, E> {
    // One run's values: each interchange's, then whatever followed the last outcome.
    let fold_run = |bytes: &[u8], start: usize, out: &mut dyn FnMut(C)| {
        let mut c = C::default();
        let file = translate_run(bytes, start, &mut |o| {
            let end = is_end(&o);
            fold(&mut c, o);
            if end {
                out(std::mem::take(&mut c));
            }
        });
        out(c);
        file
    };
    let Some((runs, threads)) = runs else {
        return fold_run(input, 0, &mut sink);
    };
    let run = |bytes: &[u8], start: usize| {
        let mut built = Vec::new();
        let file = fold_run(bytes, start, &mut |c| built.push(c));
        (built, file)
    };
    let file = translate(input, &runs, threads, run, |built| {
        built.into_iter().for_each(&mut sink)
    })?;
    Ok(in_walk_order(file))
}
