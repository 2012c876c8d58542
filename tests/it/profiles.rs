//! Partner profiles at work through the real binary: several identities per partner,
//! document agreements (outside them: quarantine, then release once the profile is fixed),
//! mapping rules that hold an order until the profile is fixed, and the partner API's limits.
//! On SQLite and PostgreSQL.

use std::time::Duration;

use crate::kit::{Db, TestEnv, http, order_850_from, wait_for};
use wharf::store::messages::{self, Message};
use wharf::store::{EventKind, MessageId, MessageState, Store, events};

const PATIENCE: Duration = Duration::from_secs(30);

async fn final_state(store: &Store, id: MessageId) -> Message {
    wait_for(PATIENCE, &format!("message {id} to settle"), || async {
        let m = messages::get(store, id).await.ok()?;
        let related = messages::related(store, id).await.ok()?;
        (m.state.is_final() && related.iter().all(|r| r.state == MessageState::Sent)).then_some(m)
    })
    .await
}

fn all_messages() -> messages::Filter {
    messages::Filter {
        state: None,
        partner: None,
        direction: None,
        limit: 100,
    }
}

fn edit(env: &TestEnv, partner: &str, from: &str, to: &str) {
    let path = env.path().join(format!("partners/{partner}.toml"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "`{from}` not in {partner}.toml");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn ingest(env: &TestEnv, name: &str, bytes: &[u8]) -> MessageId {
    env.ingest_for("acme", name, bytes)
}

fn delivered(env: &TestEnv, po: &str) -> serde_json::Value {
    serde_json::from_slice(
        &std::fs::read(env.path().join(format!("data/delivered/acme/{po}.json")))
            .expect("order delivered"),
    )
    .unwrap()
}

/// Ingests `bytes` for ACME, serves until the message settles, and returns it held in
/// quarantine with its reason (the server is stopped so the test can edit the profile).
async fn held(env: &TestEnv, store: &Store, name: &str, bytes: &[u8]) -> (MessageId, String) {
    let id = ingest(env, name, bytes);
    let server = env.serve();
    let m = final_state(store, id).await;
    assert_eq!(m.state, MessageState::Quarantined, "{m:?}");
    server.stop();
    (id, m.error.unwrap_or_default())
}

async fn replay_until_delivered(env: &TestEnv, store: &Store, id: MessageId) -> Message {
    let (code, out, err) = env.run(&["replay", &id.to_string()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("identify"), "{out}");
    wait_for(PATIENCE, "released message delivered", || async {
        let m = messages::get(store, id).await.ok()?;
        (m.state == MessageState::Delivered).then_some(m)
    })
    .await
}

/// ACME's second identity (its DUNS, 01/048123456) sends a 5010 850, but ACME's agreement
/// is 850 version 4010: the message is held with the reason, its bytes kept; once the
/// profile agrees to 5010 a replay delivers it.
async fn document_outside_the_agreement_is_quarantined_then_released(db: Db) {
    let env = TestEnv::new(db).await;
    let bytes = String::from_utf8(order_850_from("048123456", 21, "PO-21"))
        .unwrap()
        .replace("*ZZ*048123456      *", "*01*048123456      *")
        .replace("*X*004010~", "*X*005010~")
        .replace("*00401*", "*00501*")
        .into_bytes();
    let store = env.store().await;
    let (id, reason) = held(&env, &store, "acme5010.edi", &bytes).await;
    assert!(
        reason.contains(
            "partner acme: x12 850 version 005010 (inbound) is agreed in another version only"
        ),
        "{reason}"
    );
    assert!(
        reason.contains("x12 850 4010 in"),
        "the agreements are listed: {reason}"
    );
    assert!(
        messages::related(&store, id).await.unwrap().is_empty(),
        "nothing answered while held"
    );
    let (_, raw, _) = env.run(&["messages", "show", &id.to_string(), "--raw"]);
    assert_eq!(raw.as_bytes(), &bytes[..], "raw bytes kept and visible");

    edit(&env, "acme", "version = \"4010\"", "version = \"5010\"");
    let _server = env.serve();
    let m = replay_until_delivered(&env, &store, id).await;
    assert_eq!(
        m.partner.as_deref(),
        Some("acme"),
        "found by its second identity"
    );
    assert_eq!(delivered(&env, "PO-21")["client_order_ref"], "PO-21");
    let m = final_state(&store, id).await;
    assert_eq!(m.state, MessageState::Delivered);
    let acks = messages::related(&store, id).await.unwrap();
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0].doc_type.as_deref(), Some("997"));
}

/// A line whose buyer part ACME's cross-reference table does not know, with no other
/// identifier: item_unresolved rejects, so the order is held (the 997 has gone: the syntax
/// was fine). Adding the part to the table and replaying delivers it, the 997 not resent.
async fn order_breaking_a_rejecting_rule_is_held_until_the_profile_is_fixed(db: Db) {
    let env = TestEnv::new(db).await;
    let bytes = String::from_utf8(order_850_from("ACMERETAIL", 22, "PO-22"))
        .unwrap()
        .replace("BP*ACME-001*VP*WID-1", "BP*ACME-777")
        .into_bytes();
    let store = env.store().await;
    let (id, reason) = held(&env, &store, "acme777.edi", &bytes).await;
    assert!(
        reason.contains(
            "held by partner acme's rules: PO PO-22 line 1: no product: buyer part ACME-777 \
             is not in [mapping.items] [item_unresolved]"
        ),
        "{reason}"
    );
    assert!(!env.path().join("data/delivered/acme/PO-22.json").exists());
    let acks = messages::related(&store, id).await.unwrap();
    assert_eq!(acks.len(), 1, "the 997 went back: {acks:?}");

    edit(
        &env,
        "acme",
        "\"ACME-002\" = \"WID-2\"",
        "\"ACME-002\" = \"WID-2\"\n\"ACME-777\" = \"WID-7\"",
    );
    let _server = env.serve();
    replay_until_delivered(&env, &store, id).await;
    let order = delivered(&env, "PO-22");
    assert_eq!(order["lines"][0]["product"]["kind"], "buyer_part");
    assert_eq!(order["lines"][0]["product"]["value"], "ACME-777");
    assert_eq!(order["lines"][0]["product"]["lookup"], "WID-7");
    assert_eq!(order["ship_to_ref"], "ACME-0042");
    final_state(&store, id).await;
    let acks = messages::related(&store, id).await.unwrap();
    assert_eq!(acks.len(), 1, "no second 997 after the replay: {acks:?}");
    let kinds: Vec<EventKind> = events::for_message(&store, id)
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&EventKind::Quarantined), "{kinds:?}");
    assert!(kinds.contains(&EventKind::Replayed), "{kinds:?}");
}

/// A profile may warn instead: the same order goes through with the breach in its history.
async fn a_warning_rule_lets_the_order_through_with_the_breach_recorded(db: Db) {
    let env = TestEnv::new(db).await;
    edit(
        &env,
        "acme",
        "item_unresolved = \"reject\"",
        "item_unresolved = \"warn\"",
    );
    let bytes = String::from_utf8(order_850_from("ACMERETAIL", 23, "PO-23"))
        .unwrap()
        .replace("BP*ACME-001*VP*WID-1", "BP*ACME-777")
        .into_bytes();
    let id = ingest(&env, "acme777.edi", &bytes);
    let _server = env.serve();
    let store = env.store().await;
    let m = final_state(&store, id).await;
    assert_eq!(m.state, MessageState::Delivered, "{m:?}");
    let order = delivered(&env, "PO-23");
    assert!(order["lines"][0]["product"].is_null(), "{order}");
    let history = events::for_message(&store, id).await.unwrap();
    assert!(
        history.iter().any(|e| e.kind == EventKind::Warning
            && e.detail
                .as_deref()
                .is_some_and(|d| d
                    .contains("buyer part ACME-777 is not in [mapping.items] [item_unresolved]"))),
        "{history:?}"
    );
}

/// The partner API refuses what the profile's [limits] forbid before storing anything.
async fn partner_api_enforces_the_profiles_limits(db: Db) {
    let env = TestEnv::new(db).await;
    edit(
        &env,
        "acme",
        "max_file_bytes = 10485760",
        "max_file_bytes = 2000",
    );
    edit(&env, "acme", "per_minute = 600", "per_minute = 2");
    let server = env.serve();
    let store = env.store().await;
    let post = |body: &[u8]| http(server.addr, "POST", "/api/v1/partners/acme/messages", body);

    let big = vec![b'X'; 2001];
    let (status, body) = post(&big);
    assert_eq!(status, 413, "{body}");
    assert!(
        body.contains("2001 bytes is more than partner `acme` may send at once (2000"),
        "{body}"
    );
    let all = messages::list(&store, &all_messages()).await.unwrap();
    assert!(all.is_empty(), "a refused body is not stored: {all:?}");

    for n in 0..2 {
        let (status, body) = post(&order_850_from("ACMERETAIL", 30 + n, &format!("PO-3{n}")));
        assert_eq!(status, 202, "{body}");
    }
    let (status, body) = post(&order_850_from("ACMERETAIL", 32, "PO-32"));
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("has sent 2 messages this minute"), "{body}");
    // Two stored (their 997s, going out meanwhile, are not counted).
    let inbound = messages::Filter {
        direction: Some(wharf::store::Direction::In),
        ..all_messages()
    };
    assert_eq!(messages::list(&store, &inbound).await.unwrap().len(), 2);
}

/// A supplier's 856 (Pinnacle, collected or dropped) becomes a receipt for the ERP: the
/// shipped quantities by product and package, with the tracking number; once per shipment,
/// however often it is resent. Its 997 goes back.
async fn suppliers_ship_notice_becomes_one_receipt(db: Db) {
    let env = TestEnv::new(db).await;
    let first = env.ingest_for(
        "pinnacle",
        "asn1.edi",
        &crate::kit::pinnacle_856("000000201"),
    );
    let again = env.ingest_for(
        "pinnacle",
        "asn2.edi",
        &crate::kit::pinnacle_856("000000202"),
    );
    let _server = env.serve();
    let store = env.store().await;
    let m = final_state(&store, first).await;
    assert_eq!(m.state, MessageState::Delivered, "{m:?}");
    assert_eq!(m.partner.as_deref(), Some("pinnacle"));
    let receipt: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            env.path()
                .join("data/delivered/pinnacle/receipt-SHIP-9.json"),
        )
        .expect("receipt delivered"),
    )
    .unwrap();
    assert_eq!(receipt["vendor_ref"], "PINNACLE");
    assert_eq!(receipt["tracking_ref"], "BOL-9");
    let line = &receipt["orders"][0]["lines"][0];
    assert_eq!(receipt["orders"][0]["po_number"], "PO-1001");
    assert_eq!(line["product"]["field"], "supplier_code");
    assert_eq!(line["product"]["lookup"], "WID-1");
    assert_eq!(line["quantity"], "10");
    assert_eq!(line["package"], "106141412345678908");
    // The same shipment in a new interchange: acknowledged, not received twice. (Two
    // workers run, so either message may be the one that delivers.)
    final_state(&store, again).await;
    let mut repeats = 0;
    for id in [first, again] {
        let acks = messages::related(&store, id).await.unwrap();
        assert_eq!(acks.len(), 1, "{acks:?}");
        assert_eq!(acks[0].doc_type.as_deref(), Some("997"));
        let history = events::for_message(&store, id).await.unwrap();
        repeats += history
            .iter()
            .filter(|e| e.kind == EventKind::AlreadyDelivered)
            .count();
    }
    assert_eq!(repeats, 1, "one of the two finds the shipment delivered");
    let files = std::fs::read_dir(env.path().join("data/delivered/pinnacle"))
        .unwrap()
        .count();
    assert_eq!(files, 1);
}

on_both_backends!(
    suppliers_ship_notice_becomes_one_receipt,
    document_outside_the_agreement_is_quarantined_then_released,
    order_breaking_a_rejecting_rule_is_held_until_the_profile_is_fixed,
    a_warning_rule_lets_the_order_through_with_the_breach_recorded,
    partner_api_enforces_the_profiles_limits,
);
