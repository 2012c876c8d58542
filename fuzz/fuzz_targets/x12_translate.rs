//! Fuzz target: X12 bytes through the reader, envelope validation, 850 mapping and the
//! acknowledgement writer. Any panic is a bug: partner bytes must never crash the gateway.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::documents::x12::{TranslateOptions, translate};

fuzz_target!(|data: &[u8]| {
    let _ = wharf::edi::x12::envelope::peek_isa(data);
    if let Ok(t) = translate(data, &TranslateOptions::default()) {
        for ic in &t.interchanges {
            let env = wharf::edi::x12::ack::OutboundEnvelope::now(
                "ZZ".into(),
                "WHARF".into(),
                ic.header.sender_qualifier.clone(),
                ic.header.sender_id.clone(),
                1,
                'P',
            );
            if let Some(a) = &ic.ack {
                let _ = wharf::edi::x12::ack::write_functional_ack(a, &env);
            }
            if let Some(t) = &ic.ta1 {
                let _ = wharf::edi::x12::ack::write_ta1(t, &env);
            }
        }
    }
});
