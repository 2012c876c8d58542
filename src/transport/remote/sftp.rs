//! SFTP sessions on partners' servers with russh and russh-sftp: the server's key checked
//! against the profile's pinned `host_key`, or the first key seen (kept in `known_hosts`);
//! login by the profile's password (`secret`) or Wharf's own client key from `certs/`.

use std::sync::{Arc, Mutex};

use russh::keys::{PrivateKeyWithHashAlg, PublicKey};
use russh_sftp::client::SftpSession;

use super::{
    Deadlines, Entry, ErrorKind, RemoteError, join, password, read_all, within, write_all,
};
use crate::config::Settings;
use crate::partners::channels::Remote;
use crate::store::Store;
use crate::store::transfers;

pub struct Sftp {
    ssh: russh::client::Handle<HostCheck>,
    sftp: SftpSession,
    remote: Remote,
    deadlines: Deadlines,
}

/// The server keys a session accepts, and the key it was shown.
struct HostCheck {
    /// Empty: no key known yet (the first one is taken and remembered).
    accept: Vec<PublicKey>,
    seen: Arc<Mutex<Option<PublicKey>>>,
}

impl russh::client::Handler for HostCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } = key else {
            // Certificates would need a CA the profile names; none does yet.
            return Ok(false);
        };
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(key.clone());
        }
        Ok(self.accept.is_empty() || self.accept.iter().any(|k| k.key_data() == key.key_data()))
    }
}

fn sftp_err(remote: &Remote, what: &str, e: russh_sftp::client::error::Error) -> RemoteError {
    use russh_sftp::client::error::Error as E;
    let kind = match &e {
        E::Status(_) | E::UnexpectedPacket | E::UnexpectedBehavior(_) => ErrorKind::Refused,
        _ => ErrorKind::Broken,
    };
    RemoteError::new(remote, kind, format!("{what}: {e}"))
}

impl Sftp {
    pub async fn open(
        store: &Store,
        settings: &Settings,
        remote: &Remote,
        deadlines: Deadlines,
    ) -> Result<Sftp, RemoteError> {
        let pinned = remote.host_key.as_deref();
        let known = match pinned {
            Some(_) => None,
            None => transfers::known_host(store, &remote.host, remote.port)
                .await
                .map_err(|e| RemoteError::new(remote, ErrorKind::HostKey, e))?,
        };
        let accept = match pinned.or(known.as_deref()) {
            Some(line) => vec![PublicKey::from_openssh(line).map_err(|e| {
                RemoteError::new(
                    remote,
                    ErrorKind::HostKey,
                    format!("the known key does not parse: {e}"),
                )
            })?],
            None => Vec::new(),
        };
        let first_contact = accept.is_empty();
        let seen = Arc::new(Mutex::new(None));
        let check = HostCheck {
            accept,
            seen: seen.clone(),
        };
        let config = Arc::new(russh::client::Config {
            inactivity_timeout: Some(deadlines.stall * 2),
            ..Default::default()
        });
        let addr = (remote.host.clone(), remote.port);
        let connected = within(
            remote,
            deadlines.connect,
            "SSH connect",
            ErrorKind::Unreachable,
            async {
                russh::client::connect(config, addr, check)
                    .await
                    .map_err(|e| {
                        let kind = match e {
                            russh::Error::UnknownKey => ErrorKind::HostKey,
                            russh::Error::IO(_) | russh::Error::Disconnect => {
                                ErrorKind::Unreachable
                            }
                            _ => ErrorKind::Unreachable,
                        };
                        let shown = seen
                            .lock()
                            .ok()
                            .and_then(|k| k.as_ref().map(|k| k.to_openssh().unwrap_or_default()));
                        match (kind, shown) {
                            (ErrorKind::HostKey, Some(k)) => {
                                RemoteError::new(remote, kind, format!("the server showed {k}"))
                            }
                            _ => RemoteError::new(remote, kind, e),
                        }
                    })
            },
        )
        .await?;
        if first_contact && let Some(key) = seen.lock().ok().and_then(|k| k.clone()) {
            let line = key
                .to_openssh()
                .map_err(|e| RemoteError::new(remote, ErrorKind::HostKey, e))?;
            transfers::remember_host(store, &remote.host, remote.port, &line)
                .await
                .map_err(|e| RemoteError::new(remote, ErrorKind::HostKey, e))?;
            tracing::info!(server = %remote.url(), key = %line, "SFTP server key seen for the first time; remembered");
        }
        let mut ssh = connected;
        /// How Wharf proves who it is.
        #[expect(clippy::large_enum_variant, reason = "one value per login")]
        enum Credential {
            Password(String),
            Key(russh::keys::PrivateKey),
        }
        let credential = match password(remote)? {
            Some(pw) => Credential::Password(pw),
            None => Credential::Key(
                crate::transport::sftp::host_key(&settings.transfers.client_key).map_err(|e| {
                    RemoteError::new(remote, ErrorKind::Login, format!("client key: {e}"))
                })?,
            ),
        };
        let with_password = matches!(credential, Credential::Password(_));
        within(
            remote,
            deadlines.connect,
            "SSH login",
            ErrorKind::Unreachable,
            async {
                let result = match credential {
                    Credential::Password(pw) => {
                        ssh.authenticate_password(remote.user.clone(), pw).await
                    }
                    Credential::Key(key) => {
                        let hash = ssh.best_supported_rsa_hash().await.ok().flatten().flatten();
                        ssh.authenticate_publickey(
                            remote.user.clone(),
                            PrivateKeyWithHashAlg::new(Arc::new(key), hash),
                        )
                        .await
                    }
                };
                match result {
                    Ok(r) if r.success() => Ok(()),
                    Ok(_) => Err(RemoteError::new(
                        remote,
                        ErrorKind::Login,
                        format!(
                            "user {} with {}",
                            remote.user,
                            if with_password {
                                "the password"
                            } else {
                                "Wharf's client key"
                            }
                        ),
                    )),
                    Err(e) => Err(RemoteError::new(remote, ErrorKind::Broken, e)),
                }
            },
        )
        .await?;
        let sftp = within(
            remote,
            deadlines.connect,
            "SFTP subsystem",
            ErrorKind::Unreachable,
            async {
                let channel = ssh
                    .channel_open_session()
                    .await
                    .map_err(|e| RemoteError::new(remote, ErrorKind::Refused, e))?;
                channel
                    .request_subsystem(true, "sftp")
                    .await
                    .map_err(|e| RemoteError::new(remote, ErrorKind::Refused, e))?;
                let sftp = SftpSession::new(channel.into_stream())
                    .await
                    .map_err(|e| sftp_err(remote, "SFTP", e))?;
                sftp.set_timeout(deadlines.stall.as_secs().max(1));
                Ok(sftp)
            },
        )
        .await?;
        Ok(Sftp {
            ssh,
            sftp,
            remote: remote.clone(),
            deadlines,
        })
    }

    fn path(&self, name: &str) -> String {
        join(&self.remote.folder, name)
    }

    pub async fn list(&mut self) -> Result<Vec<Entry>, RemoteError> {
        let dir = self
            .sftp
            .read_dir(self.remote.folder.clone())
            .await
            .map_err(|e| sftp_err(&self.remote, &format!("list {}", self.remote.folder), e))?;
        Ok(dir
            .filter(|e| e.file_type().is_file())
            .map(|e| Entry {
                name: e.file_name(),
                size: e.metadata().size,
            })
            .collect())
    }

    pub async fn get(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, RemoteError> {
        let path = self.path(name);
        let file = self
            .sftp
            .open(path.clone())
            .await
            .map_err(|e| sftp_err(&self.remote, &format!("open {path}"), e))?;
        read_all(&self.remote, file, limit, self.deadlines.stall).await
    }

    pub async fn put(&mut self, name: &str, bytes: &[u8]) -> Result<(), RemoteError> {
        use tokio::io::AsyncWriteExt;
        let path = self.path(name);
        let mut file = self
            .sftp
            .create(path.clone())
            .await
            .map_err(|e| sftp_err(&self.remote, &format!("create {path}"), e))?;
        write_all(&self.remote, &mut file, bytes, self.deadlines.stall).await?;
        // The close is what tells the server the file is complete.
        tokio::time::timeout(self.deadlines.stall, file.shutdown())
            .await
            .map_err(|_| RemoteError::new(&self.remote, ErrorKind::Broken, "no answer to close"))?
            .map_err(|e| {
                RemoteError::new(
                    &self.remote,
                    ErrorKind::Broken,
                    format!("close {path}: {e}"),
                )
            })
    }

    pub async fn rename(&mut self, from: &str, to: &str) -> Result<(), RemoteError> {
        let (f, t) = (self.path(from), self.path(to));
        match self.sftp.rename(f.clone(), t.clone()).await {
            Ok(()) => Ok(()),
            // SFTP v3 refuses to rename over an existing file; the file there can only be
            // this same delivery from an attempt cut short after its rename.
            Err(_) if self.sftp.try_exists(t.clone()).await.unwrap_or(false) => {
                let _ = self.sftp.remove_file(t.clone()).await;
                self.sftp
                    .rename(f.clone(), t.clone())
                    .await
                    .map_err(|e| sftp_err(&self.remote, &format!("rename {f} → {t}"), e))
            }
            Err(e) => Err(sftp_err(&self.remote, &format!("rename {f} → {t}"), e)),
        }
    }

    pub async fn remove(&mut self, name: &str) -> Result<(), RemoteError> {
        let path = self.path(name);
        self.sftp
            .remove_file(path.clone())
            .await
            .map_err(|e| sftp_err(&self.remote, &format!("remove {path}"), e))
    }

    pub async fn mkdir(&mut self, name: &str) {
        let _ = self.sftp.create_dir(self.path(name)).await;
    }

    pub async fn close(self) {
        let _ = self.sftp.close().await;
        let _ = self
            .ssh
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}
