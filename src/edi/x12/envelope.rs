//! X12 envelope walker: interchanges → groups → transaction sets, with ISA/GS/ST/SE/GE/IEA validation that yields ack-ready diagnostics. Must not depend on I/O, async or the database.
//!
//! Beside it: the types a walk finds (`types.rs`), the ISA and in-set field checks
//! (`checks.rs`), closing sets, groups and interchanges at their trailers (`trailers.rs`), and
//! where a stream may be cut (`cuts.rs`).

use super::reader::{Reader, ReaderNote, Segment};
use super::{AckCode, Diagnostic, Location, X12Error};

mod checks;
mod cuts;
mod trailers;
mod types;

use checks::{check_isa, check_set_segment, is_digits, same_control};

pub use cuts::{complete_prefix, delimiters_at, interchange_runs};
pub use types::*;

fn loc_ic(ic: &Interchange<'_>) -> Location {
    Location {
        interchange_control: Some(ic.header.control_number.clone()),
        ..Location::default()
    }
}

fn at_segment(seg: &Segment<'_>, mut loc: Location) -> Location {
    loc.offset = Some(seg.offset);
    loc.segment_id = Some(seg.id_str().into_owned());
    loc.segment_position = Some(seg.position);
    loc
}

/// What [`walk`] reports, in input order. A set arrives whole (ST..SE) and is dropped once the
/// visitor returns, so memory is bounded by the largest transaction set, never by the file.
/// Groups and interchanges arrive twice: at their header (no diagnostics of the trailer yet)
/// and at their end (with every group- or interchange-level diagnostic).
#[derive(Debug)]
pub enum Event<'e, 'a> {
    InterchangeStart(&'e Interchange<'a>),
    GroupStart(&'e IsaHeader, &'e Group<'a>),
    Set(&'e IsaHeader, &'e Group<'a>, &'e TransactionSetEnvelope<'a>),
    GroupEnd(&'e IsaHeader, &'e Group<'a>),
    InterchangeEnd(&'e Interchange<'a>),
    /// File-level findings: an unreadable ISA, junk between interchanges.
    File(&'e Diagnostic),
}

/// An open functional group while walking: its header and what uniqueness and counts need.
struct OpenGroup<'a> {
    group: Group<'a>,
    set_controls: std::collections::HashSet<String>,
    set_count: u64,
    set: Option<TransactionSetEnvelope<'a>>,
}

struct OpenInterchange<'a> {
    ic: Interchange<'a>,
    group_controls: Vec<String>,
    group_count: u64,
    group: Option<OpenGroup<'a>>,
}

/// The envelope state machine; `visit` receives every [`Event`].
struct Walker<'a, F> {
    visit: F,
    /// The last set's segment buffer, emptied, so the next set does not allocate.
    spare: Vec<Segment<'a>>,
    ic: Option<OpenInterchange<'a>>,
    seen_interchange: bool,
}

/// Walks every interchange in `input`, validating the envelope as it goes and handing each
/// event to `visit`. `Err` only when no ISA can be read at all.
pub fn walk<'a, F>(input: &'a [u8], visit: F) -> Result<(), X12Error>
where
    F: FnMut(Event<'_, 'a>),
{
    walk_from(input, 0, visit)
}

/// [`walk`] from byte `start` of `input` (which should be where an interchange begins, see
/// [`interchange_runs`]); offsets in events and diagnostics stay those of `input`.
pub fn walk_from<'a, F>(input: &'a [u8], start: usize, visit: F) -> Result<(), X12Error>
where
    F: FnMut(Event<'_, 'a>),
{
    let mut reader = Reader::starting_at(input, start);
    let mut w = Walker {
        visit,
        spare: Vec::new(),
        ic: None,
        seen_interchange: false,
    };
    let mut first_error: Option<X12Error> = None;
    loop {
        let seg = match reader.next_segment() {
            Ok(Some(s)) => s,
            Ok(None) => break,
            Err(e) => {
                // An unreadable ISA: close what is open and keep going at the next "ISA".
                w.finish_interchange(None);
                let d = Diagnostic::error(
                    Some(AckCode::Ta1(match e {
                        X12Error::InvalidIsa { .. } => 26,
                        _ => 22,
                    })),
                    Location::default(),
                    e.to_string(),
                );
                (w.visit)(Event::File(&d));
                first_error.get_or_insert(e);
                continue;
            }
        };
        w.segment(seg);
    }
    w.finish_interchange(None);
    for note in reader.notes() {
        let ReaderNote::Junk { offset, len } = *note;
        let d = Diagnostic::warning(
            Location {
                offset: Some(offset),
                ..Location::default()
            },
            format!("{len} byte(s) of data outside any interchange at byte {offset} ignored"),
        );
        (w.visit)(Event::File(&d));
    }
    if !w.seen_interchange {
        return Err(first_error.unwrap_or(X12Error::NoInterchange { offset: 0 }));
    }
    Ok(())
}

/// Walks every interchange and keeps all of it in memory: for tests and small files. The
/// pipeline uses [`walk`] (through `documents::x12::translate`) instead.
pub fn parse_interchanges(input: &[u8]) -> Result<Envelopes<'_>, X12Error> {
    let mut env = Envelopes::default();
    walk(input, |e| match e {
        Event::InterchangeStart(ic) => env.interchanges.push(ic.clone()),
        Event::GroupStart(_, g) => {
            if let Some(ic) = env.interchanges.last_mut() {
                ic.groups.push(g.clone());
            }
        }
        Event::Set(_, _, set) => {
            if let Some(g) = env
                .interchanges
                .last_mut()
                .and_then(|i| i.groups.last_mut())
            {
                g.sets.push(set.clone());
            }
        }
        Event::GroupEnd(_, g) => {
            if let Some(kept) = env
                .interchanges
                .last_mut()
                .and_then(|i| i.groups.last_mut())
            {
                kept.diagnostics = g.diagnostics.clone();
                kept.declared_sets = g.declared_sets;
                kept.closed = g.closed;
            }
        }
        Event::InterchangeEnd(ic) => {
            if let Some(kept) = env.interchanges.last_mut() {
                kept.diagnostics = ic.diagnostics.clone();
                kept.ta1s = ic.ta1s.clone();
                kept.closed = ic.closed;
            }
        }
        Event::File(d) => env.diagnostics.push(d.clone()),
    })?;
    Ok(env)
}

fn group_loc_parts(ic_ctl: &str, g_ctl: &str) -> Location {
    Location {
        interchange_control: Some(ic_ctl.to_string()),
        group_control: Some(g_ctl.to_string()),
        ..Location::default()
    }
}

fn set_loc_parts(ic_ctl: &str, g_ctl: &str, set_ctl: &str) -> Location {
    Location {
        interchange_control: Some(ic_ctl.to_string()),
        group_control: Some(g_ctl.to_string()),
        set_control: Some(set_ctl.to_string()),
        ..Location::default()
    }
}

impl<'a, F> Walker<'a, F>
where
    F: FnMut(Event<'_, 'a>),
{
    fn segment(&mut self, seg: Segment<'a>) {
        if seg.is("ISA") {
            self.finish_interchange(None);
            let header = IsaHeader::from_segment(&seg);
            let mut ic = Interchange {
                header,
                groups: Vec::new(),
                ta1s: Vec::new(),
                diagnostics: Vec::new(),
                closed: false,
            };
            let loc = loc_ic(&ic);
            ic.diagnostics = check_isa(&seg, &loc);
            (self.visit)(Event::InterchangeStart(&ic));
            self.seen_interchange = true;
            self.ic = Some(OpenInterchange {
                ic,
                group_controls: Vec::new(),
                group_count: 0,
                group: None,
            });
            return;
        }
        let Some(cur) = self.ic.as_mut() else {
            // The reader only yields non-ISA segments inside an interchange.
            return;
        };
        if !seg.terminated && !seg.is("IEA") {
            let loc = at_segment(&seg, loc_ic(&cur.ic));
            cur.ic.diagnostics.push(Diagnostic::error(
                Some(AckCode::Ta1(23)),
                loc,
                format!(
                    "input ends inside segment {} at byte {} without a segment terminator (interchange {})",
                    seg.id_str(),
                    seg.offset,
                    cur.ic.header.control_number
                ),
            ));
        }
        // Matched on bytes (not slices) so no memcmp runs for every segment of the file.
        match *seg.id {
            [b'G', b'S'] => self.on_gs(seg),
            [b'S', b'T'] => self.on_st(seg),
            [b'S', b'E'] => self.on_se(seg),
            [b'G', b'E'] => self.close_group(Some(seg)),
            [b'I', b'E', b'A'] => self.finish_interchange(Some(seg)),
            [b'T', b'A', b'1'] => self.on_ta1(seg),
            _ => self.on_body(seg),
        }
    }

    /// Interchange-level fault for a segment that has no place where it appears.
    fn misplaced(&mut self, seg: &Segment<'_>, why: &str) {
        let Some(cur) = self.ic.as_mut() else { return };
        let loc = at_segment(seg, loc_ic(&cur.ic));
        cur.ic.diagnostics.push(Diagnostic::error(
            Some(AckCode::Ta1(24)),
            loc,
            format!(
                "{} segment at byte {} {why} (interchange {})",
                seg.id_str(),
                seg.offset,
                cur.ic.header.control_number
            ),
        ));
    }

    /// A TA1 belongs after ISA and before any GS (X12.5); anywhere else it has no place.
    fn on_ta1(&mut self, seg: Segment<'a>) {
        let Some(cur) = self.ic.as_mut() else { return };
        if cur.group.is_none() && cur.group_count == 0 {
            cur.ic.ta1s.push(seg);
        } else {
            self.misplaced(
                &seg,
                "appears after a functional group began (TA1 goes right after ISA)",
            );
        }
    }

    fn on_gs(&mut self, seg: Segment<'a>) {
        self.close_group(None);
        let Some(cur) = self.ic.as_mut() else { return };
        let t = |n: usize| seg.text(n).map(String::from).unwrap_or_default();
        let mut g = Group {
            functional_id: t(1),
            sender: t(2).trim().to_string(),
            receiver: t(3).trim().to_string(),
            date: t(4),
            time: t(5),
            control: t(6),
            version: t(8),
            sets: Vec::new(),
            declared_sets: None,
            diagnostics: Vec::new(),
            closed: false,
        };
        let ic_ctl = &cur.ic.header.control_number;
        let loc = at_segment(&seg, group_loc_parts(ic_ctl, &g.control));
        let gs06 = seg.value(6).unwrap_or(&[]);
        if !is_digits(gs06) || gs06.len() > 9 {
            let mut l = loc.clone();
            l.element = Some(6);
            g.diagnostics.push(Diagnostic::error(
                Some(AckCode::Group(6)),
                l,
                format!(
                    "GS06 group control number {:?} is not 1-9 digits (interchange {ic_ctl})",
                    g.control
                ),
            ));
        } else if cur
            .group_controls
            .iter()
            .any(|other| same_control(other, &g.control))
        {
            let mut l = loc.clone();
            l.element = Some(6);
            g.diagnostics.push(Diagnostic::error(
                Some(AckCode::Group(19)),
                l,
                format!(
                    "GS06 group control number {} is used twice in interchange {ic_ctl}",
                    g.control
                ),
            ));
        }
        if g.functional_id.is_empty() || g.version.is_empty() {
            g.diagnostics.push(Diagnostic::error(
                Some(AckCode::Group(if g.functional_id.is_empty() { 1 } else { 2 })),
                loc,
                format!(
                    "GS is missing GS01 functional id or GS08 version (group {}, interchange {ic_ctl})",
                    g.control
                ),
            ));
        }
        cur.group_controls.push(g.control.clone());
        cur.group_count += 1;
        (self.visit)(Event::GroupStart(&cur.ic.header, &g));
        cur.group = Some(OpenGroup {
            group: g,
            set_controls: std::collections::HashSet::new(),
            set_count: 0,
            set: None,
        });
    }

    fn on_st(&mut self, seg: Segment<'a>) {
        self.close_set(None);
        let Some(cur) = self.ic.as_mut() else { return };
        let ic_ctl = &cur.ic.header.control_number;
        let Some(og) = cur.group.as_mut() else {
            self.misplaced(&seg, "appears outside a functional group");
            return;
        };
        let control = seg.text(2).map(String::from).unwrap_or_default();
        let mut segments = std::mem::take(&mut self.spare);
        segments.clear();
        segments.push(seg);
        let mut set = TransactionSetEnvelope {
            kind: TransactionSet::from_code(seg.value(1).unwrap_or(&[])),
            control: control.clone(),
            implementation_ref: seg.text(3).map(String::from),
            segments,
            diagnostics: Vec::new(),
            closed: false,
            ended: false,
        };
        let g = &og.group;
        let loc = at_segment(&seg, set_loc_parts(ic_ctl, &g.control, &control));
        let ctx = format!("group {}, interchange {}", g.control, ic_ctl);
        if seg.value(1).is_none_or(|v| v.len() != 3 || !is_digits(v)) {
            let mut l = loc.clone();
            l.element = Some(1);
            set.diagnostics.push(Diagnostic::error(
                Some(AckCode::Set(6)),
                l,
                format!("ST01 transaction set id is missing or not 3 digits ({ctx})"),
            ));
        }
        let st02 = seg.value(2).unwrap_or(&[]);
        if !(4..=9).contains(&st02.len()) {
            let mut l = loc.clone();
            l.element = Some(2);
            set.diagnostics.push(Diagnostic::error(
                Some(AckCode::Set(7)),
                l,
                format!("ST02 control number {control:?} is not 4-9 characters ({ctx})"),
            ));
        } else if !og.set_controls.insert(control.clone()) {
            let mut l = loc;
            l.element = Some(2);
            set.diagnostics.push(Diagnostic::error(
                Some(AckCode::Set(23)),
                l,
                format!("ST02 control number {control} is not unique within the group ({ctx})"),
            ));
        }
        og.set_count += 1;
        og.set = Some(set);
    }

    fn on_se(&mut self, seg: Segment<'a>) {
        let open = self
            .ic
            .as_ref()
            .and_then(|c| c.group.as_ref())
            .is_some_and(|g| g.set.is_some());
        if !open {
            self.misplaced(&seg, "appears without a matching ST");
            return;
        }
        self.close_set(Some(seg));
    }

    fn on_body(&mut self, seg: Segment<'a>) {
        let Some(cur) = self.ic.as_mut() else { return };
        let Some((g, set)) = cur
            .group
            .as_mut()
            .and_then(|og| Some((&og.group, og.set.as_mut()?)))
        else {
            self.misplaced(&seg, "appears outside a transaction set");
            return;
        };
        // The location is only built when there is something to report: this runs for every
        // segment of the file.
        let ic_ctl = &cur.ic.header.control_number;
        set.diagnostics.extend(check_set_segment(&seg, || {
            set_loc_parts(ic_ctl, &g.control, &set.control)
        }));
        set.segments.push(seg);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests;
