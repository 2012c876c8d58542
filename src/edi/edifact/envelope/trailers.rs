//! The trailers: closing a message at its UNT, a group at its UNE and the interchange at its
//! UNZ (or without them), checking their counts and references and handing each on.

use super::{Event, Walker};
use crate::edi::edifact::reader::Segment;
use crate::edi::edifact::{AckCode, Diagnostic, Location, code};

impl<'a, F> Walker<'a, F>
where
    F: FnMut(Event<'_, 'a>),
{
    /// Closes the open message at its UNT (or without one), checking UNT01 and UNT02.
    pub(super) fn end_message(&mut self, unt: Option<Segment<'a>>) {
        let Some(open) = self.open.as_mut() else {
            return;
        };
        let Some(mut msg) = open.msg.take() else {
            if let Some(seg) = unt {
                let loc = self.here(&seg, None, None);
                self.fault(
                    code::NOT_SUPPORTED_HERE,
                    loc,
                    format!(
                        "UNT at byte {} closes no message (no UNH before it)",
                        seg.offset
                    ),
                );
            }
            return;
        };
        let ic_ref = open.ic.header.reference.clone();
        let group_ref = open.group.as_ref().map(|g| g.reference.clone());
        let base = Location {
            interchange_control: Some(ic_ref),
            group_control: group_ref,
            set_control: Some(msg.reference.clone()),
            ..Location::default()
        };
        match unt {
            Some(seg) => {
                msg.segments.push(seg);
                let at = |element: u32, bad: String| Location {
                    offset: Some(seg.offset),
                    segment_id: Some("UNT".into()),
                    segment_position: Some(seg.position),
                    element: Some(element),
                    component: Some(1),
                    bad_value: Some(bad),
                    ..base.clone()
                };
                let count = seg.text(1, 1).map(|t| t.into_owned()).unwrap_or_default();
                let actual = msg.segments.len();
                if count.parse::<usize>().ok() != Some(actual) {
                    msg.diagnostics.push(Diagnostic::error(
                        Some(AckCode::Contrl(code::COUNT_MISMATCH)),
                        at(1, count.clone()),
                        format!(
                            "UNT01 says {count:?} segments but message {} has {actual} (UNH to UNT)",
                            msg.reference
                        ),
                    ));
                }
                let reference = seg.text(2, 1).map(|t| t.into_owned()).unwrap_or_default();
                if reference != msg.reference {
                    msg.diagnostics.push(Diagnostic::error(
                        Some(AckCode::Contrl(code::REFERENCES_DO_NOT_MATCH)),
                        at(2, reference.clone()),
                        format!(
                            "UNT02 {reference:?} does not match UNH01 {:?}",
                            msg.reference
                        ),
                    ));
                }
            }
            None => {
                let after = msg.segments.last().map(|s| s.offset);
                msg.diagnostics.push(Diagnostic::error(
                    Some(AckCode::Contrl(code::MISSING)),
                    Location {
                        offset: after,
                        segment_id: Some("UNT".into()),
                        ..base.clone()
                    },
                    format!(
                        "message {} ({}) has no UNT: it ended after {} segment(s)",
                        msg.reference,
                        msg.message_type,
                        msg.segments.len()
                    ),
                ));
            }
        }
        match open.group.as_mut() {
            Some(g) => g.messages += 1,
            None => open.ic.messages += 1,
        }
        let Some(open) = self.open.as_ref() else {
            return;
        };
        (self.visit)(Event::Message(&open.ic, open.group.as_ref(), &msg));
        let mut segments = msg.segments;
        segments.clear();
        self.spare = segments;
    }

    pub(super) fn end_group(&mut self, une: Option<&Segment<'a>>) {
        if self.open.as_ref().is_some_and(|o| o.msg.is_some()) {
            self.end_message(None);
        }
        let Some(open) = self.open.as_mut() else {
            return;
        };
        let Some(mut g) = open.group.take() else {
            if let Some(seg) = une {
                let loc = self.here(seg, None, None);
                self.fault(
                    code::NOT_SUPPORTED_HERE,
                    loc,
                    format!(
                        "UNE at byte {} closes no group (no UNG before it)",
                        seg.offset
                    ),
                );
            }
            return;
        };
        let base = Location {
            interchange_control: Some(open.ic.header.reference.clone()),
            group_control: Some(g.reference.clone()),
            ..Location::default()
        };
        match une {
            Some(seg) => {
                let at = |element: u32, bad: String| Location {
                    offset: Some(seg.offset),
                    segment_id: Some("UNE".into()),
                    segment_position: Some(seg.position),
                    element: Some(element),
                    component: Some(1),
                    bad_value: Some(bad),
                    ..base.clone()
                };
                let count = seg.text(1, 1).map(|t| t.into_owned()).unwrap_or_default();
                if count.parse::<u32>().ok() != Some(g.messages) {
                    g.diagnostics.push(Diagnostic::error(
                        Some(AckCode::Contrl(code::COUNT_MISMATCH)),
                        at(1, count.clone()),
                        format!(
                            "UNE01 says {count:?} messages but group {} has {}",
                            g.reference, g.messages
                        ),
                    ));
                }
                let reference = seg.text(2, 1).map(|t| t.into_owned()).unwrap_or_default();
                if reference != g.reference {
                    g.diagnostics.push(Diagnostic::error(
                        Some(AckCode::Contrl(code::REFERENCES_DO_NOT_MATCH)),
                        at(2, reference.clone()),
                        format!("UNE02 {reference:?} does not match UNG05 {:?}", g.reference),
                    ));
                }
            }
            None => g.diagnostics.push(Diagnostic::error(
                Some(AckCode::Contrl(code::MISSING)),
                Location {
                    segment_id: Some("UNE".into()),
                    ..base.clone()
                },
                format!("group {} has no UNE", g.reference),
            )),
        }
        if g.messages == 0 {
            g.diagnostics.push(Diagnostic::error(
                Some(AckCode::Contrl(code::LOWER_LEVEL_EMPTY)),
                base,
                format!("group {} holds no message", g.reference),
            ));
        }
        (self.visit)(Event::GroupEnd(&open.ic, &g));
    }

    /// Closes the open interchange at its UNZ (or without one), checking UNZ01 and UNZ02.
    pub(super) fn finish_interchange(&mut self, unz: Option<&Segment<'a>>) {
        if self.open.as_ref().is_some_and(|o| o.msg.is_some()) {
            self.end_message(None);
        }
        if self.open.as_ref().is_some_and(|o| o.group.is_some()) {
            self.end_group(None);
        }
        let Some(mut open) = self.open.take() else {
            if let Some(seg) = unz {
                let d = Diagnostic::error(
                    Some(AckCode::Contrl(code::NOT_SUPPORTED_HERE)),
                    Location {
                        offset: Some(seg.offset),
                        segment_id: Some("UNZ".into()),
                        ..Location::default()
                    },
                    format!("UNZ at byte {} closes no interchange", seg.offset),
                );
                (self.visit)(Event::File(&d));
            }
            return;
        };
        let ic = &mut open.ic;
        let base = Location {
            interchange_control: Some(ic.header.reference.clone()),
            ..Location::default()
        };
        let expected = if ic.groups > 0 {
            ic.groups
        } else {
            ic.messages
        };
        match unz {
            Some(seg) => {
                let at = |element: u32, bad: String| Location {
                    offset: Some(seg.offset),
                    segment_id: Some("UNZ".into()),
                    segment_position: Some(seg.position),
                    element: Some(element),
                    component: Some(1),
                    bad_value: Some(bad),
                    ..base.clone()
                };
                let count = seg.text(1, 1).map(|t| t.into_owned()).unwrap_or_default();
                if count.parse::<u32>().ok() != Some(expected) {
                    let what = if ic.groups > 0 { "groups" } else { "messages" };
                    ic.diagnostics.push(Diagnostic::error(
                        Some(AckCode::Contrl(code::COUNT_MISMATCH)),
                        at(1, count.clone()),
                        format!(
                            "UNZ01 says {count:?} but interchange {} has {expected} {what}",
                            ic.header.reference
                        ),
                    ));
                }
                let reference = seg.text(2, 1).map(|t| t.into_owned()).unwrap_or_default();
                if reference != ic.header.reference {
                    ic.diagnostics.push(Diagnostic::error(
                        Some(AckCode::Contrl(code::REFERENCES_DO_NOT_MATCH)),
                        at(2, reference.clone()),
                        format!(
                            "UNZ02 {reference:?} does not match UNB05 {:?}",
                            ic.header.reference
                        ),
                    ));
                }
            }
            None => ic.diagnostics.push(Diagnostic::error(
                Some(AckCode::Contrl(code::MISSING)),
                Location {
                    segment_id: Some("UNZ".into()),
                    ..base.clone()
                },
                format!(
                    "interchange {} from {} has no UNZ: the input ended (or a new UNB began) before its trailer",
                    ic.header.reference, ic.header.sender
                ),
            )),
        }
        if expected == 0 {
            ic.diagnostics.push(Diagnostic::error(
                Some(AckCode::Contrl(code::LOWER_LEVEL_EMPTY)),
                base,
                format!("interchange {} holds no message", ic.header.reference),
            ));
        }
        (self.visit)(Event::InterchangeEnd(&open.ic));
    }
}
