//! The settings checked once at start: every value from [`super::raw`] becomes a typed
//! setting or a [`ConfigError`] naming the key and why.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::raw::{RawErp, RawSettings};
use super::*;

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
    let poll_lease_ms = raw.poll_lease_ms.unwrap_or(30_000);
    if poll_lease_ms < 300 {
        return Err(err(
            "erp.poll_lease_ms",
            format!("{poll_lease_ms} ms is too short to renew; at least 300"),
        ));
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
        poll_lease: Duration::from_millis(poll_lease_ms),
        cache_validate: Duration::from_millis(raw.cache_validate_ms.unwrap_or(5_000)),
        webhook_token: env("WHARF_SECRET_ODOO_WEBHOOK_TOKEN").filter(|t| t.len() >= 16),
    })
}

pub(super) fn validate(
    raw: RawSettings,
    origin: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let err = |key: &str, why: String| ConfigError::new(origin, key, why);
    let data_dir = raw.data_dir.unwrap_or_else(|| PathBuf::from("data"));
    let database_url = raw
        .database_url
        .unwrap_or_else(|| format!("sqlite://{}/wharf.db", data_dir.display()));
    let database =
        DatabaseUrl::parse(&database_url).map_err(|w| err("database_url", w.to_string()))?;

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
    let usage = choice(
        raw.identity.usage.as_deref(),
        Usage::Production,
        &err,
        "identity.usage",
        "P (production) or T (test)",
    )?;

    let erp = match choice(
        raw.erp.kind.as_deref(),
        ErpKind::Directory,
        &err,
        "erp.kind",
        "a known target (directory, odoo)",
    )? {
        ErpKind::Directory => {
            ErpTarget::Directory(raw.erp.dir.unwrap_or_else(|| data_dir.join("delivered")))
        }
        ErpKind::Odoo => ErpTarget::Odoo(odoo_settings(&raw.erp, &err, env)?),
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
        metrics_open: raw.http.metrics_open.unwrap_or(false),
        metrics: raw.http.metrics.unwrap_or(true),
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
        events: super::events::validate(raw.events, &err, env)?,
        telemetry: super::telemetry::validate(raw.telemetry, &err, env)?,
    })
}

/// `[erp] kind`: which [`ErpTarget`] the rest of `[erp]` describes.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum ErpKind {
    Directory,
    Odoo,
}

/// The enum value a setting's word names, read by serde (the enum's `rename`s and `alias`es
/// are the words the file may hold); `default` when the setting is not written. Any other
/// word is `key`'s error "`word` is not {expected}".
fn choice<T: serde::de::DeserializeOwned>(
    written: Option<&str>,
    default: T,
    err: &dyn Fn(&str, String) -> ConfigError,
    key: &str,
    expected: &str,
) -> Result<T, ConfigError> {
    use serde::de::value::{Error, StrDeserializer};
    let Some(w) = written else {
        return Ok(default);
    };
    T::deserialize(StrDeserializer::<Error>::new(w))
        .map_err(|_| err(key, format!("`{w}` is not {expected}")))
}
