//! Nothing lost, nothing twice: the worker is killed with SIGKILL at random points while
//! hundreds of jobs are in flight, and two instances share one PostgreSQL queue. The kill
//! points come from a seeded RNG: a failure prints the seed, and `WHARF_TEST_SEED=<seed>`
//! replays the same kill delays (the machine's timing still varies around them).

use std::collections::BTreeSet;
use std::time::Duration;

use crate::kit::{Db, TestEnv, order_850, wait_for};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wharf::store::messages::{self, Filter};
use wharf::store::{Direction, EventKind, JobState, MessageId, MessageState, Store, events, jobs};

/// Submits `n` distinct purchase orders (their own ISA13 and PO number) in one `wharf ingest`.
fn ingest_orders(env: &TestEnv, n: u32) -> Vec<MessageId> {
    let files: Vec<String> = (1..=n)
        .map(|i| {
            env.file(
                &format!("in/po{i}.edi"),
                &order_850(1000 + i, &format!("PO-{i}")),
            )
            .display()
            .to_string()
        })
        .collect();
    let mut args = vec!["ingest"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--partner", "acme"]);
    let (code, out, err) = env.run(&args);
    assert_eq!(code, 0, "{err}");
    let ids: Vec<MessageId> = out
        .lines()
        .map(|l| l.split('\t').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len(), n as usize);
    ids
}

/// The seed of this run's kill points: `WHARF_TEST_SEED` when set (to replay a failure),
/// else a fresh one.
fn seed() -> u64 {
    match std::env::var("WHARF_TEST_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("WHARF_TEST_SEED is not a number: {text:?}")),
        Err(_) => rand::rng().random(),
    }
}

/// Prints the seed if the test fails (panics) while this is alive.
struct SeedOnFailure(u64);

impl Drop for SeedOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "durability test failed; replay with WHARF_TEST_SEED={}",
                self.0
            );
        }
    }
}

async fn finished(store: &Store) -> usize {
    let all = messages::list(
        store,
        &Filter {
            limit: 100_000,
            ..Filter::default()
        },
    )
    .await
    .unwrap();
    all.iter().filter(|m| m.state.is_final()).count()
}

async fn wait_until_all_final(store: &Store, expected: usize) {
    wait_for(
        Duration::from_secs(120),
        "every message in a final state",
        || async {
            let active = jobs::count_by_state(store).await.ok()?;
            let busy = active
                .iter()
                .any(|(s, n)| matches!(s, JobState::Ready | JobState::Running) && *n > 0);
            (!busy && finished(store).await == expected).then_some(())
        },
    )
    .await;
}

/// Every inbound order delivered once with one 997 sent once; every stage committed once.
async fn assert_exactly_once(
    env: &TestEnv,
    store: &Store,
    inbound: &[MessageId],
) -> BTreeSet<String> {
    let mut instances = BTreeSet::new();
    let mut ack_controls = BTreeSet::new();
    for &id in inbound {
        let m = messages::get(store, id).await.unwrap();
        assert_eq!(
            m.state,
            MessageState::Delivered,
            "message {id}: {:?}",
            m.error
        );
        let history = events::for_message(store, id).await.unwrap();
        for kind in [
            EventKind::Received,
            EventKind::Identified,
            EventKind::Translated,
            EventKind::Mapped,
            EventKind::Delivered,
        ] {
            let n = history.iter().filter(|e| e.kind == kind).count();
            assert_eq!(n, 1, "message {id} has {n} `{kind}` events: {history:#?}");
        }
        assert!(
            !history
                .iter()
                .any(|e| e.kind == EventKind::AlreadyDelivered)
        );
        instances.extend(
            history
                .iter()
                .filter(|e| e.stage.is_some())
                .filter_map(|e| e.instance.clone()),
        );

        let acks = messages::related(store, id).await.unwrap();
        assert_eq!(
            acks.len(),
            1,
            "message {id} must have exactly one 997: {acks:?}"
        );
        let ack = &acks[0];
        assert_eq!(ack.direction, Direction::Out);
        assert_eq!(ack.state, MessageState::Sent);
        let ack_history = events::for_message(store, ack.id).await.unwrap();
        for kind in [EventKind::Created, EventKind::Encoded, EventKind::Sent] {
            let n = ack_history.iter().filter(|e| e.kind == kind).count();
            assert_eq!(n, 1, "997 {} has {n} `{kind}` events", ack.id);
        }
        assert!(
            ack_controls.insert(ack.control_number.clone().unwrap()),
            "control number reused"
        );
    }
    // What a partner and the ERP see: one 997 file per order, one order file per PO.
    let outbox: Vec<String> = std::fs::read_dir(env.path().join("data/outbox/acme"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(outbox.len(), inbound.len(), "one 997 file per order");
    let delivered: BTreeSet<String> = std::fs::read_dir(env.path().join("data/delivered/acme"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(delivered.len(), inbound.len());
    for i in 1..=inbound.len() {
        assert!(
            delivered.contains(&format!("PO-{i}.json")),
            "PO-{i} missing"
        );
    }
    // Control numbers were handed out without gaps or repeats: 1..=n.
    let numbers: BTreeSet<u64> = ack_controls.iter().map(|c| c.parse().unwrap()).collect();
    assert_eq!(numbers, (1..=inbound.len() as u64).collect());
    let counts = jobs::count_by_state(store).await.unwrap();
    assert!(
        !counts.iter().any(|(s, n)| *s == JobState::Dead && *n > 0),
        "{counts:?}"
    );
    instances
}

async fn sigkill_at_random_points_loses_nothing_and_repeats_nothing(db: Db) {
    // Arrange: 200 orders stored and waiting.
    let env = TestEnv::new(db).await;
    let ids = ingest_orders(&env, 300);
    let store = env.store().await;

    // Act: start the gateway and kill it without warning, five times, at random moments.
    let seed = seed();
    eprintln!("kill points from seed {seed} (WHARF_TEST_SEED={seed} replays them)");
    let _report = SeedOnFailure(seed);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut interrupted = 0;
    for _ in 0..5 {
        let server = env.serve_process();
        tokio::time::sleep(Duration::from_millis(rng.random_range(100..600))).await;
        server.kill();
        if finished(&store).await < ids.len() {
            interrupted += 1;
        }
    }
    let _server = env.serve();
    wait_until_all_final(&store, ids.len() * 2).await;

    // Assert
    assert!(
        interrupted > 0,
        "no kill landed while work was pending; the test proved nothing"
    );
    let reclaimed = jobs_with_retries(&store).await;
    eprintln!(
        "kills that interrupted work: {interrupted}; jobs reclaimed after a kill: {reclaimed}"
    );
    assert_exactly_once(&env, &store, &ids).await;
}

async fn jobs_with_retries(store: &Store) -> usize {
    let mut n = 0;
    for m in messages::list(
        store,
        &Filter {
            limit: 100_000,
            ..Filter::default()
        },
    )
    .await
    .unwrap()
    {
        n += jobs::for_message(store, m.id)
            .await
            .unwrap()
            .iter()
            .filter(|j| j.attempts > 1)
            .count();
    }
    n
}

on_both_backends!(sigkill_at_random_points_loses_nothing_and_repeats_nothing);

/// Two `wharf serve` processes on one PostgreSQL database: both take work, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_postgres_queue() {
    let env = TestEnv::new(Db::Postgres).await;
    let ids = ingest_orders(&env, 150);
    let store = env.store().await;

    let a = env.serve();
    let b = env.serve();
    wait_until_all_final(&store, ids.len() * 2).await;

    let instances = assert_exactly_once(&env, &store, &ids).await;
    assert!(
        instances.contains(&a.instance),
        "instance A did no work: {instances:?}"
    );
    assert!(
        instances.contains(&b.instance),
        "instance B did no work: {instances:?}"
    );
    assert_eq!(instances.len(), 2);
}
