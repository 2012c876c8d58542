//! The data layout of the rule tables: segments, elements, loops and code lists as `const` data that one engine interprets.

/// Requirement designator of an element (X12 "M", "O", "X").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Req {
    Mandatory,
    Optional,
    /// Relational ("X"): optional on its own; the segment's syntax notes ([`Note`]) say when
    /// it is required or excluded.
    Conditional,
}

/// Data element type; `N(d)` is numeric with `d` implied decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    AN,
    ID,
    N(u8),
    R,
    DT,
    TM,
    /// A composite whose components are described like elements.
    Comp(&'static [Element]),
}

/// Allowed codes for an ID element. `closed` lists hold every code the standard defines for
/// the element as used here, so anything else is an error (AK403 7); open lists hold the
/// common codes only, so anything else is a warning a human may look at, never a rejection.
#[derive(Debug, PartialEq, Eq)]
pub struct CodeList {
    /// Data element reference number (e.g. 353) for messages.
    pub element: u16,
    pub codes: &'static [&'static str],
    /// `codes` packed by [`pack`], same order: membership is a binary search over integers.
    pub packed: &'static [u64],
    /// The two-character codes of upper-case letters and digits (most codes) as a bit set,
    /// indexed by [`pair_index`]: membership of such a value is one bit test.
    pub pairs: [u64; PAIR_WORDS],
    pub closed: bool,
}

/// Words of [`CodeList::pairs`]: 36 × 36 bits.
pub const PAIR_WORDS: usize = (36 * 36usize).div_ceil(64);

/// 0–35 for `0`–`9`, `A`–`Z`.
#[inline]
const fn base36(b: u8) -> Option<usize> {
    match b {
        b'0'..=b'9' => Some((b - b'0') as usize),
        b'A'..=b'Z' => Some((b - b'A') as usize + 10),
        _ => None,
    }
}

/// Bit of a two-character code of upper-case letters and digits in [`CodeList::pairs`].
#[inline]
pub const fn pair_index(code: &[u8]) -> Option<usize> {
    let &[a, b] = code else {
        return None;
    };
    match (base36(a), base36(b)) {
        (Some(a), Some(b)) => Some(a * 36 + b),
        _ => None,
    }
}

/// The [`CodeList::pairs`] bit set of `codes`.
// `pair_index` is below 36 × 36, so `k / 64` is below PAIR_WORDS; and the tables are built in
// const items, where an index out of range would fail the build.
#[allow(clippy::indexing_slicing)]
pub const fn pair_bits(codes: &[&str]) -> [u64; PAIR_WORDS] {
    let mut bits = [0u64; PAIR_WORDS];
    let mut rest = codes;
    while let [code, tail @ ..] = rest {
        if let Some(k) = pair_index(code.as_bytes()) {
            bits[k / 64] |= 1 << (k % 64);
        }
        rest = tail;
    }
    bits
}

/// A code of at most 8 bytes as one integer: big-endian, left-aligned, zero-padded, so that
/// integer order is the byte order of [`short_cmp`] for codes without NUL bytes.
pub const fn pack(code: &str) -> u64 {
    let b = code.as_bytes();
    assert!(b.len() <= 8, "codes are at most 8 bytes");
    let mut v = 0u64;
    let mut rest = b;
    let mut i = 0;
    while i < 8 {
        v <<= 8;
        if let [c, tail @ ..] = rest {
            v |= *c as u64;
            rest = tail;
        }
        i += 1;
    }
    v
}

/// [`pack`] of every code, same order.
// `codes` has N entries (asserted), so `i < N` is in range of both; built in const items,
// where an index out of range would fail the build.
#[allow(clippy::indexing_slicing)]
pub const fn pack_all<const N: usize>(codes: &[&str]) -> [u64; N] {
    assert!(codes.len() == N);
    let mut out = [0u64; N];
    let mut i = 0;
    while i < N {
        out[i] = pack(codes[i]);
        i += 1;
    }
    out
}

impl CodeList {
    /// Lists are kept sorted by bytes (a test checks every one), so membership is a binary
    /// search (over packed integers for codes up to 8 bytes); two-character codes of letters
    /// and digits, the common case, are one bit test.
    pub fn contains(&self, v: &[u8]) -> bool {
        if let Some(k) = pair_index(v) {
            return self
                .pairs
                .get(k / 64)
                .is_some_and(|w| (w >> (k % 64)) & 1 == 1);
        }
        if v.len() <= 8 && self.packed.len() == self.codes.len() {
            let mut key = 0u64;
            let mut nul = false;
            for &b in v {
                key = (key << 8) | u64::from(b);
                nul |= b == 0;
            }
            if !nul {
                // Left-align: the remaining bytes are the zero padding of `pack`.
                let key = key.checked_shl(8 * (8 - v.len() as u32)).unwrap_or(0);
                return self.packed.binary_search(&key).is_ok();
            }
        }
        self.codes
            .binary_search_by(|c| short_cmp(c.as_bytes(), v))
            .is_ok()
    }
}

/// Byte-wise order of short codes without a memcmp call (codes are 1 to 4 bytes).
#[inline]
fn short_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

/// How an element differs between 4010 and 5010 (5010 tables are the 4010 ones plus these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V5 {
    Same,
    /// 5010 allows a different maximum length.
    Max(u16),
    /// The element exists from 5010 on only.
    Added,
}

/// One element (or component) position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element {
    /// Data element reference number (e.g. 373 for a date), 0 for composites.
    pub reference: u16,
    pub req: Req,
    pub ty: Ty,
    pub min: u16,
    pub max: u16,
    pub codes: Option<&'static CodeList>,
    pub v5: V5,
    /// Maximum repetitions (X12 5010 repeating elements); 1 for an element that does not repeat.
    pub repeat: u16,
}

impl Element {
    pub const fn codes(mut self, list: &'static CodeList) -> Self {
        self.codes = Some(list);
        self
    }
    pub const fn max5010(mut self, max: u16) -> Self {
        self.v5 = V5::Max(max);
        self
    }
    pub const fn added5010(mut self) -> Self {
        self.v5 = V5::Added;
        self
    }
    /// The element may repeat up to `n` times (split on the ISA11 repetition separator).
    pub const fn repeats(mut self, n: u16) -> Self {
        self.repeat = n;
        self
    }
    /// Maximum length for the version in force.
    pub fn max_for(&self, v5010: bool) -> u16 {
        match self.v5 {
            V5::Max(m) if v5010 => m,
            _ => self.max,
        }
    }
}

const fn el(reference: u16, req: Req, ty: Ty, min: u16, max: u16) -> Element {
    Element {
        reference,
        req,
        ty,
        min,
        max,
        codes: None,
        v5: V5::Same,
        repeat: 1,
    }
}
/// Mandatory element.
pub const fn m(reference: u16, ty: Ty, min: u16, max: u16) -> Element {
    el(reference, Req::Mandatory, ty, min, max)
}
/// Optional element.
pub const fn o(reference: u16, ty: Ty, min: u16, max: u16) -> Element {
    el(reference, Req::Optional, ty, min, max)
}
/// Conditional ("X") element.
pub const fn x(reference: u16, ty: Ty, min: u16, max: u16) -> Element {
    el(reference, Req::Conditional, ty, min, max)
}
/// Composite element; its length bounds are unused.
pub const fn comp(req: Req, parts: &'static [Element]) -> Element {
    el(0, req, Ty::Comp(parts), 0, 0)
}

/// A segment of the dictionary: id, name, element list and syntax notes.
#[derive(Debug, PartialEq, Eq)]
pub struct SegmentDef {
    pub id: &'static str,
    pub name: &'static str,
    pub elements: &'static [Element],
    /// One past the last mandatory element of `elements` (0 when none): a segment that ends
    /// at or after it cannot be missing a mandatory element, whatever the version.
    pub mandatory_end: usize,
    /// The X12 syntax notes (relational conditions) between the elements, checked after the
    /// elements themselves.
    pub notes: &'static [Note],
}

/// See [`SegmentDef::mandatory_end`].
pub const fn mandatory_end(elements: &[Element]) -> usize {
    let mut end = 0;
    let mut i = 0;
    let mut rest = elements;
    while let [e, tail @ ..] = rest {
        i += 1;
        if matches!(e.req, Req::Mandatory) {
            end = i;
        }
        rest = tail;
    }
    end
}

/// Kind of an X12 syntax note, named by its letter in the standard ("P0607", "R0203", ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// Paired: if any of the elements is present, all of them must be.
    P,
    /// Required: at least one of the elements must be present.
    R,
    /// Exclusion: at most one of the elements may be present.
    E,
    /// Conditional: if the first element is present, all the others must be.
    C,
    /// List conditional: if the first element is present, at least one of the others must be.
    L,
}

/// The versions a syntax note holds in (the tables serve 004xxx and 005xxx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteIn {
    Both,
    Only4010,
    From5010,
}

/// One syntax note of a segment: its kind and the 1-based element positions it names, in the
/// order the standard lists them (the order matters for C and L: the first one is the trigger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Note {
    pub kind: NoteKind,
    pub elements: &'static [u8],
    pub versions: NoteIn,
    /// `elements` as bits (position p is bit p-1), so a note that holds is told in a few
    /// instructions: most segments keep every note, and PO1/LIN carry a dozen.
    mask: u64,
}

/// Bits of the positions 1..=64 in `elements`.
const fn mask_of(elements: &[u8]) -> u64 {
    let mut m = 0u64;
    let mut rest = elements;
    while let [p, tail @ ..] = rest {
        let p = *p;
        if p >= 1 && p <= 64 {
            m |= 1u64 << (p - 1);
        }
        rest = tail;
    }
    m
}

/// 1-based positions 0..=64 as one slice, so notes can name runs of positions in `const` code.
const POSITIONS: &[u8] = &[
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49,
    50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64,
];

impl Note {
    pub const fn new(kind: NoteKind, elements: &'static [u8]) -> Note {
        Note {
            kind,
            elements,
            versions: NoteIn::Both,
            mask: mask_of(elements),
        }
    }
    /// The note holds under 004xxx only.
    pub const fn only4010(mut self) -> Note {
        self.versions = NoteIn::Only4010;
        self
    }
    /// The note holds from 005xxx on only.
    pub const fn from5010(mut self) -> Note {
        self.versions = NoteIn::From5010;
        self
    }
    /// True when the note is part of the version in force.
    pub fn applies(&self, v5010: bool) -> bool {
        match self.versions {
            NoteIn::Both => true,
            NoteIn::Only4010 => !v5010,
            NoteIn::From5010 => v5010,
        }
    }

    /// Checks the note against `present` (bit `n - 1` set when element `n` holds data).
    /// `None` when it holds; otherwise the position to report: the first missing element for
    /// P and C, the first listed element for R and L (L: the first of the others), the second
    /// present element for E. One position per violated note, so one AK4/IK4 per note.
    #[inline]
    pub fn violation(&self, present: u64) -> Option<u8> {
        let (first, rest) = self.elements.split_first()?;
        // The note holding is decided from the bits alone; only a violation walks the list
        // to name the element at fault.
        let hit = present & self.mask;
        let first_bit = mask_of(std::slice::from_ref(first));
        let holds = match self.kind {
            NoteKind::P => hit == 0 || hit == self.mask,
            NoteKind::R => hit != 0,
            NoteKind::E => hit.count_ones() <= 1,
            NoteKind::C => hit & first_bit == 0 || hit == self.mask,
            NoteKind::L => hit & first_bit == 0 || hit != first_bit,
        };
        if holds {
            return None;
        }
        let has = |p: u8| (1..=64).contains(&p) && (present >> (p - 1)) & 1 == 1;
        match self.kind {
            NoteKind::P => {
                if self.elements.iter().any(|&p| has(p)) {
                    self.elements.iter().copied().find(|&p| !has(p))
                } else {
                    None
                }
            }
            NoteKind::R => (!self.elements.iter().any(|&p| has(p))).then_some(*first),
            NoteKind::E => self.elements.iter().copied().filter(|&p| has(p)).nth(1),
            NoteKind::C => {
                if has(*first) {
                    rest.iter().copied().find(|&p| !has(p))
                } else {
                    None
                }
            }
            NoteKind::L => {
                if has(*first) && !rest.iter().any(|&p| has(p)) {
                    rest.first().copied()
                } else {
                    None
                }
            }
        }
    }

    /// The AK403/IK403 code of a violation: 10 ("exclusion condition violated") for E, 2
    /// ("conditional required data element missing") for the others.
    pub fn code(&self) -> u16 {
        match self.kind {
            NoteKind::E => 10,
            _ => 2,
        }
    }

    /// The note as the standard writes it, e.g. "P0607" or "R0204050612".
    pub fn label(&self) -> String {
        let letter = match self.kind {
            NoteKind::P => 'P',
            NoteKind::R => 'R',
            NoteKind::E => 'E',
            NoteKind::C => 'C',
            NoteKind::L => 'L',
        };
        let mut s = String::with_capacity(1 + 2 * self.elements.len());
        s.push(letter);
        for p in self.elements {
            s.push_str(&format!("{p:02}"));
        }
        s
    }
}

/// The positions `a..a + n` (1-based, at most 64) as a static slice.
pub const fn run(a: u8, n: u8) -> &'static [u8] {
    let (_, tail) = POSITIONS.split_at(a as usize);
    let (head, _) = tail.split_at(n as usize);
    head
}

/// `head` followed by P notes pairing `first, first + 1`, `first + 2, first + 3`, ... up to
/// `N` notes in all: the qualifier/value pairs of PO1, IT1, LIN and ACK.
// Every index is below both `head.len()` and `N` (the loop conditions); built in const items,
// where an index out of range would fail the build.
#[allow(clippy::indexing_slicing)]
pub const fn with_pair_notes<const N: usize>(head: &[Note], first: u8) -> [Note; N] {
    let mut out = [Note::new(NoteKind::P, &[]); N];
    let mut i = 0;
    while i < head.len() && i < N {
        out[i] = head[i];
        i += 1;
    }
    let mut a = first;
    while i < N {
        out[i] = Note::new(NoteKind::P, run(a, 2));
        a += 2;
        i += 1;
    }
    out
}

/// Usage of a segment or loop in a transaction set table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    Mandatory,
    Optional,
}

/// "> 1" in the standard's tables.
pub const UNBOUNDED: u32 = u32::MAX;

/// One entry of a transaction set table, in table order.
#[derive(Debug, PartialEq, Eq)]
pub enum Node {
    Seg {
        def: &'static SegmentDef,
        usage: Usage,
        max_use: u32,
    },
    /// A loop; its first node must be a `Seg` (the loop's trigger segment).
    Loop {
        id: &'static str,
        usage: Usage,
        max_repeat: u32,
        nodes: &'static [Node],
    },
}

impl Node {
    /// The segment that starts this node (the segment itself, or a loop's first segment).
    pub fn trigger(&self) -> Option<&'static SegmentDef> {
        match self {
            Node::Seg { def, .. } => Some(def),
            Node::Loop { nodes, .. } => nodes.first().and_then(Node::trigger),
        }
    }
    pub fn usage(&self) -> Usage {
        match self {
            Node::Seg { usage, .. } | Node::Loop { usage, .. } => *usage,
        }
    }
}

/// Mandatory segment with max use `n`.
pub const fn ms(def: &'static SegmentDef, n: u32) -> Node {
    Node::Seg {
        def,
        usage: Usage::Mandatory,
        max_use: n,
    }
}
/// Optional segment with max use `n`.
pub const fn os(def: &'static SegmentDef, n: u32) -> Node {
    Node::Seg {
        def,
        usage: Usage::Optional,
        max_use: n,
    }
}
/// Mandatory loop.
pub const fn ml(id: &'static str, n: u32, nodes: &'static [Node]) -> Node {
    Node::Loop {
        id,
        usage: Usage::Mandatory,
        max_repeat: n,
        nodes,
    }
}
/// Optional loop.
pub const fn ol(id: &'static str, n: u32, nodes: &'static [Node]) -> Node {
    Node::Loop {
        id,
        usage: Usage::Optional,
        max_repeat: n,
        nodes,
    }
}

/// One level of an HL hierarchy: its HL03 code and the levels its parent (HL02) may have.
#[derive(Debug, PartialEq, Eq)]
pub struct Level {
    pub code: &'static str,
    pub name: &'static str,
    /// HL03 codes allowed for the parent; empty for a top level (HL02 empty).
    pub parents: &'static [&'static str],
}

/// The parent/child rules of a set's HL loop. Levels not listed are not checked.
#[derive(Debug, PartialEq, Eq)]
pub struct Hierarchy {
    pub levels: &'static [Level],
}

impl Hierarchy {
    pub fn level(&self, code: &[u8]) -> Option<&'static Level> {
        self.levels.iter().find(|l| l.code.as_bytes() == code)
    }
}

/// A transaction set table (shared by 4010 and 5010; element differences live in [`V5`]).
#[derive(Debug, PartialEq, Eq)]
pub struct SetTable {
    pub id: crate::edi::x12::KnownSet,
    pub name: &'static str,
    pub nodes: &'static [Node],
    /// True for sets that exist from 5010 on only (999): no table under 004xxx.
    pub since5010: bool,
    /// HL numbering and level rules, for sets built on the HL loop.
    pub hierarchy: Option<&'static Hierarchy>,
}
