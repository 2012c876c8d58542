//! AS2 in `/metrics`: the MDNs Wharf sends counted by partner and disposition, and a resent
//! Message-ID answered (a warning MDN) without counting a second message received.

use super::*;

/// `GET /metrics` (opened by `[http] metrics_open` for the test) as text.
async fn metrics_text(server: &crate::kit::Endpoint) -> String {
    let resp = reqwest::get(server.url("/metrics"))
        .await
        .expect("/metrics");
    assert_eq!(resp.status().as_u16(), 200);
    resp.text().await.unwrap()
}

/// The value of the sample written exactly as `series` (name and labels), if any.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn mdns_sent_are_counted_by_disposition(db: Db) {
    let mut w = As2World::new(db, &["globex"], true, true).await;
    w.env.set_env("WHARF_HTTP__METRICS_OPEN", "true");
    let server = w.env.serve();
    let (entity, _) = payload("PO-METRICS");
    let built = build(&w.dir, &entity, PLAIN);
    let first = post(&server, &built, "<m@globex>", Some(SIGNED_SHA256), &[]).await;
    assert!(first.verified_report(&w.dir).contains("; processed\r\n"));
    let again = post(&server, &built, "<m@globex>", Some(SIGNED_SHA256), &[]).await;
    assert!(
        again
            .verified_report(&w.dir)
            .contains("processed/warning: duplicate-document\r\n")
    );
    let text = metrics_text(&server).await;
    let mdns = |disposition: &str| {
        value(
            &text,
            &format!(
                "wharf_as2_mdns_total{{partner=\"globex\",direction=\"sent\",disposition=\"{disposition}\"}}"
            ),
        )
    };
    assert_eq!(mdns("processed"), Some(1.0), "{text}");
    assert_eq!(mdns("warning"), Some(1.0), "{text}");
    assert_eq!(mdns("error"), None, "{text}");
    assert_eq!(
        value(
            &text,
            "wharf_messages_received_total{partner=\"globex\",channel=\"as2\"}"
        ),
        Some(1.0),
        "{text}"
    );
    drop(server);
}

on_both_backends!(mdns_sent_are_counted_by_disposition);
