//! Who is at the keyboard: sign-in with an operator's password (argon2id), a session cookie
//! (HttpOnly, SameSite=Strict, Secure behind TLS), a CSRF token per session carried by every
//! form, sign-in attempts limited per client address and user name, roles checked on the server.
//!
//! The cookie holds a random token; the store keeps only its SHA-256, so a copy of the
//! database signs no one in.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::{PageError, render};
use crate::pipeline::Pipeline;
use crate::store::admin::{self, Role};

const SESSION_COOKIE: &str = "wharf_session";
/// Sign-in form's own CSRF token, before there is a session (double-submit cookie).
const SIGNIN_COOKIE: &str = "wharf_signin";
const SESSION_HOURS: i64 = 12;
/// Sign-in attempts per minute from one client address, in all (whatever the user names).
const SIGNIN_PER_ADDRESS: u32 = 30;

/// Sign-in attempts per user name per minute from one client address.
const SIGNIN_PER_MINUTE: u32 = 5;

/// A signed-in operator, read from the session cookie.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub role: Role,
    pub csrf: String,
    /// The zone the operator reads times in (UTC unless they chose one).
    pub zone: super::zone::Zone,
    token_hash: String,
}

impl Session {
    /// Allows a form's action: its CSRF token must be the session's, and the operator's role
    /// at least `needed`. Refused otherwise, whatever the form asked.
    pub fn allow(&self, csrf: &str, needed: Role) -> Result<(), PageError> {
        if !same(csrf.as_bytes(), self.csrf.as_bytes()) {
            return Err(PageError::Refused(
                "the form's security token is missing or stale; reload the page and try again"
                    .into(),
            ));
        }
        self.require(needed)
    }

    /// Allows a page that needs more than reading.
    pub fn require(&self, needed: Role) -> Result<(), PageError> {
        if self.role < needed {
            return Err(PageError::Refused(format!(
                "{} may not do this: it needs the {needed} role",
                self.user
            )));
        }
        Ok(())
    }
}

/// Constant-time comparison, so a token cannot be guessed byte by byte from timings; an
/// empty token never matches.
fn same(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    !a.is_empty() && bool::from(a.ct_eq(b))
}

pub(crate) fn token_hash(token: &str) -> String {
    crate::store::messages::sha256_hex(token.as_bytes())
}

pub(crate) fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Secure` when the request came over TLS (a proxy in front says so).
fn secure(headers: &HeaderMap) -> &'static str {
    let tls = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    if tls { "; Secure" } else { "" }
}

impl FromRequestParts<Pipeline> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, p: &Pipeline) -> Result<Self, Response> {
        if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
            let hash = token_hash(token);
            match admin::session(&p.store, &hash).await {
                Ok(Some(s)) => {
                    return Ok(Session {
                        user: s.user,
                        role: s.role,
                        csrf: s.csrf,
                        zone: super::zone::Zone::stored(s.time_zone.as_deref()),
                        token_hash: hash,
                    });
                }
                Ok(None) => {}
                Err(e) => return Err(PageError::Store(e).into_response()),
            }
        }
        // Not signed in: a page leads to the sign-in form and back; anything else is refused.
        let target = parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/admin");
        if parts.method == axum::http::Method::GET {
            let next: String = form_urlencoded::byte_serialize(target.as_bytes()).collect();
            Err(Redirect::to(&format!("/admin/signin?next={next}")).into_response())
        } else {
            Err((StatusCode::UNAUTHORIZED, "sign in first").into_response())
        }
    }
}

#[derive(askama::Template)]
#[template(path = "admin/signin.html")]
struct SigninPage {
    csrf: String,
    next: String,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct SigninQuery {
    #[serde(default)]
    next: String,
}

/// Only a path of the admin pages is followed after sign-in (never another site).
fn safe_next(next: &str) -> &str {
    if next.starts_with("/admin") && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/admin"
    }
}

fn signin_form(
    headers: &HeaderMap,
    next: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let csrf = new_token();
    let page = SigninPage {
        csrf: csrf.clone(),
        next: safe_next(next).to_owned(),
        error,
    };
    let mut r = (status, render(&page)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SIGNIN_COOKIE}={csrf}; Path=/admin/signin; HttpOnly; SameSite=Strict{}",
        secure(headers)
    )) {
        r.headers_mut().append(SET_COOKIE, v);
    }
    r
}

pub async fn signin_page(headers: HeaderMap, Query(q): Query<SigninQuery>) -> Response {
    signin_form(&headers, &q.next, None, StatusCode::OK)
}

#[derive(serde::Deserialize)]
pub struct SigninForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// A real argon2id hash (of a random password, made once) verified when the user does not
/// exist, so that a wrong user name takes as long as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    crate::partners::channels::hash_password(&new_token()).unwrap_or_default()
});

pub async fn signin(
    State(p): State<Pipeline>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    axum::Form(f): axum::Form<SigninForm>,
) -> Result<Response, PageError> {
    let pre = cookie(&headers, SIGNIN_COOKIE).unwrap_or("");
    if !same(pre.as_bytes(), f.csrf.as_bytes()) {
        return Err(PageError::Refused(
            "the sign-in form's security token is missing or stale; reload the page".into(),
        ));
    }
    let name = f.user.trim().to_owned();
    // Limited per client address and user name, and per address across names: a guesser
    // elsewhere can no longer lock the real admin out and one address cannot try
    // many names quickly either.
    let addr = extensions
        .get::<axum::extract::ConnectInfo<crate::web::Peer>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.0.ip().to_string());
    let limited = p
        .rates
        .admit(
            &format!("signin:{addr}:{}", name.to_lowercase()),
            SIGNIN_PER_MINUTE,
        )
        .and_then(|()| {
            p.rates
                .admit(&format!("signin-addr:{addr}"), SIGNIN_PER_ADDRESS)
        });
    if let Err(retry) = limited {
        admin::record_alone(
            &p.store,
            &name,
            "signin.limited",
            &name,
            "too many attempts",
        )
        .await?;
        return Ok(signin_form(
            &headers,
            &f.next,
            Some(format!(
                "Too many sign-in attempts for this user; try again in {retry} s."
            )),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let user = admin::user_by_name(&p.store, &name).await?;
    let hash = user
        .as_ref()
        .map_or(DUMMY_HASH.as_str(), |u| u.password_hash.as_str());
    let password = f.password.clone();
    let hash_owned = hash.to_owned();
    // argon2 is deliberately slow: off the async threads.
    let ok = tokio::task::spawn_blocking(move || {
        crate::partners::channels::verify_password(&hash_owned, &password)
    })
    .await
    .unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        admin::record_alone(
            &p.store,
            &name,
            "signin.failed",
            &name,
            "wrong user or password",
        )
        .await?;
        return Ok(signin_form(
            &headers,
            &f.next,
            Some("Wrong user name or password.".into()),
            StatusCode::UNAUTHORIZED,
        ));
    };
    let token = new_token();
    let csrf = new_token();
    let expires = crate::store::now_ms() + SESSION_HOURS * 3_600_000;
    admin::open_session(&p.store, &token_hash(&token), user.id, &csrf, expires).await?;
    admin::record_alone(
        &p.store,
        &user.name,
        "signin",
        &user.name,
        user.role.as_str(),
    )
    .await?;
    let mut r = Redirect::to(safe_next(&f.next)).into_response();
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_HOURS * 3600,
        secure(&headers)
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().append(SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn signout(
    State(p): State<Pipeline>,
    s: Session,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, PageError> {
    s.allow(&f.csrf, Role::Viewer)?;
    admin::close_session(&p.store, &s.token_hash).await?;
    admin::record_alone(&p.store, &s.user, "signout", &s.user, "").await?;
    let mut r = Redirect::to("/admin/signin").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(&headers)
    )) {
        r.headers_mut().append(SET_COOKIE, v);
    }
    Ok(r)
}

/// A machine client of the JSON API, from `Authorization: Bearer TOKEN`
/// (`wharf admin add-token`). Human sessions are not accepted there, nor tokens here.
#[derive(Debug, Clone)]
pub struct Client {
    pub name: String,
    pub role: Role,
}

impl FromRequestParts<Pipeline> for Client {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, p: &Pipeline) -> Result<Self, Response> {
        let refused = |why: &str| {
            (
                StatusCode::UNAUTHORIZED,
                [("www-authenticate", "Bearer")],
                axum::Json(serde_json::json!({ "error": why })),
            )
                .into_response()
        };
        let Some(token) = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return Err(refused(
                "an API token is required (Authorization: Bearer …)",
            ));
        };
        match admin::token(&p.store, &token_hash(token.trim())).await {
            Ok(Some((name, role))) => Ok(Client { name, role }),
            Ok(None) => Err(refused("unknown API token")),
            Err(e) => Err((
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({ "error": e.to_string() })),
            )
                .into_response()),
        }
    }
}
