//! `wharf odoo check`: whether an Odoo is ready for Wharf, found out read-only — reached and
//! its version and protocol, the configured login and key accepted, the integration user's
//! rights on every model the connector reads or writes (Odoo's own `has_access`, asked per
//! model and operation), and the records each partner profile relies on (customer and ship-to
//! `ref`s, products' `default_code`s, unit names, warehouse codes), each missing one with
//! its fix. Never writes: it may run against production at any time.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value, json};

use super::client::OdooClient;
use super::error::{Class, OdooError};
use crate::model::DocKind;
use crate::partners::{Flow, Profile};

/// How one step came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Something Odoo lacks (a right, a record, a model): a person can add it.
    Missing,
    /// The step could not be carried out (Odoo away, an answer Wharf cannot read).
    Fail,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Missing => "MISSING",
            Self::Fail => "FAIL",
        }
    }
}

/// One line of the report: `ok|MISSING|FAIL  what — fix: …`.
#[derive(Debug, Clone)]
pub struct Finding {
    pub status: Status,
    pub what: String,
    pub fix: Option<String>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<7}  {}", self.status.word(), self.what)?;
        match &self.fix {
            Some(fix) => write!(f, " — fix: {fix}"),
            None => Ok(()),
        }
    }
}

/// Every step's finding, in the order they ran.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn all_ok(&self) -> bool {
        self.findings.iter().all(|f| f.status == Status::Ok)
    }

    fn ok(&mut self, what: String) {
        self.push(Status::Ok, what, None);
    }

    fn missing(&mut self, what: String, fix: String) {
        self.push(Status::Missing, what, Some(fix));
    }

    fn fail(&mut self, what: String, fix: String) {
        self.push(Status::Fail, what, Some(fix));
    }

    fn push(&mut self, status: Status, what: String, fix: Option<String>) {
        self.findings.push(Finding { status, what, fix });
    }
}

/// An operation Odoo's access rights grant per model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    Read,
    Create,
    Write,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Create => "create",
            Self::Write => "write",
        }
    }
}

/// What the loaded profiles make Wharf do in Odoo: rights are only asked for the features
/// in use, so the least-rights user of a gateway that never receives ship notices needs no
/// Purchase or Inventory rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Need {
    Always,
    /// Partners' orders into `sale.order`.
    Orders,
    /// Suppliers' ship notices into purchase receipts.
    Receipts,
    /// Order acknowledgements and ship notices from confirmed orders and done deliveries.
    Replies,
    /// Invoices from posted customer invoices.
    Invoices,
}

use Need::*;
use Operation::*;

/// Every model the connector touches (`records.rs`, `events.rs`), the operations it uses on
/// it and for which feature. `sale.order.load` creates and writes orders and lines (its
/// external IDs are written by Odoo itself, unchecked); a receipt binds its picking to an
/// external ID with a plain `ir.model.data.create`.
const RIGHTS: &[(&str, Operation, &[Need])] = &[
    ("res.partner", Read, &[Always]),
    ("product.product", Read, &[Always]),
    ("uom.uom", Read, &[Always]),
    ("ir.model.data", Read, &[Always]),
    ("ir.model.data", Create, &[Receipts]),
    ("sale.order", Read, &[Orders, Replies, Invoices]),
    ("sale.order", Create, &[Orders]),
    ("sale.order", Write, &[Orders]),
    ("sale.order.line", Read, &[Orders, Replies, Invoices]),
    ("sale.order.line", Create, &[Orders]),
    ("sale.order.line", Write, &[Orders]),
    ("stock.warehouse", Read, &[Orders]),
    ("purchase.order", Read, &[Receipts]),
    ("stock.picking", Read, &[Receipts, Replies]),
    ("stock.picking", Write, &[Receipts]),
    ("stock.move", Read, &[Receipts, Replies]),
    ("stock.move.line", Read, &[Receipts, Replies]),
    ("stock.move.line", Create, &[Receipts]),
    ("stock.move.line", Write, &[Receipts]),
    ("stock.quant.package", Read, &[Receipts]),
    ("stock.quant.package", Create, &[Receipts]),
    ("account.move", Read, &[Invoices]),
    ("account.move.line", Read, &[Invoices]),
    ("account.tax", Read, &[Invoices]),
];

/// The features the profiles use. A profile without `[[documents]]` accepts every document
/// Wharf reads, so it may need them all.
fn needs(profiles: &[&Profile]) -> BTreeSet<Need> {
    let mut n = BTreeSet::from([Always]);
    for p in profiles {
        if p.agreements.is_empty() {
            n.extend([Orders, Receipts, Replies, Invoices]);
        }
        for a in &p.agreements.0 {
            n.insert(match (DocKind::from_name(a.standard, a.doc_type), a.flow) {
                (Some(DocKind::Order), Flow::In) => Orders,
                (Some(DocKind::ShipNotice), Flow::In) => Receipts,
                (Some(DocKind::OrderAck | DocKind::ShipNotice), Flow::Out) => Replies,
                (Some(DocKind::Invoice), Flow::Out) => Invoices,
                _ => continue,
            });
        }
    }
    n
}

/// The model's name on this major version: 19 renamed the package model.
fn versioned(model: &'static str, major: u32) -> &'static str {
    match model {
        "stock.quant.package" => super::plan::OdooVersion::of_major(major).package_model(),
        m => m,
    }
}

/// The group that grants `op` on `model` with the least else, as Odoo names it in its
/// access errors (`Category/Group`, recorded in transcripts 62 for 18 and 19). Every operation
/// on `ir.model.data` (reading the orders' external IDs too) is granted to Access Rights
/// alone: an internal user has an access line on it with no right at all (seen on a real
/// 18.0: "You are not allowed to access 'Model Data' … Administration/Access Rights").
fn group(model: &str, major: u32) -> &'static str {
    let v19 = major >= 19;
    match model {
        "sale.order" | "sale.order.line" => "Sales/User: All Documents",
        "purchase.order" => "Purchase/User",
        "account.move" | "account.move.line" | "account.tax" if v19 => "Accounting/Invoicing",
        "account.move" | "account.move.line" | "account.tax" => "Invoicing/Invoicing",
        "ir.model.data" if v19 => "Access Rights",
        "ir.model.data" => "Administration/Access Rights",
        m if m.starts_with("stock.") && m != "stock.warehouse" => "Inventory/User",
        _ if v19 => "Role / User",
        _ => "User types/Internal User",
    }
}

/// The app that brings a model, for a model this Odoo does not have.
fn app(model: &str) -> &'static str {
    match model.split('.').next().unwrap_or_default() {
        "sale" => "Sales",
        "purchase" => "Purchase",
        "stock" => "Inventory",
        "account" => "Invoicing",
        _ => "Sales and Inventory",
    }
}

/// Whether an error says the model is not there: 18's `UserError` "Object m doesn't exist",
/// 19's 404 `NotFound` (transcripts 60).
fn no_such_model(e: &OdooError) -> bool {
    e.message.contains("doesn't exist") || e.message.contains("does not exist")
}

/// Runs every check against `client`'s Odoo for `profiles` (all loaded ones, or the one
/// asked for). Only `common.version`, `common.authenticate`, `has_access` and `search_read`
/// are called.
pub async fn check(client: &OdooClient, profiles: &[&Profile]) -> Report {
    let mut r = Report::default();
    let s = client.settings();
    let (url, db, login) = (&s.url, &s.database, &s.login);
    let version = match client.server_version().await {
        Ok(v) => v,
        Err(e) => {
            let fix = match e.class {
                Class::Unavailable | Class::Transient => "check [erp] url (WHARF_ERP__URL) \
                    and that Odoo runs and is reachable from this host (a firewall, a proxy, \
                    https vs http); then run this again"
                    .to_owned(),
                Class::Operator => format!(
                    "{url} answers, but not as Odoo's /jsonrpc: [erp] url must be Odoo's base \
                     URL (the address of its login page without /web/login)"
                ),
            };
            r.fail(
                format!(
                    "reach {url}: Odoo does not answer ({}: {})",
                    e.name, e.message
                ),
                fix,
            );
            return r;
        }
    };
    let server = version["server_version"].as_str().unwrap_or("(no version)");
    let major = super::client::major_of(&version).unwrap_or(0);
    let protocol = if major >= 19 {
        "JSON-2 (/json/2/<model>/<method>, bearer API key)"
    } else {
        "JSON-RPC (/jsonrpc, execute_kw with the API key)"
    };
    if major < 17 {
        r.missing(
            format!("reach {url}: Odoo {server} answers; Wharf speaks to 17, 18 and 19"),
            "upgrade Odoo to 17 or later".into(),
        );
        return r;
    }
    r.ok(format!("reach {url}: Odoo {server}, protocol {protocol}"));
    match client.authenticate().await {
        Ok(Some(uid)) => r.ok(format!("authenticate {login} on database {db}: uid {uid}")),
        Ok(None) => {
            r.fail(
                format!("authenticate {login} on database {db}: refused"),
                format!(
                    "check [erp] database and login, and that the key ([erp] api_key_env or \
                     api_key_file) is an API key of {login} that has not expired (made in \
                     Preferences › Account Security › New API Key)"
                ),
            );
            return r;
        }
        Err(e) => {
            r.fail(
                format!("authenticate {login} on database {db}: {e}"),
                "check [erp] database: it must name an existing database of this Odoo".into(),
            );
            return r;
        }
    }
    rights(client, &needs(profiles), major, login, &mut r).await;
    records(client, profiles, &mut r).await;
    r
}

/// One `has_access` per model and operation in use, on no records: Odoo then answers for
/// the model as a whole (its access rights; record rules need records). Grouped per model.
async fn rights(
    client: &OdooClient,
    needs: &BTreeSet<Need>,
    major: u32,
    login: &str,
    r: &mut Report,
) {
    let mut per_model: BTreeMap<&str, Vec<Operation>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for (model, op, for_) in RIGHTS {
        if for_.iter().any(|n| needs.contains(n)) {
            let m = versioned(model, major);
            if !order.contains(&m) {
                order.push(m);
            }
            per_model.entry(m).or_default().push(*op);
        }
    }
    for model in order {
        let ops = per_model.remove(model).unwrap_or_default();
        let mut granted = Vec::new();
        for op in ops {
            let mut p = Map::new();
            p.insert("operation".into(), json!(op.as_str()));
            match client.call(model, "has_access", Some(&[]), p).await {
                Ok(Value::Bool(true)) => granted.push(op.as_str()),
                Ok(Value::Bool(false)) => r.missing(
                    format!("{} on {model}: not allowed for {login}", op.as_str()),
                    format!(
                        "give {login} the group {} (Settings › Users & Companies › Users › \
                         {login})",
                        group(model, major)
                    ),
                ),
                Ok(other) => r.fail(
                    format!("{} on {model}: unexpected answer {other}", op.as_str()),
                    "run again; report it if it stays".into(),
                ),
                Err(e) if no_such_model(&e) => {
                    r.missing(
                        format!("model {model}: this Odoo does not have it"),
                        format!("install the {} app (Apps)", app(model)),
                    );
                    break;
                }
                Err(e) => r.fail(
                    format!("{} on {model}: {e}", op.as_str()),
                    "run again once Odoo answers; report it if it stays".into(),
                ),
            }
        }
        if !granted.is_empty() {
            r.ok(format!("rights on {model}: {}", granted.join(", ")));
        }
    }
}

/// What one profile relies on, by kind of record.
struct Wants<'a> {
    profile: &'a Profile,
    /// The file to change, as the operator knows it.
    file: String,
}

/// One `search_read` per model with an `in` domain over every profile's values, then a
/// finding per profile.
async fn records(client: &OdooClient, profiles: &[&Profile], r: &mut Report) {
    let wants: Vec<Wants<'_>> = profiles
        .iter()
        .map(|p| Wants {
            profile: p,
            file: p.source.display().to_string(),
        })
        .collect();
    let mut refs = BTreeSet::new();
    let mut codes = BTreeSet::new();
    let mut units = BTreeSet::new();
    let mut warehouses = BTreeSet::new();
    for w in &wants {
        let m = &w.profile.mapping;
        refs.insert(m.customer_ref.clone());
        refs.extend(ship_to_refs(w.profile));
        codes.extend(m.items.values().cloned());
        units.extend(m.uom.values().cloned());
        units.extend(m.default_uom.clone());
        warehouses.extend(m.warehouse.clone());
    }
    let partners = lookup(
        client,
        "res.partner",
        "ref",
        &refs,
        &["ref", "type", "name"],
    )
    .await;
    let products = lookup(
        client,
        "product.product",
        "default_code",
        &codes,
        &["default_code"],
    )
    .await;
    let archived = archived_products(client, &codes, &products).await;
    let uoms = lookup(client, "uom.uom", "name", &units, &["name"]).await;
    let whs = lookup(client, "stock.warehouse", "code", &warehouses, &["code"]).await;
    for w in &wants {
        let id = w.profile.id.as_str();
        let m = &w.profile.mapping;
        let file = &w.file;
        match &partners {
            Err(e) => r.fail(
                format!("{id}: customer and ship-to refs: {e}"),
                rights_fix(),
            ),
            Ok(rows) => {
                let c = &m.customer_ref;
                let role = role(w.profile);
                match rows.get(c.as_str()).and_then(|v| v.first()) {
                    Some(row) => r.ok(format!(
                        "{id}: {role} ref {c} is res.partner {} ({})",
                        row["id"],
                        row["name"].as_str().unwrap_or_default()
                    )),
                    None => r.missing(
                        format!("{id}: no contact with ref {c} (the {role})"),
                        format!(
                            "in Contacts, open the {role} and set Reference ({c}) on its \
                             Sales & Purchase tab, or change customer_ref in {file} [mapping]"
                        ),
                    ),
                }
                for s in ship_to_refs(w.profile) {
                    let found = rows.get(s.as_str()).map(Vec::as_slice).unwrap_or_default();
                    if found.iter().any(|row| row["type"] == "delivery") {
                        r.ok(format!("{id}: ship-to ref {s} is a delivery address"));
                    } else if let Some(row) = found.first() {
                        r.missing(
                            format!(
                                "{id}: ship-to ref {s} is res.partner {} but not a delivery \
                                 address",
                                row["id"]
                            ),
                            "in Contacts, set its Address Type to Delivery Address".into(),
                        );
                    } else {
                        r.missing(
                            format!("{id}: no delivery address with ref {s}"),
                            format!(
                                "in Contacts, add a Delivery Address under the customer with \
                                 Reference {s}, or change [mapping.ship_to] in {file}"
                            ),
                        );
                    }
                }
            }
        }
        let parts: BTreeMap<&str, Vec<&str>> =
            m.items
                .iter()
                .fold(BTreeMap::new(), |mut acc, (buyer, code)| {
                    acc.entry(code.as_str()).or_default().push(buyer.as_str());
                    acc
                });
        per_value(
            r,
            &products,
            id,
            parts.keys().copied(),
            "product with default_code",
            |code| {
                let buyer = parts.get(code).map(|b| b.join(", ")).unwrap_or_default();
                match archived.get(code) {
                    Some(pid) => format!(
                        "it is archived (product.product {pid}): unarchive it in Inventory › \
                         Products › Products (Filters › Archived, open it, Action › \
                         Unarchive), or map buyer part {buyer} to another code in {file} \
                         [mapping.items]"
                    ),
                    None => format!(
                        "create it in Inventory › Products › Products with Internal Reference \
                         {code}, or map buyer part {buyer} to an existing code in {file} \
                         [mapping.items]"
                    ),
                }
            },
        );
        let unit_names: BTreeSet<&str> = m
            .uom
            .values()
            .map(String::as_str)
            .chain(m.default_uom.as_deref())
            .collect();
        per_value(r, &uoms, id, unit_names.into_iter(), "unit named", |u| {
            format!(
                "create the unit {u} in Inventory › Configuration › Units of Measure (enable \
                 Units of Measure in Inventory's settings first), or change [mapping] uom in \
                 {file}"
            )
        });
        per_value(
            r,
            &whs,
            id,
            m.warehouse.as_deref().into_iter(),
            "warehouse with code",
            |c| {
                format!(
                    "give a warehouse the Short Name {c} in Inventory › Configuration › \
                     Warehouses, or change [mapping] warehouse in {file}"
                )
            },
        );
    }
}

/// What `customer_ref` names for this partner: the customer whose orders come in, the
/// vendor whose ship notices fill purchase receipts, or both.
fn role(p: &Profile) -> &'static str {
    let n = needs(&[p]);
    let buys = [Orders, Replies, Invoices].iter().any(|x| n.contains(x));
    match (buys, n.contains(&Receipts)) {
        (true, true) => "customer and vendor",
        (false, true) => "vendor",
        _ => "customer",
    }
}

/// The fix when a lookup itself was refused.
fn rights_fix() -> String {
    "see the rights above; run again once Odoo answers".into()
}

/// Every ship-to ref a profile names outright (its codes' and its default); refs built
/// from the template for other codes are known only when an order names one.
fn ship_to_refs(p: &Profile) -> BTreeSet<String> {
    let s = &p.mapping.ship_to;
    s.codes.values().cloned().chain(s.default.clone()).collect()
}

/// Found rows by the value of the field they were looked up by.
type Found = Result<BTreeMap<String, Vec<Value>>, OdooError>;

/// One `search_read` of `model` where `field` is any of `values` (none when empty).
async fn lookup(
    client: &OdooClient,
    model: &str,
    field: &str,
    values: &BTreeSet<String>,
    fields: &[&str],
) -> Found {
    let mut found: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    if values.is_empty() {
        return Ok(found);
    }
    let rows = client
        .search_read(model, json!([[field, "in", values]]), fields)
        .await?;
    for row in rows {
        if let Some(v) = row[field].as_str() {
            found.entry(v.to_owned()).or_default().push(row);
        }
    }
    Ok(found)
}

/// The archived products among the codes the first lookup did not find, by code: Odoo's
/// `search_read` leaves archived records out, so a product someone archived looks absent,
/// and creating it anew (the fix for an absent one) would make a second product with that
/// code. A domain that names `active` turns that filter off. One more call, only when a code
/// is missing; none found (or the lookup refused) leaves the plain fix.
async fn archived_products(
    client: &OdooClient,
    codes: &BTreeSet<String>,
    found: &Found,
) -> BTreeMap<String, Value> {
    let Ok(rows) = found else {
        return BTreeMap::new();
    };
    let missing: Vec<&String> = codes.iter().filter(|c| !rows.contains_key(*c)).collect();
    if missing.is_empty() {
        return BTreeMap::new();
    }
    let archived = client
        .search_read(
            "product.product",
            json!([["default_code", "in", missing], ["active", "=", false]]),
            &["default_code"],
        )
        .await
        .unwrap_or_default();
    archived
        .into_iter()
        .filter_map(|row| Some((row["default_code"].as_str()?.to_owned(), row["id"].clone())))
        .collect()
}

/// One line for the values found (if any) and one per value missing, with its fix.
fn per_value<'v>(
    r: &mut Report,
    found: &Found,
    id: &str,
    values: impl Iterator<Item = &'v str>,
    what: &str,
    fix: impl Fn(&str) -> String,
) {
    let values: Vec<&str> = values.collect();
    if values.is_empty() {
        return;
    }
    let rows = match found {
        Ok(rows) => rows,
        Err(e) => {
            r.fail(
                format!("{id}: {what} {}: {e}", values.join(", ")),
                rights_fix(),
            );
            return;
        }
    };
    let (have, lack): (Vec<&str>, Vec<&str>) =
        values.into_iter().partition(|v| rows.contains_key(*v));
    if !have.is_empty() {
        r.ok(format!("{id}: {what} {}", have.join(", ")));
    }
    for v in lack {
        r.missing(format!("{id}: no {what} {v}"), fix(v));
    }
}
