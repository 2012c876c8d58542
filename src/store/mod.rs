//! The durable message store: messages, their event history, the job queue, control numbers
//! and the duplicate registries, on SQLite (embedded default) or PostgreSQL.
//!
//! One set of SQL serves both backends through sqlx's `Any` driver; the few statements whose
//! dialects differ (claiming a job with `FOR UPDATE SKIP LOCKED`) are chosen by [`Backend`].
//! Times are Unix milliseconds. Depends on `config` only.

pub mod admin;
pub mod as2;
pub mod channel_health;
pub mod events;
pub mod jobs;
pub mod leases;
pub mod messages;
pub mod outbox;
pub mod outbox_upkeep;
pub mod registry;
pub mod schema;
pub mod search;
pub mod transfers;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, ConnectOptions, Executor};

pub use crate::config::Backend;
use crate::config::DatabaseUrl;
// The vocabulary is the domain's (`model`); the store keeps it as text.
pub use crate::model::vocabulary::*;
// So are the ids; the store binds and reads them as numbers.
pub use crate::model::MessageId;
pub use schema::{Schema, SchemaError, SchemaState};

/// A transaction on the store; a stage's result, its next job and its event share one.
/// On SQLite it also holds the store's write gate (see [`Store::write_gate`]) until it ends.
/// It dereferences to the connection, so `&mut **tx` is an executor as with sqlx's own.
///
/// BEGIN, COMMIT and ROLLBACK are Wharf's own statements on a pooled connection, not sqlx's
/// `Transaction`: when sqlx's COMMIT fails (SQLITE_FULL) its depth counter stays at 1 while
/// SQLite may already have rolled back, so the connection went back to the pool believing
/// itself inside a transaction; its next "transaction" was a SAVEPOINT whose RELEASE commits
/// nothing, and the partner got 202 for a message that never reached the disk. Here a
/// connection whose COMMIT or ROLLBACK failed is closed, never reused.
pub struct Tx {
    /// `None` only once committed or rolled back (both consume the `Tx`).
    conn: Option<PoolConnection<Any>>,
    health: std::sync::Arc<Health>,
    // Released after the connection's rollback has run (see `Drop`), so the next writer
    // never meets this transaction's write lock.
    gate: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// How long a rollback or a close may take before the connection is simply dropped.
const END_TIMEOUT: Duration = Duration::from_secs(5);

impl Tx {
    /// Commits. `Ok` means the transaction is durable; on any error it is not (or not known
    /// to be), the connection is closed rather than returned to the pool, and the store's
    /// health turns red until a write succeeds again.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let Some(mut conn) = self.conn.take() else {
            return Ok(());
        };
        match conn.execute("COMMIT").await {
            Ok(_) => {
                self.health.write_succeeded();
                Ok(())
            }
            Err(e) => {
                self.health.write_failed(&e.to_string());
                tracing::error!(error = %e, "commit failed; the transaction is lost and its connection closed");
                poison(conn).await;
                Err(StoreError::Database(e))
            }
        }
    }

    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        let Some(conn) = self.conn.take() else {
            return Ok(());
        };
        end(conn).await
    }
}

/// Rolls back; the connection returns to the pool only when the ROLLBACK succeeded.
async fn end(mut conn: PoolConnection<Any>) -> Result<(), sqlx::Error> {
    match tokio::time::timeout(END_TIMEOUT, conn.execute("ROLLBACK")).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "rollback failed; connection closed");
            close(conn).await;
            Err(e)
        }
        Err(_) => {
            tracing::warn!("rollback timed out; connection dropped");
            drop(conn.detach());
            Err(sqlx::Error::PoolTimedOut)
        }
    }
}

/// A connection whose COMMIT failed: one ROLLBACK attempt (so its locks go at once), then
/// closed whatever it answers. Closing ends any transaction still open on it.
async fn poison(mut conn: PoolConnection<Any>) {
    let _ = tokio::time::timeout(END_TIMEOUT, conn.execute("ROLLBACK")).await;
    close(conn).await;
}

async fn close(conn: PoolConnection<Any>) {
    let _ = tokio::time::timeout(END_TIMEOUT, conn.close()).await;
}

impl Drop for Tx {
    /// Dropped without commit or rollback (an error on the way, a cancelled request): the
    /// rollback runs on a task that holds the write gate until it is done.
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let gate = self.gate.take();
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    let _ = end(conn).await;
                    drop(gate);
                });
            }
            // No runtime to roll back on: dropping the raw connection closes it, which
            // ends its transaction.
            Err(_) => drop(conn.detach()),
        }
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        self.conn
            .as_deref()
            .expect("a Tx holds its connection until it is consumed")
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.conn
            .as_deref_mut()
            .expect("a Tx holds its connection until it is consumed")
    }
}

/// Whether the store can write: red from a failed write (a failed COMMIT, a full disk, an
/// I/O error) until a write succeeds again. `/healthz` and `/readyz` answer 503 while red.
#[derive(Debug, Default)]
pub struct Health {
    failing: std::sync::Mutex<Option<String>>,
}

impl Health {
    fn write_failed(&self, why: &str) {
        if let Ok(mut f) = self.failing.lock() {
            if f.is_none() {
                tracing::error!(error = why, "the store cannot write; health is red");
            }
            *f = Some(why.to_owned());
        }
    }

    fn write_succeeded(&self) {
        if let Ok(mut f) = self.failing.lock()
            && f.take().is_some()
        {
            tracing::info!("the store writes again");
        }
    }

    fn failing(&self) -> Option<String> {
        self.failing.lock().ok().and_then(|f| f.clone())
    }
}

/// Whether an error says the storage itself cannot write (full, I/O, read-only, corrupt,
/// gone) rather than that one statement was wrong.
pub fn is_storage_error(backend: Backend, e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else { return false };
            match backend {
                // The primary result code (low byte of the extended one): IOERR, CORRUPT,
                // FULL, CANTOPEN, READONLY, NOTADB.
                Backend::Sqlite => code
                    .parse::<i32>()
                    .is_ok_and(|n| matches!(n & 0xff, 8 | 10 | 11 | 13 | 14 | 26)),
                // SQLSTATE: 53 insufficient resources (53100 disk full), 58 system errors
                // (58030 I/O), 25006 read-only transaction.
                Backend::Postgres => {
                    code.starts_with("53") || code.starts_with("58") || code == "25006"
                }
            }
        }
        _ => false,
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
    NoSuchMessage(MessageId),
    /// A record whose key is already taken (`what` names the key): an outcome the caller
    /// answers (a duplicate AS2 Message-ID gets its MDN), not a fault.
    #[error("{what} is already recorded")]
    Duplicate {
        what: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("stored value `{value}` in {column} is not a known {column}")]
    Corrupt { column: &'static str, value: String },
    #[error(transparent)]
    Schema(#[from] SchemaError),
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
    /// Shared by every clone: red while writes fail.
    health: std::sync::Arc<Health>,
    /// SQLite only: the folder holding the database file, whose free space health checks.
    folder: Option<std::sync::Arc<std::path::Path>>,
}

/// Below this much free space in the SQLite database's folder, a store whose last write failed
/// stays red even when a small probe write commits: SQLite reuses the space of a checkpointed
/// WAL, so a probe can succeed on a full disk while every message (larger than the probe)
/// still fails.
pub const MIN_FREE_BYTES: u64 = 1024 * 1024;

/// The current time as Unix milliseconds, the store's one time representation.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Store {
    /// Connects, creating the SQLite file (and its folder) when needed, and runs migrations
    /// (what `serve` and the tests do; see [`Store::open`] for the commands that must not).
    pub async fn connect(db: &DatabaseUrl) -> Result<Self, StoreError> {
        Self::open(db, Schema::Migrate).await
    }

    /// Connects, doing to the schema only what `schema` allows. A SQLite file made here is
    /// created private to its owner (0600; SQLite gives its WAL the same mode), in a folder
    /// made 0700: it holds partners' documents and operators' password hashes.
    pub async fn open(db: &DatabaseUrl, schema: Schema) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let mut url = db.url.clone();
        let mut folder = None;
        if db.backend == Backend::Sqlite {
            let path = sqlite_path(&url);
            if path != ":memory:" {
                let parent = std::path::Path::new(path)
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                folder = Some(std::sync::Arc::from(parent));
            }
            if path != ":memory:" {
                if matches!(schema, Schema::AsIs | Schema::Inspect)
                    && !std::path::Path::new(path).exists()
                {
                    return Err(SchemaError::Missing {
                        path: path.to_string(),
                    }
                    .into());
                }
                create_private(std::path::Path::new(path))?;
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
            health: Default::default(),
            folder,
        };
        store.settle_schema(schema).await?;
        Ok(store)
    }

    /// The migrations compiled into this binary for the store's backend, embedded once.
    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
        static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");
        match self.backend {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        }
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        // On PostgreSQL several instances may start at once; migrations take an advisory lock.
        self.migrator().run(&self.pool).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a write transaction (on SQLite, after waiting for the write gate, and as
    /// `BEGIN IMMEDIATE`: the write lock is taken at once, so no stale read snapshot has to
    /// be upgraded later, which SQLite refuses at once with "database is locked").
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let gate = self.write_gate().await;
        let mut conn = self.pool.acquire().await.inspect_err(|e| self.note(e))?;
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        if let Err(e) = conn.execute(begin).await {
            self.note(&e);
            // Whatever state it is in, it is not one to hand out again.
            close(conn).await;
            return Err(e.into());
        }
        Ok(Tx {
            conn: Some(conn),
            health: self.health.clone(),
            gate,
        })
    }

    /// Records an error met while writing: a storage error turns the store's health red
    /// until a write succeeds again.
    pub fn note(&self, e: &sqlx::Error) {
        if let sqlx::Error::Database(db) = e {
            tracing::debug!(code = ?db.code(), error = %e, "database error");
        }
        if is_storage_error(self.backend, e) {
            self.health.write_failed(&e.to_string());
        }
    }

    /// [`Store::note`] for a [`StoreError`].
    pub fn note_store_error(&self, e: &StoreError) {
        if let StoreError::Database(e) = e {
            self.note(e);
        }
    }

    /// Why writes are failing, while they are (`None` when the last write succeeded).
    pub fn write_failure(&self) -> Option<String> {
        self.health.failing()
    }

    /// A small real write (one row of `store_probe`, committed), so that health is measured
    /// and recovers even when no traffic comes: `/healthz` runs it while writes are failing.
    pub async fn probe_write(&self) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO store_probe (id, at) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET at = excluded.at",
        )
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .inspect_err(|e| self.note(e))?;
        tx.commit().await?;
        Ok(())
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

    /// Free bytes in the SQLite database's folder (for an unprivileged process); `None` on
    /// PostgreSQL (the server's disk is not ours to see), in memory, or when it cannot be read.
    pub fn free_bytes(&self) -> Option<u64> {
        crate::util::files::free_bytes(self.folder.as_deref()?)
    }

    /// The SQLite database's folder (`None` on PostgreSQL or in memory).
    pub fn folder(&self) -> Option<&std::path::Path> {
        self.folder.as_deref()
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
/// Creates the SQLite file (empty: SQLite takes a zero-length file as a new database) and
/// its folder, private to the owner, unless they exist already (their modes are then the
/// operator's choice and left alone).
fn create_private(file: &std::path::Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let io = |at: &std::path::Path| {
        let at = at.display().to_string();
        move |source| StoreError::Io { path: at, source }
    };
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.exists()
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(io(parent))?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(file)(e)),
    }
}

/// The file a `sqlite:` URL names (`:memory:` for an in-memory database).
pub fn sqlite_file(url: &str) -> &str {
    sqlite_path(url)
}

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
