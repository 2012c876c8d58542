//! Odoo as the pipeline's ERP sink: each mapped document is put into Odoo exactly once (see
//! `records.rs`), before the deliver stage's transaction; Odoo's answers become the stage's
//! texts and its failures the stage's retry-or-operator decision.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::{OdooClient, OdooError, OrderOutcome, ReceiptOutcome, put_order, put_receipt};
use crate::pipeline::ports::{ErpFailure, ErpMode, ErpRecord, ErpSink, Mapped, Put};

/// The Odoo connector, one per process (its circuit breaker and rate limit are shared by
/// every worker); `None` when it could not be made (the reason is in the log).
pub struct OdooSink {
    client: Option<Arc<OdooClient>>,
}

impl OdooSink {
    pub fn new(client: Option<Arc<OdooClient>>) -> Self {
        Self { client }
    }

    /// The client, for the poller of Odoo's confirmations and deliveries.
    pub fn client(&self) -> Option<&Arc<OdooClient>> {
        self.client.as_ref()
    }
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
                    let outcome = put_order(client, order)
                        .await
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
