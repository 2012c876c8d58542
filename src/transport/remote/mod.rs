//! Wharf as a client of partners' own servers: one `Session` over FTP, FTPS (explicit or
//! implicit TLS, rustls) or SFTP (russh), used to collect files on the profile's schedule
//! (`collect.rs`) and to deliver outbound documents (`deliver.rs`). Files: `mod.rs` the
//! session and its errors; `ftp.rs` and `sftp.rs` the two protocols.
//!
//! Every network step has a deadline (`[transfers]` settings): a server that does not
//! answer costs one connect timeout, after which it is marked down for `down_ms` and
//! further deliveries to it fail at once, so one partner's dead server never holds the
//! workers that serve the others.

pub mod collect;
pub mod deliver;
mod ftp;

pub use ftp::{Listing, parse_listing};
mod sftp;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::Settings;
use crate::partners::channels::{Protocol, Remote, Secret};
use crate::store::Store;

/// What went wrong with a partner's server. Every kind is worth another try later (a
/// password fixed, a server back), so the pipeline retries them all with backoff; the kind
/// tells the operator where to look.
#[derive(Debug, thiserror::Error)]
#[error("{url}: {kind}: {detail}")]
pub struct RemoteError {
    pub url: String,
    pub kind: ErrorKind,
    pub detail: String,
}

/// Where a transfer failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ErrorKind {
    /// No TCP connection, or no answer within the connect timeout.
    Unreachable,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// The SFTP server's key is not the pinned or first-seen one.
    HostKey,
    /// The server refused the user name, password or key.
    Login,
    /// The password could not be read from its `secret` source.
    Secret,
    /// The server refused a command (a missing folder, no permission).
    Refused,
    /// The connection broke, or no byte moved within the stall timeout.
    Broken,
    /// A file larger than the partner's `[limits] max_file_bytes`.
    TooLarge,
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Tls => "TLS failed",
            ErrorKind::HostKey => "wrong host key",
            ErrorKind::Login => "login refused",
            ErrorKind::Secret => "no password",
            ErrorKind::Refused => "refused",
            ErrorKind::Broken => "connection broken",
            ErrorKind::TooLarge => "file too large",
        })
    }
}

impl ErrorKind {
    /// The word `/metrics` counts this failure under (`wharf_transfers_total`'s `outcome`).
    pub fn as_label(self) -> &'static str {
        match self {
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Tls => "tls",
            ErrorKind::HostKey => "host_key",
            ErrorKind::Login => "login",
            ErrorKind::Secret => "secret",
            ErrorKind::Refused => "refused",
            ErrorKind::Broken => "broken",
            ErrorKind::TooLarge => "too_large",
        }
    }
}

impl RemoteError {
    fn new(remote: &Remote, kind: ErrorKind, detail: impl std::fmt::Display) -> Self {
        Self {
            url: remote.url(),
            kind,
            detail: detail.to_string(),
        }
    }

    /// Whether the server itself seems to be away (so others' work should not wait on it).
    fn server_down(&self) -> bool {
        matches!(self.kind, ErrorKind::Unreachable | ErrorKind::Broken)
    }
}

/// A file in a remote folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// From the listing, when the server gives it.
    pub size: Option<u64>,
}

/// An open, logged-in session with one partner folder.
#[expect(
    clippy::large_enum_variant,
    reason = "one session per transfer, never stored in bulk"
)]
pub enum Session {
    Ftp(Box<ftp::Ftp>),
    Sftp(sftp::Sftp),
}

/// The deadlines of one session.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    pub connect: Duration,
    pub stall: Duration,
}

/// Servers that could not be reached lately: `url → until when deliveries skip it`.
#[derive(Debug, Default)]
pub struct DownServers(Mutex<HashMap<String, Instant>>);

impl DownServers {
    /// The time left before the server may be tried again, if it is marked down.
    pub fn down_for(&self, url: &str) -> Option<Duration> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(url)
            .and_then(|until| until.checked_duration_since(Instant::now()))
    }

    fn mark(&self, url: &str, d: Duration) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(url.to_owned(), Instant::now() + d);
    }

    fn clear(&self, url: &str) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(url);
    }
}

/// The process-wide record of servers found down (shared by collectors and workers).
pub fn down_servers() -> &'static DownServers {
    static DOWN: std::sync::OnceLock<DownServers> = std::sync::OnceLock::new();
    DOWN.get_or_init(DownServers::default)
}

/// The password of a remote login, read from where the profile says it is.
fn password(remote: &Remote) -> Result<Option<String>, RemoteError> {
    match &remote.secret {
        None => Ok(None),
        Some(Secret::Env(name)) => std::env::var(name).map(Some).map_err(|_| {
            RemoteError::new(
                remote,
                ErrorKind::Secret,
                format!("environment variable {name} is not set"),
            )
        }),
        Some(Secret::File(path)) => std::fs::read_to_string(path)
            .map(|s| Some(s.trim_end_matches(['\n', '\r']).to_owned()))
            .map_err(|e| RemoteError::new(remote, ErrorKind::Secret, format!("{path}: {e}"))),
    }
}

/// `folder/name` on the server.
fn join(folder: &str, name: &str) -> String {
    let folder = folder.trim_end_matches('/');
    format!("{folder}/{name}")
}

/// Names Wharf will read or write remotely: a plain file name, never a path. A server
/// listing `../x` or `a/b` is not followed.
pub fn plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0', '\r', '\n'])
}

/// The temporary name a delivery is written under before it is renamed into place: a name
/// no `*.x12`-style pickup pattern matches and that most pollers skip as hidden.
pub fn temporary_name(name: &str) -> String {
    format!(".{name}.part")
}

impl Session {
    /// Connects and logs in to the remote's server, within the connect deadline.
    pub async fn open(
        store: &Store,
        settings: &Settings,
        remote: &Remote,
    ) -> Result<Session, RemoteError> {
        let t = &settings.transfers;
        let deadlines = Deadlines {
            connect: t.connect_timeout,
            stall: t.stall_timeout,
        };
        let opened = match remote.protocol {
            Protocol::Ftp | Protocol::Ftps | Protocol::FtpsImplicit => {
                ftp::Ftp::open(remote, deadlines)
                    .await
                    .map(|f| Session::Ftp(Box::new(f)))
            }
            Protocol::Sftp => sftp::Sftp::open(store, settings, remote, deadlines)
                .await
                .map(Session::Sftp),
        };
        match &opened {
            Ok(_) => down_servers().clear(&remote.url()),
            Err(e) if e.server_down() => down_servers().mark(&e.url, t.down_for),
            Err(_) => {}
        }
        opened
    }

    /// The regular files of the folder (sub-folders, links and odd names left out).
    pub async fn list(&mut self) -> Result<Vec<Entry>, RemoteError> {
        let mut entries = match self {
            Session::Ftp(f) => f.list().await?,
            Session::Sftp(s) => s.list().await?,
        };
        entries.retain(|e| plain_name(&e.name));
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// A whole file, refused past `limit` bytes.
    pub async fn get(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, RemoteError> {
        match self {
            Session::Ftp(f) => f.get(name, limit).await,
            Session::Sftp(s) => s.get(name, limit).await,
        }
    }

    /// Writes `bytes` under the temporary name, then renames it to `name` (replacing a file
    /// of that name, which can only be this same document from an attempt cut short).
    pub async fn put(&mut self, name: &str, bytes: &[u8]) -> Result<(), RemoteError> {
        let temp = temporary_name(name);
        match self {
            Session::Ftp(f) => {
                f.put(&temp, bytes).await?;
                f.rename(&temp, name).await
            }
            Session::Sftp(s) => {
                s.put(&temp, bytes).await?;
                s.rename(&temp, name).await
            }
        }
    }

    pub async fn remove(&mut self, name: &str) -> Result<(), RemoteError> {
        match self {
            Session::Ftp(f) => f.remove(name).await,
            Session::Sftp(s) => s.remove(name).await,
        }
    }

    /// Moves a collected file into `archive/` beside it (made when missing).
    pub async fn archive(&mut self, name: &str) -> Result<(), RemoteError> {
        let to = format!("archive/{name}");
        match self {
            Session::Ftp(f) => {
                f.mkdir("archive").await;
                f.rename(name, &to).await
            }
            Session::Sftp(s) => {
                s.mkdir("archive").await;
                s.rename(name, &to).await
            }
        }
    }

    /// Says goodbye; errors are of no interest once the work is done.
    pub async fn close(self) {
        match self {
            Session::Ftp(f) => f.close().await,
            Session::Sftp(s) => s.close().await,
        }
    }
}

/// Reads a whole stream with a stall deadline per read and a size limit; shared by both
/// protocols' downloads.
async fn read_all<R: tokio::io::AsyncRead + Unpin>(
    remote: &Remote,
    mut r: R,
    limit: u64,
    stall: Duration,
) -> Result<Vec<u8>, RemoteError> {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = tokio::time::timeout(stall, r.read(&mut buf))
            .await
            .map_err(|_| {
                RemoteError::new(
                    remote,
                    ErrorKind::Broken,
                    "no data within the stall timeout",
                )
            })?
            .map_err(|e| RemoteError::new(remote, ErrorKind::Broken, e))?;
        if n == 0 {
            return Ok(out);
        }
        if out.len() as u64 + n as u64 > limit {
            return Err(RemoteError::new(
                remote,
                ErrorKind::TooLarge,
                format!("more than {limit} bytes"),
            ));
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Writes all of `bytes` with a stall deadline per chunk; shared by both protocols' uploads.
async fn write_all<W: tokio::io::AsyncWrite + Unpin>(
    remote: &Remote,
    w: &mut W,
    bytes: &[u8],
    stall: Duration,
) -> Result<(), RemoteError> {
    use tokio::io::AsyncWriteExt;
    for chunk in bytes.chunks(64 * 1024) {
        tokio::time::timeout(stall, w.write_all(chunk))
            .await
            .map_err(|_| RemoteError::new(remote, ErrorKind::Broken, "stalled while writing"))?
            .map_err(|e| RemoteError::new(remote, ErrorKind::Broken, e))?;
    }
    tokio::time::timeout(stall, w.flush())
        .await
        .map_err(|_| RemoteError::new(remote, ErrorKind::Broken, "stalled while writing"))?
        .map_err(|e| RemoteError::new(remote, ErrorKind::Broken, e))
}

/// Runs `f` within `d`, or fails as `kind`.
async fn within<T>(
    remote: &Remote,
    d: Duration,
    what: &str,
    kind: ErrorKind,
    f: impl std::future::Future<Output = Result<T, RemoteError>>,
) -> Result<T, RemoteError> {
    tokio::time::timeout(d, f)
        .await
        .map_err(|_| RemoteError::new(remote, kind, format!("no answer to {what} within {d:?}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_names_are_plain_file_names() {
        assert!(plain_name("po_1.x12"));
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "x\ny"] {
            assert!(!plain_name(bad), "{bad:?}");
        }
        assert_eq!(temporary_name("a.x12"), ".a.x12.part");
        assert_eq!(join("/out/", "a"), "/out/a");
        assert_eq!(join("/", "a"), "/a");
    }

    #[test]
    fn listings_give_regular_files_with_sizes() {
        let mlsd = [
            "type=file;size=1234;modify=20261126120000; po_1.x12",
            "type=dir;modify=20261126120000; archive",
            "type=cdir; .",
            "garbage without facts",
        ]
        .map(String::from);
        assert_eq!(
            parse_listing(&mlsd, Listing::Mlsd),
            [Entry {
                name: "po_1.x12".into(),
                size: Some(1234)
            }]
        );
        let list = [
            "-rw-r--r--   1 edi  edi        88 Nov 26 12:00 asn 7.x12",
            "drwxr-xr-x   2 edi  edi      4096 Nov 26 12:00 archive",
            "11-26-26  12:00PM                  512 INV_9.x12",
            "total 12",
        ]
        .map(String::from);
        let names: Vec<_> = parse_listing(&list, Listing::List)
            .into_iter()
            .map(|e| (e.name, e.size))
            .collect();
        assert_eq!(
            names,
            [
                ("asn 7.x12".into(), Some(88)),
                ("INV_9.x12".into(), Some(512))
            ]
        );
    }

    #[test]
    fn down_servers_expire() {
        let d = DownServers::default();
        assert!(d.down_for("ftp://x:21/").is_none());
        d.mark("ftp://x:21/", Duration::from_secs(30));
        assert!(d.down_for("ftp://x:21/").is_some());
        d.clear("ftp://x:21/");
        assert!(d.down_for("ftp://x:21/").is_none());
        d.mark("ftp://x:21/", Duration::ZERO);
        assert!(d.down_for("ftp://x:21/").is_none());
    }
}
