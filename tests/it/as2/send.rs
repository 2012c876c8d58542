//! Sending over AS2: what Wharf builds for a partner's digest and cipher, how it reads the
//! MDN that comes back (MIC, signature, Message-ID), retries under one Message-ID.

use super::*;

/// A profile with `url_user`: Wharf's POST to the partner carries `Authorization: Basic` with
/// the password read from the secret reference, and the message is sent.
async fn outbound_basic_auth_is_sent_when_the_profile_says(db: Db) {
    let (w, server, seen) = send_through_with(
        db,
        "\"GLOBEX-AS2\"",
        true,
        true,
        &[Reply::Good],
        "url_user = \"wharf\"\nurl_password = \"env:WHARF_SECRET_GLOBEX_URL\"\n",
        &[("WHARF_SECRET_GLOBEX_URL", "p4ss")],
    )
    .await;
    for (req, _) in &seen {
        assert_eq!(
            req.header("authorization"),
            basic("wharf", "p4ss"),
            "{}",
            req.head
        );
    }
    assert!(!server.log().contains("p4ss"));
    drop((w, server));
}

/// Wharf sends a 999 over AS2 to a partner played by the openssl CLI: the partner decrypts
/// it, verifies Wharf's signature and finds the payload; a first MDN with a wrong MIC does
/// not count (the message is retried), the second, signed by the partner with the right MIC,
/// marks it sent.
async fn wharf_sends_over_as2_and_checks_the_mdn(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/as2", listener.local_addr().unwrap());
    let profile = w.env.path().join("partners/globex.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    let text = text.replacen("[as2]\n", &format!("[as2]\nurl = \"{url}\"\n"), 1);
    assert!(!text.contains("[outbound]"));
    std::fs::write(&profile, format!("{text}\n[outbound]\nchannel = \"as2\"\n")).unwrap();
    let (code, out, err) = w.env.run(&["partners", "check"]);
    assert_eq!(code, 0, "{out}{err}");
    // Globex's profile asks for a 999 and a TA1: two messages, three posts (one retried).
    let partner = openssl_partner(w.dir.clone(), listener, 3);
    w.env
        .ingest_for("globex", "po.x12", &globex_850(9101, "PO-9101"));
    let server = w.env.serve();
    let seen = partner.join().unwrap();
    let store = w.env.store().await;
    let sent = crate::kit::wait_for(std::time::Duration::from_secs(30), "both sent", || async {
        let out =
            crate::kit::messages_of(&store, "globex", Direction::Out, Some(MessageState::Sent))
                .await;
        (out.len() == 2).then_some(out)
    })
    .await;
    assert!(
        seen.iter().all(|(_, _, verified)| *verified),
        "openssl verified every signature"
    );
    let mut refused_once = 0;
    for m in &sent {
        assert_eq!(m.channel, Channel::As2);
        let raw = messages::raw(&store, m.id).await.unwrap();
        assert!(
            seen.iter().any(|(_, payload, _)| payload == &raw),
            "the partner decrypted message {}'s exact bytes",
            m.id
        );
        let texts: Vec<String> = wharf::store::events::for_message(&store, m.id)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| e.detail)
            .collect();
        assert!(
            texts.iter().any(|t| t.contains("sent over AS2")
                && t.contains("MDN processed, signed by the partner, MIC matched")),
            "{texts:?}"
        );
        if texts.iter().any(|t| t.contains("is not the message's")) {
            refused_once += 1;
        }
    }
    assert_eq!(refused_once, 1, "the MDN with the wrong MIC did not count");
    drop(server);
}

/// The profile's digest and cipher: SHA-512 signatures (and MIC) and AES-128-GCM
/// (authenticated enveloped data), both read by the openssl partner.
async fn sending_uses_the_profiles_digest_and_cipher(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    globex_sends_to(
        &w,
        &listener,
        "digest = \"sha512\"\ncipher = \"aes128-gcm\"\n",
    );
    let partner = openssl_partner_with(w.dir.clone(), listener, 2, Mdns::Sync);
    w.env
        .ingest_for("globex", "po.x12", &globex_850(9401, "PO-9401"));
    let server = w.env.serve();
    let seen = partner.join().unwrap();
    assert!(seen.iter().all(|(_, _, verified)| *verified));
    let structure = std::fs::read_to_string(w.dir.join("last-cms.txt")).unwrap();
    assert!(
        structure.to_ascii_lowercase().contains("aes-128-gcm"),
        "{structure}"
    );
    let store = w.env.store().await;
    let sent = crate::kit::wait_for(std::time::Duration::from_secs(30), "both sent", || async {
        let out =
            crate::kit::messages_of(&store, "globex", Direction::Out, Some(MessageState::Sent))
                .await;
        (out.len() == 2).then_some(out)
    })
    .await;
    for m in sent {
        let (_, shown, _) = w.env.run(&["messages", "show", &m.id.to_string()]);
        assert!(shown.contains(" sha-512"), "the MIC was SHA-512: {shown}");
        assert!(shown.contains("MIC matched"), "{shown}");
    }
    drop(server);
}

/// Finding 8: a message neither signed nor encrypted. The partner digests the content alone
/// (RFC 4130 §7.3.1) and its MDN is taken at the first attempt: each document reaches the
/// partner exactly once, and is recorded sent once with the MIC matched.
async fn an_unsigned_unencrypted_message_is_taken_on_the_rfc_mic(db: Db) {
    let (w, server, seen) = send_through(db, "\"GLOBEX-AS2\"", false, false, &[Reply::Good]).await;
    let store = w.env.store().await;
    for (req, payload) in &seen {
        assert!(
            req.header("content-type")
                .starts_with("application/edi-x12"),
            "sent as it is: {}",
            req.head
        );
        assert_eq!(&req.body, payload);
    }
    for (m, texts) in sent_histories(&w).await {
        let raw = messages::raw(&store, m.id).await.unwrap();
        let copies = seen.iter().filter(|(_, p)| p == &raw).count();
        assert_eq!(copies, 1, "message {} reached the partner once", m.id);
        let sends: Vec<_> = texts
            .iter()
            .filter(|t| t.contains("sent over AS2"))
            .collect();
        assert_eq!(sends.len(), 1, "{texts:?}");
        assert!(sends[0].contains("MIC matched"), "{texts:?}");
        assert!(
            !texts.iter().any(|t| t.contains("is not the message's")),
            "{texts:?}"
        );
        // The MIC recorded is openssl's digest of the document's bytes alone.
        let mic = openssl_mic(&w.dir, &raw, "sha256");
        let (_, shown, _) = w.env.run(&["messages", "show", &m.id.to_string()]);
        assert!(shown.contains(&format!("MIC {mic} sha-256")), "{shown}");
    }
    drop(server);
}

/// Finding 8, the other two cases: encrypted only (the MIC covers the decrypted entity,
/// headers included) and signed only (the signed entity, headers included).
async fn encrypted_or_signed_only_messages_are_taken_on_the_rfc_mic(db: Db) {
    for (sign, encrypt) in [(false, true), (true, false)] {
        let (w, server, seen) =
            send_through(db, "\"GLOBEX-AS2\"", sign, encrypt, &[Reply::Good]).await;
        assert_eq!(seen.len(), 2, "sign {sign} encrypt {encrypt}");
        for (_, texts) in sent_histories(&w).await {
            assert_eq!(
                texts
                    .iter()
                    .filter(|t| t.contains("sent over AS2") && t.contains("MIC matched"))
                    .count(),
                1,
                "sign {sign} encrypt {encrypt}: {texts:?}"
            );
        }
        drop(server);
    }
}

/// Finding 9: a partner's server away twice, then back: the three attempts at each message
/// carry one Message-ID, the one recorded for it.
async fn retries_go_out_under_one_message_id(db: Db) {
    let (w, server, seen) = send_through(
        db,
        "\"GLOBEX-AS2\"",
        true,
        true,
        &[Reply::Away, Reply::Away, Reply::Good],
    )
    .await;
    let store = w.env.store().await;
    for (m, _) in sent_histories(&w).await {
        let raw = messages::raw(&store, m.id).await.unwrap();
        let ids: Vec<String> = seen
            .iter()
            .filter(|(_, p)| p == &raw)
            .map(|(r, _)| r.header("message-id"))
            .collect();
        assert_eq!(ids.len(), 3, "three attempts at message {}", m.id);
        assert!(ids.iter().all(|i| i == &ids[0] && !i.is_empty()), "{ids:?}");
        let recorded = wharf::store::as2::for_message(&store, m.id).await.unwrap();
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].as2_message_id, ids[0]);
    }
    let distinct: std::collections::HashSet<_> =
        seen.iter().map(|(r, _)| r.header("message-id")).collect();
    assert_eq!(distinct.len(), 2, "one Message-ID per message");
    // The channel's health for the admin pages: the server was away, and is well again.
    let health = wharf::store::channel_health::list(&store, Some("globex"))
        .await
        .unwrap();
    let send = health
        .iter()
        .find(|h| h.kind == wharf::store::ChannelKind::As2Send)
        .expect("the AS2 sends recorded");
    assert_eq!(send.consecutive_failures, 0, "{send:?}");
    assert!(send.last_success_at.is_some(), "{send:?}");
    assert!(send.last_error.is_some(), "the server away, kept: {send:?}");
    drop(server);
}

/// Finding 11 (a): a synchronous MDN for another Message-ID is no receipt: the message is
/// sent again (under its own Message-ID) until its own MDN comes.
async fn an_mdn_for_another_message_id_is_no_receipt(db: Db) {
    let (w, server, seen) = send_through(
        db,
        "\"GLOBEX-AS2\"",
        true,
        true,
        &[Reply::OtherId, Reply::Good],
    )
    .await;
    for (_, texts) in sent_histories(&w).await {
        assert!(
            texts
                .iter()
                .any(|t| t.contains("the MDN answers Message-ID <someone-else@wharf>")),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t.contains("MIC matched")), "{texts:?}");
    }
    let distinct: std::collections::HashSet<_> =
        seen.iter().map(|(r, _)| r.header("message-id")).collect();
    assert_eq!(distinct.len(), 2, "retried under the same Message-ID");
    drop(server);
}

/// Finding 11 (b): Wharf asks for a signed MDN (the profile names Globex's certificate); an
/// unsigned one is not taken as the receipt, and says why.
async fn an_unsigned_mdn_is_no_receipt_when_a_signed_one_was_asked(db: Db) {
    let (w, server, seen) = send_through(
        db,
        "\"GLOBEX-AS2\"",
        true,
        true,
        &[Reply::Unsigned, Reply::Good],
    )
    .await;
    assert!(
        seen.iter().all(|(r, _)| r
            .header("disposition-notification-options")
            .contains("signed-receipt-protocol=optional, pkcs7-signature")),
        "a signed MDN asked for"
    );
    for (_, texts) in sent_histories(&w).await {
        assert!(
            texts
                .iter()
                .any(|t| t.contains("the MDN is unsigned although a signed one was asked for")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("MDN processed, signed by the partner, MIC matched")),
            "{texts:?}"
        );
        assert!(
            !texts.iter().any(|t| t.contains("unsigned, MIC matched")),
            "the unsigned MDN was not the receipt: {texts:?}"
        );
    }
    drop(server);
}

on_both_backends!(
    an_unsigned_unencrypted_message_is_taken_on_the_rfc_mic,
    encrypted_or_signed_only_messages_are_taken_on_the_rfc_mic,
    retries_go_out_under_one_message_id,
    an_mdn_for_another_message_id_is_no_receipt,
    an_unsigned_mdn_is_no_receipt_when_a_signed_one_was_asked,
    sending_uses_the_profiles_digest_and_cipher,
    wharf_sends_over_as2_and_checks_the_mdn,
    outbound_basic_auth_is_sent_when_the_profile_says,
);
