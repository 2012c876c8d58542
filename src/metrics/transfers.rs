//! The file-moving families: Wharf's own SFTP server (logins, sessions, files each way) and
//! transfers with partners' own FTP/FTPS/SFTP servers (collection and delivery). Recorded by
//! the transport edge; the partner label is always a loaded profile's id (a login that
//! matched no profile has none), never a user name, a file name or a URL.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::Metrics;
use super::labels::{LoginMethod, LoginOutcome, SftpDirection, TransferDirection};

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Login {
    method: LoginMethod,
    outcome: LoginOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SessionOf {
    partner: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SftpFiles {
    partner: String,
    direction: SftpDirection,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Transfer {
    partner: String,
    direction: TransferDirection,
    /// `ftp`, `ftps` or `sftp`: the scheme of the profile's folder URL.
    protocol: &'static str,
    /// `ok`, or the word of what failed (`unreachable`, `login`, `tls`, …).
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct TransferBytes {
    partner: String,
    direction: TransferDirection,
    protocol: &'static str,
}

/// The families of this file, registered into Wharf's registry.
pub(super) struct Families {
    logins: Family<Login, Counter>,
    sessions_opened: Family<SessionOf, Counter>,
    sessions_active: Family<SessionOf, Gauge>,
    sftp_files: Family<SftpFiles, Counter>,
    sftp_bytes: Family<SftpFiles, Counter>,
    transfers: Family<Transfer, Counter>,
    transfer_bytes: Family<TransferBytes, Counter>,
}

impl Families {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let f = Families {
            logins: Family::default(),
            sessions_opened: Family::default(),
            sessions_active: Family::default(),
            sftp_files: Family::default(),
            sftp_bytes: Family::default(),
            transfers: Family::default(),
            transfer_bytes: Family::default(),
        };
        // Every login series exists from the start (a closed set of eight): a refusal is
        // then a rise from zero that `increase()` sees.
        for &method in LoginMethod::ALL {
            for &outcome in LoginOutcome::ALL {
                f.logins.get_or_create_owned(&Login { method, outcome });
            }
        }
        registry.register(
            "sftp_logins",
            "Login attempts on Wharf's SFTP server, by method and outcome (each key offered is one)",
            f.logins.clone(),
        );
        registry.register(
            "sftp_sessions_opened",
            "SFTP sessions logged in on Wharf's server, by partner",
            f.sessions_opened.clone(),
        );
        registry.register(
            "sftp_sessions_active",
            "SFTP sessions logged in on Wharf's server now, by partner",
            f.sessions_active.clone(),
        );
        registry.register(
            "sftp_files",
            "Files partners uploaded (stored) or downloaded whole on Wharf's SFTP server",
            f.sftp_files.clone(),
        );
        registry.register(
            "sftp_bytes",
            "Bytes of those files, by partner and direction",
            f.sftp_bytes.clone(),
        );
        registry.register(
            "transfers",
            "Files moved with partners' own FTP/FTPS/SFTP servers, and attempts that failed, by outcome",
            f.transfers.clone(),
        );
        registry.register(
            "transfer_bytes",
            "Bytes of the files moved with partners' own servers",
            f.transfer_bytes.clone(),
        );
        f
    }
}

impl Metrics {
    /// One login attempt on Wharf's SFTP server.
    pub fn sftp_login(&self, method: LoginMethod, outcome: LoginOutcome) {
        if !self.recording {
            return;
        }
        self.files
            .logins
            .get_or_create(&Login { method, outcome })
            .inc();
    }

    /// A partner logged in; [`Metrics::sftp_session_closed`] follows when the session ends.
    pub fn sftp_session_opened(&self, partner: &str) {
        if !self.recording {
            return;
        }
        let labels = SessionOf {
            partner: partner.to_owned(),
        };
        self.files.sessions_opened.get_or_create(&labels).inc();
        self.files.sessions_active.get_or_create(&labels).inc();
    }

    /// A logged-in session ended.
    pub fn sftp_session_closed(&self, partner: &str) {
        if !self.recording {
            return;
        }
        self.files
            .sessions_active
            .get_or_create(&SessionOf {
                partner: partner.to_owned(),
            })
            .dec();
    }

    /// A file uploaded and stored, or downloaded whole, on Wharf's SFTP server.
    pub fn sftp_file(&self, partner: &str, direction: SftpDirection, bytes: usize) {
        if !self.recording {
            return;
        }
        let labels = SftpFiles {
            partner: partner.to_owned(),
            direction,
        };
        self.files.sftp_files.get_or_create(&labels).inc();
        self.files
            .sftp_bytes
            .get_or_create(&labels)
            .inc_by(bytes as u64);
    }

    /// A file moved whole with a partner's own server (`protocol`: the folder URL's scheme).
    pub fn transfer_done(
        &self,
        partner: &str,
        direction: TransferDirection,
        protocol: &'static str,
        bytes: usize,
    ) {
        if !self.recording {
            return;
        }
        self.files
            .transfers
            .get_or_create(&Transfer {
                partner: partner.to_owned(),
                direction,
                protocol,
                outcome: "ok",
            })
            .inc();
        self.files
            .transfer_bytes
            .get_or_create(&TransferBytes {
                partner: partner.to_owned(),
                direction,
                protocol,
            })
            .inc_by(bytes as u64);
    }

    /// A transfer with a partner's own server that failed; `failure` is the transport's
    /// closed word for where (`unreachable`, `tls`, `host_key`, `login`, …).
    pub fn transfer_failed(
        &self,
        partner: &str,
        direction: TransferDirection,
        protocol: &'static str,
        failure: &'static str,
    ) {
        if !self.recording {
            return;
        }
        self.files
            .transfers
            .get_or_create(&Transfer {
                partner: partner.to_owned(),
                direction,
                protocol,
                outcome: failure,
            })
            .inc();
    }
}
