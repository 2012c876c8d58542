//! Failures an operator sees on the admin pages (issue 20): the quarantine page and its
//! Release, a partner's failing collection (its error, then its recovery) on the dashboard
//! and the partner's page, a missing certificate, Cancel only where something is left to
//! stop, an order's lines as a table, and times in the zone the operator chose.

use super::*;
use crate::kit::PortHold;
use crate::transfers::{FtpOpts, Ftpd, both_ways, pinnacle_channels, server_root};

const PATIENCE: Duration = Duration::from_secs(40);

/// Posts `body` on ACME's partner API; the new message's id.
fn post(server: &crate::kit::Endpoint, body: &[u8]) -> MessageId {
    let (status, answer) =
        crate::kit::http(server.addr, "POST", "/api/v1/partners/acme/messages", body);
    assert_eq!(status, 202, "{answer}");
    MessageId::new(
        serde_json::from_str::<serde_json::Value>(&answer).unwrap()["message_id"]
            .as_i64()
            .unwrap(),
    )
}

/// The part of `page` from `from` to the end of its `<section>`, or else to the next `<h2>`
/// (or the page's end).
fn section<'a>(page: &'a str, from: &str) -> &'a str {
    let start = page
        .find(from)
        .unwrap_or_else(|| panic!("{from} in {page}"));
    let rest = &page[start + from.len()..];
    let end = if from.starts_with("<section") {
        "</section>"
    } else {
        "<h2"
    };
    &page[start..start + from.len() + rest.find(end).unwrap_or(rest.len())]
}

async fn quarantined_strangers_are_listed_and_released(db: Db) {
    let env = TestEnv::new(db).await;
    add_user(&env, "alice", "operator");
    add_user(&env, "root", "admin");
    let server = env.serve();
    let store = env.store().await;
    let id = post(&server, &order_850_from("STRANGER", 3101, "PO-Q1"));
    crate::kit::wait_state(&store, id, MessageState::Quarantined).await;

    let alice = signed_in(&server, "alice").await;
    // The dashboard counts it and leads to the quarantine page.
    let dash = alice.get("/admin").await.body;
    assert!(
        dash.contains(
            "<div class=\"big\" id=\"quarantined\"><a href=\"/admin/quarantine\">1</a></div>"
        ),
        "{dash}"
    );
    assert!(dash.contains(">Quarantine</a>"), "a nav entry: {dash}");
    // The page: the message, the sender its envelope names, why, and the Release action.
    let page = alice.get("/admin/quarantine").await;
    assert_eq!(page.status, 200);
    let table = section(&page.body, "<table id=\"quarantine\">");
    assert!(
        table.contains(&format!("<a href=\"/admin/messages/{id}\">#{id}</a>")),
        "{table}"
    );
    assert!(
        table.contains("<span class=\"state quarantined\">unknown sender</span><div class=\"muted\">on <a href=\"/admin/partners/acme\">acme</a>'s channel</div>"),
        "{table}"
    );
    assert!(
        table.contains("<td>ZZ/STRANGER</td><td>ZZ/WHARF</td>"),
        "{table}"
    );
    assert!(table.contains("unknown sender ZZ/STRANGER"), "{table}");
    let release = format!("/admin/messages/{id}/release");
    assert!(
        table.contains(&format!("href=\"{release}\">Release</a>")),
        "{table}"
    );

    // The cause fixed (ACME's sender id is now STRANGER), the message is released.
    let root = signed_in(&server, "root").await;
    let edit = root.get("/admin/partners/acme/edit").await;
    let original = std::fs::read_to_string(env.path().join("partners/acme.toml")).unwrap();
    let fixed = original.replace("\"ACMERETAIL\"", "\"STRANGER\"");
    assert_ne!(fixed, original);
    let saved = root
        .post(
            "/admin/partners/acme/edit",
            &[("csrf", &csrf_of(&edit.body)), ("text", &fixed)],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let confirm = alice.get(&release).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(
        confirm
            .body
            .contains(&format!("Release message #{id} from quarantine?")),
        "{}",
        confirm.body
    );
    let done = alice
        .post(&release, &[("csrf", &csrf_of(&confirm.body))])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    crate::kit::wait_state(&store, id, MessageState::Delivered).await;
    let page = alice.get("/admin/quarantine").await.body;
    assert!(page.contains("Nothing is quarantined."), "{page}");
}

async fn a_failing_collection_shows_until_it_recovers(db: Db) {
    let env = crate::transfers::with_password(db).await;
    add_user(&env, "vera", "viewer");
    let root = server_root(&env, "pinnacle-ftp");
    std::fs::write(
        root.join("outbound/asn.x12"),
        crate::kit::pinnacle_856("000000501"),
    )
    .unwrap();
    // A port nobody listens on (held, so no other process takes it meanwhile).
    let hold = PortHold::new();
    let port = hold.port();
    let url = format!("ftp://127.0.0.1:{port}");
    pinnacle_channels(&env, &both_ways(&url, "", ""));
    let server = env.serve();
    let vera = signed_in(&server, "vera").await;
    let collect = format!("{url}/outbound");
    let row_of = |page: &str| -> Option<String> {
        let table = section(page, "<table id=\"channels\">");
        table
            .split("<tr")
            .find(|r| r.contains(&format!("<td>{collect}</td>")))
            .map(str::to_owned)
    };

    // The scheduler's first round fails: red on the dashboard, with the error and the retry.
    let row = wait_for(PATIENCE, "the collection failing on the dashboard", || {
        let vera = &vera;
        async move {
            let page = vera.get("/admin").await.body;
            row_of(&page).filter(|r| r.contains("failing"))
        }
    })
    .await;
    assert!(row.starts_with(" class=\"failing\""), "{row}");
    assert!(
        row.contains("<td>pinnacle</td>") || row.contains(">pinnacle</a></td>"),
        "{row}"
    );
    assert!(row.contains("<td>collect</td>"), "{row}");
    assert!(
        row.contains("<span class=\"state failed\">failing</span>"),
        "{row}"
    );
    assert!(row.contains("unreachable"), "the error in words: {row}");
    assert!(row.contains("(in "), "the next try: {row}");
    let dash = vera.get("/admin").await.body;
    assert!(
        !dash.contains("<div class=\"big\" id=\"channels-failing\"><a href=\"#channels\">0</a>"),
        "{dash}"
    );
    // Failing channels come first.
    let channels = section(&dash, "<table id=\"channels\">");
    let first = channels.split("<tbody>").nth(1).unwrap_or_default();
    assert!(
        first.trim_start().starts_with("<tr class=\"failing\">"),
        "{channels}"
    );
    // The partner's page shows the same.
    let partner = vera.get("/admin/partners/pinnacle").await.body;
    let row = row_of(&partner).expect("the collection on the partner's page");
    assert!(
        row.contains("failing") && row.contains("unreachable"),
        "{row}"
    );

    // The server comes up: the next round collects, and the channel is well again.
    let _ftpd = Ftpd::start(&env, &root, FtpOpts::plain_on(port));
    let row = wait_for(Duration::from_secs(60), "the collection recovered", || {
        let vera = &vera;
        async move {
            let page = vera.get("/admin/partners/pinnacle").await.body;
            row_of(&page).filter(|r| r.contains("<span class=\"state ok\">ok</span>"))
        }
    })
    .await;
    assert!(!row.contains("class=\"failing\""), "{row}");
    assert!(
        row.contains("since recovered"),
        "the last error kept: {row}"
    );
    drop(server);
}

async fn missing_certificates_are_listed_with_their_problem(db: Db) {
    let env = TestEnv::new(db).await;
    // Globex's AS2 certificate, pointed at a file that is not there (the sample's line may
    // be commented out until Globex sends its certificate).
    let gone = env.path().join("certs/gone.pem");
    let profile = env.path().join("partners/globex.toml");
    let text: Vec<String> = std::fs::read_to_string(&profile)
        .unwrap()
        .lines()
        .map(|l| {
            if l.trim_start_matches(['#', ' '])
                .starts_with("certificate = ")
            {
                format!("certificate = \"{}\"", gone.display())
            } else {
                l.to_owned()
            }
        })
        .collect();
    assert!(
        text.iter().any(|l| l.starts_with("certificate = ")),
        "globex has an [as2] certificate line"
    );
    std::fs::write(&profile, text.join("\n")).unwrap();
    add_user(&env, "vera", "viewer");
    let server = env.serve();
    let vera = signed_in(&server, "vera").await;
    let row = format!(
        "<tr class=\"failing\"><td>globex</td><td>{}</td><td></td><td class=\"num\"></td><td><strong class=\"state failed\">missing: there is no file at this path</strong></td></tr>",
        gone.display()
    );
    let dash = vera.get("/admin").await.body;
    assert!(
        section(&dash, "<h2>Certificates</h2>").contains(&row),
        "{dash}"
    );
    let page = vera.get("/admin/partners/globex").await.body;
    assert!(
        section(&page, "<h2>Certificates</h2>").contains(&row),
        "{page}"
    );
    // Another partner's page lists only its own.
    let acme = vera.get("/admin/partners/acme").await.body;
    assert!(!acme.contains("gone.pem"), "{acme}");
}

async fn delivered_orders_read_as_tables_and_cannot_be_cancelled(db: Db) {
    let env = TestEnv::new(db).await;
    add_user(&env, "alice", "operator");
    let server = env.serve();
    let store = env.store().await;
    let id = post(&server, &order_850_from("ACMERETAIL", 3201, "PO-T1"));
    crate::kit::wait_state(&store, id, MessageState::Delivered).await;
    let alice = signed_in(&server, "alice").await;
    let page = alice.get(&format!("/admin/messages/{id}")).await.body;

    // The order: header fields, then its lines as a table; the JSON kept behind a toggle.
    let canonical = section(&page, "<section id=\"canonical\">");
    assert!(canonical.contains("<h3>Order PO-T1</h3>"), "{canonical}");
    assert!(
        canonical.contains("<dt>PO number</dt><dd>PO-T1</dd>"),
        "{canonical}"
    );
    assert!(
        canonical.contains("<dt>Ship to</dt><dd>ACME Store 42 · id 92:0042</dd>"),
        "{canonical}"
    );
    assert!(
        canonical.contains("<tr><th>Line</th><th>Item ids</th><th>Description</th><th>Quantity</th><th>Unit</th><th>Price</th></tr>"),
        "{canonical}"
    );
    assert!(
        canonical.contains("<tr><td>1</td><td>BuyerPart ACME-001, VendorPart WID-1</td><td></td><td>10</td><td>EA</td><td>12.50</td></tr>"),
        "{canonical}"
    );
    assert!(
        canonical.contains("<tr><td>2</td><td>VendorPart WID-2</td>"),
        "{canonical}"
    );
    assert!(
        page.contains("<details><summary>The stored JSON</summary><pre id=\"canonical-json\">"),
        "{page}"
    );
    // The planned change in the ERP, one row.
    let plan = section(&page, "<section id=\"mapped\">");
    assert!(plan.contains("<td>sale.order</td><td>create"), "{plan}");
    assert!(plan.contains("client order ref PO-T1"), "{plan}");
    assert!(plan.contains("<td class=\"num\">2</td>"), "{plan}");

    // Delivered, nothing waiting: nothing to cancel, offered nowhere and refused if asked.
    assert!(
        !page.contains(&format!("/admin/messages/{id}/cancel")),
        "{page}"
    );
    let confirm = alice.get(&format!("/admin/messages/{id}/cancel")).await;
    assert_eq!(confirm.status, 400, "{}", confirm.body);
    let csrf = alice.csrf().await;
    let refused = alice
        .post(&format!("/admin/messages/{id}/cancel"), &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("nothing to cancel"),
        "{}",
        refused.body
    );
    assert_eq!(
        messages::get(&store, id).await.unwrap().state,
        MessageState::Delivered
    );
}

async fn a_dead_message_is_cancelled_with_unambiguous_words(db: Db) {
    let mut env = TestEnv::new(db).await;
    blocked_env(&mut env);
    add_user(&env, "alice", "operator");
    let server = env.serve();
    let id = dead_order(&env, &server, "PO-T2", 3202).await;
    let alice = signed_in(&server, "alice").await;
    let page = alice.get(&format!("/admin/messages/{id}")).await.body;
    assert!(
        page.contains(&format!(
            "<a class=\"button\" href=\"/admin/messages/{id}/cancel\">Cancel message</a>"
        )),
        "{page}"
    );
    let confirm = alice
        .get(&format!("/admin/messages/{id}/cancel"))
        .await
        .body;
    assert!(
        confirm.contains(&format!("Cancel message #{id}: stop processing it?")),
        "{confirm}"
    );
    assert!(
        confirm.contains(
            "<button type=\"submit\" id=\"confirm\" class=\"danger\">Cancel message</button>"
        ),
        "{confirm}"
    );
    assert!(
        confirm.contains(&format!(
            "<a href=\"/admin/messages/{id}\" id=\"back\">Go back without doing anything</a>"
        )),
        "{confirm}"
    );
    assert!(!confirm.contains(">Cancel</"), "no bare Cancel: {confirm}");
    let done = alice
        .post(
            &format!("/admin/messages/{id}/cancel"),
            &[("csrf", &csrf_of(&confirm))],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let store = env.store().await;
    assert_eq!(
        messages::get(&store, id).await.unwrap().state,
        MessageState::Cancelled
    );
}

async fn times_follow_the_operators_zone(db: Db) {
    let env = TestEnv::new(db).await;
    add_user(&env, "alice", "operator");
    add_user(&env, "bob", "operator");
    let server = env.serve();
    let store = env.store().await;
    let id = post(&server, &order_850_from("ACMERETAIL", 3301, "PO-Z1"));
    let m = crate::kit::wait_state(&store, id, MessageState::Delivered).await;
    let alice = signed_in(&server, "alice").await;
    let received = |page: &str| -> String {
        let at = page.find("<dt>Received</dt><dd>").expect("received") + 21;
        page[at..at + page[at..].find(" (updated").unwrap()].to_owned()
    };
    let utc = time::OffsetDateTime::from_unix_timestamp(m.created_at / 1000).unwrap();
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    // UTC by default, said so.
    let page = alice.get(&format!("/admin/messages/{id}")).await.body;
    assert!(page.contains(">Times: UTC</a>"), "{page}");
    assert_eq!(received(&page), format!("{} UTC", utc.format(fmt).unwrap()));

    // A zone that does not exist is refused, and nothing changes.
    let account = alice.get("/admin/account").await;
    assert_eq!(account.status, 200);
    let csrf = csrf_of(&account.body);
    let r = alice
        .post(
            "/admin/account",
            &[("csrf", &csrf), ("zone", "Mars/Olympus")],
        )
        .await;
    assert!(
        r.body.contains("`Mars/Olympus` is not a time zone"),
        "{}",
        r.body
    );
    // Kolkata: +05:30 all year, IST.
    let r = alice
        .post(
            "/admin/account",
            &[("csrf", &csrf), ("zone", "Asia/Kolkata")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = alice.get(&format!("/admin/messages/{id}")).await.body;
    assert!(page.contains(">Times: Asia/Kolkata</a>"), "{page}");
    let local = utc.to_offset(time::macros::offset!(+5:30));
    assert_eq!(
        received(&page),
        format!("{} IST (+05:30)", local.format(fmt).unwrap())
    );
    // Another operator's pages stay in UTC.
    let bob = signed_in(&server, "bob").await;
    let page = bob.get(&format!("/admin/messages/{id}")).await.body;
    assert_eq!(received(&page), format!("{} UTC", utc.format(fmt).unwrap()));
}

/// The channel's health is counted by the database: attempts recorded at once from two
/// instances (two stores on one database) all count, a success clears the count and keeps
/// the last error, and the next failure counts from one again.
async fn channel_health_is_counted_by_the_database(db: Db) {
    use wharf::store::ChannelKind;
    use wharf::store::channel_health::{self, Attempt};
    let env = TestEnv::new(db).await;
    let (one, two) = (env.store().await, env.store().await);
    let remote = "sftp://127.0.0.1:2222/out";
    let record = |store: &wharf::store::Store, attempt: Attempt<'static>| {
        let store = store.clone();
        async move {
            channel_health::record(&store, "acme", ChannelKind::Collect, remote, attempt, None)
                .await
                .unwrap()
        }
    };
    let at_once: Vec<_> = (0..10)
        .map(|i| {
            let store = if i % 2 == 0 { &one } else { &two };
            tokio::spawn(record(store, Attempt::Failed("refused")))
        })
        .collect();
    for t in at_once {
        t.await.unwrap();
    }
    let health = channel_health::list(&one, Some("acme")).await.unwrap();
    assert_eq!(health.len(), 1, "{health:?}");
    assert_eq!(health[0].consecutive_failures, 10);
    assert_eq!(health[0].last_success_at, None);
    assert_eq!(health[0].last_error.as_deref(), Some("refused"));

    record(&two, Attempt::Succeeded).await;
    let h = &channel_health::list(&one, None).await.unwrap()[0];
    assert_eq!(h.consecutive_failures, 0);
    assert!(h.last_success_at.is_some());
    assert_eq!(
        h.last_error.as_deref(),
        Some("refused"),
        "kept after the success"
    );
    record(&one, Attempt::Failed("timed out")).await;
    let h = &channel_health::list(&two, None).await.unwrap()[0];
    assert_eq!(h.consecutive_failures, 1);
    assert_eq!(h.last_error.as_deref(), Some("timed out"));
    assert!(
        channel_health::list(&one, Some("globex"))
            .await
            .unwrap()
            .is_empty()
    );
}

/// The samples as shipped: Globex's `[as2]` names no certificate yet, which the dashboard and
/// Globex's page say; a folder collected on an instance with collection off says so instead
/// of waiting for a first try.
async fn the_samples_name_what_is_not_set_up(db: Db) {
    let mut env = crate::transfers::with_password(db).await;
    env.set_env("WHARF_TRANSFERS__COLLECT", "false");
    let hold = PortHold::new();
    let url = format!("ftp://127.0.0.1:{}", hold.port());
    pinnacle_channels(&env, &both_ways(&url, "", ""));
    add_user(&env, "vera", "viewer");
    let server = env.serve();
    let vera = signed_in(&server, "vera").await;
    let dash = vera.get("/admin").await.body;
    let no_cert = "<td><strong class=\"state failed\">missing: the profile&#39;s [as2] names no certificate</strong></td>";
    let certs = section(&dash, "<h2>Certificates</h2>");
    assert!(
        certs.contains(no_cert) && certs.contains("<td>globex</td>"),
        "{certs}"
    );
    let globex = vera.get("/admin/partners/globex").await.body;
    assert!(
        section(&globex, "<h2>Certificates</h2>").contains(no_cert),
        "{globex}"
    );
    let channels = section(&dash, "<table id=\"channels\">");
    let row = channels
        .split("<tr")
        .find(|r| r.contains(&format!("<td>{url}/outbound</td>")))
        .unwrap_or_else(|| panic!("the collected folder listed: {channels}"));
    assert!(row.contains(">off here</span>"), "{row}");
    assert!(row.contains("[transfers] collect = false"), "{row}");
    assert!(!row.contains("not tried yet"), "{row}");
}

on_both_backends!(
    the_samples_name_what_is_not_set_up,
    channel_health_is_counted_by_the_database,
    quarantined_strangers_are_listed_and_released,
    a_failing_collection_shows_until_it_recovers,
    missing_certificates_are_listed_with_their_problem,
    delivered_orders_read_as_tables_and_cannot_be_cancelled,
    a_dead_message_is_cancelled_with_unambiguous_words,
    times_follow_the_operators_zone,
);
