//! Registries that make the pipeline idempotent: outbound control-number sequences, the
//! interchange registry for duplicate detection, and the document registry that keeps a
//! business document from reaching the ERP twice.

use sqlx::Row;

use super::{MessageId, StoreError, Tx};

/// X12 control numbers are 9 digits; after 999999999 a sequence starts again at 1.
pub const CONTROL_MAX: i64 = 999_999_999;

/// Takes the next number of a control-number sequence inside the caller's transaction, so a
/// number is used exactly once: a rolled-back encode gives its number back.
pub async fn next_control_number(tx: &mut Tx, scope: &str) -> Result<i64, StoreError> {
    sqlx::query(
        "INSERT INTO control_numbers (scope, last_value) VALUES ($1, 0) ON CONFLICT (scope) DO NOTHING",
    )
    .bind(scope.to_owned())
    .execute(&mut **tx)
    .await?;
    let row = sqlx::query(
        "UPDATE control_numbers SET last_value = CASE WHEN last_value >= $1 THEN 1 ELSE last_value + 1 END \
         WHERE scope = $2 RETURNING last_value",
    )
    .bind(CONTROL_MAX)
    .bind(scope.to_owned())
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get(0)?)
}

/// The outcome of registering an inbound interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// First time inside the window (or the same message seen again, as on a replay).
    New,
    /// Another message already carried this interchange within the window.
    Duplicate { first_message: MessageId },
}

/// Remembers `control_number` from `sender` to `receiver`. A repeat from a different message
/// within `window_ms` is a duplicate; an older entry is taken over by the new message.
pub async fn register_interchange(
    tx: &mut Tx,
    sender: &str,
    receiver: &str,
    control_number: &str,
    message_id: MessageId,
    now: i64,
    window_ms: i64,
) -> Result<Seen, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO interchanges (sender, receiver, control_number, message_id, seen_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sender, receiver, control_number) DO NOTHING",
    )
    .bind(sender.to_owned())
    .bind(receiver.to_owned())
    .bind(control_number.to_owned())
    .bind(message_id.get())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Seen::New);
    }
    let row = sqlx::query(
        "SELECT message_id, seen_at FROM interchanges \
         WHERE sender = $1 AND receiver = $2 AND control_number = $3",
    )
    .bind(sender.to_owned())
    .bind(receiver.to_owned())
    .bind(control_number.to_owned())
    .fetch_one(&mut **tx)
    .await?;
    let first = MessageId::new(row.try_get(0)?);
    let seen_at: i64 = row.try_get(1)?;
    if first == message_id {
        return Ok(Seen::New);
    }
    if now.saturating_sub(seen_at) > window_ms {
        sqlx::query(
            "UPDATE interchanges SET message_id = $1, seen_at = $2 \
             WHERE sender = $3 AND receiver = $4 AND control_number = $5",
        )
        .bind(message_id.get())
        .bind(now)
        .bind(sender.to_owned())
        .bind(receiver.to_owned())
        .bind(control_number.to_owned())
        .execute(&mut **tx)
        .await?;
        return Ok(Seen::New);
    }
    Ok(Seen::Duplicate {
        first_message: first,
    })
}

/// Claims a business document (say, partner `acme`'s order PO-1) for `message_id`. Returns
/// `None` when this message holds the claim (first time, or a retry of the same message),
/// or the message that delivered it first.
pub async fn claim_document(
    tx: &mut Tx,
    partner: &str,
    doc_type: &str,
    doc_key: &str,
    message_id: MessageId,
    now: i64,
) -> Result<Option<MessageId>, StoreError> {
    sqlx::query(
        "INSERT INTO documents (partner, doc_type, doc_key, message_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (partner, doc_type, doc_key) DO NOTHING",
    )
    .bind(partner.to_owned())
    .bind(doc_type.to_owned())
    .bind(doc_key.to_owned())
    .bind(message_id.get())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let row = sqlx::query(
        "SELECT message_id FROM documents WHERE partner = $1 AND doc_type = $2 AND doc_key = $3",
    )
    .bind(partner.to_owned())
    .bind(doc_type.to_owned())
    .bind(doc_key.to_owned())
    .fetch_one(&mut **tx)
    .await?;
    let owner = MessageId::new(row.try_get(0)?);
    Ok((owner != message_id).then_some(owner))
}

/// Remembers the ERP record made for a partner's document (at most once per record).
pub async fn link_erp_record(
    tx: &mut Tx,
    model: &str,
    odoo_id: i64,
    partner: &str,
    doc_key: &str,
    message_id: MessageId,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO erp_links (model, odoo_id, partner, doc_key, message_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (model, odoo_id) DO NOTHING",
    )
    .bind(model.to_owned())
    .bind(odoo_id)
    .bind(partner.to_owned())
    .bind(doc_key.to_owned())
    .bind(message_id.get())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An ERP record Wharf made: which partner's document it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErpLink {
    pub model: String,
    pub odoo_id: i64,
    pub partner: String,
    pub doc_key: String,
    pub message_id: MessageId,
}

/// Every record Wharf made in `model`.
pub async fn erp_links(
    store: &crate::store::Store,
    model: &str,
) -> Result<Vec<ErpLink>, StoreError> {
    let rows = sqlx::query(
        "SELECT model, odoo_id, partner, doc_key, message_id FROM erp_links WHERE model = $1 \
         ORDER BY odoo_id",
    )
    .bind(model.to_owned())
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(link_from_row).collect()
}

/// Records Wharf made in `model` that the poller has not looked at by id yet (see
/// [`mark_polled`]), oldest first, at most `limit`.
pub async fn unpolled_links(
    store: &crate::store::Store,
    model: &str,
    limit: i64,
) -> Result<Vec<ErpLink>, StoreError> {
    let rows = sqlx::query(
        "SELECT model, odoo_id, partner, doc_key, message_id FROM erp_links \
         WHERE model = $1 AND polled_at IS NULL ORDER BY odoo_id LIMIT $2",
    )
    .bind(model.to_owned())
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(link_from_row).collect()
}

/// Notes that the poller looked at these records of `model` by id.
pub async fn mark_polled(
    store: &crate::store::Store,
    model: &str,
    odoo_ids: &[i64],
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    let now = crate::store::now_ms();
    for id in odoo_ids {
        sqlx::query("UPDATE erp_links SET polled_at = $1 WHERE model = $2 AND odoo_id = $3")
            .bind(now)
            .bind(model.to_owned())
            .bind(*id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// A poller's cursor (`None` before its first event).
pub async fn cursor(store: &crate::store::Store, name: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT value FROM erp_cursors WHERE name = $1")
        .bind(name.to_owned())
        .fetch_optional(store.pool())
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    })
}

/// Moves a poller's cursor (never backwards: the caller passes the newest value it saw).
pub async fn set_cursor(
    store: &crate::store::Store,
    name: &str,
    value: &str,
) -> Result<(), StoreError> {
    let _gate = store.write_gate().await;
    sqlx::query(
        "INSERT INTO erp_cursors (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(name.to_owned())
    .bind(value.to_owned())
    .execute(store.pool())
    .await?;
    Ok(())
}

/// The ERP records made from one message.
pub async fn links_of_message(
    store: &crate::store::Store,
    message_id: MessageId,
) -> Result<Vec<ErpLink>, StoreError> {
    let rows = sqlx::query(
        "SELECT model, odoo_id, partner, doc_key, message_id FROM erp_links WHERE message_id = $1 \
         ORDER BY model, odoo_id",
    )
    .bind(message_id.get())
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(link_from_row).collect()
}

fn link_from_row(r: &sqlx::any::AnyRow) -> Result<ErpLink, StoreError> {
    Ok(ErpLink {
        model: r.try_get(0)?,
        odoo_id: r.try_get(1)?,
        partner: r.try_get(2)?,
        doc_key: r.try_get(3)?,
        message_id: MessageId::new(r.try_get(4)?),
    })
}
