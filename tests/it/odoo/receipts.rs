//! A supplier's ship notice fills and validates the Odoo receipt of its purchase order, in
//! units or in cases with a lot (Odoo 19).

use super::*;

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

on_both_backends!(
    suppliers_ship_notice_fills_and_validates_the_receipt,
    suppliers_ship_notice_in_cases_with_a_lot_on_19,
);
