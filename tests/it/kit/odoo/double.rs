//! The running double the tests hold: started on a free port, and the seeding and inspection
//! helpers tests use to set up Odoo's side and read what Wharf did there.

use super::*;

/// A running double.
pub struct OdooDouble {
    pub addr: SocketAddr,
    pub world: Arc<Mutex<World>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for OdooDouble {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OdooDouble {
    /// Starts a double of Odoo `version` (18 or 19) on a free port.
    pub async fn start(version: u32) -> Self {
        let world = Arc::new(Mutex::new(World::new(version)));
        let app = Router::new()
            .route("/jsonrpc", post(jsonrpc))
            .route("/json/2/{model}/{method}", post(json2))
            .route("/double/stats", axum::routing::get(stats))
            .layer(axum::middleware::from_fn_with_state(world.clone(), timed))
            .with_state(world.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, world, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.world.lock().unwrap())
    }

    /// Creates a record as Odoo's `create` does (defaults, constraints, x2many commands,
    /// side effects); panics on Odoo's refusal. For seeding what the tests need.
    pub fn create(&self, model: &str, vals: Value) -> i64 {
        self.with(|w| w.create(model, &vals, &json!({})))
            .unwrap_or_else(|f| panic!("create {model}: {f:?}"))
    }

    /// Writes as Odoo's `write` does (a move's quantity trims or extends its move lines).
    pub fn write(&self, model: &str, id: i64, vals: Value) {
        let vals = vals.as_object().cloned().unwrap_or_default();
        self.with(|w| w.write(model, &[id], &vals))
            .unwrap_or_else(|f| panic!("write {model}: {f:?}"));
    }

    /// Deletes a record (a later `write` on it is Odoo's MissingError, a `read` finds nothing).
    pub fn delete(&self, model: &str, id: i64) {
        self.with(|w| w.remove(model, id));
    }

    /// A customer (`ref` = its code) and, per code, a delivery address under it.
    pub fn customer(&self, r: &str, deliveries: &[&str]) -> i64 {
        self.with(|w| {
            let id = w.insert("res.partner", json!({ "name": format!("{r} Inc."), "ref": r, "is_company": true, "type": "contact" }));
            for d in deliveries {
                w.insert("res.partner", json!({ "name": format!("{r} {d}"), "ref": d, "type": "delivery", "parent_id": id }));
            }
            id
        })
    }

    /// A stocked product named "Product <code>" in Units, with the default sales tax.
    pub fn product(&self, default_code: &str, barcode: Option<&str>, price: f64) -> i64 {
        self.create(
            "product.product",
            json!({ "name": format!("Product {default_code}"), "default_code": default_code,
                    "barcode": barcode.map_or(Value::Bool(false), |b| json!(b)), "list_price": price,
                    "is_storable": true }),
        )
    }

    /// A unit of the reference size (as `uom_of(name, 1.0)`).
    pub fn uom(&self, name: &str) -> i64 {
        self.uom_of(name, 1.0)
    }

    /// A unit `ratio` times Units (a Case of 12: `uom_of("Case12", 12.0)`), in the version's
    /// fields: 18 `category_id`/`uom_type`/`factor_inv`, 19 `relative_factor`/`relative_uom_id`.
    pub fn uom_of(&self, name: &str, ratio: f64) -> i64 {
        self.with(|w| {
            if w.version >= 19 {
                w.insert(
                    "uom.uom",
                    // 19's factor is the reference units in one of this (uom_uom.py:
                    // `relative_factor * relative_uom_id.factor`); 18's is its inverse.
                    json!({ "name": name, "relative_factor": ratio, "relative_uom_id": 1, "factor": ratio }),
                )
            } else {
                let category = w.get("uom.uom", 1).and_then(|u| id_of(u.get("category_id")));
                let kind = if ratio > 1.0 { "bigger" } else if ratio < 1.0 { "smaller" } else { "reference" };
                let kind = if ratio == 1.0 && name != "Units" { "bigger" } else { kind };
                w.insert(
                    "uom.uom",
                    json!({ "name": name, "category_id": category, "uom_type": kind, "factor_inv": ratio, "factor": 1.0 / ratio }),
                )
            }
        })
    }

    /// A warehouse; its deliveries are named `<code>/OUT/00001`….
    pub fn warehouse(&self, name: &str, code: &str) -> i64 {
        self.with(|w| w.insert("stock.warehouse", json!({ "name": name, "code": code })))
    }

    /// Another user with every right, who signs in with `key` (one per gateway of a fleet,
    /// so the double can tell whose calls are whose). Returns the uid.
    pub fn user(&self, name: &str, login: &str, key: &str) -> i64 {
        self.with(|w| {
            let uid = w.insert("res.users", json!({ "name": name, "login": login }));
            w.keys.insert(uid, key.to_owned());
            uid
        })
    }

    /// How many calls of `model.method` the user `uid` made.
    pub fn calls_by(&self, uid: i64, call: &str) -> usize {
        self.with(|w| {
            w.calls
                .iter()
                .zip(&w.callers)
                .filter(|(c, u)| *c == call && **u == uid)
                .count()
        })
    }

    /// Takes `operation` (read, create, write, unlink) on `model` from every user, as when
    /// the integration user lacks the group that grants it.
    pub fn deny(&self, model: &str, operation: &str) {
        self.with(|w| w.denied.insert((model.to_owned(), operation.to_owned())));
    }

    /// Removes a record the way an operator deleting it in Odoo would (`delete` by id,
    /// found here by one field's value): for "Odoo lacks this record" tests.
    pub fn delete_where(&self, model: &str, field: &str, value: &str) {
        self.with(|w| {
            let ids: Vec<i64> = w
                .all(model)
                .iter()
                .filter(|r| r.get(field) == Some(&json!(value)))
                .filter_map(|r| r["id"].as_i64())
                .collect();
            for id in ids {
                w.remove(model, id);
            }
        });
    }

    /// An internal user without the Sales groups who signs in with `password`: Odoo refuses
    /// its calls on `sale.order` with AccessError. Returns the uid.
    pub fn user_without_sales(&self, name: &str, login: &str, password: &str) -> i64 {
        self.with(|w| {
            let uid = w.insert("res.users", json!({ "name": name, "login": login }));
            w.keys.insert(uid, password.to_owned());
            w.no_sales.push(uid);
            uid
        })
    }

    /// What a sales person does: confirm the order (its delivery is created, reserved).
    pub fn confirm(&self, order: i64) {
        self.with(|w| w.confirm(order)).expect("confirm");
    }

    /// What a sales person does before confirming: change a line's quantity.
    pub fn set_line_quantity(&self, line: i64, quantity: f64) {
        self.with(|w| {
            w.update(
                "sale.order.line",
                line,
                json!({ "product_uom_qty": quantity }).as_object().unwrap(),
            )
        });
    }

    /// The open delivery of a sale order.
    pub fn delivery_of(&self, order: i64) -> i64 {
        self.with(|w| {
            w.all("stock.picking")
                .into_iter()
                .find(|p| p["sale_id"] == json!(order) && p["state"] != json!("done"))
                .and_then(|p| p["id"].as_i64())
                .expect("an open delivery")
        })
    }

    /// The moves of a picking, in id order (quantities in the product's unit).
    pub fn moves_of(&self, picking: i64) -> Vec<Record> {
        self.with(|w| {
            w.all("stock.move")
                .into_iter()
                .filter(|m| id_of(m.get("picking_id")) == Some(picking))
                .collect()
        })
    }

    /// The move lines of a picking, in id order.
    pub fn move_lines_of(&self, picking: i64) -> Vec<Record> {
        self.with(|w| {
            w.all("stock.move.line")
                .into_iter()
                .filter(|m| id_of(m.get("picking_id")) == Some(picking))
                .collect()
        })
    }

    /// What the warehouse does: pick `quantities` (per move, in order, in the product's
    /// unit), pack each move's lines in their own package named `package_names[i]` when
    /// given, set the tracking number, and validate (a short pick leaves a backorder).
    pub fn ship(&self, picking: i64, quantities: &[f64], package_names: &[&str], tracking: &str) {
        self.with(|w| {
            let moves = w.children("stock.move", "picking_id", picking);
            for (i, id) in moves.iter().enumerate() {
                let q = quantities.get(i).copied().unwrap_or(0.0);
                let vals = json!({ "quantity": q, "picked": true });
                w.write("stock.move", &[*id], vals.as_object().unwrap())
                    .expect("pick");
                if let Some(name) = package_names.get(i) {
                    let model = w.package_model();
                    let pkg = w
                        .create(model, &json!({ "name": name }), &json!({}))
                        .expect("package");
                    for l in w.children("stock.move.line", "move_id", *id) {
                        w.update(
                            "stock.move.line",
                            l,
                            json!({ "result_package_id": pkg }).as_object().unwrap(),
                        );
                    }
                }
            }
            w.update(
                "stock.picking",
                picking,
                json!({ "carrier_tracking_ref": tracking })
                    .as_object()
                    .unwrap(),
            );
            w.validate(picking, &json!({ "skip_backorder": true }), None)
                .expect("validate");
        });
    }

    /// A purchase order `name` from the vendor with this `ref`, confirmed: its incoming
    /// receipt has one move per line, reserved in full with one move line each (as Odoo
    /// does), nothing received yet. Returns the receipt's id.
    pub fn purchase(&self, vendor_ref: &str, name: &str, lines: &[(i64, f64)]) -> i64 {
        self.with(|w| {
            let vendor = w
                .all("res.partner")
                .into_iter()
                .find(|p| p["ref"] == json!(vendor_ref))
                .and_then(|p| p["id"].as_i64())
                .expect("vendor");
            let order_line: Vec<Value> = lines
                .iter()
                .map(|(product, qty)| json!([0, 0, { "product_id": product, "product_qty": qty, "price_unit": 1.0 }]))
                .collect();
            let po = w
                .create("purchase.order", &json!({ "name": name, "partner_id": vendor, "order_line": order_line }), &json!({}))
                .expect("purchase order");
            w.confirm_purchase(po).expect("confirm purchase")
        })
    }

    /// The vendor's own code for a product (its line on the product's vendor list).
    pub fn supplier_code(&self, vendor_ref: &str, product: i64, code: &str) {
        self.with(|w| {
            let vendor = w
                .all("res.partner")
                .into_iter()
                .find(|p| p["ref"] == json!(vendor_ref))
                .and_then(|p| p["id"].as_i64());
            w.insert(
                "product.supplierinfo",
                json!({ "partner_id": vendor, "product_id": product, "product_code": code }),
            );
        });
    }

    /// What accounting does: invoice what was delivered on the order (with the lines'
    /// taxes), and post it dated 2026-11-27.
    pub fn invoice(&self, order: i64) -> i64 {
        self.with(|w| {
            let mv = w
                .invoice_order(order, true)
                .expect("invoice")
                .expect("something delivered");
            w.update(
                "account.move",
                mv,
                json!({ "invoice_date": "2026-11-27" }).as_object().unwrap(),
            );
            w.post(mv).expect("post");
            mv
        })
    }

    /// Odoo's own invoicing wizard ("Create invoice", regular, as the products' invoicing
    /// policy says: ordered quantities by default), then posted. Returns the invoice.
    pub fn invoice_as_odoo(&self, order: i64) -> i64 {
        self.with(|w| {
            let ctx =
                json!({ "active_model": "sale.order", "active_ids": [order], "active_id": order });
            let wizard = w
                .create(
                    "sale.advance.payment.inv",
                    &json!({ "advance_payment_method": "delivered" }),
                    &ctx,
                )
                .expect("wizard");
            let action = w.create_invoices(wizard, &ctx).expect("create_invoices");
            let mv = action["res_id"].as_i64().expect("an invoice");
            w.post(mv).expect("post");
            mv
        })
    }

    pub fn sale_orders(&self) -> Vec<Record> {
        self.with(|w| w.all("sale.order"))
    }

    pub fn lines_of(&self, order: i64) -> Vec<Record> {
        self.with(|w| {
            w.all("sale.order.line")
                .into_iter()
                .filter(|l| l["order_id"] == json!(order))
                .collect()
        })
    }
}
