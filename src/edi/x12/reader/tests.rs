//! Unit tests of `reader`.

use super::*;

fn all(input: &[u8]) -> Vec<Segment<'_>> {
    let mut r = Reader::new(input);
    let mut out = Vec::new();
    while let Ok(Some(s)) = r.next_segment() {
        out.push(s);
    }
    out
}

proptest::proptest! {
    /// The word-at-a-time element iterator gives exactly what splitting on the separator
    /// gives, whatever the elements' lengths (empty, short, longer than a word), and
    /// `count` agrees with driving it from any point.
    #[test]
    fn elements_agree_with_a_plain_split(
        els in proptest::collection::vec(proptest::collection::vec(b'A'..=b'Z', 0..20), 0..40),
    ) {
        let mut text = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*1030*U*00401*000000001*0*T*:~ST*850*0001~REF".to_vec();
        for e in &els {
            text.push(b'*');
            text.extend_from_slice(e);
        }
        text.push(b'~');
        let segs = all(&text);
        let seg = segs.last().copied().ok_or_else(|| proptest::test_runner::TestCaseError::fail("no segment"))?;
        let got: Vec<&[u8]> = seg.elements().collect();
        let naive: Vec<&[u8]> = if els.is_empty() { Vec::new() } else { seg.elements_bytes()[1..].split(|&b| b == b'*').collect() };
        proptest::prop_assert_eq!(&got, &naive);
        proptest::prop_assert_eq!(seg.element_count(), naive.len());
        for k in 0..=naive.len() {
            let mut it = seg.elements();
            for _ in 0..k { it.next(); }
            proptest::prop_assert_eq!(it.count(), naive.len() - k);
        }
        for (k, e) in naive.iter().enumerate() {
            proptest::prop_assert_eq!(seg.element(k + 1), Some(*e));
        }
    }
}

const STAR: &[u8] = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*1030*^*00501*000000001*0*T*:~\r\nGS*PO*S*R*20240102*1030*1*X*005010~\r\nST*850*0001~BEG*00*SA*PO1**20240102~SE*3*0001~GE*1*1~IEA*1*000000001~";

#[test]
fn star_tilde_crlf() {
    let segs = all(STAR);
    let ids: Vec<&[u8]> = segs.iter().map(|s| s.id).collect();
    assert_eq!(
        ids,
        vec![&b"ISA"[..], b"GS", b"ST", b"BEG", b"SE", b"GE", b"IEA"]
    );
    let d = segs[0].delimiters;
    assert_eq!(
        (d.element, d.component, d.segment, d.repetition),
        (b'*', b':', b'~', Some(b'^'))
    );
    assert_eq!(segs[0].element(6), Some(&b"SENDER         "[..]));
    assert_eq!(segs[0].element(16), Some(&b":"[..]));
    assert_eq!(segs[3].element(3), Some(&b"PO1"[..]));
    assert_eq!(segs[3].element(4), Some(&b""[..]));
    assert_eq!(segs[3].element(6), None);
    assert_eq!(segs[3].position, 2);
    assert_eq!(segs[2].position, 1);
    assert!(segs.iter().all(|s| s.terminated));
}

#[test]
fn pipe_and_newline_terminator_with_backtick_component() {
    let input = b"\xEF\xBB\xBF  \nISA|00|          |00|          |ZZ|A              |ZZ|B              |240102|1030|U|00401|000000007|1|P|`\nGS|PO|A|B|20240102|1030|7|X|004010\nST|850|0001\nPO1|1|2|EA|||BP|X`Y\nSE|3|0001\nGE|1|7\nIEA|1|000000007\n";
    let segs = all(input);
    assert_eq!(segs.len(), 7);
    let d = segs[0].delimiters;
    assert_eq!(
        (d.element, d.component, d.segment, d.repetition),
        (b'|', b'`', b'\n', None)
    );
    let comps: Vec<&[u8]> = segs[3].components(7).collect();
    assert_eq!(comps, vec![&b"X"[..], b"Y"]);
    assert_eq!(segs[6].element(2), Some(&b"000000007"[..]));
}

#[test]
fn two_interchanges_different_delimiters_and_trailing_junk() {
    let mut input = STAR.to_vec();
    input.extend_from_slice(b"\r\nISA!00!          !00!          !ZZ!X              !ZZ!Y              !240102!1030!U!00401!000000002!0!T!{\x15GS!FA!X!Y!20240102!1030!2!X!004010\x15GE!0!2\x15IEA!1!000000002\x15\x1a\r\n  ");
    let mut r = Reader::new(&input);
    let mut isa = Vec::new();
    let mut n = 0;
    while let Ok(Some(s)) = r.next_segment() {
        n += 1;
        if s.is("ISA") {
            isa.push(s.delimiters);
        }
    }
    assert_eq!(n, 11);
    assert_eq!(isa.len(), 2);
    assert_eq!(
        (isa[1].element, isa[1].component, isa[1].segment),
        (b'!', b'{', 0x15)
    );
    // 0x1A and blanks after the last IEA are tolerated; the blank-only tail is not junk.
    assert!(r.notes().is_empty());
    let mut with_junk = input.clone();
    with_junk.extend_from_slice(b"garbage");
    let mut r = Reader::new(&with_junk);
    while let Ok(Some(_)) = r.next_segment() {}
    assert_eq!(r.notes().len(), 1);
}

#[test]
fn repetitions_only_when_declared() {
    let segs = all(STAR);
    let reps: Vec<&[u8]> = segs[3].repetitions(2).collect();
    assert_eq!(reps, vec![&b"SA"[..]]);
}

#[test]
fn truncated_and_garbage_never_panic() {
    for cut in 0..STAR.len() {
        let _ = all(&STAR[..cut]);
    }
    let mut r = Reader::new(b"hello");
    assert!(matches!(
        r.next_segment(),
        Err(X12Error::NoInterchange { .. })
    ));
    let mut r = Reader::new(b"ISA*00*short~");
    assert!(matches!(r.next_segment(), Err(X12Error::InvalidIsa { .. })));
    assert_eq!(r.next_segment(), Ok(None));
}

/// Verbatim copy of the tokenizer before the single-pass/word-scan rewrite, kept only
/// as the reference for `matches_reference_tokenizer`.
mod reference {
    use super::super::*;

    pub struct OldReader<'a> {
        input: &'a [u8],
        pos: usize,
        delims: Option<Delimiters>,
        in_interchange: bool,
        position: u32,
        set_position: u32,
        in_set: bool,
        notes: Vec<ReaderNote>,
    }

    impl<'a> OldReader<'a> {
        pub fn new(input: &'a [u8]) -> Self {
            let pos = if input.starts_with(&[0xEF, 0xBB, 0xBF]) {
                3
            } else {
                0
            };
            OldReader {
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

        pub fn notes(&self) -> &[ReaderNote] {
            &self.notes
        }

        fn skip_blank(&mut self) {
            while self.input.get(self.pos).is_some_and(|&b| is_blank(b)) {
                self.pos += 1;
            }
        }

        fn at_isa(&self) -> bool {
            match self.input.get(self.pos..self.pos + 4) {
                Some([b'I', b'S', b'A', sep]) => !sep.is_ascii_alphanumeric(),
                _ => false,
            }
        }

        /// Next segment, `Ok(None)` at the end. `Err` only when an ISA cannot be read
        /// (after an error the reader skips to the next "ISA", so callers may continue).
        pub fn next_segment(&mut self) -> Result<Option<Segment<'a>>, X12Error> {
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
                        if (b == b'\r' || b == b'\n')
                            && !self.delims.is_some_and(|d| d.is_delimiter(b))
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
                let start = self.pos;
                let rest = self.input.get(start..).unwrap_or(&[]);
                let (body, terminated) = match memchr(d.segment, rest) {
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
                            return Ok(None);
                        }
                        (rest.get(..trimmed_len).unwrap_or(&[]), false)
                    }
                };
                if body.is_empty() {
                    // Empty segment (two terminators in a row): nothing to yield.
                    continue;
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
                return Ok(Some(seg));
            }
        }

        /// After a terminator, skip CR, LF or CRLF (and the other one when the terminator is itself CR or LF).
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
}

/// Small deterministic xorshift generator (no extra dependencies, reproducible cases).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}

/// A file of interchanges with random delimiters, line breaks, blank lines, empty
/// segments, junk, long elements, and sometimes truncation or byte damage.
fn random_input(rng: &mut Rng) -> Vec<u8> {
    const DELIMS: &[u8] = b"*|!~^:`{}>+'#@\x15\x1c\x1d\x1e\x07\r\n";
    const BREAKS: &[&[u8]] = &[
        b"",
        b"",
        b"",
        b"\n",
        b"\r\n",
        b"\r",
        b"\n\r",
        b"\r\n\r\n",
        b"\n\n\n",
        b" ",
    ];
    const IDS: &[&[u8]] = &[
        b"GS", b"ST", b"BEG", b"PO1", b"N1", b"SE", b"GE", b"IEA", b"I", b"IS", b"ISX", b"X", b"",
        b"LONGID",
    ];
    let mut out = Vec::new();
    if rng.below(8) == 0 {
        out.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
    }
    for _ in 0..1 + rng.below(3) {
        let e = rng.pick(DELIMS);
        let mut c = rng.pick(DELIMS);
        while c == e {
            c = rng.pick(DELIMS);
        }
        let mut t = rng.pick(DELIMS);
        while t == e || t == c {
            t = rng.pick(DELIMS);
        }
        let r = rng.pick(DELIMS);
        let version: &[u8] = if rng.below(2) == 0 {
            b"00401"
        } else {
            b"00501"
        };
        let fields: [&[u8]; 15] = [
            b"00",
            b"          ",
            b"00",
            b"          ",
            b"ZZ",
            b"SENDER         ",
            b"ZZ",
            b"RECEIVER       ",
            b"261126",
            b"1200",
            &[r],
            version,
            b"000000001",
            b"0",
            b"T",
        ];
        if rng.below(10) != 0 {
            out.extend_from_slice(rng.pick::<&[u8]>(&[b"", b"\n", b"  \r\n", b"\x1a"]));
        } else {
            out.extend_from_slice(b"junk ISA? more");
        }
        out.extend_from_slice(b"ISA");
        for f in fields {
            out.push(e);
            out.extend_from_slice(f);
        }
        out.push(e);
        out.push(c);
        out.push(t);
        out.extend_from_slice(rng.pick(BREAKS));
        let data: Vec<u8> = [&b"ABCXYZ0123 .-"[..], &[e, e, c, r, b'I', b'\r', b'\n']].concat();
        for _ in 0..rng.below(40) {
            out.extend_from_slice(rng.pick(IDS));
            for _ in 0..rng.below(12) {
                out.push(e);
                let len = match rng.below(20) {
                    0 => 40 + rng.below(200),
                    1..=4 => 0,
                    _ => rng.below(12),
                };
                for _ in 0..len {
                    out.push(rng.pick(&data));
                }
            }
            out.push(t);
            if rng.below(15) == 0 {
                out.push(t);
            }
            out.extend_from_slice(rng.pick(BREAKS));
        }
        if rng.below(4) != 0 {
            out.extend_from_slice(b"IEA");
            out.push(e);
            out.extend_from_slice(b"1");
            out.push(t);
            out.extend_from_slice(rng.pick(BREAKS));
        }
    }
    match rng.below(8) {
        0 => out.extend_from_slice(b"trailing junk"),
        1 => out.extend_from_slice(b" \r\n\t\x00 "),
        2 if !out.is_empty() => {
            let cut = rng.below(out.len());
            out.truncate(cut);
        }
        3 if !out.is_empty() => {
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(out.len());
                out[at] = rng.next() as u8;
            }
        }
        _ => {}
    }
    out
}

fn reference_split(s: &Segment<'_>) -> Vec<Vec<u8>> {
    match s.rest.split_first() {
        None => Vec::new(),
        Some((_, body)) => body
            .split(|&b| b == s.delimiters.element)
            .map(<[u8]>::to_vec)
            .collect(),
    }
}

#[test]
fn matches_reference_tokenizer() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for case in 0..4000 {
        let input = random_input(&mut rng);
        let mut new = Reader::new(&input);
        let mut old = reference::OldReader::new(&input);
        for step in 0..100_000 {
            assert!(step < 99_999, "case {case}: no end");
            let a = new.next_segment();
            let b = old.next_segment();
            assert_eq!(
                a,
                b,
                "case {case} step {step}: {:?}",
                String::from_utf8_lossy(&input)
            );
            if let Ok(Some(s)) = a {
                let want = reference_split(&s);
                let got: Vec<Vec<u8>> = s.elements().map(<[u8]>::to_vec).collect();
                assert_eq!(got, want, "case {case}");
                assert_eq!(s.elements().count(), want.len(), "case {case}");
                assert_eq!(s.element_count(), want.len());
                let mut it = s.elements();
                let _ = it.next();
                assert_eq!(it.count(), want.len().saturating_sub(1));
                for n in 0..want.len() + 2 {
                    assert_eq!(
                        s.element(n),
                        n.checked_sub(1)
                            .and_then(|i| want.get(i))
                            .map(Vec::as_slice)
                    );
                }
            }
            if a == Ok(None) {
                break;
            }
        }
        assert_eq!(new.notes(), old.notes(), "case {case}");
        assert_eq!(new.next_segment(), Ok(None));
    }
}

#[test]
fn word_scans_match_naive() {
    let mut rng = Rng(12345);
    for _ in 0..20_000 {
        let len = rng.below(160);
        let hay: Vec<u8> = (0..len)
            .map(|_| rng.pick(b"ab*~\x80\xff\x00\x7f"))
            .collect();
        for needle in [b'*', b'~', 0x80, 0xff, 0x00, 0x7f, b'z'] {
            assert_eq!(
                find_byte(&hay, needle),
                hay.iter().position(|&b| b == needle)
            );
            assert_eq!(
                crate::edi::scan::count_byte(&hay, needle),
                hay.iter().filter(|&&b| b == needle).count()
            );
        }
    }
}
