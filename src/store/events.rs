//! The append-only event history of each message: what happened, in which stage, on which
//! instance. Rows are only ever inserted; nothing here updates or deletes.

use sqlx::Row;

use super::{EventKind, MessageId, Stage, Store, StoreError, Tx, now_ms};

/// One line of a message's history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Event {
    pub id: i64,
    pub message_id: MessageId,
    pub at: i64,
    pub kind: EventKind,
    pub stage: Option<Stage>,
    pub detail: Option<String>,
    pub instance: Option<String>,
}

/// What to append; `instance` names the process that did it.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub kind: EventKind,
    pub stage: Option<Stage>,
    pub detail: Option<&'a str>,
    pub instance: &'a str,
}

pub async fn append(
    tx: &mut Tx,
    message_id: MessageId,
    e: &NewEvent<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO events (message_id, at, kind, stage, detail, instance) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(message_id.get())
    .bind(now_ms())
    .bind(e.kind.as_str())
    .bind(e.stage.map(|s| s.as_str().to_owned()))
    .bind(e.detail.map(str::to_owned))
    .bind(e.instance.to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn for_message(store: &Store, message_id: MessageId) -> Result<Vec<Event>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, message_id, at, kind, stage, detail, instance FROM events \
         WHERE message_id = $1 ORDER BY id",
    )
    .bind(message_id.get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let stage: Option<String> = r.try_get("stage")?;
            Ok(Event {
                id: r.try_get("id")?,
                message_id: MessageId::new(r.try_get("message_id")?),
                at: r.try_get("at")?,
                kind: EventKind::parse(&kind).ok_or(StoreError::Corrupt {
                    column: "kind",
                    value: kind,
                })?,
                stage: match stage {
                    Some(s) => Some(Stage::parse(&s).ok_or(StoreError::Corrupt {
                        column: "stage",
                        value: s,
                    })?),
                    None => None,
                },
                detail: r.try_get("detail")?,
                instance: r.try_get("instance")?,
            })
        })
        .collect()
}
