//! The trailers: closing a set at its SE, a group at its GE and the interchange at its IEA
//! (or without them), checking their counts and control numbers and handing each on.

use super::checks::{parse_count, same_control};
use super::{Event, Walker, at_segment, group_loc_parts, loc_ic, set_loc_parts};
use crate::edi::x12::reader::Segment;
use crate::edi::x12::{AckCode, Diagnostic, Location};

impl<'a, F> Walker<'a, F>
where
    F: FnMut(Event<'_, 'a>),
{
    /// Ends the open set: with its SE (checked) or without one (a fault), then hands it on.
    pub(super) fn close_set(&mut self, se: Option<Segment<'a>>) {
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
    pub(super) fn close_group(&mut self, ge: Option<Segment<'a>>) {
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
    pub(super) fn finish_interchange(&mut self, iea: Option<Segment<'a>>) {
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
