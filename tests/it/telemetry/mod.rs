//! Traces, seen from the outside: `wharf serve` exporting to an OTLP/HTTP receiver of the
//! test's own (`receiver.rs`). A partner's `traceparent` is continued by every stage; a
//! malformed one gets a fresh trace; a stage run by another process (after a restart, on the
//! same PostgreSQL database) joins the trace the message was stored with; with no endpoint
//! nothing is exported and no connection is made, yet the JSON log lines carry the trace id.

mod receiver;

use std::collections::BTreeSet;

use receiver::{Receiver, Span};
use wharf::store::{MessageId, MessageState};

use crate::kit::{Db, Endpoint, TestEnv, order_850, wait_state};

const SENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const SENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const INBOUND_STAGES: [&str; 4] = ["identify", "translate", "map", "deliver"];

/// Exports to `receiver` quickly (the batch waits 100 ms), under `service`.
fn export_to(env: &mut TestEnv, receiver: &Receiver, service: &str) {
    env.set_env(
        "WHARF_TELEMETRY__OTLP_ENDPOINT",
        &format!("http://{}", receiver.addr),
    );
    env.set_env("WHARF_TELEMETRY__SERVICE_NAME", service);
    env.set_env("WHARF_TELEMETRY__BATCH_DELAY_MS", "100");
}

/// Posts an 850 for ACME through the partner API, with `traceparent` when given.
async fn post(server: &Endpoint, isa13: u32, po: &str, traceparent: Option<&str>) -> MessageId {
    let mut req = reqwest::Client::new()
        .post(server.url("/api/v1/partners/acme/messages"))
        .body(order_850(isa13, po));
    if let Some(t) = traceparent {
        req = req.header("traceparent", t);
    }
    let answer = req.send().await.expect("partner API");
    assert_eq!(
        answer.status().as_u16(),
        202,
        "a traceparent never fails a request"
    );
    let body: serde_json::Value = answer.json().await.unwrap();
    MessageId::new(body["message_id"].as_i64().expect("message_id"))
}

/// The spans that name `id` (receive and job spans carry `message_id`).
fn of_message(spans: &[Span], id: MessageId) -> Vec<Span> {
    let id = id.get().to_string();
    spans
        .iter()
        .filter(|s| s.attr("message_id") == Some(id.as_str()))
        .cloned()
        .collect()
}

fn names(spans: &[Span]) -> BTreeSet<&str> {
    spans.iter().map(|s| s.name.as_str()).collect()
}

fn assert_has_inbound_stages(spans: &[Span]) {
    let names = names(spans);
    for stage in INBOUND_STAGES {
        assert!(names.contains(stage), "no `{stage}` span among {names:?}");
    }
}

async fn a_partners_traceparent_is_continued_and_a_malformed_one_replaced(db: Db) {
    // Arrange
    let receiver = Receiver::start("127.0.0.1:0").await.unwrap();
    let mut env = TestEnv::new(db).await;
    export_to(&mut env, &receiver, "wharf-test");
    // Spans are exported whatever level the log lines are kept at.
    env.set_env("WHARF_LOG", "warn");
    let server = env.serve_process();
    let store = env.store().await;

    // Act: one order continuing the partner's trace, one with a header that is not one.
    let traced = post(&server, 901, "PO-TRACED", Some(SENT)).await;
    let malformed = post(
        &server,
        902,
        "PO-MALFORMED",
        Some("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
    )
    .await;
    wait_state(&store, traced, MessageState::Delivered).await;
    wait_state(&store, malformed, MessageState::Delivered).await;
    assert!(server.stop().success(), "SIGTERM flushes and exits cleanly");

    // Assert: every span of the first order is in the partner's trace, the receive span a
    // child of the partner's span and each stage's span a child of the receive span.
    let spans = receiver.spans();
    assert_eq!(
        receiver.refused(),
        0,
        "every export is an ExportTraceServiceRequest"
    );
    let first = of_message(&spans, traced);
    assert_has_inbound_stages(&first);
    assert!(first.iter().all(|s| s.trace_id == SENT_TRACE), "{first:#?}");
    let receive = first
        .iter()
        .find(|s| s.name == "receive")
        .expect("a receive span");
    assert_eq!(receive.parent_span_id, "00f067aa0ba902b7");
    assert_eq!(receive.service, "wharf-test");
    for s in first.iter().filter(|s| s.name != "receive") {
        assert_eq!(s.parent_span_id, receive.span_id, "{s:#?}");
        assert_eq!(s.attr("partner"), Some("acme"), "{s:#?}");
    }
    // The business reference, once the stage that reads it has run.
    let deliver = first.iter().find(|s| s.name == "deliver").unwrap();
    assert_eq!(deliver.attr("reference"), Some("PO-TRACED"), "{deliver:#?}");
    assert_eq!(deliver.attr("doc_type"), Some("850"), "{deliver:#?}");
    // The malformed header was ignored: a fresh, valid trace of its own, all stages in it.
    let second = of_message(&spans, malformed);
    assert_has_inbound_stages(&second);
    let fresh = &second[0].trace_id;
    assert_eq!(fresh.len(), 32);
    assert_ne!(fresh, SENT_TRACE);
    assert_ne!(fresh, &"0".repeat(32));
    assert!(second.iter().all(|s| &s.trace_id == fresh), "{second:#?}");
    // Everything exported (the 997s that answer them included) is in one of the two traces.
    for s in &spans {
        assert!(s.trace_id == SENT_TRACE || &s.trace_id == fresh, "{s:#?}");
    }
    assert!(
        second
            .iter()
            .find(|s| s.name == "receive")
            .is_some_and(|r| r.parent_span_id.is_empty()),
        "a new trace starts at the receive span"
    );
}

/// A stage run by another process joins the trace stored with the message: the order is
/// received by one process (`wharf ingest`), its stages run by a `wharf serve`, and after that
/// one's stop it is replayed and run again by a third; every exported span has the stored
/// trace id, across the restart.
async fn stages_on_another_instance_join_the_stored_trace(db: Db) {
    // Arrange
    let receiver = Receiver::start("127.0.0.1:0").await.unwrap();
    let mut env = TestEnv::new(db).await;
    let file = env.file("order.x12", &order_850(903, "PO-FLEET"));
    let (code, out, err) = env.run(&["ingest", "--partner", "acme", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let store = env.store().await;
    let id = crate::kit::messages_of(&store, "acme", wharf::store::Direction::In, None)
        .await
        .first()
        .map(|m| m.id)
        .expect("ingested");
    let stored: String =
        sqlx::query_scalar::<_, Option<String>>("SELECT traceparent FROM messages WHERE id = $1")
            .bind(id.get())
            .fetch_one(store.pool())
            .await
            .unwrap()
            .expect("a trace context is stored with the message");
    let trace = wharf::telemetry::TraceParent::parse(&stored).expect("a valid traceparent");

    // Act: one instance runs the stages, stops; another runs the replay.
    export_to(&mut env, &receiver, "wharf-a");
    let a = env.serve_process();
    wait_state(&store, id, MessageState::Delivered).await;
    assert!(a.stop().success());
    let (code, out, err) = env.run(&["replay", &id.to_string()]);
    assert_eq!(code, 0, "{out}{err}");
    export_to(&mut env, &receiver, "wharf-b");
    let b = env.serve_process();
    crate::kit::wait_for(
        std::time::Duration::from_secs(30),
        "the replay's deliver span",
        || {
            let spans = of_message(&receiver.spans(), id);
            async move {
                spans
                    .iter()
                    .any(|s| s.service == "wharf-b" && s.name == "deliver")
                    .then_some(())
            }
        },
    )
    .await;
    assert!(b.stop().success());

    // Assert
    let spans = of_message(&receiver.spans(), id);
    for service in ["wharf-a", "wharf-b"] {
        let mine: Vec<Span> = spans
            .iter()
            .filter(|s| s.service == service)
            .cloned()
            .collect();
        assert_has_inbound_stages(&mine);
    }
    let parent = hex::encode(trace.parent_id());
    for s in &spans {
        assert_eq!(s.trace_id, trace.trace_id_hex(), "{s:#?}");
        assert_eq!(s.parent_span_id, parent, "{s:#?}");
    }
}

/// No endpoint: no exporter, not even a connection to the default OTLP port (4318, where a
/// wrongly built exporter would go), yet the trace context still reaches the JSON log lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_endpoint_nothing_is_exported_but_log_lines_carry_the_trace_id() {
    // Arrange: a receiver on the default port when it is free, else on any port (then it
    // proves less, but nothing else may fail the test).
    let receiver = match Receiver::start("127.0.0.1:4318").await {
        Ok(r) => r,
        Err(_) => Receiver::start("127.0.0.1:0").await.unwrap(),
    };
    let mut env = TestEnv::new(Db::Sqlite).await;
    env.set_env("WHARF_LOG_FORMAT", "json");
    env.set_env("WHARF_LOG", "info,wharf=debug,sqlx=warn");
    env.set_env("WHARF_TELEMETRY__SERVICE_NAME", "wharf-quiet");
    let server = env.serve_process();
    let store = env.store().await;

    // Act
    let id = post(&server, 904, "PO-QUIET", Some(SENT)).await;
    wait_state(&store, id, MessageState::Delivered).await;
    let log_path = server.log.clone();
    assert!(server.stop().success());

    // Assert
    assert_eq!(receiver.connections(), 0, "no connection to a collector");
    assert!(receiver.spans().is_empty());
    let log = std::fs::read_to_string(log_path).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let about: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["span"]["message_id"] == id.get())
        .collect();
    let received = lines
        .iter()
        .find(|l| l["fields"]["message"] == "received" && l["fields"]["message_id"] == id.get())
        .expect("the received line");
    assert_eq!(received["span"]["trace_id"], SENT_TRACE, "{received}");
    let stages: BTreeSet<&str> = about
        .iter()
        .filter_map(|l| l["span"]["stage"].as_str())
        .collect();
    for stage in INBOUND_STAGES {
        assert!(
            stages.contains(stage),
            "no log line of `{stage}`: {stages:?}\n{log}"
        );
    }
    for l in &about {
        assert_eq!(l["span"]["trace_id"], SENT_TRACE, "{l}");
    }
}

/// Odoo's requests made for a message continue its trace: every call the deliver stage
/// makes carries a `traceparent` with the message's stored trace id (no exporter needed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odoo_calls_made_for_a_message_carry_its_traceparent() {
    // Arrange
    let odoo = crate::kit::odoo::OdooDouble::start(19).await;
    odoo.customer("ACME", &["ACME-0042", "ACME-DC"]);
    odoo.product("WID-1", Some("012345678905"), 11.0);
    odoo.product("WID-2", None, 95.0);
    odoo.uom_of("Case", 12.0);
    let mut env = TestEnv::new(Db::Sqlite).await;
    env.use_odoo(
        &odoo.url(),
        crate::kit::odoo::DB,
        crate::kit::odoo::LOGIN,
        crate::kit::odoo::KEY,
    );
    let server = env.serve();
    let store = env.store().await;

    // Act
    let id = post(&server, 905, "PO-ODOO", Some(SENT)).await;
    wait_state(&store, id, MessageState::Delivered).await;
    server.stop();

    // Assert
    let seen = odoo.with(|w| w.traceparents.clone());
    assert!(
        !seen.is_empty(),
        "the deliver stage's calls carry a traceparent"
    );
    for t in &seen {
        let t = wharf::telemetry::TraceParent::parse(t).expect("a valid traceparent");
        assert_eq!(t.trace_id_hex(), SENT_TRACE);
    }
}

on_both_backends!(
    a_partners_traceparent_is_continued_and_a_malformed_one_replaced,
    stages_on_another_instance_join_the_stored_trace,
);
