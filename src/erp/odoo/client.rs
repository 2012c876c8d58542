//! The wire: Odoo's external API over JSON-RPC (`/jsonrpc`, Odoo 17 and 18) or JSON-2
//! (`/json/2/<model>/<method>`, bearer API key, Odoo 19 and later), chosen from
//! `common.version`. Every call takes named arguments; for JSON-RPC they become
//! `execute_kw(db, uid, key, model, method, [ids], kwargs)` — except `create`, whose values
//! Odoo takes only positionally over JSON-RPC (`args = [[vals, …]]`): keyword `vals_list`
//! crashes it with `IndexError` on 18 and 19 alike (transcripts 04/05) — and `write`, whose
//! values go positionally too (`args = [ids, vals]`), since a model may rename the parameter.

use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use super::error::{Class, OdooError};
use super::guard::Guard;
use crate::config::OdooSettings;
use crate::metrics::{CircuitState, Metrics, OdooErrorKind};

/// How object calls reach this Odoo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    JsonRpc { uid: i64 },
    Json2,
}

/// What `common.version` and `authenticate` told us, once per client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// Odoo's major version (17, 18, 19, …): field names depend on it.
    pub major: u32,
    pub transport: Transport,
}

pub struct OdooClient {
    http: reqwest::Client,
    settings: OdooSettings,
    session: OnceCell<Session>,
    guard: Guard,
    ids: std::sync::atomic::AtomicU64,
    /// Where each call's time and failure are recorded, when the composition root gave one.
    metrics: Option<std::sync::Arc<Metrics>>,
    /// The last readiness probe and when it ran (see [`OdooClient::reachable`]).
    probe: tokio::sync::Mutex<Option<(std::time::Instant, Result<String, String>)>>,
    /// What orders look up again and again, checked against Odoo's `write_date`s.
    cache: super::cache::LookupCache,
    /// Object calls made, for `wharf odoo check`-free counting in tests and the load script.
    calls: std::sync::atomic::AtomicU64,
}

/// How long a readiness probe's answer stands: `/readyz` is open to load balancers, and a
/// flood of it must not become a flood of calls to Odoo.
const PROBE_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// The major version in a `common.version` answer: `server_version_info[0]`, else the
/// number before the first dot of `server_version` (`saas~18.2` is 18).
pub(super) fn major_of(version: &Value) -> Option<u32> {
    version["server_version_info"][0]
        .as_u64()
        .or_else(|| {
            version["server_version"]
                .as_str()
                .and_then(|s| s.split('.').next())
                .and_then(|m| m.trim_start_matches("saas~").parse().ok())
        })
        .and_then(|m| u32::try_from(m).ok())
}

impl OdooClient {
    pub fn new(settings: OdooSettings) -> Result<Self, OdooError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .pool_max_idle_per_host(settings.max_concurrency)
            .build()
            .map_err(|e| OdooError::operator("client", "tls", e.to_string()))?;
        let cache = super::cache::LookupCache::new(settings.cache_validate);
        Ok(Self {
            http,
            guard: Guard::new(
                settings.max_concurrency,
                settings.rate_per_sec,
                settings.breaker_failures,
                settings.breaker_open,
            ),
            settings,
            session: OnceCell::new(),
            ids: std::sync::atomic::AtomicU64::new(1),
            metrics: None,
            probe: tokio::sync::Mutex::new(None),
            cache,
            calls: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Records every object call's time and failure class, and the breaker's state, into
    /// `metrics`.
    pub fn with_metrics(mut self, metrics: std::sync::Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self.report_circuit();
        self
    }

    /// The breaker's state as `metrics` says it: set after every step that may change it
    /// (a call let in or refused, a call's outcome), so a scrape sees what the next call
    /// would meet. An open circuit whose wait is over stays `open` until a call probes.
    fn report_circuit(&self) {
        if let Some(m) = &self.metrics {
            m.odoo_circuit(match self.guard.circuit() {
                super::guard::Circuit::Closed { .. } => CircuitState::Closed,
                super::guard::Circuit::Open { .. } => CircuitState::Open,
                super::guard::Circuit::HalfOpen => CircuitState::HalfOpen,
            });
        }
    }

    pub fn settings(&self) -> &OdooSettings {
        &self.settings
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The lookup cache (see `cache.rs`).
    pub fn cache(&self) -> &super::cache::LookupCache {
        &self.cache
    }

    /// Object calls this client made since it started.
    pub fn calls(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether Odoo answers `common.version` now (no login; outside the rate limit, which is
    /// the documents' budget), at most once per [`PROBE_FOR`]; an open circuit breaker is
    /// an answer too. For readiness: the texts name no URL or key.
    pub async fn reachable(&self) -> Result<String, String> {
        if let super::guard::Circuit::Open { until } = self.guard.circuit() {
            let secs = until
                .saturating_duration_since(std::time::Instant::now())
                .as_secs();
            return Err(format!(
                "circuit open after repeated failures; next try in {secs} s"
            ));
        }
        let mut last = self.probe.lock().await;
        if let Some((at, answer)) = &*last
            && at.elapsed() < PROBE_FOR
        {
            return answer.clone();
        }
        let answer = match self.rpc("common", "version", json!([])).await {
            Ok(v) => Ok(format!(
                "Odoo {} answers",
                v["server_version"].as_str().unwrap_or("(version unknown)")
            )),
            Err(e) => Err(format!("Odoo does not answer: {}", e.name)),
        };
        *last = Some((std::time::Instant::now(), answer.clone()));
        answer
    }

    /// Odoo's `common.version` answer as it gave it (`server_version`,
    /// `server_version_info`, …): no login needed, outside the guard (the session and
    /// `wharf odoo check`).
    pub async fn server_version(&self) -> Result<Value, OdooError> {
        self.rpc("common", "version", json!([])).await
    }

    /// `common.authenticate` with the configured database, login and API key: the user's id,
    /// or `None` when Odoo refuses them (it answers `false`, not an error; transcripts 02 and
    /// 19/03). Works on 19 too, where Wharf's own calls need no uid.
    pub async fn authenticate(&self) -> Result<Option<i64>, OdooError> {
        let uid = self
            .rpc(
                "common",
                "authenticate",
                json!([
                    self.settings.database,
                    self.settings.login,
                    self.settings.api_key,
                    {}
                ]),
            )
            .await?;
        Ok(uid.as_i64())
    }

    /// The version and transport, asked once (and again after a failure to ask).
    pub async fn session(&self) -> Result<Session, OdooError> {
        self.session
            .get_or_try_init(|| async {
                let v = self.server_version().await?;
                let major = major_of(&v).ok_or_else(|| {
                    OdooError::operator("common.version", "unexpected answer", v.to_string())
                })?;
                let transport = if major >= 19 {
                    Transport::Json2
                } else {
                    let uid = self.authenticate().await?.ok_or_else(|| {
                        OdooError::operator(
                            "common.authenticate",
                            "odoo.exceptions.AccessDenied",
                            format!(
                                "login {} with the configured API key was refused on database {}",
                                self.settings.login, self.settings.database
                            ),
                        )
                    })?;
                    Transport::JsonRpc { uid }
                };
                tracing::info!(major, ?transport, "Odoo session");
                Ok(Session { major, transport })
            })
            .await
            .copied()
    }

    /// `model.method` on `ids` (when the method works on records) with named arguments.
    pub async fn call(
        &self,
        model: &str,
        method: &str,
        ids: Option<&[i64]>,
        params: Map<String, Value>,
    ) -> Result<Value, OdooError> {
        let session = self.session().await?;
        let call = format!("{model}.{method}");
        let entered = self.guard.enter(&call).await;
        self.report_circuit();
        let _permit = entered?;
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(m) = &self.metrics {
            m.odoo_calls(model, method);
        }
        let started = std::time::Instant::now();
        let result = match session.transport {
            Transport::Json2 => self.json2(&call, model, method, ids, params).await,
            Transport::JsonRpc { uid } => {
                let mut params = params;
                let args = match (ids, method) {
                    // Positional too: a model that overrides `write(self, values)` (uom.uom on
                    // a real Odoo 18) refuses the keyword `vals` with a TypeError.
                    (Some(ids), "write") => match params.remove("vals") {
                        Some(vals) => json!([ids, vals]),
                        None => json!([ids]),
                    },
                    (Some(ids), _) => json!([ids]),
                    // Positional only: see the module comment.
                    (None, "create") => match params.remove("vals_list") {
                        Some(vals) => json!([vals]),
                        None => json!([]),
                    },
                    (None, _) => json!([]),
                };
                self.rpc(
                    "object",
                    "execute_kw",
                    json!([
                        self.settings.database,
                        uid,
                        self.settings.api_key,
                        model,
                        method,
                        args,
                        Value::Object(params)
                    ]),
                )
                .await
                .map_err(|mut e| {
                    e.call = call.clone();
                    e
                })
            }
        };
        self.guard.record(result.as_ref().map(|_| ()));
        self.report_circuit();
        if let Some(m) = &self.metrics {
            let kind = result.as_ref().err().map(|e| match e.class {
                Class::Transient => OdooErrorKind::Transient,
                Class::Unavailable => OdooErrorKind::Unavailable,
                Class::Operator => OdooErrorKind::Operator,
            });
            m.odoo_call(method, started.elapsed().as_secs_f64(), kind);
        }
        result
    }

    /// `model.create(vals_list)`: the new records' ids, in order.
    pub async fn create(&self, model: &str, vals_list: Vec<Value>) -> Result<Vec<i64>, OdooError> {
        let n = vals_list.len();
        let mut p = Map::new();
        p.insert("vals_list".into(), Value::Array(vals_list));
        let created = self.call(model, "create", None, p).await?;
        let ids: Vec<i64> = match &created {
            Value::Array(a) => a.iter().filter_map(Value::as_i64).collect(),
            other => other.as_i64().into_iter().collect(),
        };
        if ids.len() != n {
            return Err(OdooError::operator(
                &format!("{model}.create"),
                "unexpected answer",
                created.to_string(),
            ));
        }
        Ok(ids)
    }

    /// `search_read` with a domain and fields.
    pub async fn search_read(
        &self,
        model: &str,
        domain: Value,
        fields: &[&str],
    ) -> Result<Vec<Value>, OdooError> {
        let mut p = Map::new();
        p.insert("domain".into(), domain);
        p.insert("fields".into(), json!(fields));
        match self.call(model, "search_read", None, p).await? {
            Value::Array(rows) => Ok(rows),
            other => Err(OdooError::operator(
                &format!("{model}.search_read"),
                "unexpected answer",
                other.to_string(),
            )),
        }
    }

    async fn rpc(&self, service: &str, method: &str, args: Value) -> Result<Value, OdooError> {
        let call = format!("{service}.{method}");
        let id = self.ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let body = json!({
            "jsonrpc": "2.0",
            "method": "call",
            "params": { "service": service, "method": method, "args": args },
            "id": id,
        });
        let url = format!("{}/jsonrpc", self.settings.url);
        // Inside a stage, Odoo's request log can be joined to the message's trace.
        let resp = crate::telemetry::traced(self.http.post(&url), crate::telemetry::outbound())
            .json(&body)
            .send()
            .await
            .map_err(|e| transport(&call, &e))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| transport(&call, &e))?;
        let v: Value = serde_json::from_str(&text).map_err(|_| {
            OdooError::from_odoo(
                &call,
                status.max(500),
                "",
                &format!("not JSON (HTTP {status}): {}", head(&text)),
            )
        })?;
        if let Some(err) = v.get("error") {
            let data = &err["data"];
            let name = data["name"].as_str().unwrap_or_default();
            let message = data["message"]
                .as_str()
                .or_else(|| err["message"].as_str())
                .unwrap_or_default();
            // JSON-RPC errors arrive with HTTP 200: the name decides.
            return Err(OdooError::from_odoo(&call, status.max(500), name, message));
        }
        if status >= 400 {
            return Err(OdooError::from_odoo(&call, status, "", head(&text)));
        }
        // A method returning None has no `result` key at all: its change is committed.
        Ok(v.get("result").cloned().unwrap_or(Value::Null))
    }

    async fn json2(
        &self,
        call: &str,
        model: &str,
        method: &str,
        ids: Option<&[i64]>,
        mut params: Map<String, Value>,
    ) -> Result<Value, OdooError> {
        if let Some(ids) = ids {
            params.insert("ids".into(), json!(ids));
        }
        let url = format!("{}/json/2/{model}/{method}", self.settings.url);
        let resp = crate::telemetry::traced(self.http.post(&url), crate::telemetry::outbound())
            .header("Authorization", format!("bearer {}", self.settings.api_key))
            .header("X-Odoo-Database", &self.settings.database)
            .json(&Value::Object(params))
            .send()
            .await
            .map_err(|e| transport(call, &e))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| transport(call, &e))?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&text)
                .map_err(|_| OdooError::transient(call, "not JSON", head(&text).to_owned()));
        }
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let name = v["name"].as_str().unwrap_or_default();
        let message = v["message"].as_str().unwrap_or_else(|| head(&text));
        Err(OdooError::from_odoo(call, status, name, message))
    }
}

fn transport(call: &str, e: &reqwest::Error) -> OdooError {
    // reqwest's message names the URL, never the headers (where the key is).
    if e.is_connect() {
        // Nothing listens (Odoo stopped, restarting, being upgraded): wait for it.
        return OdooError::unavailable(call, "unreachable", e.to_string());
    }
    // A timeout or a connection cut mid-answer: Odoo may have been working on it, and a
    // call that always takes too long must end with an operator, so attempts count.
    let name = if e.is_timeout() {
        "timeout"
    } else {
        "transport"
    };
    OdooError::transient(call, name, e.to_string())
}

/// The first 300 characters of a body, for messages.
fn head(text: &str) -> &str {
    match text.char_indices().nth(300) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}
