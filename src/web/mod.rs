//! The HTTP edge: `/healthz`, the partner JSON API's ingest endpoint, cXML over HTTP, and read-only message
//! tracking as JSON, and the admin pages. The composition root (`app`) adds AS2's route and
//! serves the whole on [`listener`].
//!
//! Handlers call the pipeline and the store; they never reach into another edge.

pub mod admin;
pub mod listener;
mod metrics;
pub mod tls;

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::pipeline::Pipeline;
use crate::store::messages::{self, Inbound};
use crate::store::{Channel, MessageId, StoreError, events, jobs};
use crate::util::body::{Prefix, linger, read_prefix};

/// Largest body the ingest endpoint accepts; bigger files belong on SFTP.
const MAX_INGEST_BYTES: usize = 64 * 1024 * 1024;

/// Errors of the HTTP edge, each with its status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("message {0} does not exist")]
    NotFound(MessageId),
    #[error("{0}")]
    BadQuery(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("this needs the partner's API token (Authorization: Bearer …)")]
    Unauthorized(String),
    #[error("empty body: nothing to ingest")]
    Empty,
    #[error(
        "{size} bytes is more than partner `{partner}` may send at once ({limit}, [limits] max_file_bytes)"
    )]
    TooLarge {
        partner: String,
        size: usize,
        limit: u64,
    },
    #[error(
        "partner `{partner}` has sent {limit} messages this minute ([limits] per_minute); retry in {retry_secs} s"
    )]
    TooMany {
        partner: String,
        limit: u32,
        retry_secs: u64,
    },
    #[error("store unavailable: {0}")]
    Store(StoreError),
    #[error("metrics not written")]
    Metrics(#[source] std::fmt::Error),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchMessage(id) => ApiError::NotFound(id),
            other => ApiError::Store(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadQuery(_) | ApiError::Empty => StatusCode::BAD_REQUEST,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Metrics(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooMany { retry_secs, .. } => {
                let body = axum::Json(json!({ "error": self.to_string() }));
                let retry = [(axum::http::header::RETRY_AFTER, retry_secs.to_string())];
                return (StatusCode::TOO_MANY_REQUESTS, retry, body).into_response();
            }
        };
        (status, axum::Json(json!({ "error": self.to_string() }))).into_response()
    }
}

pub fn router(pipeline: Pipeline) -> Router {
    Router::new()
        .merge(admin::router())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/v1/stats", get(stats))
        .route("/metrics", get(metrics::metrics))
        .route("/api/v1/messages", get(list_messages))
        .route("/api/v1/messages/{id}", get(show_message))
        .route("/api/v1/messages/{id}/{action}", post(act_on_message))
        .route("/api/v1/dead-letters", get(dead_letters))
        .route(
            "/api/v1/partners/{partner}/messages",
            // Bounded in the handler: nothing read before the token, then the partner's limit.
            post(ingest).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/v1/odoo/webhook", post(odoo_webhook))
        .route(
            "/cxml",
            // Bounded in the handler: a sample before the sender is known, then its limit.
            post(cxml).layer(DefaultBodyLimit::disable()),
        )
        .with_state(pipeline)
}

/// The client's address, for the limits kept per address (sign-in), over plain TCP or TLS;
/// set on every request by [`listener`] as `ConnectInfo<Peer>`.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub std::net::SocketAddr);

/// `/healthz`: the process is alive and answering (for a supervisor that restarts what hangs).
/// Whether it can do its work is `/readyz`'s question.
async fn healthz(State(p): State<Pipeline>) -> Response {
    axum::Json(json!({
        "status": "ok",
        "instance": &*p.instance,
        "partners": p.partners.snapshot().len(),
    }))
    .into_response()
}

/// `?scope=ingest` on `/readyz`: only what taking partners' documents needs.
#[derive(Debug, serde::Deserialize)]
struct ReadyQuery {
    scope: Option<String>,
}

/// `/readyz`: every check with its reason, 503 when one fails. `?scope=ingest` leaves out
/// the ERP and the workers, for load balancers: documents are stored durably and forwarded
/// when the ERP is back, so an ERP outage must not turn partners away. Open without a token
/// (load balancers and probes carry none); the texts name no URL, key or partner.
async fn readyz(State(p): State<Pipeline>, Query(q): Query<ReadyQuery>) -> Response {
    use crate::pipeline::health::{Scope, readiness};
    let scope = match q.scope.as_deref() {
        None | Some("all") => Scope::All,
        Some("ingest") => Scope::Ingest,
        Some(other) => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({ "error": format!("scope `{other}`: all or ingest") })),
            )
                .into_response();
        }
    };
    let report = readiness(&p, scope).await;
    let status = if report.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if report.ready { "ready" } else { "unavailable" },
        "instance": &*p.instance,
        "checks": report.checks,
    });
    (status, axum::Json(body)).into_response()
}

/// Messages per state and jobs per state: what an operator or a load test watches.
async fn stats(State(p): State<Pipeline>, _c: admin::auth::Client) -> Result<Response, ApiError> {
    let messages: serde_json::Map<String, serde_json::Value> = messages::count_by_state(&p.store)
        .await?
        .into_iter()
        .map(|(s, n)| (s, n.into()))
        .collect();
    let jobs: serde_json::Map<String, serde_json::Value> = jobs::count_by_state(&p.store)
        .await?
        .into_iter()
        .map(|(s, n)| (s.as_str().to_owned(), n.into()))
        .collect();
    Ok(axum::Json(json!({ "messages": messages, "jobs": jobs })).into_response())
}

/// The same search as the admin pages': `?partner=&doc_type=&reference=&control=&state=
/// &from=YYYY-MM-DD&to=YYYY-MM-DD&before=ID&limit=N` (at most 500), newest first.
async fn list_messages(
    State(p): State<Pipeline>,
    _c: admin::auth::Client,
    Query(q): Query<admin::messages::SearchQuery>,
) -> Result<Response, ApiError> {
    let search = q
        .to_search()
        .map_err(|e| ApiError::BadQuery(e.to_string()))?;
    let list = crate::store::search::search(&p.store, &search).await?;
    Ok(axum::Json(list).into_response())
}

/// `POST /api/v1/messages/{id}/{retry|replay|release|cancel}` (operator tokens).
async fn act_on_message(
    State(p): State<Pipeline>,
    c: admin::auth::Client,
    Path((id, action)): Path<(MessageId, String)>,
) -> Result<Response, ApiError> {
    let Some(action) = admin::messages::Action::parse(&action) else {
        return Err(ApiError::BadQuery(format!("`{action}` is not an action")));
    };
    if c.role < crate::store::admin::Role::Operator {
        return Err(ApiError::Forbidden(format!(
            "token `{}` is {}; this needs operator",
            c.name, c.role
        )));
    }
    let actor = format!("api:{}", c.name);
    match admin::messages::perform(&p, &actor, id, action).await {
        Ok(done) => Ok(axum::Json(json!({ "message": id, "done": done })).into_response()),
        Err(admin::PageError::Store(e)) => Err(e.into()),
        Err(e) => Err(ApiError::BadQuery(e.to_string())),
    }
}

/// Dead jobs with their reason, newest first.
async fn dead_letters(
    State(p): State<Pipeline>,
    _c: admin::auth::Client,
) -> Result<Response, ApiError> {
    let list: Vec<serde_json::Value> = crate::store::search::dead_letters(&p.store, 1000)
        .await?
        .into_iter()
        .map(|d| {
            json!({ "job": d.job_id, "message": d.message_id, "stage": d.stage, "reason": d.reason,
                    "attempts": d.attempts, "since": d.since, "partner": d.partner, "doc_type": d.doc_type })
        })
        .collect();
    Ok(axum::Json(list).into_response())
}

async fn show_message(
    State(p): State<Pipeline>,
    _c: admin::auth::Client,
    Path(id): Path<MessageId>,
) -> Result<Response, ApiError> {
    let message = messages::get(&p.store, id).await?;
    let history = events::for_message(&p.store, id).await?;
    let job_list = jobs::for_message(&p.store, id).await?;
    let related = messages::related(&p.store, id).await?;
    Ok(axum::Json(json!({
        "message": message,
        "events": history,
        "jobs": job_list,
        "related": related,
    }))
    .into_response())
}

/// The partner API's ingest: the body is the document; 202 means it is stored durably.
/// A partner's `[limits]` are checked before anything is stored: the partner is told at once
/// (413, or 429 with Retry-After) and keeps its file to send again.
async fn ingest(
    State(p): State<Pipeline>,
    Path(partner): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    // Refused alike whether the partner is unknown, has no credential configured, or the
    // token is wrong: the answer does not tell which partners exist. Not a byte of the body
    // is read before this.
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| admin::auth::token_hash(t.trim()));
    let limits = p
        .partners
        .snapshot()
        .get(&partner)
        .filter(|pr| pr.channels.api.admits(presented.as_deref()))
        .map(|pr| pr.limits);
    let Some(limits) = limits else {
        linger(Some(body.into_data_stream()));
        return Err(ApiError::Unauthorized(partner));
    };
    let limit = limits
        .max_file_bytes
        .map_or(MAX_INGEST_BYTES, |l| (l as usize).min(MAX_INGEST_BYTES));
    // One byte past the limit tells that the body is larger.
    let read = read_prefix(body, limit + 1).await;
    if let Some(e) = read.error {
        return Err(ApiError::BadQuery(format!(
            "the body was not read whole: {e}"
        )));
    }
    let body = read.bytes;
    if body.len() > limit {
        linger(read.rest);
        let declared = headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok());
        return Err(ApiError::TooLarge {
            partner,
            size: declared.unwrap_or(body.len()),
            limit: limit as u64,
        });
    }
    if body.is_empty() {
        return Err(ApiError::Empty);
    }
    if let Some(limit) = limits.per_minute
        && let Err(retry_secs) = p.rates.admit(&partner, limit)
    {
        return Err(ApiError::TooMany {
            partner,
            limit,
            retry_secs,
        });
    }
    let filename = headers
        .get("x-wharf-filename")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let id = p
        .receive(&Inbound {
            channel: Channel::Api,
            partner: Some(&partner),
            filename: filename.as_deref(),
            raw: &body,
            trace: crate::telemetry::sent(&headers),
        })
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({ "message_id": id, "state": "received" })),
    )
        .into_response())
}

/// Odoo's "Send Webhook Notification" server action: the body (the record's chosen fields)
/// only says that something changed, so it wakes the poller, which reads Odoo and sends each
/// document once. Authenticated by the token in the URL (`?token=`) or an
/// `Authorization: Bearer` header, compared in constant time.
async fn odoo_webhook(
    State(p): State<Pipeline>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let want = match &p.settings.erp {
        crate::config::ErpTarget::Odoo(o) => o.webhook_token.clone(),
        crate::config::ErpTarget::Directory(_) => None,
    };
    let Some(want) = want else {
        return (StatusCode::NOT_FOUND, "the Odoo webhook is not configured").into_response();
    };
    let given = q.get("token").cloned().or_else(|| {
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::to_owned)
    });
    let given = given.unwrap_or_default();
    let mut diff = u8::from(given.len() != want.len());
    for (i, w) in want.bytes().enumerate() {
        diff |= w ^ given.as_bytes().get(i).copied().unwrap_or(0);
    }
    if diff != 0 {
        return (StatusCode::UNAUTHORIZED, "bad token").into_response();
    }
    p.erp_wake.notify_one();
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({ "status": "polling" })),
    )
        .into_response()
}

/// cXML over HTTP, answered with a cXML Response whose Status says what the gateway made of
/// it: 200 accepted, 400 not well-formed or missing something, 401 unknown sender or wrong
/// SharedSecret, 406 a request Wharf does not take, 500 when it could not be stored.
///
/// A known sender's request is stored durably before it is answered (whatever it holds:
/// nothing is lost). A request that does not authenticate costs a bounded sample of
/// storage and no more than [`REFUSED_SAMPLE_BYTES`](crate::pipeline::REFUSED_SAMPLE_BYTES)
/// of memory: when the body is larger than that, the sender's credentials are read from its
/// Header (which comes first) before the rest of the body is read at all.
async fn cxml(State(p): State<Pipeline>, headers: HeaderMap, body: axum::body::Body) -> Response {
    use crate::documents::xml::{self as xmldoc, cxml::Status};
    const PREFIX: usize = crate::pipeline::REFUSED_SAMPLE_BYTES;
    let partners = p.partners.snapshot();
    let total = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Prefix {
        bytes: first,
        rest,
        error,
    } = read_prefix(body, PREFIX + 1).await;
    if let Some(e) = error {
        return cxml_answer(&Status {
            code: 400,
            text: "Bad Request",
            detail: format!("the request body was not read whole: {e}"),
        });
    }
    // The partner a large request's Header proved to be: its bytes are stored whole even
    // when the rest of the document does not read.
    let mut header_partner = None;
    let body = match rest {
        None => Bytes::from(first),
        Some(mut stream) => {
            // Larger than a sample: the Header says who sends before anything more is read.
            let who = xmldoc::cxml::header_credentials(&first[..PREFIX]);
            let authenticated = who.as_ref().ok().and_then(|c| {
                partners.authenticate_xml(c.sender.as_deref()?, c.shared_secret.as_deref())
            });
            let Some(pr) = authenticated else {
                let status = match who {
                    Err(why) => Status {
                        code: 400,
                        text: "Bad Request",
                        detail: why.to_string(),
                    },
                    Ok(c) => Status::unauthorized(format!(
                        "sender {:?} is not a known partner, or the SharedSecret does not match",
                        c.sender.unwrap_or_default()
                    )),
                };
                keep_refused_cxml(&p, &first[..PREFIX], total, &status.detail).await;
                linger(Some(stream));
                return cxml_answer(&status);
            };
            let limit = pr
                .limits
                .max_file_bytes
                .map_or(MAX_INGEST_BYTES, |l| (l as usize).min(MAX_INGEST_BYTES));
            let mut all = first;
            while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
                match chunk {
                    Ok(c) if all.len() + c.len() <= limit => all.extend_from_slice(&c),
                    Ok(_) => {
                        linger(Some(stream));
                        return cxml_answer(&Status {
                            code: 413,
                            text: "Request Entity Too Large",
                            detail: format!(
                                "more than partner `{}` may send at once ({limit} bytes)",
                                pr.id
                            ),
                        });
                    }
                    Err(e) => {
                        return cxml_answer(&Status {
                            code: 400,
                            text: "Bad Request",
                            detail: format!("the request body was not read whole: {e}"),
                        });
                    }
                }
            }
            header_partner = Some(pr.id.as_str().to_owned());
            Bytes::from(all)
        }
    };
    // Reading the XML is CPU work on outside bytes: it runs on the blocking pool so a large
    // body never holds an async thread (and with it `/healthz` and every other request).
    let read = {
        let body = body.clone();
        tokio::task::spawn_blocking(move || {
            let t = xmldoc::translate(&body);
            match &t {
                Err(_) => (header_partner, Status::for_translation(t.as_ref())),
                Ok(tr) => {
                    let sender = tr.sender.as_deref().unwrap_or_default();
                    let secret = tr.shared_secret.as_deref();
                    match partners.authenticate_xml(sender, secret) {
                        None if partners.by_xml_sender(sender).is_none() => (
                            None,
                            Status::unauthorized(format!(
                                "sender {sender:?} is not a known partner"
                            )),
                        ),
                        None => (
                            None,
                            Status::unauthorized("the SharedSecret does not match".into()),
                        ),
                        Some(pr) => {
                            let doc = crate::partners::DocRef {
                                standard: crate::partners::Standard::Cxml,
                                doc_type: tr.kind.clone(),
                                version: None,
                            };
                            let status =
                                match pr.agreements.covering(&doc, crate::partners::Flow::In) {
                                    // Stored all the same (and held in quarantine by the pipeline).
                                    Err(why) => Status {
                                        code: 406,
                                        text: "Not Acceptable",
                                        detail: why,
                                    },
                                    Ok(_) => Status::for_translation(Ok(tr)),
                                };
                            (Some(pr.id.as_str().to_owned()), status)
                        }
                    }
                }
            }
        })
        .await
    };
    let (partner, status) = match read {
        Ok(read) => read,
        Err(e) => (
            None,
            Status {
                code: 500,
                text: "Internal Server Error",
                detail: format!("the request could not be read: {e}"),
            },
        ),
    };
    // Only an authenticated sender's bytes are stored whole and processed; the rest is a
    // bounded sample for the operator.
    let Some(partner) = partner else {
        keep_refused_cxml(&p, &body, None, &status.detail).await;
        return cxml_answer(&status);
    };
    let stored = p
        .receive(&Inbound {
            channel: Channel::Cxml,
            partner: Some(&partner),
            filename: None,
            raw: &body,
            trace: crate::telemetry::sent(&headers),
        })
        .await;
    let status = match stored {
        Ok(_) => status,
        Err(e) => Status {
            code: 500,
            text: "Internal Server Error",
            detail: format!("the request could not be stored: {e}"),
        },
    };
    cxml_answer(&status)
}

/// Keeps a bounded sample of a refused cXML request (see [`Pipeline::keep_rejected`]).
async fn keep_refused_cxml(p: &Pipeline, raw: &[u8], total: Option<u64>, reason: &str) {
    let inbound = Inbound {
        channel: Channel::Cxml,
        partner: None,
        filename: None,
        raw,
        trace: None,
    };
    if let Err(e) = p.keep_rejected(&inbound, total, reason).await {
        tracing::error!(error = %e, "refused cXML request not kept");
    }
}

/// The cXML Response for `status`, as HTTP: 500 when the gateway failed, 200 otherwise (cXML
/// carries its own status).
fn cxml_answer(status: &crate::documents::xml::cxml::Status) -> Response {
    use crate::documents::xml::cxml::response;
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let payload = format!(
        "{}.{}@wharf",
        now.unix_timestamp_nanos(),
        crate::pipeline::instance_name()
    );
    let http = if status.code == 500 {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    (
        http,
        [(axum::http::header::CONTENT_TYPE, "text/xml; charset=UTF-8")],
        response(status, &payload, &stamp),
    )
        .into_response()
}

/// Binds the HTTP listener (port 0 picks a free port) and reports the real address.
pub async fn bind(addr: SocketAddr) -> std::io::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}
