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
//! Failure modes on demand: down (503), slow, a fault after a committed write, and a right
//! the user lacks (`OdooDouble::deny`).
//!
//! Not in the transcripts, checked against a real Odoo 18.0-20250506 instead (19 from its
//! source): `has_access(operation)` on no records (`args = [[]]`, keyword `operation`),
//! which answers for the model as a whole (its `ir.model.access` rights; record rules need
//! records) with a plain `true`/`false`, and an unknown operation with AssertionError
//! "Invalid access mode"; a denied operation's AccessError in Odoo's words, naming the groups
//! that grant it (`access.rs`; only a denied read of `sale.order` by a user without Sales
//! groups is in the transcripts, 62).
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

pub mod access;
mod dispatch;
mod double;
mod flows;
mod orm;
mod rpc;
mod schema;

pub use double::OdooDouble;
use rpc::*;
use schema::*;

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
    /// The uid that made each of `calls` (which gateway of several, when each has its own
    /// Odoo user).
    pub callers: Vec<i64>,
    /// How many object calls came over JSON-2 and over JSON-RPC.
    pub json2_calls: usize,
    pub jsonrpc_calls: usize,
    /// Every `traceparent` header a request carried, in order.
    pub traceparents: Vec<String>,
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
    /// `(model, operation)` no user may do (a test knob: the integration user lacks a
    /// group): `has_access` answers false and the calls that need it raise AccessError.
    denied: std::collections::BTreeSet<(String, String)>,
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
            callers: Vec::new(),
            json2_calls: 0,
            jsonrpc_calls: 0,
            traceparents: Vec::new(),
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
            denied: Default::default(),
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
}
