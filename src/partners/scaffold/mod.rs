//! Onboarding a partner: a new profile made from one of the sample profiles (the partner's
//! id, name and interchange ids written in; its keys, hosts, certificates and secrets left as
//! commented `To do` lines), its SFTP public key and password written into `[sftp]`, and the
//! checked, atomic save that keeps the previous version in `.history/<id>/` (the admin edit
//! page saves through it too). Knows nothing of the store or the edges: the CLI and the admin
//! pages call it.
//!
//! The templates are the sample files of `partners/`, embedded with `include_str!` rather
//! than read from the deployed partners folder: that folder is the operator's, where a sample
//! is often deleted or has become a real partner, so `--from acme` would mean whatever was
//! made of it there. Embedded, a template is the same everywhere, and being the very files of
//! the repository, `every_template_passes_the_checks` keeps them in step.
//!
//! A scaffold is made by editing the sample's lines (each key is on one line in the samples,
//! so the comments stay where they are); a placeholder is a key commented out as `#key = …`
//! (no space after `#`) under a `# To do:` line. Editing an existing profile — a key added,
//! a password set — goes through `toml_edit`, which keeps every comment of the file.
//!
//! Files: `mod.rs` the templates, the new profile, the `[sftp]` edits and the save;
//! `lines.rs` the line editor of the samples; `tests.rs`.

use std::path::{Path, PathBuf};

mod lines;

use lines::Lines;

use super::{PartnerId, PartnerIdError, Partners};

/// The mark a scaffolded interchange id carries until someone confirms it with the partner:
/// an id made up from the partner id routes nobody's documents.
pub const DERIVED_ID: &str = "To do: confirm; derived from the partner id";

/// The sample a new profile is made from (`wharf partners new ID --from WORD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// An X12 customer sending 850s over Wharf's own SFTP server (`partners/acme.toml`).
    Acme,
    /// An EDIFACT (EANCOM) customer (`partners/eurofoods.toml`).
    Eurofoods,
    /// An X12 customer sending over AS2 (`partners/globex.toml`).
    Globex,
    /// A cXML buyer posting to `/cxml` (`partners/procurenet.toml`).
    Procurenet,
    /// An X12 supplier whose documents Wharf collects from its server (`partners/pinnacle.toml`).
    Pinnacle,
}

impl Template {
    pub const ALL: [Template; 5] = [
        Template::Acme,
        Template::Eurofoods,
        Template::Globex,
        Template::Procurenet,
        Template::Pinnacle,
    ];

    /// The word the CLI and the form take: the sample's id.
    pub fn word(self) -> &'static str {
        match self {
            Template::Acme => "acme",
            Template::Eurofoods => "eurofoods",
            Template::Globex => "globex",
            Template::Procurenet => "procurenet",
            Template::Pinnacle => "pinnacle",
        }
    }

    pub fn parse(word: &str) -> Result<Template, OnboardError> {
        Template::ALL
            .into_iter()
            .find(|t| t.word() == word)
            .ok_or_else(|| OnboardError::UnknownTemplate(word.to_owned()))
    }

    /// What a partner made from it is, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Template::Acme => "X12 customer over Wharf's SFTP server",
            Template::Eurofoods => "EDIFACT (EANCOM) customer",
            Template::Globex => "X12 customer over AS2",
            Template::Procurenet => "cXML buyer (POST /cxml)",
            Template::Pinnacle => "X12 supplier, collected from its SFTP server",
        }
    }

    fn sample(self) -> &'static str {
        match self {
            Template::Acme => include_str!("../../../partners/acme.toml"),
            Template::Eurofoods => include_str!("../../../partners/eurofoods.toml"),
            Template::Globex => include_str!("../../../partners/globex.toml"),
            Template::Procurenet => include_str!("../../../partners/procurenet.toml"),
            Template::Pinnacle => include_str!("../../../partners/pinnacle.toml"),
        }
    }

    /// How the sample's comments name its partner ("ACME's part numbers"), replaced by "the
    /// partner" in a new profile.
    fn short_name(self) -> &'static str {
        match self {
            Template::Acme => "ACME",
            Template::Eurofoods => "EuroFoods",
            Template::Globex => "Globex",
            Template::Procurenet => "ProcureNet",
            Template::Pinnacle => "Pinnacle",
        }
    }

    /// The interchange ids the template has a place for.
    fn has(self, id: IdKind) -> bool {
        match id {
            IdKind::X12 => matches!(self, Template::Acme | Template::Globex | Template::Pinnacle),
            IdKind::Edifact => self == Template::Eurofoods,
            IdKind::Cxml => self == Template::Procurenet,
            IdKind::As2 => self == Template::Globex,
        }
    }
}

/// Which interchange id an option gives, to name it in an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    X12,
    Edifact,
    Cxml,
    As2,
}

impl std::fmt::Display for IdKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IdKind::X12 => "X12 (ISA05/ISA06) identity",
            IdKind::Edifact => "EDIFACT (UNB) identity",
            IdKind::Cxml => "cXML identity",
            IdKind::As2 => "AS2 name",
        })
    }
}

/// A partner to onboard: what the operator gives; the ids it leaves out are derived from the
/// partner id (in capitals) and marked `To do` in the profile.
#[derive(Debug, Clone)]
pub struct NewPartner {
    pub id: PartnerId,
    /// Display name; the id when not given.
    pub name: Option<String>,
    pub template: Template,
    pub x12_qualifier: Option<String>,
    pub x12_id: Option<String>,
    pub edifact_id: Option<String>,
    pub cxml_identity: Option<String>,
    pub as2_id: Option<String>,
}

impl NewPartner {
    pub fn new(id: &str, template: Template) -> Result<NewPartner, OnboardError> {
        Ok(NewPartner {
            id: PartnerId::parse(id).map_err(|e| OnboardError::Id(id.to_owned(), e))?,
            name: None,
            template,
            x12_qualifier: None,
            x12_id: None,
            edifact_id: None,
            cxml_identity: None,
            as2_id: None,
        })
    }
}

/// Why a profile could not be made or changed. Nothing was written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum OnboardError {
    #[error("`{0}` is not a partner id: {1}")]
    Id(String, PartnerIdError),
    #[error("`{0}` is no template; one of acme, eurofoods, globex, procurenet, pinnacle")]
    UnknownTemplate(String),
    #[error("the {template} template has no {what}; leave it out or choose another template")]
    NotInTemplate {
        template: &'static str,
        what: IdKind,
    },
    #[error("`{0}` is not a display name (one line, 1 to 100 characters)")]
    Name(String),
    #[error("partner `{id}` already exists: {}", path.display())]
    Exists { id: String, path: PathBuf },
    #[error("no profile for partner `{id}`: {} does not exist", path.display())]
    NoProfile { id: String, path: PathBuf },
    #[error("{}: not TOML: {why}", path.display())]
    NotToml { path: PathBuf, why: String },
    #[error("{}: `{key}` is not a table", path.display())]
    NotATable { path: PathBuf, key: &'static str },
    #[error("no public key given (the input is empty)")]
    NoKey,
    #[error("this is a private key; give the partner's public key (its .pub file)")]
    PrivateKey,
    #[error("{0} keys given; add one at a time")]
    SeveralKeys(usize),
    #[error("not an OpenSSH public key: {0}")]
    BadKey(String),
    #[error("this key is already in {id}'s [sftp] keys")]
    KeyPresent { id: String },
    #[error("the password is empty")]
    EmptyPassword,
    #[error("the password could not be hashed: {0}")]
    Hash(String),
    #[error("the profile would not pass `wharf partners check`: {}", .0.join("; "))]
    Problems(Vec<String>),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OnboardError + '_ {
    move |source| OnboardError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `partners/<id>.toml`: the loader takes a file only when its name is its id.
pub fn profile_path(dir: &Path, id: &PartnerId) -> PathBuf {
    dir.join(format!("{id}.toml"))
}

/// Where earlier versions of `partners/<id>.toml` are kept: `partners/.history/<id>/` (a
/// folder the loader does not read).
pub fn history_dir(dir: &Path, id: &str) -> PathBuf {
    dir.join(".history").join(id)
}

/// The marker of every placeholder a scaffold leaves.
pub const TO_DO: &str = "# To do:";

/// The text of a new profile for `new`; nothing is written.
pub fn scaffold(new: &NewPartner) -> Result<String, OnboardError> {
    let t = new.template;
    for (given, kind) in [
        (
            new.x12_id.is_some() || new.x12_qualifier.is_some(),
            IdKind::X12,
        ),
        (new.edifact_id.is_some(), IdKind::Edifact),
        (new.cxml_identity.is_some(), IdKind::Cxml),
        (new.as2_id.is_some(), IdKind::As2),
    ] {
        if given && !t.has(kind) {
            return Err(OnboardError::NotInTemplate {
                template: t.word(),
                what: kind,
            });
        }
    }
    let id = new.id.as_str();
    let name = new.name.clone().unwrap_or_else(|| id.to_owned());
    if name.trim().is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return Err(OnboardError::Name(name));
    }
    let upper = id.to_ascii_uppercase().replace('_', "-");
    let derived = DERIVED_ID;
    let mut l = Lines::new(t.sample());
    l.replace_header(&format!(
        "# Partner profile: {name}, made by `wharf partners new` from the `{}` sample ({}).\n\
         # Lines marked `To do` wait for the partner's real values (a key commented out as\n\
         # `#key = …` is a placeholder). Every key is documented in partners/README.md;\n\
         # `wharf partners check` validates this file.",
        t.word(),
        t.describe()
    ));
    l.rename_in_comments(t.short_name(), t.word(), id);
    l.set("", "id", &quote(id), None);
    l.set("", "name", &quote(&name), None);
    if t.has(IdKind::X12) {
        if let Some(q) = &new.x12_qualifier {
            l.set("x12", "qualifier", &quote(q), None);
        }
        match &new.x12_id {
            Some(x) => l.set("x12", "id", &quote(x), Some("ISA06 the partner sends from")),
            None => {
                let x: String = upper.chars().take(15).collect();
                l.set("x12", "id", &quote(&x), Some(derived));
            }
        }
        l.drop("x12", "also");
    }
    if t.has(IdKind::Edifact) {
        match &new.edifact_id {
            Some(e) => l.set("edifact", "id", &quote(e), Some("UNB S002 0004")),
            None => l.set("edifact", "id", &quote(&upper), Some(derived)),
        }
    }
    if t.has(IdKind::Cxml) {
        match &new.cxml_identity {
            Some(c) => l.set("cxml", "identity", &quote(c), None),
            None => l.set("cxml", "identity", &quote(&upper), Some(derived)),
        }
        l.comment_key(
            "cxml",
            "shared_secret",
            "the SharedSecret the partner presents; write it only in the deployed file",
        );
    }
    if t.has(IdKind::As2) {
        match &new.as2_id {
            Some(a) => l.set("as2", "id", &quote(a), Some("AS2-From of its messages")),
            None => l.set("as2", "id", &quote(&format!("{upper}-AS2")), Some(derived)),
        }
        l.set(
            "as2",
            "url",
            &quote("https://as2.partner.example/receive"),
            None,
        );
        l.comment_key("as2", "url", "the partner's AS2 URL, where Wharf posts");
        l.set(
            "as2",
            "certificate",
            &quote(&format!("certs/{id}.pem")),
            None,
        );
        l.comment_key(
            "as2",
            "certificate",
            "the partner's AS2 certificate (PEM file); its signatures are checked with it",
        );
    }
    if t == Template::Acme {
        let user: String = id.chars().take(32).collect();
        l.set("sftp", "user", &quote(&user), None);
        l.drop("sftp", "keys");
        l.comment_table(
            "sftp",
            &format!(
                "the partner's login on Wharf's SFTP server; `wharf partners add-key {id} FILE` \
                 or `wharf partners set-password {id}` (or its admin page) writes it"
            ),
        );
    }
    if t == Template::Pinnacle {
        for table in ["collect", "deliver"] {
            l.set(
                table,
                "url",
                &quote("sftp://sftp.partner.example:22/outbound"),
                None,
            );
            l.comment_table(
                table,
                "the partner's server, folder and login (the password by env: or file: reference)",
            );
        }
    }
    l.set("mapping", "customer_ref", &quote(&upper), None);
    l.comment_key(
        "mapping",
        "customer_ref",
        "the partner's `ref` in Odoo (left out: the id in capitals)",
    );
    l.comment_entries(
        "mapping.items",
        "the partner's part numbers → Odoo internal reference",
    );
    if t == Template::Acme {
        l.comment_table("mapping.ship_to", "the delivery addresses' refs in Odoo");
    }
    Ok(l.text())
}

/// Makes `new`'s profile in `dir`, checked over the whole folder as `wharf partners check`
/// does; refuses an id that exists. The file appears whole or not at all.
pub fn create(dir: &Path, new: &NewPartner) -> Result<PathBuf, OnboardError> {
    let path = profile_path(dir, &new.id);
    let exists = || OnboardError::Exists {
        id: new.id.to_string(),
        path: path.clone(),
    };
    if path.exists() {
        return Err(exists());
    }
    let text = scaffold(new)?;
    let problems = new_problems(dir, &path, &text);
    if !problems.is_empty() {
        return Err(OnboardError::Problems(problems));
    }
    let tmp = dir.join(format!(".{}.toml.creating", new.id));
    write_synced(&tmp, &text).map_err(io(&tmp))?;
    // A hard link does not replace an existing file, so two operators creating the same id
    // at once cannot overwrite each other; the rename-free link is atomic too.
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists()),
        other => other.map_err(io(&path))?,
    }
    sync_dir(dir).map_err(io(dir))?;
    Ok(path)
}

/// A checked OpenSSH public key: the line as a profile keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPublicKey {
    line: String,
    key: russh::keys::PublicKey,
}

impl SshPublicKey {
    /// One key from the text of a `.pub` file: one line of a type Wharf's SFTP server takes,
    /// whose data decodes as that type.
    pub fn parse(text: &str) -> Result<SshPublicKey, OnboardError> {
        if text.contains("PRIVATE KEY") {
            return Err(OnboardError::PrivateKey);
        }
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let line = match lines.as_slice() {
            [] => return Err(OnboardError::NoKey),
            [one] => *one,
            many => return Err(OnboardError::SeveralKeys(many.len())),
        };
        super::channels::check_public_key(line).map_err(|e| OnboardError::BadKey(e.to_string()))?;
        let key = russh::keys::PublicKey::from_openssh(line)
            .map_err(|e| OnboardError::BadKey(format!("the key data does not decode: {e}")))?;
        Ok(SshPublicKey {
            line: line.split_whitespace().collect::<Vec<_>>().join(" "),
            key,
        })
    }

    /// `SHA256:…`, as `ssh-keygen -l` and the SFTP client print it.
    pub fn fingerprint(&self) -> String {
        self.key
            .fingerprint(russh::keys::HashAlg::Sha256)
            .to_string()
    }
}

/// What a change to a profile wrote.
#[derive(Debug, Clone)]
pub struct Saved {
    pub path: PathBuf,
    /// The previous version, kept in the history folder.
    pub kept: Option<PathBuf>,
}

/// Adds `key` to partner `id`'s `[sftp] keys` (making the `[sftp]` login, user = the id, when
/// the profile has none), checked and saved with the previous version kept.
pub fn add_key(dir: &Path, id: &str, key: &SshPublicKey, by: &str) -> Result<Saved, OnboardError> {
    edit_sftp(dir, id, by, |path, sftp| {
        let keys = sftp
            .entry("keys")
            .or_insert(toml_edit::value(toml_edit::Array::new()));
        let keys = keys.as_array_mut().ok_or_else(|| OnboardError::NotATable {
            path: path.to_path_buf(),
            key: "sftp.keys",
        })?;
        let present = keys.iter().any(|v| {
            v.as_str()
                .and_then(|l| russh::keys::PublicKey::from_openssh(l).ok())
                .is_some_and(|k| k.key_data() == key.key.key_data())
        });
        if present {
            return Err(OnboardError::KeyPresent { id: id.to_owned() });
        }
        keys.push(key.line.as_str());
        Ok(())
    })
}

/// Sets partner `id`'s `[sftp] password_hash` to the argon2id hash of `password` (making the
/// `[sftp]` login when the profile has none); the password itself is written nowhere.
pub fn set_password(dir: &Path, id: &str, password: &str, by: &str) -> Result<Saved, OnboardError> {
    if password.is_empty() {
        return Err(OnboardError::EmptyPassword);
    }
    let hash =
        super::channels::hash_password(password).map_err(|e| OnboardError::Hash(e.to_string()))?;
    edit_sftp(dir, id, by, |_, sftp| {
        match sftp.get_mut("password_hash").and_then(|i| i.as_value_mut()) {
            // The line's comment stays.
            Some(v) => {
                let decor = v.decor().clone();
                *v = hash.as_str().into();
                *v.decor_mut() = decor;
            }
            None => {
                sftp.insert("password_hash", toml_edit::value(hash.as_str()));
            }
        }
        Ok(())
    })
}

/// Reads `id`'s profile, brings its `[sftp]` table to life (the scaffold's commented one, or
/// a new one), lets `change` edit it, then checks and saves.
fn edit_sftp(
    dir: &Path,
    id: &str,
    by: &str,
    change: impl FnOnce(&Path, &mut toml_edit::Table) -> Result<(), OnboardError>,
) -> Result<Saved, OnboardError> {
    let pid = PartnerId::parse(id).map_err(|e| OnboardError::Id(id.to_owned(), e))?;
    let path = profile_path(dir, &pid);
    let before = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => OnboardError::NoProfile {
            id: id.to_owned(),
            path: path.clone(),
        },
        _ => OnboardError::Io {
            path: path.clone(),
            source: e,
        },
    })?;
    let mut doc: toml_edit::DocumentMut =
        uncomment_sftp(&before)
            .parse()
            .map_err(|e: toml_edit::TomlError| OnboardError::NotToml {
                path: path.clone(),
                why: e.to_string(),
            })?;
    let sftp = doc
        .entry("sftp")
        .or_insert_with(toml_edit::table)
        .as_table_mut()
        .ok_or_else(|| OnboardError::NotATable {
            path: path.clone(),
            key: "sftp",
        })?;
    if !sftp.contains_key("user") {
        sftp.insert(
            "user",
            toml_edit::value(id.chars().take(32).collect::<String>()),
        );
    }
    change(&path, sftp)?;
    let text = doc.to_string();
    let problems = new_problems(dir, &path, &text);
    if !problems.is_empty() {
        return Err(OnboardError::Problems(problems));
    }
    let kept = save(dir, id, &path, &text, by).map_err(io(&path))?;
    Ok(Saved { path, kept })
}

/// The profile text with the scaffold's commented `[sftp]` placeholder made real (its `To do`
/// line dropped; its `#keys` line too, as the caller writes the keys); unchanged otherwise.
fn uncomment_sftp(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines
        .iter()
        .position(|l| l.trim_end().starts_with("#[sftp]"))
    else {
        return text.to_owned();
    };
    // A real [sftp] already there: the placeholder is only a comment.
    if lines.iter().any(|l| l.trim_start().starts_with("[sftp]")) {
        return text.to_owned();
    }
    let placeholder = |l: &str| l.starts_with('#') && !l.starts_with("# ") && !l.starts_with("##");
    let end = start
        + lines[start..]
            .iter()
            .take_while(|l| placeholder(l) && l.len() > 1)
            .count();
    let todo = if start > 0 && lines[start - 1].starts_with(TO_DO) {
        start - 1
    } else {
        start
    };
    let mut out: Vec<String> = lines[..todo].iter().map(|l| (*l).to_owned()).collect();
    out.extend(
        lines[start..end]
            .iter()
            .filter(|l| !l.starts_with("#keys"))
            .map(|l| l[1..].to_owned()),
    );
    out.extend(lines[end..].iter().map(|l| (*l).to_owned()));
    let mut s = out.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Whether `key` is written (not commented out) in `[table]` of a profile's text (`table`
/// empty: the top level); false for text that is not TOML.
pub fn is_written(text: &str, table: &str, key: &str) -> bool {
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return false;
    };
    let mut item = doc.as_item();
    for part in table.split('.').filter(|p| !p.is_empty()) {
        match item.get(part) {
            Some(i) => item = i,
            None => return false,
        }
    }
    item.get(key).is_some()
}

/// The `To do` lines a scaffold left that are still in the profile.
pub fn to_do(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.trim_start().starts_with(TO_DO))
        .map(|l| l.trim_start()[TO_DO.len()..].trim().to_owned())
        .collect()
}

/// The problems `text` would bring if it replaced `path`: the checks of `wharf partners
/// check` over the whole folder (so a clash with another profile is found), minus the ones
/// the folder already had.
pub fn new_problems(dir: &Path, path: &Path, text: &str) -> Vec<String> {
    let (_, before) = Partners::load(dir);
    let before: Vec<String> = before.iter().map(ToString::to_string).collect();
    let (_, after) = Partners::load_with(dir, Some((path, text)));
    after
        .iter()
        .map(ToString::to_string)
        .filter(|e| !before.contains(e))
        .collect()
}

/// Writes `text` to `path` atomically (temporary file, fsync, rename), after copying the
/// version it replaces into the history as `<unix ms>-<by>.toml`; that copy's path.
pub fn save(
    dir: &Path,
    id: &str,
    path: &Path,
    text: &str,
    by: &str,
) -> std::io::Result<Option<PathBuf>> {
    let hist = history_dir(dir, id);
    std::fs::create_dir_all(&hist)?;
    let mut kept = None;
    if let Ok(previous) = std::fs::read(path) {
        // The user name is kept to letters, digits, '.' and '_' in the file name.
        let by: String = by
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let copy = hist.join(format!("{ms}-{by}.toml"));
        std::fs::write(&copy, previous)?;
        kept = Some(copy);
    }
    let tmp = dir.join(format!(".{id}.toml.saving"));
    write_synced(&tmp, text)?;
    std::fs::rename(&tmp, path)?;
    sync_dir(dir)?;
    Ok(kept)
}

fn write_synced(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// A rename or link is durable once its folder is synced.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir).and_then(|d| d.sync_all())
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    toml_edit::Value::from(s).to_string().trim().to_owned()
}

#[cfg(test)]
mod tests;
