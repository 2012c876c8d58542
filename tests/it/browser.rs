//! The admin pages in a real browser: headless Chromium (Debian's `chromium`) driven by
//! playwright-core through `tests/browser/admin.mjs` against `wharf serve`. The script signs
//! in, finds a message by PO number, opens it, retries it (the order then shown as tables),
//! finds a stranger's order in quarantine and a partner's collection from a closed port
//! failing, chooses a time zone, edits a profile (valid and invalid) and signs out; this test then checks the effects from outside (the message
//! delivered, the profile file changed once) and that the screenshots were taken.
//! `onboarding.mjs` onboards a partner from the browser (see its test below).
//! `scripts/test` installs chromium and playwright-core (`npm ci` in tests/browser).

use crate::kit::PortHold;
use crate::kit::{Db, PASSWORD, TestEnv, add_user, blocked_env, dead_order, order_850_from};
use crate::transfers::{both_ways, pinnacle_channels};
use std::path::Path;
use wharf::store::MessageState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_works_through_the_pages_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script_dir = root.join("tests/browser");
    assert!(
        script_dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run `npm ci --prefix tests/browser` (scripts/test does)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: apt-get install chromium (scripts/test does)"
    );
    let mut env = TestEnv::new(Db::Sqlite).await;
    let blocker = blocked_env(&mut env);
    env.set_env("PINNACLE_FTP_PASSWORD", "secret");
    add_user(&env, "root", "admin");
    // Pinnacle's folders on a port nobody listens on: its collection fails.
    let closed = PortHold::new();
    pinnacle_channels(
        &env,
        &both_ways(&format!("ftp://127.0.0.1:{}", closed.port()), "", ""),
    );
    let server = env.serve_process();
    let id = dead_order(&env, &server, "PO-BROWSER-1", 31).await;
    let (status, body) = crate::kit::http(
        server.addr,
        "POST",
        "/api/v1/partners/acme/messages",
        &order_850_from("STRANGER", 32, "PO-BROWSER-Q"),
    );
    assert_eq!(status, 202, "{body}");
    let stranger = wharf::store::MessageId::new(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["message_id"]
            .as_i64()
            .unwrap(),
    );
    crate::kit::wait_state(&env.store().await, stranger, MessageState::Quarantined).await;
    // The cause of the failure is fixed before the operator retries.
    std::fs::remove_file(&blocker).unwrap();
    let profile = env.path().join("partners/acme.toml");
    let before = std::fs::read_to_string(&profile).unwrap();

    let shots = root.join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    // The onboarding test's screenshots are its own (it may run at the same time).
    for f in std::fs::read_dir(&shots).unwrap().flatten() {
        if !f.file_name().to_string_lossy().starts_with("onboarding-") {
            let _ = std::fs::remove_file(f.path());
        }
    }
    let out = tokio::task::spawn_blocking({
        let (base, shots, script_dir) = (server.url(""), shots.clone(), script_dir.clone());
        move || {
            std::process::Command::new("node")
                .arg(script_dir.join("admin.mjs"))
                .args([
                    &base,
                    &id.to_string(),
                    "PO-BROWSER-1",
                    shots.to_str().unwrap(),
                ])
                .env("WHARF_TEST_PASSWORD", PASSWORD)
                .env("CHROMIUM", &chromium)
                .current_dir(&script_dir)
                .output()
                .expect("run node")
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "browser script failed:\n{}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("browser checks passed"));

    // What the clicks did, seen from outside the browser.
    let store = env.store().await;
    let m = crate::kit::wait_state(&store, id, MessageState::Delivered).await;
    assert_eq!(m.reference.as_deref(), Some("PO-BROWSER-1"));
    let after = std::fs::read_to_string(&profile).unwrap();
    assert_eq!(
        after,
        before.replace("name = \"ACME Retail\"", "name = \"ACME Retail (browser)\""),
        "the valid edit saved, the invalid one not"
    );
    let history: Vec<_> = std::fs::read_dir(env.path().join("partners/.history/acme"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(history.len(), 1, "one earlier version kept");
    for name in [
        "signin",
        "dashboard",
        "dead-letters",
        "messages",
        "message",
        "message-retried",
        "partners",
        "partner",
        "partner-edit-refused",
        "order-tables",
        "quarantine",
        "channels",
        "partner-health",
        "account",
    ] {
        let png = std::fs::read(shots.join(format!("{name}.png"))).unwrap_or_default();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 5_000,
            "screenshot {name}.png"
        );
    }
}

/// An admin onboards an X12 partner in the browser (`tests/browser/onboarding.mjs`): the "New
/// partner" form from the acme sample, its SFTP public key uploaded, a passing dry run whose
/// verdict comes first; then this test uploads a real 850 over SFTP with that key, as the
/// partner would, and the browser sees the message on the partner's page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_onboards_a_partner_in_chromium() {
    use std::io::{BufRead, Write};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script_dir = root.join("tests/browser");
    assert!(
        script_dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run `npm ci --prefix tests/browser` (scripts/test does)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(Path::new(&chromium).exists(), "{chromium} is missing");
    let env = TestEnv::new(Db::Sqlite).await;
    add_user(&env, "root", "admin");
    let key = crate::kit::ssh_keypair(env.path(), "shopco_key");
    let test_file = env.file(
        "po-dry.edi",
        &crate::kit::order_850_from("SHOPCO", 1, "PO-DRY-1"),
    );
    let work = env.path().join("client");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(
        work.join("po.edi"),
        crate::kit::order_850_from("SHOPCO", 2, "PO-ONBOARD-1"),
    )
    .unwrap();
    let server = env.serve_process();
    let sftp_addr = server.sftp.expect("the SFTP server runs");
    let shots = root.join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for f in std::fs::read_dir(&shots).unwrap().flatten() {
        if f.file_name().to_string_lossy().starts_with("onboarding-") {
            let _ = std::fs::remove_file(f.path());
        }
    }
    let (code, stdout, stderr) = tokio::task::spawn_blocking({
        let (base, shots, key) = (server.url(""), shots.clone(), key.clone());
        let public = key.with_extension("pub");
        move || {
            let mut node = std::process::Command::new("node")
                .arg(script_dir.join("onboarding.mjs"))
                .args([&base, shots.to_str().unwrap()])
                .arg(&public)
                .arg(&test_file)
                .env("WHARF_TEST_PASSWORD", PASSWORD)
                .env("CHROMIUM", &chromium)
                .current_dir(&script_dir)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("run node");
            let mut stdin = node.stdin.take();
            let mut seen = String::new();
            let mut out = std::io::BufReader::new(node.stdout.take().unwrap());
            let mut line = String::new();
            while out.read_line(&mut line).unwrap_or(0) > 0 {
                seen.push_str(&line);
                if line.trim() == "upload now" {
                    // The partner's client, with the key the browser uploaded.
                    let put = std::process::Command::new("sftp")
                        .args(["-b", "-", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"])
                        .args(["-o", "StrictHostKeyChecking=no", "-o", "LogLevel=ERROR"])
                        .args(["-o", "UserKnownHostsFile=/dev/null", "-i"])
                        .arg(&key)
                        .args(["-P", &sftp_addr.port().to_string()])
                        .arg(format!("shopco@{}", sftp_addr.ip()))
                        .current_dir(&work)
                        .stdin(std::process::Stdio::piped())
                        .stdout(std::process::Stdio::piped())
                        .stderr(std::process::Stdio::piped())
                        .spawn()
                        .and_then(|mut c| {
                            c.stdin
                                .take()
                                .unwrap()
                                .write_all(b"put po.edi inbox/po.edi\n")?;
                            c.wait_with_output()
                        })
                        .expect("sftp");
                    seen.push_str(&format!(
                        "sftp: {} {}{}\n",
                        put.status,
                        String::from_utf8_lossy(&put.stdout),
                        String::from_utf8_lossy(&put.stderr)
                    ));
                    // Said once, then closed: the script stops reading and can end.
                    if let Some(mut i) = stdin.take() {
                        let _ = i.write_all(b"uploaded\n");
                    }
                }
                line.clear();
            }
            let done = node.wait_with_output().expect("node");
            (
                done.status.code().unwrap_or(-1),
                seen,
                String::from_utf8_lossy(&done.stderr).into_owned(),
            )
        }
    })
    .await
    .unwrap();
    assert!(
        code == 0 && stdout.contains("browser checks passed"),
        "browser script failed:\n{stdout}\n{stderr}\nserver log:\n{}",
        server.log()
    );
    assert!(stdout.contains("sftp: exit status: 0"), "{stdout}");

    // What the clicks did, seen from outside the browser: the profile, its history, the message.
    let profile = std::fs::read_to_string(env.path().join("partners/shopco.toml")).unwrap();
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let key_data = public.split_whitespace().nth(1).unwrap();
    assert!(profile.contains(key_data), "{profile}");
    assert!(profile.contains("id = \"SHOPCO\""), "{profile}");
    let store = env.store().await;
    let inbound =
        crate::kit::messages_of(&store, "shopco", wharf::store::Direction::In, None).await;
    assert!(
        inbound
            .iter()
            .any(|m| m.reference.as_deref() == Some("PO-ONBOARD-1")),
        "{inbound:?}"
    );
    for name in [
        "new-form",
        "created",
        "bad-key",
        "key-added",
        "dry-run",
        "first-message",
    ] {
        let png = std::fs::read(shots.join(format!("onboarding-{name}.png"))).unwrap_or_default();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 5_000,
            "screenshot onboarding-{name}.png"
        );
    }
}
