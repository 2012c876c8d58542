//! Wharf's own SFTP server (russh + russh-sftp): each partner logs in with the user name and
//! public keys of its profile's `[sftp]` section and sees only its virtual `/inbox` and
//! `/outbox` (`fs.rs`). Files: `mod.rs` host key, listener, authentication, session limits;
//! `fs.rs` the per-partner filesystem.

mod fs;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use russh::keys::{PrivateKey, PublicKey};
use russh::server::{
    Auth, ChannelOpenHandle, Msg, PublicKeyOffer, Server as _, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId, MethodKind, MethodSet};

use crate::config::SftpServerSettings;
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

#[derive(Clone)]
struct Server {
    pipeline: Pipeline,
    sessions: Arc<AtomicUsize>,
    max_sessions: usize,
    per_partner: PerPartner,
}

impl russh::server::Server for Server {
    type Handler = SshSession;

    fn new_client(&mut self, peer: Option<SocketAddr>) -> SshSession {
        let n = self.sessions.fetch_add(1, Ordering::SeqCst) + 1;
        SshSession {
            pipeline: self.pipeline.clone(),
            sessions: self.sessions.clone(),
            over_limit: n > self.max_sessions,
            per_partner: self.per_partner.clone(),
            partner: None,
            channels: HashMap::new(),
            peer,
        }
    }
}

struct SshSession {
    pipeline: Pipeline,
    sessions: Arc<AtomicUsize>,
    /// More sessions than the server takes: every login is refused.
    over_limit: bool,
    per_partner: PerPartner,
    partner: Option<String>,
    channels: HashMap<ChannelId, Channel<Msg>>,
    peer: Option<SocketAddr>,
}

impl Drop for SshSession {
    fn drop(&mut self) {
        self.sessions.fetch_sub(1, Ordering::SeqCst);
        if let Some(p) = &self.partner {
            let mut map = self
                .per_partner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(n) = map.get_mut(p) {
                *n = n.saturating_sub(1);
            }
        }
    }
}

impl SshSession {
    /// Logs `partner` in unless it already holds as many sessions as its profile allows.
    fn admit(&mut self, partner: String, how: &str, user: &str) -> Auth {
        let allowed = self
            .pipeline
            .partners
            .snapshot()
            .get(&partner)
            .and_then(|p| p.channels.sftp.as_ref().map(|s| s.max_sessions))
            .unwrap_or(1);
        let mut map = self
            .per_partner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let held = map.entry(partner.clone()).or_insert(0);
        if *held >= allowed {
            tracing::warn!(
                partner,
                user,
                allowed,
                "SFTP login refused: the partner's session limit"
            );
            return Auth::reject();
        }
        *held += 1;
        tracing::info!(partner, user, how, peer = ?self.peer, "SFTP login");
        self.partner = Some(partner);
        Auth::Accept
    }
}

impl russh::server::Handler for SshSession {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let partners = self.pipeline.partners.snapshot();
        let found = partners.iter().find_map(|profile| {
            let sftp = profile.channels.sftp.as_ref()?;
            (sftp.user == user && sftp.password_matches(password)).then(|| profile.id.to_string())
        });
        match (self.over_limit, found) {
            (false, Some(partner)) => Ok(self.admit(partner, "password", user)),
            _ => {
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
        if self.over_limit || partner_for(&self.pipeline, user, offer.public_key).is_none() {
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
            self.over_limit,
            partner_for(&self.pipeline, user, key.public_key),
        ) {
            (false, Some(partner)) => Ok(self.admit(partner, "key", user)),
            _ => {
                tracing::warn!(user, peer = ?self.peer, "SFTP login refused");
                Ok(Auth::reject())
            }
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
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
        let outbox = self
            .pipeline
            .settings
            .outbox_dir
            .join(crate::pipeline::file_component(&partner));
        let fs = fs::PartnerFs::new(&partner, self.pipeline.clone(), outbox);
        session.channel_success(channel_id)?;
        russh_sftp::server::run(channel.into_stream(), fs).await;
        Ok(())
    }
}

/// Binds the SFTP listener (port 0 picks a free one) and serves until `shutdown` turns true.
pub async fn start(
    pipeline: Pipeline,
    settings: &SftpServerSettings,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<SocketAddr> {
    let key = host_key(&settings.host_key)?;
    let config = russh::server::Config {
        methods: MethodSet::from(&[MethodKind::PublicKey, MethodKind::Password][..]),
        keys: vec![key],
        inactivity_timeout: Some(settings.idle),
        auth_rejection_time: std::time::Duration::from_millis(500),
        auth_rejection_time_initial: Some(std::time::Duration::ZERO),
        max_auth_attempts: 4,
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    let addr = listener.local_addr()?;
    let mut server = Server {
        pipeline,
        sessions: Arc::new(AtomicUsize::new(0)),
        max_sessions: settings.max_sessions,
        per_partner: Arc::new(std::sync::Mutex::new(HashMap::new())),
    };
    tokio::spawn(async move {
        let running = server.run_on_socket(Arc::new(config), &listener);
        tokio::select! {
            r = running => {
                if let Err(e) = r {
                    tracing::error!(error = %e, "SFTP server stopped");
                }
            }
            _ = shutdown.changed() => {}
        }
    });
    Ok(addr)
}
