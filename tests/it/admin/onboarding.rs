//! The onboarding forms over HTTP, on both backends: only an admin with the session's token
//! creates a partner or changes its credentials; a refused id or key says why and writes
//! nothing; the dry run's verdict comes first and is recorded, so the partner's checklist
//! turns its "Test file" step to ok.

use super::*;

/// The "New partner" form posted for ShopCo, an X12 customer from the acme sample.
async fn new_partner(b: &Browser, csrf: &str, id: &str) -> Page {
    b.post(
        "/admin/partners",
        &[
            ("csrf", csrf),
            ("id", id),
            ("name", "ShopCo Retail"),
            ("template", "acme"),
            ("interchange_id", "SHOPCO"),
        ],
    )
    .await
}

/// The state the partner page's checklist shows for `step`.
fn step<'a>(html: &'a str, step: &str) -> &'a str {
    let row = html
        .split(&format!("data-step=\"{step}\""))
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_default();
    if row.contains("state ok") {
        "ok"
    } else if row.contains("state missing") {
        "missing"
    } else {
        "absent"
    }
}

async fn only_admins_onboard_and_the_dry_run_counts(db: Db) {
    let env = TestEnv::new(db).await;
    add_user(&env, "root", "admin");
    add_user(&env, "alice", "operator");
    let server = env.serve();
    let shopco = env.path().join("partners/shopco.toml");
    // Strangers, operators and forged tokens change nothing.
    let anon = Browser::new(server.url(""));
    assert_eq!(new_partner(&anon, "x", "shopco").await.status, 401);
    let alice = signed_in(&server, "alice").await;
    let r = new_partner(&alice, &alice.csrf().await, "shopco").await;
    assert_eq!(r.status, 403, "an operator may not onboard");
    let r = alice
        .post(
            "/admin/partners/acme/sftp-password",
            &[("csrf", &alice.csrf().await), ("password", "pw")],
        )
        .await;
    assert_eq!(r.status, 403);
    let root = signed_in(&server, "root").await;
    assert_eq!(new_partner(&root, "0123", "shopco").await.status, 403);
    assert!(!shopco.exists());

    // An admin: an existing id is refused with the reason, then the partner is made.
    let csrf = root.csrf().await;
    let r = new_partner(&root, &csrf, "acme").await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("partner `acme` already exists"),
        "{}",
        r.body
    );
    let r = new_partner(&root, &csrf, "shopco").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location, "/admin/partners/shopco?done=partner%20created");
    let page = root.get("/admin/partners/shopco").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("ShopCo Retail"));
    assert_eq!(step(&page.body, "Identity"), "ok");
    assert_eq!(step(&page.body, "SFTP credentials"), "missing");
    assert_eq!(step(&page.body, "Test file"), "missing");
    assert!(page.body.contains("SHA256:"), "the host key's fingerprint");
    // Without an interchange id one is made up from the partner id: a guess the checklist
    // does not count as an identity until someone confirms it.
    let r = root
        .post(
            "/admin/partners",
            &[
                ("csrf", csrf.as_str()),
                ("id", "guessco"),
                ("name", "GuessCo"),
                ("template", "acme"),
                ("interchange_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let guess = root.get("/admin/partners/guessco").await;
    assert_eq!(step(&guess.body, "Identity"), "missing", "{}", guess.body);
    assert!(
        guess
            .body
            .contains("derived from the partner id: confirm it with the partner"),
        "{}",
        guess.body
    );

    // A bad key: 400 with the reason, the file as it was; a password then ok.
    let before = std::fs::read(&shopco).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text(
            "key",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 two\nssh-rsa AAAA three",
        );
    let r = root
        .send(
            root.http
                .post(server.url("/admin/partners/shopco/sftp-key"))
                .multipart(form),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("2 keys given; add one at a time"),
        "{}",
        r.body
    );
    assert_eq!(std::fs::read(&shopco).unwrap(), before);
    let r = root
        .post(
            "/admin/partners/shopco/sftp-password",
            &[("csrf", &csrf), ("password", "correct horse")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        !std::fs::read_to_string(&shopco)
            .unwrap()
            .contains("correct horse")
    );

    // The dry run: verdict first, recorded, the checklist's step ok.
    let sample = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(order_850_from("SHOPCO", 5, "PO-5"))
                .file_name("po.x12"),
        );
    let r = root
        .send(
            root.http
                .post(server.url("/admin/partners/shopco/test"))
                .multipart(sample),
        )
        .await;
    assert_eq!(r.status, 200);
    let verdict = r.body.find("id=\"verdict\"").expect("a verdict");
    assert!(
        verdict < r.body.find("Document 1").unwrap(),
        "the verdict comes first"
    );
    assert!(
        r.body
            .contains("Would create sale order PO-5 for SHOPCO with 2 lines")
    );
    let page = root.get("/admin/partners/shopco").await;
    assert_eq!(step(&page.body, "SFTP credentials"), "ok");
    assert_eq!(step(&page.body, "Test file"), "ok");
    let audit = root.get("/admin/audit").await.body;
    for action in ["partner.new", "partner.sftp_password", "partner.dryrun"] {
        assert!(audit.contains(action), "{action} audited");
    }
}

on_both_backends!(only_admins_onboard_and_the_dry_run_counts);
