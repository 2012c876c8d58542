//! Files collected from and delivered to partners' own servers (`transfers`), and the SFTP
//! host keys first seen for servers whose profile pins none (`known_hosts`).

use sqlx::Row;

use super::{Direction, MessageId, Store, StoreError, Tx, now_ms};

/// One file moved to or from a partner's server.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Transfer {
    pub id: i64,
    pub partner: String,
    pub direction: Direction,
    /// `sftp://host:22/folder`.
    pub remote: String,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub message_id: MessageId,
    pub at: i64,
}

/// What to record; the message it belongs to is written in the same transaction.
#[derive(Debug, Clone, Copy)]
pub struct NewTransfer<'a> {
    pub partner: &'a str,
    pub direction: Direction,
    pub remote: &'a str,
    pub name: &'a str,
    pub size: usize,
    pub sha256: &'a str,
}

pub async fn record(
    tx: &mut Tx,
    message_id: MessageId,
    t: &NewTransfer<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO transfers (partner, direction, remote, name, size, sha256, message_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(t.partner.to_owned())
    .bind(t.direction.as_str())
    .bind(t.remote.to_owned())
    .bind(t.name.to_owned())
    .bind(t.size as i64)
    .bind(t.sha256.to_owned())
    .bind(message_id.get())
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The message a file with these bytes, collected from this folder under this name, was
/// already stored as: set when Wharf stopped between storing it and removing it remotely.
pub async fn already_collected(
    store: &Store,
    partner: &str,
    remote: &str,
    name: &str,
    sha256: &str,
) -> Result<Option<MessageId>, StoreError> {
    let row = sqlx::query(
        "SELECT message_id FROM transfers WHERE partner = $1 AND remote = $2 AND name = $3 \
         AND sha256 = $4 AND direction = 'in' ORDER BY id LIMIT 1",
    )
    .bind(partner.to_owned())
    .bind(remote.to_owned())
    .bind(name.to_owned())
    .bind(sha256.to_owned())
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|r| r.try_get(0).map(MessageId::new)).transpose()?)
}

/// Every transfer of a message, oldest first.
pub async fn for_message(
    store: &Store,
    message_id: MessageId,
) -> Result<Vec<Transfer>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, partner, direction, remote, name, size, sha256, message_id, at \
         FROM transfers WHERE message_id = $1 ORDER BY id",
    )
    .bind(message_id.get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let direction: String = r.try_get("direction")?;
            Ok(Transfer {
                id: r.try_get("id")?,
                partner: r.try_get("partner")?,
                direction: Direction::parse(&direction).ok_or(StoreError::Corrupt {
                    column: "direction",
                    value: direction,
                })?,
                remote: r.try_get("remote")?,
                name: r.try_get("name")?,
                size: r.try_get("size")?,
                sha256: r.try_get("sha256")?,
                message_id: MessageId::new(r.try_get("message_id")?),
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// The key first seen for an SFTP server, if any.
pub async fn known_host(
    store: &Store,
    host: &str,
    port: u16,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT key FROM known_hosts WHERE host = $1 AND port = $2")
        .bind(host.to_owned())
        .bind(i64::from(port))
        .fetch_optional(store.pool())
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// Remembers the key of a server seen for the first time; a key already known stays.
pub async fn remember_host(
    store: &Store,
    host: &str,
    port: u16,
    key: &str,
) -> Result<(), StoreError> {
    let _gate = store.write_gate().await;
    sqlx::query(
        "INSERT INTO known_hosts (host, port, key, first_seen) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (host, port) DO NOTHING",
    )
    .bind(host.to_owned())
    .bind(i64::from(port))
    .bind(key.to_owned())
    .bind(now_ms())
    .execute(store.pool())
    .await?;
    Ok(())
}
