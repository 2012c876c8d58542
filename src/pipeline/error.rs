//! Why a stage did not finish, and whether trying again can help.

use crate::store::StoreError;

/// A stage's failure. Bad partner input is not a failure: stages record it on the message
/// (rejected, quarantined) and finish. These are the cases where the job itself did not run
/// to its end.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The database was unreachable or refused; the job is retried with backoff.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A fault that may pass (a full disk, a peer down); retried with backoff.
    #[error("{0}")]
    Transient(String),
    /// A partner's server is away (unreachable, or the connection broke): retried while the
    /// profile's `[outbound] retry_for` lasts from the job's creation (`until_ms`), at least
    /// `retry_in` later, without using up the job's attempts; then dead letters.
    #[error("{reason}")]
    Unavailable {
        reason: String,
        retry_in: std::time::Duration,
        until_ms: i64,
    },
    /// A fault that retrying cannot fix (stored data that no longer parses, a missing
    /// profile for an identified message); the job goes to dead letters at once.
    #[error("{0}")]
    Permanent(String),
    /// A file the stage writes (the directory ERP's, the outbox's) could not be written: a
    /// missing folder is permanent, an I/O error (a full disk) passes and is retried.
    #[error(transparent)]
    File(#[from] crate::util::files::WriteError),
    /// Another worker reclaimed the job after this one's lease ran out; this worker's result
    /// was rolled back and the other one's stands.
    #[error("lease on job {0} was lost")]
    LeaseLost(i64),
}

impl From<sqlx::Error> for StageError {
    fn from(e: sqlx::Error) -> Self {
        StageError::Store(StoreError::Database(e))
    }
}

impl StageError {
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            StageError::Store(_)
                | StageError::Transient(_)
                | StageError::Unavailable { .. }
                | StageError::File(crate::util::files::WriteError::Io { .. })
        )
    }
}
