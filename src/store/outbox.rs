//! The business-event outbox: events written in the transaction of the change that caused
//! them, fanned out to one delivery row per subscriber, claimed and settled by the
//! dispatcher (`crate::events`), replayed on request.
//!
//! Delivery is at least once: a row is settled only after the subscriber took it (a 2xx, a
//! JetStream acknowledgement), so a dispatcher killed in between delivers it again, under the
//! same event id. Rows are claimed by moving `next_at` forward (as `as2_mdn_outbox` is), so
//! instances sharing a database never deliver one row at the same time.

use sqlx::Row;

use super::{Backend, MessageId, Store, StoreError, Tx, now_ms};
use crate::model::BusinessEventKind;
use crate::util::traceparent::TraceParent;

/// An event to write, inside the caller's transaction.
#[derive(Debug, Clone)]
pub struct NewBusinessEvent<'a> {
    pub kind: BusinessEventKind,
    /// The partner it concerns; `None` for the gateway's own (its certificates).
    pub partner: Option<&'a str>,
    pub message_id: Option<MessageId>,
    /// The event's own fields (`data` in the JSON), as documented per type in
    /// `docs/events.schema.json`.
    pub data: serde_json::Value,
    /// Set by periodic checks: an event with a key already written is not written again.
    pub dedup_key: Option<String>,
}

/// A committed event.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessEvent {
    pub id: i64,
    pub at: i64,
    pub kind: BusinessEventKind,
    /// `None` for the gateway's own events.
    pub partner: Option<String>,
    pub sequence: i64,
    pub message_id: Option<MessageId>,
    pub data: serde_json::Value,
    /// The trace of the message it concerns (`None` for the gateway's own events and those
    /// written before traces were kept): sent as the webhook's `traceparent`, and its trace id
    /// in the envelope, so a subscriber's work joins the message's trace.
    pub trace: Option<TraceParent>,
}

impl BusinessEvent {
    /// The event as every subscriber receives it (webhook body, NATS payload, the CLI's
    /// lines): the same fields in the same order for one event, whoever renders it.
    pub fn json(&self) -> String {
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(self.at as i128 * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        // A struct, not a map, so the field order is the documented one.
        #[derive(serde::Serialize)]
        struct Wire<'a> {
            id: i64,
            #[serde(rename = "type")]
            kind: &'a str,
            partner: Option<&'a str>,
            sequence: i64,
            occurred_at: String,
            message_id: Option<i64>,
            trace_id: Option<String>,
            data: &'a serde_json::Value,
        }
        serde_json::to_string(&Wire {
            id: self.id,
            kind: self.kind.as_str(),
            partner: self.partner.as_deref(),
            sequence: self.sequence,
            occurred_at: at,
            message_id: self.message_id.map(|m| m.get()),
            trace_id: self.trace.map(|t| t.trace_id_hex()),
            data: &self.data,
        })
        .unwrap_or_default()
    }
}

/// What [`emit`] wrote: the event's id and its place in its partner's sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Emitted {
    pub id: i64,
    pub sequence: i64,
}

/// Writes an event in `tx`. `None` when its `dedup_key` was written before (nothing written,
/// no sequence number used).
pub async fn emit(tx: &mut Tx, e: &NewBusinessEvent<'_>) -> Result<Option<Emitted>, StoreError> {
    let partner = e.partner.unwrap_or("");
    // The sequence first: its row lock orders this partner's events, so a check of the
    // dedup key made after it sees whatever another instance committed meanwhile.
    let sequence: i64 = sqlx::query(
        "INSERT INTO event_sequences (partner, last) VALUES ($1, 1) \
         ON CONFLICT (partner) DO UPDATE SET last = event_sequences.last + 1 RETURNING last",
    )
    .bind(partner.to_owned())
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    if let Some(key) = &e.dedup_key {
        // A pruned event's key is kept (`event_keys_pruned`, written in the prune's
        // transaction), so a condition that outlives the retention is not told again.
        let seen = sqlx::query(
            "SELECT 1 FROM business_events WHERE dedup_key = $1 \
             UNION ALL SELECT 1 FROM event_keys_pruned WHERE dedup_key = $1",
        )
        .bind(key.clone())
        .fetch_optional(&mut **tx)
        .await?;
        if seen.is_some() {
            sqlx::query("UPDATE event_sequences SET last = last - 1 WHERE partner = $1")
                .bind(partner.to_owned())
                .execute(&mut **tx)
                .await?;
            return Ok(None);
        }
    }
    let id: i64 = sqlx::query(
        "INSERT INTO business_events (at, type, partner, sequence, message_id, data, dedup_key, \
         traceparent) VALUES ($1, $2, $3, $4, $5, $6, $7, \
         (SELECT m.traceparent FROM messages m WHERE m.id = $5)) RETURNING id",
    )
    .bind(now_ms())
    .bind(e.kind.as_str())
    .bind(partner.to_owned())
    .bind(sequence)
    .bind(e.message_id.map(|m| m.get()))
    .bind(e.data.to_string())
    .bind(e.dedup_key.clone())
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    Ok(Some(Emitted { id, sequence }))
}

/// Writes an event in a transaction of its own (periodic checks, profile reloads), taking
/// another instance's racing write of the same `dedup_key` as already done.
pub async fn emit_alone(
    store: &Store,
    e: &NewBusinessEvent<'_>,
) -> Result<Option<Emitted>, StoreError> {
    let mut tx = store.begin().await?;
    let out = emit(&mut tx, e).await;
    match out {
        Ok(done) => {
            tx.commit().await?;
            Ok(done)
        }
        Err(StoreError::Database(sqlx::Error::Database(db)))
            if db.is_unique_violation() && e.dedup_key.is_some() =>
        {
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

/// A subscriber as the fan-out sees it: its name and the types it takes (`None`: all).
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub name: String,
    pub kinds: Option<Vec<BusinessEventKind>>,
}

impl Subscriber {
    fn takes(&self, kind: BusinessEventKind) -> bool {
        self.kinds.as_ref().is_none_or(|k| k.contains(&kind))
    }
}

/// Makes one delivery row per subscriber for up to `limit` events not yet fanned out, oldest
/// first; returns how many events it took. Instances on PostgreSQL skip each other's rows.
pub async fn fan_out(
    store: &Store,
    subscribers: &[Subscriber],
    limit: i64,
) -> Result<usize, StoreError> {
    let lock = match store.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let mut tx = store.begin().await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, type FROM business_events WHERE fanned_out = 0 ORDER BY id LIMIT $1 {lock}"
    )))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        tx.rollback().await?;
        return Ok(0);
    }
    let now = now_ms();
    for row in &rows {
        let id: i64 = row.try_get(0)?;
        let kind = kind_of(row.try_get(1)?)?;
        for s in subscribers.iter().filter(|s| s.takes(kind)) {
            sqlx::query(
                "INSERT INTO event_deliveries (event_id, sink, round, next_at, queued_at) \
                 VALUES ($1, $2, 0, $3, $3) ON CONFLICT (event_id, sink, round) DO NOTHING",
            )
            .bind(id)
            .bind(s.name.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE business_events SET fanned_out = 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

fn kind_of(text: String) -> Result<BusinessEventKind, StoreError> {
    BusinessEventKind::parse(&text).ok_or(StoreError::Corrupt {
        column: "type",
        value: text,
    })
}

/// A delivery row claimed for delivery, with its event.
#[derive(Debug, Clone)]
pub struct Due {
    pub delivery_id: i64,
    /// Attempts including this one.
    pub attempts: i64,
    pub round: i64,
    pub event: BusinessEvent,
}

const EVENT_COLUMNS: &str = "id, at, type, partner, sequence, message_id, data, traceparent";

fn event_from_row(r: &sqlx::any::AnyRow) -> Result<BusinessEvent, StoreError> {
    let partner: String = r.try_get("partner")?;
    let data: String = r.try_get("data")?;
    Ok(BusinessEvent {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        kind: kind_of(r.try_get("type")?)?,
        partner: (!partner.is_empty()).then_some(partner),
        sequence: r.try_get("sequence")?,
        message_id: r
            .try_get::<Option<i64>, _>("message_id")?
            .map(MessageId::new),
        data: serde_json::from_str(&data).map_err(|_| StoreError::Corrupt {
            column: "data",
            value: data,
        })?,
        trace: r
            .try_get::<Option<String>, _>("traceparent")?
            .as_deref()
            .and_then(TraceParent::parse),
    })
}

/// Claims up to `limit` due deliveries of `sink`, oldest event first, holding them `hold_ms`
/// against other dispatchers; each claim counts as an attempt.
pub async fn claim(
    store: &Store,
    sink: &str,
    hold_ms: i64,
    limit: i64,
) -> Result<Vec<Due>, StoreError> {
    let _gate = store.write_gate().await;
    let now = now_ms();
    // The outer `next_at <= $2` is checked again by PostgreSQL on a row another instance
    // claimed meanwhile, so that row is skipped, not claimed twice.
    let claimed = sqlx::query(
        "UPDATE event_deliveries SET next_at = $1, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM event_deliveries WHERE sink = $3 AND delivered_at IS NULL \
                      AND dead_at IS NULL AND next_at <= $2 ORDER BY event_id, id LIMIT $4) \
           AND next_at <= $2 AND delivered_at IS NULL AND dead_at IS NULL \
         RETURNING id, event_id, attempts, round",
    )
    .bind(now.saturating_add(hold_ms))
    .bind(now)
    .bind(sink.to_owned())
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let mut wanted = Vec::with_capacity(claimed.len());
    for r in &claimed {
        wanted.push((
            r.try_get::<i64, _>(0)?,
            r.try_get::<i64, _>(1)?,
            r.try_get::<i64, _>(2)?,
            r.try_get::<i64, _>(3)?,
        ));
    }
    // Ids are our own integers: listing them in the statement is safe, and one round trip.
    let ids: Vec<String> = wanted.iter().map(|w| w.1.to_string()).collect();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {EVENT_COLUMNS} FROM business_events WHERE id IN ({})",
        ids.join(",")
    )))
    .fetch_all(store.pool())
    .await?;
    let mut events = std::collections::HashMap::with_capacity(rows.len());
    for r in &rows {
        let e = event_from_row(r)?;
        events.insert(e.id, e);
    }
    let mut due: Vec<Due> = wanted
        .into_iter()
        .filter_map(|(delivery_id, event_id, attempts, round)| {
            events.get(&event_id).map(|e| Due {
                delivery_id,
                attempts,
                round,
                event: e.clone(),
            })
        })
        .collect();
    due.sort_by_key(|d| (d.event.id, d.delivery_id));
    Ok(due)
}

/// The subscriber took the delivery.
pub async fn delivered(store: &Store, delivery_id: i64) -> Result<(), StoreError> {
    let _gate = store.write_gate().await;
    sqlx::query("UPDATE event_deliveries SET delivered_at = $1, last_error = NULL WHERE id = $2")
        .bind(now_ms())
        .bind(delivery_id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The subscriber did not take it: due again at `next_at`, or a dead letter when `dead`.
pub async fn failed(
    store: &Store,
    delivery_id: i64,
    error: &str,
    next_at: i64,
    dead: bool,
) -> Result<(), StoreError> {
    let _gate = store.write_gate().await;
    sqlx::query(
        "UPDATE event_deliveries SET last_error = $1, next_at = $2, dead_at = $3 WHERE id = $4",
    )
    .bind(error.chars().take(500).collect::<String>())
    .bind(next_at)
    .bind(dead.then(now_ms))
    .bind(delivery_id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Which events to list or replay.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub partner: Option<String>,
    /// Events at or after this time (Unix ms).
    pub since_ms: Option<i64>,
    /// Events at or after this sequence number (of `partner`'s sequence).
    pub from_sequence: Option<i64>,
    pub kind: Option<BusinessEventKind>,
    pub limit: i64,
}

impl Selection {
    /// The WHERE clause and its text arguments, numbered from `$1`.
    fn clause(&self) -> (String, Vec<Arg>) {
        let mut parts = vec!["1 = 1".to_owned()];
        let mut args = Vec::new();
        if let Some(p) = &self.partner {
            args.push(Arg::Text(p.clone()));
            parts.push(format!("partner = ${}", args.len()));
        }
        if let Some(t) = self.since_ms {
            args.push(Arg::Int(t));
            parts.push(format!("at >= ${}", args.len()));
        }
        if let Some(s) = self.from_sequence {
            args.push(Arg::Int(s));
            parts.push(format!("sequence >= ${}", args.len()));
        }
        if let Some(k) = self.kind {
            args.push(Arg::Text(k.as_str().to_owned()));
            parts.push(format!("type = ${}", args.len()));
        }
        (parts.join(" AND "), args)
    }
}

enum Arg {
    Text(String),
    Int(i64),
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for a in args {
        q = match a {
            Arg::Text(t) => q.bind(t),
            Arg::Int(i) => q.bind(i),
        };
    }
    q
}

/// Events matching `s`, oldest first (by id), at most `s.limit`.
pub async fn list(store: &Store, s: &Selection) -> Result<Vec<BusinessEvent>, StoreError> {
    let (clause, args) = s.clause();
    let n = args.len() + 1;
    let q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {EVENT_COLUMNS} FROM business_events WHERE {clause} ORDER BY id LIMIT ${n}"
    )));
    let rows = bind_all(q, args)
        .bind(s.limit.max(1))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(event_from_row).collect()
}

/// Delivers the events matching `s` again to each of `sinks`: a new delivery row per event
/// and sink (the next `round`), taken by the dispatcher as any other. Returns the rows made.
/// In the caller's transaction, beside its audit record.
pub async fn replay(tx: &mut Tx, s: &Selection, sinks: &[String]) -> Result<u64, StoreError> {
    let (clause, args) = s.clause();
    let mut made = 0;
    for sink in sinks {
        let n = args.len();
        let q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO event_deliveries (event_id, sink, round, next_at, queued_at) \
             SELECT e.id, ${s}, COALESCE((SELECT MAX(d.round) FROM event_deliveries d \
                    WHERE d.event_id = e.id AND d.sink = ${s}), -1) + 1, ${t}, ${t} \
             FROM business_events e WHERE e.id IN (SELECT id FROM business_events WHERE {clause} \
                    ORDER BY id LIMIT ${l})",
            s = n + 1,
            t = n + 2,
            l = n + 3,
        )));
        let args = s.clause().1;
        made += bind_all(q, args)
            .bind(sink.clone())
            .bind(now_ms())
            .bind(s.limit.max(1))
            .execute(&mut **tx)
            .await?
            .rows_affected();
    }
    Ok(made)
}

/// A delivery that ran out of attempts, for the admin pages.
#[derive(Debug, Clone)]
pub struct DeadDelivery {
    pub delivery_id: i64,
    pub sink: String,
    pub attempts: i64,
    pub dead_at: i64,
    pub last_error: Option<String>,
    pub event: BusinessEvent,
}

/// The most recent dead deliveries, newest first.
pub async fn dead_letters(store: &Store, limit: i64) -> Result<Vec<DeadDelivery>, StoreError> {
    let rows = sqlx::query(
        "SELECT d.id AS delivery_id, d.sink, d.attempts, d.dead_at, d.last_error, \
                e.id, e.at, e.type, e.partner, e.sequence, e.message_id, e.data, e.traceparent \
         FROM event_deliveries d JOIN business_events e ON e.id = d.event_id \
         WHERE d.dead_at IS NOT NULL ORDER BY d.dead_at DESC, d.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DeadDelivery {
                delivery_id: r.try_get("delivery_id")?,
                sink: r.try_get("sink")?,
                attempts: r.try_get("attempts")?,
                dead_at: r.try_get("dead_at")?,
                last_error: r.try_get("last_error")?,
                event: event_from_row(r)?,
            })
        })
        .collect()
}

/// An operator sends a dead delivery again: due now, its attempts counted afresh. `false`
/// when it is not a dead letter (already redelivered). In the caller's transaction.
pub async fn redeliver(tx: &mut Tx, delivery_id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE event_deliveries SET dead_at = NULL, attempts = 0, next_at = $1, queued_at = $1 \
         WHERE id = $2 AND dead_at IS NOT NULL",
    )
    .bind(now_ms())
    .bind(delivery_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deliveries by state for one sink: (waiting, delivered, dead). For `/metrics` and the
/// admin page.
pub async fn counts(store: &Store) -> Result<Vec<(String, i64, i64, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT sink, \
           SUM(CASE WHEN delivered_at IS NULL AND dead_at IS NULL THEN 1 ELSE 0 END), \
           SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END), \
           SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END) \
         FROM event_deliveries GROUP BY sink ORDER BY sink",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect()
}

/// A claimed delivery not tried (an earlier one of its batch failed): due again at
/// `next_at`, the claim not counted as an attempt.
pub async fn give_back(store: &Store, delivery_id: i64, next_at: i64) -> Result<(), StoreError> {
    let _gate = store.write_gate().await;
    sqlx::query(
        "UPDATE event_deliveries SET attempts = attempts - 1, next_at = $1 \
         WHERE id = $2 AND delivered_at IS NULL AND attempts > 0",
    )
    .bind(next_at)
    .bind(delivery_id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// The newest events matching `s`, newest first, at most `s.limit`: the admin page's look.
pub async fn latest(store: &Store, s: &Selection) -> Result<Vec<BusinessEvent>, StoreError> {
    let (clause, args) = s.clause();
    let n = args.len() + 1;
    let q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {EVENT_COLUMNS} FROM business_events WHERE {clause} ORDER BY id DESC LIMIT ${n}"
    )));
    let rows = bind_all(q, args)
        .bind(s.limit.max(1))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(event_from_row).collect()
}
