//! `/metrics` for business-event delivery: the counter of attempts by subscriber and outcome
//! moves by exactly what the webhook receiver saw (or refused), and the gauges read from the
//! store — undelivered per subscriber, the oldest one's age, dead letters — follow a receiver
//! that is up, down, or down for good.

use std::sync::atomic::Ordering;

use super::*;
use crate::events::{Receiver, configure, sqlx_count};

const DELIVERED: &str = "wharf_event_deliveries_total";

fn deliveries(s: &Scrape, outcome: &str) -> f64 {
    s.sum(DELIVERED, &[("sink", "bi"), ("outcome", outcome)])
}

fn gauge(s: &Scrape, name: &str) -> f64 {
    s.sum(name, &[("sink", "bi")])
}

/// Posts an order on acme's partner API.
fn post_order(server: &Endpoint, isa13: u32) {
    let body = order_850(isa13, &format!("PO-E{isa13}"));
    let (status, answer) = http(server.addr, "POST", "/api/v1/partners/acme/messages", &body);
    assert_eq!(status, 202, "{answer}");
}

async fn delivered_events_are_counted_and_the_backlog_drains(db: Db) {
    // Arrange: a webhook that takes everything.
    const ORDERS: u32 = 3;
    let hook = Receiver::start().await;
    let mut env = TestEnv::new(db).await;
    configure(&mut env, &hook, None, 15);
    let token = add_token(&env, "prometheus", "viewer");
    let server = env.serve();
    let before = scrape(&server, &token).await;
    // The subscriber's series exist before its first delivery, each outcome at zero.
    assert_eq!(
        before
            .types
            .get("wharf_event_deliveries")
            .map(String::as_str),
        Some("counter")
    );
    for outcome in ["delivered", "failed", "dead"] {
        assert!(
            before.samples.iter().any(|s| s.name == DELIVERED
                && s.labels.get("sink").map(String::as_str) == Some("bi")
                && s.labels.get("outcome").map(String::as_str) == Some(outcome)),
            "{outcome}: {:?}",
            before.samples
        );
    }
    let received_before = hook.received().len();

    // Act: orders in; each makes a message.received and an order.created.
    for i in 0..ORDERS {
        post_order(&server, 900 + i);
    }
    let want = received_before + 2 * ORDERS as usize;
    wait_for(PATIENCE, "every event at the receiver", || async {
        (hook.received().len() >= want).then_some(())
    })
    .await;
    let after = wait_for(PATIENCE, "the deliveries counted, none waiting", || {
        let (server, token, before) = (&server, &token, &before);
        async move {
            let s = scrape(server, token).await;
            let moved = deliveries(&s, "delivered") - deliveries(before, "delivered");
            (moved >= (want - received_before) as f64
                && gauge(&s, "wharf_event_deliveries_undelivered") == 0.0)
                .then_some(s)
        }
    })
    .await;

    // Assert: the counter moved by exactly what the receiver got, nothing failed, and the
    // gauges are back at zero.
    let got = hook.received().len() - received_before;
    assert_eq!(got, 2 * ORDERS as usize);
    assert_eq!(
        deliveries(&after, "delivered") - deliveries(&before, "delivered"),
        got as f64
    );
    assert_eq!(deliveries(&after, "failed"), deliveries(&before, "failed"));
    assert_eq!(deliveries(&after, "dead"), deliveries(&before, "dead"));
    for (family, kind) in [
        ("wharf_event_deliveries_undelivered", "gauge"),
        ("wharf_event_oldest_undelivered_seconds", "gauge"),
        ("wharf_event_dead_letters", "gauge"),
        ("wharf_events_pruned", "counter"),
    ] {
        assert_eq!(
            after.types.get(family).map(String::as_str),
            Some(kind),
            "{family}"
        );
    }
    assert_eq!(gauge(&after, "wharf_event_deliveries_undelivered"), 0.0);
    assert_eq!(gauge(&after, "wharf_event_oldest_undelivered_seconds"), 0.0);
    assert_eq!(gauge(&after, "wharf_event_dead_letters"), 0.0);
    server.stop();
}

async fn a_receiver_down_shows_its_backlog_then_catches_up(db: Db) {
    // Arrange: a receiver answering 500, attempts to spare (none dies however slow the
    // machine).
    let hook = Receiver::start().await;
    hook.status.store(500, Ordering::SeqCst);
    let mut env = TestEnv::new(db).await;
    configure(&mut env, &hook, None, 1_000);
    let token = add_token(&env, "prometheus", "viewer");
    let server = env.serve();
    let store = env.store().await;
    let before = scrape(&server, &token).await;

    // Act: one order (two events) while the receiver is down.
    post_order(&server, 950);

    // Assert: both wait, the oldest for a measurable time.
    let down = wait_for(PATIENCE, "two deliveries waiting, the oldest aged", || {
        let (server, token, before) = (&server, &token, &before);
        async move {
            let s = scrape(server, token).await;
            (gauge(&s, "wharf_event_deliveries_undelivered") == 2.0
                && gauge(&s, "wharf_event_oldest_undelivered_seconds") > 0.0
                && deliveries(&s, "failed") > deliveries(before, "failed"))
            .then_some(s)
        }
    })
    .await;
    assert_eq!(gauge(&down, "wharf_event_dead_letters"), 0.0);
    assert_eq!(
        deliveries(&down, "delivered"),
        deliveries(&before, "delivered")
    );

    // Act: the receiver is back.
    hook.status.store(200, Ordering::SeqCst);
    let after = wait_for(PATIENCE, "both delivered", || {
        let (server, token, before) = (&server, &token, &before);
        async move {
            let s = scrape(server, token).await;
            (deliveries(&s, "delivered") - deliveries(before, "delivered") == 2.0
                && gauge(&s, "wharf_event_deliveries_undelivered") == 0.0)
                .then_some(s)
        }
    })
    .await;

    // Assert: every refused attempt counted once as failed — the store's attempts, less the
    // one that succeeded per delivery — and the gauges at zero.
    let attempts = sqlx_count(
        &store,
        "SELECT CAST(SUM(attempts) AS BIGINT) FROM event_deliveries",
    )
    .await;
    assert_eq!(
        deliveries(&after, "failed") - deliveries(&before, "failed"),
        (attempts - 2) as f64
    );
    assert_eq!(hook.received().len(), 2);
    assert_eq!(deliveries(&after, "dead"), deliveries(&before, "dead"));
    assert_eq!(gauge(&after, "wharf_event_oldest_undelivered_seconds"), 0.0);
    assert_eq!(gauge(&after, "wharf_event_dead_letters"), 0.0);
    server.stop();
}

async fn a_receiver_down_for_good_fills_dead_letters(db: Db) {
    // Arrange: a receiver answering 500; two attempts allowed.
    let hook = Receiver::start().await;
    hook.status.store(500, Ordering::SeqCst);
    let mut env = TestEnv::new(db).await;
    configure(&mut env, &hook, None, 2);
    let token = add_token(&env, "prometheus", "viewer");
    let server = env.serve();
    let before = scrape(&server, &token).await;

    // Act: one order, two events.
    post_order(&server, 960);
    let after = wait_for(PATIENCE, "two dead letters", || {
        let (server, token, before) = (&server, &token, &before);
        async move {
            let s = scrape(server, token).await;
            (gauge(&s, "wharf_event_dead_letters") == 2.0
                && deliveries(&s, "dead") - deliveries(before, "dead") == 2.0)
                .then_some(s)
        }
    })
    .await;

    // Assert: per delivery one failed attempt, then the dead one; nothing waits.
    assert_eq!(
        deliveries(&after, "failed") - deliveries(&before, "failed"),
        2.0
    );
    assert_eq!(
        deliveries(&after, "delivered"),
        deliveries(&before, "delivered")
    );
    assert_eq!(gauge(&after, "wharf_event_deliveries_undelivered"), 0.0);

    // Act: the receiver is fixed; the operator redelivers one dead letter.
    hook.status.store(200, Ordering::SeqCst);
    let store = env.store().await;
    let dead = wharf::store::outbox::dead_letters(&store, 10)
        .await
        .unwrap();
    let (code, _, err) = env.run(&["events", "redeliver", &dead[0].delivery_id.to_string()]);
    assert_eq!(code, 0, "{err}");

    // Assert: one dead letter left, one more delivered.
    wait_for(PATIENCE, "the redelivery counted", || {
        let (server, token, before) = (&server, &token, &before);
        async move {
            let s = scrape(server, token).await;
            (gauge(&s, "wharf_event_dead_letters") == 1.0
                && deliveries(&s, "delivered") - deliveries(before, "delivered") == 1.0)
                .then_some(())
        }
    })
    .await;
    assert_eq!(hook.received().len(), 1);
    server.stop();
}

on_both_backends!(
    delivered_events_are_counted_and_the_backlog_drains,
    a_receiver_down_shows_its_backlog_then_catches_up,
    a_receiver_down_for_good_fills_dead_letters,
);
