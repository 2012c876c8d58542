//! X12 structure validation with rules as data: a streaming engine that checks one transaction set, segment by segment, against a static table (segment order, loops, max use, element types, lengths, codes and syntax notes) and reports AK3/AK4 (IK3/IK4) coded diagnostics.
//!
//! The tables live in `ts850.rs`, `ts855.rs`, `ts856.rs`, `ts810.rs`, `ts997.rs`, `ts999.rs`
//! (segment order and loops), `segments.rs` (element lists) and `codes.rs` (code lists);
//! `hier.rs` applies a table's HL hierarchy rules. This file and its engine modules interpret
//! the tables and hold no knowledge of any particular segment: `plan.rs` prepares a table for
//! lookups, `place.rs` finds each segment's place (AK3/IK3), `elements.rs` checks its elements
//! and syntax notes (AK4/IK4).

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

mod elements;
mod place;
mod plan;

use super::{AckCode, Diagnostic, KnownSet, Location, Segment};
use place::{Frame, When};
use plan::plan_for;
use schema::SetTable;

/// A diagnostic plus the loop identifier (AK303 / IK303) of the loop holding the segment;
/// `documents::x12` copies it into `Location::loop_id` when it builds the acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub diagnostic: Diagnostic,
    pub loop_id: Option<&'static str>,
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
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests;
