//! Peeling an AS2 message: encryption, compression (before or after signing), signature, in
//! whatever order the partner's product nested them, down to the payload; with the MIC the
//! MDN must carry (RFC 4130 §7.3.1: over the signed part, headers included, when signed;
//! over the decrypted content otherwise) and the failure each layer can end in.

// Partner bytes must not panic the gateway: no unwrap, expect or unchecked indexing here.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::borrow::Cow;

use bytes::Bytes;
use openssl::x509::X509;

use super::cms::{self, compressed};
use super::mdn::MicAlg;
use super::mime::{Entity, decode_base64, split_signed};

/// Why a message was not accepted, as the MDN says it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("decryption-failed: {0}")]
    Decryption(String),
    #[error("authentication-failed: {0}")]
    Authentication(String),
    #[error("integrity-check-failed: {0}")]
    Integrity(String),
    #[error("insufficient-message-security: {0}")]
    Insecure(String),
    /// Compressed data that does not inflate (RFC 5402 §5).
    #[error("decompression-failed: {0}")]
    Decompression(String),
    #[error("unexpected-processing-error: {0}")]
    Unexpected(String),
}

impl Failure {
    /// The disposition modifier of RFC 4130 §7.5.3 (and RFC 5402's for compression).
    pub fn modifier(&self) -> &'static str {
        match self {
            Failure::Decryption(_) => "decryption-failed",
            Failure::Authentication(_) => "authentication-failed",
            Failure::Integrity(_) => "integrity-check-failed",
            Failure::Insecure(_) => "insufficient-message-security",
            Failure::Decompression(_) => "decompression-failed",
            Failure::Unexpected(_) => "unexpected-processing-error",
        }
    }
}

/// What the partner must have done to a message for it to be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Required {
    pub signed: bool,
    pub encrypted: bool,
}

/// A message taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwrapped {
    /// The payload: a slice of the decrypted (or received) buffer, never a copy of it.
    pub payload: Bytes,
    /// `Content-Disposition` file name of the payload's entity.
    pub filename: Option<String>,
    pub encrypted: bool,
    /// Index (among Wharf's own key pairs, current first) of the one that decrypted.
    pub decrypted_by: Option<usize>,
    /// Index (among the partner's certificates) of the one that signed, when signed.
    pub signed_by: Option<usize>,
    pub compressed: bool,
    /// The MIC for the MDN.
    pub mic: String,
}

/// How far compressed data may inflate while the signature a profile requires has not been
/// checked yet (compression outside the signature, RFC 5402 §3): [`UNVERIFIED_RATIO`] times
/// what arrived, at least [`UNVERIFIED_FLOOR`], never more than the partner's limit. EDI
/// deflates 4–5× (the corpus's files; an 8 MB generated 850), a zlib bomb ~1000× in one
/// layer, so anyone who knows a partner's AS2 id gets at most this much memory out of Wharf
/// before proving who they are.
pub fn unverified_inflate_limit(compressed: usize, limit: usize) -> usize {
    compressed
        .saturating_mul(UNVERIFIED_RATIO)
        .max(UNVERIFIED_FLOOR)
        .min(limit)
}

/// See [`unverified_inflate_limit`].
pub const UNVERIFIED_RATIO: usize = 50;
/// See [`unverified_inflate_limit`].
pub const UNVERIFIED_FLOOR: usize = 1 << 20;

/// The keys a message is opened with.
pub struct Keys<'a> {
    /// Wharf's own key pairs, current first (the previous ones during a rollover).
    pub own: &'a [(&'a openssl::pkey::PKey<openssl::pkey::Private>, &'a X509)],
    /// The partner's certificates, newest first (several during a rollover).
    pub partner_certs: &'a [X509],
}

/// One layer's bytes: an entity parsed from `raw`, or the outermost one whose headers came
/// with HTTP. `Bytes`, so an inner layer (the signed part of a multipart/signed, a binary
/// payload) is a slice of the buffer it came in, not a copy: a 1 MB message was copied four
/// more times here before.
struct Layer {
    headers: Option<Vec<(String, String)>>,
    raw: Bytes,
}

impl Layer {
    fn entity(&self) -> Result<Entity<'_>, Failure> {
        match &self.headers {
            Some(h) => Ok(Entity::from_parts(h.clone(), &self.raw)),
            None => Entity::parse(&self.raw).map_err(|e| Failure::Unexpected(format!("MIME: {e}"))),
        }
    }
}

/// Takes a message apart. `headers` are the HTTP request's (Content-Type and
/// Content-Transfer-Encoding among them), `body` its body; `limit` bounds every layer.
pub fn unwrap(
    headers: Vec<(String, String)>,
    body: impl Into<Bytes>,
    keys: &Keys<'_>,
    mic_alg: MicAlg,
    required: Required,
    limit: usize,
) -> Result<Unwrapped, Failure> {
    let mut layer = Layer {
        headers: Some(headers),
        raw: body.into(),
    };
    let (mut encrypted, mut signed_by, mut compressed_seen) = (false, None, false);
    let mut decrypted_by = None;
    // The MIC when nothing is signed: over the first decrypted content (or, for a message
    // neither signed nor encrypted, its body).
    let mut unsigned_mic: Option<String> = None;
    let mut signed_mic: Option<String> = None;
    for _ in 0..8 {
        let entity = layer.entity()?;
        let ct = entity.content_type();
        if ct.is("application/pkcs7-mime") || ct.is("application/x-pkcs7-mime") {
            let der = der_of(
                entity
                    .decoded_body()
                    .map_err(|e| Failure::Unexpected(format!("{e}")))?,
            );
            let smime = ct.param("smime-type").unwrap_or("").to_ascii_lowercase();
            if smime == "compressed-data" || compressed::is_compressed(&der) {
                // Inflating is where a few bytes become gigabytes: it is done once per
                // message, never outside the encryption a profile requires, and, while the
                // signature a profile requires is still unchecked, only up to a ratio of
                // what arrived (see `unverified_inflate_limit`).
                if compressed_seen {
                    return Err(Failure::Decompression("compressed twice".into()));
                }
                if required.encrypted && !encrypted {
                    return Err(Failure::Insecure(
                        "the profile requires encryption; compressed data came outside it".into(),
                    ));
                }
                let bound = if required.signed && signed_by.is_none() {
                    unverified_inflate_limit(der.len(), limit)
                } else {
                    limit
                };
                let inner = compressed::decompress(&der, bound).map_err(|e| {
                    Failure::Decompression(if bound < limit {
                        format!("{e} before its signature was checked")
                    } else {
                        e.to_string()
                    })
                })?;
                compressed_seen = true;
                layer = Layer {
                    headers: None,
                    raw: inner.into(),
                };
                continue;
            }
            if smime == "signed-data" {
                return Err(Failure::Unexpected(
                    "opaque signed-data is not accepted; sign as multipart/signed".into(),
                ));
            }
            if encrypted {
                return Err(Failure::Decryption("encrypted twice".into()));
            }
            let enveloped = cms::parse(&der).map_err(|e| Failure::Decryption(e.to_string()))?;
            // The received bytes are no longer needed once OpenSSL holds its copy: freed
            // before the plaintext is made, so a large message is not held three times over.
            drop(der);
            drop(entity);
            layer.raw = Bytes::new();
            let (inner, by) = cms::decrypt_parsed(&enveloped, keys.own)
                .map_err(|e| Failure::Decryption(e.to_string()))?;
            drop(enveloped);
            decrypted_by = Some(by);
            if inner.len() > limit {
                return Err(Failure::Unexpected(
                    "larger than the partner's limit".into(),
                ));
            }
            encrypted = true;
            if unsigned_mic.is_none() {
                unsigned_mic = Some(mic_alg.mic(&inner));
            }
            layer = Layer {
                headers: None,
                raw: inner.into(),
            };
            continue;
        }
        if ct.is("multipart/signed") {
            if signed_by.is_some() {
                return Err(Failure::Authentication("signed twice".into()));
            }
            let (content, sig_der) = split_signed(entity.body, &ct)
                .map_err(|e| Failure::Authentication(e.to_string()))?;
            if keys.partner_certs.is_empty() {
                return Err(Failure::Authentication(
                    "the partner's profile names no certificate".into(),
                ));
            }
            let by = cms::verify_detached(&sig_der, content, keys.partner_certs).map_err(|e| {
                // A signature that verifies for no certificate, or whose digest does not
                // match the content: the content changed, or another key signed.
                let text = e.to_string();
                if text.contains("digest") || text.contains("content verify") {
                    Failure::Integrity(text)
                } else {
                    Failure::Authentication(text)
                }
            })?;
            signed_by = Some(by);
            signed_mic = Some(mic_alg.mic(content));
            let inner = layer.raw.slice_ref(content);
            layer = Layer {
                headers: None,
                raw: inner,
            };
            continue;
        }
        // The payload.
        if required.encrypted && !encrypted {
            return Err(Failure::Insecure("the profile requires encryption".into()));
        }
        if required.signed && signed_by.is_none() {
            return Err(Failure::Insecure("the profile requires a signature".into()));
        }
        let payload = match entity
            .decoded_body()
            .map_err(|e| Failure::Unexpected(e.to_string()))?
        {
            Cow::Borrowed(b) => layer.raw.slice_ref(b),
            Cow::Owned(v) => Bytes::from(v),
        };
        let mic = match (signed_mic, unsigned_mic) {
            (Some(m), _) | (None, Some(m)) => m,
            (None, None) => mic_alg.mic(entity.body),
        };
        return Ok(Unwrapped {
            filename: entity.filename(),
            payload,
            encrypted,
            decrypted_by,
            signed_by,
            compressed: compressed_seen,
            mic,
        });
    }
    Err(Failure::Unexpected("more than 8 nested layers".into()))
}

/// The DER of an `application/pkcs7-mime` body: some products send it base64-encoded
/// without saying so in a Content-Transfer-Encoding; DER starts with a SEQUENCE (0x30).
fn der_of(decoded: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    let looks_base64 = !decoded.is_empty()
        && decoded.first() != Some(&0x30)
        && decoded
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"+/=\r\n \t".contains(c));
    if looks_base64 {
        decode_base64(&decoded).map_or(decoded, Cow::Owned)
    } else {
        decoded
    }
}
