//! Orders into Odoo through the real binary, against the Odoo test double speaking Odoo's
//! wire protocol (JSON-RPC for 18, JSON-2 for 19): an 850 becomes one sale order with the
//! right customer, ship-to, lines and PO reference, exactly once across resends, a fault after
//! Odoo committed, a worker killed after Odoo committed, and an Odoo outage; Odoo's refusals
//! reach the operator with Odoo's message. On SQLite and PostgreSQL.

use std::time::Duration;

use crate::kit::odoo::{DB, KEY, LOGIN, OdooDouble};
use crate::kit::{Db, TestEnv, order_850, wait_for};
use serde_json::{Value, json};
use wharf::store::messages::{self, Message};
use wharf::store::{EventKind, MessageState, Store, events};

const PATIENCE: Duration = Duration::from_secs(30);

/// A double with ACME's customer record, its store 42 as a delivery address, the products
/// of `order_850` and the Case unit.
async fn odoo(version: u32) -> OdooDouble {
    let odoo = OdooDouble::start(version).await;
    odoo.customer("ACME", &["ACME-0042", "ACME-DC"]);
    odoo.product("WID-1", Some("012345678905"), 11.0);
    odoo.product("WID-2", None, 95.0);
    // A case of 12, as real units are: stock moves count the units inside.
    odoo.uom_of("Case", 12.0);
    odoo
}

async fn env_for(db: Db, odoo: &OdooDouble) -> TestEnv {
    let mut env = TestEnv::new(db).await;
    env.use_odoo(&odoo.url(), DB, LOGIN, KEY);
    env
}

fn ingest(env: &TestEnv, name: &str, bytes: &[u8]) -> i64 {
    env.ingest_for("acme", name, bytes)
}

async fn settled(store: &Store, id: i64) -> Message {
    wait_for(PATIENCE, &format!("message {id} to settle"), || async {
        let m = messages::get(store, id).await.ok()?;
        let related = messages::related(store, id).await.ok()?;
        (m.state.is_final() && related.iter().all(|r| r.state == MessageState::Sent)).then_some(m)
    })
    .await
}

/// The one sale order with this PO number, checked against `order_850`: customer ACME,
/// delivered to store 42, WID-1 × 10 Units at 12.50 (the partner's price) and WID-2 × 2
/// Case at 99.
fn assert_order(odoo: &OdooDouble, po: &str) -> i64 {
    let orders: Vec<_> = odoo
        .sale_orders()
        .into_iter()
        .filter(|o| o["client_order_ref"] == json!(po))
        .collect();
    assert_eq!(
        orders.len(),
        1,
        "exactly one sale order for {po}: {orders:?}"
    );
    let o = &orders[0];
    let id = o["id"].as_i64().unwrap();
    let (customer, ship_to, units, case) = odoo.with(|w| {
        let find = |model: &str, field: &str, value: &str| {
            w.all(model)
                .into_iter()
                .find(|r| r[field] == json!(value))
                .and_then(|r| r["id"].as_i64())
                .unwrap()
        };
        (
            find("res.partner", "ref", "ACME"),
            find("res.partner", "ref", "ACME-0042"),
            find("uom.uom", "name", "Units"),
            find("uom.uom", "name", "Case"),
        )
    });
    assert_eq!(o["partner_id"], json!(customer));
    assert_eq!(o["partner_shipping_id"], json!(ship_to));
    let version = odoo.with(|w| w.version);
    let uom = if version >= 19 {
        "product_uom_id"
    } else {
        "product_uom"
    };
    let lines = odoo.lines_of(id);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let product = |code: &str| {
        odoo.with(|w| {
            w.all("product.product")
                .into_iter()
                .find(|p| p["default_code"] == json!(code))
                .and_then(|p| p["id"].as_i64())
                .unwrap()
        })
    };
    assert_eq!(lines[0]["product_id"], json!(product("WID-1")));
    assert_eq!(lines[0]["product_uom_qty"], json!(10.0));
    assert_eq!(lines[0][uom], json!(units));
    assert_eq!(lines[0]["price_unit"], json!(12.5));
    assert_eq!(lines[1]["product_id"], json!(product("WID-2")));
    assert_eq!(lines[1]["product_uom_qty"], json!(2.0));
    assert_eq!(lines[1][uom], json!(case));
    assert_eq!(lines[1]["price_unit"], json!(99.0));
    // The 850 has no PID: Odoo names the lines after the products (an empty name would
    // have refused the whole order, finding 1).
    let names: Vec<&Value> = lines.iter().map(|l| &l["name"]).collect();
    assert_eq!(
        names,
        [
            &json!("[WID-1] Product WID-1"),
            &json!("[WID-2] Product WID-2")
        ],
        "{lines:?}"
    );
    id
}

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
    let server = env.serve();
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
    let ids: Vec<i64> = (0..6)
        .map(|n| {
            ingest(
                &env,
                &format!("po{n}.edi"),
                &order_850(530 + n, &format!("PO-53{n}")),
            )
        })
        .collect();
    let server = env.serve();
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
    tokio::time::sleep(Duration::from_millis(600)).await;
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

const WEBHOOK_TOKEN: &str = "webhook-token-0123456789";

/// Outbound messages of `doc_type` for `partner`, once each is sent.
async fn sent(store: &Store, partner: &str, doc_type: &str) -> Vec<Message> {
    messages::list(
        store,
        &messages::Filter {
            state: None,
            partner: Some(partner.into()),
            direction: Some(wharf::store::Direction::Out),
            limit: 100,
        },
    )
    .await
    .unwrap()
    .into_iter()
    .filter(|m| m.doc_type.as_deref() == Some(doc_type))
    .collect()
}

async fn wait_sent(store: &Store, partner: &str, doc_type: &str) -> Message {
    wait_for(
        PATIENCE,
        &format!("{doc_type} for {partner} sent"),
        || async {
            sent(store, partner, doc_type)
                .await
                .into_iter()
                .find(|m| m.state == MessageState::Sent)
        },
    )
    .await
}

fn poke(server: &crate::kit::Server) {
    let (status, body) = crate::kit::http(
        server.addr,
        "POST",
        &format!("/api/v1/odoo/webhook?token={WEBHOOK_TOKEN}"),
        b"{\"_model\":\"sale.order\",\"_id\":1}",
    );
    assert_eq!(status, 202, "{body}");
}

fn segments_of(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .split('~')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Confirming the order in Odoo (one line cut from 2 to 1) produces an 855 whose ACK lines
/// say so; validating the delivery short (7 of 10, a backorder for the rest) produces an 856
/// with the shipped quantities, the tracking number and a valid SSCC-18 per package. Odoo's
/// webhook triggers both, any number of times: one 855, one 856.
async fn confirmation_and_shipment_go_back_as_855_and_856(db: Db) {
    let odoo = odoo(18).await;
    let mut env = env_for(db, &odoo).await;
    env.set_env("WHARF_ERP__POLL_MS", "600000");
    env.set_env("WHARF_SECRET_ODOO_WEBHOOK_TOKEN", WEBHOOK_TOKEN);
    let id = ingest(&env, "po.edi", &order_850(601, "PO-601"));
    let server = env.serve();
    let store = env.store().await;
    assert_eq!(settled(&store, id).await.state, MessageState::Delivered);
    let so = assert_order(&odoo, "PO-601");

    // A wrong token is refused.
    let (status, _) = crate::kit::http(
        server.addr,
        "POST",
        "/api/v1/odoo/webhook?token=nope",
        b"{}",
    );
    assert_eq!(status, 401);

    let lines = odoo.lines_of(so);
    odoo.set_line_quantity(lines[1]["id"].as_i64().unwrap(), 1.0);
    // What Odoo does when a salesperson changes the quantity: the pricelist's price again.
    odoo.with(|w| {
        w.update(
            "sale.order.line",
            lines[1]["id"].as_i64().unwrap(),
            json!({ "price_unit": 95.0 }).as_object().unwrap(),
        )
    });
    odoo.confirm(so);
    poke(&server);
    poke(&server);
    let ack = wait_sent(&store, "acme", "855").await;
    let segs = segments_of(&messages::raw(&store, ack.id).await.unwrap());
    let bak = segs.iter().find(|s| s.starts_with("BAK*")).unwrap();
    assert!(bak.starts_with("BAK*00*AC*PO-601*20261126"), "{segs:?}");
    let acks: Vec<&String> = segs.iter().filter(|s| s.starts_with("ACK*")).collect();
    assert_eq!(acks.len(), 3, "{segs:?}");
    assert!(acks[0].starts_with("ACK*IA*10*EA"), "{segs:?}");
    assert!(acks[1].starts_with("ACK*IQ*1*CA"), "{segs:?}");
    // Odoo re-priced the changed line: said as IP too, with the new price on its PO1.
    assert!(acks[2].starts_with("ACK*IP*1*CA"), "{segs:?}");
    assert!(
        segs.iter().any(|s| s.starts_with("PO1*2*2*CA*95")),
        "{segs:?}"
    );
    assert!(
        segs.iter()
            .any(|s| s.starts_with("REF*VN*S00001") || s.contains("S00001")),
        "Odoo's order number goes back: {segs:?}"
    );

    let picking = odoo.delivery_of(so);
    // Odoo moves units: the case line's move is 12 (1 case confirmed).
    odoo.ship(
        picking,
        &[7.0, 12.0],
        &["PACK-1", "PACK-2"],
        "1Z999AA10123456784",
    );
    poke(&server);
    let asn = wait_sent(&store, "acme", "856").await;
    let segs = segments_of(&messages::raw(&store, asn.id).await.unwrap());
    assert!(
        segs.iter().any(|s| s == "REF*CN*1Z999AA10123456784"),
        "{segs:?}"
    );
    assert!(segs.iter().any(|s| s.starts_with("PRF*PO-601")), "{segs:?}");
    let sn1: Vec<&String> = segs.iter().filter(|s| s.starts_with("SN1*")).collect();
    assert_eq!(sn1.len(), 2, "{segs:?}");
    // Shipped 7 of the 10 ordered, and the 1 Odoo confirmed of the 2 ordered.
    assert_eq!(sn1[0].as_str(), "SN1**7*EA**10*EA", "{segs:?}");
    assert_eq!(
        sn1[1].as_str(),
        "SN1**1*CA**2*CA",
        "12 units shipped are 1 case, not 12 cases: {segs:?}"
    );
    assert!(
        segs.iter().any(|s| s == "TD1*CTN25*2"),
        "two cartons: {segs:?}"
    );
    assert!(
        segs.iter().any(|s| s.starts_with("REF*BM*WH/OUT/")),
        "{segs:?}"
    );
    assert!(
        segs.iter().any(|s| s.starts_with("LIN*1*BP*ACME-001")),
        "{segs:?}"
    );
    let ssccs: Vec<String> = segs
        .iter()
        .filter_map(|s| s.strip_prefix("MAN*GM*").map(str::to_owned))
        .collect();
    assert_eq!(ssccs.len(), 2, "one SSCC per package: {segs:?}");
    for sscc in &ssccs {
        wharf::edi::x12::gs1::Sscc::parse(sscc).expect("a valid SSCC-18");
        assert!(
            sscc[1..].starts_with("0614141"),
            "acme's GS1 prefix: {sscc}"
        );
    }
    assert_ne!(ssccs[0], ssccs[1]);
    // The backorder is open in Odoo; nothing more goes out.
    poke(&server);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sent(&store, "acme", "855").await.len(),
        1,
        "one 855 per confirmation"
    );
    assert_eq!(
        sent(&store, "acme", "856").await.len(),
        1,
        "one 856 per delivery"
    );
    let backorders = odoo.with(|w| {
        w.all("stock.picking")
            .into_iter()
            .filter(|p| p.get("backorder_id") == Some(&json!(picking)))
            .count()
    });
    assert_eq!(backorders, 1);

    // Accounting invoices what was delivered (7 × 12.50 + 1 × 95) and posts it: an 810.
    odoo.invoice(so);
    poke(&server);
    let inv = wait_sent(&store, "acme", "810").await;
    let segs = segments_of(&messages::raw(&store, inv.id).await.unwrap());
    assert!(
        segs.iter()
            .any(|s| s.starts_with("BIG*20261127*INV/2026/00001*") && s.contains("*PO-601")),
        "{segs:?}"
    );
    let it1: Vec<&String> = segs.iter().filter(|s| s.starts_with("IT1*")).collect();
    assert_eq!(it1.len(), 2, "{segs:?}");
    assert!(it1[0].starts_with("IT1*1*7*EA*12.5"), "{segs:?}");
    assert!(
        it1[1].starts_with("IT1*2*1*CA*95"),
        "Odoo's price: {segs:?}"
    );
    // 7 × 12.50 + 1 × 95 = 182.50, and Odoo's 15 % sales tax 27.38: TDS adds them up.
    assert!(
        segs.iter().any(|s| s == "TXI*TX*27.38*15"),
        "the tax: {segs:?}"
    );
    assert!(
        segs.iter().any(|s| s == "TDS*20988"),
        "total in cents, taxes included: {segs:?}"
    );
    poke(&server);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sent(&store, "acme", "810").await.len(),
        1,
        "one 810 per invoice"
    );
}

/// The same for EDIFACT: EuroFoods' ORDERS becomes a sale order (product by GTIN, ship-to by
/// GLN); confirming sends an ORDRSP, shipping a DESADV with an SSCC per package.
async fn edifact_orders_come_back_as_ordrsp_and_desadv(db: Db) {
    let odoo = OdooDouble::start(18).await;
    odoo.customer("EUROFOODS", &["4012345000108"]);
    odoo.product("WID-1", Some("5412345678908"), 12.5);
    let mut env = env_for(db, &odoo).await;
    env.set_env("WHARF_ERP__POLL_MS", "200");
    let fixture = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/edifact/orders_eancom.edi"
    ))
    .unwrap();
    let file = env.file("orders.edi", &fixture);
    let (code, out, err) = env.run(&["ingest", file.to_str().unwrap(), "--partner", "eurofoods"]);
    assert_eq!(code, 0, "{err}");
    let id: i64 = out.split('\t').next().unwrap().parse().unwrap();
    let _server = env.serve();
    let store = env.store().await;
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Delivered, "{m:?}");
    let orders = odoo.sale_orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["client_order_ref"], json!("PO-4711"));
    let so = orders[0]["id"].as_i64().unwrap();
    let lines = odoo.lines_of(so);
    assert_eq!(lines[0]["product_uom_qty"], json!(12.0));

    odoo.confirm(so);
    let rsp = wait_sent(&store, "eurofoods", "ORDRSP").await;
    let text = String::from_utf8(messages::raw(&store, rsp.id).await.unwrap()).unwrap();
    assert!(text.contains("BGM+231"), "{text}");
    assert!(text.contains("PO-4711"), "{text}");
    assert!(text.contains("QTY+21:12"), "{text}");

    let picking = odoo.delivery_of(so);
    odoo.ship(picking, &[12.0], &["PALLET-1"], "TRACK-4711");
    let desadv = wait_sent(&store, "eurofoods", "DESADV").await;
    let text = String::from_utf8(messages::raw(&store, desadv.id).await.unwrap()).unwrap();
    assert!(text.contains("QTY+12:12"), "{text}");
    let sscc = text
        .split('\'')
        .find_map(|s| s.trim().strip_prefix("GIN+BJ+"))
        .unwrap_or_else(|| panic!("an SSCC: {text}"));
    let sscc = sscc.split(':').next().unwrap();
    wharf::edi::x12::gs1::Sscc::parse(sscc).expect("a valid SSCC-18");
    assert!(
        sscc[1..].starts_with("4012345"),
        "eurofoods' prefix: {sscc}"
    );
}

/// Pinnacle's 856 (10 of the 12 on purchase order PO-1001, in one labelled carton) fills the
/// receipt: the package by its SSCC, the quantity on the move, the carrier's reference; the
/// profile validates it and a backorder keeps the 2 still due. A resend, and a fault after
/// Odoo validated, receive nothing twice.
async fn suppliers_ship_notice_fills_and_validates_the_receipt(db: Db) {
    let odoo = OdooDouble::start(18).await;
    odoo.customer("PINNACLE", &[]);
    let product = odoo.product("OUR-1", None, 4.0);
    odoo.supplier_code("PINNACLE", product, "WID-1");
    let picking = odoo.purchase("PINNACLE", "PO-1001", &[(product, 12.0)]);
    odoo.with(|w| {
        w.behaviour
            .fault_after_commit
            .insert("stock.picking.button_validate".into(), 1);
    });
    let env = env_for(db, &odoo).await;
    let profile = env.path().join("partners/pinnacle.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    std::fs::write(
        &profile,
        text.replace("validate = false", "validate = true"),
    )
    .unwrap();
    let first = env.ingest_for(
        "pinnacle",
        "asn.edi",
        &crate::kit::pinnacle_856("000000201"),
    );
    let _server = env.serve();
    let store = env.store().await;
    let m = settled(&store, first).await;
    assert_eq!(m.state, MessageState::Delivered, "{m:?}");

    let (pick, moves, lines, packages, po_lines, backorders) = odoo.with(|w| {
        (
            w.get("stock.picking", picking).cloned().unwrap(),
            w.all("stock.move")
                .into_iter()
                .filter(|m| m["picking_id"] == json!(picking))
                .collect::<Vec<_>>(),
            w.all("stock.move.line")
                .into_iter()
                .filter(|l| l["picking_id"] == json!(picking))
                .collect::<Vec<_>>(),
            w.all("stock.quant.package"),
            w.all("purchase.order.line"),
            w.all("stock.picking")
                .into_iter()
                .filter(|p| p.get("backorder_id") == Some(&json!(picking)))
                .collect::<Vec<_>>(),
        )
    });
    assert_eq!(pick["state"], json!("done"));
    assert_eq!(pick["carrier_tracking_ref"], json!("BOL-9"));
    assert_eq!(moves[0]["quantity"], json!(10.0), "{moves:?} {lines:?}");
    assert_eq!(packages.len(), 1);
    assert_eq!(packages[0]["name"], json!("106141412345678908"));
    assert_eq!(
        lines.len(),
        1,
        "Odoo's own line took the package, no second line: {lines:?}"
    );
    assert_eq!(lines[0]["result_package_id"], packages[0]["id"]);
    assert_eq!(lines[0]["quantity"], json!(10.0));
    assert_eq!(po_lines[0]["qty_received"], json!(10.0), "received once");
    assert_eq!(backorders.len(), 1, "2 still due");
    let history = events::for_message(&store, first).await.unwrap();
    assert!(
        history
            .iter()
            .any(|e| e.detail.as_deref().is_some_and(|d| d.contains("502"))),
        "the fault after validation is in the history: {history:?}"
    );

    // The same notice again in a new interchange: nothing received twice.
    let again = env.ingest_for(
        "pinnacle",
        "asn-again.edi",
        &crate::kit::pinnacle_856("000000202"),
    );
    assert_eq!(settled(&store, again).await.state, MessageState::Delivered);
    odoo.with(|w| {
        assert_eq!(w.all("stock.quant.package").len(), 1);
        let done: Vec<_> = w
            .all("stock.move.line")
            .into_iter()
            .filter(|l| l["picking_id"] == json!(picking))
            .collect();
        assert_eq!(done.len(), 1, "{done:?}");
        assert_eq!(w.all("purchase.order.line")[0]["qty_received"], json!(10.0));
        let open: Vec<_> = w
            .all("stock.picking")
            .into_iter()
            .filter(|p| p.get("backorder_id") == Some(&json!(picking)))
            .collect();
        assert_eq!(open.len(), 1);
        assert_eq!(
            open[0]["state"],
            json!("assigned"),
            "the backorder is untouched"
        );
    });
}

/// A change (BEG01 04) updates the same sale order in place while it is a quotation; a
/// cancellation (BEG01 01) cancels it; a change to a confirmed order is held for an operator
/// with Odoo's state in the reason.
async fn changes_and_cancellations_update_the_same_order(db: Db) {
    let odoo = odoo(18).await;
    let env = env_for(db, &odoo).await;
    let _server = env.serve();
    let store = env.store().await;
    let bytes = |isa13: u32, po: &str, purpose: &str, qty: &str| {
        String::from_utf8(order_850(isa13, po))
            .unwrap()
            .replace("BEG*00*", &format!("BEG*{purpose}*"))
            .replace("PO1*1*10*", &format!("PO1*1*{qty}*"))
            .into_bytes()
    };
    let id = ingest(&env, "o.edi", &bytes(701, "PO-701", "00", "10"));
    assert_eq!(settled(&store, id).await.state, MessageState::Delivered);
    let so = assert_order(&odoo, "PO-701");
    let id = ingest(&env, "c.edi", &bytes(702, "PO-701", "04", "12"));
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Delivered, "{m:?}");
    let orders = odoo.sale_orders();
    assert_eq!(orders.len(), 1, "changed in place: {orders:?}");
    let lines = odoo.lines_of(so);
    assert_eq!(
        lines.len(),
        2,
        "lines updated by their external IDs: {lines:?}"
    );
    assert_eq!(lines[0]["product_uom_qty"], json!(12.0));
    let history = events::for_message(&store, id).await.unwrap();
    assert!(
        history.iter().any(|e| e
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("sale order S00001 updated"))),
        "{history:?}"
    );
    let id = ingest(&env, "x.edi", &bytes(703, "PO-701", "01", "12"));
    assert_eq!(settled(&store, id).await.state, MessageState::Delivered);
    assert_eq!(odoo.sale_orders()[0]["state"], json!("cancel"));

    // A confirmed order cannot take a change from EDI: held, with the reason.
    let id = ingest(&env, "o2.edi", &bytes(704, "PO-702", "00", "10"));
    assert_eq!(settled(&store, id).await.state, MessageState::Delivered);
    let so2 = assert_order(&odoo, "PO-702");
    odoo.confirm(so2);
    let id = ingest(&env, "c2.edi", &bytes(705, "PO-702", "04", "3"));
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Failed, "{m:?}");
    let error = m.error.unwrap_or_default();
    assert!(
        error.contains("is 'sale' in Odoo, which forbids changing its lines"),
        "{error}"
    );
    assert_eq!(
        odoo.lines_of(so2)[0]["product_uom_qty"],
        json!(10.0),
        "untouched"
    );
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
    let server = env.serve();
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

/// Odoo 19: a supplier's 856 in cases, with a lot, under a part number another vendor also
/// uses for another product. The receipt's own move line (made when the purchase was
/// confirmed) takes the package (`stock.package` on 19) and the lot; 2 cases are received as
/// 24 units, once; the other vendor's product is not touched (findings 2 and 7).
async fn suppliers_ship_notice_in_cases_with_a_lot_on_19(db: Db) {
    let odoo = OdooDouble::start(19).await;
    odoo.customer("OTHER", &[]);
    odoo.customer("PINNACLE", &[]);
    odoo.uom_of("Case", 12.0);
    // Made first, so a lookup by part number alone would find it.
    let theirs = odoo.product("THEIR-1", None, 3.0);
    odoo.supplier_code("OTHER", theirs, "WID-1");
    let ours = odoo.product("OUR-1", None, 4.0);
    odoo.supplier_code("PINNACLE", ours, "WID-1");
    let picking = odoo.purchase("PINNACLE", "PO-1001", &[(ours, 24.0)]);
    let env = env_for(db, &odoo).await;
    let profile = env.path().join("partners/pinnacle.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    std::fs::write(
        &profile,
        text.replace("validate = false", "validate = true"),
    )
    .unwrap();
    let asn = String::from_utf8(crate::kit::pinnacle_856("000000211"))
        .unwrap()
        .replace("SN1**10*EA", "SN1**2*CA")
        .replace("VP*WID-1~", "VP*WID-1*LT*LOT-77~");
    let id = env.ingest_for("pinnacle", "asn.edi", asn.as_bytes());
    let _server = env.serve();
    let store = env.store().await;
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Delivered, "{m:?}");
    odoo.with(|w| {
        let pick = w.get("stock.picking", picking).cloned().unwrap();
        assert_eq!(pick["state"], json!("done"));
        let lines: Vec<_> = w
            .all("stock.move.line")
            .into_iter()
            .filter(|l| l["picking_id"] == json!(picking))
            .collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["product_id"], json!(ours));
        assert_eq!(w.all("stock.package").len(), 1);
        assert_eq!(
            lines[0]["result_package_id"],
            w.all("stock.package")[0]["id"]
        );
        assert_eq!(lines[0]["lot_name"], json!("LOT-77"));
        let moves: Vec<_> = w
            .all("stock.move")
            .into_iter()
            .filter(|m| m["picking_id"] == json!(picking))
            .collect();
        assert_eq!(
            moves[0]["quantity"],
            json!(24.0),
            "2 cases are 24 units: {moves:?}"
        );
        assert_eq!(w.all("purchase.order.line")[0]["qty_received"], json!(24.0));
        let backorders = w
            .all("stock.picking")
            .into_iter()
            .filter(|p| p.get("backorder_id") == Some(&json!(picking)))
            .count();
        assert_eq!(backorders, 0, "24 of 24 received");
    });
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
    let ids: Vec<i64> = ["PO-7", "PO.7", "PO-9", "PO-8"]
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
    confirmation_and_shipment_go_back_as_855_and_856,
    edifact_orders_come_back_as_ordrsp_and_desadv,
    suppliers_ship_notice_fills_and_validates_the_receipt,
    changes_and_cancellations_update_the_same_order,
    a_slow_odoo_is_waited_out,
    a_stage_longer_than_its_lease_runs_once,
    a_price_the_profile_rejects_holds_the_order,
    an_odoo_outage_longer_than_every_attempt_needs_no_operator,
    suppliers_ship_notice_in_cases_with_a_lot_on_19,
    po_numbers_differing_in_punctuation_are_two_orders_and_legacy_names_are_found,
);
