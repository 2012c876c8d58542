//! Events found by looking: Wharf's own AS2 certificate near its end is told once as
//! `certificate.expiring`, however many instances look; a partner profile edited, added or
//! removed on disk is told once per change as `partner.changed`, and a refused edit not at
//! all.

use super::*;
use crate::kit::{Db, openssl};
use wharf::model::BusinessEventKind as K;

const PATIENCE: Duration = Duration::from_secs(30);

async fn of_kind(store: &Store, kind: K) -> Vec<BusinessEvent> {
    committed(store)
        .await
        .into_values()
        .filter(|e| e.kind == kind)
        .collect()
}

async fn an_expiring_certificate_and_changed_profiles_are_told_once(db: Db) {
    // Arrange: Wharf's AS2 certificate ends in 5 days; profiles looked at every 100 ms; a
    // second instance on PostgreSQL looks too.
    let hook = Receiver::start().await;
    let mut env = TestEnv::new(db).await;
    configure(&mut env, &hook, None, 15);
    env.set_env("WHARF_PARTNERS_RELOAD_MS", "100");
    let certs = env.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    openssl(
        &certs,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "5",
            "-subj",
            "/CN=wharf-test",
            "-keyout",
            "as2_key.pem",
            "-out",
            "as2_cert.pem",
        ],
    );
    let a = env.serve();
    let b = (db == Db::Postgres).then(|| env.serve());
    let store = env.store().await;

    // Assert: one certificate.expiring, the gateway's own (no partner).
    let expiring = wait_for(PATIENCE, "certificate.expiring", || async {
        let v = of_kind(&store, K::CertificateExpiring).await;
        (!v.is_empty()).then_some(v)
    })
    .await;
    assert_eq!(expiring.len(), 1, "{expiring:?}");
    let e = &expiring[0];
    assert_eq!(e.partner, None);
    assert_eq!(e.sequence, 1);
    assert_eq!(e.data["owner"], "wharf");
    assert!(
        (3..=5).contains(&e.data["days_left"].as_i64().unwrap()),
        "{e:?}"
    );

    // Act: acme's profile edited; a broken edit of eurofoods; procurenet removed.
    let partners = env.path().join("partners");
    let acme = partners.join("acme.toml");
    let mut text = std::fs::read_to_string(&acme).unwrap();
    text.push_str("\n# edited by the test\n");
    std::fs::write(&acme, text).unwrap();
    std::fs::write(partners.join("eurofoods.toml"), "this is = not [a profile").unwrap();
    std::fs::remove_file(partners.join("procurenet.toml")).unwrap();

    // Assert: acme changed and procurenet removed, once each; eurofoods untouched.
    let changed = wait_for(PATIENCE, "partner.changed twice", || async {
        let v = of_kind(&store, K::PartnerChanged).await;
        (v.len() >= 2).then_some(v)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let changed_after = of_kind(&store, K::PartnerChanged).await;
    assert_eq!(changed_after.len(), 2, "{changed_after:?}");
    let by: BTreeMap<String, String> = changed
        .iter()
        .map(|e| {
            (
                e.partner.clone().unwrap(),
                e.data["change"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        by.get("acme").map(String::as_str),
        Some("changed"),
        "{changed:?}"
    );
    assert_eq!(
        by.get("procurenet").map(String::as_str),
        Some("removed"),
        "{changed:?}"
    );
    assert_schema_valid(committed(&store).await.values());
    a.stop();
    if let Some(b) = b {
        b.stop();
    }
}

/// An order delivered two days ago with no 855 since: told once as
/// `ack.overdue` waiting for Wharf's order acknowledgement, however often the check runs.
async fn an_unanswered_order_is_told_overdue_once(db: Db) {
    // Arrange: an order delivered, then made two days old (acme's window is a day).
    let hook = Receiver::start().await;
    let mut env = TestEnv::new(db).await;
    configure(&mut env, &hook, None, 15);
    let id = env.ingest_for("acme", "po.edi", &crate::kit::order_850(991, "PO-991"));
    let app = env.serve();
    let store = env.store().await;
    all_settled(&store, 2, PATIENCE).await;
    let two_days_ago = wharf::store::now_ms() - 2 * 86_400_000;
    sqlx::query("UPDATE messages SET created_at = $1 WHERE id = $2")
        .bind(two_days_ago)
        .bind(id.get())
        .execute(store.pool())
        .await
        .unwrap();

    // Act: the check runs every 200 ms; give it several rounds.
    let overdue = wait_for(PATIENCE, "ack.overdue", || async {
        let v = of_kind(&store, K::AckOverdue).await;
        (!v.is_empty()).then_some(v)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;

    // Assert: once, for that order, naming what it waits for.
    assert_eq!(of_kind(&store, K::AckOverdue).await.len(), 1);
    let e = &overdue[0];
    assert_eq!(e.message_id, Some(id));
    assert_eq!(e.partner.as_deref(), Some("acme"));
    assert_eq!(e.data["waiting_for"], "order_acknowledgement");
    assert_eq!(e.data["reference"], "PO-991");
    assert_eq!(e.data["window_seconds"], 86_400);
    assert_schema_valid(&overdue);
    app.stop();
}

on_both_backends!(
    an_expiring_certificate_and_changed_profiles_are_told_once,
    an_unanswered_order_is_told_overdue_once,
);
