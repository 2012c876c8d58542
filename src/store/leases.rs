//! Named leases: work that one instance at a time does for every instance sharing the
//! database — the Odoo poller, a remote folder's collection round. A lease is a row of
//! `leases` held by an owner (the instance name) until an expiry, renewed while held and
//! taken by anyone once it has run out, so a holder that dies without a word is replaced
//! within the lease's time.
//!
//! Job leases stay on the job rows (`jobs`): a job is claimed from a queue, not by name.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Row;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::{Store, StoreError, now_ms};

/// What a lease is for; each names one row of `leases`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// The Odoo poller (confirmed orders, done deliveries, posted invoices → documents).
    OdooPoller,
    /// A collection round on one remote folder, by its URL (`sftp://host:22/folder`).
    Collect(String),
}

impl Lease {
    /// The row's name.
    pub fn name(&self) -> String {
        match self {
            Lease::OdooPoller => "odoo:poller".to_owned(),
            Lease::Collect(url) => format!("collect:{url}"),
        }
    }
}

/// Who holds a lease, and until when (Unix ms).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Holder {
    pub owner: String,
    pub expires: i64,
}

/// Takes `lease` for `owner` for `ttl` from now when it is free, expired or already
/// `owner`'s (which renews it); true when `owner` holds it now.
pub async fn take(
    store: &Store,
    lease: &Lease,
    owner: &str,
    ttl: Duration,
) -> Result<bool, StoreError> {
    let _gate = store.write_gate().await;
    let now = now_ms();
    // One statement: two instances taking an expired lease at once both reach the row's
    // lock; the second sees the first's fresh expiry in its WHERE and takes nothing.
    let row = sqlx::query(
        "INSERT INTO leases (name, owner, expires) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires = excluded.expires \
         WHERE leases.expires < $4 OR leases.owner = excluded.owner \
         RETURNING owner",
    )
    .bind(lease.name())
    .bind(owner.to_owned())
    .bind(now + ttl.as_millis() as i64)
    .bind(now)
    .fetch_optional(store.pool())
    .await?;
    Ok(row.is_some())
}

/// Gives `lease` back if `owner` holds it, so another instance may take it at once.
pub async fn release(store: &Store, lease: &Lease, owner: &str) -> Result<(), StoreError> {
    let _gate = store.write_gate().await;
    sqlx::query("DELETE FROM leases WHERE name = $1 AND owner = $2")
        .bind(lease.name())
        .bind(owner.to_owned())
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Who holds `lease`, expired or not; `None` when nobody took it or it was given back.
pub async fn holder(store: &Store, lease: &Lease) -> Result<Option<Holder>, StoreError> {
    let row = sqlx::query("SELECT owner, expires FROM leases WHERE name = $1")
        .bind(lease.name())
        .fetch_optional(store.pool())
        .await?;
    Ok(row
        .map(|r| -> Result<Holder, sqlx::Error> {
            Ok(Holder {
                owner: r.try_get(0)?,
                expires: r.try_get(1)?,
            })
        })
        .transpose()?)
}

/// Runs `work` while holding `lease` (already taken by `owner`), renewing it every third of
/// `ttl`, so a round longer than the lease never lets a second instance in beside it.
pub async fn renewing<T>(
    store: &Store,
    lease: &Lease,
    owner: &str,
    ttl: Duration,
    work: impl std::future::Future<Output = T>,
) -> T {
    tokio::pin!(work);
    let mut held = true;
    loop {
        tokio::select! {
            out = &mut work => return out,
            _ = tokio::time::sleep(ttl / 3), if held => {
                match take(store, lease, owner, ttl).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(lease = %lease.name(), "lease lost while its work ran");
                        held = false;
                    }
                    // The store away for a moment: the next beat tries again.
                    Err(e) => tracing::warn!(lease = %lease.name(), error = %e, "lease not renewed"),
                }
            }
        }
    }
}

/// Whether this instance holds a lease kept by [`keep`], as far as it can know: until the
/// expiry of its last successful take, measured from before that take was sent, so an
/// instance never believes it holds a lease another may already have taken over.
#[derive(Clone, Default)]
pub struct Held {
    until: Arc<Mutex<Option<Instant>>>,
}

impl Held {
    pub fn now(&self) -> bool {
        self.until
            .lock()
            .map(|u| u.is_some_and(|t| Instant::now() < t))
            .unwrap_or(false)
    }

    fn set(&self, until: Option<Instant>) {
        if let Ok(mut u) = self.until.lock() {
            *u = until;
        }
    }
}

/// Keeps trying to hold `lease` for `owner`: takes it when free or expired and renews it
/// every third of `ttl` while held, until `stop` turns true, then gives it back. `acquired`
/// is notified each time the lease is newly taken (so the work it guards starts at once after
/// a takeover). The task's handle is for awaiting the release on stop.
pub fn keep(
    store: Store,
    lease: Lease,
    owner: Arc<str>,
    ttl: Duration,
    acquired: Option<Arc<Notify>>,
    mut stop: watch::Receiver<bool>,
) -> (Held, JoinHandle<()>) {
    let held = Held::default();
    let flag = held.clone();
    let task = tokio::spawn(async move {
        let mut had = false;
        loop {
            if *stop.borrow() {
                break;
            }
            let sent = Instant::now();
            match take(&store, &lease, &owner, ttl).await {
                Ok(true) => {
                    flag.set(Some(sent + ttl));
                    if !had {
                        tracing::info!(lease = %lease.name(), "lease taken: this instance does its work now");
                        if let Some(n) = &acquired {
                            n.notify_one();
                        }
                    }
                    had = true;
                }
                Ok(false) => {
                    if had {
                        tracing::warn!(lease = %lease.name(), "lease taken over by another instance");
                    }
                    flag.set(None);
                    had = false;
                }
                // Unknown: the last take's expiry still stands, and `Held` runs out with it.
                Err(e) => tracing::warn!(lease = %lease.name(), error = %e, "lease not renewed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(ttl / 3) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
        }
        if had {
            flag.set(None);
            if let Err(e) = release(&store, &lease, &owner).await {
                tracing::warn!(lease = %lease.name(), error = %e, "lease not given back; it expires on its own");
            }
        }
    });
    (held, task)
}
