//! The outbound X12 envelope for an acknowledgement: who Wharf is, whom it answers, the
//! control numbers, the version matching what the partner sent, and the current UTC time.
//! Shared by the encode stage and `wharf ack`, so both write the same bytes.

use crate::config::Identity;
use crate::edi::x12::Delimiters;
use crate::edi::x12::writer::OutboundEnvelope;
use crate::model::{AckKind, FunctionalAck};

/// ISA12 and GS08 for an acknowledgement: a 999 is 5010 (X231); a 997 answers in 5010 when
/// the acknowledged group was 5010 or later, and in 4010 otherwise.
pub fn ack_versions(ack: Option<&FunctionalAck>) -> (&'static str, &'static str) {
    match ack {
        Some(a) if a.kind == AckKind::F999 => ("00501", "005010X231A1"),
        Some(a) if a.groups.iter().any(|g| g.version.as_str() >= "005010") => ("00501", "005010"),
        _ => ("00401", "004010"),
    }
}

/// Builds the envelope of an acknowledgement addressed to `to` (qualifier, id) from Wharf's
/// identity, with the partner's delimiters (`None`: `*`, `:`, `~`, `^` and a line break after
/// each segment).
pub fn ack_envelope(
    me: &Identity,
    to: (&str, &str),
    interchange_control: u32,
    group_control: u32,
    ack: Option<&FunctionalAck>,
    delimiters: Option<Delimiters>,
) -> OutboundEnvelope {
    let versions = ack_versions(ack);
    envelope(
        me,
        to,
        interchange_control,
        group_control,
        versions,
        delimiters,
    )
}

/// Builds any outbound envelope: `versions` is (ISA12, GS08), e.g. ("00401", "004010").
pub fn envelope(
    me: &Identity,
    to: (&str, &str),
    interchange_control: u32,
    group_control: u32,
    versions: (&str, &str),
    delimiters: Option<Delimiters>,
) -> OutboundEnvelope {
    let now = time::OffsetDateTime::now_utc();
    let (version, gs_version) = versions;
    OutboundEnvelope {
        sender_qualifier: me.x12_qualifier.clone(),
        sender_id: me.x12_id.clone(),
        receiver_qualifier: to.0.to_owned(),
        receiver_id: to.1.to_owned(),
        interchange_control,
        group_control,
        date: format!(
            "{:04}{:02}{:02}",
            now.year(),
            u8::from(now.month()),
            now.day()
        ),
        time: format!("{:02}{:02}", now.hour(), now.minute()),
        usage: me.usage.isa15(),
        version: version.to_owned(),
        gs_version: gs_version.to_owned(),
        delimiters: delimiters.unwrap_or(Delimiters {
            newline_after_segment: true,
            ..Delimiters::default()
        }),
    }
}
