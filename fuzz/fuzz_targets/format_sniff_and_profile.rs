//! Fuzz target: format sniffing of arbitrary bytes and partner-profile parsing of arbitrary
//! text (profiles are operator input, but a bad edit must give an error, never a panic).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wharf::store::Format::sniff(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = wharf::partners::parse_profile(std::path::Path::new("partners/fuzz.toml"), text);
    }
});
