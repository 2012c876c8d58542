//! `wharf events`: the business events as the operator sees them from a shell — list them,
//! replay them to subscribers from a time or a sequence number, see and redeliver dead ones,
//! prune what retention no longer keeps.

use super::*;
use crate::model::BusinessEventKind;
use crate::store::outbox::{self, Selection};
use crate::store::outbox_upkeep;

/// Which events a command takes, as written on the command line.
#[derive(Debug, clap::Args)]
pub(super) struct EventFilter {
    /// Only this partner's events (`-` for the gateway's own, such as its certificates).
    #[arg(long)]
    partner: Option<String>,
    /// Events at or after this time (RFC 3339, `2026-12-07T10:00:00Z`).
    #[arg(long, conflicts_with = "from_sequence")]
    since: Option<String>,
    /// Events from this number of the partner's sequence on (needs --partner).
    #[arg(long, requires = "partner")]
    from_sequence: Option<i64>,
    /// Only events of this type (`order.created`, …).
    #[arg(long = "type")]
    kind: Option<String>,
    #[arg(long, default_value_t = 1000)]
    limit: i64,
}

impl EventFilter {
    fn selection(&self) -> Result<Selection, UsageError> {
        let since_ms = match &self.since {
            None => None,
            Some(t) => Some(
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .map_err(|e| UsageError(format!("--since `{t}` is not RFC 3339: {e}")))?
                    .unix_timestamp_nanos()
                    .div_euclid(1_000_000) as i64,
            ),
        };
        let kind = match &self.kind {
            None => None,
            Some(k) => Some(BusinessEventKind::parse(k).ok_or_else(|| {
                UsageError(format!(
                    "`{k}` is not an event type; one of: {}",
                    BusinessEventKind::ALL
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?),
        };
        if self.limit < 1 {
            return Err(UsageError("--limit must be at least 1".into()));
        }
        Ok(Selection {
            partner: self
                .partner
                .as_ref()
                .map(|p| if p == "-" { String::new() } else { p.clone() }),
            since_ms,
            from_sequence: self.from_sequence,
            kind,
            limit: self.limit,
        })
    }
}

#[derive(Debug, Subcommand)]
pub(super) enum EventsCommand {
    /// Prints events, oldest first, one JSON object a line exactly as subscribers get them.
    List {
        #[command(flatten)]
        filter: EventFilter,
    },
    /// Delivers the chosen events again to every subscriber (or those named with --sink):
    /// same event ids, queued behind what is due; `wharf serve` delivers them.
    Replay {
        #[command(flatten)]
        filter: EventFilter,
        /// A subscriber's name (`nats`, or a webhook's `name`); repeat for several.
        #[arg(long = "sink")]
        sinks: Vec<String>,
    },
    /// Deliveries that ran out of attempts, newest first.
    Dead {
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Sends a dead delivery again, its attempts counted afresh.
    Redeliver { delivery: i64 },
    /// Deletes events older than `[events] retain_days` whose every delivery is delivered
    /// (as `wharf serve` does every hour); events with a dead or pending delivery stay.
    Prune {
        /// Only count what would be deleted and what is held back.
        #[arg(long)]
        dry_run: bool,
    },
}

pub(super) async fn events_cmd(s: Settings, cmd: &EventsCommand) -> anyhow::Result<ExitCode> {
    let schema = match cmd {
        EventsCommand::List { .. } | EventsCommand::Dead { .. } => crate::store::Schema::AsIs,
        _ => crate::store::Schema::CreateOnly,
    };
    let store = Store::open(&s.database, schema).await?;
    let mut out = std::io::stdout().lock();
    match cmd {
        EventsCommand::List { filter } => {
            let selection = filter.selection()?;
            if let (Some(partner), Some(from)) = (&selection.partner, selection.from_sequence) {
                let coverage = outbox_upkeep::missing_sequences(&store, partner, from).await?;
                if !coverage.missing.is_empty() {
                    // Listing is looking: what remains is printed, the gap said on stderr.
                    eprintln!(
                        "note: {}",
                        coverage.explain(partner, from, s.events.retain.in_days())
                    );
                }
            }
            since_note(&selection, &s);
            for e in outbox::list(&store, &selection).await? {
                writeln!(out, "{}", e.json())?;
            }
        }
        EventsCommand::Replay { filter, sinks } => {
            let known = s.events.sink_names();
            let sinks = if sinks.is_empty() {
                known.clone()
            } else {
                sinks.clone()
            };
            if let Some(unknown) = sinks.iter().find(|n| !known.contains(n)) {
                return Err(UsageError(format!(
                    "`{unknown}` is not a subscriber of [events]; they are: {}",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ))
                .into());
            }
            let selection = filter.selection()?;
            // A replay from a pruned sequence number would quietly start later: refused,
            // saying what is gone and what remains.
            if let (Some(partner), Some(from)) = (&selection.partner, selection.from_sequence) {
                let coverage = outbox_upkeep::missing_sequences(&store, partner, from).await?;
                if !coverage.missing.is_empty() {
                    let why = coverage.explain(partner, from, s.events.retain.in_days());
                    return Err(UsageError(why).into());
                }
            }
            since_note(&selection, &s);
            let mut tx = store.begin().await?;
            let made = outbox::replay(&mut tx, &selection, &sinks).await?;
            let detail = format!("{made} deliveries to {}: {filter:?}", sinks.join(", "));
            crate::store::admin::record(&mut tx, "cli", "events.replay", "events", &detail).await?;
            tx.commit().await?;
            writeln!(
                out,
                "{made} deliveries queued for {}",
                if sinks.is_empty() {
                    "no subscriber".to_owned()
                } else {
                    sinks.join(", ")
                }
            )?;
        }
        EventsCommand::Dead { limit } => {
            writeln!(
                out,
                "{:>8}  {:<12}  {:>8}  {:<24}  EVENT / LAST ERROR",
                "DELIVERY", "SINK", "ATTEMPTS", "DEAD SINCE"
            )?;
            for d in outbox::dead_letters(&store, *limit).await? {
                writeln!(
                    out,
                    "{:>8}  {:<12}  {:>8}  {:<24}  {} {} / {}",
                    d.delivery_id,
                    d.sink,
                    d.attempts,
                    time_text(d.dead_at),
                    d.event.id,
                    d.event.kind,
                    d.last_error.as_deref().unwrap_or("")
                )?;
            }
        }
        EventsCommand::Redeliver { delivery } => {
            let mut tx = store.begin().await?;
            if !outbox::redeliver(&mut tx, *delivery).await? {
                return Err(UsageError(format!("delivery {delivery} is not a dead letter")).into());
            }
            let target = format!("delivery {delivery}");
            crate::store::admin::record(&mut tx, "cli", "events.redeliver", &target, "").await?;
            tx.commit().await?;
            writeln!(out, "delivery {delivery} queued again")?;
        }
        EventsCommand::Prune { dry_run } => {
            let retain = s.events.retain;
            let cutoff = crate::store::now_ms().saturating_sub(retain.millis());
            let no_subscribers = !s.events.any_subscriber();
            let before = time_text(cutoff);
            if *dry_run {
                let p = outbox_upkeep::prune_dry(&store, cutoff, no_subscribers).await?;
                writeln!(
                    out,
                    "{} would be pruned (delivered, written before {before}, retain_days = {}); \
                     older but kept for a dead or pending delivery: {}",
                    events(p.events),
                    retain.in_days(),
                    p.held
                )?;
            } else {
                let p = outbox_upkeep::prune(&store, cutoff, no_subscribers).await?;
                let mut tx = store.begin().await?;
                let detail = format!("{} events written before {before}", p.events);
                crate::store::admin::record(&mut tx, "cli", "events.prune", "events", &detail)
                    .await?;
                tx.commit().await?;
                writeln!(
                    out,
                    "{} pruned (delivered, written before {before}, retain_days = {}); \
                     older but kept for a dead or pending delivery: {}",
                    events(p.events),
                    retain.in_days(),
                    p.held
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// "1 event", "2 events".
fn events(n: u64) -> String {
    if n == 1 {
        "1 event".to_owned()
    } else {
        format!("{n} events")
    }
}

/// A `--since` earlier than the retention reaches events that may have been pruned: said on
/// stderr, since a time (unlike a sequence number) cannot show which are gone.
fn since_note(selection: &Selection, s: &Settings) {
    let horizon = crate::store::now_ms().saturating_sub(s.events.retain.millis());
    if selection.since_ms.is_some_and(|t| t < horizon) {
        eprintln!(
            "note: delivered events written before {} may have been pruned ([events] \
             retain_days = {}); only those still kept are taken",
            time_text(horizon),
            s.events.retain.in_days()
        );
    }
}
