//! Streaming zero-copy X12 tokenizer over `&[u8]`: finds each ISA, reads its delimiters and yields segments as slices. Must not depend on I/O, async or the database, and must not allocate per segment or element.

use super::{Delimiters, X12Error};
use crate::edi::scan::find_byte;
use memchr::memchr;

/// Blank bytes tolerated between interchanges and around the file (not data).
#[inline]
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0B | 0x0C | 0x00 | 0x1A)
}

/// Compares a segment id with a short literal without a memcmp call (ids are 2–3 bytes and
/// this runs several times per segment).
#[inline]
fn id_is(id: &[u8], want: &[u8]) -> bool {
    id.len() == want.len() && id.iter().zip(want).all(|(a, b)| a == b)
}

/// Outcome of reading one non-ISA segment at the current position.
enum Scan<'a> {
    Segment(Segment<'a>),
    /// Empty segment (two terminators in a row): nothing to yield, keep going.
    Empty,
    /// Only blanks were left: the interchange (and the input) ended.
    End,
}

/// One segment, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Segment identifier (bytes before the first element separator).
    pub id: &'a [u8],
    /// Everything after the id, starting with the element separator (empty when there are no elements).
    rest: &'a [u8],
    pub delimiters: Delimiters,
    /// 1-based position within the transaction set (ST = 1); for envelope segments
    /// outside a set, position within the interchange (ISA = 1).
    pub position: u32,
    /// Byte offset of the segment id in the input.
    pub offset: usize,
    /// False when the input ended before this segment's terminator.
    pub terminated: bool,
}

impl<'a> Segment<'a> {
    /// Segment id as text (ids are ASCII; anything else is shown lossily).
    pub fn id_str(&self) -> std::borrow::Cow<'a, str> {
        String::from_utf8_lossy(self.id)
    }

    pub fn is(&self, id: &str) -> bool {
        id_is(self.id, id.as_bytes())
    }

    /// The elements in order (the first is element 1), as slices of the input.
    #[inline]
    pub fn elements(&self) -> Elements<'a> {
        // `rest` starts with the separator that opens element 1; empty means no elements.
        match self.rest.split_first() {
            Some((_, body)) => Elements::new(body, self.delimiters.element),
            None => Elements::empty(),
        }
    }

    /// The bytes after the segment id: every element with its leading separator.
    pub fn elements_bytes(&self) -> &'a [u8] {
        self.rest
    }

    /// Element `n` (1-based, as in "BEG03"); `None` when absent. An empty element is `Some(b"")`.
    pub fn element(&self, n: usize) -> Option<&'a [u8]> {
        if n == 0 || self.rest.is_empty() {
            return None;
        }
        // One pass over the bytes: skip n-1 separators, then cut at the next one. Mappers ask
        // for many elements of short segments; this beats driving the iterator each time.
        let sep = self.delimiters.element;
        let body = self.rest.get(1..)?;
        let mut start = 0usize;
        let mut left = n - 1;
        if left > 0 {
            let mut found = false;
            for (i, &b) in body.iter().enumerate() {
                if b == sep {
                    left -= 1;
                    if left == 0 {
                        start = i + 1;
                        found = true;
                        break;
                    }
                }
            }
            if !found {
                return None;
            }
        }
        let tail = body.get(start..)?;
        let end = tail.iter().position(|&b| b == sep).unwrap_or(tail.len());
        tail.get(..end)
    }

    /// Element `n`, treating empty as absent.
    pub fn value(&self, n: usize) -> Option<&'a [u8]> {
        self.element(n).filter(|e| !e.is_empty())
    }

    /// Element `n` as (lossy) text, empty treated as absent.
    pub fn text(&self, n: usize) -> Option<compact_str::CompactString> {
        self.value(n).map(super::compact_text)
    }

    /// Number of elements (trailing empties included as written).
    #[inline]
    pub fn element_count(&self) -> usize {
        self.elements().count()
    }

    /// Components of element `n`, split on the component separator.
    pub fn components(&self, n: usize) -> Split<'a> {
        Split::new(
            self.element(n).unwrap_or(&[]),
            Some(self.delimiters.component),
        )
    }

    /// Repetitions of element `n`; a single item when the interchange has no repetition separator.
    pub fn repetitions(&self, n: usize) -> Split<'a> {
        Split::new(self.element(n).unwrap_or(&[]), self.delimiters.repetition)
    }
}

/// Iterator over a segment's elements (1-based order): the shared word-at-a-time splitter.
pub type Elements<'a> = crate::edi::scan::SplitBy<'a>;

/// Splits a slice on an optional separator (components, repetitions).
#[derive(Debug, Clone)]
pub struct Split<'a> {
    rest: &'a [u8],
    sep: Option<u8>,
    done: bool,
}

impl<'a> Split<'a> {
    fn new(rest: &'a [u8], sep: Option<u8>) -> Self {
        Split {
            rest,
            sep,
            done: false,
        }
    }
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.done {
            return None;
        }
        match self
            .sep
            .and_then(|s| self.rest.iter().position(|&b| b == s))
        {
            Some(i) => {
                let head = self.rest.get(..i);
                self.rest = self.rest.get(i + 1..).unwrap_or(&[]);
                head
            }
            None => {
                self.done = true;
                Some(self.rest)
            }
        }
    }
}

/// Delimiters and layout of one ISA found in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsaLayout {
    pub delimiters: Delimiters,
    /// Offset of "ISA".
    pub start: usize,
    /// Offset of the segment terminator byte.
    pub terminator_at: usize,
}

/// Reads the delimiters of the ISA starting at `start` (which must point at "ISA").
/// The ISA is not assumed fixed-width: the 16 element separators are searched for.
pub fn read_isa_layout(input: &[u8], start: usize) -> Result<IsaLayout, X12Error> {
    let bad = |reason: String| X12Error::InvalidIsa {
        offset: start,
        reason,
    };
    let isa = input.get(start..).unwrap_or(&[]);
    if isa.get(..3) != Some(b"ISA".as_slice()) {
        return Err(bad("does not start with ISA".into()));
    }
    let elem = *isa
        .get(3)
        .ok_or_else(|| bad("input ends after ISA".into()))?;
    if elem.is_ascii_alphanumeric() || matches!(elem, b' ' | b'\r' | b'\n') {
        return Err(bad(format!(
            "element separator 0x{elem:02X} is a letter, digit, space or line break"
        )));
    }
    // Positions of the 16 element separators.
    // Positions of the 16 element separators; the first is always at offset 3.
    let mut seps = [3usize; 16];
    let mut at = 3usize;
    for (k, slot) in seps.iter_mut().enumerate().skip(1) {
        let from = at + 1;
        let rest = isa.get(from..).unwrap_or(&[]);
        // Data elements of a real ISA are at most 15 bytes; a separator further away means
        // the element separator guess is wrong or the header is truncated.
        match memchr(elem, rest.get(..rest.len().min(64)).unwrap_or(&[])) {
            Some(i) => {
                at = from + i;
                *slot = at;
            }
            None => {
                return Err(bad(format!(
                    "only {k} of 16 element separators (0x{elem:02X}) found"
                )));
            }
        }
    }
    let component = *isa
        .get(at + 1)
        .ok_or_else(|| bad("input ends before ISA16".into()))?;
    let segment = *isa
        .get(at + 2)
        .ok_or_else(|| bad("input ends before the segment terminator".into()))?;
    let field = |n: usize| -> &[u8] {
        // ISA element n (1..=15) lies between separator n-1 and separator n.
        let (Some(&a), Some(&b)) = (seps.get(n - 1), seps.get(n)) else {
            return &[];
        };
        isa.get(a + 1..b).unwrap_or(&[])
    };
    let version = field(12);
    let isa11 = field(11);
    let repetition = match (isa11, version >= b"00402".as_slice()) {
        ([r], true) if !r.is_ascii_alphanumeric() && *r != b' ' => Some(*r),
        _ => None,
    };
    let delimiters = Delimiters {
        element: elem,
        component,
        segment,
        repetition,
        newline_after_segment: false,
    };
    if component == elem || segment == elem || segment == component {
        return Err(bad(format!(
            "delimiters are not distinct (element 0x{elem:02X}, component 0x{component:02X}, segment 0x{segment:02X})"
        )));
    }
    if segment.is_ascii_alphanumeric() || segment == b' ' {
        return Err(bad(format!(
            "segment terminator 0x{segment:02X} is a letter, digit or space"
        )));
    }
    let mut delimiters = delimiters;
    if delimiters
        .repetition
        .is_some_and(|r| r == component || r == segment || r == elem)
    {
        delimiters.repetition = None;
    }
    Ok(IsaLayout {
        delimiters,
        start,
        terminator_at: start + at + 2,
    })
}

/// Something the reader noticed that is not a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderNote {
    /// Non-blank bytes outside any interchange (after an IEA), skipped.
    Junk { offset: usize, len: usize },
}

/// Streaming tokenizer. Iterate with [`Reader::next_segment`].
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    delims: Option<Delimiters>,
    in_interchange: bool,
    position: u32,
    set_position: u32,
    in_set: bool,
    notes: Vec<ReaderNote>,
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Self::starting_at(input, 0)
    }

    /// A reader of `input` that begins at byte `start`, outside any interchange, so that
    /// offsets stay those of the whole input (the parallel translator reads one run of
    /// interchanges per thread this way).
    pub fn starting_at(input: &'a [u8], start: usize) -> Self {
        // A UTF-8 byte order mark is tolerated at the very start.
        let pos = if start == 0 && input.starts_with(&[0xEF, 0xBB, 0xBF]) {
            3
        } else {
            start.min(input.len())
        };
        Reader {
            input,
            pos,
            delims: None,
            in_interchange: false,
            position: 0,
            set_position: 0,
            in_set: false,
            notes: Vec::new(),
        }
    }

    /// Junk found outside interchanges so far.
    pub fn notes(&self) -> &[ReaderNote] {
        &self.notes
    }

    /// Delimiters of the current interchange.
    pub fn delimiters(&self) -> Option<Delimiters> {
        self.delims
    }

    #[inline]
    fn skip_blank(&mut self) {
        while self.input.get(self.pos).is_some_and(|&b| is_blank(b)) {
            self.pos += 1;
        }
    }

    #[inline]
    fn at_isa(&self) -> bool {
        match self.input.get(self.pos..self.pos + 4) {
            Some([b'I', b'S', b'A', sep]) => !sep.is_ascii_alphanumeric(),
            _ => false,
        }
    }

    /// Next segment, `Ok(None)` at the end. `Err` only when an ISA cannot be read
    /// (after an error the reader skips to the next "ISA", so callers may continue).
    #[inline]
    pub fn next_segment(&mut self) -> Result<Option<Segment<'a>>, X12Error> {
        // Fast path: inside an interchange, at a byte that can start neither a blank line
        // nor an ISA, the segment is read directly; everything else takes the full loop.
        if self.in_interchange
            && let Some(d) = self.delims
            && let Some(&b) = self.input.get(self.pos)
            && b != b'I'
            && b != b'\r'
            && b != b'\n'
            && let Scan::Segment(seg) = self.scan_segment(d)
        {
            return Ok(Some(seg));
        }
        // `Scan::Empty` left the position after the empty segment and `Scan::End` left it at
        // the end of the input: the full loop resumes from there exactly as it would have.
        self.next_segment_slow()
    }

    #[inline(never)]
    fn next_segment_slow(&mut self) -> Result<Option<Segment<'a>>, X12Error> {
        loop {
            if !self.in_interchange {
                self.skip_blank();
                if self.pos >= self.input.len() {
                    return Ok(None);
                }
                if !self.at_isa() {
                    let rest = self.input.get(self.pos..).unwrap_or(&[]);
                    // Search from the next byte so a bare "ISA" that is not a header always makes progress.
                    let next = rest
                        .get(1..)
                        .and_then(|r| memchr::memmem::find(r, b"ISA"))
                        .map(|i| i + 1);
                    if self.delims.is_none() && next.is_none() {
                        let offset = self.pos;
                        self.pos = self.input.len();
                        return Err(X12Error::NoInterchange { offset });
                    }
                    let len = next.unwrap_or(rest.len());
                    self.notes.push(ReaderNote::Junk {
                        offset: self.pos,
                        len,
                    });
                    self.pos += len;
                    continue;
                }
            } else {
                // Tolerate blank lines between segments unless a line break is a delimiter.
                while let Some(&b) = self.input.get(self.pos) {
                    // Cheap test first: most segments do not start with a line break.
                    if (b == b'\r' || b == b'\n') && !self.delims.is_some_and(|d| d.is_delimiter(b))
                    {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                if self.pos >= self.input.len() {
                    self.in_interchange = false;
                    return Ok(None);
                }
            }
            if self.at_isa() {
                return self.read_isa().map(Some);
            }
            let Some(d) = self.delims else {
                // Unreachable in practice (in_interchange implies delimiters); stay safe.
                self.in_interchange = false;
                continue;
            };
            match self.scan_segment(d) {
                Scan::Segment(seg) => return Ok(Some(seg)),
                Scan::Empty => continue,
                Scan::End => return Ok(None),
            }
        }
    }

    /// Reads the (non-ISA) segment starting at the current position and moves past its
    /// terminator and any line break after it.
    #[inline(always)]
    fn scan_segment(&mut self, d: Delimiters) -> Scan<'a> {
        let start = self.pos;
        let rest = self.input.get(start..).unwrap_or(&[]);
        let (body, terminated) = match find_byte(rest, d.segment) {
            Some(i) => {
                self.pos = start + i + 1;
                self.skip_line_break(d.segment);
                (rest.get(..i).unwrap_or(&[]), true)
            }
            None => {
                self.pos = self.input.len();
                // An unterminated tail made only of blanks is not a segment.
                let trimmed_len = rest
                    .iter()
                    .rposition(|&b| !is_blank(b))
                    .map_or(0, |p| p + 1);
                if trimmed_len == 0 {
                    self.in_interchange = false;
                    return Scan::End;
                }
                (rest.get(..trimmed_len).unwrap_or(&[]), false)
            }
        };
        if body.is_empty() {
            return Scan::Empty;
        }
        // Ids are 2 or 3 bytes: look for the separator there before searching the rest.
        let sep_at = match body.iter().take(4).position(|&b| b == d.element) {
            Some(i) => Some(i),
            None => memchr(d.element, body),
        };
        let (id, seg_rest) = match sep_at {
            Some(i) => (body.get(..i).unwrap_or(&[]), body.get(i..).unwrap_or(&[])),
            None => (body, &[][..]),
        };
        // Positions count within the set (ST = 1); outside sets they count within the interchange.
        if id_is(id, b"ST") {
            self.in_set = true;
            self.set_position = 0;
        }
        let position = if self.in_set {
            self.set_position = self.set_position.saturating_add(1);
            self.set_position
        } else {
            self.position = self.position.saturating_add(1);
            self.position
        };
        let seg = Segment {
            id,
            rest: seg_rest,
            delimiters: d,
            position,
            offset: start,
            terminated,
        };
        if id_is(id, b"SE") {
            self.in_set = false;
        }
        if id_is(id, b"IEA") {
            self.in_interchange = false;
        }
        Scan::Segment(seg)
    }

    /// After a terminator, skip CR, LF or CRLF (and the other one when the terminator is itself CR or LF).
    #[inline]
    fn skip_line_break(&mut self, terminator: u8) {
        let next = self.input.get(self.pos).copied();
        match (terminator, next) {
            (b'\r', Some(b'\n')) | (b'\n', Some(b'\r')) => self.pos += 1,
            (b'\r' | b'\n', _) => {}
            (_, Some(b'\r')) => {
                self.pos += 1;
                if self.input.get(self.pos) == Some(&b'\n') {
                    self.pos += 1;
                }
            }
            (_, Some(b'\n')) => self.pos += 1,
            _ => {}
        }
    }

    fn read_isa(&mut self) -> Result<Segment<'a>, X12Error> {
        let start = self.pos;
        match read_isa_layout(self.input, start) {
            Ok(layout) => {
                let d = layout.delimiters;
                self.delims = Some(d);
                self.in_interchange = true;
                self.in_set = false;
                self.position = 1;
                let body = self.input.get(start..layout.terminator_at).unwrap_or(&[]);
                self.pos = layout.terminator_at + 1;
                self.skip_line_break(d.segment);
                Ok(Segment {
                    id: body.get(..3).unwrap_or(&[]),
                    rest: body.get(3..).unwrap_or(&[]),
                    delimiters: d,
                    position: 1,
                    offset: start,
                    terminated: true,
                })
            }
            Err(e) => {
                // Skip past this "ISA" so a caller can resume at the next interchange.
                self.in_interchange = false;
                let after = start + 3;
                let rest = self.input.get(after..).unwrap_or(&[]);
                self.pos =
                    memchr::memmem::find(rest, b"ISA").map_or(self.input.len(), |i| after + i);
                if self.delims.is_none() {
                    // Remember that we did see an interchange attempt, so later junk is junk.
                    self.delims = Some(Delimiters::default());
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests;
