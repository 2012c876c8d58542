//! The Odoo connector. Files: `client.rs` the wire (JSON-RPC or JSON-2 by version), `error.rs`
//! retry-or-operator classification, `guard.rs` concurrency, rate and circuit breaker,
//! `plan.rs` the records a mapped document means (pure), `records.rs` those plans carried out
//! exactly once, `batch.rs` new orders carried out together, `cache.rs` the lookups kept in
//! process (checked against Odoo's `write_date`), `outbound.rs` confirmations and deliveries
//! as partner documents (pure), `events.rs` the poller that finds them, `sink.rs` the
//! pipeline's ERP port, `check.rs` `wharf odoo check` (rights and the records the profiles
//! rely on, read-only).

pub mod batch;
pub mod cache;
pub mod check;
pub mod client;
pub mod error;
pub mod events;
pub mod guard;
pub mod outbound;
pub mod plan;
pub mod records;
pub mod sink;

pub use client::{OdooClient, Session, Transport};
pub use error::{Class, OdooError};
pub use plan::OdooPlanner;
pub use records::{OrderOutcome, ReceiptOutcome, put_order, put_receipt};
pub use sink::OdooSink;
