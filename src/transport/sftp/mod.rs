//! Wharf's own SFTP server (russh + russh-sftp): each partner logs in with the user name and
//! public keys of its profile's `[sftp]` section and sees only its virtual `/inbox` and
//! `/outbox` (`fs.rs`). Files: `mod.rs` host key, listener, authentication, session limits;
//! `fs.rs` the per-partner filesystem.

mod fs;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use russh::keys::{PrivateKey, PublicKey};
use russh::server::{Auth, ChannelOpenHandle, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, MethodKind, MethodSet};

use crate::config::SftpServerSettings;
use crate::metrics::{LoginMethod, LoginOutcome};
use crate::pipeline::Pipeline;

pub use fs::{Place, place};

/// Loads the server's host key, or makes one (ed25519, mode 0600) on first start.
pub fn host_key(path: &Path) -> anyhow::Result<PrivateKey> {
    if path.exists() {
        return Ok(PrivateKey::read_openssh_file(path)?);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // The seed from the OS's random source (rand), so the key crate's own RNG traits
    // need not match ours.
    let seed: [u8; 32] = rand::random();
    let key = PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(
        &seed,
    ));
    key.write_openssh_file(path, russh::keys::ssh_key::LineEnding::LF)?;
    tracing::info!(path = %path.display(), "SFTP host key created");
    Ok(key)
}

/// The partner a login is for, if the user name and key match one profile's `[sftp]`.
fn partner_for(p: &Pipeline, user: &str, key: &PublicKey) -> Option<String> {
    let partners = p.partners.snapshot();
    partners.iter().find_map(|profile| {
        let sftp = profile.channels.sftp.as_ref()?;
        let listed = sftp.user == user
            && sftp.keys.iter().any(|line| {
                PublicKey::from_openssh(line).is_ok_and(|k| k.key_data() == key.key_data())
            });
        listed.then(|| profile.id.to_string())
    })
}

/// Sessions per partner, for each profile's `[sftp] max_sessions`.
type PerPartner = Arc<std::sync::Mutex<HashMap<String, usize>>>;

/// Connections not yet logged in, overall and per source address. Counted apart from
/// logged-in sessions so that sockets which never authenticate cannot use up the partners'
/// sessions.
#[derive(Default)]
struct PreAuth {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

type PreAuthCounts = Arc<std::sync::Mutex<PreAuth>>;

/// One connection's place among the unauthenticated ones; given back at login or when the
/// connection ends, whichever comes first.
struct PreAuthSlot {
    counts: PreAuthCounts,
    ip: IpAddr,
}

impl PreAuthSlot {
    /// A slot for a connection from `ip`, or `None` when either limit is reached.
    fn take(counts: &PreAuthCounts, ip: IpAddr, settings: &SftpServerSettings) -> Option<Self> {
        let mut c = counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let from_ip = c.per_address.get(&ip).copied().unwrap_or(0);
        if c.total >= settings.max_unauthenticated
            || from_ip >= settings.max_unauthenticated_per_address
        {
            return None;
        }
        c.total += 1;
        c.per_address.insert(ip, from_ip + 1);
        Some(Self {
            counts: counts.clone(),
            ip,
        })
    }
}

impl Drop for PreAuthSlot {
    fn drop(&mut self) {
        let mut c = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_address.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.per_address.remove(&self.ip);
            }
        }
    }
}

/// What every connection shares.
#[derive(Clone)]
struct Server {
    pipeline: Pipeline,
    /// Logged-in sessions, all partners together.
    sessions: Arc<AtomicUsize>,
    max_sessions: usize,
    per_partner: PerPartner,
    max_channels: usize,
    max_handles: usize,
}

impl Server {
    fn new_client(
        &self,
        peer: SocketAddr,
        slot: PreAuthSlot,
        authenticated: tokio::sync::oneshot::Sender<()>,
    ) -> SshSession {
        SshSession {
            server: self.clone(),
            counted: false,
            partner: None,
            channels: HashMap::new(),
            subsystems: Arc::new(AtomicUsize::new(0)),
            peer: Some(peer),
            pre_auth: Some(slot),
            authenticated: Some(authenticated),
        }
    }
}

struct SshSession {
    server: Server,
    /// Whether this session holds one of `server.sessions` (only once logged in).
    counted: bool,
    partner: Option<String>,
    /// Session channels opened and not yet given to the SFTP subsystem.
    channels: HashMap<ChannelId, Channel<Msg>>,
    /// SFTP subsystems running in this SSH session (each holds one until it ends).
    subsystems: Arc<AtomicUsize>,
    peer: Option<SocketAddr>,
    /// Held until login.
    pre_auth: Option<PreAuthSlot>,
    /// Told at login, so the accept loop stops the authentication timer.
    authenticated: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for SshSession {
    fn drop(&mut self) {
        if self.counted {
            self.server.sessions.fetch_sub(1, Ordering::SeqCst);
        }
        if let Some(p) = &self.partner {
            self.server.pipeline.metrics.sftp_session_closed(p);
            let mut map = self
                .server
                .per_partner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(n) = map.get_mut(p) {
                *n = n.saturating_sub(1);
            }
        }
    }
}

/// One SFTP subsystem's place in its SSH session's `max_channels`; given back when the
/// subsystem's handler is dropped (its stream ended).
pub(crate) struct SubsystemSlot(Arc<AtomicUsize>);

impl Drop for SubsystemSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl SshSession {
    /// Logs `partner` in unless it already holds as many sessions as its profile allows, or
    /// the server as many logged-in sessions as it takes.
    fn admit(&mut self, partner: String, how: LoginMethod, user: &str) -> Auth {
        let metrics = self.server.pipeline.metrics.clone();
        let allowed = self
            .server
            .pipeline
            .partners
            .snapshot()
            .get(&partner)
            .and_then(|p| p.channels.sftp.as_ref().map(|s| s.max_sessions))
            .unwrap_or(1);
        let mut map = self
            .server
            .per_partner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let held = map.entry(partner.clone()).or_insert(0);
        if *held >= allowed {
            metrics.sftp_login(how, LoginOutcome::PartnerLimit);
            tracing::warn!(
                partner,
                user,
                allowed,
                "SFTP login refused: the partner's session limit"
            );
            return Auth::reject();
        }
        let total = self.server.sessions.fetch_add(1, Ordering::SeqCst) + 1;
        if total > self.server.max_sessions {
            self.server.sessions.fetch_sub(1, Ordering::SeqCst);
            metrics.sftp_login(how, LoginOutcome::ServerLimit);
            tracing::warn!(
                partner,
                user,
                max = self.server.max_sessions,
                "SFTP login refused: the server's session limit"
            );
            return Auth::reject();
        }
        self.counted = true;
        *held += 1;
        metrics.sftp_login(how, LoginOutcome::Accepted);
        // The partner is a loaded profile's id (its `[sftp]` matched): a bounded label.
        metrics.sftp_session_opened(&partner);
        tracing::info!(partner, user, how = how.as_str(), peer = ?self.peer, "SFTP login");
        self.partner = Some(partner);
        self.pre_auth = None;
        if let Some(tx) = self.authenticated.take() {
            let _ = tx.send(());
        }
        Auth::Accept
    }

    /// Whether a login may still be tried: not once logged in (no second partner in one
    /// session).
    fn may_log_in(&self) -> bool {
        self.partner.is_none()
    }
}

impl russh::server::Handler for SshSession {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let partners = self.server.pipeline.partners.snapshot();
        let found = partners.iter().find_map(|profile| {
            let sftp = profile.channels.sftp.as_ref()?;
            (sftp.user == user && sftp.password_matches(password)).then(|| profile.id.to_string())
        });
        match (self.may_log_in(), found) {
            (true, Some(partner)) => Ok(self.admit(partner, LoginMethod::Password, user)),
            _ => {
                self.server
                    .pipeline
                    .metrics
                    .sftp_login(LoginMethod::Password, LoginOutcome::Refused);
                tracing::warn!(user, peer = ?self.peer, "SFTP password login refused");
                Ok(Auth::reject())
            }
        }
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        if !self.may_log_in()
            || partner_for(&self.server.pipeline, user, offer.public_key).is_none()
        {
            // A key no profile lists ends here, before any signature: its refusal.
            self.server
                .pipeline
                .metrics
                .sftp_login(LoginMethod::Key, LoginOutcome::Refused);
            return Ok(Auth::reject());
        }
        Ok(Auth::Accept)
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        match (
            self.may_log_in(),
            partner_for(&self.server.pipeline, user, key.public_key),
        ) {
            (true, Some(partner)) => Ok(self.admit(partner, LoginMethod::Key, user)),
            _ => {
                self.server
                    .pipeline
                    .metrics
                    .sftp_login(LoginMethod::Key, LoginOutcome::Refused);
                tracing::warn!(user, peer = ?self.peer, "SFTP login refused");
                Ok(Auth::reject())
            }
        }
    }

    /// At most `max_channels` session channels waiting for their subsystem: a client cannot
    /// pile up channels in one SSH session.
    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channels.len() >= self.server.max_channels {
            tracing::warn!(partner = ?self.partner, peer = ?self.peer, "SFTP channel refused: [sftp] max_channels");
            reply
                .reject(russh::ChannelOpenFailure::ResourceShortage)
                .await;
            return Ok(());
        }
        self.channels.insert(channel.id(), channel);
        reply.accept().await;
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.close(channel)?;
        Ok(())
    }

    /// Only the `sftp` subsystem: no shell, no commands, no forwarding.
    async fn subsystem_request(
        &mut self,
        channel_id: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let (Some(partner), Some(channel), "sftp") = (
            self.partner.clone(),
            self.channels.remove(&channel_id),
            name,
        ) else {
            session.channel_failure(channel_id)?;
            return Ok(());
        };
        // Each SFTP channel has its own handles and buffers: `max_channels` of them at once
        // per SSH session, so that one login cannot multiply its share.
        if self.subsystems.fetch_add(1, Ordering::SeqCst) >= self.server.max_channels {
            self.subsystems.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!(partner, peer = ?self.peer, "SFTP subsystem refused: [sftp] max_channels");
            session.channel_failure(channel_id)?;
            session.close(channel_id)?;
            return Ok(());
        }
        let slot = SubsystemSlot(self.subsystems.clone());
        let outbox = self
            .server
            .pipeline
            .settings
            .outbox_dir
            .join(crate::util::files::file_component(&partner));
        let fs = fs::PartnerFs::new(
            &partner,
            self.server.pipeline.clone(),
            outbox,
            self.server.max_handles,
            slot,
        );
        session.channel_success(channel_id)?;
        russh_sftp::server::run(channel.into_stream(), fs).await;
        Ok(())
    }
}

/// Binds the SFTP listener (port 0 picks a free one) and serves until `shutdown` turns true.
pub async fn start(
    pipeline: Pipeline,
    settings: &SftpServerSettings,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<SocketAddr> {
    let key = host_key(&settings.host_key)?;
    let config = Arc::new(russh::server::Config {
        methods: MethodSet::from(&[MethodKind::PublicKey, MethodKind::Password][..]),
        keys: vec![key],
        inactivity_timeout: Some(settings.idle),
        auth_rejection_time: std::time::Duration::from_millis(500),
        auth_rejection_time_initial: Some(std::time::Duration::ZERO),
        max_auth_attempts: 4,
        ..Default::default()
    });
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    let addr = listener.local_addr()?;
    let server = Server {
        pipeline,
        sessions: Arc::new(AtomicUsize::new(0)),
        max_sessions: settings.max_sessions,
        per_partner: Arc::new(std::sync::Mutex::new(HashMap::new())),
        max_channels: settings.max_channels,
        max_handles: settings.max_handles,
    };
    tokio::spawn(accept_loop(
        listener,
        server,
        config,
        settings.clone(),
        shutdown,
    ));
    Ok(addr)
}

/// Our own accept loop rather than russh's `run_on_socket`: each connection first needs a
/// pre-authentication slot (per source address and overall) and must log in within
/// `auth_timeout`, or it is closed.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    server: Server,
    config: Arc<russh::server::Config>,
    settings: SftpServerSettings,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let pre_auth: PreAuthCounts = Arc::default();
    loop {
        let (socket, peer) = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "SFTP accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Some(slot) = PreAuthSlot::take(&pre_auth, peer.ip(), &settings) else {
            tracing::debug!(%peer, "SFTP connection closed: unauthenticated connection limit");
            drop(socket);
            continue;
        };
        let _ = socket.set_nodelay(true);
        // A second descriptor for the same socket, to shut it down from here: russh's
        // disconnect waits for a key exchange a silent client never finishes.
        let (socket, killer) = match split_off_killer(socket) {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!(%peer, error = %e, "SFTP connection dropped: socket not usable");
                continue;
            }
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let handler = server.new_client(peer, slot, tx);
        let config = config.clone();
        let deadline = tokio::time::Instant::now() + settings.auth_timeout;
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            // The version exchange happens inside `run_stream`: bounded by the same deadline.
            let session = match tokio::time::timeout_at(
                deadline,
                russh::server::run_stream(config, socket, handler),
            )
            .await
            {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "SFTP connection setup failed");
                    return;
                }
                Err(_) => {
                    tracing::info!(%peer, "SFTP connection closed: no SSH banner in time");
                    let _ = killer.shutdown(std::net::Shutdown::Both);
                    return;
                }
            };
            let handle = session.handle();
            let mut session = std::pin::pin!(session);
            let logged_in = tokio::select! {
                _ = &mut session => return,
                _ = shutdown.changed() => false,
                r = tokio::time::timeout_at(deadline, rx) => matches!(r, Ok(Ok(()))),
            };
            if logged_in {
                tokio::select! {
                    _ = &mut session => return,
                    _ = shutdown.changed() => {}
                }
            } else if !*shutdown.borrow() {
                tracing::info!(%peer, "SFTP connection closed: not logged in in time");
            }
            let _ = tokio::time::timeout(
                std::time::Duration::from_secs(1),
                handle.disconnect(
                    russh::Disconnect::ByApplication,
                    String::new(),
                    String::new(),
                ),
            )
            .await;
            // Whatever state the session is in (a silent client never finishes the key
            // exchange a disconnect message waits for), its socket ends here; the session
            // task then sees end of file and drops its handler and the pre-login slot.
            let _ = killer.shutdown(std::net::Shutdown::Both);
        });
    }
}

/// The socket for russh, and a duplicate descriptor of it that can shut it down.
fn split_off_killer(
    socket: tokio::net::TcpStream,
) -> std::io::Result<(tokio::net::TcpStream, std::net::TcpStream)> {
    let std_socket = socket.into_std()?;
    let killer = std_socket.try_clone()?;
    Ok((tokio::net::TcpStream::from_std(std_socket)?, killer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(total: usize, per_address: usize) -> SftpServerSettings {
        SftpServerSettings {
            listen: "127.0.0.1:0".parse().expect("an address"),
            host_key: "unused".into(),
            max_sessions: 1,
            idle: std::time::Duration::from_secs(1),
            max_unauthenticated: total,
            max_unauthenticated_per_address: per_address,
            auth_timeout: std::time::Duration::from_secs(1),
            max_channels: 1,
            max_handles: 1,
        }
    }

    #[test]
    fn pre_login_slots_are_limited_per_address_and_overall_and_given_back() {
        let counts: PreAuthCounts = Arc::default();
        let s = settings(3, 2);
        let a: IpAddr = "192.0.2.1".parse().expect("an address");
        let b: IpAddr = "192.0.2.2".parse().expect("an address");
        let a1 = PreAuthSlot::take(&counts, a, &s).expect("first from a");
        let _a2 = PreAuthSlot::take(&counts, a, &s).expect("second from a");
        assert!(PreAuthSlot::take(&counts, a, &s).is_none(), "per address");
        let _b1 = PreAuthSlot::take(&counts, b, &s).expect("first from b");
        assert!(PreAuthSlot::take(&counts, b, &s).is_none(), "overall");
        drop(a1);
        assert!(PreAuthSlot::take(&counts, b, &s).is_some(), "given back");
    }
}
