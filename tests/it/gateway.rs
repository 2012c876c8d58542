//! End to end through the real binary: ingest, serve, the partner API, message tracking,
//! duplicates, quarantine and replay, on SQLite and on PostgreSQL.

use std::time::Duration;

use crate::kit::{Db, TestEnv, http, order_850, order_850_from, segments, wait_for};
use wharf::store::messages::{self, Message};
use wharf::store::{EventKind, MessageState, Store, events};

const PATIENCE: Duration = Duration::from_secs(30);

async fn settled(store: &Store, id: i64) -> Message {
    wait_for(
        PATIENCE,
        &format!("message {id} to reach a final state"),
        || async {
            let m = messages::get(store, id).await.ok()?;
            if !m.state.is_final() {
                return None;
            }
            // Its acknowledgements must be sent too.
            let related = messages::related(store, id).await.ok()?;
            related
                .iter()
                .all(|r| r.state == MessageState::Sent)
                .then_some(m)
        },
    )
    .await
}

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
    let id: i64 = out
        .split('\t')
        .next()
        .unwrap()
        .trim()
        .parse()
        .expect("message id printed");
    let (_, listed, _) = env.run(&["messages", "list"]);
    assert!(listed.contains("received"), "{listed}");

    let server = env.serve();
    let store = env.store().await;
    let m = settled(&store, id).await;

    // Assert: health, state, history, the order handed on, the 997 on its way back.
    let (status, body) = http(server.addr, "GET", "/healthz", b"");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"database\":\"ok\""), "{body}");

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
        .unwrap();
    let id2 = serde_json::from_str::<serde_json::Value>(&b2).unwrap()["message_id"]
        .as_i64()
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
        .unwrap();
    let id2 = serde_json::from_str::<serde_json::Value>(&b2).unwrap()["message_id"]
        .as_i64()
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
    let id: i64 = out.split('\t').next().unwrap().parse().unwrap();
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
    let id: i64 = out.split('\t').next().unwrap().parse().unwrap();
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

async fn edifact_order_is_delivered_and_answered_with_a_contrl(db: Db) {
    // Arrange: EuroFoods' profile has an [edifact] identity; its UNB asks for a CONTRL.
    let env = TestEnv::new(db).await;
    let server = env.serve();
    let store = env.store().await;
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/edifact/orders_eancom.edi"
    ))
    .unwrap();

    // Act: the partner API, twice (a resend).
    let (s1, b1) = http(
        server.addr,
        "POST",
        "/api/v1/partners/eurofoods/messages",
        &body,
    );
    assert_eq!(s1, 202, "{b1}");
    let id1 = serde_json::from_str::<serde_json::Value>(&b1).unwrap()["message_id"]
        .as_i64()
        .unwrap();
    let m = settled(&store, id1).await;
    let (s2, b2) = http(
        server.addr,
        "POST",
        "/api/v1/partners/eurofoods/messages",
        &body,
    );
    assert_eq!(s2, 202, "{b2}");
    let id2 = serde_json::from_str::<serde_json::Value>(&b2).unwrap()["message_id"]
        .as_i64()
        .unwrap();
    let again = settled(&store, id2).await;

    // Assert: identified by UNB, translated, mapped with the partner's rules, delivered.
    assert_eq!(m.state, MessageState::Delivered, "error: {:?}", m.error);
    assert_eq!(m.partner.as_deref(), Some("eurofoods"));
    assert_eq!(m.doc_type.as_deref(), Some("ORDERS"));
    assert_eq!(m.control_number.as_deref(), Some("ORD0001"));
    let order: serde_json::Value = serde_json::from_slice(
        &std::fs::read(env.path().join("data/delivered/eurofoods/PO-4711.json"))
            .expect("order delivered"),
    )
    .unwrap();
    assert_eq!(order["customer_ref"], "EUROFOODS");
    assert_eq!(order["ship_to_ref"], "4012345000108");
    assert_eq!(order["lines"][0]["product"]["kind"], "gtin");
    assert_eq!(order["lines"][0]["product"]["value"], "5412345678908");
    assert_eq!(order["lines"][0]["uom"], "Units");

    // The CONTRL: our UNB to them (sender and recipient swapped), their interchange in UCI.
    let acks = messages::related(&store, id1).await.unwrap();
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0].doc_type.as_deref(), Some("CONTRL"));
    let sent = std::fs::read(
        env.path()
            .join("data/outbox/eurofoods")
            .join(acks[0].filename.as_deref().unwrap()),
    )
    .expect("CONTRL written to the partner's outbox");
    assert_eq!(sent, messages::raw(&store, acks[0].id).await.unwrap());
    let text = String::from_utf8(sent).unwrap();
    assert!(
        text.starts_with("UNA:+.? '\nUNB+UNOC:3+WHARF+4012345000009:14+"),
        "{text}"
    );
    assert!(text.contains("UNH+1+CONTRL:D:3:UN'"), "{text}");
    assert!(
        text.contains("UCI+ORD0001+4012345000009:14+5412345000013:14+7'"),
        "{text}"
    );
    assert!(text.contains("UCM+1+ORDERS:D:96A:UN:EAN008+7'"), "{text}");

    // The resend: kept, not delivered again, answered with a CONTRL rejecting it as a
    // duplicate (UCI code 26 on UNB05).
    assert_eq!(again.state, MessageState::Duplicate, "{again:?}");
    assert_eq!(messages::raw(&store, id2).await.unwrap(), body);
    let answers = messages::related(&store, id2).await.unwrap();
    assert_eq!(answers.len(), 1, "{answers:?}");
    let dup = String::from_utf8(messages::raw(&store, answers[0].id).await.unwrap()).unwrap();
    assert!(
        dup.contains("UCI+ORD0001+4012345000009:14+5412345000013:14+4+26+UNB+5'"),
        "{dup}"
    );
    let delivered: Vec<_> = std::fs::read_dir(env.path().join("data/delivered/eurofoods"))
        .unwrap()
        .collect();
    assert_eq!(delivered.len(), 1);
    // Each CONTRL took the next reference from EuroFoods' own sequence.
    assert_ne!(acks[0].control_number, answers[0].control_number);
    assert!(server.stop().success());
}

async fn cxml_order_request_is_answered_stored_and_delivered(db: Db) {
    let env = TestEnv::new(db).await;
    let server = env.serve();
    let store = env.store().await;
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/xml/cxml_order.xml"
    ))
    .unwrap();
    let status_of = |resp: &str| -> String {
        let at = resp.find("<Status code=\"").expect("a Status") + 14;
        resp[at..at + 3].to_owned()
    };

    // A sound request from a known sender with its shared secret: 200, then delivered.
    let (http_status, resp) = http(server.addr, "POST", "/cxml", &body);
    assert_eq!(http_status, 200, "{resp}");
    assert!(resp.starts_with("<?xml"), "{resp}");
    assert_eq!(status_of(&resp), "200", "{resp}");
    let list = |store: Store| async move {
        let inbound = messages::Filter {
            state: None,
            partner: None,
            direction: Some(wharf::store::Direction::In),
            limit: 50,
        };
        messages::list(&store, &inbound).await.unwrap()
    };
    let first = list(store.clone())
        .await
        .into_iter()
        .next()
        .expect("stored");
    let m = settled(&store, first.id).await;
    assert_eq!(m.state, MessageState::Delivered, "error: {:?}", m.error);
    assert_eq!(m.partner.as_deref(), Some("procurenet"));
    assert_eq!(
        m.control_number.as_deref(),
        Some("20261126.1@buyer.example")
    );
    let order: serde_json::Value = serde_json::from_slice(
        &std::fs::read(env.path().join("data/delivered/procurenet/PO-CX-77.json"))
            .expect("order delivered"),
    )
    .unwrap();
    assert_eq!(order["customer_ref"], "PROCURENET");
    assert_eq!(order["lines"][0]["product"]["kind"], "buyer_part");
    assert_eq!(order["lines"][0]["product"]["value"], "ACME-001");

    // The same payloadID again: answered, kept, not posted twice.
    let (_, resp) = http(server.addr, "POST", "/cxml", &body);
    assert_eq!(status_of(&resp), "200", "{resp}");
    let again = list(store.clone())
        .await
        .into_iter()
        .next()
        .expect("stored");
    assert_eq!(
        settled(&store, again.id).await.state,
        MessageState::Duplicate
    );

    // A wrong shared secret: 401, and the bytes kept (rejected, never processed) with the
    // reason.
    let text = String::from_utf8(body.clone()).unwrap();
    let forged = text
        .replace("s3cret", "guess")
        .replace("20261126.1@buyer.example", "20261126.2@buyer.example");
    let (_, resp) = http(server.addr, "POST", "/cxml", forged.as_bytes());
    assert_eq!(status_of(&resp), "401", "{resp}");
    let bad = list(store.clone())
        .await
        .into_iter()
        .next()
        .expect("stored");
    let bad = settled(&store, bad.id).await;
    assert_eq!(bad.state, MessageState::Rejected);
    assert!(
        bad.error.as_deref().unwrap_or("").contains("SharedSecret"),
        "{bad:?}"
    );
    assert_eq!(
        messages::raw(&store, bad.id).await.unwrap(),
        forged.as_bytes()
    );

    // Not well-formed: 400 with the element path, and still stored.
    let (_, resp) = http(
        server.addr,
        "POST",
        "/cxml",
        b"<cXML><Request><OrderRequest></Request></cXML>",
    );
    assert_eq!(status_of(&resp), "400", "{resp}");
    assert!(resp.contains("/cXML/Request/OrderRequest"), "{resp}");
    let broken = list(store.clone())
        .await
        .into_iter()
        .next()
        .expect("stored");
    assert_eq!(
        settled(&store, broken.id).await.state,
        MessageState::Rejected
    );
    let delivered: Vec<_> = std::fs::read_dir(env.path().join("data/delivered/procurenet"))
        .unwrap()
        .collect();
    assert_eq!(delivered.len(), 1);

    // Larger than the 64 KiB read before the sender is known: authenticated from its Header,
    // then read whole and taken (a 200 KB comment after the Header).
    let padded = text
        .replace("20261126.1@buyer.example", "20261126.3@buyer.example")
        .replace("PO-CX-77", "PO-CX-78")
        .replace(
            "</Header>",
            &format!("</Header><!--{}-->", "x".repeat(200_000)),
        );
    let (_, resp) = http(server.addr, "POST", "/cxml", padded.as_bytes());
    assert_eq!(status_of(&resp), "200", "{resp}");
    wait_for(
        Duration::from_secs(20),
        "the large order delivered",
        || async {
            env.path()
                .join("data/delivered/procurenet/PO-CX-78.json")
                .exists()
                .then_some(())
        },
    )
    .await;
    // Authenticated by its Header but broken further on: 400, and being the partner's own
    // bytes they are kept whole (rejected by the pipeline with the reason), not as a sample.
    let broken = padded
        .replace("20261126.3@buyer.example", "20261126.4@buyer.example")
        .replace("</Request>", "</Requestx>");
    let (_, resp) = http(server.addr, "POST", "/cxml", broken.as_bytes());
    assert_eq!(status_of(&resp), "400", "{resp}");
    let kept = list(store.clone()).await.into_iter().next().expect("kept");
    assert_eq!(kept.partner.as_deref(), Some("procurenet"));
    assert_eq!(
        messages::raw(&store, kept.id).await.unwrap(),
        broken.as_bytes()
    );
    assert_eq!(settled(&store, kept.id).await.state, MessageState::Rejected);

    // The same with a wrong secret: 401 from the Header alone; 64 KiB of it kept.
    let (_, resp) = http(
        server.addr,
        "POST",
        "/cxml",
        padded.replace("s3cret", "guess").as_bytes(),
    );
    assert_eq!(status_of(&resp), "401", "{resp}");
    let refused = list(store.clone()).await.into_iter().next().expect("kept");
    assert_eq!(refused.state, MessageState::Rejected);
    assert_eq!(
        messages::raw(&store, refused.id).await.unwrap().len(),
        64 * 1024
    );
    assert!(server.stop().success());
}

/// Issue 17, finding 5: an unknown sender's 60 MiB on `/cxml` was read and stored whole. Now
/// the sender is read from the Header within the first 64 KiB, the rest of the body is never
/// read, and only those 64 KiB are kept as a sample (at most 30 a minute).
async fn finding_5_an_unknown_cxml_senders_body_is_kept_as_a_bounded_sample(db: Db) {
    use std::io::{Read, Write};
    let env = TestEnv::new(db).await;
    let server = env.serve();
    let store = env.store().await;
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/xml/cxml_order.xml"
    ))
    .unwrap();
    let body = fixture.replace("AN0100000001", "AN-STRANGER").replace(
        "</Header>",
        &format!("</Header><!--{}-->", "x".repeat(16 << 20)),
    );
    let mut s = std::net::TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST /cxml HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    // The answer comes while most of the body is still unsent: it was never waited for.
    let _ = s.write_all(&body.as_bytes()[..1 << 20]);
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let resp = String::from_utf8_lossy(&resp);
    assert!(resp.contains("<Status code=\"401\""), "{resp}");
    assert!(resp.contains("AN-STRANGER"), "{resp}");
    let kept = messages::list(
        &store,
        &messages::Filter {
            state: Some(MessageState::Rejected),
            partner: None,
            direction: Some(wharf::store::Direction::In),
            limit: 10,
        },
    )
    .await
    .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        messages::raw(&store, kept[0].id).await.unwrap().len(),
        64 * 1024
    );
    let history = events::for_message(&store, kept[0].id).await.unwrap();
    let total = body.len();
    assert!(
        history.iter().any(|e| {
            e.detail.as_deref().is_some_and(|d| {
                d.contains(&format!("{total} bytes via cxml (the first 65536 kept)"))
            })
        }),
        "{history:?}"
    );
    assert!(server.stop().success());
}

async fn profile_edits_reload_and_a_bad_edit_keeps_the_good_profile(db: Db) {
    let mut env = TestEnv::new(db).await;
    env.set_env("WHARF_PARTNERS_RELOAD_MS", "100");
    let server = env.serve();
    let store = env.store().await;
    let post = |isa13: u32, po: &str| -> i64 {
        let (s, b) = http(
            server.addr,
            "POST",
            "/api/v1/partners/acme/messages",
            &order_850(isa13, po),
        );
        assert_eq!(s, 202, "{b}");
        serde_json::from_str::<serde_json::Value>(&b).unwrap()["message_id"]
            .as_i64()
            .unwrap()
    };
    let delivered_ref = |po: &str| -> String {
        let order: serde_json::Value = serde_json::from_slice(
            &std::fs::read(env.path().join(format!("data/delivered/acme/{po}.json")))
                .expect("order delivered"),
        )
        .unwrap();
        order["customer_ref"].as_str().unwrap().to_owned()
    };
    let profile = env.path().join("partners/acme.toml");
    let good = std::fs::read_to_string(&profile).unwrap();

    // A good edit is applied without a restart.
    std::fs::write(
        &profile,
        good.replace("customer_ref = \"ACME\"", "customer_ref = \"ACME-NEW\""),
    )
    .unwrap();
    wait_for(PATIENCE, "the edited profile to load", || async {
        server
            .log()
            .contains("partner profiles reloaded")
            .then_some(())
    })
    .await;
    let id = post(301, "PO-301");
    assert_eq!(settled(&store, id).await.state, MessageState::Delivered);
    assert_eq!(delivered_ref("PO-301"), "ACME-NEW");

    // A bad edit is reported and the last good profile stays in force.
    std::fs::write(
        &profile,
        "id = \"acme\"\nname = \"ACME\"\n[x12]\nqualifier = \"Z\"\nid = \"ACMERETAIL\"\n",
    )
    .unwrap();
    // (An editor's write may be seen half done first: that too keeps the old profile.)
    wait_for(PATIENCE, "the bad edit to be reported", || async {
        let log = server.log();
        (log.contains("previous version stays") && log.contains("x12.qualifier")).then_some(())
    })
    .await;
    let id = post(302, "PO-302");
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Delivered, "{:?}", m.error);
    assert_eq!(delivered_ref("PO-302"), "ACME-NEW");
    assert!(server.stop().success());
}

/// A profile with `[api] token_sha256` (made by `wharf partners api-token`) takes partner
/// API requests only with that token; nothing is stored for the others.
async fn the_partner_api_wants_the_partners_token_when_it_has_one(db: Db) {
    let env = TestEnv::new(db).await;
    let (code, token, err) = env.run(&["partners", "api-token", "acme"]);
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_owned();
    let line = err
        .lines()
        .find(|l| l.starts_with("token_sha256 = "))
        .expect("the profile line")
        .to_owned();
    let profile = env.path().join("partners/acme.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    std::fs::write(
        &profile,
        text.replace(crate::kit::OPEN_API, &format!("\n[api]\n{line}\n")),
    )
    .unwrap();
    // globex as shipped: no `[api]` at all, so closed.
    let profile = env.path().join("partners/globex.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    std::fs::write(&profile, text.replace(crate::kit::OPEN_API, "")).unwrap();
    let server = env.serve();
    let open_line = server
        .banner
        .lines()
        .find(|l| l.trim_start().starts_with("partners "))
        .unwrap_or_default()
        .to_owned();
    assert!(
        open_line.contains("OPEN to anyone for")
            && !open_line.contains("acme")
            && !open_line.contains("globex"),
        "{}",
        server.banner
    );
    let url = server.url("/api/v1/partners/acme/messages");
    let client = reqwest::Client::new();
    let body = order_850(401, "PO-401");
    let send = |token: Option<&str>| {
        let req = client.post(&url).body(body.clone());
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(send(None).await, 401);
    assert_eq!(send(Some("not-the-token")).await, 401);
    let store = env.store().await;
    assert!(
        messages::list(
            &store,
            &messages::Filter {
                limit: 10,
                ..Default::default()
            }
        )
        .await
        .unwrap()
        .is_empty(),
        "a refused request stored nothing"
    );
    assert_eq!(send(Some(&token)).await, 202);
    // Secure by default: a partner with no credential configured takes nothing, and the
    // answer is the same as for a partner that does not exist (issue 17, finding 6).
    let (closed, closed_body) = http(
        server.addr,
        "POST",
        "/api/v1/partners/globex/messages",
        &order_850_from("GLOBEXCORP", 402, "PO-402"),
    );
    let (unknown, unknown_body) = http(
        server.addr,
        "POST",
        "/api/v1/partners/nosuchpartner/messages",
        &order_850_from("GLOBEXCORP", 403, "PO-403"),
    );
    assert_eq!((closed, unknown), (401, 401));
    assert_eq!(
        closed_body.replace("globex", "X"),
        unknown_body.replace("nosuchpartner", "X"),
        "the answer does not tell which partners exist"
    );
    // An explicitly open partner takes anyone.
    let (status, _) = http(
        server.addr,
        "POST",
        "/api/v1/partners/eurofoods/messages",
        b"UNB+UNOA:2+X+Y+261126:1200+1'UNZ+0+1'",
    );
    assert_eq!(status, 202);
}

/// PO numbers that differ only in punctuation are different orders: each is delivered to a
/// file of its own (issue 17: `COLL/1`, `COLL_1`, `COLL 1`, `.COLL_1` and `COLL?1` were all
/// marked delivered into one file).
async fn po_numbers_differing_only_in_punctuation_are_different_orders(db: Db) {
    let env = TestEnv::new(db).await;
    let server = env.serve();
    let store = env.store().await;
    let pos = ["COLL/1", "COLL_1", "COLL 1", ".COLL_1", "COLL?1"];
    let mut ids = Vec::new();
    for (n, po) in pos.iter().enumerate() {
        let (s, b) = http(
            server.addr,
            "POST",
            "/api/v1/partners/acme/messages",
            &order_850(880 + n as u32, po),
        );
        assert_eq!(s, 202, "{b}");
        ids.push(
            serde_json::from_str::<serde_json::Value>(&b).unwrap()["message_id"]
                .as_i64()
                .unwrap(),
        );
    }
    for id in ids {
        assert_eq!(settled(&store, id).await.state, MessageState::Delivered);
    }
    let dir = env.path().join("data/delivered/acme");
    let mut found: Vec<String> = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        let order: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        found.push(order["client_order_ref"].as_str().unwrap().to_owned());
    }
    found.sort();
    let mut want: Vec<String> = pos.iter().map(|p| (*p).to_owned()).collect();
    want.sort();
    assert_eq!(found, want, "one file per PO in {}", dir.display());
}

/// Issue 17, finding 8: two `/cxml` bodies of 300,000 attributes each (3.3 MB; they took
/// over a minute each and held both async threads) are answered with the attribute limit,
/// and `/healthz` answers while they are in flight.
async fn big_cxml_bodies_are_refused_at_the_attribute_limit_and_healthz_answers(db: Db) {
    use std::io::{Read, Write};
    let env = TestEnv::new(db).await;
    let server = env.serve();
    let addr = server.addr;
    // From a known sender with its secret (larger requests are authenticated from their
    // Header first), the attributes on its Request.
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/xml/cxml_order.xml"
    ))
    .unwrap();
    let mut attributes = String::new();
    for i in 0..300_000 {
        attributes.push_str(&format!(" a{i}=\"v\""));
    }
    let body = fixture.replacen("<Request", &format!("<Request{attributes}"), 1);
    let body = std::sync::Arc::new(body.into_bytes());

    // Act: two clients send their whole body, then wait for the answer.
    let (sent_tx, sent_rx) = std::sync::mpsc::channel();
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let (body, sent) = (body.clone(), sent_tx.clone());
            std::thread::spawn(move || {
                let mut s = std::net::TcpStream::connect(addr).expect("connect");
                s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
                let head = format!(
                    "POST /cxml HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                s.write_all(head.as_bytes()).unwrap();
                s.write_all(&body).unwrap();
                sent.send(()).unwrap();
                let mut resp = Vec::new();
                let _ = s.read_to_end(&mut resp);
                String::from_utf8_lossy(&resp).into_owned()
            })
        })
        .collect();
    for _ in 0..2 {
        sent_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("bodies sent");
    }
    // /healthz, asked again and again for three seconds while the bodies are read and parsed.
    let health = || {
        let asked = std::time::Instant::now();
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        (
            asked.elapsed(),
            String::from_utf8_lossy(&answer).into_owned(),
        )
    };
    let window = std::time::Instant::now();
    while window.elapsed() < Duration::from_secs(3) {
        let (took, answer) = health();
        // Assert: a generous bound; before, /healthz waited for the parses (8.7 s for two
        // 0.65 MB bodies).
        assert!(
            answer.starts_with("HTTP/1.1 200") && took < Duration::from_secs(2),
            "/healthz took {took:?}: {answer:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for c in clients {
        let resp = c.join().unwrap();
        assert!(
            resp.contains("more than 256 attributes"),
            "{}",
            &resp[..resp.len().min(2_000)]
        );
    }
}

on_both_backends!(
    finding_5_an_unknown_cxml_senders_body_is_kept_as_a_bounded_sample,
    big_cxml_bodies_are_refused_at_the_attribute_limit_and_healthz_answers,
    profile_edits_reload_and_a_bad_edit_keeps_the_good_profile,
    cxml_order_request_is_answered_stored_and_delivered,
    edifact_order_is_delivered_and_answered_with_a_contrl,
    globex_gets_a_999_and_a_ta1_in_its_own_delimiters,
    bad_850_is_rejected_with_the_997_codes_the_partner_expects,
    ingest_then_serve_delivers_order_and_sends_997,
    resent_interchange_is_not_posted_twice,
    same_po_in_a_new_interchange_is_delivered_once,
    unknown_sender_is_quarantined_then_released_by_replay,
    replay_of_a_delivered_message_repeats_nothing_visible,
    commands_report_bad_input_precisely,
    the_partner_api_wants_the_partners_token_when_it_has_one,
    po_numbers_differing_only_in_punctuation_are_different_orders,
);
