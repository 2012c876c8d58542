//! A fleet: several `wharf serve` processes on one PostgreSQL database share the work. The
//! Odoo poller runs on one instance at a time and is taken over when its holder dies
//! (`poller.rs`); three instances take documents through the partner API, SFTP and AS2 at
//! once while one is SIGKILLed and another SIGTERMed, and everything is processed exactly
//! once, seen from the outside: Odoo's sale orders, the partners' outbox files, their
//! control numbers (`load.rs`, with its clients in `clients.rs` and its checks in
//! `checks.rs`).

use std::time::Duration;

use crate::kit::odoo::{DB, OdooDouble};
use crate::kit::{Db, TestEnv};

mod checks;
mod clients;
mod load;
mod poller;

/// The Odoo double with what the fleet's orders need: ACME (its store 42 and DC) and Globex (its
/// store 0042) as
/// customers, the products of the orders, the Case unit.
async fn odoo() -> OdooDouble {
    let odoo = OdooDouble::start(18).await;
    odoo.customer("ACME", &["ACME-0042", "ACME-DC"]);
    odoo.customer("GLOBEX", &["0042"]);
    odoo.product("WID-1", Some("012345678905"), 11.0);
    odoo.product("WID-2", None, 95.0);
    odoo.uom_of("Case", 12.0);
    odoo
}

/// A PostgreSQL test world whose gateways deliver into `odoo`, poll it every `poll_ms` under
/// a lease of `lease_ms`.
async fn env(odoo: &OdooDouble, poll_ms: u64, lease_ms: u64) -> TestEnv {
    let mut env = TestEnv::new(Db::Postgres).await;
    env.use_odoo(
        &odoo.url(),
        DB,
        crate::kit::odoo::LOGIN,
        crate::kit::odoo::KEY,
    );
    env.set_env("WHARF_ERP__POLL_MS", &poll_ms.to_string());
    env.set_env("WHARF_ERP__POLL_LEASE_MS", &lease_ms.to_string());
    env
}

/// Gives the next gateway started from `env` its own Odoo user, so the double tells its calls
/// from the others'; the user's uid.
fn own_odoo_user(env: &mut TestEnv, odoo: &OdooDouble, name: &str) -> i64 {
    let login = format!("{name}@wharf.example");
    let key = format!("{name}-key-0123456789abcdef0123456789");
    let uid = odoo.user(name, &login, &key);
    env.set_env("WHARF_ERP__LOGIN", &login);
    env.set_env("WHARF_SECRET_ODOO_API_KEY", &key);
    uid
}

/// Long enough for a loaded two-core machine; a fleet run of thousands gets more.
const PATIENCE: Duration = Duration::from_secs(60);
