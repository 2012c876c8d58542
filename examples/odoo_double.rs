//! The Odoo test double as a process, for `scripts/load --odoo`: serves Odoo's external API
//! (JSON-RPC; JSON-2 with `19` as the first argument) on 127.0.0.1, seeded with ACME (and
//! LOAD2 … LOAD9, the load script's other partners), their
//! delivery addresses and products WID-1 … WID-100, and prints `url http://…` when ready.
//! `GET /double/stats` tells how long it spent answering.

// The double's tables are tuples of what it stores (see tests/it/main.rs).
#![allow(clippy::type_complexity)]

#[path = "../tests/it/kit/odoo/mod.rs"]
mod odoo;

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let version = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(18);
    let double = odoo::OdooDouble::start(version).await;
    double.customer("ACME", &["ACME-0042", "ACME-DC"]);
    // The load script's other partners (`scripts/load --partners N`): LOAD2 … LOAD9.
    for n in 2..=9 {
        double.customer(
            &format!("LOAD{n}"),
            &[&format!("LOAD{n}-0042"), &format!("LOAD{n}-DC")],
        );
    }
    for n in 1..=100 {
        double.product(&format!("WID-{n}"), None, 10.0 + f64::from(n));
    }
    double.uom("Case");
    println!("url {}", double.url());
    println!("db {} login {} key {}", odoo::DB, odoo::LOGIN, odoo::KEY);
    tokio::signal::ctrl_c().await.ok();
}
