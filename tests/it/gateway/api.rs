//! The partner API and profiles: profile edits reloaded (a bad edit keeps the good profile),
//! the partner's token required, order keys that keep punctuation apart.

use super::*;

async fn profile_edits_reload_and_a_bad_edit_keeps_the_good_profile(db: Db) {
    let mut env = TestEnv::new(db).await;
    env.set_env("WHARF_PARTNERS_RELOAD_MS", "100");
    let server = env.serve_process();
    let store = env.store().await;
    let post = |isa13: u32, po: &str| -> MessageId {
        let (s, b) = http(
            server.addr,
            "POST",
            "/api/v1/partners/acme/messages",
            &order_850(isa13, po),
        );
        assert_eq!(s, 202, "{b}");
        serde_json::from_str::<serde_json::Value>(&b).unwrap()["message_id"]
            .as_i64()
            .map(MessageId::new)
            .unwrap()
    };
    let delivered_ref = |po: &str| -> String {
        let order: serde_json::Value = serde_json::from_slice(
            &std::fs::read(env.path().join(format!("data/delivered/acme/{po}.json")))
                .expect("order delivered"),
        )
        .unwrap();
        order["customer_ref"].as_str().unwrap().to_owned()
    };
    let profile = env.path().join("partners/acme.toml");
    let good = std::fs::read_to_string(&profile).unwrap();

    // A good edit is applied without a restart.
    std::fs::write(
        &profile,
        good.replace("customer_ref = \"ACME\"", "customer_ref = \"ACME-NEW\""),
    )
    .unwrap();
    wait_for(PATIENCE, "the edited profile to load", || async {
        server
            .log()
            .contains("partner profiles reloaded")
            .then_some(())
    })
    .await;
    let id = post(301, "PO-301");
    assert_eq!(settled(&store, id).await.state, MessageState::Delivered);
    assert_eq!(delivered_ref("PO-301"), "ACME-NEW");

    // A bad edit is reported and the last good profile stays in force.
    std::fs::write(
        &profile,
        "id = \"acme\"\nname = \"ACME\"\n[x12]\nqualifier = \"Z\"\nid = \"ACMERETAIL\"\n",
    )
    .unwrap();
    // (An editor's write may be seen half done first: that too keeps the old profile.)
    wait_for(PATIENCE, "the bad edit to be reported", || async {
        let log = server.log();
        (log.contains("previous version stays") && log.contains("x12.qualifier")).then_some(())
    })
    .await;
    let id = post(302, "PO-302");
    let m = settled(&store, id).await;
    assert_eq!(m.state, MessageState::Delivered, "{:?}", m.error);
    assert_eq!(delivered_ref("PO-302"), "ACME-NEW");
    assert!(server.stop().success());
}

/// A profile with `[api] token_sha256` (made by `wharf partners api-token`) takes partner
/// API requests only with that token; nothing is stored for the others.
async fn the_partner_api_wants_the_partners_token_when_it_has_one(db: Db) {
    let env = TestEnv::new(db).await;
    let (code, token, err) = env.run(&["partners", "api-token", "acme"]);
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_owned();
    let line = err
        .lines()
        .find(|l| l.starts_with("token_sha256 = "))
        .expect("the profile line")
        .to_owned();
    let profile = env.path().join("partners/acme.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    std::fs::write(
        &profile,
        text.replace(crate::kit::OPEN_API, &format!("\n[api]\n{line}\n")),
    )
    .unwrap();
    // globex as shipped: no `[api]` at all, so closed.
    let profile = env.path().join("partners/globex.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    std::fs::write(&profile, text.replace(crate::kit::OPEN_API, "")).unwrap();
    let server = env.serve();
    let open_line = server
        .banner
        .lines()
        .find(|l| l.trim_start().starts_with("partners "))
        .unwrap_or_default()
        .to_owned();
    assert!(
        open_line.contains("OPEN to anyone for")
            && !open_line.contains("acme")
            && !open_line.contains("globex"),
        "{}",
        server.banner
    );
    let url = server.url("/api/v1/partners/acme/messages");
    let client = reqwest::Client::new();
    let body = order_850(401, "PO-401");
    let send = |token: Option<&str>| {
        let req = client.post(&url).body(body.clone());
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(send(None).await, 401);
    assert_eq!(send(Some("not-the-token")).await, 401);
    let store = env.store().await;
    assert!(
        messages::list(
            &store,
            &messages::Filter {
                limit: 10,
                ..Default::default()
            }
        )
        .await
        .unwrap()
        .is_empty(),
        "a refused request stored nothing"
    );
    assert_eq!(send(Some(&token)).await, 202);
    // Secure by default: a partner with no credential configured takes nothing, and the
    // answer is the same as for a partner that does not exist (issue 17, finding 6).
    let (closed, closed_body) = http(
        server.addr,
        "POST",
        "/api/v1/partners/globex/messages",
        &order_850_from("GLOBEXCORP", 402, "PO-402"),
    );
    let (unknown, unknown_body) = http(
        server.addr,
        "POST",
        "/api/v1/partners/nosuchpartner/messages",
        &order_850_from("GLOBEXCORP", 403, "PO-403"),
    );
    assert_eq!((closed, unknown), (401, 401));
    assert_eq!(
        closed_body.replace("globex", "X"),
        unknown_body.replace("nosuchpartner", "X"),
        "the answer does not tell which partners exist"
    );
    // An explicitly open partner takes anyone.
    let (status, _) = http(
        server.addr,
        "POST",
        "/api/v1/partners/eurofoods/messages",
        b"UNB+UNOA:2+X+Y+261126:1200+1'UNZ+0+1'",
    );
    assert_eq!(status, 202);
}

/// PO numbers that differ only in punctuation are different orders: each is delivered to a
/// file of its own (issue 17: `COLL/1`, `COLL_1`, `COLL 1`, `.COLL_1` and `COLL?1` were all
/// marked delivered into one file).
async fn po_numbers_differing_only_in_punctuation_are_different_orders(db: Db) {
    let env = TestEnv::new(db).await;
    let server = env.serve();
    let store = env.store().await;
    let pos = ["COLL/1", "COLL_1", "COLL 1", ".COLL_1", "COLL?1"];
    let mut ids = Vec::new();
    for (n, po) in pos.iter().enumerate() {
        let (s, b) = http(
            server.addr,
            "POST",
            "/api/v1/partners/acme/messages",
            &order_850(880 + n as u32, po),
        );
        assert_eq!(s, 202, "{b}");
        ids.push(
            serde_json::from_str::<serde_json::Value>(&b).unwrap()["message_id"]
                .as_i64()
                .map(MessageId::new)
                .unwrap(),
        );
    }
    for id in ids {
        assert_eq!(settled(&store, id).await.state, MessageState::Delivered);
    }
    let dir = env.path().join("data/delivered/acme");
    let mut found: Vec<String> = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        let order: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        found.push(order["client_order_ref"].as_str().unwrap().to_owned());
    }
    found.sort();
    let mut want: Vec<String> = pos.iter().map(|p| (*p).to_owned()).collect();
    want.sort();
    assert_eq!(found, want, "one file per PO in {}", dir.display());
}

on_both_backends!(
    profile_edits_reload_and_a_bad_edit_keeps_the_good_profile,
    the_partner_api_wants_the_partners_token_when_it_has_one,
    po_numbers_differing_only_in_punctuation_are_different_orders,
);
