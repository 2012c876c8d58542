//! The lookup cache against the double: a warm order asks Odoo for no customer, address,
//! product or unit, and a product renamed, re-coded or archived in Odoo after it was cached
//! is noticed (its `write_date`), so no order is made with a record that no longer matches.

use super::*;

/// Object calls the double answered for `model.method`.
fn calls(odoo: &OdooDouble, call: &str) -> usize {
    odoo.with(|w| w.calls.iter().filter(|c| *c == call).count())
}

fn product_id(odoo: &OdooDouble, code: &str) -> i64 {
    odoo.with(|w| {
        w.all("product.product")
            .into_iter()
            .find(|p| p["default_code"] == json!(code))
            .and_then(|p| p["id"].as_i64())
            .unwrap()
    })
}

fn order_lines(odoo: &OdooDouble, po: &str) -> Vec<Value> {
    let order = odoo
        .sale_orders()
        .into_iter()
        .find(|o| o["client_order_ref"] == json!(po))
        .unwrap_or_else(|| panic!("no sale order for {po}"));
    odoo.lines_of(order["id"].as_i64().unwrap())
        .into_iter()
        .map(Value::Object)
        .collect()
}

/// With `cache_validate_ms = 0` every batch first re-reads the cached records' write_dates.
async fn a_record_changed_in_odoo_after_it_was_cached_is_noticed(db: Db, version: u32) {
    let odoo = odoo(version).await;
    let mut env = env_for(db, &odoo).await;
    env.set_env("WHARF_ERP__CACHE_VALIDATE_MS", "0");
    let _server = env.serve();
    let store = env.store().await;
    let first = ingest(&env, "po1.edi", &order_850(601, "PO-601"));
    assert_eq!(settled(&store, first).await.state, MessageState::Delivered);
    let old = product_id(&odoo, "WID-1");
    assert_eq!(order_lines(&odoo, "PO-601")[0]["product_id"], json!(old));

    // Warm: the second order's customer, address, products and units come from the cache;
    // Odoo is asked only whether they changed (one read per model, by id).
    let partner_reads = calls(&odoo, "res.partner.search_read");
    let second = ingest(&env, "po2.edi", &order_850(602, "PO-602"));
    assert_eq!(settled(&store, second).await.state, MessageState::Delivered);
    assert_eq!(
        calls(&odoo, "res.partner.search_read") - partner_reads,
        1,
        "customer and ship-to were cached: only their write_dates were read"
    );
    assert_eq!(order_lines(&odoo, "PO-602")[0]["product_id"], json!(old));

    // In Odoo, WID-1's code moves to a new product and the old one is renamed.
    odoo.write(
        "product.product",
        old,
        json!({ "default_code": "WID-1-OLD", "name": "Old widget" }),
    );
    let new = odoo.product("WID-1", None, 11.0);
    let third = ingest(&env, "po3.edi", &order_850(603, "PO-603"));
    assert_eq!(settled(&store, third).await.state, MessageState::Delivered);
    let lines = order_lines(&odoo, "PO-603");
    assert_eq!(
        lines[0]["product_id"],
        json!(new),
        "the re-coded product was noticed: WID-1 is the new one"
    );

    // Then WID-1 is archived: no order may name it.
    odoo.write("product.product", new, json!({ "active": false }));
    let fourth = ingest(&env, "po4.edi", &order_850(604, "PO-604"));
    let m = settled(&store, fourth).await;
    assert_ne!(m.state, MessageState::Delivered, "{m:?}");
    assert!(
        m.error
            .as_deref()
            .unwrap_or_default()
            .contains("product.product"),
        "{m:?}"
    );
    assert!(
        odoo.sale_orders()
            .iter()
            .all(|o| o["client_order_ref"] != json!("PO-604")),
        "no order with an archived product"
    );
}

/// With a long validation window the cached product is used without asking; archived in
/// Odoo meanwhile, Odoo refuses it in the `load` (a `/.id` it cannot find), the cache is
/// dropped and the order asked again: refused for the product, never made with it.
async fn an_archived_product_is_caught_by_the_load_inside_the_window(db: Db) {
    let odoo = odoo(18).await;
    let mut env = env_for(db, &odoo).await;
    env.set_env("WHARF_ERP__CACHE_VALIDATE_MS", "3600000");
    let _server = env.serve();
    let store = env.store().await;
    let first = ingest(&env, "po1.edi", &order_850(611, "PO-611"));
    assert_eq!(settled(&store, first).await.state, MessageState::Delivered);
    let products = calls(&odoo, "product.product.search_read");
    let second = ingest(&env, "po2.edi", &order_850(612, "PO-612"));
    assert_eq!(settled(&store, second).await.state, MessageState::Delivered);
    assert_eq!(
        calls(&odoo, "product.product.search_read"),
        products,
        "warm and inside the window: no product lookup at all"
    );
    let wid1 = product_id(&odoo, "WID-1");
    odoo.write("product.product", wid1, json!({ "active": false }));
    let third = ingest(&env, "po3.edi", &order_850(613, "PO-613"));
    let m = settled(&store, third).await;
    assert_ne!(m.state, MessageState::Delivered, "{m:?}");
    assert!(
        m.error
            .as_deref()
            .unwrap_or_default()
            .contains("product.product"),
        "asked again and not found: {m:?}"
    );
    assert!(
        odoo.sale_orders()
            .iter()
            .all(|o| o["client_order_ref"] != json!("PO-613"))
    );
}

async fn a_record_changed_after_caching_is_noticed_18(db: Db) {
    a_record_changed_in_odoo_after_it_was_cached_is_noticed(db, 18).await;
}

async fn a_record_changed_after_caching_is_noticed_19(db: Db) {
    a_record_changed_in_odoo_after_it_was_cached_is_noticed(db, 19).await;
}

on_both_backends!(
    a_record_changed_after_caching_is_noticed_18,
    a_record_changed_after_caching_is_noticed_19,
    an_archived_product_is_caught_by_the_load_inside_the_window,
);
