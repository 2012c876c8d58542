//! `/metrics` for files moved: a partner on Wharf's SFTP server with the real OpenSSH client
//! (a refused key, a session held open while it uploads, then downloads its 997), and
//! collection and delivery against a real FTP server (pyftpdlib). Each family is scraped
//! before and after, and moves by exactly what happened.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::*;
use crate::kit::{pinnacle_856, ssh_keypair};
use crate::transfers::{Ftpd, PLAIN, files_in, pinnacle_channels, server_root, with_password};
use wharf::store::{Channel, Direction};

/// `sftp -b -` as acme with `key`, its commands read from a pipe the test holds: the session
/// stays logged in until the pipe is closed.
fn held_sftp(addr: std::net::SocketAddr, key: &Path, cwd: &Path) -> Child {
    Command::new("sftp")
        .args(["-b", "-", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"])
        .args([
            "-o",
            "PasswordAuthentication=no",
            "-i",
            key.to_str().unwrap(),
        ])
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
        ])
        .args(["-o", "LogLevel=ERROR", "-P", &addr.port().to_string()])
        .arg(format!("acme@{}", addr.ip()))
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sftp (the test command installs OpenSSH)")
}

async fn sftp_logins_sessions_and_files_move_by_what_happened(db: Db) {
    let env = TestEnv::new(db).await;
    let token = add_token(&env, "prometheus", "viewer");
    let key = crate::sftp::acme_login(&env, "");
    let stranger = ssh_keypair(env.path(), "stranger_key");
    let server = env.serve();
    let addr = server.sftp.expect("the SFTP server runs");
    let store = env.store().await;
    let work = env.path().join("client");
    std::fs::create_dir_all(&work).unwrap();
    let po = order_850(811, "PO-811");
    std::fs::write(work.join("po.edi"), &po).unwrap();

    let before = scrape(&server, &token).await;
    // Every login series is written from the start, at zero.
    for method in ["key", "password"] {
        for outcome in ["accepted", "refused", "partner_limit", "server_limit"] {
            let series = [("method", method), ("outcome", outcome)];
            assert!(
                before
                    .samples
                    .iter()
                    .any(|s| s.name == "wharf_sftp_logins_total"
                        && series
                            .iter()
                            .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))),
                "{method} {outcome}: {:?}",
                before.samples
            );
        }
    }
    let delta = |after: &Scrape, name: &str, with: &[(&str, &str)]| {
        after.sum(name, with) - before.sum(name, with)
    };
    let acme = [("partner", "acme")];
    let received = [("partner", "acme"), ("direction", "received")];
    let sent = [("partner", "acme"), ("direction", "sent")];

    // A key no profile lists: one refused attempt, no session.
    let (code, out) = crate::sftp::sftp(addr, &stranger, &work, "ls\n");
    assert_ne!(code, 0, "{out}");

    // ACME logs in and uploads; its session stays open meanwhile.
    let mut client = held_sftp(addr, &key, &work);
    let mut commands = client.stdin.take().unwrap();
    commands.write_all(b"put po.edi inbox/po.edi\n").unwrap();
    let during = wait_for(PATIENCE, "the upload stored in an open session", || {
        let (server, token, delta) = (&server, &token, &delta);
        async move {
            let s = scrape(server, token).await;
            (delta(&s, "wharf_sftp_files_total", &received) == 1.0).then_some(s)
        }
    })
    .await;
    assert_eq!(during.sum("wharf_sftp_sessions_active", &acme), 1.0);
    assert_eq!(
        delta(&during, "wharf_sftp_sessions_opened_total", &acme),
        1.0
    );

    // Its 997 in the outbox: downloaded in the same session, which then ends.
    let ack = wait_for(PATIENCE, "the 997 in ACME's outbox", || {
        let store = store.clone();
        async move {
            let inbound = crate::kit::messages_of(&store, "acme", Direction::In, None).await;
            let upload = inbound.iter().find(|m| m.channel == Channel::Sftp)?;
            let related = messages::related(&store, upload.id).await.ok()?;
            related
                .into_iter()
                .find(|r| r.state == MessageState::Sent)
                .and_then(|r| r.filename)
        }
    })
    .await;
    writeln!(commands, "get outbox/{ack} ack.x12").unwrap();
    drop(commands);
    let out = client.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let ack_bytes = std::fs::read(work.join("ack.x12")).unwrap();

    let after = wait_for(PATIENCE, "the session ended", || {
        let (server, token) = (&server, &token);
        async move {
            let s = scrape(server, token).await;
            (s.sum("wharf_sftp_sessions_active", &acme) == 0.0).then_some(s)
        }
    })
    .await;
    let logins = |outcome: &str| {
        delta(
            &after,
            "wharf_sftp_logins_total",
            &[("method", "key"), ("outcome", outcome)],
        )
    };
    assert_eq!(logins("refused"), 1.0);
    assert_eq!(logins("accepted"), 1.0);
    assert_eq!(delta(&after, "wharf_sftp_logins_total", &[]), 2.0);
    assert_eq!(delta(&after, "wharf_sftp_sessions_opened_total", &[]), 1.0);
    assert_eq!(delta(&after, "wharf_sftp_files_total", &received), 1.0);
    assert_eq!(
        delta(&after, "wharf_sftp_bytes_total", &received),
        po.len() as f64
    );
    assert_eq!(delta(&after, "wharf_sftp_files_total", &sent), 1.0);
    assert_eq!(
        delta(&after, "wharf_sftp_bytes_total", &sent),
        ack_bytes.len() as f64
    );
    // The message families agree: one message received on the SFTP channel.
    assert_eq!(
        delta(
            &after,
            "wharf_messages_received_total",
            &[("partner", "acme"), ("channel", "sftp")]
        ),
        1.0
    );
    server.stop();
}

async fn ftp_collection_and_delivery_move_by_what_was_transferred(db: Db) {
    let mut env = with_password(db).await;
    env.set_env("PINNACLE_WRONG_PASSWORD", "not-the-password");
    let token = add_token(&env, "prometheus", "viewer");
    let root = server_root(&env, "pinnacle-ftp");
    let ftpd = Ftpd::start(&env, &root, PLAIN);
    let url = format!("ftp://127.0.0.1:{}", ftpd.port);
    // A folder collected every 10 s (the shortest schedule), one whose login the server refuses, and delivery.
    pinnacle_channels(
        &env,
        &format!(
            "[[collect]]\nurl = \"{url}/outbound\"\nuser = \"wharf\"\n\
             secret = \"env:PINNACLE_FTP_PASSWORD\"\npattern = \"*.x12\"\nevery = \"10s\"\nsettle = \"0s\"\n\n\
             [[collect]]\nurl = \"{url}/refused\"\nuser = \"wharf\"\n\
             secret = \"env:PINNACLE_WRONG_PASSWORD\"\npattern = \"*.x12\"\nevery = \"1h\"\nsettle = \"0s\"\n\n\
             [[deliver]]\nurl = \"{url}/inbound\"\nuser = \"wharf\"\nsecret = \"env:PINNACLE_FTP_PASSWORD\"\n\n\
             [outbound]\nchannel = \"deliver\"\n"
        ),
    );
    let server = env.serve();
    let before = scrape(&server, &token).await;
    let delta = |after: &Scrape, name: &str, with: &[(&str, &str)]| {
        after.sum(name, with) - before.sum(name, with)
    };

    // Two ship notices appear on the partner's server: collected, then each 997 delivered.
    let files = [pinnacle_856("000000401"), pinnacle_856("000000402")];
    std::fs::write(root.join("outbound/asn_1.x12"), &files[0]).unwrap();
    std::fs::write(root.join("outbound/asn_2.x12"), &files[1]).unwrap();
    let delivered = wait_for(PATIENCE, "two 997s in the partner's inbound folder", || {
        let inbound = files_in(&root.join("inbound"));
        async move {
            let acks: Vec<String> = inbound
                .into_iter()
                .filter(|n| n.starts_with("pinnacle_997_"))
                .collect();
            (acks.len() == 2).then_some(acks)
        }
    })
    .await;
    let delivered_bytes: usize = delivered
        .iter()
        .map(|n| std::fs::read(root.join("inbound").join(n)).unwrap().len())
        .sum();
    // The send stage records after the rename; wait until both are counted.
    fn transfers<'a>(direction: &'a str, outcome: &'a str) -> [(&'a str, &'a str); 4] {
        [
            ("partner", "pinnacle"),
            ("direction", direction),
            ("protocol", "ftp"),
            ("outcome", outcome),
        ]
    }
    let after = wait_for(PATIENCE, "both deliveries counted", || {
        let (server, token, delta) = (&server, &token, &delta);
        async move {
            let s = scrape(server, token).await;
            (delta(&s, "wharf_transfers_total", &transfers("deliver", "ok")) >= 2.0).then_some(s)
        }
    })
    .await;
    let bytes = |direction: &str| {
        delta(
            &after,
            "wharf_transfer_bytes_total",
            &[
                ("partner", "pinnacle"),
                ("direction", direction),
                ("protocol", "ftp"),
            ],
        )
    };
    assert_eq!(
        delta(&after, "wharf_transfers_total", &transfers("collect", "ok")),
        2.0
    );
    assert_eq!(bytes("collect"), (files[0].len() + files[1].len()) as f64);
    assert_eq!(
        delta(&after, "wharf_transfers_total", &transfers("deliver", "ok")),
        2.0
    );
    assert_eq!(bytes("deliver"), delivered_bytes as f64);
    // The refused folder: each of its rounds one failed transfer, counted as a refused login
    // (rounds repeat with backoff, so only that there was one and what it was).
    assert!(
        after.sum("wharf_transfers_total", &transfers("collect", "login")) >= 1.0,
        "{:?}",
        after.samples
    );
    let failures: Vec<&Sample> = after
        .samples
        .iter()
        .filter(|s| s.name == "wharf_transfers_total")
        .filter(|s| {
            s.labels
                .get("outcome")
                .is_some_and(|o| o != "ok" && o != "login")
        })
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    // Bounded labels: no series names a file or a folder.
    assert!(
        after.samples.iter().all(|s| s
            .labels
            .values()
            .all(|v| !v.contains("asn_") && !v.contains("ftp://"))),
        "{:?}",
        after.samples
    );
    server.stop();
    drop(ftpd);
}

on_both_backends!(
    sftp_logins_sessions_and_files_move_by_what_happened,
    ftp_collection_and_delivery_move_by_what_was_transferred,
);
