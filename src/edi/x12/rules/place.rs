//! Where each segment goes: the open levels of the table (root and loop iterations), finding a
//! segment's place forward of the current state, and the AK3/IK3 segment faults that walk
//! finds (missing mandatory segments and loops, max use, loop repeats, misplaced segments).

use super::plan::{Plan, id_eq, id_key, key_bit};
use super::schema::{Node, SegmentDef, UNBOUNDED};
use super::{Segment, SetValidator};

/// One open level of the table: the root, or one iteration of a loop.
#[derive(Debug)]
pub(super) struct Frame {
    pub(super) nodes: &'static [Node],
    pub(super) plan: &'static Plan,
    pub(super) loop_id: Option<&'static str>,
    /// Index of the node last matched (0 before anything matched at this level).
    pub(super) idx: usize,
    /// Where this level's counters start in [`SetValidator::counts`]: uses (segments) or
    /// iterations (loops) per node in this iteration of the level, `nodes.len()` of them.
    pub(super) base: usize,
}

impl Frame {
    /// A new level whose counters (all 0) are appended to `counts`: levels nest like a
    /// stack, so one buffer holds them all and a loop starting (every PO1, HL or IT1)
    /// allocates nothing.
    pub(super) fn open(
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
pub(super) enum When<'s> {
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

fn contains_id(nodes: &'static [Node], id: &[u8]) -> bool {
    nodes.iter().any(|n| match n {
        Node::Seg { def, .. } => id_eq(def.id, id),
        Node::Loop { nodes, .. } => contains_id(nodes, id),
    })
}

impl SetValidator {
    /// Reports mandatory nodes `from..to` of `frame` that never occurred.
    #[inline]
    pub(super) fn report_missing(
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
    pub(super) fn place(
        &mut self,
        seg: &Segment<'_>,
    ) -> Option<(&'static SegmentDef, Option<&'static str>)> {
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
}

fn max_text(n: u32) -> String {
    if n == UNBOUNDED {
        "unbounded".into()
    } else {
        n.to_string()
    }
}
