//! EDIFACT envelope walk and validation: UNB/UNZ, optional UNG/UNE groups, UNH/UNT messages; counts and references, message references unique per interchange, the declared character set checked on every segment. Faults are diagnostics carrying their CONTRL (0085) codes. Streams: one message in memory at a time.

use super::reader::{Reader, ReaderNote, Segment};
use super::{AckCode, Charset, Diagnostic, EdifactError, Location, Repertoire, ServiceChars, code};
use serde::Serialize;
use std::collections::HashSet;

/// An interchange party (UNB S002/S003, UNG S006/S007): identification and code qualifier.
/// Serialised as "id:qualifier" (see `contrl.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub id: String,
    pub qualifier: Option<String>,
}

impl Party {
    fn read(seg: &Segment<'_>, n: usize) -> Party {
        Party {
            id: seg.text(n, 1).map(|t| t.into_owned()).unwrap_or_default(),
            qualifier: seg.text(n, 2).map(|t| t.into_owned()),
        }
    }
}

impl std::fmt::Display for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.qualifier {
            Some(q) => write!(f, "{}:{q}", self.id),
            None => f.write_str(&self.id),
        }
    }
}

/// UNB, read.
#[derive(Debug, Clone, Serialize)]
pub struct UnbHeader {
    /// S001 0001, e.g. "UNOA".
    pub syntax_id: String,
    /// S001 0002 (1 to 4).
    pub syntax_version: u8,
    pub sender: Party,
    pub recipient: Party,
    /// S004 date (YYMMDD or CCYYMMDD) and time (HHMM).
    pub date: String,
    pub time: String,
    /// 0020, the interchange control reference.
    pub reference: String,
    /// 0026, the application reference (EANCOM puts the message type here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_ref: Option<String>,
    /// 0031 = 1: the sender asks for a CONTRL.
    pub ack_requested: bool,
    /// 0035 = 1: a test interchange.
    pub test: bool,
    pub chars: ServiceChars,
    /// Whether a UNA announced the service characters.
    pub una: bool,
    pub offset: usize,
}

/// An interchange as far as it has been read.
#[derive(Debug, Clone, Serialize)]
pub struct Interchange {
    pub header: UnbHeader,
    /// Interchange-level faults (UCI) and notes.
    pub diagnostics: Vec<Diagnostic>,
    pub groups: u32,
    /// Messages directly in the interchange (not in a group).
    pub messages: u32,
}

impl Interchange {
    /// True when an interchange-level error rejects everything in it.
    pub fn rejected(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == super::Severity::Error)
    }
}

/// UNG … UNE.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// 0038, the message group identification (e.g. "ORDERS").
    pub id: String,
    pub sender: Party,
    pub recipient: Party,
    /// 0048, the group reference.
    pub reference: String,
    /// Group-level faults (UCF).
    pub diagnostics: Vec<Diagnostic>,
    pub messages: u32,
    pub offset: usize,
}

/// UNH … UNT with the segments between.
#[derive(Debug, Clone)]
pub struct MessageEnvelope<'a> {
    /// 0062, the message reference number.
    pub reference: String,
    /// S009: type (0065), version (0052), release (0054), agency (0051), association
    /// assigned code (0057, e.g. "EAN008").
    pub message_type: String,
    pub version: String,
    pub release: String,
    pub agency: String,
    pub association: Option<String>,
    /// UNH to UNT inclusive (or up to where the input stopped).
    pub segments: Vec<Segment<'a>>,
    /// Message, segment and element faults (UCM, UCS, UCD) and notes.
    pub diagnostics: Vec<Diagnostic>,
    pub offset: usize,
}

impl MessageEnvelope<'_> {
    /// True when nothing at message level or below is an error.
    pub fn is_sound(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity == super::Severity::Error)
    }

    /// "ORDERS:D:96A:UN", as the message identifier reads.
    pub fn type_id(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.message_type, self.version, self.release, self.agency
        )
    }
}

/// What [`walk`] hands on, in input order.
#[derive(Debug)]
pub enum Event<'e, 'a> {
    InterchangeStart(&'e Interchange),
    GroupStart(&'e Interchange, &'e Group),
    Message(&'e Interchange, Option<&'e Group>, &'e MessageEnvelope<'a>),
    GroupEnd(&'e Interchange, &'e Group),
    /// The trailer has been checked (or found missing).
    InterchangeEnd(&'e Interchange),
    /// A finding outside any interchange (junk, an unusable UNA).
    File(&'e Diagnostic),
}

struct Open<'a> {
    ic: Interchange,
    group: Option<Group>,
    msg: Option<MessageEnvelope<'a>>,
    /// Message references seen in this interchange (0062 must be unique).
    refs: HashSet<String>,
    /// Level B characters in UNOA were already reported (once per interchange is enough).
    level_b_noted: bool,
}

struct Walker<'a, F> {
    visit: F,
    /// A character fault in the UNB itself, recorded once the interchange is open: with
    /// its 0085 code, or none for a warning (level B characters taken in UNOA).
    pending_unb_fault: Option<(Option<u16>, Location, String)>,
    repertoire: Repertoire,
    open: Option<Open<'a>>,
    spare: Vec<Segment<'a>>,
    seen_interchange: bool,
}

/// Walks every interchange in `input`, validating envelopes and character sets as it goes,
/// strictly by ISO 9735 (any byte outside the declared repertoire is an error).
/// `Err` only when no interchange can be found at all.
pub fn walk<'a, F>(input: &'a [u8], visit: F) -> Result<(), EdifactError>
where
    F: FnMut(Event<'_, 'a>),
{
    walk_with(input, Repertoire::Reject, visit)
}

/// [`walk`] with the partner's repertoire strictness.
pub fn walk_with<'a, F>(
    input: &'a [u8],
    repertoire: Repertoire,
    visit: F,
) -> Result<(), EdifactError>
where
    F: FnMut(Event<'_, 'a>),
{
    let mut reader = Reader::new(input);
    let mut w = Walker {
        visit,
        repertoire,
        pending_unb_fault: None,
        open: None,
        spare: Vec::new(),
        seen_interchange: false,
    };
    let mut first_error = None;
    loop {
        match reader.next_segment() {
            Ok(Some(seg)) => w.segment(seg, reader.had_una()),
            Ok(None) => break,
            Err(e) => {
                w.finish_interchange(None);
                let d = Diagnostic::error(
                    Some(AckCode::Contrl(code::INVALID_VALUE)),
                    Location {
                        offset: match &e {
                            EdifactError::InvalidUna { offset, .. } => Some(*offset),
                            _ => None,
                        },
                        segment_id: Some("UNA".into()),
                        ..Location::default()
                    },
                    e.to_string(),
                );
                (w.visit)(Event::File(&d));
                first_error.get_or_insert(e);
            }
        }
    }
    w.finish_interchange(None);
    for note in reader.notes() {
        let ReaderNote::Junk { offset, len } = *note;
        if len == 0 {
            continue;
        }
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
        let offset = input
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(0);
        return Err(first_error.unwrap_or(EdifactError::NoInterchange { offset }));
    }
    Ok(())
}

/// Element and component (1-based) holding byte `i` of the segment's body.
fn locate(seg: &Segment<'_>, i: usize) -> (u32, u32) {
    let body = seg.body();
    let (mut element, mut component) = (0u32, 1u32);
    let mut k = 0usize;
    while k < i.min(body.len()) {
        let b = body.get(k).copied().unwrap_or_default();
        if Some(b) == seg.chars.release {
            k += 2;
            continue;
        }
        if b == seg.chars.element {
            element += 1;
            component = 1;
        } else if b == seg.chars.component {
            component += 1;
        }
        k += 1;
    }
    (element, component)
}

impl<'a, F> Walker<'a, F>
where
    F: FnMut(Event<'_, 'a>),
{
    /// A location in the interchange being read (and its group and message, if open).
    fn here(&self, seg: &Segment<'_>, element: Option<u32>, component: Option<u32>) -> Location {
        let open = self.open.as_ref();
        Location {
            offset: Some(seg.offset),
            segment_id: Some(seg.tag_str().into_owned()),
            segment_position: Some(seg.position),
            element,
            component,
            interchange_control: open.map(|o| o.ic.header.reference.clone()),
            group_control: open.and_then(|o| o.group.as_ref().map(|g| g.reference.clone())),
            set_control: open.and_then(|o| o.msg.as_ref().map(|m| m.reference.clone())),
            bad_value: None,
            loop_id: None,
        }
    }

    /// Records a fault at the deepest level open: message, else group, else interchange.
    fn fault(&mut self, code: u16, loc: Location, message: String) {
        let d = Diagnostic::error(Some(AckCode::Contrl(code)), loc, message);
        match self.open.as_mut() {
            Some(Open { msg: Some(m), .. }) => m.diagnostics.push(d),
            Some(Open { group: Some(g), .. }) => g.diagnostics.push(d),
            Some(o) => o.ic.diagnostics.push(d),
            None => (self.visit)(Event::File(&d)),
        }
    }

    fn segment(&mut self, seg: Segment<'a>, una: bool) {
        self.check_charset(&seg);
        match seg.tag {
            b"UNB" => self.start_interchange(&seg, una),
            b"UNG" => self.start_group(&seg),
            b"UNH" => self.start_message(seg),
            b"UNT" => self.end_message(Some(seg)),
            b"UNE" => self.end_group(Some(&seg)),
            b"UNZ" => self.finish_interchange(Some(&seg)),
            _ => match self.open.as_mut() {
                Some(Open { msg: Some(m), .. }) => m.segments.push(seg),
                Some(_) => {
                    let loc = self.here(&seg, None, None);
                    self.fault(
                        code::NOT_SUPPORTED_HERE,
                        loc,
                        format!(
                            "segment {} at byte {} is outside any message (no UNH before it)",
                            seg.tag_str(),
                            seg.offset
                        ),
                    );
                }
                None => {}
            },
        }
    }

    /// A byte outside UNB's declared repertoire is reported with the element holding it.
    fn check_charset(&mut self, seg: &Segment<'a>) {
        let Some((i, byte)) = seg.charset.first_invalid(seg.body()) else {
            return;
        };
        // Level B characters (lower case, `@`, `_`, …) in a level A interchange: taken with
        // a warning when the partner's profile says so; a byte outside level B stays an error.
        let (i, byte, lenient) =
            if self.repertoire == Repertoire::Warn && seg.charset == Charset::Unoa {
                match Charset::Unob.first_invalid(seg.body()) {
                    Some((j, b)) => (j, b, false),
                    None => (i, byte, true),
                }
            } else {
                (i, byte, false)
            };
        if lenient && self.open.as_ref().is_some_and(|o| o.level_b_noted) {
            return;
        }
        let (element, component) = locate(seg, i);
        let mut loc = self.here(seg, Some(element), Some(component));
        loc.offset = Some(seg.offset + seg.tag.len() + i);
        let declared = self.open.as_ref().map_or_else(
            || "the declared set".to_owned(),
            |o| o.ic.header.syntax_id.clone(),
        );
        let message = format!(
            "byte 0x{byte:02X} at offset {} in {}{element:02}{} is outside {declared} (segment {} at position {})",
            seg.offset + seg.tag.len() + i,
            seg.tag_str(),
            if component > 1 {
                format!(" component {component}")
            } else {
                String::new()
            },
            seg.tag_str(),
            seg.position
        );
        if lenient {
            let message = format!(
                "{message}: level B characters in a UNOA interchange, accepted as the partner's \
                 profile says ([edifact] repertoire = \"warn\"); further ones in this interchange \
                 are not listed"
            );
            if seg.is("UNB") {
                self.pending_unb_fault = Some((None, loc, message));
            } else if let Some(o) = self.open.as_mut() {
                o.level_b_noted = true;
                o.ic.diagnostics.push(Diagnostic::warning(loc, message));
            }
        } else if seg.is("UNB") {
            // Checked once the interchange is open, so the fault lands at UCI level.
            self.pending_unb_fault = Some((Some(code::INVALID_CHARACTERS), loc, message));
        } else {
            self.fault(code::INVALID_CHARACTERS, loc, message);
        }
    }

    fn start_interchange(&mut self, seg: &Segment<'a>, una: bool) {
        if self.open.is_some() {
            self.finish_interchange(None);
        }
        self.seen_interchange = true;
        let text = |n: usize, k: usize| seg.text(n, k).map(|t| t.into_owned());
        let syntax_id = text(1, 1).unwrap_or_default();
        let version = text(1, 2).and_then(|v| v.parse::<u8>().ok());
        let header = UnbHeader {
            syntax_id: syntax_id.clone(),
            syntax_version: version.unwrap_or(0),
            sender: Party::read(seg, 2),
            recipient: Party::read(seg, 3),
            date: text(4, 1).unwrap_or_default(),
            time: text(4, 2).unwrap_or_default(),
            reference: text(5, 1).unwrap_or_default(),
            application_ref: text(7, 1),
            ack_requested: text(9, 1).as_deref() == Some("1"),
            test: text(11, 1).as_deref() == Some("1"),
            chars: seg.chars,
            una,
            offset: seg.offset,
        };
        self.open = Some(Open {
            ic: Interchange {
                header,
                diagnostics: Vec::new(),
                groups: 0,
                messages: 0,
            },
            group: None,
            msg: None,
            refs: HashSet::new(),
            level_b_noted: false,
        });
        if let Some((c, mut loc, message)) = self.pending_unb_fault.take() {
            loc.interchange_control = Some(text(5, 1).unwrap_or_default());
            match (c, self.open.as_mut()) {
                (Some(c), _) => self.fault(c, loc, message),
                (None, Some(o)) => {
                    o.level_b_noted = true;
                    o.ic.diagnostics.push(Diagnostic::warning(loc, message));
                }
                (None, None) => {}
            }
        }
        if Charset::from_id(syntax_id.as_bytes()).is_none() {
            let loc = self.here(seg, Some(1), Some(1));
            self.fault(
                code::SYNTAX_NOT_SUPPORTED,
                loc,
                format!("UNB01 syntax identifier {syntax_id:?} is not one this gateway reads (UNOA, UNOB, UNOC…UNOK, UNOW, UNOX, UNOY)"),
            );
        }
        if !matches!(version, Some(1..=4)) {
            let loc = self.here(seg, Some(1), Some(2));
            self.fault(
                code::SYNTAX_NOT_SUPPORTED,
                loc,
                format!(
                    "UNB01 syntax version {:?} is not 1 to 4",
                    text(1, 2).unwrap_or_default()
                ),
            );
        }
        for (n, what) in [
            (2, "sender (UNB02)"),
            (3, "recipient (UNB03)"),
            (5, "control reference (UNB05)"),
        ] {
            if seg.text(n, 1).is_none() {
                let loc = self.here(seg, Some(n as u32), Some(1));
                self.fault(
                    code::MISSING,
                    loc,
                    format!("the interchange {what} is missing"),
                );
            }
        }
        if let Some(o) = self.open.as_ref() {
            (self.visit)(Event::InterchangeStart(&o.ic));
        }
    }

    fn start_group(&mut self, seg: &Segment<'a>) {
        let Some(open) = self.open.as_mut() else {
            return;
        };
        if open.group.is_some() {
            self.end_group(None);
        }
        let mixed = self.open.as_ref().is_some_and(|o| o.ic.messages > 0);
        if mixed {
            let loc = self.here(seg, None, None);
            self.fault(
                code::GROUPS_AND_MESSAGES_MIXED,
                loc,
                format!(
                    "UNG at byte {} after messages outside any group: an interchange holds groups or messages, not both",
                    seg.offset
                ),
            );
        }
        let text = |n: usize, k: usize| seg.text(n, k).map(|t| t.into_owned());
        let group = Group {
            id: text(1, 1).unwrap_or_default(),
            sender: Party::read(seg, 2),
            recipient: Party::read(seg, 3),
            reference: text(5, 1).unwrap_or_default(),
            diagnostics: Vec::new(),
            messages: 0,
            offset: seg.offset,
        };
        let Some(open) = self.open.as_mut() else {
            return;
        };
        open.ic.groups += 1;
        open.group = Some(group);
        // S008 (message version) has three components: 0052, 0054, 0057.
        if let Some(extra) = seg.element(7).and_then(|e| e.component(4)) {
            let mut loc = self.here(seg, Some(7), Some(4));
            loc.bad_value = Some(String::from_utf8_lossy(extra).into_owned());
            self.fault(
                code::TOO_MANY_CONSTITUENTS,
                loc,
                format!(
                    "UNG07 (S008 message version) has a component 4 ({:?}) beyond its 3 (group {})",
                    String::from_utf8_lossy(extra),
                    text(5, 1).unwrap_or_default()
                ),
            );
        }
        if let Some(o) = self.open.as_ref()
            && let Some(g) = o.group.as_ref()
        {
            (self.visit)(Event::GroupStart(&o.ic, g));
        }
    }

    fn start_message(&mut self, seg: Segment<'a>) {
        if self.open.as_ref().is_some_and(|o| o.msg.is_some()) {
            self.end_message(None);
        }
        let text = |n: usize, k: usize| seg.text(n, k).map(|t| t.into_owned());
        let reference = text(1, 1).unwrap_or_default();
        let mut segments = std::mem::take(&mut self.spare);
        segments.clear();
        segments.push(seg);
        let msg = MessageEnvelope {
            reference: reference.clone(),
            message_type: text(2, 1).unwrap_or_default(),
            version: text(2, 2).unwrap_or_default(),
            release: text(2, 3).unwrap_or_default(),
            agency: text(2, 4).unwrap_or_default(),
            association: text(2, 5),
            segments,
            diagnostics: Vec::new(),
            offset: seg.offset,
        };
        let Some(open) = self.open.as_mut() else {
            let loc = Location {
                offset: Some(seg.offset),
                segment_id: Some("UNH".into()),
                ..Location::default()
            };
            self.fault(
                code::NOT_SUPPORTED_HERE,
                loc,
                format!(
                    "UNH at byte {} is outside any interchange (no UNB before it)",
                    seg.offset
                ),
            );
            return;
        };
        let duplicate = !reference.is_empty() && !open.refs.insert(reference.clone());
        if open.group.is_none() && open.ic.groups > 0 {
            let loc = self.here(&seg, None, None);
            self.fault(
                code::GROUPS_AND_MESSAGES_MIXED,
                loc,
                format!("UNH {reference} outside a group in an interchange that has groups"),
            );
        }
        if let Some(open) = self.open.as_mut() {
            open.msg = Some(msg);
        }
        if reference.is_empty() {
            let loc = self.here(&seg, Some(1), Some(1));
            self.fault(
                code::MISSING,
                loc,
                "UNH01 message reference is missing".into(),
            );
        }
        if duplicate {
            let mut loc = self.here(&seg, Some(1), Some(1));
            loc.bad_value = Some(reference.clone());
            self.fault(
                code::DUPLICATE,
                loc,
                format!("message reference {reference} (UNH01) is used twice in this interchange"),
            );
        }
        if seg.text(2, 1).is_none()
            || seg.text(2, 2).is_none()
            || seg.text(2, 3).is_none()
            || seg.text(2, 4).is_none()
        {
            let loc = self.here(&seg, Some(2), None);
            self.fault(
                code::MISSING,
                loc,
                format!("UNH02 message identifier of message {reference} lacks type, version, release or agency"),
            );
        }
    }

    /// Closes the open message at its UNT (or without one), checking UNT01 and UNT02.
    fn end_message(&mut self, unt: Option<Segment<'a>>) {
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

    fn end_group(&mut self, une: Option<&Segment<'a>>) {
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
    fn finish_interchange(&mut self, unz: Option<&Segment<'a>>) {
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

/// The first interchange header in `input`, without walking the rest (identification).
pub fn peek_unb(input: &[u8]) -> Result<UnbHeader, EdifactError> {
    let mut header = None;
    let mut first_error = None;
    let mut reader = Reader::new(input);
    loop {
        match reader.next_segment() {
            Ok(Some(seg)) if seg.is("UNB") => {
                let mut found = None;
                let mut w = Walker {
                    visit: |e: Event<'_, '_>| {
                        if let Event::InterchangeStart(ic) = e {
                            found = Some(ic.header.clone());
                        }
                    },
                    pending_unb_fault: None,
                    repertoire: Repertoire::Reject,
                    open: None,
                    spare: Vec::new(),
                    seen_interchange: false,
                };
                w.start_interchange(&seg, reader.had_una());
                header = found;
                break;
            }
            Ok(Some(_)) => continue,
            Ok(None) => break,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    header.ok_or_else(|| first_error.unwrap_or(EdifactError::NoInterchange { offset: 0 }))
}

/// The length of the longest prefix of `buf` that ends with a complete interchange: just
/// after the last UNZ segment's terminator. 0 when there is none yet. Lets a caller read a
/// file of any size in chunks and hand whole interchanges to [`walk`], so memory follows the
/// largest interchange rather than the file. A tokenizing pass finds it (service characters
/// and release characters are honoured, so a released "UNZ" in data is never taken).
pub fn complete_prefix(buf: &[u8]) -> usize {
    let mut reader = Reader::new(buf);
    let mut end = 0usize;
    loop {
        match reader.next_segment() {
            Ok(Some(seg)) if seg.is("UNZ") && seg.terminated => {
                end = seg.offset + seg.tag.len() + seg.body().len() + 1;
                while buf.get(end).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
                    end += 1;
                }
            }
            Ok(Some(_)) | Err(_) => {}
            Ok(None) => break,
        }
    }
    end
}
