//! Readiness from the outside: `/readyz` names each check with its reason, turns 503 when the
//! ERP (the Odoo double) or the database goes away and 200 when they are back, without a
//! restart; `?scope=ingest` stays ready through an ERP outage (documents are stored and wait);
//! `/healthz` only says the process answers.

use std::time::Duration;

use serde_json::Value;

use crate::kit::odoo::{DB, KEY, LOGIN, OdooDouble};
use crate::kit::{Db, TestEnv, http, wait_for};

const PATIENCE: Duration = Duration::from_secs(30);

/// `/readyz`'s status and its checks by name: (ok, detail).
fn readyz(addr: std::net::SocketAddr, path: &str) -> (u16, Vec<(String, bool, String)>, String) {
    let (status, text) = http(addr, "GET", path, b"");
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"));
    let checks = body["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("{path} without checks: {text}"))
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_owned(),
                c["ok"].as_bool().unwrap_or(false),
                c["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    (status, checks, text)
}

fn check<'a>(
    checks: &'a [(String, bool, String)],
    name: &str,
) -> Option<&'a (String, bool, String)> {
    checks.iter().find(|(n, ..)| n == name)
}

async fn readyz_follows_the_erp_and_ingest_does_not(db: Db) {
    // Arrange: Wharf delivering into the Odoo double.
    let odoo = OdooDouble::start(18).await;
    let mut env = TestEnv::new(db).await;
    env.use_odoo(&odoo.url(), DB, LOGIN, KEY);
    let server = env.serve();

    // Assert: ready, every check named with its reason.
    let (status, checks, text) = wait_for(PATIENCE, "/readyz to be ready", || async {
        let r = readyz(server.addr, "/readyz");
        (r.0 == 200).then_some(r)
    })
    .await;
    assert_eq!(status, 200, "{text}");
    for name in ["database", "migrations", "disk", "erp", "workers"] {
        let (_, ok, detail) = check(&checks, name).unwrap_or_else(|| panic!("no {name}: {text}"));
        assert!(*ok, "{name}: {detail}");
    }
    assert!(check(&checks, "erp").unwrap().2.contains("Odoo"), "{text}");
    assert_eq!(check(&checks, "migrations").unwrap().2, "current", "{text}");

    // Act: Odoo goes away.
    odoo.with(|w| w.behaviour.down = true);

    // Assert: not ready, for the ERP, with its reason; ingest stays ready; alive.
    let text = wait_for(PATIENCE, "/readyz to name the ERP", || async {
        let (status, checks, text) = readyz(server.addr, "/readyz");
        let erp = check(&checks, "erp")?;
        (status == 503 && !erp.1 && erp.2.contains("Odoo does not answer")).then_some(text)
    })
    .await;
    assert!(
        !text.contains(&odoo.url()),
        "the reason names no URL: {text}"
    );
    let (status, checks, text) = readyz(server.addr, "/readyz?scope=ingest");
    assert_eq!(status, 200, "ingest while the ERP is down: {text}");
    assert!(check(&checks, "erp").is_none(), "{text}");
    assert_eq!(http(server.addr, "GET", "/healthz", b"").0, 200);

    // Act: Odoo is back.
    odoo.with(|w| w.behaviour.down = false);

    // Assert: ready again without a restart.
    wait_for(PATIENCE, "/readyz to be ready again", || async {
        (readyz(server.addr, "/readyz").0 == 200).then_some(())
    })
    .await;
    let (status, text) = http(server.addr, "GET", "/readyz?scope=nonsense", b"");
    assert_eq!(status, 400, "{text}");
    server.stop();
}

/// PostgreSQL refusing connections to Wharf's database (as when it restarts or is taken
/// away): `/readyz` says so and turns ready again once connections are allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_the_database() {
    // Arrange
    let env = TestEnv::new(Db::Postgres).await;
    let server = env.serve();
    let database = env
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let admin = format!("{}/postgres", crate::kit::pg_base());
    let psql = |sql: &str| {
        let ok = std::process::Command::new("psql")
            .args([&admin, "-qAtc", sql])
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
    };
    wait_for(PATIENCE, "/readyz to be ready", || async {
        (readyz(server.addr, "/readyz").0 == 200).then_some(())
    })
    .await;

    // Act: the database takes no connections, and the open ones are ended.
    psql(&format!(
        "ALTER DATABASE {database} ALLOW_CONNECTIONS false"
    ));
    psql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"
    ));

    // Assert
    let text = wait_for(PATIENCE, "/readyz to name the database", || async {
        let (status, checks, text) = readyz(server.addr, "/readyz?scope=ingest");
        let database = check(&checks, "database")?;
        (status == 503 && !database.1).then_some(text)
    })
    .await;
    assert!(
        !text.contains("postgres://"),
        "the reason names no URL: {text}"
    );
    assert_eq!(http(server.addr, "GET", "/healthz", b"").0, 200);

    // Act: connections allowed again.
    psql(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true"));

    // Assert
    wait_for(PATIENCE, "/readyz to be ready again", || async {
        (readyz(server.addr, "/readyz").0 == 200).then_some(())
    })
    .await;
    server.stop();
}

on_both_backends!(readyz_follows_the_erp_and_ingest_does_not);

/// `--log-format json` (here `WHARF_LOG_FORMAT=json`) for log shippers: every line the
/// gateway writes is one JSON object, and a stage's lines carry their job span with the
/// message id (and, once loaded, its partner, document type and PO), so one message can be
/// followed across lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_a_line_with_the_message_span() {
    // Arrange
    let mut env = TestEnv::new(Db::Sqlite).await;
    env.set_env("WHARF_LOG_FORMAT", "json");
    env.set_env("WHARF_LOG", "info,wharf=debug,sqlx=warn");
    let id = env.ingest_for("acme", "po.edi", &crate::kit::order_850(31, "PO-JSON"));
    let server = env.serve_process();

    // Act: the order goes through its stages.
    let store = env.store().await;
    crate::kit::wait_state(&store, id, wharf::store::MessageState::Delivered).await;
    let log_path = server.log.clone();
    server.stop();

    // Assert
    let log = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() > 3, "{log}");
    assert!(
        lines
            .iter()
            .all(|l| l["level"].is_string() && l["fields"].is_object()),
        "{log}"
    );
    let of_this_message = lines
        .iter()
        .filter(|l| l["span"]["name"] == "job" && l["span"]["message_id"] == id.get())
        .count();
    assert!(of_this_message >= 2, "no job lines for message {id}: {log}");
    // The map and deliver stages know the message's partner, document and PO: their lines say
    // so, so a log search for the PO finds the order's way.
    let described = lines
        .iter()
        .filter(|l| {
            l["span"]["message_id"] == id.get()
                && l["span"]["partner"] == "acme"
                && l["span"]["doc_type"] == "850"
                && l["span"]["reference"] == "PO-JSON"
        })
        .count();
    assert!(described >= 1, "no line names acme's 850 PO-JSON: {log}");
}
