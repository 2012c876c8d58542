//! Fuzz target: what an AS2 partner posts — MIME entities and multipart bodies, transfer
//! encodings, RFC 3274 compressed data (BER), CMS structures — read by Wharf's AS2 unwrap.
//! Any bytes give a payload or a disposition, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wharf::transport::as2::cms::compressed;
use wharf::transport::as2::mdn::MicAlg;
use wharf::transport::as2::mime::{Entity, multipart};
use wharf::transport::as2::{Station, unwrap};

/// One key pair for the whole run (made once: RSA key generation is slow).
fn station() -> &'static Station {
    static S: OnceLock<Station> = OnceLock::new();
    S.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("wharf-fuzz-as2-{}", std::process::id()));
        let (cert, key) = (dir.join("c.pem"), dir.join("k.pem"));
        if !cert.exists() {
            wharf::transport::as2::new_pair("FUZZ", &cert, &key, 30).expect("key pair");
        }
        // No previous pairs: an empty folder of a rollover.
        Station::load("FUZZ", &cert, &key, &dir.join("previous")).expect("station")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Entity::parse(data) {
        let ct = e.content_type();
        let _ = e.decoded_body();
        let _ = e.filename();
        if let Some(b) = ct.param("boundary")
            && let Ok(parts) = multipart(e.body, b)
        {
            for p in parts {
                assert!(e.body.len() >= p.len());
            }
        }
    }
    if let Ok(out) = compressed::decompress(data, 1 << 20) {
        assert!(out.len() <= 1 << 20);
    }
    let s = station();
    let certs = [s.cert.clone()];
    let own = s.pairs();
    let keys = unwrap::Keys {
        own: &own,
        partner_certs: &certs,
    };
    // The outer Content-Type chosen by the first byte, so every layer kind is reached.
    let ct = match data.first().copied().unwrap_or(0) % 4 {
        0 => "application/pkcs7-mime; smime-type=enveloped-data",
        1 => "application/pkcs7-mime; smime-type=compressed-data",
        2 => "multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=\"b\"",
        _ => "application/edi-x12",
    };
    let required = unwrap::Required {
        signed: false,
        encrypted: false,
    };
    let _ = unwrap::unwrap(
        vec![("content-type".into(), ct.into())],
        data.get(1..).unwrap_or_default().to_vec(),
        &keys,
        MicAlg::Sha256,
        required,
        1 << 20,
    );
});
