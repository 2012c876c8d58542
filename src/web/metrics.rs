//! `GET /metrics`: Prometheus' scrape. The recorded families come from `metrics`; the
//! gauges that describe a state rather than count events are read here at each scrape —
//! the queue (one query), the acknowledgements overdue per partner (one query per window,
//! each partner's `[sla]` applied by the store), every certificate's days to expiry (the
//! files read on the blocking pool) and each event subscriber's undelivered deliveries and
//! dead letters (two queries) — and handed to `metrics` to write out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{ApiError, admin};
use crate::metrics::{AtScrape, Awaiting, Backlog, CertificateExpiry, EventSink, Overdue};
use crate::pipeline::Pipeline;
use crate::pipeline::sla::{Window, cutoffs};
use crate::store::{StoreError, jobs, now_ms, outbox_upkeep, search};

/// Every family, with the scrape-time gauges read now. An API token is needed, as for
/// `/api/v1/stats`, unless `[http] metrics_open` says a scraper inside the network may read
/// it without one.
pub(super) async fn metrics(
    State(p): State<Pipeline>,
    client: Result<admin::auth::Client, Response>,
) -> Result<Response, ApiError> {
    if !p.settings.metrics_open
        && let Err(refused) = client
    {
        return Ok(refused);
    }
    if !p.metrics.recording() {
        return Ok((
            StatusCode::NOT_FOUND,
            "metrics are off ([http] metrics = false)",
        )
            .into_response());
    }
    let at = at_scrape(&p).await?;
    let text = p.metrics.encode(&at).map_err(ApiError::Metrics)?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            crate::metrics::CONTENT_TYPE,
        )],
        text,
    )
        .into_response())
}

async fn at_scrape(p: &Pipeline) -> Result<AtScrape, StoreError> {
    let now = now_ms();
    let (jobs_waiting, oldest) = jobs::backlog(&p.store).await?;
    let backlog = Backlog {
        jobs_waiting,
        oldest_job_age_seconds: oldest.map_or(0.0, |created| {
            now.saturating_sub(created).max(0) as f64 / 1000.0
        }),
    };
    let partners = p.partners.snapshot();
    // Every loaded partner at zero first: a partner whose last overdue acknowledgement came
    // is written as 0, not left out.
    let mut overdue: Vec<Overdue> = partners
        .iter()
        .flat_map(|pr| {
            Awaiting::ALL.iter().map(|&awaiting| Overdue {
                partner: pr.id.to_string(),
                awaiting,
                count: 0,
            })
        })
        .collect();
    let acks =
        search::unacknowledged_per_partner(&p.store, &cutoffs(&partners, Window::PartnerAck, now))
            .await?;
    let orders =
        search::orders_unanswered_per_partner(&p.store, &cutoffs(&partners, Window::OrderAck, now))
            .await?;
    for (awaiting, counts) in [(Awaiting::PartnerAck, acks), (Awaiting::OrderAck, orders)] {
        overdue.extend(counts.into_iter().map(|(partner, count)| Overdue {
            // Messages of no loaded profile add up under `unknown`.
            partner: p.partner_label(Some(&partner)),
            awaiting,
            count,
        }));
    }
    let settings = p.settings.clone();
    let certificates = tokio::task::spawn_blocking(move || {
        use crate::partners::certificates::{certificates, tls_certificates};
        // Unreadable files are the dashboard's and the start-up log's to report; here they
        // have no days to give.
        let (mut infos, _) = certificates(&settings, &partners);
        infos.extend(tls_certificates(&settings, &partners).0);
        infos
            .into_iter()
            .map(|c| CertificateExpiry {
                partner: c.partner.unwrap_or_else(|| "wharf".to_owned()),
                role: c.role.as_str(),
                days_left: i64::from(c.days_left),
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_else(|e| {
        // Only a panic reading a file lands here: the scrape goes on without certificates.
        tracing::warn!(error = %e, "certificates not read for /metrics");
        Vec::new()
    });
    Ok(AtScrape {
        backlog,
        overdue,
        certificates,
        event_sinks: event_sinks(p, now).await?,
    })
}

/// Every subscriber `[events]` names, at zero unless the store holds its rows (so a backlog
/// that drained is written as 0), and any former subscriber whose rows are still there.
async fn event_sinks(p: &Pipeline, now: i64) -> Result<Vec<EventSink>, StoreError> {
    let mut sinks: Vec<EventSink> = p
        .settings
        .events
        .sink_names()
        .into_iter()
        .map(|sink| EventSink {
            sink,
            undelivered: 0,
            oldest_undelivered_seconds: 0.0,
            dead_letters: 0,
        })
        .collect();
    for b in outbox_upkeep::backlog_per_sink(&p.store).await? {
        let age = b.oldest_queued_at.map_or(0.0, |queued| {
            now.saturating_sub(queued).max(0) as f64 / 1000.0
        });
        let i = match sinks.iter().position(|s| s.sink == b.sink) {
            Some(i) => i,
            None => {
                sinks.push(EventSink {
                    sink: b.sink.clone(),
                    undelivered: 0,
                    oldest_undelivered_seconds: 0.0,
                    dead_letters: 0,
                });
                sinks.len() - 1
            }
        };
        sinks[i].undelivered = b.undelivered;
        sinks[i].oldest_undelivered_seconds = age;
        sinks[i].dead_letters = b.dead;
    }
    Ok(sinks)
}
