//! Business events found by looking rather than by doing: a certificate near its expiry, a
//! partner profile that changed on disk, an acknowledgement past its partner's `[sla]`
//! window. Each is written once for the whole fleet, however
//! many instances look and however often: its `dedup_key` names the condition (the
//! certificate and its expiry date; the profile and the contents it changed between).
//! Beside them, the outbox's retention: delivered events older than `[events] retain_days`
//! pruned ([`prune_events`]).

use std::collections::BTreeMap;

use serde_json::json;

use super::Pipeline;
use crate::model::BusinessEventKind;
use crate::partners::Partners;
use crate::partners::certificates::{EXPIRY_WARNING_DAYS, certificates};
use crate::store::outbox::{self, NewBusinessEvent};
use crate::store::outbox_upkeep::{self, Pruned};
use crate::store::{StoreError, messages::sha256_hex};

/// `certificate.expiring` for every certificate (Wharf's own, its previous pairs, the
/// partners') within [`EXPIRY_WARNING_DAYS`] of its end or past it; once per certificate
/// and expiry date. Returns how many were newly written.
pub async fn certificates_expiring(p: &Pipeline) -> Result<usize, StoreError> {
    let partners = p.partners.snapshot();
    let (infos, _unreadable) = certificates(&p.settings, &partners);
    let mut written = 0;
    for c in infos.iter().filter(|c| c.days_left <= EXPIRY_WARNING_DAYS) {
        let partner = (c.owner != "wharf").then_some(c.owner.as_str());
        let e = NewBusinessEvent {
            kind: BusinessEventKind::CertificateExpiring,
            partner,
            message_id: None,
            data: json!({
                "owner": c.owner,
                "file": c.file,
                "subject": c.subject,
                "not_after": c.not_after,
                "days_left": c.days_left,
            }),
            dedup_key: Some(format!(
                "certificate.expiring:{}:{}:{}",
                c.owner, c.file, c.not_after
            )),
        };
        if outbox::emit_alone(&p.store, &e).await?.is_some() {
            written += 1;
        }
    }
    Ok(written)
}

/// Each profile's file contents (SHA-256), by partner id: what [`partners_changed`] compares.
pub fn profile_digests(partners: &Partners) -> BTreeMap<String, String> {
    partners
        .iter()
        .filter_map(|pr| {
            let bytes = std::fs::read(&pr.source).ok()?;
            Some((pr.id.as_str().to_owned(), sha256_hex(&bytes)))
        })
        .collect()
}

/// `partner.changed` for every profile added, changed or removed between `before` and the
/// profiles now in force; returns the digests now. A profile whose new file was refused
/// (`refused`: the files the reload reported) keeps its last good version, so it has not
/// changed.
pub async fn partners_changed(
    p: &Pipeline,
    before: &BTreeMap<String, String>,
    refused: &[String],
) -> Result<BTreeMap<String, String>, StoreError> {
    let partners = p.partners.snapshot();
    let mut now = profile_digests(&partners);
    for pr in partners.iter() {
        if refused.contains(&pr.source.display().to_string()) {
            match before.get(pr.id.as_str()) {
                Some(d) => now.insert(pr.id.as_str().to_owned(), d.clone()),
                None => now.remove(pr.id.as_str()),
            };
        }
    }
    let ids: std::collections::BTreeSet<&String> = before.keys().chain(now.keys()).collect();
    for id in ids {
        let (old, new) = (before.get(id), now.get(id));
        let change = match (old, new) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(a), Some(b)) if a != b => "changed",
            _ => continue,
        };
        let e = NewBusinessEvent {
            kind: BusinessEventKind::PartnerChanged,
            partner: Some(id),
            message_id: None,
            data: json!({ "change": change, "sha256": new }),
            // Every instance sees the same edit: one event for the fleet.
            dedup_key: Some(format!(
                "partner.changed:{id}:{}:{}",
                old.map_or("-", String::as_str),
                new.map_or("-", String::as_str)
            )),
        };
        outbox::emit_alone(&p.store, &e).await?;
    }
    Ok(now)
}

/// What an overdue acknowledgement waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    /// The partner's 997/999/CONTRL for a document Wharf sent (`[sla] ack_within`).
    PartnersAck,
    /// Wharf's 855/ORDRSP for the partner's order (`[sla] order_ack_within`): late, it is
    /// what retailers fine suppliers for.
    OurOrderAck,
}

impl Waiting {
    fn as_str(self) -> &'static str {
        match self {
            Waiting::PartnersAck => "partner_acknowledgement",
            Waiting::OurOrderAck => "order_acknowledgement",
        }
    }

    fn window(self, sla: &crate::partners::Sla) -> std::time::Duration {
        match self {
            Waiting::PartnersAck => sla.ack_within,
            Waiting::OurOrderAck => sla.order_ack_within,
        }
    }

    /// The same window as the dashboard and `/metrics` hold it to.
    fn sla_window(self) -> super::sla::Window {
        match self {
            Waiting::PartnersAck => super::sla::Window::PartnerAck,
            Waiting::OurOrderAck => super::sla::Window::OrderAck,
        }
    }
}

/// `ack.overdue` for every document past its partner's `[sla]` window: a document Wharf sent
/// with no acknowledgement from the partner, an order of theirs with no 855/ORDRSP from
/// Wharf; once per message and what it waits for. Returns how many were newly written.
pub async fn acks_overdue(p: &Pipeline) -> Result<usize, StoreError> {
    use crate::store::search;
    let partners = p.partners.snapshot();
    let now = crate::store::now_ms();
    let default = crate::partners::Sla::default();
    let sla_of = |id: Option<&str>| {
        id.and_then(|id| partners.get(id))
            .map_or(default, |pr| pr.sla)
    };
    let mut written = 0;
    for w in [Waiting::PartnersAck, Waiting::OurOrderAck] {
        // Each message held to its own partner's window by the store (`sla::cutoffs`), as
        // the dashboard and `/metrics` hold it.
        let cutoffs = super::sla::cutoffs(&partners, w.sla_window(), now);
        let (list, since_updated) = match w {
            Waiting::PartnersAck => (search::unacknowledged(&p.store, &cutoffs).await?, true),
            Waiting::OurOrderAck => (search::orders_unanswered(&p.store, &cutoffs).await?, false),
        };
        for m in list {
            let since = if since_updated {
                m.updated_at
            } else {
                m.created_at
            };
            let window = w.window(&sla_of(m.partner.as_deref()));
            let e = NewBusinessEvent {
                kind: BusinessEventKind::AckOverdue,
                partner: m.partner.as_deref(),
                message_id: Some(m.id),
                data: json!({
                    "waiting_for": w.as_str(),
                    "doc_type": m.doc_type,
                    "reference": super::outbox::first_reference(m.reference.as_deref()),
                    "control_number": m.control_number,
                    "since_ms": since,
                    "window_seconds": window.as_secs(),
                }),
                dedup_key: Some(format!("ack.overdue:{}:{}", m.id, w.as_str())),
            };
            if outbox::emit_alone(&p.store, &e).await?.is_some() {
                written += 1;
            }
        }
    }
    Ok(written)
}

/// Deletes the events older than `[events] retain_days` whose every delivery is delivered
/// (dead letters and pending deliveries keep theirs), counts them in `metrics`, and says what
/// it did. Every instance runs it; deletes are idempotent, so they need no lease.
pub async fn prune_events(p: &Pipeline) -> Result<Pruned, StoreError> {
    let cutoff = crate::store::now_ms().saturating_sub(p.settings.events.retain.millis());
    let no_subscribers = !p.settings.events.any_subscriber();
    let done = outbox_upkeep::prune(&p.store, cutoff, no_subscribers).await?;
    p.metrics.events_pruned(done.events);
    if done.events > 0 {
        tracing::info!(
            pruned = done.events,
            held = done.held,
            retain_days = p.settings.events.retain.in_days(),
            "delivered business events pruned"
        );
    }
    Ok(done)
}
