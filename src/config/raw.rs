//! `wharf.toml` as written: one struct per section, unknown keys refused. [`super::validate`]
//! turns them into the validated settings.

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub(super) database_url: Option<String>,
    pub(super) data_dir: Option<PathBuf>,
    pub(super) partners_dir: Option<PathBuf>,
    /// How often `serve` looks for changed partner profiles; 0 turns reloading off.
    pub(super) partners_reload_ms: Option<u64>,
    #[serde(default)]
    pub(super) http: RawHttp,
    #[serde(default)]
    pub(super) pipeline: RawPipeline,
    #[serde(default)]
    pub(super) identity: RawIdentity,
    #[serde(default)]
    pub(super) duplicates: RawDuplicates,
    #[serde(default)]
    pub(super) erp: RawErp,
    #[serde(default)]
    pub(super) sftp: RawSftpServer,
    #[serde(default)]
    pub(super) transfers: RawTransfers,
    #[serde(default)]
    pub(super) as2: RawAs2Station,
    #[serde(default)]
    pub(super) events: super::events::RawEvents,
    #[serde(default)]
    pub(super) telemetry: super::telemetry::RawTelemetry,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAs2Station {
    /// Wharf's AS2 name (the AS2-To partners send to).
    pub(super) id: Option<String>,
    pub(super) cert: Option<PathBuf>,
    pub(super) key: Option<PathBuf>,
    /// Earlier key pairs still decrypted with during a rollover (`NAME.pem` + `NAME.key`).
    pub(super) previous_dir: Option<PathBuf>,
    /// Where partners reach this gateway (`https://edi.example.com`), for asynchronous MDNs.
    pub(super) public_url: Option<String>,
    /// How often messages awaiting an asynchronous MDN are looked at.
    pub(super) mdn_check_ms: Option<u64>,
    /// First wait before posting again an asynchronous MDN a partner's server refused
    /// (doubled each time, at most an hour).
    pub(super) mdn_retry_ms: Option<u64>,
    /// Asynchronous MDN posts under way at once, all partners together.
    pub(super) mdn_posts_at_once: Option<usize>,
    /// Asynchronous MDN posts under way at once to one host (`host:port` of the URL).
    pub(super) mdn_posts_per_host: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTransfers {
    /// Wharf's SSH key for partners' SFTP servers that take a key (made on first use).
    pub(super) client_key: Option<PathBuf>,
    pub(super) connect_timeout_ms: Option<u64>,
    pub(super) stall_timeout_ms: Option<u64>,
    pub(super) down_ms: Option<u64>,
    /// Off: collection rounds never run (`wharf collect` still does one on demand).
    pub(super) collect: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSftpServer {
    /// HOST:PORT, or "off".
    pub(super) listen: Option<String>,
    /// The server's ed25519 host key (OpenSSH format), made on first start when missing.
    pub(super) host_key: Option<PathBuf>,
    pub(super) max_sessions: Option<usize>,
    pub(super) idle_secs: Option<u64>,
    pub(super) max_unauthenticated: Option<usize>,
    pub(super) max_unauthenticated_per_address: Option<usize>,
    pub(super) auth_timeout_secs: Option<u64>,
    pub(super) max_channels: Option<usize>,
    pub(super) max_handles: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttp {
    pub(super) listen: Option<String>,
    /// PEM certificate chain and key: the listener speaks HTTPS.
    pub(super) tls_cert: Option<PathBuf>,
    pub(super) tls_key: Option<PathBuf>,
    /// A request's line and headers (and a TLS handshake) not received by then: closed.
    pub(super) header_timeout_ms: Option<u64>,
    /// A request body that sends nothing for this long: cut.
    pub(super) body_timeout_ms: Option<u64>,
    /// Open connections from one client address; more are closed at accept.
    pub(super) max_connections_per_address: Option<usize>,
    /// Open connections from all clients together; more are closed at accept.
    pub(super) max_connections: Option<usize>,
    /// `GET /metrics` without an API token (a scraper inside the network); off by default.
    pub(super) metrics_open: Option<bool>,
    /// Off: nothing is recorded and `/metrics` answers 404; on by default.
    pub(super) metrics: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPipeline {
    pub(super) workers: Option<u32>,
    pub(super) poll_interval_ms: Option<u64>,
    pub(super) lease_secs: Option<u64>,
    pub(super) max_attempts: Option<u32>,
    pub(super) backoff_base_ms: Option<u64>,
    pub(super) backoff_max_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIdentity {
    pub(super) x12_qualifier: Option<String>,
    pub(super) x12_id: Option<String>,
    pub(super) edifact_id: Option<String>,
    pub(super) edifact_qualifier: Option<String>,
    pub(super) usage: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDuplicates {
    pub(super) window_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawErp {
    pub(super) kind: Option<String>,
    pub(super) dir: Option<PathBuf>,
    /// Odoo: base URL, database, login (JSON-RPC needs it to get the uid).
    pub(super) url: Option<String>,
    pub(super) database: Option<String>,
    pub(super) login: Option<String>,
    /// Odoo API key: the name of an environment variable holding it, or a file.
    pub(super) api_key_env: Option<String>,
    pub(super) api_key_file: Option<PathBuf>,
    pub(super) timeout_ms: Option<u64>,
    pub(super) max_concurrency: Option<usize>,
    pub(super) rate_per_sec: Option<u32>,
    /// Consecutive transient failures that open the circuit, and how long it stays open.
    pub(super) breaker_failures: Option<u32>,
    pub(super) breaker_open_ms: Option<u64>,
    /// How long work waits for an Odoo that does not answer (down, restarting, upgrading)
    /// before it goes to dead letters; waiting uses no attempts.
    pub(super) outage_wait_ms: Option<u64>,
    /// How often confirmed orders and done deliveries are looked for (0: never).
    pub(super) poll_ms: Option<u64>,
    /// The poller's lease: one instance of a fleet polls; another takes over this long after
    /// the holder stops renewing.
    pub(super) poll_lease_ms: Option<u64>,
    /// How long cached Odoo lookups are used before their write_dates are checked (0: always).
    pub(super) cache_validate_ms: Option<u64>,
}
