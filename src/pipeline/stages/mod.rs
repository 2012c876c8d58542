//! The stages a job can run. Each loads its context in one query (`StageContext`: the
//! message's row with its raw bytes or the payload an earlier stage wrote), does its pure work
//! outside any transaction, then opens one transaction whose first write completes the job
//! (checking the lease), and in it writes its result, the message's new state, its event and
//! the next job.
//!
//! Side effects outside the database go through the pipeline's ports and are idempotent: a
//! file for the directory ERP is written inside the transaction, before the commit, under a
//! name fixed by its key; a send, or a put into an ERP that finds its own duplicates, happens
//! before the transaction opens. If the process dies between the effect and the commit, the
//! job runs again and does the same thing to the same place.
//!
//! One file per stage, in the order a message travels: `identify`, `translate`, `map`
//! (with the reconciliation of a partner's acknowledgements), `deliver`, `encode`, `send`.
//! What differs by syntax is `syntax::Syntax` (read an envelope, translate, encode), each
//! syntax's side in its own file (`x12`, `edifact`, `xml`); identify, translate and encode
//! call it once and do the rest themselves.

use crate::pipeline::mapping::{self, Mapped};
mod deliver;
mod edifact;
mod encode;
mod identify;
mod map;
mod send;
mod syntax;
mod translate;
mod x12;
mod xml;

pub(crate) use encode::outbound_doc_ref;

use crate::edi::x12::Severity;
use crate::model::{Document, FunctionalAck, Ta1};
use crate::partners::{Profile, Verdict};
use crate::pipeline::ports::{ErpFailure, ErpMode, Outgoing, Receipt, SendFailure};
use crate::pipeline::{Pipeline, StageError};
use crate::store::events::{self, NewEvent};
use crate::store::jobs::{self, Job};
use crate::store::messages::{self, Identification, Outbound, Payload};
use crate::store::registry::{self, Seen};
use crate::store::transfers;
use crate::store::{EventKind, Format, MessageId, MessageState, Stage, Tx, now_ms};

/// Runs the stage a job names.
pub async fn run(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    match job.stage {
        Stage::Identify => identify::identify(p, job).await,
        Stage::Translate => translate::translate(p, job).await,
        Stage::Map => map::map(p, job).await,
        Stage::Deliver => deliver::deliver(p, job).await,
        Stage::Encode => encode::encode(p, job).await,
        Stage::Send => send::send(p, job).await,
    }
}

/// The model of an outbound document waiting to be encoded, stored as JSON on its message.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "document")]
#[expect(
    clippy::large_enum_variant,
    reason = "read once per encode from its JSON; the size never multiplies"
)]
pub enum OutboundDoc {
    FunctionalAck(FunctionalAck),
    Ta1(Ta1),
    /// An EDIFACT syntax and service report answering one interchange.
    Contrl(crate::edi::edifact::contrl::Contrl),
    /// A business document for the partner (an 855, 856 or 810 once encoded).
    Business(Document),
}

impl OutboundDoc {
    /// The transaction set (or TA1) this becomes.
    pub fn doc_type(&self) -> Result<&'static str, String> {
        match self {
            OutboundDoc::FunctionalAck(a) => Ok(a.kind.code()),
            OutboundDoc::Ta1(_) => Ok("TA1"),
            OutboundDoc::Contrl(_) => Ok("CONTRL"),
            OutboundDoc::Business(Document::Order(_)) => {
                Err("Wharf does not send purchase orders (850) yet".into())
            }
            OutboundDoc::Business(d) => crate::model::DocKind::of(d)
                .and_then(|k| k.name(crate::model::Standard::X12))
                .ok_or_else(|| {
                    "acknowledgements are built from a translation, not submitted".into()
                }),
        }
    }
}

/// Opens the stage's transaction and completes the job in it, first thing.
pub(in crate::pipeline) async fn begin(p: &Pipeline, job: &Job) -> Result<Tx, StageError> {
    let mut tx = p.store.begin().await?;
    if !jobs::complete(&mut tx, job, &p.instance).await? {
        return Err(StageError::LeaseLost(job.id));
    }
    Ok(tx)
}

pub(in crate::pipeline) async fn event(
    p: &Pipeline,
    tx: &mut Tx,
    message_id: MessageId,
    kind: EventKind,
    stage: Stage,
    detail: &str,
) -> Result<(), StageError> {
    events::append(
        tx,
        message_id,
        &NewEvent {
            kind,
            stage: Some(stage),
            detail: Some(detail),
            instance: &p.instance,
        },
    )
    .await?;
    Ok(())
}

/// Where a stage leaves its message.
pub(in crate::pipeline) struct Outcome<'a> {
    pub(in crate::pipeline) state: MessageState,
    pub(in crate::pipeline) kind: EventKind,
    pub(in crate::pipeline) detail: &'a str,
    /// Recorded as the message's error (final states that need a person's attention).
    pub(in crate::pipeline) error: bool,
    pub(in crate::pipeline) next: Option<Stage>,
}

/// The end of every stage, inside its transaction: the message's new state, the event that
/// says why, the next job if there is one; then the commit, and idle workers are woken.
pub(in crate::pipeline) async fn advance(
    p: &Pipeline,
    mut tx: Tx,
    job: &Job,
    o: Outcome<'_>,
) -> Result<(), StageError> {
    let error = o.error.then_some(o.detail);
    messages::set_state(&mut tx, job.message_id, o.state, error).await?;
    event(p, &mut tx, job.message_id, o.kind, job.stage, o.detail).await?;
    if o.error && crate::pipeline::outbox::is_failure(o.state) {
        crate::pipeline::outbox::message_failed(&mut tx, job.message_id, o.state, o.detail).await?;
    }
    if let Some(next) = o.next {
        jobs::enqueue(
            &mut tx,
            job.message_id,
            next,
            p.settings.pipeline.max_attempts,
        )
        .await?;
    }
    tx.commit().await?;
    if o.next.is_some() {
        p.wake.notify_one();
    }
    tracing::info!(state = %o.state, detail = o.detail, "stage done");
    Ok(())
}

/// Ends a message's journey here with a final state (rejected, quarantined, …) and its reason.
pub(in crate::pipeline) async fn finish_with(
    p: &Pipeline,
    job: &Job,
    state: MessageState,
    kind: EventKind,
    reason: &str,
) -> Result<(), StageError> {
    let tx = begin(p, job).await?;
    let o = Outcome {
        state,
        kind,
        detail: reason,
        error: true,
        next: None,
    };
    advance(p, tx, job, o).await
}

/// Ends the stage with the message kept in quarantine, saying why.
pub(in crate::pipeline) async fn quarantine(
    p: &Pipeline,
    job: &Job,
    reason: &str,
) -> Result<(), StageError> {
    finish_with(
        p,
        job,
        MessageState::Quarantined,
        EventKind::Quarantined,
        reason,
    )
    .await
}

/// What a stage works on, read in one query at its start: the message's row and `body`, its
/// raw bytes (`raw`) or the JSON an earlier stage wrote (`payload`). The partner's profile is
/// not read from the store but taken from the loaded profiles (`profile`) by the stages that
/// act for a partner: identify is the one that finds it, deliver needs only its id.
pub(in crate::pipeline) struct StageContext<B> {
    pub(in crate::pipeline) msg: messages::Message,
    pub(in crate::pipeline) body: B,
}

/// Names the message on the job's span (declared empty by the worker): its partner,
/// document type and business reference, known once the message is loaded. Every line the
/// stage logs, on whichever instance runs it, then carries them beside the message id.
fn describe_span(msg: &messages::Message) {
    let span = tracing::Span::current();
    if let Some(partner) = &msg.partner {
        span.record("partner", partner.as_str());
    }
    if let Some(doc_type) = &msg.doc_type {
        span.record("doc_type", doc_type.as_str());
    }
    if let Some(reference) = &msg.reference {
        span.record("reference", reference.as_str());
    }
}

impl StageContext<Vec<u8>> {
    /// The message and its raw bytes.
    pub(in crate::pipeline) async fn raw(p: &Pipeline, job: &Job) -> Result<Self, StageError> {
        let (msg, body) = messages::load_raw(&p.store, job.message_id).await?;
        describe_span(&msg);
        Ok(StageContext { msg, body })
    }
}

impl StageContext<Option<String>> {
    /// The message and one of its JSON payloads (parsed by the stage, with `load_json`).
    pub(in crate::pipeline) async fn payload(
        p: &Pipeline,
        job: &Job,
        which: Payload,
    ) -> Result<Self, StageError> {
        let (msg, body) = messages::load_payload(&p.store, job.message_id, which).await?;
        describe_span(&msg);
        Ok(StageContext { msg, body })
    }
}

impl<B> StageContext<B> {
    /// The partner's profile as it is now: the stage keeps this snapshot to its end, whatever
    /// reloads meanwhile.
    pub(in crate::pipeline) fn profile(
        &self,
        p: &Pipeline,
    ) -> Result<std::sync::Arc<Profile>, StageError> {
        let id = self
            .msg
            .partner
            .as_deref()
            .ok_or_else(|| StageError::Permanent("message has no partner".into()))?;
        p.partners.snapshot().shared(id).ok_or_else(|| {
            StageError::Permanent(format!(
                "partner `{id}` has no loaded profile; fix partners/{id}.toml and replay"
            ))
        })
    }
}

pub(in crate::pipeline) fn load_json<T: serde::de::DeserializeOwned>(
    json: Option<String>,
    what: &str,
) -> Result<T, StageError> {
    let json = json.ok_or_else(|| StageError::Permanent(format!("{what} is missing")))?;
    serde_json::from_str(&json)
        .map_err(|e| StageError::Permanent(format!("stored {what} does not parse: {e}")))
}
