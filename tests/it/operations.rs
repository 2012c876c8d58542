//! What an operator does around the gateway rather than through it: upgrades (only `serve`
//! and `wharf migrate` change the schema; reading commands neither create nor migrate) and
//! backups (`wharf backup`, restored and read back by the real binary).

use std::os::unix::fs::PermissionsExt;

use crate::kit::{Db, TestEnv};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/x12/850_acme.edi"
);

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn reading_commands_never_create_the_database_and_writers_create_it_private() {
    let env = TestEnv::new(Db::Sqlite).await;
    let db = env.path().join("data/wharf.db");
    let (code, _, err) = env.run(&["messages", "list"]);
    assert_ne!(code, 0);
    assert!(err.contains("no database at"), "{err}");
    assert!(err.contains("wharf migrate"), "{err}");
    assert!(!db.exists(), "a reading command created the database");
    let (code, _, err) = env.run(&["migrate", "--check"]);
    assert_eq!(code, 1, "{err}");
    assert!(!db.exists(), "migrate --check created the database");

    // A command that writes creates a new database, private to its owner.
    let (code, _, err) = env.run(&["ingest", FIXTURE, "--partner", "acme"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&db), 0o600, "database file mode");
    assert_eq!(mode(&env.path().join("data")), 0o700, "data folder mode");
    for side in ["wharf.db-wal", "wharf.db-shm"] {
        let p = env.path().join("data").join(side);
        if p.exists() {
            assert_eq!(mode(&p) & 0o077, 0, "{side} readable by others");
        }
    }
    let (code, out, err) = env.run(&["migrate", "--check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("schema: current"), "{out}");
}

/// Applies all but the newest of this checkout's migrations to the test database, as an
/// older Wharf would have left it.
async fn older_schema(env: &TestEnv) -> usize {
    let folder = match env.db {
        Db::Sqlite => "sqlite",
        Db::Postgres => "postgres",
    };
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&all)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let older = tempfile::tempdir().unwrap();
    for f in &files[..files.len() - 1] {
        std::fs::copy(f, older.path().join(f.file_name().unwrap())).unwrap();
    }
    let migrator = sqlx::migrate::Migrator::new(older.path()).await.unwrap();
    sqlx::any::install_default_drivers();
    let url = match env.db {
        Db::Sqlite => {
            std::fs::create_dir_all(env.path().join("data")).unwrap();
            format!("{}?mode=rwc", env.database_url)
        }
        Db::Postgres => env.database_url.clone(),
    };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    migrator.run(&pool).await.unwrap();
    pool.close().await;
    files.len()
}

async fn a_schema_behind_is_refused_until_wharf_migrate(db: Db) {
    let env = TestEnv::new(db).await;
    let known = older_schema(&env).await;

    for args in [
        &["messages", "list"][..],
        &["ingest", FIXTURE, "--partner", "acme"][..],
        &["events", "list"][..],
    ] {
        let (code, _, err) = env.run(args);
        assert_ne!(code, 0, "{args:?} ran on a schema behind");
        assert!(
            err.contains("1 migration(s) pending") && err.contains("wharf migrate"),
            "{args:?}: {err}"
        );
    }
    let (code, out, _) = env.run(&["migrate", "--check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 pending"), "{out}");

    let (code, out, err) = env.run(&["migrate"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("schema: current"), "{out}");
    let store = env.store().await;
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(applied as usize, known);
    let (code, _, err) = env.run(&["ingest", FIXTURE, "--partner", "acme"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = env.run(&["messages", "list"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().filter(|l| l.contains("acme")).count(),
        1,
        "{out}"
    );
}

async fn a_database_migrated_by_a_newer_wharf_is_refused(db: Db) {
    let env = TestEnv::new(db).await;
    let (code, _, err) = env.run(&["ingest", FIXTURE, "--partner", "acme"]);
    assert_eq!(code, 0, "{err}");
    let store = env.store().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101, 'from the future', TRUE, $1, 0)",
    )
    .bind(vec![0u8; 48])
    .execute(store.pool())
    .await
    .unwrap();
    store.pool().close().await;
    let (code, _, err) = env.run(&["messages", "list"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("newer Wharf") && err.contains("99990101"),
        "{err}"
    );
}

/// The messages as `wharf messages list --json` prints them, without the database path.
fn listing(env: &TestEnv, database_url: &str) -> String {
    let out = env
        .wharf()
        .env("WHARF_DATABASE_URL", database_url)
        .args(["messages", "list", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn a_backup_restores_to_the_same_messages(db: Db) {
    let env = TestEnv::new(db).await;
    for po in ["PO-1", "PO-2", "PO-3"] {
        let text = std::fs::read_to_string(FIXTURE)
            .unwrap()
            .replace("PO-1001", po);
        let f = env.file(&format!("{po}.edi"), text.as_bytes());
        let (code, _, err) = env.run(&["ingest", f.to_str().unwrap(), "--partner", "acme"]);
        assert_eq!(code, 0, "{err}");
    }
    let before = listing(&env, &env.database_url);
    assert_eq!(before.lines().count(), 3, "{before}");
    // Wharf's AS2 pair, as the first start makes it: keys to back up.
    let (code, _, err) = env.run(&["as2", "new-cert"]);
    assert_eq!(code, 0, "{err}");

    let dir = env.path().join("backup");
    let (code, out, err) = env.run(&["backup", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(mode(&dir), 0o700);
    let manifest = std::fs::read_to_string(dir.join("MANIFEST")).unwrap();
    assert!(manifest.contains("\tpartners "), "{manifest}");
    assert!(manifest.contains("\tkeys "), "{manifest}");
    assert!(!manifest.contains("password"), "{manifest}");
    let partners = manifest
        .lines()
        .find(|l| l.contains("\tpartners "))
        .unwrap()
        .split('\t')
        .next()
        .unwrap();
    assert!(dir.join(partners).join("acme.toml").exists());
    // Again into the same folder: refused, nothing overwritten.
    let (code, _, err) = env.run(&["backup", dir.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("not empty"), "{err}");

    let restored = match db {
        Db::Sqlite => {
            let file = dir.join("wharf.db");
            assert!(file.exists());
            // The live database's WAL is not in the backup: the snapshot stands alone.
            assert!(!manifest.contains("wharf.db-wal"));
            format!("sqlite://{}", file.display())
        }
        Db::Postgres => {
            use sqlx::Connection;
            let name = format!("wharf_restore_{}", uuid::Uuid::new_v4().simple());
            let mut conn =
                sqlx::PgConnection::connect(&format!("{}/postgres", crate::kit::pg_base()))
                    .await
                    .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let url = format!("{}/{name}", crate::kit::pg_base());
            let status = std::process::Command::new("pg_restore")
                .args(["--no-owner", "--dbname", &url])
                .arg(dir.join("wharf.dump"))
                .status()
                .unwrap();
            assert!(status.success());
            url
        }
    };
    let after = listing(&env, &restored);
    assert_eq!(after, before);
    if db == Db::Postgres {
        let name = restored.rsplit('/').next().unwrap().to_string();
        let _ = std::process::Command::new("psql")
            .arg(format!("{}/postgres", crate::kit::pg_base()))
            .args(["-qc", &format!("DROP DATABASE {name}")])
            .status();
    }
}

on_both_backends!(
    a_schema_behind_is_refused_until_wharf_migrate,
    a_database_migrated_by_a_newer_wharf_is_refused,
    a_backup_restores_to_the_same_messages,
);

/// Drives `wharf admin add-user` on a pseudo-terminal as an operator types, answering each
/// prompt; returns (exit status, everything the terminal showed).
fn add_user_on_a_terminal(env: &TestEnv, first: &str, second: &str) -> (i32, String) {
    const DRIVER: &str = r#"
import os, pty, sys, time
binary, first, second = sys.argv[1], sys.argv[2], sys.argv[3]
pid, fd = pty.fork()
if pid == 0:
    os.execv(binary, [binary, "admin", "add-user", "alice", "--role", "admin"])
seen = b""
def until(word):
    global seen
    deadline = time.time() + 20
    while word not in seen and time.time() < deadline:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    return word in seen
import termios
def echo_off():
    # The prompt is printed before echo is turned off: type only once it is, as a person
    # (slower than a program) would. The master reads the terminal's own settings.
    deadline = time.time() + 20
    while time.time() < deadline:
        if not termios.tcgetattr(fd)[3] & termios.ECHO:
            return True
        time.sleep(0.01)
    return False
answers = [first, second]
for n, answer in enumerate(answers):
    if not until(b"again" if n else b"password for alice"):
        break
    if not echo_off():
        # Never asked without echo: stop it rather than wait for it forever.
        os.kill(pid, 9)
        seen += b"[echo never turned off]"
        break
    os.write(fd, answer.encode() + b"\r")
    time.sleep(0.2)
until(b"\x00")  # drain to the end
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", DRIVER, env!("CARGO_BIN_EXE_wharf"), first, second])
        .current_dir(env.path())
        .envs(env.envs())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn add_user_asks_for_the_password_twice_without_echo_on_a_terminal() {
    let env = TestEnv::new(Db::Sqlite).await;
    let secret = "correct-horse-battery";
    let (code, shown) = add_user_on_a_terminal(&env, secret, "correct-horse-batterY");
    assert_ne!(code, 0, "{shown}");
    assert!(shown.contains("differ"), "{shown}");
    assert!(!shown.contains(secret), "the password was echoed: {shown}");

    let (code, shown) = add_user_on_a_terminal(&env, secret, secret);
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("password for alice (again)"), "{shown}");
    assert!(
        shown.contains("operator alice (admin) can sign in"),
        "{shown}"
    );
    assert!(!shown.contains(secret), "the password was echoed: {shown}");
    // The password typed is the one kept.
    let store = env.store().await;
    let user = wharf::store::admin::user_by_name(&store, "alice")
        .await
        .unwrap()
        .expect("alice was added");
    assert!(wharf::partners::channels::verify_password(
        &user.password_hash,
        secret
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_says_what_to_do_next_and_the_host_key_fingerprint() {
    let env = TestEnv::new(Db::Sqlite).await;
    let app = env.serve();
    assert!(
        app.banner
            .contains("wharf admin add-user NAME --role admin"),
        "{}",
        app.banner
    );
    // The fingerprint partners compare, as OpenSSH's ssh-keygen prints it for the key file.
    let out = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(env.path().join("certs/ssh_host_ed25519_key"))
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    let fingerprint = printed.split_whitespace().nth(1).expect("ssh-keygen -l");
    assert!(fingerprint.starts_with("SHA256:"), "{printed}");
    assert!(
        app.banner.contains(&format!("host key {fingerprint}")),
        "{}\n{printed}",
        app.banner
    );
    app.stop();

    // Once an operator exists, the hint is gone.
    let mut add = env
        .wharf()
        .args(["admin", "add-user", "alice", "--role", "admin"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    add.stdin
        .take()
        .unwrap()
        .write_all(b"a-long-enough-password\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    let app = env.serve();
    assert!(!app.banner.contains("add-user"), "{}", app.banner);
    app.stop();
}

/// A SIGTERM that arrives while Wharf is still starting (the database is there, the banner
/// not yet) stops it cleanly once it has started: exit 0, not killed by the signal. In a
/// container, where Wharf is PID 1, a signal without a handler is dropped, and an
/// orchestrator's early stop used to hang until SIGKILL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_during_start_is_kept_and_stops_it_cleanly() {
    use std::os::unix::process::ExitStatusExt;
    let env = TestEnv::new(Db::Sqlite).await;
    let db = env.path().join("data/wharf.db");
    let child = env
        .wharf()
        .arg("serve")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The database file is made at the start of the build, before anything listens.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !db.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no database after 30 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.signal(),
        None,
        "killed by the signal instead of stopping: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("shutting down"),
        "it stopped as on any SIGTERM: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
