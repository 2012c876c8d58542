//! X12 structure validation with rules as data: a streaming engine that checks one transaction set, segment by segment, against a static table (segment order, loops, max use, element types, lengths, codes and syntax notes) and reports AK3/AK4 (IK3/IK4) coded diagnostics.
//!
//! The tables live in `ts850.rs`, `ts855.rs`, `ts856.rs`, `ts810.rs`, `ts997.rs`, `ts999.rs`
//! (segment order and loops), `segments.rs` (element lists) and `codes.rs` (code lists);
//! `hier.rs` applies a table's HL hierarchy rules. This file interprets the tables and holds
//! no knowledge of any particular segment.

pub mod codes;
pub mod hier;
pub mod schema;
pub mod segments;
pub mod ts810;
pub mod ts850;
pub mod ts855;
pub mod ts856;
pub mod ts997;
pub mod ts999;
pub mod types;

use super::{AckCode, Diagnostic, KnownSet, Location, Segment};
use schema::{Element, Node, Req, SegmentDef, SetTable, Ty, UNBOUNDED, Usage, V5};

/// A diagnostic plus the loop identifier (AK303 / IK303) of the loop holding the segment;
/// `documents::x12` copies it into `Location::loop_id` when it builds the acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub diagnostic: Diagnostic,
    pub loop_id: Option<&'static str>,
}

/// A node list of a table prepared once for the engine: each node's trigger id as one
/// integer (so finding where a segment goes is a scan of a small integer array) and the
/// positions of the mandatory nodes `report_missing` may have to report.
#[derive(Debug)]
struct Plan {
    /// [`id_key`] of each node's trigger segment (0, which matches no id, when it has none).
    keys: Vec<u32>,
    /// Positions of mandatory nodes with a trigger other than SE, ascending.
    mandatory: Vec<usize>,
    /// [`key_bit`]s of the keys at positions 1.. (position 0 of a loop is never searched from
    /// inside it): a segment whose bit is clear cannot be at this level, so it is not scanned.
    tail_mask: u64,
    /// One per node: the plan of a loop's nodes (empty for a segment).
    children: Vec<Plan>,
}

static EMPTY_PLAN: Plan = Plan {
    keys: Vec::new(),
    mandatory: Vec::new(),
    tail_mask: 0,
    children: Vec::new(),
};

impl Plan {
    fn build(nodes: &'static [Node]) -> Plan {
        let keys: Vec<u32> = nodes
            .iter()
            .map(|n| n.trigger().map_or(0, |t| id_key(t.id.as_bytes())))
            .collect();
        let tail_mask = keys.iter().skip(1).fold(0u64, |m, &k| m | key_bit(k));
        let mandatory = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                n.usage() == Usage::Mandatory && n.trigger().is_some_and(|t| !id_eq(t.id, b"SE"))
            })
            .map(|(k, _)| k)
            .collect();
        let children = nodes
            .iter()
            .map(|n| match n {
                Node::Loop { nodes, .. } => Plan::build(nodes),
                Node::Seg { .. } => Plan {
                    keys: Vec::new(),
                    mandatory: Vec::new(),
                    tail_mask: 0,
                    children: Vec::new(),
                },
            })
            .collect();
        Plan {
            keys,
            mandatory,
            tail_mask,
            children,
        }
    }

    fn child(&self, j: usize) -> &Plan {
        self.children.get(j).unwrap_or(&EMPTY_PLAN)
    }
}

/// A 2–3 byte segment id as one integer (length in the top byte); 0 for any other length.
#[inline]
fn id_key(id: &[u8]) -> u32 {
    match *id {
        [a, b] => (2 << 24) | (u32::from(a) << 16) | (u32::from(b) << 8),
        [a, b, c] => (3 << 24) | (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c),
        _ => 0,
    }
}

/// One bit of a 64-bit set standing for `key` (keys may share a bit).
#[inline]
fn key_bit(key: u32) -> u64 {
    1u64 << (key.wrapping_mul(0x9E37_79B1) >> 26)
}

/// The prepared plan of each table, built on first use.
fn plan_for(table: &'static SetTable) -> &'static Plan {
    use std::sync::OnceLock;
    static PLANS: [OnceLock<Plan>; KnownSet::ALL.len()] =
        [const { OnceLock::new() }; KnownSet::ALL.len()];
    let slot = PLANS.get(table.id.index());
    match slot {
        Some(cell) => cell.get_or_init(|| Plan::build(table.nodes)),
        None => &EMPTY_PLAN,
    }
}

/// One open level of the table: the root, or one iteration of a loop.
#[derive(Debug)]
struct Frame {
    nodes: &'static [Node],
    plan: &'static Plan,
    loop_id: Option<&'static str>,
    /// Index of the node last matched (0 before anything matched at this level).
    idx: usize,
    /// Where this level's counters start in [`SetValidator::counts`]: uses (segments) or
    /// iterations (loops) per node in this iteration of the level, `nodes.len()` of them.
    base: usize,
}

impl Frame {
    /// A new level whose counters (all 0) are appended to `counts`: levels nest like a
    /// stack, so one buffer holds them all and a loop starting (every PO1, HL or IT1)
    /// allocates nothing.
    fn open(
        counts: &mut Vec<u32>,
        nodes: &'static [Node],
        plan: &'static Plan,
        loop_id: Option<&'static str>,
    ) -> Frame {
        let base = counts.len();
        counts.resize(base + nodes.len(), 0);
        Frame {
            nodes,
            plan,
            loop_id,
            idx: 0,
            base,
        }
    }
}

/// When a mandatory node was found missing; the message text is only built for a report.
#[derive(Debug, Clone, Copy)]
enum When<'s> {
    Before(&'s [u8], u32),
    SetEnded,
}

impl std::fmt::Display for When<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            When::Before(id, pos) => write!(
                f,
                "before {} at position {pos}",
                String::from_utf8_lossy(id)
            ),
            When::SetEnded => f.write_str("before the set ended"),
        }
    }
}

/// Segment ids are 2 or 3 bytes: compared as one integer rather than through memcmp, which
/// dominated the profile of table lookups.
#[inline]
fn id_eq(table_id: &str, id: &[u8]) -> bool {
    let a = table_id.as_bytes();
    a.len() == id.len()
        && match (a, id) {
            ([a0, a1], [b0, b1]) => a0 == b0 && a1 == b1,
            ([a0, a1, a2], [b0, b1, b2]) => a0 == b0 && a1 == b1 && a2 == b2,
            _ => a == id,
        }
}

/// Counters reserved up front: the deepest nesting of the tables needs fewer.
const COUNTS_CAPACITY: usize = 128;

/// Streaming structure validator for one transaction set (feed ST..SE, then `finish`).
#[derive(Debug)]
pub struct SetValidator {
    /// The counters of every open level, one level after the other (see [`Frame::base`]).
    counts: Vec<u32>,
    table: &'static SetTable,
    v5010: bool,
    version: String,
    control: String,
    stack: Vec<Frame>,
    last_position: u32,
    started: bool,
    ended: bool,
    /// HL numbering and levels so far, for tables with a hierarchy.
    hl: hier::HlState,
    out: Vec<Finding>,
}

/// The table for a set id, or `None`.
fn table_for(set_id: &[u8]) -> Option<&'static SetTable> {
    Some(table_of(KnownSet::from_code(set_id)?))
}

/// The rules table of a known set.
pub fn table_of(set: KnownSet) -> &'static SetTable {
    match set {
        KnownSet::Ts850 => &ts850::TS850,
        KnownSet::Ts855 => &ts855::TS855,
        KnownSet::Ts856 => &ts856::TS856,
        KnownSet::Ts810 => &ts810::TS810,
        KnownSet::Ts997 => &ts997::TS997,
        KnownSet::Ts999 => &ts999::TS999,
    }
}

/// True for an id of X12 form: 2–3 upper-case letters or digits, starting with a letter.
fn id_form_ok(id: &[u8]) -> bool {
    (2..=3).contains(&id.len())
        && id.first().is_some_and(u8::is_ascii_uppercase)
        && id
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn contains_id(nodes: &'static [Node], id: &[u8]) -> bool {
    nodes.iter().any(|n| match n {
        Node::Seg { def, .. } => id_eq(def.id, id),
        Node::Loop { nodes, .. } => contains_id(nodes, id),
    })
}

impl SetValidator {
    /// `None` when there is no table for this set/version (caller skips structure checks).
    /// 004xxx versions (4010, and 4000/4060 leniently) use the 4010 tables, 005xxx the 5010 ones;
    /// sets that only exist from 5010 on (999) have no table under 004xxx.
    pub fn new(set_id: &[u8], version: &str) -> Option<SetValidator> {
        let table = table_for(set_id)?;
        let v5010 = if version.starts_with("004") {
            false
        } else if version.starts_with("005") {
            true
        } else {
            return None;
        };
        if table.since5010 && !v5010 {
            return None;
        }
        let mut counts = Vec::with_capacity(COUNTS_CAPACITY);
        let root = Frame::open(&mut counts, table.nodes, plan_for(table), None);
        Some(SetValidator {
            counts,
            table,
            v5010,
            version: version.to_owned(),
            control: String::new(),
            stack: vec![root],
            last_position: 0,
            started: false,
            ended: false,
            hl: hier::HlState::default(),
            out: Vec::new(),
        })
    }

    /// Feed every segment of the set from ST to SE inclusive, in order. `seg.position` is 1 at ST.
    pub fn segment(&mut self, seg: &Segment<'_>) {
        if self.ended {
            // Anything after SE belongs to the envelope layer, which reports it.
            return;
        }
        if !self.started {
            self.started = true;
            if seg.is("ST") {
                self.control = seg.text(2).map(String::from).unwrap_or_default();
            }
        }
        self.last_position = seg.position;
        if !id_form_ok(seg.id) {
            self.push_segment(
                seg.id_str().into_owned(),
                seg.position,
                Some(seg.offset),
                1,
                None,
                format!(
                    "{:?} at position {} is not an X12 segment id (2–3 upper-case letters or digits)",
                    seg.id_str(),
                    seg.position
                ),
            );
            return;
        }
        match self.place(seg) {
            Some((def, loop_id)) => self.check_elements(seg, def, loop_id),
            None => {
                if let Some(def) = segments::find(seg.id) {
                    let loop_id = self.stack.last().and_then(|f| f.loop_id);
                    self.check_elements(seg, def, loop_id);
                }
            }
        }
        if let Some(rules) = self.table.hierarchy
            && seg.is("HL")
        {
            for (pos, value, fault) in self.hl.check(rules, seg) {
                self.element_fault(seg, Some("HL"), pos, None, value, fault);
            }
        }
        if seg.is("SE") {
            self.ended = true;
        }
    }

    /// End of set: report mandatory segments/loops that never came.
    pub fn finish(self) -> Vec<Diagnostic> {
        self.finish_findings()
            .into_iter()
            .map(|f| f.diagnostic)
            .collect()
    }

    /// Like [`finish`](Self::finish), keeping each diagnostic's loop id for AK303/IK303.
    pub fn finish_findings(mut self) -> Vec<Finding> {
        if self.started && !self.ended {
            // The set stopped before SE (the envelope layer reports the missing SE itself);
            // everything mandatory still open is missing.
            let pos = self.last_position.saturating_add(1);
            while let Some(frame) = self.stack.pop() {
                self.report_missing(&frame, frame.idx, frame.nodes.len(), pos, When::SetEnded);
            }
        }
        self.out
    }

    fn ctx(&self) -> String {
        format!(
            "transaction set {} control {}, version {}",
            self.table.id, self.control, self.version
        )
    }

    fn location(&self, id: String, position: u32, offset: Option<usize>) -> Location {
        Location {
            offset,
            segment_id: Some(id),
            segment_position: Some(position),
            set_control: Some(self.control.clone()),
            ..Location::default()
        }
    }

    fn push_segment(
        &mut self,
        id: String,
        position: u32,
        offset: Option<usize>,
        code: u16,
        loop_id: Option<&'static str>,
        what: String,
    ) {
        let loc = self.location(id, position, offset);
        let message = format!("{what} (AK304/IK304 code {code}; {})", self.ctx());
        self.out.push(Finding {
            diagnostic: Diagnostic::error(Some(AckCode::Segment(code)), loc, message),
            loop_id,
        });
    }

    /// Reports mandatory nodes `from..to` of `frame` that never occurred.
    #[inline]
    fn report_missing(
        &mut self,
        frame: &Frame,
        from: usize,
        to: usize,
        position: u32,
        when: When<'_>,
    ) {
        // Most calls cover no mandatory node at all: decide that without a call.
        if from >= to || frame.plan.mandatory.last().is_none_or(|&k| k < from) {
            return;
        }
        self.report_missing_in(frame, from, to, position, when);
    }

    #[inline(never)]
    fn report_missing_in(
        &mut self,
        frame: &Frame,
        from: usize,
        to: usize,
        position: u32,
        when: When<'_>,
    ) {
        // Only mandatory nodes can be missing (a missing SE is an envelope fault, AK5 2/3,
        // reported by the envelope layer: the plan leaves SE out).
        let first = frame.plan.mandatory.partition_point(|&k| k < from);
        for &k in frame.plan.mandatory.get(first..).unwrap_or(&[]) {
            if k >= to {
                break;
            }
            let count = self.counts.get(frame.base + k).copied();
            let (Some(node), Some(count)) = (frame.nodes.get(k), count) else {
                continue;
            };
            if count > 0 {
                continue;
            }
            let Some(trigger) = node.trigger() else {
                continue;
            };
            let (what, loop_id) = match node {
                Node::Loop { id, .. } => (
                    format!(
                        "mandatory loop {id} (starting with {} {}) is missing {when}",
                        trigger.id, trigger.name
                    ),
                    Some(*id),
                ),
                Node::Seg { .. } => (
                    format!(
                        "mandatory segment {} ({}){} is missing {when}",
                        trigger.id,
                        trigger.name,
                        frame
                            .loop_id
                            .map(|l| format!(" of loop {l}"))
                            .unwrap_or_default()
                    ),
                    frame.loop_id,
                ),
            };
            self.push_segment(trigger.id.to_owned(), position, None, 3, loop_id, what);
        }
    }

    /// Finds where `seg` goes, moving the state; reports skipped mandatory nodes, max use and
    /// loop repeats. `None` (after reporting) when the segment has no place here.
    fn place(&mut self, seg: &Segment<'_>) -> Option<(&'static SegmentDef, Option<&'static str>)> {
        let key = id_key(seg.id);
        let bit = key_bit(key);
        let mut hit = None;
        if key != 0 {
            for (d, frame) in self.stack.iter().enumerate().rev() {
                // Inside a loop, the trigger segment again means a new iteration: that is found
                // one level up, at the loop node itself.
                let start = if frame.loop_id.is_some() {
                    frame.idx.max(1)
                } else {
                    frame.idx
                };
                if start > 0 && frame.plan.tail_mask & bit == 0 {
                    continue;
                }
                let found = frame
                    .plan
                    .keys
                    .get(start..)
                    .and_then(|ks| ks.iter().position(|&k| k == key));
                if let Some(j) = found {
                    hit = Some((d, start + j));
                    break;
                }
            }
        }
        let Some((d, j)) = hit else {
            self.misplaced(seg);
            return None;
        };
        let when = When::Before(seg.id, seg.position);
        while self.stack.len() > d + 1 {
            if let Some(frame) = self.stack.pop() {
                self.report_missing(&frame, frame.idx, frame.nodes.len(), seg.position, when);
                self.counts.truncate(frame.base);
            }
        }
        let frame = self.stack.pop()?;
        self.report_missing(&frame, frame.idx, j, seg.position, when);
        let mut frame = frame;
        frame.idx = j;
        let count = match self.counts.get_mut(frame.base + j) {
            Some(c) => {
                *c = c.saturating_add(1);
                *c
            }
            None => 0,
        };
        let node = frame.nodes.get(j)?;
        let frame_loop = frame.loop_id;
        let frame_plan = frame.plan;
        self.stack.push(frame);
        match node {
            Node::Seg { def, max_use, .. } => {
                if count > *max_use {
                    self.push_segment(
                        def.id.to_owned(),
                        seg.position,
                        Some(seg.offset),
                        5,
                        frame_loop,
                        format!(
                            "segment {} at position {} is use {count} here; the maximum use is {}",
                            def.id,
                            seg.position,
                            max_text(*max_use)
                        ),
                    );
                }
                Some((def, frame_loop))
            }
            Node::Loop {
                id: loop_id,
                max_repeat,
                nodes,
                ..
            } => {
                if count > *max_repeat {
                    self.push_segment(
                        seg.id_str().into_owned(),
                        seg.position,
                        Some(seg.offset),
                        4,
                        Some(loop_id),
                        format!(
                            "loop {loop_id} starts for the {count}th time at segment {} position {}; the loop may repeat at most {} times",
                            seg.id_str(),
                            seg.position,
                            max_text(*max_repeat)
                        ),
                    );
                }
                let inner =
                    Frame::open(&mut self.counts, nodes, frame_plan.child(j), Some(loop_id));
                if !nodes.is_empty()
                    && let Some(c) = self.counts.get_mut(inner.base)
                {
                    *c = 1;
                }
                self.stack.push(inner);
                nodes
                    .first()
                    .and_then(Node::trigger)
                    .map(|def| (def, Some(*loop_id)))
            }
        }
    }

    /// Reports a segment that fits nowhere forward of the current state (codes 7, 2 or 6).
    fn misplaced(&mut self, seg: &Segment<'_>) {
        let id = seg.id;
        let loop_id = self.stack.last().and_then(|f| f.loop_id);
        let here = self
            .stack
            .last()
            .and_then(|f| f.nodes.get(f.idx))
            .and_then(Node::trigger)
            .map(|t| t.id)
            .unwrap_or("ST");
        // Earlier in an open level: the partner sent it out of order.
        let earlier = self.stack.iter().any(|f| {
            f.nodes
                .iter()
                .take(f.idx.saturating_add(1))
                .any(|n| n.trigger().is_some_and(|t| id_eq(t.id, id)))
        });
        let (code, what) = if earlier {
            (
                7,
                format!(
                    "segment {} at position {} is out of sequence: it belongs before {here}, which came earlier",
                    seg.id_str(),
                    seg.position
                ),
            )
        } else if contains_id(self.table.nodes, id) {
            (
                2,
                format!(
                    "segment {} at position {} is unexpected here (after {here}{}): in {} it only occurs in another loop or area",
                    seg.id_str(),
                    seg.position,
                    loop_id.map(|l| format!(" in loop {l}")).unwrap_or_default(),
                    self.table.id
                ),
            )
        } else {
            (
                6,
                format!(
                    "segment {} at position {} is not defined in transaction set {} ({})",
                    seg.id_str(),
                    seg.position,
                    self.table.id,
                    self.table.name
                ),
            )
        };
        self.push_segment(
            seg.id_str().into_owned(),
            seg.position,
            Some(seg.offset),
            code,
            loop_id,
            what,
        );
    }

    fn element_fault(
        &mut self,
        seg: &Segment<'_>,
        loop_id: Option<&'static str>,
        pos: u32,
        component: Option<u32>,
        value: &[u8],
        fault: types::Fault,
    ) {
        let mut loc = self.location(seg.id_str().into_owned(), seg.position, Some(seg.offset));
        loc.element = Some(pos);
        loc.component = component;
        if !value.is_empty() {
            // AK404 holds at most 99 characters.
            loc.bad_value = Some(super::text(value).chars().take(99).collect());
        }
        let name = match component {
            Some(c) => format!("{}{pos:02}-{c}", seg.id_str()),
            None => format!("{}{pos:02}", seg.id_str()),
        };
        let shown = if value.is_empty() {
            String::new()
        } else {
            format!(" {:?}", super::text(value))
        };
        let diagnostic = if fault.warning {
            Diagnostic::warning(
                loc,
                format!(
                    "{name} of segment {} at position {}:{shown} {} ({})",
                    seg.id_str(),
                    seg.position,
                    fault.why,
                    self.ctx()
                ),
            )
        } else {
            let message = format!(
                "{name} of segment {} at position {}:{shown} {} (AK403/IK403 code {}; {})",
                seg.id_str(),
                seg.position,
                fault.why,
                fault.code,
                self.ctx()
            );
            Diagnostic::error(Some(AckCode::Element(fault.code)), loc, message)
        };
        self.out.push(Finding {
            diagnostic,
            loop_id,
        });
    }

    fn check_elements(
        &mut self,
        seg: &Segment<'_>,
        def: &'static SegmentDef,
        loop_id: Option<&'static str>,
    ) {
        if def.elements.is_empty() {
            return;
        }
        let v5010 = self.v5010;
        // The element definitions in force for this version, walked beside the data.
        let in_force = |e: &&Element| v5010 || e.v5 != V5::Added;
        let mut defs = def.elements.iter().filter(in_force);
        let mut seen = 0usize;
        // One pass serves the element checks and the syntax notes' presence bits.
        let has_notes = !def.notes.is_empty();
        let (comp, rep) = (seg.delimiters.component, seg.delimiters.repetition);
        let mut present = 0u64;
        let mut stopped = false;
        for (i, raw) in seg.elements().enumerate() {
            seen = i + 1;
            // A composite or repeating element of separators only holds no data.
            if has_notes && i < 64 && raw.iter().any(|&b| b != comp && Some(b) != rep) {
                present |= 1 << i;
            }
            let pos = u32::try_from(i + 1).unwrap_or(u32::MAX);
            match defs.next() {
                Some(d) => {
                    // Values that are fine (nearly all) skip the reporting machinery.
                    if !raw.is_empty()
                        && seg.delimiters.repetition.is_none_or(|r| !has_byte(raw, r))
                        && types::quick_ok(d, raw, v5010)
                    {
                        continue;
                    }
                    self.check_repeats(seg, loop_id, d, raw, pos)
                }
                None => {
                    // Trailing empty elements are sloppy but harmless; data beyond the
                    // definition is not.
                    if !raw.is_empty() {
                        let why = format!(
                            "is beyond the {} elements {} defines (too many data elements)",
                            def.elements.iter().filter(in_force).count(),
                            def.id
                        );
                        self.element_fault(seg, loop_id, pos, None, raw, err(3, why));
                        stopped = true;
                        break;
                    }
                }
            }
        }
        // In-force definitions consumed are never more than raw ones, so `seen` at or past
        // the last mandatory element means none can be missing.
        let defs_left = (seen < def.mandatory_end).then_some(defs);
        for (i, d) in defs_left.into_iter().flatten().enumerate() {
            if d.req == Req::Mandatory {
                let pos = u32::try_from(seen + i + 1).unwrap_or(u32::MAX);
                self.element_fault(seg, loop_id, pos, None, b"", err(1, missing(d)));
            }
        }
        if has_notes {
            if stopped {
                // The element pass stopped early (data beyond the definition): finish the
                // presence bits from the segment itself.
                present = presence(seg);
            }
            self.check_notes(seg, def, loop_id, present);
        }
    }

    /// Checks the segment's syntax notes (P, R, E, C, L) once its elements are checked: one
    /// AK4/IK4 per violated note, code 2 on the missing element (10 on the excluded one for
    /// E). Presence is one bit per element, so a segment that keeps its notes costs no
    /// allocation.
    fn check_notes(
        &mut self,
        seg: &Segment<'_>,
        def: &'static SegmentDef,
        loop_id: Option<&'static str>,
        present: u64,
    ) {
        for note in def.notes {
            if !note.applies(self.v5010) {
                continue;
            }
            let Some(at) = note.violation(present) else {
                continue;
            };
            self.note_fault(seg, loop_id, note, at);
        }
    }

    #[inline(never)]
    fn note_fault(
        &mut self,
        seg: &Segment<'_>,
        loop_id: Option<&'static str>,
        note: &schema::Note,
        at: u8,
    ) {
        use schema::NoteKind;
        let id = seg.id_str();
        let names = |ps: &[u8]| {
            ps.iter()
                .map(|p| format!("{id}{p:02}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (first, rest) = note.elements.split_first().unwrap_or((&0, &[]));
        let rule = match note.kind {
            NoteKind::P => format!(
                "if any of {} is present, all are required",
                names(note.elements)
            ),
            NoteKind::R => format!("at least one of {} is required", names(note.elements)),
            NoteKind::E => format!("only one of {} may be present", names(note.elements)),
            NoteKind::C => format!(
                "if {id}{first:02} is present, {} {} required",
                names(rest),
                if rest.len() > 1 { "are" } else { "is" }
            ),
            NoteKind::L => format!(
                "if {id}{first:02} is present, at least one of {} is required",
                names(rest)
            ),
        };
        let why = match note.kind {
            NoteKind::E => format!("is present too: syntax note {} ({rule})", note.label()),
            _ => format!("is missing: syntax note {} ({rule})", note.label()),
        };
        let value = if note.kind == NoteKind::E {
            seg.value(usize::from(at)).unwrap_or(b"")
        } else {
            b""
        };
        self.element_fault(
            seg,
            loop_id,
            u32::from(at),
            None,
            value,
            err(note.code(), why),
        );
    }

    /// Splits a repeating element on the repetition separator (a separator in an element that
    /// does not repeat, or more repetitions than allowed, is AK403 12) and checks each one.
    fn check_repeats(
        &mut self,
        seg: &Segment<'_>,
        loop_id: Option<&'static str>,
        d: &Element,
        raw: &[u8],
        pos: u32,
    ) {
        let Some(sep) = seg.delimiters.repetition.filter(|&r| has_byte(raw, r)) else {
            self.check_value(seg, loop_id, d, raw, pos, None);
            return;
        };
        if d.repeat <= 1 {
            // Real partners declare a repetition separator in ISA11 and still use that
            // character in ordinary text (seen: `-` with part numbers). In an element that does
            // not repeat it can only be data: note it, and check the value whole.
            let why = format!(
                "holds the repetition separator {:?} although it does not repeat; read as data",
                char::from(sep)
            );
            let note = types::Fault {
                code: 12,
                why,
                warning: true,
            };
            self.element_fault(seg, loop_id, pos, None, raw, note);
            self.check_value(seg, loop_id, d, raw, pos, None);
            return;
        }
        let reps = raw.split(|&b| b == sep).count();
        if reps > usize::from(d.repeat) {
            let why = if d.repeat <= 1 {
                format!(
                    "holds {reps} repetitions (separator {:?}) but the element does not repeat",
                    char::from(sep)
                )
            } else {
                format!(
                    "holds {reps} repetitions; the element may repeat at most {} times",
                    d.repeat
                )
            };
            self.element_fault(seg, loop_id, pos, None, raw, err(12, why));
            return;
        }
        if d.req == Req::Mandatory && raw.iter().all(|&b| b == sep) {
            // Only separators: no repetition holds a value.
            self.element_fault(seg, loop_id, pos, None, raw, err(1, missing(d)));
            return;
        }
        for rep in raw.split(|&b| b == sep) {
            // An empty repetition between separators is no value, not a fault of its own.
            if !rep.is_empty() {
                self.check_value(seg, loop_id, d, rep, pos, None);
            }
        }
    }

    fn check_value(
        &mut self,
        seg: &Segment<'_>,
        loop_id: Option<&'static str>,
        d: &Element,
        raw: &[u8],
        pos: u32,
        component: Option<u32>,
    ) {
        if raw.is_empty() {
            if d.req == Req::Mandatory {
                self.element_fault(seg, loop_id, pos, component, raw, err(1, missing(d)));
            }
            return;
        }
        if let Ty::Comp(parts) = d.ty {
            let mut n = 0usize;
            let sep = seg.delimiters.component;
            for (ci, c) in raw.split(|&b| b == sep).enumerate() {
                n = ci + 1;
                let cpos = u32::try_from(ci + 1).unwrap_or(u32::MAX);
                match parts.get(ci) {
                    Some(p) => self.check_value(seg, loop_id, p, c, pos, Some(cpos)),
                    None if !c.is_empty() => {
                        let why =
                            format!("is beyond the {} components of the composite", parts.len());
                        self.element_fault(seg, loop_id, pos, Some(cpos), c, err(3, why));
                        break;
                    }
                    None => {}
                }
            }
            for (ci, p) in parts.iter().enumerate().skip(n) {
                if p.req == Req::Mandatory {
                    let cpos = u32::try_from(ci + 1).unwrap_or(u32::MAX);
                    self.element_fault(seg, loop_id, pos, Some(cpos), b"", err(1, missing(p)));
                }
            }
            return;
        }
        if let Some(f) = types::check(d, raw, self.v5010) {
            self.element_fault(seg, loop_id, pos, component, raw, f);
        }
    }
}

/// True when `v` holds `b`. A plain loop: element values are a few bytes, where `contains`
/// (memchr) costs more in setup than it saves.
#[allow(clippy::manual_contains)]
#[inline]
/// One bit per element (up to 64) that holds data: a composite or repeating element of
/// separators only holds none.
fn presence(seg: &Segment<'_>) -> u64 {
    let (comp, rep) = (seg.delimiters.component, seg.delimiters.repetition);
    let mut present = 0u64;
    for (i, raw) in seg.elements().enumerate().take(64) {
        if raw.iter().any(|&b| b != comp && Some(b) != rep) {
            present |= 1 << i;
        }
    }
    present
}

fn has_byte(v: &[u8], b: u8) -> bool {
    v.contains(&b)
}

fn err(code: u16, why: String) -> types::Fault {
    types::Fault {
        code,
        why,
        warning: false,
    }
}

fn missing(d: &Element) -> String {
    format!("is mandatory (element {}) but missing", d.reference)
}

fn max_text(n: u32) -> String {
    if n == UNBOUNDED {
        "unbounded".into()
    } else {
        n.to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests;
