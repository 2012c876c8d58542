//! Wharf's SFTP server with the real OpenSSH `sftp` client in batch mode: a partner logs in
//! with its key, uploads to `inbox/` (a message, then a 997 in `outbox/`), downloads and
//! deletes from `outbox/`; everything outside its two folders, and a key not in its profile,
//! is refused. On SQLite and PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::kit::{Db, TestEnv, order_850, wait_for};
use wharf::store::messages;
use wharf::store::{Channel, MessageState};

const PATIENCE: Duration = Duration::from_secs(30);

use crate::kit::ssh_keypair as keypair;

/// Runs `program args… -P port acme@host` in `cwd` with `commands` on standard input;
/// (exit code, stdout + stderr).
fn run_client(
    program: &str,
    args: &[&str],
    addr: std::net::SocketAddr,
    cwd: &Path,
    commands: &str,
) -> (i32, String) {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
        ])
        .args(["-o", "LogLevel=ERROR", "-P", &addr.port().to_string()])
        .arg(format!("acme@{}", addr.ip()))
        .current_dir(cwd)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} (the test command installs it): {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(commands.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// `sftp -b -` as acme with `key` only.
pub(crate) fn sftp(
    addr: std::net::SocketAddr,
    key: &Path,
    cwd: &Path,
    commands: &str,
) -> (i32, String) {
    let key = key.to_str().unwrap();
    let args = [
        "-b",
        "-",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "PasswordAuthentication=no",
        "-o",
        "BatchMode=yes",
        "-i",
        key,
    ];
    run_client("sftp", &args, addr, cwd, commands)
}

/// Gives acme's `[sftp]` a fresh key pair (and the `extra` lines, e.g. `confirm = "archive"`);
/// returns the private key's path.
/// ACME's inbound messages, newest first.
async fn acme_inbound(env: &TestEnv) -> Vec<messages::Message> {
    crate::kit::messages_of(
        &env.store().await,
        "acme",
        wharf::store::Direction::In,
        None,
    )
    .await
}

pub(crate) fn acme_login(env: &TestEnv, extra: &str) -> PathBuf {
    let key = keypair(env.path(), "acme_key");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let profile = env.path().join("partners/acme.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    let start = text.find("keys = [").unwrap();
    let end = start + text[start..].find(']').unwrap() + 1;
    let text = format!(
        "{}keys = [\"{}\"]\n{extra}{}",
        &text[..start],
        public.trim(),
        &text[end..]
    );
    std::fs::write(&profile, text).unwrap();
    key
}

async fn a_partner_drops_orders_and_collects_acknowledgements_over_sftp(db: Db) {
    let env = TestEnv::new(db).await;
    let key = acme_login(&env, "");
    let server = env.serve();
    let addr = server.sftp.expect("the SFTP server runs");
    let store = env.store().await;
    let work = env.path().join("client");
    std::fs::create_dir_all(&work).unwrap();
    let po = order_850(801, "PO-801");
    std::fs::write(work.join("po.edi"), &po).unwrap();

    // Upload: stored before the close is answered, then the usual path to a 997.
    let (code, out) = sftp(addr, &key, &work, "put po.edi inbox/po.edi\n");
    assert_eq!(code, 0, "{out}");
    let all = messages::list(
        &store,
        &messages::Filter {
            state: None,
            partner: Some("acme".into()),
            direction: None,
            limit: 10,
        },
    )
    .await
    .unwrap();
    let inbound: Vec<_> = all.iter().filter(|m| m.channel == Channel::Sftp).collect();
    assert_eq!(inbound.len(), 1, "stored before `put` returned: {all:?}");
    assert_eq!(inbound[0].filename.as_deref(), Some("po.edi"));
    assert_eq!(messages::raw(&store, inbound[0].id).await.unwrap(), po);
    let id = inbound[0].id;
    let ack = wait_for(PATIENCE, "the 997 in the outbox", || async {
        let m = messages::get(&store, id).await.ok()?;
        let related = messages::related(&store, id).await.ok()?;
        (m.state == MessageState::Delivered)
            .then(|| related.into_iter().find(|r| r.state == MessageState::Sent))
            .flatten()
    })
    .await;
    let name = ack.filename.clone().unwrap();

    // The outbox lists it; the partner downloads it, then deletes it to confirm.
    let (code, out) = sftp(addr, &key, &work, "ls -1 outbox\n");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&name), "{out}");
    // Listed with the time it was written, not 1 January 1970 (OpenSSH's `ls -l`).
    let (code, out) = sftp(addr, &key, &work, "ls -l outbox\n");
    assert_eq!(code, 0, "{out}");
    let line = out.lines().find(|l| l.contains(&name)).expect("listed");
    let month = std::process::Command::new("date")
        .env("LC_ALL", "C")
        .arg("-u")
        .arg("+%b")
        .output()
        .unwrap();
    let month = String::from_utf8_lossy(&month.stdout).trim().to_string();
    assert!(!line.contains("1970") && line.contains(&month), "{line}");
    let (code, out) = sftp(
        addr,
        &key,
        &work,
        &format!("get outbox/{name} ack.x12\nrm outbox/{name}\n"),
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read(work.join("ack.x12")).unwrap(),
        messages::raw(&store, ack.id).await.unwrap()
    );
    assert!(
        !env.path().join("data/outbox/acme").join(&name).exists(),
        "deleted from the outbox"
    );

    // Everything outside the partner's two folders is refused.
    std::fs::write(work.join("x.edi"), b"x").unwrap();
    for refused in [
        "get /etc/passwd p\n",
        "get ../../../../etc/passwd p\n",
        "get inbox/../../etc/passwd p\n",
        "put x.edi /tmp/x.edi\n",
        "put x.edi outbox/x.edi\n",
        "put x.edi inbox/../x.edi\n",
        "ls /data\n",
        "mkdir inbox/sub\n",
        "symlink inbox/x.edi inbox/y.edi\n",
        "put x.edi inbox/.hidden\n",
    ] {
        let (code, out) = sftp(addr, &key, &work, refused);
        assert_ne!(code, 0, "`{}` should be refused: {out}", refused.trim());
    }
    assert!(!work.join("p").exists());
    assert!(!Path::new("/tmp/x.edi").exists() || std::fs::read("/tmp/x.edi").unwrap() != b"x");

    // A key that is not in the profile does not log in.
    let stranger = keypair(env.path(), "stranger_key");
    let (code, out) = sftp(addr, &stranger, &work, "ls\n");
    assert_ne!(code, 0, "{out}");
    assert!(out.to_lowercase().contains("permission denied"), "{out}");
    let count = acme_inbound(&env).await.len();
    assert_eq!(count, 1, "nothing else was ingested");
}

/// `sftp` as acme with a password (typed by sshpass). Not `-b`: batch mode turns password
/// prompts off, so the commands come on standard input.
fn sftp_password(
    addr: std::net::SocketAddr,
    password: &str,
    cwd: &Path,
    commands: &str,
) -> (i32, String) {
    let args = [
        "-p",
        password,
        "sftp",
        "-o",
        "PubkeyAuthentication=no",
        "-o",
        "PasswordAuthentication=yes",
        "-o",
        "PreferredAuthentications=password",
    ];
    run_client("sshpass", &args, addr, cwd, commands)
}

/// A partner whose profile holds an argon2 hash logs in with the password; a wrong password
/// does not.
async fn a_partner_logs_in_with_its_password(db: Db) {
    let env = TestEnv::new(db).await;
    let mut hash = env
        .wharf()
        .args(["partners", "hash-password"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    hash.stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery\n")
        .unwrap();
    let out = hash.wait_with_output().unwrap();
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    acme_login(&env, &format!("password_hash = \"{hash}\""));
    let server = env.serve_process();
    let addr = server.sftp.expect("the SFTP server runs");
    let work = env.path().join("client");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("po.edi"), order_850(811, "PO-811")).unwrap();
    let (code, out) = sftp_password(
        addr,
        "correct horse battery",
        &work,
        "put po.edi inbox/po.edi\n",
    );
    assert_eq!(code, 0, "{out}\n{}", server.log());
    let all = acme_inbound(&env).await;
    assert_eq!(all.len(), 1, "the upload was stored: {all:?}");
    assert_eq!(all[0].channel, Channel::Sftp);
    let (code, out) = sftp_password(addr, "wrong horse", &work, "ls\n");
    assert_ne!(code, 0, "{out}");
}

/// How many files the server process holds open in `spool` (uploads not yet closed: unnamed
/// temporary files there), read from its descriptors in /proc.
fn open_spools(server: &crate::kit::Server, spool: &Path) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", server.child.id()))
        .map(|fds| {
            fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
                .filter(|target| target.starts_with(spool))
                .count()
        })
        .unwrap_or(0)
}

struct Client;

impl russh::client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// An upload the client never closes (the connection drops mid-file) is not ingested; the
/// same client closing its next upload is. Driven with russh's own SFTP client, which can
/// stop where OpenSSH's cannot be made to.
async fn an_interrupted_upload_is_never_ingested(db: Db) {
    use tokio::io::AsyncWriteExt;
    let env = TestEnv::new(db).await;
    let hash = wharf::partners::channels::hash_password("s3cret-s3cret").unwrap();
    acme_login(&env, &format!("password_hash = \"{hash}\""));
    let server = env.serve_process();
    let addr = server.sftp.expect("the SFTP server runs");
    let store = env.store().await;
    let po = order_850(821, "PO-821");
    let connect = || async {
        let mut session = russh::client::connect(Default::default(), addr, Client)
            .await
            .expect("connect");
        let auth = session
            .authenticate_password("acme", "s3cret-s3cret")
            .await
            .expect("auth");
        assert!(auth.success());
        let channel = session.channel_open_session().await.expect("channel");
        channel.request_subsystem(true, "sftp").await.expect("sftp");
        let sftp = russh_sftp::client::SftpSession::new(channel.into_stream())
            .await
            .expect("sftp session");
        (session, sftp)
    };
    let inbound = || acme_inbound(&env);

    // Half the file, then the connection goes away without a close.
    let (session, sftp) = connect().await;
    let mut file = sftp.create("inbox/partial.edi").await.expect("create");
    file.write_all(&po[..po.len() / 2]).await.expect("write");
    file.flush().await.expect("flush");
    sftp.metadata("inbox")
        .await
        .expect("a round trip after the write");
    let spools = || open_spools(&server, &env.path().join("data/sftp-spool"));
    assert_eq!(spools(), 1, "the upload is spooled");
    std::mem::forget(file);
    drop(sftp);
    // The leaked file keeps the client's side of the connection open: it goes by a
    // disconnect.
    session
        .disconnect(russh::Disconnect::ByApplication, "", "en")
        .await
        .expect("disconnect");
    drop(session);
    // The server drops the upload's spool when the session ends: it has looked at the
    // unclosed upload then, and an ingest would have come from its close.
    wait_for(Duration::from_secs(10), "the spool dropped", || async {
        (spools() == 0).then_some(())
    })
    .await;
    assert!(
        inbound().await.is_empty(),
        "an unclosed upload is not a message"
    );

    // The whole file, closed: ingested.
    let (_session, sftp) = connect().await;
    let mut file = sftp.create("inbox/whole.edi").await.expect("create");
    file.write_all(&po).await.expect("write");
    file.shutdown().await.expect("close");
    let stored = inbound().await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].filename.as_deref(), Some("whole.edi"));
    assert_eq!(messages::raw(&store, stored[0].id).await.unwrap(), po);
}

/// A profile with `confirm = "archive"`: the partner confirms a download by moving the file
/// into `/archive` (deleting is refused); and with `max_sessions = 1` a second session of the
/// same partner is refused while the first is open.
async fn archive_confirmation_and_the_partners_session_limit(db: Db) {
    let env = TestEnv::new(db).await;
    let hash = wharf::partners::channels::hash_password("s3cret-s3cret").unwrap();
    let key = acme_login(
        &env,
        &format!("confirm = \"archive\"\nmax_sessions = 1\npassword_hash = \"{hash}\""),
    );
    let server = env.serve();
    let addr = server.sftp.expect("the SFTP server runs");
    let store = env.store().await;
    let work = env.path().join("client");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("po.edi"), order_850(831, "PO-831")).unwrap();
    let (code, out) = sftp(addr, &key, &work, "put po.edi inbox/po.edi\n");
    assert_eq!(code, 0, "{out}");
    let ack = wait_for(PATIENCE, "the 997 in the outbox", || async {
        let all = messages::list(
            &store,
            &messages::Filter {
                state: Some(MessageState::Sent),
                partner: Some("acme".into()),
                direction: Some(wharf::store::Direction::Out),
                limit: 10,
            },
        )
        .await
        .ok()?;
        all.into_iter().next()
    })
    .await;
    let name = ack.filename.clone().unwrap();
    let (code, out) = sftp(addr, &key, &work, &format!("rm outbox/{name}\n"));
    assert_ne!(code, 0, "deleting is not how this partner confirms: {out}");
    let (code, out) = sftp(
        addr,
        &key,
        &work,
        &format!(
            "rename outbox/{name} archive/{name}\nls -1 archive\nget archive/{name} got.x12\n"
        ),
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&name), "{out}");
    assert!(!env.path().join("data/outbox/acme").join(&name).exists());
    assert!(
        env.path()
            .join("data/outbox/acme/archive")
            .join(&name)
            .exists()
    );
    assert_eq!(
        std::fs::read(work.join("got.x12")).unwrap(),
        messages::raw(&store, ack.id).await.unwrap()
    );

    // One session held open (russh's client, password): a second one is refused.
    let mut held = russh::client::connect(Default::default(), addr, Client)
        .await
        .expect("connect");
    let auth = held
        .authenticate_password("acme", "s3cret-s3cret")
        .await
        .expect("auth");
    assert!(auth.success());
    let (code, out) = sftp(addr, &key, &work, "ls\n");
    assert_ne!(code, 0, "over the partner's session limit: {out}");
    drop(held);
    wait_for(
        PATIENCE,
        "a session again once the first is gone",
        || async { (sftp(addr, &key, &work, "ls\n").0 == 0).then_some(()) },
    )
    .await;
}

/// `[limits] per_minute` counts SFTP uploads too: past the limit an upload is refused at
/// its open (nothing stored), and the partner API, sharing the window, answers 429.
async fn the_per_minute_limit_counts_sftp_uploads(db: Db) {
    let env = TestEnv::new(db).await;
    let key = acme_login(&env, "");
    let profile = env.path().join("partners/acme.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    assert!(text.contains("per_minute = 600"));
    std::fs::write(&profile, text.replace("per_minute = 600", "per_minute = 2")).unwrap();
    let server = env.serve();
    let addr = server.sftp.expect("the SFTP server runs");
    let work = env.path().join("client");
    std::fs::create_dir_all(&work).unwrap();
    for n in 1..=3 {
        std::fs::write(
            work.join(format!("po{n}.edi")),
            order_850(830 + n, &format!("PO-83{n}")),
        )
        .unwrap();
    }
    // `-put`: the batch goes on after a refused command, so all three are tried.
    let (_, out) = sftp(
        addr,
        &key,
        &work,
        "put po1.edi inbox/po1.edi\nput po2.edi inbox/po2.edi\n-put po3.edi inbox/po3.edi\n",
    );
    assert!(out.contains("Permission denied"), "{out}");
    let stored = acme_inbound(&env).await;
    let mut names: Vec<_> = stored.iter().filter_map(|m| m.filename.clone()).collect();
    names.sort();
    assert_eq!(names, ["po1.edi", "po2.edi"]);
    let (status, body) = crate::kit::http(
        server.addr,
        "POST",
        "/api/v1/partners/acme/messages",
        &order_850(834, "PO-834"),
    );
    assert_eq!(status, 429, "{body}");
}

/// A TCP connection to `to` from `ip` (any 127/8 address on Linux): many source addresses
/// on loopback.
async fn connect_from(ip: &str, to: std::net::SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(std::net::SocketAddr::new(
            ip.parse().expect("an address"),
            0,
        ))
        .expect("bind");
    socket.connect(to).await.expect("connect")
}

/// Issue 17, finding 2: sockets that never log in cannot lock partners out. A hundred idle
/// TCP connections (ten source addresses) and ten that only send an SSH banner are held open
/// while the partner logs in with OpenSSH `sftp` from its own address and uploads; the
/// unauthenticated ones are closed once `[sftp] auth_timeout_secs` has passed.
async fn idle_unauthenticated_sockets_do_not_lock_partners_out(db: Db) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut env = TestEnv::new(db).await;
    env.set_env("WHARF_SFTP__AUTH_TIMEOUT_SECS", "6");
    let key = acme_login(&env, "");
    let server = env.serve();
    let addr = server.sftp.expect("the SFTP server runs");
    let mut idle = Vec::new();
    for n in 0..100 {
        idle.push(connect_from(&format!("127.0.0.{}", 10 + n % 10), addr).await);
    }
    for n in 0..10 {
        let mut s = connect_from(&format!("127.0.0.{}", 30 + n), addr).await;
        s.write_all(b"SSH-2.0-OpenSSH_9.6\r\n")
            .await
            .expect("banner");
        idle.push(s);
    }
    let opened = std::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let work = env.path().join("client");
    std::fs::create_dir_all(&work).unwrap();
    let po = order_850(841, "PO-841");
    std::fs::write(work.join("po.edi"), &po).unwrap();
    let key_arg = key.to_str().unwrap();
    let (code, out) = run_client(
        "sftp",
        &[
            "-b",
            "-",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "PasswordAuthentication=no",
            "-o",
            "BatchMode=yes",
            "-o",
            "BindAddress=127.0.0.2",
            "-i",
            key_arg,
        ],
        addr,
        &work,
        "put po.edi inbox/po.edi\n",
    );
    assert_eq!(
        code, 0,
        "the partner logs in beside 110 idle sockets: {out}"
    );
    assert!(
        opened.elapsed() < Duration::from_secs(6),
        "the login happened while the idle sockets were still held"
    );
    let stored = acme_inbound(&env).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(
        messages::raw(&env.store().await, stored[0].id)
            .await
            .unwrap(),
        po
    );

    // Every idle socket is closed by the server within the timeout (and some slack).
    for (n, mut s) in idle.into_iter().enumerate() {
        let mut sink = Vec::new();
        match tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut sink)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Ok(Err(e)) => panic!("idle socket {n}: {e}"),
            Err(_) => panic!("idle socket {n} still open after the login timeout"),
        }
    }
    assert!(opened.elapsed() < Duration::from_secs(20));
}

/// The server's resident memory (`VmRSS`), in kB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Issue 17, finding 4: a write far into a file costs no memory. With `max_file_bytes` = 4
/// MiB, a client writes one byte at offset 4 MiB - 1 on as many handles and SFTP channels as
/// it can: extra channels (past `[sftp] max_channels`) and handles (past `max_handles`) are
/// refused, the server's RSS stays within a few MB, a file with holes is not ingested; a
/// normal upload is still stored byte for byte when closed.
async fn far_writes_handles_and_channels_cost_no_memory(db: Db) {
    use tokio::io::{AsyncSeekExt, AsyncWriteExt};
    const MAX: u64 = 4 * 1024 * 1024;
    let env = TestEnv::new(db).await;
    let hash = wharf::partners::channels::hash_password("s3cret-s3cret").unwrap();
    acme_login(
        &env,
        &format!("password_hash = \"{hash}\"\nmax_sessions = 4"),
    );
    let profile = env.path().join("partners/acme.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    assert!(text.contains("max_file_bytes = 10485760"));
    std::fs::write(
        &profile,
        text.replace(
            "max_file_bytes = 10485760",
            &format!("max_file_bytes = {MAX}"),
        ),
    )
    .unwrap();
    let server = env.serve_process();
    let addr = server.sftp.expect("the SFTP server runs");
    let pid = server.child.id();
    let mut session = russh::client::connect(Default::default(), addr, Client)
        .await
        .expect("connect");
    let auth = session
        .authenticate_password("acme", "s3cret-s3cret")
        .await
        .expect("auth");
    assert!(auth.success());
    let before = rss_kb(pid);

    // Four channels asked for; each that gets SFTP opens twenty files, one byte at the end.
    let mut channels = Vec::new();
    let mut files = Vec::new();
    let mut refused_handles = 0;
    for _ in 0..4 {
        let opened = tokio::time::timeout(Duration::from_secs(5), async {
            let channel = session.channel_open_session().await.ok()?;
            channel.request_subsystem(true, "sftp").await.ok()?;
            russh_sftp::client::SftpSession::new(channel.into_stream())
                .await
                .ok()
        })
        .await
        .ok()
        .flatten();
        let Some(sftp) = opened else { continue };
        for n in 0..20 {
            match sftp
                .create(format!("inbox/far{}-{n}.edi", channels.len()))
                .await
            {
                Ok(mut f) => {
                    f.seek(std::io::SeekFrom::Start(MAX - 1))
                        .await
                        .expect("seek");
                    f.write_all(b"x").await.expect("write at the end");
                    f.flush().await.expect("flush");
                    files.push(f);
                }
                Err(_) => refused_handles += 1,
            }
        }
        sftp.metadata("inbox").await.expect("a round trip");
        channels.push(sftp);
    }
    let after = rss_kb(pid);
    assert!(
        after < before + 6 * 1024,
        "RSS {before} kB -> {after} kB for {} bytes written",
        files.len()
    );
    assert_eq!(channels.len(), 2, "[sftp] max_channels = 2 by default");
    assert_eq!(files.len(), 32, "[sftp] max_handles = 16 by default");
    assert_eq!(refused_handles, 8);
    // Closing a file with holes stores nothing.
    let mut first = files.remove(0);
    assert!(
        first.shutdown().await.is_err(),
        "a file with holes is refused"
    );
    assert!(acme_inbound(&env).await.is_empty());
    drop(files);
    drop(channels);
    drop(session);

    // A normal upload, in chunks: stored exactly.
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut session = russh::client::connect(Default::default(), addr, Client)
        .await
        .expect("connect");
    assert!(
        session
            .authenticate_password("acme", "s3cret-s3cret")
            .await
            .expect("auth")
            .success()
    );
    let channel = session.channel_open_session().await.expect("channel");
    channel.request_subsystem(true, "sftp").await.expect("sftp");
    let sftp = russh_sftp::client::SftpSession::new(channel.into_stream())
        .await
        .expect("sftp session");
    let mut file = sftp.create("inbox/whole.edi").await.expect("create");
    for chunk in payload.chunks(32 * 1024) {
        file.write_all(chunk).await.expect("write");
    }
    file.shutdown().await.expect("close");
    let stored = acme_inbound(&env).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    let raw = messages::raw(&env.store().await, stored[0].id)
        .await
        .unwrap();
    use sha2::Digest;
    assert_eq!(sha2::Sha256::digest(&raw), sha2::Sha256::digest(&payload));
}

on_both_backends!(
    the_per_minute_limit_counts_sftp_uploads,
    a_partner_drops_orders_and_collects_acknowledgements_over_sftp,
    a_partner_logs_in_with_its_password,
    an_interrupted_upload_is_never_ingested,
    archive_confirmation_and_the_partners_session_limit,
    idle_unauthenticated_sockets_do_not_lock_partners_out,
    far_writes_handles_and_channels_cost_no_memory,
);
