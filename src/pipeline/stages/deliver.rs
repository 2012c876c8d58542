//! The deliver stage: mapped documents to the ERP port, exactly once per partner and key.

use super::*;

/// Hands each mapped document to the ERP exactly once per partner and key: a folder inside
/// the transaction once the registry claimed the document; an ERP that finds its own
/// duplicates (Odoo) before it, so a crash after the ERP committed runs the stage again,
/// which finds the record by its key instead of creating another.
pub(super) async fn deliver(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let ctx = StageContext::payload(p, job, Payload::Mapped).await?;
    let docs: Vec<Mapped> = load_json(ctx.body, "mapped documents")?;
    let partner = ctx
        .msg
        .partner
        .ok_or_else(|| StageError::Permanent("message has no partner".into()))?;
    if p.ports.erp.mode() == ErpMode::Before {
        deliver_before(p, job, &partner, &docs).await?;
    } else {
        deliver_inside(p, job, &partner, &docs).await?;
    }
    // Committed: the message's whole way, from its arrival, ends here.
    let seconds = now_ms().saturating_sub(ctx.msg.created_at).max(0) as f64 / 1000.0;
    p.metrics
        .delivered(&p.partner_label(Some(&partner)), seconds);
    Ok(())
}

/// Delivery to an ERP written inside the stage's transaction (a folder), once the registry
/// claimed each document.
async fn deliver_inside(
    p: &Pipeline,
    job: &Job,
    partner: &str,
    docs: &[Mapped],
) -> Result<(), StageError> {
    let erp = &p.ports.erp;
    let now = now_ms();
    let mut tx = begin(p, job).await?;
    let mut delivered = Vec::new();
    for doc in docs {
        let (kind, key) = doc.registry_key();
        let first =
            registry::claim_document(&mut tx, partner, kind, key, job.message_id, now).await?;
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
            .put(partner, doc)
            .await
            .map_err(|e| erp_failure(job, e))?;
        created(&mut tx, partner, job.message_id, kind, key, &put).await?;
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

/// `order.created` / `receipt.created` for a document the ERP took, in the stage's
/// transaction: with the ERP's record when it names one (Odoo's `sale.order` id), else `null`
/// (a folder sink).
async fn created(
    tx: &mut Tx,
    partner: &str,
    message_id: MessageId,
    kind: &str,
    key: &str,
    put: &crate::pipeline::ports::Put,
) -> Result<(), StageError> {
    use crate::model::BusinessEventKind as K;
    let (event, key_name) = if kind == "receipt" {
        (K::ReceiptCreated, "shipment_id")
    } else {
        (K::OrderCreated, "po_number")
    };
    let erp = put
        .record
        .map(|r| serde_json::json!({ "model": r.model, "id": r.id }));
    let data = serde_json::json!({ key_name: key, "erp": erp, "detail": put.text });
    crate::pipeline::outbox::emit(tx, event, Some(partner), Some(message_id), data).await?;
    Ok(())
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
        created(&mut tx, partner, job.message_id, &kind, &key, &put).await?;
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
