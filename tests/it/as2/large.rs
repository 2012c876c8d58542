//! Issue 21: large messages and cached certificates. A multi-megabyte message, posted in
//! chunks, is stored byte for byte and answered with a signed MDN whose MIC is the one
//! `openssl dgst` computes over the signed part; a partner's certificate file replaced in
//! place is read again (the parsed certificates are cached between messages); a body over
//! the partner's limit is refused unstored.

use super::*;

/// A 3 MB payload, signed and encrypted by openssl, posted as a chunked body: processed,
/// stored exactly, the MDN verified by openssl with openssl's MIC.
async fn a_multi_megabyte_message_gets_the_mic_openssl_computes(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let server = w.env.serve();
    let x12 = globex_850(7777, "PO-LARGE");
    // The 850's PO1 lines repeated to about 3 MB: what matters here is the bytes, stored
    // as they came (identification reads the first envelope).
    let line = b"PO1*1*10*EA*12.50**BP*ACME-001*VP*WID-1~\n";
    let mut big = x12.clone();
    while big.len() < 3_000_000 {
        big.extend_from_slice(line);
    }
    let mut entity = b"Content-Type: application/edi-x12\r\nContent-Disposition: attachment; filename=\"large.edi\"\r\n\r\n".to_vec();
    entity.extend_from_slice(&big);
    let built = build(&w.dir, &entity, PLAIN);
    assert!(built.body.len() > 3_000_000);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = built
        .body
        .chunks(64 << 10)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let resp = reqwest::Client::new()
        .post(server.url("/as2"))
        .header("AS2-From", "GLOBEX-AS2")
        .header("AS2-To", "WHARF")
        .header("Message-ID", "<large-1@globex>")
        .header("Content-Type", &built.content_type)
        .header("Disposition-Notification-To", "edi@globex.example")
        .header("Disposition-Notification-Options", SIGNED_SHA256)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    let a = Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.bytes().await.unwrap().to_vec(),
    };
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let report = a.verified_report(&w.dir);
    assert!(report.contains("; processed\r\n"), "{report}");
    let mic = openssl_mic(&w.dir, &built.mic_bytes, "sha256");
    assert!(
        report.contains(&format!("Received-Content-MIC: {mic}, sha-256\r\n")),
        "expected MIC {mic}: {report}"
    );
    let found = stored_payload(&w.env, &big).await;
    assert_eq!(found.filename.as_deref(), Some("large.edi"));
    drop(server);
}

/// The profile names `globex.pem`; the partner's certificate is replaced in that very file
/// (another key): the next message signed with the new key is processed and one signed with
/// the old key is refused, so the cached certificates followed the file.
async fn a_certificate_file_replaced_in_place_is_read_again(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let server = w.env.serve();
    let send = |signer: &'static str, n: usize| {
        let (entity, x12) = payload(&format!("PO-REPLACED-{n}"));
        let built = build(&w.dir, &entity, Wrap { signer, ..PLAIN });
        (built, x12)
    };
    let (built, x12) = send("globex", 0);
    let a = post(
        &server,
        &built,
        "<replaced-0@globex>",
        Some(SIGNED_SHA256),
        &[],
    )
    .await;
    assert!(a.verified_report(&w.dir).contains("; processed\r\n"));
    stored_payload(&w.env, &x12).await;
    // The file the profile names now holds the 2027 certificate; the old key is kept aside
    // so openssl can still sign with it.
    std::fs::copy(w.dir.join("globex.pem"), w.dir.join("globex-old.pem")).unwrap();
    std::fs::copy(w.dir.join("globex.key"), w.dir.join("globex-old.key")).unwrap();
    std::fs::copy(w.dir.join("globex-2027.pem"), w.dir.join("globex.pem")).unwrap();
    let (built, x12) = send("globex-2027", 1);
    let a = post(
        &server,
        &built,
        "<replaced-1@globex>",
        Some(SIGNED_SHA256),
        &[],
    )
    .await;
    let report = a.verified_report(&w.dir);
    assert!(report.contains("; processed\r\n"), "{report}");
    stored_payload(&w.env, &x12).await;
    // The old pair, which the profile's file no longer holds.
    let (built, _) = send("globex-old", 2);
    let a = post(
        &server,
        &built,
        "<replaced-2@globex>",
        Some(SIGNED_SHA256),
        &[],
    )
    .await;
    let report = a.verified_report(&w.dir);
    assert!(
        report.contains("processed/error: authentication-failed")
            || report.contains("processed/error: integrity-check-failed"),
        "{report}"
    );
    drop(server);
}

/// Globex's `[limits] max_file_bytes` is 100 kB: a 1 MB message is refused with 413, whether
/// its Content-Length says so up front or it comes chunked, and nothing of it is stored; a
/// small message is still processed.
async fn a_body_over_the_partners_limit_is_refused_unstored(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let profile = w.env.path().join("partners/globex.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    assert!(!text.contains("[limits]"), "the sample gained [limits]");
    std::fs::write(
        &profile,
        format!("{text}\n[limits]\nmax_file_bytes = 100000\n"),
    )
    .unwrap();
    let server = w.env.serve();
    let mut entity = b"Content-Type: application/edi-x12\r\n\r\n".to_vec();
    entity.extend_from_slice(&globex_850(7778, "PO-TOO-LARGE"));
    while entity.len() < 1_000_000 {
        entity.extend_from_slice(b"PO1*1*10*EA*12.50**BP*ACME-001*VP*WID-1~\n");
    }
    let built = build(&w.dir, &entity, PLAIN);
    for chunked in [false, true] {
        let body = if chunked {
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> = built
                .body
                .chunks(64 << 10)
                .map(|c| Ok(c.to_vec()))
                .collect();
            reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
        } else {
            reqwest::Body::from(built.body.clone())
        };
        let resp = reqwest::Client::new()
            .post(server.url("/as2"))
            .header("AS2-From", "GLOBEX-AS2")
            .header("AS2-To", "WHARF")
            .header("Message-ID", format!("<too-large-{chunked}@globex>"))
            .header("Content-Type", &built.content_type)
            .header("Disposition-Notification-To", "edi@globex.example")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 413, "chunked: {chunked}");
        let text = resp.text().await.unwrap();
        assert!(text.contains("max_file_bytes is 100000"), "{text}");
    }
    assert!(as2_messages(&w.env).await.is_empty());
    let (entity, x12) = payload("PO-SMALL");
    let a = post(
        &server,
        &build(&w.dir, &entity, PLAIN),
        "<small@globex>",
        Some(SIGNED_SHA256),
        &[],
    )
    .await;
    assert!(a.verified_report(&w.dir).contains("; processed\r\n"));
    stored_payload(&w.env, &x12).await;
    drop(server);
}

on_both_backends!(
    a_body_over_the_partners_limit_is_refused_unstored,
    a_multi_megabyte_message_gets_the_mic_openssl_computes,
    a_certificate_file_replaced_in_place_is_read_again,
);
