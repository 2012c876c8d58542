//! The map stage: the partner's mapping rules shape each document for the ERP; a partner's
//! acknowledgements are reconciled with what Wharf sent it.

use super::*;

/// Applies the partner's mapping rules to shape each document for the ERP.
pub(super) async fn map(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let ctx = StageContext::payload(p, job, Payload::Canonical).await?;
    let shared = ctx.profile(p)?;
    let profile = &*shared;
    let docs: Vec<Document> = load_json(ctx.body, "canonical documents")?;
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
        let verdicts: Vec<(MessageId, AckStatus, String)> = if g.sets.is_empty() {
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
            if state == MessageState::Rejected
                && let Some(m) = sent.iter().find(|m| m.id == id)
            {
                ack_rejected(tx, profile, job.message_id, m.id, ack.kind.code(), &why).await?;
            }
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
            if state == MessageState::Rejected {
                ack_rejected(tx, profile, job.message_id, m.id, kind, &why).await?;
            }
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

/// `ack.rejected`: a partner's acknowledgement (`ack_code`: 997, 999, TA1, CONTRL) in message
/// `ack_message` rejected message `rejected`, a document Wharf sent.
async fn ack_rejected(
    tx: &mut Tx,
    profile: &Profile,
    ack_message: MessageId,
    rejected: MessageId,
    ack_code: &str,
    why: &str,
) -> Result<(), StageError> {
    // Read only on a rejection: its business reference, for whoever acts on the event.
    let m = messages::get_tx(tx, rejected).await?;
    let data = serde_json::json!({
        "acknowledgement": ack_code,
        "acknowledgement_message_id": ack_message.get(),
        "doc_type": m.doc_type,
        "reference": crate::pipeline::outbox::first_reference(m.reference.as_deref()),
        "control_number": m.control_number,
        "reason": why,
    });
    crate::pipeline::outbox::emit(
        tx,
        crate::model::BusinessEventKind::AckRejected,
        Some(profile.id.as_str()),
        Some(m.id),
        data,
    )
    .await?;
    Ok(())
}
