//! A profile file read: the TOML as written (the `Raw*` structs, unknown keys refused) and
//! [`parse_profile`], which validates every section into a [`Profile`], collecting every
//! problem rather than the first.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::check::{line_of, locate};
use super::{
    Agreement, Agreements, Check, CxmlIdentity, DuplicatePolicy, EdifactIdentity,
    FunctionalAckPolicy, OutboundChannel, PartnerId, Profile, ProfileError, Standard, Ta1Policy,
    X12Identity, channels, rules,
};
use crate::documents::edifact::ContrlPolicy;
use crate::documents::x12::asn856::PackingStructure;
use crate::edi::edifact::{Charset, Repertoire};

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

/// `[x12] version`: the X12 version of the documents Wharf sends.
#[derive(Debug, Clone, Copy, Deserialize)]
enum X12Version {
    #[serde(rename = "4010")]
    V4010,
    #[serde(rename = "5010")]
    V5010,
}

impl X12Version {
    /// (ISA12, GS08) of what Wharf sends.
    fn codes(self) -> (&'static str, &'static str) {
        match self {
            X12Version::V4010 => ("00401", "004010"),
            X12Version::V5010 => ("00501", "005010"),
        }
    }
}

/// `[edifact] charset`: the repertoires Wharf writes, by their UNB identifiers (UNOW, the
/// other name of UTF-8, is taken for UNOY).
#[derive(Debug, Clone, Copy, Deserialize)]
enum OutboundCharset {
    #[serde(rename = "UNOA")]
    Unoa,
    #[serde(rename = "UNOB")]
    Unob,
    #[serde(rename = "UNOC")]
    Unoc,
    #[serde(rename = "UNOY", alias = "UNOW")]
    Utf8,
}

impl From<OutboundCharset> for Charset {
    fn from(c: OutboundCharset) -> Charset {
        match c {
            OutboundCharset::Unoa => Charset::Unoa,
            OutboundCharset::Unob => Charset::Unob,
            OutboundCharset::Unoc => Charset::Unoc,
            OutboundCharset::Utf8 => Charset::Utf8,
        }
    }
}

/// Parses and validates one profile, collecting every problem rather than the first.
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
            problems.push(err("id", why.to_string(), None));
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
    let x12_word = |f: fn(&RawX12) -> Option<&str>| raw.x12.as_ref().and_then(f);
    let functional_ack = check
        .choice(
            x12_word(|x| x.functional_ack.as_deref()),
            "x12.functional_ack",
            "one of 997, 999, none",
            None,
        )
        .unwrap_or(FunctionalAckPolicy::F997);
    let duplicate = check
        .choice(
            x12_word(|x| x.duplicate.as_deref()),
            "x12.duplicate",
            "one of ta1, warn",
            Some("ta1 answers a repeated ISA13 with TA1 code 025; warn only records it"),
        )
        .unwrap_or(DuplicatePolicy::Ta1);
    let ta1 = check
        .choice(
            x12_word(|x| x.ta1.as_deref()),
            "x12.ta1",
            "one of on_request, always",
            None,
        )
        .unwrap_or(Ta1Policy::OnRequest);
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
    let x12_version = check
        .choice(
            x12_word(|x| x.version.as_deref()),
            "x12.version",
            "4010 or 5010",
            None,
        )
        .unwrap_or(X12Version::V4010)
        .codes();
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
    let edifact_word = |f: fn(&RawEdifact) -> Option<&str>| raw.edifact.as_ref().and_then(f);
    let contrl = check
        .choice(
            edifact_word(|e| e.contrl.as_deref()),
            "edifact.contrl",
            "one of when_asked, always, receipt, never",
            Some("when_asked answers when UNB 0031 = 1"),
        )
        .unwrap_or(ContrlPolicy::WhenAsked);
    let edifact_charset = check
        .choice::<OutboundCharset>(
            edifact_word(|e| e.charset.as_deref()),
            "edifact.charset",
            "one of UNOA, UNOB, UNOC, UNOY",
            None,
        )
        .map_or(Charset::Unoa, Charset::from);
    let edifact_repertoire = check
        .choice(
            edifact_word(|e| e.repertoire.as_deref()),
            "edifact.repertoire",
            "warn or reject",
            Some("warn takes lower case in UNOA with a warning; reject follows ISO 9735"),
        )
        .unwrap_or(Repertoire::Warn);
    let asn_structure = check
        .choice(
            x12_word(|x| x.asn_structure.as_deref()),
            "x12.asn_structure",
            "sopi or soip",
            Some("sopi: shipment/order/pack/item; soip: shipment/order/item/pack"),
        )
        .unwrap_or(PackingStructure::Sopi);
    let outbound = check
        .choice(
            raw.outbound.channel.as_deref(),
            "outbound.channel",
            "a channel Wharf can send on yet",
            Some("available: directory, deliver, as2"),
        )
        .unwrap_or(OutboundChannel::Directory);
    // A channel is only as good as the section that says where it goes.
    match outbound {
        OutboundChannel::As2 if !raw.as2.as_ref().is_some_and(|a| a.has_url()) => check.push(
            "outbound.channel",
            "`as2` needs an [as2] section with the partner's url".into(),
            Some("[as2] url = \"https://as2.partner.example/receive\""),
        ),
        OutboundChannel::Deliver if raw.deliver.is_empty() => check.push(
            "outbound.channel",
            "`deliver` needs at least one [[deliver]] folder".into(),
            Some("add [[deliver]] with the url of the partner's inbound folder"),
        ),
        _ => {}
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
