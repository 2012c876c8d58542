//! The dashboard (traffic, arrival-to-ERP time and failures per day — drawn by `charts.rs` —
//! per partner and by reason, queue, quarantine, readiness, partners' channels (failing
//! first), overdue acknowledgements, certificates with their problems) and the audit log page.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::auth::Session;
use super::charts::{self, DAY_WIDTH, DayBars, DayRow, FailureBars, LatencyBars, LatencyRow};
use super::failures::{self, CertRow, ChannelRow};
use super::{Ctx, PageError, ago, render, utc_day};
use crate::pipeline::Pipeline;
use crate::pipeline::sla::{Window, cutoffs};
use crate::store::admin::{self, Role};
use crate::store::{JobState, jobs, now_ms, search};

const DAY: i64 = 86_400_000;

pub(crate) struct TrafficRow {
    pub partner: String,
    pub doc_type: String,
    pub inbound: i64,
    pub outbound: i64,
    pub failed: i64,
}

pub(crate) struct FailureRow {
    pub state: String,
    pub reason: String,
    pub count: i64,
}

pub(crate) struct Overdue {
    pub id: crate::store::MessageId,
    pub partner: String,
    pub doc_type: String,
    pub reference: String,
    pub waiting_for: &'static str,
    pub since: String,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    ctx: Ctx,
    in_24h: i64,
    out_24h: i64,
    queue_ready: i64,
    queue_running: i64,
    oldest_waiting: String,
    dead: i64,
    days: Vec<DayRow>,
    bars: Vec<DayBars>,
    chart_width: u32,
    latency_bars: Vec<LatencyBars>,
    latency: Vec<LatencyRow>,
    /// The value at the top of the latency chart (its slowest 95th percentile).
    latency_top: String,
    failure_bars: Vec<FailureBars>,
    traffic: Vec<TrafficRow>,
    failures: Vec<FailureRow>,
    overdue: Vec<Overdue>,
    /// Every AS2 certificate, those with a problem (missing, unreadable, expiring) first.
    certificates: Vec<CertRow>,
    /// Every partner channel's health, failing ones first.
    channels: Vec<ChannelRow>,
    /// How many of them fail now.
    channels_failing: usize,
    /// Messages held in quarantine now.
    quarantined: i64,
    /// The same checks `/readyz` answers with.
    readiness: crate::pipeline::health::Report,
}

pub async fn dashboard(State(p): State<Pipeline>, s: Session) -> Result<Response, PageError> {
    let now = now_ms();
    let since = now - 14 * DAY;
    let days: Vec<DayRow> = search::per_day(&p.store, since)
        .await?
        .into_iter()
        .map(|(day, i, o, f)| DayRow {
            number: day,
            day: utc_day(day * DAY),
            inbound: i,
            outbound: o,
            failed: f,
        })
        .collect();
    let last_day = search::per_partner(&p.store, now - DAY).await?;
    let in_24h = last_day.iter().map(|t| t.inbound).sum();
    let out_24h = last_day.iter().map(|t| t.outbound).sum();
    let traffic = search::per_partner(&p.store, now - 7 * DAY)
        .await?
        .into_iter()
        .map(|t| TrafficRow {
            partner: t.key,
            doc_type: t.doc_type,
            inbound: t.inbound,
            outbound: t.outbound,
            failed: t.failed,
        })
        .collect();
    let failures = search::failures(&p.store, now - 7 * DAY)
        .await?
        .into_iter()
        .map(|(state, reason, count)| FailureRow {
            state,
            reason: if reason.is_empty() {
                "(no reason recorded)".into()
            } else {
                reason
            },
            count,
        })
        .collect();
    let counts = jobs::count_by_state(&p.store).await?;
    let count = |st: JobState| counts.iter().find(|(s, _)| *s == st).map_or(0, |(_, n)| *n);
    let oldest_waiting = match search::oldest_ready(&p.store, now).await? {
        Some(at) => ago(now - at),
        None => "none".into(),
    };
    // Each partner's own window (`[sla]`), applied by the store (`pipeline::sla`), as /metrics
    // counts them.
    let partners = p.partners.snapshot();
    let overdue_of = |list: Vec<crate::store::messages::Message>,
                      waiting_for: &'static str,
                      since_updated: bool| {
        list.into_iter()
            .map(move |m| {
                let since = if since_updated {
                    m.updated_at
                } else {
                    m.created_at
                };
                Overdue {
                    id: m.id,
                    since: format!("{} ago", ago(now - since)),
                    partner: m.partner.unwrap_or_default(),
                    doc_type: m.doc_type.unwrap_or_default(),
                    reference: m.reference.unwrap_or_default(),
                    waiting_for,
                }
            })
            .collect::<Vec<_>>()
    };
    let mut overdue = overdue_of(
        search::unacknowledged(&p.store, &cutoffs(&partners, Window::PartnerAck, now)).await?,
        "its 997/999/CONTRL from the partner",
        true,
    );
    overdue.extend(overdue_of(
        search::orders_unanswered(&p.store, &cutoffs(&partners, Window::OrderAck, now)).await?,
        "our 855/ORDRSP to the partner",
        false,
    ));
    let certificates = failures::certificate_rows(&p, &partners, None);
    let channels = failures::channel_rows(&p, &partners, None, &s.zone).await?;
    let latency_rows = search::latency_per_day(&p.store, since).await?;
    let (latency_bars, latency) = charts::latency(&days, &latency_rows);
    let latency_top =
        charts::latency_text(latency_rows.iter().map(|r| r.p95_ms).max().unwrap_or(0));
    let failure_bars = charts::failures(&days, &search::failures_per_day(&p.store, since).await?);
    let readiness =
        crate::pipeline::health::readiness(&p, crate::pipeline::health::Scope::All).await;
    Ok(render(&DashboardPage {
        ctx: Ctx::new(&s, "dashboard"),
        readiness,
        in_24h,
        out_24h,
        queue_ready: count(JobState::Ready),
        queue_running: count(JobState::Running),
        oldest_waiting,
        dead: count(JobState::Dead),
        bars: charts::traffic(&days),
        latency_bars,
        latency,
        latency_top,
        failure_bars,
        chart_width: u32::try_from(days.len()).unwrap_or(0).max(1) * DAY_WIDTH,
        days,
        traffic,
        failures,
        overdue,
        certificates,
        channels_failing: channels.iter().filter(|c| c.failing).count(),
        channels,
        quarantined: failures::quarantined(&p).await?,
    }))
}

pub(crate) struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    ctx: Ctx,
    entries: Vec<AuditRow>,
}

pub async fn audit(State(p): State<Pipeline>, s: Session) -> Result<Response, PageError> {
    s.require(Role::Admin)?;
    let entries = admin::audit_log(&p.store, 500)
        .await?
        .into_iter()
        .map(|a| AuditRow {
            at: s.zone.when(a.at),
            actor: a.actor,
            action: a.action,
            target: a.target,
            detail: a.detail,
        })
        .collect();
    Ok(render(&AuditPage {
        ctx: Ctx::new(&s, "audit"),
        entries,
    }))
}
