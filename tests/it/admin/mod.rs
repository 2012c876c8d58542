//! The admin pages and the JSON API from the outside, over HTTP against `wharf serve`:
//! operators sign in, find a message by its PO number, open it, retry it after fixing the
//! cause, edit a profile (a valid edit saved and kept in history, an invalid one refused
//! with its error), dry-run a sample, sign out; and every page and action refuses a
//! stranger, a form without the session's CSRF token, and a role too small for it.

use std::time::Duration;

use crate::kit::{
    Db, PASSWORD, TestEnv, add_token, add_user, blocked_env, dead_order, order_850_from, wait_for,
};
use wharf::store::{JobState, MessageId, MessageState, jobs, messages};

mod charts;
mod events;
mod failures;
mod onboarding;
mod strangers;

/// A browser without JavaScript: keeps the session cookie, follows nothing by itself.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

struct Page {
    status: u16,
    location: String,
    set_cookie: Vec<String>,
    body: String,
}

fn form(fields: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The value of the first `name="csrf"` hidden field of a page.
fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token");
    let rest = &html[at + 19..];
    rest[..rest.find('"').unwrap()].to_owned()
}

impl Browser {
    fn new(base: String) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base,
            cookie: String::new(),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.cookie.is_empty() {
            req
        } else {
            req.header("cookie", &self.cookie)
        };
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let set_cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let body = r.text().await.unwrap_or_default();
        Page {
            status,
            location,
            set_cookie,
            body,
        }
    }

    async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(fields)),
        )
        .await
    }

    /// Signs in through the form, as a person would; returns the sign-in response.
    async fn sign_in(&mut self, user: &str, password: &str) -> Page {
        let form_page = self.get("/admin/signin").await;
        assert_eq!(form_page.status, 200);
        let pre = form_page
            .set_cookie
            .iter()
            .find(|c| c.starts_with("wharf_signin="))
            .expect("sign-in cookie")
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        self.cookie = pre;
        let csrf = csrf_of(&form_page.body);
        let r = self
            .post(
                "/admin/signin",
                &[
                    ("user", user),
                    ("password", password),
                    ("csrf", &csrf),
                    ("next", "/admin"),
                ],
            )
            .await;
        if let Some(c) = r
            .set_cookie
            .iter()
            .find(|c| c.starts_with("wharf_session="))
        {
            self.cookie = c.split(';').next().unwrap().to_owned();
        }
        r
    }

    /// The CSRF token of the signed-in session (from any page's sign-out form).
    async fn csrf(&self) -> String {
        csrf_of(&self.get("/admin").await.body)
    }
}

async fn signed_in(server: &crate::kit::Endpoint, user: &str) -> Browser {
    let mut b = Browser::new(server.url(""));
    let r = b.sign_in(user, PASSWORD).await;
    assert_eq!(r.status, 303, "sign-in of {user}: {}", r.body);
    b
}

async fn operators_find_retry_and_sign_out(db: Db) {
    let mut env = TestEnv::new(db).await;
    let blocker = blocked_env(&mut env);
    add_user(&env, "alice", "operator");
    add_user(&env, "root", "admin");
    let server = env.serve();
    let id = dead_order(&env, &server, "PO-4711", 4711).await;

    let alice = signed_in(&server, "alice").await;
    // Found by its PO number, and only it.
    let found = alice.get("/admin/messages?reference=PO-4711").await;
    assert_eq!(found.status, 200);
    assert!(
        found
            .body
            .contains(&format!("href=\"/admin/messages/{id}\"")),
        "{}",
        found.body
    );
    assert_eq!(
        found.body.matches("href=\"/admin/messages/").count(),
        1,
        "{}",
        found.body
    );
    let none = alice.get("/admin/messages?reference=PO-0000").await;
    assert!(none.body.contains("No message matches."));

    // The message page: segments laid out, the dead job, the retry action.
    let page = alice.get(&format!("/admin/messages/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("<span class=\"tag\">BEG</span>*00*SA*PO-4711"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<span class=\"state dead\">dead</span>"));
    assert!(
        page.body
            .contains(&format!("href=\"/admin/messages/{id}/retry\""))
    );
    assert!(page.body.contains("id=\"timeline\""));

    // The dashboard counts the dead letter; the dead-letter page groups it by reason.
    let dash = alice.get("/admin").await;
    assert!(
        dash.body
            .contains("<div class=\"big\" id=\"dead\"><a href=\"/admin/dead\">1</a>"),
        "{}",
        dash.body
    );
    assert!(
        dash.body.contains("<td>acme</td>") || dash.body.contains(">acme</a></td><td>850</td>"),
        "{}",
        dash.body
    );
    // ... draws today's traffic (one order in, its 997 out, the order failed) as bars ...
    let today = time::OffsetDateTime::now_utc().date().to_string();
    assert!(
        dash.body.contains("<svg id=\"traffic-chart\""),
        "{}",
        dash.body
    );
    assert!(
        dash.body.contains(&format!("<title>{today}: ")) && dash.body.contains(" failed</title>"),
        "{}",
        dash.body
    );
    // ... and shows the readiness checks `/readyz` answers with.
    assert!(
        dash.body
            .contains("<span class=\"state delivered\" id=\"ready\">ready</span>"),
        "{}",
        dash.body
    );
    for check in ["database", "migrations", "disk", "erp", "workers"] {
        assert!(
            dash.body.contains(&format!(
                "<tr><td>{check}</td><td><span class=\"state delivered\">ok</span>"
            )),
            "{check}: {}",
            dash.body
        );
    }
    let dead = alice.get("/admin/dead").await;
    assert!(
        dead.body.contains("<h2 style=\"margin-top:0\">deliver: "),
        "{}",
        dead.body
    );
    assert!(dead.body.contains("Retry all 1"), "{}", dead.body);

    // Fix the cause, then retry: confirmed on its own page, then done.
    std::fs::remove_file(&blocker).unwrap();
    let confirm = alice.get(&format!("/admin/messages/{id}/retry")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Retry message #"));
    let csrf = csrf_of(&confirm.body);
    let done = alice
        .post(&format!("/admin/messages/{id}/retry"), &[("csrf", &csrf)])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(
        done.location
            .starts_with(&format!("/admin/messages/{id}?done="))
    );
    let store = env.store().await;
    crate::kit::wait_state(&store, id, MessageState::Delivered).await;
    assert!(
        blocker.join("delivered").is_dir(),
        "the ERP folder got the order"
    );
    let history = alice.get(&format!("/admin/messages/{id}")).await.body;
    assert!(
        history.contains("dead deliver job retried by alice"),
        "{history}"
    );

    // The audit log (an admin's page) says who did it.
    let root = signed_in(&server, "root").await;
    let audit = root.get("/admin/audit").await;
    assert_eq!(audit.status, 200);
    assert!(
        audit.body.contains(&format!(
            "<td>alice</td><td>message.retry</td><td>{id}</td>"
        )),
        "{}",
        audit.body
    );

    // Signing out ends the session: the old cookie opens nothing.
    let csrf = alice.csrf().await;
    let out = alice.post("/admin/signout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location, "/admin/signin");
    let after = alice.get("/admin").await;
    assert_eq!(after.status, 303);
    assert!(after.location.starts_with("/admin/signin"));
}

async fn profiles_are_checked_saved_and_kept(db: Db) {
    let env = TestEnv::new(db).await;
    add_user(&env, "root", "admin");
    let server = env.serve();
    let root = signed_in(&server, "root").await;
    let file = env.path().join("partners/acme.toml");
    let original = std::fs::read_to_string(&file).unwrap();

    let edit = root.get("/admin/partners/acme/edit").await;
    assert_eq!(edit.status, 200);
    let csrf = csrf_of(&edit.body);

    // An invalid edit is refused with the checker's words, and the file is untouched.
    let bad = original.replace("channel = \"directory\"", "channel = \"carrier-pigeon\"");
    assert_ne!(bad, original);
    let r = root
        .post(
            "/admin/partners/acme/edit",
            &[("csrf", &csrf), ("text", &bad)],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    // The checker's message in an error box, not merely the edited text echoed back.
    let error = r
        .body
        .split("<div class=\"error\" role=\"alert\">")
        .nth(1)
        .and_then(|e| e.split("</div>").next())
        .expect("an error box");
    assert!(
        error.contains("carrier-pigeon") && error.contains("outbound"),
        "{error}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);

    // A valid edit is saved, reloaded and kept in history with a diff.
    let good = original.replace("name = \"ACME Retail\"", "name = \"ACME Retail Group\"");
    assert_ne!(good, original);
    let r = root
        .post(
            "/admin/partners/acme/edit",
            &[("csrf", &csrf), ("text", &good)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), good);
    let page = wait_for(Duration::from_secs(10), "the profile reloaded", || {
        let root = &root;
        async move {
            let p = root.get("/admin/partners/acme").await;
            p.body.contains("<h1>ACME Retail Group").then_some(p)
        }
    })
    .await;
    assert!(
        page.body.contains("<dd id=\"sla-ack\">1 d 0 h</dd>"),
        "{}",
        page.body
    );
    let version = page
        .body
        .split("/admin/partners/acme/history/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a history entry")
        .to_owned();
    assert!(version.ends_with("-root.toml"), "{version}");
    let diff = root
        .get(&format!("/admin/partners/acme/history/{version}"))
        .await;
    assert_eq!(diff.status, 200);
    assert!(
        diff.body
            .contains("<span class=\"del\">- name = &#34;ACME Retail&#34;</span>")
            || diff
                .body
                .contains("<span class=\"del\">- name = &quot;ACME Retail&quot;</span>"),
        "{}",
        diff.body
    );
    assert!(diff.body.contains("ACME Retail Group"));
    // A partner's inline secret (procurenet's cXML shared secret) is shown to nobody — not
    // on its page, not in the editor — and survives an edit made in the browser.
    let page = root.get("/admin/partners/procurenet").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("s3cret"), "{}", page.body);
    assert!(page.body.contains("hidden"), "that one is set is shown");
    let edit = root.get("/admin/partners/procurenet/edit").await;
    assert!(!edit.body.contains("s3cret"));
    let shown = edit
        .body
        .split("<textarea")
        .nth(1)
        .and_then(|t| t.split_once('>'))
        .and_then(|(_, t)| t.split("</textarea>").next())
        .expect("the editor")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&amp;", "&");
    let renamed = shown.replace("name = \"ProcureNet", "name = \"ProcureNet Inc");
    assert_ne!(renamed, shown, "{shown}");
    let r = root
        .post(
            "/admin/partners/procurenet/edit",
            &[("csrf", &csrf), ("text", &renamed)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let saved = std::fs::read_to_string(env.path().join("partners/procurenet.toml")).unwrap();
    assert!(saved.contains("shared_secret = \"s3cret\""), "{saved}");
    assert!(saved.contains("ProcureNet Inc"), "{saved}");

    // No path tricks through the version name.
    assert_eq!(
        root.get("/admin/partners/acme/history/..%2F..%2Fwharf.toml")
            .await
            .status,
        404
    );

    // The dry run of a sample: the canonical order and its plan, nothing stored.
    let sample = order_850_from("ACMERETAIL", 77, "PO-DRY-1");
    let part = reqwest::multipart::Part::bytes(sample).file_name("po.x12");
    let formdata = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part("file", part);
    let r = root
        .send(
            root.http
                .post(server.url("/admin/partners/acme/test"))
                .multipart(formdata),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("PO-DRY-1"), "{}", r.body);
    // Laid out as tables like a stored message's (the order's lines, the sale order it would
    // make), the JSON behind a toggle after them.
    let lines = r
        .body
        .find("<table class=\"lines\">")
        .expect("the lines as a table");
    let plan = r
        .body
        .find("<table class=\"plan\">")
        .expect("the plan as a table");
    let json = r.body.find("<details>").expect("the JSON behind a toggle");
    assert!(lines < plan && plan < json, "{}", r.body);
    assert!(
        r.body[lines..plan].contains("<td>1</td>"),
        "line 1 in the lines table"
    );
    assert!(
        r.body[plan..json].contains("<td>sale.order</td><td>create</td>"),
        "{}",
        &r.body[plan..json]
    );
    assert!(r.body[json..].contains("client_order_ref"), "{}", r.body);
    let store = env.store().await;
    let found = wharf::store::search::search(
        &store,
        &wharf::store::search::Search {
            reference: Some("PO-DRY-1".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(found.is_empty(), "a dry run stores nothing");
}

/// The dashboard's overdue acknowledgements follow each partner's `[sla]` windows: an order
/// not answered by an 855 within `order_ack_within`, a document Wharf sent without the
/// partner's 997 within `ack_within`. Time is moved by back-dating rows in the store.
async fn overdue_acknowledgements_follow_the_partners_windows(db: Db) {
    let env = TestEnv::new(db).await;
    let profile = env.path().join("partners/acme.toml");
    let mut text = std::fs::read_to_string(&profile).unwrap();
    text.push_str("\n[sla]\nack_within = \"1h\"\norder_ack_within = \"2h\"\n");
    std::fs::write(&profile, text).unwrap();
    add_user(&env, "vera", "viewer");
    let server = env.serve();
    let (status, body) = crate::kit::http(
        server.addr,
        "POST",
        "/api/v1/partners/acme/messages",
        &order_850_from("ACMERETAIL", 1001, "PO-1001"),
    );
    assert_eq!(status, 202, "{body}");
    let order = MessageId::new(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["message_id"]
            .as_i64()
            .unwrap(),
    );
    let store = env.store().await;
    crate::kit::wait_state(&store, order, MessageState::Delivered).await;
    let back_date = |id: MessageId, hours: i64| {
        let store = store.clone();
        async move {
            let at = wharf::store::now_ms() - hours * 3_600_000;
            sqlx::query("UPDATE messages SET created_at = $1, updated_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id.get())
                .execute(store.pool())
                .await
                .unwrap();
        }
    };
    let vera = signed_in(&server, "vera").await;
    let overdue = || async {
        let page = vera.get("/admin").await.body;
        let start = page.find("<h2>Acknowledgements overdue</h2>").unwrap();
        let end = page.find("<h2>Certificates</h2>").unwrap();
        page[start..end].to_owned()
    };
    let row = |id: MessageId| format!("<a href=\"/admin/messages/{id}\">#{id}</a>");

    back_date(order, 1).await;
    assert!(
        !overdue().await.contains(&row(order)),
        "within the 2 h window"
    );
    back_date(order, 3).await;
    let table = overdue().await;
    assert!(table.contains(&row(order)), "{table}");
    assert!(table.contains("our 855/ORDRSP to the partner"), "{table}");

    // The 855 goes out: the order is answered; the 855 now waits for ACME's 997.
    let path = format!(
        "{}/tests/fixtures/x12/855_accept.edi",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, out, err) = env.run(&["translate", &path]);
    assert_eq!(code, 0, "{err}");
    let ack = env.file("ack.json", out.lines().next().unwrap().as_bytes());
    let (code, out, err) = env.run(&["send", ack.to_str().unwrap(), "--partner", "acme"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("PO-1001"), "{out}");
    let sent = wait_for(Duration::from_secs(30), "the 855 sent", || {
        let store = store.clone();
        async move {
            let found = wharf::store::search::search(
                &store,
                &wharf::store::search::Search {
                    reference: Some("PO-1001".into()),
                    doc_type: Some("855".into()),
                    limit: 5,
                    ..Default::default()
                },
            )
            .await
            .ok()?;
            found.into_iter().find(|m| m.state == MessageState::Sent)
        }
    })
    .await;
    let table = overdue().await;
    assert!(!table.contains(&row(order)), "answered: {table}");
    assert!(!table.contains(&row(sent.id)), "just sent: {table}");
    back_date(sent.id, 2).await;
    let table = overdue().await;
    assert!(table.contains(&row(sent.id)), "{table}");
    assert!(
        table.contains("its 997/999/CONTRL from the partner"),
        "{table}"
    );
}

on_both_backends!(
    operators_find_retry_and_sign_out,
    profiles_are_checked_saved_and_kept,
    overdue_acknowledgements_follow_the_partners_windows,
);
