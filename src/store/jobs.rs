//! The job queue: one row per stage to run for a message, claimed with a lease.
//!
//! A worker claims a due job (or one whose lease expired because its worker died) in one
//! statement; PostgreSQL skips rows other instances hold (`FOR UPDATE SKIP LOCKED`), SQLite
//! serialises writers. Completing a job is the first write of the stage's transaction and
//! checks the lease, so a worker that lost its lease can never commit a second result.
//!
//! Claims are fair across partners: every job belongs to a lane (its message's partner, or
//! `channel:<name>` while the sender is unknown) and the claim takes the next due job of the
//! lane served least recently (`partner_turns`), so a partner with 40,000 queued jobs gets
//! one turn in each round like everyone else. Within a lane, outbound work (acknowledgements,
//! documents a partner waits for) goes before delivery, and delivery before bulk parsing.

use std::time::Duration;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Backend, JobState, MessageId, Stage, Store, StoreError, Tx, now_ms};

/// A claimed job.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Job {
    pub id: i64,
    pub message_id: MessageId,
    pub stage: Stage,
    pub state: JobState,
    /// Attempts so far, including the current one.
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub lease_owner: Option<String>,
    pub last_error: Option<String>,
    pub created_at: i64,
    /// The message's trace context, read when the job is claimed (`None` for a message
    /// stored before contexts were, or one whose stored text no longer parses).
    #[serde(skip)]
    pub trace: Option<crate::util::traceparent::TraceParent>,
}

const COLUMNS: &str = "id, message_id, stage, state, attempts, max_attempts, run_at, lease_owner, last_error, created_at";

fn from_row(r: &AnyRow) -> Result<Job, StoreError> {
    let stage: String = r.try_get("stage")?;
    let state: String = r.try_get("state")?;
    Ok(Job {
        id: r.try_get("id")?,
        message_id: MessageId::new(r.try_get("message_id")?),
        stage: Stage::parse(&stage).ok_or(StoreError::Corrupt {
            column: "stage",
            value: stage,
        })?,
        state: JobState::parse(&state).ok_or(StoreError::Corrupt {
            column: "state",
            value: state,
        })?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        run_at: r.try_get("run_at")?,
        lease_owner: r.try_get("lease_owner")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        trace: None,
    })
}

/// A stage's priority within its partner's lane (lower first): outbound encode and send
/// carry acknowledgements and documents someone is waiting for; map and deliver finish work
/// already parsed; identify and translate are the bulk of a large upload.
pub fn priority(stage: Stage) -> i64 {
    match stage {
        Stage::Encode | Stage::Send => 0,
        Stage::Map | Stage::Deliver => 1,
        Stage::Identify | Stage::Translate => 2,
    }
}

/// The lane of a message's jobs, as SQL over `messages m`: its partner, else its channel.
const LANE: &str = "COALESCE(m.partner, 'channel:' || m.channel)";

/// Queues `stage` for a message, due at once, in the lane of the message's partner.
pub async fn enqueue(
    tx: &mut Tx,
    message_id: MessageId,
    stage: Stage,
    max_attempts: u32,
) -> Result<i64, StoreError> {
    let now = now_ms();
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO jobs (message_id, stage, state, attempts, max_attempts, run_at, created_at, \
         updated_at, partner, priority) \
         SELECT m.id, $2, 'ready', 0, $3, $4, $4, $4, {LANE}, $5 FROM messages m WHERE m.id = $1 \
         RETURNING id, partner"
    ));
    let row = sqlx::query(sql)
        .bind(message_id.get())
        .bind(stage.as_str())
        .bind(i64::from(max_attempts))
        .bind(now)
        .bind(priority(stage))
        .fetch_one(&mut **tx)
        .await?;
    let lane: String = row.try_get(1)?;
    // A new lane starts at 0, i.e. it is served next: a partner that was idle waits for no one.
    sqlx::query(
        "INSERT INTO partner_turns (partner, served) VALUES ($1, 0) ON CONFLICT (partner) DO NOTHING",
    )
    .bind(lane)
    .execute(&mut **tx)
    .await?;
    Ok(row.try_get(0)?)
}

/// Claims the next due job for `owner` for `lease`. A job whose lease ran out (its worker
/// crashed or hung) is due again; its attempt count keeps growing so a job that kills its
/// worker every time still ends in dead letters.
pub async fn claim(store: &Store, owner: &str, lease: Duration) -> Result<Option<Job>, StoreError> {
    let now = now_ms();
    let expires = now.saturating_add(lease.as_millis() as i64);
    // One statement picks the job: for each lane (a small table, one row per partner) the
    // head of its due work through the `jobs_lane` index, then the lane served least recently.
    // The outer conditions on `k` are checked again by PostgreSQL after it locks the row, so a
    // job another instance claimed in between is skipped, not claimed twice.
    // A job is due when ready and its time has come, or running with its lease run out.
    let due = |t: &str| {
        format!(
            "{t}.state IN ('ready', 'running') AND (({t}.state = 'ready' AND {t}.run_at <= $3) \
             OR ({t}.state = 'running' AND {t}.lease_expires < $3))"
        )
    };
    let lock = match store.backend() {
        Backend::Postgres => "FOR UPDATE OF k SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let (due_j, due_k) = (due("j"), due("k"));
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires = $2, \
         attempts = attempts + 1, updated_at = $3 \
         WHERE id = (SELECT k.id FROM \
            (SELECT t.partner AS lane, t.served AS served, \
               (SELECT j.id FROM jobs j WHERE j.partner = t.partner AND {due_j} \
                ORDER BY j.priority, j.run_at, j.id LIMIT 1) AS jid \
             FROM partner_turns t) x \
            JOIN jobs k ON k.id = x.jid \
            WHERE {due_k} \
            ORDER BY x.served, x.lane LIMIT 1 {lock}) \
         RETURNING {COLUMNS}, partner"
    ));
    let mut tx = store.begin().await?;
    let Some(row) = sqlx::query(sql)
        .bind(owner.to_owned())
        .bind(expires)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
    else {
        tx.rollback().await?;
        return Ok(None);
    };
    let mut job = from_row(&row)?;
    let lane: String = row.try_get("partner")?;
    // The stage's span joins the message's trace, whichever instance runs it.
    let trace: Option<String> = sqlx::query("SELECT traceparent FROM messages WHERE id = $1")
        .bind(job.message_id.get())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .flatten();
    job.trace = trace
        .as_deref()
        .and_then(crate::util::traceparent::TraceParent::parse);
    // The lane goes to the back of the round. Two instances may take the same number; the
    // tie is broken by name, which is still fair.
    sqlx::query(
        "UPDATE partner_turns SET served = (SELECT MAX(served) FROM partner_turns) + 1 \
         WHERE partner = $1",
    )
    .bind(lane)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(job))
}

/// Pushes a running job's lease `lease` further from now, if this worker still holds it
/// (same owner and attempt); `false` when the lease was lost.
pub async fn extend_lease(
    store: &Store,
    job: &Job,
    owner: &str,
    lease: Duration,
) -> Result<bool, StoreError> {
    let _gate = store.write_gate().await;
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE jobs SET lease_expires = $1 \
         WHERE id = $2 AND state = 'running' AND lease_owner = $3 AND attempts = $4",
    )
    .bind(now.saturating_add(lease.as_millis() as i64))
    .bind(job.id)
    .bind(owner.to_owned())
    .bind(job.attempts)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a claimed job done, first thing in the stage's transaction. Returns `false` when the
/// lease was lost (another worker reclaimed the job): the caller must roll back.
pub async fn complete(tx: &mut Tx, job: &Job, owner: &str) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'done', lease_expires = NULL, updated_at = $1 \
         WHERE id = $2 AND state = 'running' AND lease_owner = $3 AND attempts = $4",
    )
    .bind(now_ms())
    .bind(job.id)
    .bind(owner.to_owned())
    .bind(job.attempts)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts a running job back in the queue after `delay`, with the error that stopped it.
/// `counted` false gives the claim back (attempts − 1): the job waited on something outside
/// Wharf (a partner's server away), not on a fault of its own. Returns `false` when the lease
/// was lost.
pub async fn reschedule(
    tx: &mut Tx,
    job: &Job,
    owner: &str,
    delay: Duration,
    error: &str,
    counted: bool,
) -> Result<bool, StoreError> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE jobs SET state = 'ready', run_at = $1, lease_owner = NULL, lease_expires = NULL, \
         last_error = $2, updated_at = $3, attempts = attempts - $7 \
         WHERE id = $4 AND state = 'running' AND lease_owner = $5 AND attempts = $6",
    )
    .bind(now.saturating_add(delay.as_millis() as i64))
    .bind(error.to_owned())
    .bind(now)
    .bind(job.id)
    .bind(owner.to_owned())
    .bind(job.attempts)
    .bind(if counted { 0i64 } else { 1i64 })
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a job to dead letters. Returns `false` when the lease was lost.
pub async fn bury(tx: &mut Tx, job: &Job, owner: &str, error: &str) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'dead', lease_owner = NULL, lease_expires = NULL, \
         last_error = $1, updated_at = $2 \
         WHERE id = $3 AND state = 'running' AND lease_owner = $4 AND attempts = $5",
    )
    .bind(error.to_owned())
    .bind(now_ms())
    .bind(job.id)
    .bind(owner.to_owned())
    .bind(job.attempts)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Jobs of one message, oldest first.
pub async fn for_message(store: &Store, message_id: MessageId) -> Result<Vec<Job>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE message_id = $1 ORDER BY id"
    ));
    let rows = sqlx::query(sql)
        .bind(message_id.get())
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// Whether a message has a job waiting or running (a replay must not race it).
pub async fn has_active(tx: &mut Tx, message_id: MessageId) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM jobs WHERE message_id = $1 AND state IN ('ready', 'running')",
    )
    .bind(message_id.get())
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get::<i64, _>(0)? > 0)
}

/// Number of jobs in each state, for health, metrics and tests.
pub async fn count_by_state(store: &Store) -> Result<Vec<(JobState, i64)>, StoreError> {
    let rows = sqlx::query("SELECT state, COUNT(*) FROM jobs GROUP BY state")
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|r| {
            let s: String = r.try_get(0)?;
            Ok((
                JobState::parse(&s).ok_or(StoreError::Corrupt {
                    column: "state",
                    value: s,
                })?,
                r.try_get(1)?,
            ))
        })
        .collect()
}

/// Jobs ready or running, and when the oldest of them was queued (ms; `None` when there is
/// none): the queue a scrape of `/metrics` reports, in one statement over the active jobs
/// (PostgreSQL's `jobs_active` index holds only them).
pub async fn backlog(store: &Store) -> Result<(i64, Option<i64>), StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*), MIN(created_at) FROM jobs WHERE state IN ('ready', 'running')",
    )
    .fetch_one(store.pool())
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Dead-lettered jobs, newest first.
pub async fn dead(store: &Store, limit: i64) -> Result<Vec<Job>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE state = 'dead' ORDER BY id DESC LIMIT $1"
    ));
    let rows = sqlx::query(sql).bind(limit).fetch_all(store.pool()).await?;
    rows.iter().map(from_row).collect()
}

/// Makes dead jobs ready again with fresh attempts: one message's (`message`), or a
/// dead-letter group's (`group`: stage and exact last error). Returns (message, stage) of each.
pub async fn revive_dead(
    tx: &mut Tx,
    message: Option<MessageId>,
    group: Option<(Stage, &str)>,
) -> Result<Vec<(MessageId, Stage)>, StoreError> {
    let now = now_ms();
    let rows = sqlx::query(
        "UPDATE jobs SET state = 'ready', attempts = 0, run_at = $1, lease_owner = NULL, \
         lease_expires = NULL, updated_at = $1 \
         WHERE state = 'dead' AND ($2 IS NULL OR message_id = $2) \
         AND ($3 IS NULL OR (stage = $3 AND last_error = $4)) \
         RETURNING message_id, stage",
    )
    .bind(now)
    .bind(message.map(MessageId::get))
    .bind(group.map(|(s, _)| s.as_str().to_owned()))
    .bind(group.map(|(_, r)| r.to_owned()))
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            let stage: String = r.try_get(1)?;
            Ok((
                MessageId::new(r.try_get(0)?),
                Stage::parse(&stage).ok_or(StoreError::Corrupt {
                    column: "stage",
                    value: stage,
                })?,
            ))
        })
        .collect()
}

/// Closes a message's ready and dead jobs (a cancelled message); a running one finishes its
/// attempt but cannot complete (its lease no longer matches). How many were closed.
pub async fn close_open(tx: &mut Tx, message_id: MessageId, why: &str) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_expires = NULL, \
         last_error = $1, updated_at = $2 WHERE message_id = $3 AND state IN ('ready', 'dead', 'running')",
    )
    .bind(why.to_owned())
    .bind(now_ms())
    .bind(message_id.get())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
