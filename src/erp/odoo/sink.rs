//! Odoo as the pipeline's ERP sink: each mapped document is put into Odoo exactly once (see
//! `records.rs`), before the deliver stage's transaction; Odoo's answers become the stage's
//! texts and its failures the stage's retry-or-operator decision.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::batch::put_orders;
use super::{OdooClient, OdooError, OrderOutcome, ReceiptOutcome, put_order, put_receipt};
use crate::model::OrderPurpose;
use crate::pipeline::ports::{ErpFailure, ErpMode, ErpRecord, ErpSink, Mapped, MappedOrder, Put};

/// The most orders one `load` carries (Odoo writes them in one transaction).
const BATCH_MAX: usize = 16;

/// A new order waiting for the next batch, and where its outcome goes.
struct Waiting {
    order: MappedOrder,
    answer: tokio::sync::oneshot::Sender<Result<OrderOutcome, OdooError>>,
}

/// The Odoo connector, one per process (its circuit breaker and rate limit are shared by
/// every worker); `None` when it could not be made (the reason is in the log).
pub struct OdooSink {
    client: Option<Arc<OdooClient>>,
    /// New orders the workers handed over, not yet taken into a batch.
    waiting: std::sync::Mutex<Vec<Waiting>>,
    /// Held by the worker carrying out a batch: the orders that arrive meanwhile make the
    /// next one, so a busy gateway sends fewer, larger calls and an idle one waits for none.
    leader: tokio::sync::Mutex<()>,
}

impl OdooSink {
    pub fn new(client: Option<Arc<OdooClient>>) -> Self {
        Self {
            client,
            waiting: std::sync::Mutex::new(Vec::new()),
            leader: tokio::sync::Mutex::new(()),
        }
    }

    /// Puts a new order into Odoo with the others waiting beside it (`put_orders`): the
    /// worker that gets the leader's lock takes every waiting order (each external ID once;
    /// a second copy waits for the next batch, which then finds the first) and answers them
    /// all; the others wait for their answer. Not queued for a later task: the batch runs
    /// inside a worker's own stage, so nothing is lost to a crash that the job's retry does
    /// not redo.
    async fn put_batched(
        &self,
        client: &OdooClient,
        order: &MappedOrder,
    ) -> Result<OrderOutcome, OdooError> {
        let (answer, mut rx) = tokio::sync::oneshot::channel();
        self.lock_waiting().push(Waiting {
            order: order.clone(),
            answer,
        });
        loop {
            tokio::select! {
                biased;
                r = &mut rx => return r.unwrap_or_else(|_| Err(abandoned())),
                _lead = self.leader.lock() => {
                    let batch = self.take_batch();
                    if batch.is_empty() {
                        // Ours was taken by a batch that has ended: its answer is there.
                        return rx.await.unwrap_or_else(|_| Err(abandoned()));
                    }
                    let orders: Vec<&MappedOrder> = batch.iter().map(|w| &w.order).collect();
                    let outcomes = put_orders(client, &orders).await;
                    for (w, outcome) in batch.into_iter().zip(outcomes) {
                        // A waiter gone (its job cancelled) needs no answer: the retry finds
                        // the order by its external ID.
                        let _ = w.answer.send(outcome);
                    }
                }
            }
        }
    }

    fn lock_waiting(&self) -> std::sync::MutexGuard<'_, Vec<Waiting>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Up to [`BATCH_MAX`] waiting orders, each external ID once.
    fn take_batch(&self) -> Vec<Waiting> {
        let mut waiting = self.lock_waiting();
        let mut batch: Vec<Waiting> = Vec::new();
        let mut rest = Vec::new();
        for w in waiting.drain(..) {
            let twice = batch
                .iter()
                .any(|b| b.order.external_id == w.order.external_id);
            if twice || batch.len() >= BATCH_MAX {
                rest.push(w);
            } else {
                batch.push(w);
            }
        }
        *waiting = rest;
        batch
    }

    /// The client, for the poller of Odoo's confirmations and deliveries.
    pub fn client(&self) -> Option<&Arc<OdooClient>> {
        self.client.as_ref()
    }
}

/// The answer of an order whose batch was dropped before it ended (the leader's job was
/// cancelled): retried, and the retry finds the order if Odoo made it.
fn abandoned() -> OdooError {
    OdooError::transient(
        "sale.order.load",
        "batch abandoned",
        "the batch carrying this order stopped before it answered",
    )
}

/// An Odoo failure for the stage: an Odoo that does not answer (or an open breaker) is
/// waited for without using attempts, for `[erp] outage_wait_ms` from the job's creation; a
/// fault Odoo may get past is retried with the usual attempts; anything else goes to the
/// operator (dead letters, the message failed with Odoo's message).
fn odoo_failure(client: &OdooClient, what: &str, e: &OdooError) -> ErpFailure {
    let text = format!("{what}: {e}");
    if e.is_unavailable() {
        ErpFailure::Unavailable {
            reason: text,
            retry_in: client.settings().breaker_open,
            wait: client.settings().outage_wait,
        }
    } else if e.is_transient() {
        ErpFailure::Transient(text)
    } else {
        ErpFailure::Permanent(text)
    }
}

impl ErpSink for OdooSink {
    fn mode(&self) -> ErpMode {
        ErpMode::Before
    }

    fn ready(&self) -> BoxFuture<'_, Result<String, String>> {
        Box::pin(async move {
            match &self.client {
                Some(client) => client.reachable().await,
                None => Err("the Odoo client did not start; see the log".into()),
            }
        })
    }

    fn put<'a>(
        &'a self,
        _partner: &'a str,
        doc: &'a Mapped,
    ) -> BoxFuture<'a, Result<Put, ErpFailure>> {
        Box::pin(async move {
            let client = self.client.as_ref().ok_or_else(|| {
                ErpFailure::Transient("the Odoo client did not start; see the log".into())
            })?;
            let (kind, key) = doc.registry_key();
            let mut warnings = Vec::new();
            let (odoo_id, what) = match doc {
                Mapped::Order(order) => {
                    let what = format!("PO {}", order.client_order_ref);
                    let outcome = if order.purpose == OrderPurpose::Original {
                        self.put_batched(client, order).await
                    } else {
                        put_order(client, order).await
                    }
                    .map_err(|e| odoo_failure(client, &what, &e))?;
                    let what = match &outcome {
                        OrderOutcome::Created {
                            name, warnings: w, ..
                        } => {
                            warnings.extend(w.iter().cloned());
                            format!("sale order {name} created")
                        }
                        OrderOutcome::AlreadyThere { name, .. } => {
                            format!("sale order {name} already in Odoo; nothing created")
                        }
                        OrderOutcome::Updated {
                            name, warnings: w, ..
                        } => {
                            warnings.extend(w.iter().cloned());
                            format!("sale order {name} updated")
                        }
                        OrderOutcome::Cancelled { name, .. } => {
                            format!("sale order {name} cancelled")
                        }
                    };
                    (outcome.id(), what)
                }
                Mapped::Receipt(r) => {
                    let what = format!("ship notice {}", r.shipment_id);
                    let outcome = put_receipt(client, r)
                        .await
                        .map_err(|e| odoo_failure(client, &what, &e))?;
                    let (first, what) = match &outcome {
                        ReceiptOutcome::Applied {
                            pickings,
                            validated,
                        } => (
                            pickings.first().copied(),
                            format!(
                                "quantities written on {} receipt(s){}",
                                pickings.len(),
                                if *validated {
                                    ", validated"
                                } else {
                                    ", left ready"
                                }
                            ),
                        ),
                        ReceiptOutcome::AlreadyDone { pickings } => (
                            pickings.first().copied(),
                            "receipt(s) already validated; nothing written".to_owned(),
                        ),
                        ReceiptOutcome::Cancelled => {
                            (None, "cancelled notice: nothing to do".to_owned())
                        }
                    };
                    (first.unwrap_or(0), what)
                }
            };
            Ok(Put {
                // The registry links every delivered document to its sale order's model.
                record: Some(ErpRecord {
                    model: "sale.order",
                    id: odoo_id,
                }),
                text: format!("{kind} {key}: {what} (id {odoo_id})"),
                warnings,
            })
        })
    }
}
