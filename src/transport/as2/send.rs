//! Sending a document to a partner over AS2: the payload entity (with its file name),
//! compressed, signed and encrypted as the profile says, posted with the AS2 headers; the
//! synchronous MDN that comes back is verified (the partner's signature, the Message-ID it
//! answers, our MIC) before the message counts as sent.

use std::sync::Arc;

use openssl::symm::Cipher;
use openssl::x509::X509;

use super::mdn::MicAlg;
use super::mime::{Entity, entity, multipart, split_signed};
use super::{Station, cms, mdn, partner_certs, quote};
use crate::partners::channels::{As2, As2Cipher, As2Digest};
use crate::pipeline::ports::{Delivery, Outgoing, Receipt, SendFailure};
use crate::store::Format;
use futures_util::future::BoxFuture;

/// Why a send did not end in a good MDN.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: the partner's server away, a 5xx.
    #[error("{0}")]
    Unreachable(String),
    /// Needs an operator: no URL or certificate, a refused message, an MDN that does not
    /// show the partner took this message (unreadable, unsigned when a signed one was asked
    /// for, for another Message-ID, a MIC that does not match). A retry reuses the
    /// Message-ID: if the partner did take the message, its duplicate check answers.
    #[error("{0}")]
    Refused(String),
    /// The partner's own (verified) MDN says it did not process the message
    /// (`processed/error`, `failed`): a resend is a new message, under a new Message-ID.
    #[error("{0}")]
    Negative(String),
}

/// A message the partner acknowledged with a good MDN.
#[derive(Debug, Clone)]
pub struct Sent {
    pub as2_message_id: String,
    pub mic: String,
    pub mic_alg: MicAlg,
    /// What the MDN said, for the message's history.
    pub summary: String,
    /// An asynchronous MDN was asked for: it is still to come.
    pub mdn_pending: bool,
    /// What the synchronous MDN said, for the metrics (`None` while one is pending).
    pub mdn_disposition: Option<crate::metrics::MdnDisposition>,
}

/// The MIME type a payload is sent as.
fn media_type(format: Option<Format>) -> &'static str {
    match format {
        Some(Format::X12) => "application/edi-x12",
        Some(Format::Edifact) => "application/edifact",
        Some(Format::Xml) => "application/xml",
        Some(Format::Unknown) | None => "application/octet-stream",
    }
}

/// The built message: HTTP Content-Type, body, and the MIC the MDN must return.
pub struct Built {
    pub content_type: String,
    pub body: Vec<u8>,
    pub mic: String,
}

/// Builds the message: entity → compressed → signed → encrypted, per the profile.
pub fn build(
    station: &Station,
    as2: &As2,
    partner_cert: Option<&X509>,
    raw: &[u8],
    filename: &str,
    format: Option<Format>,
    mic_alg: MicAlg,
) -> Result<Built, SendError> {
    let name = filename.replace(['"', '\\', '\r', '\n'], "_");
    let mut part = format!(
        "Content-Type: {}\r\nContent-Transfer-Encoding: binary\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n",
        media_type(format)
    )
    .into_bytes();
    part.extend_from_slice(raw);
    if as2.compress {
        let z = cms::compressed::compress(&part);
        part = b"Content-Type: application/pkcs7-mime; smime-type=compressed-data; name=\"smime.p7z\"\r\nContent-Transfer-Encoding: binary\r\n\r\n".to_vec();
        part.extend_from_slice(&z);
    }
    // RFC 4130 §7.3.1: signed, the MIC covers the signed entity, MIME headers included;
    // encrypted only, the entity before encryption, headers included; neither, the content
    // alone — its MIME headers travel as HTTP headers, which the partner does not digest
    // (and intermediaries may rewrite). That is the payload's bytes, compressed or not: a
    // receiver inflates compressed data before it digests it, as Wharf's own does.
    let mic = if as2.sign || as2.encrypt {
        mic_alg.mic(&part)
    } else {
        mic_alg.mic(raw)
    };
    if as2.sign {
        let sig = cms::sign_detached(&part, &station.cert, &station.key, mic_alg.digest())
            .map_err(|e| SendError::Refused(e.to_string()))?;
        let (ct, body) = mdn::signed(&part, &sig, mic_alg, &mdn::boundary());
        part = entity(&ct, &body);
    }
    if as2.encrypt {
        let cert = partner_cert.ok_or_else(|| {
            SendError::Refused("the profile's [as2] names no certificate to encrypt to".into())
        })?;
        let cipher = match as2.cipher {
            As2Cipher::Des3 => Cipher::des_ede3_cbc(),
            As2Cipher::Aes128 => Cipher::aes_128_cbc(),
            As2Cipher::Aes192 => Cipher::aes_192_cbc(),
            As2Cipher::Aes256 => Cipher::aes_256_cbc(),
            As2Cipher::Aes128Gcm => Cipher::aes_128_gcm(),
            As2Cipher::Aes256Gcm => Cipher::aes_256_gcm(),
        };
        let der =
            cms::encrypt(&part, cert, cipher).map_err(|e| SendError::Refused(e.to_string()))?;
        return Ok(Built {
            content_type: "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\""
                .into(),
            body: der,
            mic,
        });
    }
    // Neither encrypted: the outermost part's headers become the HTTP ones.
    let e = Entity::parse(&part).map_err(|e| SendError::Refused(e.to_string()))?;
    Ok(Built {
        content_type: e
            .header("content-type")
            .unwrap_or("application/octet-stream")
            .to_owned(),
        body: e.body.to_vec(),
        mic,
    })
}

/// Sends `raw` to the partner under `message_id` (allocated once per message, reused by
/// every retry) and checks its MDN; with `receipt_url` the MDN is asked for asynchronously
/// there (`Receipt-Delivery-Option`) and the partner's 2xx is the answer.
#[allow(clippy::too_many_arguments)]
pub async fn send(
    station: Arc<Station>,
    as2: &As2,
    message_id: &str,
    raw: &[u8],
    filename: &str,
    format: Option<Format>,
    receipt_url: Option<&str>,
) -> Result<Sent, SendError> {
    let url = as2
        .url
        .clone()
        .ok_or_else(|| SendError::Refused("the profile's [as2] has no url".into()))?;
    let certs = partner_certs(&as2.certificates).map_err(SendError::Refused)?;
    let mic_alg = match as2.digest {
        As2Digest::Sha1 => MicAlg::Sha1,
        As2Digest::Sha256 => MicAlg::Sha256,
        As2Digest::Sha384 => MicAlg::Sha384,
        As2Digest::Sha512 => MicAlg::Sha512,
    };
    let built = {
        let (station, as2, raw, filename) = (
            station.clone(),
            as2.clone(),
            raw.to_vec(),
            filename.to_owned(),
        );
        let cert = certs.first().cloned();
        tokio::task::spawn_blocking(move || {
            build(
                &station,
                &as2,
                cert.as_ref(),
                &raw,
                &filename,
                format,
                mic_alg,
            )
        })
        .await
        .map_err(|e| SendError::Refused(format!("worker: {e}")))??
    };
    let signed_mdn = signed_mdn_asked(as2);
    let client = super::tls::client(as2).map_err(|e| SendError::Refused(e.to_string()))?;
    let mut request = crate::telemetry::traced(client.post(&url), crate::telemetry::outbound());
    if let Some(r) = receipt_url {
        request = request.header("Receipt-Delivery-Option", r);
    }
    if let Some(login) = &as2.outbound_login {
        // Read at each send, so a rotated password needs no reload; a missing one is the
        // operator's to fix, not the partner's server being away.
        let password = login
            .password
            .read()
            .map_err(|e| SendError::Refused(format!("[as2] url_password: {e}")))?;
        request = request.basic_auth(&login.user, Some(password));
    }
    let response = request
        .header("AS2-Version", "1.2")
        .header("AS2-From", quote(&station.id))
        .header("AS2-To", quote(&as2.id))
        .header("Message-ID", message_id)
        .header("MIME-Version", "1.0")
        .header("Subject", format!("EDI from {}", station.id))
        .header("Content-Type", &built.content_type)
        .header(
            "Content-Disposition",
            format!(
                "attachment; filename=\"{}\"",
                filename.replace(['"', '\\', '\r', '\n'], "_")
            ),
        )
        .header("Disposition-Notification-To", quote(&station.id))
        .header(
            "Disposition-Notification-Options",
            mdn_options(signed_mdn, mic_alg),
        )
        .header("EDIINT-Features", "AS2-Reliability")
        .body(built.body)
        .timeout(std::time::Duration::from_secs(120))
        .send()
        .await
        .map_err(|e| {
            // A certificate TLS refused (untrusted, not the pinned one, no client certificate
            // taken) is not an outage: an operator must look, so it is said in full.
            match super::tls::describe(&e) {
                (words, true) => SendError::Refused(format!("{url}: TLS: {words}")),
                (words, false) => SendError::Unreachable(format!("{url}: {words}")),
            }
        })?;
    let status = response.status();
    if status.is_server_error() {
        return Err(SendError::Unreachable(format!("{url} answered {status}")));
    }
    if !status.is_success() {
        return Err(SendError::Refused(format!("{url} answered {status}")));
    }
    if let Some(r) = receipt_url {
        return Ok(Sent {
            as2_message_id: message_id.to_owned(),
            mic: built.mic,
            mic_alg,
            summary: format!("accepted ({status}); asynchronous MDN asked for at {r}"),
            mdn_pending: true,
            mdn_disposition: None,
        });
    }
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let body = response
        .bytes()
        .await
        .map_err(|e| SendError::Unreachable(format!("{url}: MDN cut off: {e}")))?;
    let outcome = read_mdn(headers, &body, &certs, message_id)?;
    check_receipt(&outcome, message_id, signed_mdn)?;
    check_outcome(&outcome, &built.mic, mic_alg)?;
    Ok(Sent {
        as2_message_id: message_id.to_owned(),
        mic: built.mic,
        mic_alg,
        summary: format!("MDN {}, MIC matched", outcome.describe()),
        mdn_pending: false,
        mdn_disposition: Some(super::mdn::metric_of_text(&outcome.disposition)),
    })
}

/// Whether Wharf asks this partner for a signed MDN: whenever its profile names a
/// certificate to verify one with. Without one, an unsigned MDN is asked for and taken.
pub fn signed_mdn_asked(as2: &As2) -> bool {
    !as2.certificates.is_empty()
}

/// `Disposition-Notification-Options` (RFC 4130 §7.3): a signed MDN when `signed`, its MIC
/// in `alg` either way.
fn mdn_options(signed: bool, alg: MicAlg) -> String {
    let micalg = format!("signed-receipt-micalg=optional, {}", alg.name());
    if signed {
        format!("signed-receipt-protocol=optional, pkcs7-signature; {micalg}")
    } else {
        micalg
    }
}

/// An MDN is this message's receipt only if it names this message (`Original-Message-ID`)
/// and, when a signed MDN was asked for, is signed: an unsigned MDN would lose the
/// non-repudiation of receipt the signature gives, whatever it says.
pub fn check_receipt(
    o: &MdnOutcome,
    message_id: &str,
    signed_asked: bool,
) -> Result<(), SendError> {
    match o.original_message_id.as_deref() {
        Some(id) if same_message_id(id, message_id) => {}
        Some(id) => {
            return Err(SendError::Refused(format!(
                "the MDN answers Message-ID {id}, not this message's {message_id}"
            )));
        }
        None => {
            return Err(SendError::Refused(format!(
                "the MDN names no Original-Message-ID; it is not a receipt for {message_id}"
            )));
        }
    }
    check_signed(o, signed_asked)
}

/// A signed MDN was asked for and an unsigned one came: not a receipt.
pub fn check_signed(o: &MdnOutcome, signed_asked: bool) -> Result<(), SendError> {
    if signed_asked && !o.signed {
        return Err(SendError::Refused(
            "the MDN is unsigned although a signed one was asked for (the profile names the partner's certificate); not taken as a receipt".into(),
        ));
    }
    Ok(())
}

/// Two Message-IDs are the same one: compared as written, angle brackets and surrounding
/// space aside (some products drop the brackets in `Original-Message-ID`).
fn same_message_id(a: &str, b: &str) -> bool {
    let bare = |s: &str| {
        let s = s.trim();
        s.strip_prefix('<')
            .and_then(|s| s.strip_suffix('>'))
            .unwrap_or(s)
            .trim()
            .to_owned()
    };
    bare(a) == bare(b)
}

/// The fields of an MDN that matter to the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnOutcome {
    pub original_message_id: Option<String>,
    /// The text after `automatic-action/MDN-sent-automatically;`, e.g. `processed`.
    pub disposition: String,
    pub mic: Option<(String, String)>,
    pub signed: bool,
}

impl MdnOutcome {
    /// `processed, signed by the partner`: what the MDN said and whether it was signed.
    pub fn describe(&self) -> String {
        let how = if self.signed {
            "signed by the partner"
        } else {
            "unsigned"
        };
        format!("{}, {how}", self.disposition)
    }
}

/// Reads an MDN (signed or not), verifying a signature against the partner's certificates.
pub fn read_mdn(
    headers: Vec<(String, String)>,
    body: &[u8],
    certs: &[X509],
    original: &str,
) -> Result<MdnOutcome, SendError> {
    let refused = |what: String| SendError::Refused(format!("MDN for {original}: {what}"));
    let outer = Entity::from_parts(headers, body);
    let ct = outer.content_type();
    let (report_entity, signed): (Vec<u8>, bool) = if ct.is("multipart/signed") {
        let (content, der) = split_signed(body, &ct).map_err(|e| refused(e.to_string()))?;
        cms::verify_detached(&der, content, certs)
            .map_err(|e| refused(format!("signature: {e}")))?;
        (content.to_vec(), true)
    } else if ct.is("multipart/report") {
        let header = outer.header("content-type").unwrap_or_default();
        (entity(header, body), false)
    } else {
        return Err(refused(format!("not an MDN ({})", ct.mime)));
    };
    let report = Entity::parse(&report_entity).map_err(|e| refused(e.to_string()))?;
    let rct = report.content_type();
    let boundary = rct
        .param("boundary")
        .ok_or_else(|| refused("report without boundary".into()))?;
    let parts = multipart(report.body, boundary).map_err(|e| refused(e.to_string()))?;
    let notification = parts
        .iter()
        .filter_map(|p| Entity::parse(p).ok())
        .find(|e| e.content_type().is("message/disposition-notification"))
        .ok_or_else(|| refused("no message/disposition-notification part".into()))?;
    let fields = Entity::parse(notification.body)
        .map(|e| e.headers)
        .or_else(|_| {
            // The fields may end without a blank line.
            let mut with_end = notification.body.to_vec();
            with_end.extend_from_slice(b"\r\n\r\n");
            Entity::parse(&with_end).map(|e| e.headers)
        })
        .map_err(|e| refused(e.to_string()))?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let disposition = field("disposition").ok_or_else(|| refused("no Disposition".into()))?;
    let disposition = disposition
        .split_once(';')
        .map(|(_, d)| d.trim().to_owned())
        .unwrap_or(disposition);
    let mic = field("received-content-mic").and_then(|m| {
        let (v, alg) = m.split_once(',')?;
        Some((v.trim().to_owned(), alg.trim().to_owned()))
    });
    Ok(MdnOutcome {
        original_message_id: field("original-message-id"),
        disposition,
        mic,
        signed,
    })
}

/// A good MDN: processed (a warning is fine), and our MIC in our algorithm.
pub fn check_outcome(o: &MdnOutcome, mic: &str, alg: MicAlg) -> Result<(), SendError> {
    let d = o.disposition.to_ascii_lowercase();
    if !d.starts_with("processed") || d.contains("error") || d.contains("failed") {
        return Err(SendError::Negative(format!(
            "the partner answered `{}`",
            o.disposition
        )));
    }
    match &o.mic {
        Some((value, a)) if value == mic && MicAlg::parse(a) == Some(alg) => Ok(()),
        Some((value, a)) => Err(SendError::Refused(format!(
            "the MDN's MIC {value} ({a}) is not the message's {mic} ({})",
            alg.name()
        ))),
        None => Err(SendError::Refused("the MDN carries no MIC".into())),
    }
}

impl crate::pipeline::ports::Outbound for super::station::As2 {
    fn send<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Delivery, SendFailure>> {
        Box::pin(async move {
            let (profile, raw) = (out.profile, out.raw);
            let as2 = profile.channels.as2.clone().ok_or_else(|| {
                SendFailure::Permanent("the profile's [as2] section is gone".into())
            })?;
            let station = self.station().map_err(SendFailure::Refused)?;
            // The Message-ID first, committed: every retry of this send — the partner's
            // server away, an MDN that does not show receipt, a crash mid-POST — goes out
            // under it (AS2-Reliability), so the partner's duplicate check answers a message
            // it already took instead of processing it again.
            let message_id =
                crate::store::as2::send_id(&self.store, profile.id.as_str(), out.message.id)
                    .await?;
            // Then the network, outside any transaction.
            // An asynchronous MDN needs an address partners can reach; without one the MDN
            // is asked for synchronously.
            let receipt_url = self
                .settings
                .as2
                .public_url
                .as_ref()
                .filter(|_| as2.async_mdn)
                .map(|u| format!("{u}/as2"));
            let sent = send(
                station,
                &as2,
                &message_id,
                raw,
                out.filename,
                out.message.format,
                receipt_url.as_deref(),
            )
            .await;
            // The channel's health for the admin pages: a refusal in the MDN counts as a
            // failed send too, since the partner's side is where an operator must look.
            let failure = match &sent {
                Ok(_) => None,
                Err(e) => Some(e.to_string()),
            };
            let attempt = match &failure {
                None => crate::store::channel_health::Attempt::Succeeded,
                Some(e) => crate::store::channel_health::Attempt::Failed(e),
            };
            if let Err(e) = crate::store::channel_health::record(
                &self.store,
                profile.id.as_str(),
                crate::store::ChannelKind::As2Send,
                as2.url.as_deref().unwrap_or_default(),
                attempt,
                None,
            )
            .await
            {
                tracing::warn!(partner = %profile.id, error = %e, "AS2 send not recorded in the channel's health");
            }
            // The synchronous MDN, good or a refusal, counted for the partner.
            let mdn_said = match &sent {
                Ok(s) => s.mdn_disposition,
                Err(SendError::Negative(_)) => Some(crate::metrics::MdnDisposition::Error),
                Err(_) => None,
            };
            if let Some(d) = mdn_said {
                self.metrics.mdn(
                    profile.id.as_str(),
                    crate::metrics::MdnDirection::Received,
                    d,
                );
            }
            let sent = match sent {
                Ok(s) => s,
                Err(SendError::Unreachable(reason)) => {
                    return Err(SendFailure::Unavailable {
                        reason,
                        retry_in: std::time::Duration::ZERO,
                    });
                }
                Err(SendError::Refused(reason)) => return Err(SendFailure::Refused(reason)),
                Err(SendError::Negative(reason)) => {
                    // The partner refused this message in its MDN: the next attempt is a
                    // new message, under a new Message-ID.
                    let mut tx = self.store.begin().await?;
                    crate::store::as2::release_send_id(&mut tx, out.message.id).await?;
                    tx.commit().await.map_err(SendFailure::Store)?;
                    return Err(SendFailure::Refused(reason));
                }
            };
            let text = format!(
                "sent over AS2 to {} as Message-ID {} ({} bytes); {}",
                as2.url.as_deref().unwrap_or_default(),
                sent.as2_message_id,
                raw.len(),
                sent.summary
            );
            Ok(Delivery {
                channel: crate::store::Channel::As2,
                text,
                receipt: Receipt::As2 {
                    mdn: (!sent.mdn_pending).then(|| sent.summary.clone()),
                    release_send_id: !sent.mdn_pending,
                    as2_message_id: sent.as2_message_id,
                    mic: sent.mic,
                    mic_alg: sent.mic_alg.name(),
                },
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(original: Option<&str>, signed: bool) -> MdnOutcome {
        MdnOutcome {
            original_message_id: original.map(str::to_owned),
            disposition: "processed".into(),
            mic: Some(("abc".into(), "sha-256".into())),
            signed,
        }
    }

    #[test]
    fn a_receipt_names_this_message_and_is_signed_when_asked() {
        let id = "<1@wharf>";
        assert!(check_receipt(&outcome(Some("<1@wharf>"), true), id, true).is_ok());
        // Brackets dropped by some products: the same ID.
        assert!(check_receipt(&outcome(Some(" 1@wharf "), true), id, true).is_ok());
        assert!(check_receipt(&outcome(Some("<2@wharf>"), true), id, true).is_err());
        assert!(check_receipt(&outcome(None, true), id, true).is_err());
        assert!(check_receipt(&outcome(Some(id), false), id, true).is_err());
        assert!(check_receipt(&outcome(Some(id), false), id, false).is_ok());
    }

    #[test]
    fn a_refusal_in_the_mdn_is_negative_a_wrong_mic_is_not() {
        let mut o = outcome(Some("<1@wharf>"), true);
        assert!(check_outcome(&o, "abc", MicAlg::Sha256).is_ok());
        assert!(matches!(
            check_outcome(&o, "xyz", MicAlg::Sha256),
            Err(SendError::Refused(_))
        ));
        o.disposition = "processed/error: decryption-failed".into();
        assert!(matches!(
            check_outcome(&o, "abc", MicAlg::Sha256),
            Err(SendError::Negative(_))
        ));
    }

    #[test]
    fn options_ask_for_a_signature_only_when_one_can_be_verified() {
        assert_eq!(
            mdn_options(true, MicAlg::Sha256),
            "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256"
        );
        assert_eq!(
            mdn_options(false, MicAlg::Sha1),
            "signed-receipt-micalg=optional, sha1"
        );
    }
}
