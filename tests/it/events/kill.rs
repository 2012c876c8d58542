//! The emitting instance killed with SIGKILL while it writes and delivers events, three times:
//! afterwards the webhook and the JetStream consumer hold every committed event, a repeat
//! only ever under the same event id with the same body, and the sequences have no gap.

use super::*;
use crate::kit::{Db, order_850};

async fn sigkill_of_the_emitting_instance_loses_no_event(db: Db) {
    // Arrange: 120 orders stored (240 events to come), a webhook and a stream subscribed.
    let hook = Receiver::start().await;
    let nats = NatsStream::new().await;
    let mut env = TestEnv::new(db).await;
    configure(&mut env, &hook, Some(&nats), 50);
    let files: Vec<String> = (1..=120u32)
        .map(|i| {
            env.file(
                &format!("in/po{i}.edi"),
                &order_850(900 + i, &format!("PO-9{i:03}")),
            )
            .display()
            .to_string()
        })
        .collect();
    let mut args = vec!["ingest"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--partner", "acme"]);
    let (code, _, err) = env.run(&args);
    assert_eq!(code, 0, "{err}");
    let store = env.store().await;

    // Act: start and kill without warning, three times, while events are being written
    // and delivered; then let one instance finish.
    let mut kills_mid_delivery = 0;
    for pause in [700u64, 400, 900] {
        let server = env.serve_process();
        tokio::time::sleep(Duration::from_millis(pause)).await;
        server.kill();
        let delivered = hook.received().len();
        let written = committed(&store).await.len();
        if delivered < 240 || written < 240 {
            kills_mid_delivery += 1;
        }
    }
    let _server = env.serve_process();
    all_settled(&store, 240, Duration::from_secs(120)).await;

    // Assert
    assert!(
        kills_mid_delivery > 0,
        "no kill landed while work was pending; the test proved nothing"
    );
    let events = committed(&store).await;
    assert_eq!(
        events.len(),
        240,
        "one received and one order.created per order"
    );
    assert_gap_free(&events);
    let got = hook.received();
    let ids: BTreeSet<i64> = got.iter().map(|r| r.event_id).collect();
    assert_eq!(
        ids,
        events.keys().copied().collect::<BTreeSet<_>>(),
        "the webhook holds every committed event"
    );
    for r in &got {
        assert_eq!(
            r.body,
            events[&r.event_id].json(),
            "a repeat is the same event"
        );
    }
    let stream = nats.consume().await;
    let mut on_stream: BTreeMap<i64, usize> = BTreeMap::new();
    for (_, payload) in &stream {
        let v: serde_json::Value = serde_json::from_str(payload).unwrap();
        let id = v["id"].as_i64().unwrap();
        assert_eq!(payload, &events[&id].json());
        *on_stream.entry(id).or_default() += 1;
    }
    assert_eq!(
        on_stream.keys().copied().collect::<BTreeSet<_>>(),
        events.keys().copied().collect::<BTreeSet<_>>(),
        "the stream holds every committed event"
    );
    eprintln!(
        "kills mid-delivery: {kills_mid_delivery}; webhook repeats: {}; stream repeats: {}",
        got.len() - ids.len(),
        stream.len() - on_stream.len()
    );
}

on_both_backends!(sigkill_of_the_emitting_instance_loses_no_event);
