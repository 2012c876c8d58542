//! Each partner channel's health (`channel_health`): per partner, channel kind and remote,
//! the last attempt, the last success, the last error, the failures since the last success
//! and when the next try is due. Written by one upsert per attempt, so several instances
//! sharing the database keep one count between them; read by the admin pages.

use sqlx::Row;

use super::{ChannelKind, Store, StoreError, now_ms};

/// How an attempt on a channel ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt<'a> {
    Succeeded,
    /// With the error as an operator should read it.
    Failed(&'a str),
}

/// One channel's health as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChannelHealth {
    pub partner: String,
    pub kind: ChannelKind,
    /// The folder's URL (`sftp://host:22/in`) or the AS2 URL.
    pub remote: String,
    pub last_attempt_at: i64,
    pub last_success_at: Option<i64>,
    /// The last failure's text, kept after a success so an operator sees what it was.
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    /// Failures since the last success; 0 means the channel works.
    pub consecutive_failures: i64,
    /// When the next attempt is due, when one is scheduled.
    pub next_try_at: Option<i64>,
}

impl ChannelHealth {
    /// Whether the last attempt failed.
    pub fn failing(&self) -> bool {
        self.consecutive_failures > 0
    }
}

/// The longest error text kept: a server's answer can be long, the page shows a line.
const MAX_ERROR: usize = 1000;

/// Records one attempt on `partner`'s `kind` channel to `remote`. One statement: two
/// instances recording at once both pass through the row's lock, each counting its own.
pub async fn record(
    store: &Store,
    partner: &str,
    kind: ChannelKind,
    remote: &str,
    attempt: Attempt<'_>,
    next_try_at: Option<i64>,
) -> Result<(), StoreError> {
    let _gate = store.write_gate().await;
    let now = now_ms();
    let (success_at, error, failures) = match attempt {
        Attempt::Succeeded => (Some(now), None, 0_i64),
        Attempt::Failed(e) => {
            let mut cut = e.len().min(MAX_ERROR);
            while !e.is_char_boundary(cut) {
                cut -= 1;
            }
            (None, Some(e[..cut].to_owned()), 1)
        }
    };
    sqlx::query(
        "INSERT INTO channel_health (partner, kind, remote, last_attempt_at, last_success_at, \
         last_error, last_error_at, consecutive_failures, next_try_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (partner, kind, remote) DO UPDATE SET \
         last_attempt_at = excluded.last_attempt_at, \
         last_success_at = COALESCE(excluded.last_success_at, channel_health.last_success_at), \
         last_error = COALESCE(excluded.last_error, channel_health.last_error), \
         last_error_at = COALESCE(excluded.last_error_at, channel_health.last_error_at), \
         consecutive_failures = CASE WHEN excluded.consecutive_failures = 0 THEN 0 \
         ELSE channel_health.consecutive_failures + 1 END, \
         next_try_at = excluded.next_try_at",
    )
    .bind(partner.to_owned())
    .bind(kind.as_str())
    .bind(remote.to_owned())
    .bind(now)
    .bind(success_at)
    .bind(error.clone())
    .bind(error.as_ref().map(|_| now))
    .bind(failures)
    .bind(next_try_at)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Every channel's health, failing ones first (most failures first), then by partner; or
/// only `partner`'s.
pub async fn list(store: &Store, partner: Option<&str>) -> Result<Vec<ChannelHealth>, StoreError> {
    let rows = sqlx::query(
        "SELECT partner, kind, remote, last_attempt_at, last_success_at, last_error, \
         last_error_at, consecutive_failures, next_try_at FROM channel_health \
         WHERE $1 = '' OR partner = $1 \
         ORDER BY consecutive_failures DESC, partner, kind, remote",
    )
    .bind(partner.unwrap_or_default().to_owned())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(ChannelHealth {
                partner: r.try_get("partner")?,
                kind: ChannelKind::parse(&kind).ok_or(StoreError::Corrupt {
                    column: "kind",
                    value: kind,
                })?,
                remote: r.try_get("remote")?,
                last_attempt_at: r.try_get("last_attempt_at")?,
                last_success_at: r.try_get("last_success_at")?,
                last_error: r.try_get("last_error")?,
                last_error_at: r.try_get("last_error_at")?,
                consecutive_failures: r.try_get("consecutive_failures")?,
                next_try_at: r.try_get("next_try_at")?,
            })
        })
        .collect()
}
