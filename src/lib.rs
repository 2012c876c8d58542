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
//! - [`pipeline`]: the durable stages and the worker (lease, retry, dead letters, replay).
//! - [`erp`]: the ERP edge: the Odoo connector (client, record plans carried out once).
//! - [`transport`]: partners' other channels: the SFTP server.
//! - [`web`]: the HTTP edge (health, partner API, message tracking).
//! - [`cli`]: the command line.
//!
//! Dependency direction: `edi` and `model` depend on nothing of ours; `documents` on those;
//! `partners` on `config`; `pipeline` ties stages together; `web` and `cli` are edges.

pub mod app;
pub mod cli;
pub mod config;
pub mod documents;
pub mod edi;
pub mod erp;
pub mod model;
pub mod partners;
pub mod pipeline;
pub mod store;
pub mod transport;
pub mod util;
pub mod web;
