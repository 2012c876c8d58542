//! What is failing, for operators: the quarantine page (messages held until someone acts,
//! with the sender their envelope names), each partner channel's health (collections,
//! deliveries, AS2 sends, from `store::channel_health`) and certificates with a problem
//! (missing, unreadable, expiring), shared by the dashboard and the partner pages.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::auth::Session;
use super::zone::Zone;
use super::{Ctx, PageError, ago, render};
use crate::partners::certificates::{self, EXPIRY_WARNING_DAYS};
use crate::partners::{OutboundChannel, Partners};
use crate::pipeline::Pipeline;
use crate::store::channel_health::{self, ChannelHealth};
use crate::store::search::{self, Search};
use crate::store::{ChannelKind, MessageId, MessageState, messages, now_ms};

/// The most quarantined messages one page lists (newest first).
const QUARANTINE_SHOWN: i64 = 200;

pub(crate) struct QuarantineRow {
    pub id: MessageId,
    /// The partner whose identity the envelope's sender is; empty for an unknown sender.
    pub partner: String,
    /// The partner whose channel it came by, when that is not the sender's.
    pub channel_of: String,
    /// The envelope's sender and receiver (`ZZ/ACME`, `5790000000001:14`), when it has one.
    pub sender: String,
    pub receiver: String,
    pub doc_type: String,
    pub reason: String,
    pub received: String,
    pub size: i64,
}

#[derive(Template)]
#[template(path = "admin/quarantine.html")]
struct QuarantinePage {
    ctx: Ctx,
    rows: Vec<QuarantineRow>,
    total: i64,
}

/// What an envelope says about who sent it.
#[derive(Debug, Default, PartialEq, Eq)]
struct Parties {
    /// The sender and receiver as written (`ZZ/ACME`, `5790000000001:14`).
    sender: String,
    receiver: String,
    /// The partner whose profile has the sender's identity.
    known_as: Option<String>,
}

/// The sender and receiver an envelope names, the ISA's for X12, the UNB's for EDIFACT, and
/// the partner the sender is; nothing for anything else (XML names its parties in its own
/// ways).
fn parties(head: &[u8], partners: &Partners) -> Parties {
    use crate::edi::edifact::envelope::peek_unb;
    use crate::edi::x12::envelope::peek_isa;
    let id = |p: &crate::partners::Profile| p.id.to_string();
    match crate::model::Format::sniff(head) {
        crate::model::Format::X12 => peek_isa(head).map_or_else(
            |_| Parties::default(),
            |isa| Parties {
                sender: format!("{}/{}", isa.sender_qualifier, isa.sender_id),
                receiver: format!("{}/{}", isa.receiver_qualifier, isa.receiver_id),
                known_as: partners
                    .by_x12_sender(&isa.sender_qualifier, &isa.sender_id)
                    .map(id),
            },
        ),
        crate::model::Format::Edifact => peek_unb(head).map_or_else(
            |_| Parties::default(),
            |unb| Parties {
                known_as: partners
                    .by_edifact_sender(&unb.sender.id, unb.sender.qualifier.as_deref())
                    .map(id),
                sender: unb.sender.to_string(),
                receiver: unb.recipient.to_string(),
            },
        ),
        crate::model::Format::Xml | crate::model::Format::Unknown => Parties::default(),
    }
}

/// How many messages are quarantined now.
pub(crate) async fn quarantined(p: &Pipeline) -> Result<i64, PageError> {
    Ok(messages::count_by_state(&p.store)
        .await?
        .into_iter()
        .find(|(state, _)| state == MessageState::Quarantined.as_str())
        .map_or(0, |(_, n)| n))
}

pub async fn quarantine(State(p): State<Pipeline>, s: Session) -> Result<Response, PageError> {
    let held = search::search(
        &p.store,
        &Search {
            state: Some(MessageState::Quarantined),
            limit: QUARANTINE_SHOWN,
            ..Search::default()
        },
    )
    .await?;
    let partners = p.partners.snapshot();
    let ids: Vec<MessageId> = held.iter().map(|m| m.id).collect();
    let heads = messages::heads(&p.store, &ids).await?;
    let mut rows = Vec::with_capacity(held.len());
    for m in held {
        let head = heads.get(&m.id).map_or(&[][..], Vec::as_slice);
        let found = parties(head, &partners);
        let channel = m.partner.unwrap_or_default();
        // An envelope without a sender Wharf can read (XML): the channel's partner stands.
        let partner = match found.known_as {
            Some(known) => known,
            None if found.sender.is_empty() => channel.clone(),
            None => String::new(),
        };
        rows.push(QuarantineRow {
            id: m.id,
            channel_of: if channel == partner {
                String::new()
            } else {
                channel
            },
            partner,
            sender: found.sender,
            receiver: found.receiver,
            doc_type: m.doc_type.unwrap_or_default(),
            reason: m.error.unwrap_or_default(),
            received: s.zone.when(m.created_at),
            size: m.size,
        });
    }
    Ok(render(&QuarantinePage {
        ctx: Ctx::new(&s, "quarantine"),
        total: quarantined(&p).await?,
        rows,
    }))
}

/// One partner channel's health as the pages show it.
pub(crate) struct ChannelRow {
    pub partner: String,
    /// What Wharf does over it, in words.
    pub kind: &'static str,
    pub remote: String,
    /// `ok`, `failing`, `not tried yet` or `off here` (collection off on this instance).
    pub state: &'static str,
    pub failing: bool,
    pub failures: i64,
    pub last_attempt: String,
    pub last_success: String,
    pub last_error: String,
    pub next_try: String,
}

fn kind_words(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Collect => "collect",
        ChannelKind::Deliver => "deliver",
        ChannelKind::As2Send => "AS2 send",
    }
}

/// Every channel the profiles use (or only `partner`'s), each with its stored health or as
/// not tried yet; failing ones first, most failures first. Rows of channels no longer in a
/// profile are left out: the page is about what Wharf does now.
pub(crate) async fn channel_rows(
    p: &Pipeline,
    partners: &Partners,
    partner: Option<&str>,
    zone: &Zone,
) -> Result<Vec<ChannelRow>, PageError> {
    let stored = channel_health::list(&p.store, partner).await?;
    let now = now_ms();
    let mut rows = Vec::new();
    for profile in partners.iter() {
        if partner.is_some_and(|id| id != profile.id.as_str()) {
            continue;
        }
        let mut configured: Vec<(ChannelKind, String)> = Vec::new();
        configured.extend(
            profile
                .channels
                .collect
                .iter()
                .map(|r| (ChannelKind::Collect, r.url())),
        );
        configured.extend(
            profile
                .channels
                .deliver
                .iter()
                .map(|r| (ChannelKind::Deliver, r.url())),
        );
        if let Some(url) = profile.channels.as2.as_ref().and_then(|a| a.url.clone()) {
            configured.push((ChannelKind::As2Send, url));
        }
        // Outbound channels the profile does not send by are listed once they were used
        // (`wharf send`, a profile changed since), not as waiting for a first try.
        let sends_by = |kind: ChannelKind| match kind {
            ChannelKind::Collect => true,
            ChannelKind::Deliver => profile.outbound == OutboundChannel::Deliver,
            ChannelKind::As2Send => profile.outbound == OutboundChannel::As2,
        };
        for (kind, remote) in configured {
            let found = stored
                .iter()
                .find(|h| h.partner == profile.id.as_str() && h.kind == kind && h.remote == remote);
            rows.push(match found {
                Some(h) => row(h, zone, now),
                None if !sends_by(kind) => continue,
                None => {
                    // An instance with `[transfers] collect = false` never tries: saying
                    // "not tried yet" there would promise a round that is not coming (another
                    // instance of a fleet may collect; its attempts show here once made).
                    let off = kind == ChannelKind::Collect && !p.settings.transfers.collect;
                    ChannelRow {
                        partner: profile.id.to_string(),
                        kind: kind_words(kind),
                        remote,
                        state: if off { "off here" } else { "not tried yet" },
                        failing: false,
                        failures: 0,
                        last_attempt: String::new(),
                        last_success: String::new(),
                        last_error: String::new(),
                        next_try: if off {
                            "not on this instance ([transfers] collect = false)".to_owned()
                        } else {
                            String::new()
                        },
                    }
                }
            });
        }
    }
    rows.sort_by(|a, b| {
        b.failures
            .cmp(&a.failures)
            .then_with(|| a.partner.cmp(&b.partner))
    });
    Ok(rows)
}

fn row(h: &ChannelHealth, zone: &Zone, now: i64) -> ChannelRow {
    let next_try = match h.next_try_at {
        Some(at) if at > now => format!("{} (in {})", zone.when(at), ago(at - now)),
        Some(at) => zone.when(at),
        None if h.failing() && h.kind != ChannelKind::Collect => {
            "with the message's next attempt".to_owned()
        }
        None => String::new(),
    };
    ChannelRow {
        partner: h.partner.clone(),
        kind: kind_words(h.kind),
        remote: h.remote.clone(),
        state: if h.failing() { "failing" } else { "ok" },
        failing: h.failing(),
        failures: h.consecutive_failures,
        last_attempt: zone.when(h.last_attempt_at),
        last_success: h.last_success_at.map(|t| zone.when(t)).unwrap_or_default(),
        last_error: match (&h.last_error, h.last_error_at) {
            (Some(e), Some(_)) if h.failing() => e.clone(),
            (Some(e), Some(at)) => format!("{e} (at {}, since recovered)", zone.when(at)),
            _ => String::new(),
        },
        next_try,
    }
}

/// One certificate as the pages show it; `problem` is empty when there is none.
pub(crate) struct CertRow {
    pub owner: String,
    pub file: String,
    pub not_after: String,
    pub days_left: String,
    pub problem: String,
}

/// A certificate's expiry in words when within the warning window, else empty.
fn expiry_problem(days_left: i32) -> String {
    match days_left {
        d if d < 0 => format!("expired {} day{} ago", -d, if d == -1 { "" } else { "s" }),
        0 => "expires today".to_owned(),
        d if d <= EXPIRY_WARNING_DAYS => {
            format!("expires in {d} day{}", if d == 1 { "" } else { "s" })
        }
        _ => String::new(),
    }
}

/// Wharf's AS2 certificates and every partner's (or only `partner`'s), problems first: a
/// file that is missing, unreadable or holds no certificate, then those expiring within
/// [`EXPIRY_WARNING_DAYS`], then the rest by owner.
pub(crate) fn certificate_rows(
    p: &Pipeline,
    partners: &Partners,
    partner: Option<&str>,
) -> Vec<CertRow> {
    let (infos, errors) = certificates::certificates(&p.settings, partners);
    let wanted = |owner: &str| partner.is_none_or(|id| id == owner);
    let mut rows: Vec<CertRow> = errors
        .into_iter()
        .filter(|(owner, _, _)| wanted(owner))
        .map(|(owner, file, why)| {
            let missing = !std::path::Path::new(&file).exists();
            // The reader's text starts with the file's name, which has its own column.
            let why = why
                .strip_prefix(&format!("{file}: "))
                .unwrap_or(&why)
                .to_owned();
            CertRow {
                problem: if missing {
                    "missing: there is no file at this path".to_owned()
                } else {
                    format!("unreadable: {why}")
                },
                owner,
                file,
                not_after: String::new(),
                days_left: String::new(),
            }
        })
        .collect();
    // A readable file with no certificate in it is as good as missing; so is an `[as2]`
    // section that names none (the partner's messages cannot be verified or sent).
    for profile in partners.iter().filter(|pr| wanted(pr.id.as_str())) {
        let Some(as2) = &profile.channels.as2 else {
            continue;
        };
        if as2.certificates.is_empty() {
            rows.push(CertRow {
                owner: profile.id.to_string(),
                file: String::new(),
                not_after: String::new(),
                days_left: String::new(),
                problem: "missing: the profile's [as2] names no certificate".to_owned(),
            });
        }
        for file in &as2.certificates {
            let listed = infos
                .iter()
                .any(|c| c.owner == profile.id.as_str() && &c.file == file)
                || rows
                    .iter()
                    .any(|r| r.owner == profile.id.as_str() && &r.file == file);
            if !listed {
                rows.push(CertRow {
                    owner: profile.id.to_string(),
                    file: file.clone(),
                    not_after: String::new(),
                    days_left: String::new(),
                    problem: "unreadable: the file holds no PEM certificate".to_owned(),
                });
            }
        }
    }
    let mut readable: Vec<(i32, CertRow)> = infos
        .into_iter()
        .filter(|c| wanted(&c.owner))
        .map(|c| {
            (
                c.days_left,
                CertRow {
                    problem: expiry_problem(c.days_left),
                    owner: c.owner,
                    file: c.file,
                    not_after: c.not_after,
                    days_left: c.days_left.to_string(),
                },
            )
        })
        .collect();
    readable.sort_by(|a, b| {
        (a.1.problem.is_empty(), a.0, &a.1.owner).cmp(&(b.1.problem.is_empty(), b.0, &b.1.owner))
    });
    rows.extend(readable.into_iter().map(|(_, r)| r));
    rows
}

#[cfg(test)]
mod tests {
    use super::{Parties, expiry_problem, parties};

    #[test]
    fn expiry_is_said_in_words_within_the_warning_window() {
        assert_eq!(expiry_problem(-1), "expired 1 day ago");
        assert_eq!(expiry_problem(-3), "expired 3 days ago");
        assert_eq!(expiry_problem(0), "expires today");
        assert_eq!(expiry_problem(1), "expires in 1 day");
        assert_eq!(expiry_problem(30), "expires in 30 days");
        assert_eq!(expiry_problem(31), "");
    }

    #[test]
    fn the_envelope_names_sender_and_receiver() {
        let x12 = b"ISA*00*          *00*          *ZZ*STRANGER       *ZZ*WHARF          *261126*1200*U*00401*000000001*0*P*>~GS*PO";
        let none = crate::partners::Partners::default();
        assert_eq!(
            parties(x12, &none),
            Parties {
                sender: "ZZ/STRANGER".into(),
                receiver: "ZZ/WHARF".into(),
                known_as: None,
            }
        );
        assert_eq!(parties(b"<cXML/>", &none), Parties::default());
    }
}
