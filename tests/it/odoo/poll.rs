//! What Odoo's poller sends back: confirmations and shipments as 855 and 856 (ORDRSP and
//! DESADV for EDIFACT), invoices as 810, changes and cancellations; each once.

use super::*;

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
        wharf::edi::gs1::Sscc::parse(sscc).expect("a valid SSCC-18");
        assert!(
            sscc[1..].starts_with("0614141"),
            "acme's GS1 prefix: {sscc}"
        );
    }
    assert_ne!(ssccs[0], ssccs[1]);
    // The backorder is open in Odoo; nothing more goes out.
    a_whole_poll_round(&odoo, Some(&server)).await;
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
    a_whole_poll_round(&odoo, Some(&server)).await;
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
    let id: MessageId = out.split('\t').next().unwrap().parse().unwrap();
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
    wharf::edi::gs1::Sscc::parse(sscc).expect("a valid SSCC-18");
    assert!(
        sscc[1..].starts_with("4012345"),
        "eurofoods' prefix: {sscc}"
    );
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

/// An order confirmed in Odoo before Wharf committed its link to it (the profile's own
/// confirmation, or a quick sales person: here while Odoo's answer to the load is held) is
/// acknowledged all the same, although the poll that met it first moved its cursor beyond it
/// (another order confirmed after it).
async fn an_order_confirmed_before_wharf_committed_it_is_acknowledged(db: Db) {
    let odoo = odoo(18).await;
    let mut env = env_for(db, &odoo).await;
    env.set_env("WHARF_ERP__POLL_MS", "600000");
    env.set_env("WHARF_SECRET_ODOO_WEBHOOK_TOKEN", WEBHOOK_TOKEN);
    let first = ingest(&env, "a.edi", &order_850(611, "PO-611"));
    let server = env.serve();
    let store = env.store().await;
    assert_eq!(settled(&store, first).await.state, MessageState::Delivered);
    let so_first = assert_order(&odoo, "PO-611");

    // Odoo commits the next order, then holds its answer: Wharf has not committed it yet.
    odoo.with(|w| {
        w.behaviour
            .hold_after_commit
            .insert("sale.order.load".into(), Duration::from_secs(10));
    });
    let second = ingest(&env, "b.edi", &order_850(612, "PO-612"));
    let so_second = wait_for(PATIENCE, "Odoo to commit PO-612", || async {
        odoo.sale_orders()
            .iter()
            .find(|o| o["client_order_ref"] == json!("PO-612"))
            .and_then(|o| o["id"].as_i64())
    })
    .await;
    odoo.confirm(so_second);
    odoo.confirm(so_first);
    a_whole_poll_round(&odoo, Some(&server)).await;
    assert_ne!(
        messages::get(&store, second).await.unwrap().state,
        MessageState::Delivered,
        "the poll ran before Wharf committed PO-612 (else this test proves nothing)"
    );

    // Committed now: the next rounds acknowledge it, once.
    assert_eq!(settled(&store, second).await.state, MessageState::Delivered);
    a_whole_poll_round(&odoo, Some(&server)).await;
    let acks = wait_for(PATIENCE, "both 855s sent", || async {
        let all = sent(&store, "acme", "855").await;
        (all.len() == 2 && all.iter().all(|m| m.state == MessageState::Sent)).then_some(all)
    })
    .await;
    let mut pos: Vec<String> = Vec::new();
    for m in &acks {
        let segs = segments_of(&messages::raw(&store, m.id).await.unwrap());
        let bak = segs.iter().find(|s| s.starts_with("BAK*")).unwrap().clone();
        pos.push(bak.split('*').nth(3).unwrap().to_owned());
    }
    pos.sort();
    assert_eq!(pos, ["PO-611", "PO-612"]);
    a_whole_poll_round(&odoo, Some(&server)).await;
    assert_eq!(
        sent(&store, "acme", "855").await.len(),
        2,
        "one 855 per order"
    );
}

on_both_backends!(
    an_order_confirmed_before_wharf_committed_it_is_acknowledged,
    confirmation_and_shipment_go_back_as_855_and_856,
    edifact_orders_come_back_as_ordrsp_and_desadv,
    changes_and_cancellations_update_the_same_order,
);
