//! Wharf: an EDI/B2B partner gateway between trading partners and Odoo.
//!
//! # Layout
//! - [`config`]: settings from `wharf.toml` and `WHARF_*`, validated once.
//! - [`model`]: canonical documents (orders, acknowledgements) shared by every standard.
//! - [`edi`]: standards engines, pure (no I/O): the X12 reader, envelope validation, writer.
//! - [`documents`]: standard ⇄ canonical translation (X12 850 → Order, acknowledgements).
//! - [`partners`]: partner profiles and envelope → partner identification.
//! - [`store`]: the durable message store (SQLite or PostgreSQL): messages, events, jobs,
//!   control numbers, duplicate registries.
//! - [`util`]: small helpers depending on nothing of ours (bounded body reads, safe file
//!   names and writes, the `traceparent` header).
//! - [`metrics`]: the Prometheus families (`/metrics`), recorded by the pipeline and the
//!   edges; depends only on `model`.
//! - [`telemetry`]: traces: each message's W3C trace context joined by every stage's span,
//!   and the OTLP/HTTP exporter (off unless configured); depends on `config` and `util`.
//! - [`pipeline`]: the durable stages and the worker (lease, retry, dead letters, replay),
//!   and the ports its edges implement (`pipeline::ports`: `Outbound`, `ErpSink`).
//! - [`erp`]: the ERP edge: the Odoo connector and the directory sink (`ErpSink`).
//! - [`transport`]: partners' other channels: the SFTP server, partners' own servers, AS2,
//!   the outbox folder (each outbound channel an `Outbound`).
//! - [`web`]: the HTTP edge (health, partner API, message tracking).
//! - [`app`]: the composition root: builds the edges and hands them to the pipeline.
//! - [`cli`]: the command line.
//!
//! Dependency direction: `edi`, `model` and `util` depend on nothing of ours; `documents` on
//! `edi` and `model`; `partners` on `config`; `store` under `pipeline`; `pipeline` owns its
//! ports and names no edge; the edges (`erp`, `transport`, `web`) see the core and the
//! layers under it, never one another; `app` and `cli` see everything. `tests/layering.rs`
//! checks it.

pub mod app;
pub mod cli;
pub mod config;
pub mod documents;
pub mod edi;
pub mod erp;
pub mod events;
pub mod metrics;
pub mod model;
pub mod partners;
pub mod pipeline;
pub mod store;
pub mod telemetry;
pub mod transport;
pub mod util;
pub mod web;
