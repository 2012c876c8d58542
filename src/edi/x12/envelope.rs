//! X12 envelope walker: interchanges → groups → transaction sets, with ISA/GS/ST/SE/GE/IEA validation that yields ack-ready diagnostics. Must not depend on I/O, async or the database.

use super::reader::{Reader, ReaderNote, Segment};
use super::{AckCode, Diagnostic, Location, X12Error, text};

mod cuts;
mod types;

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

fn is_digits(v: &[u8]) -> bool {
    !v.is_empty() && v.iter().all(u8::is_ascii_digit)
}

fn parse_count(v: Option<&[u8]>) -> Option<u64> {
    let v = v?;
    if is_digits(v) && v.len() <= 18 {
        std::str::from_utf8(v).ok()?.parse().ok()
    } else {
        None
    }
}

/// Numeric control numbers compare as numbers ("0001" == "1"), otherwise as trimmed text.
fn same_control(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn valid_yymmdd(v: &[u8]) -> bool {
    v.len() == 6 && is_digits(v) && valid_month_day(v.get(2..4), v.get(4..6))
}

fn valid_month_day(m: Option<&[u8]>, d: Option<&[u8]>) -> bool {
    let num = |x: Option<&[u8]>| -> u32 {
        x.unwrap_or(&[]).iter().fold(0u32, |acc, b| {
            acc * 10 + u32::from(b.wrapping_sub(b'0')).min(9)
        })
    };
    let (m, d) = (num(m), num(d));
    (1..=12).contains(&m) && (1..=31).contains(&d)
}

fn valid_hhmm(v: &[u8]) -> bool {
    if v.len() < 4 || !is_digits(v) {
        return false;
    }
    // Digits were checked above; parse through text to avoid indexing.
    let two = |i: usize| {
        v.get(i..i + 2)
            .and_then(|x| std::str::from_utf8(x).ok()?.parse::<u8>().ok())
            .unwrap_or(99)
    };
    let (h, m) = (two(0), two(2));
    h < 24 && m < 60
}

/// ISA element forms. Hard faults (TA1 codes) for what receivers must reject;
/// width deviations of the free-text ids are only warnings because real partners send them.
fn check_isa(seg: &Segment<'_>, ic_loc: &Location) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let el = |n: usize| seg.element(n).unwrap_or(&[]);
    let mut fault = |n: u32, code: u16, why: &str, value: &[u8]| {
        let mut loc = at_segment(seg, ic_loc.clone());
        loc.element = Some(n);
        loc.bad_value = Some(text(value));
        out.push(Diagnostic::error(
            Some(AckCode::Ta1(code)),
            loc,
            format!(
                "ISA{n:02} {why}: {:?} (interchange {}, byte {})",
                text(value),
                ic_loc.interchange_control.as_deref().unwrap_or(""),
                seg.offset
            ),
        ));
    };
    if seg.element_count() != 16 {
        fault(16, 22, "ISA must have 16 elements", b"");
    }
    if !matches!(el(1), b"00" | b"01" | b"02" | b"03" | b"04" | b"05" | b"06") {
        fault(1, 10, "is not a valid authorization qualifier", el(1));
    }
    if !matches!(el(3), b"00" | b"01") {
        fault(3, 12, "is not a valid security qualifier", el(3));
    }
    if el(5).trim_ascii().is_empty() || el(5).len() != 2 {
        fault(5, 5, "is not a 2-character sender qualifier", el(5));
    }
    if el(6).trim_ascii().is_empty() {
        fault(6, 6, "sender id is blank", el(6));
    }
    if el(7).trim_ascii().is_empty() || el(7).len() != 2 {
        fault(7, 7, "is not a 2-character receiver qualifier", el(7));
    }
    if el(8).trim_ascii().is_empty() {
        fault(8, 8, "receiver id is blank", el(8));
    }
    if !valid_yymmdd(el(9)) {
        fault(9, 14, "is not a YYMMDD date", el(9));
    }
    if el(10).len() != 4 || !valid_hhmm(el(10)) {
        fault(10, 15, "is not an HHMM time", el(10));
    }
    if el(12).len() != 5 || !is_digits(el(12)) {
        fault(12, 17, "is not a 5-digit version", el(12));
    } else if el(12) < b"00402".as_slice() && el(11) != b"U" {
        fault(11, 16, "must be U before version 00402", el(11));
    }
    if el(13).len() != 9 || !is_digits(el(13)) {
        fault(13, 18, "is not a 9-digit control number", el(13));
    }
    if !matches!(el(14), b"0" | b"1") {
        fault(14, 19, "must be 0 or 1", el(14));
    }
    if !matches!(el(15), b"P" | b"T" | b"I") {
        fault(15, 20, "must be P, T or I", el(15));
    }
    for (n, width) in [(2usize, 10usize), (4, 10), (6, 15), (8, 15)] {
        if el(n).len() != width {
            let mut loc = at_segment(seg, ic_loc.clone());
            loc.element = Some(n as u32);
            out.push(Diagnostic::warning(
                loc,
                format!(
                    "ISA{n:02} is {} characters, the standard fixed width is {width} (interchange {})",
                    el(n).len(),
                    ic_loc.interchange_control.as_deref().unwrap_or("")
                ),
            ));
        }
    }
    out
}

/// Generic syntax checks on a segment inside a set: id form (AK304 1) and control characters (AK403 6).
fn check_set_segment(seg: &Segment<'_>, make_loc: impl Fn() -> Location) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let id = seg.id;
    let id_ok = (2..=3).contains(&id.len())
        && id.first().is_some_and(u8::is_ascii_uppercase)
        && id
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !id_ok {
        let loc = make_loc();
        out.push(Diagnostic::error(
            Some(AckCode::Segment(1)),
            at_segment(seg, loc.clone()),
            format!(
                "unrecognized segment id {:?} at position {} (byte {}) in transaction set {} (group {}, interchange {})",
                seg.id_str(),
                seg.position,
                seg.offset,
                loc.set_control.as_deref().unwrap_or(""),
                loc.group_control.as_deref().unwrap_or(""),
                loc.interchange_control.as_deref().unwrap_or("")
            ),
        ));
        return out;
    }
    // Fast path: no control byte anywhere in the segment (the usual case) means nothing to
    // locate element by element.
    if !seg
        .elements_bytes()
        .iter()
        .any(|&b| (b < 0x20 || b == 0x7F) && !seg.delimiters.is_delimiter(b))
    {
        return out;
    }
    for (i, el) in seg.elements().enumerate() {
        if let Some(bad) = el
            .iter()
            .find(|&&b| (b < 0x20 || b == 0x7F) && !seg.delimiters.is_delimiter(b))
        {
            let loc = make_loc();
            let mut l = at_segment(seg, loc.clone());
            l.element = Some(i as u32 + 1);
            let what = if matches!(bad, b'\r' | b'\n') {
                "a line break (mixed or wrong segment terminators?)"
            } else {
                "a control character"
            };
            out.push(Diagnostic::error(
                Some(AckCode::Element(6)),
                l,
                format!(
                    "{}{:02} at position {} (byte {}) contains {what} 0x{bad:02X}; the ISA declares segment terminator 0x{:02X} (set {}, group {}, interchange {})",
                    seg.id_str(),
                    i + 1,
                    seg.position,
                    seg.offset,
                    seg.delimiters.segment,
                    loc.set_control.as_deref().unwrap_or(""),
                    loc.group_control.as_deref().unwrap_or(""),
                    loc.interchange_control.as_deref().unwrap_or("")
                ),
            ));
        }
    }
    out
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

    /// Ends the open set: with its SE (checked) or without one (a fault), then hands it on.
    fn close_set(&mut self, se: Option<Segment<'a>>) {
        let Some(cur) = self.ic.as_mut() else { return };
        let Some(og) = cur.group.as_mut() else { return };
        let Some(mut set) = og.set.take() else { return };
        let ic_ctl = &cur.ic.header.control_number;
        let gctl = &og.group.control;
        set.ended = true;
        match se {
            None => {
                let last = set.segments.last().copied();
                let mut loc = set_loc_parts(ic_ctl, gctl, &set.control);
                loc.segment_id = Some("SE".into());
                if let Some(l) = last {
                    loc.offset = Some(l.offset);
                    loc.segment_position = Some(l.position.saturating_add(1));
                }
                set.diagnostics.push(Diagnostic::error(
                    Some(AckCode::Set(2)),
                    loc,
                    format!(
                        "transaction set {} {} has no SE trailer (group {gctl}, interchange {ic_ctl})",
                        set.kind.code(),
                        set.control
                    ),
                ));
            }
            Some(seg) => {
                set.segments.push(seg);
                set.closed = true;
                let loc = at_segment(&seg, set_loc_parts(ic_ctl, gctl, &set.control));
                let actual = set.segments.len() as u64;
                match parse_count(seg.value(1)) {
                    Some(n) if n == actual => {}
                    declared => {
                        let mut l = loc.clone();
                        l.element = Some(1);
                        l.bad_value = seg.text(1).map(String::from);
                        let said = declared.map_or_else(
                            || {
                                format!(
                                    "SE01 {:?} is not a number",
                                    seg.text(1).map(String::from).unwrap_or_default()
                                )
                            },
                            |n| format!("SE01 says {n} segments"),
                        );
                        set.diagnostics.push(Diagnostic::error(
                            Some(AckCode::Set(4)),
                            l,
                            format!(
                                "{said} but transaction set {} has {actual} (ST/SE control {}, group {gctl}, interchange {ic_ctl})",
                                set.control, set.control
                            ),
                        ));
                    }
                }
                let se02 = seg.text(2).map(String::from).unwrap_or_default();
                if se02 != set.control {
                    let mut l = loc;
                    l.element = Some(2);
                    l.bad_value = Some(se02.clone());
                    set.diagnostics.push(Diagnostic::error(
                        Some(AckCode::Set(3)),
                        l,
                        format!(
                            "SE02 {se02:?} does not match ST02 {:?} (group {gctl}, interchange {ic_ctl})",
                            set.control
                        ),
                    ));
                }
            }
        }
        (self.visit)(Event::Set(&cur.ic.header, &og.group, &set));
        self.spare = set.segments;
    }

    /// Ends the open group, checking GE when given, else recording a missing GE.
    fn close_group(&mut self, ge: Option<Segment<'a>>) {
        self.close_set(None);
        let Some(cur) = self.ic.as_mut() else { return };
        let Some(og) = cur.group.take() else {
            if let Some(seg) = ge {
                self.misplaced(&seg, "appears without a matching GS");
            }
            return;
        };
        let ic_ctl = &cur.ic.header.control_number;
        let mut g = og.group;
        g.closed = ge.is_some();
        let base = group_loc_parts(ic_ctl, &g.control);
        match ge {
            None => {
                g.diagnostics.push(Diagnostic::error(
                    Some(AckCode::Group(3)),
                    Location {
                        segment_id: Some("GE".into()),
                        ..base
                    },
                    format!(
                        "functional group {} ({}) has no GE trailer (interchange {ic_ctl})",
                        g.control, g.functional_id
                    ),
                ));
            }
            Some(seg) => {
                let loc = at_segment(&seg, base);
                let actual = og.set_count;
                g.declared_sets = parse_count(seg.value(1));
                if g.declared_sets != Some(actual) {
                    let mut l = loc.clone();
                    l.element = Some(1);
                    l.bad_value = seg.text(1).map(String::from);
                    g.diagnostics.push(Diagnostic::error(
                        Some(AckCode::Group(5)),
                        l,
                        format!(
                            "GE01 says {} transaction sets but group {} has {actual} (interchange {ic_ctl})",
                            seg.text(1).map(String::from).unwrap_or_default(),
                            g.control
                        ),
                    ));
                }
                let ge02 = seg.text(2).map(String::from).unwrap_or_default();
                if !same_control(&ge02, &g.control) {
                    let mut l = loc;
                    l.element = Some(2);
                    l.bad_value = Some(ge02.clone());
                    g.diagnostics.push(Diagnostic::error(
                        Some(AckCode::Group(4)),
                        l,
                        format!(
                            "GE02 {ge02:?} does not match GS06 {:?} (interchange {ic_ctl})",
                            g.control
                        ),
                    ));
                }
            }
        }
        (self.visit)(Event::GroupEnd(&cur.ic.header, &g));
    }

    /// Ends the open interchange (if any), with its IEA checked or recorded as missing.
    fn finish_interchange(&mut self, iea: Option<Segment<'a>>) {
        if self.ic.is_none() {
            return;
        }
        self.close_group(None);
        let Some(cur) = self.ic.take() else { return };
        let mut ic = cur.ic;
        let ctl = ic.header.control_number.clone();
        match iea {
            None => {
                ic.diagnostics.push(Diagnostic::error(
                    Some(AckCode::Ta1(23)),
                    Location {
                        segment_id: Some("IEA".into()),
                        ..loc_ic(&ic)
                    },
                    format!("interchange {ctl} has no IEA trailer (input truncated?)"),
                ));
            }
            Some(seg) => {
                ic.closed = true;
                let loc = at_segment(&seg, loc_ic(&ic));
                let actual = cur.group_count;
                if parse_count(seg.value(1)) != Some(actual) {
                    let mut l = loc.clone();
                    l.element = Some(1);
                    l.bad_value = seg.text(1).map(String::from);
                    ic.diagnostics.push(Diagnostic::error(
                        Some(AckCode::Ta1(21)),
                        l,
                        format!(
                            "IEA01 says {} functional groups but interchange {ctl} has {actual}",
                            seg.text(1).map(String::from).unwrap_or_default()
                        ),
                    ));
                }
                let iea02 = seg.text(2).map(String::from).unwrap_or_default();
                if iea02 != ctl {
                    let mut l = loc;
                    l.element = Some(2);
                    l.bad_value = Some(iea02.clone());
                    ic.diagnostics.push(Diagnostic::error(
                        Some(AckCode::Ta1(1)),
                        l,
                        format!("IEA02 {iea02:?} does not match ISA13 {ctl:?}"),
                    ));
                }
            }
        }
        (self.visit)(Event::InterchangeEnd(&ic));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests;
