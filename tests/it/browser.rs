//! The admin pages in a real browser: headless Chromium (Debian's `chromium`) driven by
//! playwright-core through `tests/browser/admin.mjs` against `wharf serve`. The script signs
//! in, finds a message by PO number, opens it, retries it, edits a profile (valid and
//! invalid) and signs out; this test then checks the effects from outside (the message
//! delivered, the profile file changed once) and that the screenshots were taken.
//! `scripts/test` installs chromium and playwright-core (`npm ci` in tests/browser).

use crate::kit::{Db, PASSWORD, TestEnv, add_user, blocked_env, dead_order};
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
    add_user(&env, "root", "admin");
    let server = env.serve_process();
    let id = dead_order(&env, &server, "PO-BROWSER-1", 31).await;
    // The cause of the failure is fixed before the operator retries.
    std::fs::remove_file(&blocker).unwrap();
    let profile = env.path().join("partners/acme.toml");
    let before = std::fs::read_to_string(&profile).unwrap();

    let shots = root.join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for f in std::fs::read_dir(&shots).unwrap().flatten() {
        let _ = std::fs::remove_file(f.path());
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
    ] {
        let png = std::fs::read(shots.join(format!("{name}.png"))).unwrap_or_default();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 5_000,
            "screenshot {name}.png"
        );
    }
}
