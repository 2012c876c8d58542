//! The worker: claims due jobs with a lease, runs their stage, and on failure retries with
//! exponential backoff and jitter or moves the job to dead letters.
//!
//! [`Worker::try_execute_job`] runs at most one job and says whether there was one, so tests
//! can drive the pipeline step by step; [`run`] loops it on several tasks until shutdown.

use std::time::Duration;

use tokio::sync::watch;
use tracing::Instrument;

use super::{Pipeline, StageError, stages};
use crate::metrics::Outcome;
use crate::store::events::{self, NewEvent};
use crate::store::jobs::{self, Job};
use crate::store::{EventKind, MessageState, messages};

/// What one call of [`Worker::try_execute_job`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Execution {
    /// A job ran (it may have succeeded, been rescheduled or been buried).
    Done,
    /// No job was due.
    Empty,
}

/// Delay before attempt `attempts + 1`: base·2^(attempts-1), capped, with jitter in [d/2, d]
/// so that jobs failing together do not retry together.
pub fn backoff(base: Duration, max: Duration, attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 32) as u32 - 1;
    let full = base.saturating_mul(2u32.saturating_pow(exp)).min(max);
    let half = full / 2;
    let jitter = half.mul_f64(rand::random::<f64>());
    half + jitter
}

/// One worker of a pipeline.
#[derive(Clone)]
pub struct Worker {
    pipeline: Pipeline,
}

impl Worker {
    pub fn new(pipeline: Pipeline) -> Self {
        Self { pipeline }
    }

    /// Claims and runs one due job.
    pub async fn try_execute_job(&self) -> Result<Execution, StageError> {
        let p = &self.pipeline;
        let Some(job) = jobs::claim(&p.store, &p.instance, p.settings.pipeline.lease).await? else {
            return Ok(Execution::Empty);
        };
        let span = tracing::info_span!(
            "job",
            job_id = job.id,
            message_id = job.message_id.get(),
            stage = %job.stage,
            attempt = job.attempts,
            // Filled in by the stage once it has loaded the message.
            partner = tracing::field::Empty,
            doc_type = tracing::field::Empty,
            reference = tracing::field::Empty,
            otel.name = %job.stage,
            trace_id = tracing::field::Empty,
        );
        // The message's trace, whichever instance received it; a message stored before
        // traces were kept gets one for this job alone.
        let trace = job
            .trace
            .unwrap_or_else(crate::telemetry::TraceParent::fresh);
        crate::telemetry::join(&span, &trace);
        let work = async {
            let started = std::time::Instant::now();
            // A job whose worker died on every attempt has used them all: bury it unrun.
            let result = if job.attempts > job.max_attempts {
                Err(StageError::Permanent(format!(
                    "gave up after {} attempts that did not finish",
                    job.max_attempts
                )))
            } else {
                // The lease is renewed while the stage runs: a partner's server or Odoo slower
                // than the lease must not let another worker run the same job beside this one
                // (a second AS2 send, a second upload). A worker that dies stops renewing, and
                // its job is claimed again once the lease runs out, as before.
                let renewal = tokio::spawn(renew_lease(p.clone(), job.clone()));
                let result = stages::run(p, &job).await;
                renewal.abort();
                result
            };
            // Recorded once the outcome is committed; a lost lease records nothing, the
            // worker that holds it will.
            let outcome = match result {
                Ok(()) => {
                    tracing::debug!("stage done");
                    Some(Outcome::Ok)
                }
                Err(StageError::LeaseLost(id)) => {
                    tracing::warn!(job_id = id, "lease lost; the other worker's result stands");
                    None
                }
                Err(e) => self.fail(&job, &e).await?,
            };
            if let Some(outcome) = outcome {
                p.metrics
                    .stage_ran(job.stage, outcome, started.elapsed().as_secs_f64());
            }
            Ok::<_, StageError>(())
        };
        crate::telemetry::scope(trace, work.instrument(span)).await?;
        Ok(Execution::Done)
    }

    /// Reschedules or buries a failed job, with the event that says so; which of the two was
    /// committed (`None` when the job was no longer this worker's).
    async fn fail(&self, job: &Job, error: &StageError) -> Result<Option<Outcome>, StageError> {
        let p = &self.pipeline;
        let s = &p.settings.pipeline;
        let text = error.to_string();
        let mut tx = p.store.begin().await?;
        // What happens next: (postponed without using an attempt?, delay, event) or burial.
        let waiting = match error {
            StageError::Unavailable {
                retry_in, until_ms, ..
            } if crate::store::now_ms() < *until_ms => Some((
                false,
                backoff(s.backoff_base, s.backoff_max, job.attempts).max(*retry_in),
                *until_ms,
            )),
            _ => None,
        };
        let give_up = waiting.is_none() && (!error.retryable() || job.attempts >= job.max_attempts);
        let (kind, detail) = if give_up {
            if !jobs::bury(&mut tx, job, &p.instance, &text).await? {
                return Ok(None);
            }
            messages::set_state(&mut tx, job.message_id, MessageState::Failed, Some(&text)).await?;
            let reason = format!(
                "{} failed after {} attempt(s): {text}",
                job.stage, job.attempts
            );
            crate::pipeline::outbox::message_failed(
                &mut tx,
                job.message_id,
                MessageState::Failed,
                &reason,
            )
            .await?;
            tracing::error!(error = %text, "job moved to dead letters");
            (
                EventKind::DeadLettered,
                format!(
                    "{} failed after {} attempt(s): {text}",
                    job.stage, job.attempts
                ),
            )
        } else {
            let (counted, delay, until) = waiting.unwrap_or_else(|| {
                (
                    true,
                    backoff(s.backoff_base, s.backoff_max, job.attempts),
                    0,
                )
            });
            if !jobs::reschedule(&mut tx, job, &p.instance, delay, &text, counted).await? {
                return Ok(None);
            }
            tracing::warn!(error = %text, delay_ms = delay.as_millis() as u64, counted, "job rescheduled");
            let detail = if counted {
                format!(
                    "attempt {} of {} failed: {text}; next in {} ms",
                    job.attempts,
                    job.max_attempts,
                    delay.as_millis()
                )
            } else {
                let until = time::OffsetDateTime::from_unix_timestamp(until / 1000)
                    .ok()
                    .and_then(|t| {
                        t.format(&time::format_description::well_known::Rfc3339)
                            .ok()
                    })
                    .unwrap_or_default();
                format!(
                    "{text}; tried again in {} ms, until {until}",
                    delay.as_millis()
                )
            };
            (EventKind::RetryScheduled, detail)
        };
        events::append(
            &mut tx,
            job.message_id,
            &NewEvent {
                kind,
                stage: Some(job.stage),
                detail: Some(&detail),
                instance: &p.instance,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(if give_up {
            Outcome::Dead
        } else {
            Outcome::Retry
        }))
    }

    /// Runs jobs until `shutdown` turns true; sleeps for the poll interval (or until woken)
    /// when nothing is due, and backs off briefly when the database is unreachable.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let poll = self.pipeline.settings.pipeline.poll_interval;
        loop {
            if *shutdown.borrow() {
                return;
            }
            self.pipeline.heartbeat.beat();
            let outcome = self.try_execute_job().await;
            let pause = match outcome {
                Ok(Execution::Done) => continue,
                Ok(Execution::Empty) => poll,
                Err(e) => {
                    if let StageError::Store(e) = &e {
                        self.pipeline.store.note_store_error(e);
                    }
                    tracing::error!(error = %e, "worker could not reach the store");
                    poll.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = self.pipeline.wake.notified() => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// Extends a running job's lease every third of the lease, for as long as it runs (the
/// caller aborts this task when the stage ends) or until the lease is found lost.
async fn renew_lease(p: Pipeline, job: Job) {
    let lease = p.settings.pipeline.lease;
    loop {
        tokio::time::sleep(lease / 3).await;
        match jobs::extend_lease(&p.store, &job, &p.instance, lease).await {
            Ok(true) => {
                p.heartbeat.beat();
                tracing::debug!(job_id = job.id, "lease renewed")
            }
            Ok(false) => {
                tracing::warn!(job_id = job.id, "lease lost while the stage ran");
                return;
            }
            // The store away for a moment: try again at the next beat.
            Err(e) => tracing::warn!(job_id = job.id, error = %e, "lease not renewed"),
        }
    }
}

/// Starts `settings.pipeline.workers` workers; they stop when `shutdown` turns true.
pub fn spawn(
    pipeline: &Pipeline,
    shutdown: &watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..pipeline.settings.pipeline.workers)
        .map(|_| tokio::spawn(Worker::new(pipeline.clone()).run(shutdown.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        for _ in 0..50 {
            let d1 = backoff(base, max, 1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= base, "{d1:?}");
            let d4 = backoff(base, max, 4);
            assert!(
                d4 >= Duration::from_millis(400) && d4 <= Duration::from_millis(800),
                "{d4:?}"
            );
            let d30 = backoff(base, max, 30);
            assert!(d30 >= Duration::from_secs(1) && d30 <= max, "{d30:?}");
        }
    }
}
