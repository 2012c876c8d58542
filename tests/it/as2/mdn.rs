//! Asynchronous MDNs both ways: posted to a partner (kept across a restart while its server is
//! down, never to an unknown sender's URL), and a partner's matched to what Wharf sent or
//! missed and resent.

use super::*;

async fn an_async_mdn_is_posted_to_the_partner(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let server = w.env.serve();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/mdn", listener.local_addr().unwrap());
    let catcher = std::thread::spawn(move || catch_one(&listener));
    let (entity, _) = payload("PO-ASYNC");
    let built = build(&w.dir, &entity, PLAIN);
    let a = post(
        &server,
        &built,
        "<async@globex>",
        Some(SIGNED_SHA256),
        &[("Receipt-Delivery-Option", &url)],
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.body.is_empty(), "{}", String::from_utf8_lossy(&a.body));
    let request = catcher.join().unwrap();
    let end = request.windows(4).position(|x| x == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&request[..end]).to_string();
    assert!(head.starts_with("POST /mdn "), "{head}");
    let ct = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("content-type:")
                .then(|| l["content-type:".len()..].trim().to_owned())
        })
        .unwrap();
    let mut smime = format!("Content-Type: {ct}\r\n\r\n").into_bytes();
    smime.extend_from_slice(&request[end + 4..]);
    std::fs::write(w.dir.join("mdn.smime"), smime).unwrap();
    openssl(
        &w.dir,
        &[
            "cms",
            "-verify",
            "-noverify",
            "-nointern",
            "-certfile",
            "wharf.pem",
            "-in",
            "mdn.smime",
            "-out",
            "report.txt",
        ],
    );
    let report = std::fs::read_to_string(w.dir.join("report.txt")).unwrap();
    assert!(
        report.contains("Original-Message-ID: <async@globex>"),
        "{report}"
    );
    assert!(report.contains("; processed\r\n"), "{report}");
    drop(server);
}

/// An asynchronous MDN for what Wharf sends: the partner answers the POST with 200 and posts
/// its signed MDN to Wharf's `/as2` later; Wharf verifies it, matches it by
/// Original-Message-ID and records it with the MIC compared.
/// An asynchronous MDN whose destination is down is kept, and posted once the partner's
/// server is back, even across a restart of the gateway (killed, not stopped).
async fn an_owed_async_mdn_survives_a_restart(db: Db) {
    let mut w = As2World::new(db, &["globex"], true, true).await;
    w.env.set_env("WHARF_AS2__MDN_RETRY_MS", "200");
    // A port where nothing listens yet: bound (kept from other processes) but not listening,
    // so connections are refused until the partner's server comes back on it.
    let reserved = tokio::net::TcpSocket::new_v4().unwrap();
    reserved
        .bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .unwrap();
    let addr = reserved.local_addr().unwrap();
    let url = format!("http://{addr}/mdn");
    let server = w.env.serve_process();
    let (entity, _) = payload("PO-OWED");
    let built = build(&w.dir, &entity, PLAIN);
    let a = post(
        &server,
        &built,
        "<owed@globex>",
        Some(SIGNED_SHA256),
        &[("Receipt-Delivery-Option", &url)],
    )
    .await;
    assert_eq!(a.status, 200);
    let store = w.env.store().await;
    let owed = || {
        let store = store.clone();
        async move {
            let row = sqlx::query(
                "SELECT attempts, sent_at, last_error, original_message_id, next_at FROM as2_mdn_outbox",
            )
            .fetch_one(store.pool())
            .await
            .ok()?;
            use sqlx::Row;
            Some((
                row.try_get::<i64, _>(0).ok()?,
                row.try_get::<Option<i64>, _>(1).ok()?,
                row.try_get::<Option<String>, _>(2).ok()?,
                row.try_get::<String, _>(3).ok()?,
                row.try_get::<i64, _>(4).ok()?,
            ))
        }
    };
    // A post claims the MDN (its attempt counted, held for the post's length) before it is
    // tried, and its refusal is recorded after (due again after the short retry wait): the
    // gateway is killed only once the second refusal is recorded, else the restarted one
    // waits out the dead claim's hold.
    let recorded = |next_at: i64| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        next_at < now + 10_000
    };
    let (attempts, sent, error, original, _) = crate::kit::wait_for(
        std::time::Duration::from_secs(20),
        "two refused posts",
        || async { owed().await.filter(|o| o.0 >= 2 && recorded(o.4)) },
    )
    .await;
    assert!(attempts >= 2 && sent.is_none(), "{attempts} {sent:?}");
    assert!(error.is_some_and(|e| e.contains("not delivered")));
    assert_eq!(original, "<owed@globex>");
    server.kill();

    // The partner's server comes back; so does the gateway.
    let listener = reserved.listen(16).unwrap().into_std().unwrap();
    listener.set_nonblocking(false).unwrap();
    let catcher = std::thread::spawn(move || catch_one(&listener));
    let _server = w.env.serve();
    let request = catcher.join().unwrap();
    let text = String::from_utf8_lossy(&request).to_string();
    assert!(text.starts_with("POST /mdn "), "{text}");
    assert!(
        text.contains("<owed@globex>"),
        "the MDN answers our message: {text}"
    );
    crate::kit::wait_for(
        std::time::Duration::from_secs(10),
        "the MDN marked posted",
        || async { owed().await.filter(|o| o.1.is_some()) },
    )
    .await;
}

/// Forwards every connection `front` takes to `to`, both ways, each until the side that
/// answers closes: an address fixed before a server starts on a port of its own choosing.
fn forward(front: std::net::TcpListener, to: std::net::SocketAddr) {
    use std::net::{Shutdown, TcpStream};
    std::thread::spawn(move || {
        for client in front.incoming() {
            let Ok(client) = client else { break };
            let Ok(server) = TcpStream::connect(to) else {
                break;
            };
            let (mut from_client, mut to_server) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from_client, &mut to_server);
                let _ = to_server.shutdown(Shutdown::Write);
            });
            let (mut from_server, mut to_client) = (server, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from_server, &mut to_client);
                let _ = to_client.shutdown(Shutdown::Both);
            });
        }
    });
}

async fn an_async_mdn_for_what_wharf_sends_is_matched(db: Db) {
    let mut w = As2World::new(db, &["globex"], true, true).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    globex_sends_to(&w, &listener, "mdn = \"async\"\n");
    // Wharf's public address, fixed before it starts, forwards to its own listener, which
    // takes whatever port it gets (as behind a proxy).
    let public = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    w.env.set_env(
        "WHARF_AS2__PUBLIC_URL",
        &format!("http://{}", public.local_addr().unwrap()),
    );
    let partner = openssl_partner_with(w.dir.clone(), listener, 2, Mdns::Async);
    w.env
        .ingest_for("globex", "po.x12", &globex_850(9201, "PO-9201"));
    let server = w.env.serve();
    forward(public, server.addr);
    let seen = partner.join().unwrap();
    assert!(seen.iter().all(|(_, _, verified)| *verified));
    let store = w.env.store().await;
    for (id, _, _) in &seen {
        let id = id.clone();
        crate::kit::wait_for(std::time::Duration::from_secs(30), "the MDN recorded", || {
            let (store, id) = (store.clone(), id.clone());
            async move {
                let sent = crate::kit::messages_of(&store, "globex", Direction::Out, None).await;
                for m in sent {
                    let events = wharf::store::events::for_message(&store, m.id).await.unwrap();
                    if events.iter().any(|e| {
                        e.kind == wharf::store::EventKind::AckReceived
                            && e.detail.as_deref().is_some_and(|d| {
                                d.contains("asynchronous MDN processed, signed by the partner, MIC matched")
                                    && d.contains(&id)
                            })
                    }) {
                        return Some(());
                    }
                }
                None
            }
        })
        .await;
    }
    drop(server);
}

/// No asynchronous MDN within the profile's timeout: an alert in the message's history and
/// the message sent again under the same Message-ID.
async fn a_missing_async_mdn_is_an_alert_and_a_resend(db: Db) {
    let mut w = As2World::new(db, &["globex"], true, true).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    globex_sends_to(&w, &listener, "mdn = \"async\"\nmdn_timeout = \"1s\"\n");
    w.env.set_env("WHARF_AS2__PUBLIC_URL", "http://127.0.0.1:9");
    w.env.set_env("WHARF_AS2__MDN_CHECK_MS", "200");
    // Globex's profile asks for a 999 and a TA1; each is sent, then sent again.
    let partner = openssl_partner_with(w.dir.clone(), listener, 4, Mdns::Never);
    w.env
        .ingest_for("globex", "po.x12", &globex_850(9301, "PO-9301"));
    let server = w.env.serve();
    let seen = partner.join().unwrap();
    // A resend after a missing MDN is a retry: the same Message-ID (AS2-Reliability).
    let mut ids: std::collections::HashMap<Vec<u8>, Vec<String>> = Default::default();
    for (id, payload, _) in &seen {
        ids.entry(payload.clone()).or_default().push(id.clone());
    }
    assert_eq!(ids.len(), 2, "two messages");
    for posted in ids.values() {
        assert_eq!(posted.len(), 2, "{posted:?}");
        assert_eq!(posted[0], posted[1], "resent under the same Message-ID");
    }
    let store = w.env.store().await;
    let sent = crate::kit::messages_of(&store, "globex", Direction::Out, None).await;
    let mut alerted = 0;
    for m in &sent {
        let events = wharf::store::events::for_message(&store, m.id)
            .await
            .unwrap();
        if events.iter().any(|e| {
            e.kind == wharf::store::EventKind::Warning
                && e.detail.as_deref().is_some_and(|d| {
                    d.contains("no asynchronous MDN for Message-ID") && d.contains("sent again")
                })
        }) {
            alerted += 1;
        }
    }
    assert_eq!(alerted, 2, "both messages alerted and resent");
    drop(server);
}

/// An asynchronous MDN is posted only for a message taken from a sender a profile claims:
/// an unknown sender's `Receipt-Delivery-Option` (any URL it likes) gets its MDN in the
/// response, and nothing is posted there (issue 17, finding 7: server-side request forgery).
async fn an_unknown_senders_receipt_url_is_never_posted_to(db: Db) {
    let w = As2World::new(db, &["globex"], true, true).await;
    let server = w.env.serve_process();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/internal-admin", listener.local_addr().unwrap());
    let (entity, _) = payload("PO-SSRF");
    let built = build(&w.dir, &entity, PLAIN);
    let a = post(
        &server,
        &built,
        "<ssrf@stranger>",
        Some(SIGNED_SHA256),
        &[("AS2-From", "STRANGER"), ("Receipt-Delivery-Option", &url)],
    )
    .await;
    assert_eq!(a.status, 200);
    let body = String::from_utf8_lossy(&a.body).to_string();
    assert!(
        body.contains("Original-Message-ID: <ssrf@stranger>"),
        "the MDN comes back in the response: {body}"
    );
    // An MDN Wharf does owe, Globex's, asked for after the stranger's message: once it
    // arrives the MDN poster has run since the stranger's message was taken (it claims what
    // is due longest first), so a post to the stranger's URL would have come by then.
    let owed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let owed_url = format!("http://{}/mdn", owed.local_addr().unwrap());
    let catcher = std::thread::spawn(move || catch_one(&owed));
    let (entity, _) = payload("PO-OWED-AFTER");
    let built = build(&w.dir, &entity, PLAIN);
    let b = post(
        &server,
        &built,
        "<owed-after-ssrf@globex>",
        Some(SIGNED_SHA256),
        &[("Receipt-Delivery-Option", &owed_url)],
    )
    .await;
    assert_eq!(b.status, 200);
    let mdn = tokio::task::spawn_blocking(move || catcher.join().unwrap())
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&mdn).contains("POST /mdn "),
        "Globex's MDN posted"
    );
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "Wharf connected to the URL an unknown sender named"
    );
    assert!(
        server.log().contains("answered synchronously"),
        "{}",
        server.log()
    );
}

on_both_backends!(
    an_async_mdn_for_what_wharf_sends_is_matched,
    a_missing_async_mdn_is_an_alert_and_a_resend,
    an_async_mdn_is_posted_to_the_partner,
    an_owed_async_mdn_survives_a_restart,
    an_unknown_senders_receipt_url_is_never_posted_to,
);
