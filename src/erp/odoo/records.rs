//! Carries out the record plans of `plan.rs` (`odoo_records`) in Odoo: resolves each
//! lookup to an id, then creates or updates the sale order exactly once.
//!
//! Exactly once: the order's external ID (`wharf.order_<partner>__<PO>`, escaped so that no
//! two PO numbers share it; the legacy `wharf_<partner>_<PO>` is found too) is looked up in
//! `ir.model.data` first; absent, the order is created with `sale.order.load`, which writes
//! the order, its lines (each with its own external ID) and the external IDs in one Odoo
//! transaction. A crash or a fault after Odoo committed therefore finds the order on the
//! retry instead of creating a second one, and a concurrent second load of the same ID
//! updates in place or fails on `ir.model.data`'s unique key (then retried and found).

use serde_json::{Map, Value, json};

use super::cache;
use super::client::OdooClient;
use super::error::OdooError;
use super::plan::{OdooVersion, legacy_external_id, odoo_records, receipt_records};
use crate::pipeline::ports::MappedOrder;

/// What happened to an order in Odoo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderOutcome {
    /// `warnings`: price differences the profile lets through (`price_mismatch = "warn"`).
    Created {
        id: i64,
        name: String,
        warnings: Vec<String>,
    },
    /// The external ID already existed: nothing was created (a resend, or a retry after a
    /// fault that followed Odoo's commit).
    AlreadyThere {
        id: i64,
        name: String,
    },
    Updated {
        id: i64,
        name: String,
        warnings: Vec<String>,
    },
    Cancelled {
        id: i64,
        name: String,
    },
}

impl OrderOutcome {
    pub fn id(&self) -> i64 {
        match self {
            Self::Created { id, .. }
            | Self::AlreadyThere { id, .. }
            | Self::Updated { id, .. }
            | Self::Cancelled { id, .. } => *id,
        }
    }
}

/// Replaces every `{"ref": name}` in `v` with the id resolved for `name`.
pub(super) fn resolve(v: &Value, ids: &Map<String, Value>) -> Value {
    match v {
        Value::Object(o) if o.len() == 1 && o.contains_key("ref") => o["ref"]
            .as_str()
            .and_then(|r| ids.get(r).cloned())
            .unwrap_or(Value::Bool(false)),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), resolve(v, ids)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| resolve(v, ids)).collect()),
        other => other.clone(),
    }
}

/// The record bound to an external ID, if any.
async fn bound(client: &OdooClient, full_id: &str, model: &str) -> Result<Option<i64>, OdooError> {
    let (module, name) = full_id.split_once('.').unwrap_or(("wharf", full_id));
    let rows = client
        .search_read(
            "ir.model.data",
            json!([
                ["module", "=", module],
                ["name", "=", name],
                ["model", "=", model]
            ]),
            &["res_id"],
        )
        .await?;
    Ok(rows.first().and_then(|r| r["res_id"].as_i64()))
}

/// The lookups of a plan (`{"lookups": [...]}`), run.
async fn run_plan_lookups(
    client: &OdooClient,
    plan: &Value,
) -> Result<Map<String, Value>, OdooError> {
    let lookups = plan["lookups"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    run_lookups(client, lookups).await
}

/// Runs a plan's lookups in order; each must find a record. A lookup with an
/// `external_id` takes the record bound to it, or binds the one its domain finds.
pub async fn run_lookups(
    client: &OdooClient,
    lookups: &[Value],
) -> Result<Map<String, Value>, OdooError> {
    let mut all = run_lookups_of(client, &[lookups]).await?;
    all.pop().unwrap_or_else(|| Ok(Map::new()))
}

/// Compares each cached model's rows with Odoo's `write_date`s when they are due (one
/// `search_read` per model, archived records included), dropping what changed.
async fn validate_cache(client: &OdooClient, models: &[&str]) -> Result<(), OdooError> {
    for model in models {
        let Some(ids) = client.cache().due(model) else {
            continue;
        };
        let rows = client
            .search_read(
                model,
                // Naming `active` lets archived records answer too (Odoo's active_test).
                json!([["id", "in", ids], ["active", "in", [true, false]]]),
                &["id", "write_date", "active"],
            )
            .await?;
        let dropped = client.cache().checked(model, &ids, &rows);
        if dropped > 0 {
            tracing::debug!(model, dropped, "Odoo records changed since cached");
        }
    }
    Ok(())
}

/// The lookups of several plans at once (the orders of one batch): cached records first
/// (validated against Odoo's `write_date`), then the rest of each model and field in one
/// `in` query across every plan, then each plan's dependent lookups in order. The outer
/// error is a call that failed (every plan fails with it); an inner one a plan whose record
/// Odoo does not have.
pub(super) async fn run_lookups_of(
    client: &OdooClient,
    plans: &[&[Value]],
) -> Result<Vec<Result<Map<String, Value>, OdooError>>, OdooError> {
    let mut models: Vec<&str> = Vec::new();
    for l in plans.iter().flat_map(|p| p.iter()) {
        if cache::key(l).is_some()
            && let Some(m) = l["model"].as_str()
            && !models.contains(&m)
        {
            models.push(m);
        }
    }
    validate_cache(client, &models).await?;
    let mut ids: Vec<Map<String, Value>> = vec![Map::new(); plans.len()];
    let mut failed: Vec<Option<OdooError>> = vec![None; plans.len()];
    // One query per model, the first term's field and the other terms (the ship-to's
    // `type`), answering every plan's lookup of that shape.
    struct Group<'a> {
        model: &'a str,
        field: &'a str,
        rest: Vec<&'a Value>,
        items: Vec<(usize, &'a str, &'a Value, Option<cache::Key>)>,
    }
    let mut groups: Vec<Group<'_>> = Vec::new();
    for (p, lookups) in plans.iter().enumerate() {
        for l in lookups.iter() {
            let (Some(name), Some(model)) = (l["as"].as_str(), l["model"].as_str()) else {
                continue;
            };
            let key = cache::key(l);
            if let Some(k) = &key
                && let Some(row) = client.cache().get(k)
            {
                remember(&mut ids[p], name, &row);
                continue;
            }
            let terms: Vec<&Value> = l["domain"].as_array().into_iter().flatten().collect();
            let Some([field, op, value]) =
                terms.first().and_then(|t| t.as_array()).map(Vec::as_slice)
            else {
                continue;
            };
            let plain = |v: &Value| v.is_string() || v.is_i64();
            let rest_plain = terms[1..].iter().all(|t| {
                t.as_array()
                    .is_some_and(|t| t.len() == 3 && plain(&t[2]) && t[1] != "in")
            });
            if l.get("external_id").is_some() || op != "=" || !plain(value) || !rest_plain {
                continue;
            }
            let Some(field) = field.as_str() else {
                continue;
            };
            let rest = terms[1..].to_vec();
            match groups
                .iter_mut()
                .find(|g| g.model == model && g.field == field && g.rest == rest)
            {
                Some(g) => g.items.push((p, name, value, key)),
                None => groups.push(Group {
                    model,
                    field,
                    rest,
                    items: vec![(p, name, value, key)],
                }),
            }
        }
    }
    for g in &groups {
        let mut values: Vec<&Value> = g.items.iter().map(|(_, _, v, _)| *v).collect();
        values.sort_by_key(|v| v.to_string());
        values.dedup();
        let mut domain = vec![json!([g.field, "in", values])];
        domain.extend(g.rest.iter().map(|t| (*t).clone()));
        let rows = client
            .search_read(
                g.model,
                Value::Array(domain),
                &fields_for(g.model, Some(g.field)),
            )
            .await?;
        for (p, name, value, key) in &g.items {
            // The lowest id when several match, as a single search would give.
            if let Some(row) = rows
                .iter()
                .filter(|r| &r[g.field] == *value)
                .filter(|r| r["id"].is_i64())
                .min_by_key(|r| r["id"].as_i64())
            {
                remember(&mut ids[*p], name, row);
                if let Some(k) = key {
                    client.cache().put(k.clone(), row.clone());
                }
            }
        }
    }
    for (p, lookups) in plans.iter().enumerate() {
        for l in lookups.iter() {
            if failed[p].is_some() {
                break;
            }
            let name = l["as"].as_str().unwrap_or_default();
            let model = l["model"].as_str().unwrap_or_default();
            if ids[p].contains_key(name) {
                continue;
            }
            let external = l["external_id"].as_str();
            if let Some(x) = external
                && let Some(id) = bound(client, x, model).await?
            {
                ids[p].insert(name.to_owned(), json!(id));
                continue;
            }
            let domain = resolve(&l["domain"], &ids[p]);
            let rows = client
                .search_read(model, domain.clone(), &fields_for(model, None))
                .await?;
            let Some(id) = rows.first().and_then(|r| r["id"].as_i64()) else {
                failed[p] = Some(OdooError::operator(
                    &format!("{model}.search_read"),
                    "not found",
                    format!(
                        "no {model} matches {domain} (needed as {name}); create it in Odoo or fix the partner's profile, then replay"
                    ),
                ));
                break;
            };
            if let Some(x) = external {
                let (module, xname) = x.split_once('.').unwrap_or(("wharf", x));
                client
                    .create(
                        "ir.model.data",
                        vec![json!({ "module": module, "name": xname, "model": model, "res_id": id })],
                    )
                    .await?;
            }
            if let Some(row) = rows.first() {
                remember(&mut ids[p], name, row);
            }
        }
    }
    Ok(ids
        .into_iter()
        .zip(failed)
        .map(|(ids, failed)| match failed {
            Some(e) => Err(e),
            None => Ok(ids),
        })
        .collect())
}

/// The fields a lookup reads: the id, the field it matched on (for a batch), its
/// `write_date` (the cache's check), and a product's display name (`[CODE] Name`, which
/// names an order line that came without a description) and list price (the price check).
fn fields_for<'a>(model: &str, matched: Option<&'a str>) -> Vec<&'a str> {
    let mut f = vec!["id"];
    f.extend(matched);
    if cache::MODELS.contains(&model) {
        f.push("write_date");
    }
    if model == "product.product" {
        f.push("display_name");
        f.push("list_price");
    }
    f
}

/// Keeps a lookup's id under its name, its display name (when read) under
/// `<name>.display_name` for `{"ref": "<name>.display_name"}`, and a product's list price
/// under `<name>.list_price` for the price check.
fn remember(ids: &mut Map<String, Value>, name: &str, row: &Value) {
    if let Some(id) = row["id"].as_i64() {
        ids.insert(name.to_owned(), json!(id));
    }
    if let Some(d) = row.get("display_name").and_then(Value::as_str) {
        ids.insert(format!("{name}.display_name"), json!(d));
    }
    if let Some(p) = row.get("list_price").filter(|p| p.is_number()) {
        ids.insert(format!("{name}.list_price"), p.clone());
    }
}

/// What a supplier's ship notice did in Odoo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptOutcome {
    /// Quantities written (and the receipts validated when the profile says).
    Applied { pickings: Vec<i64>, validated: bool },
    /// The receipts were validated before (a resend or a retry after Odoo committed).
    AlreadyDone { pickings: Vec<i64> },
    /// A cancelling notice: nothing to do in Odoo.
    Cancelled,
}

/// Carries out a supplier's ship notice on the receipts of its purchase orders. Every step
/// repeats safely (see `receipt_records`).
pub async fn put_receipt(
    client: &OdooClient,
    receipt: &crate::pipeline::ports::MappedReceipt,
) -> Result<ReceiptOutcome, OdooError> {
    if receipt.cancelled {
        return Ok(ReceiptOutcome::Cancelled);
    }
    let session = client.session().await?;
    let version = OdooVersion::of_major(session.major);
    let plan = receipt_records(receipt, version);
    let mut ids = run_plan_lookups(client, &plan).await?;
    let pickings: Vec<i64> = (1..=receipt.orders.len())
        .filter_map(|o| ids.get(&format!("receipt_{o}")).and_then(Value::as_i64))
        .collect();
    let states = client
        .search_read("stock.picking", json!([["id", "in", pickings]]), &["state"])
        .await?;
    if !states.is_empty() && states.iter().all(|r| r["state"] == "done") {
        return Ok(ReceiptOutcome::AlreadyDone { pickings });
    }
    for r in plan["records"].as_array().into_iter().flatten() {
        let model = r["model"].as_str().unwrap_or_default();
        let values = resolve(&r["values"], &ids);
        match r["action"].as_str() {
            Some("ensure") => {
                // The first of the `find` domains that matches a record names the one to
                // write; none matching, the record is created.
                let mut found = None;
                for find in r["find"].as_array().into_iter().flatten() {
                    let rows = client
                        .search_read(model, resolve(find, &ids), &["id"])
                        .await?;
                    found = rows.first().and_then(|f| f["id"].as_i64());
                    if found.is_some() {
                        break;
                    }
                }
                let id = match found {
                    Some(id) => {
                        let mut p = Map::new();
                        p.insert("vals".into(), values);
                        client.call(model, "write", Some(&[id]), p).await?;
                        id
                    }
                    None => client.create(model, vec![values]).await?[0],
                };
                if let Some(name) = r["as"].as_str() {
                    ids.insert(name.to_owned(), json!(id));
                }
            }
            Some("write") => {
                let target = resolve(&r["target"], &ids).as_i64().unwrap_or(0);
                let mut p = Map::new();
                p.insert("vals".into(), values);
                client.call(model, "write", Some(&[target]), p).await?;
            }
            other => {
                return Err(OdooError::operator(
                    "receipt plan",
                    "unknown action",
                    format!("{other:?}"),
                ));
            }
        }
    }
    let mut validated = false;
    for t in plan["then"].as_array().into_iter().flatten() {
        let targets: Vec<i64> = resolve(&t["ids"], &ids)
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        let mut p = Map::new();
        p.insert("context".into(), resolve(&t["context"], &ids));
        client
            .call(
                t["model"].as_str().unwrap_or_default(),
                t["method"].as_str().unwrap_or_default(),
                Some(&targets),
                p,
            )
            .await?;
        validated = true;
    }
    Ok(ReceiptOutcome::Applied {
        pickings,
        validated,
    })
}

/// The order's `load` table: one row per line, the order's own columns on the first row.
/// Many2one values become `field/.id` columns; every line gets the external ID
/// `<order external id>_line_<n>` so a repeated load updates lines in place.
pub(super) fn load_table(
    external_id: &str,
    values: &Map<String, Value>,
) -> (Vec<String>, Vec<Vec<String>>) {
    fn cell(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Null | Value::Bool(false) => String::new(),
            other => other.to_string(),
        }
    }
    fn column(prefix: &str, k: &str, v: &Value) -> String {
        if v.is_i64() && (k.ends_with("_id") || k == "product_uom") {
            format!("{prefix}{k}/.id")
        } else {
            format!("{prefix}{k}")
        }
    }
    let lines: Vec<&Map<String, Value>> = values
        .get("order_line")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.get(2).and_then(Value::as_object))
                .collect()
        })
        .unwrap_or_default();
    let mut fields = vec!["id".to_owned()];
    let mut head = vec![external_id.to_owned()];
    for (k, v) in values.iter().filter(|(k, _)| *k != "order_line") {
        fields.push(column("", k, v));
        head.push(cell(v));
    }
    let order_cols = fields.len();
    let mut line_keys: Vec<&String> = Vec::new();
    for l in &lines {
        for k in l.keys() {
            if !line_keys.contains(&k) {
                line_keys.push(k);
            }
        }
    }
    fields.push("order_line/id".into());
    for k in &line_keys {
        let sample = lines.iter().find_map(|l| l.get(*k)).unwrap_or(&Value::Null);
        fields.push(column("order_line/", k, sample));
    }
    let mut rows = Vec::new();
    for (n, l) in lines.iter().enumerate() {
        let mut row = if n == 0 {
            head.clone()
        } else {
            vec![String::new(); order_cols]
        };
        row.push(format!("{external_id}_line_{}", n + 1));
        for k in &line_keys {
            row.push(l.get(*k).map(cell).unwrap_or_default());
        }
        rows.push(row);
    }
    if rows.is_empty() {
        rows.push(head);
        fields.truncate(order_cols);
    }
    (fields, rows)
}

/// Compares the partner's prices with Odoo's (the products' list prices, read with the
/// lookups) before the order is made: beyond the tolerance, the profile's `price_mismatch`
/// verdict holds the order (operator error, nothing created), warns, or lets it pass.
pub(super) fn price_check(
    order: &MappedOrder,
    ids: &Map<String, Value>,
) -> Result<Vec<String>, OdooError> {
    use crate::partners::Verdict;
    if order.price_mismatch == Verdict::Accept {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for (n, line) in order.lines.iter().enumerate() {
        let Some(partner) = line.price else {
            continue;
        };
        let Some(odoo) = ids
            .get(&format!("product_{}.list_price", n + 1))
            .and_then(Value::as_f64)
            .and_then(|f| rust_decimal::Decimal::try_from(f).ok())
        else {
            continue;
        };
        if (partner - odoo).abs() > order.price_tolerance {
            found.push(format!(
                "PO {} line {}: the partner's price {partner} differs from Odoo's {} by more than {} [price_mismatch]",
                order.client_order_ref,
                line.line_ref.as_deref().unwrap_or("?"),
                odoo.normalize(),
                order.price_tolerance
            ));
        }
    }
    if order.price_mismatch == Verdict::Reject && !found.is_empty() {
        return Err(OdooError::operator("sale.order", "held", found.join("; ")));
    }
    Ok(found)
}

/// Odoo's refusal of a `load` (`ids: false`, its reasons in `messages`) as an error: a
/// database conflict is retried, anything else goes to the operator with Odoo's words.
pub(super) fn load_refused(po: &str, result: &Value) -> OdooError {
    let messages: Vec<String> = result["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|m| m["message"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    // `load` reports a database conflict in `messages` rather than raising it: two loads of
    // one order at once (a resend delivered beside the original) make one of them fail to
    // serialize. That one is retried, and then finds the order by its external ID (seen on
    // a real Odoo 18).
    let text = format!("PO {po}: {}", messages.join("; "));
    let lowered = text.to_ascii_lowercase();
    if lowered.contains("could not serialize access")
        || lowered.contains("concurrent update")
        || lowered.contains("deadlock detected")
    {
        return OdooError::transient("sale.order.load", "concurrent update", text);
    }
    OdooError::operator("sale.order.load", "rejected", text)
}

/// Puts one mapped order into Odoo, exactly once.
pub async fn put_order(
    client: &OdooClient,
    order: &MappedOrder,
) -> Result<OrderOutcome, OdooError> {
    use crate::model::OrderPurpose;
    let session = client.session().await?;
    let version = OdooVersion::of_major(session.major);
    let plan = odoo_records(order, version);
    let record = &plan["record"];
    let mut full_id = record["external_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (module, name) = full_id
        .split_once('.')
        .map(|(m, n)| (m.to_owned(), n.to_owned()))
        .unwrap_or_else(|| ("wharf".to_owned(), full_id.clone()));
    // Orders made before names were injective carry the legacy name: looked up too.
    let legacy = legacy_external_id(&order.partner, &order.client_order_ref);
    let bindings = client
        .search_read(
            "ir.model.data",
            json!([
                ["module", "=", module],
                ["name", "in", [&name, &legacy]],
                ["model", "=", "sale.order"]
            ]),
            &["name", "res_id"],
        )
        .await?;
    let current = bindings.iter().find(|r| r["name"] == name.as_str());
    let old = bindings.iter().find(|r| r["name"] == legacy.as_str());
    let existing = match (current, old) {
        (Some(r), _) => r["res_id"].as_i64().map(|id| (id, false)),
        (None, Some(r)) => r["res_id"].as_i64().map(|id| (id, true)),
        (None, None) => None,
    };
    let existing = match existing {
        Some((id, is_legacy)) => {
            let rows = client
                .search_read(
                    "sale.order",
                    json!([["id", "=", id]]),
                    &["name", "state", "client_order_ref"],
                )
                .await?;
            rows.first()
                // A legacy name was shared by PO numbers that differ only in punctuation:
                // it is this order's only when the order says this PO.
                .filter(|r| !is_legacy || r["client_order_ref"] == order.client_order_ref.as_str())
                .map(|r| {
                    if is_legacy {
                        full_id = format!("{module}.{legacy}");
                    }
                    (
                        id,
                        r["name"].as_str().unwrap_or_default().to_owned(),
                        r["state"].as_str().unwrap_or_default().to_owned(),
                    )
                })
        }
        None => None,
    };
    let call = "sale.order";
    match (&order.purpose, existing) {
        (OrderPurpose::Cancellation, None) => Err(OdooError::operator(
            call,
            "not found",
            format!(
                "cancellation of PO {} which Odoo never received",
                order.client_order_ref
            ),
        )),
        (OrderPurpose::Cancellation, Some((id, name, state))) => {
            if state == "cancel" {
                return Ok(OrderOutcome::Cancelled { id, name });
            }
            if state == "done" {
                return Err(OdooError::operator(
                    call,
                    "held",
                    format!(
                        "PO {} is {name}, locked (done) in Odoo: cancel it by hand",
                        order.client_order_ref
                    ),
                ));
            }
            let mut p = Map::new();
            p.insert("context".into(), json!({ "disable_cancel_warning": true }));
            client
                .call("sale.order", "action_cancel", Some(&[id]), p)
                .await?;
            Ok(OrderOutcome::Cancelled { id, name })
        }
        (OrderPurpose::Original, Some((id, name, state))) => {
            // Created before (a resend, or a retry after Odoo committed): confirm if the
            // profile asks and that step did not happen yet.
            if order.confirm && matches!(state.as_str(), "draft" | "sent") {
                client
                    .call("sale.order", "action_confirm", Some(&[id]), Map::new())
                    .await?;
            }
            Ok(OrderOutcome::AlreadyThere { id, name })
        }
        (purpose, existing) => {
            if let Some((_, name, state)) = &existing
                && !matches!(state.as_str(), "draft" | "sent")
            {
                return Err(OdooError::operator(
                    call,
                    "held",
                    format!(
                        "{purpose:?} of PO {} but {name} is '{state}' in Odoo, which forbids changing its lines: apply it by hand",
                        order.client_order_ref
                    ),
                ));
            }
            let ids = run_plan_lookups(client, &plan).await?;
            let warnings = price_check(order, &ids)?;
            let values = resolve(&record["values"], &ids);
            let values = values.as_object().cloned().unwrap_or_default();
            let (fields, rows) = load_table(&full_id, &values);
            let mut p = Map::new();
            p.insert("fields".into(), json!(fields));
            p.insert("data".into(), json!(rows));
            let result = client.call("sale.order", "load", None, p).await?;
            let id = result["ids"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(Value::as_i64);
            let Some(id) = id else {
                client.cache().clear();
                return Err(load_refused(&order.client_order_ref, &result));
            };
            if order.confirm && existing.is_none() {
                client
                    .call("sale.order", "action_confirm", Some(&[id]), Map::new())
                    .await?;
            }
            let rows = client
                .search_read("sale.order", json!([["id", "=", id]]), &["name"])
                .await?;
            let name = rows
                .first()
                .and_then(|r| r["name"].as_str())
                .unwrap_or_default()
                .to_owned();
            Ok(match existing {
                None => OrderOutcome::Created { id, name, warnings },
                Some(_) => OrderOutcome::Updated { id, name, warnings },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_table_puts_the_order_on_the_first_row_and_ids_on_every_line() {
        let values = json!({
            "partner_id": 7,
            "client_order_ref": "PO-1",
            "commitment_date": "2026-12-03 12:00:00",
            "order_line": [
                [0, 0, { "product_id": 11, "product_uom_qty": 10.0, "product_uom": 1, "price_unit": 12.5, "name": "Blue" }],
                [0, 0, { "product_id": 12, "product_uom_qty": 2.0, "product_uom": 2, "name": "Red" }],
            ],
        });
        let (fields, rows) = load_table("wharf.wharf_acme_PO_1", values.as_object().unwrap());
        let col = |f: &str| {
            fields
                .iter()
                .position(|x| x == f)
                .unwrap_or_else(|| panic!("{f} in {fields:?}"))
        };
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][col("id")], "wharf.wharf_acme_PO_1");
        assert_eq!(rows[0][col("partner_id/.id")], "7");
        assert_eq!(rows[0][col("client_order_ref")], "PO-1");
        assert_eq!(
            rows[1][col("client_order_ref")],
            "",
            "order columns only on the first row"
        );
        assert_eq!(
            rows[0][col("order_line/id")],
            "wharf.wharf_acme_PO_1_line_1"
        );
        assert_eq!(
            rows[1][col("order_line/id")],
            "wharf.wharf_acme_PO_1_line_2"
        );
        assert_eq!(rows[1][col("order_line/product_id/.id")], "12");
        assert_eq!(rows[0][col("order_line/product_uom/.id")], "1");
        assert_eq!(rows[0][col("order_line/price_unit")], "12.5");
        assert_eq!(
            rows[1][col("order_line/price_unit")],
            "",
            "no price: Odoo's pricelist"
        );
    }
}
