//! Settings: `wharf.toml` (optional) plus `WHARF_*` environment overrides, validated once at start.
//!
//! Files: `mod.rs` the validated settings the program reads; `raw.rs` the file as written
//! (`deny_unknown_fields`); `load.rs` [`Settings::load`]: file, then `WHARF_*` overrides;
//! `validate.rs` turns the raw values into validated types so the rest of the program never
//! re-checks a value; `events.rs` is `[events]` whole (raw, validation, settings), `telemetry.rs`
//! `[telemetry]` (OTLP export). Depends on nothing of ours.

mod events;
mod load;
mod raw;
mod telemetry;
mod validate;

pub use events::{EventSettings, NATS_SINK, NatsSettings, Retention, WebhookSettings};
pub use telemetry::{OtlpSettings, TelemetrySettings};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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

/// How the HTTP listener treats slow or greedy clients.
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

/// Which database backend a `database_url` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Why a `database_url` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    /// Neither SQLite nor PostgreSQL; the URL with its password hidden.
    #[error("`{0}` is neither sqlite:PATH nor postgres://…")]
    Scheme(String),
}

/// A database URL whose scheme has been checked.
#[derive(Debug, Clone)]
pub struct DatabaseUrl {
    pub url: String,
    pub backend: Backend,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, DatabaseUrlError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(DatabaseUrlError::Scheme(redact_url(url)));
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

/// X12 interchange usage indicator (ISA15) for what Wharf sends; `[identity] usage` writes
/// it as the code or the word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub enum Usage {
    #[serde(rename = "P", alias = "production")]
    Production,
    #[serde(rename = "T", alias = "test")]
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

/// Where mapped business documents go: Odoo, or a directory sink that writes one JSON file
/// per document, keyed so that a repeat overwrites.
#[derive(Debug, Clone)]
// Made once per process and moved rarely: boxing the Odoo settings would buy nothing.
#[allow(clippy::large_enum_variant)]
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
    /// How long the poller's lease lasts unrenewed (`[erp] poll_lease_ms`, 30 s): instances
    /// sharing a database poll one at a time, and another takes over this long after the
    /// holder died. Renewed every third of it.
    pub poll_lease: Duration,
    /// How long looked-up customers, addresses, products, units and warehouses are used
    /// before their `write_date`s are read from Odoo again (`[erp] cache_validate_ms`, 5 s;
    /// 0: before every batch of orders).
    pub cache_validate: Duration,
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
    /// `[http] metrics_open`: `GET /metrics` answers without an API token. Off unless said:
    /// nothing is reachable without authentication unless a setting opens it.
    pub metrics_open: bool,
    /// `[http] metrics`: record the Prometheus families (on by default); off, nothing is
    /// recorded and `/metrics` answers 404.
    pub metrics: bool,
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
    /// `[events]`: business-event subscribers (webhooks, NATS JetStream) and delivery.
    pub events: EventSettings,
    /// `[telemetry]`: OTLP trace export (off unless an endpoint is given).
    pub telemetry: TelemetrySettings,
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
    fn metrics_are_closed_unless_opened_and_only_by_a_boolean() {
        let defaults = Settings::load(None, env(&[])).unwrap();
        assert!(!defaults.metrics_open);
        assert!(defaults.metrics);
        let s = Settings::load(None, env(&[("WHARF_HTTP__METRICS_OPEN", "true")])).unwrap();
        assert!(s.metrics_open);
        let e = Settings::load(None, env(&[("WHARF_HTTP__METRICS_OPEN", "yes")])).unwrap_err();
        assert!(e.to_string().contains("METRICS_OPEN"), "{e}");
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
    fn the_command_lines_own_variables_are_not_settings() {
        let vars = [
            ("WHARF_LOG", "debug"),
            ("WHARF_LOG_FORMAT", "json"),
            ("WHARF_CONFIG", "elsewhere.toml"),
        ];
        Settings::load(None, env(&vars)).unwrap();
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

    /// A word-valued setting takes its words (`usage` the code or the word); any other is
    /// named with the words it takes.
    #[test]
    fn word_settings_name_the_words_they_take() {
        let s = Settings::load(None, env(&[("WHARF_IDENTITY__USAGE", "test")])).unwrap();
        assert_eq!(s.identity.usage, Usage::Test);
        let s = Settings::load(None, env(&[("WHARF_ERP__KIND", "directory")])).unwrap();
        assert!(matches!(s.erp, ErpTarget::Directory(_)), "{:?}", s.erp);
        for (var, word, key, why) in [
            (
                "WHARF_IDENTITY__USAGE",
                "X",
                "identity.usage",
                "`X` is not P (production) or T (test)",
            ),
            (
                "WHARF_ERP__KIND",
                "Odoo",
                "erp.kind",
                "`Odoo` is not a known target (directory, odoo)",
            ),
        ] {
            let e = Settings::load(None, env(&[(var, word)])).unwrap_err();
            assert_eq!((e.key.as_str(), e.why.as_str()), (key, why));
        }
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
