//! The pipeline: durable stages connected through jobs in the store.
//!
//! Inbound: receive → identify → translate → map → deliver; outbound: encode → send. Receiving
//! stores the bytes and queues `identify` in one transaction; every later stage runs as a
//! claimed job whose result, next job and event commit together (see [`stages`]). The
//! [`worker`] claims, retries with backoff and buries jobs. The edges a stage hands documents
//! to (the ERP, the outbound channels) are [`ports`] the pipeline defines and the composition
//! root fills. Depends on `store`, `partners`, `config`, `edi`, `documents`, `model` and
//! `util`; never on a transport, an ERP or the web.

pub mod dryrun;
pub mod envelope;
pub mod error;
pub mod health;
pub mod limits;
pub mod mapping;
mod operate;
pub(crate) mod outbox;
pub mod ports;
pub mod sla;
pub mod stages;
pub mod watch;
pub mod worker;

use std::sync::Arc;

use tokio::sync::Notify;
use tracing::Instrument;

use crate::config::Settings;
use crate::metrics::Metrics;
use crate::partners::Partners;
use crate::store::events::{self, NewEvent};
use crate::store::messages::{self, Inbound};
use crate::store::{Direction, EventKind, MessageId, MessageState, Stage, Store, StoreError, jobs};

pub use error::StageError;

/// How much of a refused, unauthenticated request is kept for the operator
/// ([`Pipeline::keep_rejected`]).
pub const REFUSED_SAMPLE_BYTES: usize = 64 * 1024;
/// Refused samples kept per channel each minute; further refusals are only logged.
pub const REFUSED_SAMPLES_PER_MINUTE: u32 = 30;

/// Everything a stage needs; cheap to clone into worker tasks.
#[derive(Clone)]
pub struct Pipeline {
    pub store: Store,
    pub settings: Arc<Settings>,
    /// The partner profiles in force, reloaded by `serve` when their files change.
    pub partners: Arc<crate::partners::LivePartners>,
    /// Names this process in job leases and events (`host-pid-xxxx`).
    pub instance: Arc<str>,
    /// Wakes idle workers when this process queues work, so they need not wait for a poll.
    pub wake: Arc<Notify>,
    /// The edges the stages hand documents to (the ERP, the outbound channels), built by the
    /// composition root.
    pub ports: ports::Ports,
    /// Wakes the Odoo poller at once (Odoo's webhook), instead of at its next interval.
    pub erp_wake: Arc<Notify>,
    /// Wakes the poster of the asynchronous MDNs Wharf owes when one is kept.
    pub as2_mdn_wake: Arc<Notify>,
    /// `[limits] per_minute` windows, shared by every channel a partner pushes on.
    pub rates: Arc<limits::RateWindows>,
    /// The Prometheus families, made by the composition root; recorded after each commit.
    pub metrics: Arc<Metrics>,
    /// When a worker last turned its loop or renewed a lease, for readiness.
    pub heartbeat: Arc<health::Heartbeat>,
    /// What the edges report about themselves, for readiness.
    pub vitals: Arc<health::Vitals>,
    /// The last readiness reports, so an open `/readyz` costs at most one run a second.
    pub ready_cache: Arc<health::Cache>,
}

/// Where a received file came from, recorded with it in the receive transaction.
#[derive(Clone, Copy)]
enum Provenance<'a> {
    Collected(&'a crate::store::transfers::NewTransfer<'a>),
    As2(&'a crate::store::as2::NewAs2<'a>),
}

/// Why a replay was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("message {0} has a job waiting or running; wait for it or let it finish first")]
    Busy(MessageId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The outcome of submitting a business document for a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// Queued as this outbound message.
    Queued(MessageId),
    /// A document with the same key was queued before; nothing new was created.
    AlreadyQueued,
}

/// Why a document could not be submitted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("partner `{0}` has no loaded profile")]
    UnknownPartner(String),
    #[error("{0}")]
    NotSendable(String),
    /// The partner's profile lists its documents and this one is not among them.
    #[error("{0}")]
    NotAgreed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A fresh instance name for leases and events.
pub fn instance_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "wharf".to_owned());
    let tag: u16 = rand::random();
    format!("{host}-{}-{tag:04x}", std::process::id())
}

impl Pipeline {
    /// A pipeline over `store` handing documents to `ports` (see `app::ports`), recording into
    /// `metrics`.
    pub fn with_ports(
        store: Store,
        settings: Arc<Settings>,
        partners: Arc<Partners>,
        ports: ports::Ports,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            store,
            partners: Arc::new(crate::partners::LivePartners::new(
                &settings.partners_dir,
                (*partners).clone(),
            )),
            ports,
            settings,
            instance: instance_name().into(),
            wake: Arc::new(Notify::new()),
            erp_wake: Arc::new(Notify::new()),
            as2_mdn_wake: Arc::new(Notify::new()),
            rates: Arc::new(limits::RateWindows::default()),
            metrics,
            heartbeat: Arc::default(),
            vitals: Arc::default(),
            ready_cache: Arc::default(),
        }
    }

    /// A partner's id as a metrics label: a loaded profile's, else `unknown`, so what a
    /// sender claims never becomes a series of its own.
    pub(crate) fn partner_label(&self, partner: Option<&str>) -> String {
        match partner {
            Some(id) if self.partners.snapshot().get(id).is_some() => id.to_owned(),
            _ => crate::metrics::UNKNOWN.to_owned(),
        }
    }

    /// Ends a transaction that starts work on a message: the event that says why, the job
    /// for `stage`, the commit, and a wake-up for idle workers of this process.
    async fn queue(
        &self,
        mut tx: crate::store::Tx,
        id: MessageId,
        kind: EventKind,
        event_stage: Option<Stage>,
        detail: &str,
        stage: Stage,
    ) -> Result<(), StoreError> {
        events::append(
            &mut tx,
            id,
            &NewEvent {
                kind,
                stage: event_stage,
                detail: Some(detail),
                instance: &self.instance,
            },
        )
        .await?;
        jobs::enqueue(&mut tx, id, stage, self.settings.pipeline.max_attempts).await?;
        tx.commit().await?;
        self.wake.notify_one();
        Ok(())
    }

    /// The receive stage: stores a partner's bytes durably and queues identification, in one
    /// transaction. Only after this returns may a channel acknowledge receipt to the partner.
    pub async fn receive(&self, inbound: &Inbound<'_>) -> Result<MessageId, StoreError> {
        self.receive_from(inbound, None).await
    }

    /// [`Pipeline::receive`] for a file collected from a partner's own server: the transfer
    /// record (where it came from, its digest) is written in the same transaction, so a file
    /// found again after a crash before its remote removal is known and not stored twice.
    pub async fn receive_collected(
        &self,
        inbound: &Inbound<'_>,
        transfer: &crate::store::transfers::NewTransfer<'_>,
    ) -> Result<MessageId, StoreError> {
        self.receive_from(inbound, Some(Provenance::Collected(transfer)))
            .await
    }

    /// [`Pipeline::receive`] for an AS2 payload: its Message-ID and MIC are recorded in the
    /// same transaction, so the same Message-ID is never stored twice.
    pub async fn receive_as2(
        &self,
        inbound: &Inbound<'_>,
        as2: &crate::store::as2::NewAs2<'_>,
    ) -> Result<MessageId, StoreError> {
        self.receive_from(inbound, Some(Provenance::As2(as2))).await
    }

    async fn receive_from(
        &self,
        inbound: &Inbound<'_>,
        provenance: Option<Provenance<'_>>,
    ) -> Result<MessageId, StoreError> {
        // One span for the receive, the first of the message's trace: the sender's trace
        // continued when its request carried one, else a new one, stored with the message.
        let span = tracing::info_span!(
            "receive",
            otel.name = "receive",
            channel = %inbound.channel,
            partner = inbound.partner,
            message_id = tracing::field::Empty,
            trace_id = tracing::field::Empty,
        );
        let trace = crate::telemetry::begin(&span, inbound.trace);
        // A storage error here (a full disk) turns `/healthz` red until a write succeeds.
        self.store_inbound(inbound, provenance, &trace)
            .instrument(span.clone())
            .await
            .inspect(|id| {
                span.record("message_id", id.get());
            })
            .inspect_err(|e| self.store.note_store_error(e))
    }

    async fn store_inbound(
        &self,
        inbound: &Inbound<'_>,
        provenance: Option<Provenance<'_>>,
        trace: &crate::telemetry::TraceParent,
    ) -> Result<MessageId, StoreError> {
        let mut tx = self.store.begin().await?;
        let id = messages::insert_inbound(&mut tx, inbound, trace).await?;
        let origin = match provenance {
            Some(Provenance::Collected(t)) => {
                crate::store::transfers::record(&mut tx, id, t).await?;
                format!(", collected from {}/{}", t.remote, t.name)
            }
            Some(Provenance::As2(a)) => {
                crate::store::as2::record(&mut tx, id, a).await?;
                format!(
                    ", AS2 Message-ID {}{}",
                    a.as2_message_id,
                    inbound
                        .filename
                        .map(|f| format!(", file {f}"))
                        .unwrap_or_default()
                )
            }
            None => inbound
                .filename
                .map(|f| format!(", file {f}"))
                .unwrap_or_default(),
        };
        let detail = format!(
            "{} bytes via {}{origin}{}",
            inbound.raw.len(),
            inbound.channel,
            inbound
                .partner
                .map(|p| format!(", partner {p}"))
                .unwrap_or_default(),
        );
        let data = serde_json::json!({
            "channel": inbound.channel.as_str(),
            "bytes": inbound.raw.len(),
            "filename": inbound.filename,
        });
        outbox::emit(
            &mut tx,
            crate::model::BusinessEventKind::MessageReceived,
            inbound.partner,
            Some(id),
            data,
        )
        .await?;
        self.queue(tx, id, EventKind::Received, None, &detail, Stage::Identify)
            .await?;
        self.metrics.received(
            &self.partner_label(inbound.partner),
            inbound.channel,
            inbound.raw.len(),
        );
        tracing::info!(message_id = id.get(), channel = %inbound.channel, size = inbound.raw.len(), "received");
        Ok(id)
    }

    /// Keeps a bounded sample of bytes that were refused before they were authenticated (an
    /// AS2 message from an unknown sender or that did not decrypt or verify, a cXML request
    /// from an unknown sender): its first [`REFUSED_SAMPLE_BYTES`], marked rejected with the
    /// reason and the size that arrived, nothing queued, so the operator sees what came
    /// without anyone outside being able to make Wharf store their data. At most
    /// [`REFUSED_SAMPLES_PER_MINUTE`] a minute per channel are kept; past that a refusal is
    /// only logged (`Ok(None)`), so a flood of refused requests cannot fill the disk either.
    /// `total` is the size that arrived when more than `inbound.raw` was (or would have been)
    /// read.
    pub async fn keep_rejected(
        &self,
        inbound: &Inbound<'_>,
        total: Option<u64>,
        reason: &str,
    ) -> Result<Option<MessageId>, StoreError> {
        let total = total.unwrap_or(inbound.raw.len() as u64);
        if self
            .rates
            .admit(
                &format!("refused:{}", inbound.channel),
                REFUSED_SAMPLES_PER_MINUTE,
            )
            .is_err()
        {
            tracing::warn!(channel = %inbound.channel, size = total, reason, "refused; no sample kept (too many this minute)");
            return Ok(None);
        }
        let raw = &inbound.raw[..inbound.raw.len().min(REFUSED_SAMPLE_BYTES)];
        let sample = Inbound { raw, ..*inbound };
        let kept = if (raw.len() as u64) < total {
            format!(
                "{total} bytes via {} (the first {} kept)",
                inbound.channel,
                raw.len()
            )
        } else {
            format!("{total} bytes via {}", inbound.channel)
        };
        let mut tx = self.store.begin().await?;
        let trace = sample
            .trace
            .unwrap_or_else(crate::telemetry::TraceParent::fresh);
        let id = messages::insert_inbound(&mut tx, &sample, &trace).await?;
        messages::set_state(&mut tx, id, MessageState::Rejected, Some(reason)).await?;
        events::append(
            &mut tx,
            id,
            &NewEvent {
                kind: EventKind::Rejected,
                stage: None,
                detail: Some(&format!("{kept}: {reason}")),
                instance: &self.instance,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Queues a business document (an 855, 856 or 810) for `partner`, at most once per `key`:
    /// submitting the same key again (a retry, a restart, a repeated Odoo event) creates
    /// nothing. Control numbers are taken when it is encoded.
    pub async fn submit(
        &self,
        partner: &str,
        doc: crate::model::Document,
        key: &str,
    ) -> Result<Submitted, SubmitError> {
        let Some(profile) = self.partners.snapshot().shared(partner) else {
            return Err(SubmitError::UnknownPartner(partner.to_owned()));
        };
        if let Some(theirs) = ports::outbound_doc_ref(&profile, &doc)
            && let Err(why) = profile
                .agreements
                .covering(&theirs, crate::partners::Flow::Out)
        {
            return Err(SubmitError::NotAgreed(format!("partner {partner}: {why}")));
        }
        // Searchable by its business references (PO, shipment, invoice number) first, then by
        // its key: an 855 found by its PO answers the order (the overdue check, the search),
        // and the event it makes names the PO, not the Odoo record's key.
        let mut refs: Vec<String> = doc.references().into_iter().map(str::to_owned).collect();
        if !refs.iter().any(|r| r == key) {
            refs.push(key.to_owned());
        }
        let doc = stages::OutboundDoc::Business(doc);
        let doc_type = doc.doc_type().map_err(SubmitError::NotSendable)?;
        let json = serde_json::to_string(&doc)
            .map_err(|e| SubmitError::NotSendable(format!("document JSON: {e}")))?;
        let dedup_key = format!("doc:{partner}:{doc_type}:{key}");
        let mut tx = self.store.begin().await?;
        let created = messages::insert_outbound(
            &mut tx,
            &messages::Outbound {
                partner,
                format: crate::store::Format::X12,
                doc_type,
                canonical: &json,
                related_id: None,
                dedup_key: &dedup_key,
            },
        )
        .await?;
        let Some(id) = created else {
            return Ok(Submitted::AlreadyQueued);
        };
        let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
        crate::store::search::set_references(&mut tx, id, &refs).await?;
        let detail = format!("{doc_type} for {partner}, key {key}");
        self.queue(tx, id, EventKind::Created, None, &detail, Stage::Encode)
            .await?;
        Ok(Submitted::Queued(id))
    }

    /// Runs a message again from its stored bytes: inbound from identification, outbound from
    /// encoding (or sending, when it already has bytes). Idempotent keys downstream (interchange
    /// registry, acknowledgement keys, document registry) keep a replay from doing anything
    /// twice that a partner or the ERP could see.
    pub async fn replay(&self, id: MessageId) -> Result<Stage, ReplayError> {
        self.replay_with(id, "replayed", None).await
    }

    /// [`Pipeline::replay`] with the event saying why (`why`: "released from quarantine by …")
    /// and, for an operator's replay, the audit line (`actor`) in the same transaction.
    pub async fn replay_with(
        &self,
        id: MessageId,
        why: &str,
        actor: Option<&str>,
    ) -> Result<Stage, ReplayError> {
        let mut tx = self.store.begin().await?;
        // A write first: on SQLite it takes the write lock before we read anything.
        messages::touch(&mut tx, id).await?;
        let msg = messages::get_tx(&mut tx, id).await?;
        if jobs::has_active(&mut tx, id).await? {
            return Err(ReplayError::Busy(id));
        }
        let (stage, state) = match msg.direction {
            Direction::In => (Stage::Identify, MessageState::Received),
            Direction::Out if msg.sha256.is_some() => (Stage::Send, MessageState::Encoded),
            Direction::Out => (Stage::Encode, MessageState::Created),
        };
        messages::set_state(&mut tx, id, state, None).await?;
        if let Some(actor) = actor {
            crate::store::admin::record(&mut tx, actor, "message.replay", &id.to_string(), why)
                .await?;
        }
        let detail = format!("{why}: from {} (was {})", stage, msg.state);
        self.queue(tx, id, EventKind::Replayed, Some(stage), &detail, stage)
            .await?;
        Ok(stage)
    }
}
