//! AS2 receiving against the `openssl` CLI as an independent S/MIME implementation: it signs
//! (each SHA, PKCS#1 v1.5 and PSS) and encrypts (3DES, AES-CBC, AES-GCM; RSA v1.5 and OAEP)
//! a partner's message; Wharf's MDN must verify with it and carry the MIC `openssl dgst`
//! computes over the signed part. Failures get their dispositions; a resent Message-ID is
//! answered without a second message (and only once the resend passed decryption and
//! signature); a partner's old and new certificates both work; AS2 names may hold spaces.
//! Sending: the openssl CLI, or a fake receiver computing the MIC per RFC 4130 §7.3.1, as
//! the partner: one Message-ID across retries; MDNs for another Message-ID, or unsigned
//! when a signed one was asked for, are no receipt.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::kit::{Db, TestEnv, openssl, order_850_from};
use wharf::store::messages;
use wharf::store::{Channel, Direction, MessageState};

mod hostile;
mod inbound;
mod large;
mod mdn;
mod metrics;
mod partner;
mod send;
mod tls;

use partner::*;

/// A key and self-signed certificate `name.key` / `name.pem` in `dir`.
fn keypair(dir: &Path, name: &str) -> PathBuf {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
    dir.join(format!("{name}.pem"))
}

/// The test's world: Wharf's AS2 pair made with `wharf as2 new-cert`, Globex's key pair(s)
/// named in its profile.
struct As2World {
    env: TestEnv,
    dir: PathBuf,
}

impl As2World {
    async fn new(db: Db, partner_certs: &[&str], sign: bool, encrypt: bool) -> As2World {
        As2World::named(db, "\"GLOBEX-AS2\"", partner_certs, sign, encrypt).await
    }

    /// With Globex's `[as2] id` written as `id_toml` (a TOML value).
    async fn named(
        db: Db,
        id_toml: &str,
        partner_certs: &[&str],
        sign: bool,
        encrypt: bool,
    ) -> As2World {
        let mut env = TestEnv::new(db).await;
        let dir = env.path().join("as2");
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = (dir.join("wharf.pem"), dir.join("wharf.key"));
        env.set_env("WHARF_AS2__CERT", cert.to_str().unwrap());
        env.set_env("WHARF_AS2__KEY", key.to_str().unwrap());
        let (code, out, err) = env.run(&["as2", "new-cert"]);
        assert_eq!(code, 0, "{out}{err}");
        for name in ["globex", "globex-2027", "stranger"] {
            keypair(&dir, name);
        }
        let certs: Vec<String> = partner_certs
            .iter()
            .map(|n| format!("\"{}\"", dir.join(format!("{n}.pem")).display()))
            .collect();
        let profile = env.path().join("partners/globex.toml");
        let text = std::fs::read_to_string(&profile).unwrap();
        let start = text.find("[as2]").unwrap();
        let end = start + text[start..].find("\n\n").unwrap();
        let text = format!(
            "{}[as2]\nid = {id_toml}\ncertificates = [{}]\nsign = {sign}\nencrypt = {encrypt}\n{}",
            &text[..start],
            certs.join(", "),
            &text[end..]
        );
        std::fs::write(&profile, text).unwrap();
        let (code, out, err) = env.run(&["partners", "check"]);
        assert_eq!(code, 0, "{out}{err}");
        As2World { env, dir }
    }
}

/// What a partner's AS2 product does to a payload.
#[derive(Clone, Copy, Debug)]
struct Wrap {
    /// openssl `-md` value, and PSS padding.
    sign: Option<(&'static str, bool)>,
    /// openssl cipher option, and OAEP key transport.
    encrypt: Option<(&'static str, bool)>,
    /// Base64 transfer encoding of the enveloped data (else binary).
    base64: bool,
    /// Who signs (`globex`, `globex-2027`, `stranger`).
    signer: &'static str,
    /// Whose certificate the message is encrypted for (`wharf` or `stranger`).
    recipient: &'static str,
}

const PLAIN: Wrap = Wrap {
    sign: Some(("sha256", false)),
    encrypt: Some(("-aes256", false)),
    base64: false,
    signer: "globex",
    recipient: "wharf",
};

/// A built message: HTTP Content-Type and extra headers, body, and the bytes the MIC covers.
struct Built {
    content_type: String,
    transfer_encoding: Option<&'static str>,
    body: Vec<u8>,
    mic_bytes: Vec<u8>,
}

/// The payload entity: an 850 from Globex with its MIME headers.
fn payload(po: &str) -> (Vec<u8>, Vec<u8>) {
    let x12 = order_850_from("GLOBEX", 7000 + po.len() as u32, po);
    let mut entity = b"Content-Type: application/edi-x12\r\nContent-Disposition: attachment; filename=\"po.edi\"\r\n\r\n".to_vec();
    entity.extend_from_slice(&x12);
    (entity, x12)
}

/// Splits openssl's S/MIME output into its Content-Type header value and its body.
fn split_smime(smime: &[u8]) -> (String, Vec<u8>) {
    let text = smime;
    let pos = text
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, 4))
        .or_else(|| text.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2)))
        .expect("header end");
    let head = String::from_utf8_lossy(&text[..pos.0]).replace("\r\n", "\n");
    let mut ct = String::new();
    let mut in_ct = false;
    for line in head.lines() {
        if line.to_ascii_lowercase().starts_with("content-type:") {
            ct = line["content-type:".len()..].trim().to_owned();
            in_ct = true;
        } else if in_ct && line.starts_with([' ', '\t']) {
            ct.push(' ');
            ct.push_str(line.trim());
        } else {
            in_ct = false;
        }
    }
    (ct, text[pos.0 + pos.1..].to_vec())
}

fn build(dir: &Path, entity: &[u8], w: Wrap) -> Built {
    std::fs::write(dir.join("payload.mime"), entity).unwrap();
    let mut layer = entity.to_vec();
    let mut mic_bytes = entity.to_vec();
    let mut content_type = "application/edi-x12".to_owned();
    let mut body = entity.to_vec();
    if let Some((md, pss)) = w.sign {
        let mut args = vec![
            "cms",
            "-sign",
            "-binary",
            "-crlfeol",
            "-md",
            md,
            "-in",
            "payload.mime",
            "-signer",
        ];
        let signer = format!("{}.pem", w.signer);
        let key = format!("{}.key", w.signer);
        args.extend([signer.as_str(), "-inkey", key.as_str()]);
        if pss {
            args.extend(["-keyopt", "rsa_padding_mode:pss"]);
        }
        args.extend(["-out", "signed.smime"]);
        openssl(dir, &args);
        layer = std::fs::read(dir.join("signed.smime")).unwrap();
        (content_type, body) = split_smime(&layer);
    }
    let mut transfer_encoding = None;
    if let Some((cipher, oaep)) = w.encrypt {
        // The whole entity (headers and body) is what gets encrypted.
        let input = if w.sign.is_some() {
            "signed.smime"
        } else {
            "payload.mime"
        };
        let recip = format!("{}.pem", w.recipient);
        let mut args = vec![
            "cms",
            "-encrypt",
            "-binary",
            "-in",
            input,
            "-outform",
            "DER",
            "-out",
            "enc.der",
            cipher,
            "-recip",
            recip.as_str(),
        ];
        if oaep {
            args.extend(["-keyopt", "rsa_padding_mode:oaep"]);
        }
        openssl(dir, &args);
        let der = std::fs::read(dir.join("enc.der")).unwrap();
        content_type =
            "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"".to_owned();
        if w.sign.is_none() {
            mic_bytes = layer.clone();
        }
        body = if w.base64 {
            use base64::Engine;
            transfer_encoding = Some("base64");
            base64::engine::general_purpose::STANDARD
                .encode(&der)
                .into_bytes()
                .chunks(76)
                .flat_map(|c| [c, b"\r\n"].concat())
                .collect()
        } else {
            der
        };
    }
    Built {
        content_type,
        transfer_encoding,
        body,
        mic_bytes,
    }
}

/// The MIC `openssl dgst` computes over `bytes` with `md`, base64.
fn openssl_mic(dir: &Path, bytes: &[u8], md: &str) -> String {
    use base64::Engine;
    std::fs::write(dir.join("mic.in"), bytes).unwrap();
    let d = openssl(dir, &["dgst", &format!("-{md}"), "-binary", "mic.in"]);
    base64::engine::general_purpose::STANDARD.encode(d)
}

/// An MDN as received: status, headers, body.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// Verifies the signed MDN with openssl against Wharf's certificate only; the report.
    /// In text mode: openssl's `-binary` reading of multipart/signed keeps the line break
    /// before the boundary in the content (it cannot verify its own `-binary -crlfeol`
    /// output), and an MDN is CRLF text, which text mode leaves as it is.
    fn verified_report(&self, dir: &Path) -> String {
        let mut smime =
            format!("Content-Type: {}\r\n\r\n", self.header("content-type")).into_bytes();
        smime.extend_from_slice(&self.body);
        std::fs::write(dir.join("mdn.smime"), &smime).unwrap();
        openssl(
            dir,
            &[
                "cms",
                "-verify",
                "-noverify",
                "-nointern",
                "-certfile",
                "wharf.pem",
                "-in",
                "mdn.smime",
                "-out",
                "report.txt",
            ],
        );
        String::from_utf8(std::fs::read(dir.join("report.txt")).unwrap()).unwrap()
    }
}

async fn post(
    server: &crate::kit::Endpoint,
    built: &Built,
    message_id: &str,
    options: Option<&str>,
    extra: &[(&str, &str)],
) -> Answer {
    post_with(
        &reqwest::Client::new(),
        server,
        built,
        message_id,
        options,
        extra,
    )
    .await
}

/// As [`post`], with the partner's own HTTP client (its trusted CAs).
async fn post_with(
    client: &reqwest::Client,
    server: &crate::kit::Endpoint,
    built: &Built,
    message_id: &str,
    options: Option<&str>,
    extra: &[(&str, &str)],
) -> Answer {
    let mut req = client
        .post(server.url("/as2"))
        .header("AS2-Version", "1.2")
        .header(
            "AS2-From",
            extra
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("as2-from"))
                .map_or("\"GLOBEX-AS2\"", |(_, v)| *v),
        )
        .header(
            "AS2-To",
            extra
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("as2-to"))
                .map_or("WHARF", |(_, v)| *v),
        )
        .header("Message-ID", message_id)
        .header("Content-Type", &built.content_type)
        .header("Disposition-Notification-To", "edi@globex.example");
    if let Some(o) = options {
        req = req.header("Disposition-Notification-Options", o);
    }
    if let Some(te) = built.transfer_encoding {
        req = req.header("Content-Transfer-Encoding", te);
    }
    for (k, v) in extra
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("as2-to") && !k.eq_ignore_ascii_case("as2-from"))
    {
        req = req.header(*k, *v);
    }
    let resp = req
        .body(built.body.clone())
        .send()
        .await
        .expect("POST /as2");
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.bytes().await.unwrap().to_vec(),
    }
}

const SIGNED_SHA256: &str =
    "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256";

async fn as2_messages(env: &TestEnv) -> Vec<messages::Message> {
    crate::kit::messages_of(&env.store().await, "globex", Direction::In, None)
        .await
        .into_iter()
        .filter(|m| m.channel == Channel::As2)
        .collect()
}

/// The AS2 message whose stored bytes are exactly `payload`.
async fn stored_payload(env: &TestEnv, payload: &[u8]) -> messages::Message {
    let store = env.store().await;
    for m in as2_messages(env).await {
        if messages::raw(&store, m.id).await.unwrap() == payload {
            return m;
        }
    }
    panic!("no AS2 message holds the payload exactly");
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// A private CA (`ca`), a server certificate for 127.0.0.1 (`srv`) and a client certificate
/// (`client`) it issued, and another CA (`other-ca`), made with the openssl CLI in `dir`.
fn tls_files(dir: &Path) {
    for ca in ["ca", "other-ca"] {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN={ca}"),
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.pem"),
            ],
        );
    }
    for (name, ext) in [
        (
            "srv",
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        ),
        (
            "client",
            "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
        ),
    ] {
        std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                &format!("/CN={name}"),
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &format!("{name}.ext"),
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }
}
