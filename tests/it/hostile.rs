//! Issue 17, "Hostile world": clients and partners that misbehave on purpose or by accident
//! must cost the gateway only bounded resources and must not hold up anyone else. Each test
//! is named after its finding: slow headers and stalled bodies are cut and connections are
//! limited per address (finding 11); an asynchronous MDN to a server that never answers does
//! not delay another partner's, and a partner's login goes only to its own server (finding 7).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::kit::{Db, TestEnv, http};

/// Reads until the server closes `s`: what it sent, or `None` when the read timed out (the
/// connection still open after `patience`). A reset counts as closed.
fn read_until_closed(s: &mut TcpStream, patience: Duration) -> Option<Vec<u8>> {
    s.set_read_timeout(Some(patience)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None;
            }
            Err(_) => return Some(got),
        }
    }
}

/// Whether the other end still holds `s` open: what it sent is read and dropped, and then
/// there is nothing more to read yet, no end of stream.
fn still_open(mut s: &TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 4096];
    let open = loop {
        match s.read(&mut buf) {
            Ok(0) => break false,
            Ok(_) => continue,
            Err(e) => break e.kind() == std::io::ErrorKind::WouldBlock,
        }
    };
    s.set_nonblocking(false).unwrap();
    open
}

/// `GET /healthz` from `from` (a loopback address of the client's choosing).
async fn healthz_from(from: &str, server: SocketAddr) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut s = socket.connect(server).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut resp = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut resp)).await;
    String::from_utf8_lossy(&resp)
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_11_slow_headers_are_cut() {
    let mut env = TestEnv::new(Db::Sqlite).await;
    env.set_env("WHARF_HTTP__HEADER_TIMEOUT_MS", "500");
    let server = env.serve();
    // A request line and one header, then nothing: the end of the headers never comes.
    let mut slow = TcpStream::connect(server.addr).unwrap();
    slow.write_all(b"POST /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // Meanwhile another client is served.
    let (status, body) = http(server.addr, "GET", "/healthz", b"");
    assert_eq!(status, 200, "{body}");
    // The slow one is closed by the server (generous patience: a liveness bound, not a
    // measurement), without any request having been handled.
    let got = read_until_closed(&mut slow, Duration::from_secs(20))
        .expect("the server still holds a connection whose headers never ended");
    let text = String::from_utf8_lossy(&got);
    assert!(!text.contains(" 200 "), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_11_stalled_body_is_cut() {
    let mut env = TestEnv::new(Db::Sqlite).await;
    env.set_env("WHARF_HTTP__BODY_TIMEOUT_MS", "500");
    let server = env.serve();
    let mut s = TcpStream::connect(server.addr).unwrap();
    // Headers promise 1000 bytes; 10 come, then nothing.
    s.write_all(
        b"POST /api/v1/partners/acme/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nISA*00*   ",
    )
    .unwrap();
    let got = read_until_closed(&mut s, Duration::from_secs(20))
        .expect("the server still waits for a body that stalled");
    let text = String::from_utf8_lossy(&got);
    assert!(
        !text.contains(" 202 "),
        "a cut body must not be taken: {text}"
    );
    let store = env.store().await;
    let taken = crate::kit::messages_of(&store, "acme", wharf::store::Direction::In, None).await;
    assert!(taken.is_empty(), "{taken:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_11_connections_per_address_are_limited() {
    let mut env = TestEnv::new(Db::Sqlite).await;
    env.set_env("WHARF_HTTP__MAX_CONNECTIONS_PER_ADDRESS", "8");
    // Long enough that the idle connections are not closed by it during the test.
    env.set_env("WHARF_HTTP__HEADER_TIMEOUT_MS", "120000");
    let server = env.serve();
    // Eight idle connections take this address's places; accepted in order, so these are
    // the eight the server counts.
    let allowed: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    // A request on one proves they are being served (and counted) before the rest come.
    let mut first = allowed[0].try_clone().unwrap();
    first
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut head = [0u8; 12];
    first
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    first.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200", "{}", String::from_utf8_lossy(&head));
    // Beyond the limit: closed at once, before anything is read.
    for i in 0..12 {
        let mut extra = TcpStream::connect(server.addr).unwrap();
        let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        let got = read_until_closed(&mut extra, Duration::from_secs(20))
            .unwrap_or_else(|| panic!("connection {} beyond the limit was kept open", 9 + i));
        assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    }
    // Another address is not affected (Linux answers for all of 127.0.0.0/8).
    assert_eq!(healthz_from("127.0.0.2", server.addr).await, 200);
    // The allowed ones are still open; once they are closed, the address is served again.
    assert!(allowed.iter().skip(1).all(still_open));
    drop(first);
    drop(allowed);
    crate::kit::wait_for(
        Duration::from_secs(30),
        "the address served again",
        || async { (healthz_from("127.0.0.1", server.addr).await == 200).then_some(()) },
    )
    .await;
}

/// A destination that accepts MDN posts and never answers; the request's first bytes are
/// reported on `seen` and the connection is kept until the test ends.
fn silent_destination(seen: std::sync::mpsc::Sender<(String, TcpStream)>) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { return };
            let mut buf = [0u8; 64];
            let n = s.read(&mut buf).unwrap_or(0);
            let first = String::from_utf8_lossy(&buf[..n]).into_owned();
            if seen.send((first, s)).is_err() {
                return;
            }
        }
    });
    addr
}

/// A destination that answers 200 to every post; each request's head (request line and
/// headers) on `seen`.
fn answering_destination(seen: std::sync::mpsc::Sender<String>) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { return };
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            // The headers, then Content-Length bytes of body.
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if got.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            let text = String::from_utf8_lossy(&got);
            let head = text.split("\r\n\r\n").next().unwrap_or_default().to_owned();
            if seen.send(head).is_err() {
                return;
            }
        }
    });
    addr
}

async fn finding_7_a_silent_mdn_destination_delays_no_one_else(db: Db) {
    let env = TestEnv::new(db).await;
    let server = env.serve();
    let (silent_tx, silent_rx) = std::sync::mpsc::channel();
    let (answer_tx, answer_rx) = std::sync::mpsc::channel();
    let silent = silent_destination(silent_tx);
    let answering = answering_destination(answer_tx);
    let store = env.store().await;
    let headers = vec![
        ("as2-version".to_owned(), "1.2".to_owned()),
        ("content-type".to_owned(), "text/plain".to_owned()),
    ];
    // The silent partner's MDNs are owed first, so the poster takes them first: more of them
    // than one round claims, so that the prompt partner's is reached only if an MDN given
    // back for its busy destination goes behind the others.
    for i in 0..70 {
        wharf::store::as2::owe_mdn(
            &store,
            "SILENT-AS2",
            &format!("<{i}@silent>"),
            &format!("http://{silent}/mdn"),
            &headers,
            b"receipt for silent",
        )
        .await
        .unwrap();
    }
    let (first, hanging) = silent_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the silent destination's post");
    assert!(first.starts_with("POST /mdn"), "{first}");
    wharf::store::as2::owe_mdn(
        &store,
        "PROMPT-AS2",
        "<two@prompt>",
        &format!("http://{answering}/mdn"),
        &headers,
        b"receipt for prompt",
    )
    .await
    .unwrap();
    let line = answer_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the answering destination's post");
    assert!(line.starts_with("POST /mdn"), "{line}");
    // The order of events: the second MDN arrived while the first post still hangs (its
    // client has not given up on it and closed the connection).
    assert!(
        still_open(&hanging),
        "the second MDN came only after the first post was given up"
    );
    drop(server);
}

/// The sending partner's own login goes with an MDN to the server its profile's `[as2] url`
/// names, and never to another host:port a request asked for.
async fn finding_7_the_partners_login_goes_only_to_its_own_server(db: Db) {
    let mut env = TestEnv::new(db).await;
    let (own_tx, own_rx) = std::sync::mpsc::channel();
    let (other_tx, other_rx) = std::sync::mpsc::channel();
    let own = answering_destination(own_tx);
    let other = answering_destination(other_tx);
    let profile = env.path().join("partners/globex.toml");
    let text = std::fs::read_to_string(&profile).unwrap().replace(
        "url = \"https://as2.globex.example/receive\"",
        &format!(
            "url = \"http://{own}/receive\"\nurl_user = \"wharf\"\nurl_password = \"env:WHARF_SECRET_GLOBEX_URL\""
        ),
    );
    assert!(
        text.contains("url_user"),
        "the sample profile's url changed"
    );
    std::fs::write(&profile, text).unwrap();
    env.set_env("WHARF_SECRET_GLOBEX_URL", "p4ss");
    let server = env.serve_process();
    let store = env.store().await;
    let headers = vec![("content-type".to_owned(), "text/plain".to_owned())];
    for (n, to) in [(1, own), (2, other)] {
        wharf::store::as2::owe_mdn(
            &store,
            "GLOBEX-AS2",
            &format!("<{n}@globex>"),
            &format!("http://{to}/mdn"),
            &headers,
            b"receipt",
        )
        .await
        .unwrap();
    }
    let own_head = own_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the MDN to Globex's own server")
        .to_ascii_lowercase();
    let other_head = other_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the MDN to the other server")
        .to_ascii_lowercase();
    assert!(
        own_head.contains("authorization: basic d2hhcmy6cdrzcw=="),
        "{own_head}"
    );
    assert!(!other_head.contains("authorization"), "{other_head}");
    assert!(!server.log().contains("p4ss"));
    drop(server);
}

on_both_backends!(
    finding_7_a_silent_mdn_destination_delays_no_one_else,
    finding_7_the_partners_login_goes_only_to_its_own_server,
);
