//! The data layout of the rule tables: segments, elements, loops and code lists as `const` data that one engine interprets.

/// Requirement designator of an element (X12 "M", "O", "X").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Req {
    Mandatory,
    Optional,
    /// Relational ("X"): required only under a syntax note we do not model, so treated as optional.
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
    if code.len() != 2 {
        return None;
    }
    match (base36(code[0]), base36(code[1])) {
        (Some(a), Some(b)) => Some(a * 36 + b),
        _ => None,
    }
}

/// The [`CodeList::pairs`] bit set of `codes`.
pub const fn pair_bits(codes: &[&str]) -> [u64; PAIR_WORDS] {
    let mut bits = [0u64; PAIR_WORDS];
    let mut i = 0;
    while i < codes.len() {
        if let Some(k) = pair_index(codes[i].as_bytes()) {
            bits[k / 64] |= 1 << (k % 64);
        }
        i += 1;
    }
    bits
}

/// A code of at most 8 bytes as one integer: big-endian, left-aligned, zero-padded, so that
/// integer order is the byte order of [`short_cmp`] for codes without NUL bytes.
pub const fn pack(code: &str) -> u64 {
    let b = code.as_bytes();
    assert!(b.len() <= 8, "codes are at most 8 bytes");
    let mut v = 0u64;
    let mut i = 0;
    while i < 8 {
        v <<= 8;
        if i < b.len() {
            v |= b[i] as u64;
        }
        i += 1;
    }
    v
}

/// [`pack`] of every code, same order.
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

/// A segment of the dictionary: id, name and element list.
#[derive(Debug, PartialEq, Eq)]
pub struct SegmentDef {
    pub id: &'static str,
    pub name: &'static str,
    pub elements: &'static [Element],
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
    pub id: &'static str,
    pub name: &'static str,
    pub nodes: &'static [Node],
    /// True for sets that exist from 5010 on only (999): no table under 004xxx.
    pub since5010: bool,
    /// HL numbering and level rules, for sets built on the HL loop.
    pub hierarchy: Option<&'static Hierarchy>,
}
