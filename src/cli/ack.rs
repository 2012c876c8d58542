//! `wharf ack`: the acknowledgement interchange(s) the gateway would send back for a file.

use super::*;

/// `wharf ack` for a cXML request: the cXML Response the gateway's HTTP endpoint answers.
pub(super) fn xml_ack(file: &Path) -> anyhow::Result<ExitCode> {
    use crate::documents::xml::cxml::{Status, response};
    let raw = std::fs::read(file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    let t = crate::documents::xml::translate(&raw);
    if let Ok(tr) = &t
        && tr.dialect == crate::documents::xml::Dialect::Ubl
    {
        // UBL has no syntax acknowledgement: an order is answered by an OrderResponse once
        // the ERP has decided.
        eprintln!(
            "{}: UBL {} has no acknowledgement; an Order is answered with an OrderResponse (`wharf send`) once confirmed",
            file.display(),
            tr.kind
        );
        return Ok(ExitCode::SUCCESS);
    }
    let status = Status::for_translation(t.as_ref());
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let payload = format!("{}.{}@wharf", now.unix_timestamp(), std::process::id());
    print!("{}", response(&status, &payload, &stamp));
    Ok(ExitCode::SUCCESS)
}

/// `wharf ack` for an EDIFACT file: the CONTRL the gateway would send for each interchange
/// (sender and recipient swapped in its UNB; the UCI names the received parties as received).
pub(super) fn edifact_ack(s: &Settings, file: &Path) -> anyhow::Result<ExitCode> {
    use crate::edi::edifact::envelope::Party;
    use crate::edi::edifact::writer::{OutInterchange, write};
    let raw = std::fs::read(file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    // The sender's profile, when one claims it, decides how strictly the repertoire is held.
    let repertoire = crate::edi::edifact::envelope::peek_unb(&raw)
        .ok()
        .and_then(|h| {
            load_partners(s, true)
                .by_edifact_sender(&h.sender.id, h.sender.qualifier.as_deref())
                .map(|p| p.edifact_repertoire)
        })
        .unwrap_or_default();
    let t = edidoc::translate_with(
        &raw,
        edidoc::TranslateOptions {
            contrl: edidoc::ContrlPolicy::Always,
            repertoire,
        },
    )
    .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
    let me = &s.identity;
    let mut out = std::io::stdout().lock();
    let now = time::OffsetDateTime::now_utc();
    // References count up from 1 here; the pipeline takes them from the store.
    for (n, ic) in t.interchanges.iter().enumerate() {
        let Some(contrl) = &ic.contrl else { continue };
        let reference = (n + 1).to_string();
        let version = ic.header.syntax_version.clamp(3, 4);
        let (date, time) = crate::edi::edifact::writer::unb_date_time(version, now);
        let envelope = OutInterchange {
            chars: ic.header.chars,
            charset: crate::edi::edifact::Charset::from_id(ic.header.syntax_id.as_bytes())
                .unwrap_or(crate::edi::edifact::Charset::Unoa),
            syntax_version: version,
            sender: Party {
                id: me.edifact_id.clone(),
                qualifier: me.edifact_qualifier.clone(),
            },
            recipient: ic.header.sender.clone(),
            date,
            time,
            reference: reference.clone(),
            application_ref: None,
            ack_request: false,
            test: ic.header.test,
            una: ic.header.una,
            newline: true,
        };
        out.write_all(&write(&envelope, &[contrl.message(&reference)])?)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn ack(s: &Settings, file: &Path, partner: Option<&str>) -> anyhow::Result<ExitCode> {
    match sniff_file(file)? {
        Format::Edifact => return edifact_ack(s, file),
        Format::Xml => return xml_ack(file),
        _ => {}
    }
    // The partner's profile decides 997 or 999: named, or found from the envelope's sender.
    let profile = match partner {
        Some(id) => Some(named_profile(s, id)?),
        None => std::fs::read(file).ok().and_then(|raw| {
            let isa = crate::edi::x12::envelope::peek_isa(&raw).ok()?;
            load_partners(s, true)
                .by_x12_sender(&isa.sender_qualifier, &isa.sender_id)
                .cloned()
        }),
    };
    use crate::partners::FunctionalAckPolicy;
    let policy = profile
        .as_ref()
        .map_or(FunctionalAckPolicy::F997, |p| p.functional_ack);
    let delimiters = profile.as_ref().map(|p| p.x12_delimiters);
    let ack_kind = match policy {
        FunctionalAckPolicy::F999 => crate::model::AckKind::F999,
        _ => crate::model::AckKind::F997,
    };
    let (_, t) = read_x12(
        file,
        x12doc::TranslateOptions {
            ack_kind,
            ..x12doc::TranslateOptions::default()
        },
    )?;
    let me = &s.identity;
    let mut out = std::io::stdout().lock();
    // Control numbers count up from 1 here; the pipeline takes them from the store.
    let mut control = 0u32;
    for ic in &t.interchanges {
        let to = (
            ic.header.sender_qualifier.as_str(),
            ic.header.sender_id.as_str(),
        );
        // Never a TA1 for an interchange of the partner's TA1s: acknowledging an
        // acknowledgement loops between gateways.
        let always = ic.interchange_acks == 0
            && profile
                .as_ref()
                .is_some_and(|p| p.ta1 == crate::partners::Ta1Policy::Always);
        let ta1 = ic.ta1.clone().or_else(|| {
            always.then(|| crate::model::Ta1 {
                control_number: ic.header.control_number.as_str().into(),
                date: ic.header.date.as_str().into(),
                time: ic.header.time.as_str().into(),
                ack_code: 'A',
                note_code: "000".into(),
            })
        });
        if let Some(t) = &ta1 {
            control += 1;
            out.write_all(&write_ta1(
                t,
                &ack_envelope(me, to, control, 0, None, delimiters),
            )?)?;
        }
        if let Some(a) = ic
            .ack
            .as_ref()
            .filter(|_| policy != FunctionalAckPolicy::None)
        {
            control += 1;
            out.write_all(&write_functional_ack(
                a,
                &ack_envelope(me, to, control, control, Some(a), delimiters),
            )?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
