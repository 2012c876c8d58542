//! What stands between Wharf and Odoo: at most `max_concurrency` calls at once, at most
//! `rate_per_sec` calls a second, and a circuit breaker that stops calling an Odoo that keeps
//! failing, so an outage becomes queued work (jobs retried with backoff) instead of a storm.
//!
//! Hand-written: a semaphore, a token bucket and a three-state breaker are each a few lines
//! over tokio's primitives, and they share one lock-free-enough state here.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

use super::error::OdooError;

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Circuit {
    /// Calls go through; `failures` consecutive transient failures so far.
    Closed { failures: u32 },
    /// Calls fail at once until `until`; then one probe is let through.
    Open { until: Instant },
    /// One probe is out; its outcome closes or reopens the circuit.
    HalfOpen,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// Takes a token at `now`, or says how long until one is there.
    fn take(&mut self, now: Instant, rate: f64) -> Option<Duration> {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * rate;
        self.tokens = (self.tokens + refill).min(rate.max(1.0));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            None
        } else {
            Some(Duration::from_secs_f64((1.0 - self.tokens) / rate))
        }
    }
}

pub struct Guard {
    permits: Semaphore,
    rate: f64,
    bucket: Mutex<Bucket>,
    circuit: Mutex<Circuit>,
    threshold: u32,
    open_for: Duration,
}

impl Guard {
    pub fn new(
        max_concurrency: usize,
        rate_per_sec: u32,
        threshold: u32,
        open_for: Duration,
    ) -> Self {
        Self {
            permits: Semaphore::new(max_concurrency),
            rate: f64::from(rate_per_sec),
            bucket: Mutex::new(Bucket {
                tokens: f64::from(rate_per_sec),
                at: Instant::now(),
            }),
            circuit: Mutex::new(Circuit::Closed { failures: 0 }),
            threshold,
            open_for,
        }
    }

    pub fn circuit(&self) -> Circuit {
        *self
            .circuit
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for a permit and a token, or fails at once while the circuit is open.
    pub async fn enter(&self, call: &str) -> Result<SemaphorePermit<'_>, OdooError> {
        {
            let mut c = self
                .circuit
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match *c {
                Circuit::Open { until } if Instant::now() < until => {
                    return Err(OdooError::unavailable(
                        call,
                        "circuit open",
                        format!(
                            "Odoo failed {} times in a row; calls resume in {} s",
                            self.threshold,
                            until.saturating_duration_since(Instant::now()).as_secs() + 1
                        ),
                    ));
                }
                Circuit::Open { .. } => *c = Circuit::HalfOpen,
                Circuit::HalfOpen => {
                    return Err(OdooError::unavailable(
                        call,
                        "circuit half-open",
                        "a probe call to Odoo is under way; retry shortly",
                    ));
                }
                Circuit::Closed { .. } => {}
            }
        }
        let permit =
            self.permits.acquire().await.map_err(|_| {
                OdooError::transient(call, "shutdown", "the Odoo client is closing")
            })?;
        loop {
            let wait = self
                .bucket
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(Instant::now(), self.rate);
            match wait {
                None => return Ok(permit),
                Some(d) => tokio::time::sleep(d).await,
            }
        }
    }

    /// Records a call's outcome. Only transient failures count toward opening the circuit:
    /// an operator error means Odoo is up and answering.
    pub fn record(&self, result: Result<(), &OdooError>) {
        let mut c = self
            .circuit
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let transient = matches!(result, Err(e) if e.is_transient());
        *c = match (*c, transient) {
            (_, false) => Circuit::Closed { failures: 0 },
            (Circuit::Closed { failures }, true) if failures + 1 < self.threshold => {
                Circuit::Closed {
                    failures: failures + 1,
                }
            }
            (_, true) => {
                tracing::warn!(
                    open_for_ms = self.open_for.as_millis() as u64,
                    "Odoo circuit opened"
                );
                Circuit::Open {
                    until: Instant::now() + self.open_for,
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_circuit_opens_after_repeated_transient_failures_and_probes_once() {
        let g = Guard::new(2, 1000, 3, Duration::from_millis(50));
        let fault = OdooError::transient("x.y", "http 503", "down");
        let refusal = OdooError::operator("x.y", "odoo.exceptions.UserError", "no");
        for _ in 0..2 {
            drop(g.enter("x.y").await.expect("closed"));
            g.record(Err(&fault));
        }
        // An operator error means Odoo answers: the count starts again.
        g.record(Err(&refusal));
        assert_eq!(g.circuit(), Circuit::Closed { failures: 0 });
        for _ in 0..3 {
            g.record(Err(&fault));
        }
        assert!(matches!(g.circuit(), Circuit::Open { .. }));
        let e = g.enter("x.y").await.expect_err("open");
        assert_eq!(e.name, "circuit open");
        assert!(
            e.is_unavailable(),
            "waiting on an open circuit uses no attempts"
        );
        tokio::time::sleep(Duration::from_millis(60)).await;
        let probe = g.enter("x.y").await.expect("one probe");
        assert_eq!(g.circuit(), Circuit::HalfOpen);
        assert!(g.enter("x.y").await.is_err(), "only one probe at a time");
        drop(probe);
        g.record(Ok(()));
        assert_eq!(g.circuit(), Circuit::Closed { failures: 0 });
    }

    #[test]
    fn the_bucket_gives_rate_tokens_a_second() {
        let t0 = Instant::now();
        let mut b = Bucket {
            tokens: 20.0,
            at: t0,
        };
        for _ in 0..20 {
            assert_eq!(b.take(t0, 20.0), None);
        }
        // Empty: the next token is 50 ms away; half way there, 25 ms.
        assert_eq!(b.take(t0, 20.0), Some(Duration::from_millis(50)));
        let wait = b
            .take(t0 + Duration::from_millis(25), 20.0)
            .expect("still empty");
        assert!((wait.as_secs_f64() - 0.025).abs() < 1e-9, "{wait:?}");
        assert_eq!(b.take(t0 + Duration::from_millis(50), 20.0), None);
        // A long pause fills it to one second's worth, no more.
        b.take(t0 + Duration::from_secs(60), 20.0);
        assert!((b.tokens - 19.0).abs() < 1e-9, "{}", b.tokens);
    }
}
