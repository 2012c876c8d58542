//! Word-at-a-time byte scanning shared by the X12 and EDIFACT tokenizers: short searches eight bytes per step, longer ones handed to memchr, and a splitter that takes every separator of a word from one mask. Pure; no allocation.

use memchr::memchr;

pub(crate) const LO: u64 = 0x0101_0101_0101_0101;
pub(crate) const HI: u64 = 0x8080_8080_8080_8080;

/// Bytes scanned eight at a time (SWAR) before handing a long search to memchr, whose
/// per-call setup dominates on ordinary segments and elements (a few to ~80 bytes).
const SHORT_SCAN: usize = 64;

/// 0x80 in every byte of `word` that is zero, 0x00 elsewhere (exact, no false positives).
#[inline(always)]
pub(crate) fn zero_bytes(word: u64) -> u64 {
    !(((word & !HI).wrapping_add(!HI)) | word | !HI)
}

/// Index of the first `needle` in `hay`: words of eight bytes for the first `SHORT_SCAN`
/// bytes, then memchr for whatever is left.
#[inline(always)]
pub(crate) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    let pat = LO.wrapping_mul(u64::from(needle));
    let head = hay.get(..SHORT_SCAN).unwrap_or(hay);
    let mut chunks = head.chunks_exact(8);
    let mut base = 0usize;
    for c in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(c) else {
            break;
        };
        let m = zero_bytes(u64::from_le_bytes(word) ^ pat);
        if m != 0 {
            // Little-endian load: the lowest flagged byte is the first match in memory.
            return Some(base + (m.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == needle {
            return Some(base + i);
        }
    }
    if hay.len() <= SHORT_SCAN {
        return None;
    }
    memchr(needle, hay.get(SHORT_SCAN..).unwrap_or(&[])).map(|i| i + SHORT_SCAN)
}

/// Index of the first `a` or `b` in `hay`: words of eight bytes for the first `SHORT_SCAN`
/// bytes, then memchr2 (EDIFACT looks for a terminator or a release character).
#[inline(always)]
pub(crate) fn find_either(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    let (pa, pb) = (LO.wrapping_mul(u64::from(a)), LO.wrapping_mul(u64::from(b)));
    let head = hay.get(..SHORT_SCAN).unwrap_or(hay);
    let mut chunks = head.chunks_exact(8);
    let mut base = 0usize;
    for c in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(c) else {
            break;
        };
        let w = u64::from_le_bytes(word);
        let m = zero_bytes(w ^ pa) | zero_bytes(w ^ pb);
        if m != 0 {
            return Some(base + (m.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    for (i, &x) in chunks.remainder().iter().enumerate() {
        if x == a || x == b {
            return Some(base + i);
        }
    }
    if hay.len() <= SHORT_SCAN {
        return None;
    }
    memchr::memchr2(a, b, hay.get(SHORT_SCAN..).unwrap_or(&[])).map(|i| i + SHORT_SCAN)
}

/// Number of `needle` bytes in `hay`, eight at a time.
#[inline]
pub(crate) fn count_byte(hay: &[u8], needle: u8) -> usize {
    let pat = LO.wrapping_mul(u64::from(needle));
    let mut chunks = hay.chunks_exact(8);
    let mut n = 0usize;
    for c in &mut chunks {
        if let Ok(word) = <[u8; 8]>::try_from(c) {
            n += zero_bytes(u64::from_le_bytes(word) ^ pat).count_ones() as usize;
        }
    }
    n + chunks.remainder().iter().filter(|&&b| b == needle).count()
}

impl<'a> SplitBy<'a> {
    /// The pieces of `body` between `sep` bytes (one piece when there is none).
    #[inline]
    pub fn new(body: &'a [u8], sep: u8) -> Self {
        SplitBy {
            body,
            start: 0,
            scanned: 0,
            mask: 0,
            sep,
            pat: LO.wrapping_mul(u64::from(sep)),
            done: false,
        }
    }

    /// No pieces at all.
    pub fn empty() -> Self {
        SplitBy {
            done: true,
            ..Self::new(&[], 0)
        }
    }
}

/// Splits a byte slice on a separator (X12 elements, EDIFACT elements free of release
/// characters). Separators are found eight bytes at
/// a time and every separator of a word comes from one mask, so an element costs a few
/// instructions however short it is (the old per-element search reloaded overlapping words).
#[derive(Debug, Clone)]
pub struct SplitBy<'a> {
    /// The bytes being split (after the separator that opens the first piece).
    body: &'a [u8],
    /// Where the next element starts in `body`.
    start: usize,
    /// Bytes of `body` already turned into masks (a multiple of 8).
    scanned: usize,
    /// Separators (0x80 per byte) of the word ending at `scanned` not handed out yet.
    mask: u64,
    sep: u8,
    pat: u64,
    done: bool,
}

impl<'a> Iterator for SplitBy<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.done {
            return None;
        }
        loop {
            if self.mask != 0 {
                let at = self.scanned - 8 + (self.mask.trailing_zeros() / 8) as usize;
                self.mask &= self.mask - 1;
                let el = self.body.get(self.start..at);
                self.start = at + 1;
                return el;
            }
            match self.body.get(self.scanned..self.scanned + 8) {
                Some(w) => {
                    let word = <[u8; 8]>::try_from(w).map_or(0, u64::from_le_bytes);
                    self.mask = zero_bytes(word ^ self.pat);
                    self.scanned += 8;
                }
                None => break,
            }
        }
        // Fewer than eight bytes left: look at them one by one.
        let from = self.start.max(self.scanned);
        let tail = self.body.get(from..).unwrap_or(&[]);
        match tail.iter().position(|&b| b == self.sep) {
            Some(i) => {
                let at = from + i;
                let el = self.body.get(self.start..at);
                self.start = at + 1;
                el
            }
            None => {
                self.done = true;
                self.body.get(self.start..)
            }
        }
    }

    /// Same as driving `next` to the end: every separator left opens one more element.
    #[inline]
    fn count(self) -> usize {
        if self.done {
            return 0;
        }
        let from = self.start.max(self.scanned);
        1 + self.mask.count_ones() as usize
            + count_byte(self.body.get(from..).unwrap_or(&[]), self.sep)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The word-at-a-time searches agree with the plain ones on any bytes.
        #[test]
        fn searches_agree_with_plain_ones(
            hay in proptest::collection::vec(proptest::sample::select(b"ab?'+:\x80\xff\x00".to_vec()), 0..200),
        ) {
            for (a, b) in [(b'?', b'\''), (b'+', b':'), (0x80, 0xff), (0, b'z')] {
                proptest::prop_assert_eq!(find_either(&hay, a, b), hay.iter().position(|&x| x == a || x == b));
                proptest::prop_assert_eq!(find_byte(&hay, a), hay.iter().position(|&x| x == a));
                proptest::prop_assert_eq!(count_byte(&hay, a), hay.iter().filter(|&&x| x == a).count());
            }
            let pieces: Vec<&[u8]> = SplitBy::new(&hay, b'+').collect();
            let plain: Vec<&[u8]> = hay.split(|&x| x == b'+').collect();
            proptest::prop_assert_eq!(pieces, plain);
        }
    }
}
