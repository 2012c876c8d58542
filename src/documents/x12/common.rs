//! Helpers shared by the 855/856/810 mappings: coded diagnostics, code lists, dates, decimals, N1 loops and product id pairs, both directions. Pure: no I/O.

use super::outbound::OutSegment;
use super::po850::{decimal, iso_date};
use crate::edi::gs1;
use crate::edi::x12::{AckCode, Diagnostic, Location, Segment, X12Error};
use crate::model::{ItemId, ItemIdQualifier, Party, PartyRole, SourceRef, Text};
use rust_decimal::Decimal;

/// Options shared by the document writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Refuse UPC/GTIN item ids whose GS1 check digit is wrong (the partner would reject them later).
    pub check_gtins: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { check_gtins: true }
    }
}

/// Element bytes as canonical text (inline when short, lossy only when not UTF-8).
pub(crate) use crate::edi::x12::compact_text as fast_text;

/// How many elements [`Fields`] keeps at hand; later ones are found by scanning.
const FIELDS: usize = 32;

/// A segment split into its elements once, so that mappers reading many elements do not scan
/// the segment again for each. Derefs to the segment for everything else. Element bounds are
/// kept as 16-bit offsets: the mappers build one per segment, and a table of slices (half a
/// kilobyte) cost more to fill and move than the split itself.
pub(crate) struct Fields<'a> {
    seg: Segment<'a>,
    /// The elements' bytes, after the separator that opens element 1.
    body: &'a [u8],
    /// Where each element held ends in `body` (the next starts one byte later).
    ends: [u16; FIELDS],
    /// Elements held in `ends`.
    n: usize,
    /// True when `ends` holds every element of the segment.
    complete: bool,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(seg: &Segment<'a>) -> Self {
        let body = seg.elements_bytes().get(1..).unwrap_or_default();
        let base = body.as_ptr() as usize;
        let mut ends = [0u16; FIELDS];
        let mut n = 0usize;
        let mut it = seg.elements();
        let mut complete = true;
        for e in it.by_ref() {
            // Elements are sub-slices of `body`: their offset is a pointer difference.
            let end = (e.as_ptr() as usize).wrapping_sub(base) + e.len();
            match (ends.get_mut(n), u16::try_from(end)) {
                (Some(slot), Ok(end)) => {
                    *slot = end;
                    n += 1;
                }
                _ => {
                    complete = false;
                    break;
                }
            }
        }
        Fields {
            seg: *seg,
            body,
            ends,
            n,
            complete,
        }
    }

    /// Element `n` (1-based); `None` when absent. Same as [`Segment::element`].
    #[inline]
    pub(crate) fn element(&self, n: usize) -> Option<&'a [u8]> {
        if n == 0 {
            return None;
        }
        if n <= self.n {
            let start = match n {
                1 => 0,
                _ => usize::from(*self.ends.get(n - 2)?) + 1,
            };
            let end = usize::from(*self.ends.get(n - 1)?);
            return self.body.get(start..end);
        }
        if self.complete {
            None
        } else {
            self.seg.element(n)
        }
    }

    /// Element `n`, treating empty as absent. Same as [`Segment::value`].
    #[inline]
    pub(crate) fn value(&self, n: usize) -> Option<&'a [u8]> {
        self.element(n).filter(|e| !e.is_empty())
    }

    /// Element `n` as (lossy) text, empty treated as absent. Same as [`Segment::text`].
    #[inline]
    pub(crate) fn text(&self, n: usize) -> Option<Text> {
        self.value(n).map(fast_text)
    }

    /// Number of elements. Same as [`Segment::element_count`].
    pub(crate) fn element_count(&self) -> usize {
        if self.complete {
            self.n
        } else {
            self.seg.element_count()
        }
    }
}

impl<'a> std::ops::Deref for Fields<'a> {
    type Target = Segment<'a>;
    fn deref(&self) -> &Segment<'a> {
        &self.seg
    }
}

/// Element access shared by [`Segment`] and [`Fields`], so the helpers below serve both.
pub(crate) trait Elems<'a> {
    fn seg(&self) -> &Segment<'a>;
    fn element(&self, n: usize) -> Option<&'a [u8]>;
    fn value(&self, n: usize) -> Option<&'a [u8]> {
        self.element(n).filter(|e| !e.is_empty())
    }
    fn text(&self, n: usize) -> Option<Text> {
        self.value(n).map(fast_text)
    }
}

impl<'a> Elems<'a> for Segment<'a> {
    fn seg(&self) -> &Segment<'a> {
        self
    }
    fn element(&self, n: usize) -> Option<&'a [u8]> {
        Segment::element(self, n)
    }
}

impl<'a> Elems<'a> for Fields<'a> {
    fn seg(&self) -> &Segment<'a> {
        &self.seg
    }
    fn element(&self, n: usize) -> Option<&'a [u8]> {
        Fields::element(self, n)
    }
}

/// Collects AK3/AK4-coded faults with full locations (same shape as the 850 mapping's).
pub(crate) struct Faults {
    base: Location,
    pub(crate) out: Vec<Diagnostic>,
}

impl Faults {
    pub(crate) fn new(source: &SourceRef) -> Self {
        Faults {
            base: Location {
                interchange_control: Some(source.interchange_control.to_string()),
                group_control: Some(source.group_control.to_string()),
                set_control: Some(source.set_control.to_string()),
                ..Location::default()
            },
            out: Vec::new(),
        }
    }

    fn ctx(&self) -> String {
        format!(
            "transaction set {}, group {}, interchange {}",
            self.base.set_control.as_deref().unwrap_or(""),
            self.base.group_control.as_deref().unwrap_or(""),
            self.base.interchange_control.as_deref().unwrap_or("")
        )
    }

    /// AK4 element error (code list 723: 1 missing, 6 invalid character, 7 invalid code, 8 invalid date).
    pub(crate) fn element(&mut self, seg: &Segment<'_>, n: u32, code: u16, why: &str) {
        let mut loc = self.base.clone();
        loc.offset = Some(seg.offset);
        loc.segment_id = Some(seg.id_str().into_owned());
        loc.segment_position = Some(seg.position);
        loc.element = Some(n);
        loc.bad_value = seg.text(n as usize).map(String::from);
        let msg = format!(
            "{}{n:02} at position {} {why} ({})",
            seg.id_str(),
            seg.position,
            self.ctx()
        );
        self.out
            .push(Diagnostic::error(Some(AckCode::Element(code)), loc, msg));
    }

    /// AK3 segment error (code list 720: 3 mandatory missing, 7 out of sequence).
    pub(crate) fn segment(&mut self, id: &str, position: u32, code: u16, why: &str) {
        let mut loc = self.base.clone();
        loc.segment_id = Some(id.to_string());
        loc.segment_position = Some(position);
        let msg = format!("segment {id}: {why} ({})", self.ctx());
        self.out
            .push(Diagnostic::error(Some(AckCode::Segment(code)), loc, msg));
    }

    /// AK3 code 3 for a mandatory segment that never came.
    pub(crate) fn missing_segment(&mut self, id: &str, position: u32, why: &str) {
        let mut loc = self.base.clone();
        loc.segment_id = Some(id.to_string());
        loc.segment_position = Some(position);
        let msg = format!("mandatory segment {id} is missing: {why} ({})", self.ctx());
        self.out
            .push(Diagnostic::error(Some(AckCode::Segment(3)), loc, msg));
    }

    pub(crate) fn finish<T>(self, doc: T) -> Result<T, Vec<Diagnostic>> {
        if self.out.is_empty() {
            Ok(doc)
        } else {
            Err(self.out)
        }
    }

    /// Optional date element → ISO, flagging a non-date with AK4 code 8.
    pub(crate) fn date<'a>(&mut self, seg: &impl Elems<'a>, n: usize) -> Option<Text> {
        let raw = seg.value(n)?;
        let d = iso_date(raw);
        if d.is_none() {
            self.element(seg.seg(), n as u32, 8, "is not a valid CCYYMMDD date");
        }
        d
    }

    /// Optional R element → decimal, flagging a non-number with AK4 code 6.
    pub(crate) fn decimal<'a>(
        &mut self,
        seg: &impl Elems<'a>,
        n: usize,
        what: &str,
    ) -> Option<Decimal> {
        let raw = seg.value(n)?;
        let d = decimal(raw);
        if d.is_none() {
            self.element(seg.seg(), n as u32, 6, &format!("{what} is not a number"));
        }
        d
    }

    /// Optional N0 element → u32, flagging anything else with AK4 code 6.
    pub(crate) fn count<'a>(&mut self, seg: &impl Elems<'a>, n: usize, what: &str) -> Option<u32> {
        let raw = seg.value(n)?;
        let v = std::str::from_utf8(raw)
            .ok()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<u32>().ok());
        if v.is_none() {
            self.element(
                seg.seg(),
                n as u32,
                6,
                &format!("{what} is not a whole number"),
            );
        }
        v
    }

    /// Checks CTT01 against what was counted (AK4 code 7, as for the 850).
    pub(crate) fn ctt(&mut self, seg: &Segment<'_>, counted: usize, what: &str) {
        match seg.value(1).and_then(decimal) {
            None => self.element(seg, 1, 6, "count is missing or not a number"),
            Some(n) if n != Decimal::from(counted) => {
                let why = format!("says {n} but the set has {counted} {what}");
                self.element(seg, 1, 7, &why);
            }
            Some(_) => {}
        }
    }
}

pub(crate) fn role_code(r: &PartyRole) -> &str {
    match r {
        PartyRole::BuyingParty => "BY",
        PartyRole::ShipTo => "ST",
        PartyRole::BillTo => "BT",
        PartyRole::Seller => "SE",
        PartyRole::Other(c) => c,
    }
}

/// [`role`] of raw element bytes, without making text of the common codes.
pub(crate) fn role_bytes(code: &[u8]) -> PartyRole {
    match code {
        b"BY" => PartyRole::BuyingParty,
        b"ST" => PartyRole::ShipTo,
        b"BT" => PartyRole::BillTo,
        b"SE" => PartyRole::Seller,
        other => PartyRole::Other(fast_text(other)),
    }
}

/// [`qualifier`] of raw element bytes, without making text of the common codes.
pub(crate) fn qualifier_bytes(code: &[u8]) -> ItemIdQualifier {
    match code {
        b"BP" | b"IN" => ItemIdQualifier::BuyerPart,
        b"VP" | b"VN" => ItemIdQualifier::VendorPart,
        b"UP" => ItemIdQualifier::Upc,
        b"EN" | b"UK" => ItemIdQualifier::Gtin,
        other => ItemIdQualifier::Other(fast_text(other)),
    }
}

/// Canonical → 235 code. A GTIN-14 is "UK", shorter GTINs are EAN/UCC-13 "EN".
pub(crate) fn qualifier_code(id: &ItemId) -> &str {
    match &id.qualifier {
        ItemIdQualifier::BuyerPart => "BP",
        ItemIdQualifier::VendorPart => "VP",
        ItemIdQualifier::Upc => "UP",
        ItemIdQualifier::Gtin if id.value.len() == 14 => "UK",
        ItemIdQualifier::Gtin => "EN",
        ItemIdQualifier::Other(c) => c,
    }
}

/// Appends qualifier/value pairs to `seg`, at most `max_pairs`.
pub(crate) fn push_item_ids(
    mut seg: OutSegment,
    ids: &[ItemId],
    max_pairs: usize,
    opts: WriteOptions,
    field: &'static str,
) -> Result<OutSegment, X12Error> {
    if ids.len() > max_pairs {
        return Err(X12Error::InvalidOutbound {
            field,
            reason: format!("{} product ids, at most {max_pairs} fit", ids.len()),
        });
    }
    for id in ids {
        if id.value.is_empty() {
            return Err(X12Error::InvalidOutbound {
                field,
                reason: "empty product id".into(),
            });
        }
        if opts.check_gtins
            && matches!(id.qualifier, ItemIdQualifier::Gtin | ItemIdQualifier::Upc)
            && let Err(e) = gs1::check_gtin(&id.value)
        {
            return Err(X12Error::InvalidOutbound {
                field,
                reason: format!("GTIN/UPC {}: {e}", id.value),
            });
        }
        seg = seg.e(qualifier_code(id)).e(id.value.clone());
    }
    Ok(seg)
}

/// Reads qualifier/value pairs starting at element `first` (e.g. PO106), `pairs` of them.
pub(crate) fn read_item_ids<'a>(
    f: &mut Faults,
    seg: &impl Elems<'a>,
    first: usize,
    pairs: usize,
) -> Vec<ItemId> {
    let mut ids = Vec::new();
    for k in 0..pairs {
        let n = first + 2 * k;
        match (seg.value(n), seg.value(n + 1)) {
            (Some(q), Some(v)) => ids.push(ItemId {
                qualifier: qualifier_bytes(q),
                value: fast_text(v),
            }),
            (Some(_), None) => f.element(
                seg.seg(),
                n as u32 + 1,
                2,
                "product id missing after its qualifier",
            ),
            (None, Some(_)) => f.element(
                seg.seg(),
                n as u32,
                2,
                "qualifier missing before a product id",
            ),
            (None, None) => {}
        }
    }
    ids
}

/// ISO YYYY-MM-DD → CCYYMMDD, refusing anything that is not a calendar date.
pub(crate) fn x12_date(iso: &str, field: &'static str) -> Result<String, X12Error> {
    let compact: String = iso.chars().filter(|c| *c != '-').collect();
    let ok = iso.len() == 10
        && compact.len() == 8
        && iso.get(4..5) == Some("-")
        && iso.get(7..8) == Some("-")
        && iso_date(compact.as_bytes()).as_deref() == Some(iso);
    if ok {
        Ok(compact)
    } else {
        Err(X12Error::InvalidOutbound {
            field,
            reason: format!("{iso:?} is not an ISO date YYYY-MM-DD"),
        })
    }
}

pub(crate) fn opt_date(iso: Option<&str>, field: &'static str) -> Result<String, X12Error> {
    iso.map_or(Ok(String::new()), |d| x12_date(d, field))
}

/// Decimal in X12 R form: plain digits, optional sign and point, never an exponent.
pub(crate) fn r(d: &Decimal) -> String {
    d.to_string()
}

pub(crate) fn opt_r(d: Option<&Decimal>) -> String {
    d.map(r).unwrap_or_default()
}

pub(crate) fn required(v: &str, field: &'static str) -> Result<(), X12Error> {
    if v.is_empty() {
        Err(X12Error::InvalidOutbound {
            field,
            reason: "is mandatory but empty".into(),
        })
    } else {
        Ok(())
    }
}

/// One N1 loop per party: N1, N2 (two names each), N3 (two lines each), N4.
pub(crate) fn party_segments(p: &Party, out: &mut Vec<OutSegment>) -> Result<(), X12Error> {
    required(role_code(&p.role), "N101")?;
    if p.name.is_none() && p.id.is_none() {
        // N1 requires N102 or N103/N104 (syntax rule R0203).
        return Err(X12Error::InvalidOutbound {
            field: "N102",
            reason: format!("party {} has neither a name nor an id", role_code(&p.role)),
        });
    }
    if p.id.is_some() != p.id_qualifier.is_some() {
        return Err(X12Error::InvalidOutbound {
            field: "N103",
            reason: "an id and its qualifier go together (syntax rule P0304)".into(),
        });
    }
    out.push(
        OutSegment::new("N1")
            .e(role_code(&p.role))
            .o(p.name.as_deref())
            .o(p.id_qualifier.as_deref())
            .o(p.id.as_deref()),
    );
    for pair in p.additional_names.chunks(2) {
        let mut s = OutSegment::new("N2");
        for n in pair {
            required(n, "N201")?;
            s = s.e(n.clone());
        }
        out.push(s);
    }
    for pair in p.address_lines.chunks(2) {
        let mut s = OutSegment::new("N3");
        for n in pair {
            required(n, "N301")?;
            s = s.e(n.clone());
        }
        out.push(s);
    }
    if p.city.is_some() || p.state.is_some() || p.postal_code.is_some() || p.country.is_some() {
        out.push(
            OutSegment::new("N4")
                .o(p.city.as_deref())
                .o(p.state.as_deref())
                .o(p.postal_code.as_deref())
                .o(p.country.as_deref()),
        );
    }
    Ok(())
}

/// Starts a party from an N1.
pub(crate) fn read_n1<'a>(f: &mut Faults, seg: &impl Elems<'a>) -> Party {
    if seg.value(1).is_none() {
        f.element(seg.seg(), 1, 1, "entity identifier code is missing");
    }
    Party {
        role: role_bytes(seg.value(1).unwrap_or_default()),
        name: seg.text(2),
        additional_names: Vec::new(),
        id_qualifier: seg.text(3),
        id: seg.text(4),
        address_lines: Vec::new(),
        city: None,
        state: None,
        postal_code: None,
        country: None,
    }
}

/// Adds an N2/N3/N4 to the party its N1 loop started; orphans are ignored.
pub(crate) fn read_n2_n4<'a>(party: Option<&mut Party>, seg: &impl Elems<'a>) {
    let Some(p) = party else { return };
    match seg.seg().id {
        b"N2" => p
            .additional_names
            .extend([seg.text(1), seg.text(2)].into_iter().flatten()),
        b"N3" => p
            .address_lines
            .extend([seg.text(1), seg.text(2)].into_iter().flatten()),
        _ => {
            p.city = seg.text(1);
            p.state = seg.text(2);
            p.postal_code = seg.text(3);
            p.country = seg.text(4);
        }
    }
}

/// Checks the set is framed ST..SE and of the expected type; the caller buffers one set.
pub(crate) fn check_frame(f: &mut Faults, body: &[Segment<'_>], set_id: &str) {
    match body.first() {
        Some(st) if st.is("ST") => {
            if st.value(1) != Some(set_id.as_bytes()) {
                f.element(st, 1, 7, &format!("is not {set_id}"));
            }
        }
        _ => f.segment("ST", 1, 3, "the set must start with ST"),
    }
    if !body.last().is_some_and(|s| s.is("SE")) {
        let pos = body.last().map_or(1, |s| s.position + 1);
        f.segment("SE", pos, 3, "the set must end with SE");
    }
}

/// The segments between ST and SE (both excluded when present).
pub(crate) fn inner<'b, 'a>(body: &'b [Segment<'a>]) -> &'b [Segment<'a>] {
    let start = usize::from(body.first().is_some_and(|s| s.is("ST")));
    let end =
        body.len() - usize::from(body.len() > start && body.last().is_some_and(|s| s.is("SE")));
    body.get(start..end).unwrap_or(&[])
}

/// Test support shared by the document modules: envelopes, set splitting, generators.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
pub(crate) mod testkit {
    use crate::edi::x12::writer::OutboundEnvelope;
    use crate::edi::x12::{Delimiters, Reader, Segment};
    use crate::model::{ItemId, ItemIdQualifier, Party, PartyRole, SourceRef, Text};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    pub fn env(delimiters: Delimiters, five010: bool) -> OutboundEnvelope {
        OutboundEnvelope {
            sender_qualifier: "ZZ".into(),
            sender_id: "WHARF".into(),
            receiver_qualifier: "01".into(),
            receiver_id: "PARTNER".into(),
            interchange_control: 17,
            group_control: 9,
            date: "20260115".into(),
            time: "0930".into(),
            usage: 'T',
            version: if five010 { "00501" } else { "00401" }.into(),
            gs_version: if five010 { "005010" } else { "004010" }.into(),
            delimiters,
        }
    }

    /// Reads an interchange back with the production reader and splits it into ST..SE sets,
    /// each with the SourceRef the translator would build.
    pub fn split_sets(bytes: &[u8]) -> Vec<(Vec<Segment<'_>>, SourceRef)> {
        let mut r = Reader::new(bytes);
        let (mut isa13, mut sender, mut receiver, mut gs06, mut gs08) = (
            Text::default(),
            Text::default(),
            Text::default(),
            Text::default(),
            Text::default(),
        );
        let mut out = Vec::new();
        let mut cur: Option<Vec<Segment<'_>>> = None;
        while let Ok(Some(seg)) = r.next_segment() {
            match seg.id {
                b"ISA" => {
                    isa13 = seg.text(13).unwrap_or_default();
                    sender = seg.text(6).unwrap_or_default().trim_end().into();
                    receiver = seg.text(8).unwrap_or_default().trim_end().into();
                }
                b"GS" => {
                    gs06 = seg.text(6).unwrap_or_default();
                    gs08 = seg.text(8).unwrap_or_default();
                }
                b"ST" => cur = Some(vec![seg]),
                b"SE" => {
                    if let Some(mut v) = cur.take() {
                        v.push(seg);
                        let st02 = v.first().and_then(|s| s.text(2)).unwrap_or_default();
                        out.push((
                            v,
                            SourceRef {
                                standard: "X12".into(),
                                version: gs08.clone(),
                                interchange_control: isa13.clone(),
                                group_control: gs06.clone(),
                                set_control: st02,
                                sender_id: sender.clone(),
                                receiver_id: receiver.clone(),
                            },
                        ));
                    }
                }
                _ => {
                    if let Some(v) = cur.as_mut() {
                        v.push(seg);
                    }
                }
            }
        }
        out
    }

    /// The SourceRef `split_sets` produces for set `n` of an interchange written with `env()`.
    pub fn source(five010: bool, control: u32) -> SourceRef {
        SourceRef {
            standard: "X12".into(),
            version: if five010 { "005010" } else { "004010" }.into(),
            interchange_control: "000000017".into(),
            group_control: "9".into(),
            set_control: compact_str::format_compact!("{control:04}"),
            sender_id: "WHARF".into(),
            receiver_id: "PARTNER".into(),
        }
    }

    /// Random distinct delimiters from a safe set, and 4010 (no repetition separator) or 5010.
    pub fn delimiters() -> impl Strategy<Value = (Delimiters, bool)> {
        let pool: Vec<u8> = b"*|^~!{:>".to_vec();
        (Just(pool).prop_shuffle(), any::<bool>(), any::<bool>()).prop_map(|(p, five010, nl)| {
            let d = Delimiters {
                element: p[0],
                component: p[1],
                segment: p[2],
                repetition: if five010 { Some(p[3]) } else { None },
                newline_after_segment: nl,
            };
            (d, five010)
        })
    }

    pub fn excluded(d: &Delimiters) -> Vec<u8> {
        let mut v = vec![d.element, d.component, d.segment];
        v.extend(d.repetition);
        v
    }

    /// 1-12 printable ASCII characters, none of them a delimiter.
    pub fn text(excl: &[u8]) -> BoxedStrategy<Text> {
        let chars: Vec<char> = (0x20u8..0x7F)
            .filter(|b| !excl.contains(b))
            .map(char::from)
            .collect();
        proptest::collection::vec(proptest::sample::select(chars), 1..12)
            .prop_map(|v| v.into_iter().collect())
            .boxed()
    }

    pub fn opt_text(excl: &[u8]) -> BoxedStrategy<Option<Text>> {
        proptest::option::of(text(excl)).boxed()
    }

    pub fn iso_date() -> BoxedStrategy<Text> {
        (1990u32..2090, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| compact_str::format_compact!("{y:04}-{m:02}-{d:02}"))
            .boxed()
    }

    /// Positive decimals with up to 3 places, as quantities and prices look.
    pub fn amount() -> BoxedStrategy<Decimal> {
        (1i64..10_000_000, 0u32..4)
            .prop_map(|(n, s)| Decimal::new(n, s))
            .boxed()
    }

    /// A GS1 id of the given length with a correct check digit.
    pub fn gtin(len: usize) -> BoxedStrategy<Text> {
        proptest::collection::vec(0u8..10, len - 1)
            .prop_map(|d| {
                let mut s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
                let c = crate::edi::gs1::check_digit(s.as_bytes()).unwrap_or(0);
                s.push(char::from(b'0' + c));
                Text::from(s)
            })
            .boxed()
    }

    pub fn item_id(excl: &[u8]) -> BoxedStrategy<ItemId> {
        prop_oneof![
            text(excl).prop_map(|v| ItemId {
                qualifier: ItemIdQualifier::BuyerPart,
                value: v
            }),
            text(excl).prop_map(|v| ItemId {
                qualifier: ItemIdQualifier::VendorPart,
                value: v
            }),
            gtin(12).prop_map(|v| ItemId {
                qualifier: ItemIdQualifier::Upc,
                value: v
            }),
            prop_oneof![gtin(13), gtin(14)].prop_map(|v| ItemId {
                qualifier: ItemIdQualifier::Gtin,
                value: v
            }),
            // Codes the reader maps to a known qualifier are excluded: they would not come back as Other.
            ("(SK|VC|CB|B6|MG)", text(excl)).prop_map(|(q, v)| ItemId {
                qualifier: ItemIdQualifier::Other(q.into()),
                value: v
            }),
        ]
        .boxed()
    }

    pub fn item_ids(excl: &[u8], max: usize) -> BoxedStrategy<Vec<ItemId>> {
        proptest::collection::vec(item_id(excl), 0..=max).boxed()
    }

    pub fn party(excl: &[u8]) -> BoxedStrategy<Party> {
        let role = prop_oneof![
            Just(PartyRole::BuyingParty),
            Just(PartyRole::ShipTo),
            Just(PartyRole::BillTo),
            Just(PartyRole::Seller),
            "(SF|SU|RE|OB|SH)".prop_map(|s: String| PartyRole::Other(s.into())),
        ];
        (
            role,
            text(excl),
            proptest::option::of(("(92|9|1|ZZ)", text(excl))),
            proptest::collection::vec(text(excl), 0..4),
            proptest::collection::vec(text(excl), 0..4),
            (
                opt_text(excl),
                opt_text(excl),
                opt_text(excl),
                opt_text(excl),
            ),
        )
            .prop_map(
                |(role, name, id, names, lines, (city, state, postal, country))| Party {
                    role,
                    name: Some(name),
                    additional_names: names,
                    id_qualifier: id.as_ref().map(|i| i.0.as_str().into()),
                    id: id.map(|i| i.1),
                    address_lines: lines,
                    city,
                    state,
                    postal_code: postal,
                    country,
                },
            )
            .boxed()
    }

    pub fn parties(excl: &[u8]) -> BoxedStrategy<Vec<Party>> {
        proptest::collection::vec(party(excl), 0..4).boxed()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod fields_tests {
    use super::Fields;
    use crate::edi::x12::Reader;

    fn check(elements: &[Vec<u8>]) {
        let mut text = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240102*1030*U*00401*000000001*0*T*:~ST*850*0001~PO1".to_vec();
        for e in elements {
            text.push(b'*');
            text.extend_from_slice(e);
        }
        text.push(b'~');
        let mut r = Reader::new(&text);
        let mut last = None;
        while let Ok(Some(s)) = r.next_segment() {
            last = Some(s);
        }
        let seg = last.expect("segment");
        let f = Fields::new(&seg);
        assert_eq!(f.element_count(), seg.element_count());
        for n in 0..elements.len() + 3 {
            assert_eq!(f.element(n), seg.element(n), "element {n}");
            assert_eq!(f.value(n), seg.value(n), "value {n}");
        }
    }

    proptest::proptest! {
        /// Fields answers exactly as the segment does: short and empty elements, more
        /// elements than it keeps at hand.
        #[test]
        fn fields_agree_with_the_segment(
            els in proptest::collection::vec(proptest::collection::vec(b'0'..=b'9', 0..12), 0..50),
        ) {
            check(&els);
        }
    }

    #[test]
    fn elements_past_the_16_bit_offsets_are_still_found() {
        let mut els = vec![
            b"A".to_vec(),
            vec![b'X'; 70_000],
            b"B".to_vec(),
            b"C".to_vec(),
        ];
        check(&els);
        els.insert(0, Vec::new());
        check(&els);
    }
}
