//! The command line: `serve`, `ingest`, `translate`, `ack`, `partners check`, `messages`,
//! `replay`. Each command loads settings once; errors print as one precise line and a
//! non-zero exit code (2 for input or configuration that cannot be used).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::documents::edifact as edidoc;
use crate::documents::x12 as x12doc;
use crate::edi::x12::Severity;
use crate::edi::x12::ack::{write_functional_ack, write_ta1};
use crate::partners::Partners;
use crate::pipeline::envelope::ack_envelope;
use crate::pipeline::{Pipeline, worker};
use crate::store::messages::{self, Filter, Inbound};
use crate::store::{Channel, Direction, Format, MessageState, Store, events, jobs};

#[derive(Debug, Parser)]
#[command(name = "wharf", version, about = "EDI/B2B partner gateway for Odoo")]
pub struct Cli {
    /// Settings file (default: ./wharf.toml when it exists; every setting has a default).
    #[arg(long, global = true, env = "WHARF_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the gateway: HTTP (health, partner API), and the pipeline workers.
    Serve,
    /// Submits files through the same path a partner's drop takes (stored, then processed by
    /// `wharf serve`).
    Ingest {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The partner whose channel the files arrive on.
        #[arg(long)]
        partner: String,
    },
    /// Prints the canonical documents in FILE as JSON, one per line; stores nothing.
    Translate {
        file: PathBuf,
        #[arg(long)]
        partner: Option<String>,
        /// With --partner: show what the partner's mapping rules would hand the ERP for each
        /// document (customer, products, units, ship-to) and the Odoo records it means,
        /// without touching Odoo. Exit status 1 when a rule the profile rejects is broken.
        #[arg(long, requires = "partner")]
        plan: bool,
        /// With --plan: the Odoo major version whose field names the records use.
        #[arg(long, default_value_t = 18, requires = "plan")]
        odoo: u8,
    },
    /// Prints the acknowledgement interchange(s) the gateway would send back for FILE.
    Ack {
        file: PathBuf,
        #[arg(long)]
        partner: Option<String>,
    },
    /// Partner profiles.
    Partners {
        #[command(subcommand)]
        command: PartnersCommand,
    },
    /// Messages in the store.
    Messages {
        #[command(subcommand)]
        command: MessagesCommand,
    },
    /// Queues a canonical document (JSON, as `wharf translate` prints it: an OrderAck,
    /// ShipNotice or Invoice) to be sent to a partner as X12; at most once per key.
    Send {
        file: PathBuf,
        #[arg(long)]
        partner: String,
        /// Idempotency key (default: the PO, shipment or invoice number).
        #[arg(long)]
        key: Option<String>,
    },
    /// Runs a message again from its stored raw bytes.
    Replay { id: i64 },
    /// Operator accounts and API tokens for the admin pages and the JSON API.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Wharf's AS2 station.
    As2 {
        #[command(subcommand)]
        command: As2Command,
    },
    /// Runs one collection round now on every `[[collect]]` folder (or one partner's): new
    /// files are stored (then processed by `wharf serve`) and removed or archived remotely.
    /// Exit status 1 when a server could not be collected from.
    Collect {
        #[arg(long)]
        partner: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum As2Command {
    /// Lists Wharf's AS2 certificate and every partner's with their expiry; exit 1 when one
    /// has expired, expires within 30 days or cannot be read.
    Certs,
    /// Makes a new RSA-2048 key and self-signed certificate for Wharf's AS2 name, at the
    /// settings' `[as2] cert` and `key` (or the given paths, for a rollover); never
    /// overwrites. Partners need the certificate (printed) before Wharf uses the new key.
    NewCert {
        #[arg(long)]
        cert: Option<PathBuf>,
        #[arg(long)]
        key: Option<PathBuf>,
        #[arg(long, default_value_t = 730)]
        days: u32,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Adds an operator (or sets an existing one's password and role, ending their
    /// sessions). The password is read from standard input, at least 12 characters.
    AddUser {
        name: String,
        /// viewer (reads), operator (also retries, replays, cancels), admin (also edits
        /// partner profiles, reads the audit log).
        #[arg(long, default_value = "viewer")]
        role: String,
    },
    /// Makes an API token for a machine client of `/api/v1` (printed once; only its hash is
    /// kept). A second call with the same name replaces the token.
    AddToken {
        name: String,
        #[arg(long, default_value = "viewer")]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
enum PartnersCommand {
    /// Validates every profile in the partners folder and reports each problem.
    Check,
    /// Reads a password on standard input and prints its argon2id hash, for a profile's
    /// `[sftp] password_hash` (the password itself is never stored).
    HashPassword,
    /// Makes a token for a partner's use of the partner API and prints it, with the
    /// `[api] token_sha256` line to put in its profile (only the hash is kept there).
    ApiToken { partner: String },
    /// Prints the public key Wharf logs in with on partners' SFTP servers that take a key
    /// (made on first use in `[transfers] client_key`), for the partner's authorized_keys.
    ClientKey,
}

#[derive(Debug, Subcommand)]
enum MessagesCommand {
    /// Lists messages, newest first.
    List {
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        partner: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Shows one message with its event history, jobs and acknowledgements.
    Show {
        id: i64,
        /// Writes the raw bytes to standard output instead.
        #[arg(long)]
        raw: bool,
    },
}

/// A failure the user caused (bad input, bad settings): exit code 2, no backtrace.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wharf: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wharf: {e:#}");
            if e.downcast_ref::<UsageError>().is_some()
                || e.downcast_ref::<crate::config::ConfigError>().is_some()
            {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("WHARF_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    Ok(Settings::load(cli.config.as_deref(), std::env::vars())?)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Serve => serve(settings(&cli)?).await,
        Command::Ingest { files, partner } => ingest(settings(&cli)?, files, partner).await,
        Command::Translate {
            file,
            partner,
            plan,
            odoo,
        } => {
            if let Some(id) = partner {
                let profile = named_profile(&settings(&cli)?, id)?;
                if *plan {
                    return translate_plan(file, &profile, *odoo);
                }
            }
            translate(file)
        }
        Command::Ack { file, partner } => ack(&settings(&cli)?, file, partner.as_deref()),
        Command::Partners {
            command: PartnersCommand::Check,
        } => partners_check(&settings(&cli)?),
        Command::Partners {
            command: PartnersCommand::HashPassword,
        } => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            if password.is_empty() {
                return Err(UsageError("no password on standard input".into()).into());
            }
            println!("{}", crate::partners::channels::hash_password(password)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Partners {
            command: PartnersCommand::ApiToken { partner },
        } => {
            crate::partners::PartnerId::parse(partner)
                .map_err(|e| UsageError(format!("`{partner}`: {e}")))?;
            let token = crate::web::admin::auth::new_token();
            println!("{token}");
            eprintln!(
                "give the token to {partner} (Authorization: Bearer TOKEN) and add to partners/{partner}.toml:\n[api]\ntoken_sha256 = \"{}\"",
                crate::web::admin::auth::token_hash(&token)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Messages { command } => messages_cmd(settings(&cli)?, command).await,
        Command::Replay { id } => replay(settings(&cli)?, *id).await,
        Command::Admin { command } => admin_cmd(settings(&cli)?, command).await,
        Command::Collect { partner } => collect(settings(&cli)?, partner.as_deref()).await,
        Command::As2 {
            command: As2Command::Certs,
        } => {
            use crate::partners::certificates::{EXPIRY_WARNING_DAYS, certificates};
            let s = settings(&cli)?;
            let partners = load_partners(&s, true);
            let (infos, errors) = certificates(&s, &partners);
            let mut attention = !errors.is_empty();
            for c in &infos {
                let note = if c.days_left < 0 {
                    attention = true;
                    "  EXPIRED"
                } else if c.days_left <= EXPIRY_WARNING_DAYS {
                    attention = true;
                    "  expires soon"
                } else {
                    ""
                };
                println!(
                    "{:<12} {:>5} days  {}  {}  ({}){note}",
                    c.owner, c.days_left, c.not_after, c.subject, c.file
                );
            }
            for (owner, file, why) in &errors {
                println!("{owner:<12} unreadable  {file}: {why}");
            }
            Ok(if attention {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::As2 {
            command: As2Command::NewCert { cert, key, days },
        } => {
            let s = settings(&cli)?;
            let cert = cert.clone().unwrap_or_else(|| s.as2.cert.clone());
            let key = key.clone().unwrap_or_else(|| s.as2.key.clone());
            crate::transport::as2::new_pair(&s.as2.id, &cert, &key, *days)
                .map_err(|e| UsageError(e.to_string()))?;
            eprintln!(
                "AS2 key {} and certificate {} made for `{}`, valid {days} days",
                key.display(),
                cert.display(),
                s.as2.id
            );
            print!("{}", std::fs::read_to_string(&cert)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Partners {
            command: PartnersCommand::ClientKey,
        } => {
            let s = settings(&cli)?;
            let key = crate::transport::sftp::host_key(&s.transfers.client_key)?;
            println!("{}", key.public_key().to_openssh()?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Send { file, partner, key } => {
            send(settings(&cli)?, file, partner, key.as_deref()).await
        }
    }
}

fn load_partners(s: &Settings, quiet: bool) -> Partners {
    let (partners, problems) = Partners::load(&s.partners_dir);
    if !quiet {
        for p in &problems {
            tracing::error!(problem = %p, "partner profile not loaded");
        }
    }
    partners
}

async fn pipeline(s: Settings) -> anyhow::Result<Pipeline> {
    let store = Store::connect(&s.database)
        .await
        .with_context(|| format!("cannot open the store at {}", s.database.redacted()))?;
    let partners = load_partners(&s, false);
    Ok(crate::app::ports::pipeline(
        store,
        Arc::new(s),
        Arc::new(partners),
    ))
}

async fn serve(s: Settings) -> anyhow::Result<ExitCode> {
    let listen = s.http_listen;
    // Read before anything starts, so a bad certificate stops `serve` with its reason.
    let tls = match &s.http_tls {
        Some((cert, key)) => Some(
            crate::web::tls::server_config(cert, key)
                .context("cannot serve HTTPS ([http] tls_cert, tls_key)")?,
        ),
        None => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let p = pipeline(s).await?;
    let (listener, addr) = crate::web::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let workers = worker::spawn(&p, &stop_rx);
    let web = tokio::spawn(crate::web::serve(listener, p.clone(), stop_rx.clone(), tls));
    let sftp = match &p.settings.sftp {
        Some(cfg) => Some(
            crate::transport::sftp::start(p.clone(), cfg, stop_rx.clone())
                .await
                .with_context(|| format!("cannot start the SFTP server on {}", cfg.listen))?,
        ),
        None => None,
    };
    if let (Some(client), crate::config::ErpTarget::Odoo(o)) =
        (crate::app::ports::odoo_client(&p), &p.settings.erp)
    {
        // Confirmed orders and done deliveries → 855/856 (and their EDIFACT/XML kin), every
        // poll interval and at once when Odoo's webhook calls.
        let every = o.poll.unwrap_or(std::time::Duration::from_secs(3600));
        let (pipe, mut stop) = (p.clone(), stop_rx.clone());
        tokio::spawn(async move {
            loop {
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
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = pipe.erp_wake.notified() => {}
                    _ = stop.changed() => break,
                }
            }
        });
    }
    {
        // Asynchronous MDNs Wharf owes its partners: posted when kept, and every second
        // for those due again.
        let (pipe, mut stop) = (p.clone(), stop_rx.clone());
        let mut poster = crate::transport::as2::MdnPoster::new(&p.settings.as2)
            .context("cannot make the HTTP client for asynchronous MDNs")?;
        tokio::spawn(async move {
            loop {
                // Starts posts and returns: one partner's silent server holds no one else's.
                if let Err(e) = poster.start_due(&pipe).await {
                    tracing::warn!(error = %e, "owed MDNs not posted");
                }
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    _ = pipe.as2_mdn_wake.notified() => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        });
    }
    {
        // Asynchronous MDNs that did not come: alert and send again.
        let (pipe, mut stop) = (p.clone(), stop_rx.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(pipe.settings.as2.mdn_check) => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
                if let Err(e) = crate::transport::as2::overdue_mdns(&pipe).await {
                    tracing::warn!(error = %e, "overdue MDN check failed");
                }
            }
        });
    }
    let collecting = p.settings.transfers.collect.then(|| {
        crate::transport::remote::collect::spawn(&p, stop_rx.clone());
    });
    if let Some(every) = p.settings.partners_reload {
        let (live, mut stop) = (p.partners.clone(), stop_rx.clone());
        // Profiles reload when a file changes; a file that no longer loads keeps its last
        // good profile and its problem is logged.
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
                let live = live.clone();
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
                        for e in problems {
                            tracing::warn!(%e, "partner profile not applied; the previous version stays");
                        }
                    }
                    Ok((None, _)) => {}
                    Err(e) => tracing::warn!(%e, "partner profile reload failed"),
                }
            }
        });
    }

    // Wharf's AS2 key pair, made on first start like the SSH host key.
    if let Err(e) = crate::app::ports::as2(&p)
        .ok_or_else(|| "no AS2 edge".to_owned())
        .and_then(|a| a.station())
    {
        tracing::warn!(error = %e, "AS2 station not available; POST /as2 answers 503");
    }
    warn_about_certificates(&p);
    let s = &p.settings;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "wharf {} serving (instance {})",
        env!("CARGO_PKG_VERSION"),
        p.instance
    )?;
    writeln!(
        out,
        "  http      {scheme}://{addr}  (admin pages /admin; GET /healthz; POST /api/v1/partners/{{id}}/messages)"
    )?;
    writeln!(out, "  database  {}", s.database.redacted())?;
    let partners = p.partners.snapshot();
    // Said at every start: a partner API anyone can post to is an operator's decision.
    let open: Vec<&str> = partners
        .iter()
        .filter(|pr| pr.channels.api == crate::partners::ApiAccess::Open)
        .map(|pr| pr.id.as_str())
        .collect();
    writeln!(
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
    )?;
    writeln!(out, "  workers   {}", s.pipeline.workers)?;
    match &s.erp {
        crate::config::ErpTarget::Directory(erp) => {
            writeln!(out, "  erp       directory {}", erp.display())?
        }
        crate::config::ErpTarget::Odoo(o) => {
            writeln!(out, "  erp       odoo {} (database {})", o.url, o.database)?
        }
    }
    match sftp {
        Some(addr) => writeln!(out, "  sftp      {addr}  (partners' inbox/ and outbox/)")?,
        None => writeln!(out, "  sftp      off")?,
    }
    writeln!(out, "  outbox    {}", s.outbox_dir.display())?;
    writeln!(
        out,
        "  as2       POST {scheme}://{addr}/as2 as `{}` (certificate {})",
        s.as2.id,
        s.as2.cert.display()
    )?;
    let folders: usize = p
        .partners
        .snapshot()
        .iter()
        .map(|pr| pr.channels.collect.len())
        .sum();
    match collecting {
        Some(()) => writeln!(
            out,
            "  collect   {folders} partner folder(s) on their schedules"
        )?,
        None => writeln!(out, "  collect   off")?,
    }
    out.flush()?;
    drop(out);

    shutdown_signal().await;
    tracing::info!("shutting down: finishing running jobs");
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.await;
    }
    let _ = web.await;
    p.store.close().await;
    Ok(ExitCode::SUCCESS)
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

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn ingest(s: Settings, files: &[PathBuf], partner: &str) -> anyhow::Result<ExitCode> {
    let p = pipeline(s).await?;
    if p.partners.snapshot().get(partner).is_none() {
        return Err(UsageError(format!(
            "partner `{partner}` has no loaded profile in {} (see `wharf partners check`)",
            p.settings.partners_dir.display()
        ))
        .into());
    }
    for file in files {
        let raw = std::fs::read(file)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
        let name = file.file_name().and_then(|n| n.to_str());
        let id = p
            .receive(&Inbound {
                channel: Channel::Cli,
                partner: Some(partner),
                filename: name,
                raw: &raw,
            })
            .await?;
        println!("{id}\t{}", file.display());
    }
    p.store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The profile `--partner ID` names; a usage error when it is not loaded.
fn named_profile(s: &Settings, id: &str) -> anyhow::Result<crate::partners::Profile> {
    load_partners(s, true).get(id).cloned().ok_or_else(|| {
        UsageError(format!(
            "partner `{id}` has no loaded profile in {} (see `wharf partners check`)",
            s.partners_dir.display()
        ))
        .into()
    })
}

fn read_x12(
    file: &Path,
    options: x12doc::TranslateOptions,
) -> anyhow::Result<(Vec<u8>, x12doc::X12Translation)> {
    let raw = read_input(file)?;
    let t = x12doc::translate_with(&raw, options)
        .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
    Ok((raw, t))
}

/// Reads a file a partner sent, refusing what is not X12 with a precise message.
fn read_input(file: &Path) -> anyhow::Result<Vec<u8>> {
    let raw = std::fs::read(file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    check_format(file, &raw)?;
    Ok(raw)
}

/// The format of a file from its first bytes.
fn sniff_file(file: &Path) -> anyhow::Result<Format> {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(file)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    Ok(Format::sniff(&head))
}

/// Refuses what is neither X12 nor EDIFACT with a precise message.
fn check_format(file: &Path, raw: &[u8]) -> anyhow::Result<()> {
    match Format::sniff(raw) {
        Format::X12 => {}
        Format::Edifact => {
            return Err(UsageError(format!(
                "{}: EDIFACT is read by `wharf translate` and `wharf ack`; this command reads X12",
                file.display()
            ))
            .into());
        }
        Format::Xml => {
            let f = Format::sniff(raw);
            return Err(UsageError(format!(
                "{}: {f} is recognised but its translation is not available yet",
                file.display()
            ))
            .into());
        }
        Format::Unknown => {
            return Err(UsageError(format!(
                "{}: not X12 (ISA), EDIFACT (UNA/UNB) or XML",
                file.display()
            ))
            .into());
        }
    }
    Ok(())
}

/// A check of a file's first bytes (refusing a format the command does not read).
type FormatCheck = fn(&Path, &[u8]) -> anyhow::Result<()>;

/// Reads `file` in chunks and hands each run of whole interchanges (up to where the syntax's
/// `complete_prefix` says the last one ends) to `each`, so a file of any size is translated
/// in memory that follows its largest interchange.
fn for_each_chunk(
    file: &Path,
    complete_prefix: fn(&[u8]) -> usize,
    check: Option<FormatCheck>,
    mut each: impl FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use std::io::Read;
    const CHUNK: usize = 8 << 20;
    let mut f = std::fs::File::open(file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    let mut buf: Vec<u8> = Vec::with_capacity(2 * CHUNK);
    let mut first = true;
    let mut eof = false;
    while !eof || !buf.is_empty() {
        // Fill to at least one chunk beyond what is already held (more when an interchange
        // is larger than the buffer).
        let want = buf.len() + CHUNK;
        while !eof && buf.len() < want {
            let start = buf.len();
            buf.resize(want, 0);
            let n = f.read(&mut buf[start..])?;
            buf.truncate(start + n);
            eof = n == 0;
        }
        if first {
            if let Some(check) = check {
                check(file, &buf)?;
            }
            first = false;
        }
        let cut = if eof {
            buf.len()
        } else {
            complete_prefix(&buf)
        };
        if cut > 0 {
            each(&buf[..cut])?;
            buf.drain(..cut);
        }
    }
    Ok(())
}

fn translate(file: &Path) -> anyhow::Result<ExitCode> {
    match sniff_file(file)? {
        Format::Edifact => {
            let cut = crate::edi::edifact::envelope::complete_prefix;
            print_translation(file, cut, None, |chunk, emit| {
                edidoc::translate_stream(chunk, edidoc::TranslateOptions::default(), |o| {
                    emit(match o {
                        edidoc::Output::Document(d) => Step::Document(d),
                        edidoc::Output::Interchange(ic) => Step::Interchange {
                            rejected: ic.rejected,
                            errors: ic.errors,
                        },
                    })
                })
                .map_err(|e| e.to_string())
            })
        }
        Format::Xml => xml_translate(file),
        _ => {
            let cut = crate::edi::x12::envelope::complete_prefix;
            print_translation(file, cut, Some(check_format), |chunk, emit| {
                x12doc::translate_stream(chunk, x12doc::TranslateOptions::default(), |o| {
                    emit(match o {
                        x12doc::Output::Document(d) => Step::Document(d),
                        x12doc::Output::Interchange(ic) => Step::Interchange {
                            rejected: ic.rejected,
                            errors: ic.errors,
                        },
                    })
                })
                .map_err(|e| e.to_string())
            })
        }
    }
}

/// What a streaming translator of either EDI syntax hands the printer, in input order.
enum Step {
    Document(crate::model::Document),
    /// An interchange's trailer was checked: its documents print unless it was rejected.
    Interchange {
        rejected: bool,
        errors: Vec<crate::edi::diag::Diagnostic>,
    },
}

/// The file-level result of translating one chunk: file diagnostics, or why not a single
/// interchange could be read.
type ChunkResult = Result<Vec<crate::edi::diag::Diagnostic>, String>;

/// `wharf translate` for X12 and EDIFACT: reads the file in runs of whole interchanges,
/// prints each accepted interchange's documents as JSON lines (one interchange's documents
/// are held until its trailer is checked, so memory follows the interchange, not the file),
/// every finding on standard error; exit status 1 when there are errors.
fn print_translation(
    file: &Path,
    complete_prefix: fn(&[u8]) -> usize,
    check: Option<FormatCheck>,
    mut translate_chunk: impl FnMut(&[u8], &mut dyn FnMut(Step)) -> ChunkResult,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut problems = 0;
    let mut held: Vec<crate::model::Document> = Vec::new();
    let mut failed: Option<std::io::Error> = None;
    let mut file_diags = Vec::new();
    let mut emit = |step: Step| match step {
        Step::Document(d) => held.push(d),
        Step::Interchange { rejected, errors } => {
            for d in held.drain(..) {
                if rejected || failed.is_some() {
                    continue;
                }
                let written = serde_json::to_writer(&mut out, &d)
                    .map_err(std::io::Error::from)
                    .and_then(|()| writeln!(out));
                if let Err(e) = written {
                    failed = Some(e);
                }
            }
            problems += print_findings(file, &errors);
        }
    };
    let mut seen_any = false;
    for_each_chunk(file, complete_prefix, check, |chunk| {
        match translate_chunk(chunk, &mut emit) {
            Ok(d) => {
                seen_any = true;
                file_diags.extend(d);
            }
            // Junk after the last interchange is reported, not fatal.
            Err(e) if seen_any => file_diags.push(crate::edi::diag::Diagnostic::warning(
                crate::edi::diag::Location::default(),
                e,
            )),
            Err(e) => return Err(UsageError(format!("{}: {e}", file.display())).into()),
        }
        Ok(())
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    out.flush()?;
    problems += print_findings(file, &file_diags);
    Ok(if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Every canonical document in a file of any syntax (for the dry run), with its findings.
fn documents_of(
    file: &Path,
) -> anyhow::Result<(
    Vec<crate::model::Document>,
    Vec<crate::edi::diag::Diagnostic>,
)> {
    let raw = std::fs::read(file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    crate::pipeline::dryrun::documents(&raw)
        .map_err(|e| UsageError(format!("{}: {e}", file.display())).into())
}

/// `wharf translate FILE --partner ID --plan`: each document with what the partner's mapping
/// rules make of it for the ERP, one JSON object per line; nothing is stored or sent.
fn translate_plan(
    file: &Path,
    profile: &crate::partners::Profile,
    odoo: u8,
) -> anyhow::Result<ExitCode> {
    let (docs, findings) = documents_of(file)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut held = 0usize;
    for d in &docs {
        let line = crate::pipeline::dryrun::plan(profile, d, odoo)?;
        held += line["errors"].as_array().map_or(0, Vec::len);
        serde_json::to_writer(&mut out, &line)?;
        writeln!(out)?;
    }
    out.flush()?;
    let errors = print_findings(file, &findings) + held;
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Prints each finding on standard error as `file: level: message [code]`; returns how many
/// are errors (the exit status).
fn print_findings(file: &Path, findings: &[crate::edi::diag::Diagnostic]) -> usize {
    let mut errors = 0;
    for e in findings {
        let level = match e.severity {
            Severity::Error => {
                errors += 1;
                "error"
            }
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        let code = match e.code {
            Some(crate::edi::diag::AckCode::Contrl(c)) => format!(" [0085 code {c}]"),
            _ => String::new(),
        };
        eprintln!("{}: {level}: {e}{code}", file.display());
    }
    errors
}

/// `wharf translate` for a cXML or UBL document: its canonical JSON, every finding with
/// its element path on standard error.
fn xml_translate(file: &Path) -> anyhow::Result<ExitCode> {
    let raw = std::fs::read(file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    let t = crate::documents::xml::translate(&raw)
        .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for d in &t.documents {
        serde_json::to_writer(&mut out, d)?;
        writeln!(out)?;
    }
    out.flush()?;
    let problems = print_findings(file, &t.errors);
    Ok(if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `wharf ack` for a cXML request: the cXML Response the gateway's HTTP endpoint answers.
fn xml_ack(file: &Path) -> anyhow::Result<ExitCode> {
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
fn edifact_ack(s: &Settings, file: &Path) -> anyhow::Result<ExitCode> {
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

fn ack(s: &Settings, file: &Path, partner: Option<&str>) -> anyhow::Result<ExitCode> {
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

fn partners_check(s: &Settings) -> anyhow::Result<ExitCode> {
    let (partners, problems) = Partners::load(&s.partners_dir);
    for p in partners.iter() {
        println!("ok      {}  {} ({})", p.id, p.name, p.source.display());
        println!("        {}", p.summary());
    }
    for e in &problems {
        println!("error   {e}");
    }
    println!(
        "{} profile(s) loaded, {} problem(s)",
        partners.len(),
        problems.len()
    );
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn time_text(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]Z"
            ))
            .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

async fn messages_cmd(s: Settings, cmd: &MessagesCommand) -> anyhow::Result<ExitCode> {
    let store = Store::connect(&s.database).await?;
    let mut out = std::io::stdout().lock();
    match cmd {
        MessagesCommand::List {
            state,
            partner,
            limit,
            json,
        } => {
            let state = match state {
                Some(st) => Some(MessageState::parse(st).ok_or_else(|| {
                    UsageError(format!(
                        "`{st}` is not a state; one of: {}",
                        MessageState::ALL
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?),
                None => None,
            };
            let list = messages::list(
                &store,
                &Filter {
                    state,
                    partner: partner.clone(),
                    direction: None,
                    limit: *limit,
                },
            )
            .await?;
            if *json {
                for m in &list {
                    serde_json::to_writer(&mut out, m)?;
                    writeln!(out)?;
                }
            } else {
                writeln!(
                    out,
                    "{:>6}  {:<3}  {:<9}  {:<12}  {:<8}  {:<11}  {:>8}  {:<24}  ERROR",
                    "ID", "DIR", "CHANNEL", "PARTNER", "DOC", "STATE", "BYTES", "CREATED"
                )?;
                for m in &list {
                    writeln!(
                        out,
                        "{:>6}  {:<3}  {:<9}  {:<12}  {:<8}  {:<11}  {:>8}  {:<24}  {}",
                        m.id,
                        m.direction,
                        m.channel,
                        m.partner.as_deref().unwrap_or("-"),
                        m.doc_type.as_deref().unwrap_or("-"),
                        m.state,
                        m.size,
                        time_text(m.created_at),
                        m.error.as_deref().unwrap_or("")
                    )?;
                }
            }
        }
        MessagesCommand::Show { id, raw } => {
            if *raw {
                let bytes = messages::raw(&store, *id).await?;
                out.write_all(&bytes)?;
                return Ok(ExitCode::SUCCESS);
            }
            let m = match messages::get(&store, *id).await {
                Err(crate::store::StoreError::NoSuchMessage(id)) => {
                    return Err(UsageError(format!("message {id} does not exist")).into());
                }
                other => other?,
            };
            writeln!(out, "message {}", m.id)?;
            writeln!(out, "  direction  {}", m.direction)?;
            writeln!(out, "  channel    {}", m.channel)?;
            writeln!(out, "  partner    {}", m.partner.as_deref().unwrap_or("-"))?;
            writeln!(
                out,
                "  format     {}",
                m.format.map(|f| f.as_str()).unwrap_or("-")
            )?;
            writeln!(out, "  document   {}", m.doc_type.as_deref().unwrap_or("-"))?;
            writeln!(
                out,
                "  control    {}",
                m.control_number.as_deref().unwrap_or("-")
            )?;
            writeln!(out, "  file       {}", m.filename.as_deref().unwrap_or("-"))?;
            writeln!(out, "  state      {}", m.state)?;
            if let Some(e) = &m.error {
                writeln!(out, "  error      {e}")?;
            }
            writeln!(out, "  size       {} bytes", m.size)?;
            writeln!(out, "  sha256     {}", m.sha256.as_deref().unwrap_or("-"))?;
            writeln!(out, "  created    {}", time_text(m.created_at))?;
            if let Some(r) = m.related_id {
                writeln!(out, "  answers    message {r}")?;
            }
            writeln!(out, "events")?;
            for e in events::for_message(&store, *id).await? {
                writeln!(
                    out,
                    "  {}  {:<16} {:<10} {}  [{}]",
                    time_text(e.at),
                    e.kind,
                    e.stage.map(|s| s.as_str()).unwrap_or("-"),
                    e.detail.as_deref().unwrap_or(""),
                    e.instance.as_deref().unwrap_or("-")
                )?;
            }
            writeln!(out, "jobs")?;
            for j in jobs::for_message(&store, *id).await? {
                writeln!(
                    out,
                    "  #{} {:<9} {:<7} attempts {}/{}{}",
                    j.id,
                    j.stage,
                    j.state,
                    j.attempts,
                    j.max_attempts,
                    j.last_error
                        .as_deref()
                        .map(|e| format!("  last error: {e}"))
                        .unwrap_or_default()
                )?;
            }
            for a in crate::store::as2::for_message(&store, *id).await? {
                writeln!(
                    out,
                    "as2\n  {:<3} Message-ID {}  MIC {} {}",
                    a.direction,
                    a.as2_message_id,
                    a.mic.as_deref().unwrap_or("-"),
                    a.mic_alg.as_deref().unwrap_or("")
                )?;
            }
            let moved = crate::store::transfers::for_message(&store, *id).await?;
            if !moved.is_empty() {
                writeln!(out, "transfers")?;
                for t in moved {
                    writeln!(
                        out,
                        "  {}  {:<3} {}/{}  {} bytes  sha256 {}",
                        time_text(t.at),
                        t.direction,
                        t.remote.trim_end_matches('/'),
                        t.name,
                        t.size,
                        t.sha256
                    )?;
                }
            }
            let related = messages::related(&store, *id).await?;
            if !related.is_empty() {
                writeln!(out, "answered by")?;
                for r in related {
                    writeln!(
                        out,
                        "  message {} {} {} {}",
                        r.id,
                        r.doc_type.as_deref().unwrap_or("-"),
                        r.state,
                        r.control_number.as_deref().unwrap_or("")
                    )?;
                }
            }
            if m.direction == Direction::In || m.size > 0 {
                writeln!(out, "raw bytes: wharf messages show {} --raw", m.id)?;
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// One collection round on each `[[collect]]` folder, one folder after another.
async fn collect(s: Settings, only: Option<&str>) -> anyhow::Result<ExitCode> {
    use crate::transport::remote::collect::collect_once;
    if let Some(id) = only {
        named_profile(&s, id)?;
    }
    let p = pipeline(s).await?;
    let mut failed = false;
    let snapshot = p.partners.snapshot();
    let mut out = std::io::stdout().lock();
    for profile in snapshot.iter() {
        if only.is_some_and(|id| id != profile.id.as_str()) {
            continue;
        }
        for remote in &profile.channels.collect {
            match collect_once(&p, profile.id.as_str(), remote).await {
                Ok(r) if r.busy => writeln!(
                    out,
                    "{} {}: another instance is collecting",
                    profile.id,
                    remote.url()
                )?,
                Ok(r) => writeln!(
                    out,
                    "{} {}: {} collected{}, {} already stored, {} left, {} not removed",
                    profile.id,
                    remote.url(),
                    r.collected.len(),
                    if r.collected.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (messages {})",
                            r.collected
                                .iter()
                                .map(i64::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    },
                    r.already_stored,
                    r.left,
                    r.not_removed
                )?,
                Err(e) => {
                    failed = true;
                    writeln!(out, "{} {}: failed: {e}", profile.id, remote.url())?;
                }
            }
        }
    }
    drop(out);
    p.store.close().await;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

async fn send(
    s: Settings,
    file: &Path,
    partner: &str,
    key: Option<&str>,
) -> anyhow::Result<ExitCode> {
    use crate::model::Document;
    let text = std::fs::read_to_string(file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    let doc: Document = serde_json::from_str(&text)
        .map_err(|e| UsageError(format!("{}: not a canonical document: {e}", file.display())))?;
    let key = match (key, &doc) {
        (Some(k), _) => k.to_owned(),
        (None, Document::OrderAck(a)) => a.po_number.to_string(),
        (None, Document::ShipNotice(n)) => n.shipment_id.to_string(),
        (None, Document::Invoice(i)) => i.invoice_number.to_string(),
        (None, Document::Order(o)) => o.po_number.to_string(),
        (None, Document::FunctionalAck(_) | Document::InterchangeAck(_)) => {
            return Err(UsageError(
                "acknowledgements are built by Wharf itself; `wharf send` takes an OrderAck, \
                 ShipNotice or Invoice"
                    .into(),
            )
            .into());
        }
    };
    let p = pipeline(s).await?;
    let outcome = p.submit(partner, doc, &key).await;
    p.store.close().await;
    match outcome {
        Ok(crate::pipeline::Submitted::Queued(id)) => {
            println!("{id}\tqueued for {partner} (key {key})");
            Ok(ExitCode::SUCCESS)
        }
        Ok(crate::pipeline::Submitted::AlreadyQueued) => {
            println!("-\talready queued for {partner} with key {key}; nothing new");
            Ok(ExitCode::SUCCESS)
        }
        Err(crate::pipeline::SubmitError::Store(e)) => Err(e.into()),
        Err(e) => Err(UsageError(e.to_string()).into()),
    }
}

async fn admin_cmd(s: Settings, cmd: &AdminCommand) -> anyhow::Result<ExitCode> {
    use crate::store::admin::{self, Role};
    let role_of = |r: &str| {
        Role::parse(r)
            .ok_or_else(|| UsageError(format!("`{r}` is not a role (viewer, operator or admin)")))
    };
    let name_ok = |n: &str| -> Result<(), UsageError> {
        if n.is_empty()
            || n.len() > 64
            || !n
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
        {
            return Err(UsageError(format!(
                "`{n}` is not a name: 1 to 64 letters, digits, '.', '_', '-' or '@'"
            )));
        }
        Ok(())
    };
    let store = Store::connect(&s.database).await?;
    match cmd {
        AdminCommand::AddUser { name, role } => {
            name_ok(name)?;
            let role = role_of(role)?;
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            if password.chars().count() < 12 {
                return Err(UsageError(
                    "the password (on standard input) must have at least 12 characters".into(),
                )
                .into());
            }
            let hash = crate::partners::channels::hash_password(password)?;
            admin::put_user(&store, name, &hash, role).await?;
            println!("operator {name} ({role}) can sign in at /admin");
        }
        AdminCommand::AddToken { name, role } => {
            name_ok(name)?;
            let role = role_of(role)?;
            let token = crate::web::admin::auth::new_token();
            admin::put_token(
                &store,
                name,
                &crate::web::admin::auth::token_hash(&token),
                role,
            )
            .await?;
            println!("{token}");
            eprintln!("API token for {name} ({role}); send it as `Authorization: Bearer TOKEN`");
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn replay(s: Settings, id: i64) -> anyhow::Result<ExitCode> {
    let p = pipeline(s).await?;
    match p.replay(id).await {
        Ok(stage) => {
            println!("message {id} queued again from {stage}");
            p.store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Err(crate::pipeline::ReplayError::Store(crate::store::StoreError::NoSuchMessage(id))) => {
            Err(UsageError(format!("message {id} does not exist")).into())
        }
        Err(e) => Err(UsageError(e.to_string()).into()),
    }
}
