//! HTTPS to a partner's AS2 server (rustls): the system's roots by default, or the profile's
//! private CA (`[as2] ca`), or the server's certificate pinned by its SHA-256
//! (`server_cert_sha256`); with a TLS client certificate when the profile names one
//! (`client_cert`, `client_key`). Also the words of a failed request, so a refused
//! certificate is named as such and left to an operator rather than retried as an outage.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::partners::channels::As2;

/// Why the HTTPS client for a partner cannot be made: each names the profile key at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{0}")]
    Client(#[source] reqwest::Error),
    #[error("{0}")]
    Protocols(#[source] rustls::Error),
    #[error("[as2] ca {path}: {source}")]
    CaFile {
        path: String,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("[as2] ca {path}: {source}")]
    CaCertificate {
        path: String,
        #[source]
        source: rustls::Error,
    },
    #[error("[as2] ca {0} holds no certificate")]
    NoCaCertificate(String),
    #[error("[as2] client_cert {path}: {source}")]
    ClientCert {
        path: String,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("[as2] client_key {path}: {source}")]
    ClientKey {
        path: String,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("[as2] client_cert: {0}")]
    ClientAuth(#[source] rustls::Error),
}

/// The HTTP client for this partner's `url`.
pub fn client(as2: &As2) -> Result<reqwest::Client, TlsError> {
    builder(as2)?.build().map_err(TlsError::Client)
}

/// [`client`]'s builder, for callers that add their own timeouts.
pub fn builder(as2: &As2) -> Result<reqwest::ClientBuilder, TlsError> {
    let custom = as2.ca.is_some() || as2.server_cert_sha256.is_some() || as2.client_cert.is_some();
    if !custom {
        return Ok(reqwest::Client::builder());
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Protocols)?;
    let builder = match (&as2.server_cert_sha256, &as2.ca) {
        (Some(pin), _) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned {
                sha256: *pin,
                provider,
            })),
        (None, Some(ca)) => {
            let mut roots = rustls::RootCertStore::empty();
            let file = |source| TlsError::CaFile {
                path: ca.clone(),
                source,
            };
            for c in CertificateDer::pem_file_iter(ca).map_err(file)? {
                roots
                    .add(c.map_err(file)?)
                    .map_err(|source| TlsError::CaCertificate {
                        path: ca.clone(),
                        source,
                    })?;
            }
            if roots.is_empty() {
                return Err(TlsError::NoCaCertificate(ca.clone()));
            }
            builder.with_root_certificates(roots)
        }
        (None, None) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in rustls_native_certs::load_native_certs().certs {
                // A broken system certificate is skipped, as every TLS client does.
                let _ = roots.add(c);
            }
            builder.with_root_certificates(roots)
        }
    };
    let config = match (&as2.client_cert, &as2.client_key) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|source| TlsError::ClientCert {
                    path: cert.clone(),
                    source,
                })?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::ClientKey {
                path: key.clone(),
                source,
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(TlsError::ClientAuth)?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(reqwest::Client::builder().tls_backend_preconfigured(config))
}

/// A failed request in words (every cause, since reqwest's own text is only "error sending
/// request"), and whether TLS refused the server's certificate or the handshake.
pub fn describe(e: &reqwest::Error) -> (String, bool) {
    let mut words = e.to_string();
    let mut tls = false;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(c) = cause {
        words.push_str(": ");
        words.push_str(&c.to_string());
        tls |= is_rustls(c);
        cause = c.source();
    }
    (words, tls)
}

/// Whether `e` is rustls's error, also when wrapped in io::Errors (tokio-rustls wraps it in
/// one, hyper-util that in another, and an io::Error's `source` skips what it wraps).
fn is_rustls(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.is::<rustls::Error>() {
        return true;
    }
    e.downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .is_some_and(|inner| is_rustls(inner as &(dyn std::error::Error + 'static)))
}

/// Trusts exactly one server certificate, by the SHA-256 of its DER: the partner's
/// self-signed certificate, or one an operator chose to pin. Name and dates are not checked
/// (the pin is the trust); the handshake's signatures still are.
#[derive(Debug)]
struct Pinned {
    sha256: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = openssl::sha::sha256(end_entity.as_ref());
        if got == self.sha256 {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the server's certificate (sha256 {}) is not the pinned one ([as2] server_cert_sha256 {})",
                hex(&got),
                hex(&self.sha256)
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
