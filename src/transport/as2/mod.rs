//! AS2 (RFC 4130): partners POST signed, encrypted, compressed EDI to `/as2`; Wharf unwraps
//! it (`unwrap.rs`), stores the payload through the receive stage before anything is
//! answered, and returns the MDN the partner asked for (`mdn.rs`), synchronously in the
//! response or posted to its `Receipt-Delivery-Option`. Files: `inbound.rs` the HTTP endpoint;
//! `outbox.rs` owed and overdue asynchronous MDNs; `station.rs` Wharf's AS2 station (name,
//! key, certificate) and the AS2 edge that owns it; `send.rs` sending; `mime.rs` the bytes;
//! `cms.rs` the cryptography; `unwrap.rs` the layers; `mdn.rs` receipts.

pub mod cms;
mod inbound;
pub mod mdn;
pub mod mime;
mod outbox;
pub mod send;
pub mod station;
pub mod tls;
pub mod unwrap;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use tracing::Instrument;

pub use crate::partners::certificates::{
    CertInfo, EXPIRY_WARNING_DAYS, certificates, partner_certs, previous_pairs,
};
use crate::pipeline::Pipeline;
use crate::store::as2 as as2_store;
use crate::store::messages::Inbound;
use crate::store::{Channel, Direction};
use inbound::*;
pub use inbound::{MAX_BODY, Route, build_mdn, receive};
use mdn::{Disposition, MicAlg, Report, Requested};
pub use outbox::{MdnPoster, overdue_mdns};
pub use station::{As2, Station, new_pair};
use unwrap::Failure;

/// An AS2 name from a header: quotes and escapes removed (`"ACME Corp"` → `ACME Corp`).
pub fn unquote(v: &str) -> String {
    crate::partners::channels::as2_unquote(v)
}

/// An AS2 name for a header: quoted when it holds a space or another character outside
/// RFC 4130's `AS2-text`.
pub(crate) fn quote(v: &str) -> String {
    crate::partners::channels::as2_quote(v)
}
