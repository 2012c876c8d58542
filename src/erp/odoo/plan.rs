//! The Odoo records a mapped document means: the lookups the connector makes (model and
//! domain) and the records it creates or writes, with `{"ref": "<lookup>"}` where a lookup's
//! result goes. Pure: `records.rs` carries them out, and the dry run (`wharf translate
//! --plan`, the admin's "test a file") shows them without touching Odoo.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::model::OrderPurpose;
use crate::partners::PriceSource;
use crate::pipeline::ports::{
    Mapped, MappedOrder, MappedReceipt, ProductField, ProductKey, RecordPlanner, escape_key,
};

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

impl OdooVersion {
    /// The field names of Odoo's major version `major` (17, 18, 19, …).
    pub fn of_major(major: u32) -> Self {
        if major >= 19 {
            OdooVersion::V19
        } else {
            OdooVersion::V18
        }
    }

    /// The package model: 19 renamed `stock.quant.package` (which answers 404 there).
    pub fn package_model(self) -> &'static str {
        match self {
            OdooVersion::V18 => "stock.quant.package",
            OdooVersion::V19 => "stock.package",
        }
    }
}

/// The records any mapped document means: [`odoo_records`] for an order, [`receipt_records`]
/// for a ship notice.
pub fn records(doc: &Mapped, version: OdooVersion) -> Value {
    match doc {
        Mapped::Order(o) => odoo_records(o, version),
        Mapped::Receipt(r) => receipt_records(r, version),
    }
}

/// The dry run's planner: the Odoo records, in the terms of the major version it is asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct OdooPlanner;

impl RecordPlanner for OdooPlanner {
    fn records(&self, doc: &Mapped, version: u32) -> Value {
        records(doc, OdooVersion::of_major(version))
    }
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
        // Otherwise Odoo's pricelist sets the price; the partner's is compared after creation.
        if let (PriceSource::Partner, Some(p)) = (order.price_source, l.price) {
            vals.insert("price_unit".into(), number(p));
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
    let package_model = version.package_model();
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
            escape_key(&receipt.partner),
            escape_key(&receipt.shipment_id)
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

/// The name orders got before names were injective (`wharf_<partner>_<PO>`, every character
/// outside `[A-Za-z0-9]` as `_`): still looked up, so an order made by an earlier version is
/// found on a resend — and taken only when its `client_order_ref` is this PO.
pub fn legacy_external_id(partner: &str, po: &str) -> String {
    let clean: String = po
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("wharf_{partner}_{clean}")
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::model::ship_notice::ShipNotice;
    use crate::model::{Document, ItemIdQualifier, Order, OrderLine, Party, PartyRole, SourceRef};
    use crate::partners::{Profile, Rule, Verdict, parse_profile};
    use crate::pipeline::ports::{map_order, map_ship_notice};

    fn profile(extra: &str) -> Profile {
        let text = format!(
            "id = \"acme\"\nname = \"ACME\"\n[x12]\nqualifier = \"ZZ\"\nid = \"ACME\"\n{extra}"
        );
        parse_profile(std::path::Path::new("partners/acme.toml"), &text).expect("profile")
    }

    fn line(ids: &[(ItemIdQualifier, &str)], uom: Option<&str>, price: Option<&str>) -> OrderLine {
        OrderLine {
            line_number: "1".into(),
            quantity: Decimal::new(10, 0),
            uom: uom.map(Into::into),
            unit_price: price.map(|p| p.parse().expect("decimal")),
            item_ids: ids
                .iter()
                .map(|(q, v)| crate::model::ItemId {
                    qualifier: q.clone(),
                    value: (*v).into(),
                })
                .collect(),
            description: None,
        }
    }

    fn order(lines: Vec<OrderLine>, ship_to_code: Option<&str>) -> Order {
        let t = crate::model::Text::default;
        Order {
            purpose: OrderPurpose::Original,
            po_number: "PO-1".into(),
            po_date: None,
            order_type: None,
            currency: None,
            parties: ship_to_code
                .map(|code| Party {
                    role: PartyRole::ShipTo,
                    name: None,
                    additional_names: Vec::new(),
                    id_qualifier: Some("92".into()),
                    id: Some(code.into()),
                    address_lines: Vec::new(),
                    city: None,
                    state: None,
                    postal_code: None,
                    country: None,
                })
                .into_iter()
                .collect(),
            lines,
            notes: Vec::new(),
            requested_delivery_date: None,
            requested_ship_date: None,
            source: SourceRef {
                standard: "X12".into(),
                version: t(),
                interchange_control: t(),
                group_control: t(),
                set_control: t(),
                sender_id: t(),
                receiver_id: t(),
            },
        }
    }

    #[test]
    fn price_policy_decides_whose_price_odoo_gets() {
        let o = order(
            vec![
                line(&[(ItemIdQualifier::VendorPart, "A")], None, Some("12.50")),
                line(&[(ItemIdQualifier::VendorPart, "B")], None, None),
            ],
            Some("1"),
        );
        let mut f = Vec::new();
        let m = map_order(&profile(""), &o, &mut f);
        assert_eq!(m.price_source, PriceSource::Partner);
        assert_eq!(m.price_tolerance, Decimal::new(1, 2));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].rule, f[0].verdict),
            (Rule::PriceMissing, Verdict::Warn)
        );
        let r = odoo_records(&m, OdooVersion::V18);
        let lines = &r["record"]["values"]["order_line"];
        assert_eq!(lines[0][2]["price_unit"], 12.5);
        assert_eq!(lines[0][2]["product_uom_qty"], 10.0);
        assert!(lines[1][2].get("price_unit").is_none(), "{r}");

        let p = profile("[mapping]\nprice = \"odoo\"\nprice_tolerance = \"0.05\"\n");
        f.clear();
        let m = map_order(&p, &o, &mut f);
        assert_eq!(m.price_source, PriceSource::Odoo);
        assert_eq!(m.price_tolerance, Decimal::new(5, 2));
        assert!(
            f.is_empty(),
            "Odoo's price needs none from the partner: {f:?}"
        );
        let r = odoo_records(&m, OdooVersion::V18);
        assert!(
            r["record"]["values"]["order_line"][0][2]
                .get("price_unit")
                .is_none(),
            "Odoo's pricelist sets the price: {r}"
        );
        // The partner's price is kept for the connector's comparison.
        assert_eq!(m.lines[0].price, Some(Decimal::new(1250, 2)));
    }

    #[test]
    fn odoo_records_name_fields_by_version() {
        let p = profile(
            "[mapping]\nconfirm = true\nuom = { EA = \"Units\" }\n[mapping.defaults]\nwarehouse = \"WH2\"\n",
        );
        let o = order(
            vec![line(
                &[(ItemIdQualifier::VendorPart, "A")],
                Some("EA"),
                Some("2"),
            )],
            Some("0042"),
        );
        let m = map_order(&p, &o, &mut Vec::new());
        let r18 = odoo_records(&m, OdooVersion::V18);
        let r19 = odoo_records(&m, OdooVersion::V19);
        let l18 = &r18["record"]["values"]["order_line"][0][2];
        let l19 = &r19["record"]["values"]["order_line"][0][2];
        assert_eq!(l18["product_uom"]["ref"], "uom_Units");
        assert_eq!(l19["product_uom_id"]["ref"], "uom_Units");
        assert!(l19.get("product_uom").is_none());
        assert_eq!(r18["record"]["external_id"], "wharf.order_acme__PO_2D1");
        assert_eq!(r18["record"]["then"][0], "action_confirm");
        assert_eq!(r18["record"]["values"]["client_order_ref"], "PO-1");
        let lookups = r18["lookups"].as_array().unwrap();
        let domain = |name: &str| {
            lookups
                .iter()
                .find(|l| l["as"] == name)
                .map(|l| l["domain"].clone())
                .unwrap_or_default()
        };
        assert_eq!(
            domain("ship_to"),
            serde_json::json!([["ref", "=", "0042"], ["type", "=", "delivery"]])
        );
        assert_eq!(
            domain("product_1"),
            serde_json::json!([["default_code", "=", "A"]])
        );
        assert_eq!(
            domain("warehouse"),
            serde_json::json!([["code", "=", "WH2"]])
        );
    }

    #[test]
    fn lines_without_a_description_are_named_by_the_product_or_not_at_all() {
        // Odoo refuses a whole `load` when one line's name cell is empty (transcripts 13/14).
        let p = profile("[mapping]\nuom = { EA = \"Units\" }\n");
        let a = line(&[(ItemIdQualifier::VendorPart, "A")], Some("EA"), None);
        let mut b = line(&[(ItemIdQualifier::VendorPart, "B")], Some("EA"), None);
        // No PID anywhere: no name column, Odoo names each line after its product.
        let m = map_order(
            &p,
            &order(vec![a.clone(), b.clone()], None),
            &mut Vec::new(),
        );
        let r = odoo_records(&m, OdooVersion::V18);
        for n in 0..2 {
            let l = &r["record"]["values"]["order_line"][n][2];
            assert!(l.get("name").is_none(), "{l}");
        }
        // One line with a PID: the other gets its product's display name, never "".
        b.description = Some("Blue widget".into());
        let m = map_order(&p, &order(vec![a, b], None), &mut Vec::new());
        let r = odoo_records(&m, OdooVersion::V19);
        let lines = &r["record"]["values"]["order_line"];
        assert_eq!(
            lines[0][2]["name"],
            serde_json::json!({ "ref": "product_1.display_name" })
        );
        assert_eq!(lines[1][2]["name"], "Blue widget");
    }

    fn supplier(extra: &str) -> Profile {
        let text = format!(
            "id = \"pinnacle\"\nname = \"P\"\n[x12]\nqualifier = \"ZZ\"\nid = \"P\"\n{extra}"
        );
        crate::partners::parse_profile(std::path::Path::new("partners/pinnacle.toml"), &text)
            .expect("profile")
    }

    /// The 856 fixture (S/O/P/I: one carton, SSCC 106141412345678908, 10 EA of BP ACME-001 /
    /// VP WID-1 for PO-1001), with a loose item added to the order.
    fn notice() -> ShipNotice {
        let raw = include_bytes!("../../../tests/fixtures/x12/856_sopi.edi");
        let t = crate::documents::x12::translate(raw).expect("translates");
        let doc = t.interchanges[0].documents[0].clone();
        let Document::ShipNotice(mut n) = doc else {
            panic!("not a ship notice: {doc:?}");
        };
        let mut loose = n.orders[0].packs[0].items[0].clone();
        loose.item_ids.retain(|id| id.value == "ACME-001");
        loose.quantity = Decimal::new(3, 0);
        loose.uom = "CA".into();
        n.orders[0].loose_items.push(loose);
        n
    }

    #[test]
    fn receipt_records_fill_the_moves_and_validate_per_supplier() {
        let p = supplier(
            "[mapping]\nitem_id_order = [\"vendor_part\", \"buyer_part\"]\nuom = { EA = \"Units\", CA = \"Case12\" }\n",
        );
        let mut n = notice();
        n.orders[0].packs[0].items[0]
            .item_ids
            .push(crate::model::ItemId {
                qualifier: ItemIdQualifier::Other("LT".into()),
                value: "LOT-7".into(),
            });
        let r = map_ship_notice(&p, &n, &mut Vec::new());
        assert_eq!(r.orders[0].lines[0].lot.as_deref(), Some("LOT-7"));
        let plan = receipt_records(&r, OdooVersion::V18);
        let records = plan["records"].as_array().unwrap();
        // The carton becomes a package named by its SSCC, its item a move line in it.
        assert_eq!(records[0]["model"], "stock.quant.package");
        assert_eq!(
            records[0]["action"], "ensure",
            "found by its SSCC before it is created"
        );
        assert_eq!(records[0]["values"]["name"], "106141412345678908");
        let packed = &records[1];
        assert_eq!(packed["model"], "stock.move.line");
        assert_eq!(packed["values"]["quantity"], 10.0);
        assert_eq!(packed["values"]["lot_name"], "LOT-7");
        assert_eq!(
            packed["values"]["product_uom_id"]["ref"], "uom_Units",
            "the notice's unit, converted by Odoo"
        );
        assert_eq!(
            packed["values"]["result_package_id"]["ref"],
            "package_106141412345678908"
        );
        // Odoo's own move line (made when the purchase was confirmed) is taken before a
        // new one is created: a second line would add to the move (10 + 10 = 20).
        let finds = packed["find"].as_array().unwrap();
        assert_eq!(finds.len(), 2);
        assert_eq!(
            finds[1],
            serde_json::json!([["move_id", "=", { "ref": "move_1_1" }], ["result_package_id", "=", false], ["picked", "=", false]])
        );
        // The loose item: a move line of its own move, in cases.
        assert_eq!(records[2]["model"], "stock.move.line");
        assert_eq!(records[2]["values"]["quantity"], 3.0);
        assert_eq!(records[2]["values"]["product_uom_id"]["ref"], "uom_Case12");
        assert_eq!(records[3]["values"]["carrier_tracking_ref"], "BOL-9");
        let lookups = plan["lookups"].as_array().unwrap();
        let picking = lookups
            .iter()
            .find(|l| l["as"] == "receipt_1")
            .cloned()
            .unwrap();
        assert_eq!(
            picking["domain"][1],
            serde_json::json!(["picking_type_code", "=", "incoming"])
        );
        // The vendor's part number among this vendor's codes only.
        let product = lookups
            .iter()
            .find(|l| l["as"] == "product_1_1")
            .cloned()
            .unwrap();
        assert_eq!(
            product["domain"],
            serde_json::json!([["seller_ids", "any", [["product_code", "=", "WID-1"], ["partner_id", "=", { "ref": "vendor" }]]]])
        );
        assert!(
            plan["then"].as_array().unwrap().is_empty(),
            "left ready by default"
        );
        // Odoo 19 renamed the package model.
        let plan19 = receipt_records(&r, OdooVersion::V19);
        assert_eq!(plan19["records"][0]["model"], "stock.package");

        let p = supplier("[receipts]\nvalidate = true\nbackorder = false\n");
        let plan = receipt_records(
            &map_ship_notice(&p, &notice(), &mut Vec::new()),
            OdooVersion::V18,
        );
        let then = &plan["then"][0];
        assert_eq!(then["method"], "button_validate");
        assert_eq!(then["context"]["skip_backorder"], true);
        assert_eq!(
            then["context"]["picking_ids_not_to_backorder"][0]["ref"],
            "receipt_1"
        );
        let p = supplier("[receipts]\nvalidate = true\n");
        let plan = receipt_records(
            &map_ship_notice(&p, &notice(), &mut Vec::new()),
            OdooVersion::V18,
        );
        assert!(
            plan["then"][0]["context"]
                .get("picking_ids_not_to_backorder")
                .is_none()
        );
    }

    #[test]
    fn legacy_names_keep_their_old_form() {
        assert_eq!(legacy_external_id("acme", "PO-7"), "wharf_acme_PO_7");
    }
}
