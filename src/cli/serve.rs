//! `wharf serve`: Wharf built by the composition root, its banner, and a clean stop on
//! SIGTERM or Ctrl-C (the span exporter flushed last).

use std::io::Write;
use std::process::ExitCode;

use crate::app::Wharf;
use crate::config::Settings;

pub(super) async fn serve(s: Settings) -> anyhow::Result<ExitCode> {
    let wharf = Wharf::build(s).await?;
    let mut out = std::io::stdout().lock();
    out.write_all(wharf.banner().as_bytes())?;
    out.flush()?;
    drop(out);
    shutdown_signal().await;
    wharf.stop().await;
    // The spans of the drained work, sent before the process ends.
    crate::telemetry::shutdown().await;
    Ok(ExitCode::SUCCESS)
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
