//! Messages in and out: raw bytes with their digest, where they came from, and where they stand.
//!
//! Raw bytes are written once and never changed (an outbound message gets its bytes when it is
//! encoded). Every state change here is made inside a caller's transaction that also appends
//! the event describing it.

use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::util::traceparent::TraceParent;

use super::{Channel, Direction, Format, MessageId, MessageState, Store, StoreError, Tx, now_ms};

/// A message as listed and shown, without its raw bytes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Message {
    pub id: MessageId,
    pub direction: Direction,
    pub channel: Channel,
    /// The partner's id as stored, kept as text rather than a [`crate::model::PartnerId`]:
    /// rows written before may hold text that id's rules refuse, and a `PartnerId` is one
    /// that passed them (it names profile files and outbox folders).
    pub partner: Option<String>,
    pub format: Option<Format>,
    pub doc_type: Option<String>,
    pub control_number: Option<String>,
    pub filename: Option<String>,
    pub state: MessageState,
    pub error: Option<String>,
    pub sha256: Option<String>,
    pub size: i64,
    pub related_id: Option<MessageId>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The business references (PO, shipment, invoice number) read from it: the first, with
    /// "(+n)" when there are more (all of them are searchable).
    pub reference: Option<String>,
}

/// A partner's bytes as they arrived.
#[derive(Debug, Clone)]
pub struct Inbound<'a> {
    pub channel: Channel,
    /// Set when the channel itself names the partner (their SFTP login, `--partner`).
    pub partner: Option<&'a str>,
    pub filename: Option<&'a str>,
    pub raw: &'a [u8],
    /// The trace the sender's request carried (a valid W3C `traceparent`), to continue.
    pub trace: Option<TraceParent>,
}

/// An outbound document Wharf decided to send, before it is encoded.
#[derive(Debug, Clone)]
pub struct Outbound<'a> {
    pub partner: &'a str,
    pub format: Format,
    pub doc_type: &'a str,
    /// The model to encode (JSON), e.g. a functional acknowledgement.
    pub canonical: &'a str,
    /// The inbound message this answers, when it answers one.
    pub related_id: Option<MessageId>,
    /// Makes creation idempotent: a second message with the same key is never created.
    pub dedup_key: &'a str,
}

pub(crate) const COLUMNS: &str = "id, direction, channel, partner, format, doc_type, control_number, \
     filename, state, error, sha256, size, related_id, created_at, updated_at, reference";

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn corrupt(column: &'static str, value: String) -> StoreError {
    StoreError::Corrupt { column, value }
}

pub(crate) fn from_row(row: &AnyRow) -> Result<Message, StoreError> {
    let direction: String = row.try_get("direction")?;
    let channel: String = row.try_get("channel")?;
    let state: String = row.try_get("state")?;
    let format: Option<String> = row.try_get("format")?;
    Ok(Message {
        id: MessageId::new(row.try_get("id")?),
        direction: Direction::parse(&direction).ok_or_else(|| corrupt("direction", direction))?,
        channel: Channel::parse(&channel).ok_or_else(|| corrupt("channel", channel))?,
        partner: row.try_get("partner")?,
        format: match format {
            Some(f) => Some(Format::parse(&f).ok_or_else(|| corrupt("format", f))?),
            None => None,
        },
        doc_type: row.try_get("doc_type")?,
        control_number: row.try_get("control_number")?,
        filename: row.try_get("filename")?,
        state: MessageState::parse(&state).ok_or_else(|| corrupt("state", state))?,
        error: row.try_get("error")?,
        sha256: row.try_get("sha256")?,
        size: row.try_get("size")?,
        related_id: row
            .try_get::<Option<i64>, _>("related_id")?
            .map(MessageId::new),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        reference: row.try_get("reference")?,
    })
}

/// Stores a partner's bytes with the trace context every stage of it will join; the caller
/// commits before anything is acknowledged to the partner.
pub async fn insert_inbound(
    tx: &mut Tx,
    m: &Inbound<'_>,
    trace: &TraceParent,
) -> Result<MessageId, StoreError> {
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO messages (direction, channel, partner, format, filename, state, sha256, size, \
         raw, created_at, updated_at, traceparent) \
         VALUES ('in', $1, $2, $3, $4, 'received', $5, $6, $7, $8, $8, $9) RETURNING id",
    )
    .bind(m.channel.as_str())
    .bind(m.partner.map(str::to_owned))
    .bind(Format::sniff(m.raw).as_str())
    .bind(m.filename.map(str::to_owned))
    .bind(sha256_hex(m.raw))
    .bind(m.raw.len() as i64)
    .bind(m.raw.to_vec())
    .bind(now)
    .bind(trace.to_string())
    .fetch_one(&mut **tx)
    .await?;
    Ok(MessageId::new(row.try_get(0)?))
}

/// Creates an outbound message unless one with the same `dedup_key` exists.
/// Returns the new id, or `None` when it already existed (a replay or a retried stage).
pub async fn insert_outbound(
    tx: &mut Tx,
    m: &Outbound<'_>,
) -> Result<Option<MessageId>, StoreError> {
    let now = now_ms();
    // An answer (an acknowledgement) joins the trace of the message it answers; a document of
    // Wharf's own (an 855 from an Odoo event) starts one.
    let row = sqlx::query(
        "INSERT INTO messages (direction, channel, partner, format, doc_type, state, canonical, \
         related_id, dedup_key, created_at, updated_at, traceparent) \
         VALUES ('out', 'internal', $1, $2, $3, 'created', $4, $5, $6, $7, $7, \
         COALESCE((SELECT r.traceparent FROM messages r WHERE r.id = $5), $8)) \
         ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
    )
    .bind(m.partner.to_owned())
    .bind(m.format.as_str())
    .bind(m.doc_type.to_owned())
    .bind(m.canonical.to_owned())
    .bind(m.related_id.map(MessageId::get))
    .bind(m.dedup_key.to_owned())
    .bind(now)
    .bind(TraceParent::fresh().to_string())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(r) => Some(MessageId::new(r.try_get(0)?)),
        None => None,
    })
}

pub async fn get(store: &Store, id: MessageId) -> Result<Message, StoreError> {
    get_in(store.pool(), id).await
}

async fn get_in<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    id: MessageId,
) -> Result<Message, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM messages WHERE id = $1"));
    let row = sqlx::query(sql)
        .bind(id.get())
        .fetch_optional(ex)
        .await?
        .ok_or(StoreError::NoSuchMessage(id))?;
    from_row(&row)
}

/// Reads a message inside a transaction (a stage reads what it is about to change).
pub async fn get_tx(tx: &mut Tx, id: MessageId) -> Result<Message, StoreError> {
    get_in(&mut **tx, id).await
}

/// The bytes exactly as received (inbound) or as sent (outbound, once encoded).
pub async fn raw(store: &Store, id: MessageId) -> Result<Vec<u8>, StoreError> {
    let row = sqlx::query("SELECT raw FROM messages WHERE id = $1")
        .bind(id.get())
        .fetch_optional(store.pool())
        .await?
        .ok_or(StoreError::NoSuchMessage(id))?;
    let raw: Option<Vec<u8>> = row.try_get(0)?;
    Ok(raw.unwrap_or_default())
}

/// The first 4 KiB of each message's raw bytes, enough for its envelope (the admin pages
/// read quarantined messages' senders from them without loading megabytes), in one round
/// trip for a page's worth of messages; a message without bytes, or not found, is absent.
pub async fn heads(
    store: &Store,
    ids: &[MessageId],
) -> Result<std::collections::HashMap<MessageId, Vec<u8>>, StoreError> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    // A literal length: PostgreSQL's substr takes an int4, which a bound int8 is not.
    // Only numbered placeholders are written into the text; the ids are bound.
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT id, substr(raw, 1, 4096) FROM messages WHERE id IN ({})",
        marks.join(", ")
    ));
    let mut q = sqlx::query(sql);
    for id in ids {
        q = q.bind(id.get());
    }
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for row in q.fetch_all(store.pool()).await? {
        let raw: Option<Vec<u8>> = row.try_get(1)?;
        if let Some(raw) = raw {
            out.insert(MessageId::new(row.try_get(0)?), raw);
        }
    }
    Ok(out)
}

/// A JSON column written by a stage: `canonical` (translated documents or the model to
/// encode) or `mapped` (documents shaped for the ERP).
#[derive(Debug, Clone, Copy)]
pub enum Payload {
    Canonical,
    Mapped,
}

pub async fn payload(
    store: &Store,
    id: MessageId,
    which: Payload,
) -> Result<Option<String>, StoreError> {
    let sql = match which {
        Payload::Canonical => "SELECT canonical FROM messages WHERE id = $1",
        Payload::Mapped => "SELECT mapped FROM messages WHERE id = $1",
    };
    let row = sqlx::query(sql)
        .bind(id.get())
        .fetch_optional(store.pool())
        .await?
        .ok_or(StoreError::NoSuchMessage(id))?;
    Ok(row.try_get(0)?)
}

/// A message row and its raw bytes, in one query: the context of a stage that reads the bytes.
pub async fn load_raw(store: &Store, id: MessageId) -> Result<(Message, Vec<u8>), StoreError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS}, raw FROM messages WHERE id = $1"));
    let row = sqlx::query(sql)
        .bind(id.get())
        .fetch_optional(store.pool())
        .await?
        .ok_or(StoreError::NoSuchMessage(id))?;
    let raw: Option<Vec<u8>> = row.try_get("raw")?;
    Ok((from_row(&row)?, raw.unwrap_or_default()))
}

/// A message row and one of its JSON payloads, in one query: the context of a stage that
/// reads what an earlier stage wrote.
pub async fn load_payload(
    store: &Store,
    id: MessageId,
    which: Payload,
) -> Result<(Message, Option<String>), StoreError> {
    let column = match which {
        Payload::Canonical => "canonical",
        Payload::Mapped => "mapped",
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, {column} AS payload FROM messages WHERE id = $1"
    ));
    let row = sqlx::query(sql)
        .bind(id.get())
        .fetch_optional(store.pool())
        .await?
        .ok_or(StoreError::NoSuchMessage(id))?;
    Ok((from_row(&row)?, row.try_get("payload")?))
}

pub async fn set_payload(
    tx: &mut Tx,
    id: MessageId,
    which: Payload,
    json: &str,
) -> Result<(), StoreError> {
    let sql = match which {
        Payload::Canonical => "UPDATE messages SET canonical = $1, updated_at = $2 WHERE id = $3",
        Payload::Mapped => "UPDATE messages SET mapped = $1, updated_at = $2 WHERE id = $3",
    };
    sqlx::query(sql)
        .bind(json.to_owned())
        .bind(now_ms())
        .bind(id.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Moves a message to `state`, recording the error text when there is one (cleared otherwise).
pub async fn set_state(
    tx: &mut Tx,
    id: MessageId,
    state: MessageState,
    error: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE messages SET state = $1, error = $2, updated_at = $3 WHERE id = $4")
        .bind(state.as_str())
        .bind(error.map(str::to_owned))
        .bind(now_ms())
        .bind(id.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What identification learned from the envelope.
#[derive(Debug, Clone)]
pub struct Identification<'a> {
    pub partner: Option<&'a str>,
    pub format: Format,
    pub doc_type: Option<&'a str>,
    pub control_number: Option<&'a str>,
}

pub async fn set_identification(
    tx: &mut Tx,
    id: MessageId,
    ident: &Identification<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE messages SET partner = $1, format = $2, doc_type = $3, control_number = $4, \
         updated_at = $5 WHERE id = $6",
    )
    .bind(ident.partner.map(str::to_owned))
    .bind(ident.format.as_str())
    .bind(ident.doc_type.map(str::to_owned))
    .bind(ident.control_number.map(str::to_owned))
    .bind(now_ms())
    .bind(id.get())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Gives an outbound message its bytes (once, when encoded) and the name it travels under.
/// The control numbers an outbound interchange was given (ISA13, GS06, ST02).
#[derive(Debug, Clone, Copy)]
pub struct Controls<'a> {
    pub interchange: &'a str,
    /// None for a TA1, which has no group.
    pub group: Option<&'a str>,
    pub set: Option<&'a str>,
}

pub async fn set_encoded(
    tx: &mut Tx,
    id: MessageId,
    raw: &[u8],
    controls: Controls<'_>,
    filename: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE messages SET raw = $1, sha256 = $2, size = $3, control_number = $4, \
         filename = $5, state = 'encoded', updated_at = $6, group_control = $7, set_control = $8 \
         WHERE id = $9",
    )
    .bind(raw.to_vec())
    .bind(sha256_hex(raw))
    .bind(raw.len() as i64)
    .bind(controls.interchange.to_owned())
    .bind(filename.to_owned())
    .bind(now_ms())
    .bind(controls.group.map(str::to_owned))
    .bind(controls.set.map(str::to_owned))
    .bind(id.get())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn set_channel(tx: &mut Tx, id: MessageId, channel: Channel) -> Result<(), StoreError> {
    sqlx::query("UPDATE messages SET channel = $1, updated_at = $2 WHERE id = $3")
        .bind(channel.as_str())
        .bind(now_ms())
        .bind(id.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Which messages to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub state: Option<MessageState>,
    pub partner: Option<String>,
    pub direction: Option<Direction>,
    pub limit: i64,
}

/// Newest first, by the admin search (one query for every listing).
pub async fn list(store: &Store, f: &Filter) -> Result<Vec<Message>, StoreError> {
    super::search::search(
        store,
        &super::search::Search {
            state: f.state,
            partner: f.partner.clone(),
            direction: f.direction,
            limit: f.limit,
            ..Default::default()
        },
    )
    .await
}

/// Messages sent in answer to `id` (its acknowledgements).
pub async fn related(store: &Store, id: MessageId) -> Result<Vec<Message>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM messages WHERE related_id = $1 ORDER BY id"
    ));
    let rows = sqlx::query(sql)
        .bind(id.get())
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// Counts of messages per state, for health and metrics.
pub async fn count_by_state(store: &Store) -> Result<Vec<(String, i64)>, StoreError> {
    let rows =
        sqlx::query("SELECT state, COUNT(*) AS n FROM messages GROUP BY state ORDER BY state")
            .fetch_all(store.pool())
            .await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
        .collect()
}

/// Writes nothing visible but takes the row's write lock (and on SQLite the database's) before
/// the transaction reads; fails when the message does not exist.
pub async fn touch(tx: &mut Tx, id: MessageId) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE messages SET updated_at = updated_at WHERE id = $1")
        .bind(id.get())
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NoSuchMessage(id));
    }
    Ok(())
}

pub async fn set_doc_type(tx: &mut Tx, id: MessageId, doc_type: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE messages SET doc_type = $1, updated_at = $2 WHERE id = $3")
        .bind(doc_type.to_owned())
        .bind(now_ms())
        .bind(id.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records the syntax an outbound message was written in (a business document is created
/// before its partner's standard decides it), so a CONTRL is matched to EDIFACT only.
pub async fn set_format(tx: &mut Tx, id: MessageId, format: Format) -> Result<(), StoreError> {
    sqlx::query("UPDATE messages SET format = $1, updated_at = $2 WHERE id = $3")
        .bind(format.as_str())
        .bind(now_ms())
        .bind(id.get())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An outbound message a partner's acknowledgement may refer to.
#[derive(Debug, Clone)]
pub struct SentSet {
    pub id: MessageId,
    pub doc_type: Option<String>,
    pub set_control: Option<String>,
}

/// What Wharf sent `partner` in functional group `group_control` (GS06), for matching the
/// partner's 997/999. Control numbers are compared as numbers ("0007" is 7).
pub async fn sent_in_group(
    tx: &mut Tx,
    partner: &str,
    group_control: &str,
) -> Result<Vec<SentSet>, StoreError> {
    let Ok(wanted) = group_control.trim().parse::<u64>() else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(
        "SELECT id, doc_type, set_control, group_control FROM messages \
         WHERE direction = 'out' AND partner = $1 AND group_control IS NOT NULL \
         AND group_control = $2",
    )
    .bind(partner.to_owned())
    .bind(wanted.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SentSet {
                id: MessageId::new(r.try_get("id")?),
                doc_type: r.try_get("doc_type")?,
                set_control: r.try_get("set_control")?,
            })
        })
        .collect()
}

/// An outbound message a partner's interchange acknowledgement (TA1, CONTRL) may refer to.
#[derive(Debug, Clone)]
pub struct SentInterchange {
    pub id: MessageId,
    pub doc_type: Option<String>,
    pub set_control: Option<String>,
    pub state: MessageState,
}

/// What Wharf sent `partner` in `format` as interchange `control` (ISA13 or UNB 0020), for
/// matching the partner's TA1 or CONTRL. Numeric references compare as numbers: X12's are
/// stored nine digits wide ("000000005"), EDIFACT's as written ("5").
pub async fn sent_in_interchange(
    tx: &mut Tx,
    partner: &str,
    format: Format,
    control: &str,
) -> Result<Vec<SentInterchange>, StoreError> {
    let control = control.trim();
    let (wide, plain) = match control.parse::<u64>() {
        Ok(n) => (format!("{n:09}"), n.to_string()),
        Err(_) => (control.to_owned(), control.to_owned()),
    };
    let rows = sqlx::query(
        "SELECT id, doc_type, set_control, state FROM messages \
         WHERE direction = 'out' AND partner = $1 AND format = $2 \
         AND control_number IN ($3, $4, $5) ORDER BY id",
    )
    .bind(partner.to_owned())
    .bind(format.as_str())
    .bind(control.to_owned())
    .bind(wide)
    .bind(plain)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            let state: String = r.try_get("state")?;
            Ok(SentInterchange {
                id: MessageId::new(r.try_get("id")?),
                doc_type: r.try_get("doc_type")?,
                set_control: r.try_get("set_control")?,
                state: MessageState::parse(&state).ok_or_else(|| corrupt("state", state))?,
            })
        })
        .collect()
}
