//! Streaming zero-copy EDIFACT tokenizer over `&[u8]`: reads each interchange's UNA (or takes the defaults), honours the release character, and yields segments as slices; elements and components are split on demand and unescaped only when asked for text. Must not allocate per segment or element.

use super::{Charset, EdifactError, ServiceChars};
use crate::edi::scan::{SplitBy, find_byte, find_either};
use std::borrow::Cow;

/// Blank bytes tolerated between segments and interchanges (not data).
#[inline]
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0B | 0x0C | 0x00 | 0x1A)
}

/// One segment, borrowed from the input. Element and component access is 1-based, as the
/// standard numbers them ("NAD02" is the second element).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The segment tag ("UNH", "NAD").
    pub tag: &'a [u8],
    /// Everything after the tag, starting with the element separator (empty when the
    /// segment has no elements). Release characters are still in place.
    rest: &'a [u8],
    pub chars: ServiceChars,
    /// The character set UNB declared (for text and the character checks).
    pub charset: Charset,
    /// 1-based position within the message (UNH = 1); for service segments outside a
    /// message, the position within the interchange (UNB = 1).
    pub position: u32,
    /// Byte offset of the tag in the input.
    pub offset: usize,
    /// False when the input ended before this segment's terminator.
    pub terminated: bool,
    /// True when a release character occurs in the segment (the slow, exact split is used).
    escaped: bool,
}

impl<'a> Segment<'a> {
    pub fn tag_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.tag)
    }

    pub fn is(&self, tag: &str) -> bool {
        self.tag == tag.as_bytes()
    }

    /// The bytes after the tag (every element with its leading separator), escapes kept.
    pub fn body(&self) -> &'a [u8] {
        self.rest
    }

    /// The elements in order (the first is element 1).
    #[inline]
    pub fn elements(&self) -> Elements<'a> {
        let pieces = match self.rest.split_first() {
            None => Pieces::Fast(SplitBy::empty()),
            Some((_, body)) => Pieces::new(body, self.chars.element, self.chars, self.escaped),
        };
        Elements {
            pieces,
            chars: self.chars,
            charset: self.charset,
            escaped: self.escaped,
        }
    }

    /// Element `n` (1-based); `None` when absent.
    pub fn element(&self, n: usize) -> Option<Element<'a>> {
        self.elements().nth(n.checked_sub(1)?)
    }

    pub fn element_count(&self) -> usize {
        self.elements().count()
    }

    /// Component `k` of element `n` (both 1-based) as raw bytes (escapes kept).
    pub fn raw(&self, n: usize, k: usize) -> Option<&'a [u8]> {
        self.element(n)?.component(k)
    }

    /// Component `k` of element `n` as text (release characters removed, decoded from the
    /// declared character set); `None` when absent or empty.
    pub fn text(&self, n: usize, k: usize) -> Option<Cow<'a, str>> {
        let raw = self.raw(n, k).filter(|r| !r.is_empty())?;
        Some(unescape(raw, self.chars.release, self.charset))
    }
}

/// One element of a segment: simple, composite (components) or repeated (syntax 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element<'a> {
    /// The element's bytes, release characters in place.
    pub raw: &'a [u8],
    chars: ServiceChars,
    charset: Charset,
    escaped: bool,
}

impl<'a> Element<'a> {
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The components of the first repetition (one for a simple element).
    pub fn components(&self) -> Pieces<'a> {
        let first = self.repetitions().next().unwrap_or(self.raw);
        Pieces::new(first, self.chars.component, self.chars, self.escaped)
    }

    /// Component `k` (1-based) of the first repetition.
    pub fn component(&self, k: usize) -> Option<&'a [u8]> {
        self.components().nth(k.checked_sub(1)?)
    }

    /// Repetitions of the element (syntax 4); one when there is no repetition separator.
    pub fn repetitions(&self) -> Pieces<'a> {
        match self.chars.repetition {
            Some(r) => Pieces::new(self.raw, r, self.chars, self.escaped),
            None => Pieces::One(Some(self.raw)),
        }
    }

    /// The whole element as text (for simple elements).
    pub fn text(&self) -> Cow<'a, str> {
        unescape(self.raw, self.chars.release, self.charset)
    }
}

/// Iterator over a segment's elements.
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    pieces: Pieces<'a>,
    chars: ServiceChars,
    charset: Charset,
    escaped: bool,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Element<'a>;
    #[inline]
    fn next(&mut self) -> Option<Element<'a>> {
        let raw = self.pieces.next()?;
        // The exact walk saw whether this piece holds a release character; the fast split
        // only runs on segments that hold none.
        let escaped = match &self.pieces {
            Pieces::Escaped(s) => s.last_released,
            _ => false,
        };
        Some(Element {
            raw,
            chars: self.chars,
            charset: self.charset,
            escaped: self.escaped && escaped,
        })
    }
}

/// Pieces of a byte slice between separators: the word-at-a-time splitter when no release
/// character occurs, an exact byte walk that skips released bytes otherwise.
#[derive(Debug, Clone)]
pub enum Pieces<'a> {
    Fast(SplitBy<'a>),
    Escaped(EscapedSplit<'a>),
    /// A single piece (an element when there is no repetition separator).
    One(Option<&'a [u8]>),
}

impl<'a> Pieces<'a> {
    fn new(body: &'a [u8], sep: u8, chars: ServiceChars, escaped: bool) -> Self {
        match chars.release {
            Some(release) if escaped => Pieces::Escaped(EscapedSplit {
                rest: body,
                sep,
                release,
                done: false,
                last_released: false,
            }),
            _ => Pieces::Fast(SplitBy::new(body, sep)),
        }
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        match self {
            Pieces::Fast(s) => s.next(),
            Pieces::Escaped(s) => s.next(),
            Pieces::One(p) => p.take(),
        }
    }
}

/// Splits on `sep` except where the release character precedes it.
#[derive(Debug, Clone)]
pub struct EscapedSplit<'a> {
    rest: &'a [u8],
    sep: u8,
    release: u8,
    done: bool,
    /// Whether the piece last handed out held a release character.
    last_released: bool,
}

impl<'a> Iterator for EscapedSplit<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.done {
            return None;
        }
        let mut i = 0usize;
        self.last_released = false;
        while let Some(&b) = self.rest.get(i) {
            if b == self.release {
                self.last_released = true;
                i += 2;
                continue;
            }
            if b == self.sep {
                let piece = self.rest.get(..i);
                self.rest = self.rest.get(i + 1..).unwrap_or_default();
                return piece;
            }
            i += 1;
        }
        self.done = true;
        Some(self.rest)
    }
}

/// Data text of raw element bytes: release characters removed, decoded from the declared
/// character set (Latin-1 sets byte by byte, everything else as UTF-8, lossily).
pub fn unescape(raw: &[u8], release: Option<u8>, charset: Charset) -> Cow<'_, str> {
    let needs_release = release.is_some_and(|r| raw.contains(&r));
    if !needs_release {
        return charset.decode(raw);
    }
    let r = release.unwrap_or(0);
    let mut bytes = Vec::with_capacity(raw.len());
    let mut it = raw.iter();
    while let Some(&b) = it.next() {
        if b == r {
            if let Some(&next) = it.next() {
                bytes.push(next);
            }
        } else {
            bytes.push(b);
        }
    }
    Cow::Owned(charset.decode(&bytes).into_owned())
}

/// Something the reader noticed that is not a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderNote {
    /// Bytes outside any interchange (neither UNA nor UNB), skipped.
    Junk { offset: usize, len: usize },
}

/// Streaming tokenizer. Iterate with [`Reader::next_segment`].
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    chars: ServiceChars,
    charset: Charset,
    in_interchange: bool,
    in_message: bool,
    /// Service segments read in this interchange (UNB = 1).
    position: u32,
    /// Segments read in this message (UNH = 1).
    message_position: u32,
    /// Whether the interchange being read announced its characters in a UNA.
    una: bool,
    notes: Vec<ReaderNote>,
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Self::starting_at(input, 0)
    }

    /// A reader of `input` that begins at byte `start`, outside any interchange, offsets
    /// staying those of the whole input.
    pub fn starting_at(input: &'a [u8], start: usize) -> Self {
        let pos = if start == 0 && input.starts_with(&[0xEF, 0xBB, 0xBF]) {
            3
        } else {
            start.min(input.len())
        };
        Reader {
            input,
            pos,
            chars: ServiceChars::DEFAULT,
            charset: Charset::Unoa,
            in_interchange: false,
            in_message: false,
            position: 0,
            message_position: 0,
            una: false,
            notes: Vec::new(),
        }
    }

    /// Junk found outside interchanges so far.
    pub fn notes(&self) -> &[ReaderNote] {
        &self.notes
    }

    /// The service characters of the current interchange.
    pub fn chars(&self) -> ServiceChars {
        self.chars
    }

    /// Whether the current interchange began with a UNA.
    pub fn had_una(&self) -> bool {
        self.una
    }

    fn skip_blanks(&mut self) {
        while self.input.get(self.pos).is_some_and(|&b| is_blank(b)) {
            self.pos += 1;
        }
    }

    /// The next segment; `Ok(None)` at the end of the input. `Err` for an unusable UNA
    /// (reading goes on after it at the next call).
    pub fn next_segment(&mut self) -> Result<Option<Segment<'a>>, EdifactError> {
        loop {
            if !self.in_interchange {
                self.skip_blanks();
                let Some(rest) = self.input.get(self.pos..).filter(|r| !r.is_empty()) else {
                    return Ok(None);
                };
                if rest.starts_with(b"UNA") {
                    let at = self.pos;
                    let six = rest.get(3..9).unwrap_or(rest.get(3..).unwrap_or_default());
                    self.pos = (at + 9).min(self.input.len());
                    match ServiceChars::from_una(six) {
                        Ok(c) => {
                            self.chars = c;
                            self.una = true;
                            self.start_interchange_if_unb();
                            if !self.in_interchange {
                                // A UNA must be followed by its UNB: what follows is junk
                                // until the next header.
                                self.una = false;
                            }
                            continue;
                        }
                        Err(reason) => {
                            self.una = false;
                            return Err(EdifactError::InvalidUna { offset: at, reason });
                        }
                    }
                }
                if rest.starts_with(b"UNB") {
                    self.chars = if rest.get(3) == Some(&0x1D) {
                        ServiceChars::INFORMATION_SEPARATORS
                    } else {
                        ServiceChars::DEFAULT
                    };
                    self.una = false;
                    self.in_interchange = true;
                    self.in_message = false;
                    self.position = 0;
                } else {
                    self.skip_junk();
                    continue;
                }
            }
            self.skip_blanks();
            let start = self.pos;
            let Some(rest) = self.input.get(start..).filter(|r| !r.is_empty()) else {
                // The input ended inside an interchange: the envelope layer reports the
                // missing trailer.
                self.in_interchange = false;
                return Ok(None);
            };
            if rest.starts_with(b"UNA") {
                // A new interchange without the previous one's UNZ.
                self.in_interchange = false;
                continue;
            }
            let (len, escaped, terminated) = segment_len(rest, self.chars);
            let body = rest.get(..len).unwrap_or(rest);
            self.pos = start + len + usize::from(terminated);
            let tag_len = body
                .iter()
                .position(|&b| b == self.chars.element)
                .unwrap_or(body.len());
            let (tag, after) = body.split_at(tag_len);
            // Service segments all start with "UN": their third letter tells them apart
            // without a comparison call per segment.
            let service = match tag {
                [b'U', b'N', third] => Some(*third),
                _ => None,
            };
            if service == Some(b'B') {
                self.read_unb(after);
                self.position = 0;
                self.in_message = false;
            }
            let position = if service == Some(b'H') {
                self.in_message = true;
                self.position_in_message(true)
            } else if self.in_message {
                self.position_in_message(false)
            } else {
                self.position = self.position.saturating_add(1);
                self.position
            };
            match service {
                Some(b'T') => self.in_message = false,
                Some(b'Z') => self.in_interchange = false,
                _ => {}
            }
            return Ok(Some(Segment {
                tag,
                rest: after,
                chars: self.chars,
                charset: self.charset,
                position,
                offset: start,
                terminated,
                escaped,
            }));
        }
    }

    /// Message positions count from UNH = 1, apart from the interchange's own count.
    fn position_in_message(&mut self, first: bool) -> u32 {
        if first {
            self.message_position = 1;
        } else {
            self.message_position = self.message_position.saturating_add(1);
        }
        self.message_position
    }

    /// After a UNA: the interchange starts when UNB follows (blanks allowed between).
    fn start_interchange_if_unb(&mut self) {
        self.skip_blanks();
        if self
            .input
            .get(self.pos..)
            .is_some_and(|r| r.starts_with(b"UNB"))
        {
            self.in_interchange = true;
            self.in_message = false;
            self.position = 0;
        }
    }

    /// Reads UNB's syntax identifier (S001: 0001 charset, 0002 version) so that text and
    /// the repetition separator follow it.
    fn read_unb(&mut self, after_tag: &[u8]) {
        let s001 = after_tag
            .split_first()
            .map(|(_, body)| {
                let end = find_byte(body, self.chars.element).unwrap_or(body.len());
                body.get(..end).unwrap_or_default()
            })
            .unwrap_or_default();
        let mut parts = s001.split(|&b| b == self.chars.component);
        self.charset = parts
            .next()
            .and_then(Charset::from_id)
            .unwrap_or(Charset::Unoa);
        let version = parts
            .next()
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.parse::<u8>().ok())
            .unwrap_or(3);
        self.chars = self.chars.for_version(version, self.una);
    }

    /// Skips bytes that are neither UNA nor UNB up to the next of them, noting them.
    fn skip_junk(&mut self) {
        let start = self.pos;
        let rest = self.input.get(start..).unwrap_or_default();
        let next = memchr::memmem::find_iter(rest, b"UN")
            .find(|&i| i > 0 && matches!(rest.get(i + 2), Some(b'A' | b'B')))
            .unwrap_or(rest.len());
        self.pos = start + next;
        self.notes.push(ReaderNote::Junk {
            offset: start,
            len: next,
        });
    }
}

/// Length of the segment at the start of `rest` (up to its terminator), whether a release
/// character occurs in it, and whether the terminator was found.
#[inline]
fn segment_len(rest: &[u8], chars: ServiceChars) -> (usize, bool, bool) {
    let Some(release) = chars.release else {
        return match find_byte(rest, chars.segment) {
            Some(i) => (i, false, true),
            None => (rest.len(), false, false),
        };
    };
    let mut from = 0usize;
    let mut escaped = false;
    loop {
        let hay = rest.get(from..).unwrap_or_default();
        match find_either(hay, chars.segment, release) {
            Some(i) if hay.get(i) == Some(&chars.segment) => return (from + i, escaped, true),
            Some(i) => {
                escaped = true;
                from += i + 2;
                if from > rest.len() {
                    return (rest.len(), true, false);
                }
            }
            None => return (rest.len(), escaped, false),
        }
    }
}
