//! The operations team's side of the store: operator accounts, their sessions, machine
//! tokens for the JSON API, and the audit log of every change made through them.
//!
//! Secrets are never stored: sessions and tokens are kept as the SHA-256 of the random value
//! the browser or client holds; passwords as argon2id hashes.

use sqlx::Row;

use super::{Store, StoreError, Tx, now_ms};

/// What an operator may do, each role including the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads every page.
    Viewer,
    /// Also retries, replays, releases and cancels messages.
    Operator,
    /// Also edits partner profiles and reads the audit log.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn role_of(s: String) -> Result<Role, StoreError> {
    Role::parse(&s).ok_or(StoreError::Corrupt {
        column: "role",
        value: s,
    })
}

/// An operator account.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
}

/// Adds an operator, or gives an existing one a new password and role.
pub async fn put_user(
    store: &Store,
    name: &str,
    password_hash: &str,
    role: Role,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO users (name, password_hash, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role",
    )
    .bind(name.to_owned())
    .bind(password_hash.to_owned())
    .bind(role.as_str().to_owned())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    // A new password ends every session of the account.
    sqlx::query("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = $1)")
        .bind(name.to_owned())
        .execute(&mut *tx)
        .await?;
    record(&mut tx, "cli", "user.put", name, &format!("role {role}")).await?;
    tx.commit().await?;
    Ok(())
}

/// How many operator accounts exist (none: the first start's banner says how to add one).
pub async fn user_count(store: &Store) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(store.pool())
        .await?)
}

pub async fn user_by_name(store: &Store, name: &str) -> Result<Option<User>, StoreError> {
    let row = sqlx::query("SELECT id, name, role, password_hash FROM users WHERE name = $1")
        .bind(name.to_owned())
        .fetch_optional(store.pool())
        .await?;
    row.map(|r| {
        Ok(User {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            role: role_of(r.try_get(2)?)?,
            password_hash: r.try_get(3)?,
        })
    })
    .transpose()
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub role: Role,
    /// The token every form of this session carries.
    pub csrf: String,
    /// The IANA zone the operator reads times in (`users.time_zone`); `None` is UTC.
    pub time_zone: Option<String>,
}

pub async fn open_session(
    store: &Store,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    // Expired sessions go as new ones come.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash.to_owned())
    .bind(user_id)
    .bind(csrf.to_owned())
    .bind(now_ms())
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The live session of a cookie's token hash.
pub async fn session(store: &Store, token_hash: &str) -> Result<Option<Session>, StoreError> {
    let row = sqlx::query(
        "SELECT u.name, u.role, s.csrf, u.time_zone FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash.to_owned())
    .bind(now_ms())
    .fetch_optional(store.pool())
    .await?;
    row.map(|r| {
        Ok(Session {
            user: r.try_get(0)?,
            role: role_of(r.try_get(1)?)?,
            csrf: r.try_get(2)?,
            time_zone: r.try_get(3)?,
        })
    })
    .transpose()
}

/// Sets the zone `user` reads times in (`None`: UTC). The name is the caller's to check.
pub async fn set_time_zone(
    store: &Store,
    user: &str,
    time_zone: Option<&str>,
) -> Result<(), StoreError> {
    let _gate = store.write_gate().await;
    sqlx::query("UPDATE users SET time_zone = $1 WHERE name = $2")
        .bind(time_zone.map(str::to_owned))
        .bind(user.to_owned())
        .execute(store.pool())
        .await?;
    Ok(())
}

pub async fn close_session(store: &Store, token_hash: &str) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash.to_owned())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a machine client's token (its hash) for the JSON API.
pub async fn put_token(
    store: &Store,
    name: &str,
    token_hash: &str,
    role: Role,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO api_tokens (name, token_hash, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash, role = excluded.role",
    )
    .bind(name.to_owned())
    .bind(token_hash.to_owned())
    .bind(role.as_str().to_owned())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    record(&mut tx, "cli", "token.put", name, &format!("role {role}")).await?;
    tx.commit().await?;
    Ok(())
}

/// The client name and role of a token's hash.
pub async fn token(store: &Store, token_hash: &str) -> Result<Option<(String, Role)>, StoreError> {
    let row = sqlx::query("SELECT name, role FROM api_tokens WHERE token_hash = $1")
        .bind(token_hash.to_owned())
        .fetch_optional(store.pool())
        .await?;
    row.map(|r| Ok((r.try_get(0)?, role_of(r.try_get(1)?)?)))
        .transpose()
}

/// Appends to the audit log inside the change's own transaction: the change and its record
/// land together or not at all.
pub async fn record(
    tx: &mut Tx,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(now_ms())
    .bind(actor.to_owned())
    .bind(action.to_owned())
    .bind(target.to_owned())
    .bind(detail.to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Appends to the audit log on its own (a change outside the store: a profile file).
pub async fn record_alone(
    store: &Store,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    record(&mut tx, actor, action, target, detail).await?;
    tx.commit().await?;
    Ok(())
}

/// One line of the audit log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

pub async fn audit_log(store: &Store, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(audit_entry).collect()
}

/// One row of `SELECT at, actor, action, target, detail FROM audit`.
fn audit_entry(r: &sqlx::any::AnyRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        at: r.try_get(0)?,
        actor: r.try_get(1)?,
        action: r.try_get(2)?,
        target: r.try_get(3)?,
        detail: r.try_get(4)?,
    })
}

/// The latest audit line of `action` on `target` (a partner's last dry run, for its
/// onboarding checklist).
pub async fn last_audit(
    store: &Store,
    action: &str,
    target: &str,
) -> Result<Option<AuditEntry>, StoreError> {
    let row = sqlx::query(
        "SELECT at, actor, action, target, detail FROM audit \
         WHERE action = $1 AND target = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(action.to_owned())
    .bind(target.to_owned())
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(audit_entry).transpose()
}
