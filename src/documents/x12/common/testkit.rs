//! Test helpers of `common`.

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
