//! Partner profiles: one TOML file per trading partner in `partners/`, parsed into validated
//! [`Profile`]s, and the lookup that matches an envelope to exactly one partner.
//!
//! Files: `profile.rs` the validated profile (identities, acknowledgement policies);
//! `parse.rs` the TOML as written and its validation; `check.rs` how problems are reported;
//! `agreements.rs` the documents exchanged; `channels/` AS2, SFTP and FTP endpoints;
//! `rules.rs` mapping rules, strictness and limits; `pin.rs` a server certificate pin;
//! `registry.rs` the loaded profiles and the envelope lookup; `reload.rs` live reload;
//! `scaffold/` onboarding: a new profile from a sample, an SFTP key or password written in,
//! the checked atomic save with history.
//! Every section validates into typed values and reports each problem through [`Check`] with
//! its file, line and a hint.

pub mod agreements;
pub mod certificates;
pub mod channels;
mod check;
mod parse;
pub mod pin;
mod profile;
mod registry;
mod reload;
pub mod rules;
pub mod scaffold;
#[cfg(test)]
mod words_tests;

pub use agreements::{Agreement, Agreements, DocRef, Flow, Standard};
pub use channels::{ApiAccess, Channels};
pub use check::{Check, ProfileError};
pub use parse::parse_profile;
// The partner id is a domain word (`model`); kept here too so `partners::PartnerId` still names it.
pub use crate::model::{PartnerId, PartnerIdError};
pub use profile::{
    CxmlIdentity, DuplicatePolicy, EdifactIdentity, FunctionalAckPolicy, OutboundChannel, Profile,
    Ta1Policy, X12Identity,
};
pub use registry::Partners;
pub use reload::LivePartners;
pub use rules::{
    ItemKey, Limits, MappingRules, PriceSource, ReceiptRules, Rule, Sla, Strictness, Verdict,
};

/// A temporary partners folder holding `files` (name, text), for the tests of the submodules.
#[cfg(test)]
fn test_folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}
