//! What opening the store may do to its schema: only `serve` and `wharf migrate` apply
//! migrations; a command that writes may create a new database but never upgrades an
//! existing one; a command that only reads neither creates nor migrates anything.
//!
//! Why: an operator upgrading Wharf backs up first, then migrates. If `wharf messages list`
//! run from the new binary silently upgraded the schema, the backup step would be skipped
//! by accident, and an old binary still running beside it would meet tables it does not know.

use super::{Backend, Store, StoreError};

/// What [`Store::open`] may do to the database's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Create the database when missing and apply every pending migration (`serve`,
    /// `wharf migrate`).
    Migrate,
    /// Create a new database (with every migration), but refuse an existing one whose schema
    /// is behind this binary (commands that write: `ingest`, `send`, `admin add-user`, …).
    CreateOnly,
    /// Use the database as it is: a missing database or one behind is an error (commands
    /// that only read: `messages list`, `events list`, …).
    AsIs,
    /// As [`Schema::AsIs`] (never create, never migrate) but whatever state the schema is
    /// in: for `wharf migrate --check`, which reports it.
    Inspect,
}

/// Where a database's schema stands against the migrations compiled into this binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaState {
    /// No migration applied yet: a new, empty database.
    Empty,
    /// Every migration this binary knows is applied.
    Current { latest: i64 },
    /// Some are pending: `applied` is the newest applied version, `pending` the versions
    /// still to apply.
    Behind { applied: i64, pending: Vec<i64> },
    /// The database has migrations this binary does not know: it was upgraded by a newer
    /// Wharf.
    Newer { unknown: Vec<i64> },
    /// A migration started and failed part-way (PostgreSQL runs each in a transaction, so
    /// this is SQLite after a crash, or a hand edit).
    Dirty { version: i64 },
}

/// Why the schema does not allow what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "no database at {path}: start `wharf serve` or run `wharf migrate` to create it \
         (this command only reads)"
    )]
    Missing { path: String },
    #[error(
        "the database schema is at version {applied}, this Wharf expects {expected} \
         ({pending} migration(s) pending): back it up, then run `wharf migrate` \
         (see docs/operations.md § Upgrade)"
    )]
    Behind {
        applied: i64,
        expected: i64,
        pending: usize,
    },
    #[error(
        "the database was migrated by a newer Wharf (unknown migration(s) {unknown:?}): \
         run that version, or restore the backup taken before its upgrade"
    )]
    Newer { unknown: Vec<i64> },
    #[error(
        "migration {version} failed part-way: restore the backup taken before the upgrade, \
         then run `wharf migrate` again"
    )]
    Dirty { version: i64 },
}

impl Store {
    /// The schema's state against this binary's migrations (reads only).
    pub async fn schema_state(&self) -> Result<SchemaState, StoreError> {
        let exists: i64 = sqlx::query_scalar(match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master \
                 WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_name = '_sqlx_migrations' AND table_schema = current_schema()"
            }
        })
        .fetch_one(&self.pool)
        .await?;
        let applied: Vec<(i64, bool)> = if exists == 0 {
            Vec::new()
        } else {
            // As an integer: sqlx's Any driver decodes no SQLite BOOLEAN.
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT version, CAST(CASE WHEN success THEN 1 ELSE 0 END AS BIGINT) \
                 FROM _sqlx_migrations ORDER BY version",
            )
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter().map(|(v, ok)| (v, ok == 1)).collect()
        };
        let known: Vec<i64> = self.migrator().iter().map(|m| m.version).collect();
        Ok(state_of(&known, &applied))
    }

    /// The versions and descriptions of this binary's migrations, in order.
    pub fn known_migrations(&self) -> Vec<(i64, String)> {
        self.migrator()
            .iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect()
    }

    /// Applies every pending migration; the state afterwards.
    pub async fn migrate_now(&self) -> Result<SchemaState, StoreError> {
        self.migrate().await?;
        self.schema_state().await
    }

    /// Holds the schema to what `schema` allows: `Err` says why not and what to do.
    pub(super) async fn settle_schema(&self, schema: Schema) -> Result<(), StoreError> {
        match schema {
            Schema::Migrate => return self.migrate().await,
            Schema::Inspect => return Ok(()),
            Schema::CreateOnly | Schema::AsIs => {}
        }
        match self.schema_state().await? {
            SchemaState::Current { .. } => Ok(()),
            // A new database: created by a command that may write, as `serve` would.
            SchemaState::Empty if schema == Schema::CreateOnly => self.migrate().await,
            SchemaState::Empty => Err(SchemaError::Missing {
                path: "the configured database (it has no tables)".into(),
            }
            .into()),
            SchemaState::Behind { applied, pending } => Err(SchemaError::Behind {
                applied,
                expected: self.migrator().iter().map(|m| m.version).max().unwrap_or(0),
                pending: pending.len(),
            }
            .into()),
            SchemaState::Newer { unknown } => Err(SchemaError::Newer { unknown }.into()),
            SchemaState::Dirty { version } => Err(SchemaError::Dirty { version }.into()),
        }
    }
}

/// Compares the versions compiled in (`known`, ascending) with the rows of
/// `_sqlx_migrations` (`applied`: version, success).
fn state_of(known: &[i64], applied: &[(i64, bool)]) -> SchemaState {
    if let Some(&(version, _)) = applied.iter().find(|(_, ok)| !ok) {
        return SchemaState::Dirty { version };
    }
    let unknown: Vec<i64> = applied
        .iter()
        .map(|&(v, _)| v)
        .filter(|v| !known.contains(v))
        .collect();
    if !unknown.is_empty() {
        return SchemaState::Newer { unknown };
    }
    let Some(&(newest, _)) = applied.iter().max_by_key(|(v, _)| *v) else {
        return SchemaState::Empty;
    };
    let pending: Vec<i64> = known
        .iter()
        .copied()
        .filter(|k| !applied.iter().any(|&(v, _)| v == *k))
        .collect();
    if pending.is_empty() {
        SchemaState::Current { latest: newest }
    } else {
        SchemaState::Behind {
            applied: newest,
            pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{SchemaState, state_of};

    #[test]
    fn states() {
        let known = [1, 2, 3];
        assert_eq!(state_of(&known, &[]), SchemaState::Empty);
        assert_eq!(
            state_of(&known, &[(1, true), (2, true), (3, true)]),
            SchemaState::Current { latest: 3 }
        );
        assert_eq!(
            state_of(&known, &[(1, true)]),
            SchemaState::Behind {
                applied: 1,
                pending: vec![2, 3]
            }
        );
        assert_eq!(
            state_of(&known, &[(1, true), (2, true), (3, true), (4, true)]),
            SchemaState::Newer { unknown: vec![4] }
        );
        assert_eq!(
            state_of(&known, &[(1, true), (2, false)]),
            SchemaState::Dirty { version: 2 }
        );
    }
}
