//! EDIFACT ⇄ canonical documents plus the CONTRL each interchange needs: envelope and character-set faults from the walk, element rules per segment, then the message mappings (ORDERS and DESADV in; ORDRSP and DESADV out). Pure: must not depend on I/O, async or the database.

pub mod contrl;
pub mod desadv;
pub mod orders;
pub mod ordrsp;

#[cfg(test)]
mod runs_tests;

use crate::edi::edifact::contrl::{Contrl, ContrlBuilder};
use crate::edi::edifact::envelope::{Event, UnbHeader, walk_from};
use crate::edi::edifact::writer::OutMessage;
use crate::edi::edifact::{
    AckCode, Diagnostic, EdifactError, Location, Repertoire, Segment, Severity, rules, structure,
};
use crate::model::{Document, SourceRef};
use serde::{Deserialize, Serialize};

/// When a CONTRL goes back (a partner profile's `[edifact] contrl`: `when_asked`, `always`,
/// `receipt` or `never`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContrlPolicy {
    /// When UNB asks for one (0031 = 1).
    #[default]
    WhenAsked,
    /// For every interchange (the partner's profile says so).
    Always,
    /// For every interchange, as a receipt only: UCI with action 8 (or 4 when the
    /// interchange is rejected), no message detail.
    Receipt,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TranslateOptions {
    pub contrl: ContrlPolicy,
    /// How strictly UNB's repertoire is held (the partner profile's; `warn` by default).
    pub repertoire: Repertoire,
}

#[derive(Debug, Clone, Serialize)]
pub struct InterchangeOutcome {
    pub header: UnbHeader,
    /// Canonical documents from accepted messages of an accepted interchange.
    pub documents: Vec<Document>,
    /// The CONTRL to send back, when one is due (never in reply to CONTRL messages).
    pub contrl: Option<Contrl>,
    /// True when an interchange-level fault (UCI) rejects everything in it.
    pub rejected: bool,
    /// Message types (UNH S009 0065) in order of first appearance.
    pub message_types: Vec<String>,
    /// Every diagnostic of the interchange, errors and notes.
    pub errors: Vec<Diagnostic>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EdifactTranslation {
    pub interchanges: Vec<InterchangeOutcome>,
    /// Findings outside interchanges (junk, an unusable UNA).
    pub diagnostics: Vec<Diagnostic>,
}

/// Mapping faults of one message, located like the envelope's (so they become UCS/UCD).
pub struct Faults {
    base: Location,
    pub found: Vec<Diagnostic>,
}

impl Faults {
    pub fn new(base: Location) -> Self {
        Faults {
            base,
            found: Vec::new(),
        }
    }

    /// A fault in component `k` of element `n` of `seg`.
    pub fn element(&mut self, seg: &Segment<'_>, n: usize, k: usize, code: u16, message: String) {
        let loc = Location {
            offset: Some(seg.offset),
            segment_id: Some(seg.tag_str().into_owned()),
            segment_position: Some(seg.position),
            element: u32::try_from(n).ok(),
            component: u32::try_from(k).ok(),
            bad_value: seg.text(n, k).map(|t| t.into_owned()),
            ..self.base.clone()
        };
        let message = format!(
            "{message} (segment {} at position {}, message {})",
            seg.tag_str(),
            seg.position,
            self.base.set_control.as_deref().unwrap_or("?")
        );
        self.found
            .push(Diagnostic::error(Some(AckCode::Contrl(code)), loc, message));
    }

    /// A fault of a whole segment (UCS without UCD): structure rules.
    pub fn segment(&mut self, position: u32, tag: &str, code: u16, message: String) {
        let loc = Location {
            segment_id: Some(tag.to_owned()),
            segment_position: Some(position),
            ..self.base.clone()
        };
        let message = format!(
            "{message} (message {})",
            self.base.set_control.as_deref().unwrap_or("?")
        );
        self.found
            .push(Diagnostic::error(Some(AckCode::Contrl(code)), loc, message));
    }

    /// A fault of the message as a whole (UCM).
    pub fn message(&mut self, code: u16, message: String) {
        self.found.push(Diagnostic::error(
            Some(AckCode::Contrl(code)),
            self.base.clone(),
            message,
        ));
    }

    pub fn is_clean(&self) -> bool {
        !self.found.iter().any(|d| d.severity == Severity::Error)
    }
}

/// What [`translate_stream`] hands on, in input order.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "documents are most outputs and each is moved once; boxing would allocate per document"
)]
pub enum Output {
    /// A canonical document, as soon as its message is mapped. Its interchange's trailer
    /// has not been checked yet: act on it only once the interchange's outcome follows and
    /// is not rejected.
    Document(Document),
    /// An interchange's outcome; `documents` is empty here.
    Interchange(InterchangeOutcome),
}

/// Translates every interchange of an EDIFACT file. `Err` only when no interchange can be
/// found at all.
pub fn translate_with(
    input: &[u8],
    opts: TranslateOptions,
) -> Result<EdifactTranslation, EdifactError> {
    let mut interchanges = Vec::new();
    let mut documents = Vec::new();
    let diagnostics = translate_stream(input, opts, |o| match o {
        Output::Document(d) => documents.push(d),
        Output::Interchange(mut ic) => {
            // A rejected interchange delivers nothing.
            if ic.rejected {
                documents.clear();
            } else {
                ic.documents = std::mem::take(&mut documents);
            }
            interchanges.push(ic);
        }
    })?;
    Ok(EdifactTranslation {
        interchanges,
        diagnostics,
    })
}

/// Input is cut into runs of whole interchanges of about this size for the parallel
/// translator (as for X12: a run outweighs handing it to a thread, and the few held keep
/// memory flat).
const RUN_BYTES: usize = 1 << 20;

/// Streaming translation: documents and interchange outcomes go to `sink` in input order.
/// Returns the file-level diagnostics. An input holding several runs of interchanges (see
/// [`interchange_runs`](crate::edi::edifact::envelope::interchange_runs)) is translated on
/// every core, the outputs of at most two runs per thread held while they wait for their
/// turn; otherwise one message is in memory at a time.
pub fn translate_stream(
    input: &[u8],
    opts: TranslateOptions,
    sink: impl FnMut(Output),
) -> Result<Vec<Diagnostic>, EdifactError> {
    translate_stream_runs(input, opts, RUN_BYTES, true, sink)
}

/// [`translate_stream`] with runs of about `run_bytes`, on one thread unless `parallel`
/// (tests and the fuzz target use tiny runs to check that the result equals one walk).
#[doc(hidden)]
pub fn translate_stream_runs(
    input: &[u8],
    opts: TranslateOptions,
    run_bytes: usize,
    parallel: bool,
    mut sink: impl FnMut(Output),
) -> Result<Vec<Diagnostic>, EdifactError> {
    let Some((runs, threads)) = split(input, run_bytes, parallel) else {
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
) -> Result<Vec<Diagnostic>, EdifactError> {
    crate::documents::parallel::by_interchange(
        input,
        split(input, RUN_BYTES, true),
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
    let runs = crate::edi::edifact::envelope::interchange_runs(input, run_bytes);
    (runs.len() >= 2).then_some((runs, threads))
}

/// One walk reports unusable UNAs as it meets them and junk outside interchanges at its
/// end (the only file-level findings without a segment); runs are put back in that order.
fn in_walk_order(mut file: Vec<Diagnostic>) -> Vec<Diagnostic> {
    file.sort_by_key(|d| d.location.segment_id.is_none());
    file
}

/// One run of interchanges: `input[start..]`, offsets counted in `input`.
fn translate_run(
    input: &[u8],
    start: usize,
    opts: TranslateOptions,
    mut sink: impl FnMut(Output),
) -> Result<Vec<Diagnostic>, EdifactError> {
    let mut diagnostics = Vec::new();
    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut types: Vec<String> = Vec::new();
    let mut builder = ContrlBuilder::default();
    let mut only_contrl = true;
    walk_from(input, start, opts.repertoire, |event| match event {
        Event::InterchangeStart(_) => {
            errors.clear();
            types.clear();
            builder = ContrlBuilder::default();
            only_contrl = true;
        }
        Event::GroupStart(..) => {}
        Event::Message(ic, group, msg) => {
            if !types.contains(&msg.message_type) {
                types.push(msg.message_type.clone());
            }
            only_contrl &= msg.message_type == "CONTRL";
            let base = Location {
                interchange_control: Some(ic.header.reference.clone()),
                group_control: group.map(|g| g.reference.clone()),
                set_control: Some(msg.reference.clone()),
                ..Location::default()
            };
            let mut faults = Faults::new(base);
            for seg in msg.segments.iter().filter(|s| !s.is("UNH") && !s.is("UNT")) {
                for b in rules::check(seg) {
                    faults.element(
                        seg,
                        b.element as usize,
                        b.component as usize,
                        b.code,
                        b.message,
                    );
                }
            }
            if let Some(table) = structure::table(&msg.message_type) {
                for f in structure::check(table, &msg.segments) {
                    faults.segment(f.position, &f.tag, f.code, f.message);
                }
            }
            let sound = msg.is_sound() && faults.is_clean() && !ic.rejected();
            if sound {
                let source = SourceRef {
                    standard: "EDIFACT".into(),
                    version: format!("{}:{}", msg.version, msg.release).into(),
                    interchange_control: ic.header.reference.as_str().into(),
                    group_control: group
                        .map(|g| g.reference.as_str())
                        .unwrap_or_default()
                        .into(),
                    set_control: msg.reference.as_str().into(),
                    sender_id: ic.header.sender.id.as_str().into(),
                    receiver_id: ic.header.recipient.id.as_str().into(),
                };
                let body = msg
                    .segments
                    .get(1..msg.segments.len().saturating_sub(1))
                    .unwrap_or_default();
                match msg.message_type.as_str() {
                    "ORDERS" => {
                        if let Some(order) = orders::map_orders(body, source, &mut faults) {
                            sink(Output::Document(Document::Order(order)));
                        }
                    }
                    "DESADV" => {
                        if let Some(n) = desadv::map_desadv(body, source, &mut faults) {
                            sink(Output::Document(Document::ShipNotice(n)));
                        }
                    }
                    // The partner's report on an interchange Wharf sent: read, never answered.
                    "CONTRL" => {
                        if let Some(a) = contrl::map_contrl(body, source, &mut faults) {
                            sink(Output::Document(Document::InterchangeAck(Box::new(a))));
                        }
                    }
                    other => faults.found.push(Diagnostic::info(
                        faults.base.clone(),
                        format!(
                            "no canonical mapping yet for {other} ({}), message {}",
                            msg.type_id(),
                            msg.reference
                        ),
                    )),
                }
            }
            builder.message(group.is_some(), msg, &faults.found);
            errors.extend(msg.diagnostics.iter().cloned());
            errors.extend(faults.found);
        }
        Event::GroupEnd(_, g) => {
            builder.group_end(g);
            errors.extend(g.diagnostics.iter().cloned());
        }
        Event::InterchangeEnd(ic) => {
            errors.extend(ic.diagnostics.iter().cloned());
            let due = match opts.contrl {
                ContrlPolicy::WhenAsked => ic.header.ack_requested,
                ContrlPolicy::Always | ContrlPolicy::Receipt => true,
                ContrlPolicy::Never => false,
            };
            let builder = std::mem::take(&mut builder);
            let contrl = match opts.contrl {
                ContrlPolicy::Receipt => builder.receipt(ic),
                _ => builder.finish(ic),
            };
            // A CONTRL is never answered.
            let answers_contrl = only_contrl && !types.is_empty();
            sink(Output::Interchange(InterchangeOutcome {
                header: ic.header.clone(),
                documents: Vec::new(),
                contrl: (due && !answers_contrl).then_some(contrl),
                rejected: ic.rejected(),
                message_types: std::mem::take(&mut types),
                errors: std::mem::take(&mut errors),
            }));
        }
        Event::File(d) => diagnostics.push(d.clone()),
    })?;
    Ok(diagnostics)
}

/// An outbound canonical document as an EDIFACT message: ORDRSP for an order
/// acknowledgement, DESADV for a ship notice (EANCOM D96A identifiers).
pub fn outbound_message(doc: &Document, reference: &str) -> Result<OutMessage, EdifactError> {
    let (kind, segments) = match doc {
        Document::OrderAck(a) => ("ORDRSP", ordrsp::to_segments(a)?),
        Document::ShipNotice(n) => ("DESADV", desadv::to_segments(n)?),
        other => {
            return Err(EdifactError::InvalidOutbound {
                field: "document",
                reason: format!(
                    "no EDIFACT message is written for a {}",
                    match other {
                        Document::Order(_) => "purchase order",
                        Document::Invoice(_) => "invoice",
                        _ => "functional acknowledgement",
                    }
                ),
            });
        }
    };
    Ok(OutMessage {
        reference: reference.to_owned(),
        identifier: [kind, "D", "96A", "UN", "EAN005"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        segments,
    })
}

/// Counts errors in an outcome (the CLI's exit status).
pub fn error_count(t: &EdifactTranslation) -> usize {
    t.interchanges
        .iter()
        .flat_map(|i| i.errors.iter())
        .chain(t.diagnostics.iter())
        .filter(|d| d.severity == Severity::Error)
        .count()
}

/// The 0085 code carried by a diagnostic, if any (for tests and reports).
pub fn contrl_code(d: &Diagnostic) -> Option<u16> {
    match d.code {
        Some(AckCode::Contrl(c)) => Some(c),
        _ => None,
    }
}
