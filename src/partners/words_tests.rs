//! Tests of the word-valued profile settings: every spelling each takes, read into its value,
//! and every word it does not take, named at its line with the words it does.

use std::path::Path;

use super::{OutboundChannel, Standard, channels, parse_profile, rules};
use crate::documents::edifact::ContrlPolicy;
use crate::documents::x12::asn856::PackingStructure;
use crate::edi::edifact::{Charset, Repertoire};

/// Every spelling a word-valued setting takes, each read into its value.
#[test]
fn every_accepted_word_is_read() {
    let text = r#"
id = "acme"
name = "ACME"
[x12]
qualifier = "ZZ"
id = "ACME"
version = "5010"
asn_structure = "soip"
[edifact]
id = "ACME"
contrl = "receipt"
charset = "UNOW"
repertoire = "reject"
[outbound]
channel = "deliver"
[mapping]
price = "odoo"
item_id_order = ["gtin", "vendor_part"]
[[documents]]
standard = "edifact"
type = "ORDERS"
direction = "in"
[as2]
id = "ACME"
mdn = "async"
digest = "SHA-384"
cipher = "AES128-GCM"
[sftp]
user = "acme"
keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"]
confirm = "archive"
[[collect]]
url = "ftps://ftp.acme.example/out"
user = "wharf"
secret = "env:ACME_FTP"
tls = "implicit"
after = "archive"
[[deliver]]
url = "ftp://ftp.acme.example/in"
user = "wharf"
secret = "env:ACME_FTP"
[strictness]
uom_unmapped = "accept"
"#;
    let p = parse_profile(Path::new("partners/acme.toml"), text).unwrap();
    assert_eq!(p.x12_version, ("00501", "005010"));
    assert_eq!(p.asn_structure, PackingStructure::Soip);
    assert_eq!(p.contrl, ContrlPolicy::Receipt);
    assert_eq!(p.edifact_charset, Charset::Utf8);
    assert_eq!(p.edifact_repertoire, Repertoire::Reject);
    assert_eq!(p.outbound, OutboundChannel::Deliver);
    assert_eq!(p.mapping.price, rules::PriceSource::Odoo);
    use rules::ItemKey;
    assert_eq!(
        p.mapping.item_id_order,
        [ItemKey::Gtin, ItemKey::VendorPart]
    );
    let a = &p.agreements.0[0];
    assert_eq!((a.standard, a.flow), (Standard::Edifact, super::Flow::In));
    let as2 = p.channels.as2.as_ref().unwrap();
    assert!(as2.async_mdn);
    assert_eq!(as2.digest, channels::As2Digest::Sha384);
    assert_eq!(as2.cipher, channels::As2Cipher::Aes128Gcm);
    let sftp = p.channels.sftp.as_ref().unwrap();
    assert_eq!(sftp.confirm, channels::Confirm::Archive);
    assert_eq!(
        p.channels.collect[0].protocol,
        channels::Protocol::FtpsImplicit
    );
    assert_eq!(p.channels.collect[0].after, channels::AfterCollect::Archive);
    assert_eq!(p.channels.deliver[0].protocol, channels::Protocol::Ftp);
    assert_eq!(
        p.strictness.verdict(rules::Rule::UomUnmapped),
        rules::Verdict::Accept
    );
    for (word, cipher) in [
        ("3des", channels::As2Cipher::Des3),
        ("Aes192", channels::As2Cipher::Aes192),
    ] {
        let t = text.replace("AES128-GCM", word);
        let p = parse_profile(Path::new("partners/acme.toml"), &t).unwrap();
        assert_eq!(p.channels.as2.unwrap().cipher, cipher);
    }
}

/// A word a setting does not take is named with the words it does, at its own line, and
/// the rest of the profile is still checked.
#[test]
fn every_unknown_word_is_named_at_its_line() {
    let text = r#"id = "acme"
name = "ACME"
[x12]
qualifier = "ZZ"
id = "ACME"
version = "6010"
asn_structure = "SOIP"
[edifact]
id = "ACME"
contrl = "sometimes"
charset = "unoa"
repertoire = "lax"
[outbound]
channel = "fax"
[mapping]
price = "cheapest"
item_id_order = ["sku"]
[[documents]]
standard = "x13"
type = "850"
direction = "in"
[[documents]]
standard = "x12"
type = "850"
direction = "sideways"
[as2]
id = "ACME"
mdn = "later"
digest = "SHA-1024"
cipher = "rot13"
[sftp]
user = "acme"
keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"]
confirm = "keep"
[[collect]]
url = "ftpsimplicit://ftp.acme.example/out"
user = "wharf"
secret = "env:ACME_FTP"
after = "leave"
[[deliver]]
url = "ftps://ftp.acme.example/in"
user = "wharf"
secret = "env:ACME_FTP"
tls = "opportunistic"
[strictness]
late_delivery = "reject"
uom_unmapped = "ignore"
"#;
    let errs = parse_profile(Path::new("partners/acme.toml"), text).unwrap_err();
    let got: Vec<String> = errs
        .iter()
        .map(|e| format!("{}: {}: {}", e.line, e.key, e.why))
        .collect();
    let want = [
        "6: x12.version: `6010` is not 4010 or 5010",
        "7: x12.asn_structure: `SOIP` is not sopi or soip",
        "10: edifact.contrl: `sometimes` is not one of when_asked, always, receipt, never",
        "11: edifact.charset: `unoa` is not one of UNOA, UNOB, UNOC, UNOY",
        "12: edifact.repertoire: `lax` is not warn or reject",
        "14: outbound.channel: `fax` is not a channel Wharf can send on yet",
        "16: mapping.price: `cheapest` is not partner or odoo",
        "17: mapping.item_id_order: `sku` is not an item key",
        "17: mapping.item_id_order: names no identifier, so no line could find its product",
        "19: documents[0].standard: `x13` is not a standard",
        "25: documents[1].direction: `sideways` is not a direction",
        "28: as2.mdn: `later` is not sync or async",
        "29: as2.digest: `sha-1024` is not sha1, sha256, sha384 or sha512",
        "30: as2.cipher: `rot13` is not a cipher Wharf sends with",
        "34: sftp.confirm: `keep` is not delete or archive",
        "36: collect[0].url: `ftpsimplicit://ftp.acme.example/out` is not an ftp://, ftps:// or sftp:// URL",
        "39: collect[0].after: `leave` is not delete or archive",
        "44: deliver[0].tls: `opportunistic` is not explicit or implicit",
        "46: strictness.late_delivery: `late_delivery` is not a rule",
        "47: strictness.uom_unmapped: `ignore` is not reject, warn or accept",
    ];
    assert_eq!(got, want);
}
