//! Retention (`[events] retain_days`): delivered events past it are pruned by `wharf serve`
//! (every instance, at start and hourly) and `wharf events prune`, their deliveries with
//! them; an old event with a dead or pending delivery, and every recent one, stays. A replay
//! from a pruned sequence number is refused with what is gone and what remains; sequences
//! go on after a prune without reusing a number, and a periodic check's condition is not told
//! again once its event is pruned.

use super::*;
use crate::kit::{Db, add_token, order_850};
use serde_json::json;
use wharf::model::BusinessEventKind;
use wharf::store::now_ms;
use wharf::store::outbox::NewBusinessEvent;
use wharf::store::outbox_upkeep;

const PATIENCE: Duration = Duration::from_secs(60);
const DAY_MS: i64 = 86_400_000;

async fn exec(store: &Store, sql: &'static str, a: i64, id: i64) {
    sqlx::query(sql)
        .bind(a)
        .bind(id)
        .execute(store.pool())
        .await
        .unwrap();
}

/// `wharf_events_pruned_total` on one instance's `/metrics`.
async fn pruned_counter(server: &crate::kit::Endpoint, token: &str) -> f64 {
    let text = reqwest::Client::new()
        .get(server.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("wharf_events_pruned_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no wharf_events_pruned_total in {text}"))
}

async fn old_delivered_events_are_pruned_and_the_rest_kept(db: Db) {
    // Arrange: three orders' six events delivered to the webhook.
    let hook = Receiver::start().await;
    let mut env = TestEnv::new(db).await;
    configure(&mut env, &hook, None, 15);
    let token = add_token(&env, "prometheus", "viewer");
    for i in 1..=3u32 {
        env.ingest_for(
            "acme",
            &format!("po{i}.edi"),
            &order_850(960 + i, &format!("PO-R{i}")),
        );
    }
    let first = env.serve();
    let store = env.store().await;
    all_settled(&store, 6, PATIENCE).await;
    first.stop();
    let by_seq: BTreeMap<i64, i64> = committed(&store)
        .await
        .values()
        .map(|e| (e.sequence, e.id))
        .collect();
    assert_eq!(
        by_seq.keys().copied().collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    // Sequences 1-4 written 40 days ago (retention 30 by default); of those, 2's delivery
    // still pending (due tomorrow) and 3's a dead letter.
    for seq in 1..=4 {
        let at = now_ms() - 40 * DAY_MS;
        exec(
            &store,
            "UPDATE business_events SET at = $1 WHERE id = $2",
            at,
            by_seq[&seq],
        )
        .await;
    }
    exec(
        &store,
        "UPDATE event_deliveries SET delivered_at = NULL, next_at = $1 WHERE event_id = $2",
        now_ms() + DAY_MS,
        by_seq[&2],
    )
    .await;
    exec(
        &store,
        "UPDATE event_deliveries SET delivered_at = NULL, dead_at = $1 WHERE event_id = $2",
        now_ms(),
        by_seq[&3],
    )
    .await;

    // Act: a dry run first.
    let (code, out, err) = env.run(&["events", "prune", "--dry-run"]);

    // Assert: it counts, and deletes nothing.
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("2 events would be pruned"), "{out}");
    assert!(out.contains("retain_days = 30"), "{out}");
    assert!(
        out.contains("; older but kept for a dead or pending delivery: 2"),
        "{out}"
    );
    assert_eq!(committed(&store).await.len(), 6);

    // Act: Wharf starts (two instances on PostgreSQL), pruning at start.
    let a = env.serve();
    let b = (db == Db::Postgres).then(|| env.serve());
    wait_for(PATIENCE, "the prune counted", || async {
        let mut n = pruned_counter(&a, &token).await;
        if let Some(b) = &b {
            n += pruned_counter(b, &token).await;
        }
        (n == 2.0).then_some(())
    })
    .await;

    // Assert: 1 and 4 gone with their deliveries; 2 (pending), 3 (dead), 5 and 6 (recent)
    // kept; the sequence row untouched.
    let left: Vec<i64> = committed(&store)
        .await
        .values()
        .map(|e| e.sequence)
        .collect();
    assert_eq!(left, vec![2, 3, 5, 6]);
    let orphans = sqlx::query("SELECT COUNT(*) FROM event_deliveries WHERE event_id IN ($1, $2)")
        .bind(by_seq[&1])
        .bind(by_seq[&4])
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(sqlx::Row::try_get::<i64, _>(&orphans, 0).unwrap(), 0);
    assert_eq!(
        sqlx_count(
            &store,
            "SELECT last FROM event_sequences WHERE partner = 'acme'"
        )
        .await,
        6
    );
    assert_eq!(outbox::dead_letters(&store, 10).await.unwrap().len(), 1);
    // A second prune finds nothing more: deletes are idempotent.
    let (code, out, err) = env.run(&["events", "prune"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("0 events pruned"), "{out}");
    assert!(
        out.contains("; older but kept for a dead or pending delivery: 2"),
        "{out}"
    );

    // Act + Assert: a replay reaching back into the pruned numbers is refused, saying which.
    let (code, out, err) = env.run(&[
        "events",
        "replay",
        "--partner",
        "acme",
        "--from-sequence",
        "1",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("acme's events 1, 4 were pruned"), "{err}");
    assert!(err.contains("retain_days = 30"), "{err}");
    assert!(err.contains("what remains is 2-3, 5-6"), "{err}");
    assert!(
        err.contains("nothing is missing from sequence 5 on"),
        "{err}"
    );
    let (code, out, err) = env.run(&[
        "events",
        "replay",
        "--partner",
        "acme",
        "--from-sequence",
        "5",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("2 deliveries queued for bi"), "{out}");
    // Listing shows what remains and says what is gone.
    let (code, out, err) = env.run(&[
        "events",
        "list",
        "--partner",
        "acme",
        "--from-sequence",
        "1",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 4, "{out}");
    assert!(err.contains("acme's events 1, 4 were pruned"), "{err}");

    // Act: another order after the prune.
    env.ingest_for("acme", "po4.edi", &order_850(964, "PO-R4"));

    // Assert: its events take 7 and 8; no number is given out twice.
    let seqs = wait_for(PATIENCE, "the new order's events", || async {
        let s: Vec<i64> = committed(&store)
            .await
            .values()
            .map(|e| e.sequence)
            .collect();
        (s.len() >= 6).then_some(s)
    })
    .await;
    assert_eq!(seqs, vec![2, 3, 5, 6, 7, 8]);
    a.stop();
    if let Some(b) = b {
        b.stop();
    }
}

async fn a_pruned_checks_condition_is_not_told_again(db: Db) {
    // Arrange: no subscribers; an ack.overdue-like condition told once.
    let env = TestEnv::new(db).await;
    let store = env.store().await;
    let told = |key: &'static str| NewBusinessEvent {
        kind: BusinessEventKind::AckOverdue,
        partner: Some("acme"),
        message_id: None,
        data: json!({ "test": key }),
        dedup_key: Some(key.to_owned()),
    };
    let first = outbox::emit_alone(&store, &told("test:overdue:1"))
        .await
        .unwrap();
    assert_eq!(first.map(|e| e.sequence), Some(1));

    // Act: pruned — as a subscriber would see it, it is waiting for a fan-out, so kept; with
    // nobody subscribed it is waiting for no one, and goes.
    let future = now_ms() + 1;
    let kept = outbox_upkeep::prune(&store, future, false).await.unwrap();
    assert_eq!((kept.events, kept.held), (0, 1));
    let gone = outbox_upkeep::prune(&store, future, true).await.unwrap();
    assert_eq!((gone.events, gone.held), (1, 0));

    // Assert: the same condition is not told again; a new one takes the next number.
    assert_eq!(
        outbox::emit_alone(&store, &told("test:overdue:1"))
            .await
            .unwrap(),
        None
    );
    let next = outbox::emit_alone(&store, &told("test:overdue:2"))
        .await
        .unwrap();
    assert_eq!(next.map(|e| e.sequence), Some(2));
    let c = outbox_upkeep::missing_sequences(&store, "acme", 1)
        .await
        .unwrap();
    assert_eq!(
        (c.last, c.missing, c.stored),
        (2, vec![(1, 1)], vec![(2, 2)])
    );
    let c = outbox_upkeep::missing_sequences(&store, "acme", 2)
        .await
        .unwrap();
    assert!(c.missing.is_empty(), "{c:?}");
}

on_both_backends!(
    old_delivered_events_are_pruned_and_the_rest_kept,
    a_pruned_checks_condition_is_not_told_again,
);
