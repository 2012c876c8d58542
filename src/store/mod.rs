//! The durable message store: messages, their event history, the job queue, control numbers
//! and the duplicate registries, on SQLite (embedded default) or PostgreSQL.
//!
//! One set of SQL serves both backends through sqlx's `Any` driver; the few statements whose
//! dialects differ (claiming a job with `FOR UPDATE SKIP LOCKED`) are chosen by [`Backend`].
//! Times are Unix milliseconds. Depends on `config` only.

pub mod admin;
pub mod as2;
pub mod events;
pub mod jobs;
pub mod messages;
pub mod registry;
pub mod search;
pub mod transfers;
pub mod types;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Executor};

pub use crate::config::Backend;
use crate::config::DatabaseUrl;
pub use types::*;

/// A transaction on the store; a stage's result, its next job and its event share one.
/// On SQLite it also holds the store's write gate (see [`Store::write_gate`]) until it ends.
/// It dereferences to the connection, so `&mut **tx` is an executor as with sqlx's own.
pub struct Tx {
    // Declared first: dropped (rolled back) before the gate opens for the next writer.
    tx: sqlx::Transaction<'static, Any>,
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// Errors of the store. A `Database` error is worth retrying; the others are facts.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("message {0} does not exist")]
    NoSuchMessage(i64),
    #[error("stored value `{value}` in {column} is not a known {column}")]
    Corrupt { column: &'static str, value: String },
    #[error("cannot prepare {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite only: one writer at a time, queued here in arrival order. SQLite allows one
    /// writer; left to itself, a second connection wanting to write sleeps in its busy
    /// handler (1, 2, 5 … 100 ms steps) and the cores idle while requests wait — measured:
    /// inbound AS2 at 169 messages/s with the CPU half idle. A fair async mutex hands the
    /// lock over the moment the writer before commits.
    gate: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
}

/// The current time as Unix milliseconds, the store's one time representation.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Store {
    /// Connects, creating the SQLite file (and its folder) when needed, and runs migrations.
    pub async fn connect(db: &DatabaseUrl) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let mut url = db.url.clone();
        if db.backend == Backend::Sqlite {
            let path = sqlite_path(&url);
            if path != ":memory:"
                && let Some(parent) = std::path::Path::new(path).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                    path: parent.display().to_string(),
                    source,
                })?;
            }
            if !url.contains('?') {
                url.push_str("?mode=rwc");
            }
        }
        let options = AnyConnectOptions::from_str(&url)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(2));
        let pool = match db.backend {
            // SQLite has one writer: every write transaction here starts with a write, so a
            // second writer waits on the busy timeout instead of failing on a stale snapshot.
            // WAL lets readers (the web, `wharf messages list`) run beside the writer.
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(4)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            // Pages come from the OS cache by mmap instead of one read() each.
                            conn.execute("PRAGMA mmap_size = 268435456").await?;
                            conn.execute("PRAGMA cache_size = -32000").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?
            }
        };
        let store = Store {
            pool,
            backend: db.backend,
            gate: (db.backend == Backend::Sqlite)
                .then(|| std::sync::Arc::new(tokio::sync::Mutex::new(()))),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => {
                // Several instances may start at once; migrations take an advisory lock.
                sqlx::migrate!("migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a write transaction (on SQLite, after waiting for the write gate).
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let gate = self.write_gate().await;
        Ok(Tx {
            tx: self.pool.begin().await?,
            _gate: gate,
        })
    }

    /// The write gate, for a single write statement run on the pool outside a transaction
    /// (claiming a job, moving a cursor); hold the guard until the statement has run.
    /// `None` on PostgreSQL, whose writers do not exclude each other.
    pub async fn write_gate(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.gate {
            Some(g) => Some(g.clone().lock_owned().await),
            None => None,
        }
    }

    /// A cheap round trip, for `/healthz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The file path inside `sqlite://path?opts` or `sqlite:path`.
fn sqlite_path(url: &str) -> &str {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    rest.split('?').next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_paths() {
        assert_eq!(
            super::sqlite_path("sqlite://data/wharf.db"),
            "data/wharf.db"
        );
        assert_eq!(super::sqlite_path("sqlite:x.db?mode=rwc"), "x.db");
        assert_eq!(super::sqlite_path("sqlite::memory:"), ":memory:");
    }
}
