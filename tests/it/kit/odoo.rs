//! An Odoo test double that answers Odoo's external API on the wire as real Odoo 18.0 and
//! 19.0 did in the recordings of `../shared/odoo-transcripts/` (checked by
//! `tests/it/odoo_contract.rs`, which replays every recorded request against it): JSON-RPC
//! (`/jsonrpc`: `common.version`, `common.authenticate`, `object.execute_kw`) on both versions
//! and JSON-2 (`/json/2/<model>/<method>`, bearer key, `X-Odoo-Database`) on 19 only (18
//! answers 303 to `/web/login`), with Odoo's error shapes and the 18→19 renames.
//!
//! Faithful where Wharf can go wrong: `create` over JSON-RPC takes its values positionally
//! only (keyword `vals_list` is Odoo's IndexError); `sale.order.load` refuses an order with an
//! empty line description; 19 has `stock.package` where 18 has `stock.quant.package`; stock
//! moves and move lines are in the product's unit (2 × Case-of-12 is a move of 24); confirming
//! a sale or a purchase reserves one move line per move for the whole quantity, another move
//! line adds to the move, writing a move's quantity trims its move lines; the default 15 %
//! sales tax; the backorder wizard, the invoice wizard, lots by `lot_name`.
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
/// The admin's uid on a fresh database (the recordings' too).
pub const ADMIN_UID: i64 = 2;

type Record = Map<String, Value>;

/// A field's kind, for reading it back as Odoo does.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Scalar,
    Many2one(&'static str),
    /// `(comodel, inverse many2one)`: read from the children.
    One2many(&'static str, &'static str),
    /// Stored as a list of ids on the record.
    Many2many(&'static str),
}

/// The fields each model has in this version; anything else is "Invalid field".
fn build_schema(model: &str, version: u32) -> Option<Vec<(&'static str, Kind)>> {
    use Kind::*;
    let v19 = version >= 19;
    let line_uom = if v19 { "product_uom_id" } else { "product_uom" };
    let sale_tax = if v19 { "tax_ids" } else { "tax_id" };
    let purchase_tax = if v19 { "tax_ids" } else { "taxes_id" };
    let package = if v19 {
        "stock.package"
    } else {
        "stock.quant.package"
    };
    let mut f: Vec<(&'static str, Kind)> = match model {
        "res.partner" => vec![
            ("name", Scalar),
            ("ref", Scalar),
            ("type", Scalar),
            ("is_company", Scalar),
            ("parent_id", Many2one("res.partner")),
            ("child_ids", One2many("res.partner", "parent_id")),
            ("street", Scalar),
            ("street2", Scalar),
            ("city", Scalar),
            ("zip", Scalar),
            ("state_id", Many2one("res.country.state")),
            ("country_id", Many2one("res.country")),
        ],
        "res.users" => vec![
            ("name", Scalar),
            ("login", Scalar),
            (
                if v19 { "group_ids" } else { "groups_id" },
                Many2many("res.groups"),
            ),
        ],
        "res.groups" => vec![("name", Scalar)],
        "product.product" => {
            let mut f = vec![
                ("name", Scalar),
                ("default_code", Scalar),
                ("barcode", Scalar),
                ("list_price", Scalar),
                ("type", Scalar),
                ("is_storable", Scalar),
                ("tracking", Scalar),
                ("invoice_policy", Scalar),
                ("uom_id", Many2one("uom.uom")),
                ("taxes_id", Many2many("account.tax")),
                ("seller_ids", One2many("product.supplierinfo", "product_id")),
            ];
            if v19 {
                f.push(("uom_ids", Many2many("uom.uom")));
            } else {
                f.push(("uom_po_id", Many2one("uom.uom")));
            }
            f
        }
        "product.supplierinfo" => vec![
            ("partner_id", Many2one("res.partner")),
            ("product_id", Many2one("product.product")),
            ("product_code", Scalar),
        ],
        "uom.uom" => {
            if v19 {
                vec![
                    ("name", Scalar),
                    ("factor", Scalar),
                    ("relative_factor", Scalar),
                    ("relative_uom_id", Many2one("uom.uom")),
                ]
            } else {
                vec![
                    ("name", Scalar),
                    ("category_id", Many2one("uom.category")),
                    ("uom_type", Scalar),
                    ("factor", Scalar),
                    ("factor_inv", Scalar),
                ]
            }
        }
        "uom.category" if !v19 => vec![("name", Scalar)],
        "account.tax" => vec![
            ("name", Scalar),
            ("amount", Scalar),
            ("amount_type", Scalar),
            ("type_tax_use", Scalar),
        ],
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
            ("partner_invoice_id", Many2one("res.partner")),
            ("client_order_ref", Scalar),
            ("date_order", Scalar),
            ("commitment_date", Scalar),
            ("note", Scalar),
            ("state", Scalar),
            ("delivery_status", Scalar),
            ("warehouse_id", Many2one("stock.warehouse")),
            ("order_line", One2many("sale.order.line", "order_id")),
            ("picking_ids", One2many("stock.picking", "sale_id")),
            ("invoice_ids", Many2many("account.move")),
        ],
        "sale.order.line" => vec![
            ("order_id", Many2one("sale.order")),
            ("product_id", Many2one("product.product")),
            ("name", Scalar),
            ("product_uom_qty", Scalar),
            ("price_unit", Scalar),
            (line_uom, Many2one("uom.uom")),
            (sale_tax, Many2many("account.tax")),
            ("price_subtotal", Scalar),
            ("price_tax", Scalar),
            ("price_total", Scalar),
            ("qty_delivered", Scalar),
            ("qty_invoiced", Scalar),
            ("move_ids", One2many("stock.move", "sale_line_id")),
        ],
        "purchase.order" => vec![
            ("name", Scalar),
            ("partner_id", Many2one("res.partner")),
            ("partner_ref", Scalar),
            ("state", Scalar),
            ("order_line", One2many("purchase.order.line", "order_id")),
            ("picking_ids", One2many("stock.picking", "purchase_id")),
        ],
        "purchase.order.line" => vec![
            ("order_id", Many2one("purchase.order")),
            ("product_id", Many2one("product.product")),
            ("name", Scalar),
            ("product_qty", Scalar),
            ("price_unit", Scalar),
            (line_uom, Many2one("uom.uom")),
            (purchase_tax, Many2many("account.tax")),
            ("qty_received", Scalar),
            ("move_ids", One2many("stock.move", "purchase_line_id")),
        ],
        "stock.picking" => vec![
            ("name", Scalar),
            ("sale_id", Many2one("sale.order")),
            ("purchase_id", Many2one("purchase.order")),
            ("partner_id", Many2one("res.partner")),
            ("picking_type_code", Scalar),
            ("state", Scalar),
            ("origin", Scalar),
            ("carrier_tracking_ref", Scalar),
            ("carrier_id", Many2one("delivery.carrier")),
            // stock_delivery: the products' weight and the company's weight unit label.
            ("weight", Scalar),
            ("weight_uom_name", Scalar),
            ("backorder_id", Many2one("stock.picking")),
            ("date_done", Scalar),
            ("move_ids", One2many("stock.move", "picking_id")),
            ("move_line_ids", One2many("stock.move.line", "picking_id")),
        ],
        "delivery.carrier" => vec![("name", Scalar)],
        "stock.move" => vec![
            ("picking_id", Many2one("stock.picking")),
            ("product_id", Many2one("product.product")),
            ("product_uom_qty", Scalar),
            ("product_qty", Scalar),
            ("quantity", Scalar),
            ("product_uom", Many2one("uom.uom")),
            ("picked", Scalar),
            ("state", Scalar),
            ("sale_line_id", Many2one("sale.order.line")),
            ("purchase_line_id", Many2one("purchase.order.line")),
            ("move_line_ids", One2many("stock.move.line", "move_id")),
        ],
        "stock.move.line" => vec![
            ("move_id", Many2one("stock.move")),
            ("picking_id", Many2one("stock.picking")),
            ("product_id", Many2one("product.product")),
            ("quantity", Scalar),
            ("quantity_product_uom", Scalar),
            ("product_uom_id", Many2one("uom.uom")),
            ("lot_id", Many2one("stock.lot")),
            ("lot_name", Scalar),
            ("package_id", Many2one(package)),
            ("result_package_id", Many2one(package)),
            ("picked", Scalar),
            ("state", Scalar),
        ],
        "stock.quant.package" if !v19 => vec![("name", Scalar)],
        "stock.package" if v19 => vec![("name", Scalar)],
        "stock.lot" => vec![
            ("name", Scalar),
            ("product_id", Many2one("product.product")),
        ],
        "stock.backorder.confirmation" => vec![("pick_ids", Many2many("stock.picking"))],
        "sale.advance.payment.inv" => vec![
            ("advance_payment_method", Scalar),
            ("sale_order_ids", Many2many("sale.order")),
        ],
        "account.move" => vec![
            ("name", Scalar),
            ("move_type", Scalar),
            ("state", Scalar),
            ("partner_id", Many2one("res.partner")),
            ("partner_shipping_id", Many2one("res.partner")),
            ("invoice_origin", Scalar),
            ("invoice_date", Scalar),
            ("amount_untaxed", Scalar),
            ("amount_tax", Scalar),
            ("amount_total", Scalar),
            ("invoice_line_ids", One2many("account.move.line", "move_id")),
        ],
        "account.move.line" => vec![
            ("move_id", Many2one("account.move")),
            ("product_id", Many2one("product.product")),
            ("name", Scalar),
            ("quantity", Scalar),
            ("price_unit", Scalar),
            ("product_uom_id", Many2one("uom.uom")),
            ("tax_ids", Many2many("account.tax")),
            ("price_subtotal", Scalar),
            ("price_total", Scalar),
            ("display_type", Scalar),
            ("sale_line_ids", Many2many("sale.order.line")),
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
    "res.users",
    "res.groups",
    "product.product",
    "product.supplierinfo",
    "uom.uom",
    "uom.category",
    "account.tax",
    "stock.warehouse",
    "ir.model.data",
    "sale.order",
    "sale.order.line",
    "purchase.order",
    "purchase.order.line",
    "stock.picking",
    "delivery.carrier",
    "stock.move",
    "stock.move.line",
    "stock.quant.package",
    "stock.package",
    "stock.lot",
    "stock.backorder.confirmation",
    "sale.advance.payment.inv",
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
    fn new(name: &'static str, message: String, status: u16) -> Self {
        Self {
            name,
            message,
            status,
        }
    }
    fn value_error(message: String) -> Self {
        Self::new("builtins.ValueError", message, 500)
    }
    fn user_error(message: String) -> Self {
        Self::new("odoo.exceptions.UserError", message, 422)
    }
    fn validation(message: String) -> Self {
        Self::new("odoo.exceptions.ValidationError", message, 422)
    }
    fn missing(model: &str, id: i64) -> Self {
        Self::new(
            "odoo.exceptions.MissingError",
            format!(
                "Record does not exist or has been deleted.\n(Record: {model}({id},), User: {ADMIN_UID})"
            ),
            404,
        )
    }
    fn denied() -> Self {
        Self::new("odoo.exceptions.AccessDenied", "Access Denied".into(), 401)
    }
    /// werkzeug's HTTP exceptions carry the status as a second argument.
    fn is_werkzeug(&self) -> bool {
        self.name.starts_with("werkzeug.")
    }
    fn arguments(&self) -> Value {
        if self.is_werkzeug() {
            json!([self.message, self.status])
        } else {
            json!([self.message])
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

/// How a call came in: the transports serialise some results differently (a recordset is
/// `"model(3,)"` over JSON-RPC and `[3]` over JSON-2) and require different argument shapes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Transport {
    JsonRpc,
    Json2,
}

/// Rounds a monetary amount to the cent as Odoo does (half up, with a tolerance for the
/// binary representation: 187.5 × 0.15 is 28.125 and rounds to 28.13).
fn round2(x: f64) -> f64 {
    let scaled = x * 100.0;
    (scaled + scaled.signum() * 1e-7).round() / 100.0
}

fn f(v: Option<&Value>) -> f64 {
    v.and_then(Value::as_f64).unwrap_or(0.0)
}

fn id_of(v: Option<&Value>) -> Option<i64> {
    match v {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::Array(a)) if a.len() == 2 => a[0].as_i64(),
        _ => None,
    }
}

fn ids_of(v: Option<&Value>) -> Vec<i64> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
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
    /// Odoo's `ir.sequence`s: the last number given per prefix (S, P, WH/OUT, PACK, INV/2026).
    sequences: BTreeMap<String, u64>,
    /// Users' passwords or API keys by uid (`res.users` has no readable password).
    keys: BTreeMap<i64, String>,
    /// Users without the Sales groups (their calls on sale models are refused).
    no_sales: Vec<i64>,
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
            sequences: BTreeMap::new(),
            keys: BTreeMap::new(),
            no_sales: Vec::new(),
        };
        // A fresh database: "Units" is uom.uom 1, the admin is uid 2 (its API key KEY), the
        // main warehouse WH, and the generic chart's 15 % sales tax is every product's default.
        if version >= 19 {
            w.insert(
                "uom.uom",
                json!({ "name": "Units", "relative_factor": 1.0, "factor": 1.0 }),
            );
        } else {
            w.insert(
                "uom.uom",
                json!({ "name": "Units", "uom_type": "reference", "factor": 1.0, "factor_inv": 1.0 }),
            );
            let cat = w.insert("uom.category", json!({ "name": "Unit" }));
            w.update(
                "uom.uom",
                1,
                json!({ "category_id": cat }).as_object().unwrap(),
            );
        }
        w.insert_at(
            "res.users",
            ADMIN_UID,
            json!({ "name": "Administrator", "login": LOGIN }),
        );
        w.keys.insert(ADMIN_UID, KEY.to_owned());
        w.insert("stock.warehouse", json!({ "name": "Main", "code": "WH" }));
        w.insert(
            "account.tax",
            json!({ "name": "15%", "amount": 15.0, "amount_type": "percent", "type_tax_use": "sale" }),
        );
        w
    }

    fn schema(&self, model: &str) -> Option<&Vec<(&'static str, Kind)>> {
        self.schemas.get(model)
    }

    fn kind(&self, model: &str, field: &str) -> Option<Kind> {
        self.schema(model)?
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, k)| *k)
    }

    /// Whether `model` exists in this version.
    pub fn has_model(&self, model: &str) -> bool {
        self.schemas.contains_key(model)
    }

    /// The model a relational field points to (`None` for other fields): what the contract
    /// test uses to tell which model an id in an answer belongs to.
    pub fn field_target(&self, model: &str, field: &str) -> Option<&'static str> {
        match self.kind(model, field)? {
            Kind::Many2one(t) | Kind::One2many(t, _) | Kind::Many2many(t) => Some(t),
            Kind::Scalar => None,
        }
    }

    /// The unit field of sale and purchase lines: `product_uom` (18) / `product_uom_id` (19).
    pub fn line_uom_field(&self) -> &'static str {
        if self.version >= 19 {
            "product_uom_id"
        } else {
            "product_uom"
        }
    }

    /// The taxes field of sale lines: `tax_id` (18) / `tax_ids` (19).
    pub fn sale_tax_field(&self) -> &'static str {
        if self.version >= 19 {
            "tax_ids"
        } else {
            "tax_id"
        }
    }

    fn purchase_tax_field(&self) -> &'static str {
        if self.version >= 19 {
            "tax_ids"
        } else {
            "taxes_id"
        }
    }

    /// The package model: `stock.quant.package` (18) / `stock.package` (19).
    pub fn package_model(&self) -> &'static str {
        if self.version >= 19 {
            "stock.package"
        } else {
            "stock.quant.package"
        }
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

    /// The double's clock without moving it: a cursor "from now on" for polls.
    pub fn current_time(&self) -> String {
        let s = self.clock;
        format!(
            "2026-11-26 {:02}:{:02}:{:02}",
            (s / 3600) % 24,
            (s / 60) % 60,
            s % 60
        )
    }

    fn today(&self) -> String {
        self.current_time()[..10].to_owned()
    }

    fn next_seq(&mut self, prefix: &str) -> u64 {
        let n = self.sequences.entry(prefix.to_owned()).or_insert(0);
        *n += 1;
        *n
    }

    fn insert_at(&mut self, model: &str, id: i64, vals: Value) -> i64 {
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

    /// Stores a record as given (no defaults, no checks): for seeding.
    pub fn insert(&mut self, model: &str, vals: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.insert_at(model, id, vals)
    }

    /// Changes a stored record as given (no side effects): for seeding and for what people do
    /// in Odoo's screens.
    pub fn update(&mut self, model: &str, id: i64, vals: &Record) {
        let now = self.now();
        if let Some(r) = self.records.get_mut(model).and_then(|m| m.get_mut(&id)) {
            for (k, v) in vals {
                r.insert(k.clone(), v.clone());
            }
            r.insert("write_date".into(), json!(now));
        }
    }

    /// Deletes a record (its id is never given again, as in Odoo).
    pub fn remove(&mut self, model: &str, id: i64) -> Option<Record> {
        let r = self.records.get_mut(model)?.remove(&id);
        if model == "ir.model.data" {
            self.xmlids.retain(|_, (_, rid)| *rid != id);
        }
        r
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

    /// The ids of `model`'s records whose many2one `inverse` is `id`, in id order.
    pub fn children(&self, model: &str, inverse: &str, id: i64) -> Vec<i64> {
        self.records
            .get(model)
            .map(|m| {
                m.values()
                    .filter(|r| id_of(r.get(inverse)) == Some(id))
                    .filter_map(|r| r["id"].as_i64())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A unit's size in the reference unit (a Case of 12 is 12): `factor_inv` on 18,
    /// `relative_factor` on 19.
    pub fn uom_ratio(&self, uom: i64) -> f64 {
        let Some(u) = self.get("uom.uom", uom) else {
            return 1.0;
        };
        u.get("factor_inv")
            .or_else(|| u.get("relative_factor"))
            .and_then(Value::as_f64)
            .filter(|r| *r > 0.0)
            .unwrap_or(1.0)
    }

    fn product_uom(&self, product: i64) -> i64 {
        self.get("product.product", product)
            .and_then(|p| id_of(p.get("uom_id")))
            .unwrap_or(1)
    }

    fn default_sale_taxes(&self) -> Vec<i64> {
        self.all("account.tax")
            .iter()
            .filter(|t| t.get("type_tax_use") == Some(&json!("sale")))
            .filter_map(|t| t["id"].as_i64())
            .take(1)
            .collect()
    }

    fn tax_rate(&self, taxes: &[i64]) -> f64 {
        taxes
            .iter()
            .filter_map(|t| self.get("account.tax", *t))
            .map(|t| f(t.get("amount")))
            .sum::<f64>()
            / 100.0
    }

    /// A record's display name as a many2one shows it.
    pub fn display_name(&self, model: &str, id: i64) -> Value {
        let Some(r) = self.get(model, id) else {
            return Value::Bool(false);
        };
        let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
        let name = match model {
            "product.product" => match r.get("default_code").and_then(Value::as_str) {
                Some(code) if !code.is_empty() => format!("[{code}] {}", s(r.get("name"))),
                _ => s(r.get("name")),
            },
            "res.partner" => match (
                id_of(r.get("parent_id")),
                r.get("name").and_then(Value::as_str),
            ) {
                (Some(p), Some(n)) if !n.is_empty() => {
                    let parent = self.display_name("res.partner", p);
                    format!("{}, {n}", parent.as_str().unwrap_or_default())
                }
                _ => s(r.get("name")),
            },
            "sale.order.line" => {
                let order = id_of(r.get("order_id"))
                    .and_then(|o| self.get("sale.order", o))
                    .cloned()
                    .unwrap_or_default();
                let product = id_of(r.get("product_id"))
                    .map(|p| self.display_name("product.product", p))
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| s(r.get("name")));
                let mut name = format!("{} - {product}", s(order.get("name")));
                if let Some(partner) =
                    id_of(order.get("partner_id")).and_then(|p| self.get("res.partner", p))
                    && let Some(r) = partner.get("ref").and_then(Value::as_str)
                    && !r.is_empty()
                {
                    name = format!("{name} ({r})");
                }
                name
            }
            "stock.move" => {
                let picking = id_of(r.get("picking_id"))
                    .and_then(|p| self.get("stock.picking", p))
                    .cloned()
                    .unwrap_or_default();
                let origin = match picking.get("origin").and_then(Value::as_str) {
                    Some(o) if !o.is_empty() => format!("{o}/"),
                    _ => String::new(),
                };
                let code = id_of(r.get("product_id"))
                    .and_then(|p| self.get("product.product", p))
                    .and_then(|p| p.get("default_code").and_then(Value::as_str))
                    .map(|c| format!("{c}: "))
                    .unwrap_or_default();
                let route = if picking.get("picking_type_code") == Some(&json!("incoming")) {
                    "Vendors>Stock"
                } else {
                    "Stock>Customers"
                };
                format!("{origin}{code}{route}")
            }
            _ => return r.get("name").cloned().unwrap_or(Value::Bool(false)),
        };
        json!(name)
    }

    /// A field as Odoo reads it: many2one `[id, display name]` or `false`, x2many ids, empty
    /// `false`, computed amounts.
    fn read_field(&self, model: &str, r: &Record, field: &str) -> Value {
        let id = r["id"].as_i64().unwrap_or(0);
        match (model, field) {
            (_, "display_name") => return self.display_name(model, id),
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

    fn invalid_field(&self, model: &str, field: &str) -> Fault {
        // 18 says "on model 'm'", 19 "on 'm'" (recorded).
        Fault::value_error(if self.version >= 19 {
            format!("Invalid field '{field}' on '{model}'")
        } else {
            format!("Invalid field '{field}' on model '{model}'")
        })
    }

    fn check_fields<'a>(
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
                    Value::Array(a) if a.len() == 2 && a[0].is_i64() && !a[1].is_i64() => {
                        a[0].clone()
                    }
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
        })
    }

    /// Matching ids in the model's default order (sale orders newest first, as recorded;
    /// the rest by id).
    fn search(&self, model: &str, domain: &Value) -> Result<Vec<i64>, Fault> {
        let fields: Vec<&str> = domain
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_array().and_then(|t| t.first()).and_then(Value::as_str))
            .collect();
        self.check_fields(model, fields)?;
        let mut found: Vec<&Record> = self
            .records
            .get(model)
            .map(|m| {
                m.values()
                    .filter(|r| self.matches(model, r, domain))
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
    fn read(&self, model: &str, ids: &[i64], fields: &[String]) -> Result<Vec<Value>, Fault> {
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

    /// Splits x2many command lists out of `vals`: many2many become id lists on the record,
    /// one2many `[0, 0, vals]` commands are returned to be created under the record.
    fn take_commands(
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
    fn create(&mut self, model: &str, vals: &Value, ctx: &Value) -> Result<i64, Fault> {
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

    fn sale_line_defaults(&self, l: &mut Record) {
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
    fn write(&mut self, model: &str, ids: &[i64], vals: &Record) -> Result<(), Fault> {
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

    /// A move's quantity is the sum of its move lines' (Odoo computes it so).
    fn recompute_move(&mut self, mv: Option<i64>) {
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
    fn line_in_product_unit(&self, l: &Record) -> f64 {
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

    fn new_move_line(&mut self, m: &Record, quantity: f64) -> i64 {
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
    fn new_move(&mut self, picking: i64, product: i64, demand: f64, link: (&str, i64)) -> i64 {
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

    fn picking_name(&mut self, prefix: &str) -> String {
        let n = self.next_seq(prefix);
        format!("{prefix}/{n:05}")
    }

    fn warehouse_code(&self, warehouse: Option<i64>) -> String {
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

    fn confirm(&mut self, id: i64) -> Result<Value, Fault> {
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
    fn confirm_purchase(&mut self, id: i64) -> Result<i64, Fault> {
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
    fn backorder_action(&self, id: i64) -> Value {
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
    fn validate(
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
    fn put_in_pack(&mut self, picking: i64) -> Result<i64, Fault> {
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
    fn create_invoices(&mut self, wizard: i64, ctx: &Value) -> Result<Value, Fault> {
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
    fn invoice_order(&mut self, so: i64, delivered: bool) -> Result<Option<i64>, Fault> {
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
    fn post(&mut self, id: i64) -> Result<(), Fault> {
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
    fn invoices_action(&self) -> Value {
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

    /// `sale.order.load`: import rows (several orders: a row with order columns starts the
    /// next one), create or update by external ID (lines too), all or nothing; refusals come
    /// back in `messages` (`ids: false`), never raised.
    fn load_sale_order(&mut self, fields: &[String], rows: &[Vec<String>]) -> Value {
        let uom = self.line_uom_field();
        // (first row, last row, order values, order xmlid, lines)
        type Line = (Option<String>, Record, bool);
        let mut orders: Vec<(usize, usize, Record, Option<String>, Vec<Line>)> = Vec::new();
        let mut messages = Vec::new();
        let name_column = fields.iter().any(|f| f == "order_line/name");
        for (n, row) in rows.iter().enumerate() {
            let starts = fields
                .iter()
                .zip(row)
                .any(|(f, v)| !f.starts_with("order_line/") && !v.is_empty());
            if starts || orders.is_empty() {
                orders.push((n, n, Map::new(), None, Vec::new()));
            }
            let k = orders.len() - 1;
            let (_, last, order, order_xmlid, lines) = &mut orders[k];
            *last = n;
            let mut line: Record = Map::new();
            let mut line_xmlid = None;
            let mut empty_name = false;
            for (f, v) in fields.iter().zip(row) {
                if v.is_empty() {
                    if f == "order_line/name" {
                        empty_name = true;
                    }
                    continue;
                }
                let is_line = f.starts_with("order_line/");
                let rest = f.strip_prefix("order_line/").unwrap_or(f);
                if rest == "id" {
                    if is_line {
                        line_xmlid = Some(v.clone());
                    } else {
                        *order_xmlid = Some(v.clone());
                    }
                    continue;
                }
                let (name, by_id) = match rest.strip_suffix("/.id") {
                    Some(name) => (name, true),
                    None => (rest, false),
                };
                let value = if by_id {
                    match v.parse::<i64>() {
                        Ok(id) => json!(id),
                        Err(_) => {
                            messages.push((
                                k,
                                format!("Invalid database id '{v}' for the field '{name}'"),
                            ));
                            continue;
                        }
                    }
                } else if matches!(name, "product_uom_qty" | "price_unit") {
                    match v.parse::<f64>() {
                        Ok(x) => json!(x),
                        Err(_) => {
                            messages.push((
                                k,
                                format!("'{v}' does not seem to be a number for field '{name}'"),
                            ));
                            continue;
                        }
                    }
                } else {
                    json!(v)
                };
                if is_line {
                    line.insert(name.to_owned(), value);
                } else {
                    order.insert(name.to_owned(), value);
                }
            }
            let has_line = row
                .iter()
                .zip(fields)
                .any(|(v, f)| f.starts_with("order_line/") && !v.is_empty());
            if has_line {
                lines.push((line_xmlid, line, empty_name && name_column));
            }
        }
        for (k, (_, _, order, _, lines)) in orders.iter().enumerate() {
            let mut names: Vec<&str> = order.keys().map(String::as_str).collect();
            names.retain(|n| *n != "id");
            if let Err(e) = self.check_fields("sale.order", names) {
                messages.push((k, e.message));
            }
            let partner = id_of(order.get("partner_id"));
            if partner.is_none_or(|p| self.get("res.partner", p).is_none()) {
                messages.push((
                    k,
                    "Missing required value for the field 'Customer' (partner_id)".into(),
                ));
            }
            for (_, l, empty_name) in lines {
                if let Err(e) = self.check_fields("sale.order.line", l.keys().map(String::as_str)) {
                    messages.push((k, e.message));
                }
                if *empty_name {
                    // An empty description cell refuses the whole order (recorded: 18 names
                    // the line's field, 19 the order's).
                    messages.push((k, if self.version >= 19 {
                        "Missing required value for the field 'Order Reference' (name).\nModel: Unknown\n- create/update: a mandatory field is not set\n- delete: another model requires the record being deleted, you can archive it instead\n".into()
                    } else {
                        "Missing required value for the field 'name' on a linked model [sale_order_line]".into()
                    }));
                }
                let product = id_of(l.get("product_id"));
                if product.is_none_or(|p| self.get("product.product", p).is_none()) {
                    messages.push((
                        k,
                        "No matching record found for database id in field 'Product'".into(),
                    ));
                }
            }
        }
        if !messages.is_empty() {
            messages.dedup();
            let messages: Vec<Value> = messages
                .into_iter()
                .map(|(k, m)| {
                    let (from, to) = (orders[k].0, orders[k].1);
                    json!({ "rows": { "from": from, "to": to }, "record": k, "type": "error", "message": m })
                })
                .collect();
            return json!({ "ids": false, "messages": messages, "nextrow": 0 });
        }
        let mut ids = Vec::new();
        for (_, _, mut order, order_xmlid, lines) in orders {
            let existing = order_xmlid
                .as_deref()
                .and_then(|x| self.xmlid(x))
                .map(|(_, id)| id)
                .filter(|id| self.get("sale.order", *id).is_some());
            let order_id = match existing {
                Some(id) => {
                    self.update("sale.order", id, &order);
                    id
                }
                None => {
                    let n = self.next_seq("S");
                    order.insert("name".into(), json!(format!("S{n:05}")));
                    order.insert("state".into(), json!("draft"));
                    let id = self.insert("sale.order", Value::Object(order));
                    id
                }
            };
            for (xmlid, mut l, _) in lines {
                l.insert("order_id".into(), json!(order_id));
                match xmlid
                    .as_deref()
                    .and_then(|x| self.xmlid(x))
                    .filter(|(_, id)| self.get("sale.order.line", *id).is_some())
                {
                    Some((_, id)) => self.update("sale.order.line", id, &l),
                    None => {
                        self.sale_line_defaults(&mut l);
                        l.entry(uom).or_insert(json!(1));
                        let id = self.insert("sale.order.line", Value::Object(l));
                        if let Some(x) = &xmlid {
                            self.set_xmlid(x, "sale.order.line", id);
                        }
                    }
                }
            }
            // Odoo writes the order's external id after its lines'.
            if existing.is_none()
                && let Some(x) = &order_xmlid
            {
                self.set_xmlid(x, "sale.order", order_id);
            }
            ids.push(order_id);
        }
        json!({ "ids": ids, "messages": [], "nextrow": 0 })
    }

    /// What Odoo answers a user without the Sales groups reading sale orders (recorded).
    fn sales_access_error(&self) -> Fault {
        let groups = if self.version >= 19 {
            "\t- Accounting/Invoicing\n\t- Inventory/User\n\t- Sales/Administrator\n\t- Sales/User: Own Documents Only\n\t- Role / Portal\n\t- Show Accounting Features - Readonly\n\t- Show Full Accounting Features"
        } else {
            "\t- Inventory/User\n\t- Invoicing/Invoicing\n\t- Sales/Administrator\n\t- Sales/User: Own Documents Only\n\t- Technical/Show Accounting Features - Readonly\n\t- Technical/Show Full Accounting Features\n\t- User types/Portal"
        };
        Fault::new(
            "odoo.exceptions.AccessError",
            format!(
                "You are not allowed to access 'Sales Order' (sale.order) records.\n\nThis operation is allowed for the following groups:\n{groups}\n\nContact your administrator to request access if necessary."
            ),
            403,
        )
    }

    /// The model-level methods (no record ids in front of their arguments over JSON-RPC).
    fn is_model_method(method: &str) -> bool {
        matches!(
            method,
            "search_read"
                | "search"
                | "search_count"
                | "create"
                | "load"
                | "name_search"
                | "fields_get"
                | "default_get"
        )
    }

    /// One object call with named arguments (JSON-2's form; JSON-RPC's positional `args`
    /// are folded in first). `Ok(None)`: the method returned nothing.
    fn dispatch(
        &mut self,
        model: &str,
        method: &str,
        ids: Vec<i64>,
        kw: &Record,
        transport: Transport,
        uid: i64,
    ) -> Result<Option<Value>, Fault> {
        self.calls.push(format!("{model}.{method}"));
        if method.starts_with('_') {
            return Err(Fault::new(
                "odoo.exceptions.AccessError",
                format!("Private methods (such as '{model}.{method}') cannot be called remotely."),
                403,
            ));
        }
        if !self.has_model(model) {
            return Err(match transport {
                Transport::Json2 => Fault::new(
                    "werkzeug.exceptions.NotFound",
                    format!("the model '{model}' does not exist"),
                    404,
                ),
                Transport::JsonRpc => Fault::user_error(format!("Object {model} doesn't exist")),
            });
        }
        if self.no_sales.contains(&uid) && model == "sale.order" {
            return Err(self.sales_access_error());
        }
        let ctx = kw.get("context").cloned().unwrap_or(json!({}));
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let done = |v: Value| Ok(Some(v));
        match method {
            "search_read" => {
                let mut found = self.search(model, kw.get("domain").unwrap_or(&json!([])))?;
                let offset = kw.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
                found = found.into_iter().skip(offset).collect();
                if let Some(limit) = kw.get("limit").and_then(Value::as_u64).filter(|l| *l > 0) {
                    found.truncate(limit as usize);
                }
                done(json!(self.read(
                    model,
                    &found,
                    &strings(kw.get("fields"))
                )?))
            }
            "search" => done(json!(
                self.search(model, kw.get("domain").unwrap_or(&json!([])))?
            )),
            "search_count" => done(json!(
                self.search(model, kw.get("domain").unwrap_or(&json!([])))?
                    .len()
            )),
            "read" => done(json!(self.read(model, &ids, &strings(kw.get("fields")))?)),
            "create" => {
                // JSON-RPC's positional shapes come as `vals_list` (a list) or `vals` (one
                // record); JSON-2 names `vals_list`.
                let (list, single) = match (kw.get("vals_list"), kw.get("vals")) {
                    (Some(Value::Array(a)), _) => (a.clone(), false),
                    (Some(v @ Value::Object(_)), _) | (None, Some(v @ Value::Object(_))) => {
                        (vec![v.clone()], true)
                    }
                    _ => (Vec::new(), false),
                };
                for v in &list {
                    self.check_fields(
                        model,
                        v.as_object().into_iter().flatten().map(|(k, _)| k.as_str()),
                    )?;
                }
                let mut created = Vec::new();
                for v in &list {
                    created.push(self.create(model, v, &ctx)?);
                }
                done(if single {
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
                self.write(model, &ids, &vals)?;
                done(json!(true))
            }
            "unlink" => {
                for id in &ids {
                    if self.get(model, *id).is_none() {
                        return Err(Fault::missing(model, *id));
                    }
                }
                for id in &ids {
                    self.remove(model, *id);
                }
                done(json!(true))
            }
            "load" if model == "sale.order" => {
                let rows: Vec<Vec<String>> = kw
                    .get("data")
                    .and_then(Value::as_array)
                    .map(|rows| rows.iter().map(|r| strings(Some(r))).collect())
                    .unwrap_or_default();
                done(self.load_sale_order(&strings(kw.get("fields")), &rows))
            }
            "action_confirm" if model == "sale.order" => {
                for id in &ids {
                    self.confirm(*id)?;
                }
                done(json!(true))
            }
            "action_cancel" if model == "sale.order" => {
                if ctx.get("disable_cancel_warning") != Some(&json!(true)) {
                    return done(
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
                done(json!(true))
            }
            "button_confirm" if model == "purchase.order" => {
                for id in &ids {
                    self.confirm_purchase(*id)?;
                }
                done(json!(true))
            }
            "button_validate" if model == "stock.picking" => {
                for id in &ids {
                    if self.get(model, *id).is_none() {
                        return Err(Fault::missing(model, *id));
                    }
                }
                // A short transfer without the context: the wizard, nothing validated.
                if ctx.get("skip_backorder") != Some(&json!(true)) {
                    for id in &ids {
                        let p = self.get(model, *id).cloned().unwrap_or_default();
                        if p["state"] == "done" {
                            continue;
                        }
                        let short =
                            self.children("stock.move", "picking_id", *id)
                                .iter()
                                .any(|m| {
                                    self.get("stock.move", *m).is_some_and(|r| {
                                        f(r.get("product_uom_qty")) - f(r.get("quantity")) > 1e-9
                                    })
                                });
                        if short {
                            return done(self.backorder_action(*id));
                        }
                    }
                }
                for id in &ids {
                    self.validate(*id, &ctx, None)?;
                }
                done(json!(true))
            }
            "action_put_in_pack" if model == "stock.picking" => {
                let pkg = self.put_in_pack(ids.first().copied().unwrap_or(0))?;
                // A recordset: its repr over JSON-RPC (18 recorded), its ids over JSON-2 (19).
                done(match transport {
                    Transport::JsonRpc => json!(format!("{}({pkg},)", self.package_model())),
                    Transport::Json2 => json!([pkg]),
                })
            }
            "process" | "process_cancel_backorder" if model == "stock.backorder.confirmation" => {
                for id in &ids {
                    let w = self
                        .get(model, *id)
                        .cloned()
                        .ok_or_else(|| Fault::missing(model, *id))?;
                    for p in ids_of(w.get("pick_ids")) {
                        self.validate(p, &ctx, Some(method == "process"))?;
                    }
                }
                done(json!(true))
            }
            "create_invoices" if model == "sale.advance.payment.inv" => {
                done(self.create_invoices(ids.first().copied().unwrap_or(0), &ctx)?)
            }
            "action_post" if model == "account.move" => {
                for id in &ids {
                    self.post(*id)?;
                }
                // Recorded: action_post answers false.
                done(json!(false))
            }
            _ => Err(Fault::new(
                "builtins.AttributeError",
                format!("The method '{method}' does not exist on the model '{model}'"),
                404,
            )),
        }
    }
}

/// Positional JSON-RPC arguments as the named ones each method takes. `create` takes its
/// values only positionally: Odoo's `create(vals_list)` reads `args[0]`, so a call with
/// `args = []` and keyword `vals_list` fails with IndexError (recorded on 18 and 19).
fn named(
    version: u32,
    method: &str,
    args: &[Value],
    mut kw: Record,
) -> Result<(Vec<i64>, Record), Fault> {
    if method == "create" {
        let Some(first) = args.first() else {
            return Err(Fault::new(
                "builtins.IndexError",
                if version >= 19 {
                    "list index out of range"
                } else {
                    "tuple index out of range"
                }
                .into(),
                500,
            ));
        };
        kw.remove("vals_list");
        kw.remove("vals");
        match first {
            Value::Object(_) => kw.insert("vals".into(), first.clone()),
            _ => kw.insert("vals_list".into(), first.clone()),
        };
        return Ok((Vec::new(), kw));
    }
    let (ids, rest) = if World::is_model_method(method) {
        (Vec::new(), args)
    } else {
        let ids = match args.first() {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_i64).collect(),
            Some(v) => v.as_i64().into_iter().collect(),
            None => Vec::new(),
        };
        (ids, args.get(1..).unwrap_or_default())
    };
    let names: &[&str] = match method {
        "search_read" => &["domain", "fields", "offset", "limit", "order"],
        "search" | "search_count" => &["domain"],
        "read" => &["fields"],
        "write" => &["vals"],
        "load" => &["fields", "data"],
        _ => &[],
    };
    for (n, v) in names.iter().zip(rest) {
        kw.entry(*n).or_insert_with(|| v.clone());
    }
    Ok((ids, kw))
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

/// Odoo's traceback stands in the `debug` member (the recordings omit it).
const DEBUG: &str = "Traceback (most recent call last):\n  (the double has no traceback)\n";

fn rpc_error(version: u32, id: &Value, f: &Fault) -> Response {
    axum::Json(json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": if version >= 19 { 0 } else { 200 },
            "message": "Odoo Server Error",
            "data": { "name": f.name, "message": f.message, "arguments": f.arguments(), "debug": DEBUG, "context": {} },
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
    let mut hold = None;
    let answer = jsonrpc_inner(&world, &body, &mut hold);
    if let Some(d) = hold {
        tokio::time::sleep(d).await;
    }
    answer
}

/// The recorded `common.version` of each version.
fn version_info(version: u32) -> Value {
    let (full, serie) = match version {
        19 => ("19.0+e-20251227".to_owned(), "19.0".to_owned()),
        18 => ("18.0-20250702".to_owned(), "18.0".to_owned()),
        v => (format!("{v}.0"), format!("{v}.0")),
    };
    json!({
        "server_version": full,
        "server_version_info": [version, 0, 0, "final", 0, ""],
        "server_serie": serie,
        "protocol_version": 1,
    })
}

fn jsonrpc_inner(world: &Arc<Mutex<World>>, body: &[u8], hold: &mut Option<Duration>) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let id = req["id"].clone();
    let params = &req["params"];
    let args = params["args"].as_array().cloned().unwrap_or_default();
    let mut w = world.lock().unwrap();
    let version = w.version;
    let result = match (params["service"].as_str(), params["method"].as_str()) {
        (Some("common"), Some("version")) => Some(version_info(version)),
        (Some("common"), Some("authenticate")) => {
            // A wrong key is not an error here: the answer is false (recorded on 19).
            let uid = (args.first() == Some(&json!(DB)))
                .then(|| {
                    w.all("res.users").into_iter().find(|u| {
                        Some(&u["login"]) == args.get(1)
                            && u["id"]
                                .as_i64()
                                .and_then(|i| w.keys.get(&i))
                                .map(|k| json!(k))
                                .as_ref()
                                == args.get(2)
                    })
                })
                .flatten()
                .and_then(|u| u["id"].as_i64());
            Some(uid.map_or(json!(false), |u| json!(u)))
        }
        (Some("object"), Some("execute_kw")) => {
            let uid = args.get(1).and_then(Value::as_i64).unwrap_or(0);
            let key_ok = args.first() == Some(&json!(DB))
                && w.keys
                    .get(&uid)
                    .is_some_and(|k| args.get(2) == Some(&json!(k)));
            if !key_ok {
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
            w.jsonrpc_calls += 1;
            let outcome = match named(version, &method, &positional, kw) {
                Ok((ids, kw)) => w.dispatch(&model, &method, ids, &kw, Transport::JsonRpc, uid),
                Err(f) => {
                    w.calls.push(format!("{model}.{method}"));
                    Err(f)
                }
            };
            match outcome {
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
                &Fault::new("builtins.KeyError", "unknown service or method".into(), 404),
            );
        }
    };
    // A method that returns nothing: JSON-RPC leaves the `result` member out.
    match result {
        Some(r) => axum::Json(json!({ "jsonrpc": "2.0", "id": id, "result": r })).into_response(),
        None => axum::Json(json!({ "jsonrpc": "2.0", "id": id })).into_response(),
    }
}

/// Percent-encodes a URL query value as werkzeug does.
fn url_quote(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
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
        (status, axum::Json(json!({ "name": f.name, "message": f.message, "arguments": f.arguments(), "context": {}, "debug": DEBUG }))).into_response()
    };
    if w.version < 19 {
        // 18 has no JSON-2: the web client's login redirect (werkzeug's page, recorded).
        let target = format!(
            "/web/login?redirect={}",
            url_quote(&format!("/json/2/{model}/{method}?"))
        );
        let page = format!(
            "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: <a href=\"{target}\">{target}</a>. If not, click the link.\n"
        );
        return (
            StatusCode::SEE_OTHER,
            [
                ("location", target.as_str()),
                ("content-type", "text/html; charset=utf-8"),
            ],
            page,
        )
            .into_response();
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !bearer.eq_ignore_ascii_case(&format!("bearer {KEY}")) {
        return err(Fault::new(
            "werkzeug.exceptions.Unauthorized",
            "Invalid apikey".into(),
            401,
        ));
    }
    if headers.get("x-odoo-database").and_then(|v| v.to_str().ok()) != Some(DB) {
        return err(Fault::new(
            "werkzeug.exceptions.NotFound",
            "database not found".into(),
            404,
        ));
    }
    let kw = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    let ids = ids_of(kw.get("ids"));
    w.json2_calls += 1;
    match w.dispatch(&model, &method, ids, &kw, Transport::Json2, ADMIN_UID) {
        Ok(v) => {
            if let Some(r) = after(&mut w, &format!("{model}.{method}")) {
                return r;
            }
            axum::Json(v.unwrap_or(Value::Null)).into_response()
        }
        Err(f) => err(f),
    }
}
