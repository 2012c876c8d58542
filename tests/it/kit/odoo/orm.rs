//! The double's ORM: reading fields, domains, search and read, create and write with Odoo's
//! x2many commands.

use super::*;

impl World {
    /// A field as Odoo reads it: many2one `[id, display name]` or `false`, x2many ids, empty
    /// `false`, computed amounts.
    pub(super) fn read_field(&self, model: &str, r: &Record, field: &str) -> Value {
        let id = r["id"].as_i64().unwrap_or(0);
        match (model, field) {
            (_, "display_name") => return self.display_name(model, id),
            // Records are made active; an archived one has `active: false` written.
            (_, "active") => return r.get("active").cloned().unwrap_or(Value::Bool(true)),
            ("sale.order.line", "price_subtotal" | "price_tax" | "price_total")
            | ("account.move.line", "price_subtotal" | "price_total") => {
                let qty = if model == "sale.order.line" {
                    f(r.get("product_uom_qty"))
                } else {
                    f(r.get("quantity"))
                };
                let taxes = if model == "sale.order.line" {
                    ids_of(r.get(self.sale_tax_field()))
                } else {
                    ids_of(r.get("tax_ids"))
                };
                let subtotal = round2(qty * f(r.get("price_unit")));
                let tax = round2(subtotal * self.tax_rate(&taxes));
                return json!(match field {
                    "price_subtotal" => subtotal,
                    "price_tax" => tax,
                    _ => subtotal + tax,
                });
            }
            ("account.move", "amount_untaxed" | "amount_tax" | "amount_total") => {
                let (mut untaxed, mut tax) = (0.0, 0.0);
                for l in self.children("account.move.line", "move_id", id) {
                    let Some(l) = self.get("account.move.line", l) else {
                        continue;
                    };
                    let sub = round2(f(l.get("quantity")) * f(l.get("price_unit")));
                    untaxed += sub;
                    tax += round2(sub * self.tax_rate(&ids_of(l.get("tax_ids"))));
                }
                return json!(match field {
                    "amount_untaxed" => round2(untaxed),
                    "amount_tax" => round2(tax),
                    _ => round2(untaxed + tax),
                });
            }
            ("stock.move", "product_qty") => return json!(f(r.get("product_uom_qty"))),
            // No product here has a weight: Odoo answers 0.0 in the company's unit.
            ("stock.picking", "weight") => return json!(f(r.get("weight"))),
            ("stock.picking", "weight_uom_name") => {
                return r.get("weight_uom_name").cloned().unwrap_or(json!("kg"));
            }
            ("stock.move.line", "quantity_product_uom") => {
                return json!(self.line_in_product_unit(r));
            }
            ("stock.move.line", "state") => {
                return id_of(r.get("move_id"))
                    .and_then(|m| self.get("stock.move", m))
                    .and_then(|m| m.get("state").cloned())
                    .unwrap_or(Value::Bool(false));
            }
            _ => {}
        }
        match self.kind(model, field).unwrap_or(Kind::Scalar) {
            Kind::One2many(child, inverse) => json!(self.children(child, inverse, id)),
            Kind::Many2many(_) => json!(ids_of(r.get(field))),
            Kind::Many2one(target) => match id_of(r.get(field)) {
                Some(id) => json!([id, self.display_name(target, id)]),
                None => Value::Bool(false),
            },
            Kind::Scalar => match r.get(field) {
                None | Some(Value::Null) => Value::Bool(false),
                Some(v) => v.clone(),
            },
        }
    }

    pub(super) fn invalid_field(&self, model: &str, field: &str) -> Fault {
        // 18 says "on model 'm'", 19 "on 'm'" (recorded).
        Fault::value_error(if self.version >= 19 {
            format!("Invalid field '{field}' on '{model}'")
        } else {
            format!("Invalid field '{field}' on model '{model}'")
        })
    }

    pub(super) fn check_fields<'a>(
        &self,
        model: &str,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), Fault> {
        let schema = self
            .schema(model)
            .ok_or_else(|| Fault::user_error(format!("Object {model} doesn't exist")))?;
        for n in names {
            let base = n.split('.').next().unwrap_or(n);
            if !schema.iter().any(|(f, _)| *f == base) {
                return Err(self.invalid_field(model, base));
            }
        }
        Ok(())
    }

    /// Whether `r` matches `domain`, in Odoo's prefix notation: `'|'`, `'&'` and `'!'` apply
    /// to the terms (or operator groups) after them; consecutive ones are joined by `'&'`.
    pub(super) fn matches(&self, model: &str, r: &Record, domain: &Value) -> bool {
        let items: Vec<&Value> = domain.as_array().into_iter().flatten().collect();
        let mut at = 0;
        let mut all = true;
        while at < items.len() {
            // Evaluated before the `&&`: every group is read, whatever the ones before gave.
            let this = self.group_matches(model, r, &items, &mut at);
            all = all && this;
        }
        all
    }

    /// The operator group or term at `at`, which moves past it.
    fn group_matches(&self, model: &str, r: &Record, items: &[&Value], at: &mut usize) -> bool {
        let Some(item) = items.get(*at) else {
            return true;
        };
        *at += 1;
        match item.as_str() {
            Some(op @ ("|" | "&")) => {
                let a = self.group_matches(model, r, items, at);
                let b = self.group_matches(model, r, items, at);
                if op == "|" { a || b } else { a && b }
            }
            Some("!") => !self.group_matches(model, r, items, at),
            _ => self.term_matches(model, r, item),
        }
    }

    fn term_matches(&self, model: &str, r: &Record, term: &Value) -> bool {
        let Some(t) = term.as_array() else {
            return true;
        };
        let (Some(field), Some(op)) = (
            t.first().and_then(Value::as_str),
            t.get(1).and_then(Value::as_str),
        ) else {
            return true;
        };
        let want = t.get(2).cloned().unwrap_or(Value::Null);
        // `any` (Odoo 17+): some related record matches the sub-domain, all its terms
        // on the same record (unlike two dotted terms, which may match two records).
        if op == "any" {
            let target = self.field_target(model, field);
            let related: Vec<i64> = match self.read_field(model, r, field) {
                Value::Array(a) if a.len() == 2 && a[0].is_i64() && a[1].is_string() => {
                    vec![a[0].as_i64().unwrap_or(0)]
                }
                Value::Array(a) => a.iter().filter_map(Value::as_i64).collect(),
                _ => Vec::new(),
            };
            return target.is_some_and(|m| {
                related.iter().any(|id| {
                    self.get(m, *id)
                        .is_some_and(|rr| self.matches(m, rr, &want))
                })
            });
        }
        // A dotted path ("seller_ids.product_code"): any related record matches.
        if let Some((head, rest)) = field.split_once('.') {
            let target = self.field_target(model, head);
            let related: Vec<i64> = match self.read_field(model, r, head) {
                Value::Array(a) if a.len() == 2 && a[0].is_i64() && a[1].is_string() => {
                    vec![a[0].as_i64().unwrap_or(0)]
                }
                Value::Array(a) => a.iter().filter_map(Value::as_i64).collect(),
                _ => Vec::new(),
            };
            let sub = json!([[rest, op, want]]);
            return target.is_some_and(|m| {
                related
                    .iter()
                    .any(|id| self.get(m, *id).is_some_and(|rr| self.matches(m, rr, &sub)))
            });
        }
        let got = match field {
            "id" => r["id"].clone(),
            f => match self.read_field(model, r, f) {
                Value::Array(a) if a.len() == 2 && a[0].is_i64() && !a[1].is_i64() => a[0].clone(),
                v => v,
            },
        };
        let num = |v: &Value| v.as_f64();
        let eq = |a: &Value, b: &Value| match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        };
        // An x2many matches "=" / "in" when any of its ids does.
        let many: Option<Vec<Value>> = match self.kind(model, field) {
            Some(Kind::One2many(..) | Kind::Many2many(_)) => got.as_array().cloned(),
            _ => None,
        };
        let one_of = |w: &Value| match &many {
            Some(m) => m.iter().any(|g| eq(g, w)),
            None => eq(&got, w),
        };
        match op {
            "=" => one_of(&want),
            "!=" => !one_of(&want),
            "in" => want.as_array().is_some_and(|a| a.iter().any(one_of)),
            "not in" => !want.as_array().is_some_and(|a| a.iter().any(one_of)),
            "ilike" | "like" => match (got.as_str(), want.as_str()) {
                (Some(a), Some(b)) => a.to_lowercase().contains(&b.to_lowercase()),
                _ => false,
            },
            ">" => match (got.as_str(), want.as_str()) {
                (Some(a), Some(b)) => a > b,
                _ => num(&got) > num(&want),
            },
            ">=" => match (got.as_str(), want.as_str()) {
                (Some(a), Some(b)) => a >= b,
                _ => num(&got) >= num(&want),
            },
            "<" => match (got.as_str(), want.as_str()) {
                (Some(a), Some(b)) => a < b,
                _ => num(&got) < num(&want),
            },
            "<=" => match (got.as_str(), want.as_str()) {
                (Some(a), Some(b)) => a <= b,
                _ => num(&got) <= num(&want),
            },
            _ => false,
        }
    }

    /// Matching ids in the model's default order (sale orders newest first, as recorded;
    /// the rest by id).
    pub(super) fn search(&self, model: &str, domain: &Value) -> Result<Vec<i64>, Fault> {
        let fields: Vec<&str> = domain
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_array().and_then(|t| t.first()).and_then(Value::as_str))
            .collect();
        let names_active = fields.contains(&"active");
        self.check_fields(model, fields)?;
        let mut found: Vec<&Record> = self
            .records
            .get(model)
            .map(|m| {
                m.values()
                    .filter(|r| self.matches(model, r, domain))
                    // Odoo leaves archived records out unless the domain names `active`.
                    .filter(|r| {
                        self.kind(model, "active").is_none()
                            || names_active
                            || self.read_field(model, r, "active") != Value::Bool(false)
                    })
                    .collect()
            })
            .unwrap_or_default();
        if model == "sale.order" {
            // _order = 'date_order desc, id desc'
            found.sort_by(|a, b| {
                let d = |r: &Record| {
                    r.get("date_order")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                d(b).cmp(&d(a))
                    .then(b["id"].as_i64().cmp(&a["id"].as_i64()))
            });
        }
        Ok(found.iter().filter_map(|r| r["id"].as_i64()).collect())
    }

    /// `read`: ids that no longer exist are left out (not an error, as recorded).
    pub(super) fn read(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[String],
    ) -> Result<Vec<Value>, Fault> {
        self.check_fields(model, fields.iter().map(String::as_str))?;
        let mut out = Vec::new();
        for id in ids {
            let Some(r) = self.get(model, *id) else {
                continue;
            };
            let mut row = Map::new();
            row.insert("id".into(), json!(id));
            let names: Vec<String> = if fields.is_empty() {
                self.schema(model)
                    .into_iter()
                    .flatten()
                    .map(|(f, _)| (*f).to_owned())
                    .collect()
            } else {
                fields.to_vec()
            };
            for f in names {
                row.insert(f.clone(), self.read_field(model, r, &f));
            }
            out.push(Value::Object(row));
        }
        Ok(out)
    }

    pub(super) fn xmlid(&self, full: &str) -> Option<(String, i64)> {
        let (module, name) = full.split_once('.').unwrap_or(("__import__", full));
        self.xmlids
            .get(&(module.to_owned(), name.to_owned()))
            .cloned()
    }

    pub(super) fn set_xmlid(&mut self, full: &str, model: &str, id: i64) {
        let (module, name) = full.split_once('.').unwrap_or(("__import__", full));
        self.insert(
            "ir.model.data",
            json!({ "module": module, "name": name, "model": model, "res_id": id }),
        );
    }

    /// Splits x2many command lists out of `vals`: many2many become id lists on the record,
    /// one2many `[0, 0, vals]` commands are returned to be created under the record.
    pub(super) fn take_commands(
        &self,
        model: &str,
        vals: &mut Record,
        current: Option<&Record>,
    ) -> Vec<(&'static str, &'static str, Record)> {
        let mut children = Vec::new();
        let keys: Vec<String> = vals.keys().cloned().collect();
        for k in keys {
            match self.kind(model, &k) {
                Some(Kind::Many2many(_)) => {
                    let mut ids = current.map(|c| ids_of(c.get(&k))).unwrap_or_default();
                    for c in vals[&k].as_array().cloned().unwrap_or_default() {
                        match c.as_array().map(Vec::as_slice) {
                            Some([op, id, ..]) if op == 4 => {
                                if let Some(id) = id.as_i64()
                                    && !ids.contains(&id)
                                {
                                    ids.push(id);
                                }
                            }
                            Some([op, id, ..]) if op == 3 => {
                                ids.retain(|x| Some(*x) != id.as_i64())
                            }
                            Some([op, _, list]) if op == 6 => ids = ids_of(Some(list)),
                            Some([op, ..]) if op == 5 => ids.clear(),
                            _ => {
                                if let Some(id) = c.as_i64() {
                                    ids.push(id);
                                }
                            }
                        }
                    }
                    vals.insert(k, json!(ids));
                }
                Some(Kind::One2many(child, inverse)) => {
                    for c in vals[&k].as_array().cloned().unwrap_or_default() {
                        if let Some([op, _, v]) = c.as_array().map(Vec::as_slice)
                            && op == 0
                        {
                            children.push((
                                child,
                                inverse,
                                v.as_object().cloned().unwrap_or_default(),
                            ));
                        }
                    }
                    vals.remove(&k);
                }
                _ => {}
            }
        }
        children
    }

    /// `create` of one record, with Odoo's defaults and constraints for the models Wharf uses.
    pub(super) fn create(&mut self, model: &str, vals: &Value, ctx: &Value) -> Result<i64, Fault> {
        let mut vals = vals.as_object().cloned().unwrap_or_default();
        self.check_fields(model, vals.keys().map(String::as_str))?;
        let children = self.take_commands(model, &mut vals, None);
        match model {
            "product.product" => {
                if let Some(code) = vals
                    .get("barcode")
                    .and_then(Value::as_str)
                    .filter(|b| !b.is_empty())
                {
                    let holders: Vec<i64> = self
                        .all("product.product")
                        .iter()
                        .filter(|p| p.get("barcode").and_then(Value::as_str) == Some(code))
                        .filter_map(|p| p["id"].as_i64())
                        .collect();
                    if !holders.is_empty() {
                        let mut names: Vec<String> = holders
                            .iter()
                            .filter_map(|p| {
                                self.display_name("product.product", *p)
                                    .as_str()
                                    .map(str::to_owned)
                            })
                            .collect();
                        let own = match vals.get("default_code").and_then(Value::as_str) {
                            Some(c) if !c.is_empty() => format!(
                                "[{c}] {}",
                                vals.get("name").and_then(Value::as_str).unwrap_or_default()
                            ),
                            _ => vals
                                .get("name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned(),
                        };
                        names.push(own);
                        let last = names.pop().unwrap_or_default();
                        return Err(Fault::validation(format!(
                            "Barcode(s) already assigned:\n\n- Barcode \"{code}\" already assigned to product(s): {} and {last}\n\nNote: products that you don't have access to will not be shown above.",
                            names.join(", ")
                        )));
                    }
                }
                vals.entry("uom_id").or_insert(json!(1));
                let taxes = self.default_sale_taxes();
                vals.entry("taxes_id").or_insert(json!(taxes));
                vals.entry("type").or_insert(json!("consu"));
                vals.entry("tracking").or_insert(json!("none"));
                vals.entry("invoice_policy").or_insert(json!("order"));
                vals.entry("list_price").or_insert(json!(1.0));
            }
            "sale.order" => {
                let n = self.next_seq("S");
                vals.entry("name").or_insert(json!(format!("S{n:05}")));
                vals.entry("state").or_insert(json!("draft"));
            }
            "sale.order.line" => self.sale_line_defaults(&mut vals),
            "purchase.order" => {
                let n = self.next_seq("P");
                vals.entry("name").or_insert(json!(format!("P{n:05}")));
                vals.entry("state").or_insert(json!("draft"));
            }
            "purchase.order.line" => {
                let product = id_of(vals.get("product_id")).unwrap_or(0);
                let uom = self.product_uom(product);
                let name = self.display_name("product.product", product);
                vals.entry(self.line_uom_field()).or_insert(json!(uom));
                vals.entry("name").or_insert(name);
                vals.entry("qty_received").or_insert(json!(0.0));
            }
            "stock.move.line" => {
                let product = id_of(vals.get("product_id")).unwrap_or(0);
                let uom = self.product_uom(product);
                vals.entry("product_uom_id").or_insert(json!(uom));
                vals.entry("quantity").or_insert(json!(0.0));
                vals.entry("picked").or_insert(json!(false));
            }
            "stock.quant.package" | "stock.package" => {
                let n = self.next_seq("PACK");
                vals.entry("name").or_insert(json!(format!("PACK{n:07}")));
            }
            "sale.advance.payment.inv" => {
                let orders = ids_of(ctx.get("active_ids"));
                vals.entry("sale_order_ids").or_insert(json!(orders));
            }
            _ => {}
        }
        let id = self.insert(model, Value::Object(vals.clone()));
        for (child, inverse, mut v) in children {
            v.insert(inverse.to_owned(), json!(id));
            self.create(child, &Value::Object(v), ctx)?;
        }
        if model == "stock.move.line" {
            self.recompute_move(id_of(vals.get("move_id")));
        }
        Ok(id)
    }

    pub(super) fn sale_line_defaults(&self, l: &mut Record) {
        let product = id_of(l.get("product_id")).unwrap_or(0);
        let p = self
            .get("product.product", product)
            .cloned()
            .unwrap_or_default();
        l.entry("price_unit")
            .or_insert_with(|| p.get("list_price").cloned().unwrap_or(json!(0.0)));
        // Odoo describes a line by the product's display name when no name is given.
        let name = self.display_name("product.product", product);
        l.entry("name").or_insert(name);
        l.entry(self.line_uom_field())
            .or_insert_with(|| p.get("uom_id").cloned().unwrap_or(json!(1)));
        let taxes = p
            .get("taxes_id")
            .cloned()
            .unwrap_or_else(|| json!(self.default_sale_taxes()));
        l.entry(self.sale_tax_field()).or_insert(taxes);
        l.entry("qty_delivered").or_insert(json!(0.0));
        l.entry("qty_invoiced").or_insert(json!(0.0));
    }

    /// `write` on records, with the side effects Odoo has on stock moves and move lines.
    pub(super) fn write(&mut self, model: &str, ids: &[i64], vals: &Record) -> Result<(), Fault> {
        self.check_fields(model, vals.keys().map(String::as_str))?;
        for id in ids {
            if self.get(model, *id).is_none() {
                return Err(Fault::missing(model, *id));
            }
        }
        for id in ids {
            let mut vals = vals.clone();
            let current = self.get(model, *id).cloned();
            let children = self.take_commands(model, &mut vals, current.as_ref());
            for (child, inverse, mut v) in children {
                v.insert(inverse.to_owned(), json!(id));
                self.create(child, &Value::Object(v), &json!({}))?;
            }
            if model == "stock.move" {
                let quantity = vals.remove("quantity");
                if let Some(p) = vals.get("picked").cloned() {
                    for l in self.children("stock.move.line", "move_id", *id) {
                        self.update(
                            "stock.move.line",
                            l,
                            json!({ "picked": p }).as_object().unwrap(),
                        );
                    }
                }
                self.update(model, *id, &vals);
                if let Some(q) = quantity {
                    self.set_move_quantity(*id, f(Some(&q)));
                }
                continue;
            }
            self.update(model, *id, &vals);
            if model == "stock.move.line" {
                let mv = self.get(model, *id).and_then(|r| id_of(r.get("move_id")));
                self.recompute_move(mv);
            }
        }
        Ok(())
    }
}
