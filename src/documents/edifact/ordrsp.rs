//! Order acknowledgement → ORDRSP (EANCOM D96A): BGM 231 with message function 29 (accepted), 4 (changed) or 27 (not accepted), DTM, RFF+ON with the order date, CUX, NAD, and per line LIN with action code 5 (accepted), 3 (changed) or 7 (not accepted), PIA, IMD, QTY, PRI and the promised date; UNS and CNT close it. Pure.

use super::desadv::{dtm, item_segments, nad};
use crate::edi::edifact::EdifactError;
use crate::edi::edifact::writer::OutSegment;
use crate::model::order_ack::{LineStatus, OrderAck, OrderAckType};

/// BGM03 message function for the acknowledgement as a whole.
fn function(t: &OrderAckType) -> &'static str {
    match t {
        OrderAckType::Accepted
        | OrderAckType::AcceptedNoChanges
        | OrderAckType::AcceptedNoDetail => "29",
        OrderAckType::Rejected | OrderAckType::RejectedWithDetail => "27",
        OrderAckType::AcceptedWithChanges
        | OrderAckType::ExceptionsOnly
        | OrderAckType::Other(_) => "4",
    }
}

/// LIN02 action code (1229) for a line's first status.
fn action(s: Option<&LineStatus>) -> &'static str {
    match s {
        None | Some(LineStatus::Accepted | LineStatus::AcceptedAndShipped) => "5",
        Some(LineStatus::Rejected | LineStatus::Deleted) => "7",
        Some(_) => "3",
    }
}

/// The body of an ORDRSP for `a` (UNH/UNT are added by the writer).
pub fn to_segments(a: &OrderAck) -> Result<Vec<OutSegment>, EdifactError> {
    if a.po_number.is_empty() {
        return Err(EdifactError::InvalidOutbound {
            field: "RFF+ON",
            reason: "the acknowledgement names no purchase order".into(),
        });
    }
    let number = a
        .seller_order_number
        .as_deref()
        .unwrap_or(a.po_number.as_str());
    let mut out = vec![
        OutSegment::new("BGM")
            .e("231")
            .e(number)
            .e(function(&a.ack_type)),
    ];
    if let Some(d) = &a.ack_date {
        out.push(dtm("137", d, "DTM+137")?);
    }
    out.push(OutSegment::new("RFF").c(&["ON", &a.po_number]));
    if let Some(d) = &a.po_date {
        out.push(dtm("171", d, "DTM+171")?);
    }
    // EANCOM order: the NAD group comes before the CUX group.
    for p in &a.parties {
        out.push(nad(p));
    }
    if let Some(c) = &a.currency {
        out.push(OutSegment::new("CUX").c(&["2", c, "9"]));
    }
    for (i, line) in a.lines.iter().enumerate() {
        let number = line
            .line_number
            .as_deref()
            .map_or_else(|| (i + 1).to_string(), str::to_owned);
        let mut item = Vec::new();
        item_segments(&mut item, &number, &line.item_ids);
        if let Some(lin) = item.first_mut() {
            // LIN02: the action for this line.
            while lin.elements.len() < 2 {
                lin.elements.push(vec![String::new()]);
            }
            if let Some(lin02) = lin.elements.get_mut(1) {
                *lin02 = vec![action(line.acks.first().map(|k| &k.status)).to_owned()];
            }
        }
        out.extend(item);
        if let Some(d) = &line.description {
            out.push(OutSegment::new("IMD").e("F").e("").c(&["", "", "", d]));
        }
        if let Some(q) = &line.quantity {
            out.push(OutSegment::new("QTY").c(&[
                "21",
                &q.normalize().to_string(),
                line.uom.as_deref().unwrap_or_default(),
            ]));
        }
        for k in &line.acks {
            if let Some(q) = &k.quantity {
                // 113: quantity to be delivered, as confirmed.
                out.push(OutSegment::new("QTY").c(&[
                    "113",
                    &q.normalize().to_string(),
                    k.uom.as_deref().or(line.uom.as_deref()).unwrap_or_default(),
                ]));
            }
            if let Some(d) = &k.date {
                out.push(dtm("2", &d.date, "DTM+2")?);
            }
        }
        if let Some(p) = &line.unit_price {
            out.push(OutSegment::new("PRI").c(&["AAA", &p.normalize().to_string()]));
        }
    }
    out.push(OutSegment::new("UNS").e("S"));
    out.push(OutSegment::new("CNT").c(&["2", &a.lines.len().to_string()]));
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::super::outbound_message;
    use crate::documents::x12::common::testkit as tk;
    use crate::edi::edifact::envelope::Party as UnbParty;
    use crate::edi::edifact::writer::{OutInterchange, write};
    use crate::edi::edifact::{Charset, ServiceChars};
    use crate::model::order_ack::*;
    use crate::model::{Document, ItemId, ItemIdQualifier, OrderPurpose};
    use rust_decimal::Decimal;

    #[test]
    fn an_acknowledgement_becomes_an_eancom_ordrsp() {
        let line = |n: &str, status: LineStatus, q: i64| OrderAckLine {
            line_number: Some(n.into()),
            quantity: Some(Decimal::new(q, 0)),
            uom: Some("PCE".into()),
            unit_price: Some(Decimal::new(1250, 2)),
            price_basis: None,
            item_ids: vec![ItemId {
                qualifier: ItemIdQualifier::Gtin,
                value: "05412345678908".into(),
            }],
            description: None,
            acks: vec![LineAck {
                status,
                quantity: Some(Decimal::new(q - 1, 0)),
                uom: None,
                date: Some(QualifiedDate {
                    qualifier: "068".into(),
                    date: "2026-12-03".into(),
                }),
                item_ids: vec![],
            }],
        };
        let ack = OrderAck {
            purpose: OrderPurpose::Original,
            ack_type: OrderAckType::AcceptedWithChanges,
            po_number: "PO-4711".into(),
            po_date: Some("2026-11-26".into()),
            release_number: None,
            request_reference: None,
            contract_number: None,
            seller_order_number: Some("SO-1".into()),
            ack_date: Some("2026-11-27".into()),
            currency: Some("EUR".into()),
            references: vec![],
            parties: vec![],
            lines: vec![
                line("1", LineStatus::Accepted, 12),
                line("2", LineStatus::Rejected, 3),
            ],
            source: tk::source(false, 1),
        };
        let msg = outbound_message(&Document::OrderAck(ack), "1").expect("writes");
        let env = OutInterchange {
            chars: ServiceChars::DEFAULT,
            charset: Charset::Unoa,
            syntax_version: 3,
            sender: UnbParty {
                id: "S".into(),
                qualifier: None,
            },
            recipient: UnbParty {
                id: "R".into(),
                qualifier: None,
            },
            date: "261127".into(),
            time: "1200".into(),
            reference: "5".into(),
            application_ref: None,
            ack_request: false,
            test: false,
            una: false,
            newline: true,
        };
        let text = String::from_utf8(write(&env, &[msg]).expect("bytes")).expect("ascii");
        let expected = "UNH+1+ORDRSP:D:96A:UN:EAN005'\nBGM+231+SO-1+4'\nDTM+137:20261127:102'\nRFF+ON:PO-4711'\n\
DTM+171:20261126:102'\nCUX+2:EUR:9'\nLIN+1+5+05412345678908:SRV'\nQTY+21:12:PCE'\nQTY+113:11:PCE'\n\
DTM+2:20261203:102'\nPRI+AAA:12.5'\nLIN+2+7+05412345678908:SRV'\nQTY+21:3:PCE'\nQTY+113:2:PCE'\n\
DTM+2:20261203:102'\nPRI+AAA:12.5'\nUNS+S'\nCNT+2:2'\nUNT+19+1'\n";
        assert!(text.contains(expected), "{text}");
        // What the gateway writes, it reads without a fault.
        let t = super::super::translate_with(text.as_bytes(), Default::default()).expect("reads");
        assert!(
            t.interchanges[0]
                .errors
                .iter()
                .all(|d| d.severity != crate::edi::edifact::Severity::Error),
            "{:?}",
            t.interchanges[0].errors
        );
    }
}
