//! AS2 messages by their Message-ID (`as2_messages`): a partner's Message-ID seen again is
//! answered from here and never processed twice; what Wharf sends is tracked here until its
//! MDN arrives, and the Message-ID it goes out under is allocated here before the first POST
//! (`as2_send_ids`) so retries reuse it.

use sqlx::Row;

use super::{Direction, MessageId, Store, StoreError, Tx, now_ms};

/// One AS2 message of a partner's, in or out.
#[derive(Debug, Clone, serde::Serialize)]
pub struct As2Record {
    pub partner: String,
    pub direction: Direction,
    pub as2_message_id: String,
    /// Wharf's message the payload is.
    pub message_id: MessageId,
    pub mic: Option<String>,
    pub mic_alg: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct NewAs2<'a> {
    pub partner: &'a str,
    pub direction: Direction,
    pub as2_message_id: &'a str,
    pub mic: Option<&'a str>,
    pub mic_alg: Option<&'a str>,
    /// What the MDN said, when it is known at once (a synchronous MDN).
    pub mdn: Option<&'a str>,
}

/// Records the AS2 message `message_id` carried, in the caller's transaction. A second
/// record of the same (partner, direction, Message-ID) fails with [`StoreError::Duplicate`].
pub async fn record(tx: &mut Tx, message_id: MessageId, a: &NewAs2<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO as2_messages (partner, direction, as2_message_id, message_id, mic, mic_alg, created_at, mdn, mdn_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(a.partner.to_owned())
    .bind(a.direction.as_str())
    .bind(a.as2_message_id.to_owned())
    .bind(message_id.get())
    .bind(a.mic.map(str::to_owned))
    .bind(a.mic_alg.map(str::to_owned))
    .bind(now_ms())
    .bind(a.mdn.map(str::to_owned))
    .bind(a.mdn.map(|_| now_ms()))
    .execute(&mut **tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Duplicate {
            what: "the AS2 Message-ID",
            source: e,
        },
        _ => StoreError::Database(e),
    })?;
    Ok(())
}

/// Records a message Wharf sent (its POST taken), in the caller's transaction. The same
/// Message-ID sent again (a resend after a missing asynchronous MDN reuses it) updates the
/// record: its MIC, its MDN (or none yet), the time of this send, one send more.
pub async fn record_sent(
    tx: &mut Tx,
    message_id: MessageId,
    a: &NewAs2<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO as2_messages (partner, direction, as2_message_id, message_id, mic, mic_alg, created_at, mdn, mdn_at, sends) \
         VALUES ($1, 'out', $2, $3, $4, $5, $6, $7, $8, 1) \
         ON CONFLICT (partner, direction, as2_message_id) DO UPDATE SET \
         mic = excluded.mic, mic_alg = excluded.mic_alg, created_at = excluded.created_at, \
         mdn = excluded.mdn, mdn_at = excluded.mdn_at, sends = as2_messages.sends + 1",
    )
    .bind(a.partner.to_owned())
    .bind(a.as2_message_id.to_owned())
    .bind(message_id.get())
    .bind(a.mic.map(str::to_owned))
    .bind(a.mic_alg.map(str::to_owned))
    .bind(now_ms())
    .bind(a.mdn.map(str::to_owned))
    .bind(a.mdn.map(|_| now_ms()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The Message-ID message `message_id` is sent to `partner` under: the one allocated for an
/// earlier attempt, or a new one, committed before this returns, so that a retry — after a
/// refused POST, an unreadable MDN or a crash mid-POST — goes out under the same ID.
pub async fn send_id(
    store: &Store,
    partner: &str,
    message_id: MessageId,
) -> Result<String, StoreError> {
    let fresh = format!("<{}@wharf>", uuid::Uuid::new_v4().simple());
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO as2_send_ids (message_id, partner, as2_message_id, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (message_id) DO NOTHING",
    )
    .bind(message_id.get())
    .bind(partner.to_owned())
    .bind(fresh)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query("SELECT as2_message_id FROM as2_send_ids WHERE message_id = $1")
        .bind(message_id.get())
        .fetch_one(&mut *tx)
        .await?;
    let id: String = row.try_get(0)?;
    tx.commit().await?;
    Ok(id)
}

/// Lets message `message_id`'s Message-ID go once an MDN settled its send: a later send of
/// it (an operator's replay) is a new message with a new Message-ID.
pub async fn release_send_id(tx: &mut Tx, message_id: MessageId) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM as2_send_ids WHERE message_id = $1")
        .bind(message_id.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records the asynchronous MDN of a message Wharf sent; the message it belongs to, or
/// `None` when no such Message-ID awaits one.
pub async fn record_mdn(
    store: &Store,
    partner: &str,
    as2_message_id: &str,
    mdn: &str,
) -> Result<Option<(MessageId, Option<String>, Option<String>)>, StoreError> {
    let row = sqlx::query(
        "UPDATE as2_messages SET mdn = $1, mdn_at = $2 \
         WHERE partner = $3 AND direction = 'out' AND as2_message_id = $4 AND mdn_at IS NULL \
         RETURNING message_id, mic, mic_alg",
    )
    .bind(mdn.to_owned())
    .bind(now_ms())
    .bind(partner.to_owned())
    .bind(as2_message_id.to_owned())
    .fetch_optional(store.pool())
    .await?;
    row.map(|r| Ok((MessageId::new(r.try_get(0)?), r.try_get(1)?, r.try_get(2)?)))
        .transpose()
}

/// Messages Wharf sent that still await an asynchronous MDN, sent before `before_ms`.
pub async fn awaiting_mdn(store: &Store, before_ms: i64) -> Result<Vec<As2Record>, StoreError> {
    let rows = sqlx::query(
        "SELECT partner, direction, as2_message_id, message_id, mic, mic_alg, created_at \
         FROM as2_messages WHERE direction = 'out' AND mdn_at IS NULL AND created_at < $1 \
         ORDER BY created_at LIMIT 1000",
    )
    .bind(before_ms)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(record_of).collect()
}

/// How many times a message was sent over AS2.
pub async fn sends_of(store: &Store, message_id: MessageId) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(sends), 0) AS BIGINT) FROM as2_messages \
         WHERE message_id = $1 AND direction = 'out'",
    )
    .bind(message_id.get())
    .fetch_one(store.pool())
    .await?;
    Ok(row.try_get(0)?)
}

/// The AS2 records of a message (its inbound Message-ID, or the one it was sent under).
pub async fn for_message(
    store: &Store,
    message_id: MessageId,
) -> Result<Vec<As2Record>, StoreError> {
    let rows = sqlx::query(
        "SELECT partner, direction, as2_message_id, message_id, mic, mic_alg, created_at \
         FROM as2_messages WHERE message_id = $1 ORDER BY created_at",
    )
    .bind(message_id.get())
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(record_of).collect()
}

fn record_of(r: &sqlx::any::AnyRow) -> Result<As2Record, StoreError> {
    let direction: String = r.try_get("direction")?;
    Ok(As2Record {
        partner: r.try_get("partner")?,
        direction: Direction::parse(&direction).ok_or(StoreError::Corrupt {
            column: "direction",
            value: direction,
        })?,
        as2_message_id: r.try_get("as2_message_id")?,
        message_id: MessageId::new(r.try_get("message_id")?),
        mic: r.try_get("mic")?,
        mic_alg: r.try_get("mic_alg")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn find(
    store: &Store,
    partner: &str,
    direction: Direction,
    as2_message_id: &str,
) -> Result<Option<As2Record>, StoreError> {
    let row = sqlx::query(
        "SELECT partner, direction, as2_message_id, message_id, mic, mic_alg, created_at \
         FROM as2_messages WHERE partner = $1 AND direction = $2 AND as2_message_id = $3",
    )
    .bind(partner.to_owned())
    .bind(direction.as_str())
    .bind(as2_message_id.to_owned())
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(record_of).transpose()
}

/// An asynchronous MDN Wharf owes a partner, as it will be posted.
#[derive(Debug, Clone)]
pub struct OwedMdn {
    pub id: i64,
    pub partner: String,
    pub original_message_id: String,
    pub url: String,
    /// HTTP headers as (name, value) pairs.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Posts tried so far, this one included.
    pub attempts: i64,
}

/// Keeps an MDN to post to `url`; it is posted by [`claim_owed_mdn`]'s caller, at once.
pub async fn owe_mdn(
    store: &Store,
    partner: &str,
    original_message_id: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<i64, StoreError> {
    let headers = serde_json::to_string(headers).unwrap_or_else(|_| "[]".into());
    let mut tx = store.begin().await?;
    let row = sqlx::query(
        "INSERT INTO as2_mdn_outbox (partner, original_message_id, url, headers, body, next_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(partner.to_owned())
    .bind(original_message_id.to_owned())
    .bind(url.to_owned())
    .bind(headers)
    .bind(body.to_vec())
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row.try_get(0)?)
}

/// Takes the MDN due longest (fewer than `max_attempts` posts so far), holding it `hold_ms`
/// against other posters while it is posted. Longest due, not oldest: an MDN given back
/// ([`owed_mdn_deferred`]) goes behind the others, so a backlog for one busy destination
/// cannot keep another partner's MDN from being claimed.
pub async fn claim_owed_mdn(
    store: &Store,
    hold_ms: i64,
    max_attempts: i64,
) -> Result<Option<OwedMdn>, StoreError> {
    let _gate = store.write_gate().await;
    let now = now_ms();
    let row = sqlx::query(
        "UPDATE as2_mdn_outbox SET next_at = $1, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM as2_mdn_outbox WHERE sent_at IS NULL AND next_at <= $2 \
                     AND attempts < $3 ORDER BY next_at, id LIMIT 1) AND next_at <= $2 \
         RETURNING id, partner, original_message_id, url, headers, body, attempts",
    )
    .bind(now.saturating_add(hold_ms))
    .bind(now)
    .bind(max_attempts)
    .fetch_optional(store.pool())
    .await?;
    row.map(|r| {
        let headers: String = r.try_get(4)?;
        Ok(OwedMdn {
            id: r.try_get(0)?,
            partner: r.try_get(1)?,
            original_message_id: r.try_get(2)?,
            url: r.try_get(3)?,
            headers: serde_json::from_str(&headers).unwrap_or_default(),
            body: r.try_get(5)?,
            attempts: r.try_get(6)?,
        })
    })
    .transpose()
}

/// Gives back an MDN claimed but not posted (its destination already had as many posts
/// under way as allowed): due again at `next_at`, the claim not counted as a post.
pub async fn owed_mdn_deferred(store: &Store, id: i64, next_at: i64) -> Result<(), StoreError> {
    let _gate = store.write_gate().await;
    sqlx::query(
        "UPDATE as2_mdn_outbox SET attempts = attempts - 1, next_at = $1 \
         WHERE id = $2 AND sent_at IS NULL AND attempts > 0",
    )
    .bind(next_at)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Records how a post went: taken (`Ok`), or refused with the time of the next try.
pub async fn owed_mdn_posted(
    store: &Store,
    id: i64,
    outcome: Result<(), (&str, i64)>,
) -> Result<(), StoreError> {
    let _gate = store.write_gate().await;
    match outcome {
        Ok(()) => {
            sqlx::query("UPDATE as2_mdn_outbox SET sent_at = $1, last_error = NULL WHERE id = $2")
                .bind(now_ms())
                .bind(id)
                .execute(store.pool())
                .await?
        }
        Err((error, next_at)) => {
            sqlx::query("UPDATE as2_mdn_outbox SET last_error = $1, next_at = $2 WHERE id = $3")
                .bind(error.to_owned())
                .bind(next_at)
                .bind(id)
                .execute(store.pool())
                .await?
        }
    };
    Ok(())
}
