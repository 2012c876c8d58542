//! Wharf's Prometheus metrics: one [`Metrics`] made by the composition root, shared (`Arc`)
//! by what records (the pipeline's receive, worker, deliver and send; the Odoo client; the
//! SFTP server and the transfers with partners' servers) and written out at `GET /metrics` by
//! the web edge in the text exposition format. Files: `mod.rs` the registry, the message,
//! stage, Odoo and AS2 families; `labels.rs` the closed label words; `transfers.rs` the SFTP
//! server's and the remote transfers' families; `scrape.rs` the gauges read at each scrape
//! (queue, overdue acknowledgements, certificates, event subscribers' backlogs). Business
//! events' deliveries and prunes are counted here, as the dispatcher and the prune see them.
//!
//! A layer of its own under the pipeline and the edges, depending only on `model`: it knows
//! the domain's closed words (stages, channels) and nothing of the store, the partners or an
//! edge. Callers bound what they label with: a partner label is a loaded profile's id or
//! [`UNKNOWN`], never a PO number or a file name, so the number of series stays small.
//!
//! Recording is a few atomic additions (counters) or a short lock (a histogram's buckets),
//! plus one hash lookup of the label set; nothing here touches the store.

mod labels;
mod scrape;
mod transfers;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::model::{Channel, Stage};

pub use labels::{
    Awaiting, CircuitState, EventOutcome, LoginMethod, LoginOutcome, MdnDirection, MdnDisposition,
    OdooErrorKind, Outcome, SftpDirection, TransferDirection,
};
pub use scrape::{AtScrape, Backlog, CertificateExpiry, EventSink, Overdue};

/// The partner label of a message whose sender is not a loaded profile (yet).
pub const UNKNOWN: &str = "unknown";

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Mdn {
    partner: String,
    direction: MdnDirection,
    disposition: MdnDisposition,
}

/// Messages and bytes of one partner on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Traffic {
    partner: String,
    channel: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StageRun {
    stage: &'static str,
    outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StageOnly {
    stage: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PartnerOnly {
    partner: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OdooMethod {
    method: String,
}

/// An Odoo object call by model and method: both names in Wharf's code, never data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OdooCall {
    model: String,
    method: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OdooError {
    kind: OdooErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Circuit {
    state: CircuitState,
}

/// One attempt to deliver a business event: the subscriber (a webhook's configured name or
/// `nats`, so bounded by `[events]`) and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EventDelivery {
    sink: String,
    outcome: EventOutcome,
}

type Histograms<S> = Family<S, Histogram, fn() -> Histogram>;

/// Seconds from 1 ms to about 9 minutes, doubling: a stage's run or an Odoo call.
fn short_seconds() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 20))
}

/// Seconds from 10 ms to about 3 days, quadrupling: a message's whole way, which may wait
/// for a partner or an ERP that is away.
fn long_seconds() -> Histogram {
    Histogram::new(exponential_buckets(0.01, 4.0, 14))
}

/// Every family Wharf exports, registered once.
pub struct Metrics {
    registry: Registry,
    received: Family<Traffic, Counter>,
    received_bytes: Family<Traffic, Counter>,
    sent: Family<Traffic, Counter>,
    sent_bytes: Family<Traffic, Counter>,
    stage_seconds: Histograms<StageRun>,
    dead_letters: Family<StageOnly, Counter>,
    retries: Family<StageOnly, Counter>,
    end_to_end: Histograms<PartnerOnly>,
    odoo_seconds: Histograms<OdooMethod>,
    odoo_errors: Family<OdooError, Counter>,
    odoo_calls: Family<OdooCall, Counter>,
    odoo_circuit: Family<Circuit, Gauge>,
    as2_mdns: Family<Mdn, Counter>,
    event_deliveries: Family<EventDelivery, Counter>,
    events_pruned: Counter,
    files: transfers::Families,
    at_scrape: scrape::Families,
    /// Held while the scrape-time gauges are set and everything is written, so two scrapes
    /// at once never write each other's half-set gauges.
    scraping: std::sync::Mutex<()>,
    /// Off (`[http] metrics = false`): every record returns at once and nothing is served.
    recording: bool,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Metrics that record nothing (`[http] metrics = false`).
    pub fn off() -> Self {
        Self {
            recording: false,
            ..Self::new()
        }
    }

    /// Whether anything is recorded (and `/metrics` served).
    pub fn recording(&self) -> bool {
        self.recording
    }

    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("wharf");
        let received = Family::<Traffic, Counter>::default();
        let received_bytes = Family::<Traffic, Counter>::default();
        let sent = Family::<Traffic, Counter>::default();
        let sent_bytes = Family::<Traffic, Counter>::default();
        let stage_seconds: Histograms<StageRun> = Family::new_with_constructor(short_seconds);
        let dead_letters = Family::<StageOnly, Counter>::default();
        let retries = Family::<StageOnly, Counter>::default();
        let end_to_end: Histograms<PartnerOnly> = Family::new_with_constructor(long_seconds);
        let odoo_seconds: Histograms<OdooMethod> = Family::new_with_constructor(short_seconds);
        let odoo_errors = Family::<OdooError, Counter>::default();
        let odoo_calls = Family::<OdooCall, Counter>::default();
        let odoo_circuit = Family::<Circuit, Gauge>::default();
        let as2_mdns = Family::<Mdn, Counter>::default();
        let event_deliveries = Family::<EventDelivery, Counter>::default();
        let events_pruned = Counter::default();
        // The stage series exist from the start, at zero: a family without a series is not
        // written at all, and `rate()` over a series needs its zero before the first count.
        for &stage in Stage::ALL {
            let stage = stage.as_str();
            for outcome in [Outcome::Ok, Outcome::Retry, Outcome::Dead] {
                stage_seconds.get_or_create_owned(&StageRun { stage, outcome });
            }
            dead_letters.get_or_create_owned(&StageOnly { stage });
            retries.get_or_create_owned(&StageOnly { stage });
        }
        // Counters get their `_total` from the encoder.
        registry.register(
            "messages_received",
            "Messages stored durably, by partner and channel",
            received.clone(),
        );
        registry.register(
            "received_bytes",
            "Bytes of the messages stored durably, by partner and channel",
            received_bytes.clone(),
        );
        registry.register(
            "messages_sent",
            "Messages the send stage recorded as sent, by partner and channel",
            sent.clone(),
        );
        registry.register(
            "sent_bytes",
            "Bytes of the messages sent, by partner and channel",
            sent_bytes.clone(),
        );
        registry.register(
            "stage_duration_seconds",
            "Time a worker spent on one job, by stage and outcome",
            stage_seconds.clone(),
        );
        registry.register(
            "dead_letters",
            "Jobs moved to dead letters, by stage",
            dead_letters.clone(),
        );
        registry.register(
            "retries",
            "Failed jobs rescheduled, by stage",
            retries.clone(),
        );
        registry.register(
            "end_to_end_seconds",
            "From a message's arrival to its delivery to the ERP, by partner",
            end_to_end.clone(),
        );
        registry.register(
            "odoo_request_seconds",
            "Odoo calls, by method",
            odoo_seconds.clone(),
        );
        registry.register(
            "odoo_errors",
            "Failed Odoo calls, by kind",
            odoo_errors.clone(),
        );
        registry.register(
            "odoo_calls",
            "Odoo object calls made, by model and method (calls per order: divide by orders delivered)",
            odoo_calls.clone(),
        );
        registry.register(
            "odoo_circuit_state",
            "The Odoo circuit breaker: 1 for its current state, 0 for the others",
            odoo_circuit.clone(),
        );
        registry.register(
            "as2_mdns",
            "AS2 MDNs Wharf sent or received, by partner, direction and disposition",
            as2_mdns.clone(),
        );
        registry.register(
            "event_deliveries",
            "Attempts this instance made to deliver business events, by subscriber and outcome",
            event_deliveries.clone(),
        );
        registry.register(
            "events_pruned",
            "Delivered business events this instance deleted after [events] retain_days",
            events_pruned.clone(),
        );
        let files = transfers::Families::register(&mut registry);
        let at_scrape = scrape::Families::register(&mut registry);
        Self {
            registry,
            received,
            received_bytes,
            sent,
            sent_bytes,
            stage_seconds,
            dead_letters,
            retries,
            end_to_end,
            odoo_seconds,
            odoo_errors,
            odoo_calls,
            odoo_circuit,
            as2_mdns,
            event_deliveries,
            events_pruned,
            files,
            at_scrape,
            scraping: std::sync::Mutex::new(()),
            recording: true,
        }
    }

    /// A message stored durably (after its commit). `partner` is a loaded profile's id or
    /// [`UNKNOWN`].
    pub fn received(&self, partner: &str, channel: Channel, bytes: usize) {
        if !self.recording {
            return;
        }
        let labels = traffic(partner, channel);
        self.received.get_or_create(&labels).inc();
        self.received_bytes
            .get_or_create(&labels)
            .inc_by(bytes as u64);
    }

    /// A message the send stage recorded as sent (after its commit).
    pub fn sent(&self, partner: &str, channel: Channel, bytes: usize) {
        if !self.recording {
            return;
        }
        let labels = traffic(partner, channel);
        self.sent.get_or_create(&labels).inc();
        self.sent_bytes.get_or_create(&labels).inc_by(bytes as u64);
    }

    /// One job run by a worker: how long, and how it ended.
    pub fn stage_ran(&self, stage: Stage, outcome: Outcome, seconds: f64) {
        if !self.recording {
            return;
        }
        let stage = stage.as_str();
        self.stage_seconds
            .get_or_create(&StageRun { stage, outcome })
            .observe(seconds);
        match outcome {
            Outcome::Ok => {}
            Outcome::Retry => {
                self.retries.get_or_create(&StageOnly { stage }).inc();
            }
            Outcome::Dead => {
                self.dead_letters.get_or_create(&StageOnly { stage }).inc();
            }
        }
    }

    /// A message delivered to the ERP `seconds` after it arrived.
    pub fn delivered(&self, partner: &str, seconds: f64) {
        if !self.recording {
            return;
        }
        self.end_to_end
            .get_or_create(&PartnerOnly {
                partner: partner.to_owned(),
            })
            .observe(seconds);
    }

    /// One Odoo call (`method`: the ORM method the connector called, `load`, `search_read`,
    /// `create`, … — a name in Wharf's code, never data) and, when it failed, how.
    pub fn odoo_call(&self, method: &str, seconds: f64, error: Option<OdooErrorKind>) {
        if !self.recording {
            return;
        }
        self.odoo_seconds
            .get_or_create(&OdooMethod {
                method: method.to_owned(),
            })
            .observe(seconds);
        if let Some(kind) = error {
            self.odoo_errors.get_or_create(&OdooError { kind }).inc();
        }
    }

    /// One Odoo object call let through the guard: `model.method` (names in Wharf's code).
    pub fn odoo_calls(&self, model: &str, method: &str) {
        if !self.recording {
            return;
        }
        self.odoo_calls
            .get_or_create(&OdooCall {
                model: model.to_owned(),
                method: method.to_owned(),
            })
            .inc();
    }

    /// The Odoo circuit breaker is now in `state` (set by the connector at each change).
    pub fn odoo_circuit(&self, state: CircuitState) {
        if !self.recording {
            return;
        }
        for &s in CircuitState::ALL {
            self.odoo_circuit
                .get_or_create(&Circuit { state: s })
                .set(i64::from(s == state));
        }
    }

    /// An AS2 MDN Wharf sent (returned or kept to post) or received (synchronous or not),
    /// for a loaded profile's partner or [`UNKNOWN`].
    pub fn mdn(&self, partner: &str, direction: MdnDirection, disposition: MdnDisposition) {
        if !self.recording {
            return;
        }
        self.as2_mdns
            .get_or_create(&Mdn {
                partner: partner.to_owned(),
                direction,
                disposition,
            })
            .inc();
    }

    /// The business-event subscribers `[events]` names: their delivery series exist from the
    /// start, at zero, so `rate()` and `increase()` see the first attempt.
    pub fn event_sinks<'a>(&self, sinks: impl IntoIterator<Item = &'a str>) {
        if !self.recording {
            return;
        }
        for sink in sinks {
            for &outcome in EventOutcome::ALL {
                self.event_deliveries.get_or_create_owned(&EventDelivery {
                    sink: sink.to_owned(),
                    outcome,
                });
            }
        }
    }

    /// One attempt to deliver a business event to `sink` (a configured subscriber's name),
    /// after its outcome was written to the store.
    pub fn event_delivery(&self, sink: &str, outcome: EventOutcome) {
        if !self.recording {
            return;
        }
        self.event_deliveries
            .get_or_create(&EventDelivery {
                sink: sink.to_owned(),
                outcome,
            })
            .inc();
    }

    /// Delivered business events deleted by this instance's prune.
    pub fn events_pruned(&self, n: u64) {
        if !self.recording {
            return;
        }
        self.events_pruned.inc_by(n);
    }

    /// The text exposition of every family, with the scrape-time gauges set from `at`.
    pub fn encode(&self, at: &AtScrape) -> Result<String, std::fmt::Error> {
        let _one_at_a_time = self
            .scraping
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.at_scrape.set(at);
        let mut out = String::with_capacity(8 * 1024);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

fn traffic(partner: &str, channel: Channel) -> Traffic {
    Traffic {
        partner: partner.to_owned(),
        channel: channel.as_str(),
    }
}

/// The content type of [`Metrics::encode`]'s text (OpenMetrics, which Prometheus reads).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests;
