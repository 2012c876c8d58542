//! X12 envelope walker: interchanges → groups → transaction sets, with ISA/GS/ST/SE/GE/IEA validation that yields ack-ready diagnostics. Must not depend on I/O, async or the database.

use super::reader::{Reader, ReaderNote, Segment, read_isa_layout};
use super::{AckCode, Delimiters, Diagnostic, Location, X12Error, text};
use serde::{Deserialize, Serialize};

/// Transaction sets the gateway knows by name; everything else is `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransactionSet {
    PurchaseOrder850,
    PurchaseOrderAck855,
    ShipNotice856,
    Invoice810,
    FunctionalAck997,
    ImplementationAck999,
    Other(String),
}

impl TransactionSet {
    pub fn from_code(code: &[u8]) -> Self {
        match KnownSet::from_code(code) {
            Some(known) => known.into(),
            None => Self::Other(text(code)),
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Self::Other(c) => c,
            Self::PurchaseOrder850 => KnownSet::Ts850.code(),
            Self::PurchaseOrderAck855 => KnownSet::Ts855.code(),
            Self::ShipNotice856 => KnownSet::Ts856.code(),
            Self::Invoice810 => KnownSet::Ts810.code(),
            Self::FunctionalAck997 => KnownSet::Ts997.code(),
            Self::ImplementationAck999 => KnownSet::Ts999.code(),
        }
    }

    /// The known set this is, or `None` for `Other`.
    pub fn known(&self) -> Option<KnownSet> {
        match self {
            Self::PurchaseOrder850 => Some(KnownSet::Ts850),
            Self::PurchaseOrderAck855 => Some(KnownSet::Ts855),
            Self::ShipNotice856 => Some(KnownSet::Ts856),
            Self::Invoice810 => Some(KnownSet::Ts810),
            Self::FunctionalAck997 => Some(KnownSet::Ts997),
            Self::ImplementationAck999 => Some(KnownSet::Ts999),
            Self::Other(_) => None,
        }
    }
}

/// The transaction sets the gateway has rules and mappings for, as a closed `Copy` type:
/// code that dispatches on a set matches on this, so adding a set makes the compiler list
/// every place that has to learn it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KnownSet {
    Ts850,
    Ts855,
    Ts856,
    Ts810,
    Ts997,
    Ts999,
}

impl KnownSet {
    /// Every known set, in [`KnownSet::index`] order.
    pub const ALL: [KnownSet; 6] = [
        KnownSet::Ts850,
        KnownSet::Ts855,
        KnownSet::Ts856,
        KnownSet::Ts810,
        KnownSet::Ts997,
        KnownSet::Ts999,
    ];

    /// The set an ST01 code names, or `None` for a set the gateway does not know.
    pub fn from_code(code: &[u8]) -> Option<Self> {
        match code {
            b"850" => Some(Self::Ts850),
            b"855" => Some(Self::Ts855),
            b"856" => Some(Self::Ts856),
            b"810" => Some(Self::Ts810),
            b"997" => Some(Self::Ts997),
            b"999" => Some(Self::Ts999),
            _ => None,
        }
    }

    /// ST01 of the set.
    pub fn code(self) -> &'static str {
        match self {
            Self::Ts850 => "850",
            Self::Ts855 => "855",
            Self::Ts856 => "856",
            Self::Ts810 => "810",
            Self::Ts997 => "997",
            Self::Ts999 => "999",
        }
    }

    /// Position in [`KnownSet::ALL`], for per-set tables.
    pub fn index(self) -> usize {
        match self {
            Self::Ts850 => 0,
            Self::Ts855 => 1,
            Self::Ts856 => 2,
            Self::Ts810 => 3,
            Self::Ts997 => 4,
            Self::Ts999 => 5,
        }
    }
}

impl std::fmt::Display for KnownSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl From<KnownSet> for TransactionSet {
    fn from(set: KnownSet) -> Self {
        match set {
            KnownSet::Ts850 => Self::PurchaseOrder850,
            KnownSet::Ts855 => Self::PurchaseOrderAck855,
            KnownSet::Ts856 => Self::ShipNotice856,
            KnownSet::Ts810 => Self::Invoice810,
            KnownSet::Ts997 => Self::FunctionalAck997,
            KnownSet::Ts999 => Self::ImplementationAck999,
        }
    }
}

/// ISA15.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UsageIndicator {
    Production,
    Test,
    Information,
    Other(String),
}

/// The interchange header, trimmed, as read from one ISA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsaHeader {
    pub authorization_qualifier: String,
    pub authorization: String,
    pub security_qualifier: String,
    pub security: String,
    pub sender_qualifier: String,
    pub sender_id: String,
    pub receiver_qualifier: String,
    pub receiver_id: String,
    /// ISA09 as sent (YYMMDD).
    pub date: String,
    /// ISA10 as sent (HHMM).
    pub time: String,
    /// ISA11 as sent (standards id "U", or the repetition separator from 00402 on).
    pub standards_or_repetition: String,
    /// ISA12, e.g. "00401".
    pub version: String,
    /// ISA13, as sent (normally 9 digits).
    pub control_number: String,
    /// ISA14 == "1".
    pub ack_requested: bool,
    pub usage: UsageIndicator,
    pub delimiters: Delimiters,
    /// Byte offset of "ISA" in the input.
    pub offset: usize,
}

impl IsaHeader {
    fn from_segment(seg: &Segment<'_>) -> Self {
        let t = |n: usize| text(seg.element(n).unwrap_or(&[])).trim().to_string();
        let usage = match t(15).as_str() {
            "P" => UsageIndicator::Production,
            "T" => UsageIndicator::Test,
            "I" => UsageIndicator::Information,
            other => UsageIndicator::Other(other.to_string()),
        };
        IsaHeader {
            authorization_qualifier: t(1),
            authorization: t(2),
            security_qualifier: t(3),
            security: t(4),
            sender_qualifier: t(5),
            sender_id: t(6),
            receiver_qualifier: t(7),
            receiver_id: t(8),
            date: t(9),
            time: t(10),
            standards_or_repetition: text(seg.element(11).unwrap_or(&[])),
            version: t(12),
            control_number: t(13),
            ack_requested: t(14) == "1",
            usage,
            delimiters: seg.delimiters,
            offset: seg.offset,
        }
    }
}

/// Reads only the first ISA of `input` (after an optional BOM and blanks).
pub fn peek_isa(input: &[u8]) -> Result<IsaHeader, X12Error> {
    let mut reader = Reader::new(input);
    loop {
        match reader.next_segment()? {
            Some(seg) if seg.is("ISA") => return Ok(IsaHeader::from_segment(&seg)),
            Some(_) => continue,
            None => return Err(X12Error::NoInterchange { offset: 0 }),
        }
    }
}

/// One transaction set with its segments (ST..SE inclusive, or up to where the input stopped).
#[derive(Debug, Clone)]
pub struct TransactionSetEnvelope<'a> {
    pub kind: TransactionSet,
    /// ST02.
    pub control: String,
    /// ST03 (5010+).
    pub implementation_ref: Option<String>,
    pub segments: Vec<Segment<'a>>,
    /// Set, segment and element level faults (AK5/AK3/AK4 codes) and notes.
    pub diagnostics: Vec<Diagnostic>,
    /// True when SE was found.
    pub closed: bool,
    /// True once the set no longer takes segments (SE seen, or a later envelope segment came).
    ended: bool,
}

impl TransactionSetEnvelope<'_> {
    /// True when no error-severity diagnostic was recorded.
    pub fn is_sound(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity == super::Severity::Error)
    }
    /// Segments strictly between ST and SE.
    pub fn body(&self) -> &[Segment<'_>] {
        let end = if self.closed {
            self.segments.len().saturating_sub(1)
        } else {
            self.segments.len()
        };
        self.segments.get(1..end).unwrap_or(&[])
    }
}

/// One functional group.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    /// GS01, e.g. "PO", "FA".
    pub functional_id: String,
    pub sender: String,
    pub receiver: String,
    pub date: String,
    pub time: String,
    /// GS06.
    pub control: String,
    /// GS08, e.g. "004010".
    pub version: String,
    pub sets: Vec<TransactionSetEnvelope<'a>>,
    /// GE01 when present and numeric.
    pub declared_sets: Option<u64>,
    /// Group level faults (AK9 codes).
    pub diagnostics: Vec<Diagnostic>,
    pub closed: bool,
}

/// One interchange.
#[derive(Debug, Clone)]
pub struct Interchange<'a> {
    pub header: IsaHeader,
    pub groups: Vec<Group<'a>>,
    /// TA1 segments (interchange acknowledgements the sender returns for interchanges it
    /// received) standing between ISA and the first GS, where X12 puts them.
    pub ta1s: Vec<Segment<'a>>,
    /// Interchange level faults (TA1 note codes) and warnings.
    pub diagnostics: Vec<Diagnostic>,
    pub closed: bool,
}

impl Interchange<'_> {
    /// The first TA1 note code among error diagnostics, if the envelope is faulty.
    pub fn ta1_fault(&self) -> Option<u16> {
        self.diagnostics.iter().find_map(|d| match d.code {
            Some(AckCode::Ta1(c)) if d.severity == super::Severity::Error => Some(c),
            _ => None,
        })
    }
}

/// Every interchange in a file plus file-level diagnostics (junk, unreadable ISAs).
#[derive(Debug, Clone, Default)]
pub struct Envelopes<'a> {
    pub interchanges: Vec<Interchange<'a>>,
    pub diagnostics: Vec<Diagnostic>,
}

fn loc_ic(ic: &Interchange<'_>) -> Location {
    Location {
        interchange_control: Some(ic.header.control_number.clone()),
        ..Location::default()
    }
}

fn at_segment(seg: &Segment<'_>, mut loc: Location) -> Location {
    loc.offset = Some(seg.offset);
    loc.segment_id = Some(seg.id_str().into_owned());
    loc.segment_position = Some(seg.position);
    loc
}

fn is_digits(v: &[u8]) -> bool {
    !v.is_empty() && v.iter().all(u8::is_ascii_digit)
}

fn parse_count(v: Option<&[u8]>) -> Option<u64> {
    let v = v?;
    if is_digits(v) && v.len() <= 18 {
        std::str::from_utf8(v).ok()?.parse().ok()
    } else {
        None
    }
}

/// Numeric control numbers compare as numbers ("0001" == "1"), otherwise as trimmed text.
fn same_control(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn valid_yymmdd(v: &[u8]) -> bool {
    v.len() == 6 && is_digits(v) && valid_month_day(v.get(2..4), v.get(4..6))
}

fn valid_month_day(m: Option<&[u8]>, d: Option<&[u8]>) -> bool {
    let num = |x: Option<&[u8]>| -> u32 {
        x.unwrap_or(&[]).iter().fold(0u32, |acc, b| {
            acc * 10 + u32::from(b.wrapping_sub(b'0')).min(9)
        })
    };
    let (m, d) = (num(m), num(d));
    (1..=12).contains(&m) && (1..=31).contains(&d)
}

fn valid_hhmm(v: &[u8]) -> bool {
    if v.len() < 4 || !is_digits(v) {
        return false;
    }
    // Digits were checked above; parse through text to avoid indexing.
    let two = |i: usize| {
        v.get(i..i + 2)
            .and_then(|x| std::str::from_utf8(x).ok()?.parse::<u8>().ok())
            .unwrap_or(99)
    };
    let (h, m) = (two(0), two(2));
    h < 24 && m < 60
}

/// ISA element forms. Hard faults (TA1 codes) for what receivers must reject;
/// width deviations of the free-text ids are only warnings because real partners send them.
fn check_isa(seg: &Segment<'_>, ic_loc: &Location) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let el = |n: usize| seg.element(n).unwrap_or(&[]);
    let mut fault = |n: u32, code: u16, why: &str, value: &[u8]| {
        let mut loc = at_segment(seg, ic_loc.clone());
        loc.element = Some(n);
        loc.bad_value = Some(text(value));
        out.push(Diagnostic::error(
            Some(AckCode::Ta1(code)),
            loc,
            format!(
                "ISA{n:02} {why}: {:?} (interchange {}, byte {})",
                text(value),
                ic_loc.interchange_control.as_deref().unwrap_or(""),
                seg.offset
            ),
        ));
    };
    if seg.element_count() != 16 {
        fault(16, 22, "ISA must have 16 elements", b"");
    }
    if !matches!(el(1), b"00" | b"01" | b"02" | b"03" | b"04" | b"05" | b"06") {
        fault(1, 10, "is not a valid authorization qualifier", el(1));
    }
    if !matches!(el(3), b"00" | b"01") {
        fault(3, 12, "is not a valid security qualifier", el(3));
    }
    if el(5).trim_ascii().is_empty() || el(5).len() != 2 {
        fault(5, 5, "is not a 2-character sender qualifier", el(5));
    }
    if el(6).trim_ascii().is_empty() {
        fault(6, 6, "sender id is blank", el(6));
    }
    if el(7).trim_ascii().is_empty() || el(7).len() != 2 {
        fault(7, 7, "is not a 2-character receiver qualifier", el(7));
    }
    if el(8).trim_ascii().is_empty() {
        fault(8, 8, "receiver id is blank", el(8));
    }
    if !valid_yymmdd(el(9)) {
        fault(9, 14, "is not a YYMMDD date", el(9));
    }
    if el(10).len() != 4 || !valid_hhmm(el(10)) {
        fault(10, 15, "is not an HHMM time", el(10));
    }
    if el(12).len() != 5 || !is_digits(el(12)) {
        fault(12, 17, "is not a 5-digit version", el(12));
    } else if el(12) < b"00402".as_slice() && el(11) != b"U" {
        fault(11, 16, "must be U before version 00402", el(11));
    }
    if el(13).len() != 9 || !is_digits(el(13)) {
        fault(13, 18, "is not a 9-digit control number", el(13));
    }
    if !matches!(el(14), b"0" | b"1") {
        fault(14, 19, "must be 0 or 1", el(14));
    }
    if !matches!(el(15), b"P" | b"T" | b"I") {
        fault(15, 20, "must be P, T or I", el(15));
    }
    for (n, width) in [(2usize, 10usize), (4, 10), (6, 15), (8, 15)] {
        if el(n).len() != width {
            let mut loc = at_segment(seg, ic_loc.clone());
            loc.element = Some(n as u32);
            out.push(Diagnostic::warning(
                loc,
                format!(
                    "ISA{n:02} is {} characters, the standard fixed width is {width} (interchange {})",
                    el(n).len(),
                    ic_loc.interchange_control.as_deref().unwrap_or("")
                ),
            ));
        }
    }
    out
}

/// Generic syntax checks on a segment inside a set: id form (AK304 1) and control characters (AK403 6).
fn check_set_segment(seg: &Segment<'_>, make_loc: impl Fn() -> Location) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let id = seg.id;
    let id_ok = (2..=3).contains(&id.len())
        && id.first().is_some_and(u8::is_ascii_uppercase)
        && id
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !id_ok {
        let loc = make_loc();
        out.push(Diagnostic::error(
            Some(AckCode::Segment(1)),
            at_segment(seg, loc.clone()),
            format!(
                "unrecognized segment id {:?} at position {} (byte {}) in transaction set {} (group {}, interchange {})",
                seg.id_str(),
                seg.position,
                seg.offset,
                loc.set_control.as_deref().unwrap_or(""),
                loc.group_control.as_deref().unwrap_or(""),
                loc.interchange_control.as_deref().unwrap_or("")
            ),
        ));
        return out;
    }
    // Fast path: no control byte anywhere in the segment (the usual case) means nothing to
    // locate element by element.
    if !seg
        .elements_bytes()
        .iter()
        .any(|&b| (b < 0x20 || b == 0x7F) && !seg.delimiters.is_delimiter(b))
    {
        return out;
    }
    for (i, el) in seg.elements().enumerate() {
        if let Some(bad) = el
            .iter()
            .find(|&&b| (b < 0x20 || b == 0x7F) && !seg.delimiters.is_delimiter(b))
        {
            let loc = make_loc();
            let mut l = at_segment(seg, loc.clone());
            l.element = Some(i as u32 + 1);
            let what = if matches!(bad, b'\r' | b'\n') {
                "a line break (mixed or wrong segment terminators?)"
            } else {
                "a control character"
            };
            out.push(Diagnostic::error(
                Some(AckCode::Element(6)),
                l,
                format!(
                    "{}{:02} at position {} (byte {}) contains {what} 0x{bad:02X}; the ISA declares segment terminator 0x{:02X} (set {}, group {}, interchange {})",
                    seg.id_str(),
                    i + 1,
                    seg.position,
                    seg.offset,
                    seg.delimiters.segment,
                    loc.set_control.as_deref().unwrap_or(""),
                    loc.group_control.as_deref().unwrap_or(""),
                    loc.interchange_control.as_deref().unwrap_or("")
                ),
            ));
        }
    }
    out
}

/// What [`walk`] reports, in input order. A set arrives whole (ST..SE) and is dropped once the
/// visitor returns, so memory is bounded by the largest transaction set, never by the file.
/// Groups and interchanges arrive twice: at their header (no diagnostics of the trailer yet)
/// and at their end (with every group- or interchange-level diagnostic).
#[derive(Debug)]
pub enum Event<'e, 'a> {
    InterchangeStart(&'e Interchange<'a>),
    GroupStart(&'e IsaHeader, &'e Group<'a>),
    Set(&'e IsaHeader, &'e Group<'a>, &'e TransactionSetEnvelope<'a>),
    GroupEnd(&'e IsaHeader, &'e Group<'a>),
    InterchangeEnd(&'e Interchange<'a>),
    /// File-level findings: an unreadable ISA, junk between interchanges.
    File(&'e Diagnostic),
}

/// An open functional group while walking: its header and what uniqueness and counts need.
struct OpenGroup<'a> {
    group: Group<'a>,
    set_controls: std::collections::HashSet<String>,
    set_count: u64,
    set: Option<TransactionSetEnvelope<'a>>,
}

struct OpenInterchange<'a> {
    ic: Interchange<'a>,
    group_controls: Vec<String>,
    group_count: u64,
    group: Option<OpenGroup<'a>>,
}

/// The envelope state machine; `visit` receives every [`Event`].
struct Walker<'a, F> {
    visit: F,
    /// The last set's segment buffer, emptied, so the next set does not allocate.
    spare: Vec<Segment<'a>>,
    ic: Option<OpenInterchange<'a>>,
    seen_interchange: bool,
}

/// Walks every interchange in `input`, validating the envelope as it goes and handing each
/// event to `visit`. `Err` only when no ISA can be read at all.
pub fn walk<'a, F>(input: &'a [u8], visit: F) -> Result<(), X12Error>
where
    F: FnMut(Event<'_, 'a>),
{
    walk_from(input, 0, visit)
}

/// [`walk`] from byte `start` of `input` (which should be where an interchange begins, see
/// [`interchange_runs`]); offsets in events and diagnostics stay those of `input`.
pub fn walk_from<'a, F>(input: &'a [u8], start: usize, visit: F) -> Result<(), X12Error>
where
    F: FnMut(Event<'_, 'a>),
{
    let mut reader = Reader::starting_at(input, start);
    let mut w = Walker {
        visit,
        spare: Vec::new(),
        ic: None,
        seen_interchange: false,
    };
    let mut first_error: Option<X12Error> = None;
    loop {
        let seg = match reader.next_segment() {
            Ok(Some(s)) => s,
            Ok(None) => break,
            Err(e) => {
                // An unreadable ISA: close what is open and keep going at the next "ISA".
                w.finish_interchange(None);
                let d = Diagnostic::error(
                    Some(AckCode::Ta1(match e {
                        X12Error::InvalidIsa { .. } => 26,
                        _ => 22,
                    })),
                    Location::default(),
                    e.to_string(),
                );
                (w.visit)(Event::File(&d));
                first_error.get_or_insert(e);
                continue;
            }
        };
        w.segment(seg);
    }
    w.finish_interchange(None);
    for note in reader.notes() {
        let ReaderNote::Junk { offset, len } = *note;
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
        return Err(first_error.unwrap_or(X12Error::NoInterchange { offset: 0 }));
    }
    Ok(())
}

/// Walks every interchange and keeps all of it in memory: for tests and small files. The
/// pipeline uses [`walk`] (through `documents::x12::translate`) instead.
pub fn parse_interchanges(input: &[u8]) -> Result<Envelopes<'_>, X12Error> {
    let mut env = Envelopes::default();
    walk(input, |e| match e {
        Event::InterchangeStart(ic) => env.interchanges.push(ic.clone()),
        Event::GroupStart(_, g) => {
            if let Some(ic) = env.interchanges.last_mut() {
                ic.groups.push(g.clone());
            }
        }
        Event::Set(_, _, set) => {
            if let Some(g) = env
                .interchanges
                .last_mut()
                .and_then(|i| i.groups.last_mut())
            {
                g.sets.push(set.clone());
            }
        }
        Event::GroupEnd(_, g) => {
            if let Some(kept) = env
                .interchanges
                .last_mut()
                .and_then(|i| i.groups.last_mut())
            {
                kept.diagnostics = g.diagnostics.clone();
                kept.declared_sets = g.declared_sets;
                kept.closed = g.closed;
            }
        }
        Event::InterchangeEnd(ic) => {
            if let Some(kept) = env.interchanges.last_mut() {
                kept.diagnostics = ic.diagnostics.clone();
                kept.ta1s = ic.ta1s.clone();
                kept.closed = ic.closed;
            }
        }
        Event::File(d) => env.diagnostics.push(d.clone()),
    })?;
    Ok(env)
}

fn group_loc_parts(ic_ctl: &str, g_ctl: &str) -> Location {
    Location {
        interchange_control: Some(ic_ctl.to_string()),
        group_control: Some(g_ctl.to_string()),
        ..Location::default()
    }
}

fn set_loc_parts(ic_ctl: &str, g_ctl: &str, set_ctl: &str) -> Location {
    Location {
        interchange_control: Some(ic_ctl.to_string()),
        group_control: Some(g_ctl.to_string()),
        set_control: Some(set_ctl.to_string()),
        ..Location::default()
    }
}

impl<'a, F> Walker<'a, F>
where
    F: FnMut(Event<'_, 'a>),
{
    fn segment(&mut self, seg: Segment<'a>) {
        if seg.is("ISA") {
            self.finish_interchange(None);
            let header = IsaHeader::from_segment(&seg);
            let mut ic = Interchange {
                header,
                groups: Vec::new(),
                ta1s: Vec::new(),
                diagnostics: Vec::new(),
                closed: false,
            };
            let loc = loc_ic(&ic);
            ic.diagnostics = check_isa(&seg, &loc);
            (self.visit)(Event::InterchangeStart(&ic));
            self.seen_interchange = true;
            self.ic = Some(OpenInterchange {
                ic,
                group_controls: Vec::new(),
                group_count: 0,
                group: None,
            });
            return;
        }
        let Some(cur) = self.ic.as_mut() else {
            // The reader only yields non-ISA segments inside an interchange.
            return;
        };
        if !seg.terminated && !seg.is("IEA") {
            let loc = at_segment(&seg, loc_ic(&cur.ic));
            cur.ic.diagnostics.push(Diagnostic::error(
                Some(AckCode::Ta1(23)),
                loc,
                format!(
                    "input ends inside segment {} at byte {} without a segment terminator (interchange {})",
                    seg.id_str(),
                    seg.offset,
                    cur.ic.header.control_number
                ),
            ));
        }
        // Matched on bytes (not slices) so no memcmp runs for every segment of the file.
        match *seg.id {
            [b'G', b'S'] => self.on_gs(seg),
            [b'S', b'T'] => self.on_st(seg),
            [b'S', b'E'] => self.on_se(seg),
            [b'G', b'E'] => self.close_group(Some(seg)),
            [b'I', b'E', b'A'] => self.finish_interchange(Some(seg)),
            [b'T', b'A', b'1'] => self.on_ta1(seg),
            _ => self.on_body(seg),
        }
    }

    /// Interchange-level fault for a segment that has no place where it appears.
    fn misplaced(&mut self, seg: &Segment<'_>, why: &str) {
        let Some(cur) = self.ic.as_mut() else { return };
        let loc = at_segment(seg, loc_ic(&cur.ic));
        cur.ic.diagnostics.push(Diagnostic::error(
            Some(AckCode::Ta1(24)),
            loc,
            format!(
                "{} segment at byte {} {why} (interchange {})",
                seg.id_str(),
                seg.offset,
                cur.ic.header.control_number
            ),
        ));
    }

    /// A TA1 belongs after ISA and before any GS (X12.5); anywhere else it has no place.
    fn on_ta1(&mut self, seg: Segment<'a>) {
        let Some(cur) = self.ic.as_mut() else { return };
        if cur.group.is_none() && cur.group_count == 0 {
            cur.ic.ta1s.push(seg);
        } else {
            self.misplaced(
                &seg,
                "appears after a functional group began (TA1 goes right after ISA)",
            );
        }
    }

    fn on_gs(&mut self, seg: Segment<'a>) {
        self.close_group(None);
        let Some(cur) = self.ic.as_mut() else { return };
        let t = |n: usize| seg.text(n).map(String::from).unwrap_or_default();
        let mut g = Group {
            functional_id: t(1),
            sender: t(2).trim().to_string(),
            receiver: t(3).trim().to_string(),
            date: t(4),
            time: t(5),
            control: t(6),
            version: t(8),
            sets: Vec::new(),
            declared_sets: None,
            diagnostics: Vec::new(),
            closed: false,
        };
        let ic_ctl = &cur.ic.header.control_number;
        let loc = at_segment(&seg, group_loc_parts(ic_ctl, &g.control));
        let gs06 = seg.value(6).unwrap_or(&[]);
        if !is_digits(gs06) || gs06.len() > 9 {
            let mut l = loc.clone();
            l.element = Some(6);
            g.diagnostics.push(Diagnostic::error(
                Some(AckCode::Group(6)),
                l,
                format!(
                    "GS06 group control number {:?} is not 1-9 digits (interchange {ic_ctl})",
                    g.control
                ),
            ));
        } else if cur
            .group_controls
            .iter()
            .any(|other| same_control(other, &g.control))
        {
            let mut l = loc.clone();
            l.element = Some(6);
            g.diagnostics.push(Diagnostic::error(
                Some(AckCode::Group(19)),
                l,
                format!(
                    "GS06 group control number {} is used twice in interchange {ic_ctl}",
                    g.control
                ),
            ));
        }
        if g.functional_id.is_empty() || g.version.is_empty() {
            g.diagnostics.push(Diagnostic::error(
                Some(AckCode::Group(if g.functional_id.is_empty() { 1 } else { 2 })),
                loc,
                format!(
                    "GS is missing GS01 functional id or GS08 version (group {}, interchange {ic_ctl})",
                    g.control
                ),
            ));
        }
        cur.group_controls.push(g.control.clone());
        cur.group_count += 1;
        (self.visit)(Event::GroupStart(&cur.ic.header, &g));
        cur.group = Some(OpenGroup {
            group: g,
            set_controls: std::collections::HashSet::new(),
            set_count: 0,
            set: None,
        });
    }

    fn on_st(&mut self, seg: Segment<'a>) {
        self.close_set(None);
        let Some(cur) = self.ic.as_mut() else { return };
        let ic_ctl = &cur.ic.header.control_number;
        let Some(og) = cur.group.as_mut() else {
            self.misplaced(&seg, "appears outside a functional group");
            return;
        };
        let control = seg.text(2).map(String::from).unwrap_or_default();
        let mut segments = std::mem::take(&mut self.spare);
        segments.clear();
        segments.push(seg);
        let mut set = TransactionSetEnvelope {
            kind: TransactionSet::from_code(seg.value(1).unwrap_or(&[])),
            control: control.clone(),
            implementation_ref: seg.text(3).map(String::from),
            segments,
            diagnostics: Vec::new(),
            closed: false,
            ended: false,
        };
        let g = &og.group;
        let loc = at_segment(&seg, set_loc_parts(ic_ctl, &g.control, &control));
        let ctx = format!("group {}, interchange {}", g.control, ic_ctl);
        if seg.value(1).is_none_or(|v| v.len() != 3 || !is_digits(v)) {
            let mut l = loc.clone();
            l.element = Some(1);
            set.diagnostics.push(Diagnostic::error(
                Some(AckCode::Set(6)),
                l,
                format!("ST01 transaction set id is missing or not 3 digits ({ctx})"),
            ));
        }
        let st02 = seg.value(2).unwrap_or(&[]);
        if !(4..=9).contains(&st02.len()) {
            let mut l = loc.clone();
            l.element = Some(2);
            set.diagnostics.push(Diagnostic::error(
                Some(AckCode::Set(7)),
                l,
                format!("ST02 control number {control:?} is not 4-9 characters ({ctx})"),
            ));
        } else if !og.set_controls.insert(control.clone()) {
            let mut l = loc;
            l.element = Some(2);
            set.diagnostics.push(Diagnostic::error(
                Some(AckCode::Set(23)),
                l,
                format!("ST02 control number {control} is not unique within the group ({ctx})"),
            ));
        }
        og.set_count += 1;
        og.set = Some(set);
    }

    fn on_se(&mut self, seg: Segment<'a>) {
        let open = self
            .ic
            .as_ref()
            .and_then(|c| c.group.as_ref())
            .is_some_and(|g| g.set.is_some());
        if !open {
            self.misplaced(&seg, "appears without a matching ST");
            return;
        }
        self.close_set(Some(seg));
    }

    fn on_body(&mut self, seg: Segment<'a>) {
        let Some(cur) = self.ic.as_mut() else { return };
        let Some((g, set)) = cur
            .group
            .as_mut()
            .and_then(|og| Some((&og.group, og.set.as_mut()?)))
        else {
            self.misplaced(&seg, "appears outside a transaction set");
            return;
        };
        // The location is only built when there is something to report: this runs for every
        // segment of the file.
        let ic_ctl = &cur.ic.header.control_number;
        set.diagnostics.extend(check_set_segment(&seg, || {
            set_loc_parts(ic_ctl, &g.control, &set.control)
        }));
        set.segments.push(seg);
    }

    /// Ends the open set: with its SE (checked) or without one (a fault), then hands it on.
    fn close_set(&mut self, se: Option<Segment<'a>>) {
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
    fn close_group(&mut self, ge: Option<Segment<'a>>) {
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
    fn finish_interchange(&mut self, iea: Option<Segment<'a>>) {
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

/// The length of the longest prefix of `buf` that ends with a complete interchange: just
/// after the last `IEA*n*nnnnnnnnn` segment terminator (and a CR/LF after it). 0 when there
/// is none yet. Lets a caller read a file of any size in chunks and hand whole interchanges
/// to [`walk`], so memory follows the largest interchange rather than the file.
pub fn complete_prefix(buf: &[u8]) -> usize {
    let finder = memchr::memmem::FinderRev::new(b"IEA");
    let mut end = buf.len();
    while let Some(i) = finder.rfind(buf.get(..end).unwrap_or_default()) {
        if let Some(stop) = iea_end(buf, i) {
            return stop;
        }
        end = i;
    }
    0
}

/// If an IEA segment starts at `i` (IEA, separator, 1-5 digits, separator, 9 digits,
/// terminator), the offset just past its terminator and any CR/LF.
fn iea_end(buf: &[u8], i: usize) -> Option<usize> {
    let sep = *buf.get(i + 3)?;
    if sep.is_ascii_alphanumeric() {
        return None;
    }
    let mut k = i + 4;
    let digits = |k: &mut usize, max: usize| {
        let start = *k;
        while buf.get(*k).is_some_and(u8::is_ascii_digit) && *k - start < max {
            *k += 1;
        }
        *k - start
    };
    if digits(&mut k, 5) == 0 || *buf.get(k)? != sep {
        return None;
    }
    k += 1;
    if digits(&mut k, 9) != 9 {
        return None;
    }
    let term = *buf.get(k)?;
    if term.is_ascii_alphanumeric() || term == sep {
        return None;
    }
    k += 1;
    while buf.get(k).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
        k += 1;
    }
    Some(k)
}

/// Splits `input` into runs of whole interchanges of about `target` bytes each, as
/// `(start, end)` pairs covering all of it in order, so that each run can be walked on its
/// own ([`walk_from`] over `&input[..end]` from `start`) with the same result as one walk.
/// A cut is made only where the bytes leave no doubt: an `IEA` segment that follows a
/// segment terminator, its own terminator (and CR/LF), then a readable ISA using that same
/// terminator. Anything less certain (one huge interchange, junk between interchanges, an
/// unreadable header) just makes the run longer; one run means "do not split".
pub fn interchange_runs(input: &[u8], target: usize) -> Vec<(usize, usize)> {
    let target = target.max(1);
    let mut runs = Vec::new();
    let mut start = 0usize;
    // Only a file that starts with a readable ISA is split: everything else (leading junk,
    // no ISA at all) keeps the single walk's exact diagnostics.
    let first = if input.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    if read_isa_layout(input, first).is_err() {
        return vec![(0, input.len())];
    }
    'runs: while input.len().saturating_sub(start) > target.saturating_mul(2) {
        // Look back from `start + target` for a cut; when the interchange there is larger
        // than the window, widen it.
        let mut reach = target;
        loop {
            let end = start.saturating_add(reach).min(input.len());
            if let Some(cut) = last_cut(input, start, end) {
                runs.push((start, cut));
                start = cut;
                continue 'runs;
            }
            if end == input.len() {
                break 'runs;
            }
            reach = reach.saturating_mul(2);
        }
    }
    runs.push((start, input.len()));
    runs
}

/// The last certain cut strictly inside `(start, end)`, see [`interchange_runs`].
fn last_cut(input: &[u8], start: usize, end: usize) -> Option<usize> {
    let window = input.get(start..end)?;
    let finder = memchr::memmem::FinderRev::new(b"IEA");
    let mut upto = window.len();
    while let Some(rel) = finder.rfind(window.get(..upto)?) {
        upto = rel;
        let i = start + rel;
        let Some(stop) = iea_end(input, i) else {
            continue;
        };
        if stop <= start || stop >= input.len() {
            continue;
        }
        // The byte before IEA (CR/LF skipped) must be the terminator IEA itself ends with.
        let last_not_eol = |bytes: &[u8]| {
            bytes
                .iter()
                .rev()
                .find(|b| !matches!(b, b'\r' | b'\n'))
                .copied()
        };
        let term = last_not_eol(input.get(..stop)?)?;
        if last_not_eol(input.get(..i)?) != Some(term) {
            continue;
        }
        match read_isa_layout(input, stop) {
            Ok(l) if l.delimiters.segment == term => return Some(stop),
            _ => continue,
        }
    }
    None
}

/// Layout check only (used by callers that want delimiters without walking the file).
pub fn delimiters_at(input: &[u8], isa_offset: usize) -> Result<Delimiters, X12Error> {
    read_isa_layout(input, isa_offset).map(|l| l.delimiters)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn ic(body: &str, iea: &str) -> String {
        format!(
            "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*1030*U*00401*000000001*1*T*>~{body}{iea}"
        )
    }

    const SET1: &str = "ST*850*0001~BEG*00*SA*PO1**20240102~PO1*1*2*EA*1.5**BP*A~CTT*1~SE*5*0001~";

    #[test]
    fn sound_envelope() {
        let s = ic(
            &format!("GS*PO*S*R*20240102*1030*1*X*004010~{SET1}GE*1*1~"),
            "IEA*1*000000001~",
        );
        let env = parse_interchanges(s.as_bytes()).unwrap();
        assert_eq!(env.interchanges.len(), 1);
        let i = &env.interchanges[0];
        assert!(i.diagnostics.is_empty(), "{:?}", i.diagnostics);
        assert!(i.closed);
        assert_eq!(i.groups[0].sets[0].kind, TransactionSet::PurchaseOrder850);
        assert_eq!(i.groups[0].sets[0].body().len(), 3);
        assert!(i.groups[0].sets[0].is_sound());
        assert!(i.header.ack_requested);
        assert_eq!(i.header.sender_id, "SENDER");
    }

    #[test]
    fn wrong_counts_and_controls() {
        let s = ic(
            "GS*PO*S*R*20240102*1030*1*X*004010~ST*850*0001~BEG*00*SA*PO1**20240102~SE*9*0002~ST*850*0001~SE*2*0001~GE*1*2~",
            "IEA*2*000000009~",
        );
        let env = parse_interchanges(s.as_bytes()).unwrap();
        let i = &env.interchanges[0];
        let codes: Vec<_> = i.diagnostics.iter().filter_map(|d| d.code).collect();
        assert_eq!(codes, vec![AckCode::Ta1(21), AckCode::Ta1(1)]);
        let g = &i.groups[0];
        let gcodes: Vec<_> = g.diagnostics.iter().filter_map(|d| d.code).collect();
        assert_eq!(gcodes, vec![AckCode::Group(5), AckCode::Group(4)]);
        let s0: Vec<_> = g.sets[0]
            .diagnostics
            .iter()
            .filter_map(|d| d.code)
            .collect();
        assert_eq!(s0, vec![AckCode::Set(4), AckCode::Set(3)]);
        assert!(
            g.sets[0].diagnostics[0]
                .message
                .contains("SE01 says 9 segments but transaction set 0001 has 3")
        );
        let s1: Vec<_> = g.sets[1]
            .diagnostics
            .iter()
            .filter_map(|d| d.code)
            .collect();
        assert_eq!(s1, vec![AckCode::Set(23)]);
    }

    #[test]
    fn truncated_is_reported() {
        let s = ic(
            "GS*PO*S*R*20240102*1030*1*X*004010~ST*850*0001~BEG*00*SA*PO1",
            "",
        );
        let env = parse_interchanges(s.as_bytes()).unwrap();
        let i = &env.interchanges[0];
        assert_eq!(i.ta1_fault(), Some(23));
        assert!(!i.closed);
        assert_eq!(i.groups[0].diagnostics[0].code, Some(AckCode::Group(3)));
        assert!(
            i.groups[0].sets[0]
                .diagnostics
                .iter()
                .any(|d| d.code == Some(AckCode::Set(2)))
        );
    }

    #[test]
    fn isa_forms() {
        let s = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *241302*1030*U*00401*12345*2*X*>~IEA*0*12345~";
        let env = parse_interchanges(s.as_bytes()).unwrap();
        let codes: Vec<_> = env.interchanges[0]
            .diagnostics
            .iter()
            .filter_map(|d| d.code)
            .collect();
        assert_eq!(
            codes,
            vec![
                AckCode::Ta1(14),
                AckCode::Ta1(18),
                AckCode::Ta1(19),
                AckCode::Ta1(20)
            ]
        );
    }

    #[test]
    fn complete_prefix_ends_after_the_last_whole_interchange() {
        let one = ic("", "IEA*0*000000001~\r\n");
        let two = format!(
            "{one}{}",
            ic("GS*PO*S*R*20240102*1030*1*X*004010~", "IEA*1*00000")
        );
        assert_eq!(complete_prefix(two.as_bytes()), one.len());
        assert_eq!(complete_prefix(one.as_bytes()), one.len());
        assert_eq!(complete_prefix(b"ISA*00*nothing complete"), 0);
        // "IEA" inside data is not a trailer.
        assert_eq!(complete_prefix(b"N1*ST*IEA*1*PLACE~"), 0);
    }

    #[test]
    fn peek() {
        let s = ic("", "IEA*0*000000001~");
        let h = peek_isa(format!("\u{feff}\r\n{s}").as_bytes()).unwrap();
        assert_eq!(
            (h.sender_qualifier.as_str(), h.receiver_id.as_str()),
            ("ZZ", "RECEIVER")
        );
        assert_eq!(h.control_number, "000000001");
        assert_eq!(h.usage, UsageIndicator::Test);
        assert_eq!(h.delimiters.component, b'>');
        assert!(peek_isa(b"nothing here").is_err());
    }
}
