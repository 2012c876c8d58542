//! `wharf migrate` and `wharf backup`: the two commands an upgrade is made of (back up,
//! then migrate), so that no other command has to change the schema behind an operator's back.

use std::path::{Path, PathBuf};

use super::*;
use crate::store::{Schema, SchemaState};

pub(super) async fn migrate(s: &Settings, check: bool) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    // `--check` must not create or change anything: open as-is, but report a behind schema
    // as a state rather than refusing it.
    let store = if check {
        match Store::open(&s.database, Schema::Inspect).await {
            Ok(store) => store,
            Err(crate::store::StoreError::Schema(e)) => {
                writeln!(out, "{e}")?;
                return Ok(ExitCode::from(1));
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        Store::open(&s.database, Schema::Migrate).await?
    };
    let state = store.schema_state().await?;
    let known = store.known_migrations();
    writeln!(out, "database: {}", s.database.redacted())?;
    match &state {
        SchemaState::Current { latest } => {
            let name = known
                .iter()
                .find(|(v, _)| v == latest)
                .map(|(_, d)| d.as_str())
                .unwrap_or("");
            writeln!(out, "schema: current, version {latest} ({name})")?;
        }
        SchemaState::Behind { applied, pending } => {
            writeln!(
                out,
                "schema: version {applied}, {} pending — back up, then run `wharf migrate`:",
                pending.len()
            )?;
            for (v, d) in known.iter().filter(|(v, _)| pending.contains(v)) {
                writeln!(out, "  {v} {d}")?;
            }
        }
        other => writeln!(out, "schema: {other:?}")?,
    }
    Ok(match state {
        SchemaState::Current { .. } => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    })
}

/// `wharf backup DIR`: a consistent copy of the database taken while Wharf runs, then the
/// files beside it (data folder, partner profiles, keys and certificates, the settings
/// file), and a MANIFEST saying where each came from, for a restore.
pub(super) async fn backup(
    s: &Settings,
    cli_config: Option<&Path>,
    dir: &Path,
) -> anyhow::Result<ExitCode> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(UsageError(format!(
            "{} is not empty: back up into a new folder",
            dir.display()
        ))
        .into());
    }
    {
        use std::os::unix::fs::DirBuilderExt;
        // It holds private keys and partners' documents.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let mut manifest =
        String::from("# wharf backup: what each entry here was (restore: docs/operations.md)\n");
    let store = Store::open(&s.database, Schema::AsIs).await?;
    let database = match store.backend() {
        crate::config::Backend::Sqlite => {
            // VACUUM INTO writes a consistent snapshot from one read transaction: writers go
            // on meanwhile (WAL), and the copy is compact and has no WAL of its own.
            let file = dir.join("wharf.db");
            let target = file
                .to_str()
                .ok_or_else(|| UsageError("the backup folder's path is not UTF-8".into()))?;
            sqlx::query("VACUUM INTO $1")
                .bind(target)
                .execute(store.pool())
                .await?;
            manifest.push_str(&format!("wharf.db\tdatabase {}\n", s.database.redacted()));
            "wharf.db"
        }
        crate::config::Backend::Postgres => {
            pg_dump(&s.database.url, &dir.join("wharf.dump"))?;
            manifest.push_str(&format!(
                "wharf.dump\tpg_dump --format=custom of {}\n",
                s.database.redacted()
            ));
            "wharf.dump"
        }
    };
    store.pool().close().await;
    let database_file = (s.database.backend == crate::config::Backend::Sqlite)
        .then(|| PathBuf::from(crate::store::sqlite_file(&s.database.url)));
    let mut copied = vec![database.to_string()];
    let mut copy = |what: &str, from: &Path, manifest: &mut String| -> anyhow::Result<()> {
        if !from.exists() {
            return Ok(());
        }
        let name = format!("{what}-{}", copied.len());
        copy_tree(from, &dir.join(&name), database_file.as_deref())?;
        manifest.push_str(&format!("{name}\t{what} {}\n", absolute(from).display()));
        copied.push(name);
        Ok(())
    };
    copy("data", &s.data_dir, &mut manifest)?;
    copy("partners", &s.partners_dir, &mut manifest)?;
    // Keys and certificates: each configured file's folder (where partners' certificates
    // live beside Wharf's by convention), or the file alone when it sits in the working
    // folder.
    let mut keys: Vec<PathBuf> = vec![
        s.as2.cert.clone(),
        s.as2.key.clone(),
        s.transfers.client_key.clone(),
    ];
    if let Some(sftp) = &s.sftp {
        keys.push(sftp.host_key.clone());
    }
    if let Some((cert, key)) = &s.http_tls {
        keys.push(cert.clone());
        keys.push(key.clone());
    }
    let mut folders: Vec<PathBuf> = vec![s.as2.previous_dir.clone()];
    for k in keys {
        match k
            .parent()
            .filter(|p| !p.as_os_str().is_empty() && *p != Path::new("."))
        {
            Some(p) => folders.push(p.to_path_buf()),
            None => folders.push(k),
        }
    }
    let data = absolute(&s.data_dir);
    let mut seen: Vec<PathBuf> = Vec::new();
    for f in folders {
        let abs = absolute(&f);
        // Already inside the data folder's copy, or copied once.
        if abs.starts_with(&data) || seen.iter().any(|x| abs.starts_with(x)) {
            continue;
        }
        seen.push(abs);
        copy("keys", &f, &mut manifest)?;
    }
    let config = cli_config.map(Path::to_path_buf).or_else(|| {
        Path::new("wharf.toml")
            .exists()
            .then(|| PathBuf::from("wharf.toml"))
    });
    if let Some(c) = config {
        copy("settings", &c, &mut manifest)?;
    }
    std::fs::write(dir.join("MANIFEST"), &manifest)?;
    print!("{manifest}");
    Ok(ExitCode::SUCCESS)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Copies a file or a folder (recursively; symbolic links as the files they point at),
/// keeping modes, and leaving out the live database (already snapshotted) and its WAL.
fn copy_tree(from: &Path, to: &Path, database: Option<&Path>) -> std::io::Result<()> {
    let skip = |p: &Path| {
        database.is_some_and(|db| {
            let (p, db) = (absolute(p), absolute(db));
            let name = db.as_os_str().to_string_lossy().into_owned();
            p == db
                || p.as_os_str() == format!("{name}-wal").as_str()
                || p.as_os_str() == format!("{name}-shm").as_str()
        })
    };
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        std::fs::set_permissions(to, std::fs::metadata(from)?.permissions())?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            let path = entry.path();
            if skip(&path) {
                continue;
            }
            copy_tree(&path, &to.join(entry.file_name()), database)?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to).map(|_| ())
    }
}

/// Runs PostgreSQL's own `pg_dump` (custom format, for `pg_restore`), the password (if any)
/// handed over in `PGPASSWORD`, never on the command line where `ps` shows it.
fn pg_dump(url: &str, file: &Path) -> anyhow::Result<()> {
    let mut parsed = url::Url::parse(url).map_err(|e| UsageError(format!("database URL: {e}")))?;
    let password = parsed
        .password()
        .map(|p| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default();
    let _ = parsed.set_password(None);
    let mut cmd = std::process::Command::new("pg_dump");
    cmd.arg("--format=custom")
        .arg("--file")
        .arg(file)
        .arg("--dbname")
        .arg(parsed.as_str());
    if !password.is_empty() {
        cmd.env("PGPASSWORD", password);
    }
    let status = cmd.status().map_err(|e| {
        UsageError(format!(
            "cannot run pg_dump ({e}): install PostgreSQL's client tools (Debian: postgresql-client) \
             of the server's major version or newer"
        ))
    })?;
    if !status.success() {
        return Err(UsageError(format!("pg_dump failed ({status})")).into());
    }
    Ok(())
}
