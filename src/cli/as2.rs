//! `wharf as2`: the AS2 certificates and their expiry, and a new key pair for a rollover.

use super::*;
/// `wharf as2 certs`: every AS2 certificate with its expiry; exit 1 when one needs attention.
pub(super) fn certs(s: &Settings) -> anyhow::Result<ExitCode> {
    use crate::partners::certificates::{EXPIRY_WARNING_DAYS, certificates};
    let partners = load_partners(s, true);
    let (infos, errors) = certificates(s, &partners);
    let mut attention = !errors.is_empty();
    for c in &infos {
        let note = if c.days_left < 0 {
            attention = true;
            "  EXPIRED"
        } else if c.days_left <= EXPIRY_WARNING_DAYS {
            attention = true;
            "  expires soon"
        } else {
            ""
        };
        println!(
            "{:<12} {:>5} days  {}  {}  ({}){note}",
            c.owner, c.days_left, c.not_after, c.subject, c.file
        );
    }
    for (owner, file, why) in &errors {
        println!("{owner:<12} unreadable  {file}: {why}");
    }
    Ok(if attention {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `wharf as2 new-cert`: a new key and self-signed certificate; never overwrites.
pub(super) fn new_cert(
    s: &Settings,
    cert: Option<&Path>,
    key: Option<&Path>,
    days: u32,
) -> anyhow::Result<ExitCode> {
    let cert = cert
        .map(Path::to_path_buf)
        .unwrap_or_else(|| s.as2.cert.clone());
    let key = key
        .map(Path::to_path_buf)
        .unwrap_or_else(|| s.as2.key.clone());
    crate::transport::as2::new_pair(&s.as2.id, &cert, &key, days)
        .map_err(|e| UsageError(e.to_string()))?;
    eprintln!(
        "AS2 key {} and certificate {} made for `{}`, valid {days} days",
        key.display(),
        cert.display(),
        s.as2.id
    );
    print!("{}", std::fs::read_to_string(&cert)?);
    Ok(ExitCode::SUCCESS)
}
