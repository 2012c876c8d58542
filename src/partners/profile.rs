//! A validated partner profile and the settings it holds: the partner id, its identities
//! per standard, the acknowledgement and envelope policies, the outbound channel.

use std::path::PathBuf;

use super::{Agreements, Channels, Limits, MappingRules, ReceiptRules, Sla, Standard, Strictness};
use crate::model::PartnerId;

/// Which functional acknowledgement a partner expects for X12 (`[x12] functional_ack`: the
/// words below are what a profile writes; its JSON keeps the variant names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FunctionalAckPolicy {
    #[serde(rename(deserialize = "997"))]
    F997,
    #[serde(rename(deserialize = "999"))]
    F999,
    #[serde(rename(deserialize = "none"))]
    None,
}

/// How a repeated interchange (same ISA13 from the same sender within the window) is
/// answered. It is never posted again either way. (`[x12] duplicate`: `ta1` or `warn`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all(deserialize = "snake_case"))]
pub enum DuplicatePolicy {
    /// A TA1 rejecting the interchange with note code 025.
    Ta1,
    /// Only a warning in the message's history.
    Warn,
}

/// When a TA1 interchange acknowledgement goes back. A faulty envelope always gets one.
/// (`[x12] ta1`: `on_request` or `always`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all(deserialize = "snake_case"))]
pub enum Ta1Policy {
    /// When the interchange asks (ISA14 = 1).
    OnRequest,
    /// For every interchange.
    Always,
}

/// How outbound documents reach the partner. More channels come with their issues.
/// (`[outbound] channel`: the words of [`OutboundChannel::as_str`]; its JSON keeps the
/// variant names.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all(deserialize = "lowercase"))]
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
