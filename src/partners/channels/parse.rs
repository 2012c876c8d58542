//! `[as2]`, `[sftp]`, `[[collect]]`, `[[deliver]]` and `[api]` as a profile writes them
//! (unknown keys refused), validated into [`Channels`] with each problem pushed to the
//! profile's [`Check`].

use std::time::Duration;

use serde::Deserialize;

use super::*;
use crate::partners::Check;
use crate::partners::check::word;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::partners) struct RawAs2 {
    /// AS2-From of the partner's messages (AS2-To of ours).
    id: String,
    /// Where Wharf posts the partner's documents.
    url: Option<String>,
    /// The partner's certificate (PEM file), for its signatures and for encrypting to it.
    certificate: Option<String>,
    /// Several certificate files during a rollover, newest first; signatures made with any
    /// are accepted, and Wharf encrypts to the first.
    #[serde(default)]
    certificates: Vec<String>,
    /// "sync" (default) or "async": how the partner returns MDNs for what Wharf sends.
    mdn: Option<String>,
    /// How long an asynchronous MDN may take before the message is sent again (default 30m).
    mdn_timeout: Option<String>,
    #[serde(default = "yes")]
    sign: bool,
    #[serde(default = "yes")]
    encrypt: bool,
    #[serde(default)]
    compress: bool,
    /// Digest Wharf signs with and asks the MDN's MIC in: sha1, sha256 (default), sha384, sha512.
    digest: Option<String>,
    /// Cipher Wharf encrypts with: aes256 (default), aes192, aes128, des3, aes128-gcm, aes256-gcm.
    cipher: Option<String>,
    /// HTTP basic auth the partner must present when it posts to Wharf's `/as2`.
    basic_user: Option<String>,
    /// Where that password comes from: "env:NAME" or "file:/path"; never the password.
    basic_password: Option<String>,
    /// HTTP basic auth Wharf presents when it posts to the partner's `url`.
    url_user: Option<String>,
    /// Where that password comes from: "env:NAME" or "file:/path".
    url_password: Option<String>,
    /// https `url` only: a PEM file of the CA(s) to trust for the partner's server instead of
    /// the system's roots.
    ca: Option<String>,
    /// https `url` only: the SHA-256 of the partner's server certificate (hex), trusted
    /// alone, whatever its issuer, name or dates.
    server_cert_sha256: Option<String>,
    /// https `url` only: Wharf's TLS client certificate (PEM chain) and its key.
    client_cert: Option<String>,
    client_key: Option<String>,
}

fn yes() -> bool {
    true
}

/// `[as2] mdn`: how the partner returns MDNs for what Wharf sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum MdnMode {
    Sync,
    Async,
}

/// `tls` of an ftps:// `[[collect]]`/`[[deliver]]`: AUTH TLS on the control connection, or TLS
/// from the first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FtpsTls {
    Explicit,
    Implicit,
}

/// A word the profile may write in any case (`[as2] digest`, `cipher`), as its enum reads it.
fn lowercase(w: &Option<String>) -> Option<String> {
    w.as_deref().map(str::to_ascii_lowercase)
}

impl RawAs2 {
    pub(in crate::partners) fn has_url(&self) -> bool {
        self.url.is_some()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::partners) struct RawSftp {
    user: String,
    /// OpenSSH public keys ("ssh-ed25519 AAAA… comment").
    #[serde(default)]
    keys: Vec<String>,
    /// Which uploaded files are taken (glob on the file name); others are left alone.
    pattern: Option<String>,
    /// argon2id hash of the partner's password (`wharf partners hash-password`), when it
    /// logs in with a password as well as, or instead of, a key.
    password_hash: Option<String>,
    /// How the partner confirms it collected a file from its outbox: "delete" (default) or
    /// "archive" (moved into /archive).
    confirm: Option<String>,
    /// Sessions this partner may hold at once (default 4).
    max_sessions: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::partners) struct RawRemote {
    /// ftp://, ftps:// (explicit TLS), or sftp:// host, port and folder.
    url: String,
    user: String,
    /// Where the password comes from: "env:NAME" or "file:/path"; never the password.
    secret: Option<String>,
    /// Collect only: glob on file names (default "*").
    pattern: Option<String>,
    /// Collect only: how often, e.g. "5m", "30s", "1h" (default 5m).
    every: Option<String>,
    /// Collect only: "delete" (default) or "archive" (moved to archive/ beside the files),
    /// done only after the bytes are stored.
    after: Option<String>,
    /// Deliver only: the remote file name, from {partner}, {type}, {control} and {ext}.
    name: Option<String>,
    /// ftps:// only: "explicit" (AUTH TLS on port 21, the default) or "implicit" (TLS from
    /// the first byte, port 990).
    tls: Option<String>,
    /// ftps:// only: a PEM file of the certificate(s) to trust for this server (a private CA
    /// or the server's self-signed certificate) instead of the system's roots.
    ca: Option<String>,
    /// sftp:// only: the server's public key ("ssh-ed25519 AAAA…"), pinned. Without it the
    /// first key seen is remembered and any other key later is refused.
    host_key: Option<String>,
    /// Collect only: how long a file's size must stay the same before it is taken, so a file
    /// the partner is still writing is left for the next round (default "2s"; "0s" = none).
    settle: Option<String>,
}

/// `[api]` as written in a profile.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::partners) struct RawApi {
    token_sha256: Option<String>,
    /// Anyone may post for this partner: for a test stream only, said at every start.
    open: Option<bool>,
}

fn api_access(raw: Option<&RawApi>, check: &mut Check) -> ApiAccess {
    let Some(raw) = raw else {
        return ApiAccess::Closed;
    };
    match (raw.token_sha256.as_deref(), raw.open) {
        (Some(_), Some(true)) => {
            check.push(
                "api.open",
                "is true beside a token_sha256: a token means the API is not open".into(),
                Some("keep the token and remove `open`"),
            );
            ApiAccess::Closed
        }
        (Some(hash), _) => {
            let hash = hash.trim().to_ascii_lowercase();
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                check.push(
                    "api.token_sha256",
                    "is not a SHA-256 in hex (64 characters)".into(),
                    Some("`wharf partners api-token ID` prints a token and the line to put here"),
                );
                return ApiAccess::Closed;
            }
            ApiAccess::Token(hash)
        }
        (None, Some(true)) => ApiAccess::Open,
        (None, _) => ApiAccess::Closed,
    }
}

pub(in crate::partners) fn validate(
    api: Option<&RawApi>,
    as2: Option<&RawAs2>,
    sftp: Option<&RawSftp>,
    collect: &[RawRemote],
    deliver: &[RawRemote],
    check: &mut Check,
) -> Channels {
    let as2 = as2.map(|a| {
        // `ACME CORP AS2` or, as it appears in a header, `"ACME CORP AS2"`: the same name.
        let id = as2_unquote(&a.id);
        if let Err(why) = check_as2_name(&id) {
            check.push(
                "as2.id",
                format!("`{}` is not an AS2 name: {why}", a.id),
                Some(
                    "1 to 128 printable ASCII characters; spaces inside the name are allowed and sent quoted (RFC 4130 §6.2)",
                ),
            );
        }
        if let Some(u) = &a.url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            check.push("as2.url", format!("`{u}` is not an http(s) URL"), None);
        }
        let async_mdn = check.choice(a.mdn.as_deref(), "as2.mdn", "sync or async", None)
            == Some(MdnMode::Async);
        let certificates: Vec<String> = a
            .certificates
            .iter()
            .chain(a.certificate.iter())
            .cloned()
            .collect();
        if a.certificate.is_some() && !a.certificates.is_empty() {
            check.push(
                "as2.certificate",
                "give `certificate` or `certificates`, not both".into(),
                Some("certificates = [\"new.pem\", \"old.pem\"] during a rollover"),
            );
        }
        if certificates.iter().any(|c| c.trim().is_empty()) {
            check.push("as2.certificates", "an empty file name".into(), None);
        }
        let https = a.url.as_deref().is_some_and(|u| u.starts_with("https://"));
        for (key, set) in [
            ("as2.ca", a.ca.is_some()),
            ("as2.server_cert_sha256", a.server_cert_sha256.is_some()),
            ("as2.client_cert", a.client_cert.is_some()),
        ] {
            if set && !https {
                check.push(key, "applies to an https:// url only".into(), None);
            }
        }
        if a.ca.is_some() && a.server_cert_sha256.is_some() {
            check.push(
                "as2.ca",
                "give `ca` or `server_cert_sha256`, not both".into(),
                None,
            );
        }
        let server_cert_sha256 = a.server_cert_sha256.as_deref().and_then(|p| {
            let pin = crate::partners::pin::parse_pin(p);
            if pin.is_none() {
                check.push(
                    "as2.server_cert_sha256",
                    format!("`{p}` is not a SHA-256 (64 hex digits)"),
                    Some("openssl x509 -in server.pem -noout -fingerprint -sha256"),
                );
            }
            pin
        });
        if a.client_cert.is_some() != a.client_key.is_some() {
            check.push(
                "as2.client_cert",
                "`client_cert` and `client_key` go together".into(),
                None,
            );
        }
        // A login is a user and a password reference, both or neither.
        let mut login = |user: &Option<String>, password: &Option<String>, keys: (&str, &str)| {
            match (user, password) {
                (None, None) => None,
                (Some(u), Some(p)) => {
                    if u.is_empty() || u.contains(':') {
                        check.push(keys.0, format!("`{u}` is not a basic-auth user"), None);
                    }
                    let password = Secret::parse(p).unwrap_or_else(|| {
                        check.push(
                            keys.1,
                            "is not env:NAME or file:/path".into(),
                            Some("the password itself never goes in a profile"),
                        );
                        Secret::Env(String::new())
                    });
                    Some(Login {
                        user: u.clone(),
                        password,
                    })
                }
                _ => {
                    check.push(
                        keys.0,
                        format!("`{}` and `{}` go together", keys.0, keys.1),
                        None,
                    );
                    None
                }
            }
        };
        let inbound_login = login(
            &a.basic_user,
            &a.basic_password,
            ("as2.basic_user", "as2.basic_password"),
        );
        let outbound_login = login(
            &a.url_user,
            &a.url_password,
            ("as2.url_user", "as2.url_password"),
        );
        As2 {
            id,
            url: a.url.clone(),
            certificates,
            async_mdn,
            mdn_timeout: match a.mdn_timeout.as_deref() {
                None => Duration::from_secs(1800),
                Some(t) => parse_interval(t)
                    .filter(|d| !d.is_zero())
                    .unwrap_or_else(|| {
                        check.push(
                            "as2.mdn_timeout",
                            format!("`{t}` is not an interval"),
                            Some("\"30m\", \"2h\""),
                        );
                        Duration::from_secs(1800)
                    }),
            },
            sign: a.sign,
            encrypt: a.encrypt,
            compress: a.compress,
            digest: check
                .choice(
                    lowercase(&a.digest).as_deref(),
                    "as2.digest",
                    "sha1, sha256, sha384 or sha512",
                    None,
                )
                .unwrap_or(As2Digest::Sha256),
            cipher: check
                .choice(
                    lowercase(&a.cipher).as_deref(),
                    "as2.cipher",
                    "a cipher Wharf sends with",
                    Some("aes256 (default), aes192, aes128, des3, aes128-gcm, aes256-gcm"),
                )
                .unwrap_or(As2Cipher::Aes256),
            inbound_login,
            outbound_login,
            ca: a.ca.clone(),
            server_cert_sha256,
            client_cert: a.client_cert.clone(),
            client_key: a.client_key.clone(),
        }
    });
    let sftp = sftp.map(|s| {
        if s.user.is_empty()
            || s.user.len() > 32
            || !s
                .user
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            check.push(
                "sftp.user",
                format!("`{}` is not a user name", s.user),
                Some("1 to 32 letters, digits, '-', '_' or '.'"),
            );
        }
        for (n, k) in s.keys.iter().enumerate() {
            if let Err(why) = check_public_key(k) {
                check.push(
                    &format!("sftp.keys[{n}]"),
                    why.to_string(),
                    Some("paste one line of the partner's id_*.pub"),
                );
            }
        }
        if let Some(h) = &s.password_hash
            && (!h.starts_with("$argon2") || argon2::PasswordHash::new(h).is_err())
        {
            check.push(
                "sftp.password_hash",
                "is not an argon2 hash".into(),
                Some("make one with `wharf partners hash-password`; never write the password"),
            );
        }
        if s.keys.is_empty() && s.password_hash.is_none() {
            check.push(
                "sftp.user",
                "has neither keys nor a password_hash, so it could never log in".into(),
                None,
            );
        }
        let confirm = check
            .choice(
                s.confirm.as_deref(),
                "sftp.confirm",
                "delete or archive",
                Some("how the partner confirms a download: rm, or a move into /archive"),
            )
            .unwrap_or(Confirm::Delete);
        let max_sessions = s.max_sessions.unwrap_or(4);
        if max_sessions == 0 {
            check.push(
                "sftp.max_sessions",
                "0 would refuse every login".into(),
                None,
            );
        }
        SftpLogin {
            user: s.user.clone(),
            keys: s.keys.clone(),
            pattern: FilePattern::parse(s.pattern.as_deref(), "sftp.pattern", check),
            password_hash: s.password_hash.clone(),
            confirm,
            max_sessions,
        }
    });
    let remote = |r: &RawRemote, key: &str, collecting: bool, check: &mut Check| {
        let k = |leaf: &str| format!("{key}.{leaf}");
        let scheme = r.url.split_once("://");
        let (protocol, rest) = match scheme.and_then(|(s, rest)| Some((word(s)?, rest))) {
            Some(found) => found,
            None => {
                check.push(
                    &k("url"),
                    format!("`{}` is not an ftp://, ftps:// or sftp:// URL", r.url),
                    Some("e.g. sftp://edi.partner.example:22/outbound"),
                );
                (Protocol::Sftp, "")
            }
        };
        let (authority, folder) = rest.split_once('/').unwrap_or((rest, ""));
        let authority = match authority.rsplit_once('@') {
            Some((_, host)) => {
                check.push(
                    &k("url"),
                    format!("`{}` holds a user or password", r.url),
                    Some("the user goes in `user`, the password behind `secret`"),
                );
                host
            }
            None => authority,
        };
        let protocol = match (protocol, r.tls.as_deref()) {
            (Protocol::Ftps, tls) => {
                match check.choice(tls, &k("tls"), "explicit or implicit", None) {
                    Some(FtpsTls::Implicit) => Protocol::FtpsImplicit,
                    Some(FtpsTls::Explicit) | None => Protocol::Ftps,
                }
            }
            (other, Some(_)) => {
                check.push(&k("tls"), "only for ftps:// URLs".into(), None);
                other
            }
            (other, None) => other,
        };
        if r.ca.is_some() && !matches!(protocol, Protocol::Ftps | Protocol::FtpsImplicit) {
            check.push(&k("ca"), "only for ftps:// URLs".into(), None);
        }
        if let Some(key) = &r.host_key {
            if protocol != Protocol::Sftp {
                check.push(&k("host_key"), "only for sftp:// URLs".into(), None);
            } else if let Err(why) = check_public_key(key) {
                check.push(
                    &k("host_key"),
                    why.to_string(),
                    Some("the server's key as in known_hosts, without the host name"),
                );
            }
        }
        let default_port = match protocol {
            Protocol::Sftp => 22,
            Protocol::FtpsImplicit => 990,
            Protocol::Ftp | Protocol::Ftps => 21,
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => match p.parse::<u16>() {
                Ok(p) if p > 0 => (h, p),
                _ => {
                    check.push(&k("url"), format!("port `{p}` is not a port"), None);
                    (h, default_port)
                }
            },
            None => (authority, default_port),
        };
        if !rest.is_empty() && host.is_empty() {
            check.push(&k("url"), format!("`{}` names no host", r.url), None);
        }
        let secret = r.secret.as_deref().map(|s| {
            Secret::parse(s).unwrap_or_else(|| {
                check.push(
                    &k("secret"),
                    "is not env:NAME or file:/path".into(),
                    Some("the password itself never goes in a profile"),
                );
                Secret::Env(String::new())
            })
        });
        if secret.is_none() && protocol != Protocol::Sftp {
            check.push(
                &k("secret"),
                "FTP needs a password".into(),
                Some("secret = \"env:NAME\""),
            );
        }
        let only = |leaf: &str, present: bool, check: &mut Check| {
            if present {
                let (is, other) = if collecting {
                    ("collect", "deliver")
                } else {
                    ("deliver", "collect")
                };
                check.push(
                    &k(leaf),
                    format!("belongs to [[{other}]], not [[{is}]]"),
                    None,
                );
            }
        };
        only("name", collecting && r.name.is_some(), check);
        only("pattern", !collecting && r.pattern.is_some(), check);
        only("every", !collecting && r.every.is_some(), check);
        only("after", !collecting && r.after.is_some(), check);
        only("settle", !collecting && r.settle.is_some(), check);
        let settle = match r.settle.as_deref() {
            None => Duration::from_secs(2),
            Some(text) => match parse_interval(text) {
                Some(d) if d <= Duration::from_secs(600) => d,
                _ => {
                    check.push(
                        &k("settle"),
                        format!("`{text}` is not an interval of at most 10m"),
                        Some("\"2s\"; \"0s\" takes files at once"),
                    );
                    Duration::from_secs(2)
                }
            },
        };
        let every = match r.every.as_deref() {
            None => Duration::from_secs(300),
            Some(text) => match parse_interval(text) {
                Some(d) if d >= Duration::from_secs(10) => d,
                _ => {
                    check.push(
                        &k("every"),
                        format!("`{text}` is not an interval of at least 10s"),
                        Some("a number and s, m or h: \"30s\", \"5m\", \"1h\""),
                    );
                    Duration::from_secs(300)
                }
            },
        };
        let after = check
            .choice(r.after.as_deref(), &k("after"), "delete or archive", None)
            .unwrap_or(AfterCollect::Delete);
        let name = r
            .name
            .clone()
            .unwrap_or_else(|| "{partner}_{type}_{control}.{ext}".into());
        if !collecting {
            let mut rest = name.as_str();
            while let Some(open) = rest.find('{') {
                let Some(close) = rest[open..].find('}') else {
                    break;
                };
                let field = &rest[open + 1..open + close];
                if !matches!(field, "partner" | "type" | "control" | "ext") {
                    check.push(
                        &k("name"),
                        format!("`{{{field}}}` is not a name field"),
                        Some("{partner}, {type}, {control}, {ext}"),
                    );
                }
                rest = &rest[open + close..];
            }
            if name.contains('/') {
                check.push(&k("name"), "a file name holds no folder".into(), None);
            }
        }
        Remote {
            protocol,
            host: host.to_owned(),
            port,
            folder: format!("/{folder}"),
            user: r.user.clone(),
            secret,
            pattern: FilePattern::parse(r.pattern.as_deref(), &k("pattern"), check),
            every,
            after,
            name,
            ca: r.ca.clone(),
            host_key: r.host_key.clone(),
            settle,
        }
    };
    let collect = collect
        .iter()
        .enumerate()
        .map(|(n, r)| remote(r, &format!("collect[{n}]"), true, check))
        .collect();
    let deliver = deliver
        .iter()
        .enumerate()
        .map(|(n, r)| remote(r, &format!("deliver[{n}]"), false, check))
        .collect();
    Channels {
        api: api_access(api, check),
        as2,
        sftp,
        collect,
        deliver,
    }
}

/// "30s", "5m", "1h", "2d", "90" (seconds).
pub(in crate::partners) fn parse_interval(text: &str) -> Option<Duration> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

/// Why a line is no OpenSSH public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PublicKeyError {
    #[error("`{0}` is not an SSH public key type")]
    Type(String),
    #[error("the key data is not base64")]
    Data,
}

/// One OpenSSH public key line: a known type and base64 data.
pub(crate) fn check_public_key(line: &str) -> Result<(), PublicKeyError> {
    let mut parts = line.split_whitespace();
    let kind = parts.next().unwrap_or_default();
    let data = parts.next().unwrap_or_default();
    if !matches!(
        kind,
        "ssh-ed25519"
            | "ssh-rsa"
            | "ecdsa-sha2-nistp256"
            | "ecdsa-sha2-nistp384"
            | "ecdsa-sha2-nistp521"
    ) {
        return Err(PublicKeyError::Type(kind.to_owned()));
    }
    let b64 = data.len() >= 16
        && data.len().is_multiple_of(4)
        && data
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=');
    if !b64 {
        return Err(PublicKeyError::Data);
    }
    Ok(())
}

impl FilePattern {
    /// A `pattern` as written (`*` when absent).
    fn parse(s: Option<&str>, key: &str, check: &mut Check) -> Self {
        let s = s.unwrap_or("*");
        if s.is_empty() || s.contains('/') || s.matches('*').count() > 4 {
            check.push(
                key,
                format!("`{s}` is not a file-name pattern"),
                Some("a name with * and ?, no folder: e.g. \"*.edi\""),
            );
        }
        Self(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_interval("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_interval("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_interval("soon"), None);
    }
}
