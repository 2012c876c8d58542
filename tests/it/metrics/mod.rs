//! `GET /metrics` as Prometheus reads it: closed without an API token unless `[http]
//! metrics_open` says so (and off with `[http] metrics = false`), and its families moving by
//! exactly what went through — N orders posted on the partner API, delivered, their 997s
//! sent — with the queue back to empty. Files moved (SFTP server, FTP collection and
//! delivery) in `files.rs`; gauges of state (overdue acknowledgements, certificates, the Odoo
//! breaker) in `gauges.rs`; business-event delivery (attempts by outcome, each subscriber's
//! backlog and dead letters) in `events.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::kit::{Db, Endpoint, TestEnv, add_token, http, order_850, wait_for};
use wharf::store::messages;
use wharf::store::{MessageId, MessageState};

mod events;
mod files;
mod gauges;

const PATIENCE: Duration = Duration::from_secs(30);

/// One sample of the text exposition: metric name, labels, value.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A scrape, parsed: the samples, and the families its `# TYPE` lines declare.
#[derive(Debug, Default)]
struct Scrape {
    samples: Vec<Sample>,
    types: BTreeMap<String, String>,
}

impl Scrape {
    /// Reads the text exposition (Prometheus 0.0.4 or OpenMetrics): `# TYPE name kind` lines,
    /// other comments skipped, and `name{a="b",…} value` samples; label values may escape
    /// `\"`, `\\` and `\n`.
    fn parse(text: &str) -> Self {
        let mut scrape = Scrape::default();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
                scrape.types.insert(name.to_owned(), kind.to_owned());
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let (name, rest) = match line.find(['{', ' ']) {
                Some(i) => line.split_at(i),
                None => panic!("a sample without a value: {line}"),
            };
            let mut labels = BTreeMap::new();
            let mut rest = rest;
            if let Some(inner) = rest.strip_prefix('{') {
                let mut chars = inner.char_indices().peekable();
                let mut end = None;
                loop {
                    // name="value" pairs separated by commas, closed by `}`.
                    while chars.peek().is_some_and(|(_, c)| *c == ',' || *c == ' ') {
                        chars.next();
                    }
                    match chars.peek() {
                        Some((i, '}')) => {
                            end = Some(*i);
                            break;
                        }
                        None => break,
                        _ => {}
                    }
                    let mut key = String::new();
                    for (_, c) in chars.by_ref() {
                        if c == '=' {
                            break;
                        }
                        key.push(c);
                    }
                    assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line}");
                    let mut value = String::new();
                    while let Some((_, c)) = chars.next() {
                        match c {
                            '"' => break,
                            '\\' => match chars.next().map(|(_, c)| c) {
                                Some('n') => value.push('\n'),
                                Some(other) => value.push(other),
                                None => panic!("a label value cut after `\\`: {line}"),
                            },
                            c => value.push(c),
                        }
                    }
                    labels.insert(key, value);
                }
                let end = end.unwrap_or_else(|| panic!("labels not closed: {line}"));
                rest = &inner[end + 1..];
            }
            // The value, then an optional timestamp or exemplar we do not need.
            let value = rest
                .split_whitespace()
                .next()
                .unwrap_or_else(|| panic!("no value: {line}"));
            let value = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                v => v.parse().unwrap_or_else(|e| panic!("`{v}` in {line}: {e}")),
            };
            scrape.samples.push(Sample {
                name: name.to_owned(),
                labels,
                value,
            });
        }
        scrape
    }

    /// The sum of the samples named `name` whose labels include every pair of `with`.
    fn sum(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                with.iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }
}

/// `GET /metrics` with `token` (or none): the status, the content type and the body.
async fn get_metrics(server: &Endpoint, token: Option<&str>) -> (u16, String, String) {
    let req = reqwest::Client::new().get(server.url("/metrics"));
    let req = match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    };
    let resp = req.send().await.expect("GET /metrics");
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, resp.text().await.expect("the body"))
}

async fn scrape(server: &Endpoint, token: &str) -> Scrape {
    let (status, kind, body) = get_metrics(server, Some(token)).await;
    assert_eq!(status, 200, "{body}");
    assert!(kind.contains("text"), "{kind}");
    Scrape::parse(&body)
}

const STAGES: [&str; 6] = ["identify", "translate", "map", "deliver", "encode", "send"];

async fn counters_move_by_what_went_through(db: Db) {
    const N: u32 = 3;
    let env = TestEnv::new(db).await;
    let token = add_token(&env, "prometheus", "viewer");
    let server = env.serve();
    let store = env.store().await;

    let before = scrape(&server, &token).await;
    // The stage families and the queue are written before anything happened (at zero); the
    // others once they have a series.
    for (family, kind) in [
        ("wharf_stage_duration_seconds", "histogram"),
        ("wharf_dead_letters", "counter"),
        ("wharf_retries", "counter"),
        ("wharf_jobs_waiting", "gauge"),
        ("wharf_oldest_job_age_seconds", "gauge"),
    ] {
        assert_eq!(
            before.types.get(family).map(String::as_str),
            Some(kind),
            "{family} in {:?}",
            before.types
        );
    }
    assert_eq!(
        before.sum(
            "wharf_stage_duration_seconds_count",
            &[("stage", "send"), ("outcome", "dead")]
        ),
        0.0
    );

    let mut ids = Vec::new();
    let mut bytes = 0usize;
    for i in 0..N {
        let body = order_850(700 + i, &format!("PO-M{i}"));
        bytes += body.len();
        let (status, answer) = http(server.addr, "POST", "/api/v1/partners/acme/messages", &body);
        assert_eq!(status, 202, "{answer}");
        let id = serde_json::from_str::<serde_json::Value>(&answer).unwrap()["message_id"]
            .as_i64()
            .map(MessageId::new)
            .expect("a message id");
        ids.push(id);
    }
    // Delivered, and each one's 997 sent.
    for id in &ids {
        wait_for(
            PATIENCE,
            &format!("message {id} delivered, its 997 sent"),
            || {
                let store = store.clone();
                let id = *id;
                async move {
                    let m = messages::get(&store, id).await.ok()?;
                    let related = messages::related(&store, id).await.ok()?;
                    (m.state == MessageState::Delivered
                        && !related.is_empty()
                        && related.iter().all(|r| r.state == MessageState::Sent))
                    .then_some(())
                }
            },
        )
        .await;
    }
    // A stage's metrics are recorded just after its commit: wait until the last of them is
    // in, then hold each family to exactly N (more would be counting twice).
    let delta = |after: &Scrape, name: &str, with: &[(&str, &str)]| {
        after.sum(name, with) - before.sum(name, with)
    };
    let n = f64::from(N);
    let after = wait_for(PATIENCE, "every stage's run recorded", || {
        let (server, token) = (&server, &token);
        let before = &before;
        async move {
            let after = scrape(server, token).await;
            let all_in = STAGES.iter().all(|stage| {
                after.sum("wharf_stage_duration_seconds_count", &[("stage", stage)])
                    - before.sum("wharf_stage_duration_seconds_count", &[("stage", stage)])
                    >= n
            }) && after.sum("wharf_jobs_waiting", &[]) == 0.0;
            all_in.then_some(after)
        }
    })
    .await;

    // Every family is written now, with the kind Prometheus expects.
    for (family, kind) in [
        ("wharf_messages_received", "counter"),
        ("wharf_received_bytes", "counter"),
        ("wharf_messages_sent", "counter"),
        ("wharf_sent_bytes", "counter"),
        ("wharf_stage_duration_seconds", "histogram"),
        ("wharf_dead_letters", "counter"),
        ("wharf_retries", "counter"),
        ("wharf_end_to_end_seconds", "histogram"),
        ("wharf_jobs_waiting", "gauge"),
        ("wharf_oldest_job_age_seconds", "gauge"),
    ] {
        assert_eq!(
            after.types.get(family).map(String::as_str),
            Some(kind),
            "{family} in {:?}",
            after.types
        );
    }

    let acme_api = [("partner", "acme"), ("channel", "api")];
    assert_eq!(delta(&after, "wharf_messages_received_total", &[]), n);
    assert_eq!(delta(&after, "wharf_messages_received_total", &acme_api), n);
    assert_eq!(
        delta(&after, "wharf_received_bytes_total", &acme_api),
        bytes as f64
    );
    // The 997s: one a message, sent to ACME on its channel.
    assert_eq!(delta(&after, "wharf_messages_sent_total", &[]), n);
    assert_eq!(
        delta(&after, "wharf_messages_sent_total", &[("partner", "acme")]),
        n
    );
    assert!(delta(&after, "wharf_sent_bytes_total", &[("partner", "acme")]) > 0.0);
    for stage in STAGES {
        let ok = [("stage", stage), ("outcome", "ok")];
        assert_eq!(
            delta(&after, "wharf_stage_duration_seconds_count", &ok),
            n,
            "{stage}"
        );
        // Every run ended well: nothing retried, nothing buried.
        assert_eq!(
            delta(
                &after,
                "wharf_stage_duration_seconds_count",
                &[("stage", stage)]
            ),
            n,
            "{stage}"
        );
        // The largest bucket holds every observation.
        assert_eq!(
            delta(
                &after,
                "wharf_stage_duration_seconds_bucket",
                &[("stage", stage), ("outcome", "ok"), ("le", "+Inf")]
            ),
            n,
            "{stage}"
        );
    }
    assert_eq!(delta(&after, "wharf_retries_total", &[]), 0.0);
    assert_eq!(delta(&after, "wharf_dead_letters_total", &[]), 0.0);
    assert_eq!(
        delta(
            &after,
            "wharf_end_to_end_seconds_count",
            &[("partner", "acme")]
        ),
        n
    );
    assert!(
        delta(
            &after,
            "wharf_end_to_end_seconds_sum",
            &[("partner", "acme")]
        ) > 0.0
    );
    assert_eq!(after.sum("wharf_jobs_waiting", &[]), 0.0);
    assert_eq!(after.sum("wharf_oldest_job_age_seconds", &[]), 0.0);
    // Bounded labels: no series names a PO number or a file.
    assert!(
        after
            .samples
            .iter()
            .all(|s| s.labels.values().all(|v| !v.contains("PO-M"))),
        "{:?}",
        after.samples
    );
    server.stop();
}

async fn metrics_want_a_token_unless_opened(db: Db) {
    let env = TestEnv::new(db).await;
    let token = add_token(&env, "prometheus", "viewer");
    let server = env.serve();
    let (status, _, body) = get_metrics(&server, None).await;
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains("wharf_"), "{body}");
    let (status, _, _) = get_metrics(&server, Some("not-a-token")).await;
    assert_eq!(status, 401);
    let (status, _, body) = get_metrics(&server, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("# TYPE wharf_jobs_waiting gauge"), "{body}");
    server.stop();

    // `[http] metrics_open = true`: a scraper inside the network needs no token.
    let mut env = TestEnv::new(db).await;
    env.set_env("WHARF_HTTP__METRICS_OPEN", "true");
    let server = env.serve();
    let (status, _, body) = get_metrics(&server, None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("# TYPE wharf_jobs_waiting gauge"), "{body}");
    server.stop();

    // `[http] metrics = false`: nothing recorded, nothing served, even with a token.
    let mut env = TestEnv::new(db).await;
    let token = add_token(&env, "prometheus", "viewer");
    env.set_env("WHARF_HTTP__METRICS", "false");
    let server = env.serve();
    let (status, _, body) = get_metrics(&server, Some(&token)).await;
    assert_eq!(status, 404, "{body}");
    assert!(!body.contains("wharf_"), "{body}");
    server.stop();
}

#[test]
fn the_parser_reads_labels_escapes_and_infinities() {
    let s = Scrape::parse(
        "# HELP x_total A counter.\n# TYPE x counter\nx_total{a=\"b\\\"c\",le=\"+Inf\"} 4\n\
         x_bucket{le=\"+Inf\"} +Inf\ny 2.5\n# EOF\n",
    );
    assert_eq!(s.types.get("x").map(String::as_str), Some("counter"));
    assert_eq!(s.sum("x_total", &[("a", "b\"c"), ("le", "+Inf")]), 4.0);
    assert_eq!(s.sum("x_bucket", &[]), f64::INFINITY);
    assert_eq!(s.sum("y", &[]), 2.5);
    assert_eq!(s.sum("z", &[]), 0.0);
}

/// The Grafana dashboard in `deploy/grafana/` asks only for families Wharf registers: a
/// renamed family fails here rather than as an empty panel in someone's Grafana.
#[test]
fn the_grafana_dashboard_names_only_registered_families() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dashboard = std::fs::read_to_string(format!("{root}/deploy/grafana/wharf.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    // Families are registered across the files of `src/metrics/`.
    let mut source = String::new();
    for entry in std::fs::read_dir(format!("{root}/src/metrics")).unwrap() {
        source.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    let mut named = BTreeMap::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            let mut rest = expr;
            while let Some(i) = rest.find("wharf_") {
                let tail = &rest[i..];
                let end = tail
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(tail.len());
                let sample = &tail[..end];
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| sample.strip_suffix(s))
                    .unwrap_or(sample);
                let family = family.strip_suffix("_total").unwrap_or(family);
                named.insert(family.to_owned(), panel["title"].to_string());
                rest = &tail[end..];
            }
        }
    }
    assert!(named.len() >= 8, "{named:?}");
    // The state an operator watches has its panel: the breaker, overdue acknowledgements,
    // certificates, the SFTP server and the transfers with partners' servers.
    for family in [
        "wharf_odoo_circuit_state",
        "wharf_acknowledgements_overdue",
        "wharf_certificate_expiry_days",
        "wharf_sftp_sessions_active",
        "wharf_sftp_logins",
        "wharf_sftp_files",
        "wharf_transfers",
        "wharf_transfer_bytes",
        "wharf_event_deliveries",
        "wharf_event_deliveries_undelivered",
        "wharf_event_oldest_undelivered_seconds",
        "wharf_event_dead_letters",
    ] {
        assert!(
            named.contains_key(family),
            "no panel asks for {family}: {named:?}"
        );
    }
    for (family, panel) in &named {
        let registered = format!("\"{}\",", family.trim_start_matches("wharf_"));
        assert!(
            source.contains(&registered),
            "panel {panel} asks for {family}, which src/metrics/ does not register"
        );
    }
}

on_both_backends!(
    counters_move_by_what_went_through,
    metrics_want_a_token_unless_opened,
);
