//! Fuzz target: EDIFACT bytes through the tokenizer (every element, component and text),
//! the envelope walk, the element rules, the ORDERS/DESADV mappings and the CONTRL writer.
//! Any panic is a bug: partner bytes must never crash the gateway.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::documents::edifact::{
    ContrlPolicy, TranslateOptions, outbound_message, translate_stream_runs, translate_with,
};
use wharf::edi::edifact::envelope::Party;
use wharf::edi::edifact::writer::{OutInterchange, write};
use wharf::edi::edifact::{Charset, Reader};

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    let mut guard = 0usize;
    while let Ok(Some(seg)) = r.next_segment() {
        for e in seg.elements() {
            for c in e.components() {
                let _ = c.len();
            }
            let _ = e.text();
            let _ = e.repetitions().count();
        }
        guard += 1;
        // The reader must always move forward.
        assert!(guard <= data.len() + 1);
    }
    let opts = TranslateOptions { contrl: ContrlPolicy::Always, ..TranslateOptions::default() };
    // Runs of interchanges cover the data in order, and translating them on several threads
    // gives exactly what one walk gives.
    let runs = wharf::edi::edifact::envelope::interchange_runs(data, 64);
    assert_eq!(runs.first().map(|r| r.0), Some(0));
    assert_eq!(runs.last().map(|r| r.1), Some(data.len()));
    assert!(runs.windows(2).all(|w| w[0].1 == w[1].0 && w[0].0 < w[0].1));
    let mut seen = [Vec::new(), Vec::new()];
    let mut results = Vec::new();
    for (k, parallel) in [false, true].into_iter().enumerate() {
        let out = &mut seen[k];
        let r = translate_stream_runs(data, opts, 64, parallel, |o| out.push(format!("{o:?}")));
        results.push(format!("{r:?}"));
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(results[0], results[1]);
    let Ok(t) = translate_with(data, opts) else { return };
    for ic in &t.interchanges {
        let env = OutInterchange {
            chars: ic.header.chars,
            charset: Charset::Unob,
            syntax_version: ic.header.syntax_version.clamp(3, 4),
            sender: Party { id: "WHARF".into(), qualifier: None },
            recipient: ic.header.sender.clone(),
            date: "261126".into(),
            time: "1200".into(),
            reference: "1".into(),
            application_ref: None,
            ack_request: false,
            test: false,
            una: true,
            newline: false,
        };
        if let Some(c) = &ic.contrl {
            let _ = write(&env, &[c.message("1")]);
        }
        // Documents read from partner bytes can be written back out where a message exists.
        for d in &ic.documents {
            if let Ok(m) = outbound_message(d, "2") {
                let _ = write(&env, &[m]);
            }
        }
    }
});
