//! The partner's side of AS2 for these tests: an openssl-driven partner that answers (or posts)
//! MDNs, a fake receiver for what Wharf sends, and the MDNs and MICs it computes.

use super::*;

/// An asynchronous MDN: the POST is answered 200 at once with no body, and the signed MDN
/// is posted to the `Receipt-Delivery-Option` URL.
/// Accepts one HTTP request on `listener`, answers 200 and returns the request's bytes.
pub(super) fn catch_one(listener: &std::net::TcpListener) -> Vec<u8> {
    use std::io::{Read, Write};
    let (mut s, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    // Headers, then Content-Length bytes of body.
    loop {
        let n = s.read(&mut chunk).unwrap();
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|x| x == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len || n == 0 {
                break;
            }
        }
        if n == 0 {
            break;
        }
    }
    s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    buf
}

/// An 850 from Globex's X12 identity (01/123456789).
pub(super) fn globex_850(isa13: u32, po: &str) -> Vec<u8> {
    String::from_utf8(order_850_from("123456789", isa13, po))
        .unwrap()
        .replace(
            "*ZZ*123456789      *ZZ*WHARF",
            "*01*123456789      *ZZ*WHARF",
        )
        .into_bytes()
}

/// The parts of a multipart body as split by the test itself (RFC 2046: the line break
/// before a delimiter is the delimiter's), independent of Wharf's MIME code.
pub(super) fn split_parts(body: &[u8], boundary: &str) -> Vec<Vec<u8>> {
    let text = body;
    let delim = format!("--{boundary}");
    let mut starts = Vec::new();
    let mut i = 0;
    while let Some(n) = text[i..]
        .windows(delim.len())
        .position(|w| w == delim.as_bytes())
    {
        starts.push(i + n);
        i += n + delim.len();
    }
    let mut parts = Vec::new();
    for k in 0..starts.len() - 1 {
        let begin = starts[k] + delim.len() + 2;
        let end = starts[k + 1] - 2;
        parts.push(text[begin..end].to_vec());
    }
    parts
}

/// A partner's AS2 server played by the openssl CLI: decrypts what Wharf posts, verifies
/// Wharf's signature over the first part, and answers with an MDN it signs, carrying the MIC
/// `openssl dgst` computed. The first answer carries a wrong MIC. Returns each request's
/// (Message-ID, payload entity, Wharf's signature verified).
pub(super) fn openssl_partner(
    dir: PathBuf,
    listener: std::net::TcpListener,
    requests: usize,
) -> std::thread::JoinHandle<Vec<(String, Vec<u8>, bool)>> {
    openssl_partner_with(dir, listener, requests, Mdns::SyncWrongFirst)
}

/// How the openssl partner answers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mdns {
    /// In the response; the first with a wrong MIC.
    SyncWrongFirst,
    /// In the response, every one right.
    Sync,
    /// 200 at once, then the MDN posted to the `Receipt-Delivery-Option` URL.
    Async,
    /// 200 at once, and never an MDN.
    Never,
}

pub(super) fn openssl_partner_with(
    dir: PathBuf,
    listener: std::net::TcpListener,
    requests: usize,
    mode: Mdns,
) -> std::thread::JoinHandle<Vec<(String, Vec<u8>, bool)>> {
    use std::io::{Read, Write};
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for n in 0..requests {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65536];
            let (head, body) = loop {
                let got = s.read(&mut chunk).unwrap();
                buf.extend_from_slice(&chunk[..got]);
                if let Some(end) = buf.windows(4).position(|x| x == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).to_string();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break (head, buf[end + 4..end + 4 + len].to_vec());
                    }
                }
                assert!(got > 0, "connection closed early");
            };
            let header = |name: &str| {
                head.lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                    })
                    .unwrap_or_default()
            };
            let message_id = header("message-id");
            let receipt_url = header("receipt-delivery-option");
            // The MIC algorithm Wharf asked for: the last of signed-receipt-micalg.
            let micalg = header("disposition-notification-options")
                .rsplit(',')
                .next()
                .unwrap_or("sha-256")
                .trim()
                .to_owned();
            if matches!(mode, Mdns::Async | Mdns::Never) {
                assert!(!receipt_url.is_empty(), "an asynchronous MDN is asked for");
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .unwrap();
            }
            std::fs::write(dir.join("in.der"), &body).unwrap();
            let structure = openssl(
                &dir,
                &[
                    "cms", "-cmsout", "-print", "-inform", "DER", "-in", "in.der",
                ],
            );
            std::fs::write(dir.join("last-cms.txt"), structure).unwrap();
            openssl(
                &dir,
                &[
                    "cms",
                    "-decrypt",
                    "-binary",
                    "-inform",
                    "DER",
                    "-in",
                    "in.der",
                    "-recip",
                    "globex.pem",
                    "-inkey",
                    "globex.key",
                    "-out",
                    "dec.mime",
                ],
            );
            let dec = std::fs::read(dir.join("dec.mime")).unwrap();
            let (ct, inner) = split_smime(&dec);
            let boundary = ct
                .split(';')
                .find_map(|p| p.trim().strip_prefix("boundary="))
                .unwrap()
                .trim_matches('"')
                .to_owned();
            let parts = split_parts(&inner, &boundary);
            std::fs::write(dir.join("part1.bin"), &parts[0]).unwrap();
            let (_, sig_b64) = split_smime(&parts[1]);
            use base64::Engine;
            let compact: Vec<u8> = sig_b64
                .into_iter()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            let sig = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap();
            std::fs::write(dir.join("sig.der"), sig).unwrap();
            let verified = Command::new("openssl")
                .args([
                    "cms",
                    "-verify",
                    "-binary",
                    "-noverify",
                    "-nointern",
                    "-certfile",
                    "wharf.pem",
                    "-inform",
                    "DER",
                    "-in",
                    "sig.der",
                    "-content",
                    "part1.bin",
                    "-out",
                    "/dev/null",
                ])
                .current_dir(&dir)
                .stderr(Stdio::null())
                .status()
                .unwrap()
                .success();
            let mic = if n == 0 && mode == Mdns::SyncWrongFirst {
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned()
            } else {
                openssl_mic(&dir, &parts[0], &micalg.replace('-', ""))
            };
            let report = format!(
                "Content-Type: multipart/report; report-type=disposition-notification; boundary=\"r1\"\r\n\r\n\
                 --r1\r\nContent-Type: text/plain\r\n\r\nReceived.\r\n\
                 --r1\r\nContent-Type: message/disposition-notification\r\n\r\n\
                 Reporting-UA: openssl\r\nOriginal-Message-ID: {message_id}\r\n\
                 Final-Recipient: rfc822; GLOBEX-AS2\r\nReceived-Content-MIC: {mic}, {micalg}\r\n\
                 Disposition: automatic-action/MDN-sent-automatically; processed\r\n\r\n--r1--\r\n"
            );
            std::fs::write(dir.join("report.mime"), report).unwrap();
            openssl(
                &dir,
                &[
                    "cms",
                    "-sign",
                    "-crlfeol",
                    "-md",
                    "sha256",
                    "-in",
                    "report.mime",
                    "-signer",
                    "globex.pem",
                    "-inkey",
                    "globex.key",
                    "-out",
                    "mdn.smime",
                ],
            );
            let (mdn_ct, mdn_body) = split_smime(&std::fs::read(dir.join("mdn.smime")).unwrap());
            let (_, payload) = split_smime(&parts[0]);
            if matches!(mode, Mdns::Async | Mdns::Never) {
                if mode == Mdns::Async {
                    let url = receipt_url.strip_prefix("http://").unwrap();
                    let (host, path) = url.split_once('/').unwrap();
                    let mut post = std::net::TcpStream::connect(host).unwrap();
                    let mut req = format!(
                        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nAS2-Version: 1.2\r\nAS2-From: GLOBEX-AS2\r\nAS2-To: WHARF\r\nMessage-ID: <mdn-{n}@globex>\r\nContent-Type: {mdn_ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        mdn_body.len()
                    )
                    .into_bytes();
                    req.extend_from_slice(&mdn_body);
                    post.write_all(&req).unwrap();
                    let mut answer = String::new();
                    post.read_to_string(&mut answer).unwrap();
                    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
                }
                seen.push((message_id, payload, verified));
                continue;
            }
            let mut response = format!(
                "HTTP/1.1 200 OK\r\nAS2-From: GLOBEX-AS2\r\nAS2-To: WHARF\r\nContent-Type: {mdn_ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                mdn_body.len()
            )
            .into_bytes();
            response.extend_from_slice(&mdn_body);
            s.write_all(&response).unwrap();
            seen.push((message_id, payload, verified));
        }
        seen
    })
}

/// `entity` compressed (RFC 3274) by tests/peers/compress.py into a new entity.
pub(super) fn compressed_entity(dir: &Path, entity: &[u8], ber: bool) -> Vec<u8> {
    std::fs::write(dir.join("z.in"), entity).unwrap();
    let ok = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/peers/compress.py"
        ))
        .args(["z.in", "z.der"])
        .args(ber.then_some("ber"))
        .current_dir(dir)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let mut out = b"Content-Type: application/pkcs7-mime; smime-type=compressed-data; name=\"smime.p7z\"\r\nContent-Transfer-Encoding: binary\r\n\r\n".to_vec();
    out.extend_from_slice(&std::fs::read(dir.join("z.der")).unwrap());
    out
}

/// Globex's profile set for AS2 sending to `listener` with `mdn` receipts.
pub(super) fn globex_sends_to(w: &As2World, listener: &std::net::TcpListener, extra: &str) {
    globex_sends_to_scheme(w, "http", listener, extra);
}

pub(super) fn globex_sends_to_scheme(
    w: &As2World,
    scheme: &str,
    listener: &std::net::TcpListener,
    extra: &str,
) {
    let url = format!("{scheme}://{}/as2", listener.local_addr().unwrap());
    let profile = w.env.path().join("partners/globex.toml");
    let text = std::fs::read_to_string(&profile).unwrap();
    let text = text.replacen("[as2]\n", &format!("[as2]\nurl = \"{url}\"\n{extra}"), 1);
    std::fs::write(&profile, format!("{text}\n[outbound]\nchannel = \"as2\"\n")).unwrap();
    let (code, out, err) = w.env.run(&["partners", "check"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// One HTTP request as a partner's AS2 server sees it.
#[derive(Clone, Debug)]
pub(super) struct Req {
    pub(super) head: String,
    pub(super) body: Vec<u8>,
    /// Over HTTPS: the client presented a certificate.
    pub(super) client_cert: bool,
}

impl Req {
    pub(super) fn header(&self, name: &str) -> String {
        self.head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
            .unwrap_or_default()
    }
}

/// A partner's AS2 server: takes up to `requests` POSTs (giving up `within` after it
/// starts, so a gateway that stops sending fails the test instead of hanging it), answering
/// each with the bytes `answer` returns for it (its index among all, the request).
/// Over HTTPS when `tls` is given; a connection whose handshake fails (the client refused
/// the certificate) is no request.
pub(super) fn fake_receiver_on<F>(
    listener: std::net::TcpListener,
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    requests: usize,
    within: std::time::Duration,
    mut answer: F,
) -> std::thread::JoinHandle<Vec<Req>>
where
    F: FnMut(usize, &Req) -> Vec<u8> + Send + 'static,
{
    use std::io::{Read, Write};
    trait Stream: Read + Write {
        fn client_cert(&self) -> bool;
    }
    impl Stream for std::net::TcpStream {
        fn client_cert(&self) -> bool {
            false
        }
    }
    impl Stream for rustls::StreamOwned<rustls::ServerConnection, std::net::TcpStream> {
        fn client_cert(&self) -> bool {
            self.conn.peer_certificates().is_some_and(|c| !c.is_empty())
        }
    }
    std::thread::spawn(move || {
        listener.set_nonblocking(true).unwrap();
        let deadline = std::time::Instant::now() + within;
        let mut seen = Vec::new();
        while seen.len() < requests && std::time::Instant::now() < deadline {
            let s = match listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    continue;
                }
                Err(e) => panic!("accept: {e}"),
            };
            s.set_nonblocking(false).unwrap();
            s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
                .unwrap();
            let mut s: Box<dyn Stream> = match &tls {
                Some(config) => Box::new(rustls::StreamOwned::new(
                    rustls::ServerConnection::new(config.clone()).unwrap(),
                    s,
                )),
                None => Box::new(s),
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65536];
            let req = loop {
                let got = match s.read(&mut chunk) {
                    Ok(n) => n,
                    Err(_) if tls.is_some() && buf.is_empty() => break None,
                    Err(e) => panic!("read: {e}"),
                };
                buf.extend_from_slice(&chunk[..got]);
                if let Some(end) = buf.windows(4).position(|x| x == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).to_string();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break Some(Req {
                            head,
                            body: buf[end + 4..end + 4 + len].to_vec(),
                            client_cert: s.client_cert(),
                        });
                    }
                }
                if got == 0 && tls.is_some() && buf.is_empty() {
                    break None;
                }
                assert!(got > 0, "connection closed early");
            };
            let Some(req) = req else { continue };
            let response = answer(seen.len(), &req);
            s.write_all(&response).unwrap();
            seen.push(req);
        }
        seen
    })
}

/// What the partner received and the MIC RFC 4130 §7.3.1 has it return, computed with the
/// openssl CLI: decrypted when enveloped; over the signed part (headers included) when
/// signed, over the decrypted entity (headers included) when only encrypted, over the
/// content alone (no MIME headers) when neither. (payload, MIC, the algorithm's name.)
pub(super) fn rfc_mic(dir: &Path, req: &Req) -> (Vec<u8>, String, String) {
    let micalg = req
        .header("disposition-notification-options")
        .rsplit(',')
        .next()
        .unwrap_or("sha-256")
        .trim()
        .to_owned();
    let md = micalg.replace('-', "");
    let ct = req.header("content-type");
    let (ct, body, decrypted) = if ct.starts_with("application/pkcs7-mime") {
        std::fs::write(dir.join("in.der"), &req.body).unwrap();
        openssl(
            dir,
            &[
                "cms",
                "-decrypt",
                "-binary",
                "-inform",
                "DER",
                "-in",
                "in.der",
                "-recip",
                "globex.pem",
                "-inkey",
                "globex.key",
                "-out",
                "dec.mime",
            ],
        );
        let dec = std::fs::read(dir.join("dec.mime")).unwrap();
        let (ct, body) = split_smime(&dec);
        (ct, body, Some(dec))
    } else {
        (ct, req.body.clone(), None)
    };
    if ct.starts_with("multipart/signed") {
        let boundary = ct
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .unwrap()
            .trim_matches('"')
            .to_owned();
        let parts = split_parts(&body, &boundary);
        let (_, payload) = split_smime(&parts[0]);
        return (payload, openssl_mic(dir, &parts[0], &md), micalg);
    }
    match decrypted {
        Some(entity) => (body, openssl_mic(dir, &entity, &md), micalg),
        None => (body.clone(), openssl_mic(dir, &body, &md), micalg),
    }
}

/// An MDN in an HTTP response, signed by Globex with openssl or not.
pub(super) fn mdn_response(
    dir: &Path,
    original: &str,
    mic: &str,
    micalg: &str,
    signed: bool,
) -> Vec<u8> {
    let report = format!(
        "Content-Type: multipart/report; report-type=disposition-notification; boundary=\"r1\"\r\n\r\n\
         --r1\r\nContent-Type: text/plain\r\n\r\nReceived.\r\n\
         --r1\r\nContent-Type: message/disposition-notification\r\n\r\n\
         Reporting-UA: openssl\r\nOriginal-Message-ID: {original}\r\n\
         Final-Recipient: rfc822; GLOBEX-AS2\r\nReceived-Content-MIC: {mic}, {micalg}\r\n\
         Disposition: automatic-action/MDN-sent-automatically; processed\r\n\r\n--r1--\r\n"
    );
    std::fs::write(dir.join("report.mime"), &report).unwrap();
    let (ct, body) = if signed {
        openssl(
            dir,
            &[
                "cms",
                "-sign",
                "-crlfeol",
                "-md",
                "sha256",
                "-in",
                "report.mime",
                "-signer",
                "globex.pem",
                "-inkey",
                "globex.key",
                "-out",
                "mdn.smime",
            ],
        );
        split_smime(&std::fs::read(dir.join("mdn.smime")).unwrap())
    } else {
        split_smime(report.as_bytes())
    };
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nAS2-From: GLOBEX-AS2\r\nAS2-To: WHARF\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    response
}

/// How the fake receiver answers one attempt to send a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reply {
    /// 503: the server is away.
    Away,
    /// A signed MDN for this Message-ID with the RFC's MIC.
    Good,
    /// As `Good`, but for another Message-ID.
    OtherId,
    /// As `Good`, but unsigned.
    Unsigned,
}

/// Globex's profile (`sign`, `encrypt`, `id_toml`) sends over AS2 to a fake receiver that
/// answers the n-th attempt at each message with `plan[n]`; one 850 in makes two messages
/// out (a 999 and a TA1). Returns the world (served) and every request with its payload,
/// once both messages are sent.
pub(super) async fn send_through(
    db: Db,
    id_toml: &str,
    sign: bool,
    encrypt: bool,
    plan: &'static [Reply],
) -> (As2World, crate::kit::Server, Vec<(Req, Vec<u8>)>) {
    send_through_with(db, id_toml, sign, encrypt, plan, "", &[]).await
}

/// As [`send_through`], with `extra` lines in Globex's `[as2]` and variables for `serve`.
pub(super) async fn send_through_with(
    db: Db,
    id_toml: &str,
    sign: bool,
    encrypt: bool,
    plan: &'static [Reply],
    extra: &str,
    vars: &[(&str, &str)],
) -> (As2World, crate::kit::Server, Vec<(Req, Vec<u8>)>) {
    let w = As2World::named(db, id_toml, &["globex"], sign, encrypt).await;
    send_through_world(w, plan, extra, vars, None).await
}

/// As [`send_through_with`] in a world already made, the receiver over HTTPS with `tls`
/// (`extra` may name the files of [`tls_files`] in `w.dir`, `{dir}` standing for it).
pub(super) async fn send_through_world(
    mut w: As2World,
    plan: &'static [Reply],
    extra: &str,
    vars: &[(&str, &str)],
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
) -> (As2World, crate::kit::Server, Vec<(Req, Vec<u8>)>) {
    for (k, v) in vars {
        w.env.set_env(k, v);
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let extra = extra.replace("{dir}", w.dir.to_str().unwrap());
    let scheme = if tls.is_some() { "https" } else { "http" };
    globex_sends_to_scheme(&w, scheme, &listener, &extra);
    let dir = w.dir.clone();
    let mut attempts: std::collections::HashMap<Vec<u8>, usize> = Default::default();
    let receiver = fake_receiver_on(
        listener,
        tls,
        2 * plan.len(),
        std::time::Duration::from_secs(60),
        move |_, req| {
            let (payload, mic, micalg) = rfc_mic(&dir, req);
            let n = attempts.entry(payload).or_default();
            let reply = plan.get(*n).copied().unwrap_or(Reply::Good);
            *n += 1;
            let id = req.header("message-id");
            match reply {
                Reply::Away => b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
                Reply::Good => mdn_response(&dir, &id, &mic, &micalg, true),
                Reply::OtherId => mdn_response(&dir, "<someone-else@wharf>", &mic, &micalg, true),
                Reply::Unsigned => mdn_response(&dir, &id, &mic, &micalg, false),
            }
        },
    );
    w.env
        .ingest_for("globex", "po.x12", &globex_850(9501, "PO-9501"));
    let server = w.env.serve_process();
    let seen = receiver.join().unwrap();
    let seen: Vec<(Req, Vec<u8>)> = seen
        .into_iter()
        .map(|r| {
            let (payload, _, _) = rfc_mic(&w.dir, &r);
            (r, payload)
        })
        .collect();
    assert_eq!(
        seen.len(),
        2 * plan.len(),
        "every attempt of the plan {plan:?} reached the partner"
    );
    let store = w.env.store().await;
    crate::kit::wait_for(std::time::Duration::from_secs(30), "both sent", || async {
        let out =
            crate::kit::messages_of(&store, "globex", Direction::Out, Some(MessageState::Sent))
                .await;
        (out.len() == 2).then_some(())
    })
    .await;
    (w, server, seen)
}

/// The history of each message Wharf sent to Globex, as texts.
pub(super) async fn sent_histories(w: &As2World) -> Vec<(messages::Message, Vec<String>)> {
    let store = w.env.store().await;
    let mut out = Vec::new();
    for m in crate::kit::messages_of(&store, "globex", Direction::Out, None).await {
        let texts = wharf::store::events::for_message(&store, m.id)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| e.detail)
            .collect();
        out.push((m, texts));
    }
    out
}
