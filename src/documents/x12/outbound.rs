//! Writes complete outbound X12 interchanges (ISA/GS/ST..SE/GE/IEA) around document sets built by the 855/856/810 writers. Pure: no I/O.

use crate::edi::x12::writer::{OutboundEnvelope, SegmentWriter};
use crate::edi::x12::{KnownSet, X12Error};

/// One segment to write: its id and its elements (element 1 first). Composites are not
/// needed by the documents written so far, so elements are plain strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutSegment {
    pub id: &'static str,
    pub elements: Vec<String>,
}

impl OutSegment {
    pub fn new(id: &'static str) -> Self {
        OutSegment {
            id,
            elements: Vec::new(),
        }
    }

    /// Appends an element (empty string = element left out).
    pub fn e(mut self, v: impl Into<String>) -> Self {
        self.elements.push(v.into());
        self
    }

    /// Appends an optional element.
    pub fn o(self, v: Option<&str>) -> Self {
        let v = v.unwrap_or("");
        self.e(v)
    }
}

/// One transaction set: ST01, ST02 and the segments between ST and SE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundSet {
    /// ST01, e.g. "855".
    pub set_id: String,
    /// ST02; written zero-padded to at least 4 digits.
    pub control: u32,
    pub segments: Vec<OutSegment>,
}

/// GS01 of a group (code list 479).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionalId {
    /// PR: 855.
    OrderAck,
    /// SH: 856.
    ShipNotice,
    /// IN: 810.
    Invoice,
    /// PO: 850.
    PurchaseOrder,
}

impl FunctionalId {
    pub fn code(self) -> &'static str {
        match self {
            FunctionalId::OrderAck => "PR",
            FunctionalId::ShipNotice => "SH",
            FunctionalId::Invoice => "IN",
            FunctionalId::PurchaseOrder => "PO",
        }
    }

    /// The group a transaction set belongs in; `None` for sets this writer does not produce.
    pub fn for_set(set_id: &str) -> Option<FunctionalId> {
        match KnownSet::from_code(set_id.as_bytes())? {
            KnownSet::Ts855 => Some(FunctionalId::OrderAck),
            KnownSet::Ts856 => Some(FunctionalId::ShipNotice),
            KnownSet::Ts810 => Some(FunctionalId::Invoice),
            KnownSet::Ts850 => Some(FunctionalId::PurchaseOrder),
            KnownSet::Ts997 | KnownSet::Ts999 => None,
        }
    }
}

/// Writes one interchange holding one functional group with `sets`, using the partner's
/// delimiters, ISA12 and GS08 from `env`. SE01 counts ST and SE; GE01 and IEA01 are counted too.
/// ST03 is written from 5010 on (it is not defined before), set to GS08.
pub fn write_interchange(
    env: &OutboundEnvelope,
    functional_id: FunctionalId,
    sets: &[OutboundSet],
) -> Result<Vec<u8>, X12Error> {
    if sets.is_empty() {
        return Err(X12Error::InvalidOutbound {
            field: "sets",
            reason: "an interchange needs at least one transaction set".into(),
        });
    }
    for (i, s) in sets.iter().enumerate() {
        if FunctionalId::for_set(&s.set_id) != Some(functional_id) {
            return Err(X12Error::InvalidOutbound {
                field: "ST01",
                reason: format!(
                    "set {} does not belong in a {} group",
                    s.set_id,
                    functional_id.code()
                ),
            });
        }
        // ST02 must be unique within the group (receivers reject duplicates with AK5 23).
        if sets.iter().skip(i + 1).any(|o| o.control == s.control) {
            return Err(X12Error::InvalidOutbound {
                field: "ST02",
                reason: format!("control number {} is used twice in one group", s.control),
            });
        }
        if s.control > 999_999_999 {
            return Err(X12Error::InvalidOutbound {
                field: "ST02",
                reason: format!("{} does not fit 9 digits", s.control),
            });
        }
    }
    if env.group_control > 999_999_999 {
        return Err(X12Error::InvalidOutbound {
            field: "GS06",
            reason: format!("{} does not fit 9 digits", env.group_control),
        });
    }
    let mut w = SegmentWriter::new(env.delimiters)?;
    w.isa(env, false)?;
    let gctl = env.group_control.to_string();
    w.simple(
        "GS",
        &[
            functional_id.code(),
            &env.sender_id,
            &env.receiver_id,
            &env.date,
            &env.time,
            &gctl,
            "X",
            &env.gs_version,
        ],
    )?;
    let st03 = if env.gs_version.as_str() >= "005010" {
        env.gs_version.as_str()
    } else {
        ""
    };
    for s in sets {
        let stctl = format!("{:04}", s.control);
        w.reset_count();
        w.simple("ST", &[&s.set_id, &stctl, st03])?;
        for seg in &s.segments {
            let els: Vec<&str> = seg.elements.iter().map(String::as_str).collect();
            w.simple(seg.id, &els)?;
        }
        let count = (w.count() + 1).to_string();
        w.simple("SE", &[&count, &stctl])?;
    }
    let n = sets.len().to_string();
    w.simple("GE", &[&n, &gctl])?;
    let ictl = format!("{:09}", env.interchange_control);
    w.simple("IEA", &["1", &ictl])?;
    Ok(w.into_bytes())
}
