//! Partner profiles: one TOML file per trading partner in `partners/`, parsed into validated
//! [`Profile`]s, and the lookup that matches an envelope to exactly one partner.
//!
//! Files: `mod.rs` identity, acknowledgement policy, loading and lookup; `agreements.rs` the
//! documents exchanged; `channels.rs` AS2, SFTP and FTP endpoints; `rules.rs` mapping rules,
//! strictness and limits. Every section validates into typed values and reports each problem
//! through [`Check`] with its file, line and a hint.

pub mod agreements;
pub mod certificates;
pub mod channels;
pub mod rules;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use agreements::{Agreement, Agreements, DocRef, Flow, Standard};
pub use channels::{ApiAccess, Channels};
pub use rules::{
    ItemKey, Limits, MappingRules, PriceSource, ReceiptRules, Rule, Sla, Strictness, Verdict,
};

/// A partner's identifier: the profile file's stem, lowercase letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct PartnerId(String);

impl PartnerId {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() || s.len() > 64 {
            return Err(format!("`{s}` must be 1 to 64 characters"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "`{s}` may hold only lowercase letters, digits, `-` and `_`"
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    id: String,
    name: String,
    x12: Option<RawX12>,
    edifact: Option<RawEdifact>,
    cxml: Option<RawCxml>,
    ubl: Option<RawUbl>,
    #[serde(default)]
    outbound: RawOutbound,
    #[serde(default)]
    mapping: rules::RawMapping,
    #[serde(default)]
    documents: Vec<RawAgreement>,
    api: Option<channels::RawApi>,
    as2: Option<channels::RawAs2>,
    sftp: Option<channels::RawSftp>,
    #[serde(default)]
    collect: Vec<channels::RawRemote>,
    #[serde(default)]
    deliver: Vec<channels::RawRemote>,
    #[serde(default)]
    strictness: BTreeMap<String, String>,
    #[serde(default)]
    limits: rules::RawLimits,
    #[serde(default)]
    receipts: rules::RawReceipts,
    #[serde(default)]
    sla: rules::RawSla,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgreement {
    standard: String,
    #[serde(rename = "type")]
    doc_type: String,
    direction: String,
    version: Option<String>,
    sscc_prefix: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawX12Id {
    qualifier: String,
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdifactId {
    id: String,
    qualifier: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCxmlId {
    domain: String,
    identity: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawX12 {
    qualifier: String,
    id: String,
    #[serde(default)]
    functional_ack: Option<String>,
    #[serde(default)]
    duplicate: Option<String>,
    /// When to send a TA1: "on_request" (ISA14 = 1, or a faulty envelope) or "always".
    #[serde(default)]
    ta1: Option<String>,
    /// Outbound delimiters as four characters: element, component, segment, repetition
    /// (e.g. "*>~^"); the repetition character may be left off.
    #[serde(default)]
    delimiters: Option<String>,
    /// Put a line break after each segment terminator in what Wharf sends.
    #[serde(default)]
    line_breaks: Option<bool>,
    /// X12 version of the documents Wharf sends: "4010" or "5010".
    #[serde(default)]
    version: Option<String>,
    /// HL structure of the 856s Wharf sends: "sopi" or "soip".
    #[serde(default)]
    asn_structure: Option<String>,
    /// Further ISA05/ISA06 identities the partner sends from (other divisions, a VAN id).
    #[serde(default)]
    also: Vec<RawX12Id>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdifact {
    /// UNB sender identification (0004) the partner sends from.
    id: String,
    /// Its code qualifier (0007), e.g. "14" for a GLN; absent when the partner sends none.
    #[serde(default)]
    qualifier: Option<String>,
    /// When a CONTRL goes back: "when_asked" (UNB 0031 = 1), "always", "receipt" (action 8,
    /// no message detail) or "never".
    #[serde(default)]
    contrl: Option<String>,
    /// Character set of what Wharf sends: UNOA (default), UNOB, UNOC or UNOY.
    #[serde(default)]
    charset: Option<String>,
    /// What the partner's bytes outside their declared repertoire earn: "warn" (default:
    /// lower case and other level B characters in UNOA are taken with a warning) or
    /// "reject" (ISO 9735: CONTRL code 21). Control characters are rejected either way.
    #[serde(default)]
    repertoire: Option<String>,
    #[serde(default)]
    also: Vec<RawEdifactId>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCxml {
    /// Header/From/Credential@domain the partner sends from (e.g. "NetworkID", "DUNS").
    domain: String,
    /// Header/From/Credential/Identity.
    identity: String,
    /// Header/Sender/Credential/SharedSecret the partner must present (401 otherwise).
    #[serde(default)]
    shared_secret: Option<String>,
    #[serde(default)]
    also: Vec<RawCxmlId>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUbl {
    /// The buyer's EndpointID (or PartyIdentification/ID) in the partner's UBL documents.
    endpoint_id: String,
    #[serde(default)]
    also: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutbound {
    channel: Option<String>,
    /// How long a delivery keeps being retried while the partner's server is away.
    retry_for: Option<String>,
}

/// Which functional acknowledgement a partner expects for X12.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum FunctionalAckPolicy {
    F997,
    F999,
    None,
}

/// How a repeated interchange (same ISA13 from the same sender within the window) is
/// answered. It is never posted again either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum DuplicatePolicy {
    /// A TA1 rejecting the interchange with note code 025.
    Ta1,
    /// Only a warning in the message's history.
    Warn,
}

/// When a TA1 interchange acknowledgement goes back. A faulty envelope always gets one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Ta1Policy {
    /// When the interchange asks (ISA14 = 1).
    OnRequest,
    /// For every interchange.
    Always,
}

/// How outbound documents reach the partner. More channels come with their issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum OutboundChannel {
    /// Written to `data/outbox/<partner>/` on the gateway, the partner's SFTP `/outbox`.
    Directory,
    /// Uploaded to each of the profile's `[[deliver]]` folders on the partner's own FTP, FTPS
    /// or SFTP server (temporary name, then renamed).
    Deliver,
    /// Posted to the partner's `[as2] url`, signed, encrypted and compressed as its profile
    /// says; sent once its MDN is verified.
    As2,
}

impl OutboundChannel {
    /// The profile's word for it (`[outbound] channel`).
    pub fn as_str(self) -> &'static str {
        match self {
            OutboundChannel::Directory => "directory",
            OutboundChannel::Deliver => "deliver",
            OutboundChannel::As2 => "as2",
        }
    }
}

/// The cXML credential a partner sends from, and the shared secret it must present.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CxmlIdentity {
    pub domain: String,
    pub identity: String,
    /// Never shown or serialised.
    #[serde(skip)]
    pub shared_secret: Option<String>,
}

impl CxmlIdentity {
    /// Whether a cXML From credential ("domain:identity", the domain without regard to case)
    /// is this one.
    pub fn names(&self, sender: &str) -> bool {
        sender
            .split_once(':')
            .is_some_and(|(d, i)| d.eq_ignore_ascii_case(&self.domain) && i == self.identity)
    }

    /// Whether a request's SharedSecret is the one configured (always true when none is).
    /// Compared without an early exit, so the time taken does not tell how much matched.
    pub fn secret_matches(&self, presented: Option<&str>) -> bool {
        let Some(want) = &self.shared_secret else {
            return true;
        };
        use subtle::ConstantTimeEq;
        bool::from(
            presented
                .unwrap_or_default()
                .as_bytes()
                .ct_eq(want.as_bytes()),
        )
    }
}

/// The UNB identity a partner sends EDIFACT from (0004 and 0007).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EdifactIdentity {
    pub id: String,
    pub qualifier: Option<String>,
}

/// An X12 identity: ISA qualifier and ID.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct X12Identity {
    pub qualifier: String,
    pub id: String,
}

/// A validated partner profile.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Profile {
    pub id: PartnerId,
    pub name: String,
    /// The X12 identity Wharf addresses (ISA07/08 of what it sends).
    pub x12: Option<X12Identity>,
    /// Further X12 identities the partner sends from; matched like the first.
    pub x12_also: Vec<X12Identity>,
    pub edifact: Option<EdifactIdentity>,
    pub edifact_also: Vec<EdifactIdentity>,
    pub cxml: Option<CxmlIdentity>,
    pub cxml_also: Vec<CxmlIdentity>,
    /// The buyer endpoint ids of the partner's UBL documents.
    pub ubl_endpoints: Vec<String>,
    #[serde(skip)]
    pub contrl: crate::documents::edifact::ContrlPolicy,
    #[serde(skip)]
    pub edifact_charset: crate::edi::edifact::Charset,
    /// How strictly the partner's EDIFACT is held to its declared repertoire.
    #[serde(skip)]
    pub edifact_repertoire: crate::edi::edifact::Repertoire,
    pub functional_ack: FunctionalAckPolicy,
    pub duplicate: DuplicatePolicy,
    pub ta1: Ta1Policy,
    /// The delimiters the partner wants in what Wharf sends it.
    pub x12_delimiters: crate::edi::x12::Delimiters,
    /// (ISA12, GS08) of the business documents Wharf sends.
    pub x12_version: (&'static str, &'static str),
    /// HL structure of the 856s Wharf sends.
    #[serde(skip)]
    pub asn_structure: crate::documents::x12::asn856::PackingStructure,
    pub outbound: OutboundChannel,
    /// How long a delivery is retried while the partner's server is away (`[outbound]
    /// retry_for`, default 24h), before it goes to dead letters.
    pub retry_for: std::time::Duration,
    /// The documents exchanged (empty: every document the engine reads is accepted).
    pub agreements: Agreements,
    pub channels: Channels,
    pub mapping: MappingRules,
    pub strictness: Strictness,
    pub limits: Limits,
    pub receipts: ReceiptRules,
    /// `[sla]`: how long acknowledgements may take before they are overdue.
    pub sla: Sla,
    pub source: PathBuf,
}

impl Profile {
    /// One line on what a loaded profile covers: identities and agreed documents.
    pub fn summary(&self) -> String {
        let p = self;
        use crate::partners::Flow;
        let mut ids: Vec<String> = p
            .x12_identities()
            .map(|x| format!("x12 {}/{}", x.qualifier, x.id))
            .collect();
        ids.extend(p.edifact_identities().map(|e| match &e.qualifier {
            Some(q) => format!("edifact {}:{q}", e.id),
            None => format!("edifact {}", e.id),
        }));
        ids.extend(
            p.cxml_identities()
                .map(|c| format!("cxml {}:{}", c.domain, c.identity)),
        );
        ids.extend(p.ubl_endpoints.iter().map(|u| format!("ubl {u}")));
        let docs = |flow: Flow| {
            let list: Vec<&str> = p
                .agreements
                .0
                .iter()
                .filter(|a| a.flow == flow)
                .map(|a| a.doc_type)
                .collect();
            if list.is_empty() {
                "-".to_owned()
            } else {
                list.join(", ")
            }
        };
        let agreed = if p.agreements.is_empty() {
            "no [[documents]]: every document Wharf reads is accepted".to_owned()
        } else {
            format!("in: {}; out: {}", docs(Flow::In), docs(Flow::Out))
        };
        format!("{}; {agreed}", ids.join(", "))
    }

    /// Every X12 identity the partner sends from.
    pub fn x12_identities(&self) -> impl Iterator<Item = &X12Identity> {
        self.x12.iter().chain(&self.x12_also)
    }

    pub fn edifact_identities(&self) -> impl Iterator<Item = &EdifactIdentity> {
        self.edifact.iter().chain(&self.edifact_also)
    }

    pub fn cxml_identities(&self) -> impl Iterator<Item = &CxmlIdentity> {
        self.cxml.iter().chain(&self.cxml_also)
    }

    /// The standard Wharf writes business documents to this partner in: X12 when it has an
    /// X12 identity, else EDIFACT, else cXML, else UBL.
    pub fn outbound_standard(&self) -> Option<Standard> {
        if self.x12.is_some() {
            Some(Standard::X12)
        } else if self.edifact.is_some() {
            Some(Standard::Edifact)
        } else if self.cxml.is_some() {
            Some(Standard::Cxml)
        } else if !self.ubl_endpoints.is_empty() {
            Some(Standard::Ubl)
        } else {
            None
        }
    }
}

/// Collects a profile's problems, each located at its line.
pub struct Check<'a> {
    file: String,
    text: &'a str,
    problems: Vec<ProfileError>,
}

impl Check<'_> {
    /// A problem with `key` ("x12.qualifier", "documents[1].type", "mapping.ship_to.ref").
    pub fn push(&mut self, key: &str, why: String, hint: Option<&str>) {
        self.problems.push(ProfileError {
            file: self.file.clone(),
            line: locate(self.text, key),
            key: key.to_owned(),
            why,
            hint: hint.map(str::to_owned),
        });
    }
}

/// The line of a dotted key: its table (the n-th of an array of tables for `name[n]`), then
/// the key's line within it; the table's own line when the key is not written there.
fn locate(text: &str, key: &str) -> usize {
    let (table, leaf) = key.rsplit_once('.').unwrap_or(("", key));
    let (table, index) = match table.strip_suffix(']').and_then(|t| t.rsplit_once('[')) {
        Some((t, n)) => (t, n.parse::<usize>().unwrap_or(0)),
        None => (table, 0),
    };
    let leaf = leaf.split('[').next().unwrap_or(leaf);
    let sub_table = if table.is_empty() {
        leaf.to_owned()
    } else {
        format!("{table}.{leaf}")
    };
    let mut in_table = table.is_empty();
    let mut seen = 0;
    let mut header = None;
    let mut sub_header = None;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        if t.starts_with('[') {
            let name = t
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim();
            in_table = false;
            if name == table {
                if seen == index {
                    in_table = true;
                    header = Some(i + 1);
                }
                seen += 1;
            } else if name == sub_table && sub_header.is_none() {
                sub_header = Some(i + 1);
            }
        } else if in_table && t.split('=').next().map(|k| k.trim().trim_matches('"')) == Some(leaf)
        {
            return i + 1;
        }
    }
    if let Some(line) = sub_header {
        return line;
    }
    header.unwrap_or_else(|| line_of(text, None, key))
}

/// One problem in one profile file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}: {key}: {why}{}", hint.as_ref().map(|h| format!(" (hint: {h})")).unwrap_or_default())]
pub struct ProfileError {
    pub file: String,
    pub line: usize,
    pub key: String,
    pub why: String,
    pub hint: Option<String>,
}

/// 1-based line of a byte offset, or of the first line that mentions `key`.
fn line_of(text: &str, offset: Option<usize>, key: &str) -> usize {
    let offset = offset.or_else(|| {
        let leaf = key.rsplit('.').next().unwrap_or(key);
        text.lines()
            .scan(0usize, |pos, l| {
                let start = *pos;
                *pos += l.len() + 1;
                Some((start, l))
            })
            .find(|(_, l)| l.trim_start().starts_with(leaf))
            .map(|(s, _)| s)
    });
    offset.map_or(1, |o| {
        text.as_bytes()
            .get(..o)
            .map_or(1, |b| b.iter().filter(|&&c| c == b'\n').count() + 1)
    })
}

/// Parses and validates one profile, collecting every problem rather than the first.
/// The line of `leaf` within `[section]` (the section's own line when the key is absent).
fn line_in_section(text: &str, section: &str, leaf: &str) -> usize {
    let header = format!("[{section}]");
    let mut in_section = false;
    let mut section_line = 1;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        if t.starts_with('[') {
            in_section = t.starts_with(&header);
            if in_section {
                section_line = i + 1;
            }
        } else if in_section && t.starts_with(leaf) {
            return i + 1;
        }
    }
    section_line
}

pub fn parse_profile(path: &Path, text: &str) -> Result<Profile, Vec<ProfileError>> {
    let file = path.display().to_string();
    let err = |key: &str, why: String, hint: Option<&str>| ProfileError {
        file: file.clone(),
        line: locate(text, key),
        key: key.to_owned(),
        why,
        hint: hint.map(str::to_owned),
    };
    let raw: RawProfile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let key = e
                .message()
                .split('`')
                .nth(1)
                .unwrap_or("(syntax)")
                .to_owned();
            return Err(vec![ProfileError {
                file: file.clone(),
                line: line_of(text, e.span().map(|s| s.start), &key),
                key,
                why: e.message().trim().to_owned(),
                hint: Some("see partners/README.md for every key a profile may hold".into()),
            }]);
        }
    };
    let mut problems = Vec::new();
    let id = match PartnerId::parse(&raw.id) {
        Ok(id) => Some(id),
        Err(why) => {
            problems.push(err("id", why, None));
            None
        }
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if raw.id != stem {
        problems.push(err(
            "id",
            format!("`{}` differs from the file name `{stem}`", raw.id),
            Some("name the file after the partner id"),
        ));
    }
    if raw.name.trim().is_empty() {
        problems.push(err("name", "is empty".into(), None));
    }
    let mut check = Check {
        file: file.clone(),
        text,
        problems: Vec::new(),
    };
    let x12_id = |qualifier: &str, id: &str, key: &str, check: &mut Check| {
        if qualifier.len() != 2 || !qualifier.bytes().all(|b| b.is_ascii_alphanumeric()) {
            check.push(
                &format!("{key}qualifier"),
                format!("`{qualifier}` is not a 2-character ISA05 qualifier"),
                Some("common ones: ZZ (mutually defined), 01 (DUNS), 12 (phone), 08 (UCC)"),
            );
        }
        if id.trim().is_empty() || id.len() > 15 {
            check.push(
                &format!("{key}id"),
                format!("`{id}` must be 1 to 15 characters (ISA06)"),
                None,
            );
        }
        X12Identity {
            qualifier: qualifier.to_owned(),
            id: id.trim().to_owned(),
        }
    };
    let x12 = raw
        .x12
        .as_ref()
        .map(|x| x12_id(&x.qualifier, &x.id, "x12.", &mut check));
    let x12_also: Vec<X12Identity> = raw.x12.as_ref().map_or_else(Vec::new, |x| {
        x.also
            .iter()
            .map(|a| x12_id(&a.qualifier, &a.id, "x12.also", &mut check))
            .collect()
    });
    let functional_ack = match raw.x12.as_ref().and_then(|x| x.functional_ack.as_deref()) {
        None | Some("997") => FunctionalAckPolicy::F997,
        Some("999") => FunctionalAckPolicy::F999,
        Some("none") => FunctionalAckPolicy::None,
        Some(other) => {
            problems.push(err(
                "x12.functional_ack",
                format!("`{other}` is not one of 997, 999, none"),
                None,
            ));
            FunctionalAckPolicy::F997
        }
    };
    let duplicate = match raw.x12.as_ref().and_then(|x| x.duplicate.as_deref()) {
        None | Some("ta1") => DuplicatePolicy::Ta1,
        Some("warn") => DuplicatePolicy::Warn,
        Some(other) => {
            problems.push(err(
                "x12.duplicate",
                format!("`{other}` is not one of ta1, warn"),
                Some("ta1 answers a repeated ISA13 with TA1 code 025; warn only records it"),
            ));
            DuplicatePolicy::Ta1
        }
    };
    let ta1 = match raw.x12.as_ref().and_then(|x| x.ta1.as_deref()) {
        None | Some("on_request") => Ta1Policy::OnRequest,
        Some("always") => Ta1Policy::Always,
        Some(other) => {
            problems.push(err(
                "x12.ta1",
                format!("`{other}` is not one of on_request, always"),
                None,
            ));
            Ta1Policy::OnRequest
        }
    };
    let mut x12_delimiters = crate::edi::x12::Delimiters {
        newline_after_segment: true,
        ..crate::edi::x12::Delimiters::default()
    };
    if let Some(x) = &raw.x12 {
        if let Some(text) = &x.delimiters {
            match text.as_bytes() {
                [e, c, s] | [e, c, s, _] if text.is_ascii() => {
                    x12_delimiters.element = *e;
                    x12_delimiters.component = *c;
                    x12_delimiters.segment = *s;
                    x12_delimiters.repetition = text.as_bytes().get(3).copied();
                    if let Err(e) = x12_delimiters.validate() {
                        problems.push(err("x12.delimiters", e.to_string(), None));
                    }
                }
                _ => problems.push(err(
                    "x12.delimiters",
                    format!("`{text}` is not 3 or 4 ASCII characters"),
                    Some("element, component, segment terminator, repetition: e.g. \"*>~^\""),
                )),
            }
        }
        if let Some(lb) = x.line_breaks {
            x12_delimiters.newline_after_segment = lb;
        }
    }
    let x12_version = match raw.x12.as_ref().and_then(|x| x.version.as_deref()) {
        None | Some("4010") => ("00401", "004010"),
        Some("5010") => ("00501", "005010"),
        Some(other) => {
            problems.push(err(
                "x12.version",
                format!("`{other}` is not 4010 or 5010"),
                None,
            ));
            ("00401", "004010")
        }
    };
    let edifact_id = |id: &str, qualifier: &Option<String>, key: &str, check: &mut Check| {
        if id.trim().is_empty() || id.len() > 35 {
            check.push(
                key,
                format!("`{id}` must be 1 to 35 characters (UNB 0004)"),
                None,
            );
        }
        EdifactIdentity {
            id: id.trim().to_owned(),
            qualifier: qualifier.as_deref().map(|q| q.trim().to_owned()),
        }
    };
    let edifact = raw
        .edifact
        .as_ref()
        .map(|e| edifact_id(&e.id, &e.qualifier, "edifact.id", &mut check));
    let edifact_also: Vec<EdifactIdentity> = raw.edifact.as_ref().map_or_else(Vec::new, |e| {
        e.also
            .iter()
            .map(|a| edifact_id(&a.id, &a.qualifier, "edifact.also", &mut check))
            .collect()
    });
    let cxml_id = |domain: &str, identity: &str, secret: &Option<String>, check: &mut Check| {
        if domain.trim().is_empty() || identity.trim().is_empty() {
            check.push(
                "cxml.identity",
                "domain and identity must both be given".into(),
                Some("as in the partner's Header/From/Credential"),
            );
        }
        CxmlIdentity {
            domain: domain.trim().to_owned(),
            identity: identity.trim().to_owned(),
            shared_secret: secret.clone(),
        }
    };
    let cxml = raw
        .cxml
        .as_ref()
        .map(|c| cxml_id(&c.domain, &c.identity, &c.shared_secret, &mut check));
    // Another credential of the same partner presents the same shared secret.
    let cxml_also: Vec<CxmlIdentity> = raw.cxml.as_ref().map_or_else(Vec::new, |c| {
        c.also
            .iter()
            .map(|a| cxml_id(&a.domain, &a.identity, &c.shared_secret, &mut check))
            .collect()
    });
    let ubl_endpoints: Vec<String> = raw.ubl.as_ref().map_or_else(Vec::new, |u| {
        std::iter::once(&u.endpoint_id)
            .chain(&u.also)
            .map(|e| e.trim().to_owned())
            .collect()
    });
    if ubl_endpoints.iter().any(String::is_empty) {
        check.push("ubl.endpoint_id", "is empty".into(), None);
    }
    use crate::documents::edifact::ContrlPolicy;
    let contrl = match raw.edifact.as_ref().and_then(|e| e.contrl.as_deref()) {
        None | Some("when_asked") => ContrlPolicy::WhenAsked,
        Some("always") => ContrlPolicy::Always,
        Some("never") => ContrlPolicy::Never,
        Some("receipt") => ContrlPolicy::Receipt,
        Some(other) => {
            problems.push(err(
                "edifact.contrl",
                format!("`{other}` is not one of when_asked, always, receipt, never"),
                Some("when_asked answers when UNB 0031 = 1"),
            ));
            ContrlPolicy::WhenAsked
        }
    };
    use crate::edi::edifact::Charset;
    let edifact_charset = match raw.edifact.as_ref().and_then(|e| e.charset.as_deref()) {
        None => Charset::Unoa,
        Some(id) => match Charset::from_id(id.as_bytes()) {
            Some(c @ (Charset::Unoa | Charset::Unob | Charset::Unoc | Charset::Utf8)) => c,
            _ => {
                problems.push(err(
                    "edifact.charset",
                    format!("`{id}` is not one of UNOA, UNOB, UNOC, UNOY"),
                    None,
                ));
                Charset::Unoa
            }
        },
    };
    use crate::edi::edifact::Repertoire;
    let edifact_repertoire = match raw.edifact.as_ref().and_then(|e| e.repertoire.as_deref()) {
        None => Repertoire::Warn,
        Some(r) => Repertoire::parse(r).unwrap_or_else(|| {
            problems.push(err(
                "edifact.repertoire",
                format!("`{r}` is not warn or reject"),
                Some("warn takes lower case in UNOA with a warning; reject follows ISO 9735"),
            ));
            Repertoire::Warn
        }),
    };
    use crate::documents::x12::asn856::PackingStructure;
    let asn_structure = match raw.x12.as_ref().and_then(|x| x.asn_structure.as_deref()) {
        None | Some("sopi") => PackingStructure::Sopi,
        Some("soip") => PackingStructure::Soip,
        Some(other) => {
            problems.push(err(
                "x12.asn_structure",
                format!("`{other}` is not sopi or soip"),
                Some("sopi: shipment/order/pack/item; soip: shipment/order/item/pack"),
            ));
            PackingStructure::Sopi
        }
    };
    let outbound = match raw.outbound.channel.as_deref() {
        None | Some("directory") => OutboundChannel::Directory,
        Some("as2") => {
            let as2_url = raw.as2.as_ref().is_some_and(|a| a.has_url());
            if !as2_url {
                problems.push(err(
                    "outbound.channel",
                    "`as2` needs an [as2] section with the partner's url".into(),
                    Some("[as2] url = \"https://as2.partner.example/receive\""),
                ));
            }
            OutboundChannel::As2
        }
        Some("deliver") => {
            if raw.deliver.is_empty() {
                problems.push(err(
                    "outbound.channel",
                    "`deliver` needs at least one [[deliver]] folder".into(),
                    Some("add [[deliver]] with the url of the partner's inbound folder"),
                ));
            }
            OutboundChannel::Deliver
        }
        Some(other) => {
            problems.push(err(
                "outbound.channel",
                format!("`{other}` is not a channel Wharf can send on yet"),
                Some("available: directory, deliver, as2"),
            ));
            OutboundChannel::Directory
        }
    };
    let retry_for = match raw.outbound.retry_for.as_deref() {
        None => std::time::Duration::from_secs(86_400),
        Some(text) => match channels::parse_interval(text) {
            Some(d) if d >= std::time::Duration::from_secs(60) => d,
            _ => {
                problems.push(err(
                    "outbound.retry_for",
                    format!("`{text}` is not an interval of at least 1m"),
                    Some("e.g. \"24h\" or \"90m\""),
                ));
                std::time::Duration::from_secs(86_400)
            }
        },
    };
    let mut agreements: Vec<(usize, Agreement)> = Vec::new();
    for (n, d) in raw.documents.iter().enumerate() {
        match Agreement::parse(
            &d.standard,
            &d.doc_type,
            &d.direction,
            d.version.as_deref(),
            d.sscc_prefix.as_deref(),
        ) {
            Ok(a) => {
                if agreements.iter().any(|(_, b)| {
                    (b.standard, b.doc_type, b.flow, &b.version)
                        == (a.standard, a.doc_type, a.flow, &a.version)
                }) {
                    check.push(
                        &format!("documents[{n}].type"),
                        format!("{} {} {} is listed twice", a.standard, a.doc_type, a.flow),
                        None,
                    );
                }
                agreements.push((n, a));
            }
            Err((leaf, why, hint)) => {
                check.push(&format!("documents[{n}].{leaf}"), why, Some(&hint));
            }
        }
    }
    let standards_declared = [
        (Standard::X12, raw.x12.is_some(), "[x12]"),
        (Standard::Edifact, raw.edifact.is_some(), "[edifact]"),
        (Standard::Cxml, raw.cxml.is_some(), "[cxml]"),
        (Standard::Ubl, raw.ubl.is_some(), "[ubl]"),
    ];
    for (n, a) in &agreements {
        if let Some((_, false, section)) = standards_declared.iter().find(|s| s.0 == a.standard) {
            check.push(
                &format!("documents[{n}].standard"),
                format!(
                    "{} documents are agreed but the profile has no {section} identity",
                    a.standard
                ),
                Some("add the section with the partner's identifiers"),
            );
        }
    }
    let channels = channels::validate(
        raw.api.as_ref(),
        raw.as2.as_ref(),
        raw.sftp.as_ref(),
        &raw.collect,
        &raw.deliver,
        &mut check,
    );
    let mapping = rules::mapping(raw.mapping, &raw.id, &mut check);
    let strictness = rules::strictness(&raw.strictness, &mut check);
    let limits = rules::limits(&raw.limits, &mut check);
    let receipts = rules::receipts(&raw.receipts);
    let sla = rules::sla(&raw.sla, &mut check);
    problems.append(&mut check.problems);
    problems.sort_by_key(|p| p.line);
    match (id, problems.is_empty()) {
        (Some(id), true) => Ok(Profile {
            id,
            name: raw.name,
            x12,
            x12_also,
            edifact,
            edifact_also,
            cxml,
            cxml_also,
            ubl_endpoints,
            contrl,
            edifact_charset,
            edifact_repertoire,
            functional_ack,
            duplicate,
            ta1,
            x12_delimiters,
            x12_version,
            asn_structure,
            outbound,
            retry_for,
            agreements: Agreements(agreements.into_iter().map(|(_, a)| a).collect()),
            channels,
            mapping,
            strictness,
            limits,
            receipts,
            sla,
            source: path.to_owned(),
        }),
        _ => Err(problems),
    }
}

/// All loaded profiles, and the envelope lookup.
#[derive(Debug, Clone, Default)]
pub struct Partners {
    profiles: BTreeMap<PartnerId, Profile>,
}

impl Partners {
    /// Loads every `*.toml` in `dir`. Good profiles are kept even when others are bad; the
    /// problems are returned for the operator. Two profiles claiming one identity (X12,
    /// EDIFACT, cXML or UBL) is a problem for both, since a message must match exactly one
    /// partner: neither is loaded until the clash is fixed.
    pub fn load(dir: &Path) -> (Partners, Vec<ProfileError>) {
        Self::load_with(dir, None)
    }

    /// [`Partners::load`] with one file's text replaced (`candidate`: its path and the text
    /// it would have), to check an edit against the whole folder before it is saved. A
    /// candidate for a file not yet in the folder is checked as a new profile.
    pub fn load_with(
        dir: &Path,
        candidate: Option<(&Path, &str)>,
    ) -> (Partners, Vec<ProfileError>) {
        let mut problems = Vec::new();
        let mut profiles = BTreeMap::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                problems.push(ProfileError {
                    file: dir.display().to_string(),
                    line: 0,
                    key: "(folder)".into(),
                    why: e.to_string(),
                    hint: Some("set partners_dir in wharf.toml or WHARF_PARTNERS_DIR".into()),
                });
                return (Partners::default(), problems);
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        if let Some((c, _)) = candidate
            && !paths.iter().any(|p| p == c)
        {
            paths.push(c.to_path_buf());
        }
        paths.sort();
        for path in paths {
            let read = match candidate {
                Some((c, text)) if c == path => Ok(text.to_owned()),
                _ => std::fs::read_to_string(&path),
            };
            let text = match read {
                Ok(t) => t,
                Err(e) => {
                    problems.push(ProfileError {
                        file: path.display().to_string(),
                        line: 0,
                        key: "(file)".into(),
                        why: e.to_string(),
                        hint: None,
                    });
                    continue;
                }
            };
            match parse_profile(&path, &text) {
                Ok(p) => {
                    profiles.insert(p.id.clone(), p);
                }
                Err(mut errs) => problems.append(&mut errs),
            }
        }
        // Every identity an envelope can carry, with the section and key that declares it.
        let mut claims: Vec<(&'static str, String, PartnerId, &'static str)> = Vec::new();
        for p in profiles.values() {
            for x in p.x12_identities() {
                claims.push((
                    "x12",
                    format!("{}/{}", x.qualifier, x.id),
                    p.id.clone(),
                    "qualifier",
                ));
            }
            for e in p.edifact_identities() {
                // A profile without a qualifier matches every qualifier of its id.
                let q = e.qualifier.as_deref().unwrap_or("*");
                claims.push(("edifact", format!("{}:{q}", e.id), p.id.clone(), "id"));
            }
            for c in p.cxml_identities() {
                let key = format!("{}:{}", c.domain.to_ascii_lowercase(), c.identity);
                claims.push(("cxml", key, p.id.clone(), "identity"));
            }
            for u in &p.ubl_endpoints {
                claims.push(("ubl", u.clone(), p.id.clone(), "endpoint_id"));
            }
        }
        let overlaps = |a: &(&str, String, PartnerId, &str),
                        b: &(&str, String, PartnerId, &str)| {
            if a.0 != b.0 || a.2 == b.2 {
                return false;
            }
            if a.0 == "edifact" {
                let (ai, aq) = a.1.rsplit_once(':').unwrap_or((&a.1, "*"));
                let (bi, bq) = b.1.rsplit_once(':').unwrap_or((&b.1, "*"));
                return ai == bi && (aq == bq || aq == "*" || bq == "*");
            }
            a.1 == b.1
        };
        let mut clashing: BTreeMap<PartnerId, (String, Vec<String>, &'static str, &'static str)> =
            BTreeMap::new();
        for a in &claims {
            let others: Vec<String> = claims
                .iter()
                .filter(|b| overlaps(a, b))
                .map(|b| b.2.as_str().to_owned())
                .collect();
            if !others.is_empty() {
                clashing.insert(a.2.clone(), (a.1.clone(), others, a.0, a.3));
            }
        }
        for (id, (identity, others, section, leaf)) in clashing {
            if let Some(p) = profiles.remove(&id) {
                let text = std::fs::read_to_string(&p.source).unwrap_or_default();
                problems.push(ProfileError {
                    file: p.source.display().to_string(),
                    line: line_in_section(&text, section, leaf),
                    key: section.into(),
                    why: format!(
                        "identity {identity} is also claimed by {}",
                        others.join(", ")
                    ),
                    hint: Some("each envelope must match exactly one partner".into()),
                });
            }
        }
        (Partners { profiles }, problems)
    }

    /// The profile of partner `id`, shared (a stage keeps it while the profiles reload).
    pub fn shared(&self, id: &str) -> Option<std::sync::Arc<Profile>> {
        self.get(id).map(|p| std::sync::Arc::new(p.clone()))
    }

    pub fn get(&self, id: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|(k, _)| k.as_str() == id)
            .map(|(_, v)| v)
    }

    /// The partner whose AS2 name (`[as2] id`) is a message's AS2-From.
    pub fn by_as2_id(&self, as2_id: &str) -> Option<&Profile> {
        self.profiles
            .values()
            .find(|p| p.channels.as2.as_ref().is_some_and(|a| a.id == as2_id))
    }

    /// The partner whose X12 identity sent an interchange (ISA05/ISA06).
    pub fn by_x12_sender(&self, qualifier: &str, id: &str) -> Option<&Profile> {
        self.profiles.values().find(|p| {
            p.x12_identities()
                .any(|x| x.qualifier == qualifier.trim() && x.id == id.trim())
        })
    }

    /// The partner whose EDIFACT identity sent an interchange (UNB 0004, and 0007 when the
    /// profile names one).
    pub fn by_edifact_sender(&self, id: &str, qualifier: Option<&str>) -> Option<&Profile> {
        self.profiles.values().find(|p| {
            p.edifact_identities().any(|e| {
                e.id == id.trim()
                    && e.qualifier
                        .as_deref()
                        .is_none_or(|q| Some(q) == qualifier.map(str::trim))
            })
        })
    }

    /// The partner an XML document comes from: a cXML From credential ("domain:identity",
    /// domain compared without regard to case) or a UBL buyer endpoint id.
    pub fn by_xml_sender(&self, sender: &str) -> Option<&Profile> {
        self.profiles.values().find(|p| {
            p.cxml_identities().any(|c| c.names(sender))
                || p.ubl_endpoints.iter().any(|u| u == sender)
        })
    }

    /// The partner an XML request over HTTP comes from, when it proves it: the cXML identity
    /// its sender names must present that identity's shared secret; a UBL endpoint has none to
    /// present. `/cxml` asks this of a large body's Header and of the whole request alike.
    pub fn authenticate_xml(&self, sender: &str, secret: Option<&str>) -> Option<&Profile> {
        let p = self.by_xml_sender(sender)?;
        match p.cxml_identities().find(|c| c.names(sender)) {
            Some(c) => c.secret_matches(secret).then_some(p),
            None => Some(p),
        }
    }

    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values()
    }
}

/// The profiles a running gateway works with, reloaded when a file in the folder changes.
/// A profile whose file no longer loads stays as it was (its problem is reported), so a bad
/// edit never replaces a good profile; a stage works with one snapshot from start to end.
#[derive(Debug)]
pub struct LivePartners {
    current: arc_swap::ArcSwap<Partners>,
    dir: PathBuf,
    /// What the folder looked like at the last load: (file, modified, length).
    stamp: std::sync::Mutex<Vec<(PathBuf, Option<std::time::SystemTime>, u64)>>,
}

fn folder_stamp(dir: &Path) -> Vec<(PathBuf, Option<std::time::SystemTime>, u64)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let modified = meta.as_ref().and_then(|m| m.modified().ok());
            let len = meta.map_or(0, |m| m.len());
            (p, modified, len)
        })
        .collect();
    v.sort();
    v
}

impl LivePartners {
    pub fn new(dir: &Path, partners: Partners) -> Self {
        LivePartners {
            current: arc_swap::ArcSwap::from_pointee(partners),
            dir: dir.to_owned(),
            stamp: std::sync::Mutex::new(folder_stamp(dir)),
        }
    }

    /// The profiles now in force.
    pub fn snapshot(&self) -> std::sync::Arc<Partners> {
        self.current.load_full()
    }

    /// Reloads when a profile file was added, removed or changed since the last look.
    /// Returns the problems of the new load (empty when all is well), `None` when nothing
    /// changed.
    pub fn reload_if_changed(&self) -> Option<Vec<ProfileError>> {
        let now = folder_stamp(&self.dir);
        {
            let mut last = self
                .stamp
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if *last == now {
                return None;
            }
            *last = now;
        }
        let (mut fresh, problems) = Partners::load(&self.dir);
        let old = self.snapshot();
        // A profile whose file now fails keeps its last good version.
        for bad in &problems {
            if let Some(kept) = old
                .iter()
                .find(|p| p.source.display().to_string() == bad.file)
            {
                fresh
                    .profiles
                    .entry(kept.id.clone())
                    .or_insert_with(|| kept.clone());
            }
        }
        self.current.store(std::sync::Arc::new(fresh));
        Some(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        dir
    }

    #[test]
    fn similar_identities_each_find_their_own_partner() {
        let dir = folder(&[
            (
                "a.toml",
                "id = \"a\"\nname = \"A\"\n[x12]\nqualifier = \"ZZ\"\nid = \"ACMERETAIL\"\n[edifact]\nid = \"4012345000009\"\nqualifier = \"14\"\n",
            ),
            (
                "b.toml",
                "id = \"b\"\nname = \"B\"\n[x12]\nqualifier = \"ZZ\"\nid = \"ACMERETAIL2\"\n[edifact]\nid = \"4012345000009\"\nqualifier = \"ZZZ\"\n",
            ),
            (
                "c.toml",
                "id = \"c\"\nname = \"C\"\n[x12]\nqualifier = \"01\"\nid = \"ACMERETAIL\"\n[cxml]\ndomain = \"NetworkID\"\nidentity = \"AN01\"\n",
            ),
        ]);
        let (partners, problems) = Partners::load(dir.path());
        assert!(problems.is_empty(), "{problems:?}");
        let x12 = |q: &str, id: &str| {
            partners
                .by_x12_sender(q, id)
                .map(|p| p.id.as_str().to_owned())
        };
        assert_eq!(x12("ZZ", "ACMERETAIL     ").as_deref(), Some("a"));
        assert_eq!(x12("ZZ", "ACMERETAIL2").as_deref(), Some("b"));
        assert_eq!(x12("01", "ACMERETAIL").as_deref(), Some("c"));
        assert_eq!(x12("ZZ", "ACMERETAIL3"), None);
        let edi = |id: &str, q: Option<&str>| {
            partners
                .by_edifact_sender(id, q)
                .map(|p| p.id.as_str().to_owned())
        };
        assert_eq!(edi("4012345000009", Some("14")).as_deref(), Some("a"));
        assert_eq!(edi("4012345000009", Some("ZZZ")).as_deref(), Some("b"));
        assert_eq!(edi("4012345000009", Some("1")), None);
        let xml = |s: &str| partners.by_xml_sender(s).map(|p| p.id.as_str().to_owned());
        assert_eq!(xml("networkid:AN01").as_deref(), Some("c"));
        assert_eq!(xml("NetworkID:AN02"), None);
    }

    #[test]
    fn several_identities_per_standard_each_find_the_partner_and_are_claimed_once() {
        let dir = folder(&[
            (
                "a.toml",
                "id = \"a\"\nname = \"A\"\n[x12]\nqualifier = \"ZZ\"\nid = \"A-MAIN\"\nalso = [{ qualifier = \"01\", id = \"048123456\" }, { qualifier = \"ZZ\", id = \"A-DC\" }]\n[edifact]\nid = \"4000000000001\"\nalso = [{ id = \"4000000000002\", qualifier = \"14\" }]\n[cxml]\ndomain = \"DUNS\"\nidentity = \"1\"\nalso = [{ domain = \"NetworkID\", identity = \"AN1\" }]\n[ubl]\nendpoint_id = \"5400000000001\"\nalso = [\"5400000000002\"]\n",
            ),
            (
                "b.toml",
                "id = \"b\"\nname = \"B\"\n[x12]\nqualifier = \"ZZ\"\nid = \"A-MAIN2\"\n",
            ),
        ]);
        let (partners, problems) = Partners::load(dir.path());
        assert!(problems.is_empty(), "{problems:?}");
        let found = |p: Option<&Profile>| p.map(|p| p.id.as_str().to_owned());
        assert_eq!(
            found(partners.by_x12_sender("01", "048123456")).as_deref(),
            Some("a")
        );
        assert_eq!(
            found(partners.by_x12_sender("ZZ", "A-DC")).as_deref(),
            Some("a")
        );
        assert_eq!(
            found(partners.by_x12_sender("ZZ", "A-MAIN2")).as_deref(),
            Some("b")
        );
        assert_eq!(found(partners.by_x12_sender("01", "A-DC")), None);
        assert_eq!(
            found(partners.by_edifact_sender("4000000000002", Some("14"))).as_deref(),
            Some("a")
        );
        assert_eq!(
            found(partners.by_edifact_sender("4000000000002", Some("ZZZ"))),
            None
        );
        assert_eq!(
            found(partners.by_xml_sender("networkid:AN1")).as_deref(),
            Some("a")
        );
        assert_eq!(
            found(partners.by_xml_sender("5400000000002")).as_deref(),
            Some("a")
        );
        // The primary identity is still the one Wharf addresses.
        let a = partners.get("a").unwrap();
        assert_eq!(a.x12.as_ref().map(|x| x.id.as_str()), Some("A-MAIN"));

        // A second identity that another profile already has is a clash like any other.
        std::fs::write(
            dir.path().join("b.toml"),
            "id = \"b\"\nname = \"B\"\n[x12]\nqualifier = \"ZZ\"\nid = \"B\"\nalso = [{ qualifier = \"ZZ\", id = \"A-DC\" }]\n",
        )
        .unwrap();
        let (partners, problems) = Partners::load(dir.path());
        assert!(partners.is_empty(), "neither loads");
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("b.toml:4: x12: identity ZZ/A-DC is also claimed by a")),
            "{text:?}"
        );
    }

    #[test]
    fn an_identity_claimed_twice_loads_neither_profile() {
        let dir = folder(&[
            (
                "a.toml",
                "id = \"a\"\nname = \"A\"\n[edifact]\nid = \"4012345000009\"\n",
            ),
            (
                "b.toml",
                "id = \"b\"\nname = \"B\"\n[edifact]\nid = \"4012345000009\"\nqualifier = \"14\"\n",
            ),
            (
                "c.toml",
                "id = \"c\"\nname = \"C\"\n[cxml]\ndomain = \"DUNS\"\nidentity = \"1\"\n",
            ),
            (
                "d.toml",
                "id = \"d\"\nname = \"D\"\n[cxml]\ndomain = \"duns\"\nidentity = \"1\"\n",
            ),
            (
                "e.toml",
                "id = \"e\"\nname = \"E\"\n[ubl]\nendpoint_id = \"5400000000000\"\n",
            ),
        ]);
        let (partners, problems) = Partners::load(dir.path());
        // a (any qualifier) overlaps b (14); c and d differ only in the domain's case.
        let ids: Vec<&str> = partners.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, vec!["e"]);
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(text.len(), 4, "{text:?}");
        assert!(
            text.iter()
                .any(|t| t
                    .contains("a.toml:4: edifact: identity 4012345000009:* is also claimed by b")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("d.toml:5: cxml: identity duns:1 is also claimed by c")),
            "{text:?}"
        );
        assert!(
            text.iter().all(|t| t.contains("exactly one partner")),
            "{text:?}"
        );
    }

    #[test]
    fn live_profiles_reload_and_keep_the_last_good_version() {
        let good = |r: &str| {
            format!(
                "id = \"a\"\nname = \"A\"\n[x12]\nqualifier = \"ZZ\"\nid = \"A\"\n[mapping]\ncustomer_ref = \"{r}\"\n"
            )
        };
        let dir = folder(&[
            ("a.toml", &good("ONE")),
            ("b.toml", "id = \"b\"\nname = \"B\"\n"),
        ]);
        let (partners, _) = Partners::load(dir.path());
        let live = LivePartners::new(dir.path(), partners);
        assert!(live.reload_if_changed().is_none(), "nothing changed yet");
        let held = live.snapshot();
        std::fs::write(dir.path().join("a.toml"), good("TWO-LONGER")).unwrap();
        assert_eq!(live.reload_if_changed().map(|p| p.len()), Some(0));
        assert_eq!(
            live.snapshot().get("a").unwrap().mapping.customer_ref,
            "TWO-LONGER"
        );
        // A snapshot taken before keeps what it saw.
        assert_eq!(held.get("a").unwrap().mapping.customer_ref, "ONE");
        std::fs::write(dir.path().join("a.toml"), "id = \"a\"\nname = \"\"\n").unwrap();
        let problems = live.reload_if_changed().expect("changed");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            live.snapshot().get("a").unwrap().mapping.customer_ref,
            "TWO-LONGER"
        );
        std::fs::remove_file(dir.path().join("b.toml")).unwrap();
        assert!(live.reload_if_changed().is_some());
        assert!(
            live.snapshot().get("b").is_none(),
            "a deleted profile is gone"
        );
        assert!(live.snapshot().get("a").is_some());
    }

    #[test]
    fn sample_profile_parses() {
        let text = "id = \"acme\"\nname = \"ACME\"\n[x12]\nqualifier = \"ZZ\"\nid = \"ACME\"\n";
        let p = parse_profile(Path::new("partners/acme.toml"), text).unwrap();
        assert_eq!(p.id.as_str(), "acme");
        assert_eq!(p.functional_ack, FunctionalAckPolicy::F997);
        assert_eq!(p.mapping.customer_ref, "ACME");
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = "id = \"acme\"\nname = \"ACME\"\n[x12]\nqualifier = \"Z\"\nid = \"ACME\"\nfunctional_ack = \"998\"\n";
        let errs = parse_profile(Path::new("partners/acme.toml"), text).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(errs[0].key, "x12.qualifier");
        assert_eq!(errs[0].line, 4);
        assert_eq!(errs[1].key, "x12.functional_ack");
        assert_eq!(errs[1].line, 6);
    }

    #[test]
    fn unknown_key_is_located() {
        let text = "id = \"acme\"\nname = \"ACME\"\ncolour = \"red\"\n";
        let errs = parse_profile(Path::new("partners/acme.toml"), text).unwrap_err();
        assert_eq!(errs[0].line, 3, "{errs:?}");
        assert!(errs[0].why.contains("colour"));
    }

    #[test]
    fn id_must_match_file_name() {
        let text = "id = \"acme\"\nname = \"ACME\"\n";
        let errs = parse_profile(Path::new("partners/other.toml"), text).unwrap_err();
        assert_eq!(errs[0].key, "id");
    }
}
