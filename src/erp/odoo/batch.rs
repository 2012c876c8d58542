//! New orders carried out together (`put_orders`): the orders that wait side by side in the
//! sink (see `sink.rs`) cost one `ir.model.data` query, their lookups (mostly cached), one
//! `load`, one `action_confirm` when confirmed and one read of their names — per batch, not
//! per order. Exactly once as `records.rs`: the external IDs decide, and `load` writes every
//! order of the batch in one Odoo transaction.

use serde_json::{Map, Value, json};

use super::client::OdooClient;
use super::error::OdooError;
use super::plan::{OdooVersion, legacy_external_id, odoo_records};
use super::records::{OrderOutcome, load_table, price_check, put_order, resolve, run_lookups_of};
use crate::pipeline::ports::MappedOrder;

/// An order of a batch ready to load: its index, its `load` rows, its price warnings.
type Member = (usize, Vec<Vec<String>>, Vec<String>);

/// Puts new orders (purpose `Original`) into Odoo exactly once, together: one
/// `ir.model.data` query finds which exist already (those go the single way, `put_order`),
/// the lookups of the rest are resolved at once (cached or one query per model and field),
/// then one `load` creates them all with their lines and external IDs in one transaction
/// (rows of several orders: one id each, in row order; all or nothing, so a refusal loads
/// them one by one to tell whose it is), one `action_confirm` confirms those whose profile
/// says so, and one `search_read` reads their names. Odoo has no way to confirm inside
/// `load` (setting `state` would skip what confirming does: pickings), so confirming is
/// its own call, once per batch.
pub async fn put_orders(
    client: &OdooClient,
    orders: &[&MappedOrder],
) -> Vec<Result<OrderOutcome, OdooError>> {
    use crate::model::OrderPurpose;
    let mut out: Vec<Option<Result<OrderOutcome, OdooError>>> = vec![None; orders.len()];
    let all_fail = |e: OdooError| -> Vec<Result<OrderOutcome, OdooError>> {
        orders.iter().map(|_| Err(e.clone())).collect()
    };
    let session = match client.session().await {
        Ok(s) => s,
        Err(e) => return all_fail(e),
    };
    let version = OdooVersion::of_major(session.major);
    let plans: Vec<Value> = orders.iter().map(|o| odoo_records(o, version)).collect();
    let full_ids: Vec<String> = plans
        .iter()
        .map(|p| {
            p["record"]["external_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    // The order's name without its module, and its legacy name (module `wharf` for both).
    let mut names: Vec<String> = Vec::new();
    let mut single: Vec<usize> = Vec::new();
    let mut batch: Vec<usize> = Vec::new();
    for (i, o) in orders.iter().enumerate() {
        let name = full_ids[i].strip_prefix("wharf.");
        let twice = full_ids[..i].contains(&full_ids[i]);
        match name {
            Some(name) if o.purpose == OrderPurpose::Original && !twice => {
                names.push(name.to_owned());
                names.push(legacy_external_id(&o.partner, &o.client_order_ref));
                batch.push(i);
            }
            _ => single.push(i),
        }
    }
    if !batch.is_empty() {
        match client
            .search_read(
                "ir.model.data",
                json!([
                    ["module", "=", "wharf"],
                    ["name", "in", names],
                    ["model", "=", "sale.order"]
                ]),
                &["name"],
            )
            .await
        {
            Ok(bound) => {
                // Known to Odoo already (a resend, or a retry after Odoo committed): the
                // single way tells which and confirms it if that step is missing.
                let taken: Vec<&str> = bound.iter().filter_map(|r| r["name"].as_str()).collect();
                batch.retain(|&i| {
                    let o = orders[i];
                    let mine = full_ids[i].strip_prefix("wharf.").unwrap_or_default();
                    let legacy = legacy_external_id(&o.partner, &o.client_order_ref);
                    let known = taken.contains(&mine) || taken.contains(&legacy.as_str());
                    if known {
                        single.push(i);
                    }
                    !known
                });
            }
            Err(e) => return all_fail(e),
        }
    }
    // The new orders' lookups, all at once.
    let lookups: Vec<&[Value]> = batch
        .iter()
        .map(|&i| {
            plans[i]["lookups"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
        })
        .collect();
    let resolved = match run_lookups_of(client, &lookups).await {
        Ok(r) => r,
        Err(e) => {
            for &i in &batch {
                out[i] = Some(Err(e.clone()));
            }
            Vec::new()
        }
    };
    // (order, its rows, its price warnings) by the columns they fill: one load per shape.
    let mut shapes: Vec<(Vec<String>, Vec<Member>)> = Vec::new();
    for (&i, ids) in batch.iter().zip(resolved) {
        let ids = match ids {
            Ok(ids) => ids,
            Err(e) => {
                out[i] = Some(Err(e));
                continue;
            }
        };
        let warnings = match price_check(orders[i], &ids) {
            Ok(w) => w,
            Err(e) => {
                out[i] = Some(Err(e));
                continue;
            }
        };
        let values = resolve(&plans[i]["record"]["values"], &ids);
        let values = values.as_object().cloned().unwrap_or_default();
        let (fields, rows) = load_table(&full_ids[i], &values);
        match shapes.iter_mut().find(|(f, _)| *f == fields) {
            Some((_, members)) => members.push((i, rows, warnings)),
            None => shapes.push((fields, vec![(i, rows, warnings)])),
        }
    }
    let mut created: Vec<(usize, i64, Vec<String>)> = Vec::new();
    for (fields, members) in shapes {
        let data: Vec<&Vec<String>> = members.iter().flat_map(|(_, rows, _)| rows).collect();
        let mut p = Map::new();
        p.insert("fields".into(), json!(fields));
        p.insert("data".into(), json!(data));
        let result = match client.call("sale.order", "load", None, p).await {
            Ok(r) => r,
            Err(e) => {
                for (i, _, _) in &members {
                    out[*i] = Some(Err(e.clone()));
                }
                continue;
            }
        };
        let ids: Vec<i64> = result["ids"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        if ids.len() == members.len() {
            for ((i, _, warnings), id) in members.into_iter().zip(ids) {
                created.push((i, id, warnings));
            }
            continue;
        }
        // All or nothing: nothing was written. A cached record may have been archived or
        // deleted since (Odoo refuses a `/.id` it cannot find): forgotten, and each order
        // goes again the single way, with fresh lookups, to meet its own answer.
        client.cache().clear();
        for (i, _, _) in members {
            out[i] = Some(put_order(client, orders[i]).await);
        }
    }
    let confirm: Vec<i64> = created
        .iter()
        .filter(|(i, _, _)| orders[*i].confirm)
        .map(|(_, id, _)| *id)
        .collect();
    let mut confirmed = Ok(());
    if !confirm.is_empty()
        && let Err(e) = client
            .call("sale.order", "action_confirm", Some(&confirm), Map::new())
            .await
    {
        // Created but not confirmed: the retry finds each order and confirms it then.
        confirmed = Err(e);
    }
    let new_ids: Vec<i64> = created.iter().map(|(_, id, _)| *id).collect();
    let named = if new_ids.is_empty() {
        Ok(Vec::new())
    } else {
        client
            .search_read("sale.order", json!([["id", "in", new_ids]]), &["name"])
            .await
    };
    for (i, id, warnings) in created {
        out[i] = Some(match (&confirmed, &named) {
            (Err(e), _) if orders[i].confirm => Err(e.clone()),
            (_, Err(e)) => Err(e.clone()),
            (_, Ok(rows)) => {
                let name = rows
                    .iter()
                    .find(|r| r["id"].as_i64() == Some(id))
                    .and_then(|r| r["name"].as_str())
                    .unwrap_or_default()
                    .to_owned();
                Ok(OrderOutcome::Created { id, name, warnings })
            }
        });
    }
    // Known already, not new, or the same order twice in one batch: one at a time, after.
    for i in single {
        out[i] = Some(put_order(client, orders[i]).await);
    }
    out.into_iter()
        .map(|o| {
            o.unwrap_or_else(|| {
                Err(OdooError::transient(
                    "sale.order.load",
                    "not attempted",
                    "the batch ended before this order",
                ))
            })
        })
        .collect()
}
