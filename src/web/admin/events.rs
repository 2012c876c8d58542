//! The business events page: what was told to other systems (the latest events, filtered by
//! partner and type), how each subscriber stands (waiting, delivered, dead), the dead
//! deliveries with a redeliver button, and a replay form (from a partner's sequence number or
//! a time), for operators. Replays and redeliveries are audited in their own transaction.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::auth::Session;
use super::{Ctx, PageError, render};
use crate::model::BusinessEventKind;
use crate::pipeline::Pipeline;
use crate::store::admin::Role;
use crate::store::outbox::{self, Selection};
use crate::store::outbox_upkeep;

#[derive(askama::Template)]
#[template(path = "admin/events.html")]
struct EventsPage {
    ctx: Ctx,
    partner: String,
    kind: String,
    kinds: Vec<&'static str>,
    sinks: Vec<SinkRow>,
    events: Vec<EventRow>,
    dead: Vec<DeadRow>,
    /// `[events] retain_days`, said beside the delivered counts that pruning lowers.
    retain_days: u32,
}

struct SinkRow {
    name: String,
    waiting: i64,
    delivered: i64,
    dead: i64,
}

struct EventRow {
    id: i64,
    at: String,
    kind: &'static str,
    partner: String,
    sequence: i64,
    message_id: Option<i64>,
    data: String,
}

struct DeadRow {
    delivery_id: i64,
    sink: String,
    event_id: i64,
    kind: &'static str,
    partner: String,
    attempts: i64,
    since: String,
    error: String,
}

#[derive(serde::Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    partner: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    done: Option<String>,
}

/// The newest events shown: the page is a look, the CLI lists any number.
const SHOWN: i64 = 200;

pub async fn page(
    State(p): State<Pipeline>,
    s: Session,
    Query(f): Query<Filter>,
) -> Result<Response, PageError> {
    let kind = match f.kind.as_str() {
        "" => None,
        k => Some(
            BusinessEventKind::parse(k)
                .ok_or_else(|| PageError::BadRequest(format!("`{k}` is not an event type")))?,
        ),
    };
    let sel = Selection {
        partner: (!f.partner.is_empty()).then(|| f.partner.clone()),
        kind,
        limit: SHOWN,
        ..Selection::default()
    };
    let events = outbox::latest(&p.store, &sel)
        .await?
        .into_iter()
        .map(|e| EventRow {
            id: e.id,
            at: s.zone.when(e.at),
            kind: e.kind.as_str(),
            partner: e.partner.clone().unwrap_or_default(),
            sequence: e.sequence,
            message_id: e.message_id.map(|m| m.get()),
            data: e.data.to_string(),
        })
        .collect();
    let sinks = outbox::counts(&p.store)
        .await?
        .into_iter()
        .map(|(name, waiting, delivered, dead)| SinkRow {
            name,
            waiting,
            delivered,
            dead,
        })
        .collect();
    let dead = outbox::dead_letters(&p.store, 200)
        .await?
        .into_iter()
        .map(|d| DeadRow {
            delivery_id: d.delivery_id,
            sink: d.sink,
            event_id: d.event.id,
            kind: d.event.kind.as_str(),
            partner: d.event.partner.unwrap_or_default(),
            attempts: d.attempts,
            since: s.zone.when(d.dead_at),
            error: d.last_error.unwrap_or_default(),
        })
        .collect();
    let mut ctx = Ctx::new(&s, "events");
    ctx.notice = f.done.map(|d| format!("Done: {d}."));
    Ok(render(&EventsPage {
        ctx,
        partner: f.partner,
        kind: f.kind,
        kinds: BusinessEventKind::ALL.iter().map(|k| k.as_str()).collect(),
        sinks,
        events,
        dead,
        retain_days: p.settings.events.retain.in_days(),
    }))
}

#[derive(serde::Deserialize)]
pub struct RedeliverForm {
    #[serde(default)]
    csrf: String,
    delivery: i64,
}

pub async fn redeliver(
    State(p): State<Pipeline>,
    s: Session,
    axum::Form(f): axum::Form<RedeliverForm>,
) -> Result<Response, PageError> {
    s.allow(&f.csrf, Role::Operator)?;
    let mut tx = p.store.begin().await?;
    if !outbox::redeliver(&mut tx, f.delivery).await? {
        return Err(PageError::NotFound(format!("dead delivery {}", f.delivery)));
    }
    let target = format!("delivery {}", f.delivery);
    crate::store::admin::record(&mut tx, &s.user, "events.redeliver", &target, "").await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/events?done=delivery%20queued%20again").into_response())
}

#[derive(serde::Deserialize)]
pub struct ReplayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    partner: String,
    /// A number of the partner's sequence; empty with `since`.
    #[serde(default)]
    from_sequence: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`; empty with `from_sequence`.
    #[serde(default)]
    since: String,
    /// One subscriber, or empty for all.
    #[serde(default)]
    sink: String,
}

pub async fn replay(
    State(p): State<Pipeline>,
    s: Session,
    axum::Form(f): axum::Form<ReplayForm>,
) -> Result<Response, PageError> {
    s.allow(&f.csrf, Role::Operator)?;
    let bad = |w: String| PageError::BadRequest(w);
    let from_sequence = match f.from_sequence.trim() {
        "" => None,
        n => Some(
            n.parse::<i64>()
                .map_err(|_| bad(format!("`{n}` is not a sequence number")))?,
        ),
    };
    let since_ms = match f.since.trim() {
        "" => None,
        t => Some(
            (time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .map_err(|e| {
                    bad(format!(
                        "`{t}` is not a time like 2026-12-07T10:00:00Z: {e}"
                    ))
                })?
                .unix_timestamp_nanos()
                / 1_000_000) as i64,
        ),
    };
    if from_sequence.is_some() == since_ms.is_some() {
        return Err(bad("give a sequence number or a time, one of them".into()));
    }
    if from_sequence.is_some() && f.partner.trim().is_empty() {
        return Err(bad(
            "a sequence number belongs to a partner: name one".into()
        ));
    }
    let all = p.settings.events.sink_names();
    let sinks = match f.sink.trim() {
        "" => all,
        one if all.iter().any(|n| n == one) => vec![one.to_owned()],
        other => return Err(bad(format!("`{other}` is not a subscriber"))),
    };
    let sel = Selection {
        partner: (!f.partner.trim().is_empty()).then(|| f.partner.trim().to_owned()),
        since_ms,
        from_sequence,
        kind: None,
        limit: 100_000,
    };
    // From a pruned sequence number the replay would quietly start later: refused, saying
    // what is gone and what remains (as `wharf events replay` does).
    if let (Some(partner), Some(from)) = (&sel.partner, from_sequence) {
        let coverage = outbox_upkeep::missing_sequences(&p.store, partner, from).await?;
        if !coverage.missing.is_empty() {
            let retain = p.settings.events.retain.in_days();
            return Err(bad(coverage.explain(partner, from, retain)));
        }
    }
    let mut tx = p.store.begin().await?;
    let made = outbox::replay(&mut tx, &sel, &sinks).await?;
    let detail = format!(
        "{made} deliveries to {}: partner {:?}, from sequence {:?}, since {:?}",
        sinks.join(", "),
        sel.partner,
        from_sequence,
        f.since.trim()
    );
    crate::store::admin::record(&mut tx, &s.user, "events.replay", "events", &detail).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/events?done={made}%20deliveries%20queued")).into_response())
}
