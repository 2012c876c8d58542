//! Fuzz target: format sniffing, SFTP path resolution and the agreement inventory (X12 GS/ST and EDIFACT UNH
//! headers, read at identification) of arbitrary bytes, and partner-profile parsing of
//! arbitrary text (profiles are operator input, but a bad edit must give an error, never a
//! panic). Every document the inventory reports must come from a header the bytes hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::partners::agreements::{inventory_edifact, inventory_x12};

fuzz_target!(|data: &[u8]| {
    let _ = wharf::store::Format::sniff(data);
    // An ASCII set id is the bytes of an ST01 (non-ASCII ones were decoded lossily).
    for doc in inventory_x12(data) {
        let t = doc.doc_type.as_bytes();
        assert!(!doc.doc_type.is_ascii() || t.is_empty() || data.windows(t.len()).any(|w| w == t));
    }
    // A message type comes from a UNH segment.
    if !inventory_edifact(data).is_empty() {
        assert!(data.windows(3).any(|w| w == b"UNH"));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        // An SFTP client's path resolves to one of the partner's two folders or a plain
        // file name inside one, never anything with a separator or a parent step.
        use wharf::transport::sftp::{Place, place};
        if let Some(Place::InboxFile(n) | Place::OutboxFile(n)) = place(text) {
            assert!(!n.contains('/') && n != ".." && !n.starts_with('.'));
        }
        let _ = wharf::partners::parse_profile(std::path::Path::new("partners/fuzz.toml"), text);
    }
});
