//! Business events of a whole order's life against the Odoo double: the 850 received, the
//! sale order created (with Odoo's id), the 855 and the 856 sent after Odoo's confirmation
//! and shipment; each written once, in acme's gap-free sequence, and each delivered to a
//! webhook subscriber exactly as committed.

use super::*;
use crate::events::{
    Receiver, assert_gap_free, assert_schema_valid, assert_signed, committed, configure,
};
use wharf::model::BusinessEventKind as K;

async fn an_orders_life_is_told_as_events(db: Db) {
    // Arrange
    let odoo = odoo(18).await;
    let hook = Receiver::start().await;
    let mut env = env_for(db, &odoo).await;
    configure(&mut env, &hook, None, 15);
    env.set_env("WHARF_ERP__POLL_MS", "600000");
    env.set_env("WHARF_SECRET_ODOO_WEBHOOK_TOKEN", WEBHOOK_TOKEN);
    let id = ingest(&env, "po.edi", &order_850(611, "PO-611"));

    // Act: the order arrives, is confirmed, then shipped in Odoo.
    let server = env.serve();
    let store = env.store().await;
    assert_eq!(settled(&store, id).await.state, MessageState::Delivered);
    let so = assert_order(&odoo, "PO-611");
    odoo.confirm(so);
    poke(&server);
    wait_for(PATIENCE, "the 855 sent", || async {
        sent(&store, "acme", "855")
            .await
            .into_iter()
            .find(|m| m.state == MessageState::Sent)
    })
    .await;
    let picking = odoo.delivery_of(so);
    odoo.ship(picking, &[10.0, 24.0], &["PACK-1"], "1Z999AA10123456784");
    poke(&server);
    wait_for(PATIENCE, "the 856 sent", || async {
        sent(&store, "acme", "856")
            .await
            .into_iter()
            .find(|m| m.state == MessageState::Sent)
    })
    .await;
    crate::events::all_settled(&store, 4, PATIENCE).await;

    // Assert: four events, in this order of sequence, each once.
    let events = committed(&store).await;
    assert_gap_free(&events);
    assert_schema_valid(events.values());
    let mut life: Vec<_> = events.values().collect();
    life.sort_by_key(|e| e.sequence);
    let kinds: Vec<K> = life.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            K::MessageReceived,
            K::OrderCreated,
            K::OrderAcknowledged,
            K::ShipmentSent
        ],
        "{life:?}"
    );
    assert_eq!(
        life[1].data["erp"],
        json!({ "model": "sale.order", "id": so })
    );
    assert_eq!(life[1].data["po_number"], json!("PO-611"));
    assert_eq!(life[2].data["doc_type"], json!("855"));
    assert_eq!(life[2].data["reference"], json!("PO-611"));
    assert_eq!(life[3].data["doc_type"], json!("856"));
    assert!(life.iter().all(|e| e.partner.as_deref() == Some("acme")));
    let got = hook.received();
    assert_eq!(got.len(), 4, "{got:?}");
    for r in &got {
        assert_eq!(r.body, events[&r.event_id].json());
        assert_signed(r);
    }
    server.stop();
}

on_both_backends!(an_orders_life_is_told_as_events);
