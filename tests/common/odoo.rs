//! An Odoo test double that speaks Odoo's external API on the wire as `../shared/odoo-api.md`
//! describes it: JSON-RPC (`/jsonrpc`: `common.version`, `common.authenticate`,
//! `object.execute_kw`) for 17/18/19 and JSON-2 (`/json/2/<model>/<method>`, bearer key,
//! `X-Odoo-Database`) for 19 only (18 answers 303 to `/web/login`), with Odoo's error shapes
//! (JSON-RPC `error.data.name`, `error.code` 200 in 18 and 0 in 19; JSON-2 status codes and
//! `{name, message, arguments, context, debug}` bodies) and the 18→19 field renames.
//!
//! It keeps records in memory for the models the gateway touches (partners, products, units,
//! warehouses, sale orders and lines, pickings and moves, `ir.model.data`), with the
//! behaviours Wharf relies on: `load` by external ID (lines too), `action_confirm` creating a
//! delivery, `button_validate` with the backorder wizard or its context, `action_cancel`.
//! Failure modes on demand: down (503), slow, and a fault after a committed write.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

pub const DB: &str = "wharf_test";
pub const LOGIN: &str = "edi@example.com";
pub const KEY: &str = "0123456789abcdef0123456789abcdef01234567";

type Record = Map<String, Value>;

/// A field's kind, for reading it back as Odoo does.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Scalar,
    Many2one(&'static str),
    One2many(&'static str, &'static str),
}

/// The fields each model has in this version; anything else is "Invalid field".
fn build_schema(model: &str, version: u32) -> Option<Vec<(&'static str, Kind)>> {
    use Kind::*;
    let uom = if version >= 19 {
        "product_uom_id"
    } else {
        "product_uom"
    };
    let mut f: Vec<(&'static str, Kind)> = match model {
        "res.partner" => vec![
            ("name", Scalar),
            ("ref", Scalar),
            ("type", Scalar),
            ("is_company", Scalar),
            ("parent_id", Many2one("res.partner")),
            ("street", Scalar),
            ("city", Scalar),
            ("zip", Scalar),
        ],
        "product.product" => vec![
            ("name", Scalar),
            ("default_code", Scalar),
            ("barcode", Scalar),
            ("list_price", Scalar),
            ("uom_id", Many2one("uom.uom")),
            ("seller_ids", One2many("product.supplierinfo", "product_id")),
        ],
        "product.supplierinfo" => vec![
            ("partner_id", Many2one("res.partner")),
            ("product_id", Many2one("product.product")),
            ("product_code", Scalar),
        ],
        "purchase.order" => vec![
            ("name", Scalar),
            ("partner_id", Many2one("res.partner")),
            ("partner_ref", Scalar),
            ("state", Scalar),
            ("order_line", One2many("purchase.order.line", "order_id")),
        ],
        "purchase.order.line" => vec![
            ("order_id", Many2one("purchase.order")),
            ("product_id", Many2one("product.product")),
            ("product_qty", Scalar),
            ("qty_received", Scalar),
        ],
        "uom.uom" => vec![("name", Scalar)],
        "stock.warehouse" => vec![("name", Scalar), ("code", Scalar)],
        "ir.model.data" => vec![
            ("module", Scalar),
            ("name", Scalar),
            ("model", Scalar),
            ("res_id", Scalar),
        ],
        "sale.order" => vec![
            ("name", Scalar),
            ("partner_id", Many2one("res.partner")),
            ("partner_shipping_id", Many2one("res.partner")),
            ("client_order_ref", Scalar),
            ("date_order", Scalar),
            ("commitment_date", Scalar),
            ("note", Scalar),
            ("state", Scalar),
            ("warehouse_id", Many2one("stock.warehouse")),
            ("order_line", One2many("sale.order.line", "order_id")),
            ("picking_ids", One2many("stock.picking", "sale_id")),
        ],
        "sale.order.line" => vec![
            ("order_id", Many2one("sale.order")),
            ("product_id", Many2one("product.product")),
            ("name", Scalar),
            ("product_uom_qty", Scalar),
            ("price_unit", Scalar),
            (uom, Many2one("uom.uom")),
            ("qty_delivered", Scalar),
        ],
        "stock.picking" => vec![
            ("name", Scalar),
            ("sale_id", Many2one("sale.order")),
            ("purchase_id", Many2one("purchase.order")),
            ("picking_type_code", Scalar),
            ("state", Scalar),
            ("origin", Scalar),
            ("carrier_tracking_ref", Scalar),
            ("backorder_id", Many2one("stock.picking")),
            ("date_done", Scalar),
            ("move_ids", One2many("stock.move", "picking_id")),
        ],
        "stock.move" => vec![
            ("picking_id", Many2one("stock.picking")),
            ("product_id", Many2one("product.product")),
            ("product_uom_qty", Scalar),
            ("quantity", Scalar),
            ("picked", Scalar),
            ("sale_line_id", Many2one("sale.order.line")),
            ("purchase_line_id", Many2one("purchase.order.line")),
        ],
        "stock.move.line" => vec![
            ("move_id", Many2one("stock.move")),
            ("picking_id", Many2one("stock.picking")),
            ("product_id", Many2one("product.product")),
            ("quantity", Scalar),
            ("result_package_id", Many2one("stock.quant.package")),
            ("picked", Scalar),
        ],
        "stock.quant.package" => vec![("name", Scalar)],
        "account.move" => vec![
            ("name", Scalar),
            ("move_type", Scalar),
            ("state", Scalar),
            ("partner_id", Many2one("res.partner")),
            ("invoice_origin", Scalar),
            ("invoice_date", Scalar),
            ("amount_total", Scalar),
            ("invoice_line_ids", One2many("account.move.line", "move_id")),
        ],
        "account.move.line" => vec![
            ("move_id", Many2one("account.move")),
            ("product_id", Many2one("product.product")),
            ("quantity", Scalar),
            ("price_unit", Scalar),
            ("display_type", Scalar),
            ("sale_line_ids", Scalar),
        ],
        _ => return None,
    };
    f.push(("id", Scalar));
    f.push(("write_date", Scalar));
    f.push(("create_date", Scalar));
    f.push(("display_name", Scalar));
    Some(f)
}

const MODELS: &[&str] = &[
    "res.partner",
    "product.product",
    "product.supplierinfo",
    "purchase.order",
    "purchase.order.line",
    "uom.uom",
    "stock.warehouse",
    "ir.model.data",
    "sale.order",
    "sale.order.line",
    "stock.picking",
    "stock.move",
    "stock.move.line",
    "stock.quant.package",
    "account.move",
    "account.move.line",
];

/// Odoo's answer to a failed call: exception name, message, and the JSON-2 status.
#[derive(Debug, Clone)]
pub struct Fault {
    pub name: &'static str,
    pub message: String,
    pub status: u16,
}

impl Fault {
    fn value_error(message: String) -> Self {
        Self {
            name: "builtins.ValueError",
            message,
            status: 500,
        }
    }
    fn user_error(message: String) -> Self {
        Self {
            name: "odoo.exceptions.UserError",
            message,
            status: 422,
        }
    }
    fn missing(message: String) -> Self {
        Self {
            name: "odoo.exceptions.MissingError",
            message,
            status: 404,
        }
    }
    fn denied() -> Self {
        Self {
            name: "odoo.exceptions.AccessDenied",
            message: "Access Denied".into(),
            status: 401,
        }
    }
}

/// What the double does besides answering.
#[derive(Debug, Default, Clone)]
pub struct Behaviour {
    /// Every request answers 503 (the proxy in front of a stopped Odoo).
    pub down: bool,
    /// Every answer waits this long.
    pub delay: Duration,
    /// For each `model.method`: how many more calls commit their work and then fail (HTTP
    /// 502 from the proxy), so the caller cannot know it succeeded.
    pub fault_after_commit: BTreeMap<String, u32>,
    /// For each `model.method`: the next call commits, then its answer is held this long (a
    /// gateway killed meanwhile has Odoo's commit but not its own).
    pub hold_after_commit: BTreeMap<String, Duration>,
    /// `(model.method, n)`: after n more such calls commit, the double goes down.
    pub down_after: Option<(String, u32)>,
}

/// The double's database.
pub struct World {
    pub version: u32,
    records: BTreeMap<String, BTreeMap<i64, Record>>,
    next_id: i64,
    clock: u64,
    pub behaviour: Behaviour,
    /// Every object call, `model.method`, in order.
    pub calls: Vec<String>,
    /// How many object calls came over JSON-2 and over JSON-RPC.
    pub json2_calls: usize,
    pub jsonrpc_calls: usize,
    /// Time spent answering requests (the double answers one at a time), for the load
    /// test's "Odoo's share" of the time per order.
    pub busy: Duration,
    pub requests: u64,
    /// Each model's fields, built once (the double answers thousands of calls in a load run).
    schemas: BTreeMap<&'static str, Vec<(&'static str, Kind)>>,
    /// `ir.model.data` by (module, name), as Odoo's unique index finds it.
    xmlids: BTreeMap<(String, String), (String, i64)>,
}

impl World {
    fn new(version: u32) -> Self {
        let mut w = Self {
            version,
            records: BTreeMap::new(),
            next_id: 1,
            clock: 0,
            behaviour: Behaviour::default(),
            calls: Vec::new(),
            json2_calls: 0,
            jsonrpc_calls: 0,
            busy: Duration::ZERO,
            requests: 0,
            schemas: MODELS
                .iter()
                .filter_map(|m| build_schema(m, version).map(|f| (*m, f)))
                .collect(),
            xmlids: BTreeMap::new(),
        };
        // A fresh database: "Units" is uom.uom 1, the main warehouse WH.
        w.insert("uom.uom", json!({ "name": "Units" }));
        w.insert("stock.warehouse", json!({ "name": "Main", "code": "WH" }));
        w
    }

    fn schema(&self, model: &str) -> Option<&Vec<(&'static str, Kind)>> {
        self.schemas.get(model)
    }

    fn now(&mut self) -> String {
        self.clock += 1;
        // Seconds since a fixed start: distinct and increasing, as write_date cursors need.
        let s = self.clock;
        format!(
            "2026-11-26 {:02}:{:02}:{:02}",
            (s / 3600) % 24,
            (s / 60) % 60,
            s % 60
        )
    }

    pub fn insert(&mut self, model: &str, vals: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut r = vals.as_object().cloned().unwrap_or_default();
        r.insert("id".into(), json!(id));
        let now = self.now();
        r.insert("create_date".into(), json!(now));
        r.insert("write_date".into(), json!(now));
        if model == "ir.model.data" {
            let key = (
                r["module"].as_str().unwrap_or_default().to_owned(),
                r["name"].as_str().unwrap_or_default().to_owned(),
            );
            let target = (
                r["model"].as_str().unwrap_or_default().to_owned(),
                r["res_id"].as_i64().unwrap_or(0),
            );
            self.xmlids.insert(key, target);
        }
        self.records
            .entry(model.to_owned())
            .or_default()
            .insert(id, r);
        id
    }

    pub fn update(&mut self, model: &str, id: i64, vals: &Record) {
        let now = self.now();
        if let Some(r) = self.records.get_mut(model).and_then(|m| m.get_mut(&id)) {
            for (k, v) in vals {
                r.insert(k.clone(), v.clone());
            }
            r.insert("write_date".into(), json!(now));
        }
    }

    pub fn get(&self, model: &str, id: i64) -> Option<&Record> {
        self.records.get(model).and_then(|m| m.get(&id))
    }

    /// Every record of `model`, in id order.
    pub fn all(&self, model: &str) -> Vec<Record> {
        self.records
            .get(model)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    fn children(&self, model: &str, inverse: &str, id: i64) -> Vec<i64> {
        self.records
            .get(model)
            .map(|m| {
                m.values()
                    .filter(|r| r.get(inverse).and_then(Value::as_i64) == Some(id))
                    .filter_map(|r| r["id"].as_i64())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn check_fields<'a>(
        &self,
        model: &str,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), Fault> {
        let schema = self.schema(model).ok_or_else(|| Fault {
            name: "odoo.exceptions.UserError",
            message: format!("Object {model} doesn't exist"),
            status: 404,
        })?;
        for n in names {
            let base = n.split('.').next().unwrap_or(n);
            if !schema.iter().any(|(f, _)| *f == base) {
                return Err(Fault::value_error(format!(
                    "Invalid field '{base}' on model '{model}'"
                )));
            }
        }
        Ok(())
    }

    /// A field as Odoo reads it: many2one `[id, name]` or `false`, x2many ids, empty `false`.
    fn read_field(&self, model: &str, r: &Record, field: &str) -> Value {
        let kind = self
            .schema(model)
            .and_then(|s| s.iter().find(|(f, _)| *f == field).map(|(_, k)| *k))
            .unwrap_or(Kind::Scalar);
        match kind {
            Kind::One2many(child, inverse) => {
                json!(self.children(child, inverse, r["id"].as_i64().unwrap_or(0)))
            }
            Kind::Many2one(target) => match r.get(field).and_then(Value::as_i64) {
                Some(id) => {
                    let name = self
                        .get(target, id)
                        .and_then(|t| t.get("name").cloned())
                        .unwrap_or(Value::Bool(false));
                    json!([id, name])
                }
                None => Value::Bool(false),
            },
            Kind::Scalar if field == "display_name" => {
                r.get("name").cloned().unwrap_or(Value::Bool(false))
            }
            Kind::Scalar => match r.get(field) {
                None | Some(Value::Null) => Value::Bool(false),
                Some(v) => v.clone(),
            },
        }
    }

    fn matches(&self, model: &str, r: &Record, domain: &Value) -> bool {
        domain.as_array().into_iter().flatten().all(|term| {
            let Some(t) = term.as_array() else {
                return true;
            }; // '&' and friends
            let (Some(field), Some(op)) = (
                t.first().and_then(Value::as_str),
                t.get(1).and_then(Value::as_str),
            ) else {
                return true;
            };
            let want = t.get(2).cloned().unwrap_or(Value::Null);
            // A dotted path ("seller_ids.product_code"): any related record matches.
            if let Some((head, rest)) = field.split_once('.') {
                let target = self.schema(model).and_then(|s| {
                    s.iter()
                        .find(|(f, _)| *f == head)
                        .and_then(|(_, k)| match k {
                            Kind::Many2one(m) | Kind::One2many(m, _) => Some(*m),
                            Kind::Scalar => None,
                        })
                });
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
                    Value::Array(a) if a.len() == 2 && a[0].is_i64() => a[0].clone(),
                    v => v,
                },
            };
            let num = |v: &Value| v.as_f64();
            match op {
                "=" => got == want || (want == Value::Bool(false) && got == Value::Bool(false)),
                "!=" => got != want,
                "in" => want.as_array().is_some_and(|a| a.contains(&got)),
                "not in" => !want.as_array().is_some_and(|a| a.contains(&got)),
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
                _ => false,
            }
        })
    }

    fn search(&self, model: &str, domain: &Value) -> Result<Vec<i64>, Fault> {
        let fields: Vec<&str> = domain
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_array().and_then(|t| t.first()).and_then(Value::as_str))
            .collect();
        self.check_fields(model, fields)?;
        Ok(self
            .records
            .get(model)
            .map(|m| {
                m.values()
                    .filter(|r| self.matches(model, r, domain))
                    .filter_map(|r| r["id"].as_i64())
                    .collect()
            })
            .unwrap_or_default())
    }

    fn read(&self, model: &str, ids: &[i64], fields: &[String]) -> Result<Vec<Value>, Fault> {
        self.check_fields(model, fields.iter().map(String::as_str))?;
        let mut out = Vec::new();
        for id in ids {
            let r = self.get(model, *id).ok_or_else(|| {
                Fault::missing(format!(
                    "Record does not exist or has been deleted.\n(Record: {model}({id},), User: 2)"
                ))
            })?;
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

    fn next_name(&self, model: &str, prefix: &str) -> String {
        format!(
            "{prefix}{:05}",
            self.records.get(model).map_or(0, BTreeMap::len) + 1
        )
    }

    fn xmlid(&self, full: &str) -> Option<(String, i64)> {
        let (module, name) = full.split_once('.').unwrap_or(("__import__", full));
        self.xmlids
            .get(&(module.to_owned(), name.to_owned()))
            .cloned()
    }

    fn set_xmlid(&mut self, full: &str, model: &str, id: i64) {
        let (module, name) = full.split_once('.').unwrap_or(("__import__", full));
        self.insert(
            "ir.model.data",
            json!({ "module": module, "name": name, "model": model, "res_id": id }),
        );
    }

    /// `sale.order.load`: import rows, create or update by external ID (lines too), all or
    /// nothing; errors come back in `messages`, never raised.
    fn load_sale_order(&mut self, fields: &[String], rows: &[Vec<String>]) -> Value {
        let uom = if self.version >= 19 {
            "product_uom_id"
        } else {
            "product_uom"
        };
        let mut order: Record = Map::new();
        let mut order_xmlid = None;
        let mut lines: Vec<(Option<String>, Record)> = Vec::new();
        let fail =
            |m: String| json!({ "ids": false, "messages": [{ "type": "error", "message": m }] });
        for (n, row) in rows.iter().enumerate() {
            let mut line: Record = Map::new();
            let mut line_xmlid = None;
            for (f, v) in fields.iter().zip(row) {
                if v.is_empty() {
                    continue;
                }
                let (target, rest) = match f.strip_prefix("order_line/") {
                    Some(rest) => (&mut line, rest),
                    None => (&mut order, f.as_str()),
                };
                if rest == "id" {
                    if f.starts_with("order_line/") {
                        line_xmlid = Some(v.clone())
                    } else {
                        order_xmlid = Some(v.clone())
                    }
                    continue;
                }
                let (name, by_id) = match rest.strip_suffix("/.id") {
                    Some(name) => (name, true),
                    None => (rest, false),
                };
                let model = if f.starts_with("order_line/") {
                    "sale.order.line"
                } else {
                    "sale.order"
                };
                if let Err(e) = self.check_fields(model, [name]) {
                    return fail(e.message);
                }
                let value = if by_id {
                    match v.parse::<i64>() {
                        Ok(id) => json!(id),
                        Err(_) => {
                            return fail(format!(
                                "row {}: `{v}` is not a database id for {name}",
                                n + 1
                            ));
                        }
                    }
                } else if matches!(name, "product_uom_qty" | "price_unit") {
                    match v.parse::<f64>() {
                        Ok(x) => json!(x),
                        Err(_) => {
                            return fail(format!(
                                "row {}: `{v}` is not a number for {name}",
                                n + 1
                            ));
                        }
                    }
                } else {
                    json!(v)
                };
                target.insert(name.to_owned(), value);
            }
            if !line.is_empty() || line_xmlid.is_some() {
                lines.push((line_xmlid, line));
            }
        }
        let partner = order.get("partner_id").and_then(Value::as_i64);
        if partner.is_none_or(|p| self.get("res.partner", p).is_none()) {
            return fail("Missing required value for the field 'Customer' (partner_id)".into());
        }
        for (_, l) in &lines {
            let product = l.get("product_id").and_then(Value::as_i64);
            if product.is_none_or(|p| self.get("product.product", p).is_none()) {
                return fail("No matching record found for database id in field 'Product'".into());
            }
        }
        let existing = order_xmlid
            .as_deref()
            .and_then(|x| self.xmlid(x))
            .map(|(_, id)| id);
        let order_id = match existing {
            Some(id) => {
                self.update("sale.order", id, &order);
                id
            }
            None => {
                order.insert("name".into(), json!(self.next_name("sale.order", "S")));
                order.insert("state".into(), json!("draft"));
                let id = self.insert("sale.order", Value::Object(order));
                if let Some(x) = &order_xmlid {
                    self.set_xmlid(x, "sale.order", id);
                }
                id
            }
        };
        for (xmlid, mut l) in lines {
            l.insert("order_id".into(), json!(order_id));
            let product = l["product_id"].as_i64().unwrap_or(0);
            let p = self
                .get("product.product", product)
                .cloned()
                .unwrap_or_default();
            l.entry("price_unit")
                .or_insert_with(|| p.get("list_price").cloned().unwrap_or(json!(0.0)));
            l.entry("name")
                .or_insert_with(|| p.get("name").cloned().unwrap_or(json!("")));
            l.entry(uom)
                .or_insert_with(|| p.get("uom_id").cloned().unwrap_or(json!(1)));
            l.entry("qty_delivered").or_insert(json!(0.0));
            match xmlid.as_deref().and_then(|x| self.xmlid(x)) {
                Some((_, id)) => self.update("sale.order.line", id, &l),
                None => {
                    let id = self.insert("sale.order.line", Value::Object(l));
                    if let Some(x) = &xmlid {
                        self.set_xmlid(x, "sale.order.line", id);
                    }
                }
            }
        }
        json!({ "ids": [order_id], "messages": [] })
    }

    /// A move's quantity is the sum of its move lines' (Odoo computes it so).
    fn recompute_move(&mut self, mv: Option<i64>) {
        let Some(mv) = mv else { return };
        let total: f64 = self
            .all("stock.move.line")
            .iter()
            .filter(|l| l.get("move_id").and_then(Value::as_i64) == Some(mv))
            .filter_map(|l| l.get("quantity").and_then(Value::as_f64))
            .sum();
        self.update(
            "stock.move",
            mv,
            json!({ "quantity": total, "picked": true })
                .as_object()
                .unwrap(),
        );
    }

    fn confirm(&mut self, id: i64) -> Result<Value, Fault> {
        let so = self
            .get("sale.order", id)
            .cloned()
            .ok_or_else(|| Fault::missing(format!("sale.order({id},) does not exist")))?;
        if so["state"] != "draft" && so["state"] != "sent" {
            return Err(Fault::user_error(format!(
                "Some orders are not in a state requiring confirmation ({})",
                so["name"]
            )));
        }
        self.update(
            "sale.order",
            id,
            json!({ "state": "sale" }).as_object().unwrap(),
        );
        let origin = if self.version >= 19 {
            so["name"].as_str().unwrap_or_default().to_owned()
        } else {
            format!(
                "{} - {}",
                so["name"].as_str().unwrap_or_default(),
                so["client_order_ref"].as_str().unwrap_or_default()
            )
        };
        let name = format!(
            "WH/OUT/{:05}",
            self.records.get("stock.picking").map_or(0, BTreeMap::len) + 1
        );
        let picking = self.insert(
            "stock.picking",
            json!({ "name": name, "sale_id": id, "picking_type_code": "outgoing", "state": "assigned", "origin": origin }),
        );
        for line in self.children("sale.order.line", "order_id", id) {
            let l = self
                .get("sale.order.line", line)
                .cloned()
                .unwrap_or_default();
            self.insert(
                "stock.move",
                json!({
                    "picking_id": picking, "product_id": l["product_id"], "product_uom_qty": l["product_uom_qty"],
                    "quantity": l["product_uom_qty"], "picked": false, "sale_line_id": line,
                }),
            );
        }
        Ok(json!(true))
    }

    fn validate(&mut self, id: i64, context: &Value) -> Result<Value, Fault> {
        let p = self
            .get("stock.picking", id)
            .cloned()
            .ok_or_else(|| Fault::missing(format!("stock.picking({id},) does not exist")))?;
        if p["state"] == "done" {
            return Ok(json!(true));
        }
        let moves = self.children("stock.move", "picking_id", id);
        let short: Vec<(i64, f64)> = moves
            .iter()
            .filter_map(|m| {
                let r = self.get("stock.move", *m)?;
                let left = r["product_uom_qty"].as_f64()? - r["quantity"].as_f64().unwrap_or(0.0);
                (left > 0.0).then_some((*m, left))
            })
            .collect();
        let skip = context["skip_backorder"] == json!(true);
        if !short.is_empty() && !skip {
            return Ok(json!({
                "type": "ir.actions.act_window", "res_model": "stock.backorder.confirmation",
                "context": { "button_validate_picking_ids": [id], "default_pick_ids": [[4, id]] },
            }));
        }
        let no_backorder = context["picking_ids_not_to_backorder"]
            .as_array()
            .is_some_and(|a| a.contains(&json!(id)));
        let now = self.now();
        self.update(
            "stock.picking",
            id,
            json!({ "state": "done", "date_done": now })
                .as_object()
                .unwrap(),
        );
        for m in &moves {
            let r = self.get("stock.move", *m).cloned().unwrap_or_default();
            if let Some(line) = r.get("purchase_line_id").and_then(Value::as_i64) {
                let got = self
                    .get("purchase.order.line", line)
                    .and_then(|l| l["qty_received"].as_f64())
                    .unwrap_or(0.0)
                    + r["quantity"].as_f64().unwrap_or(0.0);
                self.update(
                    "purchase.order.line",
                    line,
                    json!({ "qty_received": got }).as_object().unwrap(),
                );
            }
            if let Some(line) = r.get("sale_line_id").and_then(Value::as_i64) {
                let done = self
                    .get("sale.order.line", line)
                    .and_then(|l| l["qty_delivered"].as_f64())
                    .unwrap_or(0.0)
                    + r["quantity"].as_f64().unwrap_or(0.0);
                self.update(
                    "sale.order.line",
                    line,
                    json!({ "qty_delivered": done }).as_object().unwrap(),
                );
            }
        }
        if !short.is_empty() && !no_backorder {
            let name = format!(
                "WH/OUT/{:05}",
                self.records.get("stock.picking").map_or(0, BTreeMap::len) + 1
            );
            let bo = self.insert(
                "stock.picking",
                json!({ "name": name, "sale_id": p.get("sale_id"), "purchase_id": p.get("purchase_id"),
                        "picking_type_code": p["picking_type_code"], "state": "assigned", "origin": p["origin"],
                        "backorder_id": id }),
            );
            for (m, left) in short {
                let r = self.get("stock.move", m).cloned().unwrap_or_default();
                self.update(
                    "stock.move",
                    m,
                    json!({ "product_uom_qty": r["quantity"] })
                        .as_object()
                        .unwrap(),
                );
                self.insert(
                    "stock.move",
                    json!({ "picking_id": bo, "product_id": r["product_id"], "product_uom_qty": left,
                            "quantity": left, "picked": false, "sale_line_id": r.get("sale_line_id"),
                            "purchase_line_id": r.get("purchase_line_id") }),
                );
            }
        }
        Ok(json!(true))
    }

    /// One object call with named arguments (JSON-2's form; JSON-RPC's positional `args`
    /// are folded in first).
    fn dispatch(
        &mut self,
        model: &str,
        method: &str,
        ids: Vec<i64>,
        kw: &Record,
    ) -> Result<Value, Fault> {
        self.calls.push(format!("{model}.{method}"));
        if method.starts_with('_') {
            return Err(Fault {
                name: "odoo.exceptions.AccessError",
                message: format!("Private methods (such as '{method}') cannot be called remotely."),
                status: 403,
            });
        }
        if self.schema(model).is_none() {
            return Err(Fault {
                name: "odoo.exceptions.UserError",
                message: format!("Object {model} doesn't exist"),
                status: 404,
            });
        }
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        match method {
            "search_read" => {
                let found = self.search(model, kw.get("domain").unwrap_or(&json!([])))?;
                let mut rows = self.read(model, &found, &strings(kw.get("fields")))?;
                if let Some(limit) = kw.get("limit").and_then(Value::as_u64) {
                    rows.truncate(limit as usize);
                }
                Ok(json!(rows))
            }
            "search" => Ok(json!(
                self.search(model, kw.get("domain").unwrap_or(&json!([])))?
            )),
            "search_count" => Ok(json!(
                self.search(model, kw.get("domain").unwrap_or(&json!([])))?
                    .len()
            )),
            "read" => Ok(json!(self.read(model, &ids, &strings(kw.get("fields")))?)),
            "create" => {
                let list = match kw.get("vals_list") {
                    Some(Value::Array(a)) => a.clone(),
                    Some(v @ Value::Object(_)) => vec![v.clone()],
                    _ => Vec::new(),
                };
                let mut created = Vec::new();
                for v in &list {
                    self.check_fields(
                        model,
                        v.as_object().into_iter().flatten().map(|(k, _)| k.as_str()),
                    )?;
                    created.push(self.insert(model, v.clone()));
                    if model == "stock.move.line" {
                        self.recompute_move(v.get("move_id").and_then(Value::as_i64));
                    }
                }
                Ok(if matches!(kw.get("vals_list"), Some(Value::Object(_))) {
                    json!(created[0])
                } else {
                    json!(created)
                })
            }
            "write" => {
                let vals = kw
                    .get("vals")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                self.check_fields(model, vals.keys().map(String::as_str))?;
                for id in &ids {
                    if self.get(model, *id).is_none() {
                        return Err(Fault::missing(format!(
                            "Record does not exist or has been deleted.\n(Record: {model}({id},), User: 2)"
                        )));
                    }
                    self.update(model, *id, &vals);
                    if model == "stock.move.line" {
                        let mv = self
                            .get(model, *id)
                            .and_then(|r| r.get("move_id"))
                            .and_then(Value::as_i64);
                        self.recompute_move(mv);
                    }
                }
                Ok(json!(true))
            }
            "load" if model == "sale.order" => {
                let rows: Vec<Vec<String>> = kw
                    .get("data")
                    .and_then(Value::as_array)
                    .map(|rows| rows.iter().map(|r| strings(Some(r))).collect())
                    .unwrap_or_default();
                Ok(self.load_sale_order(&strings(kw.get("fields")), &rows))
            }
            "action_confirm" if model == "sale.order" => {
                for id in &ids {
                    self.confirm(*id)?;
                }
                Ok(json!(true))
            }
            "action_cancel" if model == "sale.order" => {
                if kw
                    .get("context")
                    .and_then(|c| c.get("disable_cancel_warning"))
                    != Some(&json!(true))
                {
                    return Ok(
                        json!({ "type": "ir.actions.act_window", "res_model": "sale.order.cancel" }),
                    );
                }
                for id in &ids {
                    self.update(
                        "sale.order",
                        *id,
                        json!({ "state": "cancel" }).as_object().unwrap(),
                    );
                }
                Ok(json!(true))
            }
            "button_validate" if model == "stock.picking" => {
                let ctx = kw.get("context").cloned().unwrap_or(json!({}));
                let mut last = json!(true);
                for id in &ids {
                    last = self.validate(*id, &ctx)?;
                }
                Ok(last)
            }
            _ => Err(Fault {
                name: "builtins.AttributeError",
                message: format!("The method '{method}' does not exist on the model '{model}'"),
                status: 404,
            }),
        }
    }
}

/// Positional JSON-RPC arguments as the named ones each method takes.
fn named(method: &str, args: &[Value], mut kw: Record) -> (Vec<i64>, Record) {
    let record_methods = [
        "read",
        "write",
        "action_confirm",
        "action_cancel",
        "button_validate",
        "unlink",
    ];
    let (ids, rest) = if record_methods.contains(&method) {
        let ids = args
            .first()
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        (ids, args.get(1..).unwrap_or_default())
    } else {
        (Vec::new(), args)
    };
    let names: &[&str] = match method {
        "search_read" => &["domain", "fields", "offset", "limit", "order"],
        "search" | "search_count" => &["domain"],
        "read" => &["fields"],
        "create" => &["vals_list"],
        "write" => &["vals"],
        "load" => &["fields", "data"],
        _ => &[],
    };
    for (n, v) in names.iter().zip(rest) {
        kw.entry(*n).or_insert_with(|| v.clone());
    }
    (ids, kw)
}

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

    pub fn product(&self, default_code: &str, barcode: Option<&str>, price: f64) -> i64 {
        self.with(|w| {
            w.insert(
                "product.product",
                json!({ "name": format!("Product {default_code}"), "default_code": default_code,
                        "barcode": barcode.map_or(Value::Bool(false), |b| json!(b)), "list_price": price, "uom_id": 1 }),
            )
        })
    }

    pub fn uom(&self, name: &str) -> i64 {
        self.with(|w| w.insert("uom.uom", json!({ "name": name })))
    }

    /// What a sales person does: confirm the order (its delivery is created).
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

    /// What the warehouse does: pick `quantities` (per move, in order), pack each move in its
    /// own package named `package_names[i]` when given, set the tracking number, and
    /// validate (a short pick leaves a backorder).
    pub fn ship(&self, picking: i64, quantities: &[f64], package_names: &[&str], tracking: &str) {
        self.with(|w| {
            let moves: Vec<Record> = w.all("stock.move").into_iter().filter(|m| m["picking_id"] == json!(picking)).collect();
            for (i, m) in moves.iter().enumerate() {
                let id = m["id"].as_i64().unwrap();
                let q = quantities.get(i).copied().unwrap_or(0.0);
                w.update("stock.move", id, json!({ "quantity": q, "picked": true }).as_object().unwrap());
                if let Some(name) = package_names.get(i) {
                    let pkg = w.insert("stock.quant.package", json!({ "name": name }));
                    w.insert(
                        "stock.move.line",
                        json!({ "move_id": id, "picking_id": picking, "product_id": m["product_id"], "quantity": q,
                                "result_package_id": pkg, "picked": true }),
                    );
                }
            }
            w.update("stock.picking", picking, json!({ "carrier_tracking_ref": tracking }).as_object().unwrap());
            w.validate(picking, &json!({ "skip_backorder": true })).expect("validate");
        });
    }

    /// A confirmed purchase order `name` from the vendor with this `ref`, and its incoming
    /// receipt with one move per line (nothing received yet). Returns the receipt's id.
    pub fn purchase(&self, vendor_ref: &str, name: &str, lines: &[(i64, f64)]) -> i64 {
        self.with(|w| {
            let vendor = w
                .all("res.partner")
                .into_iter()
                .find(|p| p["ref"] == json!(vendor_ref))
                .and_then(|p| p["id"].as_i64())
                .expect("vendor");
            let po = w.insert("purchase.order", json!({ "name": name, "partner_id": vendor, "state": "purchase" }));
            let picking = w.insert(
                "stock.picking",
                json!({ "name": format!("WH/IN/{po:05}"), "purchase_id": po, "picking_type_code": "incoming",
                        "state": "assigned", "origin": name }),
            );
            for (product, qty) in lines {
                let line = w.insert(
                    "purchase.order.line",
                    json!({ "order_id": po, "product_id": product, "product_qty": qty, "qty_received": 0.0 }),
                );
                w.insert(
                    "stock.move",
                    json!({ "picking_id": picking, "product_id": product, "product_uom_qty": qty, "quantity": 0.0,
                            "picked": false, "purchase_line_id": line }),
                );
            }
            picking
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

    /// What accounting does: invoice what was delivered on the order, and post it.
    pub fn invoice(&self, order: i64) -> i64 {
        self.with(|w| {
            let so = w.get("sale.order", order).cloned().expect("order");
            let lines: Vec<Record> = w
                .all("sale.order.line")
                .into_iter()
                .filter(|l| l["order_id"] == json!(order))
                .collect();
            let total: f64 = lines
                .iter()
                .map(|l| l["qty_delivered"].as_f64().unwrap_or(0.0) * l["price_unit"].as_f64().unwrap_or(0.0))
                .sum();
            let n = w.records.get("account.move").map_or(0, BTreeMap::len) + 1;
            let mv = w.insert(
                "account.move",
                json!({ "name": format!("INV/2026/{n:05}"), "move_type": "out_invoice", "state": "posted",
                        "partner_id": so["partner_id"], "invoice_origin": so["name"], "invoice_date": "2026-11-27",
                        "amount_total": total }),
            );
            for l in &lines {
                w.insert(
                    "account.move.line",
                    json!({ "move_id": mv, "product_id": l["product_id"], "quantity": l["qty_delivered"],
                            "price_unit": l["price_unit"], "display_type": "product", "sale_line_ids": [l["id"]] }),
                );
            }
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

/// Not Odoo's: what the load script reads to tell Odoo's share of the time.
async fn stats(State(world): State<Arc<Mutex<World>>>) -> Response {
    let w = world.lock().unwrap();
    axum::Json(json!({
        "requests": w.requests,
        "busy_ms": w.busy.as_secs_f64() * 1000.0,
        "calls": w.calls.len(),
        "sale_orders": w.records.get("sale.order").map_or(0, BTreeMap::len),
        "sale_order_lines": w.records.get("sale.order.line").map_or(0, BTreeMap::len),
    }))
    .into_response()
}

/// Adds each request's time to the world's `busy`.
async fn timed(
    State(world): State<Arc<Mutex<World>>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let t = std::time::Instant::now();
    let r = next.run(req).await;
    let mut w = world.lock().unwrap();
    w.busy += t.elapsed();
    w.requests += 1;
    r
}

fn rpc_error(version: u32, id: &Value, f: &Fault) -> Response {
    axum::Json(json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": if version >= 19 { 0 } else { 200 },
            "message": "Odoo Server Error",
            "data": { "name": f.name, "message": f.message, "arguments": [f.message], "debug": "Traceback (most recent call last):\n…", "context": {} },
        },
    }))
    .into_response()
}

/// Applies the failure modes before a call; `None` to go on.
async fn before(world: &Arc<Mutex<World>>) -> Option<Response> {
    let (down, delay) = {
        let w = world.lock().unwrap();
        (w.behaviour.down, w.behaviour.delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    down.then(|| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "<html><body><h1>503 Service Unavailable</h1></body></html>",
        )
            .into_response()
    })
}

/// After a call committed: a 502 from the proxy when a fault after commit is due.
fn after(w: &mut World, call: &str) -> Option<Response> {
    if let Some((c, n)) = &mut w.behaviour.down_after
        && c == call
    {
        *n = n.saturating_sub(1);
        if *n == 0 {
            w.behaviour.down = true;
            w.behaviour.down_after = None;
        }
    }
    let n = w.behaviour.fault_after_commit.get_mut(call)?;
    if *n == 0 {
        return None;
    }
    *n -= 1;
    Some(
        (
            StatusCode::BAD_GATEWAY,
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        )
            .into_response(),
    )
}

async fn jsonrpc(State(world): State<Arc<Mutex<World>>>, body: axum::body::Bytes) -> Response {
    if let Some(r) = before(&world).await {
        return r;
    }
    // The answer is made under the lock; a held answer waits after the lock is released.
    let (answer, hold) = jsonrpc_answer(&world, &body);
    if let Some(d) = hold {
        tokio::time::sleep(d).await;
    }
    answer
}

fn jsonrpc_answer(world: &Arc<Mutex<World>>, body: &[u8]) -> (Response, Option<Duration>) {
    let mut hold = None;
    let answer = jsonrpc_inner(world, body, &mut hold);
    (answer, hold)
}

fn jsonrpc_inner(world: &Arc<Mutex<World>>, body: &[u8], hold: &mut Option<Duration>) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let id = req["id"].clone();
    let params = &req["params"];
    let args = params["args"].as_array().cloned().unwrap_or_default();
    let mut w = world.lock().unwrap();
    let version = w.version;
    let result = match (params["service"].as_str(), params["method"].as_str()) {
        (Some("common"), Some("version")) => json!({
            "server_version": format!("{version}.0"),
            "server_version_info": [version, 0, 0, "final", 0, ""],
            "server_serie": format!("{version}.0"),
            "protocol_version": 1,
        }),
        (Some("common"), Some("authenticate")) => {
            let ok = args.first() == Some(&json!(DB))
                && args.get(1) == Some(&json!(LOGIN))
                && args.get(2) == Some(&json!(KEY));
            if ok { json!(2) } else { json!(false) }
        }
        (Some("object"), Some("execute_kw")) => {
            if args.first() != Some(&json!(DB))
                || args.get(1) != Some(&json!(2))
                || args.get(2) != Some(&json!(KEY))
            {
                return rpc_error(version, &id, &Fault::denied());
            }
            let model = args
                .get(3)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let method = args
                .get(4)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let positional = args
                .get(5)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let kw = args
                .get(6)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let (ids, kw) = named(&method, &positional, kw);
            w.jsonrpc_calls += 1;
            match w.dispatch(&model, &method, ids, &kw) {
                Ok(v) => {
                    let call = format!("{model}.{method}");
                    if let Some(r) = after(&mut w, &call) {
                        return r;
                    }
                    *hold = w.behaviour.hold_after_commit.remove(&call);
                    v
                }
                Err(f) => return rpc_error(version, &id, &f),
            }
        }
        _ => {
            return rpc_error(
                version,
                &id,
                &Fault {
                    name: "builtins.KeyError",
                    message: "unknown service or method".into(),
                    status: 404,
                },
            );
        }
    };
    axum::Json(json!({ "jsonrpc": "2.0", "id": id, "result": result })).into_response()
}

async fn json2(
    State(world): State<Arc<Mutex<World>>>,
    Path((model, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = before(&world).await {
        return r;
    }
    let mut w = world.lock().unwrap();
    let err = |f: Fault| {
        let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(json!({ "name": f.name, "message": f.message, "arguments": [f.message], "context": {}, "debug": "" }))).into_response()
    };
    if w.version < 19 {
        return (StatusCode::SEE_OTHER, [("location", "/web/login")]).into_response();
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !bearer.eq_ignore_ascii_case(&format!("bearer {KEY}")) {
        return err(Fault::denied());
    }
    if headers.get("x-odoo-database").and_then(|v| v.to_str().ok()) != Some(DB) {
        return err(Fault {
            name: "werkzeug.exceptions.NotFound",
            message: "database not found".into(),
            status: 404,
        });
    }
    let kw = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    let ids = kw
        .get("ids")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    w.json2_calls += 1;
    match w.dispatch(&model, &method, ids, &kw) {
        Ok(v) => {
            if let Some(r) = after(&mut w, &format!("{model}.{method}")) {
                return r;
            }
            axum::Json(v).into_response()
        }
        Err(f) => err(f),
    }
}
