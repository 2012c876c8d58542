//! The business events page over HTTP: a viewer sees subscribers, dead deliveries and the
//! latest events but no button; an operator redelivers a dead delivery and replays a
//! partner's events from a sequence number, both audited; a viewer's post is refused.

use super::*;
use crate::events::{Receiver, all_settled, configure};
use std::sync::atomic::Ordering;

async fn operators_redeliver_and_replay_events(db: Db) {
    // Arrange: a webhook that refuses everything, one attempt allowed: both events of one
    // order die.
    let hook = Receiver::start().await;
    hook.status.store(503, Ordering::SeqCst);
    let mut env = TestEnv::new(db).await;
    configure(&mut env, &hook, None, 1);
    add_user(&env, "vera", "viewer");
    add_user(&env, "otto", "operator");
    env.ingest_for("acme", "po.edi", &order_850_from("ACME", 451, "PO-451"));
    let server = env.serve();
    let store = env.store().await;
    all_settled(&store, 2, Duration::from_secs(30)).await;

    // A viewer sees the dead deliveries and the events, and no button.
    let vera = signed_in(&server, "vera").await;
    let page = vera.get("/admin/events").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("answered 503"), "{}", page.body);
    assert!(page.body.contains("order.created"), "{}", page.body);
    assert!(!page.body.contains("Redeliver"), "{}", page.body);
    assert!(
        page.body.contains("Delivered events are kept 30 days"),
        "{}",
        page.body
    );
    let csrf = vera.csrf().await;
    let refused = vera
        .post(
            "/admin/events/replay",
            &[("csrf", &csrf), ("partner", "acme"), ("from_sequence", "1")],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    // Act: the receiver is fixed; the operator redelivers one dead delivery.
    hook.status.store(200, Ordering::SeqCst);
    let otto = signed_in(&server, "otto").await;
    let page = otto.get("/admin/events").await;
    assert_eq!(
        page.body.matches(">Redeliver</button>").count(),
        2,
        "{}",
        page.body
    );
    let at = page.body.find("name=\"delivery\" value=\"").unwrap() + 23;
    let delivery = page.body[at..at + page.body[at..].find('"').unwrap()].to_owned();
    let csrf = otto.csrf().await;
    let r = otto
        .post(
            "/admin/events/redeliver",
            &[("csrf", &csrf), ("delivery", &delivery)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    wait_for(Duration::from_secs(30), "the redelivery", || async {
        (hook.received().len() == 1).then_some(())
    })
    .await;

    // Act: replay acme's events from sequence 1.
    let r = otto
        .post(
            "/admin/events/replay",
            &[("csrf", &csrf), ("partner", "acme"), ("from_sequence", "1")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        r.location.contains("2%20deliveries%20queued"),
        "{}",
        r.location
    );
    wait_for(Duration::from_secs(30), "the replay", || async {
        (hook.received().len() == 3).then_some(())
    })
    .await;

    // Assert: both events arrived through the replay; the audit log names otto twice.
    let ids: std::collections::BTreeSet<i64> = hook.received().iter().map(|r| r.event_id).collect();
    assert_eq!(ids.len(), 2);
    let audit = wharf::store::admin::audit_log(&store, 50).await.unwrap();
    let mine: Vec<&str> = audit
        .iter()
        .filter(|a| a.actor == "otto")
        .map(|a| a.action.as_str())
        .collect();
    assert!(
        mine.contains(&"events.redeliver") && mine.contains(&"events.replay"),
        "{audit:?}"
    );
    // A bad replay is refused with its reason.
    let r = otto
        .post(
            "/admin/events/replay",
            &[("csrf", &csrf), ("from_sequence", "1")],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("belongs to a partner"), "{}", r.body);

    // Act: both events 40 days old and pruned — the one whose first delivery is still a
    // dead letter is kept, the other goes.
    all_settled(&store, 2, Duration::from_secs(30)).await;
    sqlx::query("UPDATE business_events SET at = $1")
        .bind(wharf::store::now_ms() - 40 * 86_400_000)
        .execute(store.pool())
        .await
        .unwrap();
    let (code, out, err) = env.run(&["events", "prune"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("1 event pruned"), "{out}");

    // Assert: a replay from sequence 1 is refused, saying what was pruned and what remains.
    let r = otto
        .post(
            "/admin/events/replay",
            &[("csrf", &csrf), ("partner", "acme"), ("from_sequence", "1")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("were pruned"), "{}", r.body);
    assert!(r.body.contains("what remains is"), "{}", r.body);
    server.stop();
}

on_both_backends!(operators_redeliver_and_replay_events);
