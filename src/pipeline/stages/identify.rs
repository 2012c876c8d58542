//! The identify stage: the format sniffed, the partner found by the envelope's sender
//! identity and checked against the channel's partner and the partner's agreements; what
//! does not fit is rejected or quarantined, saying why.

use super::syntax::Syntax;
use super::*;

/// Finds the format and the partner from the envelope (checked against the channel's partner
/// and the profile's agreements) and records the interchange's control number.
pub(super) async fn identify(p: &Pipeline, job: &Job) -> Result<(), StageError> {
    let ctx = StageContext::raw(p, job).await?;
    let Some(syntax) = Syntax::of(Format::sniff(&ctx.body)) else {
        let reason = "not X12 (ISA), EDIFACT (UNA/UNB) or XML: the first bytes are none of these";
        return finish_with(p, job, MessageState::Rejected, EventKind::Rejected, reason).await;
    };
    let partners = p.partners.snapshot();
    let env = match syntax
        .envelope(&partners, &p.settings.identity, &ctx.body)
        .await
    {
        Ok(env) => env,
        Err(reason) => {
            return finish_with(p, job, MessageState::Rejected, EventKind::Rejected, &reason).await;
        }
    };
    let declared = ctx.msg.partner.as_deref();
    let partner = match match_partner(declared, env.found, &env.sender, &env.unknown) {
        Ok(found) => found,
        Err(reason) => return quarantine(p, job, &reason).await,
    };
    if let Some(reason) = &env.refused {
        return quarantine(p, job, reason).await;
    }
    if let Some(reason) = outside_agreement(partner, &env.documents) {
        return quarantine(p, job, &reason).await;
    }

    let mut tx = begin(p, job).await?;
    messages::set_identification(
        &mut tx,
        job.message_id,
        &Identification {
            partner: Some(partner.id.as_str()),
            format: syntax.format(),
            doc_type: env.doc_type.as_deref(),
            control_number: Some(&env.control_number),
        },
    )
    .await?;
    if let Some(warn) = &env.misaddressed {
        event(
            p,
            &mut tx,
            job.message_id,
            EventKind::Warning,
            job.stage,
            warn,
        )
        .await?;
    }
    let detail = format!("partner {} by {}", partner.id, env.by);
    let o = Outcome {
        state: MessageState::Identified,
        kind: EventKind::Identified,
        detail: &detail,
        error: false,
        next: Some(Stage::Translate),
    };
    advance(p, tx, job, o).await
}

/// The partner a message belongs to: the one its envelope names, which must agree with the
/// partner of the channel it came by. `Err` holds the quarantine reason; `unknown` is
/// the one when no partner has the sender's identity.
fn match_partner<'a>(
    declared: Option<&str>,
    found: Option<&'a Profile>,
    sender: &str,
    unknown: &str,
) -> Result<&'a Profile, String> {
    match (declared, found) {
        (_, None) => Err(unknown.to_owned()),
        (Some(declared), Some(found)) if declared != found.id.as_str() => Err(format!(
            "arrived on partner `{declared}`'s channel but the envelope sender {sender} \
             belongs to partner `{}`",
            found.id
        )),
        (_, Some(found)) => Ok(found),
    }
}

/// Why a partner's message is held when its documents fall outside the partner's agreements
/// (standard, type, version, inbound), or `None` when every one is covered.
fn outside_agreement(profile: &Profile, docs: &[crate::partners::DocRef]) -> Option<String> {
    let outside: Vec<String> = docs
        .iter()
        .filter_map(|d| {
            profile
                .agreements
                .covering(d, crate::partners::Flow::In)
                .err()
        })
        .collect();
    (!outside.is_empty()).then(|| {
        format!(
            "partner {}: {}; add a [[documents]] entry to partners/{}.toml and replay",
            profile.id,
            outside.join("; "),
            profile.id
        )
    })
}
