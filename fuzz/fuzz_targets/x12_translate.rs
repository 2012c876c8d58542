//! Fuzz target: X12 bytes through the reader, envelope validation, 850 mapping and the
//! acknowledgement writer. Any panic is a bug: partner bytes must never crash the gateway.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::config::{Identity, Usage};
use wharf::documents::x12::{TranslateOptions, translate, translate_stream_runs};
use wharf::pipeline::envelope::ack_envelope;

fuzz_target!(|data: &[u8]| {
    let _ = wharf::edi::x12::envelope::peek_isa(data);
    // The chunk boundary used to read large files must stay inside the data.
    assert!(wharf::edi::x12::envelope::complete_prefix(data) <= data.len());
    // Runs of interchanges cover the data in order, and translating them on several threads
    // gives exactly what one walk gives.
    let runs = wharf::edi::x12::envelope::interchange_runs(data, 64);
    assert_eq!(runs.first().map(|r| r.0), Some(0));
    assert_eq!(runs.last().map(|r| r.1), Some(data.len()));
    assert!(runs.windows(2).all(|w| w[0].1 == w[1].0 && w[0].0 < w[0].1));
    let mut seen = [Vec::new(), Vec::new()];
    let mut results = Vec::new();
    for (k, parallel) in [false, true].into_iter().enumerate() {
        let opts = TranslateOptions { parallel, ..TranslateOptions::default() };
        let out = &mut seen[k];
        let r = translate_stream_runs(data, opts, 64, |o| out.push(format!("{o:?}")));
        results.push(format!("{r:?}"));
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(results[0], results[1]);
    let me = Identity {
        x12_qualifier: "ZZ".into(),
        x12_id: "WHARF".into(),
        edifact_id: "WHARF".into(),
        edifact_qualifier: None,
        usage: Usage::Production,
    };
    if let Ok(t) = translate(data) {
        for ic in &t.interchanges {
            let to = (ic.header.sender_qualifier.as_str(), ic.header.sender_id.as_str());
            if let Some(a) = &ic.ack {
                let env = ack_envelope(&me, to, 1, 1, Some(a), None);
                let _ = wharf::documents::x12::ack::write_functional_ack(a, &env);
            }
            if let Some(t) = &ic.ta1 {
                let _ = wharf::documents::x12::ack::write_ta1(t, &ack_envelope(&me, to, 1, 0, None, None));
            }
        }
    }
});
