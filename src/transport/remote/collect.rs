//! Collection from partners' servers: one round lists a `[[collect]]` folder, leaves files
//! that are still growing, fetches the rest, stores each through the receive stage and only
//! then deletes or archives it remotely; each round's outcome goes to the channel's health
//! (`store::channel_health`) for the admin pages. `spawn` runs every profile's rounds on
//! their schedules, each folder in its own task, with backoff after failures.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::{ErrorKind, RemoteError, Session};
use crate::metrics::TransferDirection;
use crate::partners::channels::{AfterCollect, Protocol, Remote};
use crate::pipeline::Pipeline;
use crate::store::channel_health::{self, Attempt};
use crate::store::leases::{self, Lease};
use crate::store::messages::{Inbound, sha256_hex};
use crate::store::transfers::{self, NewTransfer};
use crate::store::{Channel, ChannelKind, Direction, StoreError};

/// Files larger than this are refused when the profile sets no `[limits] max_file_bytes`
/// (the bytes are held in memory between the download and the store).
const DEFAULT_MAX_BYTES: u64 = 256 << 20;

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Round {
    /// Stored as new messages.
    pub collected: Vec<crate::store::MessageId>,
    /// Found again after a stop between storing and removing; only removed this time.
    pub already_stored: usize,
    /// Left on the server for a later round (still changing, or too large).
    pub left: usize,
    /// Stored, but the server refused the removal or move (retried next round).
    pub not_removed: usize,
    /// Another instance was collecting this folder.
    pub busy: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// The channel a remote's files arrive on.
pub fn channel_of(remote: &Remote) -> Channel {
    match remote.protocol {
        Protocol::Sftp => Channel::Sftp,
        Protocol::Ftp | Protocol::Ftps | Protocol::FtpsImplicit => Channel::Ftp,
    }
}

/// How long the scheduler waits before a folder's next round: `every` after a success;
/// after the n-th failure in a row 10 s, 20 s, 40 s … (never later than `every`).
pub fn next_wait(every: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return every;
    }
    (Duration::from_secs(10) * 2u32.saturating_pow(failures.min(20) - 1)).min(every)
}

/// One collection round on one folder of `partner`, now, recorded in the channel's health
/// (`store::channel_health`) unless another instance had the folder. `failures_before` is
/// the scheduler's count of this folder's failed rounds in a row, from which the next
/// round's time is said; `None` when no schedule follows (`wharf collect`).
pub async fn collect_once(
    p: &Pipeline,
    partner: &str,
    remote: &Remote,
    failures_before: Option<u32>,
) -> Result<Round, CollectError> {
    let result = collect_leased(p, partner, remote).await;
    let error = match &result {
        // Another instance had the folder: its round is its to record.
        Ok(r) if r.busy => return result,
        Ok(_) => None,
        Err(e) => Some(e.to_string()),
    };
    let next_try_at = failures_before.map(|before| {
        let failures = if error.is_some() { before + 1 } else { 0 };
        crate::store::now_ms() + next_wait(remote.every, failures).as_millis() as i64
    });
    let attempt = match &error {
        None => Attempt::Succeeded,
        Some(e) => Attempt::Failed(e),
    };
    let url = remote.url();
    if let Err(e) = channel_health::record(
        &p.store,
        partner,
        ChannelKind::Collect,
        &url,
        attempt,
        next_try_at,
    )
    .await
    {
        // The round's own outcome stands; only what the pages show is behind.
        tracing::warn!(partner, server = %url, error = %e, "collection round not recorded in the channel's health");
    }
    result
}

async fn collect_leased(
    p: &Pipeline,
    partner: &str,
    remote: &Remote,
) -> Result<Round, CollectError> {
    let url = remote.url();
    let lease = Lease::Collect(url);
    let ttl = (p.settings.transfers.stall_timeout * 20).max(Duration::from_secs(60));
    if !leases::take(&p.store, &lease, &p.instance, ttl).await? {
        return Ok(Round {
            busy: true,
            ..Round::default()
        });
    }
    // Renewed while the round runs: a folder of many files may take longer than the lease.
    let result = leases::renewing(&p.store, &lease, &p.instance, ttl, async {
        let mut session = Session::open(&p.store, &p.settings, remote).await?;
        let round = round(p, partner, remote, &mut session).await;
        session.close().await;
        round
    })
    .await;
    // A round that broke off (no session, a listing or a download failed) is one failed
    // transfer; the files it moved before were counted as they went.
    if let Err(CollectError::Remote(e)) = &result {
        p.metrics.transfer_failed(
            &p.partner_label(Some(partner)),
            TransferDirection::Collect,
            remote.protocol.scheme(),
            e.kind.as_label(),
        );
    }
    leases::release(&p.store, &lease, &p.instance).await?;
    result
}

async fn round(
    p: &Pipeline,
    partner: &str,
    remote: &Remote,
    s: &mut Session,
) -> Result<Round, CollectError> {
    let mut out = Round::default();
    let wanted = |entries: Vec<super::Entry>| -> Vec<super::Entry> {
        entries
            .into_iter()
            .filter(|e| remote.pattern.matches(&e.name))
            .collect()
    };
    let first = wanted(s.list().await?);
    if first.is_empty() {
        return Ok(out);
    }
    // A file the partner is still writing grows between two listings: it waits a round.
    let entries = if remote.settle.is_zero() {
        first
    } else {
        tokio::time::sleep(remote.settle).await;
        let second = wanted(s.list().await?);
        let (stable, moving): (Vec<_>, Vec<_>) =
            first.into_iter().partition(|e| second.contains(e));
        out.left += moving.len();
        stable
    };
    let limit = p
        .partners
        .snapshot()
        .get(partner)
        .and_then(|pr| pr.limits.max_file_bytes)
        .unwrap_or(DEFAULT_MAX_BYTES);
    let url = remote.url();
    let label = p.partner_label(Some(partner));
    let protocol = remote.protocol.scheme();
    for e in entries {
        let bytes = match s.get(&e.name, limit).await {
            Ok(b) => b,
            Err(err) if err.kind == ErrorKind::TooLarge => {
                tracing::warn!(partner, server = %url, file = %e.name, limit, "file larger than the partner's limit; left on the server");
                p.metrics.transfer_failed(
                    &label,
                    TransferDirection::Collect,
                    protocol,
                    err.kind.as_label(),
                );
                out.left += 1;
                continue;
            }
            Err(err) => return Err(err.into()),
        };
        p.metrics
            .transfer_done(&label, TransferDirection::Collect, protocol, bytes.len());
        if e.size.is_some_and(|size| size != bytes.len() as u64) {
            // Changed between the listing and the download: next round.
            out.left += 1;
            continue;
        }
        let sha = sha256_hex(&bytes);
        if transfers::already_collected(&p.store, partner, &url, &e.name, &sha)
            .await?
            .is_some()
        {
            out.already_stored += 1;
        } else {
            let id = p
                .receive_collected(
                    &Inbound {
                        channel: channel_of(remote),
                        partner: Some(partner),
                        filename: Some(&e.name),
                        raw: &bytes,
                        trace: None,
                    },
                    &NewTransfer {
                        partner,
                        direction: Direction::In,
                        remote: &url,
                        name: &e.name,
                        size: bytes.len(),
                        sha256: &sha,
                    },
                )
                .await?;
            out.collected.push(id);
        }
        // Stored (now or in an earlier round): only now may the server's copy go.
        let removed = match remote.after {
            AfterCollect::Delete => s.remove(&e.name).await,
            AfterCollect::Archive => s.archive(&e.name).await,
        };
        if let Err(err) = removed {
            if err.server_down() {
                return Err(err.into());
            }
            tracing::warn!(partner, error = %err, "collected file not removed from the server; tried again next round");
            out.not_removed += 1;
        }
    }
    Ok(out)
}

/// Runs the `[[collect]]` schedules of every profile until `stop`: a folder's first round
/// at start, the next `every` later; after a failure, again after 10 s, 20 s, 40 s … (never
/// later than `every`). Profiles reloaded while running take effect at the next tick.
pub fn spawn(
    p: &Pipeline,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let p = p.clone();
    tokio::spawn(async move {
        struct Slot {
            due: Instant,
            failures: u32,
            running: bool,
        }
        let mut slots: HashMap<(String, String), Slot> = HashMap::new();
        let (done_tx, mut done_rx) =
            tokio::sync::mpsc::unbounded_channel::<((String, String), bool, Duration)>();
        // The rounds in hand: on stop they finish (each bounded by the transfer timeouts)
        // before this task ends, so nothing collects after the gateway says it has stopped.
        let mut rounds = tokio::task::JoinSet::new();
        loop {
            let snapshot = p.partners.snapshot();
            let mut live = Vec::new();
            for profile in snapshot.iter() {
                for remote in &profile.channels.collect {
                    let key = (profile.id.to_string(), remote.url());
                    live.push(key.clone());
                    let slot = slots.entry(key.clone()).or_insert(Slot {
                        due: Instant::now(),
                        failures: 0,
                        running: false,
                    });
                    if slot.running || slot.due > Instant::now() {
                        continue;
                    }
                    slot.running = true;
                    let (p, remote, done) = (p.clone(), remote.clone(), done_tx.clone());
                    let failures = slot.failures;
                    rounds.spawn(async move {
                        let partner = key.0.as_str();
                        let ok = match collect_once(&p, partner, &remote, Some(failures)).await {
                            Ok(r) => {
                                if !r.collected.is_empty() || r.left > 0 || r.not_removed > 0 {
                                    tracing::info!(partner, server = %key.1, collected = r.collected.len(), already = r.already_stored, left = r.left, not_removed = r.not_removed, "collection round");
                                }
                                true
                            }
                            Err(e) => {
                                tracing::warn!(partner, error = %e, "collection round failed; retried with backoff");
                                false
                            }
                        };
                        let _ = done.send((key, ok, remote.every));
                    });
                }
            }
            slots.retain(|k, s| s.running || live.contains(k));
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                Some((key, ok, every)) = done_rx.recv() => {
                    if let Some(slot) = slots.get_mut(&key) {
                        slot.running = false;
                        slot.failures = if ok { 0 } else { slot.failures + 1 };
                        slot.due = Instant::now() + next_wait(every, slot.failures);
                    }
                }
                _ = stop.wait_for(|s| *s) => break,
            }
            // Finished rounds leave the set as they end.
            while rounds.try_join_next().is_some() {}
        }
        while rounds.join_next().await.is_some() {}
    })
}
