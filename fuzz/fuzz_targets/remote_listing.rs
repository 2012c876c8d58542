//! Fuzz target: FTP directory listings from a partner's server (MLSD facts, Unix and DOS
//! LIST lines), as collection reads them. Any bytes give a list or nothing, never a panic;
//! a name Wharf would then fetch is never a path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::transport::remote::{Listing, parse_listing, plain_name};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<String> = text.split(['\n', '\r']).map(str::to_owned).collect();
    for form in [Listing::Mlsd, Listing::List] {
        for entry in parse_listing(&lines, form) {
            if plain_name(&entry.name) {
                assert!(!entry.name.contains('/') && entry.name != "..");
            }
        }
    }
});
