//! CONTRL, the EDIFACT syntax and service report: built from the diagnostics of one interchange (UCI for the interchange, UCF per group, UCM per message, UCS/UCD locating segment and element faults with their 0085 codes) and written as syntax 3 `CONTRL:D:3:UN` or syntax 4 `CONTRL:4:1:UN`. Never sent in reply to a CONTRL.

use super::envelope::{Group, Interchange, MessageEnvelope, Party};
use super::writer::{OutMessage, OutSegment};
use super::{AckCode, Diagnostic, Severity};
use serde::{Deserialize, Serialize};

/// Action code (0083).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// 7: this level acknowledged, and every lower level not explicitly rejected.
    Acknowledged,
    /// 4: this level and all lower levels rejected.
    Rejected,
    /// 8: interchange received (syntax 4, receipt only).
    Received,
}

impl Action {
    pub fn code(&self) -> &'static str {
        match self {
            Action::Acknowledged => "7",
            Action::Rejected => "4",
            Action::Received => "8",
        }
    }
}

/// A fault at UCI, UCF or UCM level: the 0085 code, the service segment tag (0013) and the
/// element (S011) where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelError {
    pub code: u16,
    pub segment: Option<String>,
    pub element: Option<u32>,
    pub component: Option<u32>,
}

/// UCD: an element fault within a segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementResponse {
    pub code: u16,
    pub element: u32,
    pub component: Option<u32>,
}

/// UCS: a segment fault (by position in the message, UNH = 1) and its element faults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentResponse {
    pub position: u32,
    pub code: Option<u16>,
    pub elements: Vec<ElementResponse>,
}

/// UCM: one received message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageResponse {
    pub reference: String,
    /// S009 as received: type, version, release, agency (and association code).
    pub identifier: Vec<String>,
    pub action: Action,
    pub error: Option<LevelError>,
    pub segments: Vec<SegmentResponse>,
}

/// UCF: one received group, with its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupResponse {
    pub reference: String,
    pub sender: Party,
    pub recipient: Party,
    pub action: Action,
    pub error: Option<LevelError>,
    pub messages: Vec<MessageResponse>,
}

/// A CONTRL for one received interchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contrl {
    /// Syntax version of the received interchange (3 or 4 decide the CONTRL version).
    pub syntax_version: u8,
    /// UCI: the received interchange's reference and parties, as received (not swapped).
    pub interchange_ref: String,
    pub sender: Party,
    pub recipient: Party,
    pub action: Action,
    pub error: Option<LevelError>,
    pub groups: Vec<GroupResponse>,
    /// Messages directly in the interchange.
    pub messages: Vec<MessageResponse>,
}

impl Serialize for Party {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_string().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Party {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let (id, qualifier) = match s.split_once(':') {
            Some((id, q)) => (id.to_owned(), Some(q.to_owned())),
            None => (s, None),
        };
        Ok(Party { id, qualifier })
    }
}

fn contrl_code(d: &Diagnostic) -> Option<u16> {
    match d.code {
        Some(AckCode::Contrl(c)) if d.severity == Severity::Error => Some(c),
        _ => None,
    }
}

/// The first error of a level, as UCI/UCF/UCM report it.
fn level_error(diags: &[Diagnostic]) -> Option<LevelError> {
    diags.iter().find_map(|d| {
        Some(LevelError {
            code: contrl_code(d)?,
            segment: d.location.segment_id.clone(),
            element: d.location.element,
            component: d.location.component.filter(|&c| c > 1),
        })
    })
}

/// UCM for a message (its envelope diagnostics plus `more` found by the rules and the
/// mapping): faults in UNH/UNT (counts, references) are the message's own;
/// faults inside it become UCS (and UCD for an element).
pub fn message_response(msg: &MessageEnvelope<'_>, more: &[Diagnostic]) -> MessageResponse {
    let (own, inner): (Vec<&Diagnostic>, Vec<&Diagnostic>) = msg
        .diagnostics
        .iter()
        .chain(more)
        .filter(|d| contrl_code(d).is_some())
        .partition(|d| {
            d.location.segment_position.is_none()
                || matches!(d.location.segment_id.as_deref(), Some("UNH" | "UNT"))
        });
    let mut segments: Vec<SegmentResponse> = Vec::new();
    for d in inner {
        let Some(code) = contrl_code(d) else { continue };
        let position = d.location.segment_position.unwrap_or(0);
        let idx = match segments.iter().position(|s| s.position == position) {
            Some(i) => i,
            None => {
                segments.push(SegmentResponse {
                    position,
                    code: None,
                    elements: Vec::new(),
                });
                segments.len() - 1
            }
        };
        let Some(s) = segments.get_mut(idx) else {
            continue;
        };
        match d.location.element {
            Some(element) => s.elements.push(ElementResponse {
                code,
                element,
                component: d.location.component.filter(|&c| c > 1),
            }),
            None => {
                s.code.get_or_insert(code);
            }
        }
    }
    segments.sort_by_key(|s| s.position);
    let own: Vec<Diagnostic> = own.into_iter().cloned().collect();
    let error = level_error(&own);
    let rejected = error.is_some() || !segments.is_empty();
    let mut identifier = vec![
        msg.message_type.clone(),
        msg.version.clone(),
        msg.release.clone(),
        msg.agency.clone(),
    ];
    identifier.extend(msg.association.clone());
    MessageResponse {
        reference: msg.reference.clone(),
        identifier,
        action: if rejected {
            Action::Rejected
        } else {
            Action::Acknowledged
        },
        error,
        segments,
    }
}

/// Collects one interchange's responses while it is walked.
#[derive(Debug, Default)]
pub struct ContrlBuilder {
    groups: Vec<GroupResponse>,
    messages: Vec<MessageResponse>,
    /// Messages of the group being read.
    group_messages: Vec<MessageResponse>,
}

impl ContrlBuilder {
    pub fn message(&mut self, in_group: bool, msg: &MessageEnvelope<'_>, more: &[Diagnostic]) {
        let r = message_response(msg, more);
        if in_group {
            self.group_messages.push(r);
        } else {
            self.messages.push(r);
        }
    }

    pub fn group_end(&mut self, g: &Group) {
        let error = level_error(&g.diagnostics);
        let messages = std::mem::take(&mut self.group_messages);
        self.groups.push(GroupResponse {
            reference: g.reference.clone(),
            sender: g.sender.clone(),
            recipient: g.recipient.clone(),
            action: if error.is_some() {
                Action::Rejected
            } else {
                Action::Acknowledged
            },
            error,
            messages,
        });
    }

    /// The CONTRL once the interchange's trailer has been checked.
    /// A receipt only (action 8, "interchange received", syntax 4 partners that ask for
    /// no more): the UCI with no group or message responses. A rejected interchange is
    /// still reported as rejected.
    pub fn receipt(self, ic: &Interchange) -> Contrl {
        let mut c = self.finish(ic);
        if c.action == Action::Acknowledged {
            c.action = Action::Received;
        }
        c.groups.clear();
        c.messages.clear();
        c
    }

    pub fn finish(self, ic: &Interchange) -> Contrl {
        let error = level_error(&ic.diagnostics);
        Contrl {
            syntax_version: ic.header.syntax_version,
            interchange_ref: ic.header.reference.clone(),
            sender: ic.header.sender.clone(),
            recipient: ic.header.recipient.clone(),
            action: if error.is_some() {
                Action::Rejected
            } else {
                Action::Acknowledged
            },
            error,
            groups: self.groups,
            messages: self.messages,
        }
    }
}

fn party(p: &Party) -> Vec<String> {
    let mut v = vec![p.id.clone()];
    v.extend(p.qualifier.clone());
    v
}

/// The level error's 0085, 0013 and S011 elements appended to a UCI/UCF/UCM segment.
fn with_error(mut seg: OutSegment, e: &Option<LevelError>) -> OutSegment {
    if let Some(e) = e {
        seg = seg.e(e.code.to_string()).o(e.segment.as_deref());
        let s011: Vec<String> = match (e.element, e.component) {
            (Some(el), Some(c)) => vec![el.to_string(), c.to_string()],
            (Some(el), None) => vec![el.to_string()],
            _ => Vec::new(),
        };
        seg.elements.push(s011);
    }
    seg
}

fn message_segments(m: &MessageResponse, out: &mut Vec<OutSegment>) {
    let ids: Vec<&str> = m.identifier.iter().map(String::as_str).collect();
    out.push(with_error(
        OutSegment::new("UCM")
            .e(m.reference.clone())
            .c(&ids)
            .e(m.action.code()),
        &m.error,
    ));
    for s in &m.segments {
        let mut ucs = OutSegment::new("UCS").e(s.position.to_string());
        if let Some(c) = s.code {
            ucs = ucs.e(c.to_string());
        }
        out.push(ucs);
        for d in &s.elements {
            let mut pos = vec![d.element.to_string()];
            pos.extend(d.component.map(|c| c.to_string()));
            let pos: Vec<&str> = pos.iter().map(String::as_str).collect();
            out.push(OutSegment::new("UCD").e(d.code.to_string()).c(&pos));
        }
    }
}

impl Contrl {
    /// The CONTRL message (UNH/UNT added by the writer): syntax 4 replies use
    /// `CONTRL:4:1:UN`, earlier versions `CONTRL:D:3:UN`.
    pub fn message(&self, reference: &str) -> OutMessage {
        let identifier = if self.syntax_version >= 4 {
            ["CONTRL", "4", "1", "UN"]
        } else {
            ["CONTRL", "D", "3", "UN"]
        };
        let sender = party(&self.sender);
        let recipient = party(&self.recipient);
        let s: Vec<&str> = sender.iter().map(String::as_str).collect();
        let r: Vec<&str> = recipient.iter().map(String::as_str).collect();
        let mut segments = vec![with_error(
            OutSegment::new("UCI")
                .e(self.interchange_ref.clone())
                .c(&s)
                .c(&r)
                .e(self.action.code()),
            &self.error,
        )];
        for m in &self.messages {
            message_segments(m, &mut segments);
        }
        for g in &self.groups {
            let gs = party(&g.sender);
            let gr = party(&g.recipient);
            let gs: Vec<&str> = gs.iter().map(String::as_str).collect();
            let gr: Vec<&str> = gr.iter().map(String::as_str).collect();
            segments.push(with_error(
                OutSegment::new("UCF")
                    .e(g.reference.clone())
                    .c(&gs)
                    .c(&gr)
                    .e(g.action.code()),
                &g.error,
            ));
            for m in &g.messages {
                message_segments(m, &mut segments);
            }
        }
        OutMessage {
            reference: reference.to_owned(),
            identifier: identifier.iter().map(|s| (*s).to_owned()).collect(),
            segments,
        }
    }
}
