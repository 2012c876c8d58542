//! Serializes 997/999 functional acknowledgements and TA1 interchange acknowledgements (the
//! canonical `model` documents) as complete X12 interchanges with the `edi` segment writer;
//! here rather than in `edi`, which knows no canonical document. Must not depend on I/O,
//! async or the database.

use crate::edi::x12::X12Error;
use crate::edi::x12::writer::{Elem, OutboundEnvelope, SegmentWriter};
use crate::model::{AckKind, FunctionalAck, Ta1};

/// AK404/IK404 copies partner data; drop it when it would collide with our delimiters
/// (the writer refuses such data) and cap it at the element's 99-character maximum.
fn safe_bad_value(v: &Option<String>, env: &OutboundEnvelope) -> String {
    match v {
        Some(s)
            if !s
                .bytes()
                .any(|b| env.delimiters.is_delimiter(b) || b < 0x20) =>
        {
            s.chars().take(99).collect()
        }
        _ => String::new(),
    }
}

/// Writes ISA / GS*FA / one ST 997 or 999 per acknowledged group / GE / IEA.
pub fn write_functional_ack(
    ack: &FunctionalAck,
    env: &OutboundEnvelope,
) -> Result<Vec<u8>, X12Error> {
    let mut w = SegmentWriter::new(env.delimiters)?;
    w.isa(env, false)?;
    let gctl = env.group_control.to_string();
    w.simple(
        "GS",
        &[
            "FA",
            &env.sender_id,
            &env.receiver_id,
            &env.date,
            &env.time,
            &gctl,
            "X",
            &env.gs_version,
        ],
    )?;
    let five_010 = env.gs_version.as_str() >= "005010";
    let (st01, seg3, seg4, seg5) = match ack.kind {
        AckKind::F997 => ("997", "AK3", "AK4", "AK5"),
        AckKind::F999 => ("999", "IK3", "IK4", "IK5"),
    };
    let mut sets = 0u32;
    for g in &ack.groups {
        sets += 1;
        let stctl = format!("{sets:04}");
        w.reset_count();
        let st03 = if ack.kind == AckKind::F999 {
            env.gs_version.as_str()
        } else {
            ""
        };
        w.simple("ST", &[st01, &stctl, st03])?;
        let ak103 = if five_010 { g.version.as_str() } else { "" };
        w.simple("AK1", &[&g.functional_id, &g.group_control, ak103])?;
        for s in &g.sets {
            let ak203 = if five_010 {
                s.implementation_ref.as_deref().unwrap_or("")
            } else {
                ""
            };
            w.simple("AK2", &[&s.set_id, &s.set_control, ak203])?;
            for se in &s.segment_errors {
                let pos = se.position.to_string();
                let code = se.code.to_string();
                w.simple(
                    seg3,
                    &[
                        &se.segment_id,
                        &pos,
                        se.loop_id.as_deref().unwrap_or(""),
                        &code,
                    ],
                )?;
                for ee in &se.element_errors {
                    let p = ee.position.to_string();
                    let c = ee.component.map(|c| c.to_string()).unwrap_or_default();
                    let r = ee.repeat.map(|r| r.to_string()).unwrap_or_default();
                    let parts: [&str; 3] = [&p, &c, &r];
                    let reference = ee.reference.map(|r| r.to_string()).unwrap_or_default();
                    let ecode = ee.code.to_string();
                    let bad = safe_bad_value(&ee.bad_value.as_deref().map(String::from), env);
                    w.segment(
                        seg4,
                        &[
                            Elem::Composite(&parts),
                            reference.as_str().into(),
                            ecode.as_str().into(),
                            bad.as_str().into(),
                        ],
                    )?;
                }
            }
            let codes: Vec<String> = s.set_errors.iter().take(5).map(u16::to_string).collect();
            let mut els: Vec<&str> = vec![s.status.code()];
            els.extend(codes.iter().map(String::as_str));
            w.simple(seg5, &els)?;
        }
        let (inc, rec, acc) = (
            g.included.to_string(),
            g.received.to_string(),
            g.accepted.to_string(),
        );
        let codes: Vec<String> = g.group_errors.iter().take(5).map(u16::to_string).collect();
        let mut els: Vec<&str> = vec![g.status.code(), &inc, &rec, &acc];
        els.extend(codes.iter().map(String::as_str));
        w.simple("AK9", &els)?;
        let count = (w.count() + 1).to_string();
        w.simple("SE", &[&count, &stctl])?;
    }
    let n = sets.to_string();
    w.simple("GE", &[&n, &gctl])?;
    let ictl = format!("{:09}", env.interchange_control);
    w.simple("IEA", &["1", &ictl])?;
    Ok(w.into_bytes())
}

/// Writes ISA / TA1 / IEA (IEA01 = 0: a TA1-only interchange holds no groups).
pub fn write_ta1(ta1: &Ta1, env: &OutboundEnvelope) -> Result<Vec<u8>, X12Error> {
    if !matches!(ta1.ack_code, 'A' | 'E' | 'R') {
        return Err(X12Error::InvalidOutbound {
            field: "TA104",
            reason: format!("{:?} is not A, E or R", ta1.ack_code),
        });
    }
    let mut w = SegmentWriter::new(env.delimiters)?;
    w.isa(env, false)?;
    let code = ta1.ack_code.to_string();
    w.simple(
        "TA1",
        &[
            &ta1.control_number,
            &ta1.date,
            &ta1.time,
            &code,
            &ta1.note_code,
        ],
    )?;
    let ictl = format!("{:09}", env.interchange_control);
    w.simple("IEA", &["0", &ictl])?;
    Ok(w.into_bytes())
}
