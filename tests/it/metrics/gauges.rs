//! `/metrics` gauges of state rather than events: acknowledgements overdue per partner under
//! its `[sla]` windows (rows back-dated in the store to move time), certificates' days to
//! expiry (certificate files replaced between scrapes), and the Odoo circuit breaker opening
//! while the Odoo double is down and closing once it is back.

use openssl::asn1::Asn1Time;
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::{X509, X509NameBuilder};

use super::*;
use crate::kit::odoo::{DB, KEY, LOGIN, OdooDouble};
use crate::kit::order_850_from;

async fn overdue_acknowledgements_follow_each_partners_window(db: Db) {
    let env = TestEnv::new(db).await;
    let profile = env.path().join("partners/acme.toml");
    let mut text = std::fs::read_to_string(&profile).unwrap();
    text.push_str("\n[sla]\nack_within = \"1h\"\norder_ack_within = \"2h\"\n");
    std::fs::write(&profile, text).unwrap();
    let token = add_token(&env, "prometheus", "viewer");
    let server = env.serve();
    let store = env.store().await;
    let overdue = |s: &Scrape, partner: &str, awaiting: &str| {
        s.sum(
            "wharf_acknowledgements_overdue",
            &[("partner", partner), ("awaiting", awaiting)],
        )
    };
    let series = |s: &Scrape, partner: &str| {
        s.samples
            .iter()
            .filter(|x| x.name == "wharf_acknowledgements_overdue")
            .filter(|x| x.labels.get("partner").map(String::as_str) == Some(partner))
            .count()
    };
    let before = scrape(&server, &token).await;
    // Every loaded partner is written, both kinds, at zero.
    for partner in ["acme", "globex", "pinnacle"] {
        assert_eq!(
            series(&before, partner),
            2,
            "{partner}: {:?}",
            before.samples
        );
    }
    assert_eq!(overdue(&before, "acme", "order_ack"), 0.0);

    let post = |isa13: u32, po: &str| {
        let (status, body) = crate::kit::http(
            server.addr,
            "POST",
            "/api/v1/partners/acme/messages",
            &order_850_from("ACMERETAIL", isa13, po),
        );
        assert_eq!(status, 202, "{body}");
        MessageId::new(
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["message_id"]
                .as_i64()
                .unwrap(),
        )
    };
    let back_date = |id: MessageId, hours: i64| {
        let store = store.clone();
        async move {
            let at = wharf::store::now_ms() - hours * 3_600_000;
            sqlx::query("UPDATE messages SET created_at = $1, updated_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id.get())
                .execute(store.pool())
                .await
                .unwrap();
        }
    };
    let late = post(1101, "PO-1001");
    let recent = post(1102, "PO-1102");
    for id in [late, recent] {
        crate::kit::wait_state(&store, id, MessageState::Delivered).await;
    }
    // Three hours without our 855 is past ACME's 2 h; one hour is not.
    back_date(late, 3).await;
    back_date(recent, 1).await;
    let s = scrape(&server, &token).await;
    assert_eq!(overdue(&s, "acme", "order_ack"), 1.0);
    assert_eq!(overdue(&s, "acme", "partner_ack"), 0.0);
    assert_eq!(overdue(&s, "globex", "order_ack"), 0.0);

    // Our 855 for PO-1001 goes out: the order is answered, and the 855 waits for ACME's 997.
    let path = format!(
        "{}/tests/fixtures/x12/855_accept.edi",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, out, err) = env.run(&["translate", &path]);
    assert_eq!(code, 0, "{err}");
    let ack = env.file("ack.json", out.lines().next().unwrap().as_bytes());
    let (code, out, err) = env.run(&["send", ack.to_str().unwrap(), "--partner", "acme"]);
    assert_eq!(code, 0, "{out}{err}");
    let sent = wait_for(PATIENCE, "the 855 sent", || {
        let store = store.clone();
        async move {
            let found = wharf::store::search::search(
                &store,
                &wharf::store::search::Search {
                    reference: Some("PO-1001".into()),
                    doc_type: Some("855".into()),
                    limit: 5,
                    ..Default::default()
                },
            )
            .await
            .ok()?;
            found.into_iter().find(|m| m.state == MessageState::Sent)
        }
    })
    .await;
    let s = scrape(&server, &token).await;
    assert_eq!(overdue(&s, "acme", "order_ack"), 0.0, "answered");
    assert_eq!(overdue(&s, "acme", "partner_ack"), 0.0, "just sent");
    // Two hours without ACME's 997 is past its 1 h.
    back_date(sent.id, 2).await;
    let s = scrape(&server, &token).await;
    assert_eq!(overdue(&s, "acme", "partner_ack"), 1.0);
    assert_eq!(overdue(&s, "acme", "order_ack"), 0.0);
    server.stop();
}

/// A self-signed certificate (an EC key: quick to make) that expires `days` and a half from
/// now (a negative `days`: expired), written as PEM to `path`.
fn certificate(path: &std::path::Path, cn: &str, days: i64) {
    let key = PKey::from_ec_key(
        EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
    )
    .unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(now - 10 * 86_400).unwrap())
        .unwrap();
    // Half a day beyond the whole days: the count cannot tip over during the test.
    let half = if days < 0 { -43_200 } else { 43_200 };
    b.set_not_after(&Asn1Time::from_unix(now + days * 86_400 + half).unwrap())
        .unwrap();
    b.sign(&key, openssl::hash::MessageDigest::sha256())
        .unwrap();
    std::fs::write(path, b.build().to_pem().unwrap()).unwrap();
}

async fn certificate_days_to_expiry_follow_the_files(db: Db) {
    let env = TestEnv::new(db).await;
    let certs = env.path().join("partner-certs");
    std::fs::create_dir_all(&certs).unwrap();
    let (new, old, ca) = (
        certs.join("globex-new.pem"),
        certs.join("globex-old.pem"),
        certs.join("globex-ca.pem"),
    );
    certificate(&new, "Globex 2028", 400);
    certificate(&old, "Globex 2027", 400);
    certificate(&ca, "Globex CA", 30);
    // Globex during a rollover: two certificates, and a private CA for its HTTPS server.
    let profile = env.path().join("partners/globex.toml");
    // The sample's certificate line is commented out until the partner sends one.
    let text = std::fs::read_to_string(&profile).unwrap();
    let text = text.replacen(
        "# certificate = ",
        &format!(
            "certificates = [\"{}\", \"{}\"]\nca = \"{}\"\n# certificate = ",
            new.display(),
            old.display(),
            ca.display()
        ),
        1,
    );
    assert!(text.contains("ca = "), "the sample's [as2] section changed");
    std::fs::write(&profile, text).unwrap();
    let token = add_token(&env, "prometheus", "viewer");
    let server = env.serve();
    let days = |s: &Scrape, partner: &str, role: &str| {
        let found: Vec<f64> = s
            .samples
            .iter()
            .filter(|x| x.name == "wharf_certificate_expiry_days")
            .filter(|x| {
                x.labels.get("partner").map(String::as_str) == Some(partner)
                    && x.labels.get("role").map(String::as_str) == Some(role)
            })
            .map(|x| x.value)
            .collect();
        assert_eq!(found.len(), 1, "{partner} {role}: {:?}", s.samples);
        found[0]
    };
    let before = scrape(&server, &token).await;
    assert_eq!(
        before
            .types
            .get("wharf_certificate_expiry_days")
            .map(String::as_str),
        Some("gauge")
    );
    assert_eq!(days(&before, "globex", "partner_as2"), 400.0);
    assert_eq!(days(&before, "globex", "partner_ca"), 30.0);
    // Wharf's own pair, made at start for 730 days (a second may have passed since).
    let own = days(&before, "wharf", "as2");
    assert!(own == 729.0 || own == 730.0, "{own}");

    // The old certificate is replaced by one expiring in five days: the soonest counts.
    certificate(&old, "Globex 2027", 5);
    let after = scrape(&server, &token).await;
    assert_eq!(days(&after, "globex", "partner_as2"), 5.0);
    assert_eq!(days(&after, "globex", "partner_ca"), 30.0);
    // Then it expires: negative.
    certificate(&old, "Globex 2027", -2);
    let expired = scrape(&server, &token).await;
    assert_eq!(days(&expired, "globex", "partner_as2"), -2.0);
    server.stop();
}

async fn the_odoo_breaker_opens_while_odoo_is_down_and_closes_after(db: Db) {
    let odoo = OdooDouble::start(18).await;
    odoo.customer("ACME", &["ACME-0042", "ACME-DC"]);
    odoo.product("WID-1", Some("012345678905"), 11.0);
    odoo.product("WID-2", None, 95.0);
    odoo.uom_of("Case", 12.0);
    let mut env = TestEnv::new(db).await;
    env.use_odoo(&odoo.url(), DB, LOGIN, KEY);
    env.set_env("WHARF_ERP__BREAKER_FAILURES", "2");
    env.set_env("WHARF_PIPELINE__MAX_ATTEMPTS", "1000");
    let token = add_token(&env, "prometheus", "viewer");
    let server = env.serve();
    let store = env.store().await;
    let state = |s: &Scrape, state: &str| s.sum("wharf_odoo_circuit_state", &[("state", state)]);
    let one_hot = |s: &Scrape| {
        assert_eq!(
            state(s, "closed") + state(s, "open") + state(s, "half_open"),
            1.0,
            "{:?}",
            s.samples
        );
    };
    let before = scrape(&server, &token).await;
    one_hot(&before);
    assert_eq!(state(&before, "closed"), 1.0);

    // An order while Odoo answers: delivered, the breaker closed.
    let first = env.ingest_for("acme", "po1.edi", &order_850(561, "PO-561"));
    crate::kit::wait_state(&store, first, MessageState::Delivered).await;
    let s = scrape(&server, &token).await;
    assert_eq!(state(&s, "closed"), 1.0);

    // Odoo goes down: two failed calls in a row open the circuit; the order waits.
    odoo.with(|w| w.behaviour.down = true);
    let second = env.ingest_for("acme", "po2.edi", &order_850(562, "PO-562"));
    let open = wait_for(PATIENCE, "the circuit open", || {
        let (server, token) = (&server, &token);
        async move {
            let s = scrape(server, token).await;
            (state(&s, "open") == 1.0).then_some(s)
        }
    })
    .await;
    one_hot(&open);
    assert!(
        open.sum("wharf_odoo_errors_total", &[("kind", "unavailable")])
            - before.sum("wharf_odoo_errors_total", &[("kind", "unavailable")])
            >= 2.0
    );

    // Odoo is back: the next probe goes through, the order is delivered, the circuit closes.
    odoo.with(|w| w.behaviour.down = false);
    crate::kit::wait_state(&store, second, MessageState::Delivered).await;
    let after = scrape(&server, &token).await;
    one_hot(&after);
    assert_eq!(state(&after, "closed"), 1.0);
    server.stop();
}

on_both_backends!(
    overdue_acknowledgements_follow_each_partners_window,
    certificate_days_to_expiry_follow_the_files,
    the_odoo_breaker_opens_while_odoo_is_down_and_closes_after,
);
