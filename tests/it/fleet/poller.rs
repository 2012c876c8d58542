//! One Odoo poller for the fleet: of two gateways on one database only the holder of the
//! poller's lease asks Odoo for confirmed orders; when it is SIGKILLed the other takes over
//! (after the lease runs out), and when that one is stopped with SIGTERM it gives the lease
//! back and a third takes over. Counted at the Odoo double, each gateway with its own user.

use super::*;
use crate::kit::{Endpoint, order_850, wait_for};
use wharf::store::leases::{self, Lease};
use wharf::store::{MessageState, Store};

/// Each poll round begins with this call.
const POLL: &str = "sale.order.search_read";

async fn poller_holder(store: &Store) -> Option<String> {
    leases::holder(store, &Lease::OdooPoller)
        .await
        .ok()
        .flatten()
        .map(|h| h.owner)
}

/// Waits until `uid` has made `n` more poll calls than `from`.
async fn polls_made(odoo: &OdooDouble, uid: i64, from: usize, n: usize, what: &str) {
    wait_for(PATIENCE, what, || async {
        (odoo.calls_by(uid, POLL) >= from + n).then_some(())
    })
    .await;
}

/// Which of the gateways (by instance name) holds the lease, once one does.
async fn holder_among(store: &Store, gateways: &[&Endpoint]) -> usize {
    wait_for(PATIENCE, "a gateway holding the poller's lease", || async {
        let owner = poller_holder(store).await?;
        gateways.iter().position(|g| g.instance == owner)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_odoo_poller_at_a_time_taken_over_when_its_holder_dies() {
    let odoo = odoo().await;
    // Polled every 200 ms under a lease of 6 s: a holder renews every 2 s, so only a stall
    // of seconds would let a second poller in.
    let mut env = env(&odoo, 200, 6000).await;
    // An order in Odoo: from then on every poll round asks Odoo for confirmed orders.
    let id = env.ingest_for("acme", "po.edi", &order_850(901, "PO-901"));
    let uid_a = own_odoo_user(&mut env, &odoo, "gateway-a");
    let a = env.serve_process();
    let uid_b = own_odoo_user(&mut env, &odoo, "gateway-b");
    let b = env.serve_process();
    let store = env.store().await;
    crate::kit::wait_state(&store, id, MessageState::Delivered).await;

    // Only the holder polls: it polls five more times, and the other not once meanwhile.
    let first = holder_among(&store, &[&a, &b]).await;
    let (holder_uid, other_uid) = if first == 0 {
        (uid_a, uid_b)
    } else {
        (uid_b, uid_a)
    };
    let other_before = odoo.calls_by(other_uid, POLL);
    let holder_before = odoo.calls_by(holder_uid, POLL);
    polls_made(
        &odoo,
        holder_uid,
        holder_before,
        5,
        "five polls by the holder",
    )
    .await;
    assert_eq!(
        odoo.calls_by(other_uid, POLL),
        other_before,
        "the gateway without the lease polled"
    );
    assert_eq!(
        other_before, 0,
        "the gateway without the lease never polled"
    );

    // The holder dies without a word: the other takes the lease once it runs out and polls.
    let (dead, survivor, survivor_uid) = if first == 0 {
        (a, b, uid_b)
    } else {
        (b, a, uid_a)
    };
    let dead_instance = dead.instance.clone();
    dead.kill();
    wait_for(PATIENCE, "the survivor holding the lease", || async {
        (poller_holder(&store).await? == survivor.instance).then_some(())
    })
    .await;
    polls_made(&odoo, survivor_uid, 0, 3, "polls by the survivor").await;
    assert_ne!(dead_instance, survivor.instance);

    // A third joins; the survivor stops cleanly (SIGTERM), gives the lease back, and the
    // third takes it (at its next renewal, not after the lease runs out).
    let uid_c = own_odoo_user(&mut env, &odoo, "gateway-c");
    let c = env.serve_process();
    let survivor_before = odoo.calls_by(survivor_uid, POLL);
    polls_made(
        &odoo,
        survivor_uid,
        survivor_before,
        2,
        "the survivor still polling",
    )
    .await;
    assert_eq!(
        odoo.calls_by(uid_c, POLL),
        0,
        "the newcomer polls while another holds the lease"
    );
    let status = survivor.stop();
    assert!(status.success(), "SIGTERM: {status:?}");
    wait_for(PATIENCE, "the third gateway holding the lease", || async {
        (poller_holder(&store).await? == c.instance).then_some(())
    })
    .await;
    polls_made(&odoo, uid_c, 0, 3, "polls by the third gateway").await;
}
