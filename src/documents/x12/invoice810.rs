//! X12 810 invoice ⇄ canonical `Invoice` (written for 4010/5010, read leniently). Pure mapping: no I/O.

use super::common::{
    Faults, WriteOptions, check_frame, inner, opt_date, opt_r, party_segments, push_item_ids, r,
    read_item_ids, read_n1, read_n2_n4, required, x12_date,
};
use super::outbound::{OutSegment, OutboundSet};
use super::poack855::{read_reference, reference_segment};
use crate::edi::x12::{Diagnostic, Segment, X12Error, text};
use crate::model::invoice::{
    AllowanceCharge, ChargeKind, Invoice, InvoiceLine, InvoiceTax, InvoiceType, PaymentTerms,
};
use crate::model::ship_notice::Carrier;
use crate::model::{SourceRef, Text};
use rust_decimal::Decimal;

/// IT106..IT125: ten qualifier/id pairs.
const ID_PAIRS: usize = 10;

pub fn invoice_type_code(t: &InvoiceType) -> &str {
    match t {
        InvoiceType::DebitInvoice => "DI",
        InvoiceType::CreditMemo => "CR",
        InvoiceType::Other(c) => c,
    }
}

pub fn invoice_type(code: &str) -> InvoiceType {
    match code {
        "DI" => InvoiceType::DebitInvoice,
        "CR" => InvoiceType::CreditMemo,
        other => InvoiceType::Other(other.into()),
    }
}

/// TDS01 is N2: the amount in cents with the point implied, so anything finer than a cent is refused.
pub fn cents(total: &Decimal) -> Result<String, X12Error> {
    let c = total * Decimal::ONE_HUNDRED;
    if c.fract() != Decimal::ZERO {
        return Err(X12Error::InvalidOutbound {
            field: "TDS01",
            reason: format!("total {total} has more than 2 decimals (TDS01 is in cents)"),
        });
    }
    Ok(c.trunc().normalize().to_string())
}

/// Reads an N2 amount (optional minus, digits) as a decimal with 2 places.
fn read_cents(raw: &[u8]) -> Option<Decimal> {
    let (neg, digits) = match raw.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, raw),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: i64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(Decimal::new(if neg { -n } else { n }, 2))
}

/// The 810 body (BIG to CTT, without ST/SE).
pub fn to_segments(inv: &Invoice, opts: WriteOptions) -> Result<Vec<OutSegment>, X12Error> {
    required(&inv.invoice_number, "BIG02")?;
    let mut out = vec![
        OutSegment::new("BIG")
            .e(x12_date(&inv.invoice_date, "BIG01")?)
            .e(inv.invoice_number.clone())
            .e(opt_date(inv.po_date.as_deref(), "BIG03")?)
            .o(inv.po_number.as_deref())
            .o(inv.release_number.as_deref())
            .e("")
            .o(inv.invoice_type.as_ref().map(invoice_type_code)),
    ];
    if let Some(c) = &inv.currency {
        // CUR01: the seller's currency is the one invoiced.
        out.push(OutSegment::new("CUR").e("SE").e(c.clone()));
    }
    for rf in &inv.references {
        out.push(reference_segment(rf)?);
    }
    for p in &inv.parties {
        party_segments(p, &mut out)?;
    }
    if let Some(t) = &inv.terms {
        out.push(
            OutSegment::new("ITD")
                .o(t.type_code.as_deref())
                .o(t.basis_date_code.as_deref())
                .e(opt_r(t.discount_percent.as_ref()))
                .e(opt_date(t.discount_due_date.as_deref(), "ITD04")?)
                .e(t.discount_days.map(|d| d.to_string()).unwrap_or_default())
                .e(opt_date(t.net_due_date.as_deref(), "ITD06")?)
                .e(t.net_days.map(|d| d.to_string()).unwrap_or_default())
                .e(opt_r(t.discount_amount.as_ref()))
                .e("")
                .e("")
                .e("")
                .o(t.description.as_deref()),
        );
    }
    if let Some(d) = &inv.ship_date {
        out.push(OutSegment::new("DTM").e("011").e(x12_date(d, "DTM02")?));
    }
    for line in &inv.lines {
        let it1 = OutSegment::new("IT1")
            .o(line.line_number.as_deref())
            .e(r(&line.quantity))
            .o(line.uom.as_deref())
            .e(r(&line.unit_price))
            .o(line.price_basis.as_deref());
        out.push(push_item_ids(it1, &line.item_ids, ID_PAIRS, opts, "IT106")?);
        if let Some(d) = &line.description {
            out.push(OutSegment::new("PID").e("F").e("").e("").e("").e(d.clone()));
        }
    }
    out.push(OutSegment::new("TDS").e(cents(&inv.total)?));
    for t in &inv.taxes {
        required(&t.tax_type, "TXI01")?;
        out.push(
            OutSegment::new("TXI")
                .e(t.tax_type.clone())
                .e(r(&t.amount.round_dp(2)))
                .e(opt_r(t.percent.as_ref())),
        );
    }
    if let Some(c) = &inv.carrier {
        // CAD has no id qualifier: CAD04 is always a SCAC.
        if c.id.is_some() && c.id_qualifier.as_deref() != Some("2") {
            return Err(X12Error::InvalidOutbound {
                field: "CAD04",
                reason: "CAD carries only a SCAC (id qualifier 2)".into(),
            });
        }
        out.push(
            OutSegment::new("CAD")
                .o(c.transport_method.as_deref())
                .e("")
                .e("")
                .o(c.id.as_deref())
                .o(c.routing.as_deref()),
        );
    }
    for c in &inv.charges {
        let mut sac = OutSegment::new("SAC")
            .e(match c.kind {
                ChargeKind::Allowance => "A",
                ChargeKind::Charge => "C",
            })
            .o(c.code.as_deref())
            .e("")
            .e("")
            .e(cents(&c.amount.round_dp(2))?);
        if let Some(d) = &c.description {
            // SAC15: the description.
            for _ in 6..15 {
                sac = sac.e("");
            }
            sac = sac.e(d.clone());
        }
        out.push(sac);
    }
    out.push(OutSegment::new("CTT").e(inv.lines.len().to_string()));
    Ok(out)
}

pub fn to_set(inv: &Invoice, control: u32, opts: WriteOptions) -> Result<OutboundSet, X12Error> {
    Ok(OutboundSet {
        set_id: "810".into(),
        control,
        segments: to_segments(inv, opts)?,
    })
}

/// Maps one 810 (`body` = its segments from ST to SE inclusive). `Err` carries AK3/AK4-coded
/// diagnostics; the set must then be rejected.
pub fn map_810(body: &[Segment<'_>], source: SourceRef) -> Result<Invoice, Vec<Diagnostic>> {
    let mut f = Faults::new(&source);
    check_frame(&mut f, body, "810");
    let mut inv = Invoice {
        invoice_number: Text::default(),
        invoice_date: Text::default(),
        po_number: None,
        po_date: None,
        release_number: None,
        invoice_type: None,
        currency: None,
        references: Vec::new(),
        parties: Vec::new(),
        terms: None,
        ship_date: None,
        lines: Vec::new(),
        taxes: Vec::new(),
        charges: Vec::new(),
        total: Decimal::ZERO,
        carrier: None,
        source,
    };
    let (mut seen_big, mut seen_tds) = (false, false);
    let mut ctt: Option<Segment<'_>> = None;
    let mut in_lines = false;
    for seg in inner(body) {
        match seg.id {
            b"BIG" => {
                seen_big = true;
                match f.date(seg, 1) {
                    Some(d) => inv.invoice_date = d,
                    None if seg.value(1).is_none() => {
                        f.element(seg, 1, 1, "invoice date is missing")
                    }
                    None => {}
                }
                match seg.text(2) {
                    Some(n) => inv.invoice_number = n,
                    None => f.element(seg, 2, 1, "invoice number is missing"),
                }
                inv.po_date = f.date(seg, 3);
                inv.po_number = seg.text(4);
                inv.release_number = seg.text(5);
                inv.invoice_type = seg.value(7).map(|c| invoice_type(&text(c)));
            }
            b"CUR" if !in_lines => inv.currency = seg.text(2),
            b"REF" if !in_lines => inv.references.push(read_reference(&mut f, seg)),
            b"N1" if !in_lines => inv.parties.push(read_n1(&mut f, seg)),
            b"N2" | b"N3" | b"N4" if !in_lines => read_n2_n4(inv.parties.last_mut(), seg),
            b"ITD" if !in_lines => {
                inv.terms = Some(PaymentTerms {
                    type_code: seg.text(1),
                    basis_date_code: seg.text(2),
                    discount_percent: f.decimal(seg, 3, "discount percent"),
                    discount_due_date: f.date(seg, 4),
                    discount_days: f.count(seg, 5, "discount days"),
                    net_due_date: f.date(seg, 6),
                    net_days: f.count(seg, 7, "net days"),
                    discount_amount: f.decimal(seg, 8, "discount amount"),
                    description: seg.text(12),
                });
            }
            b"DTM" if !in_lines && seg.value(1) == Some(b"011") => inv.ship_date = f.date(seg, 2),
            b"IT1" => {
                in_lines = true;
                let quantity = f.decimal(seg, 2, "quantity invoiced");
                let unit_price = f.decimal(seg, 4, "unit price");
                if seg.value(2).is_none() {
                    f.element(seg, 2, 1, "quantity invoiced is missing");
                }
                if seg.value(4).is_none() {
                    f.element(seg, 4, 1, "unit price is missing");
                }
                inv.lines.push(InvoiceLine {
                    line_number: seg.text(1),
                    quantity: quantity.unwrap_or_default(),
                    uom: seg.text(3),
                    unit_price: unit_price.unwrap_or_default(),
                    price_basis: seg.text(5),
                    item_ids: read_item_ids(&mut f, seg, 6, ID_PAIRS),
                    description: None,
                });
            }
            b"PID" if seg.value(1) == Some(b"F") => {
                if let (Some(line), Some(desc)) = (inv.lines.last_mut(), seg.text(5)) {
                    line.description = Some(match line.description.take() {
                        Some(prev) => compact_str::format_compact!("{prev} {desc}"),
                        None => desc,
                    });
                }
            }
            b"TDS" => {
                seen_tds = true;
                match seg.value(1).map(read_cents) {
                    Some(Some(t)) => inv.total = t,
                    Some(None) => f.element(seg, 1, 6, "total is not a whole number of cents (N2)"),
                    None => f.element(seg, 1, 1, "total amount is missing"),
                }
            }
            b"CAD" => {
                inv.carrier = Some(Carrier {
                    id_qualifier: seg.value(4).map(|_| "2".into()),
                    id: seg.text(4),
                    transport_method: seg.text(1),
                    routing: seg.text(5),
                });
            }
            b"TXI" if seen_tds => inv.taxes.push(InvoiceTax {
                tax_type: seg.text(1).unwrap_or_default(),
                amount: f.decimal(seg, 2, "tax amount").unwrap_or_default(),
                percent: f.decimal(seg, 3, "tax percent"),
            }),
            b"SAC" if seen_tds => {
                let kind = match seg.value(1) {
                    Some(b"A") => ChargeKind::Allowance,
                    _ => ChargeKind::Charge,
                };
                let amount = match seg.value(5).map(read_cents) {
                    Some(Some(a)) => a,
                    Some(None) => {
                        f.element(seg, 5, 6, "amount is not a whole number of cents (N2)");
                        Decimal::ZERO
                    }
                    None => Decimal::ZERO,
                };
                inv.charges.push(AllowanceCharge {
                    kind,
                    code: seg.text(2),
                    amount,
                    description: seg.text(15),
                });
            }
            b"CTT" => ctt = Some(*seg),
            _ => {}
        }
    }
    if !seen_big {
        f.segment("BIG", 2, 3, "an 810 must start with BIG");
    }
    if !seen_tds {
        let pos = body.last().map_or(2, |s| s.position);
        f.segment("TDS", pos, 3, "an 810 needs TDS with the total");
    }
    if let Some(seg) = ctt {
        f.ctt(&seg, inv.lines.len(), "IT1 lines");
    }
    f.finish(inv)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::documents::x12::common::testkit as tk;
    use crate::documents::x12::outbound::{FunctionalId, write_interchange};
    use crate::edi::x12::Delimiters;
    use crate::model::order_ack::Reference;
    use crate::model::{ItemId, ItemIdQualifier};
    use proptest::prelude::*;

    fn round_trip(
        inv: &Invoice,
        d: Delimiters,
        five010: bool,
    ) -> (Vec<u8>, Vec<Result<Invoice, Vec<Diagnostic>>>) {
        let set = to_set(inv, 1, WriteOptions::default()).unwrap();
        let bytes = write_interchange(&tk::env(d, five010), FunctionalId::Invoice, &[set]).unwrap();
        let got = tk::split_sets(&bytes)
            .into_iter()
            .map(|(segs, src)| map_810(&segs, src))
            .collect();
        (bytes, got)
    }

    #[test]
    fn taxes_and_charges_are_written_read_back_and_add_up_to_the_total() {
        use crate::model::invoice::{AllowanceCharge, ChargeKind, InvoiceTax};
        let mut inv = sample(false);
        // 207 × 12.34 = 2554.38; freight 15.00; a discount of 4.38; tax 383.16 at 15 %.
        inv.taxes = vec![InvoiceTax {
            tax_type: "TX".into(),
            amount: Decimal::new(38316, 2),
            percent: Some(Decimal::new(15, 0)),
        }];
        inv.charges = vec![
            AllowanceCharge {
                kind: ChargeKind::Charge,
                code: Some("D240".into()),
                amount: Decimal::new(1500, 2),
                description: Some("Freight".into()),
            },
            AllowanceCharge {
                kind: ChargeKind::Allowance,
                code: Some("C310".into()),
                amount: Decimal::new(438, 2),
                description: None,
            },
        ];
        inv.total = Decimal::new(294816, 2);
        assert_eq!(inv.computed_total(), inv.total);
        let (bytes, got) = round_trip(&inv, Delimiters::default(), false);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("TDS*294816~"), "{text}");
        assert!(text.contains("TXI*TX*383.16*15~"), "{text}");
        assert!(
            text.contains("SAC*C*D240***1500**********Freight~"),
            "{text}"
        );
        assert!(text.contains("SAC*A*C310***438~"), "{text}");
        let back = got[0].as_ref().expect("valid 810");
        assert_eq!(back.taxes, inv.taxes);
        assert_eq!(back.charges, inv.charges);
        assert_eq!(back.computed_total(), back.total);
    }

    fn sample(five010: bool) -> Invoice {
        Invoice {
            invoice_number: "INV-1".into(),
            invoice_date: "2026-01-20".into(),
            po_number: Some("PO1".into()),
            po_date: Some("2026-01-05".into()),
            release_number: None,
            invoice_type: Some(InvoiceType::DebitInvoice),
            currency: Some("USD".into()),
            references: vec![Reference {
                qualifier: "IA".into(),
                value: Some("V77".into()),
                description: None,
            }],
            parties: vec![],
            terms: Some(PaymentTerms {
                type_code: Some("01".into()),
                basis_date_code: Some("3".into()),
                discount_percent: Some(Decimal::new(1000, 3)),
                discount_due_date: None,
                discount_days: Some(15),
                net_due_date: None,
                net_days: Some(30),
                discount_amount: None,
                description: Some("1/15 NET 30".into()),
            }),
            ship_date: Some("2026-01-14".into()),
            lines: vec![InvoiceLine {
                line_number: None,
                quantity: Decimal::new(207, 0),
                uom: Some("CA".into()),
                unit_price: Decimal::new(1234, 2),
                price_basis: None,
                item_ids: vec![ItemId {
                    qualifier: ItemIdQualifier::Other("UA".into()),
                    value: "002840022222".into(),
                }],
                description: Some("CHIPS".into()),
            }],
            taxes: Vec::new(),
            charges: Vec::new(),
            total: Decimal::new(255438, 2),
            carrier: Some(Carrier {
                id_qualifier: Some("2".into()),
                id: Some("ABCD".into()),
                transport_method: Some("M".into()),
                routing: Some("FREEFORM".into()),
            }),
            source: tk::source(five010, 1),
        }
    }

    #[test]
    fn fixed_example_round_trips_with_tds_in_cents() {
        for five010 in [false, true] {
            let inv = sample(five010);
            let d = Delimiters {
                element: b'|',
                component: b'>',
                segment: b'~',
                repetition: five010.then_some(b'^'),
                newline_after_segment: true,
            };
            let (bytes, got) = round_trip(&inv, d, five010);
            let text = String::from_utf8_lossy(&bytes);
            assert!(text.contains("TDS|255438~"), "{text}");
            assert!(text.contains("BIG|20260120|INV-1|20260105|PO1|||DI~"));
            assert!(text.contains("ITD|01|3|1.000||15||30|||||1/15 NET 30~"));
            assert!(text.contains("CTT|1~"));
            assert_eq!(got, vec![Ok(inv)]);
        }
    }

    #[test]
    fn tds_refuses_fractions_of_a_cent() {
        assert_eq!(cents(&Decimal::new(-1050, 2)).unwrap(), "-1050");
        assert_eq!(cents(&Decimal::new(7, 0)).unwrap(), "700");
        let mut inv = sample(false);
        inv.total = Decimal::new(12345, 3);
        assert!(matches!(
            to_segments(&inv, WriteOptions::default()),
            Err(X12Error::InvalidOutbound { field: "TDS01", .. })
        ));
        assert_eq!(read_cents(b"-0005"), Some(Decimal::new(-5, 2)));
        assert_eq!(read_cents(b"12.5"), None);
    }

    fn arb_invoice(d: Delimiters, five010: bool) -> BoxedStrategy<Invoice> {
        let x = tk::excluded(&d);
        let line = (
            tk::opt_text(&x),
            tk::amount(),
            proptest::option::of("[A-Z]{2}"),
            tk::amount(),
            proptest::option::of("(PE|CT)"),
            tk::item_ids(&x, ID_PAIRS),
            tk::opt_text(&x),
        )
            .prop_map(
                |(line_number, quantity, uom, unit_price, price_basis, item_ids, description)| {
                    InvoiceLine {
                        line_number,
                        quantity,
                        uom: uom.map(Into::into),
                        unit_price,
                        price_basis: price_basis.map(Into::into),
                        item_ids,
                        description,
                    }
                },
            );
        let terms = (
            (
                proptest::option::of("0[1-8]"),
                proptest::option::of("[1-7]"),
                proptest::option::of(tk::amount()),
            ),
            (
                proptest::option::of(tk::iso_date()),
                proptest::option::of(0u32..365),
                proptest::option::of(tk::iso_date()),
            ),
            (
                proptest::option::of(0u32..365),
                proptest::option::of(tk::amount()),
                tk::opt_text(&x),
            ),
        )
            .prop_map(
                |((a, b, c), (dd, ddays, nd), (nd2, da, desc))| PaymentTerms {
                    type_code: a.map(Into::into),
                    basis_date_code: b.map(Into::into),
                    discount_percent: c,
                    discount_due_date: dd,
                    discount_days: ddays,
                    net_due_date: nd,
                    net_days: nd2,
                    discount_amount: da,
                    description: desc,
                },
            );
        let carrier = (
            tk::opt_text(&x),
            proptest::option::of("[A-Z]{4}"),
            tk::opt_text(&x),
        )
            .prop_map(|(m, scac, routing)| Carrier {
                id_qualifier: scac.as_ref().map(|_| "2".into()),
                id: scac.map(Into::into),
                transport_method: m,
                routing,
            });
        let kind = prop_oneof![
            Just(InvoiceType::DebitInvoice),
            Just(InvoiceType::CreditMemo),
            "(FE|PR)".prop_map(|s: String| InvoiceType::Other(s.into())),
        ];
        let reference =
            ("(IA|VN|BM)", tk::opt_text(&x), tk::opt_text(&x)).prop_map(|(q, v, d)| Reference {
                qualifier: q.into(),
                value: if v.is_none() && d.is_none() {
                    Some("R".into())
                } else {
                    v
                },
                description: d,
            });
        (
            (
                tk::text(&x),
                tk::iso_date(),
                tk::opt_text(&x),
                proptest::option::of(tk::iso_date()),
                tk::opt_text(&x),
                proptest::option::of(kind),
            ),
            (
                proptest::option::of("[A-Z]{3}"),
                proptest::collection::vec(reference, 0..3),
                tk::parties(&x),
                proptest::option::of(terms),
            ),
            (
                proptest::option::of(tk::iso_date()),
                proptest::collection::vec(line, 1..50),
                -10_000_000_000i64..10_000_000_000,
                proptest::option::of(carrier),
            ),
        )
            .prop_map(move |(a, b, c)| Invoice {
                invoice_number: a.0,
                invoice_date: a.1,
                po_number: a.2,
                po_date: a.3,
                release_number: a.4,
                invoice_type: a.5,
                currency: b.0.map(Into::into),
                references: b.1,
                parties: b.2,
                terms: b.3,
                ship_date: c.0,
                lines: c.1,
                taxes: Vec::new(),
                charges: Vec::new(),
                total: Decimal::new(c.2, 2),
                carrier: c.3,
                source: tk::source(five010, 1),
            })
            .boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        #[test]
        fn generated_810s_round_trip(
            (d, five010, inv) in tk::delimiters().prop_flat_map(|(d, f)| (Just(d), Just(f), arb_invoice(d, f)))
        ) {
            let (_, got) = round_trip(&inv, d, five010);
            prop_assert_eq!(got, vec![Ok(inv)]);
        }
    }
}
