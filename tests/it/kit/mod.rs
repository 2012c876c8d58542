//! Test harness: a fresh database per test (a temporary SQLite file, or a new PostgreSQL
//! database on 127.0.0.1:5432), a temporary data folder with the sample partners, and helpers
//! to run the real `wharf` binary as an operator or a partner would.

pub mod odoo;

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wharf::config::Settings;
use wharf::store::{MessageId, Store};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per backend from `async fn $name(db: Db)`; in scope for
/// every suite through `#[macro_use] mod kit`.
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name($crate::kit::Db::Sqlite).await }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name($crate::kit::Db::Postgres).await }
            )+
        }
    };
}

pub fn pg_base() -> String {
    std::env::var("WHARF_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// One test's world: folder, database, settings.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    /// The backend this test runs on, for a test that must tell.
    #[allow(dead_code)]
    pub db: Db,
    pub database_url: String,
    pg_database: Option<String>,
    extra_env: Vec<(String, String)>,
}

/// What the harness appends to every sample profile it copies: anyone may post for the
/// partner on the partner API (a test stream; the default is closed).
pub const OPEN_API: &str = "\n[api]\nopen = true  # test stream\n";

impl TestEnv {
    pub async fn new(db: Db) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let partners = dir.path().join("partners");
        std::fs::create_dir_all(&partners).unwrap();
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("partners");
        for entry in std::fs::read_dir(samples).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                // The partner API is closed by default; the tests post as each sample partner
                // on an explicitly open test stream (`OPEN_API`), which tests of the API's
                // own access control replace.
                let mut text = std::fs::read_to_string(&path).unwrap();
                text.push_str(OPEN_API);
                std::fs::write(partners.join(path.file_name().unwrap()), text).unwrap();
            }
        }
        let (database_url, pg_database) = match db {
            Db::Sqlite => (
                format!("sqlite://{}/data/wharf.db", dir.path().display()),
                None,
            ),
            Db::Postgres => {
                use sqlx::Connection;
                let name = format!("wharf_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&format!("{}/postgres", pg_base()))
                    .await
                    .expect(
                        "PostgreSQL on 127.0.0.1:5432 (trust auth) must be running for the tests",
                    );
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                (format!("{}/{name}", pg_base()), Some(name))
            }
        };
        Self {
            dir,
            db,
            database_url,
            pg_database,
            extra_env: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Adds or replaces a `WHARF_*` variable for every later command and settings load.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.extra_env.retain(|(k, _)| k != key);
        self.extra_env.push((key.to_owned(), value.to_owned()));
    }

    /// The environment the gateway runs with: this test's database and folders, a free port,
    /// short leases and polls so that crash recovery happens within a test's patience.
    pub fn envs(&self) -> Vec<(String, String)> {
        let mut v = vec![
            ("WHARF_DATABASE_URL".into(), self.database_url.clone()),
            (
                "WHARF_DATA_DIR".into(),
                self.path().join("data").display().to_string(),
            ),
            (
                "WHARF_PARTNERS_DIR".into(),
                self.path().join("partners").display().to_string(),
            ),
            ("WHARF_HTTP__LISTEN".into(), "127.0.0.1:0".into()),
            ("WHARF_SFTP__LISTEN".into(), "127.0.0.1:0".into()),
            (
                "WHARF_SFTP__HOST_KEY".into(),
                self.path()
                    .join("certs/ssh_host_ed25519_key")
                    .display()
                    .to_string(),
            ),
            (
                "WHARF_TRANSFERS__CLIENT_KEY".into(),
                self.path()
                    .join("certs/ssh_client_ed25519_key")
                    .display()
                    .to_string(),
            ),
            (
                "WHARF_AS2__CERT".into(),
                self.path().join("certs/as2_cert.pem").display().to_string(),
            ),
            (
                "WHARF_AS2__KEY".into(),
                self.path().join("certs/as2_key.pem").display().to_string(),
            ),
            ("WHARF_TRANSFERS__CONNECT_TIMEOUT_MS".into(), "5000".into()),
            ("WHARF_TRANSFERS__STALL_TIMEOUT_MS".into(), "5000".into()),
            ("WHARF_TRANSFERS__DOWN_MS".into(), "1000".into()),
            ("WHARF_PIPELINE__LEASE_SECS".into(), "2".into()),
            ("WHARF_PIPELINE__POLL_INTERVAL_MS".into(), "50".into()),
            ("WHARF_PIPELINE__BACKOFF_BASE_MS".into(), "50".into()),
            ("WHARF_PIPELINE__BACKOFF_MAX_MS".into(), "200".into()),
        ];
        for (k, val) in &self.extra_env {
            v.retain(|(key, _)| key != k);
            v.push((k.clone(), val.clone()));
        }
        v
    }

    /// Points the gateway at an Odoo (the test double, or a real one) instead of the
    /// directory sink.
    pub fn use_odoo(&mut self, url: &str, database: &str, login: &str, key: &str) {
        self.set_env("WHARF_ERP__KIND", "odoo");
        self.set_env("WHARF_ERP__URL", url);
        self.set_env("WHARF_ERP__DATABASE", database);
        self.set_env("WHARF_ERP__LOGIN", login);
        self.set_env("WHARF_SECRET_ODOO_API_KEY", key);
        self.set_env("WHARF_ERP__TIMEOUT_MS", "5000");
        self.set_env("WHARF_ERP__BREAKER_OPEN_MS", "300");
    }

    /// The settings the gateway runs with: the test folder's `wharf.toml` when a test wrote
    /// one (as the binary, run from that folder, reads it), then the environment.
    pub fn settings(&self) -> Settings {
        let file = self.path().join("wharf.toml");
        Settings::load(file.exists().then_some(file.as_path()), self.envs()).expect("test settings")
    }

    pub async fn store(&self) -> Store {
        Store::connect(&self.settings().database)
            .await
            .expect("store")
    }

    /// The real binary, with this test's environment, run from the test folder.
    pub fn wharf(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_wharf"));
        c.current_dir(self.path());
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("WHARF_")) {
            c.env_remove(k);
        }
        c.envs(self.envs());
        c
    }

    /// Runs `wharf ARGS`, returning (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.wharf().args(args).output().expect("run wharf");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Writes `bytes` under the test folder and returns the path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Starts Wharf in this test's process, through the composition root `wharf serve` uses
    /// (`wharf::app::Wharf::build`), on port 0. Tests that need the process itself (SIGKILL,
    /// SIGTERM's exit status, the log, its file descriptors) use [`TestEnv::serve_process`];
    /// so does a test on a single-threaded runtime, which cannot wait for the build here.
    pub fn serve(&self) -> App {
        let handle = tokio::runtime::Handle::try_current()
            .ok()
            .filter(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
            .expect("in-process Wharf needs a multi-threaded test runtime; use serve_process");
        // The gateway's log goes to the test's output (shown when the test fails).
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                std::env::var("WHARF_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
            ))
            .with_test_writer()
            .try_init();
        // Secrets a profile names by environment variable are read from the process's
        // environment, as the binary reads its own.
        for (k, v) in self.envs().iter().filter(|(k, _)| !k.starts_with("WHARF_")) {
            // SAFETY: nextest runs every test in a process of its own, and nothing of this
            // test reads the environment while the gateway is not yet built.
            unsafe { std::env::set_var(k, v) };
        }
        let settings = self.settings();
        let wharf =
            tokio::task::block_in_place(|| handle.block_on(wharf::app::Wharf::build(settings)))
                .unwrap_or_else(|e| panic!("Wharf did not start: {:#}", anyhow::Error::from(e)));
        App {
            endpoint: Endpoint {
                addr: wharf.http,
                banner: wharf.banner(),
                instance: wharf.pipeline.instance.to_string(),
                sftp: wharf.sftp,
                https: wharf.https,
            },
            wharf: Some(wharf),
        }
    }

    /// Starts the real `wharf serve` binary and waits for its banner.
    pub fn serve_process(&self) -> Server {
        let log = self
            .path()
            .join(format!("serve-{}.log", uuid::Uuid::new_v4().simple()));
        let mut child = self
            .wharf()
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .expect("spawn wharf serve");
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let mut banner = String::new();
        let mut addr = None;
        let mut instance = String::new();
        let mut sftp = None;
        let mut https = false;
        for line in lines.by_ref() {
            let line = line.unwrap_or_default();
            banner.push_str(&line);
            banner.push('\n');
            if let Some(i) = line.find("(instance ") {
                instance = line[i + 10..].trim_end_matches(')').to_owned();
            }
            if let Some(rest) = line.trim().strip_prefix("http") {
                let url = rest.split_whitespace().next().unwrap_or("");
                https = url.starts_with("https://");
                addr = url
                    .strip_prefix("http://")
                    .or_else(|| url.strip_prefix("https://"))
                    .and_then(|a| a.parse().ok());
            }
            if let Some(rest) = line.trim().strip_prefix("sftp") {
                sftp = rest.split_whitespace().next().and_then(|a| a.parse().ok());
            }
            if line.trim_start().starts_with("outbox") {
                break;
            }
        }
        let Some(addr) = addr else {
            let _ = child.kill();
            panic!(
                "wharf serve did not print its address; banner:\n{banner}\nlog:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            endpoint: Endpoint {
                addr,
                banner,
                instance,
                sftp,
                https,
            },
            child,
            log,
        }
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_database {
            let _ = Command::new("psql")
                .args([
                    &format!("{}/postgres", pg_base()),
                    "-qc",
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Where a running gateway listens, whether it runs in the test's process ([`App`]) or as
/// the binary ([`Server`]); both dereference to it, so helpers take `&Endpoint`.
pub struct Endpoint {
    pub addr: SocketAddr,
    pub banner: String,
    pub instance: String,
    /// The SFTP server's address, when it runs.
    pub sftp: Option<SocketAddr>,
    /// The listener speaks HTTPS (`[http] tls_cert`).
    pub https: bool,
}

impl Endpoint {
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }
}

/// Wharf running in the test's process (see [`TestEnv::serve`]); stopped when dropped.
pub struct App {
    endpoint: Endpoint,
    wharf: Option<wharf::app::Wharf>,
}

impl std::ops::Deref for App {
    type Target = Endpoint;
    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl App {
    /// Stops taking work, lets running jobs finish and closes the store, as SIGTERM does.
    pub fn stop(mut self) {
        if let Some(w) = self.wharf.take() {
            let handle = tokio::runtime::Handle::current();
            tokio::task::block_in_place(|| handle.block_on(w.stop()));
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(w) = self.wharf.take() {
            // Dropped at the end of a test (or in a panic): stop without waiting for it.
            w.stop_now();
        }
    }
}

/// A running `wharf serve`; killed with SIGKILL when dropped.
pub struct Server {
    endpoint: Endpoint,
    pub child: Child,
    pub log: PathBuf,
}

impl std::ops::Deref for Server {
    type Target = Endpoint;
    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Server {
    /// SIGKILL: no chance to finish anything, as in a power cut.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().expect("wait for wharf serve")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 client over a TCP stream: the tests talk to the gateway as a partner's
/// system would, without pulling an HTTP client crate into the build.
pub fn http(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nContent-Type: application/edi-x12\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Runs the openssl CLI in `dir`; panics with its error output on failure; its stdout.
pub fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A fresh ed25519 key pair (no passphrase) at `dir/name`; the private key's path.
pub fn ssh_keypair(dir: &Path, name: &str) -> PathBuf {
    let key = dir.join(name);
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen")
        .success();
    assert!(ok);
    key
}

/// A partner's messages in one direction (and state, when given), newest first.
pub async fn messages_of(
    store: &Store,
    partner: &str,
    direction: wharf::store::Direction,
    state: Option<wharf::store::MessageState>,
) -> Vec<wharf::store::messages::Message> {
    wharf::store::messages::list(
        store,
        &wharf::store::messages::Filter {
            state,
            partner: Some(partner.into()),
            direction: Some(direction),
            limit: 1000,
        },
    )
    .await
    .unwrap()
}

/// Polls `check` until it returns `Some`, or panics with `what` after `timeout`.
pub async fn wait_for<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An X12 850 from ACME Retail (ZZ/ACMERETAIL) to Wharf with one interchange, one group and
/// one purchase order with two lines. Written for these tests.
pub fn order_850(isa13: u32, po: &str) -> Vec<u8> {
    order_850_from("ACMERETAIL", isa13, po)
}

pub fn order_850_from(sender: &str, isa13: u32, po: &str) -> Vec<u8> {
    let body = [
        "ST*850*0001".to_owned(),
        format!("BEG*00*SA*{po}**20261126"),
        "N1*ST*ACME Store 42*92*0042".to_owned(),
        "PO1*1*10*EA*12.50**BP*ACME-001*VP*WID-1".to_owned(),
        "PO1*2*2*CA*99**VP*WID-2".to_owned(),
        "CTT*2".to_owned(),
    ];
    let mut s = format!(
        "ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*WHARF          *261126*1200*U*00401*{isa13:09}*0*P*>~\n\
         GS*PO*{sender}*WHARF*20261126*1200*{isa13}*X*004010~\n"
    );
    for seg in &body {
        s.push_str(seg);
        s.push_str("~\n");
    }
    s.push_str(&format!(
        "SE*{}*0001~\nGE*1*{isa13}~\nIEA*1*{isa13:09}~\n",
        body.len() + 1
    ));
    s.into_bytes()
}

/// The segments of an X12 interchange as strings (element separator `*`, terminator `~`).
pub fn segments(x12: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(x12)
        .split('~')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The 856 fixture (S/O/P/I, shipment SHIP-9, one carton with SSCC 106141412345678908, 10 of
/// BP ACME-001 / VP WID-1 for PO-1001) as sent by the sample supplier Pinnacle
/// (ZZ/PINNACLESUP), with interchange control number `isa13` (9 digits).
pub fn pinnacle_856(isa13: &str) -> Vec<u8> {
    let fixture = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/x12/856_sopi.edi"
    ))
    .expect("856 fixture");
    String::from_utf8(fixture)
        .expect("ASCII fixture")
        .replace("*ZZ*SUPPLIER       *", "*ZZ*PINNACLESUP    *")
        .replace("GS*SH*SUPPLIER*", "GS*SH*PINNACLESUP*")
        .replace("000000201", isa13)
        .into_bytes()
}

impl TestEnv {
    /// `wharf ingest` of `bytes` (written to `name`) on `partner`'s channel; the message id.
    pub fn ingest_for(&self, partner: &str, name: &str, bytes: &[u8]) -> MessageId {
        let file = self.file(name, bytes);
        let (code, out, err) = self.run(&["ingest", file.to_str().unwrap(), "--partner", partner]);
        assert_eq!(code, 0, "{err}");
        out.split('\t').next().unwrap().parse().unwrap()
    }
}

// Operators and a dead letter, for the admin pages' tests.

/// The password of every operator the tests add.
pub const PASSWORD: &str = "correct horse battery";

/// Adds an operator with `wharf admin add-user` (password on standard input).
pub fn add_user(env: &TestEnv, name: &str, role: &str) {
    use std::io::Write;
    let mut child = env
        .wharf()
        .args(["admin", "add-user", name, "--role", role])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn add_token(env: &TestEnv, name: &str, role: &str) -> String {
    let (code, out, err) = env.run(&["admin", "add-token", name, "--role", role]);
    assert_eq!(code, 0, "{err}");
    out.trim().to_owned()
}

/// An 850 whose delivery to the ERP folder fails (the folder's parent is a file), so that
/// its deliver job dies after its one attempt: the message id.
pub async fn dead_order(env: &TestEnv, server: &Endpoint, po: &str, isa13: u32) -> MessageId {
    let (status, body) = http(
        server.addr,
        "POST",
        "/api/v1/partners/acme/messages",
        &order_850_from("ACMERETAIL", isa13, po),
    );
    assert_eq!(status, 202, "{body}");
    let id = MessageId::new(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["message_id"]
            .as_i64()
            .expect("message id"),
    );
    let store = env.store().await;
    wait_for(Duration::from_secs(30), "a dead deliver job", || {
        let store = store.clone();
        async move {
            wharf::store::jobs::for_message(&store, id)
                .await
                .ok()
                .filter(|js| js.iter().any(|j| j.state == wharf::store::JobState::Dead))
        }
    })
    .await;
    id
}

pub fn blocked_env(env: &mut TestEnv) -> std::path::PathBuf {
    let blocker = env.file("blocker", b"a file where the ERP folder's parent should be");
    env.set_env(
        "WHARF_ERP__DIR",
        blocker.join("delivered").to_str().unwrap(),
    );
    env.set_env("WHARF_PIPELINE__MAX_ATTEMPTS", "1");
    blocker
}

/// Waits (30 s at most) until message `id` is in `state`; the message then.
pub async fn wait_state(
    store: &Store,
    id: MessageId,
    state: wharf::store::MessageState,
) -> wharf::store::messages::Message {
    wait_for(
        Duration::from_secs(30),
        &format!("message {id} {state}"),
        || {
            let store = store.clone();
            async move {
                wharf::store::messages::get(&store, id)
                    .await
                    .ok()
                    .filter(|m| m.state == state)
            }
        },
    )
    .await
}

/// A port on 127.0.0.1 held for a test's FTP servers from before the first starts until the
/// test ends: a socket bound with SO_REUSEPORT that never listens, so connections to the port
/// are refused while no server runs, and no other process can take the port in between (a
/// server binds it beside this socket, `ftpd.py` setting SO_REUSEPORT too).
pub(crate) struct PortHold(tokio::net::TcpSocket);

impl PortHold {
    pub(crate) fn new() -> PortHold {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket.set_reuseport(true).expect("SO_REUSEPORT");
        socket
            .bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind 127.0.0.1:0");
        PortHold(socket)
    }

    pub(crate) fn port(&self) -> u16 {
        self.0.local_addr().expect("bound").port()
    }
}
