//! Settings: `wharf.toml` (optional) plus `WHARF_*` environment overrides, validated once at start.
//!
//! Raw structs mirror the file with `deny_unknown_fields`; [`Settings::load`] turns them into
//! validated types so the rest of the program never re-checks a value. Depends on nothing of ours.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// A setting that cannot be used, with where it came from and why.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: {key}: {why}")]
pub struct ConfigError {
    /// `wharf.toml` (with line and column when known) or the environment variable.
    pub origin: String,
    pub key: String,
    pub why: String,
}

impl ConfigError {
    fn new(origin: impl Into<String>, key: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            key: key.into(),
            why: why.into(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    partners_dir: Option<PathBuf>,
    /// How often `serve` looks for changed partner profiles; 0 turns reloading off.
    partners_reload_ms: Option<u64>,
    #[serde(default)]
    http: RawHttp,
    #[serde(default)]
    pipeline: RawPipeline,
    #[serde(default)]
    identity: RawIdentity,
    #[serde(default)]
    duplicates: RawDuplicates,
    #[serde(default)]
    erp: RawErp,
    #[serde(default)]
    sftp: RawSftpServer,
    #[serde(default)]
    transfers: RawTransfers,
    #[serde(default)]
    as2: RawAs2Station,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAs2Station {
    /// Wharf's AS2 name (the AS2-To partners send to).
    id: Option<String>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    /// Earlier key pairs still decrypted with during a rollover (`NAME.pem` + `NAME.key`).
    previous_dir: Option<PathBuf>,
    /// Where partners reach this gateway (`https://edi.example.com`), for asynchronous MDNs.
    public_url: Option<String>,
    /// How often messages awaiting an asynchronous MDN are looked at.
    mdn_check_ms: Option<u64>,
    /// First wait before posting again an asynchronous MDN a partner's server refused
    /// (doubled each time, at most an hour).
    mdn_retry_ms: Option<u64>,
    /// Asynchronous MDN posts under way at once, all partners together.
    mdn_posts_at_once: Option<usize>,
    /// Asynchronous MDN posts under way at once to one host (`host:port` of the URL).
    mdn_posts_per_host: Option<usize>,
}

/// Wharf's own AS2 identity.
#[derive(Debug, Clone)]
pub struct As2Settings {
    pub id: String,
    /// PEM certificate partners encrypt to and verify Wharf's signatures with.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8 or PKCS#1).
    pub key: PathBuf,
    /// Earlier pairs (`NAME.pem` + `NAME.key`) inbound messages are still decrypted with, so
    /// partners that encrypt to an old certificate keep working after a rollover.
    pub previous_dir: PathBuf,
    /// Base URL partners post to; `<public_url>/as2` receives asynchronous MDNs.
    pub public_url: Option<String>,
    pub mdn_check: Duration,
    /// First wait before an asynchronous MDN Wharf owes is posted again.
    pub mdn_retry: Duration,
    /// Asynchronous MDN posts at once in all (16) and to one `host:port` (2), so a partner
    /// whose server never answers delays no one else's receipts.
    pub mdn_posts_at_once: usize,
    pub mdn_posts_per_host: usize,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransfers {
    /// Wharf's SSH key for partners' SFTP servers that take a key (made on first use).
    client_key: Option<PathBuf>,
    connect_timeout_ms: Option<u64>,
    stall_timeout_ms: Option<u64>,
    down_ms: Option<u64>,
    /// Off: collection rounds never run (`wharf collect` still does one on demand).
    collect: Option<bool>,
}

/// How Wharf talks to partners' own FTP, FTPS and SFTP servers.
#[derive(Debug, Clone)]
pub struct TransferSettings {
    pub client_key: PathBuf,
    /// Giving up on reaching a server (TCP, TLS and SSH handshakes, login).
    pub connect_timeout: Duration,
    /// Giving up on a transfer that moves no byte for this long.
    pub stall_timeout: Duration,
    /// After a server could not be reached, further deliveries to it fail at once for this
    /// long instead of each holding a worker for `connect_timeout`.
    pub down_for: Duration,
    /// Whether `serve` runs the profiles' `[[collect]]` schedules.
    pub collect: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSftpServer {
    /// HOST:PORT, or "off".
    listen: Option<String>,
    /// The server's ed25519 host key (OpenSSH format), made on first start when missing.
    host_key: Option<PathBuf>,
    max_sessions: Option<usize>,
    idle_secs: Option<u64>,
    max_unauthenticated: Option<usize>,
    max_unauthenticated_per_address: Option<usize>,
    auth_timeout_secs: Option<u64>,
    max_channels: Option<usize>,
    max_handles: Option<usize>,
}

/// Wharf's own SFTP server, where partners drop files and collect what Wharf sends them.
#[derive(Debug, Clone)]
pub struct SftpServerSettings {
    pub listen: SocketAddr,
    pub host_key: PathBuf,
    /// Logged-in sessions at once, all partners together (counted at login, not at connect).
    pub max_sessions: usize,
    /// A session idle this long is closed.
    pub idle: Duration,
    /// Connections not yet logged in, all addresses together; more are closed at accept.
    pub max_unauthenticated: usize,
    /// Connections not yet logged in from one source address.
    pub max_unauthenticated_per_address: usize,
    /// A connection not logged in this long after accept is closed.
    pub auth_timeout: Duration,
    /// SFTP subsystems (channels) at once in one SSH session.
    pub max_channels: usize,
    /// Open files and directories at once in one SFTP channel.
    pub max_handles: usize,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    listen: Option<String>,
    /// PEM certificate chain and key: the listener speaks HTTPS.
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    /// A request's line and headers (and a TLS handshake) not received by then: closed.
    header_timeout_ms: Option<u64>,
    /// A request body that sends nothing for this long: cut.
    body_timeout_ms: Option<u64>,
    /// Open connections from one client address; more are closed at accept.
    max_connections_per_address: Option<usize>,
    /// Open connections from all clients together; more are closed at accept.
    max_connections: Option<usize>,
}

/// How the HTTP listener treats slow or greedy clients (issue 17, finding 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// From accept to the end of a request's headers (the TLS handshake included), and for
    /// each later request on a kept-alive connection from its end of the previous one.
    pub header_timeout: Duration,
    /// The longest a request body may send nothing before it is cut (a between-bytes
    /// limit: a large upload on a slow line still goes through).
    pub body_timeout: Duration,
    /// Connections at once from one client address, counted from accept, before any
    /// request is read.
    pub max_connections_per_address: usize,
    /// Connections at once, all addresses together.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_millis(10_000),
            body_timeout: Duration::from_millis(60_000),
            max_connections_per_address: 64,
            max_connections: 1024,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    workers: Option<u32>,
    poll_interval_ms: Option<u64>,
    lease_secs: Option<u64>,
    max_attempts: Option<u32>,
    backoff_base_ms: Option<u64>,
    backoff_max_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    x12_qualifier: Option<String>,
    x12_id: Option<String>,
    edifact_id: Option<String>,
    edifact_qualifier: Option<String>,
    usage: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDuplicates {
    window_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawErp {
    kind: Option<String>,
    dir: Option<PathBuf>,
    /// Odoo: base URL, database, login (JSON-RPC needs it to get the uid).
    url: Option<String>,
    database: Option<String>,
    login: Option<String>,
    /// Odoo API key: the name of an environment variable holding it, or a file.
    api_key_env: Option<String>,
    api_key_file: Option<PathBuf>,
    timeout_ms: Option<u64>,
    max_concurrency: Option<usize>,
    rate_per_sec: Option<u32>,
    /// Consecutive transient failures that open the circuit, and how long it stays open.
    breaker_failures: Option<u32>,
    breaker_open_ms: Option<u64>,
    /// How long work waits for an Odoo that does not answer (down, restarting, upgrading)
    /// before it goes to dead letters; waiting uses no attempts.
    outage_wait_ms: Option<u64>,
    /// How often confirmed orders and done deliveries are looked for (0: never).
    poll_ms: Option<u64>,
}

/// Which database backend a `database_url` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL whose scheme has been checked.
#[derive(Debug, Clone)]
pub struct DatabaseUrl {
    pub url: String,
    pub backend: Backend,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(format!(
                "`{}` is neither sqlite:PATH nor postgres://…",
                redact_url(url)
            ));
        };
        Ok(Self {
            url: url.to_owned(),
            backend,
        })
    }

    /// The URL with any password replaced, for logs and the startup banner.
    pub fn redacted(&self) -> String {
        redact_url(&self.url)
    }
}

/// Hides `user:password@` passwords; secrets never reach logs.
fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((cred, host)) = rest.split_once('@')
        && let Some((user, _pw)) = cred.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_owned()
}

/// X12 interchange usage indicator (ISA15) for what Wharf sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    Production,
    Test,
}

impl Usage {
    pub fn isa15(self) -> char {
        match self {
            Usage::Production => 'P',
            Usage::Test => 'T',
        }
    }
}

/// Wharf's own identity in the envelopes it sends.
#[derive(Debug, Clone)]
pub struct Identity {
    pub x12_qualifier: String,
    pub x12_id: String,
    /// UNB sender identification (0004) in the interchanges this gateway sends; the X12 id
    /// unless set.
    pub edifact_id: String,
    /// UNB partner identification code qualifier (0007), e.g. "14" for a GLN; none unless set.
    pub edifact_qualifier: Option<String>,
    pub usage: Usage,
}

/// How the worker pool claims and retries jobs.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    pub workers: u32,
    pub poll_interval: Duration,
    pub lease: Duration,
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

/// Where mapped business documents go. Odoo arrives with its own issue; until then the
/// directory sink writes one JSON file per document, keyed so that a repeat overwrites.
#[derive(Debug, Clone)]
pub enum ErpTarget {
    Directory(PathBuf),
    Odoo(OdooSettings),
}

/// Where Odoo is and how hard Wharf may press it. The API key is read once at start (from the
/// named variable or file) and never printed: `Debug` shows only its length.
#[derive(Clone)]
pub struct OdooSettings {
    pub url: String,
    pub database: String,
    pub login: String,
    pub api_key: String,
    pub timeout: Duration,
    pub max_concurrency: usize,
    pub rate_per_sec: u32,
    pub breaker_failures: u32,
    pub breaker_open: Duration,
    /// How long a job waits, without using attempts, for an Odoo that does not answer
    /// (connection refused, 502/503/504 from its proxy, the circuit open): an upgrade window
    /// of hours must not need an operator afterwards. Default 72 h.
    pub outage_wait: Duration,
    pub poll: Option<Duration>,
    /// The token Odoo's webhook must present (`WHARF_SECRET_ODOO_WEBHOOK_TOKEN`); without one
    /// the webhook endpoint is off and the poller alone finds events.
    pub webhook_token: Option<String>,
}

impl std::fmt::Debug for OdooSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OdooSettings")
            .field("url", &self.url)
            .field("database", &self.database)
            .field("login", &self.login)
            .field(
                "api_key",
                &format_args!("<{} characters>", self.api_key.len()),
            )
            .field("timeout", &self.timeout)
            .field("max_concurrency", &self.max_concurrency)
            .field("rate_per_sec", &self.rate_per_sec)
            .finish_non_exhaustive()
    }
}

/// Validated settings: every field has been checked and has a value.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub data_dir: PathBuf,
    pub partners_dir: PathBuf,
    /// How often `serve` looks for changed partner profiles (`None`: never).
    pub partners_reload: Option<Duration>,
    pub http_listen: SocketAddr,
    /// HTTPS on that listener: (certificate chain, key), PEM files.
    pub http_tls: Option<(PathBuf, PathBuf)>,
    pub http_limits: HttpLimits,
    pub pipeline: PipelineSettings,
    pub identity: Identity,
    pub duplicate_window_days: u32,
    pub erp: ErpTarget,
    /// `None` when `[sftp] listen = "off"`.
    pub sftp: Option<SftpServerSettings>,
    pub transfers: TransferSettings,
    pub as2: As2Settings,
    /// Where outbound documents for directory channels are written (`data/outbox/<partner>/`).
    pub outbox_dir: PathBuf,
}

impl Settings {
    /// Reads `path` (or `wharf.toml` when it exists and no path was given), applies `WHARF_*`
    /// variables from `env`, and validates the result.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let (origin, text) = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| {
                    ConfigError::new(p.display().to_string(), "(file)", e.to_string())
                })?;
                (p.display().to_string(), text)
            }
            None if Path::new("wharf.toml").exists() => {
                let text = std::fs::read_to_string("wharf.toml")
                    .map_err(|e| ConfigError::new("wharf.toml", "(file)", e.to_string()))?;
                ("wharf.toml".to_owned(), text)
            }
            None => ("defaults".to_owned(), String::new()),
        };
        // Parse the file alone first so its errors carry line and column.
        let mut table: toml::Table = toml::from_str(&text).map_err(|e| file_error(&origin, &e))?;
        let _: RawSettings = toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| file_error(&origin, &e))?;

        let env: Vec<(String, String)> = env.into_iter().collect();
        let mut from_env = Vec::new();
        for (name, value) in env.iter().cloned() {
            let Some(rest) = name.strip_prefix("WHARF_") else {
                continue;
            };
            // Variables for other parts of the system (tests, secrets) are not settings.
            if rest.starts_with("TEST_") || rest == "LOG" || rest.starts_with("SECRET_") {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            set_path(&mut table, &path, env_value(&value))
                .map_err(|why| ConfigError::new(format!("environment {name}"), rest, why))?;
            from_env.push(name);
        }
        let raw: RawSettings = toml::Value::Table(table).try_into().map_err(|e| {
            let origin = if from_env.is_empty() {
                origin.clone()
            } else {
                format!("{origin} + environment ({})", from_env.join(", "))
            };
            file_error(&origin, &e)
        })?;
        let lookup = |name: &str| {
            env.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        validate(raw, &origin, &lookup)
    }
}

fn file_error(origin: &str, e: &toml::de::Error) -> ConfigError {
    let msg = e.message().to_owned();
    let key = msg
        .split('`')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_else(|| "(syntax)".to_owned());
    let at = e
        .span()
        .map(|s| format!(" (byte {})", s.start))
        .unwrap_or_default();
    ConfigError::new(format!("{origin}{at}"), key, msg)
}

/// Environment values are strings; numbers and booleans are recognised so that
/// `WHARF_PIPELINE__WORKERS=8` means the integer 8.
fn env_value(v: &str) -> toml::Value {
    if let Ok(i) = v.parse::<i64>() {
        toml::Value::Integer(i)
    } else if v == "true" || v == "false" {
        toml::Value::Boolean(v == "true")
    } else {
        toml::Value::String(v.to_owned())
    }
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    match path {
        [] => Err("empty key".to_owned()),
        [last] => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => set_path(t, rest, value),
                _ => Err(format!("`{first}` is not a section")),
            }
        }
    }
}

fn odoo_settings(
    raw: &RawErp,
    err: &dyn Fn(&str, String) -> ConfigError,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<OdooSettings, ConfigError> {
    let url = raw.url.clone().ok_or_else(|| {
        err(
            "erp.url",
            "Odoo needs its base URL (https://odoo.example.com)".into(),
        )
    })?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(err("erp.url", format!("`{url}` is not an http(s) URL")));
    }
    let database = raw
        .database
        .clone()
        .ok_or_else(|| err("erp.database", "Odoo needs the database name".into()))?;
    let login = raw.login.clone().unwrap_or_else(|| "admin".into());
    let api_key = match (&raw.api_key_env, &raw.api_key_file) {
        (Some(_), Some(_)) => {
            return Err(err(
                "erp.api_key_env",
                "give api_key_env or api_key_file, not both".into(),
            ));
        }
        (_, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| err("erp.api_key_file", format!("{}: {e}", path.display())))?
            .trim()
            .to_owned(),
        (env_name, None) => {
            // WHARF_SECRET_* variables are never read as settings.
            let name = env_name
                .clone()
                .unwrap_or_else(|| "WHARF_SECRET_ODOO_API_KEY".into());
            env(&name).ok_or_else(|| {
                err(
                    "erp.api_key_env",
                    format!("the environment variable {name} holding the Odoo API key is not set"),
                )
            })?
        }
    };
    if api_key.is_empty() {
        return Err(err("erp.api_key_env", "the Odoo API key is empty".into()));
    }
    let max_concurrency = raw.max_concurrency.unwrap_or(4);
    if !(1..=64).contains(&max_concurrency) {
        return Err(err(
            "erp.max_concurrency",
            format!("{max_concurrency} is outside 1..=64"),
        ));
    }
    let rate_per_sec = raw.rate_per_sec.unwrap_or(50);
    if rate_per_sec == 0 {
        return Err(err("erp.rate_per_sec", "must be at least 1".into()));
    }
    let breaker_failures = raw.breaker_failures.unwrap_or(5);
    if breaker_failures == 0 {
        return Err(err("erp.breaker_failures", "must be at least 1".into()));
    }
    Ok(OdooSettings {
        url: url.trim_end_matches('/').to_owned(),
        database,
        login,
        api_key,
        timeout: Duration::from_millis(raw.timeout_ms.unwrap_or(30_000).max(1)),
        max_concurrency,
        rate_per_sec,
        breaker_failures,
        breaker_open: Duration::from_millis(raw.breaker_open_ms.unwrap_or(30_000)),
        outage_wait: Duration::from_millis(raw.outage_wait_ms.unwrap_or(72 * 3_600_000)),
        poll: match raw.poll_ms.unwrap_or(10_000) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        },
        webhook_token: env("WHARF_SECRET_ODOO_WEBHOOK_TOKEN").filter(|t| t.len() >= 16),
    })
}

fn validate(
    raw: RawSettings,
    origin: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let err = |key: &str, why: String| ConfigError::new(origin, key, why);
    let data_dir = raw.data_dir.unwrap_or_else(|| PathBuf::from("data"));
    let database_url = raw
        .database_url
        .unwrap_or_else(|| format!("sqlite://{}/wharf.db", data_dir.display()));
    let database = DatabaseUrl::parse(&database_url).map_err(|w| err("database_url", w))?;

    let listen = raw.http.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
    let http_listen: SocketAddr = listen.parse().map_err(|e| {
        err(
            "http.listen",
            format!("`{listen}` is not HOST:PORT with a numeric address ({e})"),
        )
    })?;

    let http_tls = match (raw.http.tls_cert, raw.http.tls_key) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        _ => {
            return Err(err(
                "http.tls_cert",
                "`tls_cert` and `tls_key` go together".into(),
            ));
        }
    };

    let http_limits = {
        let d = HttpLimits::default();
        let ms = |v: Option<u64>, default: Duration, key: &str| match v {
            None => Ok(default),
            Some(0) => Err(err(key, "must be more than 0".into())),
            Some(n) => Ok(Duration::from_millis(n)),
        };
        let count = |v: Option<usize>, default: usize, key: &str| match v {
            None => Ok(default),
            Some(0) => Err(err(key, "must be at least 1".into())),
            Some(n) => Ok(n),
        };
        HttpLimits {
            header_timeout: ms(
                raw.http.header_timeout_ms,
                d.header_timeout,
                "http.header_timeout_ms",
            )?,
            body_timeout: ms(
                raw.http.body_timeout_ms,
                d.body_timeout,
                "http.body_timeout_ms",
            )?,
            max_connections_per_address: count(
                raw.http.max_connections_per_address,
                d.max_connections_per_address,
                "http.max_connections_per_address",
            )?,
            max_connections: count(
                raw.http.max_connections,
                d.max_connections,
                "http.max_connections",
            )?,
        }
    };

    let p = raw.pipeline;
    let workers = p.workers.unwrap_or(4);
    if !(1..=256).contains(&workers) {
        return Err(err(
            "pipeline.workers",
            format!("{workers} is outside 1..=256"),
        ));
    }
    let lease_secs = p.lease_secs.unwrap_or(60);
    if lease_secs == 0 {
        return Err(err(
            "pipeline.lease_secs",
            "a lease of 0 s would let every job be claimed twice".into(),
        ));
    }
    let max_attempts = p.max_attempts.unwrap_or(8);
    if max_attempts == 0 {
        return Err(err("pipeline.max_attempts", "must be at least 1".into()));
    }
    let backoff_base_ms = p.backoff_base_ms.unwrap_or(1_000);
    let backoff_max_ms = p.backoff_max_ms.unwrap_or(300_000);
    if backoff_max_ms < backoff_base_ms {
        return Err(err(
            "pipeline.backoff_max_ms",
            format!("{backoff_max_ms} is below backoff_base_ms {backoff_base_ms}"),
        ));
    }
    let poll_ms = p.poll_interval_ms.unwrap_or(250);
    if poll_ms == 0 {
        return Err(err(
            "pipeline.poll_interval_ms",
            "must be at least 1".into(),
        ));
    }

    let qualifier = raw.identity.x12_qualifier.unwrap_or_else(|| "ZZ".into());
    if qualifier.len() != 2 || !qualifier.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(err(
            "identity.x12_qualifier",
            format!("`{qualifier}` must be 2 letters or digits (ISA05/ISA07)"),
        ));
    }
    let x12_id = raw.identity.x12_id.unwrap_or_else(|| "WHARF".into());
    if x12_id.is_empty() || x12_id.len() > 15 || !x12_id.bytes().all(|b| (0x20..0x7f).contains(&b))
    {
        return Err(err(
            "identity.x12_id",
            format!("`{x12_id}` must be 1 to 15 printable ASCII characters (ISA06/ISA08)"),
        ));
    }
    let edifact_id = raw
        .identity
        .edifact_id
        .unwrap_or_else(|| x12_id.trim().to_owned());
    if edifact_id.is_empty()
        || edifact_id.len() > 35
        || !edifact_id.bytes().all(|b| (0x20..0x7f).contains(&b))
    {
        return Err(err(
            "identity.edifact_id",
            format!("`{edifact_id}` must be 1 to 35 printable ASCII characters (UNB 0004)"),
        ));
    }
    let edifact_qualifier = raw.identity.edifact_qualifier;
    if let Some(q) = &edifact_qualifier
        && (q.is_empty() || q.len() > 4 || !q.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(err(
            "identity.edifact_qualifier",
            format!("`{q}` must be 1 to 4 letters or digits (UNB 0007)"),
        ));
    }
    let usage = match raw.identity.usage.as_deref().unwrap_or("P") {
        "P" | "production" => Usage::Production,
        "T" | "test" => Usage::Test,
        other => {
            return Err(err(
                "identity.usage",
                format!("`{other}` is not P (production) or T (test)"),
            ));
        }
    };

    let erp = match raw.erp.kind.as_deref().unwrap_or("directory") {
        "directory" => {
            ErpTarget::Directory(raw.erp.dir.unwrap_or_else(|| data_dir.join("delivered")))
        }
        "odoo" => ErpTarget::Odoo(odoo_settings(&raw.erp, &err, env)?),
        other => {
            return Err(err(
                "erp.kind",
                format!("`{other}` is not a known target (directory, odoo)"),
            ));
        }
    };

    let sftp = match raw.sftp.listen.as_deref().unwrap_or("127.0.0.1:2222") {
        "off" => None,
        listen => Some(SftpServerSettings {
            listen: listen.parse().map_err(|e| {
                err(
                    "sftp.listen",
                    format!("`{listen}` is not HOST:PORT with a numeric address, or off ({e})"),
                )
            })?,
            host_key: raw
                .sftp
                .host_key
                .unwrap_or_else(|| PathBuf::from("certs/ssh_host_ed25519_key")),
            max_sessions: raw.sftp.max_sessions.unwrap_or(64).max(1),
            idle: Duration::from_secs(raw.sftp.idle_secs.unwrap_or(300).max(1)),
            max_unauthenticated: raw.sftp.max_unauthenticated.unwrap_or(128).max(1),
            max_unauthenticated_per_address: raw
                .sftp
                .max_unauthenticated_per_address
                .unwrap_or(8)
                .max(1),
            auth_timeout: Duration::from_secs(raw.sftp.auth_timeout_secs.unwrap_or(15).max(1)),
            max_channels: raw.sftp.max_channels.unwrap_or(2).max(1),
            max_handles: raw.sftp.max_handles.unwrap_or(16).max(1),
        }),
    };
    let ms = |v: Option<u64>, default: u64, key: &str| match v.unwrap_or(default) {
        0 => Err(err(key, "must be more than 0".into())),
        n => Ok(Duration::from_millis(n)),
    };
    let transfers = TransferSettings {
        client_key: raw
            .transfers
            .client_key
            .unwrap_or_else(|| PathBuf::from("certs/ssh_client_ed25519_key")),
        connect_timeout: ms(
            raw.transfers.connect_timeout_ms,
            15_000,
            "transfers.connect_timeout_ms",
        )?,
        stall_timeout: ms(
            raw.transfers.stall_timeout_ms,
            30_000,
            "transfers.stall_timeout_ms",
        )?,
        down_for: ms(raw.transfers.down_ms, 30_000, "transfers.down_ms")?,
        collect: raw.transfers.collect.unwrap_or(true),
    };
    let as2_id = raw.as2.id.unwrap_or_else(|| "WHARF".into());
    if as2_id.is_empty()
        || as2_id.len() > 128
        || !as2_id
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        return Err(err(
            "as2.id",
            format!("`{as2_id}` is not an AS2 name (1 to 128 printable ASCII characters)"),
        ));
    }
    let as2 = As2Settings {
        id: as2_id,
        cert: raw
            .as2
            .cert
            .unwrap_or_else(|| PathBuf::from("certs/as2_cert.pem")),
        key: raw
            .as2
            .key
            .unwrap_or_else(|| PathBuf::from("certs/as2_key.pem")),
        previous_dir: raw
            .as2
            .previous_dir
            .unwrap_or_else(|| PathBuf::from("certs/as2_previous")),
        public_url: match raw.as2.public_url {
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
                Some(u.trim_end_matches('/').to_owned())
            }
            Some(u) => {
                return Err(err(
                    "as2.public_url",
                    format!("`{u}` is not an http(s) URL"),
                ));
            }
            None => None,
        },
        mdn_check: ms(raw.as2.mdn_check_ms, 60_000, "as2.mdn_check_ms")?,
        mdn_retry: ms(raw.as2.mdn_retry_ms, 10_000, "as2.mdn_retry_ms")?,
        mdn_posts_at_once: match raw.as2.mdn_posts_at_once.unwrap_or(16) {
            n @ 1..=256 => n,
            n => {
                return Err(err(
                    "as2.mdn_posts_at_once",
                    format!("{n} is outside 1..=256"),
                ));
            }
        },
        mdn_posts_per_host: match raw.as2.mdn_posts_per_host.unwrap_or(2) {
            n @ 1..=64 => n,
            n => {
                return Err(err(
                    "as2.mdn_posts_per_host",
                    format!("{n} is outside 1..=64"),
                ));
            }
        },
    };
    Ok(Settings {
        database,
        outbox_dir: data_dir.join("outbox"),
        data_dir,
        partners_reload: match raw.partners_reload_ms.unwrap_or(2000) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        },
        partners_dir: raw
            .partners_dir
            .unwrap_or_else(|| PathBuf::from("partners")),
        http_listen,
        http_tls,
        http_limits,
        pipeline: PipelineSettings {
            workers,
            poll_interval: Duration::from_millis(poll_ms),
            lease: Duration::from_secs(lease_secs),
            max_attempts,
            backoff_base: Duration::from_millis(backoff_base_ms),
            backoff_max: Duration::from_millis(backoff_max_ms),
        },
        identity: Identity {
            x12_qualifier: qualifier,
            x12_id,
            edifact_id,
            edifact_qualifier,
            usage,
        },
        duplicate_window_days: raw.duplicates.window_days.unwrap_or(30),
        erp,
        sftp,
        transfers,
        as2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_file() {
        let s = Settings::load(None, env(&[])).unwrap();
        assert_eq!(s.database.backend, Backend::Sqlite);
        assert_eq!(s.database.url, "sqlite://data/wharf.db");
        assert_eq!(s.http_listen.port(), 8080);
        assert_eq!(s.pipeline.workers, 4);
        assert_eq!(s.http_limits, HttpLimits::default());
    }

    #[test]
    fn http_limits_come_from_the_environment_and_refuse_zero() {
        let s = Settings::load(
            None,
            env(&[
                ("WHARF_HTTP__HEADER_TIMEOUT_MS", "500"),
                ("WHARF_HTTP__MAX_CONNECTIONS_PER_ADDRESS", "8"),
            ]),
        )
        .unwrap();
        assert_eq!(s.http_limits.header_timeout, Duration::from_millis(500));
        assert_eq!(s.http_limits.max_connections_per_address, 8);
        assert_eq!(s.http_limits.body_timeout, Duration::from_secs(60));
        let e = Settings::load(None, env(&[("WHARF_HTTP__BODY_TIMEOUT_MS", "0")])).unwrap_err();
        assert_eq!(e.key, "http.body_timeout_ms");
    }

    #[test]
    fn environment_overrides_nested_keys() {
        let s = Settings::load(
            None,
            env(&[
                ("WHARF_PIPELINE__WORKERS", "9"),
                ("WHARF_DATABASE_URL", "postgres://u:secret@h/db"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(s.pipeline.workers, 9);
        assert_eq!(s.database.backend, Backend::Postgres);
        assert_eq!(s.database.redacted(), "postgres://u:***@h/db");
    }

    #[test]
    fn unknown_environment_key_is_named() {
        let e = Settings::load(None, env(&[("WHARF_PIPELINE__WORKRES", "2")])).unwrap_err();
        assert!(e.origin.contains("WHARF_PIPELINE__WORKRES"), "{e}");
        assert!(e.why.contains("workres"), "{e}");
    }

    #[test]
    fn bad_file_value_names_file_key_and_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wharf.toml");
        std::fs::write(&path, "[pipeline]\nworkers = 0\n").unwrap();
        let e = Settings::load(Some(&path), env(&[])).unwrap_err();
        assert_eq!(e.key, "pipeline.workers");
        assert!(e.origin.ends_with("wharf.toml"), "{e}");

        std::fs::write(&path, "[http]\nlisten = 8080\n").unwrap();
        let e = Settings::load(Some(&path), env(&[])).unwrap_err();
        assert!(
            e.to_string().contains("listen") || e.to_string().contains("string"),
            "{e}"
        );
    }

    #[test]
    fn identity_is_checked_against_isa_widths() {
        let e = Settings::load(
            None,
            env(&[("WHARF_IDENTITY__X12_ID", "A_VERY_LONG_IDENTIFIER")]),
        )
        .unwrap_err();
        assert_eq!(e.key, "identity.x12_id");
    }

    #[test]
    fn odoo_settings_read_the_key_from_a_secret_variable_and_never_show_it() {
        let vars = [
            ("WHARF_ERP__KIND", "odoo"),
            ("WHARF_ERP__URL", "https://odoo.example.com/"),
            ("WHARF_ERP__DATABASE", "prod"),
            ("WHARF_SECRET_ODOO_API_KEY", "k3y-k3y-k3y"),
        ];
        let s = Settings::load(None, env(&vars)).unwrap();
        let ErpTarget::Odoo(o) = &s.erp else {
            panic!("{:?}", s.erp);
        };
        assert_eq!(o.url, "https://odoo.example.com");
        assert_eq!(o.api_key, "k3y-k3y-k3y");
        let shown = format!("{:?}", s.erp);
        assert!(!shown.contains("k3y"), "{shown}");
        assert!(shown.contains("<11 characters>"), "{shown}");
        // Without the key: the error names the variable to set.
        let e = Settings::load(None, env(&vars[..3])).unwrap_err();
        assert!(e.to_string().contains("WHARF_SECRET_ODOO_API_KEY"), "{e}");
    }
}
