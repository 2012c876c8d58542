//! The field checks of envelope segments: the ISA's element forms (TA1 codes), the id form
//! and control characters of a segment inside a set, and the digit, date, time, count and
//! control-number readers they and the trailers use.

use super::at_segment;
use crate::edi::x12::reader::Segment;
use crate::edi::x12::{AckCode, Diagnostic, Location, text};

pub(super) fn is_digits(v: &[u8]) -> bool {
    !v.is_empty() && v.iter().all(u8::is_ascii_digit)
}

pub(super) fn parse_count(v: Option<&[u8]>) -> Option<u64> {
    let v = v?;
    if is_digits(v) && v.len() <= 18 {
        std::str::from_utf8(v).ok()?.parse().ok()
    } else {
        None
    }
}

/// Numeric control numbers compare as numbers ("0001" == "1"), otherwise as trimmed text.
pub(super) fn same_control(a: &str, b: &str) -> bool {
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
pub(super) fn check_isa(seg: &Segment<'_>, ic_loc: &Location) -> Vec<Diagnostic> {
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
pub(super) fn check_set_segment(
    seg: &Segment<'_>,
    make_loc: impl Fn() -> Location,
) -> Vec<Diagnostic> {
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
