//! Collection from and delivery to partners' own servers, against real ones: pyftpdlib for
//! plain FTP, explicit and implicit FTPS (tests/peers/ftpd.py), and OpenSSH's sshd for SFTP.
//! Files are put into and checked in the servers' folders on disk, from the outside; every
//! test runs on SQLite and PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::kit::{Db, PortHold, TestEnv, pinnacle_856, segments, wait_for};
use wharf::store::messages::{self, Filter};
use wharf::store::{Channel, Direction, MessageState};

const PATIENCE: Duration = Duration::from_secs(40);

/// A real FTP server (pyftpdlib) serving `root` to user wharf / password "secret".
pub(crate) struct Ftpd {
    child: Child,
    pub(crate) port: u16,
    log: PathBuf,
}

#[derive(Clone, Copy)]
pub(crate) struct FtpOpts<'a> {
    /// "none", "explicit" or "implicit".
    tls: &'a str,
    port: u16,
    /// Bytes per second per transfer; 0 = as fast as it goes.
    throttle: u32,
    /// pyftpdlib permissions: without `d` the server refuses deletes.
    perm: &'a str,
}

pub(crate) const PLAIN: FtpOpts<'static> = FtpOpts {
    tls: "none",
    port: 0,
    throttle: 0,
    perm: "elradfmw",
};

impl FtpOpts<'static> {
    /// Plain FTP on a port chosen beforehand (one a test held closed until now).
    pub(crate) fn plain_on(port: u16) -> Self {
        FtpOpts { port, ..PLAIN }
    }
}

impl Ftpd {
    pub(crate) fn start(env: &TestEnv, root: &Path, o: FtpOpts<'_>) -> Ftpd {
        use std::io::BufRead;
        let log = env
            .path()
            .join(format!("ftpd-{}.log", uuid::Uuid::new_v4().simple()));
        let (cert, key) = server_cert(env.path());
        let mut child = Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/ftpd.py"))
            .args(["--root", root.to_str().unwrap()])
            .args(["--tls", o.tls, "--perm", o.perm])
            .args(["--port", &o.port.to_string()])
            .args(["--throttle", &o.throttle.to_string()])
            .args([
                "--cert",
                cert.to_str().unwrap(),
                "--key",
                key.to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .expect("python3 (the test command installs pyftpdlib)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "ftpd.py did not start (pip install pyftpdlib pyopenssl): {line}\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        Ftpd { child, port, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Ftpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private CA and a server certificate it signed for 127.0.0.1, made once per test
/// folder with the openssl CLI: (CA certificate, server certificate chain, server key).
fn server_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let (ca, ca_key) = (dir.join("ftp-ca.pem"), dir.join("ftp-ca-key.pem"));
    let (cert, key, csr) = (
        dir.join("ftp-cert.pem"),
        dir.join("ftp-key.pem"),
        dir.join("ftp.csr"),
    );
    if cert.exists() {
        return (cert, key);
    }
    let openssl = |args: &[&str]| {
        crate::kit::openssl(dir, args);
    };
    let p = |p: &Path| p.to_str().unwrap().to_owned();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Partner Test CA",
        "-keyout",
        &p(&ca_key),
        "-out",
        &p(&ca),
    ]);
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &p(&key),
        "-out",
        &p(&csr),
    ]);
    let ext = dir.join("ftp-ext.cnf");
    std::fs::write(
        &ext,
        "basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p(&csr),
        "-CA",
        &p(&ca),
        "-CAkey",
        &p(&ca_key),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &p(&ext),
        "-out",
        &p(&cert),
    ]);
    (cert, key)
}

/// The CA that signed the test servers' certificates (what a profile's `ca` names).
fn test_ca(dir: &Path) -> PathBuf {
    server_cert(dir);
    dir.join("ftp-ca.pem")
}

/// A folder tree for a partner's server: `outbound/` (Wharf collects) and `inbound/`
/// (Wharf delivers).
pub(crate) fn server_root(env: &TestEnv, name: &str) -> PathBuf {
    let root = env.path().join(name);
    std::fs::create_dir_all(root.join("outbound")).unwrap();
    std::fs::create_dir_all(root.join("inbound")).unwrap();
    root
}

/// Rewrites the sample Pinnacle profile's channels: `channels` replaces everything from the
/// commented-out server block (its first line names Pinnacle's SFTP server), or from the
/// `[[collect]]` an earlier call wrote, up to `[mapping]` (collect, deliver and outbound).
pub(crate) fn pinnacle_channels(env: &TestEnv, channels: &str) {
    let path = env.path().join("partners/pinnacle.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find("# Pinnacle's SFTP server.")
        .or_else(|| text.find("\n[[collect]]").map(|i| i + 1))
        .expect("sample has its commented-out server block");
    let end = text.find("[mapping]").expect("sample has [mapping]");
    std::fs::write(
        &path,
        format!("{}{channels}\n{}", &text[..start], &text[end..]),
    )
    .unwrap();
    let (code, out, err) = env.run(&["partners", "check"]);
    assert_eq!(code, 0, "profile after edit: {out}{err}");
}

/// `[[collect]]` from and `[[deliver]]` to `url`'s outbound/ and inbound/ folders.
pub(crate) fn both_ways(url: &str, extra_collect: &str, extra_both: &str) -> String {
    format!(
        "[[collect]]\nurl = \"{url}/outbound\"\nuser = \"wharf\"\nsecret = \"env:PINNACLE_FTP_PASSWORD\"\n\
         pattern = \"*.x12\"\nevery = \"10s\"\nsettle = \"0s\"\n{extra_collect}{extra_both}\n\
         [[deliver]]\nurl = \"{url}/inbound\"\nuser = \"wharf\"\nsecret = \"env:PINNACLE_FTP_PASSWORD\"\n{extra_both}\n\
         [outbound]\nchannel = \"deliver\"\n"
    )
}

pub(crate) async fn with_password(db: Db) -> TestEnv {
    let mut env = TestEnv::new(db).await;
    env.set_env("PINNACLE_FTP_PASSWORD", "secret");
    env
}

async fn inbound(env: &TestEnv) -> Vec<messages::Message> {
    crate::kit::messages_of(&env.store().await, "pinnacle", Direction::In, None).await
}

pub(crate) fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The 997s delivered into `inbound/`, once there are `n`.
async fn delivered_997s(root: &Path, n: usize) -> Vec<(String, Vec<u8>)> {
    let inbound = root.join("inbound");
    wait_for(PATIENCE, "997s delivered to the partner's server", || {
        let names = files_in(&inbound);
        let done: Vec<_> = names
            .iter()
            .filter(|n| n.starts_with("pinnacle_997_") && n.ends_with(".x12"))
            .cloned()
            .collect();
        let inbound = inbound.clone();
        async move {
            (done.len() >= n).then(|| {
                done.into_iter()
                    .map(|name| {
                        let bytes = std::fs::read(inbound.join(&name)).unwrap();
                        (name, bytes)
                    })
                    .collect()
            })
        }
    })
    .await
}

/// Plain FTP, end to end under `wharf serve`: the schedule collects what matches the
/// pattern (and only that), removes each file only once stored, collects a file dropped
/// later at the next round, and delivers each 997 under a temporary name renamed into place.
async fn ftp_collects_on_schedule_and_delivers_acknowledgements(db: Db) {
    let env = with_password(db).await;
    let root = server_root(&env, "pinnacle-ftp");
    std::fs::write(root.join("outbound/asn_1.x12"), pinnacle_856("000000301")).unwrap();
    std::fs::write(root.join("outbound/asn_2.x12"), pinnacle_856("000000302")).unwrap();
    std::fs::write(root.join("outbound/readme.txt"), b"not EDI").unwrap();
    let ftpd = Ftpd::start(&env, &root, PLAIN);
    pinnacle_channels(
        &env,
        &both_ways(&format!("ftp://127.0.0.1:{}", ftpd.port), "", ""),
    );
    let server = env.serve_process();

    let first = wait_for(PATIENCE, "two collected files stored", || async {
        let m = inbound(&env).await;
        (m.len() >= 2).then_some(m)
    })
    .await;
    assert_eq!(first.len(), 2, "{}", server.log());
    for m in &first {
        assert_eq!(m.channel, Channel::Ftp);
        assert!(m.filename.as_deref().unwrap().starts_with("asn_"));
    }
    // Stored, then removed; the file the pattern does not match stays.
    wait_for(PATIENCE, "collected files removed", || {
        let left = files_in(&root.join("outbound"));
        async move { (left == ["readme.txt"]).then_some(()) }
    })
    .await;
    let acks = delivered_997s(&root, 2).await;
    for (name, bytes) in &acks {
        let segs = segments(bytes);
        assert!(segs[0].starts_with("ISA*"), "{name}: {segs:?}");
        assert!(
            segs.iter().any(|s| s.starts_with("AK1*SH*")),
            "{name} acknowledges the 856 group: {segs:?}"
        );
        assert!(segs.iter().any(|s| s == "AK9*A*1*1*1"), "{segs:?}");
    }
    // Written as .NAME.part, then renamed: the server saw both, and no .part is left.
    let log = ftpd.log();
    let (name, _) = &acks[0];
    assert!(
        log.contains(&format!(
            "STOR {}",
            root.join("inbound").join(format!(".{name}.part")).display()
        )),
        "{log}"
    );
    assert!(log.contains("RNTO"), "{log}");
    assert!(
        files_in(&root.join("inbound"))
            .iter()
            .all(|n| !n.ends_with(".part"))
    );

    // A file dropped now is taken at the next round of the 10 s schedule.
    std::fs::write(root.join("outbound/asn_3.x12"), pinnacle_856("000000303")).unwrap();
    wait_for(
        Duration::from_secs(60),
        "the next scheduled round",
        || async { (inbound(&env).await.len() == 3).then_some(()) },
    )
    .await;
    delivered_997s(&root, 3).await;

    // The message's record names where its bytes came from, and the 997's where they went.
    let id = first[0].id.to_string();
    let (_, shown, _) = env.run(&["messages", "show", &id]);
    assert!(shown.contains("transfers"), "{shown}");
    assert!(
        shown.contains(&format!("in  ftp://127.0.0.1:{}/outbound/asn_", ftpd.port)),
        "{shown}"
    );
    assert!(shown.contains("collected from ftp://"), "{shown}");
    let store = env.store().await;
    let outbound =
        crate::kit::messages_of(&store, "pinnacle", Direction::Out, Some(MessageState::Sent)).await;
    assert_eq!(outbound.len(), 3);
    let (_, shown, _) = env.run(&["messages", "show", &outbound[0].id.to_string()]);
    assert!(
        shown.contains(&format!(
            "out ftp://127.0.0.1:{}/inbound/pinnacle_997_",
            ftpd.port
        )),
        "{shown}"
    );
    drop(server);
}

/// A file is removed from the server only after it is stored, and a file stored but not
/// removed (here the server refuses deletes) is never stored a second time: the next rounds
/// find it in the transfer records and only try the removal again.
async fn a_file_stored_but_not_removed_is_not_stored_again(db: Db) {
    let env = with_password(db).await;
    let root = server_root(&env, "pinnacle-ftp");
    let bytes = pinnacle_856("000000311");
    std::fs::write(root.join("outbound/asn.x12"), &bytes).unwrap();
    let hold = PortHold::new();
    let port = hold.port();
    let no_delete = FtpOpts {
        perm: "elrafmw",
        port,
        ..PLAIN
    };
    let ftpd = Ftpd::start(&env, &root, no_delete);
    pinnacle_channels(
        &env,
        &both_ways(&format!("ftp://127.0.0.1:{}", ftpd.port), "", ""),
    );
    let (code, out, err) = env.run(&["collect", "--partner", "pinnacle"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 collected"), "{out}");
    assert!(out.contains("1 not removed"), "{out}");
    let (code, out, err) = env.run(&["collect", "--partner", "pinnacle"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 collected, 1 already stored"), "{out}");
    assert_eq!(inbound(&env).await.len(), 1);
    assert_eq!(files_in(&root.join("outbound")), ["asn.x12"]);

    // The server allows deletes again: removed now, still one message, its bytes exact.
    ftpd.stop();
    let _f = Ftpd::start(&env, &root, FtpOpts { port, ..PLAIN });
    let (code, out, err) = env.run(&["collect", "--partner", "pinnacle"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("0 collected, 1 already stored, 0 left, 0 not removed"),
        "{out}"
    );
    assert!(files_in(&root.join("outbound")).is_empty());
    let msgs = inbound(&env).await;
    assert_eq!(msgs.len(), 1);
    let (_, raw, _) = env.run(&["messages", "show", &msgs[0].id.to_string(), "--raw"]);
    assert_eq!(raw.as_bytes(), &bytes[..]);
}

/// The server goes away in the middle of a download: nothing is stored and the file stays;
/// once the server is back the next round stores it whole, once.
async fn a_server_gone_mid_transfer_loses_nothing(db: Db) {
    let env = with_password(db).await;
    let root = server_root(&env, "pinnacle-ftp");
    // Over 2 MB at 100 kB/s: the download is far from done when the server dies.
    let mut big = Vec::new();
    let mut n = 400u32;
    while big.len() < 2_000_000 {
        big.extend_from_slice(&pinnacle_856(&format!("{n:09}")));
        n += 1;
    }
    std::fs::write(root.join("outbound/big.x12"), &big).unwrap();
    let hold = PortHold::new();
    let port = hold.port();
    let slow = FtpOpts {
        port,
        throttle: 100_000,
        ..PLAIN
    };
    let ftpd = Ftpd::start(&env, &root, slow);
    pinnacle_channels(&env, &both_ways(&format!("ftp://127.0.0.1:{port}"), "", ""));
    let collect = env
        .wharf()
        .args(["collect", "--partner", "pinnacle"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The server's debug log shows the RETR command and its 125/150 answer when the data
    // connection opens; the file is then being sent, for 20 s at this rate.
    wait_for(PATIENCE, "the download to start", || {
        let log = ftpd.log();
        let started =
            log.contains("<- RETR big.x12") && (log.contains("-> 150") || log.contains("-> 125"));
        async move { started.then_some(()) }
    })
    .await;
    ftpd.stop();
    let out = collect.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("failed"), "{text}");
    assert!(inbound(&env).await.is_empty(), "nothing stored: {text}");
    assert_eq!(files_in(&root.join("outbound")), ["big.x12"]);

    let _back = Ftpd::start(&env, &root, FtpOpts { port, ..PLAIN });
    let (code, out, err) = env.run(&["collect", "--partner", "pinnacle"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 collected"), "{out}");
    let msgs = inbound(&env).await;
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].size as usize, big.len());
    assert!(files_in(&root.join("outbound")).is_empty());
}

/// FTPS with explicit (AUTH TLS) and implicit TLS, trusting the server's certificate through
/// the profile's `ca`: a round collects and the 997 is delivered over TLS. Without the
/// certificate trusted, the handshake fails, nothing is collected and the file stays.
async fn ftps_explicit_and_implicit(db: Db) {
    let env = with_password(db).await;
    let cert = test_ca(env.path());
    for (mode, n) in [("explicit", 321), ("implicit", 322)] {
        let root = server_root(&env, &format!("pinnacle-{mode}"));
        std::fs::write(
            root.join("outbound/asn.x12"),
            pinnacle_856(&format!("{n:09}")),
        )
        .unwrap();
        let ftpd = Ftpd::start(&env, &root, FtpOpts { tls: mode, ..PLAIN });
        let url = format!("ftps://127.0.0.1:{}", ftpd.port);
        let tls = format!("tls = \"{mode}\"\n");

        // Not trusted: the system's roots do not know a self-signed certificate.
        pinnacle_channels(&env, &both_ways(&url, "", &tls));
        let (code, out, _) = env.run(&["collect", "--partner", "pinnacle"]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("TLS failed"), "{mode}: {out}");
        assert_eq!(files_in(&root.join("outbound")), ["asn.x12"]);

        let trusted = format!("{tls}ca = \"{}\"\n", cert.display());
        pinnacle_channels(&env, &both_ways(&url, "", &trusted));
        let (code, out, err) = env.run(&["collect", "--partner", "pinnacle"]);
        assert_eq!(code, 0, "{mode}: {out}{err}\n{}", ftpd.log());
        assert!(out.contains("1 collected"), "{mode}: {out}");
        assert!(files_in(&root.join("outbound")).is_empty());
        let server = env.serve();
        let acks = delivered_997s(&root, 1).await;
        assert!(
            segments(&acks[0].1)
                .iter()
                .any(|s| s.starts_with("AK1*SH*")),
            "{mode}"
        );
        // Data connections were protected: the server refuses clear ones (tls_data_required).
        assert!(!ftpd.log().contains("-> 522"), "{}", ftpd.log());
        drop(server);
    }
}

/// One partner's server being down never holds up another's: Pinnacle's deliveries retry
/// with backoff while Summit's, queued after them, are delivered; once Pinnacle's server is
/// up again its 997 arrives too.
async fn a_partner_server_down_does_not_block_others(db: Db) {
    let mut env = with_password(db).await;
    env.set_env("WHARF_PIPELINE__WORKERS", "1");
    // Two attempts only: waiting for a server that is away must not use them up.
    env.set_env("WHARF_PIPELINE__MAX_ATTEMPTS", "2");
    let hold = PortHold::new();
    let down_port = hold.port();
    let pinnacle_root = server_root(&env, "pinnacle-ftp");
    let summit_root = server_root(&env, "summit-ftp");
    let summit_ftpd = Ftpd::start(&env, &summit_root, PLAIN);
    pinnacle_channels(
        &env,
        &format!(
            "[[deliver]]\nurl = \"ftp://127.0.0.1:{down_port}/inbound\"\nuser = \"wharf\"\nsecret = \"env:PINNACLE_FTP_PASSWORD\"\n\n[outbound]\nchannel = \"deliver\"\n"
        ),
    );
    // Summit: a second supplier, Pinnacle's profile under another name and X12 id.
    let text = std::fs::read_to_string(env.path().join("partners/pinnacle.toml"))
        .unwrap()
        .replace("id = \"pinnacle\"", "id = \"summit\"")
        .replace("PINNACLESUP", "SUMMITSUPPLY")
        .replace("customer_ref = \"PINNACLE\"", "customer_ref = \"SUMMIT\"")
        .replace(
            &format!("127.0.0.1:{down_port}"),
            &format!("127.0.0.1:{}", summit_ftpd.port),
        );
    std::fs::write(env.path().join("partners/summit.toml"), text).unwrap();
    let summit_856 = String::from_utf8(pinnacle_856("000000332"))
        .unwrap()
        .replace("*ZZ*PINNACLESUP    *", "*ZZ*SUMMITSUPPLY   *")
        .replace("GS*SH*PINNACLESUP*", "GS*SH*SUMMITSUPPLY*");

    env.ingest_for("pinnacle", "p1.x12", &pinnacle_856("000000331"));
    env.ingest_for("summit", "s1.x12", summit_856.as_bytes());
    let server = env.serve();
    let summit_acks = summit_root.join("inbound");
    wait_for(PATIENCE, "Summit's 997 delivered", || {
        let names = files_in(&summit_acks);
        async move {
            names
                .iter()
                .any(|n| n.starts_with("summit_997_"))
                .then_some(())
        }
    })
    .await;
    let store = env.store().await;
    let pending = wait_for(PATIENCE, "Pinnacle's 997 retrying", || async {
        let m = messages::list(
            &store,
            &Filter {
                state: None,
                partner: Some("pinnacle".into()),
                direction: Some(Direction::Out),
                limit: 10,
            },
        )
        .await
        .unwrap();
        let first = m.first()?;
        let jobs = wharf::store::jobs::for_message(&store, first.id)
            .await
            .unwrap();
        let retries = wharf::store::events::for_message(&store, first.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == wharf::store::EventKind::RetryScheduled)
            .count();
        let waiting = jobs.iter().any(|j| {
            j.last_error
                .as_deref()
                .is_some_and(|e| e.contains("unreachable"))
        });
        (waiting && retries >= 3).then(|| (first.clone(), jobs))
    })
    .await;
    assert_ne!(pending.0.state, MessageState::Sent);
    assert_ne!(pending.0.state, MessageState::Failed);
    assert!(
        pending.1.iter().all(|j| j.attempts <= 1),
        "waiting does not use attempts: {:?}",
        pending.1
    );
    // The admin pages' channel health: Pinnacle's delivery failing, Summit's well.
    let deliver_health = |partner: &'static str| {
        let store = store.clone();
        async move {
            wharf::store::channel_health::list(&store, Some(partner))
                .await
                .unwrap()
                .into_iter()
                .find(|h| h.kind == wharf::store::ChannelKind::Deliver)
        }
    };
    let pinnacle = deliver_health("pinnacle").await.expect("recorded");
    assert!(pinnacle.consecutive_failures >= 1, "{pinnacle:?}");
    assert!(
        pinnacle
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("unreachable")),
        "{pinnacle:?}"
    );
    let summit = deliver_health("summit").await.expect("recorded");
    assert_eq!(summit.consecutive_failures, 0, "{summit:?}");

    // Pinnacle's server comes up on its port: the retry delivers.
    let _up = Ftpd::start(
        &env,
        &pinnacle_root,
        FtpOpts {
            port: down_port,
            ..PLAIN
        },
    );
    delivered_997s(&pinnacle_root, 1).await;
    wait_for(PATIENCE, "Pinnacle's delivery well again", || async {
        deliver_health("pinnacle")
            .await
            .filter(|h| h.consecutive_failures == 0 && h.last_success_at.is_some())
    })
    .await;
    drop(server);
}

/// A real OpenSSH sshd on a free port, serving the test's folders over SFTP to Wharf's client
/// key (`wharf partners client-key`), with host key `host_key`.
struct Sshd {
    child: Child,
    port: u16,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// sshd on `port`, or on a port picked here when `None`. sshd can neither bind port 0 and say
/// which port it got nor take a listening socket handed to it, so the port is picked by
/// binding port 0 and releasing it, and another process may take it before sshd binds: a
/// start whose bind fails (sshd exits, its log says so) is tried again, on a new port when
/// the port was picked here, on the same one (a server back at its address) otherwise.
fn sshd(env: &TestEnv, host_key: &Path, port: Option<u16>) -> Sshd {
    for _ in 0..20 {
        let port = port.unwrap_or_else(|| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a port on 127.0.0.1")
                .port()
        });
        if let Some(server) = sshd_on(env, host_key, port) {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("sshd found its port taken 20 times");
}

/// One start of sshd on `port`: `None` when the port was taken.
fn sshd_on(env: &TestEnv, host_key: &Path, port: u16) -> Option<Sshd> {
    let dir = env.path().join("sshd");
    std::fs::create_dir_all(&dir).unwrap();
    let (code, public, err) = env.run(&["partners", "client-key"]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(dir.join("authorized_keys"), public).unwrap();
    let _ = std::fs::create_dir_all("/run/sshd");
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}/sshd.pid\n\
             AuthorizedKeysFile {}/authorized_keys\nStrictModes no\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUsePAM no\n\
             Subsystem sftp internal-sftp\n",
            host_key.display(),
            dir.display(),
            dir.display()
        ),
    )
    .unwrap();
    let log = dir.join("sshd.log");
    let mut child = Command::new("/usr/sbin/sshd")
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .spawn()
        .expect("/usr/sbin/sshd (the test command installs openssh-server)");
    // Ready when it says it listens: a connection alone could reach another process that
    // took the port.
    let listening = format!("Server listening on 127.0.0.1 port {port}");
    for _ in 0..100 {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains(&listening) {
            return Some(Sshd { child, port });
        }
        if let Ok(Some(status)) = child.try_wait() {
            assert!(
                text.contains("Address already in use"),
                "sshd exited ({status}): {text}"
            );
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "sshd did not start: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

/// SFTP against OpenSSH's sshd with Wharf's client key: collection, delivery of the 997
/// (temporary name, renamed), the server's key remembered on first contact, and a server
/// that later shows another key refused before any login.
async fn sftp_collects_and_delivers_against_openssh(db: Db) {
    let env = TestEnv::new(db).await;
    let root = server_root(&env, "pinnacle-sftp");
    let user = String::from_utf8(Command::new("whoami").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_owned();
    let bytes = pinnacle_856("000000341");
    std::fs::write(root.join("outbound/asn.x12"), &bytes).unwrap();
    let host_key = crate::kit::ssh_keypair(env.path(), "sshd_host_key");
    let server = sshd(&env, &host_key, None);
    let server_port = server.port;
    let url = format!("sftp://127.0.0.1:{server_port}{}", root.display());
    pinnacle_channels(
        &env,
        &format!(
            "[[collect]]\nurl = \"{url}/outbound\"\nuser = \"{user}\"\npattern = \"*.x12\"\nsettle = \"0s\"\nafter = \"archive\"\n\n\
             [[deliver]]\nurl = \"{url}/inbound\"\nuser = \"{user}\"\n\n[outbound]\nchannel = \"deliver\"\n"
        ),
    );
    let (code, out, err) = env.run(&["collect", "--partner", "pinnacle"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 collected"), "{out}");
    // Archived on the server (after = "archive"), not deleted.
    assert!(files_in(&root.join("outbound")).is_empty());
    assert_eq!(
        std::fs::read(root.join("outbound/archive/asn.x12")).unwrap(),
        bytes
    );
    let msgs = inbound(&env).await;
    assert_eq!(msgs[0].channel, Channel::Sftp);

    let gateway = env.serve();
    let acks = delivered_997s(&root, 1).await;
    assert!(segments(&acks[0].1).iter().any(|s| s == "AK9*A*1*1*1"));
    // Stopped, not dropped: its collection rounds in hand finish first, so none of them
    // can take the next file through a session opened before the server changed.
    gateway.stop();
    let log = std::fs::read_to_string(env.path().join("sshd/sshd.log")).unwrap();
    assert!(log.contains("Accepted publickey"), "{log}");

    // The same address now answers with another host key: refused, nothing taken.
    drop(server);
    std::fs::write(root.join("outbound/asn2.x12"), pinnacle_856("000000342")).unwrap();
    let other_key = crate::kit::ssh_keypair(env.path(), "other_host_key");
    let _impostor = sshd(&env, &other_key, Some(server_port));
    let (code, out, _) = env.run(&["collect", "--partner", "pinnacle"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("wrong host key"), "{out}");
    assert_eq!(files_in(&root.join("outbound")), ["asn2.x12"]);
    let log = std::fs::read_to_string(env.path().join("sshd/sshd.log")).unwrap();
    assert!(
        !log.contains("Accepted publickey"),
        "no login on the impostor: {log}"
    );
}

on_both_backends!(
    ftp_collects_on_schedule_and_delivers_acknowledgements,
    a_file_stored_but_not_removed_is_not_stored_again,
    a_server_gone_mid_transfer_loses_nothing,
    ftps_explicit_and_implicit,
    a_partner_server_down_does_not_block_others,
    sftp_collects_and_delivers_against_openssh,
);
