//! The CMS (S/MIME) work of AS2 on OpenSSL: decrypting enveloped data (whatever key transport
//! and cipher the partner chose: RSA PKCS#1 v1.5 or OAEP; 3DES, AES-CBC, AES-GCM), verifying
//! detached signatures against the partner's pinned certificates only (PKCS#1 v1.5 or PSS,
//! any SHA), signing with a chosen digest, encrypting, and RFC 3274 compressed data (zlib,
//! with flate2: Debian's OpenSSL has no zlib).
//!
//! Signing with a digest other than OpenSSL's default needs `CMS_add1_signer` and
//! `CMS_final`, which `openssl-sys` does not bind: they are declared in `ffi` below, the only
//! unsafe code of the crate, each call checked for NULL / failure.

// Partner bytes must not panic the gateway: no unwrap, expect or unchecked indexing here.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::symm::Cipher;
use openssl::x509::X509;

/// What went wrong in the cryptography; each maps to an AS2 disposition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmsError {
    #[error("not decryptable with Wharf's key: {0}")]
    Decrypt(String),
    #[error("signature not verified with the partner's certificate(s): {0}")]
    Signature(String),
    #[error("compressed data: {0}")]
    Compressed(String),
    #[error("signing: {0}")]
    Sign(String),
    #[error("encrypting: {0}")]
    Encrypt(String),
}

/// Decrypts an enveloped-data (or authenticated-enveloped-data) DER structure with one of
/// Wharf's own key pairs (several during a rollover, current first); returns the plaintext
/// and the index of the pair that opened it.
///
/// First the pair whose certificate the message names as recipient (issuer and serial, or
/// subject key identifier: OpenSSL matches it); then, for a partner that encrypted to a
/// certificate Wharf no longer has but with a key it still holds (a certificate re-issued
/// for the same key), each key against every recipient.
pub fn decrypt(
    der: &[u8],
    pairs: &[(&PKey<Private>, &X509)],
) -> Result<(Vec<u8>, usize), CmsError> {
    decrypt_parsed(&parse(der)?, pairs)
}

/// Enveloped data parsed (OpenSSL keeps its own copy of the encrypted content), so the caller
/// can free the bytes it came in before [`decrypt_parsed`] makes the plaintext: for a large
/// message one copy fewer held at the peak.
pub fn parse(der: &[u8]) -> Result<CmsContentInfo, CmsError> {
    CmsContentInfo::from_der(der).map_err(|e| CmsError::Decrypt(e.to_string()))
}

/// [`decrypt`] of enveloped data already [`parse`]d.
pub fn decrypt_parsed(
    cms: &CmsContentInfo,
    pairs: &[(&PKey<Private>, &X509)],
) -> Result<(Vec<u8>, usize), CmsError> {
    let mut first_error = None;
    for (i, (key, cert)) in pairs.iter().enumerate() {
        match cms.decrypt(key, cert) {
            Ok(plain) => return Ok((plain, i)),
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    for (i, (key, _)) in pairs.iter().enumerate() {
        // Without a certificate OpenSSL answers a wrong key with a random content key
        // (its defence against padding oracles), so a wrong key almost always fails the
        // content's padding or tag here rather than returning plausible bytes.
        // "Almost": CBC's padding passes by chance once in 256 (measured: a stranger's
        // message came out as garbage and was answered `unexpected-processing-error` instead
        // of `decryption-failed`). Only a plaintext that is a MIME entity counts, as every
        // AS2 payload is one.
        if let Ok(plain) = cms.decrypt_without_cert_check(key)
            && looks_like_mime_entity(&plain)
        {
            return Ok((plain, i));
        }
    }
    Err(CmsError::Decrypt(
        first_error.unwrap_or_else(|| "no key pair to decrypt with".into()),
    ))
}

/// Whether `bytes` begin as a MIME entity does: a header line (`Name:`, the name printable
/// ASCII without spaces) and, within the first 64 KiB, the blank line ending the headers.
/// Random bytes (a wrong key's output, which already passed the content's padding by a one in
/// 256 chance) pass it about once in 100,000 (a name of printable bytes before a colon, and a
/// blank line).
fn looks_like_mime_entity(bytes: &[u8]) -> bool {
    let head = bytes.get(..bytes.len().min(64 * 1024)).unwrap_or(bytes);
    let Some(name) = head
        .iter()
        .position(|&b| b == b':')
        .and_then(|colon| head.get(..colon))
    else {
        return false;
    };
    let ends = head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n");
    !name.is_empty() && name.len() <= 76 && name.iter().all(|&b| b.is_ascii_graphic()) && ends
}

/// Verifies a detached signature over `content` made by one of `certs` (tried together: the
/// signer must be one of them, never a certificate carried in the message). Returns the index
/// of the certificate that signed.
pub fn verify_detached(sig_der: &[u8], content: &[u8], certs: &[X509]) -> Result<usize, CmsError> {
    let fail = |e: openssl::error::ErrorStack| CmsError::Signature(e.to_string());
    let mut cms = CmsContentInfo::from_der(sig_der).map_err(fail)?;
    let mut stack = Stack::new().map_err(fail)?;
    for c in certs {
        stack.push(c.clone()).map_err(fail)?;
    }
    let flags = CMSOptions::BINARY | CMSOptions::NOINTERN | CMSOptions::NO_SIGNER_CERT_VERIFY;
    cms.verify(Some(&stack), None, Some(content), None, flags)
        .map_err(fail)?;
    // Which certificate signed: the one whose public key matches a signer's.
    let signer = ffi::first_signer_cert(&cms);
    Ok(signer
        .and_then(|s| {
            certs.iter().position(|c| {
                c.public_key()
                    .ok()
                    .zip(s.public_key().ok())
                    .is_some_and(|(a, b)| a.public_eq(&b))
            })
        })
        .unwrap_or(0))
}

/// A detached signature (DER) over `data` with Wharf's certificate and key and `digest`.
pub fn sign_detached(
    data: &[u8],
    cert: &X509,
    key: &PKey<Private>,
    digest: MessageDigest,
) -> Result<Vec<u8>, CmsError> {
    ffi::sign_detached(data, cert, key, digest).map_err(|e| CmsError::Sign(e.to_string()))
}

/// Enveloped data (DER) of `data` for the partner's certificate.
pub fn encrypt(data: &[u8], cert: &X509, cipher: Cipher) -> Result<Vec<u8>, CmsError> {
    let fail = |e: openssl::error::ErrorStack| CmsError::Encrypt(e.to_string());
    let mut stack = Stack::new().map_err(fail)?;
    stack.push(cert.clone()).map_err(fail)?;
    CmsContentInfo::encrypt(&stack, data, cipher, CMSOptions::BINARY)
        .and_then(|c| c.to_der())
        .map_err(fail)
}

mod ffi {
    //! The two OpenSSL functions `openssl-sys` does not bind, and the calls around them.
    use std::os::raw::{c_int, c_uint, c_void};
    use std::ptr;

    use foreign_types::{ForeignType, ForeignTypeRef};
    use openssl::cms::CmsContentInfo;
    use openssl::error::ErrorStack;
    use openssl::hash::MessageDigest;
    use openssl::pkey::{PKey, Private};
    use openssl::x509::{X509, X509Ref};
    use openssl_sys as sys;

    #[allow(non_camel_case_types)]
    pub enum CMS_SignerInfo {}

    unsafe extern "C" {
        fn CMS_add1_signer(
            cms: *mut sys::CMS_ContentInfo,
            signer: *mut sys::X509,
            pk: *mut sys::EVP_PKEY,
            md: *const sys::EVP_MD,
            flags: c_uint,
        ) -> *mut CMS_SignerInfo;
        fn CMS_final(
            cms: *mut sys::CMS_ContentInfo,
            data: *mut sys::BIO,
            dcont: *mut sys::BIO,
            flags: c_uint,
        ) -> c_int;
        fn CMS_get0_signers(cms: *mut sys::CMS_ContentInfo) -> *mut sys::stack_st_X509;
    }

    pub fn sign_detached(
        data: &[u8],
        cert: &X509,
        key: &PKey<Private>,
        digest: MessageDigest,
    ) -> Result<Vec<u8>, ErrorStack> {
        let flags = sys::CMS_PARTIAL | sys::CMS_DETACHED | sys::CMS_BINARY;
        let len = c_int::try_from(data.len()).map_err(|_| ErrorStack::get())?;
        // SAFETY: every pointer passed is live for the call (the certificate, key and
        // digest are borrowed; the BIO reads `data`, which outlives it and is freed here);
        // the CMS structure is owned by `CmsContentInfo` from its creation, so it is freed
        // on every path; each return value is checked before use.
        unsafe {
            let raw = sys::CMS_sign(
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                flags,
            );
            if raw.is_null() {
                return Err(ErrorStack::get());
            }
            let cms = CmsContentInfo::from_ptr(raw);
            let si = CMS_add1_signer(
                cms.as_ptr(),
                cert.as_ptr(),
                key.as_ptr(),
                digest.as_ptr(),
                sys::CMS_BINARY,
            );
            if si.is_null() {
                return Err(ErrorStack::get());
            }
            let bio = sys::BIO_new_mem_buf(data.as_ptr() as *const c_void, len);
            if bio.is_null() {
                return Err(ErrorStack::get());
            }
            let ok = CMS_final(
                cms.as_ptr(),
                bio,
                ptr::null_mut(),
                sys::CMS_DETACHED | sys::CMS_BINARY,
            );
            sys::BIO_free_all(bio);
            if ok != 1 {
                return Err(ErrorStack::get());
            }
            cms.to_der()
        }
    }

    /// The first signer's certificate after a successful verification.
    pub fn first_signer_cert(cms: &CmsContentInfo) -> Option<X509> {
        // SAFETY: CMS_get0_signers returns a new stack (freed here) of certificates owned by
        // the CMS structure; the first is copied (reference count raised) before the stack
        // goes.
        unsafe {
            let signers = CMS_get0_signers(cms.as_ptr());
            if signers.is_null() {
                return None;
            }
            let first = if sys::OPENSSL_sk_num(signers as *const _) > 0 {
                let c = sys::OPENSSL_sk_value(signers as *const _, 0) as *mut sys::X509;
                (!c.is_null()).then(|| X509Ref::from_ptr(c).to_owned())
            } else {
                None
            };
            sys::OPENSSL_sk_free(signers as *mut _);
            first
        }
    }
}

/// RFC 3274 compressed data: `ContentInfo { id-ct-compressedData, CompressedData { version,
/// zlib, EncapsulatedContentInfo { type, [0] OCTET STRING } } }`, read in BER (definite or
/// indefinite lengths, constructed octet strings) as products send either.
pub mod compressed {
    use super::CmsError;

    const OID_COMPRESSED: &[u8] = &[
        0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x09,
    ];
    const OID_ZLIB: &[u8] = &[
        0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x03, 0x08,
    ];
    const OID_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];

    fn err(what: &str) -> CmsError {
        CmsError::Compressed(what.to_owned())
    }

    /// One BER element: (tag, constructed, content, rest). Indefinite lengths end with 00 00.
    fn element(b: &[u8], depth: usize) -> Result<(u8, bool, Content<'_>, &[u8]), CmsError> {
        if depth > 32 {
            return Err(err("nested too deep"));
        }
        let (&tag, rest) = b.split_first().ok_or_else(|| err("truncated"))?;
        if tag & 0x1f == 0x1f {
            return Err(err("multi-byte tags are not used here"));
        }
        let constructed = tag & 0x20 != 0;
        let (&len0, rest) = rest.split_first().ok_or_else(|| err("truncated"))?;
        if len0 == 0x80 {
            if !constructed {
                return Err(err("indefinite length on a primitive"));
            }
            // Children until the end-of-contents octets.
            let mut children = Vec::new();
            let mut r = rest;
            loop {
                if let Some(after) = r.strip_prefix(&[0, 0]) {
                    return Ok((tag, true, Content::Children(children), after));
                }
                let (t, c, content, next) = element(r, depth + 1)?;
                children.push((t, c, content));
                r = next;
            }
        }
        let (len, rest) = if len0 < 0x80 {
            (len0 as usize, rest)
        } else {
            let n = (len0 & 0x7f) as usize;
            if n == 0 || n > 4 {
                return Err(err("bad length"));
            }
            let (octets, rest) = rest.split_at_checked(n).ok_or_else(|| err("bad length"))?;
            let len = octets.iter().fold(0usize, |a, &x| (a << 8) | x as usize);
            (len, rest)
        };
        let (body, after) = rest.split_at_checked(len).ok_or_else(|| err("truncated"))?;
        if constructed {
            let mut children = Vec::new();
            let mut r = body;
            while !r.is_empty() {
                let (t, c, content, next) = element(r, depth + 1)?;
                children.push((t, c, content));
                r = next;
            }
            Ok((tag, true, Content::Children(children), after))
        } else {
            Ok((tag, false, Content::Bytes(body), after))
        }
    }

    enum Content<'a> {
        Bytes(&'a [u8]),
        Children(Vec<(u8, bool, Content<'a>)>),
    }

    impl<'a> Content<'a> {
        fn children(&self) -> Result<&[(u8, bool, Content<'a>)], CmsError> {
            match self {
                Content::Children(c) => Ok(c),
                Content::Bytes(_) => Err(err("expected a structure")),
            }
        }
        fn bytes(&self) -> Result<&'a [u8], CmsError> {
            match self {
                Content::Bytes(b) => Ok(b),
                Content::Children(_) => Err(err("expected a value")),
            }
        }
        /// An OCTET STRING's bytes, joined when it is constructed.
        fn octets(&self, out: &mut Vec<u8>) -> Result<(), CmsError> {
            match self {
                Content::Bytes(b) => {
                    out.extend_from_slice(b);
                    Ok(())
                }
                Content::Children(c) => c.iter().try_for_each(|(_, _, x)| x.octets(out)),
            }
        }
    }

    /// Whether DER/BER bytes are a compressed-data ContentInfo.
    pub fn is_compressed(der: &[u8]) -> bool {
        element(der, 0)
            .ok()
            .and_then(|(_, _, c, _)| {
                let kids = c.children().ok()?;
                let (tag, _, oid) = kids.first()?;
                (*tag == 0x06 && oid.bytes().ok()? == OID_COMPRESSED).then_some(())
            })
            .is_some()
    }

    /// The uncompressed content, at most `limit` bytes.
    pub fn decompress(der: &[u8], limit: usize) -> Result<Vec<u8>, CmsError> {
        use std::io::Read;
        let (_, _, ci, _) = element(der, 0)?;
        let ci = ci.children()?;
        match ci.first() {
            Some((0x06, _, oid)) if oid.bytes()? == OID_COMPRESSED => {}
            _ => return Err(err("not compressed-data")),
        }
        let explicit = ci.get(1).ok_or_else(|| err("no content"))?;
        let cd = explicit
            .2
            .children()?
            .first()
            .ok_or_else(|| err("no CompressedData"))?
            .2
            .children()?;
        // version, compressionAlgorithm, encapContentInfo
        let alg = cd.get(1).ok_or_else(|| err("no algorithm"))?.2.children()?;
        match alg.first() {
            Some((0x06, _, oid)) if oid.bytes()? == OID_ZLIB => {}
            _ => return Err(err("compression algorithm is not zlib")),
        }
        let encap = cd
            .get(2)
            .ok_or_else(|| err("no content info"))?
            .2
            .children()?;
        let content = encap.get(1).ok_or_else(|| err("no content"))?;
        let mut zipped = Vec::new();
        for (_, _, part) in content.2.children()? {
            part.octets(&mut zipped)?;
        }
        // Sized once: growing by doubling would copy, and leave freed blocks behind in the
        // allocator's arenas, several times the bound at the peak.
        let mut out = Vec::with_capacity(limit.saturating_add(1));
        flate2::read::ZlibDecoder::new(&zipped[..])
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| err(&format!("zlib: {e}")))?;
        if out.len() > limit {
            return Err(err(&format!("inflates to more than {limit} bytes")));
        }
        Ok(out)
    }

    fn der_len(n: usize, out: &mut Vec<u8>) {
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let bytes = (n as u64).to_be_bytes();
            let skip = bytes.iter().take_while(|&&b| b == 0).count();
            out.push(0x80 | (8 - skip) as u8);
            out.extend(bytes.iter().skip(skip));
        }
    }

    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        der_len(content.len(), &mut out);
        out.extend_from_slice(content);
        out
    }

    /// Compressed data (DER) of `data`, zlib.
    pub fn compress(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing into a Vec cannot fail.
        let _ = z.write_all(data);
        let zipped = z.finish().unwrap_or_default();
        let alg = der(0x30, &der(0x06, OID_ZLIB));
        let encap = der(
            0x30,
            &[der(0x06, OID_DATA), der(0xa0, &der(0x04, &zipped))].concat(),
        );
        let cd = der(0x30, &[der(0x02, &[0]), alg, encap].concat());
        der(0x30, &[der(0x06, OID_COMPRESSED), der(0xa0, &cd)].concat())
    }

    #[cfg(test)]
    #[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    mod tests {
        use super::*;

        #[test]
        fn compressed_data_round_trips_and_limits_hold() {
            let data = b"ISA*00*          *00~".repeat(50);
            let der = compress(&data);
            assert!(is_compressed(&der));
            assert_eq!(decompress(&der, 1 << 20).unwrap(), data);
            assert!(decompress(&der, 10).is_err());
            assert!(decompress(&der[..der.len() - 3], 1 << 20).is_err());
            assert!(!is_compressed(b"\x30\x03\x06\x01\x00"));
        }
    }
}

#[cfg(test)]
mod mime_shape_tests {
    use super::looks_like_mime_entity;

    #[test]
    fn only_a_mime_entity_passes_for_a_decryption_by_a_key_alone() {
        assert!(looks_like_mime_entity(
            b"Content-Type: application/edi-x12\r\n\r\nISA*00*"
        ));
        assert!(looks_like_mime_entity(b"content-type: text/plain\n\nhello"));
        assert!(!looks_like_mime_entity(b"ISA*00*          *00*"));
        assert!(!looks_like_mime_entity(b": no name\r\n\r\n"));
        assert!(!looks_like_mime_entity(b"Content-Type: x\r\nno end"));
        // Bytes as a wrong key's output: none of 10,000 random blocks passes.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            let block: Vec<u8> = (0..339)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            assert!(!looks_like_mime_entity(&block));
        }
    }
}
