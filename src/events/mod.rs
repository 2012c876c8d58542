//! The business-event edge: delivers the outbox (`store::outbox`) to webhook subscribers
//! (`webhook.rs`, HMAC-SHA256 signed) and to a NATS JetStream stream (`nats.rs`), at least
//! once, with backoff and dead letters.
//!
//! A round fans new events out to one delivery row per subscriber, then lets each subscriber
//! take what is due, subscribers side by side so one that is down delays no other. Rows are
//! settled only after the subscriber took them; a dispatcher killed in between leaves the
//! row claimed until its hold runs out, then any instance delivers it again under the same
//! event id (and, on NATS, the same `Nats-Msg-Id`, which JetStream's duplicate window drops).
//! Each settled attempt is counted in `metrics` (`wharf_event_deliveries_total`) after its
//! row is written.

mod nats;
mod webhook;

use std::sync::Arc;
use std::time::Duration;

use crate::config::{EventSettings, NATS_SINK};
use crate::metrics::{EventOutcome, Metrics};
use crate::store::outbox::{self, Due, Subscriber};
use crate::store::{Store, StoreError, now_ms};

pub use webhook::{SIGNATURE_HEADER, sign};

/// Events fanned out per round.
const FAN_OUT_BATCH: i64 = 500;

/// Why one delivery failed; the text is kept on the delivery row.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("webhook: {0}")]
    Http(#[from] reqwest::Error),
    #[error("webhook answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("NATS: {0}")]
    Nats(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// What one round did, for the log and the tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundReport {
    pub fanned_out: usize,
    pub delivered: usize,
    pub failed: usize,
}

/// A subscriber the dispatcher delivers to.
enum Sink {
    Webhook(webhook::Webhook),
    // Boxed: the JetStream context is large, and there is at most one.
    Nats(Box<nats::Nats>),
}

impl Sink {
    fn name(&self) -> &str {
        match self {
            Sink::Webhook(w) => &w.settings.name,
            Sink::Nats(_) => NATS_SINK,
        }
    }

    /// Deliveries claimed at once, and for how many timeouts they are held: a webhook posts
    /// one at a time (each may take the whole timeout), NATS publishes a batch and waits for
    /// its acknowledgements together. The hold is also how long deliveries claimed by an
    /// instance that died wait before another instance takes them.
    fn batch(&self) -> (i64, i64) {
        match self {
            Sink::Webhook(_) => (10, 11),
            Sink::Nats(_) => (100, 3),
        }
    }
}

/// Delivers business events; one per process, run by the composition root's periodic loop.
pub struct Dispatcher {
    store: Store,
    settings: EventSettings,
    subscribers: Vec<Subscriber>,
    sinks: Vec<Sink>,
    metrics: Arc<Metrics>,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        settings: &EventSettings,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Self>, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            // A subscriber's redirect is not followed: the signature was made for its URL.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let mut sinks: Vec<Sink> = settings
            .webhooks
            .iter()
            .map(|w| Sink::Webhook(webhook::Webhook::new(w.clone(), http.clone())))
            .collect();
        let mut subscribers: Vec<Subscriber> = settings
            .webhooks
            .iter()
            .map(|w| Subscriber {
                name: w.name.clone(),
                kinds: w.kinds.clone(),
            })
            .collect();
        if let Some(n) = &settings.nats {
            sinks.push(Sink::Nats(Box::new(nats::Nats::new(
                n.clone(),
                settings.timeout,
            ))));
            subscribers.push(Subscriber {
                name: NATS_SINK.to_owned(),
                kinds: n.kinds.clone(),
            });
        }
        metrics.event_sinks(sinks.iter().map(Sink::name));
        Ok(Arc::new(Self {
            store,
            settings: settings.clone(),
            subscribers,
            sinks,
            metrics,
        }))
    }

    /// The subscribers' names, for replays.
    pub fn sink_names(&self) -> Vec<String> {
        self.sinks.iter().map(|s| s.name().to_owned()).collect()
    }

    /// Fans out what is new, then delivers what is due to every subscriber.
    pub async fn round(&self) -> Result<RoundReport, StoreError> {
        let mut report = RoundReport::default();
        if self.sinks.is_empty() {
            return Ok(report);
        }
        loop {
            let n = outbox::fan_out(&self.store, &self.subscribers, FAN_OUT_BATCH).await?;
            report.fanned_out += n;
            if n < FAN_OUT_BATCH as usize {
                break;
            }
        }
        let results =
            futures_util::future::join_all(self.sinks.iter().map(|s| self.deliver_due(s))).await;
        for r in results {
            let (delivered, failed) = r?;
            report.delivered += delivered;
            report.failed += failed;
        }
        Ok(report)
    }

    /// Everything due for one subscriber, batch after batch, until a batch fails or nothing
    /// is left. After a failure the rest of the batch is given back for the same time: a
    /// subscriber that is down is asked once per backoff step, not once per event.
    async fn deliver_due(&self, sink: &Sink) -> Result<(usize, usize), StoreError> {
        let (size, timeouts) = sink.batch();
        let hold = self.settings.timeout.as_millis() as i64 * timeouts;
        let (mut delivered, mut failed) = (0, 0);
        loop {
            let batch = outbox::claim(&self.store, sink.name(), hold, size).await?;
            if batch.is_empty() {
                return Ok((delivered, failed));
            }
            let outcomes = match sink {
                Sink::Webhook(w) => w.deliver(&batch).await,
                Sink::Nats(n) => n.deliver(&batch).await,
            };
            let mut stop = false;
            for (due, outcome) in batch.iter().zip(outcomes) {
                match outcome {
                    Some(Ok(())) => {
                        outbox::delivered(&self.store, due.delivery_id).await?;
                        self.metrics
                            .event_delivery(sink.name(), EventOutcome::Delivered);
                        delivered += 1;
                    }
                    Some(Err(e)) => {
                        self.failed(sink, due, &e).await?;
                        failed += 1;
                        stop = true;
                    }
                    // Not tried after an earlier failure: back, uncounted, for the retry.
                    None => {
                        outbox::give_back(&self.store, due.delivery_id, now_ms() + 1000).await?;
                    }
                }
            }
            if stop || batch.len() < size as usize {
                return Ok((delivered, failed));
            }
        }
    }

    async fn failed(&self, sink: &Sink, due: &Due, e: &DeliveryError) -> Result<(), StoreError> {
        let dead = due.attempts >= i64::from(self.settings.max_attempts);
        let wait = backoff(
            self.settings.retry_base,
            self.settings.retry_max,
            due.attempts,
        );
        if dead {
            tracing::error!(sink = sink.name(), event = due.event.id, error = %e, "event delivery out of attempts: dead letter");
        } else {
            tracing::warn!(sink = sink.name(), event = due.event.id, attempts = due.attempts, retry_in = ?wait, error = %e, "event delivery failed");
        }
        outbox::failed(
            &self.store,
            due.delivery_id,
            &e.to_string(),
            now_ms().saturating_add(wait.as_millis() as i64),
            dead,
        )
        .await?;
        let outcome = if dead {
            EventOutcome::Dead
        } else {
            EventOutcome::Failed
        };
        self.metrics.event_delivery(sink.name(), outcome);
        Ok(())
    }
}

/// `base` doubled per attempt after the first, at most `max`.
fn backoff(base: Duration, max: Duration, attempts: i64) -> Duration {
    let shift = attempts.clamp(1, 30) as u32 - 1;
    base.saturating_mul(1u32 << shift.min(20)).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_ceiling() {
        let (b, m) = (Duration::from_secs(2), Duration::from_secs(60));
        assert_eq!(backoff(b, m, 1), Duration::from_secs(2));
        assert_eq!(backoff(b, m, 2), Duration::from_secs(4));
        assert_eq!(backoff(b, m, 5), Duration::from_secs(32));
        assert_eq!(backoff(b, m, 6), m);
        assert_eq!(backoff(b, m, 1_000), m);
    }
}
