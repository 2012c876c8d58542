//! Channels in a partner profile: its AS2 station, its login on Wharf's SFTP server, the
//! remote FTP/FTPS/SFTP folders Wharf collects from and delivers to, with schedules and
//! file-name patterns, and who may use the partner API. The validated types here; the TOML as
//! written and its validation in `parse.rs`; the transports themselves live with their issues.

mod parse;

use std::time::Duration;

pub(super) use parse::{RawApi, RawAs2, RawRemote, RawSftp, parse_interval, validate};
// The onboarding edits (`scaffold/`) check a key as a profile's `[sftp] keys` are checked.
pub(crate) use parse::check_public_key;

/// The partner's AS2 station.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct As2 {
    pub id: String,
    pub url: Option<String>,
    /// PEM files of the partner's certificates, newest first.
    pub certificates: Vec<String>,
    pub async_mdn: bool,
    #[serde(with = "secs")]
    pub mdn_timeout: Duration,
    pub sign: bool,
    pub encrypt: bool,
    pub compress: bool,
    pub digest: As2Digest,
    pub cipher: As2Cipher,
    /// The login the partner must present on `POST /as2` (`basic_user`, `basic_password`).
    pub inbound_login: Option<Login>,
    /// The login Wharf presents on the partner's `url` (`url_user`, `url_password`).
    pub outbound_login: Option<Login>,
    /// https: the CA file trusted for the partner's server instead of the system's roots.
    pub ca: Option<String>,
    /// https: the partner's server certificate, pinned by its SHA-256.
    pub server_cert_sha256: Option<[u8; 32]>,
    /// https: Wharf's TLS client certificate and key files.
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
}

/// An HTTP basic-auth login: the user, and where its password is read from when needed (the
/// profile, its Debug and its JSON never hold the password).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Login {
    pub user: String,
    pub password: Secret,
}

/// The digest of what Wharf signs for a partner (and of the MIC it asks back); `[as2]
/// digest` writes it in any case, with or without the hyphen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum As2Digest {
    #[serde(alias = "sha-1")]
    Sha1,
    #[serde(alias = "sha-256")]
    Sha256,
    #[serde(alias = "sha-384")]
    Sha384,
    #[serde(alias = "sha-512")]
    Sha512,
}

/// The content cipher of what Wharf encrypts for a partner. `[as2] cipher` writes it in any
/// case (`aes256`, `aes128-gcm`, `des3` or `3des`); its JSON keeps the variant names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all(deserialize = "kebab-case"))]
pub enum As2Cipher {
    #[serde(alias = "3des")]
    Des3,
    Aes128,
    Aes192,
    Aes256,
    Aes128Gcm,
    Aes256Gcm,
}

/// The partner's login on Wharf's own SFTP server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SftpLogin {
    pub user: String,
    pub keys: Vec<String>,
    pub pattern: FilePattern,
    /// Never shown.
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub confirm: Confirm,
    pub max_sessions: usize,
}

/// How a partner confirms it collected a file from its SFTP outbox (`[sftp] confirm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confirm {
    /// `rm outbox/NAME`.
    Delete,
    /// `rename outbox/NAME archive/NAME`; the file stays visible in `/archive`.
    Archive,
}

impl SftpLogin {
    /// Whether `password` is the partner's (argon2 compares in constant time).
    pub fn password_matches(&self, password: &str) -> bool {
        self.password_hash
            .as_deref()
            .is_some_and(|hash| verify_password(hash, password))
    }
}

/// Whether `password` matches an argon2 hash (PHC string); compared in constant time.
pub fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::PasswordVerifier;
    argon2::PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// An argon2id hash (PHC string) of `password`, with a fresh salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    use argon2::PasswordHasher;
    let salt = argon2::password_hash::SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hash: {e}"))?
        .to_string())
}

/// How Wharf reaches a partner's server; a `[[collect]]`/`[[deliver]]` url's scheme names it
/// (implicit TLS is `ftps://` with `tls = "implicit"`, never a scheme of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Ftp,
    /// FTP with explicit TLS (AUTH TLS).
    Ftps,
    /// FTP with implicit TLS (TLS from the first byte, usually port 990).
    #[serde(skip_deserializing)]
    FtpsImplicit,
    Sftp,
}

impl Protocol {
    pub fn scheme(self) -> &'static str {
        match self {
            Protocol::Ftp => "ftp",
            Protocol::Ftps | Protocol::FtpsImplicit => "ftps",
            Protocol::Sftp => "sftp",
        }
    }
}

/// Where a password comes from. The profile never holds the password itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Secret {
    Env(String),
    File(String),
}

impl Secret {
    /// `env:NAME` or `file:/path`; anything else is no reference.
    pub fn parse(s: &str) -> Option<Secret> {
        match s.split_once(':') {
            Some(("env", name)) if !name.is_empty() => Some(Secret::Env(name.to_owned())),
            Some(("file", path)) if !path.is_empty() => Some(Secret::File(path.to_owned())),
            _ => None,
        }
    }

    /// Reads the secret now (a rotated password is used without a reload). The error names
    /// the variable or file, never a value.
    pub fn read(&self) -> Result<String, SecretError> {
        match self {
            Secret::Env(name) => std::env::var(name).map_err(|source| SecretError::Env {
                name: name.clone(),
                source,
            }),
            Secret::File(path) => std::fs::read_to_string(path)
                .map(|s| s.trim_end_matches(['\n', '\r']).to_owned())
                .map_err(|source| SecretError::File {
                    path: path.clone(),
                    source,
                }),
        }
    }
}

/// Why a [`Secret`] cannot be read; it names the variable or file, never a value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {name} is not set")]
    Env {
        name: String,
        #[source]
        source: std::env::VarError,
    },
    #[error("{path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// What happens to a collected file once its bytes are stored (`[[collect]] after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AfterCollect {
    Delete,
    Archive,
}

/// A folder on the partner's server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Remote {
    pub protocol: Protocol,
    pub host: String,
    pub port: u16,
    pub folder: String,
    pub user: String,
    pub secret: Option<Secret>,
    pub pattern: FilePattern,
    #[serde(with = "secs")]
    pub every: Duration,
    pub after: AfterCollect,
    pub name: String,
    /// ftps: certificates to trust instead of the system's roots.
    pub ca: Option<String>,
    /// sftp: the server key pinned by the profile.
    pub host_key: Option<String>,
    #[serde(with = "secs")]
    pub settle: Duration,
}

impl Remote {
    /// `sftp://host:22/folder`: names the remote in events, transfer records and logs.
    pub fn url(&self) -> String {
        format!(
            "{}://{}:{}{}",
            self.protocol.scheme(),
            self.host,
            self.port,
            self.folder
        )
    }

    /// The remote file name for an outbound message, from the `name` template.
    pub fn file_name(&self, partner: &str, doc_type: &str, control: &str, ext: &str) -> String {
        self.name
            .replace("{partner}", partner)
            .replace("{type}", doc_type)
            .replace("{control}", control)
            .replace("{ext}", ext)
    }
}

mod secs {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}

/// A file-name glob: `*` any run of characters, `?` one character, nothing else special.
/// Hand-written (a dozen lines) rather than a glob crate: names are matched, never paths.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FilePattern(pub String);

impl FilePattern {
    pub fn matches(&self, name: &str) -> bool {
        fn go(p: &[u8], n: &[u8]) -> bool {
            match (p.split_first(), n.split_first()) {
                (None, None) => true,
                (Some((b'*', rest)), _) => go(rest, n) || (!n.is_empty() && go(p, &n[1..])),
                (Some((b'?', rest)), Some((_, n_rest))) => go(rest, n_rest),
                (Some((c, rest)), Some((d, n_rest))) => c == d && go(rest, n_rest),
                _ => false,
            }
        }
        go(self.0.as_bytes(), name.as_bytes())
    }
}

/// All of a partner's channels.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Channels {
    /// `[api]`: who may post for the partner on `POST /api/v1/partners/ID/messages`.
    pub api: ApiAccess,
    pub as2: Option<As2>,
    pub sftp: Option<SftpLogin>,
    pub collect: Vec<Remote>,
    pub deliver: Vec<Remote>,
}

/// Who may post on the partner's behalf to the partner API. Closed unless the profile says:
/// whoever presents the token whose SHA-256 the profile holds (`wharf partners api-token ID`
/// makes one; the token itself is never stored), or — written out as `[api] open = true` —
/// anyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiAccess {
    /// No credential configured: every request is refused (secure by default).
    #[default]
    Closed,
    /// `[api] open = true`: anyone who can reach the port.
    Open,
    /// `[api] token_sha256`: the bearer of that token.
    Token(#[serde(skip)] String),
}

impl ApiAccess {
    /// Whether a request that presented a bearer token (given as its SHA-256 in hex), or
    /// none, may post; the token is compared in constant time.
    pub fn admits(&self, presented_sha256: Option<&str>) -> bool {
        use subtle::ConstantTimeEq;
        match (self, presented_sha256) {
            (Self::Open, _) => true,
            (Self::Token(want), Some(got)) => bool::from(got.as_bytes().ct_eq(want.as_bytes())),
            (Self::Token(_), None) | (Self::Closed, _) => false,
        }
    }
}
/// An AS2 name as a header or a profile may write it (RFC 4130 §6.2): atomic (`ACME-AS2`) or
/// quoted (`"ACME CORP AS2"`, with `\"` and `\\` escapes); the name itself, without the
/// quotes and escapes. Names are compared in this form.
pub fn as2_unquote(v: &str) -> String {
    let v = v.trim();
    let Some(inner) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return v.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

/// An AS2 name for a header: as it is when every byte is RFC 4130's `AS2-text` (printable
/// ASCII but space, `"` and `\`), else quoted with `"` and `\` escaped.
pub fn as2_quote(name: &str) -> String {
    let atomic = !name.is_empty()
        && name
            .bytes()
            .all(|b| b == b'!' || (35..=91).contains(&b) || (93..=126).contains(&b));
    if atomic {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// Whether `name` (unquoted) can be an AS2 name: 1 to 128 printable ASCII characters, spaces
/// allowed inside (a quoted name) but not at either end, where products trim them away.
pub fn check_as2_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 128 {
        return Err("1 to 128 characters");
    }
    if !name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err("printable ASCII characters only");
    }
    if name.starts_with(' ') || name.ends_with(' ') {
        return Err("a space at the start or end");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_file_names() {
        let p = FilePattern("*.edi".into());
        assert!(p.matches("po_1.edi"));
        assert!(!p.matches("po_1.edi.tmp"));
        let p = FilePattern("PO_??.*".into());
        assert!(p.matches("PO_12.x12"));
        assert!(!p.matches("PO_1.x12"));
        assert!(FilePattern("*".into()).matches(""));
    }

    #[test]
    fn as2_names_quoted_and_atomic() {
        assert_eq!(as2_unquote("\"ACME CORP AS2\""), "ACME CORP AS2");
        assert_eq!(as2_unquote(" GLOBEX-AS2 "), "GLOBEX-AS2");
        assert_eq!(as2_unquote(r#""A \"B\" \\C""#), r#"A "B" \C"#);
        assert_eq!(as2_quote("ACME CORP AS2"), "\"ACME CORP AS2\"");
        assert_eq!(as2_quote("GLOBEX-AS2"), "GLOBEX-AS2");
        assert_eq!(as2_quote(r#"A "B" \C"#), r#""A \"B\" \\C""#);
        for name in ["ACME CORP AS2", "GLOBEX-AS2", r#"A "B" \C"#] {
            assert_eq!(as2_unquote(&as2_quote(name)), name);
            assert!(check_as2_name(name).is_ok(), "{name}");
        }
        assert!(check_as2_name("").is_err());
        assert!(check_as2_name(" ACME").is_err());
        assert!(check_as2_name("ACME\tCORP").is_err());
        assert!(check_as2_name(&"A".repeat(129)).is_err());
    }
}
