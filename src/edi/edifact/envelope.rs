//! EDIFACT envelope walk and validation: UNB/UNZ, optional UNG/UNE groups, UNH/UNT messages; counts and references, message references unique per interchange, the declared character set checked on every segment. Faults are diagnostics carrying their CONTRL (0085) codes. Streams: one message in memory at a time.
//!
//! Beside it: the types a walk finds (`types.rs`) and closing messages, groups and
//! interchanges at their trailers (`trailers.rs`).

use super::reader::{Reader, ReaderNote, Segment};
use super::{AckCode, Charset, Diagnostic, EdifactError, Location, Repertoire, code};
use std::collections::HashSet;

mod trailers;
mod types;

pub use types::*;

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
    walk_from(input, 0, repertoire, visit)
}

/// [`walk_with`] from byte `start` of `input` (a cut from [`interchange_runs`]), offsets
/// staying those of the whole input.
pub fn walk_from<'a, F>(
    input: &'a [u8],
    start: usize,
    repertoire: Repertoire,
    visit: F,
) -> Result<(), EdifactError>
where
    F: FnMut(Event<'_, 'a>),
{
    let mut reader = Reader::starting_at(input, start);
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
        let offset = start
            + input
                .get(start..)
                .unwrap_or_default()
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

/// Splits `input` into runs of whole interchanges of about `target` bytes each, as
/// `(start, end)` pairs covering all of it in order, so that each run can be walked on its
/// own ([`walk_from`] over `&input[..end]` from `start`) with the same events as one walk
/// (file-level findings aside: each run reports its junk at its own end). A cut is made only
/// just after a UNZ segment the tokenizer read (service and release characters honoured)
/// and its CR/LF, where the next interchange's UNA or UNB begins at once: a reader starting
/// there is in the state the walk's reader is in. One run means "do not split".
pub fn interchange_runs(input: &[u8], target: usize) -> Vec<(usize, usize)> {
    let target = target.max(1);
    let mut runs = Vec::new();
    let mut start = 0usize;
    if input.len() <= target.saturating_mul(2) {
        return vec![(0, input.len())];
    }
    let mut reader = Reader::new(input);
    loop {
        match reader.next_segment() {
            Ok(Some(seg)) if seg.is("UNZ") && seg.terminated => {
                let mut end = seg.offset + seg.tag.len() + seg.body().len() + 1;
                while input.get(end).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
                    end += 1;
                }
                let next = input.get(end..).unwrap_or_default();
                if end - start >= target
                    && input.len() - end >= target
                    && (next.starts_with(b"UNB") || next.starts_with(b"UNA"))
                {
                    runs.push((start, end));
                    start = end;
                }
            }
            Ok(Some(_)) | Err(_) => {}
            Ok(None) => break,
        }
    }
    runs.push((start, input.len()));
    runs
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
