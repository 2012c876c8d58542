//! The fleet's partners, as real partners' systems behave: each client sends its documents
//! to the instances in turn (the load balancer's part), and when an instance dies under it —
//! connection refused, reset, no answer, a session cut — sends the same document again to the
//! next one. A resend may be a document the dead instance had already stored: Wharf must
//! then find it a duplicate, not process it twice.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKey};

/// One document a partner sends.
#[derive(Clone, Debug)]
pub struct Doc {
    /// File name (SFTP) or AS2 Message-ID seed.
    pub name: String,
    pub po: String,
    pub bytes: Vec<u8>,
}

/// What the clients saw, shared.
#[derive(Default)]
pub struct Tally {
    /// Documents a Wharf acknowledged (202, SFTP close, MDN).
    pub acked: AtomicUsize,
    /// Sends repeated after the request may have reached an instance (no answer).
    pub resent: AtomicUsize,
    /// Sends moved to another instance before anything was sent (connection refused).
    pub moved: AtomicUsize,
    /// AS2 resends Wharf answered `duplicate-document`.
    pub as2_duplicates: AtomicUsize,
    /// Every SFTP host key the instances showed (OpenSSH form).
    pub host_keys: Mutex<BTreeSet<String>>,
    /// Documents a client gave up on, and answers no partner should get.
    pub failures: Mutex<Vec<String>>,
    /// Orders the ERP has (set by the test as it watches Odoo).
    pub in_erp: AtomicUsize,
    /// How far the partners together may run ahead of the ERP: partners send steadily, so
    /// documents keep arriving while earlier ones are processed (and an instance dying
    /// meets both).
    pub window: usize,
}

impl Tally {
    pub fn new(window: usize) -> Self {
        Self {
            window,
            ..Self::default()
        }
    }

    async fn pace(&self) {
        while self
            .acked
            .load(Ordering::SeqCst)
            .saturating_sub(self.in_erp.load(Ordering::SeqCst))
            > self.window
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Tally {
    fn fail(&self, what: String) {
        if let Ok(mut f) = self.failures.lock() {
            f.push(what);
        }
    }
}

/// Why one send did not end in an acknowledgement.
enum Miss {
    /// Nothing reached the instance: try the next one.
    Refused,
    /// The request may have reached it: send it again to the next one.
    NoAnswer(String),
    /// An answer no partner should get: the test fails.
    Wrong(String),
}

/// How many times one document is tried before the client gives up (the test then fails).
const TRIES: usize = 60;

/// Sends `doc` with `send` to the instances in turn from `first`, as described above.
async fn deliver<F, Fut>(n: usize, first: usize, doc: &Doc, tally: &Tally, mut send: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), Miss>>,
{
    tally.pace().await;
    for turn in 0..TRIES {
        match send((first + turn) % n).await {
            Ok(()) => {
                tally.acked.fetch_add(1, Ordering::SeqCst);
                return;
            }
            Err(Miss::Refused) => {
                tally.moved.fetch_add(1, Ordering::SeqCst);
            }
            Err(Miss::NoAnswer(why)) => {
                tracing::info!(doc = %doc.name, %why, "no answer; sending again elsewhere");
                tally.resent.fetch_add(1, Ordering::SeqCst);
            }
            Err(Miss::Wrong(why)) => {
                tally.fail(format!("{}: {why}", doc.name));
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tally.fail(format!(
        "{}: not acknowledged after {TRIES} tries",
        doc.name
    ));
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

fn miss_of(e: reqwest::Error) -> Miss {
    if e.is_connect() {
        Miss::Refused
    } else {
        Miss::NoAnswer(e.to_string())
    }
}

/// A partner system posting X12 to the partner API of `endpoints`, one document after the
/// other, each to the next instance.
pub async fn api(endpoints: Arc<Vec<SocketAddr>>, docs: Vec<Doc>, start: usize, tally: Arc<Tally>) {
    let client = http_client();
    for (i, doc) in docs.iter().enumerate() {
        deliver(endpoints.len(), start + i, doc, &tally, |k| {
            let req = client
                .post(format!(
                    "http://{}/api/v1/partners/acme/messages",
                    endpoints[k]
                ))
                .header("content-type", "application/edi-x12")
                .body(doc.bytes.clone());
            async move {
                let resp = req.send().await.map_err(miss_of)?;
                match resp.status().as_u16() {
                    202 => Ok(()),
                    // An instance refusing for a moment (draining, its store away).
                    502..=504 => Err(Miss::Refused),
                    s => Err(Miss::Wrong(format!(
                        "partner API answered {s}: {}",
                        resp.text().await.unwrap_or_default()
                    ))),
                }
            }
        })
        .await;
    }
}

/// A partner's AS2 product posting plain (unsigned, unencrypted) messages as `GLOBEX-AS2`,
/// asking for a synchronous MDN; a resend keeps its Message-ID (RFC 4130's reliability).
pub async fn as2(endpoints: Arc<Vec<SocketAddr>>, docs: Vec<Doc>, start: usize, tally: Arc<Tally>) {
    let client = http_client();
    for (i, doc) in docs.iter().enumerate() {
        let message_id = format!("<{}@globex.example>", doc.name);
        let tally_ref = &tally;
        deliver(endpoints.len(), start + i, doc, &tally, |k| {
            let req = client
                .post(format!("http://{}/as2", endpoints[k]))
                .header("AS2-Version", "1.2")
                .header("AS2-From", "GLOBEX-AS2")
                .header("AS2-To", "WHARF")
                .header("Message-ID", &message_id)
                .header("Content-Type", "application/edi-x12")
                .header("Disposition-Notification-To", "edi@globex.example")
                .body(doc.bytes.clone());
            async move {
                let resp = req.send().await.map_err(miss_of)?;
                let status = resp.status().as_u16();
                let body = resp
                    .text()
                    .await
                    .map_err(|e| Miss::NoAnswer(e.to_string()))?;
                match status {
                    200 if body.contains("; processed/warning: duplicate-document") => {
                        tally_ref.as2_duplicates.fetch_add(1, Ordering::SeqCst);
                        Ok(())
                    }
                    200 if body.contains("; processed\r\n") => Ok(()),
                    502..=504 => Err(Miss::Refused),
                    s => Err(Miss::Wrong(format!("AS2 answered {s}: {body}"))),
                }
            }
        })
        .await;
    }
}

/// Accepts only the fleet's shared host key, and notes every key an instance showed.
struct Pinned {
    expect: PublicKey,
    tally: Arc<Tally>,
}

impl russh::client::Handler for Pinned {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } = key else {
            return Ok(false);
        };
        if let Ok(mut seen) = self.tally.host_keys.lock() {
            seen.insert(key.to_openssh().unwrap_or_default());
        }
        Ok(key.key_data() == self.expect.key_data())
    }
}

type Sftp = (
    russh::client::Handle<Pinned>,
    russh_sftp::client::SftpSession,
);

/// ACME's SFTP login: its key, and the host key every instance must show.
#[derive(Clone)]
pub struct SftpLogin {
    pub key: Arc<PrivateKey>,
    pub host_key: PublicKey,
}

impl SftpLogin {
    pub fn load(key: &PathBuf, host_key_pub: &PathBuf) -> Self {
        let key = russh::keys::load_secret_key(key, None).expect("ACME's SFTP key");
        let host_key = PublicKey::from_openssh(
            std::fs::read_to_string(host_key_pub)
                .expect("the host key's public half")
                .trim(),
        )
        .expect("an OpenSSH public key");
        Self {
            key: Arc::new(key),
            host_key,
        }
    }
}

async fn sftp_connect(
    addr: SocketAddr,
    login: &SftpLogin,
    tally: &Arc<Tally>,
) -> Result<Sftp, Miss> {
    let config = Arc::new(russh::client::Config {
        inactivity_timeout: Some(Duration::from_secs(60)),
        ..Default::default()
    });
    let pinned = Pinned {
        expect: login.host_key.clone(),
        tally: tally.clone(),
    };
    let mut session = match russh::client::connect(config, addr, pinned).await {
        Ok(s) => s,
        Err(russh::Error::UnknownKey) => {
            return Err(Miss::Wrong(format!("{addr} showed another host key")));
        }
        Err(russh::Error::IO(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(Miss::Refused);
        }
        Err(e) => return Err(Miss::NoAnswer(format!("connect: {e}"))),
    };
    let auth = session
        .authenticate_publickey("acme", PrivateKeyWithHashAlg::new(login.key.clone(), None))
        .await
        .map_err(|e| Miss::NoAnswer(format!("login: {e}")))?;
    if !auth.success() {
        return Err(Miss::Wrong("ACME's key refused".into()));
    }
    let channel = session
        .channel_open_session()
        .await
        .map_err(|e| Miss::NoAnswer(format!("channel: {e}")))?;
    channel
        .request_subsystem(true, "sftp")
        .await
        .map_err(|e| Miss::NoAnswer(format!("subsystem: {e}")))?;
    let sftp = russh_sftp::client::SftpSession::new(channel.into_stream())
        .await
        .map_err(|e| Miss::NoAnswer(format!("sftp: {e}")))?;
    Ok((session, sftp))
}

async fn upload(sftp: &russh_sftp::client::SftpSession, doc: &Doc) -> Result<(), Miss> {
    use tokio::io::AsyncWriteExt;
    let cut = |e: &dyn std::fmt::Display| Miss::NoAnswer(format!("upload: {e}"));
    let mut file = sftp
        .create(format!("inbox/{}", doc.name))
        .await
        .map_err(|e| cut(&e))?;
    file.write_all(&doc.bytes).await.map_err(|e| cut(&e))?;
    // The close is answered only once the file is stored as a message.
    file.shutdown().await.map_err(|e| cut(&e))
}

/// ACME's SFTP client: one session at a time, many uploads in it; when the session breaks,
/// a new one to the next instance, and the upload that was under way again.
pub async fn sftp(
    endpoints: Arc<Vec<SocketAddr>>,
    login: SftpLogin,
    docs: Vec<Doc>,
    start: usize,
    tally: Arc<Tally>,
) {
    let session: tokio::sync::Mutex<Option<(usize, Sftp)>> = tokio::sync::Mutex::new(None);
    for doc in &docs {
        // The first try goes where the session is (or to `start`); later ones move on.
        let current = session.lock().await.as_ref().map_or(start, |(k, _)| *k);
        deliver(endpoints.len(), current, doc, &tally, |k| {
            let (session, login, tally, endpoints) = (&session, &login, &tally, &endpoints);
            async move {
                let mut held = session.lock().await;
                if held.as_ref().is_some_and(|(at, _)| *at != k) {
                    *held = None;
                }
                if held.is_none() {
                    *held = Some((k, sftp_connect(endpoints[k], login, tally).await?));
                }
                let Some((_, (_, sftp))) = held.as_ref() else {
                    return Err(Miss::Refused);
                };
                let result = upload(sftp, doc).await;
                if result.is_err() {
                    *held = None;
                }
                result
            }
        })
        .await;
    }
}
