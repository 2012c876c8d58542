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
pub(crate) mod testkit;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod fields_tests;
