//! The dashboard's per-day charts drawn from known data: three orders whose way to the ERP
//! took 1, 2 and 9 seconds, and three messages refused (one not EDI, two from a stranger),
//! each placed on a fixed day by back-dating its rows; the page must show each day's
//! median, 95th percentile and failures by state, in bars of the heights those numbers give.

use super::*;

const DAY: i64 = 86_400_000;

/// `YYYY-MM-DD` of a day number (days since the epoch, UTC).
fn date(day: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(day * 86_400).unwrap();
    t.date().to_string()
}

/// Posts `body` as ACME on the partner API; the new message's id.
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

async fn latency_and_failures_are_drawn_per_day(db: Db) {
    let env = TestEnv::new(db).await;
    add_user(&env, "vera", "viewer");
    let server = env.serve();
    let store = env.store().await;
    let orders: Vec<MessageId> = (0..3)
        .map(|i| {
            post(
                &server,
                &order_850_from("ACMERETAIL", 2201 + i, &format!("PO-C{i}")),
            )
        })
        .collect();
    let refused = [
        post(&server, b"this is not EDI at all"),
        post(&server, &order_850_from("STRANGER", 2301, "PO-S1")),
        post(&server, &order_850_from("STRANGER", 2302, "PO-S2")),
    ];
    for id in &orders {
        crate::kit::wait_state(&store, *id, MessageState::Delivered).await;
    }
    crate::kit::wait_state(&store, refused[0], MessageState::Rejected).await;
    for id in &refused[1..] {
        crate::kit::wait_state(&store, *id, MessageState::Quarantined).await;
    }
    // The 997s sent too: then nothing moves any more while rows are back-dated.
    wait_for(Duration::from_secs(30), "every 997 sent", || {
        let store = store.clone();
        let orders = orders.clone();
        async move {
            for id in orders {
                let related = messages::related(&store, id).await.ok()?;
                if related.is_empty() || related.iter().any(|r| r.state != MessageState::Sent) {
                    return None;
                }
            }
            Some(())
        }
    })
    .await;

    // The orders and their 997s arrived two days ago at noon, reaching the ERP 1, 2 and 9 s
    // later; the refusals came yesterday at noon. Nothing is left on today.
    let two_days_ago = wharf::store::now_ms() / DAY - 2;
    let yesterday = two_days_ago + 1;
    let noon = |day: i64| day * DAY + DAY / 2;
    let exec = |sql: &'static str, a: i64, b: i64| {
        let store = store.clone();
        async move {
            sqlx::query(sql)
                .bind(a)
                .bind(b)
                .execute(store.pool())
                .await
                .unwrap();
        }
    };
    let set_created = "UPDATE messages SET created_at = $1 WHERE id = $2";
    for (id, ms) in orders.iter().zip([1_000, 2_000, 9_000]) {
        exec(set_created, noon(two_days_ago), id.get()).await;
        exec(
            "UPDATE events SET at = $1 WHERE message_id = $2 AND kind = 'delivered'",
            noon(two_days_ago) + ms,
            id.get(),
        )
        .await;
        for ack in messages::related(&store, *id).await.unwrap() {
            exec(set_created, noon(two_days_ago), ack.id.get()).await;
        }
    }
    for id in refused {
        exec(set_created, noon(yesterday), id.get()).await;
    }

    let vera = signed_in(&server, "vera").await;
    let page = vera.get("/admin").await.body;
    let (old, new) = (date(two_days_ago), date(yesterday));
    // Yesterday is the first slot (x 0), two days ago the second (x 30) in every chart.
    assert!(
        page.contains(&format!("<title>{new}: 3 in, 0 out, 3 failed</title>")),
        "{page}"
    );
    // Nearest rank of 1, 2, 9 s: the median is the 2nd, the 95th percentile the 3rd; the
    // chart's top is the slowest p95 (9 s), so the median's bar is 2/9 of it.
    assert!(
        page.contains(&format!(
            "<g><title>{old}: 3 delivered, median 2.0 s, p95 9.0 s, max 9.0 s</title>\
             <rect x=\"34\" y=\"78\" width=\"10\" height=\"22\" fill=\"#0b5cad\"/>\
             <rect x=\"46\" y=\"0\" width=\"10\" height=\"100\" fill=\"#7aa7d6\"/></g>"
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<tr><td>{old}</td><td class=\"num\">3</td><td class=\"num\">2.0 s</td>\
             <td class=\"num\">9.0 s</td><td class=\"num\">9.0 s</td></tr>"
        )),
        "{page}"
    );
    assert!(page.contains("(the top line is 9.0 s)"), "{page}");
    // Nothing reached the ERP yesterday: no latency bar there.
    let latency_chart = &page[page.find("id=\"latency-chart\"").unwrap()..];
    let latency_chart = &latency_chart[..latency_chart.find("</svg>").unwrap()];
    assert!(
        !latency_chart.contains(&format!("<title>{new}")),
        "{latency_chart}"
    );
    // Yesterday's failures stacked: none failed, 1 rejected (a third), 2 quarantined.
    assert!(
        page.contains(&format!(
            "<g><title>{new}: 0 failed, 1 rejected, 2 quarantined</title>\
             <rect x=\"8\" y=\"100\" width=\"14\" height=\"0\" fill=\"#b42318\"/>\
             <rect x=\"8\" y=\"67\" width=\"14\" height=\"33\" fill=\"#dc6803\"/>\
             <rect x=\"8\" y=\"1\" width=\"14\" height=\"66\" fill=\"#6941c6\"/></g>"
        )),
        "{page}"
    );
    let failures_chart = &page[page.find("id=\"failures-chart\"").unwrap()..];
    let failures_chart = &failures_chart[..failures_chart.find("</svg>").unwrap()];
    assert!(
        !failures_chart.contains(&format!("<title>{old}")),
        "{failures_chart}"
    );
}

on_both_backends!(latency_and_failures_are_drawn_per_day);
