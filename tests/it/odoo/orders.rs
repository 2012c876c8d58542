//! Orders into Odoo: an 850 becomes one sale order however Odoo fails around it (a fault
//! after commit, a killed worker, an outage mid-batch or longer than every attempt, slowness),
//! refusals reach the operator, on 18 and on 19 over JSON-2.

use super::*;

fn loads(odoo: &OdooDouble) -> usize {
    odoo.with(|w| w.calls.iter().filter(|c| *c == "sale.order.load").count())
}

async fn an_850_becomes_one_sale_order_and_a_resend_creates_nothing(db: Db, version: u32) {
    let odoo = odoo(version).await;
    let env = env_for(db, &odoo).await;
    let first = ingest(&env, "po1.edi", &order_850(501, "PO-501"));
    let _server = env.serve();
    let store = env.store().await;
    let m = settled(&store, first).await;
    assert_eq!(m.state, MessageState::Delivered, "{m:?}");
    assert_order(&odoo, "PO-501");
    let history = events::for_message(&store, first).await.unwrap();
    let delivered = history
        .iter()
        .find(|e| e.kind == EventKind::Delivered)
        .unwrap();
    assert!(
        delivered
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("order PO-501: sale order S00001 created"),
        "{delivered:?}"
    );
    let acks = messages::related(&store, first).await.unwrap();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].doc_type.as_deref(), Some("997"));
    // Odoo lists WID-1 at 11 and WID-2 at 95: acme's profile warns about the difference.
    let warnings: Vec<&str> = history
        .iter()
        .filter(|e| e.kind == EventKind::Warning)
        .filter_map(|e| e.detail.as_deref())
        .collect();
    assert!(
        warnings.iter().any(|w| w.contains(
            "PO PO-501 line 1: the partner's price 12.50 differs from Odoo's 11 by more than 0.01 [price_mismatch]"
        )),
        "{warnings:?}"
    );

    // The partner sends the same PO again in a new interchange: answered, nothing created.
    let again = ingest(&env, "po1-again.edi", &order_850(502, "PO-501"));
    let m = settled(&store, again).await;
    assert_eq!(m.state, MessageState::Delivered, "{m:?}");
    assert_order(&odoo, "PO-501");
    assert_eq!(
        loads(&odoo),
        1,
        "the resend found the order by its external ID"
    );
    assert_eq!(odoo.sale_orders().len(), 1);
    // Odoo 19 is spoken to over JSON-2 only; 18 over JSON-RPC only.
    let (json2, jsonrpc) = odoo.with(|w| (w.json2_calls, w.jsonrpc_calls));
    if version >= 19 {
        assert!(
            json2 > 0 && jsonrpc == 0,
            "JSON-2 {json2}, JSON-RPC {jsonrpc}"
        );
    } else {
        assert!(
            json2 == 0 && jsonrpc > 0,
            "JSON-2 {json2}, JSON-RPC {jsonrpc}"
        );
    }
}

/// Odoo commits the order, then the proxy answers 502: the gateway cannot know, retries,
/// finds the order by its external ID and creates nothing more.
async fn a_fault_after_odoo_committed_leaves_one_order(db: Db) {
    let odoo = odoo(18).await;
    odoo.with(|w| {
        w.behaviour
            .fault_after_commit
            .insert("sale.order.load".into(), 1);
    });
    let env = env_for(db, &odoo).await;
    let id = ingest(&env, "po.edi", &order_850(511, "PO-511"));
    let _server = env.serve();
    let store = env.store().await;
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Delivered, "{m:?}");
    assert_order(&odoo, "PO-511");
    assert_eq!(loads(&odoo), 1, "the retry checked before it repeated");
    let history = events::for_message(&store, id).await.unwrap();
    assert!(
        history
            .iter()
            .any(|e| e.detail.as_deref().is_some_and(|d| d.contains("502"))),
        "the fault is in the history: {history:?}"
    );
    assert!(
        history.iter().any(|e| e
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("already in Odoo; nothing created"))),
        "{history:?}"
    );
}

/// The worker is killed right after Odoo committed the order (before the gateway's own
/// commit); the restarted gateway finishes the job without a second order.
async fn a_worker_killed_after_odoo_committed_leaves_one_order(db: Db) {
    let odoo = odoo(18).await;
    // Odoo commits the order, then its answer is held: the worker is killed meanwhile.
    odoo.with(|w| {
        w.behaviour
            .hold_after_commit
            .insert("sale.order.load".into(), Duration::from_secs(3));
    });
    let env = env_for(db, &odoo).await;
    let id = ingest(&env, "po.edi", &order_850(521, "PO-521"));
    let server = env.serve_process();
    wait_for(PATIENCE, "Odoo to commit the order", || async {
        (!odoo.sale_orders().is_empty()).then_some(())
    })
    .await;
    server.kill();
    let store = env.store().await;
    assert_ne!(
        messages::get(&store, id).await.unwrap().state,
        MessageState::Delivered,
        "killed before the gateway's commit"
    );
    let _server = env.serve();
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Delivered, "{m:?}");
    assert_order(&odoo, "PO-521");
    assert_eq!(loads(&odoo), 1);
}

/// Odoo is down while a batch arrives: the circuit opens, the work waits as queued jobs,
/// and once Odoo is back every order is created once.
async fn an_odoo_outage_in_a_batch_leaves_one_order_per_po(db: Db) {
    let odoo = odoo(18).await;
    let mut env = env_for(db, &odoo).await;
    env.set_env("WHARF_PIPELINE__MAX_ATTEMPTS", "1000");
    env.set_env("WHARF_ERP__BREAKER_FAILURES", "3");
    env.set_env("WHARF_ERP__POLL_MS", "100");
    // Odoo goes down right after the third order is committed.
    odoo.with(|w| w.behaviour.down_after = Some(("sale.order.load".into(), 3)));
    let ids: Vec<MessageId> = (0..6)
        .map(|n| {
            ingest(
                &env,
                &format!("po{n}.edi"),
                &order_850(530 + n, &format!("PO-53{n}")),
            )
        })
        .collect();
    let server = env.serve_process();
    let store = env.store().await;
    wait_for(PATIENCE, "the circuit to open", || async {
        server.log().contains("Odoo circuit opened").then_some(())
    })
    .await;
    odoo.with(|w| w.behaviour.down = false);
    for id in &ids {
        let m = settled(&store, *id).await;
        assert_eq!(m.state, MessageState::Delivered, "{m:?}");
    }
    for n in 0..6 {
        assert_order(&odoo, &format!("PO-53{n}"));
    }
    assert_eq!(odoo.sale_orders().len(), 6);

    // Odoo goes down again while the orders are confirmed: the poller's calls fail, and
    // once Odoo is back each confirmation becomes exactly one 855.
    odoo.with(|w| w.behaviour.down = true);
    for so in odoo.sale_orders() {
        odoo.confirm(so["id"].as_i64().unwrap());
    }
    wait_for(PATIENCE, "a poll to fail", || async {
        server.log().contains("Odoo poll failed").then_some(())
    })
    .await;
    odoo.with(|w| w.behaviour.down = false);
    wait_for(PATIENCE, "six 855s sent", || async {
        let acks = sent(&store, "acme", "855").await;
        (acks.len() == 6 && acks.iter().all(|m| m.state == MessageState::Sent)).then_some(())
    })
    .await;
    // Further polls (every 100 ms) find the same confirmations and add nothing.
    a_whole_poll_round(&odoo, None).await;
    let acks = sent(&store, "acme", "855").await;
    assert_eq!(acks.len(), 6, "one 855 per confirmation: {acks:?}");
    let mut pos: Vec<String> = Vec::new();
    for a in &acks {
        let text = String::from_utf8(messages::raw(&store, a.id).await.unwrap()).unwrap();
        let po = text
            .split("BAK*00*")
            .nth(1)
            .and_then(|t| t.split('*').nth(1))
            .unwrap()
            .to_owned();
        pos.push(po);
    }
    pos.sort();
    assert_eq!(pos, (0..6).map(|n| format!("PO-53{n}")).collect::<Vec<_>>());
}

/// A product Odoo does not have: the message fails with the lookup that found nothing (no
/// retry storm); the operator creates the product and replays; one order.
async fn odoo_refusals_reach_the_operator_and_a_replay_finishes(db: Db) {
    let odoo = OdooDouble::start(18).await;
    odoo.customer("ACME", &["ACME-0042"]);
    odoo.product("WID-1", None, 11.0);
    odoo.uom("Case");
    let env = env_for(db, &odoo).await;
    let id = ingest(&env, "po.edi", &order_850(541, "PO-541"));
    let server = env.serve();
    let store = env.store().await;
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Failed, "{m:?}");
    let error = m.error.unwrap_or_default();
    assert!(
        error.contains(r#"no product.product matches [["default_code","=","WID-2"]]"#),
        "{error}"
    );
    assert!(odoo.sale_orders().is_empty());
    server.stop();

    odoo.product("WID-2", None, 95.0);
    let (code, _, err) = env.run(&["replay", &id.to_string()]);
    assert_eq!(code, 0, "{err}");
    let _server = env.serve();
    wait_for(PATIENCE, "replayed order delivered", || async {
        let m = messages::get(&store, id).await.ok()?;
        (m.state == MessageState::Delivered).then_some(())
    })
    .await;
    assert_order(&odoo, "PO-541");
}

/// Odoo answers slower than the gateway waits: each timeout is retried with backoff (and
/// counts toward the circuit), and once Odoo is quick again the order is created once.
async fn a_slow_odoo_is_waited_out(db: Db) {
    let odoo = odoo(18).await;
    odoo.with(|w| w.behaviour.delay = Duration::from_millis(400));
    let mut env = env_for(db, &odoo).await;
    env.set_env("WHARF_ERP__TIMEOUT_MS", "150");
    env.set_env("WHARF_PIPELINE__MAX_ATTEMPTS", "1000");
    let id = ingest(&env, "po.edi", &order_850(711, "PO-711"));
    let server = env.serve();
    let store = env.store().await;
    wait_for(PATIENCE, "a timeout to be retried", || async {
        let history = events::for_message(&store, id).await.ok()?;
        history
            .iter()
            .any(|e| e.detail.as_deref().is_some_and(|d| d.contains("timeout")))
            .then_some(())
    })
    .await;
    odoo.with(|w| w.behaviour.delay = Duration::ZERO);
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Delivered, "{m:?}");
    assert_order(&odoo, "PO-711");
    assert_eq!(odoo.sale_orders().len(), 1);
    drop(server);
}

/// Odoo slower than the job lease: the worker renews its lease while it waits, so no other
/// worker claims the job meanwhile and every stage runs exactly once.
async fn a_stage_longer_than_its_lease_runs_once(db: Db) {
    let odoo = odoo(18).await;
    odoo.with(|w| w.behaviour.delay = Duration::from_millis(700));
    let mut env = env_for(db, &odoo).await;
    env.set_env("WHARF_PIPELINE__LEASE_SECS", "1");
    env.set_env("WHARF_ERP__TIMEOUT_MS", "10000");
    let id = ingest(&env, "po.edi", &order_850(731, "PO-731"));
    let server = env.serve_process();
    let store = env.store().await;
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Delivered, "{m:?}");
    assert_eq!(odoo.sale_orders().len(), 1);
    let jobs = wharf::store::jobs::for_message(&store, id).await.unwrap();
    assert!(
        jobs.iter().all(|j| j.attempts == 1),
        "a job ran twice: {jobs:?}"
    );
    let log = server.log();
    assert!(!log.contains("lease lost"), "{log}");
}

/// A profile that rejects price differences: the order is held before anything is made in
/// Odoo, with both prices in the reason.
async fn a_price_the_profile_rejects_holds_the_order(db: Db) {
    let odoo = odoo(18).await;
    let env = env_for(db, &odoo).await;
    let profile = env.path().join("partners/acme.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    std::fs::write(
        &profile,
        text.replace(
            "uom_unmapped = \"warn\"",
            "uom_unmapped = \"warn\"\nprice_mismatch = \"reject\"",
        ),
    )
    .unwrap();
    let id = ingest(&env, "po.edi", &order_850(721, "PO-721"));
    let _server = env.serve();
    let store = env.store().await;
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Failed, "{m:?}");
    let error = m.error.unwrap_or_default();
    assert!(
        error.contains("line 2: the partner's price 99 differs from Odoo's 95 by more than 0.01"),
        "{error}"
    );
    assert!(odoo.sale_orders().is_empty(), "nothing made in Odoo");
}

async fn an_850_into_odoo_18(db: Db) {
    an_850_becomes_one_sale_order_and_a_resend_creates_nothing(db, 18).await;
}

async fn an_850_into_odoo_19_over_json2(db: Db) {
    an_850_becomes_one_sale_order_and_a_resend_creates_nothing(db, 19).await;
}

/// An Odoo outage longer than all of a job's attempts (Odoo restarting, being upgraded):
/// waiting on an Odoo that does not answer, or on the open circuit, uses no attempts, so the
/// order is not dead-lettered and goes in by itself once Odoo is back (finding 4).
async fn an_odoo_outage_longer_than_every_attempt_needs_no_operator(db: Db) {
    let odoo = odoo(18).await;
    let mut env = env_for(db, &odoo).await;
    env.set_env("WHARF_PIPELINE__MAX_ATTEMPTS", "2");
    env.set_env("WHARF_PIPELINE__BACKOFF_BASE_MS", "20");
    env.set_env("WHARF_PIPELINE__BACKOFF_MAX_MS", "50");
    env.set_env("WHARF_ERP__BREAKER_FAILURES", "2");
    env.set_env("WHARF_ERP__BREAKER_OPEN_MS", "100");
    odoo.with(|w| w.behaviour.down = true);
    let id = ingest(&env, "po.edi", &order_850(561, "PO-561"));
    let _server = env.serve();
    let store = env.store().await;
    // Many more waits than the two attempts allow, and the message still waiting.
    wait_for(PATIENCE, "six waits for Odoo", || async {
        let history = events::for_message(&store, id).await.ok()?;
        let waits = history
            .iter()
            .filter(|e| e.kind == EventKind::RetryScheduled)
            .count();
        (waits >= 6).then_some(())
    })
    .await;
    let m = messages::get(&store, id).await.unwrap();
    assert_ne!(
        m.state,
        MessageState::Failed,
        "an outage is no reason for an operator: {m:?}"
    );
    let history = events::for_message(&store, id).await.unwrap();
    assert!(
        !history.iter().any(|e| e.kind == EventKind::DeadLettered),
        "{history:?}"
    );
    odoo.with(|w| w.behaviour.down = false);
    assert_eq!(settled(&store, id).await.state, MessageState::Delivered);
    assert_order(&odoo, "PO-561");
}

/// `PO-7` and `PO.7` are two orders (they shared one external ID before), and an order an
/// earlier version made under the legacy name is still found on a resend — but only when it
/// is the same PO, not one that differed in punctuation (issue 17, finding 9).
async fn po_numbers_differing_in_punctuation_are_two_orders_and_legacy_names_are_found(db: Db) {
    let odoo = odoo(18).await;
    let customer = odoo.with(|w| {
        w.all("res.partner")
            .into_iter()
            .find(|p| p["ref"] == json!("ACME"))
            .and_then(|p| p["id"].as_i64())
            .unwrap()
    });
    // What an earlier version of Wharf left: PO-9 under wharf_acme_PO_9, and an order for
    // "PO_8" under wharf_acme_PO_8 (the name "PO-8" also mapped to).
    for (po, legacy) in [("PO-9", "wharf_acme_PO_9"), ("PO_8", "wharf_acme_PO_8")] {
        let so = odoo.create(
            "sale.order",
            json!({ "partner_id": customer, "client_order_ref": po }),
        );
        odoo.create(
            "ir.model.data",
            json!({ "module": "wharf", "name": legacy, "model": "sale.order", "res_id": so }),
        );
    }
    let env = env_for(db, &odoo).await;
    let ids: Vec<MessageId> = ["PO-7", "PO.7", "PO-9", "PO-8"]
        .iter()
        .enumerate()
        .map(|(n, po)| ingest(&env, &format!("po{n}.edi"), &order_850(570 + n as u32, po)))
        .collect();
    let _server = env.serve();
    let store = env.store().await;
    for id in &ids {
        assert_eq!(settled(&store, *id).await.state, MessageState::Delivered);
    }
    let refs: Vec<String> = odoo
        .sale_orders()
        .iter()
        .map(|o| {
            o["client_order_ref"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    for po in ["PO-7", "PO.7", "PO-8", "PO_8"] {
        assert_eq!(
            refs.iter().filter(|r| *r == po).count(),
            1,
            "{po} in {refs:?}"
        );
    }
    assert_eq!(
        refs.iter().filter(|r| *r == "PO-9").count(),
        1,
        "the legacy order is found, not made again: {refs:?}"
    );
    let history = events::for_message(&store, ids[2]).await.unwrap();
    assert!(
        history.iter().any(|e| e
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("already in Odoo"))),
        "{history:?}"
    );
}

on_both_backends!(
    an_850_into_odoo_18,
    an_850_into_odoo_19_over_json2,
    a_fault_after_odoo_committed_leaves_one_order,
    a_worker_killed_after_odoo_committed_leaves_one_order,
    an_odoo_outage_in_a_batch_leaves_one_order_per_po,
    odoo_refusals_reach_the_operator_and_a_replay_finishes,
    a_slow_odoo_is_waited_out,
    a_stage_longer_than_its_lease_runs_once,
    a_price_the_profile_rejects_holds_the_order,
    an_odoo_outage_longer_than_every_attempt_needs_no_operator,
    po_numbers_differing_in_punctuation_are_two_orders_and_legacy_names_are_found,
);
