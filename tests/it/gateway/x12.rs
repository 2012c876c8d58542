//! X12 through the gateway: an 850 ingested or posted is delivered and answered with a 997
//! (or a 999 and TA1), once however often it is resent or replayed; bad input reported precisely;
//! an unknown sender quarantined until released.

use super::*;

fn event_kinds(history: &[wharf::store::events::Event]) -> Vec<EventKind> {
    history.iter().map(|e| e.kind).collect()
}

async fn ingest_then_serve_delivers_order_and_sends_997(db: Db) {
    // Arrange
    let env = TestEnv::new(db).await;
    let file = env.file(
        "in/850_acme.edi",
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/x12/850_acme.edi"
        ))
        .unwrap(),
    );

    // Act: a file submitted on the command line, then the gateway started.
    let (code, out, err) = env.run(&["ingest", file.to_str().unwrap(), "--partner", "acme"]);
    assert_eq!(code, 0, "ingest failed: {err}");
    let id: MessageId = out
        .split('\t')
        .next()
        .unwrap()
        .trim()
        .parse()
        .expect("message id printed");
    let (_, listed, _) = env.run(&["messages", "list"]);
    assert!(listed.contains("received"), "{listed}");

    let server = env.serve_process();
    let store = env.store().await;
    let m = settled(&store, id).await;

    // Assert: health, state, history, the order handed on, the 997 on its way back.
    let (status, body) = http(server.addr, "GET", "/readyz", b"");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(
            "{\"detail\":\"SQLite reachable and writable\",\"name\":\"database\",\"ok\":true}"
        ) || body.contains(
            "{\"detail\":\"PostgreSQL reachable and writable\",\"name\":\"database\",\"ok\":true}"
        ),
        "{body}"
    );

    assert_eq!(m.state, MessageState::Delivered, "error: {:?}", m.error);
    assert_eq!(m.partner.as_deref(), Some("acme"));
    assert_eq!(m.doc_type.as_deref(), Some("850"));
    assert_eq!(m.control_number.as_deref(), Some("000000101"));
    let history = events::for_message(&store, id).await.unwrap();
    let kinds = event_kinds(&history);
    for (a, b) in [
        (EventKind::Received, EventKind::Identified),
        (EventKind::Identified, EventKind::Translated),
        (EventKind::Translated, EventKind::Mapped),
        (EventKind::Mapped, EventKind::Delivered),
    ] {
        let ia = kinds.iter().position(|k| *k == a).expect("event present");
        let ib = kinds.iter().position(|k| *k == b).expect("event present");
        assert!(ia < ib, "{a} should come before {b}: {kinds:?}");
    }

    let order: serde_json::Value = serde_json::from_slice(
        &std::fs::read(env.path().join("data/delivered/acme/PO-1001.json"))
            .expect("order delivered"),
    )
    .unwrap();
    assert_eq!(order["client_order_ref"], "PO-1001");
    assert_eq!(order["customer_ref"], "ACME");
    assert_eq!(
        order["ship_to_ref"], "ACME-0042",
        "by acme's [mapping.ship_to] rule"
    );
    assert_eq!(order["lines"][0]["product"]["kind"], "buyer_part");
    assert_eq!(order["lines"][0]["product"]["value"], "ACME-001");
    assert_eq!(order["lines"][0]["uom"], "Units");
    assert_eq!(order["lines"][1]["product"]["value"], "WID-2");
    assert_eq!(order["lines"][1]["uom"], "Case");

    let acks = messages::related(&store, id).await.unwrap();
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0].doc_type.as_deref(), Some("997"));
    let sent = std::fs::read(
        env.path()
            .join("data/outbox/acme")
            .join(acks[0].filename.as_deref().unwrap()),
    )
    .expect("997 written to the partner's outbox");
    assert_eq!(sent, messages::raw(&store, acks[0].id).await.unwrap());
    let segs = segments(&sent);
    assert!(
        segs[0]
            .starts_with("ISA*00*          *00*          *ZZ*WHARF          *ZZ*ACMERETAIL     *"),
        "{}",
        segs[0]
    );
    assert!(
        segs.iter()
            .any(|s| s.starts_with("GS*FA*WHARF*ACMERETAIL*")),
        "{segs:?}"
    );
    assert!(segs.iter().any(|s| s.starts_with("ST*997*")), "{segs:?}");
    assert!(segs.contains(&"AK1*PO*101".to_owned()), "{segs:?}");
    assert!(segs.contains(&"AK2*850*0001".to_owned()), "{segs:?}");
    assert!(segs.contains(&"AK5*A".to_owned()), "{segs:?}");
    assert!(segs.contains(&"AK9*A*1*1*1".to_owned()), "{segs:?}");

    let (_, shown, _) = env.run(&["messages", "show", &id.to_string()]);
    for needle in [
        "state      delivered",
        "received",
        "identified",
        "translated",
        "mapped",
        "answered by",
    ] {
        assert!(shown.contains(needle), "`{needle}` missing from:\n{shown}");
    }
    assert!(server.stop().success());
}

async fn resent_interchange_is_not_posted_twice(db: Db) {
    let env = TestEnv::new(db).await;
    let server = env.serve();
    let store = env.store().await;
    let body = order_850(7, "PO-7");

    let (s1, b1) = http(server.addr, "POST", "/api/v1/partners/acme/messages", &body);
    let (s2, b2) = http(server.addr, "POST", "/api/v1/partners/acme/messages", &body);
    assert_eq!((s1, s2), (202, 202), "{b1} {b2}");
    let id1 = serde_json::from_str::<serde_json::Value>(&b1).unwrap()["message_id"]
        .as_i64()
        .map(MessageId::new)
        .unwrap();
    let id2 = serde_json::from_str::<serde_json::Value>(&b2).unwrap()["message_id"]
        .as_i64()
        .map(MessageId::new)
        .unwrap();

    // Both copies are processed concurrently: whichever is translated first is the original.
    let a = settled(&store, id1).await;
    let b = settled(&store, id2).await;
    let (first, second) = if a.state == MessageState::Delivered {
        (a, b)
    } else {
        (b, a)
    };
    let (id1, id2) = (first.id, second.id);
    assert_eq!(first.state, MessageState::Delivered);
    assert_eq!(second.state, MessageState::Duplicate, "{second:?}");
    assert!(
        second
            .error
            .as_deref()
            .unwrap_or("")
            .contains("received before")
    );
    // Kept, visible, but neither delivered again nor acknowledged again.
    assert_eq!(messages::raw(&store, id2).await.unwrap(), body);
    // Not acknowledged again with a 997: ACME's profile answers a repeat with TA1 note 025.
    let answers = messages::related(&store, id2).await.unwrap();
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].doc_type.as_deref(), Some("TA1"));
    let ta1 = segments(&messages::raw(&store, answers[0].id).await.unwrap());
    assert!(
        ta1.contains(&"TA1*000000007*261126*1200*R*025".to_owned()),
        "{ta1:?}"
    );
    assert_eq!(messages::related(&store, id1).await.unwrap().len(), 1);
    let delivered: Vec<_> = std::fs::read_dir(env.path().join("data/delivered/acme"))
        .unwrap()
        .collect();
    assert_eq!(delivered.len(), 1);
    let history = events::for_message(&store, id2).await.unwrap();
    let dup = history
        .iter()
        .find(|e| e.kind == EventKind::Duplicate)
        .expect("duplicate event");
    assert!(
        dup.detail
            .as_deref()
            .unwrap()
            .contains(&format!("message {id1}")),
        "{dup:?}"
    );
}

async fn same_po_in_a_new_interchange_is_delivered_once(db: Db) {
    let env = TestEnv::new(db).await;
    let server = env.serve();
    let store = env.store().await;
    let (_, b1) = http(
        server.addr,
        "POST",
        "/api/v1/partners/acme/messages",
        &order_850(8, "PO-8"),
    );
    let (_, b2) = http(
        server.addr,
        "POST",
        "/api/v1/partners/acme/messages",
        &order_850(9, "PO-8"),
    );
    let id1 = serde_json::from_str::<serde_json::Value>(&b1).unwrap()["message_id"]
        .as_i64()
        .map(MessageId::new)
        .unwrap();
    let id2 = serde_json::from_str::<serde_json::Value>(&b2).unwrap()["message_id"]
        .as_i64()
        .map(MessageId::new)
        .unwrap();
    settled(&store, id1).await;
    settled(&store, id2).await;
    // Two interchanges, two 997s; one order.
    assert_eq!(messages::related(&store, id1).await.unwrap().len(), 1);
    assert_eq!(messages::related(&store, id2).await.unwrap().len(), 1);
    let mut already = 0;
    for id in [id1, id2] {
        if event_kinds(&events::for_message(&store, id).await.unwrap())
            .contains(&EventKind::AlreadyDelivered)
        {
            already += 1;
        }
    }
    assert_eq!(
        already, 1,
        "exactly one of the two must have found PO-8 delivered"
    );
    assert_eq!(
        std::fs::read_dir(env.path().join("data/delivered/acme"))
            .unwrap()
            .count(),
        1
    );
    drop(server);
}

async fn unknown_sender_is_quarantined_then_released_by_replay(db: Db) {
    let env = TestEnv::new(db).await;
    let bytes = order_850_from("STRANGER", 11, "PO-11");
    let file = env.file("stranger.edi", &bytes);
    let (code, out, err) = env.run(&["ingest", file.to_str().unwrap(), "--partner", "acme"]);
    assert_eq!(code, 0, "{err}");
    let id: MessageId = out.split('\t').next().unwrap().parse().unwrap();
    let server = env.serve();
    let store = env.store().await;
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Quarantined);
    assert!(
        m.error
            .as_deref()
            .unwrap()
            .contains("unknown sender ZZ/STRANGER"),
        "{:?}",
        m.error
    );
    let (_, raw, _) = env.run(&["messages", "show", &id.to_string(), "--raw"]);
    assert_eq!(raw.as_bytes(), &bytes[..], "raw bytes kept and visible");
    server.stop();

    // The operator fixes ACME's profile (the sender id changed) and replays the message.
    let profile = env.path().join("partners/acme.toml");
    let text = std::fs::read_to_string(&profile)
        .unwrap()
        .replace("\"ACMERETAIL\"", "\"STRANGER\"");
    std::fs::write(&profile, text).unwrap();
    let (code, out, err) = env.run(&["replay", &id.to_string()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("identify"), "{out}");
    let _server = env.serve();
    let m = wait_for(PATIENCE, "released message delivered", || async {
        let m = messages::get(&store, id).await.ok()?;
        (m.state == MessageState::Delivered).then_some(m)
    })
    .await;
    assert_eq!(m.partner.as_deref(), Some("acme"));
    let kinds = event_kinds(&events::for_message(&store, id).await.unwrap());
    assert!(
        kinds.contains(&EventKind::Quarantined) && kinds.contains(&EventKind::Replayed),
        "{kinds:?}"
    );
}

async fn replay_of_a_delivered_message_repeats_nothing_visible(db: Db) {
    let env = TestEnv::new(db).await;
    let file = env.file("po.edi", &order_850(21, "PO-21"));
    let (_, out, _) = env.run(&["ingest", file.to_str().unwrap(), "--partner", "acme"]);
    let id: MessageId = out.split('\t').next().unwrap().parse().unwrap();
    let server = env.serve();
    let store = env.store().await;
    settled(&store, id).await;
    let ack_before = messages::related(&store, id).await.unwrap();
    let order_before = std::fs::read(env.path().join("data/delivered/acme/PO-21.json")).unwrap();

    let (code, _, err) = env.run(&["replay", &id.to_string()]);
    assert_eq!(code, 0, "{err}");
    wait_for(PATIENCE, "replayed message delivered again", || async {
        let h = events::for_message(&store, id).await.ok()?;
        let replayed = h.iter().position(|e| e.kind == EventKind::Replayed)?;
        h[replayed..]
            .iter()
            .any(|e| e.kind == EventKind::Delivered)
            .then_some(())
    })
    .await;
    let ack_after = messages::related(&store, id).await.unwrap();
    assert_eq!(ack_before.len(), 1);
    assert_eq!(ack_after.len(), 1, "no second 997: {ack_after:?}");
    assert_eq!(ack_after[0].control_number, ack_before[0].control_number);
    let order_after = std::fs::read(env.path().join("data/delivered/acme/PO-21.json")).unwrap();
    assert_eq!(order_before, order_after);
    assert_eq!(
        std::fs::read_dir(env.path().join("data/outbox/acme"))
            .unwrap()
            .count(),
        1
    );
    drop(server);
}

async fn commands_report_bad_input_precisely(db: Db) {
    let env = TestEnv::new(db).await;
    // Unknown partner on ingest: a usage error, nothing stored.
    let file = env.file("po.edi", &order_850(1, "PO-1"));
    let (code, _, err) = env.run(&["ingest", file.to_str().unwrap(), "--partner", "nobody"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nobody"), "{err}");
    let (_, listed, _) = env.run(&["messages", "list", "--json"]);
    assert!(listed.trim().is_empty(), "nothing stored: {listed}");
    // An unknown message.
    let (code, _, err) = env.run(&["messages", "show", "999"]);
    assert_eq!(code, 2);
    assert!(err.contains("message 999 does not exist"), "{err}");
    // A bad setting names its variable.
    let (code, _, err) = env
        .wharf()
        .env("WHARF_PIPELINE__WORKERS", "0")
        .args(["messages", "list"])
        .output()
        .map(|o| {
            (
                o.status.code().unwrap(),
                (),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("pipeline.workers"), "{err}");
}

async fn bad_850_is_rejected_with_the_997_codes_the_partner_expects(db: Db) {
    let env = TestEnv::new(db).await;
    let server = env.serve();
    let store = env.store().await;
    // SE01 claims 9 segments; the set has 7.
    let good = String::from_utf8(order_850(31, "PO-31")).unwrap();
    let bad = good.replace("SE*7*0001", "SE*9*0001");
    assert_ne!(good, bad);

    let (status, body) = http(
        server.addr,
        "POST",
        "/api/v1/partners/acme/messages",
        bad.as_bytes(),
    );
    assert_eq!(status, 202, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["message_id"]
        .as_i64()
        .map(MessageId::new)
        .unwrap();
    let m = settled(&store, id).await;

    assert_eq!(m.state, MessageState::Rejected, "{m:?}");
    assert_eq!(
        messages::raw(&store, id).await.unwrap(),
        bad.as_bytes(),
        "raw bytes kept"
    );
    let history = events::for_message(&store, id).await.unwrap();
    assert!(
        history.iter().any(|e| e
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("SE01 says 9 segments")),
        "the precise error is in the history: {history:#?}"
    );
    assert!(
        !env.path().join("data/delivered/acme/PO-31.json").exists(),
        "nothing delivered"
    );
    let acks = messages::related(&store, id).await.unwrap();
    assert_eq!(acks.len(), 1);
    let segs = segments(&messages::raw(&store, acks[0].id).await.unwrap());
    assert!(segs.contains(&"AK2*850*0001".to_owned()), "{segs:?}");
    assert!(segs.contains(&"AK5*R*4".to_owned()), "{segs:?}");
    assert!(segs.contains(&"AK9*R*1*1*0".to_owned()), "{segs:?}");
}

async fn globex_gets_a_999_and_a_ta1_in_its_own_delimiters(db: Db) {
    let env = TestEnv::new(db).await;
    let server = env.serve();
    let store = env.store().await;
    let x12 = String::from_utf8(crate::kit::order_850_from("123456789", 41, "G-41"))
        .unwrap()
        .replace("*ZZ*123456789      *", "*01*123456789      *");
    let (status, body) = http(
        server.addr,
        "POST",
        "/api/v1/partners/globex/messages",
        x12.as_bytes(),
    );
    assert_eq!(status, 202, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["message_id"]
        .as_i64()
        .map(MessageId::new)
        .unwrap();
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Delivered, "{m:?}");
    let answers = messages::related(&store, id).await.unwrap();
    let mut kinds: Vec<&str> = answers
        .iter()
        .filter_map(|a| a.doc_type.as_deref())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["999", "TA1"]);
    for a in &answers {
        let bytes = std::fs::read(
            env.path()
                .join("data/outbox/globex")
                .join(a.filename.as_deref().unwrap()),
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("ISA|00|"), "{text}");
        assert!(!text.contains('\n'), "globex wants no line breaks: {text}");
        let segs: Vec<&str> = text.split('\\').filter(|s| !s.is_empty()).collect();
        match a.doc_type.as_deref() {
            Some("TA1") => assert!(
                segs.contains(&"TA1|000000041|261126|1200|A|000"),
                "{segs:?}"
            ),
            _ => {
                assert!(segs.iter().any(|s| s.starts_with("ST|999|")), "{segs:?}");
                assert!(segs.contains(&"IK5|A"), "{segs:?}");
            }
        }
    }
}

on_both_backends!(
    globex_gets_a_999_and_a_ta1_in_its_own_delimiters,
    bad_850_is_rejected_with_the_997_codes_the_partner_expects,
    ingest_then_serve_delivers_order_and_sends_997,
    resent_interchange_is_not_posted_twice,
    same_po_in_a_new_interchange_is_delivered_once,
    unknown_sender_is_quarantined_then_released_by_replay,
    replay_of_a_delivered_message_repeats_nothing_visible,
    commands_report_bad_input_precisely,
);
