//! AS2 over HTTPS: a partner's server trusted by its CA or a pinned certificate, an untrusted
//! one refused, and Wharf's own listener speaking TLS.

use super::*;

/// The partner's HTTPS server: `srv.pem`, asking for a client certificate from `ca.pem` when
/// `client_auth`.
fn tls_server(dir: &Path, client_auth: bool) -> std::sync::Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let chain: Vec<CertificateDer> = CertificateDer::pem_file_iter(dir.join("srv.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("srv.key")).unwrap();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if client_auth {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(dir.join("ca.pem")).unwrap())
            .unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    std::sync::Arc::new(builder.with_single_cert(chain, key).unwrap())
}

/// The SHA-256 fingerprint of a PEM certificate, as `openssl x509 -fingerprint` prints it.
fn fingerprint(dir: &Path, pem: &str) -> String {
    let out = openssl(
        dir,
        &["x509", "-in", pem, "-noout", "-fingerprint", "-sha256"],
    );
    let out = String::from_utf8(out).unwrap();
    out.trim().split_once('=').unwrap().1.to_owned()
}

/// HTTPS to the partner: its private CA trusted from the profile (`[as2] ca`) with Wharf's
/// TLS client certificate presented to a server that requires one; then the server's
/// certificate pinned by its SHA-256 instead. Both sent, MDN checked.
async fn https_to_a_partner_with_its_ca_or_a_pinned_certificate(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    tls_files(&w.dir);
    let tls = tls_server(&w.dir, true);
    let (w, server, seen) = send_through_world(
        w,
        &[Reply::Good],
        "ca = \"{dir}/ca.pem\"\nclient_cert = \"{dir}/client.pem\"\nclient_key = \"{dir}/client.key\"\n",
        &[],
        Some(tls),
    )
    .await;
    assert!(
        seen.iter().all(|(r, _)| r.client_cert),
        "a client certificate each time"
    );
    drop((w, server));

    let w = As2World::new(db, &["globex"], true, true).await;
    tls_files(&w.dir);
    let pin = fingerprint(&w.dir, "srv.pem");
    let tls = tls_server(&w.dir, false);
    let (w, server, seen) = send_through_world(
        w,
        &[Reply::Good],
        &format!("server_cert_sha256 = \"{pin}\"\n"),
        &[],
        Some(tls),
    )
    .await;
    assert_eq!(seen.len(), 2);
    drop((w, server));
}

/// HTTPS to a partner whose certificate the profile does not trust (another CA; another
/// pin): nothing reaches it, and the message's history names the certificate problem.
async fn https_to_an_untrusted_partner_is_refused(db: Db) {
    let wrong_pin = "00".repeat(32);
    for (extra, problem) in [
        ("ca = \"{dir}/other-ca.pem\"\n".to_owned(), "UnknownIssuer"),
        (
            format!("server_cert_sha256 = \"{wrong_pin}\"\n"),
            "is not the pinned one",
        ),
    ] {
        let w = As2World::new(db, &["globex"], true, true).await;
        tls_files(&w.dir);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        globex_sends_to_scheme(
            &w,
            "https",
            &listener,
            &extra.replace("{dir}", w.dir.to_str().unwrap()),
        );
        let receiver = fake_receiver_on(
            listener,
            Some(tls_server(&w.dir, false)),
            1,
            std::time::Duration::from_secs(8),
            |_, _| b"HTTP/1.1 500 Unexpected\r\nContent-Length: 0\r\n\r\n".to_vec(),
        );
        w.env
            .ingest_for("globex", "po.x12", &globex_850(9502, "PO-9502"));
        let server = w.env.serve();
        let text = crate::kit::wait_for(
            std::time::Duration::from_secs(30),
            "the refusal in the history",
            || async {
                let all: Vec<String> = sent_histories(&w)
                    .await
                    .into_iter()
                    .flat_map(|(_, texts)| texts)
                    .collect();
                all.into_iter().find(|t| t.contains("TLS"))
            },
        )
        .await;
        assert!(text.contains(problem), "{text}");
        assert!(receiver.join().unwrap().is_empty(), "nothing was sent");
        let store = w.env.store().await;
        assert!(
            crate::kit::messages_of(&store, "globex", Direction::Out, Some(MessageState::Sent))
                .await
                .is_empty()
        );
        drop(server);
    }
}

/// Wharf's own listener over HTTPS (`[http] tls_cert`, `tls_key` from a private CA made by
/// the openssl CLI): the openssl partner's message, posted by a client trusting only that
/// CA, gets its signed MDN and is stored; a client that does not trust it gets nothing.
async fn wharf_listens_over_https(db: Db) {
    let mut w = As2World::new(db, &["globex"], true, true).await;
    tls_files(&w.dir);
    let (cert, key) = (w.dir.join("srv.pem"), w.dir.join("srv.key"));
    w.env
        .set_env("WHARF_HTTP__TLS_CERT", cert.to_str().unwrap());
    w.env.set_env("WHARF_HTTP__TLS_KEY", key.to_str().unwrap());
    let server = w.env.serve();
    assert!(
        server.url("/as2").starts_with("https://"),
        "{}",
        server.banner
    );
    let ca = reqwest::Certificate::from_pem(&std::fs::read(w.dir.join("ca.pem")).unwrap()).unwrap();
    let partner = reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .unwrap();
    let (entity, x12) = payload("PO-HTTPS");
    let built = build(&w.dir, &entity, PLAIN);
    let a = post_with(
        &partner,
        &server,
        &built,
        "<https-1@globex>",
        Some(SIGNED_SHA256),
        &[],
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.verified_report(&w.dir).contains("; processed\r\n"));
    stored_payload(&w.env, &x12).await;
    // The system's roots know nothing of the private CA: the handshake is refused.
    let refused = reqwest::Client::new()
        .post(server.url("/as2"))
        .body(built.body.clone())
        .send()
        .await;
    assert!(refused.is_err(), "{refused:?}");
    drop(server);
}

on_both_backends!(
    https_to_a_partner_with_its_ca_or_a_pinned_certificate,
    https_to_an_untrusted_partner_is_refused,
    wharf_listens_over_https,
);
