//! Odoo events that become documents for partners: sale orders Wharf created that became
//! confirmed (→ 855/ORDRSP/…) and their deliveries that became done (→ 856/DESADV/…).
//!
//! Found by polling with a stored cursor (`write_date`, kept in `erp_cursors`), run every
//! `erp.poll_ms` and at once when Odoo's webhook calls. Each document is submitted under a
//! key of the Odoo record (`confirm:<sale order id>`, `ship:<picking id>`): the poller
//! and the webhook may find the same event any number of times, it is sent once.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::client::OdooClient;
use super::error::OdooError;
use super::outbound::{
    InvoiceTotals, InvoicedLine, OdooLine, Shipment, ShippedLine, invoice, order_ack, ship_notice,
};
use crate::model::{Document, Order};
use crate::pipeline::ports::{Mapped, MappedOrder};
use crate::pipeline::{Pipeline, Submitted};
use crate::store::messages::{self, Payload};
use crate::store::registry::{self, ErpLink};

const EPOCH: &str = "1970-01-01 00:00:00";

/// What one poll did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PollReport {
    pub acks: usize,
    pub notices: usize,
    pub invoices: usize,
}

/// Why a poll stopped.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Odoo(#[from] OdooError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

fn decimal(v: &Value) -> Decimal {
    v.as_f64()
        .and_then(|f| Decimal::try_from(f).ok())
        .map(|d| d.normalize())
        .unwrap_or_default()
}

/// The first id of an x2many value.
fn first_id(v: &Value) -> Option<i64> {
    v.as_array().and_then(|a| a.first()).and_then(Value::as_i64)
}

fn id_of(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.get(0).and_then(Value::as_i64))
}

/// The partner's order and its mapped form, from the message that carried it.
async fn originals(p: &Pipeline, link: &ErpLink) -> Option<(Order, MappedOrder)> {
    let canonical = messages::payload(&p.store, link.message_id, Payload::Canonical)
        .await
        .ok()??;
    let mapped = messages::payload(&p.store, link.message_id, Payload::Mapped)
        .await
        .ok()??;
    let docs: Vec<Document> = serde_json::from_str(&canonical).ok()?;
    let mapped: Vec<Mapped> = serde_json::from_str(&mapped).ok()?;
    let order = docs.into_iter().find_map(|d| match d {
        Document::Order(o) if o.po_number.as_str() == link.doc_key => Some(o),
        _ => None,
    })?;
    let mapped = mapped.into_iter().find_map(|m| match m {
        Mapped::Order(o) if o.client_order_ref == link.doc_key => Some(o),
        _ => None,
    })?;
    Some((order, mapped))
}

/// Positions of Odoo sale order lines among the partner's lines, from their external IDs.
async fn positions(client: &OdooClient, line_ids: &[i64]) -> Result<Vec<(i64, usize)>, OdooError> {
    if line_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client
        .search_read(
            "ir.model.data",
            json!([
                ["model", "=", "sale.order.line"],
                ["res_id", "in", line_ids]
            ]),
            &["name", "res_id"],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let n = r["name"].as_str()?.rsplit_once("_line_")?.1.parse().ok()?;
            Some((r["res_id"].as_i64()?, n))
        })
        .collect())
}

async fn cursor(p: &Pipeline, name: &str) -> Result<String, crate::store::StoreError> {
    Ok(registry::cursor(&p.store, name)
        .await?
        .unwrap_or_else(|| EPOCH.to_owned()))
}

/// Moves `newest` to a row's `write_date` when it is later.
fn later(newest: &mut String, row: &Value) {
    if let Some(w) = row["write_date"].as_str()
        && w > newest.as_str()
    {
        *newest = w.to_owned();
    }
}

async fn save_cursor(
    p: &Pipeline,
    name: &str,
    since: &str,
    newest: &str,
) -> Result<(), crate::store::StoreError> {
    if newest != since {
        registry::set_cursor(&p.store, name, newest).await?;
    }
    Ok(())
}

/// The partner's line position of an Odoo sale order line, from `positions`.
fn position(pos: &[(i64, usize)], sale_line: Option<i64>) -> Option<usize> {
    let sale_line = sale_line?;
    pos.iter().find(|(r, _)| *r == sale_line).map(|(_, n)| *n)
}

/// Submits a document for the partner once per key; true when this call queued it.
async fn queue(p: &Pipeline, partner: &str, doc: Document, key: &str) -> bool {
    match p.submit(partner, doc, key).await {
        Ok(Submitted::Queued(id)) => {
            tracing::info!(
                partner,
                key,
                message_id = id.get(),
                "document queued for the partner"
            );
            true
        }
        Ok(Submitted::AlreadyQueued) => false,
        Err(e) => {
            tracing::warn!(partner, key, error = %e, "document not queued");
            false
        }
    }
}

/// Whether the partner agreed to receive this kind of document (an explicit `[[documents]]`
/// entry: nobody gets acknowledgements or ship notices they did not ask for).
fn agreed(p: &Pipeline, partner: &str, doc: &Document) -> Option<Option<String>> {
    let profile = p.partners.snapshot().shared(partner)?;
    let theirs = crate::pipeline::ports::outbound_doc_ref(&profile, doc)?;
    let a = profile
        .agreements
        .outbound(theirs.standard, &theirs.doc_type)?;
    Some(a.sscc_prefix.clone())
}

/// Queues the acknowledgement of a confirmed sale order `so` (as `search_read` gave it) that
/// Wharf made from `link`'s document, when the partner agreed to receive one: `None` when it
/// did not (or the document is gone), else whether this call queued it (once per order,
/// whoever finds it).
async fn acknowledge(
    p: &Pipeline,
    client: &OdooClient,
    so: &Value,
    link: &ErpLink,
    today: &str,
) -> Result<Option<bool>, PollError> {
    let (Some(id), Some(name)) = (so["id"].as_i64(), so["name"].as_str()) else {
        return Ok(None);
    };
    let Some((order, mapped)) = originals(p, link).await else {
        return Ok(None);
    };
    let probe = Document::OrderAck(order_ack(&order, &mapped, &[], name, today));
    if agreed(p, &link.partner, &probe).is_none() {
        return Ok(None);
    }
    let line_ids: Vec<i64> = so["order_line"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let pos = positions(client, &line_ids).await?;
    let lines = client
        .search_read(
            "sale.order.line",
            json!([["order_id", "=", id]]),
            &["id", "product_uom_qty", "price_unit"],
        )
        .await?;
    let odoo_lines: Vec<OdooLine> = lines
        .iter()
        .map(|l| OdooLine {
            position: position(&pos, l["id"].as_i64()),
            quantity: decimal(&l["product_uom_qty"]),
            price: decimal(&l["price_unit"]),
        })
        .collect();
    let ack = order_ack(&order, &mapped, &odoo_lines, name, today);
    let key = format!("confirm:{id}");
    Ok(Some(
        queue(p, &link.partner, Document::OrderAck(ack), &key).await,
    ))
}

/// One poll: confirmations, then deliveries.
pub async fn poll_once(p: &Pipeline, client: &OdooClient) -> Result<PollReport, PollError> {
    let mut report = PollReport::default();
    let links = registry::erp_links(&p.store, "sale.order").await?;
    if links.is_empty() {
        return Ok(report);
    }
    // Odoo is asked for what changed since each cursor (bounded however many orders Wharf
    // has made) and the answer is kept to Wharf's own orders here.
    let by_id: std::collections::HashMap<i64, &ErpLink> =
        links.iter().map(|l| (l.odoo_id, l)).collect();
    let link_of = |id: i64| by_id.get(&id).copied();
    let now = time::OffsetDateTime::now_utc();
    let today = format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let hhmm = format!("{:02}{:02}", now.hour(), now.minute());

    // Confirmed orders → acknowledgements: those changed since the cursor, and those of links
    // the poller has not looked at yet. An order confirmed before Wharf committed its link to
    // it (the profile's own confirmation, or a sales person quicker than the deliver stage's
    // commit) is passed over by a poll that meets it first, and the cursor may move beyond it
    // meanwhile; so each link is also looked for by id, once, after it is committed (read
    // here before the search: one committed later waits for the next round).
    let fresh = registry::unpolled_links(&p.store, "sale.order", 200).await?;
    let since = cursor(p, "odoo:sale.order:confirmed").await?;
    let changed = json!(["write_date", ">=", since]);
    let mut domain = vec![
        json!(["client_order_ref", "!=", false]),
        json!(["state", "in", ["sale", "done"]]),
    ];
    if fresh.is_empty() {
        domain.push(changed);
    } else {
        let ids: Vec<i64> = fresh.iter().map(|l| l.odoo_id).collect();
        domain.extend([json!("|"), changed, json!(["id", "in", ids])]);
    }
    let orders = client
        .search_read(
            "sale.order",
            Value::Array(domain),
            &["id", "name", "write_date", "order_line"],
        )
        .await?;
    let mut newest = since.clone();
    for so in &orders {
        let Some(link) = so["id"]
            .as_i64()
            .and_then(|id| link_of(id).or_else(|| fresh.iter().find(|l| l.odoo_id == id)))
        else {
            continue;
        };
        if let Some(queued) = acknowledge(p, client, so, link, &today).await? {
            report.acks += usize::from(queued);
            later(&mut newest, so);
        }
    }
    save_cursor(p, "odoo:sale.order:confirmed", &since, &newest).await?;
    if !fresh.is_empty() {
        let ids: Vec<i64> = fresh.iter().map(|l| l.odoo_id).collect();
        registry::mark_polled(&p.store, "sale.order", &ids).await?;
    }

    // Validated deliveries → ship notices.
    let since = cursor(p, "odoo:stock.picking:done").await?;
    let pickings = client
        .search_read(
            "stock.picking",
            json!([
                ["sale_id", "!=", false],
                ["picking_type_code", "=", "outgoing"],
                ["state", "=", "done"],
                ["write_date", ">=", since],
            ]),
            &[
                "id",
                "name",
                "sale_id",
                "carrier_tracking_ref",
                "carrier_id",
                "weight",
                "weight_uom_name",
                "write_date",
            ],
        )
        .await?;
    let mut newest = since.clone();
    for pk in &pickings {
        let (Some(pid), Some(pname)) = (pk["id"].as_i64(), pk["name"].as_str()) else {
            continue;
        };
        let Some(link) = id_of(&pk["sale_id"]).and_then(link_of) else {
            continue;
        };
        let Some((order, _)) = originals(p, link).await else {
            continue;
        };
        let probe = Document::ShipNotice(ship_notice(
            &order,
            pid,
            pname,
            &Shipment::default(),
            &[],
            "0",
            &today,
            &hhmm,
        ));
        let Some(prefix) = agreed(p, &link.partner, &probe) else {
            continue;
        };
        let moves = client
            .search_read(
                "stock.move",
                json!([["picking_id", "=", pid]]),
                &["id", "sale_line_id", "quantity", "product_uom"],
            )
            .await?;
        let sale_lines: Vec<i64> = moves
            .iter()
            .filter_map(|m| id_of(&m["sale_line_id"]))
            .collect();
        let pos = positions(client, &sale_lines).await?;
        let position_of = |m: &Value| position(&pos, id_of(&m["sale_line_id"]));
        // Packages from the move lines when Odoo packed the goods; else each move as shipped.
        let move_lines = client
            .search_read(
                "stock.move.line",
                json!([["picking_id", "=", pid]]),
                &["move_id", "quantity", "product_uom_id", "result_package_id"],
            )
            .await?;
        // Stock quantities are in the product's unit (a line of 2 cases of 12 is a move of
        // 24 units): they are told in the unit the partner ordered in.
        let units = Units::read(client, &link.partner, p, &sale_lines, &moves, &move_lines).await?;
        let shipped: Vec<ShippedLine> = if move_lines
            .iter()
            .any(|ml| id_of(&ml["result_package_id"]).is_some())
        {
            move_lines
                .iter()
                .map(|ml| {
                    let mv = moves
                        .iter()
                        .find(|m| m["id"].as_i64() == id_of(&ml["move_id"]));
                    let (quantity, uom) = units.told(
                        decimal(&ml["quantity"]),
                        id_of(&ml["product_uom_id"]),
                        mv.and_then(|m| id_of(&m["sale_line_id"])),
                    );
                    ShippedLine {
                        position: mv.and_then(position_of),
                        quantity,
                        uom,
                        package: id_of(&ml["result_package_id"]).map(|id| {
                            (
                                id,
                                ml["result_package_id"]
                                    .get(1)
                                    .and_then(Value::as_str)
                                    .unwrap_or_default()
                                    .to_owned(),
                            )
                        }),
                    }
                })
                .collect()
        } else {
            moves
                .iter()
                .map(|m| {
                    let (quantity, uom) = units.told(
                        decimal(&m["quantity"]),
                        id_of(&m["product_uom"]),
                        id_of(&m["sale_line_id"]),
                    );
                    ShippedLine {
                        position: position_of(m),
                        quantity,
                        uom,
                        package: None,
                    }
                })
                .collect()
        };
        let tracking = pk["carrier_tracking_ref"]
            .as_str()
            .filter(|t| !t.is_empty());
        let prefix = prefix.unwrap_or_else(|| {
            tracing::warn!(partner = %link.partner, "no sscc_prefix on the ship notice agreement; SSCCs use prefix 0000000");
            "0000000".to_owned()
        });
        let carrier = pk["carrier_id"].get(1).and_then(Value::as_str);
        let scac = carrier.and_then(|c| {
            p.partners
                .snapshot()
                .shared(&link.partner)
                .and_then(|prof| prof.mapping.carriers.get(c).cloned())
        });
        if let (Some(c), None) = (carrier, &scac) {
            tracing::warn!(partner = %link.partner, carrier = c, "no SCAC for this carrier in [mapping] carriers: the ship notice has no TD5");
        }
        let shipment = Shipment {
            tracking,
            scac: scac.as_deref(),
            weight: pk["weight"]
                .as_f64()
                .and_then(|w| Decimal::try_from(w).ok())
                .map(|w| w.round_dp(3).normalize()),
            weight_unit: pk["weight_uom_name"].as_str(),
        };
        let notice = ship_notice(
            &order, pid, pname, &shipment, &shipped, &prefix, &today, &hhmm,
        );
        if queue(
            p,
            &link.partner,
            Document::ShipNotice(notice),
            &format!("ship:{pid}"),
        )
        .await
        {
            report.notices += 1;
        }
        later(&mut newest, pk);
    }
    save_cursor(p, "odoo:stock.picking:done", &since, &newest).await?;

    // Posted customer invoices of those orders → invoices, for partners that agreed to them.
    let since = cursor(p, "odoo:account.move:posted").await?;
    let moves = client
        .search_read(
            "account.move",
            json!([
                ["move_type", "=", "out_invoice"],
                ["state", "=", "posted"],
                ["invoice_origin", "!=", false],
                ["write_date", ">=", since],
            ]),
            &[
                "id",
                "name",
                "invoice_origin",
                "invoice_date",
                "amount_untaxed",
                "amount_tax",
                "amount_total",
                "write_date",
            ],
        )
        .await?;
    let origins: Vec<&str> = moves
        .iter()
        .filter_map(|m| m["invoice_origin"].as_str())
        .collect();
    let names = orders_by_name(client, &origins).await?;
    let mut newest = since.clone();
    for mv in &moves {
        let (Some(mid), Some(number)) = (mv["id"].as_i64(), mv["name"].as_str()) else {
            continue;
        };
        let origin = mv["invoice_origin"].as_str().unwrap_or_default();
        let Some(link) = names
            .iter()
            .find(|(_, n)| n == origin)
            .and_then(|(id, _)| link_of(*id))
        else {
            continue;
        };
        let Some((order, _)) = originals(p, link).await else {
            continue;
        };
        let date = mv["invoice_date"].as_str().unwrap_or(&today).to_owned();
        let probe = Document::Invoice(invoice(
            &order,
            number,
            &date,
            &InvoiceTotals::default(),
            &[],
        ));
        if agreed(p, &link.partner, &probe).is_none() {
            continue;
        }
        let lines = client
            .search_read(
                "account.move.line",
                json!([["move_id", "=", mid], ["display_type", "=", "product"]]),
                &[
                    "name",
                    "quantity",
                    "price_unit",
                    "price_subtotal",
                    "tax_ids",
                    "sale_line_ids",
                ],
            )
            .await?;
        let sale_lines: Vec<i64> = lines
            .iter()
            .filter_map(|l| first_id(&l["sale_line_ids"]))
            .collect();
        let pos = positions(client, &sale_lines).await?;
        let invoiced: Vec<InvoicedLine> = lines
            .iter()
            .map(|l| InvoicedLine {
                position: position(&pos, first_id(&l["sale_line_ids"])),
                quantity: decimal(&l["quantity"]),
                price: decimal(&l["price_unit"]),
                subtotal: decimal(&l["price_subtotal"]).round_dp(2),
                label: l["name"].as_str().map(String::from),
            })
            .collect();
        let totals = InvoiceTotals {
            untaxed: decimal(&mv["amount_untaxed"]).round_dp(2),
            tax: decimal(&mv["amount_tax"]).round_dp(2),
            total: decimal(&mv["amount_total"]).round_dp(2),
            tax_percent: one_percent_tax(client, &lines).await?,
        };
        let doc = invoice(&order, number, &date, &totals, &invoiced);
        let off = doc.computed_total() - doc.total;
        if !off.is_zero() {
            tracing::warn!(invoice = number, %off, "the invoice's lines, charges and taxes do not add up to Odoo's total");
        }
        if queue(
            p,
            &link.partner,
            Document::Invoice(doc),
            &format!("invoice:{mid}"),
        )
        .await
        {
            report.invoices += 1;
        }
        later(&mut newest, mv);
    }
    save_cursor(p, "odoo:account.move:posted", &since, &newest).await?;
    Ok(report)
}

/// The units of a delivery's sale lines and stock quantities, to tell a stock quantity
/// (in the product's unit) in the unit the partner ordered in.
struct Units {
    v19: bool,
    /// sale line id → its unit's id and the partner's code for it.
    lines: std::collections::HashMap<i64, (i64, Option<crate::model::Text>)>,
    /// uom id → (factor, the partner's code for it, if the profile maps one).
    uoms: std::collections::HashMap<i64, (f64, Option<crate::model::Text>)>,
}

impl Units {
    async fn read(
        client: &OdooClient,
        partner: &str,
        p: &Pipeline,
        sale_lines: &[i64],
        moves: &[Value],
        move_lines: &[Value],
    ) -> Result<Self, OdooError> {
        let v19 = client.session().await?.major >= 19;
        let line_uom = if v19 { "product_uom_id" } else { "product_uom" };
        let mut units = Units {
            v19,
            lines: Default::default(),
            uoms: Default::default(),
        };
        if sale_lines.is_empty() {
            return Ok(units);
        }
        let rows = client
            .search_read(
                "sale.order.line",
                json!([["id", "in", sale_lines]]),
                &["id", line_uom],
            )
            .await?;
        let mut ids: Vec<i64> = rows.iter().filter_map(|r| id_of(&r[line_uom])).collect();
        ids.extend(moves.iter().filter_map(|m| id_of(&m["product_uom"])));
        ids.extend(
            move_lines
                .iter()
                .filter_map(|m| id_of(&m["product_uom_id"])),
        );
        ids.sort_unstable();
        ids.dedup();
        let uoms = client
            .search_read(
                "uom.uom",
                json!([["id", "in", ids]]),
                &["id", "name", "factor"],
            )
            .await?;
        // The partner's code for an Odoo unit: the profile's `[mapping] uom`, read backwards.
        let profile = p.partners.snapshot().shared(partner);
        let code_of = |name: &str| {
            profile.as_ref().and_then(|prof| {
                prof.mapping
                    .uom
                    .iter()
                    .find(|(_, odoo)| odoo.as_str() == name)
                    .map(|(code, _)| crate::model::Text::from(code.as_str()))
            })
        };
        for u in &uoms {
            if let Some(id) = u["id"].as_i64() {
                let name = u["name"].as_str().unwrap_or_default();
                units
                    .uoms
                    .insert(id, (u["factor"].as_f64().unwrap_or(0.0), code_of(name)));
            }
        }
        for r in &rows {
            if let (Some(line), Some(uom)) = (r["id"].as_i64(), id_of(&r[line_uom])) {
                let code = units.uoms.get(&uom).and_then(|(_, c)| c.clone());
                units.lines.insert(line, (uom, code));
            }
        }
        Ok(units)
    }

    /// `qty` in the stock unit `from`, told in the sale line's unit (`None`: the partner's own
    /// unit for the line); a part of a case is told in the stock unit's code instead.
    fn told(
        &self,
        qty: Decimal,
        from: Option<i64>,
        line: Option<i64>,
    ) -> (Decimal, Option<crate::model::Text>) {
        let (Some(from), Some((to, _))) = (from, line.and_then(|l| self.lines.get(&l))) else {
            return (qty, None);
        };
        if from == *to {
            return (qty, None);
        }
        let (Some((ff, from_code)), Some((tf, _))) = (self.uoms.get(&from), self.uoms.get(to))
        else {
            return (qty, None);
        };
        match super::outbound::convert(qty, *ff, *tf, self.v19) {
            Some(q) => (q, None),
            None => (qty, Some(from_code.clone().unwrap_or_else(|| "EA".into()))),
        }
    }
}

/// The rate of the one percent tax every taxed line of an invoice carries, if there is
/// exactly one (`account.tax` `amount` with `amount_type` `percent`): TXI03.
async fn one_percent_tax(
    client: &OdooClient,
    lines: &[Value],
) -> Result<Option<Decimal>, OdooError> {
    let mut taxes: Vec<i64> = lines
        .iter()
        .flat_map(|l| l["tax_ids"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_i64())
        .collect();
    taxes.sort_unstable();
    taxes.dedup();
    if taxes.len() != 1 {
        return Ok(None);
    }
    let rows = client
        .search_read(
            "account.tax",
            json!([["id", "in", taxes]]),
            &["id", "amount", "amount_type"],
        )
        .await?;
    Ok(rows
        .first()
        .filter(|r| r["amount_type"] == "percent")
        .map(|r| decimal(&r["amount"])))
}

/// The sale orders an invoice batch names (`invoice_origin` is the order's name, S00012).
async fn orders_by_name(
    client: &OdooClient,
    names: &[&str],
) -> Result<Vec<(i64, String)>, OdooError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client
        .search_read(
            "sale.order",
            json!([["name", "in", names]]),
            &["id", "name"],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| Some((r["id"].as_i64()?, r["name"].as_str()?.to_owned())))
        .collect())
}
