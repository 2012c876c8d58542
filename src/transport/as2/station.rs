//! Wharf's AS2 station (name, key, certificate, earlier pairs), and [`As2`], the AS2 edge
//! that owns it: loaded on first use and shared by the inbound handler and the sender.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use openssl::pkey::{PKey, Private};
use openssl::x509::X509;

use crate::config::Settings;
use crate::partners::certificates::previous_pairs;
use crate::store::Store;

/// Wharf's own AS2 identity: its name (AS2-To of what partners send), and the key and
/// certificate it decrypts and signs with.
pub struct Station {
    pub id: String,
    pub key: PKey<Private>,
    pub cert: X509,
    /// Earlier pairs kept for a rollover (`[as2] previous_dir`): partners that still encrypt
    /// to an old certificate are decrypted with its key; Wharf signs only with the current.
    pub previous: Vec<(PKey<Private>, X509)>,
}

impl Station {
    /// Every own pair, current first: what inbound messages are decrypted with.
    pub fn pairs(&self) -> Vec<(&PKey<Private>, &X509)> {
        std::iter::once((&self.key, &self.cert))
            .chain(self.previous.iter().map(|(k, c)| (k, c)))
            .collect()
    }
}

impl Station {
    /// Loads the key and certificate: PEM files, or one PKCS#12 file (`.p12`/`.pfx` as the
    /// key, its password in `WHARF_SECRET_AS2_P12_PASSWORD`); makes a self-signed PEM pair on
    /// first start when neither file exists.
    pub fn load(id: &str, cert: &Path, key: &Path, previous: &Path) -> anyhow::Result<Station> {
        let previous = previous_pairs(previous)?;
        let pkcs12 = key
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("p12") || e.eq_ignore_ascii_case("pfx"));
        if pkcs12 {
            let password = std::env::var("WHARF_SECRET_AS2_P12_PASSWORD").unwrap_or_default();
            let parsed =
                openssl::pkcs12::Pkcs12::from_der(&std::fs::read(key)?)?.parse2(&password)?;
            let (Some(key), Some(cert)) = (parsed.pkey, parsed.cert) else {
                anyhow::bail!("{} holds no key and certificate", key.display());
            };
            return Ok(Station {
                id: id.to_owned(),
                key,
                cert,
                previous,
            });
        }
        if !cert.exists() && !key.exists() {
            new_pair(id, cert, key, 730)?;
            tracing::info!(cert = %cert.display(), "AS2 key and self-signed certificate created");
        }
        let pem = std::fs::read(cert)?;
        let cert = X509::from_pem(&pem)?;
        let key = PKey::private_key_from_pem(&std::fs::read(key)?)?;
        Ok(Station {
            id: id.to_owned(),
            key,
            cert,
            previous,
        })
    }
}

/// Writes a new RSA-2048 key (mode 0600) and a self-signed certificate for `id`, valid `days`.
pub fn new_pair(id: &str, cert_path: &Path, key_path: &Path, days: u32) -> anyhow::Result<()> {
    use openssl::asn1::Asn1Time;
    use openssl::bn::{BigNum, MsbOption};
    use openssl::hash::MessageDigest;
    use openssl::rsa::Rsa;
    use openssl::x509::extension::{BasicConstraints, KeyUsage};
    use openssl::x509::{X509Builder, X509NameBuilder};
    if cert_path.exists() || key_path.exists() {
        anyhow::bail!(
            "{} or {} exists already; choose new paths (the old pair stays in use until the settings name the new one)",
            cert_path.display(),
            key_path.display()
        );
    }
    let key = PKey::from_rsa(Rsa::generate(2048)?)?;
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("CN", id)?;
    name.append_entry_by_text("O", "Wharf AS2")?;
    let name = name.build();
    let mut b = X509Builder::new()?;
    b.set_version(2)?;
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    let serial = serial.to_asn1_integer()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    b.set_pubkey(&key)?;
    let (not_before, not_after) = (Asn1Time::days_from_now(0)?, Asn1Time::days_from_now(days)?);
    b.set_not_before(&not_before)?;
    b.set_not_after(&not_after)?;
    b.append_extension(BasicConstraints::new().critical().build()?)?;
    b.append_extension(
        KeyUsage::new()
            .critical()
            .digital_signature()
            .key_encipherment()
            .build()?,
    )?;
    b.sign(&key, MessageDigest::sha256())?;
    let cert = b.build();
    for p in [cert_path, key_path] {
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)?;
        }
    }
    std::fs::write(cert_path, cert.to_pem()?)?;
    write_private(key_path, &key.private_key_to_pem_pkcs8()?)?;
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)?.write_all(bytes)
}

/// The AS2 edge: Wharf's station, loaded on first use (the key pair is made when neither
/// file exists yet) and shared by the inbound handler and the sender.
pub struct As2 {
    pub settings: Arc<Settings>,
    pub store: Store,
    station: OnceLock<Result<Arc<Station>, String>>,
    /// Partners' certificates, parsed once (see [`As2::partner_certs`]).
    certs: CertCache,
    /// Where the MDNs of this edge's sends are counted.
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl As2 {
    pub fn new(
        settings: Arc<Settings>,
        store: Store,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Self {
        Self {
            settings,
            store,
            station: OnceLock::new(),
            certs: CertCache::default(),
            metrics,
        }
    }

    /// Wharf's AS2 station (name, key, certificate), loaded on first use.
    pub fn station(&self) -> Result<Arc<Station>, String> {
        self.station
            .get_or_init(|| {
                let a = &self.settings.as2;
                Station::load(&a.id, &a.cert, &a.key, &a.previous_dir)
                    .map(Arc::new)
                    .map_err(|e| format!("{} / {}: {e}", a.cert.display(), a.key.display()))
            })
            .clone()
    }
}

impl As2 {
    /// A partner's certificates (its profile's `[as2] certificates`), parsed on first use and
    /// kept: each message then costs one `stat` per file instead of reading and parsing PEM.
    /// A reloaded profile naming other files, or a file replaced (another length, modification
    /// time or inode), is read again; a file that cannot be read is never served from here.
    pub fn partner_certs(&self, paths: &[String]) -> Result<Arc<[X509]>, String> {
        self.certs.get(paths)
    }
}

/// What a certificate file looked like when it was read: (modified, length, inode), so a
/// file rewritten in place or renamed over is seen as new.
type Stamp = (Option<std::time::SystemTime>, u64, u64);

fn stamp(path: &str) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&m);
    #[cfg(not(unix))]
    let inode = 0;
    Some((m.modified().ok(), m.len(), inode))
}

type CertEntries = std::collections::HashMap<Vec<String>, (Vec<Option<Stamp>>, Arc<[X509]>)>;

/// Parsed partner certificates by the list of files they came from, with each file's stamp.
/// Bounded by the number of distinct `[as2] certificates` lists the profiles name: past
/// [`CertCache::MAX`] lists (profiles edited many times over) it starts over.
#[derive(Default)]
struct CertCache {
    entries: std::sync::Mutex<CertEntries>,
}

impl CertCache {
    const MAX: usize = 1024;

    fn get(&self, paths: &[String]) -> Result<Arc<[X509]>, String> {
        let stamps: Vec<_> = paths.iter().map(|p| stamp(p)).collect();
        {
            let entries = self
                .entries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((seen, certs)) = entries.get(paths)
                && *seen == stamps
                && stamps.iter().all(Option::is_some)
            {
                return Ok(certs.clone());
            }
        }
        // Read outside the lock; a failure is not kept, so a file put right is read next time.
        let certs: Arc<[X509]> = crate::partners::certificates::partner_certs(paths)?.into();
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= Self::MAX {
            entries.clear();
        }
        entries.insert(paths.to_vec(), (stamps, certs.clone()));
        Ok(certs)
    }
}
