//! Fuzz target: XML bytes through the bounded tree reader, the cXML Header reader that
//! authenticates large requests, the cXML and UBL mappings and the cXML Response writer. Any panic is a bug: partner bytes must never crash the gateway.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::documents::xml::cxml::{Status, header_credentials, response};
use wharf::documents::xml::translate;
use wharf::edi::xml::{Limits, parse};

fuzz_target!(|data: &[u8]| {
    // Tight limits must fail cleanly, never panic.
    let _ = parse(data, Limits { max_bytes: 4096, max_depth: 8, max_elements: 64, ..Limits::default() });
    // The Header reader on any prefix: an answer or an error, never a panic; on a whole
    // cXML document it reads the same sender as the full translation.
    let header = header_credentials(data);
    let t = translate(data);
    if let (Ok(h), Ok(t)) = (&header, &t)
        && t.dialect == wharf::documents::xml::Dialect::Cxml
        && h.sender.is_some()
    {
        assert_eq!(h.sender, t.sender);
    }
    let status = Status::for_translation(t.as_ref());
    let text = response(&status, "p", "t");
    // What Wharf answers is itself well-formed.
    assert!(parse(text.as_bytes(), Limits::default()).is_ok(), "{text}");
});
