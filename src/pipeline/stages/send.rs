//! The send stage: an encoded message to the partner's outbound channel port.

use super::*;

/// Sends an encoded message on the partner's outbound channel.
pub(super) async fn send(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let ctx = StageContext::raw(p, job).await?;
    let shared = ctx.profile(p)?;
    let profile = &*shared;
    let (msg, raw) = (&ctx.msg, ctx.body.as_slice());
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
        message: msg,
        filename: &filename,
        raw,
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
                .unwrap_or_else(|| messages::sha256_hex(raw));
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
    if let Some(kind) = crate::pipeline::outbox::sent_kind(msg.doc_type.as_deref()) {
        let data = serde_json::json!({
            "doc_type": msg.doc_type,
            "reference": crate::pipeline::outbox::first_reference(msg.reference.as_deref()),
            "control_number": msg.control_number,
            "channel": channel.as_str(),
            "detail": text,
        });
        crate::pipeline::outbox::emit(
            &mut tx,
            kind,
            Some(profile.id.as_str()),
            Some(job.message_id),
            data,
        )
        .await?;
    }
    let o = Outcome {
        state: MessageState::Sent,
        kind: EventKind::Sent,
        detail: &text,
        error: false,
        next: None,
    };
    advance(p, tx, job, o).await?;
    p.metrics.sent(
        &p.partner_label(Some(profile.id.as_str())),
        channel,
        raw.len(),
    );
    Ok(())
}
