//! Events reach a webhook (signed) and a NATS JetStream consumer exactly as committed, in
//! gap-free per-partner sequences; a replay from a sequence delivers the same events again;
//! a receiver that keeps failing ends in dead letters and is redelivered by the operator.

use super::*;
use crate::kit::{Db, order_850};
use wharf::model::BusinessEventKind;

const PATIENCE: Duration = Duration::from_secs(60);

async fn events_reach_a_webhook_and_nats_exactly_as_committed(db: Db) {
    // Arrange: ten orders stored, a webhook and a JetStream stream subscribed.
    let hook = Receiver::start().await;
    let nats = NatsStream::new().await;
    let mut env = TestEnv::new(db).await;
    configure(&mut env, &hook, Some(&nats), 15);
    for i in 1..=10u32 {
        env.ingest_for(
            "acme",
            &format!("po{i}.edi"),
            &order_850(700 + i, &format!("PO-7{i:02}")),
        );
    }

    // Act
    let app = env.serve();
    let store = env.store().await;
    all_settled(&store, 20, PATIENCE).await;

    // Assert: the store holds a received and an order.created per order, acme's sequence
    // 1..=20 without a gap.
    let events = committed(&store).await;
    let kinds = |k: BusinessEventKind| events.values().filter(|e| e.kind == k).count();
    assert_eq!(kinds(BusinessEventKind::MessageReceived), 10, "{events:?}");
    assert_eq!(kinds(BusinessEventKind::OrderCreated), 10, "{events:?}");
    assert_gap_free(&events);
    assert_schema_valid(events.values());
    let created = events
        .values()
        .find(|e| e.kind == BusinessEventKind::OrderCreated)
        .unwrap();
    assert!(
        created.data["po_number"]
            .as_str()
            .unwrap()
            .starts_with("PO-7"),
        "{created:?}"
    );

    // The webhook got each committed event, body for body, each signature good.
    let got = hook.received();
    let by_id: BTreeMap<i64, &Received> = got.iter().map(|r| (r.event_id, r)).collect();
    assert_eq!(
        by_id.keys().copied().collect::<BTreeSet<_>>(),
        events.keys().copied().collect::<BTreeSet<_>>(),
        "the webhook got exactly the committed events"
    );
    for r in &got {
        assert_eq!(r.body, events[&r.event_id].json(), "event {}", r.event_id);
        assert_signed(r);
        // Each event continues its message's trace: the header is the stored context, the
        // envelope's trace_id its trace id.
        let e = &events[&r.event_id];
        let stored: Option<String> =
            sqlx::query_scalar("SELECT traceparent FROM messages WHERE id = $1")
                .bind(e.message_id.expect("every event here is a message's").get())
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(
            Some(r.traceparent.as_str()),
            stored.as_deref(),
            "event {}",
            r.event_id
        );
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            body["trace_id"].as_str(),
            r.traceparent.get(3..35),
            "{}",
            r.body
        );
    }

    // The JetStream consumer got each one once, under its partner's and type's subject.
    let stream = nats.consume().await;
    assert_eq!(stream.len(), events.len(), "{stream:?}");
    for (subject, payload) in &stream {
        let v: serde_json::Value = serde_json::from_str(payload).unwrap();
        let e = &events[&v["id"].as_i64().unwrap()];
        assert_eq!(payload, &e.json());
        assert_eq!(
            subject,
            &format!("{}.acme.{}", nats.prefix, e.kind.as_str()),
            "{payload}"
        );
    }

    // Act: replay acme's events from sequence 15 on.
    let (code, out, err) = env.run(&[
        "events",
        "replay",
        "--partner",
        "acme",
        "--from-sequence",
        "15",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("12 deliveries queued for bi, nats"),
        "{out}"
    );
    all_settled(&store, 20, PATIENCE).await;

    // Assert: the same six events again, with the same ids and bodies, on both.
    let replayed: Vec<i64> = events
        .values()
        .filter(|e| e.sequence >= 15)
        .map(|e| e.id)
        .collect();
    assert_eq!(replayed.len(), 6);
    let again = hook.received();
    assert_eq!(again.len(), got.len() + 6);
    for r in &again[got.len()..] {
        assert!(replayed.contains(&r.event_id), "{r:?}");
        assert_eq!(r.body, events[&r.event_id].json());
    }
    let stream_again = nats.consume().await;
    assert_eq!(
        stream_again.len(),
        6,
        "a new consumer reads the replay too: {stream_again:?}"
    );
    app.stop();
}

async fn a_failing_webhook_ends_in_dead_letters_and_is_redelivered(db: Db) {
    // Arrange: a receiver that answers 500; two attempts allowed.
    let hook = Receiver::start().await;
    hook.status.store(500, Ordering::SeqCst);
    let mut env = TestEnv::new(db).await;
    configure(&mut env, &hook, None, 2);
    env.ingest_for("acme", "po.edi", &order_850(801, "PO-801"));

    // Act
    let app = env.serve();
    let store = env.store().await;
    all_settled(&store, 2, PATIENCE).await;

    // Assert: both events dead after two attempts, with the receiver's answer kept.
    let dead = outbox::dead_letters(&store, 10).await.unwrap();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert!(dead.iter().all(|d| d.attempts == 2 && d.sink == "bi"));
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("answered 500"),
        "{dead:?}"
    );
    let (code, out, _) = env.run(&["events", "dead"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("order.created") && out.contains("answered 500"),
        "{out}"
    );
    assert!(hook.received().is_empty());

    // Act: the receiver is fixed; the operator redelivers one.
    hook.status.store(200, Ordering::SeqCst);
    let id = dead[0].delivery_id.to_string();
    let (code, out, err) = env.run(&["events", "redeliver", &id]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("queued again"), "{out}");
    wait_for(PATIENCE, "the redelivery", || async {
        (hook.received().len() == 1).then_some(())
    })
    .await;

    // Assert: delivered once; a second redeliver of it is refused.
    assert_eq!(hook.received()[0].event_id, dead[0].event.id);
    assert_signed(&hook.received()[0]);
    let (code, _, err) = env.run(&["events", "redeliver", &id]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a dead letter"), "{err}");
    app.stop();
}

/// The schema documents every event type Wharf has, and nothing else.
#[test]
fn the_schema_names_every_event_type() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/events.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let documented: BTreeSet<&str> = schema["properties"]["type"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let known: BTreeSet<&str> = BusinessEventKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(documented, known);
    let text = schema.to_string();
    for k in &known {
        assert!(text.contains(&format!("\"{k}\"")), "{k}");
    }
}

/// Garbage from a known partner is rejected, and told as `message.failed` with the reason.
async fn a_rejected_message_is_told_as_failed(db: Db) {
    let hook = Receiver::start().await;
    let mut env = TestEnv::new(db).await;
    configure(&mut env, &hook, None, 15);
    let id = env.ingest_for("acme", "junk.edi", b"this is not EDI at all");
    let app = env.serve();
    let store = env.store().await;
    all_settled(&store, 2, PATIENCE).await;
    let events = committed(&store).await;
    let failed: Vec<_> = events
        .values()
        .filter(|e| e.kind == BusinessEventKind::MessageFailed)
        .collect();
    assert_eq!(failed.len(), 1, "{events:?}");
    assert_eq!(failed[0].message_id, Some(id));
    assert_eq!(failed[0].data["state"], "rejected");
    assert_eq!(failed[0].data["direction"], "in");
    assert!(!failed[0].data["reason"].as_str().unwrap().is_empty());
    assert_schema_valid(events.values());
    assert_eq!(hook.received().len(), 2);
    app.stop();
}

on_both_backends!(
    events_reach_a_webhook_and_nats_exactly_as_committed,
    a_failing_webhook_ends_in_dead_letters_and_is_redelivered,
    a_rejected_message_is_told_as_failed,
);
