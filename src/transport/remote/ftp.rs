//! FTP and FTPS sessions with suppaftp on tokio: plain, explicit TLS (AUTH TLS) or implicit
//! TLS, always rustls (aws-lc-rs), always binary transfers (suppaftp starts in ASCII mode,
//! which would rewrite line endings inside EDI files).

use std::sync::Arc;

use suppaftp::FtpError;
use suppaftp::tokio::{AsyncRustlsConnector, AsyncRustlsFtpStream};
use suppaftp::types::FileType;

use super::{Deadlines, Entry, ErrorKind, RemoteError, password, read_all, within, write_all};
use crate::partners::channels::{Protocol, Remote};

/// The two listing forms an FTP server may answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// RFC 3659 machine-readable lines (`type=file;size=12; name`).
    Mlsd,
    /// `ls -l`-style Unix lines, or DOS/IIS lines.
    List,
}

/// The regular files of a listing (the partner's server's bytes, so lines that do not parse
/// are skipped, never trusted): names are whatever the server says, checked by the caller.
pub fn parse_listing(lines: &[String], form: Listing) -> Vec<Entry> {
    use suppaftp::list::ListParser;
    lines
        .iter()
        .filter_map(|l| match form {
            // Only lines whose facts say `type=file`: the parser takes a line without
            // facts for a file named by the whole line.
            Listing::Mlsd => l
                .split_once(' ')
                .is_some_and(|(facts, _)| {
                    facts
                        .split(';')
                        .any(|f| f.eq_ignore_ascii_case("type=file"))
                })
                .then(|| ListParser::parse_mlsd(l).ok())
                .flatten(),
            Listing::List => ListParser::parse_posix(l)
                .or_else(|_| ListParser::parse_dos(l))
                .ok(),
        })
        .filter(|f| f.is_file())
        .map(|f| Entry {
            name: f.name().to_owned(),
            size: Some(f.size() as u64),
        })
        .collect()
}

pub struct Ftp {
    stream: AsyncRustlsFtpStream,
    remote: Remote,
    deadlines: Deadlines,
}

/// What an FTP error means for the operator.
fn kind_of(e: &FtpError) -> ErrorKind {
    match e {
        FtpError::ConnectionError(_) | FtpError::BadResponse | FtpError::InvalidAddress(_) => {
            ErrorKind::Broken
        }
        FtpError::SecureError(_) => ErrorKind::Tls,
        FtpError::UnexpectedResponse(_) | FtpError::DataConnectionAlreadyOpen => ErrorKind::Refused,
    }
}

/// The reply text of a refusal ("550 No such file"), or the error itself.
fn describe(e: &FtpError) -> String {
    match e {
        FtpError::UnexpectedResponse(r) => format!(
            "{} {}",
            r.status.code(),
            String::from_utf8_lossy(&r.body).trim()
        ),
        other => other.to_string(),
    }
}

/// rustls with the system's roots, or only the profile's `ca` certificates when given.
fn connector(remote: &Remote) -> Result<AsyncRustlsConnector, RemoteError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match &remote.ca {
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect::<Result<_, _>>())
                .map_err(|e| RemoteError::new(remote, ErrorKind::Tls, format!("ca {path}: {e}")))?;
            if certs.is_empty() {
                return Err(RemoteError::new(
                    remote,
                    ErrorKind::Tls,
                    format!("ca {path} holds no certificate"),
                ));
            }
            for c in certs {
                roots.add(c).map_err(|e| {
                    RemoteError::new(remote, ErrorKind::Tls, format!("ca {path}: {e}"))
                })?;
            }
        }
        None => {
            for c in rustls_native_certs::load_native_certs().certs {
                // A broken system certificate is skipped, as every TLS client does.
                let _ = roots.add(c);
            }
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| RemoteError::new(remote, ErrorKind::Tls, e))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(AsyncRustlsConnector::from(
        tokio_rustls::TlsConnector::from(Arc::new(config)),
    ))
}

impl Ftp {
    pub async fn open(remote: &Remote, deadlines: Deadlines) -> Result<Ftp, RemoteError> {
        let pass = password(remote)?.unwrap_or_default();
        let addr = (remote.host.as_str(), remote.port);
        let connected = within(
            remote,
            deadlines.connect,
            "connect",
            ErrorKind::Unreachable,
            async {
                let stream = match remote.protocol {
                    Protocol::FtpsImplicit => {
                        AsyncRustlsFtpStream::connect_secure_implicit(
                            addr,
                            connector(remote)?,
                            &remote.host,
                        )
                        .await
                    }
                    _ => AsyncRustlsFtpStream::connect(addr).await,
                };
                let stream = stream.map_err(|e| {
                    let kind = match e {
                        FtpError::SecureError(_) => ErrorKind::Tls,
                        _ => ErrorKind::Unreachable,
                    };
                    RemoteError::new(remote, kind, describe(&e))
                })?;
                match remote.protocol {
                    Protocol::Ftps => stream
                        .into_secure(connector(remote)?, &remote.host)
                        .await
                        .map_err(|e| RemoteError::new(remote, ErrorKind::Tls, describe(&e))),
                    _ => Ok(stream),
                }
            },
        )
        .await?;
        let mut stream = connected;
        let r = remote;
        within(
            r,
            deadlines.connect,
            "login",
            ErrorKind::Unreachable,
            async {
                stream
                    .login(r.user.as_str(), pass.as_str())
                    .await
                    .map_err(|e| RemoteError::new(r, ErrorKind::Login, describe(&e)))?;
                stream
                    .transfer_type(FileType::Binary)
                    .await
                    .map_err(|e| RemoteError::new(r, kind_of(&e), describe(&e)))?;
                stream.cwd(r.folder.as_str()).await.map_err(|e| {
                    RemoteError::new(
                        r,
                        kind_of(&e),
                        format!("folder {}: {}", r.folder, describe(&e)),
                    )
                })
            },
        )
        .await?;
        Ok(Ftp {
            stream,
            remote: remote.clone(),
            deadlines,
        })
    }

    /// MLSD when the server has it (names, types and sizes exactly), else LIST parsed as
    /// Unix or DOS lines (vsftpd and older servers have no MLSD).
    pub async fn list(&mut self) -> Result<Vec<Entry>, RemoteError> {
        let Ftp {
            stream,
            remote: r,
            deadlines,
        } = self;
        let stall = deadlines.stall;
        let mlsd = within(r, stall, "MLSD", ErrorKind::Broken, async {
            stream
                .mlsd(None)
                .await
                .map_err(|e| RemoteError::new(r, kind_of(&e), describe(&e)))
        })
        .await;
        match mlsd {
            Ok(lines) => Ok(parse_listing(&lines, Listing::Mlsd)),
            Err(e) if e.kind == ErrorKind::Refused => {
                let lines = within(r, stall, "LIST", ErrorKind::Broken, async {
                    stream.list(None).await.map_err(|e| {
                        RemoteError::new(r, kind_of(&e), format!("LIST: {}", describe(&e)))
                    })
                })
                .await?;
                Ok(parse_listing(&lines, Listing::List))
            }
            Err(e) => Err(e),
        }
    }

    pub async fn get(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, RemoteError> {
        let Ftp {
            stream,
            remote: r,
            deadlines,
        } = self;
        let stall = deadlines.stall;
        let fail = |e: FtpError| {
            RemoteError::new(r, kind_of(&e), format!("RETR {name}: {}", describe(&e)))
        };
        let mut download = within(r, stall, "RETR", ErrorKind::Broken, async {
            stream.retr_as_stream(name).await.map_err(fail)
        })
        .await?;
        let bytes = read_all(r, &mut download, limit, stall).await;
        // The completion reply (226) says the server sent the whole file; without it the
        // bytes may be cut short, so they are not used.
        let finished = within(r, stall, "RETR", ErrorKind::Broken, async {
            download.finish().await.map_err(fail)
        })
        .await;
        let bytes = bytes?;
        finished?;
        Ok(bytes)
    }

    pub async fn put(&mut self, name: &str, bytes: &[u8]) -> Result<(), RemoteError> {
        let Ftp {
            stream,
            remote: r,
            deadlines,
        } = self;
        let stall = deadlines.stall;
        let fail = |e: FtpError| {
            RemoteError::new(r, kind_of(&e), format!("STOR {name}: {}", describe(&e)))
        };
        let mut upload = within(r, stall, "STOR", ErrorKind::Broken, async {
            stream.put_with_stream(name).await.map_err(fail)
        })
        .await?;
        write_all(r, &mut upload, bytes, stall).await?;
        within(r, stall, "STOR", ErrorKind::Broken, async {
            upload.finish().await.map_err(fail)
        })
        .await
    }

    pub async fn rename(&mut self, from: &str, to: &str) -> Result<(), RemoteError> {
        let Ftp {
            stream,
            remote: r,
            deadlines,
        } = self;
        let fail = |e: FtpError| {
            RemoteError::new(
                r,
                kind_of(&e),
                format!("rename {from} → {to}: {}", describe(&e)),
            )
        };
        within(r, deadlines.stall, "RNFR/RNTO", ErrorKind::Broken, async {
            match stream.rename(from, to).await {
                Ok(()) => Ok(()),
                // Servers that refuse to rename over an existing file: the file there can
                // only be this same delivery from an attempt cut short after its rename.
                Err(FtpError::UnexpectedResponse(_)) => {
                    let _ = stream.rm(to).await;
                    stream.rename(from, to).await.map_err(fail)
                }
                Err(e) => Err(fail(e)),
            }
        })
        .await
    }

    pub async fn remove(&mut self, name: &str) -> Result<(), RemoteError> {
        let Ftp {
            stream,
            remote: r,
            deadlines,
        } = self;
        within(r, deadlines.stall, "DELE", ErrorKind::Broken, async {
            stream.rm(name).await.map_err(|e| {
                RemoteError::new(r, kind_of(&e), format!("DELE {name}: {}", describe(&e)))
            })
        })
        .await
    }

    /// Makes a folder beside the files; one that exists already is fine.
    pub async fn mkdir(&mut self, name: &str) {
        let _ = tokio::time::timeout(self.deadlines.stall, self.stream.mkdir(name)).await;
    }

    pub async fn close(mut self) {
        let _ = tokio::time::timeout(self.deadlines.stall, self.stream.quit()).await;
    }
}
