//! X12 → canonical documents plus the 997/999 and TA1 acknowledgements each interchange needs. Pure: must not depend on I/O, async or the database.

pub mod ack;
pub mod asn856;
pub mod common;
pub mod fa997;
pub mod invoice810;
pub mod outbound;
pub mod po850;
pub mod poack855;
pub mod ta1;

#[cfg(test)]
mod runs_tests;

use crate::edi::x12::envelope::{
    Event, Interchange, TransactionSetEnvelope, interchange_runs, walk_from,
};
use crate::edi::x12::rules::SetValidator;
use crate::edi::x12::{
    AckCode, Diagnostic, IsaHeader, Location, Severity, TransactionSet, X12Error,
};
use crate::model::{
    AckKind, AckStatus, Document, ElementError, FunctionalAck, GroupAck, SegmentError, SetAck,
    SourceRef, Ta1,
};
use serde::Serialize;

/// Options for [`translate_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranslateOptions {
    /// Which functional acknowledgement to build (the partner profile decides; 997 by default).
    pub ack_kind: AckKind,
    /// Translate runs of interchanges on every core when the input holds several (the
    /// output is the same, in the same order, as on one thread).
    pub parallel: bool,
}

impl Default for TranslateOptions {
    fn default() -> Self {
        TranslateOptions {
            ack_kind: AckKind::F997,
            parallel: true,
        }
    }
}

/// Input is cut into runs of whole interchanges of about this size for the parallel
/// translator: large enough that a run outweighs handing it to a thread, small enough that
/// the few runs held at once (see [`translate_stream`]) keep memory flat.
const RUN_BYTES: usize = 1 << 20;

/// Default acknowledgement for a version: 997 always; 999 only when a partner profile asks.
pub fn ack_kind_for(_version: &str) -> AckKind {
    AckKind::F997
}

#[derive(Debug, Clone, Serialize)]
pub struct InterchangeOutcome {
    pub header: IsaHeader,
    /// Canonical documents from accepted sets only.
    pub documents: Vec<Document>,
    /// `None` when the interchange is rejected at TA1 level or holds only acknowledgements.
    pub ack: Option<FunctionalAck>,
    pub ta1: Option<Ta1>,
    /// The transaction set identifiers (ST01) found, in order of first appearance.
    pub transaction_sets: Vec<String>,
    /// TA1 segments the partner sent in this interchange (its acknowledgements of
    /// interchanges Wharf sent, handed on as documents). Such an interchange is never
    /// answered with a TA1, whatever ISA14 or the profile say.
    pub interchange_acks: usize,
    /// The envelope is faulty (a TA1 note code): nothing in it is acted on, whether or not
    /// a rejecting TA1 goes back.
    pub rejected: bool,
    /// Every diagnostic of this interchange (envelope, set and content), errors and notes.
    pub errors: Vec<Diagnostic>,
}

#[derive(Debug, Clone, Serialize)]
pub struct X12Translation {
    pub interchanges: Vec<InterchangeOutcome>,
    /// File-level findings (junk outside interchanges, unreadable ISAs).
    pub diagnostics: Vec<Diagnostic>,
}

/// Translates every interchange with default options (997 acknowledgements).
pub fn translate(input: &[u8]) -> Result<X12Translation, X12Error> {
    translate_with(input, TranslateOptions::default())
}

/// Translates every interchange. `Err` only when not a single ISA can be read.
pub fn translate_with(input: &[u8], opts: TranslateOptions) -> Result<X12Translation, X12Error> {
    let mut interchanges = Vec::new();
    let mut documents = Vec::new();
    let diagnostics = translate_stream(input, opts, |out| match out {
        Output::Document(d) => documents.push(d),
        Output::Interchange(mut o) => {
            // A rejected interchange delivers nothing.
            if !o.rejected {
                o.documents = std::mem::take(&mut documents);
            } else {
                documents.clear();
            }
            interchanges.push(o);
        }
    })?;
    Ok(X12Translation {
        interchanges,
        diagnostics,
    })
}

/// What [`translate_stream`] hands on, in input order.
#[derive(Debug)]
pub enum Output {
    /// A canonical document, as soon as its set is mapped. Its interchange's trailer has not
    /// been checked yet: a consumer acts on it only once the interchange's outcome follows
    /// without a rejecting TA1.
    Document(Document),
    /// An interchange's outcome (acknowledgements, diagnostics); `documents` is empty here.
    Interchange(InterchangeOutcome),
}

/// The interchange being translated.
struct Current {
    header: IsaHeader,
    /// Faults already known from the ISA itself; later ones arrive with the trailer.
    isa_faults: usize,
    faulty_at_start: bool,
    group_acks: Vec<GroupAck>,
    set_acks: Vec<SetAck>,
    transaction_sets: Vec<String>,
    errors: Vec<Diagnostic>,
}

/// Streaming translation, with the outputs handed to `sink` in input order. Returns the
/// file-level diagnostics.
///
/// An input that holds several runs of interchanges (see [`interchange_runs`]) is
/// translated on every core, each thread taking the next run; the outputs of at most two
/// runs per thread are held while waiting for their turn, so memory stays flat whatever the
/// file's size. Otherwise one transaction set is in memory at a time.
pub fn translate_stream(
    input: &[u8],
    opts: TranslateOptions,
    sink: impl FnMut(Output),
) -> Result<Vec<Diagnostic>, X12Error> {
    translate_stream_runs(input, opts, RUN_BYTES, sink)
}

/// [`translate_stream`] with runs of about `run_bytes` (the fuzz target and tests use tiny
/// runs to check that the parallel result equals one walk).
#[doc(hidden)]
pub fn translate_stream_runs(
    input: &[u8],
    opts: TranslateOptions,
    run_bytes: usize,
    mut sink: impl FnMut(Output),
) -> Result<Vec<Diagnostic>, X12Error> {
    let Some((runs, threads)) = split(input, run_bytes, opts.parallel) else {
        return translate_run(input, 0, opts, sink);
    };
    let run = |bytes: &[u8], start: usize| {
        let mut outputs = Vec::new();
        let file = translate_run(bytes, start, opts, |o| outputs.push(o));
        (outputs, file)
    };
    let file = crate::documents::parallel::translate(input, &runs, threads, run, |outputs| {
        outputs.into_iter().for_each(&mut sink)
    })?;
    Ok(in_walk_order(file))
}

/// Translation handing `sink` one value per interchange, built by `fold` from the
/// interchange's outputs (its documents, then its outcome) on the thread that translated it:
/// what a consumer does with each document (serialising it, say) is spread over the cores
/// too. Outputs after the last outcome of a run, if any, arrive folded into one last value.
pub fn translate_by_interchange<C: Default + Send>(
    input: &[u8],
    opts: TranslateOptions,
    fold: impl Fn(&mut C, Output) + Sync,
    sink: impl FnMut(C),
) -> Result<Vec<Diagnostic>, X12Error> {
    crate::documents::parallel::by_interchange(
        input,
        split(input, RUN_BYTES, opts.parallel),
        |bytes, start, out| translate_run(bytes, start, opts, out),
        |o| matches!(o, Output::Interchange(_)),
        fold,
        in_walk_order,
        sink,
    )
}

/// The runs and threads to translate `input` with, or `None` for one walk on this thread.
fn split(input: &[u8], run_bytes: usize, parallel: bool) -> Option<(Vec<(usize, usize)>, usize)> {
    let threads = if parallel {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        1
    };
    if threads < 2 || input.len() < run_bytes.saturating_mul(2) {
        return None;
    }
    let runs = interchange_runs(input, run_bytes);
    (runs.len() >= 2).then_some((runs, threads))
}

/// One walk reports unreadable headers as it meets them and junk between interchanges at
/// the end; runs are put back in that order.
fn in_walk_order(mut file: Vec<Diagnostic>) -> Vec<Diagnostic> {
    file.sort_by_key(|d| d.location.offset.is_some());
    file
}

/// One run of interchanges: `input[start..]`, offsets counted in `input`.
fn translate_run(
    input: &[u8],
    start: usize,
    opts: TranslateOptions,
    mut sink: impl FnMut(Output),
) -> Result<Vec<Diagnostic>, X12Error> {
    let mut file = Vec::new();
    let mut cur: Option<Current> = None;
    walk_from(input, start, |event| match event {
        Event::InterchangeStart(ic) => {
            cur = Some(Current {
                header: ic.header.clone(),
                isa_faults: ic.diagnostics.len(),
                faulty_at_start: ic.ta1_fault().is_some(),
                group_acks: Vec::new(),
                set_acks: Vec::new(),
                transaction_sets: Vec::new(),
                errors: ic.diagnostics.clone(),
            });
        }
        Event::GroupStart(..) => {
            if let Some(c) = cur.as_mut() {
                c.set_acks.clear();
            }
        }
        Event::Set(header, g, set) => {
            let Some(c) = cur.as_mut() else { return };
            let code = set.kind.code();
            if !c.transaction_sets.iter().any(|t| t == code) {
                c.transaction_sets.push(code.to_owned());
            }
            let mut diags = set.diagnostics.clone();
            // Structure rules (segment order, loops, element types and codes) where a table
            // exists for this set and version.
            if let Some(mut rules) = SetValidator::new(code.as_bytes(), &g.version) {
                for seg in &set.segments {
                    rules.segment(seg);
                }
                diags.extend(rules.finish_findings().into_iter().map(|f| {
                    let mut d = f.diagnostic;
                    d.location.loop_id = f.loop_id.map(Into::into);
                    d
                }));
            }
            // The mapping runs whenever the envelope is sound, so its own findings (a CTT01
            // that does not match, a quantity that is not a number) join the structure's; the
            // document goes on only when nothing at all was wrong.
            if set.is_sound() && !c.faulty_at_start {
                let source = SourceRef {
                    standard: "X12".into(),
                    version: g.version.as_str().into(),
                    interchange_control: header.control_number.as_str().into(),
                    group_control: g.control.as_str().into(),
                    set_control: set.control.as_str().into(),
                    sender_id: header.sender_id.as_str().into(),
                    receiver_id: header.receiver_id.as_str().into(),
                };
                match map_set(set, source) {
                    Mapped::Doc(d) if !diags.iter().any(|d| d.severity == Severity::Error) => {
                        sink(Output::Document(d))
                    }
                    Mapped::Doc(_) => {}
                    Mapped::Faults(f) => diags.extend(f),
                    Mapped::Unsupported => diags.push(Diagnostic::info(
                        Location {
                            interchange_control: Some(header.control_number.clone()),
                            group_control: Some(g.control.clone()),
                            set_control: Some(set.control.clone()),
                            ..Location::default()
                        },
                        format!(
                            "no canonical mapping yet for transaction set {} (ST/SE control {}, group {}, interchange {})",
                            set.kind.code(),
                            set.control,
                            g.control,
                            header.control_number
                        ),
                    )),
                }
            }
            c.set_acks.push(set_ack(set, &diags));
            c.errors.extend(diags);
        }
        Event::GroupEnd(_, g) => {
            let Some(c) = cur.as_mut() else { return };
            c.errors.extend(g.diagnostics.iter().cloned());
            let sets = std::mem::take(&mut c.set_acks);
            // Acknowledgements are never acknowledged.
            if g.functional_id != "FA" {
                c.group_acks.push(group_ack(g, sets));
            }
        }
        Event::InterchangeEnd(ic) => {
            let Some(mut c) = cur.take() else { return };
            c.errors
                .extend(ic.diagnostics.iter().skip(c.isa_faults).cloned());
            // The partner's interchange acknowledgements, read only from a sound envelope
            // (like any document): Wharf's messages are marked by what they say.
            if ic.ta1_fault().is_none() {
                for seg in &ic.ta1s {
                    let source = SourceRef {
                        standard: "X12".into(),
                        version: c.header.version.as_str().into(),
                        interchange_control: c.header.control_number.as_str().into(),
                        group_control: "".into(),
                        set_control: "".into(),
                        sender_id: c.header.sender_id.as_str().into(),
                        receiver_id: c.header.receiver_id.as_str().into(),
                    };
                    match ta1::map_ta1(seg, source) {
                        Ok(a) => sink(Output::Document(Document::InterchangeAck(Box::new(a)))),
                        Err(d) => c.errors.push(*d),
                    }
                }
            }
            sink(Output::Interchange(finish(c, ic, opts)));
        }
        Event::File(d) => file.push(d.clone()),
    })?;
    Ok(file)
}

/// The interchange's acknowledgements once its trailer has been checked.
fn finish(c: Current, ic: &Interchange<'_>, opts: TranslateOptions) -> InterchangeOutcome {
    let fault = ic.ta1_fault();
    // An interchange carrying TA1s is an acknowledgement itself: answering it with a TA1
    // would start a loop of acknowledgements between the two gateways.
    let answers_ta1 = !ic.ta1s.is_empty();
    let ta1 = match fault {
        _ if answers_ta1 => None,
        Some(code) => Some(Ta1 {
            control_number: c.header.control_number.as_str().into(),
            date: c.header.date.as_str().into(),
            time: c.header.time.as_str().into(),
            ack_code: 'R',
            note_code: compact_str::format_compact!("{code:03}"),
        }),
        None if c.header.ack_requested => Some(Ta1 {
            control_number: c.header.control_number.as_str().into(),
            date: c.header.date.as_str().into(),
            time: c.header.time.as_str().into(),
            ack_code: 'A',
            note_code: "000".into(),
        }),
        None => None,
    };
    let ack = if fault.is_some() || c.group_acks.is_empty() {
        None
    } else {
        Some(FunctionalAck {
            kind: opts.ack_kind,
            groups: c.group_acks,
        })
    };
    InterchangeOutcome {
        header: c.header,
        documents: Vec::new(),
        ack,
        ta1,
        transaction_sets: c.transaction_sets,
        interchange_acks: ic.ta1s.len(),
        rejected: fault.is_some(),
        errors: c.errors,
    }
}

#[expect(
    clippy::large_enum_variant,
    reason = "a document is the common case and is moved once; boxing would allocate per document"
)]
enum Mapped {
    Doc(Document),
    Faults(Vec<Diagnostic>),
    Unsupported,
}

fn map_set(set: &TransactionSetEnvelope<'_>, source: SourceRef) -> Mapped {
    match set.kind {
        TransactionSet::PurchaseOrder850 => match po850::map_850(set, source) {
            Ok(o) => Mapped::Doc(Document::Order(o)),
            Err(f) => Mapped::Faults(f),
        },
        TransactionSet::PurchaseOrderAck855 => match poack855::map_855(&set.segments, source) {
            Ok(a) => Mapped::Doc(Document::OrderAck(a)),
            Err(f) => Mapped::Faults(f),
        },
        TransactionSet::ShipNotice856 => match asn856::map_856(&set.segments, source) {
            Ok(n) => Mapped::Doc(Document::ShipNotice(n)),
            Err(f) => Mapped::Faults(f),
        },
        TransactionSet::Invoice810 => match invoice810::map_810(&set.segments, source) {
            Ok(i) => Mapped::Doc(Document::Invoice(i)),
            Err(f) => Mapped::Faults(f),
        },
        TransactionSet::FunctionalAck997 => {
            match fa997::map_997(&set.segments, source, AckKind::F997) {
                Ok(a) => Mapped::Doc(Document::FunctionalAck(a)),
                Err(f) => Mapped::Faults(f),
            }
        }
        TransactionSet::ImplementationAck999 => {
            match fa997::map_997(&set.segments, source, AckKind::F999) {
                Ok(a) => Mapped::Doc(Document::FunctionalAck(a)),
                Err(f) => Mapped::Faults(f),
            }
        }
        TransactionSet::Other(_) => Mapped::Unsupported,
    }
}

/// Builds AK2..AK5 content from a set's diagnostics.
fn set_ack(set: &TransactionSetEnvelope<'_>, diags: &[Diagnostic]) -> SetAck {
    let mut set_errors: Vec<u16> = Vec::new();
    let mut segment_errors: Vec<SegmentError> = Vec::new();
    for d in diags.iter().filter(|d| d.severity == Severity::Error) {
        let seg_entry = |segment_errors: &mut Vec<SegmentError>, code: u16| -> usize {
            let pos = d.location.segment_position.unwrap_or(0);
            let id = d.location.segment_id.clone().unwrap_or_default();
            match segment_errors
                .iter()
                .position(|s| s.position == pos && s.segment_id == id)
            {
                Some(i) => i,
                None => {
                    segment_errors.push(SegmentError {
                        segment_id: id.into(),
                        position: pos,
                        loop_id: d.location.loop_id.as_deref().map(Into::into),
                        code,
                        element_errors: Vec::new(),
                    });
                    segment_errors.len() - 1
                }
            }
        };
        match d.code {
            Some(AckCode::Set(c)) => set_errors.push(c),
            Some(AckCode::Segment(c)) => {
                seg_entry(&mut segment_errors, c);
            }
            Some(AckCode::Element(c)) => {
                let i = seg_entry(&mut segment_errors, 8);
                let (position, component) = (d.location.element.unwrap_or(0), d.location.component);
                // The envelope, the rules and the mapping can see the same fault: one AK4.
                if let Some(s) = segment_errors.get_mut(i).filter(|s| {
                    !s.element_errors
                        .iter()
                        .any(|e| e.position == position && e.component == component && e.code == c)
                }) {
                    s.element_errors.push(ElementError {
                        position: d.location.element.unwrap_or(0),
                        component: d.location.component,
                        repeat: None,
                        reference: None,
                        code: c,
                        bad_value: d.location.bad_value.as_deref().map(Into::into),
                    });
                }
            }
            _ => {}
        }
    }
    if !segment_errors.is_empty() && !set_errors.contains(&5) {
        set_errors.push(5);
    }
    // AK3s in segment order (a missing segment is found late but sits early); AK5 codes once.
    segment_errors.sort_by_key(|s| s.position);
    set_errors.sort_unstable();
    set_errors.dedup();
    set_errors.truncate(5);
    let status = if set_errors.is_empty() {
        AckStatus::Accepted
    } else {
        AckStatus::Rejected
    };
    SetAck {
        set_id: set.kind.code().into(),
        set_control: set.control.as_str().into(),
        implementation_ref: set.implementation_ref.as_deref().map(Into::into),
        status,
        set_errors,
        segment_errors,
    }
}

fn group_ack(g: &crate::edi::x12::Group<'_>, sets: Vec<SetAck>) -> GroupAck {
    let mut group_errors: Vec<u16> = g
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .filter_map(|d| match d.code {
            Some(AckCode::Group(c)) => Some(c),
            _ => None,
        })
        .collect();
    group_errors.dedup();
    group_errors.truncate(5);
    let received = u32::try_from(sets.len()).unwrap_or(u32::MAX);
    let accepted = u32::try_from(
        sets.iter()
            .filter(|s| s.status != AckStatus::Rejected)
            .count(),
    )
    .unwrap_or(u32::MAX);
    let status = if !group_errors.is_empty() || (accepted == 0 && received > 0) {
        AckStatus::Rejected
    } else if accepted < received {
        AckStatus::PartiallyAccepted
    } else {
        AckStatus::Accepted
    };
    GroupAck {
        functional_id: g.functional_id.as_str().into(),
        group_control: g.control.as_str().into(),
        version: g.version.as_str().into(),
        status,
        included: g
            .declared_sets
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(received),
        received,
        accepted: if status == AckStatus::Rejected {
            0
        } else {
            accepted
        },
        group_errors,
        sets,
        inconsistencies: Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::documents::x12::ack::{write_functional_ack, write_ta1};
    use crate::edi::x12::Delimiters;
    use crate::edi::x12::reader::Reader;
    use crate::edi::x12::writer::OutboundEnvelope;
    use crate::model::{ItemIdQualifier, OrderPurpose, PartyRole};
    use rust_decimal::Decimal;

    const PO: &str = "ISA*00*          *00*          *ZZ*BUYER          *ZZ*SELLER         *240102*1030*U*00401*000000001*0*T*>~\n\
GS*PO*BUYER*SELLER*20240102*1030*1*X*004010~\n\
ST*850*0001~\n\
BEG*00*SA*PO-77**20240102~\n\
CUR*BY*USD~\n\
DTM*002*20240115~\n\
N1*ST*Dock 4*92*DC4~\n\
N3*1 Quay Rd~\n\
N4*Leith*SC*EH6*GB~\n\
PO1*1*10*EA*2.50**BP*B-1*UP*012345678905~\n\
PID*F****Blue widget~\n\
PO1*2*3.5*KG***VN*V-9~\n\
MSG*Leave at gate~\n\
CTT*2~\n\
SE*13*0001~\n\
GE*1*1~\n\
IEA*1*000000001~\n";

    fn env() -> OutboundEnvelope {
        OutboundEnvelope {
            sender_qualifier: "ZZ".into(),
            sender_id: "SELLER".into(),
            receiver_qualifier: "ZZ".into(),
            receiver_id: "BUYER".into(),
            interchange_control: 5,
            group_control: 5,
            date: "20240103".into(),
            time: "0900".into(),
            usage: 'T',
            version: "00401".into(),
            gs_version: "004010".into(),
            delimiters: Delimiters {
                repetition: None,
                newline_after_segment: true,
                ..Delimiters::default()
            },
        }
    }

    fn segs(bytes: &[u8]) -> Vec<String> {
        let mut r = Reader::new(bytes);
        let mut out = Vec::new();
        while let Ok(Some(s)) = r.next_segment() {
            let els: Vec<String> = s.elements().map(crate::edi::x12::text).collect();
            out.push(format!("{}*{}", s.id_str(), els.join("*")));
        }
        out
    }

    #[test]
    fn order_with_two_lines() {
        let t = translate(PO.as_bytes()).unwrap();
        assert_eq!(t.interchanges.len(), 1);
        let o = &t.interchanges[0];
        assert!(o.errors.is_empty(), "{:#?}", o.errors);
        assert!(o.ta1.is_none());
        let Some(Document::Order(order)) = o.documents.first() else {
            panic!("no order")
        };
        assert_eq!(order.purpose, OrderPurpose::Original);
        assert_eq!(order.po_number, "PO-77");
        assert_eq!(order.po_date.as_deref(), Some("2024-01-02"));
        assert_eq!(order.order_type.as_deref(), Some("SA"));
        assert_eq!(order.currency.as_deref(), Some("USD"));
        assert_eq!(order.requested_delivery_date.as_deref(), Some("2024-01-15"));
        assert_eq!(order.parties[0].role, PartyRole::ShipTo);
        assert_eq!(order.parties[0].city.as_deref(), Some("Leith"));
        assert_eq!(
            order.parties[0].address_lines,
            vec!["1 Quay Rd".to_string()]
        );
        assert_eq!(order.lines.len(), 2);
        assert_eq!(order.lines[0].quantity, Decimal::new(10, 0));
        assert_eq!(order.lines[0].unit_price, Some(Decimal::new(250, 2)));
        assert_eq!(order.lines[0].item_ids[1].qualifier, ItemIdQualifier::Upc);
        assert_eq!(order.lines[0].description.as_deref(), Some("Blue widget"));
        assert_eq!(order.lines[1].quantity, Decimal::new(35, 1));
        assert_eq!(
            order.lines[1].item_ids[0].qualifier,
            ItemIdQualifier::VendorPart
        );
        assert_eq!(order.notes, vec!["Leave at gate".to_string()]);
        assert_eq!(order.source.set_control, "0001");
        let ack = o.ack.as_ref().unwrap();
        assert_eq!(ack.groups[0].status, AckStatus::Accepted);
        // 997 roundtrip through our own reader.
        let bytes = write_functional_ack(ack, &env()).unwrap();
        assert_eq!(
            segs(&bytes)[1..],
            [
                "GS*FA*SELLER*BUYER*20240103*0900*5*X*004010",
                "ST*997*0001",
                "AK1*PO*1",
                "AK2*850*0001",
                "AK5*A",
                "AK9*A*1*1*1",
                "SE*6*0001",
                "GE*1*5",
                "IEA*1*000000005",
            ]
        );
        let back = translate(&bytes).unwrap();
        let errs = &back.interchanges[0].errors;
        assert!(
            errs.iter().all(|d| d.severity != Severity::Error),
            "{errs:#?}"
        );
        // Acks are never acked.
        assert!(back.interchanges[0].ack.is_none());
    }

    #[test]
    fn wrong_se01_gives_ak5_r_4() {
        let bad = PO.replace("SE*13*0001", "SE*12*0001");
        let t = translate(bad.as_bytes()).unwrap();
        let o = &t.interchanges[0];
        assert!(o.documents.is_empty());
        assert!(o.errors.iter().any(|d| d.message
            == "SE01 says 12 segments but transaction set 0001 has 13 (ST/SE control 0001, group 1, interchange 000000001)"));
        let ack = o.ack.as_ref().unwrap();
        let bytes = write_functional_ack(ack, &env()).unwrap();
        let s = segs(&bytes);
        assert!(s.contains(&"AK5*R*4".to_string()), "{s:?}");
        assert!(s.contains(&"AK9*R*1*1*0".to_string()), "{s:?}");
    }

    #[test]
    fn content_errors_become_ak3_ak4() {
        let bad = PO
            .replace("PO1*2*3.5*KG", "PO1*2*3,5*KG")
            .replace("CTT*2", "CTT*3");
        let t = translate(bad.as_bytes()).unwrap();
        let ack = t.interchanges[0].ack.as_ref().unwrap();
        let s = segs(&write_functional_ack(ack, &env()).unwrap());
        let want = [
            "AK3*PO1*10*PO1*8",
            "AK4*2**6*3,5",
            "AK3*CTT*12**8",
            "AK4*1**7*3",
            "AK5*R*5",
        ];
        for w in want {
            assert!(s.contains(&w.to_string()), "{w} missing in {s:?}");
        }
        let no_beg = PO
            .replace("BEG*00*SA*PO-77**20240102~\n", "")
            .replace("SE*13", "SE*12");
        let t = translate(no_beg.as_bytes()).unwrap();
        let ack = t.interchanges[0].ack.as_ref().unwrap();
        let s = segs(&write_functional_ack(ack, &env()).unwrap());
        assert!(s.contains(&"AK3*BEG*2**3".to_string()), "{s:?}");
    }

    #[test]
    fn duplicate_st02_and_unmapped_sets() {
        let body = "GS*OW*B*S*20240102*1030*1*X*004010~ST*940*0001~W05*N*1~SE*3*0001~ST*940*0001~W05*N*2~SE*3*0001~GE*2*1~";
        let s = PO.split("GS*").next().unwrap_or("").to_string() + body + "IEA*1*000000001~";
        let t = translate(s.as_bytes()).unwrap();
        let o = &t.interchanges[0];
        let g = &o.ack.as_ref().unwrap().groups[0];
        assert_eq!(g.sets[0].status, AckStatus::Accepted);
        assert_eq!(g.sets[1].set_errors, vec![23]);
        assert_eq!(g.status, AckStatus::PartiallyAccepted);
        assert!(o.errors.iter().any(|d| {
            d.message
                .starts_with("no canonical mapping yet for transaction set 940")
        }));
    }

    #[test]
    fn truncated_file_gives_ta1_023() {
        let cut = PO.split("GE*").next().unwrap_or("");
        let t = translate(cut.as_bytes()).unwrap();
        let o = &t.interchanges[0];
        let ta1 = o.ta1.as_ref().unwrap();
        assert_eq!((ta1.ack_code, ta1.note_code.as_str()), ('R', "023"));
        assert!(o.documents.is_empty() && o.ack.is_none());
        let bytes = write_ta1(ta1, &env()).unwrap();
        assert_eq!(segs(&bytes)[1], "TA1*000000001*240102*1030*R*023");
    }

    #[test]
    fn ta1_accept_when_requested() {
        let s = PO.replace("*000000001*0*T*", "*000000001*1*T*");
        let t = translate(s.as_bytes()).unwrap();
        let ta1 = t.interchanges[0].ta1.as_ref().unwrap();
        assert_eq!((ta1.ack_code, ta1.note_code.as_str()), ('A', "000"));
    }

    #[test]
    fn two_interchanges_different_delimiters_and_0x1a() {
        let second = PO
            .replace('*', "|")
            .replace('~', "^")
            .replace("|>^", "|`^")
            .replace("000000001", "000000002");
        let all = format!("{PO}{second}\x1a");
        let t = translate(all.as_bytes()).unwrap();
        assert_eq!(t.interchanges.len(), 2);
        assert!(t.diagnostics.is_empty(), "{:?}", t.diagnostics);
        assert_eq!(t.interchanges[1].header.delimiters.element, b'|');
        assert_eq!(t.interchanges[1].documents.len(), 1);
    }

    #[test]
    fn never_panics_on_mutations() {
        let base = PO.as_bytes();
        for cut in 0..=base.len() {
            let _ = translate(&base[..cut]);
        }
        for i in 0..base.len() {
            for v in [0x00u8, b'*', b'~', 0xFF, b'\n', b'>', b'9'] {
                let mut m = base.to_vec();
                m[i] = v;
                if let Ok(t) = translate(&m) {
                    for o in &t.interchanges {
                        if let Some(a) = &o.ack {
                            let _ = write_functional_ack(a, &env());
                        }
                    }
                }
            }
        }
    }
}
