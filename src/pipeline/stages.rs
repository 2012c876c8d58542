//! The stages a job can run. Each reads what it needs first, does its pure work outside any
//! transaction, then opens one transaction whose first write completes the job (checking the
//! lease), and in it writes its result, the message's new state, its event and the next job.
//!
//! Side effects outside the database (files written for the ERP or a partner) happen inside
//! that transaction, before the commit, and are idempotent by name: if the process dies between
//! the effect and the commit, the job runs again and writes the same bytes to the same place.

use super::envelope::{ack_envelope, envelope};
use super::mapping::{self, Mapped};
use super::ports::{ErpFailure, ErpMode, Outgoing, Receipt, SendFailure};
use super::{Pipeline, StageError};
use crate::documents::x12 as x12doc;
use crate::edi::x12::Severity;
use crate::edi::x12::ack::{write_functional_ack, write_ta1};
use crate::edi::x12::envelope::peek_isa;
use crate::model::{Document, FunctionalAck, Ta1};
use crate::partners::{DuplicatePolicy, FunctionalAckPolicy, Profile, Ta1Policy, Verdict};
use crate::store::events::{self, NewEvent};
use crate::store::jobs::{self, Job};
use crate::store::messages::{self, Identification, Outbound, Payload};
use crate::store::registry::{self, Seen};
use crate::store::transfers;
use crate::store::{EventKind, Format, MessageState, Stage, Tx, now_ms};

/// Runs the stage a job names.
pub async fn run(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    match job.stage {
        Stage::Identify => identify(p, job).await,
        Stage::Translate => translate(p, job).await,
        Stage::Map => map(p, job).await,
        Stage::Deliver => deliver(p, job).await,
        Stage::Encode => encode(p, job).await,
        Stage::Send => send(p, job).await,
    }
}

/// The model of an outbound document waiting to be encoded, stored as JSON on its message.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "document")]
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
            OutboundDoc::Business(Document::OrderAck(_)) => Ok("855"),
            OutboundDoc::Business(Document::ShipNotice(_)) => Ok("856"),
            OutboundDoc::Business(Document::Invoice(_)) => Ok("810"),
            OutboundDoc::Business(Document::Order(_)) => {
                Err("Wharf does not send purchase orders (850) yet".into())
            }
            OutboundDoc::Business(Document::FunctionalAck(_) | Document::InterchangeAck(_)) => {
                Err("acknowledgements are built from a translation, not submitted".into())
            }
        }
    }
}

/// Opens the stage's transaction and completes the job in it, first thing.
pub(super) async fn begin(p: &Pipeline, job: &Job) -> Result<Tx, StageError> {
    let mut tx = p.store.begin().await?;
    if !jobs::complete(&mut tx, job, &p.instance).await? {
        return Err(StageError::LeaseLost(job.id));
    }
    Ok(tx)
}

pub(super) async fn event(
    p: &Pipeline,
    tx: &mut Tx,
    message_id: i64,
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
pub(super) struct Outcome<'a> {
    pub(super) state: MessageState,
    pub(super) kind: EventKind,
    pub(super) detail: &'a str,
    /// Recorded as the message's error (final states that need a person's attention).
    pub(super) error: bool,
    pub(super) next: Option<Stage>,
}

/// The end of every stage, inside its transaction: the message's new state, the event that
/// says why, the next job if there is one; then the commit, and idle workers are woken.
pub(super) async fn advance(
    p: &Pipeline,
    mut tx: Tx,
    job: &Job,
    o: Outcome<'_>,
) -> Result<(), StageError> {
    let error = o.error.then_some(o.detail);
    messages::set_state(&mut tx, job.message_id, o.state, error).await?;
    event(p, &mut tx, job.message_id, o.kind, job.stage, o.detail).await?;
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
pub(super) async fn finish_with(
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
pub(super) async fn quarantine(p: &Pipeline, job: &Job, reason: &str) -> Result<(), StageError> {
    finish_with(
        p,
        job,
        MessageState::Quarantined,
        EventKind::Quarantined,
        reason,
    )
    .await
}

/// The partner's profile as it is now: the stage keeps this snapshot to its end, whatever
/// reloads meanwhile.
pub(super) fn profile(
    p: &Pipeline,
    partner: Option<&str>,
) -> Result<std::sync::Arc<Profile>, StageError> {
    let id = partner.ok_or_else(|| StageError::Permanent("message has no partner".into()))?;
    p.partners.snapshot().shared(id).ok_or_else(|| {
        StageError::Permanent(format!(
            "partner `{id}` has no loaded profile; fix partners/{id}.toml and replay"
        ))
    })
}

/// Finds the format and the partner from the envelope (checked against the channel's partner).
async fn identify(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let msg = messages::get(&p.store, job.message_id).await?;
    let raw = messages::raw(&p.store, job.message_id).await?;
    let format = Format::sniff(&raw);
    match format {
        Format::X12 => {}
        Format::Edifact => return super::edifact::identify(p, job, &msg, &raw).await,
        Format::Xml => return super::xml::identify(p, job, &msg, &raw).await,
        Format::Unknown => {
            let reason =
                "not X12 (ISA), EDIFACT (UNA/UNB) or XML: the first bytes are none of these";
            return finish_with(p, job, MessageState::Rejected, EventKind::Rejected, reason).await;
        }
    }
    let isa = match peek_isa(&raw) {
        Ok(h) => h,
        Err(e) => {
            let reason = format!("cannot read the ISA envelope: {e}");
            return finish_with(p, job, MessageState::Rejected, EventKind::Rejected, &reason).await;
        }
    };
    let sender = format!("{}/{}", isa.sender_qualifier, isa.sender_id);
    let partners = p.partners.snapshot();
    let by_envelope = partners.by_x12_sender(&isa.sender_qualifier, &isa.sender_id);
    let unknown = || {
        format!(
            "unknown sender {sender} (ISA05/ISA06, interchange {}): no partner profile has \
             this X12 identity; add it to a profile in partners/ and replay",
            isa.control_number
        )
    };
    let partner = match match_partner(msg.partner.as_deref(), by_envelope, &sender, unknown) {
        Ok(found) => found,
        Err(reason) => {
            return quarantine(p, job, &reason).await;
        }
    };
    let docs = crate::partners::agreements::inventory_x12(&raw);
    if let Some(reason) = outside_agreement(partner, &docs) {
        return quarantine(p, job, &reason).await;
    }
    let me = &p.settings.identity;
    let receiver_ok = isa.receiver_qualifier == me.x12_qualifier && isa.receiver_id == me.x12_id;

    let mut tx = begin(p, job).await?;
    messages::set_identification(
        &mut tx,
        job.message_id,
        &Identification {
            partner: Some(partner.id.as_str()),
            format,
            doc_type: None,
            control_number: Some(&isa.control_number),
        },
    )
    .await?;
    let detail = format!(
        "partner {} by ISA sender {sender}, interchange {}",
        partner.id, isa.control_number
    );
    if !receiver_ok {
        let warn = format!(
            "addressed to {}/{} (ISA07/ISA08), not to this gateway's {}/{}",
            isa.receiver_qualifier, isa.receiver_id, me.x12_qualifier, me.x12_id
        );
        event(
            p,
            &mut tx,
            job.message_id,
            EventKind::Warning,
            job.stage,
            &warn,
        )
        .await?;
    }
    let o = Outcome {
        state: MessageState::Identified,
        kind: EventKind::Identified,
        detail: &detail,
        error: false,
        next: Some(Stage::Translate),
    };
    advance(p, tx, job, o).await
}

/// Reads the X12 into canonical documents, queues the acknowledgements the partner expects,
/// and registers each interchange so a repeat is not posted twice.
async fn translate(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let msg = messages::get(&p.store, job.message_id).await?;
    let raw = messages::raw(&p.store, job.message_id).await?;
    let shared = profile(p, msg.partner.as_deref())?;
    let profile = &*shared;
    match msg.format {
        Some(Format::Edifact) => return super::edifact::translate(p, job, profile, &raw).await,
        Some(Format::Xml) => return super::xml::translate(p, job, profile, &raw).await,
        _ => {}
    }
    let options = x12doc::TranslateOptions {
        ack_kind: match profile.functional_ack {
            FunctionalAckPolicy::F999 => crate::model::AckKind::F999,
            _ => crate::model::AckKind::F997,
        },
        ..x12doc::TranslateOptions::default()
    };
    let translation = match x12doc::translate_with(&raw, options) {
        Ok(t) => t,
        Err(e) => {
            let reason = format!("cannot read the X12: {e}");
            return finish_with(p, job, MessageState::Rejected, EventKind::Rejected, &reason).await;
        }
    };

    let mut tx = begin(p, job).await?;
    let mut documents: Vec<Document> = Vec::new();
    let mut set_ids: Vec<String> = Vec::new();
    let mut errors = 0usize;
    let mut duplicates = 0usize;
    for (n, ic) in translation.interchanges.iter().enumerate() {
        let h = &ic.header;
        let sender = format!("{}/{}", h.sender_qualifier, h.sender_id);
        let receiver = format!("{}/{}", h.receiver_qualifier, h.receiver_id);
        let what = format!("interchange {} from {sender}", h.control_number);
        let key = (
            sender.as_str(),
            receiver.as_str(),
            h.control_number.as_str(),
        );
        if received_before(p, &mut tx, job, key, &what)
            .await?
            .is_some()
        {
            duplicates += 1;
            // The partner learns of the repeat the way its profile says: a TA1 rejecting the
            // interchange with note 025 (duplicate control number), or only our warning. An
            // interchange of TA1s is never answered with one (acknowledgements would loop).
            if profile.duplicate == DuplicatePolicy::Ta1 && ic.interchange_acks == 0 {
                let ta1 = Ta1 {
                    control_number: h.control_number.as_str().into(),
                    date: h.date.as_str().into(),
                    time: h.time.as_str().into(),
                    ack_code: 'R',
                    note_code: "025".into(),
                };
                let doc = OutboundDoc::Ta1(ta1);
                queue_ack(p, &mut tx, job, profile, n, &h.control_number, "TA1", &doc).await?;
            }
            continue;
        }
        errors += record_diagnostics(p, &mut tx, job, &ic.errors).await?;
        for code in &ic.transaction_sets {
            if !set_ids.contains(code) {
                set_ids.push(code.clone());
            }
        }
        documents.extend(ic.documents.iter().cloned());
        let acks = [
            ic.ack
                .as_ref()
                .filter(|_| profile.functional_ack != FunctionalAckPolicy::None)
                .map(|a| (a.kind.code(), OutboundDoc::FunctionalAck(a.clone()))),
            // A TA1 when the interchange asked (ISA14 = 1) or was faulty, or always when the
            // partner's profile says so; never for an interchange that carries the partner's
            // own TA1s (the translation gives none for it either).
            ic.ta1
                .clone()
                .or_else(|| {
                    (profile.ta1 == Ta1Policy::Always && ic.interchange_acks == 0).then(|| Ta1 {
                        control_number: h.control_number.as_str().into(),
                        date: h.date.as_str().into(),
                        time: h.time.as_str().into(),
                        ack_code: 'A',
                        note_code: "000".into(),
                    })
                })
                .map(|t| ("TA1", OutboundDoc::Ta1(t))),
        ];
        for (doc_type, doc) in acks.into_iter().flatten() {
            queue_ack(
                p,
                &mut tx,
                job,
                profile,
                n,
                &h.control_number,
                doc_type,
                &doc,
            )
            .await?;
        }
    }
    record_diagnostics(p, &mut tx, job, &translation.diagnostics).await?;
    let t = Translated {
        documents: &documents,
        interchanges: translation.interchanges.len(),
        duplicates,
        errors,
        types: &set_ids,
    };
    finish_translated(p, tx, job, t).await
}

/// Registers an interchange (or an XML document) by sender, receiver and reference. When the
/// same one was received before within the duplicate window, the message's history says so
/// (`what` names it, e.g. "interchange 000000101 from ZZ/ACME") and the answer is the first
/// message's id: it is not posted again.
pub(super) async fn received_before(
    p: &Pipeline,
    tx: &mut Tx,
    job: &Job,
    (sender, receiver, reference): (&str, &str, &str),
    what: &str,
) -> Result<Option<i64>, StageError> {
    let window = i64::from(p.settings.duplicate_window_days) * 86_400_000;
    let seen = registry::register_interchange(
        tx,
        sender,
        receiver,
        reference,
        job.message_id,
        now_ms(),
        window,
    )
    .await?;
    let Seen::Duplicate { first_message } = seen else {
        return Ok(None);
    };
    let detail =
        format!("{what} was already received in message {first_message}; not posted again");
    event(
        p,
        tx,
        job.message_id,
        EventKind::Duplicate,
        job.stage,
        &detail,
    )
    .await?;
    Ok(Some(first_message))
}

/// Records each diagnostic of a translation as a warning event on the message (with its
/// 0085 code for EDIFACT); returns how many are errors.
pub(super) async fn record_diagnostics(
    p: &Pipeline,
    tx: &mut Tx,
    job: &Job,
    diags: &[crate::edi::diag::Diagnostic],
) -> Result<usize, StageError> {
    let mut errors = 0usize;
    for d in diags {
        let level = match d.severity {
            Severity::Error => {
                errors += 1;
                "error"
            }
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        let code = match d.code {
            Some(crate::edi::diag::AckCode::Contrl(c)) => format!(" [0085 code {c}]"),
            _ => String::new(),
        };
        let text = format!("{level}: {d}{code}");
        event(p, tx, job.message_id, EventKind::Warning, job.stage, &text).await?;
    }
    Ok(errors)
}

/// What a translation found, for the end of the translate stage.
pub(super) struct Translated<'a> {
    pub(super) documents: &'a [Document],
    pub(super) interchanges: usize,
    pub(super) duplicates: usize,
    pub(super) errors: usize,
    /// Transaction sets or message types seen, for "nothing for the ERP in …".
    pub(super) types: &'a [String],
}

/// Stores the canonical documents and ends the translate stage: on to mapping when there is
/// a document; otherwise duplicate, rejected or completed, saying why.
pub(super) async fn finish_translated(
    p: &Pipeline,
    mut tx: Tx,
    job: &Job,
    t: Translated<'_>,
) -> Result<(), StageError> {
    if !t.types.is_empty() {
        messages::set_doc_type(&mut tx, job.message_id, &t.types.join(",")).await?;
    }
    let json = serde_json::to_string(t.documents)
        .map_err(|e| StageError::Permanent(format!("canonical documents: {e}")))?;
    messages::set_payload(&mut tx, job.message_id, Payload::Canonical, &json).await?;
    let refs: Vec<&str> = t.documents.iter().flat_map(Document::references).collect();
    crate::store::search::set_references(&mut tx, job.message_id, &refs).await?;
    let (state, kind, detail, next) = if !t.documents.is_empty() {
        (
            MessageState::Translated,
            EventKind::Translated,
            format!(
                "{} document(s) from {} interchange(s), {} error(s)",
                t.documents.len(),
                t.interchanges,
                t.errors
            ),
            Some(Stage::Map),
        )
    } else if t.interchanges > 0 && t.duplicates == t.interchanges {
        (
            MessageState::Duplicate,
            EventKind::Duplicate,
            "every interchange was received before".to_owned(),
            None,
        )
    } else if t.errors > 0 {
        (
            MessageState::Rejected,
            EventKind::Rejected,
            format!(
                "{} error(s); no document could be accepted (see the warnings)",
                t.errors
            ),
            None,
        )
    } else {
        (
            MessageState::Completed,
            EventKind::Translated,
            format!(
                "nothing for the ERP in {}",
                if t.types.is_empty() {
                    "-".to_owned()
                } else {
                    t.types.join(",")
                }
            ),
            None,
        )
    };
    let error = !matches!(state, MessageState::Translated | MessageState::Completed);
    let o = Outcome {
        state,
        kind,
        detail: &detail,
        error,
        next,
    };
    advance(p, tx, job, o).await
}

/// The partner a message belongs to: the one its envelope names, which must agree with the
/// partner of the channel it came by. `Err` holds the quarantine reason; `unknown` says
/// what to add to a profile when no partner has the sender's identity.
pub(super) fn match_partner<'a>(
    declared: Option<&str>,
    found: Option<&'a Profile>,
    sender: &str,
    unknown: impl FnOnce() -> String,
) -> Result<&'a Profile, String> {
    match (declared, found) {
        (_, None) => Err(unknown()),
        (Some(declared), Some(found)) if declared != found.id.as_str() => Err(format!(
            "arrived on partner `{declared}`'s channel but the envelope sender {sender} \
             belongs to partner `{}`",
            found.id
        )),
        (_, Some(found)) => Ok(found),
    }
}

/// What a business document becomes for this partner: the standard its profile speaks (X12
/// first, then EDIFACT, then cXML, then UBL, as `encode` chooses) and that standard's name for
/// it. `None` for what no standard here writes.
pub(crate) fn outbound_doc_ref(
    profile: &Profile,
    doc: &Document,
) -> Option<crate::partners::DocRef> {
    use crate::partners::Standard;
    let standard = profile.outbound_standard()?;
    let doc_type = match (standard, doc) {
        (Standard::X12, Document::OrderAck(_)) => "855",
        (Standard::X12, Document::ShipNotice(_)) => "856",
        (Standard::X12, Document::Invoice(_)) => "810",
        (Standard::Edifact, Document::OrderAck(_)) => "ORDRSP",
        (Standard::Edifact, Document::ShipNotice(_)) => "DESADV",
        (Standard::Cxml, Document::OrderAck(_)) => "ConfirmationRequest",
        (Standard::Cxml, Document::ShipNotice(_)) => "ShipNoticeRequest",
        (Standard::Ubl, Document::OrderAck(_)) => "OrderResponse",
        (Standard::Ubl, Document::ShipNotice(_)) => "DespatchAdvice",
        _ => return None,
    };
    Some(crate::partners::DocRef {
        standard,
        doc_type: doc_type.to_owned(),
        version: None,
    })
}

/// Why a partner's message is held when its documents fall outside the partner's agreements
/// (standard, type, version, inbound), or `None` when every one is covered.
pub(super) fn outside_agreement(
    profile: &Profile,
    docs: &[crate::partners::DocRef],
) -> Option<String> {
    let outside: Vec<String> = docs
        .iter()
        .filter_map(|d| {
            profile
                .agreements
                .covering(d, crate::partners::Flow::In)
                .err()
        })
        .collect();
    (!outside.is_empty()).then(|| {
        format!(
            "partner {}: {}; add a [[documents]] entry to partners/{}.toml and replay",
            profile.id,
            outside.join("; "),
            profile.id
        )
    })
}

/// Stores an outbound message's encoded bytes and ends the encode stage.
pub(super) async fn finish_encoded(
    p: &Pipeline,
    mut tx: Tx,
    job: &Job,
    bytes: &[u8],
    controls: messages::Controls<'_>,
    filename: &str,
    detail: &str,
) -> Result<(), StageError> {
    messages::set_encoded(&mut tx, job.message_id, bytes, controls, filename).await?;
    let o = Outcome {
        state: MessageState::Encoded,
        kind: EventKind::Encoded,
        detail,
        error: false,
        next: Some(Stage::Send),
    };
    advance(p, tx, job, o).await
}

/// Creates one outbound acknowledgement for interchange `n` of the message (at most once:
/// the key survives retries and replays) and queues its encoding.
#[allow(clippy::too_many_arguments)]
pub(super) async fn queue_ack(
    p: &Pipeline,
    tx: &mut Tx,
    job: &Job,
    profile: &Profile,
    n: usize,
    control: &str,
    doc_type: &str,
    doc: &OutboundDoc,
) -> Result<(), StageError> {
    let format = match doc {
        OutboundDoc::Contrl(_) => Format::Edifact,
        _ => Format::X12,
    };
    let json = serde_json::to_string(doc)
        .map_err(|e| StageError::Permanent(format!("acknowledgement model: {e}")))?;
    let key = format!("ack:{}:{n}:{control}:{doc_type}", job.message_id);
    let created = messages::insert_outbound(
        tx,
        &Outbound {
            partner: profile.id.as_str(),
            format,
            doc_type,
            canonical: &json,
            related_id: Some(job.message_id),
            dedup_key: &key,
        },
    )
    .await?;
    if let Some(out_id) = created {
        let detail = format!("{doc_type} answering interchange {control}");
        event(p, tx, out_id, EventKind::Created, job.stage, &detail).await?;
        jobs::enqueue(tx, out_id, Stage::Encode, p.settings.pipeline.max_attempts).await?;
        let detail = format!("{doc_type} queued as message {out_id}");
        event(
            p,
            tx,
            job.message_id,
            EventKind::AckQueued,
            job.stage,
            &detail,
        )
        .await?;
    }
    Ok(())
}

pub(super) fn load_json<T: serde::de::DeserializeOwned>(
    json: Option<String>,
    what: &str,
) -> Result<T, StageError> {
    let json = json.ok_or_else(|| StageError::Permanent(format!("{what} is missing")))?;
    serde_json::from_str(&json)
        .map_err(|e| StageError::Permanent(format!("stored {what} does not parse: {e}")))
}

/// Applies the partner's mapping rules to shape each document for the ERP.
async fn map(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let msg = messages::get(&p.store, job.message_id).await?;
    let shared = profile(p, msg.partner.as_deref())?;
    let profile = &*shared;
    let docs: Vec<Document> = load_json(
        messages::payload(&p.store, job.message_id, Payload::Canonical).await?,
        "canonical documents",
    )?;
    let mut warnings: Vec<String> = Vec::new();
    let mut findings = Vec::new();
    let mapped: Vec<Mapped> = docs
        .iter()
        .filter_map(|d| match d {
            Document::Order(o) => {
                Some(Mapped::Order(mapping::map_order(profile, o, &mut findings)))
            }
            // A supplier's ship notice: the receipts of our purchase orders.
            Document::ShipNotice(n) => Some(Mapped::Receipt(mapping::map_ship_notice(
                profile,
                n,
                &mut findings,
            ))),
            // Suppliers' acknowledgements, ship notices and invoices reach the ERP with the
            // Odoo connector (receipts, vendor bills); they are translated and kept until then.
            Document::OrderAck(a) => {
                warnings.push(format!(
                    "order acknowledgement for PO {}: no ERP mapping yet",
                    a.po_number
                ));
                None
            }
            Document::Invoice(i) => {
                warnings.push(format!("invoice {}: no ERP mapping yet", i.invoice_number));
                None
            }
            // Matched against what Wharf sent, below, in the stage's transaction.
            Document::FunctionalAck(_) | Document::InterchangeAck(_) => None,
        })
        .collect();
    // A breach the profile rejects holds the whole message: nothing half-posted. The
    // operator fixes the profile (a cross-reference, a unit) or asks the partner, then
    // replays; the interchange is not counted as a repeat of itself.
    let rejected: Vec<String> = findings
        .iter()
        .filter(|f| f.verdict == Verdict::Reject)
        .map(ToString::to_string)
        .collect();
    if !rejected.is_empty() {
        let reason = format!(
            "held by partner {}'s rules: {}; fix partners/{}.toml (or [strictness]) and replay",
            profile.id,
            rejected.join("; "),
            profile.id
        );
        return quarantine(p, job, &reason).await;
    }
    warnings.extend(findings.iter().map(ToString::to_string));
    let json = serde_json::to_string(&mapped)
        .map_err(|e| StageError::Permanent(format!("mapped documents: {e}")))?;

    let mut tx = begin(p, job).await?;
    messages::set_payload(&mut tx, job.message_id, Payload::Mapped, &json).await?;
    for d in &docs {
        match d {
            Document::FunctionalAck(a) => reconcile(p, &mut tx, job, profile, a).await?,
            Document::InterchangeAck(a) => {
                reconcile_interchange(p, &mut tx, job, profile, a).await?;
            }
            _ => {}
        }
    }
    for w in &warnings {
        event(p, &mut tx, job.message_id, EventKind::Warning, job.stage, w).await?;
    }
    let detail = format!(
        "{} document(s) mapped with profile {}",
        mapped.len(),
        profile.id
    );
    // Nothing for the ERP: the message is complete here rather than "delivered".
    let (state, next) = if mapped.is_empty() {
        (MessageState::Completed, None)
    } else {
        (MessageState::Mapped, Some(Stage::Deliver))
    };
    let o = Outcome {
        state,
        kind: EventKind::Mapped,
        detail: &detail,
        error: false,
        next,
    };
    advance(p, tx, job, o).await
}

/// Applies a partner's 997/999 to the messages Wharf sent it: each acknowledged set (or, when
/// the group is rejected without AK2s, the whole group) becomes `acknowledged` or `rejected`,
/// with an event on both sides. An acknowledgement of something Wharf never sent is a warning.
async fn reconcile(
    p: &Pipeline,
    tx: &mut Tx,
    job: &Job,
    profile: &Profile,
    ack: &FunctionalAck,
) -> Result<(), StageError> {
    use crate::model::AckStatus;
    let same = |a: &str, b: &str| match (a.trim().parse::<u64>(), b.trim().parse::<u64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.trim() == b.trim(),
    };
    for g in &ack.groups {
        // A self-contradicting acknowledgement was read by its AK5s (see `fa997`); the
        // operator is told, since the partner's translator is at fault somewhere.
        for note in &g.inconsistencies {
            let w = format!(
                "inconsistent {} for group {} ({}): {note}",
                ack.kind.code(),
                g.group_control,
                g.functional_id
            );
            event(p, tx, job.message_id, EventKind::Warning, job.stage, &w).await?;
        }
        let sent = messages::sent_in_group(tx, profile.id.as_str(), &g.group_control).await?;
        if sent.is_empty() {
            let w = format!(
                "{} acknowledges group {} ({}) which Wharf did not send to {}",
                ack.kind.code(),
                g.group_control,
                g.functional_id,
                profile.id
            );
            event(p, tx, job.message_id, EventKind::Warning, job.stage, &w).await?;
            continue;
        }
        // Each set's verdict; a group without AK2s carries one verdict for all of it.
        let verdicts: Vec<(i64, AckStatus, String)> = if g.sets.is_empty() {
            sent.iter()
                .map(|m| {
                    (
                        m.id,
                        g.status,
                        format!("group {} {:?}", g.group_control, g.status),
                    )
                })
                .collect()
        } else {
            let mut v = Vec::new();
            for s in &g.sets {
                match sent.iter().find(|m| {
                    m.set_control
                        .as_deref()
                        .is_some_and(|c| same(c, &s.set_control))
                        && m.doc_type.as_deref() == Some(s.set_id.as_str())
                }) {
                    Some(m) => {
                        let codes: Vec<String> = s.set_errors.iter().map(u16::to_string).collect();
                        let why = format!(
                            "{} {} {:?}{}",
                            s.set_id,
                            s.set_control,
                            s.status,
                            if codes.is_empty() {
                                String::new()
                            } else {
                                format!(" (codes {})", codes.join(","))
                            }
                        );
                        v.push((m.id, s.status, why));
                    }
                    None => {
                        let w = format!(
                            "{} acknowledges set {} {} in group {}, which Wharf did not send",
                            ack.kind.code(),
                            s.set_id,
                            s.set_control,
                            g.group_control
                        );
                        event(p, tx, job.message_id, EventKind::Warning, job.stage, &w).await?;
                    }
                }
            }
            v
        };
        for (id, status, why) in verdicts {
            let (state, error) = if status == AckStatus::Rejected {
                (
                    MessageState::Rejected,
                    Some(format!("rejected by the partner: {why}")),
                )
            } else {
                (MessageState::Acknowledged, None)
            };
            messages::set_state(tx, id, state, error.as_deref()).await?;
            let detail = format!("{} in message {}: {why}", ack.kind.code(), job.message_id);
            event(p, tx, id, EventKind::AckReceived, job.stage, &detail).await?;
            let detail = format!("acknowledges message {id}: {why}");
            event(
                p,
                tx,
                job.message_id,
                EventKind::AckReceived,
                job.stage,
                &detail,
            )
            .await?;
        }
    }
    Ok(())
}

/// Applies a partner's TA1 or CONTRL to the interchange Wharf sent it (matched by partner,
/// syntax and ISA13 / UNB reference, after checking the acknowledgement names Wharf as the
/// interchange's sender): each message of it becomes `acknowledged` or `rejected` (with the
/// note or 0085 code), with an `ack_received` event on both sides. A receipt (CONTRL action
/// 8) and an unknown code change no state; an acceptance never overrides a rejection
/// already received (a 997 may have come first).
async fn reconcile_interchange(
    p: &Pipeline,
    tx: &mut Tx,
    job: &Job,
    profile: &Profile,
    ack: &crate::model::InterchangeAck,
) -> Result<(), StageError> {
    use crate::model::{InterchangeAckKind, Verdict};
    let kind = ack.kind.code();
    let me = &p.settings.identity;
    let control = ack.interchange_control.as_str();
    let same = |a: &str, b: &str| match (a.trim().parse::<u64>(), b.trim().parse::<u64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.trim() == b.trim(),
    };
    // Who the acknowledged interchange went between: a TA1 names no parties, so the
    // envelope it came in must be addressed to Wharf; a CONTRL's UCI names them.
    let (format, addressed) = match ack.kind {
        InterchangeAckKind::Ta1 => (
            Format::X12,
            (ack.source.receiver_id.trim() == me.x12_id.trim())
                .then_some(())
                .ok_or_else(|| {
                    format!(
                        "its interchange is addressed to {}, not to this gateway's {}",
                        ack.source.receiver_id, me.x12_id
                    )
                }),
        ),
        InterchangeAckKind::Contrl => {
            let theirs = profile
                .edifact
                .iter()
                .chain(&profile.edifact_also)
                .any(|e| ack.recipient.as_deref().is_some_and(|r| r == e.id));
            let ours = ack.sender.as_deref() == Some(me.edifact_id.as_str());
            (
                Format::Edifact,
                (ours && theirs).then_some(()).ok_or_else(|| {
                    format!(
                        "UCI names an interchange from {} to {}, not one from {} to partner {}",
                        ack.sender.as_deref().unwrap_or("?"),
                        ack.recipient.as_deref().unwrap_or("?"),
                        me.edifact_id,
                        profile.id
                    )
                }),
            )
        }
    };
    if let Err(why) = addressed {
        let w = format!("{kind} for interchange {control} not applied: {why}");
        event(p, tx, job.message_id, EventKind::Warning, job.stage, &w).await?;
        return Ok(());
    }
    let sent = messages::sent_in_interchange(tx, profile.id.as_str(), format, control).await?;
    if sent.is_empty() {
        let w = format!(
            "{kind} acknowledges interchange {control}, which Wharf did not send to {}",
            profile.id
        );
        event(p, tx, job.message_id, EventKind::Warning, job.stage, &w).await?;
        return Ok(());
    }
    let note = ack
        .note_code
        .as_deref()
        .map(|n| match ack.kind {
            InterchangeAckKind::Ta1 => format!(" note {n}"),
            InterchangeAckKind::Contrl => format!(" code {n}"),
        })
        .unwrap_or_default();
    let whole = format!("{kind} {control} {:?} ({}{note})", ack.verdict, ack.code);
    for m in &sent {
        // The message's own UCM when the CONTRL has one; otherwise the interchange's
        // verdict, where "some rejected" (0083 3) means acknowledged unless named.
        let ucm = ack.messages.iter().find(|u| {
            m.set_control
                .as_deref()
                .is_some_and(|c| same(c, &u.reference))
        });
        let (verdict, why) = match ucm {
            _ if ack.verdict == Verdict::Rejected => (Verdict::Rejected, whole.clone()),
            Some(u) => (
                u.verdict,
                format!(
                    "{kind} {control} message {} {} {:?} ({}{})",
                    u.reference,
                    u.message_type,
                    u.verdict,
                    u.code,
                    u.error_code
                        .as_deref()
                        .map(|c| format!(" code {c}"))
                        .unwrap_or_default()
                ),
            ),
            None if ack.verdict == Verdict::PartlyRejected => (Verdict::Accepted, whole.clone()),
            None => (ack.verdict, whole.clone()),
        };
        let change = match verdict {
            Verdict::Accepted | Verdict::AcceptedWithErrors | Verdict::PartlyRejected
                if m.state != MessageState::Rejected =>
            {
                Some((MessageState::Acknowledged, None))
            }
            Verdict::Rejected => Some((
                MessageState::Rejected,
                Some(format!("rejected by the partner: {why}")),
            )),
            _ => None,
        };
        let outcome = match (&change, verdict) {
            (Some(_), _) => String::new(),
            (None, Verdict::Received) => "; received only, acceptance to follow".into(),
            (None, Verdict::Unknown) => {
                "; the code is not one the standard defines, nothing concluded".into()
            }
            (None, _) => "; already rejected by an earlier acknowledgement, left so".into(),
        };
        if let Some((state, error)) = change {
            messages::set_state(tx, m.id, state, error.as_deref()).await?;
        }
        let kind_of = if verdict == Verdict::Unknown {
            EventKind::Warning
        } else {
            EventKind::AckReceived
        };
        let detail = format!("{kind} in message {}: {why}{outcome}", job.message_id);
        event(p, tx, m.id, kind_of, job.stage, &detail).await?;
        let detail = format!("acknowledges message {}: {why}{outcome}", m.id);
        event(p, tx, job.message_id, kind_of, job.stage, &detail).await?;
    }
    // A UCM about a message Wharf did not send in that interchange is worth a look.
    for u in &ack.messages {
        let known = sent.iter().any(|m| {
            m.set_control
                .as_deref()
                .is_some_and(|c| same(c, &u.reference))
        });
        if !known {
            let w = format!(
                "{kind} answers message {} ({}) of interchange {control}, which Wharf did not send",
                u.reference, u.message_type
            );
            event(p, tx, job.message_id, EventKind::Warning, job.stage, &w).await?;
        }
    }
    Ok(())
}

/// Hands each mapped document to the ERP exactly once per partner and key: a folder inside
/// the transaction once the registry claimed the document; an ERP that finds its own
/// duplicates (Odoo) before it, so a crash after the ERP committed runs the stage again,
/// which finds the record by its key instead of creating another.
async fn deliver(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let msg = messages::get(&p.store, job.message_id).await?;
    let docs: Vec<Mapped> = load_json(
        messages::payload(&p.store, job.message_id, Payload::Mapped).await?,
        "mapped documents",
    )?;
    let partner = msg
        .partner
        .clone()
        .ok_or_else(|| StageError::Permanent("message has no partner".into()))?;
    let erp = &p.ports.erp;
    if erp.mode() == ErpMode::Before {
        return deliver_before(p, job, &partner, &docs).await;
    }
    let now = now_ms();
    let mut tx = begin(p, job).await?;
    let mut delivered = Vec::new();
    for doc in &docs {
        let (kind, key) = doc.registry_key();
        let first =
            registry::claim_document(&mut tx, &partner, kind, key, job.message_id, now).await?;
        if let Some(first) = first {
            let detail =
                format!("{kind} {key} was delivered by message {first}; not delivered again");
            event(
                p,
                &mut tx,
                job.message_id,
                EventKind::AlreadyDelivered,
                job.stage,
                &detail,
            )
            .await?;
            continue;
        }
        let put = erp
            .put(&partner, doc)
            .await
            .map_err(|e| erp_failure(job, e))?;
        delivered.push(put.text);
    }
    finish_delivered(p, tx, job, &delivered).await
}

/// Ends the deliver stage: delivered, with what went where (or that nothing was new).
async fn finish_delivered(
    p: &Pipeline,
    tx: Tx,
    job: &Job,
    delivered: &[String],
) -> Result<(), StageError> {
    let detail = if delivered.is_empty() {
        "nothing new to deliver".to_owned()
    } else {
        delivered.join("; ")
    };
    let o = Outcome {
        state: MessageState::Delivered,
        kind: EventKind::Delivered,
        detail: &detail,
        error: false,
        next: None,
    };
    advance(p, tx, job, o).await
}

/// An ERP failure as a stage error: an ERP that does not answer is waited for without using
/// attempts, for the ERP's wait from the job's creation.
fn erp_failure(job: &Job, e: ErpFailure) -> StageError {
    match e {
        ErpFailure::Unavailable {
            reason,
            retry_in,
            wait,
        } => StageError::Unavailable {
            reason,
            retry_in,
            until_ms: job.created_at.saturating_add(wait.as_millis() as i64),
        },
        ErpFailure::Transient(t) => StageError::Transient(t),
        ErpFailure::Permanent(t) => StageError::Permanent(t),
    }
}

/// Puts each mapped document into an ERP that finds its own duplicates, then records the
/// stage: warnings, the registry's claims and links to the ERP's records.
async fn deliver_before(
    p: &Pipeline,
    job: &Job,
    partner: &str,
    docs: &[Mapped],
) -> Result<(), StageError> {
    let mut done = Vec::new();
    let mut warned: Vec<String> = Vec::new();
    for doc in docs {
        let (kind, key) = doc.registry_key();
        let put = p
            .ports
            .erp
            .put(partner, doc)
            .await
            .map_err(|e| erp_failure(job, e))?;
        warned.extend(put.warnings.iter().cloned());
        done.push((kind.to_owned(), key.to_owned(), put));
    }
    let now = now_ms();
    let mut tx = begin(p, job).await?;
    for w in &warned {
        event(p, &mut tx, job.message_id, EventKind::Warning, job.stage, w).await?;
    }
    let mut lines = Vec::new();
    for (kind, key, put) in done {
        registry::claim_document(&mut tx, partner, &kind, &key, job.message_id, now).await?;
        if let Some(record) = put.record {
            registry::link_erp_record(
                &mut tx,
                record.model,
                record.id,
                partner,
                &key,
                job.message_id,
                now,
            )
            .await?;
        }
        lines.push(put.text);
    }
    finish_delivered(p, tx, job, &lines).await
}

/// Gives an outbound document its control numbers and bytes, in one transaction, so each
/// number is used once and a crash gives it back.
async fn encode(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let msg = messages::get(&p.store, job.message_id).await?;
    let shared = profile(p, msg.partner.as_deref())?;
    let profile = &*shared;
    let doc: OutboundDoc = load_json(
        messages::payload(&p.store, job.message_id, Payload::Canonical).await?,
        "outbound model",
    )?;
    // A CONTRL is EDIFACT; business documents go in the partner's outbound standard.
    use crate::partners::Standard;
    match (&doc, profile.outbound_standard()) {
        (OutboundDoc::Contrl(_), _) | (_, Some(Standard::Edifact)) => {
            return super::edifact::encode(p, job, profile, &doc).await;
        }
        (_, Some(Standard::Cxml | Standard::Ubl)) => {
            return super::xml::encode(p, job, profile, &doc).await;
        }
        _ => {}
    }
    let them = profile.x12.as_ref().ok_or_else(|| {
        StageError::Permanent(format!(
            "partner {} has no [x12] identity to address",
            profile.id
        ))
    })?;
    let me = &p.settings.identity;
    let scope = format!(
        "x12:{}/{}:{}/{}",
        me.x12_qualifier, me.x12_id, them.qualifier, them.id
    );

    let mut tx = begin(p, job).await?;
    let isa13 = registry::next_control_number(&mut tx, &format!("{scope}:isa")).await?;
    let to = (them.qualifier.as_str(), them.id.as_str());
    let delimiters = Some(profile.x12_delimiters);
    let doc_type = doc.doc_type().map_err(StageError::Permanent)?;
    // (bytes, GS06, ST02): the group and set numbers are kept so the partner's 997/999 can be
    // matched to this message.
    let (bytes, gs06, st02) = match &doc {
        OutboundDoc::FunctionalAck(a) => {
            let gs06 = registry::next_control_number(&mut tx, &format!("{scope}:gs")).await?;
            let env = ack_envelope(me, to, isa13 as u32, gs06 as u32, Some(a), delimiters);
            (write_functional_ack(a, &env), Some(gs06), Some(1))
        }
        OutboundDoc::Ta1(t) => {
            let env = ack_envelope(me, to, isa13 as u32, 0, None, delimiters);
            (write_ta1(t, &env), None, None)
        }
        OutboundDoc::Contrl(_) => {
            return Err(StageError::Permanent(
                "a CONTRL is encoded as EDIFACT".into(),
            ));
        }
        OutboundDoc::Business(d) => {
            // ISA13, GS06 and ST02 each come from the partner's own sequence, in this
            // transaction: gap-free, and a crash before the commit gives them back.
            let gs06 = registry::next_control_number(&mut tx, &format!("{scope}:gs")).await?;
            let st02 = registry::next_control_number(&mut tx, &format!("{scope}:st")).await?;
            let env = envelope(
                me,
                to,
                isa13 as u32,
                gs06 as u32,
                profile.x12_version,
                delimiters,
            );
            (
                encode_business(d, &env, st02 as u32, profile),
                Some(gs06),
                Some(st02),
            )
        }
    };
    let bytes = bytes.map_err(|e| StageError::Permanent(format!("cannot encode: {e}")))?;
    let control = format!("{isa13:09}");
    let filename = format!("{}_{doc_type}_{control}.x12", profile.id);
    let (gs06, st02) = (gs06.map(|n| n.to_string()), st02.map(|n| n.to_string()));
    let controls = messages::Controls {
        interchange: &control,
        group: gs06.as_deref(),
        set: st02.as_deref(),
    };
    let detail = format!("{doc_type} interchange {control}, {} bytes", bytes.len());
    finish_encoded(p, tx, job, &bytes, controls, &filename, &detail).await
}

/// One business document as a complete interchange.
fn encode_business(
    d: &Document,
    env: &crate::edi::x12::writer::OutboundEnvelope,
    st02: u32,
    profile: &Profile,
) -> Result<Vec<u8>, crate::edi::x12::X12Error> {
    use crate::documents::x12::outbound::{FunctionalId, write_interchange};
    use crate::documents::x12::{asn856, invoice810, poack855};
    let write = crate::documents::x12::common::WriteOptions::default();
    let (fid, set) = match d {
        Document::OrderAck(a) => (FunctionalId::OrderAck, poack855::to_set(a, st02, write)?),
        Document::ShipNotice(n) => {
            let opts = asn856::AsnOptions {
                structure: profile.asn_structure,
                write,
            };
            (FunctionalId::ShipNotice, asn856::to_set(n, st02, opts)?)
        }
        Document::Invoice(i) => (FunctionalId::Invoice, invoice810::to_set(i, st02, write)?),
        Document::Order(_) | Document::FunctionalAck(_) | Document::InterchangeAck(_) => {
            return Err(crate::edi::x12::X12Error::InvalidOutbound {
                field: "ST01",
                reason:
                    "only order acknowledgements, ship notices and invoices are sent as documents"
                        .into(),
            });
        }
    };
    write_interchange(env, fid, &[set])
}

/// Sends an encoded message on the partner's outbound channel.
async fn send(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let msg = messages::get(&p.store, job.message_id).await?;
    let shared = profile(p, msg.partner.as_deref())?;
    let profile = &*shared;
    let raw = messages::raw(&p.store, job.message_id).await?;
    let filename = msg
        .filename
        .clone()
        .unwrap_or_else(|| format!("{}_{}.x12", profile.id, job.message_id));
    // While a partner's server is away, a send waits this long from its job's creation.
    let wait_until = job
        .created_at
        .saturating_add(profile.retry_for.as_millis() as i64);
    // The edge does the network first, outside any transaction: an upload may take a while.
    // A retry after a crash puts the same bytes under the same name again.
    let out = Outgoing {
        profile,
        message: &msg,
        filename: &filename,
        raw: &raw,
    };
    let sent = p
        .ports
        .outbound(profile.outbound)
        .send(out)
        .await
        .map_err(|e| match e {
            // The server is away: wait for it, as long as the profile allows.
            SendFailure::Unavailable { reason, retry_in } => StageError::Unavailable {
                reason,
                retry_in,
                until_ms: wait_until,
            },
            // A login, certificate or permission problem wants an operator: the usual
            // attempts, then dead letters.
            SendFailure::Refused(reason) => StageError::Transient(reason),
            SendFailure::Permanent(reason) => StageError::Permanent(reason),
            SendFailure::Store(e) => StageError::Store(e),
        })?;
    let mut tx = begin(p, job).await?;
    match &sent.receipt {
        Receipt::Nothing => {}
        Receipt::Transfers(done) => {
            let sha = msg
                .sha256
                .clone()
                .unwrap_or_else(|| messages::sha256_hex(&raw));
            for d in done {
                transfers::record(
                    &mut tx,
                    job.message_id,
                    &transfers::NewTransfer {
                        partner: profile.id.as_str(),
                        direction: crate::store::Direction::Out,
                        remote: &d.remote,
                        name: &d.name,
                        size: raw.len(),
                        sha256: &sha,
                    },
                )
                .await?;
            }
        }
        Receipt::As2 {
            as2_message_id,
            mic,
            mic_alg,
            mdn,
            release_send_id,
        } => {
            crate::store::as2::record_sent(
                &mut tx,
                job.message_id,
                &crate::store::as2::NewAs2 {
                    partner: profile.id.as_str(),
                    direction: crate::store::Direction::Out,
                    as2_message_id,
                    mic: Some(mic),
                    mic_alg: Some(mic_alg),
                    mdn: mdn.as_deref(),
                },
            )
            .await?;
            if *release_send_id {
                // Settled by a good MDN; an asynchronous one keeps the ID for a resend
                // should its MDN not come.
                crate::store::as2::release_send_id(&mut tx, job.message_id).await?;
            }
        }
    }
    let (channel, text) = (sent.channel, sent.text);
    messages::set_channel(&mut tx, job.message_id, channel).await?;
    let o = Outcome {
        state: MessageState::Sent,
        kind: EventKind::Sent,
        detail: &text,
        error: false,
        next: None,
    };
    advance(p, tx, job, o).await
}
