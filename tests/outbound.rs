//! Business documents out: a canonical ship notice and order acknowledgement queued with
//! `wharf send`, encoded with the partner's own gap-free ISA13/GS06/ST02 sequences, written to
//! its outbox, and read back by the gateway's own reader into the same canonical documents.
//! On SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use common::{Db, TestEnv, wait_for};
use wharf::store::messages::{self, Filter};
use wharf::store::{Direction, MessageState};

fn canonical(env: &TestEnv, fixture: &str) -> serde_json::Value {
    let path = format!(
        "{}/tests/fixtures/x12/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, out, err) = env.run(&["translate", &path]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(out.lines().next().expect("one document")).unwrap()
}

fn without_source(mut v: serde_json::Value) -> serde_json::Value {
    v.as_object_mut().unwrap().remove("source");
    v
}

async fn documents_go_out_once_with_sequential_control_numbers(db: Db) {
    // Arrange: canonical documents, as the ERP connector will produce them.
    let env = TestEnv::new(db).await;
    let asn = canonical(&env, "856_sopi.edi");
    let ack = canonical(&env, "855_accept.edi");
    let asn_file = env.file("asn.json", asn.to_string().as_bytes());
    let ack_file = env.file("ack.json", ack.to_string().as_bytes());

    // Act: queue the 856 twice (same key: one message) and the 855 once.
    let (code, out, err) = env.run(&["send", asn_file.to_str().unwrap(), "--partner", "acme"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("queued for acme (key SHIP-9)"), "{out}");
    let (code, out, _) = env.run(&["send", asn_file.to_str().unwrap(), "--partner", "acme"]);
    assert_eq!(code, 0);
    assert!(out.contains("already queued"), "{out}");
    let (code, _, err) = env.run(&["send", ack_file.to_str().unwrap(), "--partner", "acme"]);
    assert_eq!(code, 0, "{err}");
    let _server = env.serve();
    let store = env.store().await;
    let sent = wait_for(Duration::from_secs(30), "both documents sent", || async {
        let all = messages::list(
            &store,
            &Filter {
                direction: Some(Direction::Out),
                limit: 10,
                ..Filter::default()
            },
        )
        .await
        .ok()?;
        (all.len() == 2 && all.iter().all(|m| m.state == MessageState::Sent)).then_some(all)
    })
    .await;

    // Assert: each document's ISA13, GS06 and ST02 agree, and together they are 1 and 2 (in
    // whichever order the workers encoded them); the bytes read back to the same documents.
    let mut numbers: Vec<u32> = Vec::new();
    for m in &sent {
        let (doc_type, original) = match m.doc_type.as_deref() {
            Some("856") => ("856", &asn),
            Some("855") => ("855", &ack),
            other => panic!("unexpected {other:?}"),
        };
        let n: u32 = m.control_number.as_deref().unwrap().parse().unwrap();
        numbers.push(n);
        assert_eq!(m.doc_type.as_deref(), Some(doc_type));
        assert_eq!(
            m.control_number.as_deref(),
            Some(format!("{n:09}").as_str())
        );
        let path = env
            .path()
            .join("data/outbox/acme")
            .join(m.filename.as_deref().unwrap());
        let bytes = std::fs::read(&path).expect("written to the outbox");
        assert_eq!(bytes, messages::raw(&store, m.id).await.unwrap());
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.starts_with(
                "ISA*00*          *00*          *ZZ*WHARF          *ZZ*ACMERETAIL     *"
            ),
            "{text}"
        );
        assert!(text.contains(&format!("*{n:09}*0*P*:~")), "{text}");
        assert!(
            text.contains(&format!("*{n}*X*004010~")),
            "GS06 {n}: {text}"
        );
        assert!(
            text.contains(&format!("ST*{doc_type}*{n:04}~")),
            "ST02 {n}: {text}"
        );
        let (code, out, err) = env.run(&["translate", path.to_str().unwrap()]);
        assert_eq!(
            code, 0,
            "{doc_type} as written must read back cleanly: {err}"
        );
        let back: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        assert_eq!(
            without_source(back),
            without_source(original.clone()),
            "{doc_type} round trip"
        );
    }
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2], "gap-free, never reused");
    let asn_msg = sent
        .iter()
        .find(|m| m.doc_type.as_deref() == Some("856"))
        .unwrap();
    let asn_bytes = std::fs::read(
        env.path()
            .join("data/outbox/acme")
            .join(asn_msg.filename.as_deref().unwrap()),
    )
    .unwrap();
    assert!(
        String::from_utf8(asn_bytes)
            .unwrap()
            .contains("MAN*GM*106141412345678908~")
    );
}

on_both_backends!(documents_go_out_once_with_sequential_control_numbers);
