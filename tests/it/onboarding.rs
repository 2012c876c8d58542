//! Onboarding from the command line, as an operator does it: `wharf partners new` from every
//! sample passes `wharf partners check`; `add-key` gives the partner a login on Wharf's SFTP
//! server that a real OpenSSH client then uses to drop an 850; a bad key is refused with a
//! precise error and the profile left as it was; `set-password` writes only a hash.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::kit::{Db, TestEnv, order_850_from, ssh_keypair, wait_for};
use wharf::store::{Channel, Direction};

const TEMPLATES: [&str; 5] = ["acme", "eurofoods", "globex", "procurenet", "pinnacle"];

#[tokio::test]
async fn a_profile_from_every_sample_passes_the_check() {
    let env = TestEnv::new(Db::Sqlite).await;
    for (n, t) in TEMPLATES.iter().enumerate() {
        let id = format!("partner-{n}");
        let (code, out, err) = env.run(&["partners", "new", &id, "--from", t, "--name", "New Co"]);
        assert_eq!(code, 0, "{t}: {err}");
        let path = env.path().join(format!("partners/{id}.toml"));
        assert_eq!(
            out.trim(),
            path.display().to_string(),
            "the path is printed"
        );
        assert!(err.contains("next:") && err.contains("To do"), "{err}");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("name = \"New Co\""), "{text}");
    }
    let (code, out, err) = env.run(&["partners", "check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("10 profile(s) loaded, 0 problem(s)"), "{out}");

    // An id that exists is refused and its file left alone.
    let acme = std::fs::read(env.path().join("partners/acme.toml")).unwrap();
    let (code, _, err) = env.run(&["partners", "new", "acme", "--from", "globex"]);
    assert_eq!(code, 2);
    assert!(err.contains("partner `acme` already exists"), "{err}");
    assert_eq!(
        std::fs::read(env.path().join("partners/acme.toml")).unwrap(),
        acme
    );
    // An id another profile's identity would clash with is refused too, nothing written.
    let (code, _, err) = env.run(&[
        "partners",
        "new",
        "twin",
        "--from",
        "acme",
        "--x12-id",
        "ACMERETAIL",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("ACMERETAIL"), "{err}");
    assert!(!env.path().join("partners/twin.toml").exists());
}

/// `wharf partners ARGS` with `input` on standard input (a pipe, not a terminal).
fn run_with_input(env: &TestEnv, args: &[&str], input: &[u8]) -> (i32, String, String) {
    let mut child = env
        .wharf()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_key_logs_in_over_sftp_and_a_bad_key_changes_nothing() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, _, err) = env.run(&["partners", "new", "shopco", "--from", "acme"]);
    assert_eq!(code, 0, "{err}");
    let profile = env.path().join("partners/shopco.toml");

    // Bad keys: refused with the reason, the profile byte for byte as it was.
    let before = std::fs::read(&profile).unwrap();
    let bad = env.file("bad.pub", b"ssh-dss AAAAB3NzaC1kc3MAAACBAP== old\n");
    let (code, _, err) = env.run(&["partners", "add-key", "shopco", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("not an OpenSSH public key: `ssh-dss` is not an SSH public key type"),
        "{err}"
    );
    let key = ssh_keypair(env.path(), "shopco_key");
    let private = std::fs::read(&key).unwrap();
    let (code, _, err) = run_with_input(&env, &["partners", "add-key", "shopco", "-"], &private);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("this is a private key"), "{err}");
    assert_eq!(std::fs::read(&profile).unwrap(), before, "nothing written");
    assert!(!env.path().join("partners/.history/shopco").exists());

    // The real key, from standard input.
    let public = std::fs::read(key.with_extension("pub")).unwrap();
    let (code, out, err) = run_with_input(&env, &["partners", "add-key", "shopco", "-"], &public);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("added SHA256:"), "{out}");
    let (code, out, err) = env.run(&["partners", "check"]);
    assert_eq!(code, 0, "{out}{err}");
    let history: Vec<_> = std::fs::read_dir(env.path().join("partners/.history/shopco"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(
        history.len(),
        1,
        "the scaffold kept as the previous version"
    );

    // The partner logs in with it and drops an order.
    let server = env.serve();
    let addr = server.sftp.expect("the SFTP server runs");
    let work = env.path().join("client");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("po.edi"), order_850_from("SHOPCO", 901, "PO-901")).unwrap();
    let out = Command::new("sftp")
        .args([
            "-b",
            "-",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "PasswordAuthentication=no",
        ])
        .args(["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"])
        .args([
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-i",
        ])
        .arg(&key)
        .args([
            "-P",
            &addr.port().to_string(),
            &format!("shopco@{}", addr.ip()),
        ])
        .current_dir(&work)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin
                .take()
                .unwrap()
                .write_all(b"put po.edi inbox/po.edi\n")?;
            c.wait_with_output()
        })
        .expect("sftp (the test command installs it)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let store = env.store().await;
    let m = wait_for(Duration::from_secs(30), "shopco's order", || {
        let store = store.clone();
        async move {
            crate::kit::messages_of(&store, "shopco", Direction::In, None)
                .await
                .into_iter()
                .find(|m| m.reference.as_deref() == Some("PO-901"))
        }
    })
    .await;
    assert_eq!(m.channel, Channel::Sftp);
}

#[tokio::test]
async fn set_password_writes_only_its_hash() {
    let env = TestEnv::new(Db::Sqlite).await;
    let (code, _, err) = run_with_input(&env, &["partners", "set-password", "nobody"], b"pw\n");
    assert_eq!(code, 2);
    assert!(err.contains("no profile for partner `nobody`"), "{err}");
    let (code, out, err) = run_with_input(
        &env,
        &["partners", "set-password", "acme"],
        b"correct horse\n",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("set acme's SFTP password"), "{out}");
    let text = std::fs::read_to_string(env.path().join("partners/acme.toml")).unwrap();
    assert!(!text.contains("correct horse"));
    let (partners, problems) = wharf::partners::Partners::load(&env.path().join("partners"));
    assert!(problems.is_empty(), "{problems:?}");
    let sftp = partners.get("acme").unwrap().channels.sftp.clone().unwrap();
    assert!(sftp.password_matches("correct horse"));
}
