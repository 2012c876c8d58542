//! Orders into Odoo through the real binary, against the Odoo test double speaking Odoo's
//! wire protocol (JSON-RPC for 18, JSON-2 for 19): an 850 becomes one sale order with the
//! right customer, ship-to, lines and PO reference, exactly once across resends, a fault after
//! Odoo committed, a worker killed after Odoo committed, and an Odoo outage; Odoo's refusals
//! reach the operator with Odoo's message. On SQLite and PostgreSQL.

use std::time::Duration;

use crate::kit::odoo::{DB, KEY, LOGIN, OdooDouble};
use crate::kit::{Db, TestEnv, order_850, wait_for};
use serde_json::{Value, json};
use wharf::store::messages::{self, Message};
use wharf::store::{EventKind, MessageId, MessageState, Store, events};

mod business_events;
mod cache;
mod check;
mod orders;
mod poll;
mod receipts;

const PATIENCE: Duration = Duration::from_secs(30);

/// A double with ACME's customer record, its store 42 as a delivery address, the products
/// of `order_850` and the Case unit.
async fn odoo(version: u32) -> OdooDouble {
    let odoo = OdooDouble::start(version).await;
    odoo.customer("ACME", &["ACME-0042", "ACME-DC"]);
    odoo.product("WID-1", Some("012345678905"), 11.0);
    odoo.product("WID-2", None, 95.0);
    // A case of 12, as real units are: stock moves count the units inside.
    odoo.uom_of("Case", 12.0);
    odoo
}

async fn env_for(db: Db, odoo: &OdooDouble) -> TestEnv {
    let mut env = TestEnv::new(db).await;
    env.use_odoo(&odoo.url(), DB, LOGIN, KEY);
    env
}

fn ingest(env: &TestEnv, name: &str, bytes: &[u8]) -> MessageId {
    env.ingest_for("acme", name, bytes)
}

async fn settled(store: &Store, id: MessageId) -> Message {
    wait_for(PATIENCE, &format!("message {id} to settle"), || async {
        let m = messages::get(store, id).await.ok()?;
        let related = messages::related(store, id).await.ok()?;
        (m.state.is_final() && related.iter().all(|r| r.state == MessageState::Sent)).then_some(m)
    })
    .await
}

/// The one sale order with this PO number, checked against `order_850`: customer ACME,
/// delivered to store 42, WID-1 × 10 Units at 12.50 (the partner's price) and WID-2 × 2
/// Case at 99.
fn assert_order(odoo: &OdooDouble, po: &str) -> i64 {
    let orders: Vec<_> = odoo
        .sale_orders()
        .into_iter()
        .filter(|o| o["client_order_ref"] == json!(po))
        .collect();
    assert_eq!(
        orders.len(),
        1,
        "exactly one sale order for {po}: {orders:?}"
    );
    let o = &orders[0];
    let id = o["id"].as_i64().unwrap();
    let (customer, ship_to, units, case) = odoo.with(|w| {
        let find = |model: &str, field: &str, value: &str| {
            w.all(model)
                .into_iter()
                .find(|r| r[field] == json!(value))
                .and_then(|r| r["id"].as_i64())
                .unwrap()
        };
        (
            find("res.partner", "ref", "ACME"),
            find("res.partner", "ref", "ACME-0042"),
            find("uom.uom", "name", "Units"),
            find("uom.uom", "name", "Case"),
        )
    });
    assert_eq!(o["partner_id"], json!(customer));
    assert_eq!(o["partner_shipping_id"], json!(ship_to));
    let version = odoo.with(|w| w.version);
    let uom = if version >= 19 {
        "product_uom_id"
    } else {
        "product_uom"
    };
    let lines = odoo.lines_of(id);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let product = |code: &str| {
        odoo.with(|w| {
            w.all("product.product")
                .into_iter()
                .find(|p| p["default_code"] == json!(code))
                .and_then(|p| p["id"].as_i64())
                .unwrap()
        })
    };
    assert_eq!(lines[0]["product_id"], json!(product("WID-1")));
    assert_eq!(lines[0]["product_uom_qty"], json!(10.0));
    assert_eq!(lines[0][uom], json!(units));
    assert_eq!(lines[0]["price_unit"], json!(12.5));
    assert_eq!(lines[1]["product_id"], json!(product("WID-2")));
    assert_eq!(lines[1]["product_uom_qty"], json!(2.0));
    assert_eq!(lines[1][uom], json!(case));
    assert_eq!(lines[1]["price_unit"], json!(99.0));
    // The 850 has no PID: Odoo names the lines after the products (an empty name would
    // have refused the whole order, finding 1).
    let names: Vec<&Value> = lines.iter().map(|l| &l["name"]).collect();
    assert_eq!(
        names,
        [
            &json!("[WID-1] Product WID-1"),
            &json!("[WID-2] Product WID-2")
        ],
        "{lines:?}"
    );
    id
}

const WEBHOOK_TOKEN: &str = "webhook-token-0123456789";

/// Outbound messages of `doc_type` for `partner`, once each is sent.
async fn sent(store: &Store, partner: &str, doc_type: &str) -> Vec<Message> {
    messages::list(
        store,
        &messages::Filter {
            state: None,
            partner: Some(partner.into()),
            direction: Some(wharf::store::Direction::Out),
            limit: 100,
        },
    )
    .await
    .unwrap()
    .into_iter()
    .filter(|m| m.doc_type.as_deref() == Some(doc_type))
    .collect()
}

/// Rounds of the Odoo poller the double has seen begin: each begins with the confirmed
/// orders' `sale.order.search_read`.
fn poll_rounds(odoo: &OdooDouble) -> usize {
    odoo.with(|w| {
        w.calls
            .iter()
            .filter(|c| *c == "sale.order.search_read")
            .count()
    })
}

/// Waits until a poll round begun after this call is done: two more rounds begun (a round
/// begins only once the one before it is done), each woken by the webhook when `server` is
/// given (only after the one before began, so the second wake is not merged into the first),
/// else by the poll interval.
async fn a_whole_poll_round(odoo: &OdooDouble, server: Option<&crate::kit::Endpoint>) {
    let before = poll_rounds(odoo);
    for n in 1..=2 {
        if let Some(server) = server {
            poke(server);
        }
        wait_for(PATIENCE, "a poll round", || async {
            (poll_rounds(odoo) >= before + n).then_some(())
        })
        .await;
    }
}

fn poke(server: &crate::kit::Endpoint) {
    let (status, body) = crate::kit::http(
        server.addr,
        "POST",
        &format!("/api/v1/odoo/webhook?token={WEBHOOK_TOKEN}"),
        b"{\"_model\":\"sale.order\",\"_id\":1}",
    );
    assert_eq!(status, 202, "{body}");
}
