//! The Odoo records a mapped document means: the lookups the connector makes (model and
//! domain) and the records it creates or writes, with `{"ref": "<lookup>"}` where a lookup's
//! result goes. Pure: `wharf translate --plan` shows them without touching Odoo.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::receipt::MappedReceipt;
use super::{MappedOrder, ProductField, ProductKey};
use crate::model::OrderPurpose;
use crate::partners::PriceSource;

/// Odoo's float fields take JSON numbers (its ORM rounds them to the field's digits).
fn number(d: Decimal) -> Value {
    use rust_decimal::prelude::ToPrimitive;
    d.to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// The `product.product` lookup for a product key.
fn product_lookup(name: &str, p: &ProductKey) -> Value {
    let field = match p.field {
        ProductField::DefaultCode => "default_code",
        ProductField::Barcode => "barcode",
        // product.product reaches its template's vendor lines through seller_ids.
        ProductField::SupplierCode => "seller_ids.product_code",
    };
    json!({
        "as": name,
        "model": "product.product",
        "domain": [[field, "=", p.lookup]],
    })
}

/// The name of the `uom.uom` lookup for unit `u`, added to `lookups` the first time a plan
/// needs that unit (`units` remembers which).
fn unit_lookup<'a>(u: &'a str, units: &mut Vec<&'a str>, lookups: &mut Vec<Value>) -> String {
    let name = format!("uom_{u}");
    if !units.contains(&u) {
        units.push(u);
        lookups.push(json!({
            "as": name,
            "model": "uom.uom",
            "domain": [["name", "=", u]],
        }));
    }
    name
}

/// An order date as an Odoo datetime (UTC). Noon, not midnight: a partner's date then shows
/// as the same date in every timezone from UTC-11 to UTC+11.
fn odoo_datetime(date: &str) -> String {
    format!("{date} 12:00:00")
}

/// Odoo major versions whose field names differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OdooVersion {
    /// 17 and 18: `product_uom` on order lines.
    V18,
    /// 19 and later: `product_uom_id`.
    V19,
}

/// The Odoo records an order means: each lookup the connector makes (model and domain) and
/// the `sale.order` it creates under its external ID, with `{"ref": "<lookup>"}` where a
/// lookup's result goes. Pure: shown by `wharf translate --plan` without touching Odoo.
pub fn odoo_records(order: &MappedOrder, version: OdooVersion) -> serde_json::Value {
    let mut lookups = vec![json!({
        "as": "customer",
        "model": "res.partner",
        "domain": [["ref", "=", order.customer_ref]],
    })];
    if let Some(r) = &order.ship_to_ref {
        lookups.push(json!({
            "as": "ship_to",
            "model": "res.partner",
            "domain": [["ref", "=", r], ["type", "=", "delivery"]],
        }));
    }
    let mut units: Vec<&str> = Vec::new();
    let mut lines = Vec::new();
    let any_description = order.lines.iter().any(|l| {
        l.description
            .as_deref()
            .is_some_and(|d| !d.trim().is_empty())
    });
    for (n, l) in order.lines.iter().enumerate() {
        let product_ref = format!("product_{}", n + 1);
        if let Some(p) = &l.product {
            lookups.push(product_lookup(&product_ref, p));
        }
        let mut vals = serde_json::Map::new();
        vals.insert(
            "product_id".into(),
            match &l.product {
                Some(_) => json!({ "ref": product_ref }),
                None => Value::Null,
            },
        );
        // Odoo refuses a whole `load` when one line's `name` cell is empty (18 and 19 alike),
        // and PID is optional in an 850: with no description anywhere the column is left out
        // (Odoo writes the product's own description); a line without one beside lines
        // that have one gets the product's display name, as Odoo itself would show it.
        if any_description {
            let name = match (&l.description, &l.product) {
                (Some(d), _) if !d.trim().is_empty() => json!(d),
                (_, Some(_)) => json!({ "ref": format!("{product_ref}.display_name") }),
                (_, None) => json!(format!("Line {}", l.line_ref.as_deref().unwrap_or("?"))),
            };
            vals.insert("name".into(), name);
        }
        vals.insert("product_uom_qty".into(), number(l.quantity));
        if let Some(u) = &l.uom {
            let unit_ref = unit_lookup(u, &mut units, &mut lookups);
            let field = match version {
                OdooVersion::V18 => "product_uom",
                OdooVersion::V19 => "product_uom_id",
            };
            vals.insert(field.into(), json!({ "ref": unit_ref }));
        }
        match (order.price_source, l.price) {
            (PriceSource::Partner, Some(p)) => {
                vals.insert("price_unit".into(), number(p));
            }
            // Odoo's pricelist sets the price; the partner's is compared after creation.
            _ => {}
        }
        lines.push(json!([0, 0, Value::Object(vals)]));
    }
    if let Some(w) = &order.warehouse {
        lookups.push(json!({
            "as": "warehouse",
            "model": "stock.warehouse",
            "domain": [["code", "=", w]],
        }));
    }
    let mut vals = serde_json::Map::new();
    vals.insert("partner_id".into(), json!({ "ref": "customer" }));
    if order.ship_to_ref.is_some() {
        vals.insert("partner_shipping_id".into(), json!({ "ref": "ship_to" }));
    }
    vals.insert("client_order_ref".into(), json!(order.client_order_ref));
    if let Some(d) = &order.order_date {
        vals.insert("date_order".into(), json!(odoo_datetime(d)));
    }
    if let Some(d) = &order.requested_date {
        vals.insert("commitment_date".into(), json!(odoo_datetime(d)));
    }
    if !order.notes.is_empty() {
        vals.insert("note".into(), json!(order.notes.join("\n")));
    }
    if order.warehouse.is_some() {
        vals.insert("warehouse_id".into(), json!({ "ref": "warehouse" }));
    }
    vals.insert("order_line".into(), Value::Array(lines));
    let action = match order.purpose {
        OrderPurpose::Original => "create",
        OrderPurpose::Cancellation => "cancel",
        _ => "update",
    };
    let mut then = Vec::new();
    if order.confirm && action == "create" {
        then.push("action_confirm");
    }
    json!({
        "lookups": lookups,
        "record": {
            "model": "sale.order",
            "external_id": format!("wharf.{}", order.external_id),
            "action": action,
            "values": Value::Object(vals),
            "then": then,
        },
    })
}

/// The Odoo records a supplier's ship notice means: per purchase order, its incoming
/// receipt; per shipped item, a move line of the receipt's move for the product with the
/// shipped quantity **in the notice's unit** (`product_uom_id`: Odoo converts to the
/// product's unit), the package it came in (by SSCC) and its lot; the tracking number on the
/// receipt; then `button_validate` when the profile says, with or without a backorder for
/// what was not shipped. A cancelled notice changes nothing in Odoo.
///
/// Confirming a purchase already made one move line per move for the whole quantity, so the
/// first item of a move takes that line (an extra line would add to it: 10 + 10 = 20) and
/// only a second package of the same move gets a line of its own. The vendor's part number
/// is looked up among this vendor's own product codes only.
///
/// Every step can run again with the same result, since a retry cannot know how far a
/// failed attempt got: writes set absolute values, and `ensure` finds the record by its
/// `find` domains (in order: the line already in this package, then Odoo's own line without
/// one) before creating it.
pub fn receipt_records(receipt: &MappedReceipt, version: OdooVersion) -> Value {
    let mut lookups = vec![json!({
        "as": "vendor",
        "model": "res.partner",
        "domain": [["ref", "=", receipt.vendor_ref]],
    })];
    let mut writes = Vec::new();
    let mut packages: Vec<&str> = Vec::new();
    let mut units: Vec<&str> = Vec::new();
    if receipt.cancelled {
        return json!({ "lookups": lookups, "records": writes, "then": [] });
    }
    // 19 renamed the package model (`stock.quant.package` answers 404 there).
    let package_model = match version {
        OdooVersion::V18 => "stock.quant.package",
        OdooVersion::V19 => "stock.package",
    };
    for (o, order) in receipt.orders.iter().enumerate() {
        let po = format!("po_{}", o + 1);
        let picking = format!("receipt_{}", o + 1);
        lookups.push(json!({
            "as": po,
            "model": "purchase.order",
            "domain": [["name", "=", order.po_number], ["partner_id", "=", { "ref": "vendor" }]],
        }));
        // The receipt this notice fills is bound to an external ID the first time it is
        // found: a retry after Odoo validated it (and perhaps made a backorder) finds the
        // same picking, done, instead of the backorder.
        let key = format!(
            "{}__{}",
            super::escape_key(&receipt.partner),
            super::escape_key(&receipt.shipment_id)
        );
        lookups.push(json!({
            "as": picking,
            "model": "stock.picking",
            "external_id": format!("wharf.receipt_{key}__{}", o + 1),
            "domain": [
                ["purchase_id", "=", { "ref": po }],
                ["picking_type_code", "=", "incoming"],
                ["state", "not in", ["done", "cancel"]],
            ],
        }));
        for (n, line) in order.lines.iter().enumerate() {
            let Some(p) = &line.product else { continue };
            let product = format!("product_{}_{}", o + 1, n + 1);
            let mv = format!("move_{}_{}", o + 1, n + 1);
            lookups.push(match p.field {
                // Only this vendor's code: another supplier may use the same part number.
                ProductField::SupplierCode => json!({
                    "as": product,
                    "model": "product.product",
                    "domain": [["seller_ids", "any", [
                        ["product_code", "=", p.lookup],
                        ["partner_id", "=", { "ref": "vendor" }],
                    ]]],
                }),
                _ => product_lookup(&product, p),
            });
            lookups.push(json!({
                "as": mv,
                "model": "stock.move",
                "domain": [["picking_id", "=", { "ref": picking }], ["product_id", "=", { "ref": product }]],
            }));
            let mut values = serde_json::Map::new();
            values.insert("move_id".into(), json!({ "ref": mv }));
            values.insert("picking_id".into(), json!({ "ref": picking }));
            values.insert("product_id".into(), json!({ "ref": product }));
            values.insert("quantity".into(), number(line.quantity));
            if let Some(u) = &line.uom {
                let unit_ref = unit_lookup(u, &mut units, &mut lookups);
                values.insert("product_uom_id".into(), json!({ "ref": unit_ref }));
            }
            if let Some(lot) = &line.lot {
                values.insert("lot_name".into(), json!(lot));
            }
            values.insert("picked".into(), json!(true));
            let mine = match &line.package {
                Some(sscc) => {
                    let pkg = format!("package_{sscc}");
                    if !packages.contains(&sscc.as_str()) {
                        packages.push(sscc);
                        writes.push(json!({
                            "model": package_model,
                            "action": "ensure",
                            "as": pkg,
                            "find": [[["name", "=", sscc]]],
                            "values": { "name": sscc },
                        }));
                    }
                    values.insert("result_package_id".into(), json!({ "ref": pkg }));
                    json!([["move_id", "=", { "ref": mv }], ["result_package_id", "=", { "ref": pkg }]])
                }
                None => json!([
                    ["move_id", "=", { "ref": mv }],
                    ["result_package_id", "=", false],
                    ["picked", "=", true],
                ]),
            };
            writes.push(json!({
                "model": "stock.move.line",
                "action": "ensure",
                "find": [
                    mine,
                    // Odoo's own line for the move, not yet given to an item of this notice.
                    [["move_id", "=", { "ref": mv }], ["result_package_id", "=", false], ["picked", "=", false]],
                ],
                "values": Value::Object(values),
            }));
        }
        if let Some(t) = &receipt.tracking_ref {
            writes.push(json!({
                "model": "stock.picking",
                "action": "write",
                "target": { "ref": picking },
                "values": { "carrier_tracking_ref": t },
            }));
        }
    }
    let then: Vec<Value> = if receipt.validate {
        let pickings: Vec<Value> = (1..=receipt.orders.len())
            .map(|o| json!({ "ref": format!("receipt_{o}") }))
            .collect();
        // The backorder wizard's own context: skip it, and name the pickings that get none.
        let mut context = json!({ "skip_backorder": true });
        if !receipt.backorder {
            context["picking_ids_not_to_backorder"] = Value::Array(pickings.clone());
        }
        vec![json!({
            "model": "stock.picking",
            "method": "button_validate",
            "ids": pickings,
            "context": context,
        })]
    } else {
        Vec::new()
    };
    json!({ "lookups": lookups, "records": writes, "then": then })
}
