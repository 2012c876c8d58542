//! Element type checks (AN, ID, Nn, R, DT, TM) and lengths, returning the AK403/IK403 code and the reason.

use super::schema::{Element, Ty};

/// A fault in one value: the AK403 code, why, and whether it only warrants a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: u16,
    pub why: String,
    pub warning: bool,
}

fn fault(code: u16, why: String) -> Option<Fault> {
    Some(Fault {
        code,
        why,
        warning: false,
    })
}

/// Printable in the X12 extended character set: control bytes never are. Bytes ≥ 0x80 are
/// let through because partners send UTF-8 names and the envelope layer already judges encoding.
fn printable(b: u8) -> bool {
    b >= 0x20 && b != 0x7F
}

/// Length as a partner counts it: characters when the value is UTF-8, bytes otherwise.
fn char_len(v: &[u8]) -> usize {
    // Nearly every value is ASCII: its length is its byte count, no decoding needed.
    if v.is_ascii() {
        return v.len();
    }
    match std::str::from_utf8(v) {
        Ok(s) => s.chars().count(),
        Err(_) => v.len(),
    }
}

fn length(v_len: usize, min: u16, max: u16) -> Option<Fault> {
    if v_len < usize::from(min) {
        return fault(
            4,
            format!("is {v_len} long, shorter than the minimum {min}"),
        );
    }
    if v_len > usize::from(max) {
        return fault(5, format!("is {v_len} long, longer than the maximum {max}"));
    }
    None
}

/// Checks a non-empty simple value against its definition.
pub fn check(def: &Element, v: &[u8], v5010: bool) -> Option<Fault> {
    let max = def.max_for(v5010);
    match def.ty {
        Ty::AN | Ty::ID => {
            if let Some(b) = v.iter().find(|&&b| !printable(b)) {
                return fault(6, format!("contains the control byte 0x{b:02X}"));
            }
            if let (Ty::ID, Some(list)) = (def.ty, def.codes)
                && !list.contains(v)
            {
                // A closed list decides on its own: a value outside it is wrong whatever its length.
                if list.closed {
                    return fault(
                        7,
                        format!("is not a valid code of element {}", list.element),
                    );
                }
                if let Some(f) = length(char_len(v), def.min, max) {
                    return Some(f);
                }
                return Some(Fault {
                    code: 7,
                    why: format!(
                        "is not among the common codes of element {} known to Wharf (accepted; check the partner's guide)",
                        list.element
                    ),
                    warning: true,
                });
            }
            length(char_len(v), def.min, max)
        }
        Ty::N(_) => {
            let digits = v.strip_prefix(b"-").unwrap_or(v);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return fault(
                    6,
                    "is not numeric (digits with an optional leading minus)".into(),
                );
            }
            length(digits.len(), def.min, max)
        }
        Ty::R => real(v).map_or_else(
            || fault(6, "is not a decimal number".into()),
            |n| length(n, def.min, max),
        ),
        Ty::DT => {
            if !v.iter().all(u8::is_ascii_digit) {
                return fault(8, "is not a date (digits only)".into());
            }
            if let Some(f) = length(v.len(), def.min, max) {
                return Some(f);
            }
            if valid_date(v) {
                None
            } else {
                let form = if v.len() == 6 { "YYMMDD" } else { "CCYYMMDD" };
                fault(8, format!("is not a calendar date ({form})"))
            }
        }
        Ty::TM => {
            if !v.iter().all(u8::is_ascii_digit) {
                return fault(9, "is not a time (digits only)".into());
            }
            if let Some(f) = length(v.len(), def.min, max) {
                return Some(f);
            }
            if valid_time(v) {
                None
            } else {
                fault(9, "is not a valid time (HHMM[SS[d..]])".into())
            }
        }
        // Composites are split and checked component by component by the engine.
        Ty::Comp(_) => None,
    }
}

/// True when [`check`] would find nothing wrong with the non-empty simple value `v`, decided
/// without building anything; `false` means "run [`check`]" (it may still pass). Lets the
/// engine skip the reporting machinery for the values that are fine, nearly all of them.
#[inline]
pub(crate) fn quick_ok(def: &Element, v: &[u8], v5010: bool) -> bool {
    let max = usize::from(def.max_for(v5010));
    let min = usize::from(def.min);
    let in_range = |n: usize| n >= min && n <= max;
    match def.ty {
        Ty::AN | Ty::ID => {
            // ASCII without control bytes: printable, and its length is its byte count.
            in_range(v.len())
                && v.iter().all(|&b| (0x20..0x7F).contains(&b))
                && match (def.ty, def.codes) {
                    (Ty::ID, Some(list)) => list.contains(v),
                    _ => true,
                }
        }
        Ty::N(_) => {
            let digits = v.strip_prefix(b"-").unwrap_or(v);
            !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) && in_range(digits.len())
        }
        Ty::R => real(v).is_some_and(in_range),
        Ty::DT => v.iter().all(u8::is_ascii_digit) && in_range(v.len()) && valid_date(v),
        Ty::TM => v.iter().all(u8::is_ascii_digit) && in_range(v.len()) && valid_time(v),
        Ty::Comp(_) => false,
    }
}

/// Digit count of an X12 R value (sign, point and exponent not counted), `None` if malformed.
fn real(v: &[u8]) -> Option<usize> {
    let body = v
        .strip_prefix(b"-")
        .or_else(|| v.strip_prefix(b"+"))
        .unwrap_or(v);
    // 5010 allows an exponent ("1.5E3"); older versions never send an E, so accepting it costs nothing.
    let (mantissa, exponent) = match body.iter().position(|&b| b == b'E') {
        Some(i) => (body.get(..i)?, Some(body.get(i + 1..)?)),
        None => (body, None),
    };
    let mut digits = 0usize;
    let mut points = 0usize;
    for &b in mantissa {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' => points += 1,
            _ => return None,
        }
    }
    if digits == 0 || points > 1 {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(b"-").unwrap_or(e);
        if e.is_empty() || !e.iter().all(u8::is_ascii_digit) {
            return None;
        }
    }
    Some(digits)
}

fn num(v: &[u8]) -> Option<u32> {
    v.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// CCYYMMDD, or YYMMDD (century assumed 20 for the leap-year rule, which only matters for 2000 vs 1900).
pub fn valid_date(v: &[u8]) -> bool {
    let (year, rest) = match v.len() {
        8 => (v.get(..4).and_then(num), v.get(4..)),
        6 => (v.get(..2).and_then(num).map(|y| 2000 + y), v.get(2..)),
        _ => return false,
    };
    let (Some(year), Some(rest)) = (year, rest) else {
        return false;
    };
    let month = rest.get(..2).and_then(num).unwrap_or(0);
    let day = rest.get(2..4).and_then(num).unwrap_or(0);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// HHMM, HHMMSS, HHMMSSd or HHMMSSdd with hours 00–23 and minutes/seconds 00–59.
pub fn valid_time(v: &[u8]) -> bool {
    if v.len() < 4 || v.len() == 5 || v.len() > 8 || !v.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let hh = v.get(..2).and_then(num).unwrap_or(99);
    let mm = v.get(2..4).and_then(num).unwrap_or(99);
    let ss = v.get(4..6).and_then(num).unwrap_or(0);
    hh <= 23 && mm <= 59 && ss <= 59
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::super::schema::{Ty, m};
    use super::*;

    fn code(ty: Ty, min: u16, max: u16, v: &str) -> Option<u16> {
        check(&m(1, ty, min, max), v.as_bytes(), false).map(|f| f.code)
    }

    /// `quick_ok` never passes a value `check` faults, and agrees with it on typical values.
    #[test]
    fn quick_ok_agrees_with_check() {
        use super::super::schema::{CodeList, pack_all, pair_bits};
        const CODES: &[&str] = &["AB", "C", "X1", "ZZZ"];
        static LIST: CodeList = CodeList {
            element: 1,
            codes: CODES,
            packed: &pack_all::<{ CODES.len() }>(CODES),
            pairs: pair_bits(CODES),
            closed: false,
        };
        let defs = [
            m(1, Ty::AN, 1, 5),
            m(1, Ty::AN, 2, 3).max5010(6),
            m(1, Ty::ID, 1, 3).codes(&LIST),
            m(1, Ty::ID, 2, 2),
            m(1, Ty::N(0), 1, 3),
            m(1, Ty::N(2), 2, 4),
            m(1, Ty::R, 1, 4),
            m(1, Ty::DT, 6, 8),
            m(1, Ty::DT, 8, 8),
            m(1, Ty::TM, 4, 8),
        ];
        let values: &[&[u8]] = &[
            b"A",
            b"AB",
            b"C",
            b"X1",
            b"ZZZ",
            b"abc",
            b"ABCDEF",
            b"ABCDEFG",
            b"1",
            b"-12",
            b"-",
            b"123",
            b"1234",
            b"1.5",
            b".5",
            b"1.2.3",
            b"1.5E3",
            b"-1E",
            b"20240229",
            b"20230229",
            b"240102",
            b"2359",
            b"2460",
            b"12345",
            b"235959",
            b"a\nb",
            b"Caf\xC3\xA9",
            b"\xFF",
            b"\x7F",
            b"  ",
            b"0000",
        ];
        for d in &defs {
            for v5010 in [false, true] {
                for v in values {
                    let full = check(d, v, v5010);
                    if quick_ok(d, v, v5010) {
                        assert_eq!(full, None, "{d:?} {v:?}");
                    } else if v.is_ascii() && !v.contains(&b'\n') {
                        assert!(full.is_some() || matches!(d.ty, Ty::Comp(_)), "{d:?} {v:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(code(Ty::N(0), 1, 3, "-123"), None);
        assert_eq!(code(Ty::N(0), 1, 3, "1234"), Some(5));
        assert_eq!(code(Ty::N(2), 1, 3, "1.5"), Some(6));
        assert_eq!(code(Ty::N(0), 1, 3, "-"), Some(6));
        assert_eq!(code(Ty::R, 1, 4, "-12.34"), None);
        assert_eq!(code(Ty::R, 1, 4, ".5"), None);
        assert_eq!(code(Ty::R, 1, 4, "1.2.3"), Some(6));
        assert_eq!(code(Ty::R, 1, 4, "3,5"), Some(6));
        assert_eq!(code(Ty::R, 1, 4, "12345"), Some(5));
        assert_eq!(code(Ty::R, 1, 6, "1.5E3"), None);
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(code(Ty::DT, 8, 8, "20240229"), None);
        assert_eq!(code(Ty::DT, 8, 8, "20230229"), Some(8));
        assert_eq!(code(Ty::DT, 8, 8, "19000229"), Some(8));
        assert_eq!(code(Ty::DT, 8, 8, "20240431"), Some(8));
        assert_eq!(code(Ty::DT, 8, 8, "240102"), Some(4));
        assert_eq!(code(Ty::DT, 6, 6, "240102"), None);
        assert_eq!(code(Ty::DT, 8, 8, "2024-1-2"), Some(8));
        assert_eq!(code(Ty::TM, 4, 8, "2359"), None);
        assert_eq!(code(Ty::TM, 4, 8, "23595999"), None);
        assert_eq!(code(Ty::TM, 4, 8, "2460"), Some(9));
        assert_eq!(code(Ty::TM, 4, 8, "12345"), Some(9));
        assert_eq!(code(Ty::TM, 4, 8, "12:00"), Some(9));
    }

    #[test]
    fn text() {
        assert_eq!(code(Ty::AN, 1, 5, "Café"), None);
        assert_eq!(code(Ty::AN, 2, 5, "a"), Some(4));
        assert_eq!(code(Ty::AN, 1, 5, "a\nb"), Some(6));
    }
}
