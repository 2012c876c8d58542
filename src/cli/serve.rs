//! `wharf serve`: Wharf built by the composition root, its banner, and a clean stop on
//! SIGTERM or Ctrl-C (the span exporter flushed last).

use std::io::Write;
use std::process::ExitCode;

use crate::app::Wharf;
use crate::config::Settings;

pub(super) async fn serve(s: Settings) -> anyhow::Result<ExitCode> {
    // The handlers go in before anything listens: in a container Wharf is PID 1, and the
    // kernel drops a signal PID 1 has no handler for. A SIGTERM sent as soon as /healthz
    // answered (an orchestrator's quick stop) used to land while the rest was still being
    // built, was dropped, and the container was killed after its grace period. Registered
    // streams keep a signal that arrives early; it is seen once Wharf is built.
    let mut stop = StopSignals::install()?;
    let wharf = Wharf::build(s).await?;
    let mut out = std::io::stdout().lock();
    out.write_all(wharf.banner().as_bytes())?;
    out.flush()?;
    drop(out);
    stop.recv().await;
    wharf.stop().await;
    // The spans of the drained work, sent before the process ends.
    crate::telemetry::shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM and SIGINT (Ctrl-C), registered when made.
struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(StopSignals {})
        }
    }

    /// Waits for the first of them (at once when one came since [`StopSignals::install`]).
    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => {}
                _ = self.int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
