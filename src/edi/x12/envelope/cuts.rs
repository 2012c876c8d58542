//! Where a stream of interchanges may be cut: the complete prefix of a chunk, runs of whole
//! interchanges for parallel translation, and the delimiters at an ISA.

use crate::edi::x12::reader::read_isa_layout;
use crate::edi::x12::{Delimiters, X12Error};

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
