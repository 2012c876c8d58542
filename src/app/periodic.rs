//! One small runner for Wharf's background loops: "every N, or at once when woken, until
//! stopped".
//!
//! Each loop used to be its own hand-written `select!`; they differed only in whether the
//! first round runs at start or after one period, and in what wakes them early.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// When a loop's first round runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum First {
    /// At start (work that may be waiting already: owed MDNs, Odoo's confirmed orders).
    Now,
    /// After one period (checks of what happened since the start).
    AfterPeriod,
}

/// Why a round runs: a round may do more when someone asked for it (Odoo's webhook) than
/// on its timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// The first round at start ([`First::Now`]).
    Start,
    /// The period went by.
    Period,
    /// `wake` was notified.
    Woken,
}

/// A periodic loop: its period, what wakes it early, and when its first round runs.
#[derive(Clone)]
pub struct Every {
    pub period: Duration,
    pub wake: Option<Arc<Notify>>,
    pub first: First,
}

impl Every {
    pub fn new(period: Duration, first: First) -> Self {
        Self {
            period,
            wake: None,
            first,
        }
    }

    /// Also runs a round as soon as `wake` is notified.
    pub fn or_when(mut self, wake: Arc<Notify>) -> Self {
        self.wake = Some(wake);
        self
    }
}

/// Spawns `round` on the schedule of `every` until `stop` turns true. A round in progress
/// finishes before the loop looks at `stop` again; errors are the round's own business (it
/// logs them), so one bad round never ends the loop.
pub fn spawn<F, Fut>(every: Every, mut stop: watch::Receiver<bool>, mut round: F) -> JoinHandle<()>
where
    F: FnMut(Tick) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        if every.first == First::Now {
            round(Tick::Start).await;
        }
        loop {
            let woken = async {
                match &every.wake {
                    Some(w) => w.notified().await,
                    None => std::future::pending().await,
                }
            };
            let tick = tokio::select! {
                _ = tokio::time::sleep(every.period) => Tick::Period,
                _ = woken => Tick::Woken,
                _ = stop.wait_for(|s| *s) => break,
            };
            round(tick).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn runs_on_its_period_when_woken_and_stops() {
        let rounds = Arc::new(AtomicU32::new(0));
        let wake = Arc::new(Notify::new());
        let (stop_tx, stop_rx) = watch::channel(false);
        let counted = rounds.clone();
        let task = spawn(
            Every::new(Duration::from_secs(60), First::AfterPeriod).or_when(wake.clone()),
            stop_rx,
            move |_| {
                let counted = counted.clone();
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            },
        );
        tokio::task::yield_now().await;
        assert_eq!(
            rounds.load(Ordering::SeqCst),
            0,
            "AfterPeriod runs nothing at start"
        );
        tokio::time::advance(Duration::from_secs(61)).await;
        tokio::task::yield_now().await;
        assert_eq!(
            rounds.load(Ordering::SeqCst),
            1,
            "one round after one period"
        );
        wake.notify_one();
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        assert_eq!(
            rounds.load(Ordering::SeqCst),
            2,
            "a wake runs a round at once"
        );
        stop_tx.send(true).unwrap();
        task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn first_now_runs_at_start() {
        let rounds = Arc::new(AtomicU32::new(0));
        let (stop_tx, stop_rx) = watch::channel(false);
        let counted = rounds.clone();
        let task = spawn(
            Every::new(Duration::from_secs(3600), First::Now),
            stop_rx,
            move |_| {
                let counted = counted.clone();
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            },
        );
        tokio::task::yield_now().await;
        assert_eq!(rounds.load(Ordering::SeqCst), 1);
        stop_tx.send(true).unwrap();
        task.await.unwrap();
        assert_eq!(
            rounds.load(Ordering::SeqCst),
            1,
            "stopping runs no further round"
        );
    }
}
