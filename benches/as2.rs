//! AS2 CPU cost per message, without HTTP or storage: unwrapping a signed and encrypted
//! 10 KB message (RSA-2048 decrypt, AES-256-CBC, signature verify, MIC) and building the
//! signed MDN (one RSA-2048 signature). `cargo bench --bench as2`.

use criterion::{Criterion, criterion_group, criterion_main};
use wharf::partners::channels::As2;
use wharf::transport::as2::mdn::{Disposition, MicAlg, Report};
use wharf::transport::as2::{Station, build_mdn, send, unwrap};

fn station(dir: &std::path::Path, name: &str) -> Station {
    let (cert, key) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    );
    wharf::transport::as2::new_pair(name, &cert, &key, 30).unwrap();
    // No previous pairs: the folder does not exist.
    Station::load(name, &cert, &key, &dir.join("previous")).unwrap()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let wharf = station(dir.path(), "WHARF");
    let partner = station(dir.path(), "PARTNER");
    let as2 = As2 {
        id: "WHARF".into(),
        url: None,
        certificates: Vec::new(),
        async_mdn: false,
        mdn_timeout: std::time::Duration::from_secs(60),
        sign: true,
        encrypt: true,
        compress: false,
        digest: wharf::partners::channels::As2Digest::Sha256,
        cipher: wharf::partners::channels::As2Cipher::Aes256,
        inbound_login: None,
        outbound_login: None,
        ca: None,
        server_cert_sha256: None,
        client_cert: None,
        client_key: None,
    };
    let payload = b"PO1*1*10*EA*12.50**BP*ACME-001*VP*WID-1~\n".repeat(250);
    // The partner builds the message: signed with its key, encrypted for Wharf.
    let built = send::build(
        &partner,
        &as2,
        Some(&wharf.cert),
        &payload,
        "po.x12",
        Some(wharf::store::Format::X12),
        MicAlg::Sha256,
    )
    .unwrap();
    let headers = vec![("content-type".to_owned(), built.content_type.clone())];
    let certs = [partner.cert.clone()];
    let own = wharf.pairs();
    let keys = unwrap::Keys {
        own: &own,
        partner_certs: &certs,
    };
    let required = unwrap::Required {
        signed: true,
        encrypted: true,
    };
    let mut g = c.benchmark_group("as2");
    g.bench_function("unwrap_signed_encrypted_10KB", |b| {
        b.iter(|| {
            let u = unwrap::unwrap(
                headers.clone(),
                built.body.clone(),
                &keys,
                MicAlg::Sha256,
                required,
                1 << 20,
            )
            .unwrap();
            assert_eq!(u.payload.len(), payload.len());
        })
    });
    g.bench_function("signed_mdn", |b| {
        b.iter(|| {
            let r = Report {
                reporting_ua: "Wharf",
                recipient: "WHARF",
                original_message_id: "<x@y>",
                mic: Some(("abc=".into(), MicAlg::Sha256)),
                disposition: Disposition::Processed,
                explanation: "ok",
            };
            build_mdn(&wharf, &r, Some(MicAlg::Sha256)).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
