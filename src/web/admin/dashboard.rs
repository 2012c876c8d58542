//! The dashboard (traffic, failures, queue, readiness, overdue acknowledgements, certificates) and the
//! audit log page.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::auth::Session;
use super::{Ctx, PageError, ago, render, when};
use crate::pipeline::Pipeline;
use crate::store::admin::{self, Role};
use crate::store::{JobState, jobs, now_ms, search};

const DAY: i64 = 86_400_000;

pub(crate) struct DayRow {
    pub day: String,
    pub inbound: i64,
    pub outbound: i64,
    pub failed: i64,
}

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

pub(crate) struct CertRow {
    pub owner: String,
    pub file: String,
    pub not_after: String,
    pub days_left: i64,
    pub attention: bool,
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
    traffic: Vec<TrafficRow>,
    failures: Vec<FailureRow>,
    overdue: Vec<Overdue>,
    certificates: Vec<CertRow>,
    /// The same checks `/readyz` answers with.
    readiness: crate::pipeline::health::Report,
}

pub async fn dashboard(State(p): State<Pipeline>, s: Session) -> Result<Response, PageError> {
    let now = now_ms();
    let days: Vec<DayRow> = search::per_day(&p.store, now - 14 * DAY)
        .await?
        .into_iter()
        .map(|(day, i, o, f)| DayRow {
            day: when(day * DAY).chars().take(10).collect(),
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
    // Each partner's own window (`[sla]`); the store is asked with the shortest of them and
    // the rest is filtered here.
    let partners = p.partners.snapshot();
    let window = |id: Option<&str>, pick: fn(&crate::partners::Sla) -> std::time::Duration| {
        let sla = id
            .and_then(|id| partners.get(id))
            .map_or(pick(&crate::partners::Sla::default()), |pr| pick(&pr.sla));
        sla.as_millis() as i64
    };
    let shortest = |pick: fn(&crate::partners::Sla) -> std::time::Duration| {
        partners
            .iter()
            .map(|pr| pick(&pr.sla))
            .chain([pick(&crate::partners::Sla::default())])
            .min()
            .map_or(DAY, |d| d.as_millis() as i64)
    };
    let ack = |s: &crate::partners::Sla| s.ack_within;
    let order_ack = |s: &crate::partners::Sla| s.order_ack_within;
    let overdue_of = |list: Vec<crate::store::messages::Message>,
                      waiting_for: &'static str,
                      pick: fn(&crate::partners::Sla) -> std::time::Duration,
                      since_updated: bool| {
        list.into_iter()
            .filter_map(move |m| {
                let since = if since_updated {
                    m.updated_at
                } else {
                    m.created_at
                };
                (now - since > window(m.partner.as_deref(), pick)).then(|| Overdue {
                    id: m.id,
                    since: format!("{} ago", ago(now - since)),
                    partner: m.partner.unwrap_or_default(),
                    doc_type: m.doc_type.unwrap_or_default(),
                    reference: m.reference.unwrap_or_default(),
                    waiting_for,
                })
            })
            .collect::<Vec<_>>()
    };
    let mut overdue = overdue_of(
        search::unacknowledged(&p.store, now - shortest(ack)).await?,
        "its 997/999/CONTRL from the partner",
        ack,
        true,
    );
    overdue.extend(overdue_of(
        search::orders_unanswered(&p.store, now - shortest(order_ack)).await?,
        "our 855/ORDRSP to the partner",
        order_ack,
        false,
    ));
    let (infos, _errors) = crate::partners::certificates::certificates(&p.settings, &partners);
    let certificates = infos
        .into_iter()
        .map(|c| CertRow {
            attention: i64::from(c.days_left)
                <= crate::partners::certificates::EXPIRY_WARNING_DAYS as i64,
            owner: c.owner,
            file: c.file,
            not_after: c.not_after,
            days_left: i64::from(c.days_left),
        })
        .collect();
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
        days,
        traffic,
        failures,
        overdue,
        certificates,
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
            at: when(a.at),
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
