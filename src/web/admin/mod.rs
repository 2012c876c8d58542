//! The admin pages for the operations team: sign-in, dashboard, message search and actions,
//! dead letters, quarantine, partners' channel health and certificate problems, business
//! events (delivery, dead deliveries, replay), partner profiles and their onboarding, the
//! audit log, each operator's time zone. Server-rendered with askama templates from
//! `templates/admin/`, no JavaScript.
//!
//! Every handler takes a [`auth::Session`] (no session: to the sign-in page) and every form
//! handler a [`auth::Form`] that has already checked the CSRF token and the role; the checks
//! live in those two extractors so a new page cannot forget them.

pub mod auth;
mod charts;
mod dashboard;
mod document;
mod events;
mod failures;
pub(crate) mod messages;
mod onboarding;
mod partners;
pub mod zone;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::pipeline::Pipeline;
use crate::store::StoreError;
use crate::store::admin::Role;

/// What every signed-in page shows in its header.
pub struct Ctx {
    pub user: String,
    pub role: Role,
    pub csrf: String,
    pub section: &'static str,
    pub can_operate: bool,
    pub can_admin: bool,
    pub notice: Option<String>,
    /// The zone times are shown in, named in the header.
    pub zone: String,
}

impl Ctx {
    fn new(s: &auth::Session, section: &'static str) -> Ctx {
        Ctx {
            user: s.user.clone(),
            role: s.role,
            csrf: s.csrf.clone(),
            section,
            can_operate: s.role >= Role::Operator,
            can_admin: s.role >= Role::Admin,
            notice: None,
            zone: s.zone.name().to_owned(),
        }
    }
}

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("{0} was not found")]
    NotFound(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("the store is unavailable: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = match &self {
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::Refused(_) => StatusCode::FORBIDDEN,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if matches!(self, PageError::Store(_) | PageError::Internal(_)) {
            tracing::error!(error = %self, "admin page failed");
        }
        let page = ErrorPage {
            title: match status {
                StatusCode::NOT_FOUND => "Not found",
                StatusCode::FORBIDDEN => "Not allowed",
                StatusCode::BAD_REQUEST => "Not understood",
                _ => "Something went wrong",
            },
            detail: self.to_string(),
            ctx: Ctx {
                user: String::new(),
                role: Role::Viewer,
                csrf: String::new(),
                section: "",
                can_operate: false,
                can_admin: false,
                notice: None,
                zone: String::new(),
            },
        };
        (status, render(&page)).into_response()
    }
}

#[derive(Template)]
#[template(path = "admin/error.html")]
struct ErrorPage {
    ctx: Ctx,
    title: &'static str,
    detail: String,
}

/// What every admin page says about itself to the browser: never framed by another site
/// (clickjacking), no script at all, no referrer to other sites, not kept in caches.
const PAGE_HEADERS: [(&str, &str); 5] = [
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("referrer-policy", "same-origin"),
    ("x-content-type-options", "nosniff"),
    ("cache-control", "no-store"),
];

/// Renders a template; a template that fails to render is a bug, said as a 500.
pub(crate) fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => (PAGE_HEADERS, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "page could not be rendered",
            )
                .into_response()
        }
    }
}

/// The UTC day (`YYYY-MM-DD`) of a moment: the charts count per UTC day, whatever zone
/// the operator reads times in.
pub(crate) fn utc_day(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::macros::format_description!("[year]-[month]-[day]"))
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

/// A duration for people: "3 d 4 h", "12 min", "40 s".
pub(crate) fn ago(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

pub fn router() -> Router<Pipeline> {
    Router::new()
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/admin") }),
        )
        .route("/admin/signin", get(auth::signin_page).post(auth::signin))
        .route("/admin/signout", post(auth::signout))
        .route("/admin", get(dashboard::dashboard))
        .route("/admin/audit", get(dashboard::audit))
        .route("/admin/account", get(zone::page).post(zone::save))
        .route("/admin/quarantine", get(failures::quarantine))
        .route("/admin/messages", get(messages::search))
        .route("/admin/messages/{id}", get(messages::show))
        .route("/admin/messages/{id}/raw", get(messages::raw))
        .route(
            "/admin/messages/{id}/{action}",
            get(messages::confirm).post(messages::act),
        )
        .route("/admin/dead", get(messages::dead))
        .route(
            "/admin/dead/retry",
            get(messages::confirm_dead).post(messages::retry_dead),
        )
        .route("/admin/events", get(events::page))
        .route("/admin/events/redeliver", post(events::redeliver))
        .route("/admin/events/replay", post(events::replay))
        .route(
            "/admin/partners",
            get(partners::list).post(onboarding::create),
        )
        .route("/admin/partners/{id}", get(partners::show))
        .route(
            "/admin/partners/{id}/edit",
            get(partners::edit_page).post(partners::save),
        )
        .route(
            "/admin/partners/{id}/history/{version}",
            get(partners::diff),
        )
        .route("/admin/partners/{id}/test", post(partners::dry_run))
        .route("/admin/partners/{id}/sftp-key", post(onboarding::add_key))
        .route(
            "/admin/partners/{id}/sftp-password",
            post(onboarding::set_password),
        )
}
