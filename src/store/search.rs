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
    let rows = bind_all(sqlx::query(sql), params)
        .fetch_all(store.pool())
        .await?;
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

/// One day's arrival-to-ERP times of the inbound messages that arrived that day (UTC) and
/// reached the ERP: how many, and the median, 95th percentile (nearest rank) and longest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayLatency {
    /// Days since the epoch (UTC).
    pub day: i64,
    pub delivered: i64,
    pub median_ms: i64,
    pub p95_ms: i64,
    pub max_ms: i64,
}

/// Per day since `since`, newest first: each message's time from its arrival to its first
/// `delivered` event (the deliver stage's commit; a replay's later one is not its way in),
/// ranked within its day by window functions, which SQLite (3.25+) and PostgreSQL share, so
/// the percentiles come from one statement and no row per message leaves the database.
pub async fn latency_per_day(store: &Store, since: i64) -> Result<Vec<DayLatency>, StoreError> {
    let rows = sqlx::query(
        "WITH l AS ( \
             SELECT m.created_at / 86400000 AS day, MIN(e.at) - m.created_at AS ms \
             FROM messages m JOIN events e ON e.message_id = m.id \
             WHERE m.created_at >= $1 AND m.direction = 'in' AND e.kind = 'delivered' \
             GROUP BY m.id, m.created_at), \
         r AS ( \
             SELECT day, ms, ROW_NUMBER() OVER (PARTITION BY day ORDER BY ms) AS rn, \
             COUNT(*) OVER (PARTITION BY day) AS n FROM l) \
         SELECT day, MAX(n), \
         MAX(CASE WHEN rn = (n + 1) / 2 THEN ms END), \
         MAX(CASE WHEN rn = (95 * n + 99) / 100 THEN ms END), \
         MAX(ms) \
         FROM r GROUP BY day ORDER BY day DESC",
    )
    .bind(since)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DayLatency {
                day: r.try_get(0)?,
                delivered: r.try_get(1)?,
                median_ms: r.try_get(2)?,
                p95_ms: r.try_get(3)?,
                max_ms: r.try_get(4)?,
            })
        })
        .collect()
}

/// One day's failed, rejected and quarantined messages, by the day they arrived (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayFailures {
    pub day: i64,
    pub failed: i64,
    pub rejected: i64,
    pub quarantined: i64,
}

/// Per day since `since`, newest first; days without a failure are left out.
pub async fn failures_per_day(store: &Store, since: i64) -> Result<Vec<DayFailures>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT created_at / 86400000 AS day, \
         SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN state = 'rejected' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN state = 'quarantined' THEN 1 ELSE 0 END) \
         FROM messages WHERE created_at >= $1 AND state IN {FAILED} \
         GROUP BY created_at / 86400000 ORDER BY day DESC"
    ));
    let rows = sqlx::query(sql).bind(since).fetch_all(store.pool()).await?;
    rows.iter()
        .map(|r| {
            Ok(DayFailures {
                day: r.try_get(0)?,
                failed: r.try_get(1)?,
                rejected: r.try_get(2)?,
                quarantined: r.try_get(3)?,
            })
        })
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

/// Per-partner cutoffs (Unix ms) for the acknowledgement windows: a message of a partner
/// listed counts as overdue when its time is before that partner's cutoff; any other
/// message's (no partner, or one no profile names) before `default`.
#[derive(Debug, Clone, Default)]
pub struct Cutoffs {
    pub partners: Vec<(String, i64)>,
    pub default: i64,
}

impl Cutoffs {
    /// `column < <the row's cutoff>` as SQL, its values pushed onto `params` (numbered from
    /// `params.len() + 1`): a `CASE` on the partner, each name and time a bound parameter.
    fn condition(&self, column: &str, partner: &str, params: &mut Vec<Param>) -> String {
        let mut next = |p: Param| {
            params.push(p);
            format!("${}", params.len())
        };
        if self.partners.is_empty() {
            return format!("{column} < {}", next(Param::Int(self.default)));
        }
        let mut sql = format!("{column} < CASE COALESCE({partner}, '')");
        for (name, cutoff) in &self.partners {
            let name = next(Param::Text(name.clone()));
            let cutoff = next(Param::Int(*cutoff));
            sql.push_str(&format!(" WHEN {name} THEN {cutoff}"));
        }
        sql.push_str(&format!(" ELSE {} END", next(Param::Int(self.default))));
        sql
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    params: Vec<Param>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for p in params {
        q = match p {
            Param::Text(t) => q.bind(t),
            Param::Int(i) => q.bind(i),
        };
    }
    q
}

/// Outbound X12/EDIFACT business documents Wharf sent that are still not acknowledged (no
/// 997/999/CONTRL came back for them): `WHERE` and what to order by.
const UNACKNOWLEDGED: &str = "state = 'sent' AND direction = 'out' \
     AND format IN ('x12', 'edifact') \
     AND doc_type NOT IN ('997', '999', 'TA1', 'CONTRL')";

/// Inbound orders (850, ORDERS) delivered with no order acknowledgement (855, ORDRSP) sent
/// for the same partner and reference. Only `m` is in the outer FROM, so bare column names
/// elsewhere in a statement are its own.
const UNANSWERED: &str = "m.direction = 'in' AND m.doc_type IN ('850', 'ORDERS') \
     AND m.state IN ('delivered', 'completed') AND m.reference IS NOT NULL \
     AND NOT EXISTS (SELECT 1 FROM messages o JOIN message_refs r ON r.message_id = o.id \
         WHERE o.direction = 'out' AND o.partner = m.partner \
         AND o.doc_type IN ('855', 'ORDRSP') \
         AND r.reference IN (SELECT reference FROM message_refs WHERE message_id = m.id))";

/// Documents Wharf sent and the partner has not acknowledged, last changed (sent) before
/// their partner's cutoff; the first 100.
pub async fn unacknowledged(store: &Store, cutoffs: &Cutoffs) -> Result<Vec<Message>, StoreError> {
    let mut params = Vec::new();
    let late = cutoffs.condition("updated_at", "partner", &mut params);
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM messages WHERE {UNACKNOWLEDGED} AND {late} ORDER BY id LIMIT 100",
        super::messages::COLUMNS
    ));
    let rows = bind_all(sqlx::query(sql), params)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(super::messages::from_row).collect()
}

/// Orders received before their partner's cutoff and not answered; the first 100.
pub async fn orders_unanswered(
    store: &Store,
    cutoffs: &Cutoffs,
) -> Result<Vec<Message>, StoreError> {
    let mut params = Vec::new();
    let late = cutoffs.condition("m.created_at", "m.partner", &mut params);
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM messages m WHERE {UNANSWERED} AND {late} ORDER BY m.id LIMIT 100",
        super::messages::COLUMNS
    ));
    let rows = bind_all(sqlx::query(sql), params)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(super::messages::from_row).collect()
}

/// How many of [`unacknowledged`] there are per partner (`''` for none), all of them.
pub async fn unacknowledged_per_partner(
    store: &Store,
    cutoffs: &Cutoffs,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut params = Vec::new();
    let late = cutoffs.condition("updated_at", "partner", &mut params);
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE(partner, ''), COUNT(*) FROM messages \
         WHERE {UNACKNOWLEDGED} AND {late} GROUP BY COALESCE(partner, '')"
    ));
    counts(store, sql, params).await
}

/// How many of [`orders_unanswered`] there are per partner (`''` for none), all of them.
pub async fn orders_unanswered_per_partner(
    store: &Store,
    cutoffs: &Cutoffs,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut params = Vec::new();
    let late = cutoffs.condition("m.created_at", "m.partner", &mut params);
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE(m.partner, ''), COUNT(*) FROM messages m \
         WHERE {UNANSWERED} AND {late} GROUP BY COALESCE(m.partner, '')"
    ));
    counts(store, sql, params).await
}

async fn counts(
    store: &Store,
    sql: sqlx::AssertSqlSafe<String>,
    params: Vec<Param>,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = bind_all(sqlx::query(sql), params)
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
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
