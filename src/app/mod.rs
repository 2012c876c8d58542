//! The composition root: [`Wharf::build`] wires the store, the partner profiles, the pipeline
//! and its ports, the HTTP routes (the web edge's and AS2's), the SFTP server and every
//! background loop from one [`Settings`], and exposes the bound addresses.
//!
//! This is the only module that knows every edge; `wharf serve` and the in-process tests both
//! start Wharf through it, so what the tests run is what an operator runs.

pub mod periodic;
pub mod ports;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{ErpTarget, Settings};
use crate::partners::Partners;
use crate::pipeline::{Pipeline, worker};
use crate::store::{Schema, Store, StoreError};
use crate::transport::as2::{As2, Route};
use periodic::{Every, First};

/// Why Wharf could not start; each names what it was doing.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot open the store at {at}")]
    Store {
        at: String,
        #[source]
        source: StoreError,
    },
    #[error("cannot serve HTTPS ([http] tls_cert, tls_key)")]
    Tls(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("cannot listen on {addr}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the SFTP server on {addr}")]
    Sftp {
        addr: SocketAddr,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("cannot make the HTTP client for asynchronous MDNs")]
    MdnClient(#[source] reqwest::Error),
    #[error("cannot make the HTTP client for event webhooks")]
    EventClient(#[source] reqwest::Error),
}

/// A running Wharf: its pipeline, where it listens, and the tasks to stop.
pub struct Wharf {
    pub pipeline: Pipeline,
    /// The HTTP(S) listener's bound address (port 0 in the settings gives a free one).
    pub http: SocketAddr,
    pub https: bool,
    /// The SFTP server's bound address, when `[sftp]` is on.
    pub sftp: Option<SocketAddr>,
    /// Whether partners' `[[collect]]` folders are polled (`[transfers] collect`).
    pub collecting: bool,
    /// The SFTP host key's SHA-256 fingerprint, for partners to check on first connection.
    pub sftp_fingerprint: Option<String>,
    /// No operator can sign in yet: the banner says how to make one.
    pub no_operator: bool,
    stop: watch::Sender<bool>,
    workers: Vec<JoinHandle<()>>,
    /// The background loops (Odoo poll, MDN poster and checks, profile reload, collection):
    /// awaited on stop, so a round in hand finishes before the store closes.
    loops: Vec<JoinHandle<()>>,
    web: JoinHandle<std::io::Result<()>>,
}

/// Opens the store and loads the partner profiles (each problem logged unless `quiet`).
pub async fn open(settings: Settings, quiet: bool) -> Result<Pipeline, BuildError> {
    open_for(settings, quiet, Schema::Migrate).await
}

/// As [`open`], doing to the database's schema only what `schema` allows.
pub async fn open_for(
    settings: Settings,
    quiet: bool,
    schema: Schema,
) -> Result<Pipeline, BuildError> {
    Ok(open_with_edges(settings, quiet, schema).await?.0)
}

/// As [`open`], with the concrete edges the pipeline's ports were made of.
async fn open_with_edges(
    settings: Settings,
    quiet: bool,
    schema: Schema,
) -> Result<(Pipeline, ports::Edges), BuildError> {
    let store = Store::open(&settings.database, schema)
        .await
        .map_err(|source| BuildError::Store {
            at: settings.database.redacted().to_string(),
            source,
        })?;
    let partners = load_partners(&settings, quiet);
    let settings = Arc::new(settings);
    // One set of metrics for the whole process: the pipeline and the edges record into it,
    // `GET /metrics` writes it out.
    let metrics = Arc::new(if settings.metrics {
        crate::metrics::Metrics::new()
    } else {
        crate::metrics::Metrics::off()
    });
    let edges = ports::edges(&settings, &store, &metrics);
    let pipeline = Pipeline::with_ports(
        store,
        settings,
        Arc::new(partners),
        edges.ports.clone(),
        metrics,
    );
    Ok((pipeline, edges))
}

/// The partner profiles in `[partners] dir`; a profile that does not load is left out and its
/// problem logged (unless `quiet`).
pub fn load_partners(settings: &Settings, quiet: bool) -> Partners {
    let (partners, problems) = Partners::load(&settings.partners_dir);
    if !quiet {
        for p in &problems {
            tracing::error!(problem = %p, "partner profile not loaded");
        }
    }
    partners
}

/// Every HTTP route Wharf serves: the web edge's and AS2's.
pub fn routes(pipeline: &Pipeline, as2: &Arc<As2>) -> Router {
    let as2 = Router::new()
        .route(
            "/as2",
            post(crate::transport::as2::receive)
                // Bounded in the handler, by the sending partner's own limit.
                .layer(DefaultBodyLimit::disable()),
        )
        .with_state(Route {
            pipeline: pipeline.clone(),
            as2: as2.clone(),
        });
    crate::web::router(pipeline.clone()).merge(as2)
}

impl Wharf {
    /// Starts everything `settings` asks for and returns once every listener is bound.
    pub async fn build(settings: Settings) -> Result<Self, BuildError> {
        let listen = settings.http_listen;
        // Read before anything starts, so a bad certificate stops with its reason.
        let tls = match &settings.http_tls {
            Some((cert, key)) => Some(
                crate::web::tls::server_config(cert, key).map_err(|e| BuildError::Tls(e.into()))?,
            ),
            None => None,
        };
        let https = tls.is_some();
        let (p, edges) = open_with_edges(settings, false, Schema::Migrate).await?;
        let (listener, http) =
            crate::web::bind(listen)
                .await
                .map_err(|source| BuildError::Listen {
                    addr: listen,
                    source,
                })?;
        let (stop, stop_rx) = watch::channel(false);
        let workers = worker::spawn(&p, &stop_rx);
        let web = tokio::spawn(crate::web::listener::serve(
            listener,
            routes(&p, &edges.as2),
            p.settings.http_limits,
            stop_rx.clone(),
            tls.map(tokio_rustls::TlsAcceptor::from),
        ));
        let sftp = match &p.settings.sftp {
            Some(cfg) => Some(
                crate::transport::sftp::start(p.clone(), cfg, stop_rx.clone())
                    .await
                    .map_err(|e| BuildError::Sftp {
                        addr: cfg.listen,
                        source: e.into(),
                    })?,
            ),
            None => None,
        };
        let mut loops = spawn_loops(&p, &edges, &stop_rx)?;
        let collecting = p.settings.transfers.collect;
        if collecting {
            loops.push(crate::transport::remote::collect::spawn(
                &p,
                stop_rx.clone(),
            ));
        }
        if let Some(addr) = sftp {
            p.vitals.set("sftp", Ok(format!("listening on {addr}")));
        }
        // Wharf's AS2 key pair, made on first start like the SSH host key.
        match edges.as2.station() {
            Ok(_) => p.vitals.set("as2", Ok("station keys loaded".into())),
            Err(e) => {
                tracing::warn!(error = %e, "AS2 station not available; POST /as2 answers 503");
                p.vitals
                    .set("as2", Err("station keys not available; see the log".into()));
            }
        }
        warn_about_certificates(&p);
        let sftp_fingerprint = match &p.settings.sftp {
            // The server has made its key by now; the admin pages read it the same way.
            Some(cfg) if sftp.is_some() => crate::util::ssh::key_file_fingerprint(&cfg.host_key),
            _ => None,
        };
        let no_operator = crate::store::admin::user_count(&p.store)
            .await
            .map(|n| n == 0)
            .unwrap_or(false);
        Ok(Self {
            pipeline: p,
            http,
            https,
            sftp,
            collecting,
            sftp_fingerprint,
            no_operator,
            stop,
            workers,
            loops,
            web,
        })
    }

    /// The start-up banner `wharf serve` prints: where everything is.
    pub fn banner(&self) -> String {
        use std::fmt::Write;
        let p = &self.pipeline;
        let s = &p.settings;
        let scheme = if self.https { "https" } else { "http" };
        let addr = self.http;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "wharf {} serving (instance {})",
            env!("CARGO_PKG_VERSION"),
            p.instance
        );
        let _ = writeln!(
            out,
            "  http      {scheme}://{addr}  (admin pages /admin; GET /healthz, /readyz; POST /api/v1/partners/{{id}}/messages)"
        );
        let _ = writeln!(out, "  database  {}", s.database.redacted());
        let partners = p.partners.snapshot();
        // Said at every start: a partner API anyone can post to is an operator's decision.
        let open: Vec<&str> = partners
            .iter()
            .filter(|pr| pr.channels.api == crate::partners::ApiAccess::Open)
            .map(|pr| pr.id.as_str())
            .collect();
        let _ = writeln!(
            out,
            "  partners  {} profile(s) from {}{}",
            partners.len(),
            s.partners_dir.display(),
            if open.is_empty() {
                String::new()
            } else {
                format!(
                    "; partner API OPEN to anyone for {} (`[api] open = true`; `wharf partners api-token ID` makes a token)",
                    open.join(", ")
                )
            }
        );
        let _ = writeln!(out, "  workers   {}", s.pipeline.workers);
        let _ = match &s.erp {
            ErpTarget::Directory(erp) => writeln!(out, "  erp       directory {}", erp.display()),
            ErpTarget::Odoo(o) => {
                writeln!(out, "  erp       odoo {} (database {})", o.url, o.database)
            }
        };
        let _ = match self.sftp {
            Some(addr) => writeln!(
                out,
                "  sftp      {addr}  (partners' inbox/ and outbox/; host key {})",
                self.sftp_fingerprint.as_deref().unwrap_or("unreadable")
            ),
            None => writeln!(out, "  sftp      off"),
        };
        let _ = writeln!(out, "  outbox    {}", s.outbox_dir.display());
        let _ = writeln!(
            out,
            "  as2       POST {scheme}://{addr}/as2 as `{}` (certificate {})",
            s.as2.id,
            s.as2.cert.display()
        );
        let folders: usize = partners.iter().map(|pr| pr.channels.collect.len()).sum();
        let _ = if self.collecting {
            writeln!(
                out,
                "  collect   {folders} partner folder(s) on their schedules"
            )
        } else {
            writeln!(out, "  collect   off")
        };
        if self.no_operator {
            let _ = writeln!(
                out,
                "next: no operator can sign in yet — run `wharf admin add-user NAME --role admin`, then open {scheme}://{addr}/admin"
            );
        }
        out
    }

    /// Tells every task to stop and returns at once (a caller that cannot wait: a test's
    /// teardown); running jobs finish on their own or are dropped with the runtime.
    pub fn stop_now(self) {
        let _ = self.stop.send(true);
    }

    /// Stops taking work, lets running jobs finish, and closes the store.
    pub async fn stop(self) {
        tracing::info!("shutting down: finishing running jobs");
        let _ = self.stop.send(true);
        for w in self.workers {
            let _ = w.await;
        }
        for l in self.loops {
            let _ = l.await;
        }
        let _ = self.web.await;
        self.pipeline.store.close().await;
    }
}

/// The background loops, each on [`periodic::spawn`]: the Odoo poll, the owed-MDN poster,
/// the overdue-MDN check and the partner-profile reload.
fn spawn_loops(
    p: &Pipeline,
    edges: &ports::Edges,
    stop: &watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<()>>, BuildError> {
    let mut loops = Vec::new();
    if let (Some(client), ErpTarget::Odoo(o)) = (edges.odoo.clone(), &p.settings.erp) {
        // One poller for the fleet: the instance holding the lease polls on its period;
        // another takes over within the lease's time when the holder dies, and at once when
        // it stops. Taking the lease wakes the poller, so a takeover polls without waiting.
        let (held, keeper) = crate::store::leases::keep(
            p.store.clone(),
            crate::store::leases::Lease::OdooPoller,
            p.instance.clone(),
            o.poll_lease,
            Some(p.erp_wake.clone()),
            stop.clone(),
        );
        loops.push(keeper);
        // Confirmed orders and done deliveries → 855/856 (and their EDIFACT/XML kin), every
        // poll interval and at once when Odoo's webhook calls.
        let every = o.poll.unwrap_or(Duration::from_secs(3600));
        let pipe = p.clone();
        loops.push(periodic::spawn(
            Every::new(every, First::Now).or_when(p.erp_wake.clone()),
            stop.clone(),
            move |tick| {
                let (pipe, client, held) = (pipe.clone(), client.clone(), held.clone());
                async move {
                    // Odoo's webhook reaches whichever instance the load balancer picked: it
                    // polls there at once, lease or not. Two polls at once are safe (each
                    // document goes out once per key; a cursor only moves to what its poll
                    // handled); the lease only keeps the periodic work from multiplying.
                    if tick != periodic::Tick::Woken && !held.now() {
                        tracing::debug!("Odoo poll left to the instance holding the lease");
                        return;
                    }
                    match crate::erp::odoo::events::poll_once(&pipe, &client).await {
                        Ok(r) if r.acks + r.notices + r.invoices > 0 => {
                            tracing::info!(
                                acks = r.acks,
                                notices = r.notices,
                                invoices = r.invoices,
                                "Odoo poll"
                            );
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "Odoo poll failed; retried next time"),
                    }
                }
            },
        ));
    }

    // Asynchronous MDNs Wharf owes its partners: posted when kept, and every second for those
    // due again. A round starts posts and returns: one partner's silent server holds no one
    // else's.
    let poster =
        crate::transport::as2::MdnPoster::new(&p.settings.as2).map_err(BuildError::MdnClient)?;
    let poster = Arc::new(tokio::sync::Mutex::new(poster));
    let pipe = p.clone();
    loops.push(periodic::spawn(
        Every::new(Duration::from_secs(1), First::Now).or_when(p.as2_mdn_wake.clone()),
        stop.clone(),
        move |_| {
            let (pipe, poster) = (pipe.clone(), poster.clone());
            async move {
                if let Err(e) = poster.lock().await.start_due(&pipe).await {
                    tracing::warn!(error = %e, "owed MDNs not posted");
                }
            }
        },
    ));

    // Business events to their subscribers (webhooks, NATS): what is new fanned out and what
    // is due delivered, every `[events] dispatch_ms`. Without subscribers nothing runs; the
    // events are still written, for the admin pages, the CLI and a later replay.
    if p.settings.events.any_subscriber() {
        let dispatcher =
            crate::events::Dispatcher::new(p.store.clone(), &p.settings.events, p.metrics.clone())
                .map_err(BuildError::EventClient)?;
        loops.push(periodic::spawn(
            Every::new(p.settings.events.dispatch, First::Now),
            stop.clone(),
            move |_| {
                let dispatcher = dispatcher.clone();
                async move {
                    match dispatcher.round().await {
                        Ok(r) if r.delivered + r.failed > 0 => {
                            tracing::debug!(delivered = r.delivered, failed = r.failed, "events delivered");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "event delivery round failed; tried again next time"),
                    }
                }
            },
        ));
    }

    // Asynchronous MDNs that did not come: alert and send again.
    let pipe = p.clone();
    loops.push(periodic::spawn(
        Every::new(p.settings.as2.mdn_check, First::AfterPeriod),
        stop.clone(),
        move |_| {
            let pipe = pipe.clone();
            async move {
                if let Err(e) = crate::transport::as2::overdue_mdns(&pipe).await {
                    tracing::warn!(error = %e, "overdue MDN check failed");
                }
            }
        },
    ));

    // Acknowledgements past their partner's `[sla]` window: `ack.overdue` once per message,
    // looked for every `[events] watch_ms` (a minute).
    let pipe = p.clone();
    loops.push(periodic::spawn(
        Every::new(p.settings.events.watch, First::Now),
        stop.clone(),
        move |_| {
            let pipe = pipe.clone();
            async move {
                if let Err(e) = crate::pipeline::watch::acks_overdue(&pipe).await {
                    tracing::warn!(error = %e, "overdue acknowledgement check failed");
                }
            }
        },
    ));

    // Retention: delivered events older than `[events] retain_days` pruned, at start and
    // every hour, in short batches. Every instance prunes; the deletes are idempotent.
    let pipe = p.clone();
    loops.push(periodic::spawn(
        Every::new(Duration::from_secs(3600), First::Now),
        stop.clone(),
        move |_| {
            let pipe = pipe.clone();
            async move {
                if let Err(e) = crate::pipeline::watch::prune_events(&pipe).await {
                    tracing::warn!(error = %e, "event retention prune failed; tried again next hour");
                }
            }
        },
    ));

    // Certificates near their end: `certificate.expiring` once per certificate and expiry
    // date, at start and every six hours.
    let pipe = p.clone();
    loops.push(periodic::spawn(
        Every::new(Duration::from_secs(6 * 3600), First::Now),
        stop.clone(),
        move |_| {
            let pipe = pipe.clone();
            async move {
                if let Err(e) = crate::pipeline::watch::certificates_expiring(&pipe).await {
                    tracing::warn!(error = %e, "certificate expiry check failed");
                }
            }
        },
    ));

    if let Some(every) = p.settings.partners_reload {
        // Profiles reload when a file changes; a file that no longer loads keeps its last
        // good profile and its problem is logged. What changed is told as `partner.changed`.
        let live = p.partners.clone();
        let pipe = p.clone();
        let digests = Arc::new(tokio::sync::Mutex::new(
            crate::pipeline::watch::profile_digests(&p.partners.snapshot()),
        ));
        loops.push(periodic::spawn(
            Every::new(every, First::AfterPeriod),
            stop.clone(),
            move |_| {
                let (live, pipe, digests) = (live.clone(), pipe.clone(), digests.clone());
                async move {
                    let reloaded = tokio::task::spawn_blocking(move || {
                        let problems = live.reload_if_changed();
                        (problems, live.snapshot().len())
                    })
                    .await;
                    match reloaded {
                        Ok((Some(problems), count)) => {
                            tracing::info!(
                                profiles = count,
                                problems = problems.len(),
                                "partner profiles reloaded"
                            );
                            let refused: Vec<String> =
                                problems.iter().map(|e| e.file.clone()).collect();
                            for e in problems {
                                tracing::warn!(%e, "partner profile not applied; the previous version stays");
                            }
                            let mut before = digests.lock().await;
                            match crate::pipeline::watch::partners_changed(&pipe, &before, &refused)
                                .await
                            {
                                Ok(now) => *before = now,
                                Err(e) => tracing::warn!(error = %e, "partner.changed not written; told at the next change"),
                            }
                        }
                        Ok((None, _)) => {}
                        Err(e) => tracing::warn!(%e, "partner profile reload failed"),
                    }
                }
            },
        ));
    }
    Ok(loops)
}

/// Warns in the log about AS2 certificates that expired or expire within 30 days.
fn warn_about_certificates(p: &Pipeline) {
    use crate::partners::certificates::{EXPIRY_WARNING_DAYS, certificates};
    let partners = p.partners.snapshot();
    let (infos, errors) = certificates(&p.settings, &partners);
    for c in infos.iter().filter(|c| c.days_left <= EXPIRY_WARNING_DAYS) {
        tracing::warn!(owner = %c.owner, file = %c.file, days_left = c.days_left, not_after = %c.not_after, "AS2 certificate expires soon or has expired");
    }
    for (owner, file, why) in errors {
        tracing::warn!(%owner, %file, %why, "AS2 certificate unreadable");
    }
}

/// The address and scheme tests and tools use to reach a built [`Wharf`].
impl Wharf {
    pub fn url(&self) -> String {
        format!(
            "{}://{}",
            if self.https { "https" } else { "http" },
            self.http
        )
    }
}
