//! The NATS JetStream subscriber: each event published to
//! `<prefix>.<partner or _>.<type>` (`wharf.events.acme.order.created`) on the configured
//! stream, made for `<prefix>.>` when missing, and settled only when JetStream acknowledged it.
//!
//! `Nats-Msg-Id` is `wharf-<event id>-<round>`: a delivery retried after a lost
//! acknowledgement (or a killed dispatcher) is dropped by JetStream's duplicate window, while
//! an operator's replay (the next round) is stored again, as asked.

use std::time::Duration;

use async_nats::jetstream;
use tokio::sync::Mutex;

use super::DeliveryError;
use crate::config::NatsSettings;
use crate::store::outbox::Due;

pub(super) struct Nats {
    settings: NatsSettings,
    timeout: Duration,
    /// Connected on first use and again after a failure: a NATS that is down at start is
    /// not a reason for Wharf not to start.
    context: Mutex<Option<jetstream::Context>>,
}

impl Nats {
    pub(super) fn new(settings: NatsSettings, timeout: Duration) -> Self {
        Self {
            settings,
            timeout,
            context: Mutex::new(None),
        }
    }

    /// The subject of an event: partner ids are tokens already (a profile's file stem of
    /// a-z, 0-9, `-`, `_`); the gateway's own events go under `_`.
    pub(super) fn subject(&self, due: &Due) -> String {
        format!(
            "{}.{}.{}",
            self.settings.subject_prefix,
            due.event.partner.as_deref().unwrap_or("_"),
            due.event.kind.as_str()
        )
    }

    async fn context(&self) -> Result<jetstream::Context, DeliveryError> {
        let mut slot = self.context.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(self.timeout)
            .request_timeout(Some(self.timeout))
            .connect(self.settings.url.as_str())
            .await
            .map_err(|e| DeliveryError::Nats(format!("connect {}: {e}", self.settings.url)))?;
        let js = jetstream::new(client);
        js.get_or_create_stream(jetstream::stream::Config {
            name: self.settings.stream.clone(),
            subjects: vec![format!("{}.>", self.settings.subject_prefix)],
            ..Default::default()
        })
        .await
        .map_err(|e| DeliveryError::Nats(format!("stream {}: {e}", self.settings.stream)))?;
        *slot = Some(js.clone());
        Ok(js)
    }

    /// Publishes the batch, then waits for each acknowledgement: one round trip's wait for
    /// the whole batch rather than one per event. An event is settled only by its own
    /// acknowledgement.
    pub(super) async fn deliver(&self, batch: &[Due]) -> Vec<Option<Result<(), DeliveryError>>> {
        let js = match self.context().await {
            Ok(js) => js,
            Err(e) => {
                let mut out: Vec<Option<Result<(), DeliveryError>>> = vec![Some(Err(e))];
                out.extend(batch.iter().skip(1).map(|_| None));
                return out;
            }
        };
        let mut pending = Vec::with_capacity(batch.len());
        for due in batch {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(
                async_nats::header::NATS_MESSAGE_ID,
                format!("wharf-{}-{}", due.event.id, due.round).as_str(),
            );
            headers.insert("Wharf-Event-Id", due.event.id.to_string().as_str());
            headers.insert("Wharf-Event-Type", due.event.kind.as_str());
            if let Some(t) = due.event.trace {
                headers.insert("traceparent", t.to_string().as_str());
            }
            let sent = js
                .publish_with_headers(self.subject(due), headers, due.event.json().into())
                .await;
            pending.push(sent);
        }
        let mut out = Vec::with_capacity(batch.len());
        let mut failed = false;
        for sent in pending {
            let r = match sent {
                Ok(ack) => match tokio::time::timeout(self.timeout, ack).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(DeliveryError::Nats(e.to_string())),
                    Err(_) => Err(DeliveryError::Timeout(self.timeout)),
                },
                Err(e) => Err(DeliveryError::Nats(e.to_string())),
            };
            failed |= r.is_err();
            out.push(Some(r));
        }
        if failed {
            // Reconnect next time: the stream may have been deleted or the server replaced.
            *self.context.lock().await = None;
        }
        out
    }
}
