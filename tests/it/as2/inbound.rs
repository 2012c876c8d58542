//! Receiving over AS2: signatures, encryption and compression read, the MDN each case earns,
//! duplicates, certificate rollovers on both sides, basic authentication asked of partners.

use super::*;

/// Every signing and encryption combination openssl offers partners: the payload is stored
/// exactly, the signed MDN verifies with openssl, and its MIC is openssl's digest of the
/// signed part in the algorithm the partner asked for.
async fn every_algorithm_gets_a_verifiable_signed_mdn(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let server = w.env.serve();
    let combos: [(Option<(&str, bool)>, Option<(&str, bool)>, bool, &str); 7] = [
        (Some(("sha1", false)), Some(("-des3", false)), false, "sha1"),
        (
            Some(("sha256", false)),
            Some(("-aes128", false)),
            false,
            "sha-256",
        ),
        (
            Some(("sha384", false)),
            Some(("-aes192", false)),
            true,
            "sha-384",
        ),
        (
            Some(("sha512", false)),
            Some(("-aes256", false)),
            false,
            "sha-512",
        ),
        (
            Some(("sha256", true)),
            Some(("-aes256", true)),
            false,
            "sha-256",
        ),
        (
            Some(("sha256", false)),
            Some(("-aes-256-gcm", false)),
            false,
            "sha-256",
        ),
        (
            Some(("sha256", false)),
            Some(("-aes-128-gcm", true)),
            true,
            "sha-256",
        ),
    ];
    for (n, (sign, encrypt, base64, micalg)) in combos.into_iter().enumerate() {
        let po = format!("PO-AS2-{n}");
        let (entity, x12) = payload(&po);
        let wrap = Wrap {
            sign,
            encrypt,
            base64,
            ..PLAIN
        };
        let built = build(&w.dir, &entity, wrap);
        let id = format!("<as2-{n}@globex.example>");
        let options = format!(
            "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, {micalg}"
        );
        let a = post(&server, &built, &id, Some(&options), &[]).await;
        assert_eq!(
            a.status,
            200,
            "{wrap:?}: {}",
            String::from_utf8_lossy(&a.body)
        );
        assert!(
            a.header("content-type").starts_with("multipart/signed"),
            "{wrap:?}"
        );
        assert_eq!(a.header("as2-to"), "GLOBEX-AS2");
        assert_eq!(a.header("as2-from"), "WHARF");
        let report = w_report(&w, &a);
        assert!(
            report.contains("Disposition: automatic-action/MDN-sent-automatically; processed\r\n"),
            "{wrap:?}: {report}"
        );
        assert!(
            report.contains(&format!("Original-Message-ID: {id}\r\n")),
            "{report}"
        );
        let md = micalg.replace('-', "");
        let mic = openssl_mic(&w.dir, &built.mic_bytes, &md);
        assert!(
            report.contains(&format!("Received-Content-MIC: {mic}, {micalg}\r\n")),
            "{wrap:?}: expected MIC {mic}: {report}"
        );
        let found = stored_payload(&w.env, &x12).await;
        assert_eq!(found.filename.as_deref(), Some("po.edi"), "{wrap:?}");
    }
    drop(server);
}

fn w_report(w: &As2World, a: &Answer) -> String {
    a.verified_report(&w.dir)
}

/// Each failure gets its disposition in a signed MDN, nothing is handed on, and the bytes
/// that arrived are kept (a rejected message with the reason).
async fn failures_get_their_dispositions_and_are_kept(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let server = w.env.serve();
    let (entity, _) = payload("PO-BAD");
    let cases: [(&str, Wrap, &str); 3] = [
        (
            "encrypted for another certificate",
            Wrap {
                recipient: "stranger",
                ..PLAIN
            },
            "decryption-failed",
        ),
        (
            "signed by a key not in the profile",
            Wrap {
                signer: "stranger",
                ..PLAIN
            },
            "authentication-failed",
        ),
        (
            "not signed while the profile requires it",
            Wrap {
                sign: None,
                ..PLAIN
            },
            "insufficient-message-security",
        ),
    ];
    for (n, (what, wrap, modifier)) in cases.into_iter().enumerate() {
        let built = build(&w.dir, &entity, wrap);
        let a = post(
            &server,
            &built,
            &format!("<bad-{n}@globex>"),
            Some(SIGNED_SHA256),
            &[],
        )
        .await;
        assert_eq!(a.status, 200, "{what}");
        let report = a.verified_report(&w.dir);
        assert!(
            report.contains(&format!(
                "Disposition: automatic-action/MDN-sent-automatically; processed/error: {modifier}\r\n"
            )),
            "{what}: {report}"
        );
        assert!(!report.contains("Received-Content-MIC"), "{what}: {report}");
    }
    // The signed content altered after signing (one byte of the payload inside the
    // multipart/signed body): the signature no longer matches the content. Signatures are
    // checked before the profile's encryption requirement.
    let signed = build(
        &w.dir,
        &entity,
        Wrap {
            encrypt: None,
            ..PLAIN
        },
    );
    let mut tampered = signed.body.clone();
    let at = tampered
        .windows(6)
        .position(|x| x == b"PO-BAD")
        .expect("payload inside");
    tampered[at + 3] = b'X';
    let a = post(
        &server,
        &Built {
            body: tampered,
            ..signed
        },
        "<tampered@globex>",
        Some(SIGNED_SHA256),
        &[],
    )
    .await;
    let report = a.verified_report(&w.dir);
    assert!(
        report.contains("processed/error: integrity-check-failed\r\n"),
        "{report}"
    );
    // Addressed to another gateway: unexpected-processing-error.
    let built = build(&w.dir, &entity, PLAIN);
    let to_other = post(
        &server,
        &built,
        "<other@globex>",
        Some(SIGNED_SHA256),
        &[("AS2-To", "SOMEONE-ELSE")],
    )
    .await;
    let report = to_other.verified_report(&w.dir);
    assert!(
        report.contains("processed/error: unexpected-processing-error\r\n"),
        "{report}"
    );
    // Every refused message is kept with its reason, and none was handed on.
    let kept = as2_messages(&w.env).await;
    assert_eq!(kept.len(), 5, "{kept:?}");
    assert!(kept.iter().all(|m| m.state == MessageState::Rejected));
    assert!(kept.iter().any(|m| {
        m.error
            .as_deref()
            .is_some_and(|e| e.contains("decryption-failed"))
    }));
    drop(server);
}

/// A resent Message-ID is answered (processed, with a duplicate-document warning and the
/// first MIC) and never stored or processed again.
async fn a_resent_message_id_is_answered_but_not_processed_twice(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let server = w.env.serve();
    let (entity, _) = payload("PO-DUP");
    let built = build(&w.dir, &entity, PLAIN);
    let first = post(&server, &built, "<dup@globex>", Some(SIGNED_SHA256), &[]).await;
    let report = first.verified_report(&w.dir);
    assert!(report.contains("; processed\r\n"), "{report}");
    let again = post(&server, &built, "<dup@globex>", Some(SIGNED_SHA256), &[]).await;
    let report2 = again.verified_report(&w.dir);
    assert!(
        report2.contains("processed/warning: duplicate-document\r\n"),
        "{report2}"
    );
    let mic = openssl_mic(&w.dir, &built.mic_bytes, "sha256");
    assert!(
        report2.contains(&format!("Received-Content-MIC: {mic}, sha-256")),
        "{report2}"
    );
    assert_eq!(as2_messages(&w.env).await.len(), 1);
    // The message shows the Message-ID and MIC it arrived with.
    let id = as2_messages(&w.env).await[0].id.to_string();
    let (_, shown, _) = w.env.run(&["messages", "show", &id]);
    assert!(
        shown.contains(&format!("in  Message-ID <dup@globex>  MIC {mic} sha-256")),
        "{shown}"
    );
    drop(server);
}

/// A partner that encrypts but does not sign, asking for a signed MDN: the MDN is signed and
/// its MIC covers the decrypted content (RFC 4130 §7.3.1). Without signing options, the MDN
/// is an unsigned multipart/report.
async fn unsigned_messages_get_signed_or_unsigned_mdns_as_asked(db: Db) {
    let w = As2World::new(db, &["globex"], false, true).await;
    let server = w.env.serve();
    let (entity, x12) = payload("PO-UNSIGNED");
    let built = build(
        &w.dir,
        &entity,
        Wrap {
            sign: None,
            ..PLAIN
        },
    );
    let a = post(
        &server,
        &built,
        "<unsigned@globex>",
        Some(SIGNED_SHA256),
        &[],
    )
    .await;
    let report = a.verified_report(&w.dir);
    let mic = openssl_mic(&w.dir, &entity, "sha256");
    assert!(report.contains("; processed\r\n"), "{report}");
    assert!(
        report.contains(&format!("Received-Content-MIC: {mic}, sha-256")),
        "{report}"
    );
    stored_payload(&w.env, &x12).await;

    let (entity, _) = payload("PO-UNSIGNED-2");
    let built = build(
        &w.dir,
        &entity,
        Wrap {
            sign: None,
            ..PLAIN
        },
    );
    let a = post(&server, &built, "<unsigned-2@globex>", None, &[]).await;
    assert!(
        a.header("content-type").starts_with("multipart/report"),
        "{}",
        a.header("content-type")
    );
    let body = String::from_utf8_lossy(&a.body);
    assert!(
        body.contains("Original-Message-ID: <unsigned-2@globex>"),
        "{body}"
    );
    drop(server);
}

/// During a certificate rollover the profile lists the partner's new and old certificates:
/// messages signed with either are accepted.
async fn a_certificate_rollover_accepts_old_and_new(db: Db) {
    let w = As2World::new(db, &["globex-2027", "globex"], true, true).await;
    // Expiry dates are visible; the partner's 2-day test certificates are flagged.
    let (code, out, err) = w.env.run(&["as2", "certs"]);
    assert_eq!(code, 1, "{out}{err}");
    let wharf_line = out.lines().find(|l| l.starts_with("wharf")).unwrap();
    assert!(
        wharf_line.contains("729 days") || wharf_line.contains("730 days"),
        "{out}"
    );
    assert!(!wharf_line.contains("expires soon"), "{out}");
    let partner_lines: Vec<_> = out.lines().filter(|l| l.starts_with("globex")).collect();
    assert_eq!(partner_lines.len(), 2, "{out}");
    assert!(
        partner_lines
            .iter()
            .all(|l| l.contains("expires soon") && l.contains("CN=globex")),
        "{out}"
    );
    let server = w.env.serve();
    for (n, signer) in ["globex", "globex-2027"].into_iter().enumerate() {
        let (entity, x12) = payload(&format!("PO-ROLL-{n}"));
        let built = build(&w.dir, &entity, Wrap { signer, ..PLAIN });
        let a = post(
            &server,
            &built,
            &format!("<roll-{n}@globex>"),
            Some(SIGNED_SHA256),
            &[],
        )
        .await;
        let report = a.verified_report(&w.dir);
        assert!(report.contains("; processed\r\n"), "{signer}: {report}");
        stored_payload(&w.env, &x12).await;
    }
    drop(server);
}

/// Wharf's own certificate rolls over: the old pair moves into `[as2] previous_dir` and a new
/// one becomes current. A partner still encrypting to the old certificate is decrypted and
/// processed (and one encrypting to a re-issued certificate for the old key, which no file
/// names, by the key alone); the MDN is signed with the new certificate.
async fn wharfs_own_rollover_decrypts_with_the_previous_key(db: Db) {
    let mut w = As2World::new(db, &["globex"], true, true).await;
    let previous = w.env.path().join("as2_previous");
    std::fs::create_dir_all(&previous).unwrap();
    // The partner keeps a copy of the old certificate it encrypts to.
    std::fs::copy(w.dir.join("wharf.pem"), w.dir.join("wharf-2025.pem")).unwrap();
    std::fs::rename(w.dir.join("wharf.pem"), previous.join("2025.pem")).unwrap();
    std::fs::rename(w.dir.join("wharf.key"), previous.join("2025.key")).unwrap();
    let (code, out, err) = w.env.run(&["as2", "new-cert"]);
    assert_eq!(code, 0, "{out}{err}");
    w.env
        .set_env("WHARF_AS2__PREVIOUS_DIR", previous.to_str().unwrap());
    // Same old key, new certificate (another serial): only the key-alone fallback opens it.
    openssl(
        &w.dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            previous.join("2025.key").to_str().unwrap(),
            "-subj",
            "/CN=WHARF-reissued",
            "-days",
            "2",
            "-out",
            "wharf-reissued.pem",
        ],
    );
    let (code, out, err) = w.env.run(&["as2", "certs"]);
    assert!(
        out.lines().any(|l| l.starts_with("wharf (previous)")),
        "{code} {out}{err}"
    );
    let server = w.env.serve();
    for (n, recipient) in ["wharf-2025", "wharf", "wharf-reissued"]
        .into_iter()
        .enumerate()
    {
        let (entity, x12) = payload(&format!("PO-OWN-{n}"));
        let built = build(&w.dir, &entity, Wrap { recipient, ..PLAIN });
        let a = post(
            &server,
            &built,
            &format!("<own-roll-{n}@globex>"),
            Some(SIGNED_SHA256),
            &[],
        )
        .await;
        assert_eq!(a.status, 200);
        // Verified against the new `wharf.pem` only: signed with the current pair.
        let report = a.verified_report(&w.dir);
        assert!(report.contains("; processed\r\n"), "{recipient}: {report}");
        stored_payload(&w.env, &x12).await;
    }
    // A certificate whose key Wharf never had is still refused.
    let (entity, _) = payload("PO-OWN-X");
    let built = build(
        &w.dir,
        &entity,
        Wrap {
            recipient: "stranger",
            ..PLAIN
        },
    );
    let a = post(
        &server,
        &built,
        "<own-roll-x@globex>",
        Some(SIGNED_SHA256),
        &[],
    )
    .await;
    let report = a.verified_report(&w.dir);
    assert!(report.contains("decryption-failed"), "{report}");
    drop(server);
}

/// Adds `lines` to the top of Globex's `[as2]` section and checks the profiles.
fn globex_as2_with(w: &As2World, lines: &str) {
    let profile = w.env.path().join("partners/globex.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    std::fs::write(
        &profile,
        text.replacen("[as2]\n", &format!("[as2]\n{lines}"), 1),
    )
    .unwrap();
    let (code, out, err) = w.env.run(&["partners", "check"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// A profile with `basic_user`: a POST without the login, or with a wrong user or password,
/// is answered 401 with `WWW-Authenticate` and nothing is kept; with it, the message is
/// processed.
async fn inbound_basic_auth_is_required_when_the_profile_says(db: Db) {
    let mut w = As2World::new(db, &["globex"], true, true).await;
    w.env
        .set_env("WHARF_SECRET_GLOBEX_AS2", "s3cret:with colon");
    globex_as2_with(
        &w,
        "basic_user = \"globex\"\nbasic_password = \"env:WHARF_SECRET_GLOBEX_AS2\"\n",
    );
    let server = w.env.serve_process();
    let (entity, x12) = payload("PO-AUTH");
    let built = build(&w.dir, &entity, PLAIN);
    let wrong_password = basic("globex", "s3cret");
    let wrong_user = basic("acme", "s3cret:with colon");
    for (n, auth) in [
        None,
        Some(wrong_password.as_str()),
        Some(wrong_user.as_str()),
    ]
    .into_iter()
    .enumerate()
    {
        let extra: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        let a = post(
            &server,
            &built,
            &format!("<auth-{n}@globex>"),
            Some(SIGNED_SHA256),
            &extra,
        )
        .await;
        assert_eq!(a.status, 401, "{auth:?}");
        assert!(
            a.header("www-authenticate").starts_with("Basic realm="),
            "{auth:?}"
        );
    }
    let store = w.env.store().await;
    assert!(
        crate::kit::messages_of(&store, "globex", Direction::In, None)
            .await
            .is_empty(),
        "nothing refused at the door is kept"
    );
    let good = basic("globex", "s3cret:with colon");
    let a = post(
        &server,
        &built,
        "<auth-ok@globex>",
        Some(SIGNED_SHA256),
        &[("Authorization", good.as_str())],
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.verified_report(&w.dir).contains("; processed\r\n"));
    stored_payload(&w.env, &x12).await;
    assert!(
        !server.log().contains("s3cret"),
        "the password is never logged"
    );
    drop(server);
}

/// Compressed data before signing (DER, and BER with indefinite lengths) and after signing:
/// each is inflated, verified and stored exactly, and the MIC covers the signed part.
async fn compressed_messages_before_or_after_signing(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let server = w.env.serve();
    let dir = &w.dir;
    for (n, case) in [
        "before signing (DER)",
        "before signing (BER)",
        "after signing",
    ]
    .into_iter()
    .enumerate()
    {
        let (entity, x12) = payload(&format!("PO-Z{n}"));
        let (built, mic_bytes) = if n < 2 {
            // compress → sign → encrypt: the signed part is the compressed entity.
            let z = compressed_entity(dir, &entity, n == 1);
            let b = build(dir, &z, PLAIN);
            (b, z)
        } else {
            // sign → compress → encrypt: the signed part is the payload entity.
            let signed = build(
                dir,
                &entity,
                Wrap {
                    encrypt: None,
                    ..PLAIN
                },
            );
            let mut smime = format!("Content-Type: {}\r\n\r\n", signed.content_type).into_bytes();
            smime.extend_from_slice(&signed.body);
            let z = compressed_entity(dir, &smime, false);
            let b = build(
                dir,
                &z,
                Wrap {
                    sign: None,
                    ..PLAIN
                },
            );
            (b, entity.clone())
        };
        let a = post(
            &server,
            &built,
            &format!("<z{n}@globex>"),
            Some(SIGNED_SHA256),
            &[],
        )
        .await;
        let report = a.verified_report(dir);
        assert!(report.contains("; processed\r\n"), "{case}: {report}");
        let mic = openssl_mic(dir, &mic_bytes, "sha256");
        assert!(
            report.contains(&format!("Received-Content-MIC: {mic}, sha-256")),
            "{case}: {report}"
        );
        stored_payload(&w.env, &x12).await;
    }
    drop(server);
}

/// A chunked request body (no Content-Length) is read whole.
async fn a_chunked_body_is_read_whole(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let server = w.env.serve();
    let (entity, x12) = payload("PO-CHUNKED");
    let built = build(&w.dir, &entity, PLAIN);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        built.body.chunks(100).map(|c| Ok(c.to_vec())).collect();
    let resp = reqwest::Client::new()
        .post(server.url("/as2"))
        .header("AS2-From", "GLOBEX-AS2")
        .header("AS2-To", "WHARF")
        .header("Message-ID", "<chunked@globex>")
        .header("Content-Type", &built.content_type)
        .header("Disposition-Notification-To", "x")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = String::from_utf8_lossy(&resp.bytes().await.unwrap()).to_string();
    assert!(body.contains("; processed\r\n"), "{body}");
    stored_payload(&w.env, &x12).await;
    drop(server);
}

/// Finding 10: an AS2 name with spaces, written quoted in the profile as RFC 4130 §6.2
/// writes it: `partners check` takes it, messages from it (quoted or not) are its, and
/// what Wharf sends it is addressed `AS2-To: "GLOBEX CORP AS2"`.
async fn as2_names_with_spaces_are_quoted(db: Db) {
    let (w, server, seen) =
        send_through(db, "'\"GLOBEX CORP AS2\"'", true, true, &[Reply::Good]).await;
    for (r, _) in &seen {
        assert_eq!(r.header("as2-to"), "\"GLOBEX CORP AS2\"", "{}", r.head);
    }
    for (n, from) in ["\"GLOBEX CORP AS2\"", "GLOBEX CORP AS2"]
        .into_iter()
        .enumerate()
    {
        let (entity, x12) = payload(&format!("PO-SPACE-{n}"));
        let built = build(&w.dir, &entity, PLAIN);
        let a = post(
            &server,
            &built,
            &format!("<space-{n}@globex>"),
            Some(SIGNED_SHA256),
            &[("AS2-From", from)],
        )
        .await;
        let report = a.verified_report(&w.dir);
        assert!(report.contains("; processed\r\n"), "{from}: {report}");
        assert_eq!(a.header("as2-to"), "\"GLOBEX CORP AS2\"");
        stored_payload(&w.env, &x12).await;
    }
    // The bare name in the profile is the same name.
    let profile = w.env.path().join("partners/globex.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    std::fs::write(
        &profile,
        text.replace("id = '\"GLOBEX CORP AS2\"'", "id = \"GLOBEX CORP AS2\""),
    )
    .unwrap();
    let (code, out, err) = w.env.run(&["partners", "check"]);
    assert_eq!(code, 0, "{out}{err}");
    // A name no header can carry is still refused.
    std::fs::write(
        &profile,
        text.replace("id = '\"GLOBEX CORP AS2\"'", "id = \"GLOBEX\\tCORP\""),
    )
    .unwrap();
    let (code, out, err) = w.env.run(&["partners", "check"]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(format!("{out}{err}").contains("as2.id"), "{out}{err}");
    drop(server);
}

/// Finding 11 (c): compressed data that does not inflate is answered RFC 5402's
/// `decompression-failed`.
async fn a_compressed_message_that_does_not_inflate_is_decompression_failed(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let server = w.env.serve();
    let (entity, _) = payload("PO-ZBAD");
    let mut z = compressed_entity(&w.dir, &entity, false);
    // The deflate data after zlib's two-byte header: its first block made of a reserved
    // type (BTYPE 11), which no inflater takes.
    let oid_data = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
    let after = z.windows(9).position(|x| x == oid_data).unwrap();
    let zlib = after
        + z[after..]
            .windows(2)
            .position(|x| x == [0x78, 0x9c])
            .unwrap();
    z[zlib + 2] = 0xff;
    let built = build(&w.dir, &z, PLAIN);
    let a = post(&server, &built, "<zbad@globex>", Some(SIGNED_SHA256), &[]).await;
    let report = a.verified_report(&w.dir);
    assert!(
        report.contains("processed/error: decompression-failed\r\n"),
        "{report}"
    );
    assert!(
        as2_messages(&w.env)
            .await
            .iter()
            .all(|m| m.state == MessageState::Rejected)
    );
    drop(server);
}

/// Finding 11 (d): a POST reusing a known Message-ID is checked like any other before the
/// duplicate check: unsigned, or signed by a stranger, it gets its failure, never
/// `duplicate-document` with the first message's MIC.
async fn a_reused_message_id_is_verified_before_it_is_a_duplicate(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let server = w.env.serve();
    let (entity, _) = payload("PO-KNOWN");
    let built = build(&w.dir, &entity, PLAIN);
    let first = post(&server, &built, "<known@globex>", Some(SIGNED_SHA256), &[]).await;
    assert!(first.verified_report(&w.dir).contains("; processed\r\n"));
    let mic = openssl_mic(&w.dir, &built.mic_bytes, "sha256");
    let (forged, _) = payload("PO-FORGED");
    for (wrap, modifier) in [
        (
            Wrap {
                sign: None,
                ..PLAIN
            },
            "insufficient-message-security",
        ),
        (
            Wrap {
                signer: "stranger",
                ..PLAIN
            },
            "authentication-failed",
        ),
    ] {
        let b = build(&w.dir, &forged, wrap);
        let a = post(&server, &b, "<known@globex>", Some(SIGNED_SHA256), &[]).await;
        let report = a.verified_report(&w.dir);
        assert!(
            report.contains(&format!("processed/error: {modifier}\r\n")),
            "{report}"
        );
        assert!(!report.contains("duplicate-document"), "{report}");
        assert!(!report.contains(&mic), "the first MIC leaked: {report}");
    }
    // The partner itself resending is still a duplicate, answered with the MIC.
    let again = post(&server, &built, "<known@globex>", Some(SIGNED_SHA256), &[]).await;
    let report = again.verified_report(&w.dir);
    assert!(
        report.contains("processed/warning: duplicate-document\r\n"),
        "{report}"
    );
    assert!(
        report.contains(&format!("Received-Content-MIC: {mic}, sha-256")),
        "{report}"
    );
    let stored: Vec<_> = as2_messages(&w.env)
        .await
        .into_iter()
        .filter(|m| m.state != MessageState::Rejected)
        .collect();
    assert_eq!(stored.len(), 1, "{stored:?}");
    drop(server);
}

on_both_backends!(
    as2_names_with_spaces_are_quoted,
    a_compressed_message_that_does_not_inflate_is_decompression_failed,
    a_reused_message_id_is_verified_before_it_is_a_duplicate,
    compressed_messages_before_or_after_signing,
    a_chunked_body_is_read_whole,
    every_algorithm_gets_a_verifiable_signed_mdn,
    failures_get_their_dispositions_and_are_kept,
    a_resent_message_id_is_answered_but_not_processed_twice,
    unsigned_messages_get_signed_or_unsigned_mdns_as_asked,
    a_certificate_rollover_accepts_old_and_new,
    wharfs_own_rollover_decrypts_with_the_previous_key,
    inbound_basic_auth_is_required_when_the_profile_says,
);
