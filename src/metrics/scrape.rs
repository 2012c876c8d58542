//! The gauges read at each scrape rather than recorded as things happen: the queue, the
//! acknowledgements overdue per partner, the certificates' days to expiry, each event
//! subscriber's undelivered deliveries and dead letters. The web edge
//! reads them (from the store, the profiles and the certificate files) and hands them in as
//! an [`AtScrape`]; this layer only writes them out, knowing nothing of where they came from.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::labels::Awaiting;

/// The work queue at the moment of a scrape, read from the store by the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Backlog {
    /// Jobs ready or running.
    pub jobs_waiting: i64,
    /// Seconds since the oldest of them was queued (0 when there is none).
    pub oldest_job_age_seconds: f64,
}

/// Acknowledgements overdue for one partner (a loaded profile's id or `unknown`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    pub partner: String,
    pub awaiting: Awaiting,
    pub count: i64,
}

/// One certificate's days to expiry (negative once expired).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateExpiry {
    /// A loaded profile's id, or `wharf` for Wharf's own station-wide certificates.
    pub partner: String,
    /// The caller's closed word for what the certificate is for (`as2`, `https`, …).
    pub role: &'static str,
    pub days_left: i64,
}

/// One business-event subscriber's deliveries, fleet-wide (read from the store, so every
/// instance writes the same figures).
#[derive(Debug, Clone, PartialEq)]
pub struct EventSink {
    /// A webhook's `name` or `nats`: from `[events]`, or a former subscriber still holding rows.
    pub sink: String,
    /// Deliveries neither delivered nor dead.
    pub undelivered: i64,
    /// Seconds since the oldest of them was queued (0 when there is none).
    pub oldest_undelivered_seconds: f64,
    pub dead_letters: i64,
}

/// Everything read at one scrape.
#[derive(Debug, Clone, Default)]
pub struct AtScrape {
    pub backlog: Backlog,
    /// Every loaded partner, each with both kinds (zero included), so a series that falls to
    /// zero is written as zero rather than left at its last value.
    pub overdue: Vec<Overdue>,
    pub certificates: Vec<CertificateExpiry>,
    /// Every configured subscriber (zeros included) and any other sink with rows.
    pub event_sinks: Vec<EventSink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OverdueOf {
    partner: String,
    awaiting: Awaiting,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CertificateOf {
    partner: String,
    role: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SinkOf {
    sink: String,
}

pub(super) struct Families {
    jobs_waiting: Gauge,
    oldest_job_age: Gauge<f64, AtomicU64>,
    overdue: Family<OverdueOf, Gauge>,
    certificates: Family<CertificateOf, Gauge>,
    events_undelivered: Family<SinkOf, Gauge>,
    events_oldest: Family<SinkOf, Gauge<f64, AtomicU64>>,
    events_dead: Family<SinkOf, Gauge>,
}

impl Families {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let f = Families {
            jobs_waiting: Gauge::default(),
            oldest_job_age: Gauge::default(),
            overdue: Family::default(),
            certificates: Family::default(),
            events_undelivered: Family::default(),
            events_oldest: Family::default(),
            events_dead: Family::default(),
        };
        registry.register(
            "jobs_waiting",
            "Jobs ready or running, read from the store at scrape time",
            f.jobs_waiting.clone(),
        );
        registry.register(
            "oldest_job_age_seconds",
            "Age of the oldest job ready or running, read from the store at scrape time",
            f.oldest_job_age.clone(),
        );
        registry.register(
            "acknowledgements_overdue",
            "Acknowledgements past the partner's [sla] window, by partner and what is awaited, read at scrape time",
            f.overdue.clone(),
        );
        registry.register(
            "certificate_expiry_days",
            "Days until the soonest-expiring certificate of each partner and role expires (negative once expired), read at scrape time",
            f.certificates.clone(),
        );
        registry.register(
            "event_deliveries_undelivered",
            "Business-event deliveries neither delivered nor dead, by subscriber, fleet-wide, read from the store at scrape time",
            f.events_undelivered.clone(),
        );
        registry.register(
            "event_oldest_undelivered_seconds",
            "Age of each subscriber's oldest undelivered business-event delivery since it was queued (0 when none), read at scrape time",
            f.events_oldest.clone(),
        );
        registry.register(
            "event_dead_letters",
            "Business-event deliveries out of attempts, waiting for an operator's redeliver, by subscriber, read at scrape time",
            f.events_dead.clone(),
        );
        f
    }

    /// Replaces every scrape-time value with `at`'s. Series no longer in `at` (a partner
    /// removed, a certificate file gone) are dropped, not left at their last value.
    pub(super) fn set(&self, at: &AtScrape) {
        self.jobs_waiting.set(at.backlog.jobs_waiting);
        self.oldest_job_age.set(at.backlog.oldest_job_age_seconds);
        self.overdue.clear();
        for o in &at.overdue {
            self.overdue
                .get_or_create(&OverdueOf {
                    partner: o.partner.clone(),
                    awaiting: o.awaiting,
                })
                .inc_by(o.count);
        }
        // Several certificates of one partner and role (a chain, a rollover): the soonest
        // expiry is the one an operator must act on first.
        let mut soonest: BTreeMap<(&str, &'static str), i64> = BTreeMap::new();
        for c in &at.certificates {
            soonest
                .entry((c.partner.as_str(), c.role))
                .and_modify(|d| *d = (*d).min(c.days_left))
                .or_insert(c.days_left);
        }
        self.certificates.clear();
        for ((partner, role), days) in soonest {
            self.certificates
                .get_or_create(&CertificateOf {
                    partner: partner.to_owned(),
                    role,
                })
                .set(days);
        }
        self.events_undelivered.clear();
        self.events_oldest.clear();
        self.events_dead.clear();
        for e in &at.event_sinks {
            let labels = SinkOf {
                sink: e.sink.clone(),
            };
            self.events_undelivered
                .get_or_create(&labels)
                .set(e.undelivered);
            self.events_oldest
                .get_or_create(&labels)
                .set(e.oldest_undelivered_seconds);
            self.events_dead.get_or_create(&labels).set(e.dead_letters);
        }
    }
}
