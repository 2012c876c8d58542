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
    /// A fault that retrying cannot fix (stored data that no longer parses, a missing
    /// profile for an identified message); the job goes to dead letters at once.
    #[error("{0}")]
    Permanent(String),
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
        matches!(self, StageError::Store(_) | StageError::Transient(_))
    }
}
