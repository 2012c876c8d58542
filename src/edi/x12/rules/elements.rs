//! The element checks of a placed segment: presence of mandatory elements, repetitions,
//! composites, each value against its type, length and code list, and the syntax notes;
//! each fault an AK4/IK4 finding.

use super::schema::{self, Element, Req, SegmentDef, Ty, V5};
use super::{AckCode, Diagnostic, Finding, Segment, SetValidator, types};
use crate::edi::x12::text;

impl SetValidator {
    pub(super) fn element_fault(
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
            loc.bad_value = Some(text(value).chars().take(99).collect());
        }
        let name = match component {
            Some(c) => format!("{}{pos:02}-{c}", seg.id_str()),
            None => format!("{}{pos:02}", seg.id_str()),
        };
        let shown = if value.is_empty() {
            String::new()
        } else {
            format!(" {:?}", text(value))
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

    pub(super) fn check_elements(
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

/// True when `v` holds `b` (a repetition separator inside an element value).
#[inline]
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
