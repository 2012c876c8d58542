//! Every admin page and action refuses those without the right: strangers, viewers where an
//! operator is needed, missing or wrong CSRF tokens; sign-in limits; secrets shown to nobody.

use super::*;

async fn every_page_and_action_refuses_strangers(db: Db) {
    let mut env = TestEnv::new(db).await;
    blocked_env(&mut env);
    add_user(&env, "alice", "operator");
    add_user(&env, "vera", "viewer");
    add_user(&env, "gus", "viewer");
    let viewer_token = add_token(&env, "dashboards", "viewer");
    let operator_token = add_token(&env, "runbook", "operator");
    let server = env.serve();
    let id = dead_order(&env, &server, "PO-9", 9).await;
    let store = env.store().await;
    let events_now = || {
        let store = store.clone();
        async move {
            wharf::store::events::for_message(&store, id)
                .await
                .unwrap()
                .len()
        }
    };
    let before = events_now().await;

    // Anonymous: pages lead to the sign-in form, actions are refused.
    let anon = Browser::new(server.url(""));
    for page in [
        "/admin".to_owned(),
        "/admin/messages".into(),
        format!("/admin/messages/{id}"),
        format!("/admin/messages/{id}/raw"),
        format!("/admin/messages/{id}/retry"),
        "/admin/dead".into(),
        "/admin/dead/retry?stage=deliver&reason=x".into(),
        "/admin/partners".into(),
        "/admin/partners/acme".into(),
        "/admin/partners/acme/edit".into(),
        "/admin/audit".into(),
    ] {
        let r = anon.get(&page).await;
        assert_eq!(r.status, 303, "{page}");
        assert!(
            r.location.starts_with("/admin/signin?next="),
            "{page}: {}",
            r.location
        );
    }
    for (path, fields) in [
        (format!("/admin/messages/{id}/retry"), vec![("csrf", "x")]),
        (format!("/admin/messages/{id}/cancel"), vec![("csrf", "x")]),
        (
            "/admin/dead/retry".into(),
            vec![("csrf", "x"), ("stage", "deliver"), ("reason", "x")],
        ),
        (
            "/admin/partners/acme/edit".into(),
            vec![("csrf", "x"), ("text", "id = \"acme\"")],
        ),
        ("/admin/signout".into(), vec![("csrf", "x")]),
        ("/admin/partners/acme/test".into(), vec![("csrf", "x")]),
    ] {
        let r = anon.post(&path, &fields).await;
        assert_eq!(r.status, 401, "{path}");
    }

    // Signed in, but a form without the session's token (or with another's) is refused.
    let alice = signed_in(&server, "alice").await;
    let vera = signed_in(&server, "vera").await;
    for csrf in ["", "0123", &vera.csrf().await] {
        let r = alice
            .post(&format!("/admin/messages/{id}/retry"), &[("csrf", csrf)])
            .await;
        assert_eq!(r.status, 403, "csrf {csrf:?}");
        assert!(r.body.contains("security token"));
    }
    // The dry run is a form too: without the token it is refused before anything is read.
    let sample = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(order_850_from("ACMERETAIL", 5, "PO-5"))
            .file_name("po.x12"),
    );
    let r = alice
        .send(
            alice
                .http
                .post(server.url("/admin/partners/acme/test"))
                .multipart(sample),
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(!r.body.contains("PO-5"));
    // The sign-in form has its own token (double-submit cookie): a forged sign-in is refused.
    let forged = Browser::new(server.url(""))
        .post(
            "/admin/signin",
            &[
                ("user", "alice"),
                ("password", PASSWORD),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(
        !forged
            .set_cookie
            .iter()
            .any(|c| c.starts_with("wharf_session="))
    );
    // A viewer may read but not act, even with a valid token.
    let vcsrf = vera.csrf().await;
    assert_eq!(vera.get(&format!("/admin/messages/{id}")).await.status, 200);
    for action in ["retry", "replay", "cancel"] {
        assert_eq!(
            vera.get(&format!("/admin/messages/{id}/{action}"))
                .await
                .status,
            403
        );
        let r = vera
            .post(
                &format!("/admin/messages/{id}/{action}"),
                &[("csrf", &vcsrf)],
            )
            .await;
        assert_eq!(r.status, 403, "{action}");
        assert!(r.body.contains("needs the operator role"), "{}", r.body);
    }
    let r = vera
        .post(
            "/admin/dead/retry",
            &[("csrf", &vcsrf), ("stage", "deliver"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(vera.get("/admin/partners/acme/edit").await.status, 403);
    let r = vera
        .post(
            "/admin/partners/acme/edit",
            &[("csrf", &vcsrf), ("text", "id = \"acme\"")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(vera.get("/admin/audit").await.status, 403);
    // An operator is not an admin either.
    assert_eq!(alice.get("/admin/partners/acme/edit").await.status, 403);
    // Nothing above changed the message.
    assert_eq!(
        events_now().await,
        before,
        "a refused request left a trace in the history"
    );
    assert_eq!(
        jobs::for_message(&store, id)
            .await
            .unwrap()
            .iter()
            .filter(|j| j.state == JobState::Dead)
            .count(),
        1
    );

    // The JSON API: a token is required; a viewer's token reads, an operator's acts.
    let api = reqwest::Client::new();
    // (method, path, bearer token): the status and the JSON body.
    let call = |method: reqwest::Method, path: String, token: Option<String>| {
        let req = api.request(method, server.url(&path));
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            (
                status,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    let (get, post) = (reqwest::Method::GET, reqwest::Method::POST);
    let url = server.url(&format!("/api/v1/messages/{id}"));
    assert_eq!(api.get(&url).send().await.unwrap().status().as_u16(), 401);
    // A human's session cookie is not an API token.
    let with_cookie = api
        .get(&url)
        .header("cookie", &alice.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status().as_u16(), 401);
    let message = format!("/api/v1/messages/{id}");
    let (status, _) = call(get.clone(), message, Some(viewer_token.clone())).await;
    assert_eq!(status, 200);
    let (_, search) = call(
        get.clone(),
        "/api/v1/messages?reference=PO-9".into(),
        Some(viewer_token.clone()),
    )
    .await;
    assert_eq!(search.as_array().map(Vec::len), Some(1), "{search}");
    assert_eq!(search[0]["id"].as_i64(), Some(id.get()));
    let cancel = format!("/api/v1/messages/{id}/cancel");
    assert_eq!(
        call(post.clone(), cancel.clone(), Some(viewer_token.clone()))
            .await
            .0,
        403
    );
    assert_eq!(
        call(post.clone(), cancel.clone(), Some("not-a-token".into()))
            .await
            .0,
        401
    );
    assert_eq!(call(post.clone(), cancel.clone(), None).await.0, 401);
    let (status, body) = call(post.clone(), cancel, Some(operator_token.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["done"], "cancelled");
    assert_eq!(
        messages::get(&store, id).await.unwrap().state,
        MessageState::Cancelled
    );
    assert!(
        jobs::for_message(&store, id)
            .await
            .unwrap()
            .iter()
            .all(|j| j.state == JobState::Done)
    );
    let (_, dead) = call(get, "/api/v1/dead-letters".into(), Some(viewer_token)).await;
    assert_eq!(
        dead.as_array().map(Vec::len),
        Some(0),
        "cancelled: no dead letter left"
    );

    // Pages refuse to be framed or to run script, and are not cached.
    let r = alice
        .http
        .get(server.url("/admin/messages"))
        .header("cookie", &alice.cookie)
        .send()
        .await
        .unwrap();
    let h = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(h("x-frame-options"), "DENY");
    assert!(h("content-security-policy").contains("default-src 'none'"));
    assert!(h("content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(h("cache-control"), "no-store");

    // Cookies: HttpOnly and SameSite=Strict always, Secure behind TLS.
    let mut b = Browser::new(server.url(""));
    let r = b.sign_in("alice", PASSWORD).await;
    let session = r
        .set_cookie
        .iter()
        .find(|c| c.starts_with("wharf_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    assert!(!session.contains("Secure"));
    let tls = b
        .send(
            b.http
                .get(server.url("/admin/signin"))
                .header("x-forwarded-proto", "https"),
        )
        .await;
    assert!(
        tls.set_cookie.iter().any(|c| c.contains("Secure")),
        "{:?}",
        tls.set_cookie
    );

    // Sign-in attempts are limited per address and user name: the sixth within a minute is
    // refused, even with the right password.
    let mut guesser = Browser::new(server.url(""));
    for i in 0..5 {
        let r = guesser.sign_in("gus", &format!("guess {i}")).await;
        assert_eq!(r.status, 401, "attempt {i}");
        assert!(r.body.contains("Wrong user name or password."));
    }
    let r = guesser.sign_in("gus", PASSWORD).await;
    assert_eq!(r.status, 429);
    assert!(r.body.contains("Too many sign-in attempts"));
    assert!(!r.set_cookie.iter().any(|c| c.starts_with("wharf_session=")));

    // Per client address: five wrong guesses for gus from another address (127.0.0.2) do
    // not stop gus signing in from his own (issue 17: anyone could lock the admin out).
    let mut elsewhere = Browser::new(server.url(""));
    elsewhere.http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let r = elsewhere.sign_in("gus", PASSWORD).await;
    assert_eq!(r.status, 303, "another address is not limited: {}", r.body);
}

on_both_backends!(every_page_and_action_refuses_strangers,);
