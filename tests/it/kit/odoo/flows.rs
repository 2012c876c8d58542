//! The double's business flows: stock moves and pickings (validation, backorders, packages),
//! sale and purchase confirmation, invoices.

use super::*;

impl World {
    /// A move's quantity is the sum of its move lines' (Odoo computes it so).
    pub(super) fn recompute_move(&mut self, mv: Option<i64>) {
        let Some(mv) = mv else { return };
        // Each line in its own unit (a receipt line written in cases), the move in the
        // product's: Odoo converts line by line.
        let total: f64 = self
            .children("stock.move.line", "move_id", mv)
            .iter()
            .filter_map(|l| self.get("stock.move.line", *l))
            .map(|l| self.line_in_product_unit(l))
            .sum();
        self.update(
            "stock.move",
            mv,
            json!({ "quantity": total }).as_object().unwrap(),
        );
    }

    /// A move line's quantity in its product's unit (`quantity_product_uom`).
    pub(super) fn line_in_product_unit(&self, l: &Record) -> f64 {
        let q = f(l.get("quantity"));
        let Some(unit) = id_of(l.get("product_uom_id")) else {
            return q;
        };
        let product = id_of(l.get("product_id")).map_or(1, |p| self.product_uom(p));
        q * self.uom_ratio(unit) / self.uom_ratio(product)
    }

    /// Writing a move's quantity: less trims its move lines from the last one (a line left
    /// at 0 is deleted, as the recording shows for Wharf's packaged line), more goes on the
    /// last line (or a new one).
    pub fn set_move_quantity(&mut self, mv: i64, quantity: f64) {
        let lines = self.children("stock.move.line", "move_id", mv);
        let total: f64 = lines
            .iter()
            .filter_map(|l| self.get("stock.move.line", *l))
            .map(|l| f(l.get("quantity")))
            .sum();
        if quantity < total {
            let mut excess = total - quantity;
            for l in lines.iter().rev() {
                if excess <= 1e-9 {
                    break;
                }
                let q = f(self
                    .get("stock.move.line", *l)
                    .and_then(|r| r.get("quantity")));
                let take = q.min(excess);
                excess -= take;
                if q - take <= 1e-9 {
                    self.remove("stock.move.line", *l);
                } else {
                    self.update(
                        "stock.move.line",
                        *l,
                        json!({ "quantity": q - take }).as_object().unwrap(),
                    );
                }
            }
        } else if quantity > total {
            match lines.last() {
                Some(l) => {
                    let q = f(self
                        .get("stock.move.line", *l)
                        .and_then(|r| r.get("quantity")));
                    self.update(
                        "stock.move.line",
                        *l,
                        json!({ "quantity": q + quantity - total })
                            .as_object()
                            .unwrap(),
                    );
                }
                None => {
                    let m = self.get("stock.move", mv).cloned().unwrap_or_default();
                    self.new_move_line(&m, quantity);
                }
            }
        }
        self.update(
            "stock.move",
            mv,
            json!({ "quantity": quantity }).as_object().unwrap(),
        );
    }

    pub(super) fn new_move_line(&mut self, m: &Record, quantity: f64) -> i64 {
        let product = id_of(m.get("product_id")).unwrap_or(0);
        let uom = self.product_uom(product);
        self.insert(
            "stock.move.line",
            json!({ "move_id": m["id"], "picking_id": id_of(m.get("picking_id")), "product_id": product,
                    "quantity": quantity, "product_uom_id": uom, "picked": m.get("picked").cloned().unwrap_or(json!(false)),
                    "lot_id": false, "lot_name": false, "package_id": false, "result_package_id": false }),
        )
    }

    /// A reserved move (its demand in the product's unit) with one move line for all of it,
    /// as Odoo makes them when an order is confirmed with stock (or a purchase from a vendor).
    pub(super) fn new_move(
        &mut self,
        picking: i64,
        product: i64,
        demand: f64,
        link: (&str, i64),
    ) -> i64 {
        let uom = self.product_uom(product);
        let mv = self.insert(
            "stock.move",
            json!({ "picking_id": picking, "product_id": product, "product_uom_qty": demand,
                    "quantity": demand, "product_uom": uom, "picked": false, "state": "assigned",
                    link.0: link.1 }),
        );
        let m = self.get("stock.move", mv).cloned().unwrap_or_default();
        self.new_move_line(&m, demand);
        mv
    }

    pub(super) fn picking_name(&mut self, prefix: &str) -> String {
        let n = self.next_seq(prefix);
        format!("{prefix}/{n:05}")
    }

    pub(super) fn warehouse_code(&self, warehouse: Option<i64>) -> String {
        let w = warehouse
            .and_then(|w| self.get("stock.warehouse", w))
            .cloned()
            .or_else(|| self.all("stock.warehouse").into_iter().next())
            .unwrap_or_default();
        w.get("code")
            .and_then(Value::as_str)
            .unwrap_or("WH")
            .to_owned()
    }

    pub(super) fn confirm(&mut self, id: i64) -> Result<Value, Fault> {
        let so = self
            .get("sale.order", id)
            .cloned()
            .ok_or_else(|| Fault::missing("sale.order", id))?;
        if so["state"] != "draft" && so["state"] != "sent" {
            return Err(Fault::user_error(format!(
                "Some orders are not in a state requiring confirmation ({})",
                so["name"]
            )));
        }
        self.update(
            "sale.order",
            id,
            json!({ "state": "sale", "delivery_status": "pending" })
                .as_object()
                .unwrap(),
        );
        // The delivery's origin: "S00606 - <client_order_ref>" on 18, "S00241" on 19.
        let name = so["name"].as_str().unwrap_or_default();
        let origin = match so.get("client_order_ref").and_then(Value::as_str) {
            Some(r) if self.version < 19 && !r.is_empty() => format!("{name} - {r}"),
            _ => name.to_owned(),
        };
        let code = self.warehouse_code(id_of(so.get("warehouse_id")));
        let pname = self.picking_name(&format!("{code}/OUT"));
        let partner = id_of(so.get("partner_shipping_id")).or(id_of(so.get("partner_id")));
        let picking = self.insert(
            "stock.picking",
            json!({ "name": pname, "sale_id": id, "partner_id": partner, "picking_type_code": "outgoing",
                    "state": "assigned", "origin": origin, "carrier_tracking_ref": false, "backorder_id": false }),
        );
        let uom_field = self.line_uom_field();
        for line in self.children("sale.order.line", "order_id", id) {
            let l = self
                .get("sale.order.line", line)
                .cloned()
                .unwrap_or_default();
            let product = id_of(l.get("product_id")).unwrap_or(0);
            // In the product's unit: 2 × Case-of-12 is a move of 24 Units.
            let line_uom = id_of(l.get(uom_field)).unwrap_or(1);
            let demand = f(l.get("product_uom_qty")) * self.uom_ratio(line_uom)
                / self.uom_ratio(self.product_uom(product));
            self.new_move(picking, product, demand, ("sale_line_id", line));
        }
        Ok(json!(true))
    }

    /// `purchase.order.button_confirm`: the receipt, reserved in full (one move line per move).
    pub(super) fn confirm_purchase(&mut self, id: i64) -> Result<i64, Fault> {
        let po = self
            .get("purchase.order", id)
            .cloned()
            .ok_or_else(|| Fault::missing("purchase.order", id))?;
        self.update(
            "purchase.order",
            id,
            json!({ "state": "purchase" }).as_object().unwrap(),
        );
        let code = self.warehouse_code(None);
        let pname = self.picking_name(&format!("{code}/IN"));
        let picking = self.insert(
            "stock.picking",
            json!({ "name": pname, "purchase_id": id, "partner_id": id_of(po.get("partner_id")),
                    "picking_type_code": "incoming", "state": "assigned", "origin": po["name"],
                    "carrier_tracking_ref": false, "backorder_id": false }),
        );
        let uom_field = self.line_uom_field();
        for line in self.children("purchase.order.line", "order_id", id) {
            let l = self
                .get("purchase.order.line", line)
                .cloned()
                .unwrap_or_default();
            let product = id_of(l.get("product_id")).unwrap_or(0);
            let line_uom = id_of(l.get(uom_field)).unwrap_or(1);
            let demand = f(l.get("product_qty")) * self.uom_ratio(line_uom)
                / self.uom_ratio(self.product_uom(product));
            self.new_move(picking, product, demand, ("purchase_line_id", line));
        }
        Ok(picking)
    }

    /// The backorder wizard's action, as `button_validate` returns it for a short transfer.
    pub(super) fn backorder_action(&self, id: i64) -> Value {
        let view = if self.version >= 19 { 937 } else { 892 };
        json!({
            "name": "Create Backorder?", "type": "ir.actions.act_window", "view_mode": "form",
            "res_model": "stock.backorder.confirmation", "views": [[view, "form"]], "view_id": view,
            "target": "new",
            "context": { "button_validate_picking_ids": [id], "default_show_transfers": false, "default_pick_ids": [[4, id]] },
        })
    }

    /// `button_validate` (`backorder` None: decide from the context or answer the wizard) or
    /// the wizard's `process` (Some(true)) / `process_cancel_backorder` (Some(false)).
    pub(super) fn validate(
        &mut self,
        id: i64,
        context: &Value,
        backorder: Option<bool>,
    ) -> Result<Value, Fault> {
        let p = self
            .get("stock.picking", id)
            .cloned()
            .ok_or_else(|| Fault::missing("stock.picking", id))?;
        if p["state"] == "done" {
            return Ok(json!(true));
        }
        let moves = self.children("stock.move", "picking_id", id);
        let short: Vec<(i64, f64)> = moves
            .iter()
            .filter_map(|m| {
                let r = self.get("stock.move", *m)?;
                let left = f(r.get("product_uom_qty")) - f(r.get("quantity"));
                (left > 1e-9).then_some((*m, left))
            })
            .collect();
        let make_backorder = match backorder {
            Some(b) => b,
            None if short.is_empty() => false,
            None if context["skip_backorder"] == json!(true) => {
                !context["picking_ids_not_to_backorder"]
                    .as_array()
                    .is_some_and(|a| a.contains(&json!(id)))
            }
            None => return Ok(self.backorder_action(id)),
        };
        let now = self.now();
        self.update(
            "stock.picking",
            id,
            json!({ "state": "done", "date_done": now })
                .as_object()
                .unwrap(),
        );
        let uom_field = self.line_uom_field();
        for m in &moves {
            let r = self.get("stock.move", *m).cloned().unwrap_or_default();
            let done = f(r.get("quantity"));
            let product = id_of(r.get("product_id")).unwrap_or(0);
            // Lots named on the move lines are created now.
            for l in self.children("stock.move.line", "move_id", *m) {
                let line = self.get("stock.move.line", l).cloned().unwrap_or_default();
                if f(line.get("quantity")) <= 1e-9 {
                    self.remove("stock.move.line", l);
                    continue;
                }
                if let Some(name) = line
                    .get("lot_name")
                    .and_then(Value::as_str)
                    .filter(|n| !n.is_empty())
                    && id_of(line.get("lot_id")).is_none()
                {
                    let lot = self
                        .all("stock.lot")
                        .into_iter()
                        .find(|x| {
                            x["name"] == json!(name) && id_of(x.get("product_id")) == Some(product)
                        })
                        .and_then(|x| x["id"].as_i64());
                    let lot = match lot {
                        Some(lot) => lot,
                        None => {
                            self.insert("stock.lot", json!({ "name": name, "product_id": product }))
                        }
                    };
                    self.update(
                        "stock.move.line",
                        l,
                        json!({ "lot_id": lot }).as_object().unwrap(),
                    );
                }
            }
            let mut vals = json!({ "state": "done" });
            if done + 1e-9 < f(r.get("product_uom_qty")) {
                vals["product_uom_qty"] = json!(done);
            }
            self.update("stock.move", *m, vals.as_object().unwrap());
            let product_ratio = self.uom_ratio(self.product_uom(product));
            if let Some(line) = id_of(r.get("purchase_line_id")) {
                let l = self
                    .get("purchase.order.line", line)
                    .cloned()
                    .unwrap_or_default();
                let ratio = self.uom_ratio(id_of(l.get(uom_field)).unwrap_or(1));
                let got = f(l.get("qty_received")) + done * product_ratio / ratio;
                self.update(
                    "purchase.order.line",
                    line,
                    json!({ "qty_received": got }).as_object().unwrap(),
                );
            }
            if let Some(line) = id_of(r.get("sale_line_id")) {
                let l = self
                    .get("sale.order.line", line)
                    .cloned()
                    .unwrap_or_default();
                let ratio = self.uom_ratio(id_of(l.get(uom_field)).unwrap_or(1));
                let got = f(l.get("qty_delivered")) + done * product_ratio / ratio;
                self.update(
                    "sale.order.line",
                    line,
                    json!({ "qty_delivered": got }).as_object().unwrap(),
                );
            }
        }
        if !short.is_empty() && make_backorder {
            let prefix = p["name"]
                .as_str()
                .and_then(|n| n.rsplit_once('/'))
                .map(|(a, _)| a.to_owned())
                .unwrap_or_else(|| "WH/OUT".into());
            let name = self.picking_name(&prefix);
            let bo = self.insert(
                "stock.picking",
                json!({ "name": name, "sale_id": p.get("sale_id"), "purchase_id": p.get("purchase_id"),
                        "partner_id": p.get("partner_id"), "picking_type_code": p["picking_type_code"],
                        "state": "assigned", "origin": p["origin"], "carrier_tracking_ref": false, "backorder_id": id }),
            );
            for (m, left) in short {
                let r = self.get("stock.move", m).cloned().unwrap_or_default();
                let product = id_of(r.get("product_id")).unwrap_or(0);
                match (
                    id_of(r.get("sale_line_id")),
                    id_of(r.get("purchase_line_id")),
                ) {
                    (Some(l), _) => self.new_move(bo, product, left, ("sale_line_id", l)),
                    (_, Some(l)) => self.new_move(bo, product, left, ("purchase_line_id", l)),
                    _ => self.new_move(bo, product, left, ("origin_returned_move_id", 0)),
                };
            }
        }
        if let Some(so) = id_of(p.get("sale_id")) {
            let open = self
                .children("stock.picking", "sale_id", so)
                .iter()
                .any(|x| {
                    self.get("stock.picking", *x)
                        .is_some_and(|x| x["state"] != "done" && x["state"] != "cancel")
                });
            let status = if open { "partial" } else { "full" };
            self.update(
                "sale.order",
                so,
                json!({ "delivery_status": status }).as_object().unwrap(),
            );
        }
        Ok(json!(true))
    }

    /// `action_put_in_pack`: the picking's picked move lines (all of them when none is picked)
    /// not yet in a package go into a new one.
    pub(super) fn put_in_pack(&mut self, picking: i64) -> Result<i64, Fault> {
        let lines: Vec<Record> = self
            .children("stock.move.line", "picking_id", picking)
            .iter()
            .filter_map(|l| self.get("stock.move.line", *l).cloned())
            .filter(|l| f(l.get("quantity")) > 0.0 && id_of(l.get("result_package_id")).is_none())
            .collect();
        let any_picked = lines.iter().any(|l| l.get("picked") == Some(&json!(true)));
        let chosen: Vec<i64> = lines
            .iter()
            .filter(|l| !any_picked || l.get("picked") == Some(&json!(true)))
            .filter_map(|l| l["id"].as_i64())
            .collect();
        if chosen.is_empty() {
            return Err(Fault::user_error("There is nothing eligible to put in a pack. Either there are no quantities to put in a pack or all products are already in a pack.".into()));
        }
        let model = self.package_model();
        let pkg = self.create(model, &json!({}), &json!({}))?;
        for l in chosen {
            self.update(
                "stock.move.line",
                l,
                json!({ "result_package_id": pkg }).as_object().unwrap(),
            );
        }
        Ok(pkg)
    }

    /// `sale.advance.payment.inv.create_invoices`: a draft invoice per order, lines as the
    /// products' invoicing policy says (ordered quantities by default, as recorded), and the
    /// invoices action naming it.
    pub(super) fn create_invoices(&mut self, wizard: i64, ctx: &Value) -> Result<Value, Fault> {
        let w = self
            .get("sale.advance.payment.inv", wizard)
            .cloned()
            .ok_or_else(|| Fault::missing("sale.advance.payment.inv", wizard))?;
        let mut orders = ids_of(w.get("sale_order_ids"));
        if orders.is_empty() {
            orders = ids_of(ctx.get("active_ids"));
        }
        let mut invoices = Vec::new();
        for so in &orders {
            if let Some(inv) = self.invoice_order(*so, false)? {
                invoices.push(inv);
            }
        }
        let Some(first) = invoices.first().copied() else {
            return Err(Fault::user_error("There is no invoiceable line. If a product has a Delivered quantities invoicing policy, please make sure that a quantity has been delivered.".into()));
        };
        let inv = self.get("account.move", first).cloned().unwrap_or_default();
        let mut action = self.invoices_action();
        action["context"] = json!({
            "default_move_type": "out_invoice",
            "default_partner_id": id_of(inv.get("partner_id")),
            "default_partner_shipping_id": id_of(inv.get("partner_shipping_id")),
            "default_invoice_payment_term_id": null,
            "default_invoice_origin": inv.get("invoice_origin"),
        });
        action["res_id"] = json!(first);
        Ok(action)
    }

    /// The draft invoice of what is left to invoice on `so` (delivered quantities when
    /// `delivered` or the product says so).
    pub(super) fn invoice_order(&mut self, so: i64, delivered: bool) -> Result<Option<i64>, Fault> {
        let order = self
            .get("sale.order", so)
            .cloned()
            .ok_or_else(|| Fault::missing("sale.order", so))?;
        let uom_field = self.line_uom_field();
        let tax_field = self.sale_tax_field();
        let mut lines = Vec::new();
        for l in self.children("sale.order.line", "order_id", so) {
            let line = self.get("sale.order.line", l).cloned().unwrap_or_default();
            let policy = id_of(line.get("product_id"))
                .and_then(|p| self.get("product.product", p))
                .and_then(|p| {
                    p.get("invoice_policy")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "order".into());
            let basis = if delivered || policy == "delivery" {
                f(line.get("qty_delivered"))
            } else {
                f(line.get("product_uom_qty"))
            };
            let qty = basis - f(line.get("qty_invoiced"));
            if qty > 1e-9 {
                lines.push((l, line, qty));
            }
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let mv = self.insert(
            "account.move",
            json!({ "name": "/", "move_type": "out_invoice", "state": "draft",
                    "partner_id": id_of(order.get("partner_id")),
                    "partner_shipping_id": id_of(order.get("partner_shipping_id")).or(id_of(order.get("partner_id"))),
                    "invoice_origin": order["name"], "invoice_date": false }),
        );
        for (l, line, qty) in lines {
            self.insert(
                "account.move.line",
                json!({ "move_id": mv, "product_id": id_of(line.get("product_id")), "name": line.get("name"),
                        "quantity": qty, "price_unit": f(line.get("price_unit")),
                        "product_uom_id": id_of(line.get(uom_field)), "tax_ids": ids_of(line.get(tax_field)),
                        "display_type": "product", "sale_line_ids": [l] }),
            );
            let done = f(line.get("qty_invoiced")) + qty;
            self.update(
                "sale.order.line",
                l,
                json!({ "qty_invoiced": done }).as_object().unwrap(),
            );
        }
        Ok(Some(mv))
    }

    /// `account.move.action_post`: the invoice gets its number and date.
    pub(super) fn post(&mut self, id: i64) -> Result<(), Fault> {
        let inv = self
            .get("account.move", id)
            .cloned()
            .ok_or_else(|| Fault::missing("account.move", id))?;
        let date = match inv.get("invoice_date").and_then(Value::as_str) {
            Some(d) => d.to_owned(),
            None => self.today(),
        };
        let year = date[..4].to_owned();
        let name = match inv.get("name").and_then(Value::as_str) {
            Some(n) if n != "/" => n.to_owned(),
            _ => {
                let n = self.next_seq(&format!("INV/{year}"));
                format!("INV/{year}/{n:05}")
            }
        };
        self.update(
            "account.move",
            id,
            json!({ "state": "posted", "name": name, "invoice_date": date })
                .as_object()
                .unwrap(),
        );
        Ok(())
    }

    /// Odoo's "Invoices" window action as `create_invoices` returns it (its own and its
    /// views' ids are those of the recorded databases).
    pub(super) fn invoices_action(&self) -> Value {
        let help = "<p class=\"o_view_nocontent_smiling_face\">\n                Create a customer invoice\n              </p><p>\n                Create invoices, register payments and keep track of the discussions with your customers.\n              </p>\n            ";
        if self.version >= 19 {
            json!({ "id": 261, "display_name": "Invoices", "name": "Invoices", "type": "ir.actions.act_window",
                "xml_id": "account.action_move_out_invoice_type", "path": "invoicing", "help": help,
                "binding_model_id": false, "binding_type": "action", "binding_view_types": "list,form",
                "view_id": [736, "account.out.invoice.list"],
                "domain": "[('move_type', 'in', ['out_invoice', 'out_refund', 'out_receipt'])]",
                "res_model": "account.move", "target": "current", "view_mode": "list,kanban,form,activity",
                "mobile_view_mode": "kanban", "views": [[742, "form"], [736, "list"], [false, "kanban"], [false, "activity"]],
                "limit": 80, "group_ids": [], "search_view_id": [745, "account.invoice.select"],
                "embedded_action_ids": [], "filter": false, "cache": true })
        } else {
            json!({ "id": 262, "name": "Invoices", "type": "ir.actions.act_window",
                "xml_id": "account.action_move_out_invoice_type", "path": "invoicing", "help": help,
                "binding_model_id": false, "binding_type": "action", "binding_view_types": "list,form",
                "display_name": "Invoices", "view_id": [708, "account.out.invoice.list"],
                "domain": "[('move_type', 'in', ['out_invoice', 'out_refund'])]",
                "res_model": "account.move", "target": "current", "view_mode": "list,kanban,form,activity",
                "mobile_view_mode": "kanban", "views": [[715, "form"], [708, "list"], [false, "kanban"], [false, "activity"]],
                "limit": 80, "groups_id": [], "search_view_id": [718, "account.invoice.select"],
                "embedded_action_ids": [], "filter": false })
        }
    }
}
