//! Fuzz target: XML bytes through the bounded tree reader, the cXML and UBL mappings and the
//! cXML Response writer. Any panic is a bug: partner bytes must never crash the gateway.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::documents::xml::cxml::{Status, response};
use wharf::documents::xml::translate;
use wharf::edi::xml::{Limits, parse};

fuzz_target!(|data: &[u8]| {
    // Tight limits must fail cleanly, never panic.
    let _ = parse(data, Limits { max_bytes: 4096, max_depth: 8, max_elements: 64, ..Limits::default() });
    let t = translate(data);
    let status = Status::for_translation(t.as_ref());
    let text = response(&status, "p", "t");
    // What Wharf answers is itself well-formed.
    assert!(parse(text.as_bytes(), Limits::default()).is_ok(), "{text}");
});
