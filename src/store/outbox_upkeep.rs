//! The business-event outbox's upkeep: retention (pruning events delivered everywhere and
//! older than `[events] retain_days`), what a replay from a sequence can no longer reach, and
//! the per-subscriber figures `/metrics` reads at each scrape.
//!
//! Pruning never touches `event_sequences`: numbers stay gap-free as written and are never
//! given out again, so a hole in what is stored is always a pruned range, and
//! [`missing_sequences`] can say exactly which.

use sqlx::Row;

use super::{Backend, Store, StoreError};

/// Events deleted per transaction: a large backlog is pruned in many short transactions
/// rather than one that holds its locks (and, on SQLite, the write gate) for minutes.
pub const PRUNE_BATCH: i64 = 500;

/// The events a prune may delete, as a condition on `e` (`business_events`): written before
/// `$1`, fanned out (or nobody subscribes, `$2 = 1`), and with no delivery that is not
/// delivered — so a dead letter, a delivery still retrying or a replay not yet delivered
/// keeps its event (an operator must see dead letters until they are redelivered).
const PRUNABLE: &str = "e.at < $1 AND (e.fanned_out = 1 OR $2 = 1) \
     AND NOT EXISTS (SELECT 1 FROM event_deliveries d \
                     WHERE d.event_id = e.id AND d.delivered_at IS NULL)";

/// What a prune found (or, dry, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Events deleted (or that would be), with their delivery rows.
    pub events: u64,
    /// Events older than the cutoff kept because a delivery of theirs is dead or pending.
    pub held: u64,
}

/// Deletes, in batches of [`PRUNE_BATCH`], the events written before `cutoff_ms` whose every
/// delivery is delivered, and their delivery rows; keeps their `dedup_key`s in
/// `event_keys_pruned`. `no_subscribers`: nobody subscribes, so events never fanned out are
/// not waiting for anyone either. Several instances may run it at once: on PostgreSQL each
/// batch locks its rows and skips others' (`SKIP LOCKED`), and every delete re-checks its
/// condition, so a second pruner deletes nothing twice and nothing it should keep.
pub async fn prune(
    store: &Store,
    cutoff_ms: i64,
    no_subscribers: bool,
) -> Result<Pruned, StoreError> {
    let lock = match store.backend() {
        Backend::Postgres => "FOR UPDATE OF e SKIP LOCKED",
        Backend::Sqlite => "",
    };
    // A cursor over (at, id) through the `business_events_at` index: events kept (a dead
    // letter) are passed once, not scanned again by every batch after them.
    let (mut after_at, mut after_id) = (i64::MIN, 0_i64);
    let mut pruned = 0;
    loop {
        let mut tx = store.begin().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT e.id, e.at FROM business_events e \
             WHERE {PRUNABLE} AND e.at >= $3 AND (e.at > $3 OR e.id > $4) \
             ORDER BY e.at, e.id LIMIT $5 {lock}"
        )))
        .bind(cutoff_ms)
        .bind(i64::from(no_subscribers))
        .bind(after_at)
        .bind(after_id)
        .bind(PRUNE_BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = rows.last() else {
            tx.rollback().await?;
            break;
        };
        (after_at, after_id) = (last.try_get(1)?, last.try_get(0)?);
        let mut ids = Vec::with_capacity(rows.len());
        for r in &rows {
            ids.push(r.try_get::<i64, _>(0)?.to_string());
        }
        // Ids are our own integers: listing them in the statement is safe, and one round trip.
        let ids = ids.join(",");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM event_deliveries WHERE event_id IN ({ids}) AND delivered_at IS NOT NULL"
        )))
        .execute(&mut *tx)
        .await?;
        // Only events with no delivery left: a replay committed after the select above made a
        // new (undelivered) row, and its event stays. The foreign key holds the same line.
        let gone = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM business_events WHERE id IN ({ids}) AND NOT EXISTS \
             (SELECT 1 FROM event_deliveries d WHERE d.event_id = business_events.id) \
             RETURNING dedup_key"
        )))
        .fetch_all(&mut *tx)
        .await?;
        for r in &gone {
            if let Some(key) = r.try_get::<Option<String>, _>(0)? {
                sqlx::query(
                    "INSERT INTO event_keys_pruned (dedup_key) VALUES ($1) \
                     ON CONFLICT (dedup_key) DO NOTHING",
                )
                .bind(key)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        pruned += gone.len() as u64;
        if rows.len() < PRUNE_BATCH as usize {
            break;
        }
    }
    // What is old and still here is held back by its deliveries (or was skipped as
    // another instance's batch, which that instance deletes).
    Ok(Pruned {
        events: pruned,
        held: count_old(store, cutoff_ms).await?,
    })
}

/// What [`prune`] would delete now, and what it would keep back; nothing is written.
pub async fn prune_dry(
    store: &Store,
    cutoff_ms: i64,
    no_subscribers: bool,
) -> Result<Pruned, StoreError> {
    let events = prunable(store, cutoff_ms, no_subscribers).await?;
    let old = count_old(store, cutoff_ms).await?;
    Ok(Pruned {
        events,
        held: old.saturating_sub(events),
    })
}

async fn prunable(store: &Store, cutoff_ms: i64, no_subscribers: bool) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM business_events e WHERE {PRUNABLE}"
    )))
    .bind(cutoff_ms)
    .bind(i64::from(no_subscribers))
    .fetch_one(store.pool())
    .await?
    .try_get(0)?;
    Ok(n.max(0) as u64)
}

async fn count_old(store: &Store, cutoff_ms: i64) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM business_events WHERE at < $1")
        .bind(cutoff_ms)
        .fetch_one(store.pool())
        .await?
        .try_get(0)?;
    Ok(n.max(0) as u64)
}

/// A partner's sequence from some number on, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceCoverage {
    /// The last number given out (0 when the partner has had none).
    pub last: i64,
    /// Inclusive ranges no longer stored (pruned), in order; at most [`MAX_RANGES`].
    pub missing: Vec<(i64, i64)>,
    /// Inclusive ranges still stored, in order; at most [`MAX_RANGES`].
    pub stored: Vec<(i64, i64)>,
    /// More ranges than listed.
    pub truncated: bool,
}

/// Ranges listed by [`missing_sequences`]: enough to act on, bounded for a terminal.
pub const MAX_RANGES: usize = 10;

/// Which of `partner`'s sequence numbers from `from` to its last are no longer stored (the
/// gateway's own events are partner `""`). Cheap when nothing is missing: one count.
pub async fn missing_sequences(
    store: &Store,
    partner: &str,
    from: i64,
) -> Result<SequenceCoverage, StoreError> {
    let last: i64 = sqlx::query("SELECT last FROM event_sequences WHERE partner = $1")
        .bind(partner.to_owned())
        .fetch_optional(store.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0);
    let from = from.max(1);
    let mut out = SequenceCoverage {
        last,
        missing: Vec::new(),
        stored: Vec::new(),
        truncated: false,
    };
    if from > last {
        return Ok(out);
    }
    let held: i64 =
        sqlx::query("SELECT COUNT(*) FROM business_events WHERE partner = $1 AND sequence >= $2")
            .bind(partner.to_owned())
            .bind(from)
            .fetch_one(store.pool())
            .await?
            .try_get(0)?;
    if held == last - from + 1 {
        out.stored.push((from, last));
        return Ok(out);
    }
    // The starts of the stored runs: a number whose predecessor is not stored. Each run's
    // end is found from the next start (or the last stored number).
    let starts = sqlx::query(
        "SELECT sequence, prev FROM (SELECT sequence, \
                LAG(sequence) OVER (ORDER BY sequence) AS prev \
                FROM business_events WHERE partner = $1 AND sequence >= $2) t \
         WHERE prev IS NULL OR sequence > prev + 1 ORDER BY sequence LIMIT $3",
    )
    .bind(partner.to_owned())
    .bind(from)
    .bind(MAX_RANGES as i64 + 1)
    .fetch_all(store.pool())
    .await?;
    let max_stored: Option<i64> = sqlx::query(
        "SELECT MAX(sequence) FROM business_events WHERE partner = $1 AND sequence >= $2",
    )
    .bind(partner.to_owned())
    .bind(from)
    .fetch_one(store.pool())
    .await?
    .try_get(0)?;
    let mut runs: Vec<(i64, Option<i64>)> = Vec::with_capacity(starts.len());
    for r in &starts {
        runs.push((r.try_get(0)?, r.try_get(1)?));
    }
    out.truncated = runs.len() > MAX_RANGES;
    runs.truncate(MAX_RANGES);
    let mut next_missing = from;
    for (i, (start, _)) in runs.iter().enumerate() {
        if *start > next_missing {
            out.missing.push((next_missing, start - 1));
        }
        // A run ends just before the next run's gap, or at the last stored number.
        let end = match starts.get(i + 1) {
            Some(r) => r.try_get::<Option<i64>, _>(1)?.unwrap_or(*start),
            None => max_stored.unwrap_or(*start),
        };
        out.stored.push((*start, end));
        next_missing = end + 1;
    }
    if !out.truncated && next_missing <= last {
        out.missing.push((next_missing, last));
    }
    out.missing.truncate(MAX_RANGES);
    Ok(out)
}

impl SequenceCoverage {
    /// Which of `partner`'s sequence numbers from `from` on were pruned and which remain, for an
    /// operator (the CLI, the admin page), e.g. "acme's events 1-40 were pruned (delivered, older
    /// than [events] retain_days = 30); from 3 on, what remains is 41-57; nothing is missing
    /// from sequence 41 on".
    pub fn explain(&self, partner: &str, from: i64, retain_days: u32) -> String {
        let c = self;
        let ranges = |r: &[(i64, i64)]| {
            let mut text: Vec<String> = r
                .iter()
                .map(|&(a, b)| {
                    if a == b {
                        a.to_string()
                    } else {
                        format!("{a}-{b}")
                    }
                })
                .collect();
            if c.truncated {
                text.push("…".to_owned());
            }
            text.join(", ")
        };
        let whose = if partner.is_empty() {
            "the gateway's own".to_owned()
        } else {
            format!("{partner}'s")
        };
        // Where a replay would miss nothing: just past the last pruned range, if anything is
        // stored after it.
        let whole_from = c
            .missing
            .last()
            .map(|&(_, end)| end + 1)
            .filter(|&n| n <= c.last && !c.truncated);
        let remains = match (c.stored.is_empty(), whole_from) {
            (true, _) => format!(
                "nothing from {from} on remains (the next event will be {})",
                c.last + 1
            ),
            (false, Some(n)) => format!(
                "from {from} on, what remains is {}; nothing is missing from sequence {n} on",
                ranges(&c.stored)
            ),
            (false, None) => format!("from {from} on, what remains is {}", ranges(&c.stored)),
        };
        format!(
            "{whose} events {} were pruned (delivered, older than [events] retain_days = \
         {retain_days}); {remains}",
            ranges(&c.missing)
        )
    }
}

/// One subscriber's deliveries at a scrape: fleet-wide, read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkBacklog {
    pub sink: String,
    /// Deliveries neither delivered nor dead (due, retrying, or claimed now).
    pub undelivered: i64,
    /// When the oldest of them was queued (fanned out, replayed or redelivered), Unix ms.
    pub oldest_queued_at: Option<i64>,
    /// Dead letters waiting for an operator.
    pub dead: i64,
}

/// Every sink that has undelivered or dead deliveries, by name. Two reads through the partial
/// indexes of the waiting and of the dead rows: the delivered history is never scanned.
pub async fn backlog_per_sink(store: &Store) -> Result<Vec<SinkBacklog>, StoreError> {
    let mut by_sink: std::collections::BTreeMap<String, SinkBacklog> = Default::default();
    let blank = |sink: &str| SinkBacklog {
        sink: sink.to_owned(),
        undelivered: 0,
        oldest_queued_at: None,
        dead: 0,
    };
    let waiting = sqlx::query(
        "SELECT sink, COUNT(*), MIN(queued_at) FROM event_deliveries \
         WHERE delivered_at IS NULL AND dead_at IS NULL GROUP BY sink",
    )
    .fetch_all(store.pool())
    .await?;
    for r in &waiting {
        let sink: String = r.try_get(0)?;
        let b = by_sink.entry(sink.clone()).or_insert_with(|| blank(&sink));
        b.undelivered = r.try_get(1)?;
        b.oldest_queued_at = r.try_get(2)?;
    }
    let dead = sqlx::query(
        "SELECT sink, COUNT(*) FROM event_deliveries WHERE dead_at IS NOT NULL GROUP BY sink",
    )
    .fetch_all(store.pool())
    .await?;
    for r in &dead {
        let sink: String = r.try_get(0)?;
        by_sink
            .entry(sink.clone())
            .or_insert_with(|| blank(&sink))
            .dead = r.try_get(1)?;
    }
    Ok(by_sink.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::SequenceCoverage;

    fn coverage(missing: &[(i64, i64)], stored: &[(i64, i64)], last: i64) -> SequenceCoverage {
        SequenceCoverage {
            last,
            missing: missing.to_vec(),
            stored: stored.to_vec(),
            truncated: false,
        }
    }

    #[test]
    fn an_explanation_names_what_is_gone_and_where_a_replay_may_start() {
        let c = coverage(&[(1, 40)], &[(41, 57)], 57);
        assert_eq!(
            c.explain("acme", 3, 30),
            "acme's events 1-40 were pruned (delivered, older than [events] retain_days = 30); \
             from 3 on, what remains is 41-57; nothing is missing from sequence 41 on"
        );
        // Everything from `from` on is gone: the next number is said instead.
        let c = coverage(&[(5, 9)], &[], 9);
        assert_eq!(
            c.explain("", 5, 7),
            "the gateway's own events 5-9 were pruned (delivered, older than [events] \
             retain_days = 7); nothing from 5 on remains (the next event will be 10)"
        );
        // A hole at the end: no number from which nothing is missing.
        let c = coverage(&[(2, 2), (6, 8)], &[(1, 1), (3, 5)], 8);
        let text = c.explain("acme", 1, 30);
        assert!(text.contains("events 2, 6-8 were pruned"), "{text}");
        assert!(text.ends_with("what remains is 1, 3-5"), "{text}");
    }
}
