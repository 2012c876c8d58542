//! The command line: `serve`, `ingest`, `translate`, `ack`, `partners check`, `messages`,
//! `replay`, `events`, `odoo check`. Each command loads settings once; errors print as one
//! precise line and a non-zero exit code (2 for input or configuration that cannot be used).

mod ack;
mod admin;
mod as2;
mod collect;
mod events_cmd;
mod health_cmd;
mod ingest;
mod messages_cmd;
mod odoo_cmd;
mod partners;
mod send;
mod serve;
mod store_cmd;
mod translate;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::documents::edifact as edidoc;
use crate::documents::x12 as x12doc;
use crate::documents::x12::ack::{write_functional_ack, write_ta1};
use crate::edi::x12::Severity;
use crate::partners::Partners;
use crate::pipeline::Pipeline;
use crate::pipeline::envelope::ack_envelope;
use crate::store::messages::{self, Filter, Inbound};
use crate::store::{Channel, Direction, Format, MessageState, Store, events, jobs};
// The commands share this module's imports and each other's helpers.
use ack::*;
use admin::*;
use collect::*;
use events_cmd::*;
use ingest::*;
use messages_cmd::*;
use odoo_cmd::*;
use partners::*;
use send::*;
use serve::*;
use translate::*;

#[derive(Debug, Parser)]
#[command(name = "wharf", version, about = "EDI/B2B partner gateway for Odoo")]
pub struct Cli {
    /// Settings file (default: ./wharf.toml when it exists; every setting has a default).
    #[arg(long, global = true, env = "WHARF_CONFIG")]
    config: Option<PathBuf>,
    /// How log lines are written to stderr: `text` for people, `json` (one object a line,
    /// with the span's fields: message id, partner, stage) for log shippers.
    #[arg(long, global = true, env = "WHARF_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
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
    Replay { id: crate::store::MessageId },
    /// Business events (order.created, shipment.sent, …): list, replay to subscribers,
    /// dead deliveries.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
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
    /// Applies the database migrations this Wharf has and the database lacks (back up
    /// first: `wharf backup`). Only this and `serve` change the schema; every other command
    /// refuses a database that is behind. Exit status 1 unless the schema is current after.
    Migrate {
        /// Only report where the schema stands (exit 1 when behind); changes nothing.
        #[arg(long)]
        check: bool,
    },
    /// Writes a consistent copy of the database (SQLite: taken while Wharf runs; PostgreSQL:
    /// by pg_dump), the data folder, partner profiles, keys and certificates and the settings
    /// file into DIR (new or empty), with a MANIFEST of where each came from.
    Backup { dir: PathBuf },
    /// Asks the gateway running here (the configured `[http] listen`, on loopback) for
    /// `/healthz` — or `/readyz` with --ready — and exits 0 when it answers 200: a
    /// container HEALTHCHECK without curl.
    Health {
        #[arg(long)]
        ready: bool,
    },
    /// The Odoo connection.
    Odoo {
        #[command(subcommand)]
        command: OdooCommand,
    },
}

#[derive(Debug, Subcommand)]
enum OdooCommand {
    /// Checks, read-only, that the configured Odoo is ready for Wharf: reached, version and
    /// protocol, login and API key, the user's rights on every model Wharf touches, and the
    /// customers, ship-to addresses, products, units and warehouses each profile relies on.
    /// One `ok|MISSING|FAIL` line per step with its fix; exit status 1 when one is not ok.
    Check {
        /// Only this partner's records (rights are checked for its features only).
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
    /// Makes a new partner profile from a sample, checked like `partners check`; its keys,
    /// hosts and certificates are left as commented `To do` lines. Refuses an existing id.
    New {
        id: String,
        /// The sample: acme (X12 over Wharf's SFTP), eurofoods (EDIFACT), globex (X12 over
        /// AS2), procurenet (cXML), pinnacle (X12 supplier collected from its server).
        #[arg(long, value_parser = ["acme", "eurofoods", "globex", "procurenet", "pinnacle"])]
        from: String,
        /// Display name (default: the id).
        #[arg(long)]
        name: Option<String>,
        /// ISA05 the partner sends from (default: the template's).
        #[arg(long)]
        x12_qualifier: Option<String>,
        /// ISA06 the partner sends from (default: the id in capitals, marked To do).
        #[arg(long)]
        x12_id: Option<String>,
        /// UNB sender id (0004), e.g. its GLN.
        #[arg(long)]
        edifact_id: Option<String>,
        /// cXML From credential identity.
        #[arg(long)]
        cxml_identity: Option<String>,
        /// AS2 name (AS2-From of its messages).
        #[arg(long)]
        as2_id: Option<String>,
    },
    /// Adds an OpenSSH public key (FILE: its .pub; `-` for standard input) to a partner's
    /// login on Wharf's SFTP server, checked and saved with the previous version kept.
    AddKey { partner: String, file: PathBuf },
    /// Sets a partner's SFTP password (asked twice without echo on a terminal, else the first
    /// line of standard input); only its argon2id hash is written.
    SetPassword { partner: String },
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
        id: crate::store::MessageId,
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
    // Only `serve` exports spans; its settings are read here, before the subscriber is
    // installed, because the exporter is a layer of it. A settings error is reported by
    // `run` as for every command.
    let otlp = match &cli.command {
        Command::Serve => settings(&cli).ok().and_then(|s| s.telemetry.otlp),
        _ => None,
    };
    let tracer = match otlp
        .as_ref()
        .map(|o| crate::telemetry::tracer(o, runtime.handle().clone()))
        .transpose()
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("wharf: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(cli.log_format, tracer);
    let outcome = runtime.block_on(run(cli));
    // Dropping a runtime waits for every blocking task, however long: a name lookup for a
    // partner's host that the resolver never answers (getaddrinfo cannot be cancelled; the
    // collection gave up on it at its connect timeout) would hold a stopped gateway past a
    // container's grace period and get it killed. Work that matters finished in `run`.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match outcome {
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

fn init_tracing(format: LogFormat, tracer: Option<opentelemetry_sdk::trace::Tracer>) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer, Registry};
    let filter = EnvFilter::try_from_env("WHARF_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    use std::io::IsTerminal;
    let lines: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .with_filter(filter)
            .boxed(),
        // The current span flattened into each line, so a shipper can follow one message
        // (`job` span: job_id, message_id, stage, trace_id) across lines and instances.
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(filter)
            .boxed(),
    };
    // Spans become OpenTelemetry spans only when an exporter is configured (no layer, and
    // nothing exported, otherwise). Their filter is their own: Wharf's spans (receive and each
    // stage's job) are exported whatever level the log lines are kept at (`WHARF_LOG=warn`).
    let spans = tracer.map(|t| {
        tracing_opentelemetry::layer().with_tracer(t).with_filter(
            tracing_subscriber::filter::Targets::new().with_target("wharf", tracing::Level::INFO),
        )
    });
    let _ = tracing_subscriber::registry()
        .with(lines)
        .with(spans)
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
        } => partners::hash_password(),
        Command::Partners {
            command: PartnersCommand::ApiToken { partner },
        } => partners::api_token(partner),
        Command::Messages { command } => messages_cmd(settings(&cli)?, command).await,
        Command::Replay { id } => replay(settings(&cli)?, *id).await,
        Command::Events { command } => events_cmd(settings(&cli)?, command).await,
        Command::Admin { command } => admin_cmd(settings(&cli)?, command).await,
        Command::Collect { partner } => collect(settings(&cli)?, partner.as_deref()).await,
        Command::Odoo {
            command: OdooCommand::Check { partner },
        } => odoo_check(&settings(&cli)?, partner.as_deref()).await,
        Command::As2 {
            command: As2Command::Certs,
        } => as2::certs(&settings(&cli)?),
        Command::As2 {
            command: As2Command::NewCert { cert, key, days },
        } => as2::new_cert(&settings(&cli)?, cert.as_deref(), key.as_deref(), *days),
        Command::Partners {
            command: PartnersCommand::ClientKey,
        } => partners::client_key(&settings(&cli)?),
        Command::Partners {
            command:
                PartnersCommand::New {
                    id,
                    from,
                    name,
                    x12_qualifier,
                    x12_id,
                    edifact_id,
                    cxml_identity,
                    as2_id,
                },
        } => {
            let new = crate::partners::scaffold::NewPartner {
                name: name.clone(),
                x12_qualifier: x12_qualifier.clone(),
                x12_id: x12_id.clone(),
                edifact_id: edifact_id.clone(),
                cxml_identity: cxml_identity.clone(),
                as2_id: as2_id.clone(),
                ..partners::new_partner(id, from)?
            };
            partners::new(&settings(&cli)?, &new)
        }
        Command::Partners {
            command: PartnersCommand::AddKey { partner, file },
        } => partners::add_key(&settings(&cli)?, partner, file),
        Command::Partners {
            command: PartnersCommand::SetPassword { partner },
        } => partners::set_password(&settings(&cli)?, partner),
        Command::Health { ready } => health_cmd::health(&settings(&cli)?, *ready).await,
        Command::Migrate { check } => store_cmd::migrate(&settings(&cli)?, *check).await,
        Command::Backup { dir } => {
            store_cmd::backup(&settings(&cli)?, cli.config.as_deref(), dir).await
        }
        Command::Send { file, partner, key } => {
            send(settings(&cli)?, file, partner, key.as_deref()).await
        }
    }
}

/// A password: asked for twice without echo on a terminal (the two must match), or the
/// first line of standard input when it is a pipe (scripts, tests).
fn read_secret(what: &str) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("{what}: "))?;
        let again = rpassword::prompt_password(format!("{what} (again): "))?;
        if first != again {
            return Err(UsageError("the two passwords differ; nothing changed".into()).into());
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

fn load_partners(s: &Settings, quiet: bool) -> Partners {
    crate::app::load_partners(s, quiet)
}

/// The pipeline for a command that writes (ingest, send, replay, collect): it may create a
/// new database but never migrates an existing one (only `serve` and `wharf migrate` do).
async fn pipeline(s: Settings) -> anyhow::Result<Pipeline> {
    Ok(crate::app::open_for(s, false, crate::store::Schema::CreateOnly).await?)
}
