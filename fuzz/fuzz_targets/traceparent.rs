//! Fuzz target: the W3C `traceparent` header a partner's HTTP request may carry (partner API,
//! cXML, AS2). Any text parses or is refused, never a panic; what parses is written back as a
//! version-00 header that parses to the same context, with nonzero ids.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::util::traceparent::TraceParent;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(t) = TraceParent::parse(&text) {
        let written = t.to_string();
        assert_eq!(written.len(), 55);
        assert_eq!(TraceParent::parse(&written), Some(t));
        assert_ne!(t.trace_id(), [0; 16]);
        assert_ne!(t.parent_id(), [0; 8]);
    }
});
