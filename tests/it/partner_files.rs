//! Issue 16, findings 13–16: partners' X12/EDIFACT files written for Wharf after public conventions (`tests/fixtures/issue16/`) — sound files with standard codes the old lists lacked are accepted, a partner's TA1 and CONTRL are read as acknowledgements of what Wharf sent (never answered), a self-contradicting 997 is flagged and read by its AK5s, lower case in UNOA is a per-partner choice, and DESADV keeps DTM times. Through the built binary; the pipeline parts on SQLite and PostgreSQL.

use std::time::Duration;

use crate::kit::{Db, TestEnv, wait_for};
use wharf::store::messages::{self, Filter};
use wharf::store::{Direction, EventKind, MessageId, MessageState};

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/issue16/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// `wharf ack FILE` as segments (X12 `~` or EDIFACT `'` terminated, newlines dropped).
fn ack_segments(env: &TestEnv, file: &str, terminator: char) -> Vec<String> {
    let (code, out, err) = env.run(&["ack", file]);
    assert_eq!(code, 0, "{err}");
    out.split(terminator)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

// Finding 13: element 98 (and the other lists real partners extend) no longer rejects.
#[tokio::test]
async fn sound_850_and_810_with_n1_ak_are_accepted() {
    let env = TestEnv::new(Db::Sqlite).await;
    for (file, group) in [("850_n1_ak.edi", "PO*161"), ("810_n1_ak.edi", "IN*162")] {
        let s = ack_segments(&env, &fixture(file), '~');
        assert!(s.contains(&format!("AK1*{group}")), "{file}: {s:?}");
        assert!(s.contains(&"AK5*A".to_owned()), "{file}: {s:?}");
        assert!(s.contains(&"AK9*A*1*1*1".to_owned()), "{file}: {s:?}");
        assert!(!s.iter().any(|x| x.starts_with("AK4")), "{file}: {s:?}");
        // N1*AK and N9*L1 are standard codes: not even a warning.
        let (code, _, err) = env.run(&["translate", &fixture(file)]);
        assert_eq!(code, 0, "{err}");
        assert!(!err.contains("warning"), "{file}: {err}");
    }
}

// Finding 14: a TA1-only interchange is not an error and gets no TA1 back, even when its
// ISA14 asks for one.
#[tokio::test]
async fn a_ta1_only_interchange_is_never_answered() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, out, err) = env.run(&["ack", &fixture("ta1_only.edi")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.trim().is_empty(), "nothing answers a TA1, got {out}");
    let (code, out, err) = env.run(&["translate", &fixture("ta1_only.edi")]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("error"), "{err}");
    let doc: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(doc["type"], "InterchangeAck");
    assert_eq!(
        (
            &doc["interchange_control"],
            &doc["verdict"],
            &doc["note_code"]
        ),
        (
            &serde_json::json!("000000001"),
            &serde_json::json!("Rejected"),
            &serde_json::json!("022")
        )
    );
}

// Finding 15: the AK9 that contradicts its AK5 is flagged and the AK5 wins.
#[tokio::test]
async fn an_inconsistent_997_is_read_by_its_ak5s() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, out, err) = env.run(&["translate", &fixture("997_inconsistent.edi")]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let g = &doc["groups"][0];
    assert_eq!(g["status"], "Rejected", "{g}");
    let notes = g["inconsistencies"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("AK901 says A but the AK5s say R")),
        "{notes:?}"
    );
}

// Finding 16: lower case in UNOA is taken with a warning by default (CONTRL action 7) and
// rejected with code 21 when the partner's profile says `repertoire = "reject"`; a control
// byte stays an error either way.
#[tokio::test]
async fn lower_case_in_unoa_follows_the_partner_profile() {
    let env = TestEnv::new(Db::Sqlite).await;
    let s = ack_segments(&env, &fixture("orders_unoa_lower.edi"), '\'');
    assert!(
        s.iter()
            .any(|x| x.starts_with("UCI+EF165+") && x.ends_with("+7")),
        "{s:?}"
    );
    assert!(
        s.contains(&"UCM+1+ORDERS:D:96A:UN:EAN008+7".to_owned()),
        "{s:?}"
    );
    let (code, out, err) = env.run(&["translate", &fixture("orders_unoa_lower.edi")]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("level B characters"), "{err}");
    assert!(out.contains("\"po_number\":\"PO-16-16\""), "{out}");

    // The strict profile: ISO 9735's answer.
    let profile = env.path().join("partners/eurofoods.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    let strict = text.replace(
        "charset = \"UNOC\"",
        "charset = \"UNOC\"\nrepertoire = \"reject\"",
    );
    assert_ne!(strict, text);
    std::fs::write(&profile, strict).unwrap();
    let s = ack_segments(&env, &fixture("orders_unoa_lower.edi"), '\'');
    assert!(
        s.contains(&"UCM+1+ORDERS:D:96A:UN:EAN008+4".to_owned()),
        "{s:?}"
    );
    assert!(s.iter().any(|x| x.starts_with("UCD+21+")), "{s:?}");

    // A control byte is outside every repertoire: rejected under the default too.
    std::fs::write(&profile, text).unwrap();
    let raw = std::fs::read(fixture("orders_unoa_lower.edi")).unwrap();
    let bad = String::from_utf8(raw)
        .unwrap()
        .replace("ring twice", "ring\x07twice");
    let f = env.file("bell.edi", bad.as_bytes());
    let s = ack_segments(&env, f.to_str().unwrap(), '\'');
    assert!(
        s.contains(&"UCM+1+ORDERS:D:96A:UN:EAN008+4".to_owned()),
        "{s:?}"
    );
    assert!(s.iter().any(|x| x.starts_with("UCD+21+")), "{s:?}");
}

// Finding 16: DESADV DTM+137 in format 203 keeps its time.
#[tokio::test]
async fn desadv_dtm_203_keeps_the_time() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, out, err) = env.run(&["translate", &fixture("desadv_dtm203.edi")]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(
        (&doc["date"], &doc["time"]),
        (&serde_json::json!("2026-11-26"), &serde_json::json!("1430"))
    );
    // A time that is not one is a fault, not a silent drop.
    let raw = std::fs::read_to_string(fixture("desadv_dtm203.edi")).unwrap();
    let f = env.file(
        "bad.edi",
        raw.replace("202611261430", "202611262561").as_bytes(),
    );
    let s = ack_segments(&env, f.to_str().unwrap(), '\'');
    assert!(
        s.contains(&"UCM+1+DESADV:D:96A:UN:EAN005+4".to_owned()),
        "{s:?}"
    );
}

fn canonical(env: &TestEnv, fixture: &str) -> serde_json::Value {
    let path = format!(
        "{}/tests/fixtures/x12/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, out, err) = env.run(&["translate", &path]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(out.lines().next().expect("one document")).unwrap()
}

async fn outbound(store: &wharf::store::Store) -> Vec<messages::Message> {
    let filter = Filter {
        direction: Some(Direction::Out),
        limit: 20,
        ..Filter::default()
    };
    messages::list(store, &filter).await.unwrap_or_default()
}

async fn history(store: &wharf::store::Store, id: MessageId) -> Vec<String> {
    wharf::store::events::for_message(store, id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.kind, e.detail.unwrap_or_default()))
        .collect()
}

// Findings 14 and 15 through the pipeline: a TA1, a self-contradicting 997 and a CONTRL
// each mark the message Wharf sent; none of them is answered.
async fn partners_ta1_997_and_contrl_mark_what_wharf_sent(db: Db) {
    // Arrange: two 856s to ACME (X12) and a DESADV to EuroFoods (EDIFACT), all sent.
    let env = TestEnv::new(db).await;
    let asn = canonical(&env, "856_sopi.edi");
    let f = env.file("asn.json", asn.to_string().as_bytes());
    for (partner, key) in [("acme", "one"), ("acme", "two"), ("eurofoods", "three")] {
        let (code, _, err) = env.run(&[
            "send",
            f.to_str().unwrap(),
            "--partner",
            partner,
            "--key",
            key,
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let server = env.serve();
    let store = env.store().await;
    let sent = wait_for(Duration::from_secs(30), "three sent", || async {
        let all = outbound(&store).await;
        (all.len() == 3 && all.iter().all(|m| m.state == MessageState::Sent)).then_some(all)
    })
    .await;
    let mut acme: Vec<&messages::Message> = sent
        .iter()
        .filter(|m| m.partner.as_deref() == Some("acme"))
        .collect();
    acme.sort_by_key(|m| m.id);
    let (first, second) = (acme[0], acme[1]);
    let desadv = sent
        .iter()
        .find(|m| m.partner.as_deref() == Some("eurofoods"))
        .unwrap();
    assert_eq!(desadv.doc_type.as_deref(), Some("DESADV"));
    let number =
        |m: &messages::Message| -> u32 { m.control_number.as_deref().unwrap().parse().unwrap() };

    // Act: ACME rejects the first interchange with a TA1 (note 022) in a TA1-only
    // interchange that asks for a TA1 back; it answers the second with a 997 whose AK9
    // accepts while its AK5 rejects; EuroFoods' CONTRL rejects the DESADV message (UCM 4).
    let ta1 = format!(
        "ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*WHARF          *261126*1300*U*00401*000000601*1*P*>~\n\
         TA1*{:09}*261126*1250*R*022~\nIEA*0*000000601~\n",
        number(first)
    );
    let n2 = number(second);
    let fa = format!(
        "ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*WHARF          *261126*1301*U*00401*000000602*0*P*>~\n\
         GS*FA*ACMERETAIL*WHARF*20261126*1301*602*X*004010~\nST*997*0001~\nAK1*SH*{n2}~\n\
         AK2*856*{n2:04}~\nAK5*R*5~\nAK9*A*1*1*1~\nSE*6*0001~\nGE*1*602~\nIEA*1*000000602~\n"
    );
    let contrl = format!(
        "UNA:+.? '\nUNB+UNOA:3+4012345000009:14+WHARF+261126:1302+EF603'\n\
         UNH+1+CONTRL:D:3:UN'\nUCI+{}+WHARF+4012345000009:14+7'\n\
         UCM+1+DESADV:D:96A:UN:EAN005+4+13'\nUNT+4+1'\nUNZ+1+EF603'\n",
        number(desadv)
    );
    for (partner, body) in [("acme", &ta1), ("acme", &fa), ("eurofoods", &contrl)] {
        let (status, b) = crate::kit::http(
            server.addr,
            "POST",
            &format!("/api/v1/partners/{partner}/messages"),
            body.as_bytes(),
        );
        assert_eq!(status, 202, "{b}");
    }

    // Assert: each message Wharf sent is rejected with the partner's reason.
    let (a, b, c) = (first.id, second.id, desadv.id);
    wait_for(
        Duration::from_secs(30),
        "acknowledgements applied",
        || async {
            let states = [
                messages::get(&store, a).await.ok()?.state,
                messages::get(&store, b).await.ok()?.state,
                messages::get(&store, c).await.ok()?.state,
            ];
            (states == [MessageState::Rejected; 3]).then_some(())
        },
    )
    .await;
    let err = |id| {
        let store = &store;
        async move {
            messages::get(store, id)
                .await
                .unwrap()
                .error
                .unwrap_or_default()
        }
    };
    let e = err(a).await;
    assert!(e.contains("TA1") && e.contains("note 022"), "{e}");
    let e = err(b).await;
    assert!(e.contains("856") && e.contains("codes 5"), "{e}");
    let e = err(c).await;
    assert!(e.contains("CONTRL") && e.contains("code 13"), "{e}");
    assert!(
        history(&store, a)
            .await
            .iter()
            .any(|h| h.starts_with("ack_received TA1 in message")),
        "{:?}",
        history(&store, a).await
    );

    // The 997's contradiction is on its own history; nothing is sent back for any of the
    // three (no TA1 for the TA1, no 997 for the 997, no CONTRL for the CONTRL).
    let inbound = wait_for(Duration::from_secs(30), "inbound completed", || async {
        let all = messages::list(
            &store,
            &Filter {
                direction: Some(Direction::In),
                limit: 10,
                ..Filter::default()
            },
        )
        .await
        .ok()?;
        (all.len() == 3 && all.iter().all(|m| m.state == MessageState::Completed)).then_some(all)
    })
    .await;
    let fa_msg = inbound
        .iter()
        .find(|m| m.control_number.as_deref() == Some("000000602"))
        .unwrap();
    let h = history(&store, fa_msg.id).await;
    assert!(
        h.iter().any(|e| e.starts_with(EventKind::Warning.as_str())
            && e.contains("inconsistent 997")
            && e.contains("AK901 says A")),
        "{h:?}"
    );
    for m in &inbound {
        assert!(
            messages::related(&store, m.id).await.unwrap().is_empty(),
            "message {} was answered: {:?}",
            m.id,
            history(&store, m.id).await
        );
    }
    assert_eq!(outbound(&store).await.len(), 3);
    drop(server);
}

on_both_backends!(partners_ta1_997_and_contrl_mark_what_wharf_sent);
