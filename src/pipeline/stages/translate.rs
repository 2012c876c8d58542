//! The translate stage: the partner's bytes into canonical documents, the acknowledgements it
//! expects queued, each interchange registered so a repeat is not posted twice; and the
//! helpers every syntax's translation ends with.

use super::*;

/// Reads the partner's bytes into canonical documents by the syntax identify found (X12 when
/// none was recorded), queues the acknowledgements the partner expects, and registers each
/// interchange so a repeat is not posted twice.
pub(super) async fn translate(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let msg = messages::get(&p.store, job.message_id).await?;
    let raw = messages::raw(&p.store, job.message_id).await?;
    let shared = profile(p, msg.partner.as_deref())?;
    let profile = &*shared;
    match msg.format {
        Some(Format::Edifact) => super::edifact::translate(p, job, profile, &raw).await,
        Some(Format::Xml) => super::xml::translate(p, job, profile, &raw).await,
        _ => super::x12::translate(p, job, profile, &raw).await,
    }
}

/// Registers an interchange (or an XML document) by sender, receiver and reference. When the
/// same one was received before within the duplicate window, the message's history says so
/// (`what` names it, e.g. "interchange 000000101 from ZZ/ACME") and the answer is the first
/// message's id: it is not posted again.
pub(in crate::pipeline) async fn received_before(
    p: &Pipeline,
    tx: &mut Tx,
    job: &Job,
    (sender, receiver, reference): (&str, &str, &str),
    what: &str,
) -> Result<Option<MessageId>, StageError> {
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
pub(in crate::pipeline) async fn record_diagnostics(
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
pub(in crate::pipeline) struct Translated<'a> {
    pub(in crate::pipeline) documents: &'a [Document],
    pub(in crate::pipeline) interchanges: usize,
    pub(in crate::pipeline) duplicates: usize,
    pub(in crate::pipeline) errors: usize,
    /// Transaction sets or message types seen, for "nothing for the ERP in …".
    pub(in crate::pipeline) types: &'a [String],
}

/// Stores the canonical documents and ends the translate stage: on to mapping when there is
/// a document; otherwise duplicate, rejected or completed, saying why.
pub(in crate::pipeline) async fn finish_translated(
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
pub(in crate::pipeline) fn match_partner<'a>(
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

/// Why a partner's message is held when its documents fall outside the partner's agreements
/// (standard, type, version, inbound), or `None` when every one is covered.
pub(in crate::pipeline) fn outside_agreement(
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

/// Creates one outbound acknowledgement for interchange `n` of the message (at most once:
/// the key survives retries and replays) and queues its encoding.
#[allow(clippy::too_many_arguments)]
pub(in crate::pipeline) async fn queue_ack(
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
