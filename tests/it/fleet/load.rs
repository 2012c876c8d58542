//! Three `wharf serve` processes on one PostgreSQL database, Odoo (the double) as the ERP,
//! partners sending through the partner API, SFTP (each instance its own port, one host key)
//! and AS2 at once. A third of the way the instance holding the Odoo poller's lease is
//! SIGKILLed; two thirds of the way another gets SIGTERM and must drain and exit 0. A sales
//! person confirms every order in Odoo as it arrives. Then, from the outside: one sale order
//! and one 855 per PO, every document delivered once (a resend after an instance died is a
//! duplicate, never a second order), control numbers gap-free and unique per partner, nothing
//! stuck.
//!
//! `WHARF_FLEET_DOCS` sets the number of documents (default 600: half on the partner API, a
//! quarter each on SFTP and AS2).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::checks;
use super::clients::{self, Doc, SftpLogin, Tally};
use super::*;
use crate::kit::{Server, ssh_keypair};
use wharf::store::leases::{self, Lease};
use wharf::store::messages::{self, Filter};
use wharf::store::{Direction, MessageState, Store};

/// An X12 850 (4010) from `qualifier`/`sender` to Wharf: one PO with two lines, as
/// `kit::order_850` but from any sender.
fn order(qualifier: &str, sender: &str, isa13: u32, po: &str) -> Vec<u8> {
    let body = [
        "ST*850*0001".to_owned(),
        format!("BEG*00*SA*{po}**20261126"),
        "N1*ST*Store 42*92*0042".to_owned(),
        "PO1*1*10*EA*12.50**BP*ACME-001*VP*WID-1".to_owned(),
        "PO1*2*2*CA*99**VP*WID-2".to_owned(),
        "CTT*2".to_owned(),
    ];
    let mut s = format!(
        "ISA*00*          *00*          *{qualifier}*{sender:<15}*ZZ*WHARF          *261126*1200*U*00401*{isa13:09}*0*P*>~\n\
         GS*PO*{sender}*WHARF*20261126*1200*{isa13}*X*004010~\n"
    );
    for seg in &body {
        s.push_str(seg);
        s.push_str("~\n");
    }
    s.push_str(&format!(
        "SE*{}*0001~\nGE*1*{isa13}~\nIEA*1*{isa13:09}~\n",
        body.len() + 1
    ));
    s.into_bytes()
}

fn docs(prefix: &str, qualifier: &str, sender: &str, n: usize) -> Vec<Doc> {
    (1..=n)
        .map(|i| {
            let po = format!("{prefix}-{i}");
            Doc {
                name: format!("{}.edi", po.to_lowercase()),
                bytes: order(qualifier, sender, i as u32, &po),
                po,
            }
        })
        .collect()
}

/// ACME logs in over SFTP with a fresh key and may send without a per-minute cap; Globex
/// sends plain AS2 (the cryptography is tested elsewhere) and wants an 855 too. The key's
/// path.
fn profiles(env: &TestEnv) -> std::path::PathBuf {
    let key = ssh_keypair(env.path(), "acme_key");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let acme = env.path().join("partners/acme.toml");
    let text = std::fs::read_to_string(&acme).unwrap();
    let start = text.find("keys = [").unwrap();
    let end = start + text[start..].find(']').unwrap() + 1;
    let text = format!(
        "{}keys = [\"{}\"]{}",
        &text[..start],
        public.trim(),
        &text[end..]
    )
    .replace("per_minute = 600", "per_minute = 1000000");
    std::fs::write(&acme, text).unwrap();

    let globex = env.path().join("partners/globex.toml");
    let text = std::fs::read_to_string(&globex).unwrap();
    let start = text.find("[as2]").unwrap();
    let end = start + text[start..].find("\n\n").unwrap();
    let text = format!(
        "{}[[documents]]\nstandard = \"x12\"\ntype = \"855\"\ndirection = \"out\"\n\n\
         [as2]\nid = \"GLOBEX-AS2\"\nmdn = \"sync\"\nsign = false\nencrypt = false\n{}",
        &text[..start],
        &text[end..]
    );
    std::fs::write(&globex, text).unwrap();
    let (code, out, err) = env.run(&["partners", "check"]);
    assert_eq!(code, 0, "{out}{err}");
    key
}

/// What a sales person does all day: confirm every quotation that arrives in Odoo (and tell
/// the partners' pacing how many orders Odoo has).
fn confirm_orders_as_they_come(
    odoo: Arc<OdooDouble>,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.load(Ordering::SeqCst) {
            let orders = odoo.sale_orders();
            tally.in_erp.store(orders.len(), Ordering::SeqCst);
            let drafts: Vec<i64> = orders
                .iter()
                .filter(|o| o["state"] == serde_json::json!("draft"))
                .filter_map(|o| o["id"].as_i64())
                .collect();
            for id in drafts {
                odoo.confirm(id);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
}

/// Outbound 855s sent so far, to every partner.
async fn sent_855s(store: &Store) -> usize {
    messages::list(
        store,
        &Filter {
            direction: Some(Direction::Out),
            state: Some(MessageState::Sent),
            limit: 1_000_000,
            ..Filter::default()
        },
    )
    .await
    .map(|all| {
        all.iter()
            .filter(|m| m.doc_type.as_deref() == Some("855"))
            .count()
    })
    .unwrap_or(0)
}

fn fleet_docs() -> usize {
    match std::env::var("WHARF_FLEET_DOCS") {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("WHARF_FLEET_DOCS is not a number: {v:?}")),
        Err(_) => 600,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_one_killed_one_drained_every_document_once() {
    let total = fleet_docs().max(12);
    let odoo = Arc::new(odoo().await);
    let mut env = env(&odoo, 300, 4000).await;
    // The sample Pinnacle's folder is on a server that does not exist; collection is not
    // what this test is about.
    env.set_env("WHARF_TRANSFERS__COLLECT", "false");
    let acme_key = profiles(&env);
    // One host key for every instance, made before any starts (as an operator would).
    std::fs::create_dir_all(env.path().join("certs")).unwrap();
    let host_key = ssh_keypair(&env.path().join("certs"), "ssh_host_ed25519_key");
    let login = SftpLogin::load(&acme_key, &host_key.with_extension("pub"));

    // Every business event to a webhook: none may be lost to the kill or the drain.
    let hook = crate::events::Receiver::start().await;
    crate::events::configure(&mut env, &hook, None, 50);

    let mut servers: Vec<Option<Server>> = (0..3).map(|_| Some(env.serve_process())).collect();
    let names: Vec<String> = servers
        .iter()
        .flatten()
        .map(|s| s.instance.clone())
        .collect();
    let http = Arc::new(servers.iter().flatten().map(|s| s.addr).collect::<Vec<_>>());
    let sftp = Arc::new(
        servers
            .iter()
            .flatten()
            .map(|s| s.sftp.expect("the SFTP server runs"))
            .collect::<Vec<_>>(),
    );
    let store = env.store().await;

    let n_api = total / 2;
    let n_sftp = total / 4;
    let n_as2 = total - n_api - n_sftp;
    let api_docs = docs("API", "ZZ", "ACMERETAIL", n_api);
    // ACME's SFTP interchanges number on from its API ones (one ISA13 sequence per sender).
    let sftp_docs: Vec<Doc> = docs("SFTP", "ZZ", "ACMERETAIL", n_api + n_sftp)
        .into_iter()
        .skip(n_api)
        .collect();
    let as2_docs = docs("AS2", "01", "123456789", n_as2);
    let po_set = |ds: &[&[Doc]]| -> BTreeSet<String> {
        ds.iter()
            .flat_map(|d| d.iter().map(|d| d.po.clone()))
            .collect()
    };
    let acme_pos = po_set(&[&api_docs, &sftp_docs]);
    let globex_pos = po_set(&[&as2_docs]);

    // Partners run at most 90 documents ahead of Odoo (30 per instance).
    let tally = Arc::new(Tally::new(90));
    let confirming = Arc::new(AtomicBool::new(false));
    let confirmer = confirm_orders_as_they_come(odoo.clone(), tally.clone(), confirming.clone());
    let began = Instant::now();
    let mut clients = Vec::new();
    // Three of each kind, one starting at each instance; each takes every third document.
    for k in 0..3 {
        let pick = |ds: &[Doc]| ds.iter().skip(k).step_by(3).cloned().collect::<Vec<_>>();
        clients.push(tokio::spawn(clients::api(
            http.clone(),
            pick(&api_docs),
            k,
            tally.clone(),
        )));
        clients.push(tokio::spawn(clients::as2(
            http.clone(),
            pick(&as2_docs),
            k,
            tally.clone(),
        )));
        clients.push(tokio::spawn(clients::sftp(
            sftp.clone(),
            login.clone(),
            pick(&sftp_docs),
            k,
            tally.clone(),
        )));
    }

    // A third of the way: SIGKILL the poller's holder. Two thirds: SIGTERM another.
    let mut killed = None;
    let mut draining = None;
    while clients.iter().any(|c| !c.is_finished()) {
        let acked = tally.acked.load(Ordering::SeqCst);
        if killed.is_none() && acked >= total / 3 {
            let holder = leases::holder(&store, &Lease::OdooPoller)
                .await
                .ok()
                .flatten();
            let k = holder
                .and_then(|h| names.iter().position(|n| *n == h.owner))
                .unwrap_or(0);
            eprintln!(
                "{acked}/{total} acknowledged: SIGKILL {} (poller {:?})",
                names[k], k
            );
            servers[k].take().expect("running").kill();
            killed = Some(k);
        }
        if let Some(k) = killed
            && draining.is_none()
            && acked >= 2 * total / 3
        {
            let t = (k + 1) % 3;
            eprintln!("{acked}/{total} acknowledged: SIGTERM {}", names[t]);
            let server = servers[t].take().expect("running");
            draining = Some((t, tokio::task::spawn_blocking(move || server.stop())));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for c in clients {
        c.await.expect("client task");
    }
    let failures = tally.failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "partners saw: {failures:#?}");
    let killed = killed.expect("an instance was killed while documents were in flight");
    let (drained, exit) = draining.expect("an instance was stopped while documents were in flight");
    let exit = exit.await.unwrap();
    assert!(
        exit.success(),
        "SIGTERM: the instance drains and exits 0, not {exit:?}"
    );
    let survivor = (0..3).find(|i| *i != killed && *i != drained).unwrap();
    let ingest_secs = began.elapsed().as_secs_f64();

    // Wait until every order is in Odoo, confirmed, and its 855 sent, and nothing is left;
    // where things stand is printed every 10 s (shown when the test fails).
    let patience = Duration::from_secs(180 + total as u64 / 5);
    let deadline = Instant::now() + patience;
    let mut said = Instant::now();
    loop {
        let orders = odoo.sale_orders();
        let confirmed = orders
            .iter()
            .filter(|o| o["state"] == serde_json::json!("sale"))
            .count();
        let acks = sent_855s(&store).await;
        let jobs = wharf::store::jobs::count_by_state(&store)
            .await
            .unwrap_or_default();
        let busy = jobs.iter().any(|(s, n)| {
            *n > 0
                && matches!(
                    s,
                    wharf::store::JobState::Ready | wharf::store::JobState::Running
                )
        });
        if orders.len() >= total && confirmed == orders.len() && acks >= total && !busy {
            break;
        }
        let status = format!(
            "{:.0} s: {} sale orders, {confirmed} confirmed, {acks} 855s sent, jobs {jobs:?}, \
             messages {:?}",
            began.elapsed().as_secs_f64(),
            orders.len(),
            messages::count_by_state(&store).await.unwrap_or_default()
        );
        let dead = jobs
            .iter()
            .any(|(s, n)| *n > 0 && *s == wharf::store::JobState::Dead);
        if dead {
            let failed = messages::list(
                &store,
                &Filter {
                    state: Some(MessageState::Failed),
                    limit: 3,
                    ..Filter::default()
                },
            )
            .await
            .unwrap_or_default();
            let why: Vec<_> = failed.iter().map(|m| (&m.partner, &m.error)).collect();
            panic!("dead letters: {status}\n{why:#?}");
        }
        if Instant::now() > deadline {
            let log = servers[survivor]
                .as_ref()
                .map(|s| s.log())
                .unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            panic!(
                "timed out: {status}\nthe survivor's log, last lines first:\n{}",
                tail.join("\n")
            );
        }
        if said.elapsed() > Duration::from_secs(10) {
            eprintln!("{status}");
            said = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    confirming.store(true, Ordering::SeqCst);
    confirmer.await.unwrap();
    let all_secs = began.elapsed().as_secs_f64();

    // From the outside.
    checks::nothing_stuck(&store).await;
    let mut all_pos = acme_pos.clone();
    all_pos.extend(globex_pos.iter().cloned());
    checks::one_sale_order_per_po(&odoo, &all_pos);
    let acme_duplicates = checks::processed_once(&store, "acme", &acme_pos).await;
    let globex_duplicates = checks::processed_once(&store, "globex", &globex_pos).await;
    assert_eq!(
        globex_duplicates, 0,
        "an AS2 resend keeps its Message-ID: answered as a duplicate, never stored again"
    );
    let data = env.path().join("data");
    let acme = checks::received("acme", &checks::outbox(&data, "acme"), "997");
    assert_eq!(acme.acks, acme_pos.len(), "one 997 per ACME interchange");
    assert_eq!(
        acme.ta1s, acme_duplicates,
        "a TA1 (025) per repeated interchange"
    );
    let globex = checks::received("globex", &checks::outbox(&data, "globex"), "999");
    assert_eq!(
        globex.acks,
        globex_pos.len(),
        "one 999 per Globex interchange"
    );
    for (partner, got, pos) in [("acme", &acme, &acme_pos), ("globex", &globex, &globex_pos)] {
        let keys: BTreeSet<String> = got.acks_855.keys().cloned().collect();
        assert_eq!(&keys, pos, "{partner}: an 855 for each PO, no other");
        let twice: Vec<_> = got.acks_855.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "{partner}: 855s sent twice: {twice:?}");
    }
    let keys = tally.host_keys.lock().unwrap().clone();
    assert_eq!(
        keys.len(),
        1,
        "every instance shows the one host key: {keys:?}"
    );
    let workers = checks::workers_seen(&store).await;
    for name in &names {
        assert!(workers.contains(name), "{name} did no work: {workers:?}");
    }
    crate::kit::wait_for(
        PATIENCE,
        "the survivor holding the poller's lease",
        || async {
            let h = leases::holder(&store, &Lease::OdooPoller)
                .await
                .ok()
                .flatten()?;
            (h.owner == names[survivor]).then_some(())
        },
    )
    .await;

    // No event lost: the webhook holds every committed event (repeats only under the same
    // id, with the same body), each partner's sequence has no gap, and there is one
    // order.created and one order.acknowledged per PO.
    let written = crate::events::committed(&store).await.len();
    crate::events::all_settled(&store, written, patience).await;
    let events = crate::events::committed(&store).await;
    crate::events::assert_gap_free(&events);
    let got = hook.received();
    let ids: std::collections::BTreeSet<i64> = got.iter().map(|r| r.event_id).collect();
    assert_eq!(
        ids,
        events
            .keys()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        "the webhook holds every committed event"
    );
    for r in &got {
        assert_eq!(
            r.body,
            events[&r.event_id].json(),
            "a repeat is the same event"
        );
    }
    let count =
        |k: wharf::model::BusinessEventKind| events.values().filter(|e| e.kind == k).count();
    assert_eq!(
        count(wharf::model::BusinessEventKind::OrderCreated),
        total,
        "one order.created per PO"
    );
    assert_eq!(
        count(wharf::model::BusinessEventKind::OrderAcknowledged),
        total,
        "one order.acknowledged per PO"
    );
    eprintln!(
        "fleet events: {} written, {} webhook deliveries ({} repeats)",
        events.len(),
        got.len(),
        got.len() - ids.len()
    );

    eprintln!(
        "fleet: {total} documents ({n_api} API, {n_sftp} SFTP, {n_as2} AS2) on 3 instances; \
         acknowledged in {ingest_secs:.1} s, all 855s sent after {all_secs:.1} s; \
         sent again after no answer {}, moved on refusal {}, AS2 duplicates answered {}, \
         stored duplicates {acme_duplicates}",
        tally.resent.load(Ordering::SeqCst),
        tally.moved.load(Ordering::SeqCst),
        tally.as2_duplicates.load(Ordering::SeqCst),
    );
}
