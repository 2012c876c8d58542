//! Certificates' validity for operators (the dashboard, `wharf as2 certs`, the warning at
//! start, `/metrics`): Wharf's own AS2 certificate, the pairs kept for a rollover, every
//! partner's; and for `/metrics` also the TLS ones — Wharf's HTTPS chain, the CAs trusted
//! for partners' servers, Wharf's client certificates toward them.

use std::path::Path;

use openssl::pkey::{PKey, Private};
use openssl::x509::X509;

/// What a certificate is for: a closed list, so it can label a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertRole {
    /// Wharf's current AS2 certificate (`[as2] cert`).
    As2,
    /// An earlier AS2 pair kept for a rollover (`[as2] previous_dir`).
    As2Previous,
    /// Wharf's HTTPS listener (`[http] tls_cert`, the chain).
    Https,
    /// A partner's AS2 certificate (`[as2] certificates`).
    PartnerAs2,
    /// A CA (or self-signed certificate) trusted for a partner's AS2 HTTPS or FTPS server.
    PartnerCa,
    /// Wharf's TLS client certificate toward a partner's AS2 server (`[as2] client_cert`).
    As2Client,
}

impl CertRole {
    pub fn as_str(self) -> &'static str {
        match self {
            CertRole::As2 => "as2",
            CertRole::As2Previous => "as2_previous",
            CertRole::Https => "https",
            CertRole::PartnerAs2 => "partner_as2",
            CertRole::PartnerCa => "partner_ca",
            CertRole::As2Client => "as2_client",
        }
    }
}

/// One certificate's validity, for operators.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CertInfo {
    /// `wharf` or the partner's id.
    pub owner: String,
    /// The partner whose profile names it; `None` for Wharf's station-wide certificates.
    pub partner: Option<String>,
    pub role: CertRole,
    pub file: String,
    pub subject: String,
    pub not_after: String,
    /// Negative once expired.
    pub days_left: i32,
}

/// Certificates expiring within this many days are warned about.
pub const EXPIRY_WARNING_DAYS: i32 = 30;

fn cert_info(owner: &str, role: CertRole, file: &str, cert: &X509) -> CertInfo {
    let subject = cert
        .subject_name()
        .entries()
        .map(|e| {
            format!(
                "{}={}",
                e.object().nid().short_name().unwrap_or("?"),
                String::from_utf8_lossy(e.data().as_slice())
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let days_left = openssl::asn1::Asn1Time::days_from_now(0)
        .ok()
        .and_then(|now| now.diff(cert.not_after()).ok())
        .map_or(0, |d| d.days);
    let partner = match role {
        CertRole::As2 | CertRole::As2Previous | CertRole::Https => None,
        CertRole::PartnerAs2 | CertRole::PartnerCa | CertRole::As2Client => Some(owner.to_owned()),
    };
    CertInfo {
        owner: owner.to_owned(),
        partner,
        role,
        file: file.to_owned(),
        subject,
        not_after: cert.not_after().to_string(),
        days_left,
    }
}

/// Wharf's own AS2 certificate and every partner's, with their expiry; unreadable files as
/// errors (owner, file, why).
pub fn certificates(
    settings: &crate::config::Settings,
    partners: &crate::partners::Partners,
) -> (Vec<CertInfo>, Vec<(String, String, String)>) {
    let (mut infos, mut errors) = (Vec::new(), Vec::new());
    let own = settings.as2.cert.display().to_string();
    match std::fs::read(&settings.as2.cert)
        .map_err(|e| e.to_string())
        .and_then(|pem| X509::from_pem(&pem).map_err(|e| e.to_string()))
    {
        Ok(c) => infos.push(cert_info("wharf", CertRole::As2, &own, &c)),
        Err(e) => errors.push(("wharf".into(), own, e)),
    }
    match previous_pairs(&settings.as2.previous_dir) {
        Ok(pairs) => infos.extend(pairs.iter().map(|(_, c)| {
            cert_info(
                "wharf (previous)",
                CertRole::As2Previous,
                &settings.as2.previous_dir.display().to_string(),
                c,
            )
        })),
        Err(e) => errors.push((
            "wharf (previous)".into(),
            settings.as2.previous_dir.display().to_string(),
            e.to_string(),
        )),
    }
    for profile in partners.iter() {
        let Some(as2) = &profile.channels.as2 else {
            continue;
        };
        for file in &as2.certificates {
            match partner_certs(std::slice::from_ref(file)) {
                Ok(certs) => infos.extend(
                    certs
                        .iter()
                        .map(|c| cert_info(profile.id.as_str(), CertRole::PartnerAs2, file, c)),
                ),
                Err(e) => errors.push((profile.id.to_string(), file.clone(), e)),
            }
        }
    }
    (infos, errors)
}

/// The TLS certificates beside the AS2 ones: Wharf's HTTPS chain, each partner's trusted CA
/// files (AS2 HTTPS, FTPS folders) and Wharf's client certificate toward it. Every
/// certificate of a file is listed (a chain expires with its first); unreadable files as
/// errors (owner, file, why).
pub fn tls_certificates(
    settings: &crate::config::Settings,
    partners: &crate::partners::Partners,
) -> (Vec<CertInfo>, Vec<(String, String, String)>) {
    let (mut infos, mut errors) = (Vec::new(), Vec::new());
    let mut read = |owner: &str, role: CertRole, file: &str| match partner_certs(&[file.to_owned()])
    {
        Ok(certs) => infos.extend(certs.iter().map(|c| cert_info(owner, role, file, c))),
        Err(e) => errors.push((owner.to_owned(), file.to_owned(), e)),
    };
    if let Some((cert, _)) = &settings.http_tls {
        read("wharf", CertRole::Https, &cert.display().to_string());
    }
    for profile in partners.iter() {
        let id = profile.id.as_str();
        if let Some(as2) = &profile.channels.as2 {
            if let Some(ca) = &as2.ca {
                read(id, CertRole::PartnerCa, ca);
            }
            if let Some(client) = &as2.client_cert {
                read(id, CertRole::As2Client, client);
            }
        }
        let remotes = profile
            .channels
            .collect
            .iter()
            .chain(&profile.channels.deliver);
        let mut cas: Vec<&str> = remotes.filter_map(|r| r.ca.as_deref()).collect();
        // One file trusted for several folders is one certificate, read once.
        cas.sort_unstable();
        cas.dedup();
        for ca in cas {
            read(id, CertRole::PartnerCa, ca);
        }
    }
    (infos, errors)
}

/// The earlier pairs in `dir`: each `NAME.pem` certificate with its `NAME.key` beside it, in
/// name order. A missing folder is no pairs; a certificate without its key is an error, so an
/// operator learns of a half-moved pair at start, not from a partner's failed message.
pub fn previous_pairs(dir: &Path) -> anyhow::Result<Vec<(PKey<Private>, X509)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => anyhow::bail!("{}: {e}", dir.display()),
    };
    let mut certs: Vec<std::path::PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pem"))
        .collect();
    certs.sort();
    let mut out = Vec::new();
    for cert in certs {
        let key = cert.with_extension("key");
        let c = X509::from_pem(&std::fs::read(&cert)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", cert.display()))?;
        let k = PKey::private_key_from_pem(
            &std::fs::read(&key).map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?,
        )
        .map_err(|e| anyhow::anyhow!("{}: {e}", key.display()))?;
        out.push((k, c));
    }
    Ok(out)
}

/// The partner's certificates from its profile's `[as2] certificates` (PEM files; a file may
/// hold several), in the profile's order.
pub fn partner_certs(paths: &[String]) -> Result<Vec<X509>, String> {
    let mut out = Vec::new();
    for p in paths {
        let pem = std::fs::read(p).map_err(|e| format!("{p}: {e}"))?;
        out.extend(X509::stack_from_pem(&pem).map_err(|e| format!("{p}: {e}"))?);
    }
    Ok(out)
}
