//! The filesystem one partner sees over SFTP: `/inbox` (uploads, each ingested when its file
//! is closed) and `/outbox` (what Wharf sends the partner, read and deleted to confirm). It is
//! virtual: no path from a client ever reaches the host's filesystem except as a single file
//! name looked up inside the partner's own outbox folder.

use std::collections::HashMap;
use std::path::PathBuf;

use russh_sftp::protocol::{
    Attrs, Data, File, FileAttributes, Handle, Name, OpenFlags, Status, StatusCode, Version,
};

use crate::metrics::SftpDirection;
use crate::pipeline::Pipeline;
use crate::store::Channel;
use crate::store::messages::Inbound;

/// Where a client path points, after normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Root,
    Inbox,
    Outbox,
    Archive,
    InboxFile(String),
    OutboxFile(String),
    ArchiveFile(String),
}

/// Resolves a client path. Only `/`, `/inbox`, `/outbox`, `/archive` and one plain file
/// name under each exist; `..`, hidden names, deeper paths and anything else are refused.
pub fn place(path: &str) -> Option<Place> {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    let name_ok = |n: &str| {
        !n.starts_with('.')
            && n.len() <= 255
            && n.bytes()
                .all(|b| b.is_ascii_graphic() && b != b'\\' && b != b':')
    };
    match parts.as_slice() {
        [] => Some(Place::Root),
        ["inbox"] => Some(Place::Inbox),
        ["outbox"] => Some(Place::Outbox),
        ["archive"] => Some(Place::Archive),
        ["inbox", n] if name_ok(n) => Some(Place::InboxFile((*n).to_owned())),
        ["outbox", n] if name_ok(n) => Some(Place::OutboxFile((*n).to_owned())),
        ["archive", n] if name_ok(n) => Some(Place::ArchiveFile((*n).to_owned())),
        _ => None,
    }
}

fn path_of(p: &Place) -> String {
    match p {
        Place::Root => "/".into(),
        Place::Inbox => "/inbox".into(),
        Place::Outbox => "/outbox".into(),
        Place::InboxFile(n) => format!("/inbox/{n}"),
        Place::OutboxFile(n) => format!("/outbox/{n}"),
        Place::Archive => "/archive".into(),
        Place::ArchiveFile(n) => format!("/archive/{n}"),
    }
}

/// Seconds since the epoch as SFTP v3 carries them (u32): without a time, clients list
/// every file as made on 1 January 1970.
fn epoch_secs(t: std::time::SystemTime) -> Option<u32> {
    t.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| u32::try_from(d.as_secs()).ok())
}

fn dir_attrs() -> FileAttributes {
    let mut a = FileAttributes::empty();
    a.set_dir(true);
    a.permissions = Some(0o40755);
    // The virtual folders have no time of their own: now.
    let now = epoch_secs(std::time::SystemTime::now());
    a.atime = now;
    a.mtime = now;
    a
}

fn file_attrs(size: u64, modified: Option<u32>) -> FileAttributes {
    let mut a = FileAttributes::empty();
    a.set_regular(true);
    a.size = Some(size);
    a.permissions = Some(0o100644);
    if modified.is_some() {
        a.atime = modified;
        a.mtime = modified;
    }
    a
}

fn ok(id: u32) -> Status {
    Status {
        id,
        status_code: StatusCode::Ok,
        error_message: "Ok".into(),
        language_tag: "en-US".into(),
    }
}

enum Open {
    /// An upload being written, spooled to an unnamed temporary file under the data folder
    /// (gone with the handle, even after a crash): its memory does not grow with the offsets a
    /// client writes at. Ingested on close, dropped if the session ends first.
    Upload {
        name: String,
        spool: tokio::fs::File,
        /// The file's length: the furthest end written.
        len: u64,
        /// Bytes written, to tell a file with holes from a whole one.
        written: u64,
    },
    Download {
        bytes: Vec<u8>,
        /// The furthest end read: a download read to its end is a file sent.
        read_to: usize,
    },
    Dir {
        listed: bool,
        place: Place,
    },
}

/// One partner's SFTP session.
pub struct PartnerFs {
    pub partner: String,
    pub pipeline: Pipeline,
    pub outbox: PathBuf,
    pub pattern: crate::partners::channels::FilePattern,
    pub max_bytes: u64,
    /// `[limits] per_minute`: uploads a minute, counted with the partner's API calls.
    pub per_minute: Option<u32>,
    pub confirm: crate::partners::channels::Confirm,
    handles: HashMap<String, Open>,
    /// `[sftp] max_handles`: files and directories open at once in this channel.
    max_handles: usize,
    next: u64,
    /// This channel's place in its SSH session's `max_channels`, given back when dropped.
    _slot: super::SubsystemSlot,
}

impl PartnerFs {
    pub(crate) fn new(
        partner: &str,
        pipeline: Pipeline,
        outbox: PathBuf,
        max_handles: usize,
        slot: super::SubsystemSlot,
    ) -> Self {
        let snapshot = pipeline.partners.snapshot();
        let profile = snapshot.get(partner);
        let pattern = profile
            .and_then(|p| p.channels.sftp.as_ref())
            .map(|s| s.pattern.clone())
            .unwrap_or_else(|| crate::partners::channels::FilePattern("*".into()));
        let max_bytes = profile
            .and_then(|p| p.limits.max_file_bytes)
            .unwrap_or(256 * 1024 * 1024);
        let per_minute = profile.and_then(|p| p.limits.per_minute);
        let confirm = profile
            .and_then(|p| p.channels.sftp.as_ref())
            .map_or(crate::partners::channels::Confirm::Delete, |s| s.confirm);
        Self {
            partner: partner.to_owned(),
            pipeline,
            outbox,
            pattern,
            max_bytes,
            per_minute,
            confirm,
            handles: HashMap::new(),
            max_handles,
            next: 1,
            _slot: slot,
        }
    }

    /// Refuses another open once `max_handles` are held.
    fn room_for_a_handle(&self) -> Result<(), StatusCode> {
        if self.handles.len() >= self.max_handles {
            tracing::warn!(partner = %self.partner, max = self.max_handles, "SFTP open refused: [sftp] max_handles");
            return Err(StatusCode::Failure);
        }
        Ok(())
    }

    /// An unnamed temporary file for an upload, in `<data>/sftp-spool`.
    async fn spool(&self) -> Result<tokio::fs::File, StatusCode> {
        let dir = self.pipeline.settings.data_dir.join("sftp-spool");
        let made = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            tempfile::tempfile_in(&dir)
        })
        .await;
        match made {
            Ok(Ok(f)) => Ok(tokio::fs::File::from_std(f)),
            Ok(Err(e)) => {
                tracing::error!(partner = %self.partner, error = %e, "SFTP upload spool not made");
                Err(StatusCode::Failure)
            }
            Err(_) => Err(StatusCode::Failure),
        }
    }

    fn handle(&mut self, open: Open) -> String {
        let h = format!("h{}", self.next);
        self.next += 1;
        self.handles.insert(h.clone(), open);
        h
    }

    fn folder(&self, archive: bool) -> PathBuf {
        if archive {
            self.outbox.join("archive")
        } else {
            self.outbox.clone()
        }
    }

    /// Names in the outbox or its archive (regular files whose names a client may use), with
    /// their sizes and times written.
    fn files(&self, archive: bool) -> Vec<(String, u64, Option<u32>)> {
        let Ok(dir) = std::fs::read_dir(self.folder(archive)) else {
            return Vec::new();
        };
        let mut out: Vec<(String, u64, Option<u32>)> = dir
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                let name = e.file_name().into_string().ok()?;
                (meta.is_file() && place(&format!("/outbox/{name}")).is_some()).then_some((
                    name,
                    meta.len(),
                    meta.modified().ok().and_then(epoch_secs),
                ))
            })
            .collect();
        out.sort();
        out
    }

    fn outbox_file(&self, name: &str) -> Option<PathBuf> {
        self.listed(false, name)
    }

    /// Only a name listed in the folder is opened: never a path built from client input.
    fn listed(&self, archive: bool, name: &str) -> Option<PathBuf> {
        self.files(archive)
            .into_iter()
            .find(|(n, _, _)| n == name)
            .map(|(n, _, _)| self.folder(archive).join(n))
    }
}

impl russh_sftp::server::Handler for PartnerFs {
    type Error = StatusCode;

    fn unimplemented(&self) -> Self::Error {
        StatusCode::OpUnsupported
    }

    async fn init(
        &mut self,
        _version: u32,
        _extensions: HashMap<String, String>,
    ) -> Result<Version, Self::Error> {
        Ok(Version::new())
    }

    async fn realpath(&mut self, id: u32, path: String) -> Result<Name, Self::Error> {
        let p = place(&path).ok_or(StatusCode::NoSuchFile)?;
        Ok(Name {
            id,
            files: vec![File::new(path_of(&p), dir_attrs())],
        })
    }

    async fn stat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        self.lstat(id, path).await
    }

    async fn lstat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        let attrs = match place(&path).ok_or(StatusCode::NoSuchFile)? {
            Place::Root | Place::Inbox | Place::Outbox | Place::Archive => dir_attrs(),
            Place::InboxFile(_) => return Err(StatusCode::NoSuchFile),
            p @ (Place::OutboxFile(_) | Place::ArchiveFile(_)) => {
                let (archive, n) = match p {
                    Place::ArchiveFile(n) => (true, n),
                    Place::OutboxFile(n) => (false, n),
                    _ => return Err(StatusCode::NoSuchFile),
                };
                let (size, modified) = self
                    .files(archive)
                    .into_iter()
                    .find(|(f, _, _)| *f == n)
                    .map(|(_, s, m)| (s, m))
                    .ok_or(StatusCode::NoSuchFile)?;
                file_attrs(size, modified)
            }
        };
        Ok(Attrs { id, attrs })
    }

    async fn fstat(&mut self, id: u32, handle: String) -> Result<Attrs, Self::Error> {
        let attrs = match self.handles.get(&handle).ok_or(StatusCode::Failure)? {
            Open::Upload { len, .. } => file_attrs(*len, epoch_secs(std::time::SystemTime::now())),
            Open::Download { bytes, .. } => file_attrs(bytes.len() as u64, None),
            Open::Dir { .. } => dir_attrs(),
        };
        Ok(Attrs { id, attrs })
    }

    async fn setstat(
        &mut self,
        id: u32,
        _path: String,
        _attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        // Times and modes mean nothing here; accepted so `put -p` works.
        Ok(ok(id))
    }

    async fn fsetstat(
        &mut self,
        id: u32,
        _handle: String,
        _attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        Ok(ok(id))
    }

    async fn opendir(&mut self, id: u32, path: String) -> Result<Handle, Self::Error> {
        let p = place(&path).ok_or(StatusCode::NoSuchFile)?;
        if !matches!(
            p,
            Place::Root | Place::Inbox | Place::Outbox | Place::Archive
        ) {
            return Err(StatusCode::NoSuchFile);
        }
        self.room_for_a_handle()?;
        let handle = self.handle(Open::Dir {
            listed: false,
            place: p,
        });
        Ok(Handle { id, handle })
    }

    async fn readdir(&mut self, id: u32, handle: String) -> Result<Name, Self::Error> {
        let files = match self.handles.get(&handle) {
            Some(Open::Dir {
                listed: false,
                place,
            }) => match place {
                Place::Root => vec![
                    File::new("inbox", dir_attrs()),
                    File::new("outbox", dir_attrs()),
                    File::new("archive", dir_attrs()),
                ],
                // Uploads are taken at once: the inbox always looks empty.
                Place::Inbox => Vec::new(),
                p => self
                    .files(*p == Place::Archive)
                    .into_iter()
                    .map(|(n, s, m)| File::new(n, file_attrs(s, m)))
                    .collect(),
            },
            Some(Open::Dir { listed: true, .. }) => return Err(StatusCode::Eof),
            _ => return Err(StatusCode::Failure),
        };
        if let Some(Open::Dir { listed, .. }) = self.handles.get_mut(&handle) {
            *listed = true;
        }
        if files.is_empty() {
            return Err(StatusCode::Eof);
        }
        Ok(Name { id, files })
    }

    async fn open(
        &mut self,
        id: u32,
        filename: String,
        pflags: OpenFlags,
        _attrs: FileAttributes,
    ) -> Result<Handle, Self::Error> {
        let writing = pflags.contains(OpenFlags::WRITE);
        self.room_for_a_handle()?;
        let open = match place(&filename).ok_or(StatusCode::PermissionDenied)? {
            Place::InboxFile(name) if writing => {
                if !self.pattern.matches(&name) {
                    tracing::info!(partner = %self.partner, name, "upload refused: name outside the profile's pattern");
                    return Err(StatusCode::PermissionDenied);
                }
                if let Some(limit) = self.per_minute
                    && let Err(wait) = self.pipeline.rates.admit(&self.partner, limit)
                {
                    tracing::warn!(partner = %self.partner, name, limit, retry_secs = wait, "upload refused: [limits] per_minute reached");
                    return Err(StatusCode::PermissionDenied);
                }
                Open::Upload {
                    name,
                    spool: self.spool().await?,
                    len: 0,
                    written: 0,
                }
            }
            p @ (Place::OutboxFile(_) | Place::ArchiveFile(_)) if !writing => {
                let (archive, name) = match p {
                    Place::ArchiveFile(n) => (true, n),
                    Place::OutboxFile(n) => (false, n),
                    _ => return Err(StatusCode::NoSuchFile),
                };
                let path = self.listed(archive, &name).ok_or(StatusCode::NoSuchFile)?;
                let bytes = tokio::fs::read(&path)
                    .await
                    .map_err(|_| StatusCode::NoSuchFile)?;
                Open::Download { bytes, read_to: 0 }
            }
            _ => return Err(StatusCode::PermissionDenied),
        };
        let handle = self.handle(open);
        Ok(Handle { id, handle })
    }

    async fn write(
        &mut self,
        id: u32,
        handle: String,
        offset: u64,
        data: Vec<u8>,
    ) -> Result<Status, Self::Error> {
        use tokio::io::{AsyncSeekExt, AsyncWriteExt};
        let max = self.max_bytes;
        let Some(Open::Upload {
            spool,
            len,
            written,
            ..
        }) = self.handles.get_mut(&handle)
        else {
            return Err(StatusCode::PermissionDenied);
        };
        let end = offset.saturating_add(data.len() as u64);
        if end > max {
            return Err(StatusCode::Failure);
        }
        // On disk at its offset: a write far out makes a sparse file, not an allocation.
        let stored = async {
            spool.seek(std::io::SeekFrom::Start(offset)).await?;
            spool.write_all(&data).await
        }
        .await;
        if let Err(e) = stored {
            tracing::error!(partner = %self.partner, error = %e, "SFTP upload spool write failed");
            return Err(StatusCode::Failure);
        }
        *len = (*len).max(end);
        *written = written.saturating_add(data.len() as u64);
        Ok(ok(id))
    }

    async fn read(
        &mut self,
        id: u32,
        handle: String,
        offset: u64,
        len: u32,
    ) -> Result<Data, Self::Error> {
        let Some(Open::Download { bytes, read_to }) = self.handles.get_mut(&handle) else {
            return Err(StatusCode::PermissionDenied);
        };
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        if start >= bytes.len() {
            return Err(StatusCode::Eof);
        }
        let end = bytes.len().min(start.saturating_add(len as usize));
        *read_to = (*read_to).max(end);
        Ok(Data {
            id,
            data: bytes[start..end].to_vec(),
        })
    }

    /// An upload is stored durably (a message in the store, its identify job queued) before
    /// the close is answered: only then may the partner consider the file delivered.
    async fn close(&mut self, id: u32, handle: String) -> Result<Status, Self::Error> {
        match self.handles.remove(&handle) {
            Some(Open::Upload {
                name,
                spool,
                len,
                written,
            }) => {
                if len == 0 {
                    return Ok(ok(id));
                }
                // A file with holes was not sent, only sized: refused rather than read back
                // (a byte at the last offset would otherwise cost the whole length here).
                if written < len {
                    tracing::warn!(partner = %self.partner, name, len, written, "SFTP upload refused: the file has holes");
                    return Err(StatusCode::Failure);
                }
                let bytes = match read_spool(spool, len).await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(partner = %self.partner, name, error = %e, "SFTP upload spool not read");
                        return Err(StatusCode::Failure);
                    }
                };
                let stored = self
                    .pipeline
                    .receive(&Inbound {
                        channel: Channel::Sftp,
                        partner: Some(&self.partner),
                        filename: Some(&name),
                        raw: &bytes,
                        trace: None,
                    })
                    .await;
                match stored {
                    Ok(message) => {
                        tracing::info!(partner = %self.partner, name, message = message.get(), size = bytes.len(), "SFTP upload stored");
                        self.pipeline.metrics.sftp_file(
                            &self.partner,
                            SftpDirection::Received,
                            bytes.len(),
                        );
                        Ok(ok(id))
                    }
                    Err(e) => {
                        tracing::error!(partner = %self.partner, name, error = %e, "SFTP upload not stored");
                        Err(StatusCode::Failure)
                    }
                }
            }
            // Read up to its end: clients read front to back (OpenSSH in parallel chunks),
            // so the furthest end read marks a whole download; one that skipped ahead would
            // count as well, which misleads only about that partner's own downloads.
            Some(Open::Download { bytes, read_to }) => {
                if read_to >= bytes.len() {
                    self.pipeline.metrics.sftp_file(
                        &self.partner,
                        SftpDirection::Sent,
                        bytes.len(),
                    );
                }
                Ok(ok(id))
            }
            Some(_) => Ok(ok(id)),
            None => Err(StatusCode::Failure),
        }
    }

    async fn rename(
        &mut self,
        id: u32,
        oldpath: String,
        newpath: String,
    ) -> Result<Status, Self::Error> {
        self.archive(id, &oldpath, &newpath).await
    }

    /// Deleting a file from the outbox confirms its download (profiles with `confirm =
    /// "delete"`).
    async fn remove(&mut self, id: u32, filename: String) -> Result<Status, Self::Error> {
        let Some(Place::OutboxFile(name)) = place(&filename) else {
            return Err(StatusCode::PermissionDenied);
        };
        if self.confirm != crate::partners::channels::Confirm::Delete {
            return Err(StatusCode::PermissionDenied);
        }
        let path = self.outbox_file(&name).ok_or(StatusCode::NoSuchFile)?;
        tokio::fs::remove_file(&path)
            .await
            .map_err(|_| StatusCode::Failure)?;
        tracing::info!(partner = %self.partner, name, "outbox file collected over SFTP");
        Ok(ok(id))
    }
}

/// The spooled upload, `len` bytes from its start.
async fn read_spool(mut spool: tokio::fs::File, len: u64) -> std::io::Result<Vec<u8>> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    spool.seek(std::io::SeekFrom::Start(0)).await?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    spool.take(len).read_to_end(&mut bytes).await?;
    Ok(bytes)
}

impl PartnerFs {
    /// Moving a file from the outbox into the archive confirms its download (profiles with
    /// `confirm = "archive"`); nothing else can be renamed.
    async fn archive(&mut self, id: u32, from: &str, to: &str) -> Result<Status, StatusCode> {
        let (Some(Place::OutboxFile(name)), Some(Place::ArchiveFile(target))) =
            (place(from), place(to))
        else {
            return Err(StatusCode::PermissionDenied);
        };
        if self.confirm != crate::partners::channels::Confirm::Archive {
            return Err(StatusCode::PermissionDenied);
        }
        let path = self.outbox_file(&name).ok_or(StatusCode::NoSuchFile)?;
        let dir = self.folder(true);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|_| StatusCode::Failure)?;
        let dest = dir.join(&target);
        if dest.exists() {
            return Err(StatusCode::Failure);
        }
        tokio::fs::rename(&path, &dest)
            .await
            .map_err(|_| StatusCode::Failure)?;
        tracing::info!(partner = %self.partner, name, "outbox file collected over SFTP (archived)");
        Ok(ok(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_partners_two_folders_exist() {
        assert_eq!(place("/"), Some(Place::Root));
        assert_eq!(place("."), Some(Place::Root));
        assert_eq!(place("inbox"), Some(Place::Inbox));
        assert_eq!(
            place("/inbox/po.edi"),
            Some(Place::InboxFile("po.edi".into()))
        );
        assert_eq!(
            place("/outbox//997.x12"),
            Some(Place::OutboxFile("997.x12".into()))
        );
        for bad in [
            "/inbox/../outbox/x",
            "..",
            "/etc/passwd",
            "/inbox/a/b",
            "/inbox/.ssh",
            "/other/x",
            "/inbox/a\\b",
        ] {
            assert_eq!(place(bad), None, "{bad}");
        }
    }
}
