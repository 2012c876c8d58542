//! The translate stage: the partner's bytes into canonical documents by the syntax identify
//! found, each interchange registered so a repeat is not posted twice, the acknowledgements
//! the partner expects queued, and the message on to mapping (or ended, saying why).

use super::syntax::{Ack, Repeat, Syntax};
use super::*;

/// Reads the partner's bytes into canonical documents by the syntax identify recorded (X12
/// when none was), queues the acknowledgements the partner expects, and registers each
/// interchange so a repeat is not posted twice.
pub(super) async fn translate(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let ctx = StageContext::raw(p, job).await?;
    let shared = ctx.profile(p)?;
    let profile = &*shared;
    let syntax = ctx.msg.format.and_then(Syntax::of).unwrap_or(Syntax::X12);
    let translation = match syntax.translate(profile, &ctx.body).await {
        Ok(t) => t,
        Err(reason) => {
            return finish_with(p, job, MessageState::Rejected, EventKind::Rejected, &reason).await;
        }
    };

    let mut tx = begin(p, job).await?;
    let interchanges = translation.interchanges.len();
    let mut documents: Vec<Document> = Vec::new();
    let mut types: Vec<String> = Vec::new();
    let (mut errors, mut duplicates) = (0usize, 0usize);
    for (n, ic) in translation.interchanges.into_iter().enumerate() {
        let repeated = match &ic.key {
            Some((sender, receiver, reference)) => {
                let key = (sender.as_str(), receiver.as_str(), reference.as_str());
                received_before(p, &mut tx, job, key, &ic.what)
                    .await?
                    .is_some()
            }
            None => false,
        };
        if repeated {
            match &ic.repeat {
                Repeat::Skip(answer) => {
                    duplicates += 1;
                    if let Some(ack) = answer {
                        queue_ack(p, &mut tx, job, profile, n, &ic.control, ack).await?;
                    }
                    continue;
                }
                Repeat::EndsMessage => {
                    let o = Outcome {
                        state: MessageState::Duplicate,
                        kind: EventKind::Duplicate,
                        detail: "received before",
                        error: true,
                        next: None,
                    };
                    return advance(p, tx, job, o).await;
                }
            }
        }
        errors += record_diagnostics(p, &mut tx, job, &ic.errors).await?;
        for t in ic.types {
            if !types.contains(&t) {
                types.push(t);
            }
        }
        documents.extend(ic.documents);
        for ack in &ic.acks {
            queue_ack(p, &mut tx, job, profile, n, &ic.control, ack).await?;
        }
    }
    record_diagnostics(p, &mut tx, job, &translation.diagnostics).await?;
    let t = Translated {
        documents: &documents,
        interchanges,
        duplicates,
        errors,
        types: &types,
    };
    finish_translated(p, tx, job, t).await
}

/// Registers an interchange (or an XML document) by sender, receiver and reference. When the
/// same one was received before within the duplicate window, the message's history says so
/// (`what` names it, e.g. "interchange 000000101 from ZZ/ACME") and the answer is the first
/// message's id: it is not posted again.
async fn received_before(
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
async fn record_diagnostics(
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
struct Translated<'a> {
    documents: &'a [Document],
    interchanges: usize,
    duplicates: usize,
    errors: usize,
    /// Transaction sets or message types seen, for "nothing for the ERP in …".
    types: &'a [String],
}

/// Stores the canonical documents and ends the translate stage: on to mapping when there is
/// a document; otherwise duplicate, rejected or completed, saying why.
async fn finish_translated(
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

/// Creates one outbound acknowledgement for interchange `n` of the message (at most once:
/// the key survives retries and replays) and queues its encoding.
async fn queue_ack(
    p: &Pipeline,
    tx: &mut Tx,
    job: &Job,
    profile: &Profile,
    n: usize,
    control: &str,
    Ack { doc_type, doc }: &Ack,
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
