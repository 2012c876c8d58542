//! `[events]`: who hears about business events (webhook subscribers, a NATS JetStream
//! stream) and how hard delivery tries. Read from the file's `[events]`, `[[events.webhooks]]`
//! and `[events.nats]` into [`EventSettings`]; every webhook must have a signing secret.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use crate::model::BusinessEventKind;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvents {
    /// How often the dispatcher looks for events to deliver (it is also woken by commits).
    pub(super) dispatch_ms: Option<u64>,
    /// First wait after a failed delivery, doubled each time up to `retry_max_ms`.
    pub(super) retry_base_ms: Option<u64>,
    pub(super) retry_max_ms: Option<u64>,
    /// Attempts before a delivery becomes a dead letter.
    pub(super) max_attempts: Option<u32>,
    /// A subscriber that has not answered by then has failed this attempt.
    pub(super) timeout_ms: Option<u64>,
    /// How often acknowledgements past their `[sla]` window are looked for (`ack.overdue`).
    pub(super) watch_ms: Option<u64>,
    /// Days a delivered event is kept before the hourly prune removes it (default 30).
    pub(super) retain_days: Option<u32>,
    #[serde(default)]
    pub(super) webhooks: Vec<RawWebhook>,
    pub(super) nats: Option<RawNats>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhook {
    pub(super) name: Option<String>,
    pub(super) url: Option<String>,
    /// The HMAC-SHA256 key: the name of an environment variable holding it, or a file.
    pub(super) secret_env: Option<String>,
    pub(super) secret_file: Option<PathBuf>,
    /// The event types this subscriber takes; all when not written.
    pub(super) types: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNats {
    pub(super) url: Option<String>,
    /// Subjects are `<prefix>.<partner or _>.<type>`, e.g. `wharf.events.acme.order.created`.
    pub(super) subject_prefix: Option<String>,
    /// The JetStream stream that holds them, made (for `<prefix>.>`) when missing.
    pub(super) stream: Option<String>,
    pub(super) types: Option<Vec<String>>,
}

/// Validated `[events]`.
#[derive(Debug, Clone)]
pub struct EventSettings {
    pub webhooks: Vec<WebhookSettings>,
    pub nats: Option<NatsSettings>,
    pub dispatch: Duration,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub max_attempts: u32,
    pub timeout: Duration,
    /// How often overdue acknowledgements are looked for.
    pub watch: Duration,
    /// How long an event is kept once every delivery of it is delivered.
    pub retain: Retention,
}

/// `[events] retain_days`: how long a delivered event stays for `list` and `replay`. Never
/// zero — "keep nothing" would let a prune delete events a consumer may still need to
/// replay, and an absent setting must not mean that either — and at most a century, which is
/// how an operator says "keep everything".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    days: u32,
}

impl Retention {
    pub const DEFAULT_DAYS: u32 = 30;
    pub const MAX_DAYS: u32 = 36_500;

    /// `None` for 0 or more than [`Self::MAX_DAYS`].
    pub fn days(days: u32) -> Option<Self> {
        (1..=Self::MAX_DAYS)
            .contains(&days)
            .then_some(Self { days })
    }

    pub fn in_days(self) -> u32 {
        self.days
    }

    /// The retention in milliseconds: events at or before `now - this` may be pruned.
    pub fn millis(self) -> i64 {
        i64::from(self.days) * 86_400_000
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            days: Self::DEFAULT_DAYS,
        }
    }
}

impl EventSettings {
    /// Whether anyone listens: without subscribers events are still written (for the admin
    /// pages, the CLI and a later replay) but nothing is delivered.
    pub fn any_subscriber(&self) -> bool {
        !self.webhooks.is_empty() || self.nats.is_some()
    }

    /// The subscribers' names, as their deliveries are kept: each webhook's, then `nats`.
    pub fn sink_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.webhooks.iter().map(|w| w.name.clone()).collect();
        if self.nats.is_some() {
            names.push(NATS_SINK.to_owned());
        }
        names
    }
}

/// The name the NATS subscriber's deliveries are kept under (a webhook may not take it).
pub const NATS_SINK: &str = "nats";

/// One webhook subscriber. `Debug` never shows the secret.
#[derive(Clone)]
pub struct WebhookSettings {
    pub name: String,
    pub url: String,
    pub secret: String,
    pub kinds: Option<Vec<BusinessEventKind>>,
}

impl std::fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("name", &self.name)
            .field("url", &self.url)
            .field(
                "secret",
                &format_args!("<{} characters>", self.secret.len()),
            )
            .field("kinds", &self.kinds)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct NatsSettings {
    pub url: String,
    pub subject_prefix: String,
    pub stream: String,
    pub kinds: Option<Vec<BusinessEventKind>>,
}

fn kinds(
    written: &Option<Vec<String>>,
    key: &str,
    err: &dyn Fn(&str, String) -> ConfigError,
) -> Result<Option<Vec<BusinessEventKind>>, ConfigError> {
    let Some(words) = written else {
        return Ok(None);
    };
    let all: Vec<&str> = BusinessEventKind::ALL.iter().map(|k| k.as_str()).collect();
    words
        .iter()
        .map(|w| {
            BusinessEventKind::parse(w).ok_or_else(|| {
                err(
                    key,
                    format!("`{w}` is not an event type (one of {})", all.join(", ")),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A name for subscribers, subjects and stream: lowercase letters, digits, `-` and `_`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

pub(super) fn validate(
    raw: RawEvents,
    err: &dyn Fn(&str, String) -> ConfigError,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<EventSettings, ConfigError> {
    let ms = |v: Option<u64>, default: u64, key: &str| match v.unwrap_or(default) {
        0 => Err(err(key, "must be more than 0".into())),
        n => Ok(Duration::from_millis(n)),
    };
    let mut webhooks: Vec<WebhookSettings> = Vec::new();
    for (i, w) in raw.webhooks.iter().enumerate() {
        let key = |k: &str| format!("events.webhooks[{i}].{k}");
        let name = w
            .name
            .clone()
            .ok_or_else(|| err(&key("name"), "a webhook needs a name".into()))?;
        if !is_token(&name) || name == NATS_SINK {
            return Err(err(
                &key("name"),
                format!("`{name}` must be 1-40 of a-z, 0-9, - and _, and not `nats`"),
            ));
        }
        if webhooks.iter().any(|o| o.name == name) {
            return Err(err(&key("name"), format!("`{name}` is named twice")));
        }
        let url = w
            .url
            .clone()
            .ok_or_else(|| err(&key("url"), "a webhook needs its URL".into()))?;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(err(&key("url"), format!("`{url}` is not an http(s) URL")));
        }
        // Unsigned events would let anyone who can reach the receiver forge orders: a
        // webhook without a secret is refused, not defaulted.
        let secret = match (&w.secret_env, &w.secret_file) {
            (Some(_), Some(_)) => {
                return Err(err(
                    &key("secret_env"),
                    "give secret_env or secret_file, not both".into(),
                ));
            }
            (None, None) => {
                return Err(err(
                    &key("secret_env"),
                    "a webhook needs a signing secret (secret_env or secret_file)".into(),
                ));
            }
            (Some(var), None) => env(var).ok_or_else(|| {
                err(
                    &key("secret_env"),
                    format!("the environment variable {var} holding the secret is not set"),
                )
            })?,
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| err(&key("secret_file"), format!("{}: {e}", path.display())))?
                .trim()
                .to_owned(),
        };
        if secret.len() < 16 {
            return Err(err(
                &key("secret_env"),
                "the signing secret must have at least 16 characters".into(),
            ));
        }
        webhooks.push(WebhookSettings {
            name,
            url,
            secret,
            kinds: kinds(&w.types, &key("types"), err)?,
        });
    }
    let nats = match raw.nats {
        None => None,
        Some(n) => {
            let url = n.url.ok_or_else(|| {
                err(
                    "events.nats.url",
                    "NATS needs its URL (nats://host:4222)".into(),
                )
            })?;
            if !(url.starts_with("nats://") || url.starts_with("tls://")) {
                return Err(err(
                    "events.nats.url",
                    format!("`{url}` is not a nats:// or tls:// URL"),
                ));
            }
            let subject_prefix = n.subject_prefix.unwrap_or_else(|| "wharf.events".into());
            if subject_prefix.split('.').any(|t| !is_token(t)) {
                return Err(err(
                    "events.nats.subject_prefix",
                    format!("`{subject_prefix}` must be dot-separated tokens of a-z, 0-9, - and _"),
                ));
            }
            let stream = n.stream.unwrap_or_else(|| "WHARF_EVENTS".into());
            if stream.is_empty()
                || !stream
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(err(
                    "events.nats.stream",
                    format!("`{stream}` must be letters, digits, - and _"),
                ));
            }
            Some(NatsSettings {
                url,
                subject_prefix,
                stream,
                kinds: kinds(&n.types, "events.nats.types", err)?,
            })
        }
    };
    let max_attempts = raw.max_attempts.unwrap_or(15);
    if max_attempts == 0 {
        return Err(err("events.max_attempts", "must be at least 1".into()));
    }
    let retain = match raw.retain_days {
        None => Retention::default(),
        Some(d) => Retention::days(d).ok_or_else(|| {
            err(
                "events.retain_days",
                format!(
                    "must be 1 to {} days (delivered events are kept that long; 0 would \
                     keep none)",
                    Retention::MAX_DAYS
                ),
            )
        })?,
    };
    Ok(EventSettings {
        retain,
        webhooks,
        nats,
        dispatch: ms(raw.dispatch_ms, 1_000, "events.dispatch_ms")?,
        retry_base: ms(raw.retry_base_ms, 2_000, "events.retry_base_ms")?,
        retry_max: ms(raw.retry_max_ms, 3_600_000, "events.retry_max_ms")?,
        max_attempts,
        timeout: ms(raw.timeout_ms, 10_000, "events.timeout_ms")?,
        watch: ms(raw.watch_ms, 60_000, "events.watch_ms")?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Settings;

    fn load(toml: &str, env: &[(&str, &str)]) -> Result<Settings, super::ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wharf.toml");
        std::fs::write(&path, toml).unwrap();
        Settings::load(
            Some(&path),
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    #[test]
    fn no_subscribers_by_default() {
        let s = load("", &[]).unwrap();
        assert!(!s.events.any_subscriber());
        assert_eq!(s.events.max_attempts, 15);
        assert_eq!(s.events.retain.in_days(), 30);
    }

    #[test]
    fn retention_is_never_zero() {
        let s = load("[events]\nretain_days = 7\n", &[]).unwrap();
        assert_eq!(s.events.retain.in_days(), 7);
        assert_eq!(s.events.retain.millis(), 7 * 86_400_000);
        for bad in ["0", "36501"] {
            let e = load(&format!("[events]\nretain_days = {bad}\n"), &[]).unwrap_err();
            assert_eq!(e.key, "events.retain_days", "{bad}");
            assert!(e.why.contains("1 to 36500 days"), "{e}");
        }
        let e = load("", &[("WHARF_EVENTS__RETAIN_DAYS", "0")]).unwrap_err();
        assert_eq!(e.key, "events.retain_days");
    }

    #[test]
    fn a_webhook_needs_a_secret_and_never_shows_it() {
        let e = load(
            "[[events.webhooks]]\nname = \"bi\"\nurl = \"https://h/x\"\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.key, "events.webhooks[0].secret_env");
        let s = load(
            "[[events.webhooks]]\nname = \"bi\"\nurl = \"https://h/x\"\nsecret_env = \"HOOK\"\ntypes = [\"order.created\"]\n",
            &[("HOOK", "0123456789abcdef-secret")],
        )
        .unwrap();
        assert_eq!(s.events.webhooks[0].secret, "0123456789abcdef-secret");
        assert!(!format!("{:?}", s.events).contains("0123456789abcdef"));
        let e = load(
            "[[events.webhooks]]\nname = \"bi\"\nurl = \"https://h/x\"\nsecret_env = \"HOOK\"\ntypes = [\"order.made\"]\n",
            &[("HOOK", "0123456789abcdef-secret")],
        )
        .unwrap_err();
        assert!(e.why.contains("`order.made` is not an event type"), "{e}");
    }

    #[test]
    fn nats_from_the_environment() {
        let s = load("", &[("WHARF_EVENTS__NATS__URL", "nats://127.0.0.1:4222")]).unwrap();
        let n = s.events.nats.unwrap();
        assert_eq!(n.subject_prefix, "wharf.events");
        assert_eq!(n.stream, "WHARF_EVENTS");
        let e = load("", &[("WHARF_EVENTS__NATS__URL", "http://x")]).unwrap_err();
        assert_eq!(e.key, "events.nats.url");
    }
}
