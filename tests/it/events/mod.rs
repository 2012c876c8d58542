//! Business events from the outside: a webhook receiver (an HTTP server in the test, checking
//! every signature with the `openssl` CLI as a receiver's own code would) and a real NATS
//! JetStream consumer on 127.0.0.1:4222 receive exactly the events committed in the store;
//! none missing after a SIGKILL of the emitting instance, repeats only under the same event
//! id; a replay from a sequence delivers the same events again; a receiver that keeps
//! failing ends in dead letters, redelivered by the operator; delivered events past their
//! retention are pruned, and a replay into what was pruned is refused saying so.

mod delivery;
mod kill;
mod retention;
mod watch;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream;
use futures_util::StreamExt;
use wharf::store::Store;
use wharf::store::outbox::{self, BusinessEvent, Selection};

use crate::kit::{TestEnv, wait_for};

/// The signing secret of the test's webhook.
pub const SECRET: &str = "test-webhook-secret-0123456789";

/// One POST the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub event_id: i64,
    pub signature: String,
    /// The `traceparent` header ("" when absent).
    pub traceparent: String,
    pub body: String,
}

/// A webhook receiver: records every POST, answers with the status it is set to.
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
    pub status: Arc<AtomicU16>,
}

impl Receiver {
    pub async fn start() -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(200));
        let (g, s) = (got.clone(), status.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let (g, s) = (g.clone(), s.clone());
                async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let code = s.load(Ordering::SeqCst);
                    if code == 200 {
                        g.lock().unwrap().push(Received {
                            event_id: header("wharf-event-id").parse().unwrap_or(-1),
                            signature: header("wharf-signature"),
                            traceparent: header("traceparent"),
                            body,
                        });
                    }
                    axum::http::StatusCode::from_u16(code).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, got, status }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// A JetStream stream and subject prefix of the test's own, so tests running side by side
/// on one NATS server never see each other's events; removed when dropped.
pub struct NatsStream {
    pub prefix: String,
    pub stream: String,
    js: jetstream::Context,
}

pub const NATS_URL: &str = "nats://127.0.0.1:4222";

impl NatsStream {
    /// The test command starts a NATS server with JetStream when none runs; without one
    /// this test fails, saying so, rather than passing.
    pub async fn new() -> Self {
        let client = async_nats::connect(NATS_URL).await.unwrap_or_else(|e| {
            panic!("NATS with JetStream must run on 127.0.0.1:4222 (scripts/test starts one): {e}")
        });
        let tag = uuid::Uuid::new_v4().simple().to_string();
        Self {
            prefix: format!("wharftest.t{}", &tag[..12]),
            stream: format!("WHARF_TEST_{}", &tag[..12]),
            js: jetstream::new(client),
        }
    }

    /// The messages not yet read, through a real durable pull consumer, acknowledged:
    /// (subject, payload) in stream order.
    pub async fn consume(&self) -> Vec<(String, String)> {
        let Ok(stream) = self.js.get_stream(&self.stream).await else {
            return Vec::new();
        };
        // Durable: each call reads on from where the last one acknowledged.
        let consumer: jetstream::consumer::PullConsumer = stream
            .get_or_create_consumer(
                "test",
                jetstream::consumer::pull::Config {
                    durable_name: Some("test".into()),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    ..Default::default()
                },
            )
            .await
            .expect("a JetStream consumer");
        let mut out = Vec::new();
        loop {
            let mut batch = consumer
                .fetch()
                .max_messages(500)
                .expires(Duration::from_millis(500))
                .messages()
                .await
                .expect("fetch");
            let mut n = 0;
            while let Some(m) = batch.next().await {
                let m = m.expect("a message");
                out.push((
                    m.subject.to_string(),
                    String::from_utf8_lossy(&m.payload).into_owned(),
                ));
                m.ack().await.expect("ack");
                n += 1;
            }
            if n == 0 {
                return out;
            }
        }
    }
}

impl Drop for NatsStream {
    fn drop(&mut self) {
        let (js, name) = (self.js.clone(), self.stream.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = js.delete_stream(&name).await;
            });
        }
    }
}

/// Writes the test's `wharf.toml`: the webhook at `hook` and, when given, the NATS stream;
/// quick dispatch and retries.
pub fn configure(env: &mut TestEnv, hook: &Receiver, nats: Option<&NatsStream>, attempts: u32) {
    let mut toml = format!(
        "[events]\ndispatch_ms = 100\nretry_base_ms = 100\nretry_max_ms = 400\nmax_attempts = {attempts}\ntimeout_ms = 1000\nwatch_ms = 200\n\n\
         [[events.webhooks]]\nname = \"bi\"\nurl = \"{}\"\nsecret_env = \"TEST_HOOK_SECRET\"\n",
        hook.url
    );
    if let Some(n) = nats {
        toml.push_str(&format!(
            "\n[events.nats]\nurl = \"{NATS_URL}\"\nsubject_prefix = \"{}\"\nstream = \"{}\"\n",
            n.prefix, n.stream
        ));
    }
    env.file("wharf.toml", toml.as_bytes());
    env.set_env("TEST_HOOK_SECRET", SECRET);
}

/// Every event in the store, by id.
pub async fn committed(store: &Store) -> BTreeMap<i64, BusinessEvent> {
    outbox::list(
        store,
        &Selection {
            limit: 1_000_000,
            ..Selection::default()
        },
    )
    .await
    .unwrap()
    .into_iter()
    .map(|e| (e.id, e))
    .collect()
}

/// Waits until `count` events are written, every one fanned out and every delivery settled
/// (delivered or dead).
pub async fn all_settled(store: &Store, count: usize, patience: Duration) {
    wait_for(patience, &format!("{count} events written"), || async {
        (committed(store).await.len() >= count).then_some(())
    })
    .await;
    wait_for(patience, "every event delivered", || async {
        let counts = outbox::counts(store).await.ok()?;
        let waiting: i64 = counts.iter().map(|c| c.1).sum();
        let unfanned = sqlx_count(
            store,
            "SELECT COUNT(*) FROM business_events WHERE fanned_out = 0",
        )
        .await;
        (waiting == 0 && unfanned == 0 && !counts.is_empty()).then_some(())
    })
    .await
}

pub async fn sqlx_count(store: &Store, sql: &'static str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

/// The signature checked as a receiver would, with the `openssl` CLI (not Wharf's code):
/// `v1` is HMAC-SHA256 of `<t>.<body>` under the secret.
pub fn assert_signed(r: &Received) {
    let (t, v1) = r
        .signature
        .strip_prefix("t=")
        .and_then(|s| s.split_once(",v1="))
        .unwrap_or_else(|| panic!("signature header `{}`", r.signature));
    let out = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-hmac", SECRET, "-r"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(format!("{t}.{}", r.body).as_bytes())?;
            c.wait_with_output()
        })
        .expect("openssl dgst");
    let expected = String::from_utf8_lossy(&out.stdout);
    let expected = expected.split_whitespace().next().unwrap_or_default();
    assert_eq!(v1, expected, "signature of event {}", r.event_id);
}

/// Each partner's sequence numbers are 1, 2, 3, … without a gap.
pub fn assert_gap_free(events: &BTreeMap<i64, BusinessEvent>) {
    let mut by_partner: BTreeMap<Option<String>, BTreeSet<i64>> = BTreeMap::new();
    for e in events.values() {
        assert!(
            by_partner
                .entry(e.partner.clone())
                .or_default()
                .insert(e.sequence),
            "sequence {} of {:?} used twice",
            e.sequence,
            e.partner
        );
    }
    for (partner, seqs) in by_partner {
        let want: BTreeSet<i64> = (1..=seqs.len() as i64).collect();
        assert_eq!(seqs, want, "{partner:?}'s sequence has a gap");
    }
}

/// Every event valid against `deploy/events.schema.json`, checked by Python's `jsonschema`
/// (Draft 2020-12, formats checked): the documented contract, judged by a validator that is
/// not Wharf's. scripts/test installs it.
pub fn assert_schema_valid<'a>(events: impl IntoIterator<Item = &'a BusinessEvent>) {
    let lines: Vec<String> = events.into_iter().map(BusinessEvent::json).collect();
    assert!(!lines.is_empty(), "no event to check");
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/events.schema.json");
    let check = r#"
import json, sys
from jsonschema import Draft202012Validator, FormatChecker
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema, format_checker=FormatChecker())
bad = 0
for line in sys.stdin:
    for e in v.iter_errors(json.loads(line)):
        bad += 1
        print(line.strip()[:300], "->", e.message[:300])
sys.exit(1 if bad else 0)
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", check])
        .arg(&schema)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(lines.join("\n").as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("No module named 'jsonschema'"),
        "Python's jsonschema is needed (scripts/test installs it): {err}"
    );
    assert!(
        out.status.success(),
        "events not valid against deploy/events.schema.json:\n{}{err}",
        String::from_utf8_lossy(&out.stdout)
    );
}
