//! Message Disposition Notifications (RFC 4130 §7, RFC 3798): what the partner asked for
//! (`Disposition-Notification-Options`), the MIC, and the MDN itself — a
//! `multipart/report` with a human part and a `message/disposition-notification` part,
//! signed as `multipart/signed` when asked and possible.

use base64::Engine;
use openssl::hash::MessageDigest;

use crate::metrics::MdnDisposition;

/// A MIC algorithm, named as AS2 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MicAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl MicAlg {
    /// `sha-256` or `sha256` (both spellings are in use), case-insensitive.
    pub fn parse(s: &str) -> Option<MicAlg> {
        match s.trim().to_ascii_lowercase().replace('-', "").as_str() {
            "sha1" => Some(MicAlg::Sha1),
            "sha256" => Some(MicAlg::Sha256),
            "sha384" => Some(MicAlg::Sha384),
            "sha512" => Some(MicAlg::Sha512),
            _ => None,
        }
    }

    /// The name in `micalg=` and in `Received-Content-MIC` (RFC 5751 spelling).
    pub fn name(self) -> &'static str {
        match self {
            MicAlg::Sha1 => "sha1",
            MicAlg::Sha256 => "sha-256",
            MicAlg::Sha384 => "sha-384",
            MicAlg::Sha512 => "sha-512",
        }
    }

    pub fn digest(self) -> MessageDigest {
        match self {
            MicAlg::Sha1 => MessageDigest::sha1(),
            MicAlg::Sha256 => MessageDigest::sha256(),
            MicAlg::Sha384 => MessageDigest::sha384(),
            MicAlg::Sha512 => MessageDigest::sha512(),
        }
    }

    /// `base64(digest(bytes))`, the MIC value.
    pub fn mic(self, bytes: &[u8]) -> String {
        let d = openssl::hash::hash(self.digest(), bytes)
            .map(|d| d.to_vec())
            .unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode(d)
    }
}

/// What the sender asked of the MDN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requested {
    /// An MDN at all (`Disposition-Notification-To` present).
    pub wanted: bool,
    /// Signed with `pkcs7-signature`.
    pub signed: bool,
    /// The first algorithm of the list Wharf supports (SHA-256 when the list names none).
    pub mic_alg: MicAlg,
    /// Where to post it (`Receipt-Delivery-Option`), for an asynchronous MDN.
    pub async_url: Option<String>,
}

impl Requested {
    /// From the request's headers (`Disposition-Notification-To`, `-Options`,
    /// `Receipt-Delivery-Option`).
    pub fn from_headers(to: Option<&str>, options: Option<&str>, rdo: Option<&str>) -> Requested {
        let mut signed = false;
        let mut mic_alg = None;
        for part in options.unwrap_or_default().split(';') {
            let Some((key, value)) = part.split_once('=') else {
                continue;
            };
            // "importance, value, value…"
            let mut values = value.split(',').map(str::trim);
            let _importance = values.next();
            match key.trim().to_ascii_lowercase().as_str() {
                "signed-receipt-protocol" => {
                    signed = values.any(|v| v.eq_ignore_ascii_case("pkcs7-signature"));
                }
                "signed-receipt-micalg" => {
                    mic_alg = values.find_map(MicAlg::parse);
                }
                _ => {}
            }
        }
        Requested {
            wanted: to.is_some(),
            signed,
            mic_alg: mic_alg.unwrap_or(MicAlg::Sha256),
            async_url: rdo
                .map(str::trim)
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                .map(str::to_owned),
        }
    }
}

/// The outcome an MDN reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Processed,
    /// Processed, with a warning (a duplicate Message-ID: the payload is not processed again).
    Warning(&'static str),
    /// `processed/error: <what>`: decryption-failed, authentication-failed,
    /// integrity-check-failed, insufficient-message-security, decompression-failed (RFC 5402),
    /// unexpected-processing-error.
    Error(&'static str),
}

impl Disposition {
    pub fn text(&self) -> String {
        let head = "automatic-action/MDN-sent-automatically";
        match self {
            Disposition::Processed => format!("{head}; processed"),
            Disposition::Warning(w) => format!("{head}; processed/warning: {w}"),
            Disposition::Error(e) => format!("{head}; processed/error: {e}"),
        }
    }
}

impl Disposition {
    /// The word the metrics count this disposition under.
    pub fn metric(&self) -> MdnDisposition {
        match self {
            Disposition::Processed => MdnDisposition::Processed,
            Disposition::Warning(_) => MdnDisposition::Warning,
            Disposition::Error(_) => MdnDisposition::Error,
        }
    }
}

/// A partner's disposition text (after `automatic-action/MDN-sent-automatically;`) as the
/// metrics count it: a refusal is `processed/error…` or `failed…`, whatever follows.
pub fn metric_of_text(disposition: &str) -> MdnDisposition {
    let d = disposition.trim().to_ascii_lowercase();
    if !d.starts_with("processed") || d.contains("error") || d.contains("failed") {
        MdnDisposition::Error
    } else if d.contains("warning") {
        MdnDisposition::Warning
    } else {
        MdnDisposition::Processed
    }
}

/// The fields of one MDN.
pub struct Report<'a> {
    pub reporting_ua: &'a str,
    /// Wharf's AS2 name (the AS2-To of the original).
    pub recipient: &'a str,
    pub original_message_id: &'a str,
    /// (base64 MIC, algorithm) when the content was read far enough to compute it.
    pub mic: Option<(String, MicAlg)>,
    pub disposition: Disposition,
    pub explanation: &'a str,
}

/// The `multipart/report` entity: (Content-Type value, body).
pub fn report(r: &Report<'_>, boundary: &str) -> (String, Vec<u8>) {
    let mut fields = format!(
        "Reporting-UA: {}\r\nOriginal-Recipient: rfc822; {}\r\nFinal-Recipient: rfc822; {}\r\nOriginal-Message-ID: {}\r\n",
        r.reporting_ua, r.recipient, r.recipient, r.original_message_id
    );
    if let Some((mic, alg)) = &r.mic {
        fields.push_str(&format!("Received-Content-MIC: {mic}, {}\r\n", alg.name()));
    }
    fields.push_str(&format!("Disposition: {}\r\n", r.disposition.text()));
    let body = format!(
        "--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{}\r\n\
         --{boundary}\r\nContent-Type: message/disposition-notification\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{fields}\r\n\
         --{boundary}--\r\n",
        r.explanation
    );
    (
        format!("multipart/report; report-type=disposition-notification; boundary=\"{boundary}\""),
        body.into_bytes(),
    )
}

/// A fresh MIME boundary.
pub fn boundary() -> String {
    format!("----=_Wharf_{}", uuid::Uuid::new_v4().simple())
}

/// Wraps `entity` (headers and body, CRLF) in `multipart/signed` with a detached signature:
/// (Content-Type value, body).
pub fn signed(
    entity: &[u8],
    signature_der: &[u8],
    alg: MicAlg,
    boundary: &str,
) -> (String, Vec<u8>) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(signature_der);
    let mut sig = String::with_capacity(b64.len() + b64.len() / 76 * 2);
    for chunk in b64.as_bytes().chunks(76) {
        sig.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        sig.push_str("\r\n");
    }
    let mut body = Vec::with_capacity(entity.len() + sig.len() + 300);
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(entity);
    body.extend_from_slice(
        format!(
            "\r\n--{boundary}\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n\
             Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=smime.p7s\r\n\r\n{sig}--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    (
        format!(
            "multipart/signed; protocol=\"application/pkcs7-signature\"; micalg={}; boundary=\"{boundary}\"",
            alg.name()
        ),
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_pick_the_first_supported_algorithm() {
        let r = Requested::from_headers(
            Some("mailto:x"),
            Some(
                "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, md5, sha1, sha-256",
            ),
            None,
        );
        assert!(r.wanted && r.signed);
        assert_eq!(r.mic_alg, MicAlg::Sha1);
        let r = Requested::from_headers(None, None, Some("https://partner.example/mdn"));
        assert!(!r.wanted && !r.signed);
        assert_eq!(r.mic_alg, MicAlg::Sha256);
        assert_eq!(r.async_url.as_deref(), Some("https://partner.example/mdn"));
    }

    #[test]
    fn mic_of_known_bytes() {
        // sha-256 of "abc".
        assert_eq!(
            MicAlg::Sha256.mic(b"abc"),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }

    #[test]
    fn a_partners_disposition_is_counted_in_three_words() {
        assert_eq!(metric_of_text("processed"), MdnDisposition::Processed);
        assert_eq!(
            metric_of_text(" Processed/Warning: duplicate-document"),
            MdnDisposition::Warning
        );
        assert_eq!(
            metric_of_text("processed/error: decryption-failed"),
            MdnDisposition::Error
        );
        assert_eq!(
            metric_of_text("failed/failure: sender-equals-receiver"),
            MdnDisposition::Error
        );
        assert_eq!(metric_of_text(""), MdnDisposition::Error);
    }
}
