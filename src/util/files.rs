//! Files Wharf writes for others (the ERP folder, a partner's outbox): names that cannot
//! escape their folder, and writes a reader never sees half done.

use std::path::{Path, PathBuf};

/// A document key as a file name that no other key shares: `[A-Za-z0-9-]` as they are,
/// every other byte as `_XX` (so never a separator, a leading dot, or empty).
pub fn key_file_name(key: &str) -> String {
    if key.is_empty() {
        return "_".to_owned();
    }
    escape_bytes(key, |b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Makes a name Wharf chose (a partner id) safe as one file-name component.
pub fn file_component(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // No separators survive, and without leading dots the result is never `.`, `..` or hidden.
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        "_".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// Writes `bytes` to `path` through a temporary name and a rename, so a reader never sees a
/// partial file and a repeat simply replaces identical bytes.
/// Free bytes for an unprivileged writer on the file system holding `path` (statvfs);
/// `None` when it cannot be read (no such path).
pub fn free_bytes(path: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(path).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

pub async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let dir = path
        .parent()
        .ok_or_else(|| WriteError::NoFolder(path.to_owned()))?;
    let io = |source: std::io::Error| WriteError::Io {
        path: path.to_owned(),
        source,
    };
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    let file = async {
        use tokio::io::AsyncWriteExt;
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(bytes).await?;
        // Durable before it is visible under its final name.
        f.sync_all().await?;
        tokio::fs::rename(&tmp, path).await
    };
    file.await.map_err(io)
}

/// Why [`write_atomically`] did not write.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The path names no folder to write in: a fault in how it was made, not worth a retry.
    #[error("{} has no folder", .0.display())]
    NoFolder(PathBuf),
    /// The folder or the file could not be written (a full disk, a permission): may pass.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `s` with every byte `keep` refuses written `_XX` (upper-case hex), the others as they
/// are. Injective as long as `keep` refuses `_`: an escape is the only `_` in the result.
pub fn escape_bytes(s: &str, keep: impl Fn(u8) -> bool) -> String {
    use std::fmt::Write;
    debug_assert!(!keep(b'_'), "`_` starts an escape");
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "_{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_escape_their_folder() {
        assert_eq!(file_component("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(file_component(""), "_");
        assert_eq!(file_component(".."), "_");
        assert_eq!(file_component("../x.x12"), "_x.x12");
        assert_eq!(
            file_component("acme_997_000000001.x12"),
            "acme_997_000000001.x12"
        );
    }
}
