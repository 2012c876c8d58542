//! Readiness: whether this instance can take partners' documents and carry them through, as
//! named checks with a reason each (database writable, migrations current, disk space, the
//! ERP reachable, workers alive, and what the edges report about themselves).
//!
//! `/readyz` answers from [`readiness`]; the admin dashboard shows the same report.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use super::Pipeline;
use crate::store::{MIN_FREE_BYTES, now_ms};

/// Which checks a caller wants. A load balancer asks whether partners' documents are taken
/// (`Ingest`): Wharf stores them durably and forwards them later, so an ERP that is down must
/// not take every instance out of rotation and turn partners away. Monitoring asks for
/// everything (`All`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Ingest,
    All,
}

/// One check's answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// Every check, in a fixed order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub ready: bool,
    pub checks: Vec<Check>,
}

/// When a worker last showed it is alive: each turn of its loop and each lease renewal.
#[derive(Debug, Default)]
pub struct Heartbeat {
    last_ms: AtomicI64,
}

impl Heartbeat {
    pub fn beat(&self) {
        self.last_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// Milliseconds since the last beat; `None` before the first.
    pub fn silent_for_ms(&self) -> Option<i64> {
        match self.last_ms.load(Ordering::Relaxed) {
            0 => None,
            t => Some(now_ms().saturating_sub(t)),
        }
    }
}

/// What the edges say about themselves (the SFTP listener bound, the AS2 station's keys
/// readable): set by the composition root and the edges, read by [`readiness`].
#[derive(Debug, Default)]
pub struct Vitals {
    states: Mutex<BTreeMap<&'static str, Result<String, String>>>,
}

impl Vitals {
    pub fn set(&self, name: &'static str, state: Result<String, String>) {
        if let Ok(mut s) = self.states.lock() {
            s.insert(name, state);
        }
    }

    fn snapshot(&self) -> Vec<(&'static str, Result<String, String>)> {
        self.states
            .lock()
            .map(|s| s.iter().map(|(k, v)| (*k, v.clone())).collect())
            .unwrap_or_default()
    }
}

/// The last report of each scope and when it was made. `/readyz` is open (load balancers
/// carry no token), so a flood of it must not become a flood of database round trips: a
/// report stands for [`REPORT_FOR`], and callers arriving meanwhile wait for the one being
/// made instead of starting their own.
#[derive(Debug, Default)]
pub struct Cache {
    last: tokio::sync::Mutex<[Option<(std::time::Instant, Report)>; 2]>,
}

/// How long a readiness report stands.
pub const REPORT_FOR: Duration = Duration::from_secs(1);

/// How long the database checks may take before they count as failed.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(3);

/// The checks `scope` names, run at most once per [`REPORT_FOR`].
pub async fn readiness(p: &Pipeline, scope: Scope) -> Report {
    let mut last = p.ready_cache.last.lock().await;
    let slot = match scope {
        Scope::Ingest => 0,
        Scope::All => 1,
    };
    if let Some(Some((at, report))) = last.get(slot)
        && at.elapsed() < REPORT_FOR
    {
        return report.clone();
    }
    let report = run(p, scope).await;
    if let Some(s) = last.get_mut(slot) {
        *s = Some((std::time::Instant::now(), report.clone()));
    }
    report
}

async fn run(p: &Pipeline, scope: Scope) -> Report {
    let mut checks = vec![database(p).await, migrations(p).await, disk(p)];
    checks.extend(p.vitals.snapshot().into_iter().map(|(name, state)| {
        let (ok, detail) = match state {
            Ok(d) => (true, d),
            Err(d) => (false, d),
        };
        Check { name, ok, detail }
    }));
    if scope == Scope::All {
        checks.push(erp(p).await);
        checks.push(workers(p));
    }
    Report {
        ready: checks.iter().all(|c| c.ok),
        checks,
    }
}

fn check(name: &'static str, result: Result<String, String>) -> Check {
    match result {
        Ok(detail) => Check {
            name,
            ok: true,
            detail,
        },
        Err(detail) => Check {
            name,
            ok: false,
            detail,
        },
    }
}

/// Reachable, and writable: while the last write failed (a full disk), a small probe write
/// must commit before the answer is green again.
async fn database(p: &Pipeline) -> Check {
    let run = async {
        p.store.ping().await.map_err(|e| e.to_string())?;
        if let Some(why) = p.store.write_failure() {
            if let Some(free) = p.store.free_bytes()
                && free < MIN_FREE_BYTES
            {
                return Err(format!("writes fail: {why}; {free} bytes free"));
            }
            p.store
                .probe_write()
                .await
                .map_err(|_| format!("writes fail: {why}"))?;
        }
        let backend = match p.store.backend() {
            crate::config::Backend::Sqlite => "SQLite",
            crate::config::Backend::Postgres => "PostgreSQL",
        };
        Ok(format!("{backend} reachable and writable"))
    };
    let result = tokio::time::timeout(DATABASE_TIMEOUT, run)
        .await
        .unwrap_or_else(|_| Err("no answer within 3 s".into()));
    check("database", result)
}

async fn migrations(p: &Pipeline) -> Check {
    use crate::store::SchemaState;
    let result = match tokio::time::timeout(DATABASE_TIMEOUT, p.store.schema_state()).await {
        Err(_) => Err("no answer within 3 s".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(SchemaState::Current { .. })) => Ok("current".into()),
        // A newer instance of a fleet migrated first: this one still works on that schema.
        Ok(Ok(SchemaState::Newer { unknown })) => Ok(format!(
            "current; the database has {} migration(s) from a newer Wharf",
            unknown.len()
        )),
        Ok(Ok(SchemaState::Behind { pending, .. })) => {
            Err(format!("{} migration(s) not applied", pending.len()))
        }
        Ok(Ok(SchemaState::Empty)) => Err("no migration applied".into()),
        Ok(Ok(SchemaState::Dirty { version })) => {
            Err(format!("migration {version} failed part-way"))
        }
    };
    check("migrations", result)
}

/// Free space where Wharf writes: the data folder (inboxes, outbox, keys) and the SQLite
/// database's folder.
fn disk(p: &Pipeline) -> Check {
    let mut folders = vec![p.settings.data_dir.as_path()];
    if let Some(f) = p.store.folder()
        && !folders.contains(&f)
    {
        folders.push(f);
    }
    let mut least: Option<(u64, &std::path::Path)> = None;
    for f in folders {
        if let Some(free) = crate::util::files::free_bytes(f)
            && least.is_none_or(|(l, _)| free < l)
        {
            least = Some((free, f));
        }
    }
    let result = match least {
        None => Ok("free space not measurable here".into()),
        Some((free, f)) if free < MIN_FREE_BYTES => Err(format!(
            "{} has {free} bytes free (at least {MIN_FREE_BYTES} needed)",
            f.display()
        )),
        Some((free, f)) => Ok(format!("{} MiB free in {}", free >> 20, f.display())),
    };
    check("disk", result)
}

async fn erp(p: &Pipeline) -> Check {
    check("erp", p.ports.erp.ready().await)
}

/// A worker that has neither turned its loop nor renewed a lease for longer than a lease is
/// stuck (a worker running a long stage renews its lease every third of one).
fn workers(p: &Pipeline) -> Check {
    let s = &p.settings.pipeline;
    if s.workers == 0 {
        return check("workers", Ok("none in this instance".into()));
    }
    let limit = s
        .lease
        .max(s.poll_interval * 3)
        .max(Duration::from_secs(30));
    let limit_ms = i64::try_from(limit.as_millis()).unwrap_or(i64::MAX);
    let result = match p.heartbeat.silent_for_ms() {
        None => Err("no worker has started".into()),
        Some(ms) if ms > limit_ms => Err(format!(
            "no worker has turned for {} s (limit {} s)",
            ms / 1000,
            limit.as_secs()
        )),
        Some(_) => Ok(format!("{} worker(s) turning", s.workers)),
    };
    check("workers", result)
}
