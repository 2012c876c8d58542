//! The pipeline driven step by step through the library: retries with backoff, dead letters,
//! replay out of dead letters, and a worker that lost its lease. On both backends.

use std::sync::Arc;
use std::time::Duration;

use crate::kit::{Db, TestEnv, order_850};
use wharf::partners::Partners;
use wharf::pipeline::Pipeline;
use wharf::pipeline::worker::{Execution, Worker};
use wharf::store::messages::{self, Inbound};
use wharf::store::{Channel, EventKind, JobState, MessageState, Stage, events, jobs};

async fn pipeline(env: &TestEnv) -> Pipeline {
    let settings = env.settings();
    let (partners, problems) = Partners::load(&settings.partners_dir);
    assert!(problems.is_empty(), "{problems:?}");
    wharf::app::ports::pipeline(env.store().await, Arc::new(settings), Arc::new(partners))
}

/// Runs due jobs until `done` holds, waiting out backoff delays.
async fn drive(worker: &Worker, mut done: impl AsyncFnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done().await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "pipeline did not settle"
        );
        if worker.try_execute_job().await.unwrap() == Execution::Empty {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn failing_send_is_retried_then_dead_lettered_then_replayed(db: Db) {
    // Arrange: the outbox path is a file, so writing the 997 fails every time.
    let mut env = TestEnv::new(db).await;
    env.set_env("WHARF_PIPELINE__MAX_ATTEMPTS", "3");
    std::fs::create_dir_all(env.path().join("data")).unwrap();
    std::fs::write(env.path().join("data/outbox"), b"not a folder").unwrap();
    let p = pipeline(&env).await;
    let worker = Worker::new(p.clone());
    let id = p
        .receive(&Inbound {
            channel: Channel::Cli,
            partner: Some("acme"),
            filename: None,
            raw: &order_850(5, "PO-5"),
            trace: None,
        })
        .await
        .unwrap();

    // Act
    let store = p.store.clone();
    drive(&worker, async || {
        let acks = messages::related(&store, id).await.unwrap();
        acks.first()
            .is_some_and(|a| a.state == MessageState::Failed)
    })
    .await;

    // Assert: three attempts, two retries scheduled with their reason, then dead letters.
    let ack = messages::related(&store, id).await.unwrap().remove(0);
    assert!(
        ack.error.as_deref().unwrap().contains("outbox"),
        "{:?}",
        ack.error
    );
    let ack_jobs = jobs::for_message(&store, ack.id).await.unwrap();
    let send = ack_jobs.iter().find(|j| j.stage == Stage::Send).unwrap();
    assert_eq!((send.state, send.attempts), (JobState::Dead, 3));
    let history = events::for_message(&store, ack.id).await.unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|e| e.kind == EventKind::RetryScheduled)
            .count(),
        2
    );
    assert_eq!(
        history
            .iter()
            .filter(|e| e.kind == EventKind::DeadLettered)
            .count(),
        1
    );
    assert_eq!(jobs::dead(&store, 10).await.unwrap().len(), 1);
    // The order itself was unaffected.
    assert_eq!(
        messages::get(&store, id).await.unwrap().state,
        MessageState::Delivered
    );

    // The operator fixes the disk and replays the dead letter: the same bytes go out.
    std::fs::remove_file(env.path().join("data/outbox")).unwrap();
    assert_eq!(p.replay(ack.id).await.unwrap(), Stage::Send);
    drive(&worker, async || {
        messages::get(&store, ack.id).await.unwrap().state == MessageState::Sent
    })
    .await;
    let sent = std::fs::read(
        env.path()
            .join("data/outbox/acme")
            .join(ack.filename.as_deref().unwrap()),
    )
    .unwrap();
    assert_eq!(sent, messages::raw(&store, ack.id).await.unwrap());
}

async fn a_worker_that_lost_its_lease_cannot_commit(db: Db) {
    let env = TestEnv::new(db).await;
    let p = pipeline(&env).await;
    let id = p
        .receive(&Inbound {
            channel: Channel::Cli,
            partner: Some("acme"),
            filename: None,
            raw: &order_850(6, "PO-6"),
            trace: None,
        })
        .await
        .unwrap();

    // Worker A claims with a very short lease and stalls; worker B reclaims the job.
    let a = jobs::claim(&p.store, "worker-a", Duration::from_millis(1))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let b = jobs::claim(&p.store, "worker-b", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((a.id, a.message_id), (b.id, id));
    assert_eq!(b.attempts, 2);
    assert!(
        jobs::claim(&p.store, "worker-c", Duration::from_secs(60))
            .await
            .unwrap()
            .is_none(),
        "B's lease holds"
    );

    // A wakes up and tries to commit: refused. B commits.
    let mut tx = p.store.begin().await.unwrap();
    assert!(!jobs::complete(&mut tx, &a, "worker-a").await.unwrap());
    tx.rollback().await.unwrap();
    let mut tx = p.store.begin().await.unwrap();
    assert!(jobs::complete(&mut tx, &b, "worker-b").await.unwrap());
    tx.commit().await.unwrap();
    let j = jobs::for_message(&p.store, id).await.unwrap();
    assert_eq!(j[0].state, JobState::Done);
}

async fn control_numbers_are_sequential_per_scope_and_roll_back(db: Db) {
    use wharf::store::registry::next_control_number;
    let env = TestEnv::new(db).await;
    let store = env.store().await;
    let mut tx = store.begin().await.unwrap();
    assert_eq!(next_control_number(&mut tx, "s1").await.unwrap(), 1);
    assert_eq!(next_control_number(&mut tx, "s1").await.unwrap(), 2);
    assert_eq!(next_control_number(&mut tx, "s2").await.unwrap(), 1);
    tx.commit().await.unwrap();
    // A rolled-back transaction gives its number back.
    let mut tx = store.begin().await.unwrap();
    assert_eq!(next_control_number(&mut tx, "s1").await.unwrap(), 3);
    tx.rollback().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(next_control_number(&mut tx, "s1").await.unwrap(), 3);
    tx.commit().await.unwrap();
}

/// Issue 17, finding 10: one partner's backlog of 2,000 due jobs must not hold up another
/// partner's order. Counted in jobs run before the order is delivered, not in time: with
/// one queue in arrival order the order waited behind every one of them.
async fn a_partners_backlog_does_not_starve_another_partners_order(db: Db) {
    // Arrange: 2,000 queued messages from "flood" (cheap: each is quarantined at identify),
    // written in one transaction; then one order from acme.
    let env = TestEnv::new(db).await;
    let p = pipeline(&env).await;
    let worker = Worker::new(p.clone());
    let mut tx = p.store.begin().await.unwrap();
    for _ in 0..2_000 {
        let id = messages::insert_inbound(
            &mut tx,
            &Inbound {
                channel: Channel::Cli,
                partner: Some("flood"),
                filename: None,
                raw: b"not an interchange",
                trace: None,
            },
            &wharf::telemetry::TraceParent::fresh(),
        )
        .await
        .unwrap();
        jobs::enqueue(&mut tx, id, Stage::Identify, 3)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let order = p
        .receive(&Inbound {
            channel: Channel::Cli,
            partner: Some("acme"),
            filename: None,
            raw: &order_850(7, "PO-FAIR"),
            trace: None,
        })
        .await
        .unwrap();

    // Act: run jobs one at a time until the order is delivered (at most 200 jobs, so the
    // unfair queue fails quickly instead of draining all 2,000).
    let mut ran = 0;
    while messages::get(&p.store, order).await.unwrap().state != MessageState::Delivered {
        assert!(ran < 200, "the order was not delivered after {ran} jobs");
        assert_eq!(
            worker.try_execute_job().await.unwrap(),
            Execution::Done,
            "the queue ran dry before the order was delivered"
        );
        ran += 1;
    }

    // Assert: acme's own jobs (its order's and its acknowledgement's) plus at most one of
    // flood's per turn.
    let mut acme_jobs = jobs::for_message(&p.store, order).await.unwrap();
    for m in messages::related(&p.store, order).await.unwrap() {
        acme_jobs.extend(jobs::for_message(&p.store, m.id).await.unwrap());
    }
    let acme_done = acme_jobs
        .iter()
        .filter(|j| j.state == JobState::Done)
        .count();
    let flood_done = ran - acme_done;
    assert!(
        flood_done <= acme_done + 1,
        "{flood_done} of flood's jobs ran before acme's order ({acme_done} jobs) was delivered"
    );
}

/// The same AS2 Message-ID stored twice (two copies racing past the early lookup): the store
/// names the outcome (`Duplicate`), the second copy leaves nothing behind, and the first stands.
async fn a_message_id_stored_twice_is_a_named_duplicate(db: Db) {
    // Arrange
    let env = TestEnv::new(db).await;
    let p = pipeline(&env).await;
    let raw = order_850(7, "PO-7");
    let inbound = Inbound {
        channel: Channel::As2,
        partner: Some("acme"),
        filename: None,
        raw: &raw,
        trace: None,
    };
    let as2 = wharf::store::as2::NewAs2 {
        partner: "acme",
        direction: wharf::store::Direction::In,
        as2_message_id: "<race@acme>",
        mic: Some("abc"),
        mic_alg: Some("sha-256"),
        mdn: None,
    };

    // Act
    let first = p.receive_as2(&inbound, &as2).await.unwrap();
    let second = p.receive_as2(&inbound, &as2).await;

    // Assert
    match second {
        Err(wharf::store::StoreError::Duplicate { what, .. }) => {
            assert_eq!(what, "the AS2 Message-ID")
        }
        other => panic!("a second store of the same Message-ID answered {other:?}"),
    }
    let records = wharf::store::as2::for_message(&p.store, first)
        .await
        .unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    let listed = messages::list(&p.store, &Default::default()).await.unwrap();
    assert_eq!(
        listed.len(),
        1,
        "the second copy left a message behind: {listed:?}"
    );
    assert!(
        p.store.write_failure().is_none(),
        "a duplicate is not a storage fault"
    );
}

on_both_backends!(
    a_message_id_stored_twice_is_a_named_duplicate,
    a_partners_backlog_does_not_starve_another_partners_order,
    failing_send_is_retried_then_dead_lettered_then_replayed,
    a_worker_that_lost_its_lease_cannot_commit,
    control_numbers_are_sequential_per_scope_and_roll_back,
);
