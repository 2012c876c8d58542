//! Message search for the admin pages and the JSON API, and the dashboard's aggregates.
//!
//! Search must answer in well under 200 ms on a million messages: the statement is built from
//! the filters actually given (each a fixed SQL fragment with a bound parameter, never the
//! operator's text), so the planner picks the index of the most selective one, and pages are
//! keyset pages (`id < before`), never OFFSET, with no total count.

use sqlx::Row;

use super::{Direction, MessageId, MessageState, Store, StoreError, Tx, messages::Message};

/// What an operator searches by; every field optional.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub partner: Option<String>,
    pub doc_type: Option<String>,
    /// A PO, shipment or invoice number.
    pub reference: Option<String>,
    pub control_number: Option<String>,
    pub state: Option<MessageState>,
    pub direction: Option<Direction>,
    /// Unix ms, inclusive.
    pub from: Option<i64>,
    /// Unix ms, exclusive.
    pub to: Option<i64>,
    /// Only messages with a smaller id (the next page).
    pub before: Option<MessageId>,
    pub limit: i64,
}

enum Param {
    Text(String),
    Int(i64),
}

/// Newest first; at most `limit` (default 50; the pages and the API cap it at 500).
pub async fn search(store: &Store, s: &Search) -> Result<Vec<Message>, StoreError> {
    let mut sql = format!(
        "SELECT {} FROM messages WHERE 1 = 1",
        super::messages::COLUMNS
    );
    let mut params: Vec<Param> = Vec::new();
    let mut add = |sql: &mut String, fragment: &str, p: Param| {
        params.push(p);
        sql.push_str(&fragment.replace('?', &format!("${}", params.len())));
    };
    if let Some(v) = &s.partner {
        add(&mut sql, " AND partner = ?", Param::Text(v.clone()));
    }
    if let Some(v) = &s.doc_type {
        add(&mut sql, " AND doc_type = ?", Param::Text(v.clone()));
    }
    if let Some(v) = &s.reference {
        add(
            &mut sql,
            " AND id IN (SELECT message_id FROM message_refs WHERE reference = ?)",
            Param::Text(v.clone()),
        );
    }
    if let Some(v) = &s.control_number {
        add(&mut sql, " AND control_number = ?", Param::Text(v.clone()));
    }
    if let Some(v) = s.state {
        add(
            &mut sql,
            " AND state = ?",
            Param::Text(v.as_str().to_owned()),
        );
    }
    if let Some(v) = s.direction {
        add(
            &mut sql,
            " AND direction = ?",
            Param::Text(v.as_str().to_owned()),
        );
    }
    if let Some(v) = s.from {
        add(&mut sql, " AND created_at >= ?", Param::Int(v));
    }
    if let Some(v) = s.to {
        add(&mut sql, " AND created_at < ?", Param::Int(v));
    }
    if let Some(v) = s.before {
        add(&mut sql, " AND id < ?", Param::Int(v.get()));
    }
    let limit = if s.limit > 0 { s.limit } else { 50 };
    add(&mut sql, " ORDER BY id DESC LIMIT ?", Param::Int(limit));
    // Every fragment above is a constant; values travel as parameters.
    let sql = sqlx::AssertSqlSafe(sql);
    let mut q = sqlx::query(sql);
    for p in params {
        q = match p {
            Param::Text(t) => q.bind(t),
            Param::Int(i) => q.bind(i),
        };
    }
    let rows = q.fetch_all(store.pool()).await?;
    rows.iter().map(super::messages::from_row).collect()
}

/// Records a message's business references (PO, shipment, invoice numbers) for search, and
/// the first of them (with how many more) for display.
pub async fn set_references(
    tx: &mut Tx,
    message_id: MessageId,
    refs: &[&str],
) -> Result<(), StoreError> {
    let mut seen: Vec<&str> = Vec::new();
    for r in refs {
        let r = r.trim();
        if r.is_empty() || seen.contains(&r) {
            continue;
        }
        seen.push(r);
        sqlx::query(
            "INSERT INTO message_refs (reference, message_id) VALUES ($1, $2) \
             ON CONFLICT (reference, message_id) DO NOTHING",
        )
        .bind(r.to_owned())
        .bind(message_id.get())
        .execute(&mut **tx)
        .await?;
    }
    if let Some(first) = seen.first() {
        let shown = match seen.len() {
            1 => (*first).to_owned(),
            n => format!("{first} (+{})", n - 1),
        };
        sqlx::query("UPDATE messages SET reference = $1 WHERE id = $2")
            .bind(shown)
            .bind(message_id.get())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Messages per (bucket, direction, failed) since `since`: for the traffic tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traffic {
    pub key: String,
    pub doc_type: String,
    pub inbound: i64,
    pub outbound: i64,
    pub failed: i64,
}

const FAILED: &str = "('failed', 'rejected', 'quarantined')";

/// Per day (UTC, `YYYY-MM-DD` computed by the caller from the day number) since `since`.
pub async fn per_day(store: &Store, since: i64) -> Result<Vec<(i64, i64, i64, i64)>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT created_at / 86400000 AS day, \
         SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN state IN {FAILED} THEN 1 ELSE 0 END) \
         FROM messages WHERE created_at >= $1 GROUP BY created_at / 86400000 ORDER BY day DESC"
    ));
    let rows = sqlx::query(sql).bind(since).fetch_all(store.pool()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect()
}

/// Per partner and document type since `since`.
pub async fn per_partner(store: &Store, since: i64) -> Result<Vec<Traffic>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE(partner, '?'), COALESCE(doc_type, '?'), \
         SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN state IN {FAILED} THEN 1 ELSE 0 END) \
         FROM messages WHERE created_at >= $1 \
         GROUP BY COALESCE(partner, '?'), COALESCE(doc_type, '?') ORDER BY 1, 2"
    ));
    let rows = sqlx::query(sql).bind(since).fetch_all(store.pool()).await?;
    rows.iter()
        .map(|r| {
            Ok(Traffic {
                key: r.try_get(0)?,
                doc_type: r.try_get(1)?,
                inbound: r.try_get(2)?,
                outbound: r.try_get(3)?,
                failed: r.try_get(4)?,
            })
        })
        .collect()
}

/// Failed, rejected and quarantined messages since `since`, grouped by state and reason.
pub async fn failures(store: &Store, since: i64) -> Result<Vec<(String, String, i64)>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT state, COALESCE(error, ''), COUNT(*) FROM messages \
         WHERE created_at >= $1 AND state IN {FAILED} \
         GROUP BY state, COALESCE(error, '') ORDER BY 3 DESC LIMIT 25"
    ));
    let rows = sqlx::query(sql).bind(since).fetch_all(store.pool()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// Outbound X12/EDIFACT business documents sent before `before` and still not acknowledged
/// (no 997/999/CONTRL came back for them).
pub async fn unacknowledged(store: &Store, before: i64) -> Result<Vec<Message>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM messages WHERE state = 'sent' AND direction = 'out' \
         AND format IN ('x12', 'edifact') \
         AND doc_type NOT IN ('997', '999', 'TA1', 'CONTRL') AND updated_at < $1 \
         ORDER BY id LIMIT 100",
        super::messages::COLUMNS
    ));
    let rows = sqlx::query(sql)
        .bind(before)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(super::messages::from_row).collect()
}

/// Inbound orders (850, ORDERS) received before `before` with no order acknowledgement
/// (855, ORDRSP) sent for the same partner and reference.
pub async fn orders_unanswered(store: &Store, before: i64) -> Result<Vec<Message>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM messages m WHERE m.direction = 'in' AND m.doc_type IN ('850', 'ORDERS') \
         AND m.state IN ('delivered', 'completed') AND m.created_at < $1 AND m.reference IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM messages o JOIN message_refs r ON r.message_id = o.id \
             WHERE o.direction = 'out' AND o.partner = m.partner \
             AND o.doc_type IN ('855', 'ORDRSP') \
             AND r.reference IN (SELECT reference FROM message_refs WHERE message_id = m.id)) \
         ORDER BY m.id LIMIT 100",
        // Only `m` is in the outer FROM, so the bare column names are its own.
        super::messages::COLUMNS
    ));
    let rows = sqlx::query(sql)
        .bind(before)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(super::messages::from_row).collect()
}

/// The oldest job waiting to run (its `run_at`), when one is due.
pub async fn oldest_ready(store: &Store, now: i64) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT MIN(run_at) FROM jobs WHERE state = 'ready' AND run_at <= $1")
        .bind(now)
        .fetch_one(store.pool())
        .await?;
    Ok(row.try_get::<Option<i64>, _>(0)?)
}

/// Dead jobs with their message's partner and document type, newest first.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub job_id: i64,
    pub message_id: MessageId,
    pub stage: String,
    pub reason: String,
    pub attempts: i64,
    pub since: i64,
    pub partner: String,
    pub doc_type: String,
}

pub async fn dead_letters(store: &Store, limit: i64) -> Result<Vec<DeadLetter>, StoreError> {
    let rows = sqlx::query(
        "SELECT j.id, j.message_id, j.stage, COALESCE(j.last_error, ''), j.attempts, j.updated_at, \
         COALESCE(m.partner, ''), COALESCE(m.doc_type, '') \
         FROM jobs j JOIN messages m ON m.id = j.message_id \
         WHERE j.state = 'dead' ORDER BY j.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DeadLetter {
                job_id: r.try_get(0)?,
                message_id: MessageId::new(r.try_get(1)?),
                stage: r.try_get(2)?,
                reason: r.try_get(3)?,
                attempts: r.try_get(4)?,
                since: r.try_get(5)?,
                partner: r.try_get(6)?,
                doc_type: r.try_get(7)?,
            })
        })
        .collect()
}
